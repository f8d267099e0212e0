#!/usr/bin/env bash
# Data-path liveness with real vtund (issue 6, and the counter rule of
# issue 5): a black-holed tunnel is found and restored; an idle healthy
# tunnel is never restarted; probes never reach a LAN; a frozen server
# session is recovered from; hostile frames on the tap change nothing.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/lab/lab.sh
. tests/lab/lab-vtundfix.sh
. tests/lab/tap.sh
dump_logs() {
	sed 's/^/#   srv: /' "$(labfix_log srv)"
	sed 's/^/#   cli: /' "$(labfix_log cli)"
}
client_pid() {
	local pid
	for pid in $(ip netns pids "$LAB_CLI"); do
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
		    grep -q "vtund\[c\]: $(lab_session 0) ether" && echo "$pid"
	done
}
restarts() { grep -c 'tunnel: no data flows' "$(labfix_log cli)"; }

# start_both [KEY VALUE]...: both daemons afresh with these settings, empty
# logs, and the tunnel carrying traffic.
start_both() {
	labfix_write_conf srv "$@"
	labfix_write_conf cli "$@"
	: >"$(labfix_log srv)"; : >"$(labfix_log cli)"
	labfix_start srv
	labfix_start cli
	lab_wait_traffic 0 20 >/dev/null
	sleep 1
}

lab_init live
lab_create 1 || exit 1
labfix_write_conf srv EMAIL noc@example.net
labfix_write_conf cli EMAIL noc@example.net
labfix_start srv
labfix_start cli
sleep 2

# (c) Probes flow, and a capture on both LAN hosts sees none of them.
for h in lans lanc; do
	lab_in "$h" timeout 4 tcpdump -l -n -e -i l0 \
	    'ether proto 0x88b5 or ether dst 01:80:c2:00:00:0e' \
	    >"$LAB_DIR/cap-$h" 2>/dev/null &
done
lab_in srv timeout 4 tcpdump -l -n -e -i tap0 'ether proto 0x88b5' \
    >"$LAB_DIR/cap-tap" 2>/dev/null &
wait
n_tap=$(grep -c ethertype "$LAB_DIR/cap-tap")
n_lan=$(cat "$LAB_DIR/cap-lans" "$LAB_DIR/cap-lanc" | grep -c ethertype)
if [ "$n_tap" -ge 4 ] && [ "$n_lan" -eq 0 ]; then
	ok "liveness/probes-stay-in-tunnel ($n_tap probes on tap0, $n_lan on the LANs)"
else
	not_ok "liveness/probes-stay-in-tunnel ($n_tap on tap0, $n_lan on the LANs)"
	sed 's/^/#   lan: /' "$LAB_DIR/cap-lans" "$LAB_DIR/cap-lanc"
fi

# (e) Hostile frames into the tunnel: nothing restarts, the worker lives.
: >"$(labfix_log srv)"; : >"$(labfix_log cli)"
before=$(client_pid)
lab_in cli build/san/tool_inject tap0 "$(lab_session 0)" >/dev/null
sleep 4
if [ "$(client_pid)" = "$before" ] && [ "$(restarts)" -eq 0 ] &&
    ! grep -q 'worker.*exited\|respawn' "$(labfix_log srv)" &&
    lab_wait_traffic 0 2 >/dev/null; then
	ok "liveness/hostile-frames-ignored"
else
	not_ok "liveness/hostile-frames-ignored"; dump_logs
fi

# (a) Black hole: both vtund processes stay up, no data flows.
: >"$(labfix_log cli)"
lab_black_hole || not_ok "liveness/black-hole: no tunnel flow found"
t0=$(lab_now_ms)
sleep 0.5
if lab_wait_traffic 0 20 >/dev/null; then
	echo "# black hole: traffic back after $(($(lab_now_ms) - t0)) ms"
	# The server is asked to end its session first (no killold wait).
	if grep -q 'tunnel: no data flows.*while the peer probes.; asked the server to end its session: ok' \
	    "$(labfix_log cli)" &&
	    grep -q 'tunnel: the server ended its session; sent SIGHUP' \
	    "$(labfix_log cli)"; then
		ok "liveness/black-hole-restored"
	else
		not_ok "liveness/black-hole-restored: not by vtundfix"; dump_logs
	fi
else
	not_ok "liveness/black-hole-restored"; dump_logs
fi
lab_black_hole_clear

# (d) A frozen server session (SIGSTOP).
: >"$(labfix_log cli)"
sleep 1
for pid in $(ip netns pids "$LAB_SRV"); do
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "vtund\[s\]: $(lab_session 0) ether" &&
	    kill -STOP "$pid" && frozen=$pid
done
t0=$(lab_now_ms)
sleep 0.5
if lab_wait_traffic 0 30 >/dev/null; then
	echo "# frozen server session: traffic back after $(($(lab_now_ms) - t0)) ms"
	[ -n "${VERBOSE:-}" ] && dump_logs
	# A stopped session ignores SIGTERM: the server kills it.
	if grep -q 'asked the server to end its session: ok' "$(labfix_log cli)"; then
		ok "liveness/frozen-server-session"
	else
		not_ok "liveness/frozen-server-session: old session not ended"
		dump_logs
	fi
else
	not_ok "liveness/frozen-server-session"; dump_logs
fi
kill -CONT "${frozen:-0}" 2>/dev/null

# Mail: the first restart is mailed at once, the next ones within the hold
# time are coalesced (one mail later, with a count), never one per restart.
mails=$(grep -c '^Subject: vtundfix: tap0' "$LAB_DIR/mail-cli.out" 2>/dev/null)
if [ "${mails:-0}" -eq 1 ] && grep -q '^To: noc@example.net' "$LAB_DIR/mail-cli.out"; then
	ok "liveness/mail-once-for-several-restarts"
else
	not_ok "liveness/mail-once-for-several-restarts (${mails:-0} mails)"
	sed 's/^/#   mail: /' "$LAB_DIR/mail-cli.out" 2>/dev/null
fi
labfix_stop cli
labfix_stop srv

# (b) An idle healthy tunnel, fast probes: 20+ probe timeouts, no restart.
start_both PROBE_INTERVAL_MS 100
before=$(client_pid)
sleep 8		# 26 timeouts of 300 ms, no LAN traffic at all
if [ -n "$before" ] && [ "$(client_pid)" = "$before" ] && [ "$(restarts)" -eq 0 ]; then
	ok "liveness/idle-probe-no-restart"
else
	not_ok "liveness/idle-probe-no-restart"; dump_logs
fi
labfix_stop cli
labfix_stop srv

# The seed's counter rule (LIVENESS counters): idle is not dead, a black
# hole is found within two checks.
start_both LIVENESS counters DELAY_BETWEENCHECK 2
before=$(client_pid)
sleep 10	# five checks, no LAN traffic
if [ -n "$before" ] && [ "$(client_pid)" = "$before" ] && [ "$(restarts)" -eq 0 ]; then
	ok "liveness/idle-counters-no-restart"
else
	not_ok "liveness/idle-counters-no-restart"; dump_logs
fi
lab_black_hole || not_ok "liveness/counters-black-hole: no tunnel flow found"
sleep 0.5
if lab_wait_traffic 0 30 >/dev/null &&
    grep -q 'tunnel: no data flows.*counters did not move' "$(labfix_log cli)"; then
	ok "liveness/counters-black-hole-restored"
else
	not_ok "liveness/counters-black-hole-restored"; dump_logs
fi
[ "$failures" -eq 0 ]
