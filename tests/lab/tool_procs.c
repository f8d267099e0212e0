/*
 * tool_procs: print what the process module sees in this network
 * namespace, one line per vtund process, for tests/lab/test_processes.sh:
 *	KIND SIDE SESSION DEVICE
 * With SESSION, only that session's processes (client and server side).
 */
#include <stdio.h>

#include "processes.h"

static void
print(const struct vtund_proc *p, int n)
{
	int i;

	for (i = 0; i < n && i < 64; i++)
		printf("%s %s %s %s\n", procs_kind_name(p[i].kind),
		    p[i].client ? "client" : "server",
		    p[i].session[0] ? p[i].session : "-",
		    p[i].device[0] ? p[i].device : "-");
}

int
main(int argc, char *argv[])
{
	struct vtund_proc p[64];
	int n;

	if (argc > 1) {
		print(p, procs_find_session(argv[1], 1, p, 64));
		print(p, procs_find_session(argv[1], 0, p, 64));
		print(p, procs_find_listener(p, 64));
		return 0;
	}
	if ((n = procs_scan(p, 64)) == -1) {
		perror("procs_scan");
		return 1;
	}
	print(p, n);
	return 0;
}
