/*
 * tunnel: the state machine of one tunnel's data path (SPEC §5), after
 * OpenBSD bgpd's session FSM.  One enum of states; tunnel_input() is the
 * only function that changes it, and every change is logged once with its
 * evidence:
 *
 *	tunnel: up -> suspect: no probe for 3.0 s, 0 frames received,
 *	    TCP 14 segments unacked, last ACK 3.1 s ago
 *
 * The rule is "first, do no harm": the tunnel is alive while anything
 * arrives from it (a genuine probe, a frame vtund writes into the tap, or
 * forward progress on vtund's own TCP connection) and dead only on positive
 * evidence (TCP: data waiting and nothing acknowledged for the detection
 * time; without a TCP view: probes missing while the peer confirms it
 * probes AND nothing arriving on the tap).  Silence alone — an idle tunnel,
 * a far end whose vtundfix is stopped, a peer channel that is down — never
 * restarts anything.  When restarting cannot help (the server answers
 * nothing: an underlay outage) the session is kept, nothing extra is sent
 * into it and the underlay is watched; when it answers again the old
 * session either resumes or the client is replaced at once.
 *
 * The module does no I/O of its own: evidence is fetched and actions are
 * taken through struct tunnel_ops, which the worker provides and the unit
 * tests fake.  Time is passed in (monotonic ms), so tests run without a
 * clock.  Actions that touch vtund happen only when check 5 runs (the
 * TI_CHECK input), so the seed's order of checks and the switches hold;
 * check 1 (client) and check 4 (tap) feed what they see.
 *
 * docs/tunnel-states.md has the diagram.
 */
#ifndef VTUNDFIX_TUNNEL_H
#define VTUNDFIX_TUNNEL_H

#include <stdint.h>
#include <sys/types.h>

enum tunnel_state {
	TS_NOSESSION,	/* no vtund session: no tap (client connecting) */
	TS_STARTING,	/* client: no vtund client; the server's old session
			 * is releasing its lock, then one is started */
	TS_UP,		/* something arrives from the tunnel */
	TS_SUSPECT,	/* nothing arrived for the detection time; TCP data
			 * waits unacknowledged, or no TCP view: evidence is
			 * being gathered */
	TS_REACHING,	/* broken: does the server answer at all? */
	TS_DEAD,	/* broken, and the server answers: restart at check 5 */
	TS_ENDING,	/* client: asked the server to end its old session */
	TS_RESTARTING,	/* client: vtund reconnects; waiting for the session */
	TS_OUTAGE,	/* client: the server answers nothing; session kept,
			 * nothing sent, the underlay watched */
	TS_RESUMING,	/* client: the server answers again; the kernel was
			 * told (RFC 6069) and retransmits the old session's
			 * data now: waiting for its ACK */
	TS_BROKEN,	/* server: broken; the client reconnects (seed) */
	TS_MAX
};

enum tunnel_input {
	TI_TAP,		/* check 4 saw the tap (arg: struct tunnel_tap) */
	TI_CLIENT,	/* check 1 saw the one client (arg: tunnel_client) */
	TI_NOCLIENT,	/* check 1 saw no client */
	TI_SESSION,	/* vtund's TCP socket changed (same tap: persist keep) */
	TI_PROBE,	/* a genuine probe arrived */
	TI_TIMER,	/* the deadline passed */
	TI_PEER_PROBING,/* the peer says it probes this session */
	TI_PEER_SILENT,	/* the peer says it does not (or vtundfix is off) */
	TI_PEER_UNKNOWN,/* the peer could not be asked */
	TI_REACH_OK,	/* the server answered (a TCP connect, or refused) */
	TI_REACH_FAIL,	/* it did not, within the reach timeout */
	TI_LOCK_FREE,	/* the server's old session released its lock */
	TI_END_DONE,	/* the server answered "end" (or could not be asked) */
	TI_CHECK,	/* check 5 runs: act if an action is due */
	TI_COUNTERS_ALIVE,/* LIVENESS counters: the seed's rule saw flow */
	TI_COUNTERS_DEAD,/* and two checks without it */
	TI_UNHEARD,	/* the peer's probes come, but echo none of our last
			 * TUNNEL_UNHEARD_PROBES: ours do not get there */
	TI_MAX
};

struct tunnel_tap {
	int		 present;
	int		 ifindex;
};

enum client_kind { CLIENT_CONNECTING, CLIENT_CONNECTED, CLIENT_CLOSING };

struct tunnel_client {
	pid_t		 pid;
	enum client_kind kind;
	int		 sleeping;	/* between two connection attempts */
};

/* vtund's TCP socket as the kernel sees it (tcpinfo.h fills it). */
struct tunnel_tcp {
	uint32_t	 unacked;	/* segments in flight */
	uint32_t	 waiting;	/* bytes sent or queued, not acked */
	uint64_t	 bytes_acked;
	uint32_t	 last_ack_ms;	/* since the last ACK received */
	uint32_t	 retransmits;	/* RTOs in a row */
	uint32_t	 backoff;	/* doublings of the RTO (RFC 6069) */
	uint32_t	 rtt_ms;	/* smoothed round trip */
	int		 rto_pending;	/* the retransmission timer runs */
	uint32_t	 rto_in_ms;	/* and fires in this many ms */
	uint64_t	 inode;		/* identifies the socket */
};

/* Why a restart: a restart kind for restart_client(). */
enum tunnel_restart {
	TR_HUP,		/* SIGHUP: an established client reconnects at once */
	TR_REPLACE,	/* stop it and start a fresh one (connects at once) */
};

/* What a record is about (the check it belongs to in the seed's order). */
enum tunnel_record {
	TREC_TUNNEL_FAULT,	/* check 5: a fault not repaired now */
	TREC_TUNNEL_REPAIR,	/* check 5: a restart */
	TREC_TAP_REPAIR,	/* check 4: a client replaced to connect */
};

struct tunnel_ops {
	/* Evidence, fetched synchronously.  0, or -1 when not available. */
	int	(*tap_rx)(void *ctx, uint64_t *rx);
	/* 1 and *S filled, 0 no TCP view (UDP, not found), -1 error. */
	int	(*tcp)(void *ctx, struct tunnel_tcp *s);
	/* Asynchronous questions; each answers with one input later. */
	void	(*ask_probe)(void *ctx);	/* TI_PEER_* */
	void	(*reach)(void *ctx);		/* TI_REACH_* */
	void	(*ask_lock)(void *ctx);		/* TI_LOCK_FREE (always) */
	/* Ask the server to end its session: 0 sent (TI_END_DONE follows),
	 * -1 the peer cannot be asked now. */
	int	(*end_session)(void *ctx);
	/* Actions on vtund; 0 done, -1 failed (errno). */
	pid_t	(*start_client)(void *ctx);
	int	(*signal_client)(void *ctx, pid_t pid, int sig);
	/* Send probes (1) or nothing (0) into the tunnel. */
	void	(*probes)(void *ctx, int on);
	/* The path works again: tell this host's kernel, so that vtund's
	 * socket S, in retransmission back-off, retransmits now
	 * (tcpresume.h).  1 told, 0 cannot (nothing learnt yet). */
	int	(*resume)(void *ctx, const struct tunnel_tcp *s);
	/* The same when what was learnt of the socket is not enough: tell
	 * the kernel at the far end's next segment, which says where our
	 * data stands.  0 under way, -1 cannot. */
	int	(*nudge)(void *ctx);
	/* A new session: forget what the probes knew of the old one. */
	void	(*new_session)(void *ctx);
	/* Arm the one deadline (absolute monotonic ms; 0 cancels). */
	void	(*arm)(void *ctx, uint64_t at_ms);
	/* Run a check round soon (a decision waits for check 5). */
	void	(*wake)(void *ctx);
	/* Record a repair or a fault for the log, data file and mail. */
	void	(*record)(void *ctx, enum tunnel_record kind,
		    const char *fault, const char *action, int ok);
	void	(*mail)(void *ctx, const char *what);
};

struct tunnel_conf {
	int		 client;	/* this end is the vtund client */
	uint64_t	 detect_ms;	/* PROBE_INTERVAL_MS x PROBE_MULTIPLIER */
	uint64_t	 interval_ms;	/* PROBE_INTERVAL_MS */
	int		 probes;	/* LIVENESS probe: probes are sent and
					 * silence is judged; else the seed's
					 * counter rule gives the verdicts */
};

/*
 * Everything below is written by tunnel.c only.  Other modules read
 * state, since_ms and why (status), nothing else.
 */
struct tunnel {
	struct tunnel_conf	 conf;
	const struct tunnel_ops	*ops;
	void			*ctx;
	enum tunnel_state	 state;
	uint64_t		 since_ms;	/* entered this state */
	char			 why[200];	/* the evidence of the last change */
	char			 dead_why[200];	/* why it was found broken */
	uint64_t		 deadline;	/* 0: none */
	uint64_t		 settle_ms;	/* for the check that fed an input */
	/* evidence of life */
	uint64_t		 alive_ms;	/* anything arrived last */
	uint64_t		 probe_ms;	/* a genuine probe arrived last */
	int			 have_mark;
	uint64_t		 mark_ms, rx_mark, acked_mark;
	int			 tcp_at_mark;	/* a TCP view at the mark */
	uint64_t		 peer_asked_ms;
	int			 peer_probing;	/* last answer: -1 unknown */
	uint64_t		 quiet_logged;	/* "no evidence" said, for now */
	/* the session */
	int			 ifindex;
	uint64_t		 inode;
	/* the vtund client (client end) */
	pid_t			 client_pid;
	enum client_kind	 client_kind;
	int			 client_sleeping;
	uint64_t		 connecting_since;
	pid_t			 started_pid;
	uint64_t		 started_ms;
	int			 start_ok;	/* STARTING: the lock is free */
	/* restarts */
	unsigned		 restarts;	/* in a row that did not help */
	uint64_t		 restart_not_before;
	uint64_t		 restart_ms;	/* the last one */
	uint64_t		 flap_wait_ms;	/* last wait for vtund's own retry */
	uint64_t		 far_wait_ms;	/* and for the far end's */
	uint64_t		 nudge_ms;	/* a nudge last asked, unheard */
	uint64_t		 told_ms;	/* the kernel last told (RFC 6069) */
	uint64_t		 rx_session;	/* tap RX when the session began
						 * (UINT64_MAX: unknown) */
	int			 replace;	/* next restart replaces */
	int			 restart_hup;	/* the last one was a SIGHUP */
	int			 urgent;	/* the underlay is back: no back-off */
	int			 end_answered;
	/* the underlay */
	int			 reach_pending;
	uint64_t		 reach_ms;	/* last attempt */
	int			 reach_ok;	/* last result */
	uint64_t		 reach_ok_ms;
	uint64_t		 unreach_ms;	/* the server last answered nothing */
	uint64_t		 outage_ms;	/* outage began (0: none) */
	/* figures */
	unsigned long		 transitions;
};

void	 tunnel_init(struct tunnel *, const struct tunnel_conf *,
	    const struct tunnel_ops *, void *ctx, uint64_t now);
/*
 * Feed one input at NOW.  ARG is the input's data (see enum tunnel_input)
 * or NULL.  For TI_TAP, TI_CLIENT, TI_NOCLIENT and TI_CHECK the return is
 * the enum check_result of the check that fed it, with t->settle_ms set;
 * for the others it is 0.
 */
int	 tunnel_input(struct tunnel *, enum tunnel_input, const void *arg,
	    uint64_t now);

const char *tunnel_state_name(enum tunnel_state);
const char *tunnel_input_name(enum tunnel_input);

/* Timing (SPEC §5, §11); see docs/tunnel-states.md. */
#define TUNNEL_REACH_EVERY_MS	250	/* the underlay watched this often
					 * (by the supervisor: reachhub.h) */
#define TUNNEL_REASK_MS		5000	/* during an outage a worker asks
					 * again only this often: the watch
					 * goes on without it; a broken
					 * server end looks at its counters
					 * this often (a probe ends it) */
#define TUNNEL_RESUME_WAIT_MS	500	/* and two round trips: the ACK of a
					 * retransmission the kernel was told
					 * to make now */

#define TUNNEL_END_WAIT_MS	1200	/* the server answers within 1 s
					 * (requests.c: SIGKILL at 0.5 s,
					 * gives up at 1 s); longer, and a
					 * dead peer channel delays repairs */
#define TUNNEL_RESTART_GRACE_MS	5000	/* a new session gets this long */
#define TUNNEL_LOCK_WAIT_MS	1000	/* old server session ending */
#define TUNNEL_START_SETTLE_MS	300	/* a new client takes its title */
#define TUNNEL_SLEEP_PATIENCE_MS 100	/* a sleeping client is nudged */
#define TUNNEL_CONNECT_REACH_MS	1000	/* connecting longer: watch */
#define TUNNEL_PEER_ASK_MS	5000	/* re-ask "probe" at most this often */
#define TUNNEL_FLAP_WINDOW_MS	60000	/* a restart this recent, and ... */
#define TUNNEL_UNHEARD_PROBES	3	/* of ours unechoed: we are not heard */
#define TUNNEL_NUDGE_EVERY_MS	2000	/* unheard: tell the kernel at most */
#define TUNNEL_NUDGE_QUIET_MS	500	/* at the mark, no ACK for this long:
					 * the server is watched; unheard,
					 * the next retransmission this far
					 * away: the kernel is told */
#define TUNNEL_FAR_RETRY_MS	3000	/* the far end's retransmission, after
					 * a down period of a few seconds */
#define TUNNEL_DETECT_SLACK_MS	500	/* after a retransmission: its ACK,
					 * at most (100 ms + 2 round trips) */
#define TUNNEL_ACK_SLACK_MIN_MS	100
#define TUNNEL_DEEP_RTO		5	/* fewer RTOs in a row than this: the
					 * underlay flaps; vtund's own
					 * retransmission is waited for */

#endif
