/*
 * peer_client: talk to the other end's `vtundfix peer` through
 * PEER_COMMAND (ssh by default; "%h" is the peer's address).
 *
 * PEER_COMMAND always runs as USER (that account's uid, groups and HOME,
 * so ssh uses its key and known_hosts), unless USER is root.
 *
 * Two ways: blocking calls for the command line tools (`vtundfix off ...
 * both`, `vtundfix status`), and a channel for the supervisor's event loop
 * that stays open, times out every request and reconnects with back-off.
 * The supervisor keeps one channel per peer host: every tunnel to that
 * host shares it.  An unreachable peer never blocks anyone: while the
 * channel is down and backing off, requests fail at once and the asker
 * uses what it knew.
 */
#ifndef VTUNDFIX_PEER_CLIENT_H
#define VTUNDFIX_PEER_CLIENT_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"

#define PEER_TIMEOUT_MS		5000	/* per request */
/*
 * The hello: ssh connects and authenticates first (its ConnectTimeout in
 * the default PEER_COMMAND is 10 s; a slow or busy link, or a small
 * machine, can take seconds for the key exchange).
 */
#define PEER_CONNECT_TIMEOUT_MS	20000
/* A hello that timed out gets twice as long next time, up to this: ssh
 * on a slow, loaded host or link may need longer than 20 s. */
#define PEER_CONNECT_TIMEOUT_MAX_MS	120000
#define PEER_BACKOFF_MIN_MS	1000
#define PEER_BACKOFF_MAX_MS	60000
#define PEER_QUEUE_MAX		4096	/* requests waiting on one channel */

/* The peer's address for TAP: SERVER on a client, its client ip on a server. */
const char *peer_host(const struct config *conf, const struct tap_conf *tap);

/* --- blocking, for the command line tools --- */

struct peer_conn;

/* Start PEER_COMMAND and shake hands; NULL with a message in ERR. */
struct peer_conn *peer_connect(const struct config *conf, const char *host,
	    char *err, size_t errlen);
/*
 * Send REQUEST and wait for its reply line (without newline) in REPLY.
 * 0 for an "ok" reply, 1 for an "err" reply, -1 on failure (ERR-like text
 * in REPLY).
 */
int	 peer_call(struct peer_conn *, const char *request, char *reply,
	    size_t len);
void	 peer_close(struct peer_conn *);

/* --- asynchronous, for the supervisor's event loop --- */

struct peer_chan;
/* REPLY is the reply line ("ok ..."/"err ..."), or NULL on failure. */
typedef void (*peer_reply_cb)(const char *reply, void *arg);

struct peer_chan *peerchan_new(const struct config *conf, const char *host);
void	 peerchan_free(struct peer_chan *);
/*
 * Queue REQUEST; CB is called exactly once, later, with the reply or NULL.
 * HOW: PEER_ASK_WAIT: while ssh still connects (the first request starts
 * the connection), wait for it at most PEER_TIMEOUT_MS; without it, fail
 * at once (a worker's question: it goes on with what it knew).
 * PEER_ASK_NOW_TRY: a channel backing off connects at once (a person
 * asks; automatic requests keep the back-off).
 * Returns -1 without calling CB when the channel is backing off (and not
 * NOW_TRY), when it connects and not WAIT, or when its queue is full.
 */
#define PEER_ASK_WAIT		1
#define PEER_ASK_NOW_TRY	2
int	 peerchan_request(struct peer_chan *, const char *request, int how,
	    peer_reply_cb cb, void *arg);
/* Is the channel connected (handshake done)? */
int	 peerchan_up(const struct peer_chan *);
/*
 * CB gets every event line the far end sends of its own (PEER_EVENT,
 * after "watch"), and NULL each time the channel closes (what was watched
 * must be watched again on the next connection).
 */
typedef void (*peer_event_cb)(const char *line, void *arg);
void	 peerchan_on_event(struct peer_chan *, peer_event_cb cb, void *arg);
const char *peerchan_host(const struct peer_chan *);
/* The configuration was reloaded: use CONF from now on. */
void	 peerchan_set_conf(struct peer_chan *, const struct config *conf);

#endif
