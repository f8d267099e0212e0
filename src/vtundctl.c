/*
 * vtundctl: one command for vtund and vtundfix (SPEC §9, seed).
 *
 *	vtundctl [-y] [-f FILE] start|stop|restart|status
 *	vtundctl [-y] [-f FILE] vtund start|stop|restart|status|reload
 *	vtundctl [-f FILE] vtund ARGS...
 *	vtundctl [-y] [-f FILE] fix|vtundfix start|stop|restart|status
 *	vtundctl [-f FILE] fix|vtundfix on|off [TAP] [SCOPE] [SWITCH]
 *
 * A thin front-end: it runs the init system (systemctl where systemd runs,
 * else the init script), vtund, or vtundfix, and passes their exit status
 * on.  Whatever stops or restarts vtund asks first; -y answers yes, and
 * without a terminal and without -y it refuses.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "exec.h"

#define EXIT_USAGE	2

static int	 assume_yes;
static const char *conf_path = CONFIG_DEFAULT_PATH;

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vtundctl [-y] [-f FILE] COMMAND [ARGS...]\n"
	    "  start|stop|restart|status      vtund and vtundfix together\n"
	    "  vtund start|stop|restart|status|reload\n"
	    "                                 vtund through the init system\n"
	    "  vtund ARGS...                  run vtund -f VTUND_CONF ARGS\n"
	    "                                 (e.g. vtund lcsr 192.168.1.100)\n"
	    "  fix|vtundfix start|stop|restart|status\n"
	    "  fix|vtundfix on|off [tapN|vlanVID|VID] [local|remote|both]\n"
	    "               [service|tap|vlan|bridge|br|listener|all]\n"
	    "options:\n"
	    "  -y        do not ask for confirmation\n"
	    "  -f FILE   vtundfix configuration (default %s)\n"
	    "  -h        this help\n", CONFIG_DEFAULT_PATH);
}

static int
confirm(const char *what)
{
	char answer[16];

	if (assume_yes)
		return 1;
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "vtundctl: %s needs confirmation: use -y when "
		    "not on a terminal\n", what);
		return 0;
	}
	fprintf(stderr, "%s? [y/N] ", what);
	if (fgets(answer, sizeof(answer), stdin) == NULL)
		return 0;
	return answer[0] == 'y' || answer[0] == 'Y';
}

/* The vtundfix next to this program, else the one in the fixed PATH. */
static int
vtundfix_path(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			snprintf(buf, len, "%.*s/vtundfix", (int)(slash - self),
			    self);
			if (access(buf, X_OK) == 0)
				return 0;
		}
	}
	return exec_resolve("vtundfix", buf, len);
}

static int
run(char *const argv[])
{
	int rc = exec_wait(argv);

	if (rc == -1) {
		fprintf(stderr, "vtundctl: %s: %s\n", argv[0], strerror(errno));
		return 1;
	}
	return rc;
}

/* start/stop/... of a service through systemctl or its init script. */
static int
service(const char *name, const char *action)
{
	char script[PATH_MAX];

	if (access("/run/systemd/system", F_OK) == 0) {
		char *argv[] = { "systemctl", (char *)action, (char *)name, NULL };

		return run(argv);
	}
	snprintf(script, sizeof(script), "/etc/init.d/%s", name);
	{
		char *argv[] = { script, (char *)action, NULL };

		return run(argv);
	}
}

static int
vtundfix_cmd(int argc, char *argv[])
{
	char path[PATH_MAX];
	char **args;
	int i, rc;

	if (vtundfix_path(path, sizeof(path)) == -1) {
		fprintf(stderr, "vtundctl: vtundfix not found\n");
		return 1;
	}
	if ((args = calloc((size_t)argc + 4, sizeof(*args))) == NULL)
		return 1;
	args[0] = path;
	args[1] = "-f";
	args[2] = (char *)conf_path;
	for (i = 0; i < argc; i++)
		args[3 + i] = argv[i];
	rc = run(args);
	free(args);
	return rc;
}

static int
is_action(const char *w)
{
	return strcmp(w, "start") == 0 || strcmp(w, "stop") == 0 ||
	    strcmp(w, "restart") == 0 || strcmp(w, "status") == 0;
}

static int
stops_vtund(const char *action)
{
	return strcmp(action, "stop") == 0 || strcmp(action, "restart") == 0;
}

static int
fix_cmd(int argc, char *argv[])
{
	if (argc == 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[0], "on") == 0 || strcmp(argv[0], "off") == 0 ||
	    strcmp(argv[0], "status") == 0)
		return vtundfix_cmd(argc, argv);
	if (argc != 1 || !is_action(argv[0])) {
		fprintf(stderr, "vtundctl: fix: unknown command \"%s\"\n",
		    argv[0]);
		usage(stderr);
		return EXIT_USAGE;
	}
	return service("vtundfix", argv[0]);
}

static int
vtund_args(int argc, char *argv[])
{
	struct config conf;
	char err[1024];
	char **args;
	int i, rc;

	if (config_load(conf_path, &conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "vtundctl: %s\n", err);
		return 1;
	}
	if ((args = calloc((size_t)argc + 4, sizeof(*args))) == NULL)
		return 1;
	args[0] = conf.vtund;
	args[1] = "-f";
	args[2] = conf.vtund_conf;
	for (i = 0; i < argc; i++)
		args[3 + i] = argv[i];
	rc = run(args);
	free(args);
	config_free(&conf);
	return rc;
}

static int
vtund_cmd(int argc, char *argv[])
{
	if (argc == 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (argc == 1 && (is_action(argv[0]) ||
	    strcmp(argv[0], "reload") == 0)) {
		if (stops_vtund(argv[0]) && !confirm("Stop vtund and its "
		    "tunnels"))
			return 1;
		return service("vtun", argv[0]);
	}
	return vtund_args(argc, argv);
}

static int
both_cmd(const char *action)
{
	char *status[] = { "status", NULL };
	int a, b;

	if (strcmp(action, "status") == 0) {
		a = service("vtun", "status");
		b = vtundfix_cmd(1, status);
		return a ? a : b;
	}
	if (!confirm(strcmp(action, "start") == 0 ? "Start vtund and vtundfix" :
	    "Stop vtund, its tunnels and vtundfix"))
		return 1;
	if (strcmp(action, "start") == 0) {
		a = service("vtun", "start");
		return a ? a : service("vtundfix", "start");
	}
	/* Stop vtundfix first, or it would restart vtund. */
	a = service("vtundfix", "stop");
	b = service("vtun", "stop");
	if (strcmp(action, "stop") == 0 || a || b)
		return a ? a : b;
	a = service("vtun", "start");
	return a ? a : service("vtundfix", "start");
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help",	no_argument,	NULL, 'h' },
		{ "yes",	no_argument,	NULL, 'y' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "+f:hy", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			conf_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'y':
			assume_yes = 1;
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[0], "vtund") == 0)
		return vtund_cmd(argc - 1, argv + 1);
	if (strcmp(argv[0], "fix") == 0 || strcmp(argv[0], "vtundfix") == 0)
		return fix_cmd(argc - 1, argv + 1);
	if (argc == 1 && is_action(argv[0]))
		return both_cmd(argv[0]);
	fprintf(stderr, "vtundctl: unknown command \"%s\"\n", argv[0]);
	usage(stderr);
	return EXIT_USAGE;
}
