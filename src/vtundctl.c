/*
 * vtundctl: one command for vtund and vtundfix (SPEC §9).
 */
#include <stdio.h>

int
main(int argc, char *argv[])
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "vtundctl: not yet\n");
	return 1;
}
