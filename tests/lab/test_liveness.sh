#!/usr/bin/env bash
# Data-path liveness with real vtund (SPEC §5, docs/tunnel-states.md):
# probes never reach a LAN; hostile frames change nothing; an idle tunnel
# and a tunnel whose far vtundfix is stopped are never restarted; a black
# hole and a frozen server session are found and repaired; during an
# underlay outage nothing is restarted and the tunnel is back at once when
# the underlay returns; the ordered state changes of a black hole and of an
# outage are the ones the design promises; the seed's counter rule.
#
# Lab shortcut: the peer channel is `ip netns exec ... vtundfix peer` as
# root (USER root), which hides ssh and the unprivileged account; those run
# for real in tests/lab/test_trust.sh.  Timing goals live in bench/; the
# bounds here are generous.
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
		    grep -q "vtund\[c\]: $(lab_session 0) " && echo "$pid"
	done
}
# Restarts of the client, from the log: SIGHUPs and replacements.
restarts() {
	grep -cE 'tunnel: [a-z ]+ -> restarting|tap: no tunnel.*replaced' \
	    "$(labfix_log cli)"
}
# The ordered state changes in a log: "up > suspect > reaching > ...".
trail() {
	sed -n 's/.*tap0: tunnel: \([a-z ]*\) -> \([a-z ]*\): .*/\1>\2/p' "$1" |
	    awk -F'>' 'NR == 1 { printf "%s", $1 } { printf " > %s", $2 }
	    END { print "" }'
}
# expect_trail NAME LOG REGEX: the trail matches REGEX exactly.
expect_trail() {
	local got
	got=$(trail "$2")
	if [[ $got =~ ^$3$ ]]; then
		ok "$1 ($got)"
	else
		not_ok "$1: got \"$got\", want /$3/"; dump_logs
	fi
}
alive() { [ -n "$(labfix_pid "$1")" ] && kill -0 "$(labfix_pid "$1")" 2>/dev/null; }

# start_both [KEY VALUE]...: both daemons afresh with these settings, empty
# logs, and the tunnel carrying traffic; a failure to start is a failure.
start_both() {
	labfix_stop cli; labfix_stop srv
	labfix_write_conf srv "$@"
	labfix_write_conf cli "$@"
	: >"$(labfix_log srv)"; : >"$(labfix_log cli)"
	if ! labfix_start srv || ! labfix_start cli ||
	    ! lab_wait_traffic 0 20 >/dev/null; then
		not_ok "liveness/start: daemons or tunnel did not come up"
		dump_logs
		return 1
	fi
	sleep 1
}

# The underlay drops everything both ways, the peer channel included.
outage_start() {
	lab_in srv nft -f - <<-NFT
	table inet vfxout {
		chain input { type filter hook input priority -10;
			iifname "u0" drop; }
		chain output { type filter hook output priority -10;
			oifname "u0" drop; }
	}
	NFT
}
outage_stop() { lab_in srv nft delete table inet vfxout 2>/dev/null; return 0; }

lab_init live
lab_create 1 || exit 1
start_both EMAIL noc@example.net || exit 1

# Probes flow, and a capture on both LAN hosts sees none of them.
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

# Hostile frames into the tunnel: the injection must really happen; then
# nothing restarts, the workers live and traffic flows.
: >"$(labfix_log srv)"; : >"$(labfix_log cli)"
before=$(client_pid)
if ! lab_in cli build/san/tool_inject tap0 "$(lab_session 0)" >/dev/null; then
	not_ok "liveness/hostile-frames: tool_inject could not send"
fi
sleep 4
if [ -n "$before" ] && [ "$(client_pid)" = "$before" ] &&
    [ "$(restarts)" -eq 0 ] && alive srv && alive cli &&
    ! grep -q 'worker.*exited\|respawn' "$(labfix_log srv)" &&
    lab_wait_traffic 0 2 >/dev/null; then
	ok "liveness/hostile-frames-ignored"
else
	not_ok "liveness/hostile-frames-ignored"; dump_logs
fi

# A black hole: both vtund processes stay up, no data flows.  The client
# finds TCP owing data with nothing acknowledged, asks whether the server
# answers (it does: only the session's flow is dropped), asks it to end its
# session, then SIGHUP; the server goes broken and never restarts.
: >"$(labfix_log cli)"; : >"$(labfix_log srv)"
lab_black_hole || not_ok "liveness/black-hole: no tunnel flow found"
t0=$(lab_now_ms)
sleep 0.5
if lab_wait_traffic 0 20 >/dev/null; then
	echo "# black hole: traffic back after $(($(lab_now_ms) - t0)) ms"
	expect_trail liveness/black-hole-client "$(labfix_log cli)" \
	    "up( > suspect)? > reaching > dead > ending > restarting > up"
	expect_trail liveness/black-hole-server "$(labfix_log srv)" \
	    "up( > suspect)?( > broken)? > no session > up"
	if grep -q 'the client asked to end the server session.*1 ended' \
	    "$(labfix_log srv)"; then
		ok "liveness/black-hole-server-session-ended"
	else
		not_ok "liveness/black-hole-server-session-ended"; dump_logs
	fi
else
	not_ok "liveness/black-hole-restored"; dump_logs
fi
lab_black_hole_clear

# A frozen server session (SIGSTOP): ACKs may come (zero window), nothing
# is acknowledged; a stopped session ignores SIGTERM: the server kills it.
: >"$(labfix_log cli)"; : >"$(labfix_log srv)"
sleep 1
for pid in $(ip netns pids "$LAB_SRV"); do
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "vtund\[s\]: $(lab_session 0) ether" &&
	    kill -STOP "$pid" && frozen=$pid
done
t0=$(lab_now_ms)
sleep 0.5
if [ -n "${frozen:-}" ] && lab_wait_traffic 0 30 >/dev/null; then
	echo "# frozen server session: traffic back after $(($(lab_now_ms) - t0)) ms"
	if grep -q 'the client asked to end the server session.*SIGKILL' \
	    "$(labfix_log srv)"; then
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

# An underlay outage (everything dropped, the peer channel too): nothing is
# restarted while it lasts, nothing more is sent into the session; when it
# returns the client's kernel is told the path is back (RFC 6069) and the
# old session resumes, no restart.  (The drop is on the server's own
# hooks, so its capture never sees its retransmissions and it waits for
# its own timer; test_hostile drops on the wire and has both ends resume.)
# Fresh daemons, so that the outage's mail is not held behind the
# restarts'.
start_both EMAIL noc@example.net || exit 1
: >"$LAB_DIR/mail-cli.out"
: >"$(labfix_log cli)"; : >"$(labfix_log srv)"
before=$(client_pid)
outage_start
sleep 12
during=$(client_pid)
mid=$(trail "$(labfix_log cli)")
outage_stop
t0=$(lab_now_ms)
if lab_wait_traffic 0 20 >/dev/null; then
	echo "# outage of 12 s: traffic back $(($(lab_now_ms) - t0)) ms after the return"
	if [ -n "$before" ] && [ "$during" = "$before" ] &&
	    [[ $mid =~ ^up(\ \>\ suspect)?\ \>\ reaching\ \>\ outage$ ]]; then
		ok "liveness/outage-holds ($mid)"
	else
		not_ok "liveness/outage-holds: client $before -> $during, trail \"$mid\""
		dump_logs
	fi
	expect_trail liveness/outage-client "$(labfix_log cli)" \
	    "up( > suspect)? > reaching > outage > resuming > up"
	if [ "$(client_pid)" = "$before" ]; then ok "liveness/outage-same-client"
	else not_ok "liveness/outage-same-client: $before -> $(client_pid)"; fi
	if grep -q 'underlay outage of' "$LAB_DIR/mail-cli.out"; then
		ok "liveness/outage-mailed"
	else
		not_ok "liveness/outage-mailed"
	fi
else
	not_ok "liveness/outage-recovered"; dump_logs
fi
outage_stop

# An idle healthy tunnel, fast probes: 20+ detection times, no restart.
start_both PROBE_INTERVAL_MS 100 || exit 1
before=$(client_pid)
sleep 8		# 26 detection times of 300 ms, no LAN traffic at all
if [ -n "$before" ] && [ "$(client_pid)" = "$before" ] &&
    [ "$(restarts)" -eq 0 ] && alive srv && alive cli &&
    labfix_cmd cli status | grep -q 'tunnel: *up'; then
	ok "liveness/idle-probe-no-restart"
else
	not_ok "liveness/idle-probe-no-restart"; dump_logs
fi

# The far end's vtundfix stopped: no probes at all, but vtund there still
# acknowledges ours: no evidence of death, no restart.
labfix_stop srv
: >"$(labfix_log cli)"
sleep 10	# 33 detection times
if [ -n "$before" ] && [ "$(client_pid)" = "$before" ] &&
    [ "$(restarts)" -eq 0 ] && alive cli && lab_wait_traffic 0 2 >/dev/null &&
    ! grep -q -- '-> reaching' "$(labfix_log cli)"; then
	ok "liveness/far-end-stopped-no-restart"
else
	not_ok "liveness/far-end-stopped-no-restart"; dump_logs
fi

# The seed's counter rule (LIVENESS counters): idle is not dead, a black
# hole is found within two checks.
start_both LIVENESS counters DELAY_BETWEENCHECK 2 || exit 1
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
    grep -q 'tunnel: up -> reaching: the tap counters did not move' \
    "$(labfix_log cli)"; then
	ok "liveness/counters-black-hole-restored"
else
	not_ok "liveness/counters-black-hole-restored"; dump_logs
fi
[ "$failures" -eq 0 ]
