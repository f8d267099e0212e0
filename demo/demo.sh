#!/usr/bin/env bash
# demo.sh: vtundfix repairing a real vtund tunnel, fault after fault.
#
#	demo/demo.sh [--keep]
#
# Builds a two-host lab in network namespaces (vtund server and client,
# bridges, uplinks, a LAN host behind each end; tests/lab/lab.sh), starts
# vtundfix on both ends, then breaks the tunnel six ways and shows for each
# what broke, what vtundfix saw and did, and how long LAN-to-LAN traffic was
# down.  Everything is removed at the end, also on Ctrl-C; --keep leaves
# the lab up to explore.
# shellcheck disable=SC2046  # lists of pids are meant to be split
set -u
cd "$(dirname "$0")/.." || exit 2
keep=0
case ${1:-} in
--keep) keep=1 ;;
"") ;;
*) echo "usage: demo/demo.sh [--keep]" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "demo: run it as root (it creates network namespaces)" >&2; exit 1; }

export VTUNDFIX=${VTUNDFIX:-$PWD/build/vtundfix}
VTUNDCTL=${VTUNDCTL:-$PWD/build/vtundctl}
. tests/lab/lab.sh
. tests/lab/lab-vtundfix.sh

if [ -t 1 ]; then
	B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' D=$'\e[2m' N=$'\e[0m'
else
	B="" G="" R="" D="" N=""
fi
say() { printf '%s\n' "$*"; }
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
results=()

# show_log SIDE FROM-LINE: the log lines vtundfix wrote since FROM-LINE.
show_log() {
	tail -n +"$2" "$(labfix_log "$1")" | cut -d' ' -f3- |
	    sed "s/^/   ${D}$1 vtundfix:${N} /"
}

# fault NAME COMMAND...: break it, wait for LAN-to-LAN traffic, report.
fault() {
	local name=$1 t0 t1 ms ls lc dots=0
	shift
	ls=$(($(wc -l <"$(labfix_log srv)") + 1))
	lc=$(($(wc -l <"$(labfix_log cli)") + 1))
	step "$name"
	say "   ${D}\$ $*${N}"
	t0=$(lab_now_ms)
	"$@" >/dev/null 2>&1
	printf '   waiting for LAN-to-LAN traffic '
	while ! ip netns exec "$LAB_LANC" ping -n -q -c 1 -W 0.1 \
	    "$(lab_lan_ip srv 0)" >/dev/null 2>&1; do
		if [ $(($(lab_now_ms) - t0)) -gt 60000 ]; then
			printf ' %sgave up after 60 s%s\n' "$R" "$N"
			results+=("$name|-|not restored")
			return
		fi
		dots=$((dots + 1))
		[ $((dots % 5)) -eq 0 ] && printf '.'
	done
	t1=$(lab_now_ms)
	ms=$((t1 - t0))
	printf ' %sback after %d ms%s\n' "$G" "$ms" "$N"
	sleep 0.3
	show_log srv "$ls"
	show_log cli "$lc"
	results+=("$name|$ms ms|restored")
}

lab_init demo
if [ "$keep" -eq 1 ]; then
	trap - EXIT
	trap 'lab_destroy; exit 130' INT
fi
S=$(lab_session 0)

step "Building a two-host lab in network namespaces"
lab_create 1 --no-vtund || { echo "demo: the lab could not be built" >&2; exit 1; }
say "   server $LAB_SRV ($LAB_SERVER_IP), client $LAB_CLI ($LAB_CLIENT_IP)"
say "   LAN hosts $LAB_LANS ($(lab_lan_ip srv 0)) and $LAB_LANC ($(lab_lan_ip cli 0)),"
say "   joined by br0 + tap0 on each end; vtund session $S. No vtund runs yet."

step "Starting vtundfix on both ends (DELAY_BETWEENCHECK 300)"
labfix_write_conf srv
labfix_write_conf cli
labfix_start srv && labfix_start cli || exit 1
t0=$(lab_now_ms)
lab_wait_traffic 0 30 >/dev/null || { echo "demo: no tunnel" >&2; exit 1; }
say "   vtundfix started the vtund listener and client and bridged the taps:"
say "   ${G}LAN-to-LAN traffic after $(($(lab_now_ms) - t0)) ms${N}"
show_log srv 1 | head -8
show_log cli 1 | head -8
say "   ${D}\$ ip netns exec $LAB_LANC ping -c 3 $(lab_lan_ip srv 0)${N}"
ip netns exec "$LAB_LANC" ping -n -c 3 -i 0.2 "$(lab_lan_ip srv 0)" | sed 's/^/   /'

fault "vtund client killed" \
    kill -KILL $(lab_pids cli "vtund\[c\]: $S ")
fault "bridge deleted on the server" lab_in srv ip link del br0
fault "tap taken off the bridge on the client" lab_in cli ip link set tap0 nomaster
fault "black-holed connection (both vtund processes stay up)" lab_black_hole
lab_black_hole_clear
fault "duplicate vtund client started" \
    lab_in cli /usr/sbin/vtund -f "$LAB_VTUND_CLI_CONF" "$S" "$LAB_SERVER_IP"
fault "vtund listener and server session killed" \
    kill -KILL $(lab_pids srv 'waiting for connections') \
    $(lab_pids srv "vtund\[s\]: $S ")

step "vtundctl fix status (on the client; it asks the server over the peer channel)"
ip netns exec "$LAB_CLI" "$VTUNDCTL" -f "$(labfix_conf cli)" fix status 2>&1 | sed 's/^/   /'

step "Summary: how long LAN-to-LAN traffic was down"
printf '   %-55s %12s  %s\n' "fault" "downtime" "result"
for r in "${results[@]}"; do
	IFS='|' read -r name ms res <<<"$r"
	printf '   %-55s %12s  %s\n' "$name" "$ms" "$res"
done
say ""
say "   vtund alone repairs none of these (a black hole takes it ~220 s);"
say "   bench/bench.sh measures vtundfix against monit and vtund alone."

if [ "$keep" -eq 1 ]; then
	step "The lab stays up (--keep)"
	say "   ip netns exec $LAB_CLI bash      # a shell on the client"
	say "   logs: $(labfix_log srv) $(labfix_log cli)"
	say "   remove it: kill \$(ip netns pids $LAB_SRV) \$(ip netns pids $LAB_CLI);"
	say "     for n in $LAB_SRV $LAB_CLI $LAB_LANS $LAB_LANC; do ip netns del \$n; done; rm -rf $LAB_DIR"
else
	step "Removing the lab"
	labfix_stop cli
	labfix_stop srv
fi
