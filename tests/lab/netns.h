/*
 * netns.h: what the lab test programs need besides the link module: a
 * private network namespace and veth pairs (which vtundfix never creates).
 */
#ifndef VTUNDFIX_TESTS_NETNS_H
#define VTUNDFIX_TESTS_NETNS_H

#include <sys/wait.h>

#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <spawn.h>
#include <unistd.h>

extern char **environ;

/* Run ARGV (from PATH) and wait; its exit status, or -1. */
static inline int
run(char *const argv[])
{
	pid_t pid;
	int status;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0 ||
	    waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* A veth pair A <-> B in this namespace; 0 or -1. */
static inline int
add_veth(const char *a, const char *b)
{
	struct nl_sock *sk = nl_socket_alloc();
	int rc;

	if (sk == NULL || nl_connect(sk, NETLINK_ROUTE) < 0) {
		if (sk != NULL)
			nl_socket_free(sk);
		return -1;
	}
	rc = rtnl_link_veth_add(sk, a, b, getpid());
	nl_socket_free(sk);
	return rc < 0 ? -1 : 0;
}

#endif
