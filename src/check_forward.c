/*
 * check 6 (both ends): the bridge forwards between the uplink and the tap.
 *
 * The seed's counter rule, without its mistake: an idle link is not broken.
 * Broken means that over one check period many frames entered the bridge on
 * one port and not a single frame left through the other (broadcasts alone
 * would have crossed).  The repair puts the silent port back on the bridge.
 * Samples are taken at most every half DELAY_BETWEENCHECK, so the rounds
 * that events trigger do not shorten the window.
 */
#include <stdio.h>

#include "checks.h"
#include "event.h"
#include "links.h"
#include "log.h"

#define FORWARD_MIN_FRAMES	100
#define LINK_SETTLE_MS		50

static int
sample(struct tapcheck *tc, struct counters *up, struct counters *tap)
{
	struct link_info a, b;

	if (links_get(tc->links, tc->tap->uplink, &a) != 0 ||
	    links_get(tc->links, tc->tap->tap, &b) != 0)
		return -1;
	up->rx_packets = a.rx_packets;
	up->tx_packets = a.tx_packets;
	tap->rx_packets = b.rx_packets;
	tap->tx_packets = b.tx_packets;
	return 0;
}

/* The port that frames do not leave by, or NULL if the bridge forwards. */
static const char *
silent_port(struct tapcheck *tc, const struct counters *up,
    const struct counters *tap)
{
	uint64_t up_in = up->rx_packets - tc->fwd_uplink.rx_packets;
	uint64_t up_out = up->tx_packets - tc->fwd_uplink.tx_packets;
	uint64_t tap_in = tap->rx_packets - tc->fwd_tap.rx_packets;
	uint64_t tap_out = tap->tx_packets - tc->fwd_tap.tx_packets;

	if (up_in >= FORWARD_MIN_FRAMES && tap_out == 0)
		return tc->tap->tap;
	if (tap_in >= FORWARD_MIN_FRAMES && up_out == 0)
		return tc->tap->uplink;
	return NULL;
}

enum check_result
check_forward(struct tapcheck *tc)
{
	struct counters up, tap;
	const char *port;
	char fault[160], action[100];
	uint64_t now = ev_now_ms();
	int err;

	if (tc->fwd_sampled != 0 &&
	    now - tc->fwd_sampled < tc->conf->delay_betweencheck * 500ULL)
		return CR_OK;
	if (sample(tc, &up, &tap) == -1) {
		tc->fwd_sampled = 0;
		return CR_OK;
	}
	port = tc->fwd_sampled ? silent_port(tc, &up, &tap) : NULL;
	tc->fwd_uplink = up;
	tc->fwd_tap = tap;
	tc->fwd_sampled = now;
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
