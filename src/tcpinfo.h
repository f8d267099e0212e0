/*
 * tcpinfo: vtund's own TCP connection as the kernel sees it (SPEC §5, §11),
 * through NETLINK_SOCK_DIAG / INET_DIAG_INFO (libnl's idiag module for the
 * socket, libnl for the messages).  No privilege is needed to read it.
 *
 * A connection is asked for by its exact 4-tuple (tcpinfo_get): one hash
 * lookup in the kernel, cheap enough to ask every half second during an
 * outage on a hub with a thousand tunnels.  The 4-tuple comes from the
 * addresses of the sockets vtund holds (tcpinfo_key, processes.h's
 * procs_sockets); where those cannot be read, from a filtered dump
 * (tcpinfo_find: only connections on vtund's port to or from the peer's
 * addresses; when several match, the one whose socket the session's vtund
 * process holds).  A dump walks the kernel's whole connection table, a
 * millisecond of CPU on a large host, so it is the fallback.
 *
 * Policy lives in tunnel.c; this module only reports.
 */
#ifndef VTUNDFIX_TCPINFO_H
#define VTUNDFIX_TCPINFO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tunnel.h"

/* Addresses a host name or literal resolves to (IPv4 and IPv6). */
#define TCPINFO_ADDRS_MAX	8
struct tcp_addrs {
	size_t		 n;
	int		 family[TCPINFO_ADDRS_MAX];
	uint8_t		 addr[TCPINFO_ADDRS_MAX][16];
};

/* Resolve HOST (a name, an IPv4 or an IPv6 address).  0 or -1 (ERR). */
int	 tcpinfo_resolve(const char *host, struct tcp_addrs *out, char *err,
	    size_t errlen);

/* One connection, exactly. */
struct tcp_key {
	int		 family;
	uint8_t		 src[16], dst[16];
	uint16_t	 sport, dport;		/* host byte order */
};

/* What is looked for: the far end's addresses and vtund's port. */
struct tcp_match {
	const struct tcp_addrs *remote;
	uint16_t	 local_port;	/* server: vtund's port, else 0 */
	uint16_t	 remote_port;	/* client: vtund's port, else 0 */
	const uint64_t	*inodes;	/* the vtund process's sockets, to */
	size_t		 ninodes;	/* tell several matches apart */
};

struct tcpinfo;

struct tcpinfo	*tcpinfo_open(void);
void		 tcpinfo_close(struct tcpinfo *);

/*
 * Find the established connection M describes.  1 with *KEY and *S
 * filled, 0 none (or several and none of M's inodes), -1 error (errno).
 */
int	 tcpinfo_find(struct tcpinfo *, const struct tcp_match *m,
	    struct tcp_key *key, struct tunnel_tcp *s);
/* That connection again: 1 and *S, 0 gone, -1 error. */
int	 tcpinfo_get(struct tcpinfo *, const struct tcp_key *key,
	    struct tunnel_tcp *s);

/* The kernel's INET_DIAG_INFO payload (LEN bytes) into *S (tcpinfo_raw.c). */
void	 tcpinfo_raw_parse(const void *raw, size_t len, struct tunnel_tcp *s);

/*
 * The key of a socket whose addresses are known (getsockname, getpeername:
 * processes.h's procs_sockets).  An IPv4-mapped IPv6 socket is keyed as
 * IPv4, as the kernel's lookup wants it.  0, or -1 not TCP/IP addresses.
 */
int	 tcpinfo_key(const struct sockaddr_storage *local,
	    const struct sockaddr_storage *remote, struct tcp_key *key);

/* "10.99.0.2:41822 -> 10.99.0.1:5000" */
void	 tcpinfo_key_str(const struct tcp_key *, char *buf, size_t len);

#endif
