#!/usr/bin/env bash
# The process module against a real vtund 3.0.4 in the two-host lab: it
# tells listener, server session, client connecting, client connected and
# closing apart, matches sessions exactly, and sees only its own namespace.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/lab/lab.sh
TOOL=$PWD/build/san/tool_procs
failures=0

# expect NAME HOST WANT [SESSION]: the tool's sorted output in HOST is WANT.
expect() {
	local name=$1 host=$2 want=$3 got
	got=$(lab_in "$host" "$TOOL" ${4:+"$4"} | sort)
	if [ "$got" = "$want" ]; then
		echo "ok - processes/$name"
	else
		echo "not ok - processes/$name"
		echo "# want:"; sed 's/^/#   /' <<<"$want"
		echo "# got:"; sed 's/^/#   /' <<<"$got"
		failures=$((failures + 1))
	fi
}

lab_init procs
lab_create 1 || exit 1
S=$(lab_session 0)

expect server srv "listener server - -
server session server $S tap0"
expect client-connected cli "client connected client $S tap0"
expect other-namespace lans ""

# Exact session names: a prefix or an extension of S is another session.
expect session-exact cli "client connected client $S tap0" "$S"
expect session-prefix cli "" "${S%?}"
expect session-longer cli "" "${S}2"

# A client for an address where nobody listens stays "connecting".
lab_in cli /usr/sbin/vtund -f "$LAB_VTUND_CLI_CONF" "$S" 10.99.0.9
sleep 0.5
expect client-connecting cli "client connected client $S tap0
client connecting client $S -"
for pid in $(ip netns pids "$LAB_CLI"); do
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'connecting to 10.99.0.9' &&
	    kill -KILL "$pid"
done
sleep 0.3

# The server side goes away: the persistent client ends its session and,
# sleeping before it reconnects, says "closing".
for pid in $(ip netns pids "$LAB_SRV"); do kill -KILL "$pid"; done
sleep 1
expect client-closing cli "closing client $S -"
expect server-gone srv ""
[ "$failures" -eq 0 ]
