#!/usr/bin/env bash
# Trust (issue 14, SPEC §7), in the real set-up: each end in its own mount
# namespace with its own /etc, /var, /run and account home, Debian's sshd,
# the peer account made by the README's commands, and the daemon's default
# PEER_COMMAND form (lab-root.sh).  No root login, no `ip netns exec` peer.
#
#   - the daemon runs ssh as the peer account (its uid and HOME);
#   - remote off/on, end (a black hole repaired with the server ending its
#     session) and status across the two ends work over it;
#   - a hub with two sites: site B's key tries every verb on site A's
#     session and changes nothing; a key from an address no tap has gets
#     nothing;
#   - processes that only look like vtund (an unprivileged process with a
#     listener's or a session's title) are neither trusted nor signalled;
#   - replayed and altered probe frames change nothing while a black hole
#     is still found.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/lab/lab.sh
. tests/lab/lab-vtundfix.sh
. tests/lab/tap.sh

check() {	# NAME COMMAND...: ok if COMMAND succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
dump_logs() {
	sed 's/^/#   srv: /' "$(labfix_log srv)" | tail -30
	sed 's/^/#   cli: /' "$(labfix_log cli)" | tail -30
}
json_switch() {	# SIDE TAP SWITCH -> true|false
	labfix_cmd "$1" status --json --local |
	    grep -o "\"tap\":\"$2\".*" | grep -o '"switches":{[^}]*}' | head -1 |
	    grep -o "\"$3\":[a-z]*" | cut -d: -f2
}
pid_of() {	# SIDE REGEX
	lab_pids "$1" "$2" | head -1
}

lab_init trust
lab_create 2 --own-root || { not_ok "trust/lab"; exit 1; }
S0=$(lab_session 0)
S1=$(lab_session 1)
if ! lab_peer_setup ""; then not_ok "trust/readme-setup"; exit 1; fi
labfix_write_conf srv
labfix_write_conf cli
labfix_start srv || not_ok "trust/start-srv"
labfix_start cli || not_ok "trust/start-cli"
lab_wait_traffic 0 20 >/dev/null || not_ok "trust/tunnel-up"

# The daemon's ssh runs as the peer account, with its HOME.
wait_peer() { grep -q "peer $LAB_SERVER_IP: connected" "$(labfix_log cli)"; }
for _ in $(seq 100); do wait_peer && break; sleep 0.1; done
check "trust/peer-channel-connects" wait_peer
ssh_pid=$(pid_of cli "^/usr/bin/ssh -o BatchMode=yes")
want=$(awk -F: '$1 == "vtundfix" { print $3 }' "$(lab_root cli)/etc/passwd")
user=$(ps -o uid= -p "${ssh_pid:-0}" 2>/dev/null | tr -d ' ')
home=$(tr '\0' '\n' <"/proc/${ssh_pid:-0}/environ" 2>/dev/null | sed -n 's/^HOME=//p')
if [ -n "$want" ] && [ "$user" = "$want" ] && [ "$home" = /var/lib/vtundfix ]; then
	ok "trust/ssh-runs-as-peer-account"
else
	not_ok "trust/ssh-runs-as-peer-account: uid '$user' (want '$want') home '$home'"
fi

# Remote off and on, through the real channel.
labfix_cmd cli off tap0 remote service >/dev/null 2>&1
check "trust/remote-off" [ "$(json_switch srv tap0 service)" = false ]
labfix_cmd cli on tap0 remote service >/dev/null 2>&1
check "trust/remote-on" [ "$(json_switch srv tap0 service)" = true ]
# The daemon's own channel (the README's set-up, the default
# PEER_COMMAND as the account) watches the server's switches: a change
# made on the server reaches the client's worker at once, not at a poll.
: >"$(labfix_log cli)"
labfix_cmd srv off tap0 local service >/dev/null 2>&1
heard=""
for _ in $(seq 20); do
	grep -q "the server switched service off" "$(labfix_log cli)" &&
	    heard=1 && break
	sleep 0.05
done
check "trust/server-change-heard-within-1s" [ -n "$heard" ]
labfix_cmd srv on tap0 local service >/dev/null 2>&1
out=$(labfix_cmd cli status 2>&1)
if grep -q 'peer: *switches all on' <<<"$out"; then ok "trust/status-across-ends"
else not_ok "trust/status-across-ends"; sed 's/^/#   /' <<<"$out"; fi

# A black hole on tunnel 0: the server is asked (over ssh, as the account)
# to end its session, and the tunnel is back.
: >"$(labfix_log srv)"; : >"$(labfix_log cli)"
lab_black_hole 0 || not_ok "trust/black-hole: no flow found"
sleep 0.5
if lab_wait_traffic 0 20 >/dev/null &&
    grep -q 'the client asked to end the server session.*1 ended' \
    "$(labfix_log srv)"; then
	ok "trust/end-over-ssh"
else
	not_ok "trust/end-over-ssh"; dump_logs
fi
lab_black_hole_clear

# --- a hub with two sites: tap0 is site A's session, tap1 site B's ---
SR=$(lab_root srv)
CR=$(lab_root cli)
keyb=$CR/var/lib/vtundfix/.ssh/site_b
lab_in cli runuser -u vtundfix -- ssh-keygen -q -t ed25519 -N '' \
    -f /var/lib/vtundfix/.ssh/site_b </dev/null >/dev/null
printf 'restrict,from="%s",command="%s peer --session %s" %s\n' \
    "$LAB_CLIENT_IP" "$VTUNDFIX" "$S1" "$(cat "$keyb.pub")" \
    >>"$SR/var/lib/vtundfix/.ssh/authorized_keys"
before_sess=$(pid_of srv "vtund\[s\]: $S0 ether")
as_site_b() {	# LINES...: a conversation with the hub as site B's key
	printf '%s\n' "$@" | lab_in cli runuser -u vtundfix -- ssh \
	    -o BatchMode=yes -o IdentitiesOnly=yes \
	    -i /var/lib/vtundfix/.ssh/site_b "vtundfix@$LAB_SERVER_IP" \
	    vtundfix peer 2>/dev/null
}
out=$(as_site_b "vtundfix-peer 1" "set $S0 service off" "set $S0 bridge off" \
    "reset $S0" "end $S0" "lock $S0" "counters $S0" "switches $S0" \
    "probe $S0" "status" "switches" "quit")
refused=$(grep -c "^err $S0: not allowed for this peer" <<<"$out")
if [ "$refused" -eq 8 ]; then ok "trust/other-site-refused (8 verbs)"
else not_ok "trust/other-site-refused: $refused of 8"; sed 's/^/#   /' <<<"$out"; fi
if grep '^ok {' <<<"$out" | grep -q "\"session\":\"$S1\"" &&
    ! grep '^ok {' <<<"$out" | grep -q "\"session\":\"$S0\""; then
	ok "trust/status-lists-own-sessions-only"
else
	not_ok "trust/status-lists-own-sessions-only"; sed 's/^/#   /' <<<"$out"
fi
sleep 1
if [ "$(json_switch srv tap0 service)" = true ] &&
    [ "$(json_switch srv tap0 bridge)" = true ] &&
    [ "$(pid_of srv "vtund\[s\]: $S0 ether")" = "$before_sess" ] &&
    lab_wait_traffic 0 5 >/dev/null; then
	ok "trust/other-site-changed-nothing"
else
	not_ok "trust/other-site-changed-nothing"; dump_logs
fi
# Its own session: allowed.
out=$(as_site_b "vtundfix-peer 1" "switches $S1" "quit")
check "trust/own-session-allowed" grep -q "^ok $S1 service=on" <<<"$out"
# A site that watches the hub's switches is told of its own sessions'
# changes, never of another site's.
{ printf '%s\n' "vtundfix-peer 1" watch; sleep 3; echo quit; } |
    lab_in cli runuser -u vtundfix -- ssh -o BatchMode=yes \
    -o IdentitiesOnly=yes -i /var/lib/vtundfix/.ssh/site_b \
    "vtundfix@$LAB_SERVER_IP" vtundfix peer >"$LAB_DIR/watch.out" 2>/dev/null &
watcher=$!
sleep 1.5
labfix_cmd srv off tap0 local bridge >/dev/null
labfix_cmd srv off tap1 local bridge >/dev/null
labfix_cmd srv on tap0 local bridge >/dev/null
labfix_cmd srv on tap1 local bridge >/dev/null
wait "$watcher"
out=$(cat "$LAB_DIR/watch.out")
if grep -qx "event switches $S1=bridge" <<<"$out" &&
    grep -qx "event switches" <<<"$out" && ! grep -q "$S0" <<<"$out"; then
	ok "trust/watch-tells-own-sessions-only"
else
	not_ok "trust/watch-tells-own-sessions-only"; sed 's/^/#   /' <<<"$out"
fi
# A key without --session from an address no tap has: nothing at all.
lab_in cli ip addr add 10.99.0.3/24 dev u0
keyc=$CR/var/lib/vtundfix/.ssh/site_c
lab_in cli runuser -u vtundfix -- ssh-keygen -q -t ed25519 -N '' \
    -f /var/lib/vtundfix/.ssh/site_c </dev/null >/dev/null
printf 'restrict,command="%s peer" %s\n' "$VTUNDFIX" "$(cat "$keyc.pub")" \
    >>"$SR/var/lib/vtundfix/.ssh/authorized_keys"
out=$(printf '%s\n' "vtundfix-peer 1" "switches $S0" "switches $S1" "quit" |
    lab_in cli runuser -u vtundfix -- ssh -o BatchMode=yes -b 10.99.0.3 \
    -o IdentitiesOnly=yes -i /var/lib/vtundfix/.ssh/site_c \
    "vtundfix@$LAB_SERVER_IP" vtundfix peer 2>/dev/null)
if [ "$(grep -c 'not allowed for this peer' <<<"$out")" -eq 2 ]; then
	ok "trust/unknown-address-gets-nothing"
else
	not_ok "trust/unknown-address-gets-nothing"; sed 's/^/#   /' <<<"$out"
fi

# --- processes that only look like vtund ---
# An unprivileged process titled as the listener, and one as site A's
# server session; then the real listener dies.
lab_in srv runuser -u nobody -- bash -c \
    "exec -a 'vtund[s]: waiting for connections on port $LAB_PORT' sleep 300" &
lab_in srv runuser -u nobody -- bash -c \
    "exec -a 'vtund[s]: $S0 ether tap0' sleep 300" &
sleep 0.5
fake_l=$(pid_of srv "waiting for connections on port $LAB_PORT.* 300")
fake_s=$(pid_of srv "vtund\[s\]: $S0 ether tap0.* 300")
: >"$(labfix_log srv)"
kill -KILL "$(pid_of srv "^vtund\[s\]: waiting for connections on port $LAB_PORT *\$")"
for _ in $(seq 100); do
	grep -q 'listener: no vtund listener.*ran' "$(labfix_log srv)" && break
	sleep 0.1
done
check "trust/fake-listener-not-trusted" grep -q \
    'listener: no vtund listener.*ran' "$(labfix_log srv)"
# A black hole on site A's tunnel: its real session is ended, the fake not.
lab_black_hole 0
sleep 0.5
lab_wait_traffic 0 20 >/dev/null || not_ok "trust/black-hole-with-fakes"
lab_black_hole_clear
if [ -n "$fake_l" ] && [ -n "$fake_s" ] && kill -0 "$fake_l" 2>/dev/null &&
    kill -0 "$fake_s" 2>/dev/null; then
	ok "trust/fakes-never-signalled"
else
	not_ok "trust/fakes-never-signalled ($fake_l $fake_s)"
fi
kill -KILL "$fake_l" "$fake_s" 2>/dev/null

# --- replayed and altered probes ---
# Frames injected into the client's tap travel the tunnel to the server:
# replays of genuine probes and altered ones are rejected and counted
# there, and change nothing; a black hole afterwards is found as always.
: >"$(labfix_log cli)"; : >"$(labfix_log srv)"
lab_wait_traffic 0 20 >/dev/null
if lab_in cli build/san/tool_inject -r -a tap0 "$S0" >/dev/null 2>&1; then
	ok "trust/replays-injected"
else
	not_ok "trust/replays-injected: tool_inject could not"
fi
sleep 2
rej=$(labfix_cmd srv status --json --local | grep -o '"rejected":[0-9]*' |
    head -1 | cut -d: -f2)
check "trust/replays-rejected (${rej:-0} rejected)" [ "${rej:-0}" -gt 0 ]
if ! grep -q 'tunnel: up -> ' "$(labfix_log srv)" &&
    ! grep -q 'tunnel: up -> ' "$(labfix_log cli)"; then
	ok "trust/replays-changed-nothing"
else
	not_ok "trust/replays-changed-nothing"; dump_logs
fi
lab_black_hole 0
sleep 0.5
if lab_wait_traffic 0 30 >/dev/null &&
    grep -q 'tunnel: .* -> reaching' "$(labfix_log cli)"; then
	ok "trust/black-hole-found-after-replays"
else
	not_ok "trust/black-hole-found-after-replays"; dump_logs
fi
lab_black_hole_clear
labfix_stop cli
labfix_stop srv
[ "$failures" -eq 0 ]
