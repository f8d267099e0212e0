/*
 * config: /etc/vtundfix.conf, the seed's format (SPEC §3).
 *
 * "KEY VALUE" settings, '#' comments, blank lines, the seed's header line
 * "<tap> <tun name> ...", and tap lines
 *	<tap> <vtund session> <client ip> <bridge> <uplink>
 * where the uplink is a VLAN "DEV.VID" or any plain interface.
 *
 * config_load() either fills a whole struct config or fails with one message
 * "FILE:LINE: message" (or "FILE: message") and changes nothing: there is
 * never a partial configuration.
 */
#ifndef VTUNDFIX_CONFIG_H
#define VTUNDFIX_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stddef.h>

#define CONFIG_DEFAULT_PATH	"/etc/vtundfix.conf"
#define SESSION_MAX		64	/* vtund session name, with NUL */
#define HOST_MAX		256	/* address or host name, with NUL */
#define CONTROL_SOCKET_MAX	108	/* sun_path, with NUL */
#define CONTROL_SOCKET_DEFAULT	"/run/vtundfix/control"

enum machine_role {
	ROLE_NONE = 0,
	ROLE_SERVER,
	ROLE_CLIENT,
};

enum liveness_mode {
	LIVENESS_PROBE = 0,
	LIVENESS_COUNTERS,
};

struct tap_conf {
	char	 tap[IFNAMSIZ];
	char	 session[SESSION_MAX];
	char	 client_ip[HOST_MAX];
	char	 bridge[IFNAMSIZ];
	char	 uplink[IFNAMSIZ];	/* "eth0.763" or a plain name */
	char	 uplink_parent[IFNAMSIZ];/* "eth0"; "" for a plain uplink */
	int	 vlan_id;		/* 763; 0 for a plain uplink */
	int	 line;			/* where it was configured */
};

/* A command split into words at blanks, run with execve, never a shell. */
struct command {
	char	**argv;			/* NULL-terminated */
	int	 argc;
};

struct config {
	char	 path[PATH_MAX];	/* the file it was read from */
	char	 directory[PATH_MAX];
	unsigned delay_betweencheck;	/* seconds */
	unsigned delay_parentcheck;	/* seconds */
	char	 server[HOST_MAX];	/* "" if not set (server side) */
	enum machine_role machine;
	char	 email[256];		/* "" for no mail */
	char	 user[64];
	char	 data_dir[PATH_MAX];	/* always ends in '/' */
	char	 log_file[PATH_MAX];	/* a path or "syslog" */
	char	 pid_file[PATH_MAX];
	char	 vtund[PATH_MAX];
	char	 vtund_conf[PATH_MAX];
	struct command listener_start;
	struct command peer_command;
	enum liveness_mode liveness;
	unsigned probe_interval_ms;
	unsigned probe_multiplier;
	struct command mail_command;
	char	 metrics_file[PATH_MAX];/* "" for none */
	char	 control_socket[CONTROL_SOCKET_MAX];/* the daemon's (SPEC §7) */
	struct tap_conf	*taps;
	size_t	 ntaps;
};

/*
 * Read PATH into *CONF.  On failure return -1, leave *CONF zeroed and write
 * "FILE:LINE: message" (no newline) into ERR.
 */
int	 config_load(const char *path, struct config *conf, char *err,
	    size_t errlen);
void	 config_free(struct config *conf);
/* Do A and B configure the same thing? */
int	 config_equal(const struct config *a, const struct config *b);

/* The tap line for a tap name, or NULL. */
const struct tap_conf *config_find_tap(const struct config *conf,
	    const char *tap);
/* The tap line of a vtund session, or NULL. */
const struct tap_conf *config_find_session(const struct config *conf,
	    const char *session);
/* The interfaces TAP's line uses (its tap, bridge, uplink and the
 * uplink's parent), each once, into NAMES; how many. */
#define TAP_NAMES_MAX	4
size_t	 tap_names(const struct tap_conf *tap,
	    const char *names[TAP_NAMES_MAX]);
/* Does TAP's line use the interface NAME? */
int	 tap_uses(const struct tap_conf *tap, const char *name);

/*
 * Build a new argv from CMD with every "%h" replaced by HOST.  The result
 * is one allocation, freed with free(); NULL on allocation failure.
 */
char	**command_expand(const struct command *cmd, const char *host);

const char *machine_name(enum machine_role role);

#endif
