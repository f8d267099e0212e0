/*
 * vtundfix: keeps vtund layer-2 tunnels alive.  Entry point; the work is
 * done by the modules named after each job.
 */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"

int
main(int argc, char *argv[])
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "vtundfix: not yet\n");
	return 1;
}
