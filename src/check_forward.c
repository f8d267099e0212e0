/*
 * check 6 (both ends): the bridge forwards between the uplink and the tap.
 *
 * The seed's counter rule, without its mistakes: an idle link is not
 * broken, and the in-tunnel probes are not LAN frames (a bridge never
 * forwards them, so the peer's probes arriving on the tap would look like
 * frames that never leave, and ours sent into it like frames that did).
 * Broken means that over one check period many frames entered the bridge
 * on one port and not a single frame left through the other (broadcasts
 * alone would have crossed).  The repair puts the silent port back on the
 * bridge.  Samples are taken at most every half DELAY_BETWEENCHECK, so the
 * rounds that events trigger do not shorten the window; a recreated tap
 * (counters from zero) starts a new window.
 */
#include <stdio.h>

#include "tapcheck.h"
#include "datapath.h"
#include "event.h"
#include "links.h"
#include "log.h"

#define FORWARD_MIN_FRAMES	100
#define LINK_SETTLE_MS		50

struct sample {
	struct counters	 up, tap;
	uint64_t	 probes_rx, probes_tx;
	int		 tap_ifindex;
};

static int
take(struct tapcheck *tc, struct sample *s)
{
	struct link_info a, b;

	if (links_get(tc->links, tc->tap->uplink, &a) != 0 ||
	    links_get(tc->links, tc->tap->tap, &b) != 0)
		return -1;
	s->up.rx_packets = a.rx_packets;
	s->up.tx_packets = a.tx_packets;
	s->tap.rx_packets = b.rx_packets;
	s->tap.tx_packets = b.tx_packets;
	s->tap_ifindex = b.ifindex;
	datapath_probe_frames(&s->probes_rx, &s->probes_tx);
	return 0;
}

/* NEW - OLD, or 0 when the counter went back (a new device). */
static uint64_t
delta(uint64_t now, uint64_t then)
{
	return now >= then ? now - then : 0;
}

/* The port that frames do not leave by, or NULL if the bridge forwards. */
static const char *
silent_port(struct tapcheck *tc, const struct sample *s)
{
	uint64_t probes_in = delta(s->probes_rx, tc->fwd.probes_rx);
	uint64_t probes_out = delta(s->probes_tx, tc->fwd.probes_tx);
	uint64_t up_in = delta(s->up.rx_packets, tc->fwd.uplink.rx_packets);
	uint64_t up_out = delta(s->up.tx_packets, tc->fwd.uplink.tx_packets);
	uint64_t tap_in = delta(delta(s->tap.rx_packets,
	    tc->fwd.tap.rx_packets), probes_in);
	uint64_t tap_out = delta(delta(s->tap.tx_packets,
	    tc->fwd.tap.tx_packets), probes_out);

	if (up_in >= FORWARD_MIN_FRAMES && tap_out == 0)
		return tc->tap->tap;
	if (tap_in >= FORWARD_MIN_FRAMES && up_out == 0)
		return tc->tap->uplink;
	return NULL;
}

enum check_result
check_forward(struct tapcheck *tc)
{
	struct sample s;
	const char *port;
	char fault[160], action[100];
	uint64_t now = ev_now_ms();
	int err;

	if (tc->fwd.sampled != 0 &&
	    now - tc->fwd.sampled < tc->conf->delay_betweencheck * 500ULL)
		return CR_OK;
	if (take(tc, &s) == -1) {
		tc->fwd.sampled = 0;
		return CR_OK;
	}
	port = tc->fwd.sampled && s.tap_ifindex == tc->fwd.tap_ifindex ?
	    silent_port(tc, &s) : NULL;
	tc->fwd.uplink = s.up;
	tc->fwd.tap = s.tap;
	tc->fwd.probes_rx = s.probes_rx;
	tc->fwd.probes_tx = s.probes_tx;
	tc->fwd.tap_ifindex = s.tap_ifindex;
	tc->fwd.sampled = now;
	if (port == NULL)
		return CR_OK;
	snprintf(fault, sizeof(fault), "%s does not forward: frames enter and "
	    "none leave through %s", tc->tap->bridge, port);
	if (!repair_allowed(tc, CHK_FORWARD)) {
		check_fault(tc, CHK_FORWARD, fault);
		return CR_FAULT;
	}
	err = links_release(tc->links, port);
	if (err == 0)
		err = links_set_master(tc->links, port, tc->tap->bridge);
	snprintf(action, sizeof(action), "put %s back on %s%s%s", port,
	    tc->tap->bridge, err ? ": " : "", err ? links_strerror(err) : "");
	repair_done(tc, CHK_FORWARD, fault, action, err == 0, LINK_SETTLE_MS);
	return CR_REPAIRED;
}
