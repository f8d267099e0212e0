#!/usr/bin/env bash
# A hub (issue 15): 100 taps on one host pair.  Past 63 descriptors the old
# event loop stopped watching workers; here a killed worker of tap 80 is
# respawned, every tunnel still repairs after a fault on all of them at
# once, SIGTERM stops everything within a few seconds, and a storm of
# SIGHUPs with changing configurations (one worker stopped meanwhile)
# leaves exactly one worker per tap and no memory error (the daemon under
# test is built with ASan+UBSan and runs in the foreground, its stderr
# kept).  Timing goals live in bench/ (--scale); bounds here are generous.
#
# Lab shortcut: both ends on one machine, the peer channel through
# `ip netns exec` as root (tests/lab/test_trust.sh runs the real one).
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/lab/lab.sh
. tests/lab/lab-vtundfix.sh
. tests/lab/tap.sh
N=${HUB_TAPS:-100}

workers() {	# SIDE [TAP]: pids of running workers (of TAP)
	lab_pids "$1" "vtundfix: worker ${2:-tap[0-9]+} "
}
count_workers() { workers "$@" | wc -l; }
# wait_for SECONDS COMMAND...: until COMMAND succeeds
wait_for() {
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
# Every tunnel carries LAN traffic: one ping per tunnel, all at once.
all_traffic() {	# SECONDS
	local i pids=() bad=0 t
	for ((i = 0; i < N; i++)); do
		lab_in lanc ping -n -q -c 1 -W "$1" "$(lab_lan_ip srv "$i")" \
		    >/dev/null 2>&1 &
		pids+=($!)
	done
	for t in "${pids[@]}"; do wait "$t" || bad=$((bad + 1)); done
	[ "$bad" -eq 0 ]
}
# A ping per tunnel until all answered, each retried; prints seconds.
all_back() {	# SECONDS
	local t0 end
	t0=$(lab_now_ms)
	end=$((t0 + $1 * 1000))
	while [ "$(lab_now_ms)" -lt "$end" ]; do
		if all_traffic 1; then
			echo $((($(lab_now_ms) - t0) / 1000))
			return 0
		fi
	done
	return 1
}

lab_init hub
lab_create "$N" || { not_ok "hub/lab: $N tunnels did not come up"; exit 1; }
labfix_write_conf srv
labfix_write_conf cli
labfix_start srv || not_ok "hub/start-srv"
# The client end in the foreground: its sanitizer reports are kept.
ip netns exec "$LAB_CLI" "$VTUNDFIX" -n -f "$(labfix_conf cli)" \
    >/dev/null 2>"$LAB_DIR/cli.stderr" &
all_workers() {
	[ "$(count_workers cli)" -eq "$N" ] && [ "$(count_workers srv)" -eq "$N" ]
}
if wait_for 30 all_workers; then
	ok "hub/workers ($N on each end)"
else
	not_ok "hub/workers: $(count_workers cli) and $(count_workers srv), want $N"
fi

# The worker of tap 80 killed: respawned (the supervisor watches all).
old=$(workers cli tap80)
kill -KILL "$old"
respawned() { local p; p=$(workers cli tap80); [ -n "$p" ] && [ "$p" != "$old" ]; }
if wait_for 10 respawned &&
    grep -q 'worker tap80 killed by signal 9' "$(labfix_log cli)"; then
	ok "hub/worker-80-respawned"
else
	not_ok "hub/worker-80-respawned"; tail -5 "$(labfix_log cli)"
fi

# A fault on every tunnel at once: every tap off its bridge, both ends.
if all_back 30 >/dev/null; then ok "hub/all-up"; else not_ok "hub/all-up"; fi

# Steady state: while nothing changes, nothing is written (an idle worker
# once rewrote and fsynced its data file every 10 s).  Every file in
# DATA_DIR keeps its inode and modification time over 15 s; the log,
# which is appended to, is not a data file and is left out.
data_files() {	# SIDE
	find "$(labfix_dir "$1")" -maxdepth 1 -type f -name 'data_*' \
	    -printf '%f %i %T@\n' | sort
}
sleep 3
before=$(data_files srv; data_files cli)
sleep 15
after=$(data_files srv; data_files cli)
if [ -n "$before" ] && [ "$before" = "$after" ]; then
	ok "hub/idle-writes-nothing ($(echo "$before" | wc -l) data files)"
else
	not_ok "hub/idle-writes-nothing"
	diff <(echo "$before") <(echo "$after") | head -10 | sed 's/^/#   /'
fi
for side in srv cli; do
	for ((i = 0; i < N; i++)); do echo "link set tap$i nomaster"; done |
	    lab_in "$side" ip -batch -
done
if secs=$(all_back 60); then
	ok "hub/mass-fault-repaired (all $N back in about ${secs} s)"
else
	not_ok "hub/mass-fault-repaired"
fi

# A storm of SIGHUPs with changing configurations, one worker stopped:
# exactly one worker per tap afterwards, no sanitizer report.
kill -STOP "$(workers cli tap5)"
sup=$(labfix_pid cli)
conf=$(labfix_conf cli)
cp "$conf" "$LAB_DIR/full.conf"
# Ten taps fewer and a global setting changed: every worker is replaced,
# the stopped one too (SIGTERM waits; SIGKILL after 5 s).
grep -v '^tap1[0-9] \|^DELAY_PARENTCHECK' "$LAB_DIR/full.conf" >"$LAB_DIR/less.conf"
echo "DELAY_PARENTCHECK 301" >>"$LAB_DIR/less.conf"
for ((k = 0; k < 20; k++)); do
	if [ $((k % 2)) -eq 0 ]; then cp "$LAB_DIR/less.conf" "$conf"
	else cp "$LAB_DIR/full.conf" "$conf"; fi
	kill -HUP "$sup"
	sleep 0.$((RANDOM % 3))
done
cp "$LAB_DIR/full.conf" "$conf"
kill -HUP "$sup"
one_each() {
	local i
	for ((i = 0; i < N; i++)); do
		[ "$(count_workers cli "tap$i")" -eq 1 ] || return 1
	done
}
if wait_for 30 one_each && kill -0 "$sup" 2>/dev/null; then
	ok "hub/sighup-storm-one-worker-each"
else
	not_ok "hub/sighup-storm-one-worker-each"
	for ((i = 0; i < N; i++)); do
		c=$(count_workers cli "tap$i"); [ "$c" -eq 1 ] || echo "# tap$i: $c workers"
	done
fi
if all_back 60 >/dev/null; then ok "hub/after-storm-all-up"
else not_ok "hub/after-storm-all-up"; fi

# SIGTERM: everything stops within a few seconds.
t0=$(lab_now_ms)
kill -TERM "$sup"
gone() { ! kill -0 "$sup" 2>/dev/null && [ "$(count_workers cli)" -eq 0 ]; }
if wait_for 15 gone; then
	ok "hub/sigterm-stops-all ($(($(lab_now_ms) - t0)) ms)"
else
	not_ok "hub/sigterm-stops-all: $(count_workers cli) workers left"
fi
if grep -q 'Sanitizer' "$LAB_DIR/cli.stderr"; then
	not_ok "hub/no-sanitizer-report"; sed 's/^/#   /' "$LAB_DIR/cli.stderr" | head -40
else
	ok "hub/no-sanitizer-report"
fi
labfix_stop srv
[ "$failures" -eq 0 ]
