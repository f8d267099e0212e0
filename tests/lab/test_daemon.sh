#!/usr/bin/env bash
# The daemon against a real vtund tunnel in a two-host lab (issue 4).
#
# vtundfix runs on both ends with DELAY_BETWEENCHECK 300: every repair
# below must come from an event (link change, vtund exit), not from the
# periodic round.  Each fault is injected, then LAN-to-LAN traffic must work
# again within BOUND seconds and the log must name the fault and the repair.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/lab/lab.sh
. tests/lab/lab-vtundfix.sh

BOUND=15
. tests/lab/tap.sh


lab_init daemon
lab_create 1 --no-vtund || exit 1
labfix_write_conf srv
labfix_write_conf cli

# wait_traffic NAME: LAN-to-LAN traffic back within BOUND, else not ok.
wait_traffic() {
	local t0 t1
	t0=$(lab_now_ms)
	if lab_wait_traffic 0 "$BOUND" >/dev/null; then
		t1=$(lab_now_ms)
		echo "# $1: traffic back after $((t1 - t0)) ms"
		return 0
	fi
	echo "# $1: no traffic after ${BOUND} s"
	return 1
}

# logged SIDE PATTERN: the log of SIDE (srv, cli or both) matches PATTERN.
logged() {
	if [ "$1" = both ]; then
		grep -qE -- "$2" "$(labfix_log srv)" "$(labfix_log cli)"
	else
		grep -qE -- "$2" "$(labfix_log "$1")"
	fi
}

# fault NAME SIDE LOG-PATTERN COMMAND...: inject, expect repair.
fault() {
	local name=$1 side=$2 pattern=$3
	shift 3
	: >"$(labfix_log srv)"
	: >"$(labfix_log cli)"
	"$@"
	if wait_traffic "$name" && logged "$side" "$pattern"; then
		ok "daemon/$name"
	else
		not_ok "daemon/$name"
		echo "# logs:"; sed 's/^/#   /' "$(labfix_log srv)" "$(labfix_log cli)"
	fi
}

start_daemons() {
	labfix_start srv && labfix_start cli
}

# --- bring-up: vtundfix alone starts the listener and the client and
# bridges the taps.
if start_daemons && wait_traffic bring-up; then
	ok "daemon/bring-up: vtundfix starts listener, client and bridges taps"
else
	not_ok "daemon/bring-up"
	sed 's/^/#   /' "$(labfix_log srv)" "$(labfix_log cli)"
	exit 1
fi

S=$(lab_session 0)
fault client-killed cli "tunnel: starting -> no session: vtund client started once the server's old session had ended" \
    lab_in cli pkill -KILL -f "vtund\[c\]: $S "
# SIGTERM: the client ends its session cleanly and runs its down block.
fault client-terminated cli "tunnel: .* -> .*" \
    lab_in cli pkill -TERM -f "vtund\[c\]: $S "
fault listener-killed srv "listener: no vtund listener" \
    sh -c "kill -KILL $(lab_pids srv 'waiting for connections' | tr '\n' ' ') 2>/dev/null; \
           kill -KILL $(lab_pids srv "vtund\[s\]: $S " | tr '\n' ' ') 2>/dev/null"
fault bridge-deleted-cli cli "bridge: br0 does not exist" \
    lab_in cli ip link del br0
fault bridge-deleted-srv srv "bridge: br0 does not exist" \
    lab_in srv ip link del br0
fault bridge-down cli "bridge: br0 is down" \
    lab_in cli ip link set br0 down
fault tap-off-bridge srv "bridge: tap0 not on br0" \
    lab_in srv ip link set tap0 nomaster
fault uplink-down cli "uplink: up0 is down" \
    lab_in cli ip link set up0 down
# A down tap ends vtund's session at once (tun returns EIO), and which
# comes first, the repair or the end of the session, is a race: either the
# tap is brought up, or the client is restarted.
fault tap-down cli "tap: (tap0 is down|no tunnel)" \
    lab_in cli ip link set tap0 down
fault tap-down-srv both "tap: (tap0 is down|no tunnel)" \
    lab_in srv ip link set tap0 down

# Duplicate client: two clients fight under killold; one must be killed.
: >"$(labfix_log cli)"
lab_in cli /usr/sbin/vtund -f "$LAB_VTUND_CLI_CONF" "$S" "$LAB_SERVER_IP"
sleep 1
n=$(lab_pids cli "vtund\[c\]: $S " | wc -l)
if [ "$n" -eq 1 ] && logged cli "client: 2 vtund clients" && wait_traffic duplicate; then
	ok "daemon/duplicate-client: one client left ($n)"
else
	not_ok "daemon/duplicate-client: $n clients"
fi

# Uplink deleted (a plain veth cannot be recreated): reported; when it is
# back, it is bridged again at once.
: >"$(labfix_log cli)"
lab_in cli ip link del up0
sleep 0.5
if logged cli "uplink: up0 does not exist"; then
	ok "daemon/uplink-deleted: reported"
else
	not_ok "daemon/uplink-deleted: reported"
fi
fault uplink-recreated cli "bridge: up0 not on br0" \
    lab_recreate_uplink cli 0

# A switch off keeps a fault unrepaired; on repairs it.
labfix_cmd cli off tap0 local bridge >/dev/null
sleep 0.5
lab_in cli ip link del br0
sleep 3
if ! lab_in cli ip link show br0 >/dev/null 2>&1; then
	ok "daemon/switch-off: bridge left deleted"
else
	not_ok "daemon/switch-off: bridge was repaired while switched off"
fi
fault switch-on cli "bridge: br0 does not exist" \
    labfix_cmd cli on tap0 local bridge

# A killed worker is respawned; a killed supervisor takes its workers along.
wpid=$(lab_pids cli "vtundfix: worker tap0")
kill -KILL "$wpid"
sleep 1
nwpid=$(lab_pids cli "vtundfix: worker tap0")
if [ -n "$nwpid" ] && [ "$nwpid" != "$wpid" ]; then
	ok "daemon/worker-respawned: $wpid -> $nwpid"
else
	not_ok "daemon/worker-respawned: '$wpid' -> '$nwpid'"
fi
kill -KILL "$(labfix_pid cli)"
sleep 1.5
left=$(lab_pids cli "vtundfix: worker")
if [ -z "$left" ]; then
	ok "daemon/supervisor-killed: workers exited"
else
	not_ok "daemon/supervisor-killed: workers left: $left"
fi

# SIGTERM: the server's daemon stops and removes its pid file.
labfix_stop srv
if [ ! -e "$(labfix_dir srv)/vtundfix.pid" ]; then
	ok "daemon/sigterm: stopped, pid file removed"
else
	not_ok "daemon/sigterm: pid file left"
fi
[ "$failures" -eq 0 ]
