#!/usr/bin/env bash
# Fault survival (issue 9): whatever happens to vtundfix's own world — its
# processes killed, its log disk full, its data file corrupt, a broken
# configuration, a peer or mailer that hangs, a storm of signals — it keeps
# checking and repairing, and loses nothing.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/lab/lab.sh
. tests/lab/lab-vtundfix.sh
. tests/lab/tap.sh
log_has() { grep -qE -- "$2" "$(labfix_log "$1")"; }
# repaired NAME: delete the client's br0; traffic must come back.
repaired() {
	lab_in cli ip link del br0 2>/dev/null
	if lab_wait_traffic 0 10 >/dev/null; then ok "$1"
	else not_ok "$1"; sed 's/^/#   cli: /' "$(labfix_log cli)" | tail -20; fi
}

lab_init survive
full=""
trap '[ -n "$full" ] && umount -l "$full" 2>/dev/null; lab_destroy' EXIT
lab_create 2 || exit 1
cat >"$LAB_DIR/hang-mail" <<'SH'
#!/bin/sh
sleep 1000
SH
chmod +x "$LAB_DIR/hang-mail"
labfix_write_conf srv
labfix_write_conf cli EMAIL noc@example.net
labfix_start srv && labfix_start cli
lab_wait_traffic 0 10 >/dev/null

# One instance per configuration.
out=$(labfix_start cli 2>&1); rc=$?
if [ "$rc" -eq 1 ] && grep -q "already running (pid $(labfix_pid cli))" <<<"$out"; then
	ok "survival/second-instance-refused"
else
	not_ok "survival/second-instance-refused: rc $rc: $out"
fi

# A worker killed again and again: respawned with back-off, logged; the
# other tap's worker and traffic are untouched.
other=$(lab_pids cli 'vtundfix: worker tap1')
for _ in 1 2 3 4 5; do
	# shellcheck disable=SC2046
	kill -KILL $(lab_pids cli 'vtundfix: worker tap0') 2>/dev/null
	sleep 0.3
done
sleep 2
if [ -n "$(lab_pids cli 'vtundfix: worker tap0')" ] &&
    log_has cli 'worker tap0 killed by signal 9 .*restarting it in' &&
    [ "$(lab_pids cli 'vtundfix: worker tap1')" = "$other" ] &&
    lab_wait_traffic 1 2 >/dev/null; then
	ok "survival/worker-crash-loop: respawned with back-off, tap1 untouched"
else
	not_ok "survival/worker-crash-loop"; sed 's/^/#   /' "$(labfix_log cli)" | tail
fi

# A corrupt data file (found when the daemon starts: while it runs, the
# daemon owns the file and switches change through its control socket):
# reported, safe defaults (every switch on), rebuilt.
labfix_stop cli
printf 'switch bridge off\n\001\002garbage\377\n' >"$(labfix_dir cli)/data_tap0"
labfix_start cli
sleep 1
if log_has cli 'data_tap0:2: unreadable line, using defaults'; then
	ok "survival/corrupt-data-file-reported"
else
	not_ok "survival/corrupt-data-file-reported"
fi
repaired "survival/corrupt-data-file-still-checking"

# A data file deleted while the daemon runs: a switch set afterwards (which
# writes a new file) still takes effect, and on again repairs.
rm -f "$(labfix_dir cli)/data_tap0"
sleep 0.3
labfix_cmd cli off tap0 local bridge >/dev/null
sleep 0.5
lab_in cli ip link del br0
sleep 2
if ! lab_in cli ip link show br0 >/dev/null 2>&1 &&
    log_has cli 'switch bridge turned off'; then
	ok "survival/data-file-deleted-switch-seen"
else
	not_ok "survival/data-file-deleted-switch-seen"
	sed 's/^/#   cli: /' "$(labfix_log cli)" | tail
fi
labfix_cmd cli on tap0 local bridge >/dev/null
if lab_wait_traffic 0 10 >/dev/null; then ok "survival/data-file-deleted-switch-on"
else not_ok "survival/data-file-deleted-switch-on"; fi

# SIGHUP with a broken configuration: error logged, old one kept.
cp "$(labfix_conf cli)" "$LAB_DIR/good.conf"
echo "BOGUS_KEY 1" >>"$(labfix_conf cli)"
workers=$(lab_pids cli 'vtundfix: worker' | sort)
kill -HUP "$(labfix_pid cli)"
sleep 1
if log_has cli 'BOGUS_KEY.*keeping the running configuration' &&
    [ "$(lab_pids cli 'vtundfix: worker' | sort)" = "$workers" ]; then
	ok "survival/sighup-broken-config-kept"
else
	not_ok "survival/sighup-broken-config-kept"
fi
cp "$LAB_DIR/good.conf" "$(labfix_conf cli)"
repaired "survival/after-broken-config-still-repairing"

# 1000 SIGHUPs in a row (the same configuration: logs reopened only).
pid=$(labfix_pid cli)
for _ in $(seq 1000); do kill -HUP "$pid"; done
sleep 1
if kill -0 "$pid" 2>/dev/null &&
    [ "$(lab_pids cli 'vtundfix: worker' | sort)" = "$workers" ]; then
	ok "survival/1000-sighups"
else
	not_ok "survival/1000-sighups"
fi
repaired "survival/after-sighups-still-repairing"

# The log's disk is full: checking goes on.
labfix_stop cli
full=$LAB_DIR/full
mkdir -p "$full"
mount -t tmpfs -o size=64k tmpfs "$full"
dd if=/dev/zero of="$full/filler" bs=1k count=64 2>/dev/null
labfix_write_conf cli LOG_FILE "$full/vtundfix.log" EMAIL noc@example.net \
    MAIL_COMMAND "$LAB_DIR/hang-mail"
labfix_start cli
sleep 1
lab_in cli ip link del br0
if lab_wait_traffic 0 10 >/dev/null; then
	ok "survival/log-disk-full-still-repairing"
else
	not_ok "survival/log-disk-full-still-repairing"
fi

# A mailer that hangs is killed after its timeout; checking never waits.
lab_wait_traffic 0 10 >/dev/null
lab_in cli ip link set tap0 down		# a tap repair is mailed
lab_wait_traffic 0 15 >/dev/null
sleep 0.5
if [ -n "$(pgrep -f "$LAB_DIR/hang-mail")" ]; then
	repaired "survival/mailer-hanging-still-repairing"
	sleep 33
	if [ -z "$(pgrep -f "$LAB_DIR/hang-mail")" ]; then
		ok "survival/hanging-mailer-killed"
	else
		not_ok "survival/hanging-mailer-killed"
	fi
else
	not_ok "survival/mailer-started"
fi
labfix_stop cli
umount -l "$full"; full=""

# A peer that answers the handshake and then hangs: requests time out.
cat >"$LAB_DIR/hang-peer" <<'SH'
#!/bin/sh
read -r hello
echo "ok vtundfix-peer 1 server"
sleep 1000
SH
chmod +x "$LAB_DIR/hang-peer"
labfix_write_conf cli PEER_COMMAND "$LAB_DIR/hang-peer"
t0=$(date +%s)
out=$(labfix_cmd cli off tap0 remote bridge 2>&1); rc=$?
t1=$(date +%s)
if [ "$rc" -eq 1 ] && grep -q 'no reply within 5 s' <<<"$out" && [ $((t1 - t0)) -le 8 ]; then
	ok "survival/peer-hangs-request-times-out ($((t1 - t0)) s)"
else
	not_ok "survival/peer-hangs-request-times-out: rc $rc, $((t1 - t0)) s"; sed 's/^/#   /' <<<"$out"
fi
labfix_start cli
sleep 7
if log_has cli 'peer .*: no reply within 5 s; retrying'; then
	ok "survival/worker-peer-timeout-logged"
else
	not_ok "survival/worker-peer-timeout-logged"
fi
repaired "survival/peer-hanging-still-repairing"

# The supervisor killed: workers exit; a restart picks up the switches.
labfix_cmd cli off tap0 local bridge >/dev/null
kill -KILL "$(labfix_pid cli)"
sleep 1.5
if [ -z "$(lab_pids cli 'vtundfix: worker')" ]; then
	ok "survival/supervisor-killed-workers-exit"
else
	not_ok "survival/supervisor-killed-workers-exit"
fi
labfix_start cli
sleep 1
lab_in cli ip link del br0
sleep 2
if ! lab_in cli ip link show br0 >/dev/null 2>&1; then
	ok "survival/restart-keeps-switches"
else
	not_ok "survival/restart-keeps-switches"
fi
labfix_cmd cli on tap0 local bridge >/dev/null
lab_wait_traffic 0 10 >/dev/null || not_ok "survival/switch-back-on"
labfix_stop cli
labfix_stop srv
[ "$failures" -eq 0 ]
