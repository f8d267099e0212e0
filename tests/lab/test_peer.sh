#!/usr/bin/env bash
# The peer channel in the two-host lab (issue 5): the client reaches the
# server through a real sshd whose key is pinned to `vtundfix peer`; the
# server reaches the client through `ip netns exec`.  Remote switches reach
# the other end's running worker; a fault on either end stays unrepaired
# while switched off and is repaired once switched on.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/lab/lab.sh
. tests/lab/lab-vtundfix.sh
. tests/lab/lab-ssh.sh

VTUNDCTL=${VTUNDCTL:-$PWD/build/san/vtundctl}
. tests/lab/tap.sh
check() {	# NAME COMMAND...: ok if COMMAND succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
check_not() {	# NAME COMMAND...: ok if COMMAND fails
	local name=$1
	shift
	if "$@"; then not_ok "$name"; else ok "$name"; fi
}
json_switch() {	# SIDE SWITCH -> true|false of tap0's local switch
	labfix_cmd "$1" status --json --local |
	    grep -o "\"switches\":{[^}]*}" | head -1 |
	    grep -o "\"$2\":[a-z]*" | cut -d: -f2
}

lab_init peer
lab_create 1
labfix_write_conf srv
labssh_start srv || exit 1
labfix_write_conf cli PEER_COMMAND "$(labssh_peer_command)"
labfix_start srv
labfix_start cli
lab_wait_traffic 0 20 >/dev/null || not_ok "peer/tunnel-up"

# Status on the client shows the server's switches, fetched through sshd.
out=$(labfix_cmd cli status 2>&1)
if grep -q 'peer: *switches all on' <<<"$out"; then ok "peer/status-over-ssh"
else not_ok "peer/status-over-ssh"; sed 's/^/#   /' <<<"$out"
	sed 's/^/#   sshd: /' "$(labssh_dir)/sshd.log"; fi
check "peer/sshd-accepted-key" grep -q 'Accepted publickey for root' "$(labssh_dir)/sshd.log"
out=$(labfix_cmd srv status --json 2>&1)
check "peer/status-json-over-netns" grep -q '"peer":{"switches":{"service":true' <<<"$out"

# The pinned key runs nothing but the peer server, whatever is asked.
out=$(ip netns exec "$LAB_CLI" ssh -F "$(labssh_dir)/ssh_config" \
    "$LAB_SERVER_IP" cat /etc/shadow <<<'vtundfix-peer 1' 2>&1)
check "peer/ssh-key-pinned" grep -qx 'ok vtundfix-peer 1 server' <<<"$out"

# vtundctl on the client switches tap0 off on both ends.
ip netns exec "$LAB_CLI" "$VTUNDCTL" -f "$(labfix_conf cli)" fix off tap0 >/dev/null 2>&1
check "peer/off-local" [ "$(json_switch cli service)" = false ]
check "peer/off-remote" [ "$(json_switch srv service)" = false ]

# Faults on both ends now stay unrepaired.
lab_in cli ip link del br0
lab_in srv ip link set tap0 nomaster
sleep 3
check_not "peer/client-fault-left-alone" lab_in cli sh -c "ip link show br0 >/dev/null 2>&1"
check_not "peer/server-fault-left-alone" lab_in srv sh -c "ip link show tap0 | grep -q 'master br0'"

# Switched on again (from the server end this time): both repaired.
ip netns exec "$LAB_SRV" "$VTUNDCTL" -f "$(labfix_conf srv)" fix on tap0 >/dev/null 2>&1
if lab_wait_traffic 0 15 >/dev/null; then ok "peer/on-repairs-both"
else not_ok "peer/on-repairs-both"
	sed 's/^/#   cli: /' "$(labfix_log cli)"; sed 's/^/#   srv: /' "$(labfix_log srv)"; fi

# until_logged SIDE PATTERN MS: the ms until SIDE's log matches PATTERN.
until_logged() {
	local t0 now
	t0=$(lab_now_ms)
	while ! grep -qE -- "$2" "$(labfix_log "$1")"; do
		now=$(lab_now_ms)
		[ $((now - t0)) -lt "$3" ] || return 1
		sleep 0.05
	done
	echo $(($(lab_now_ms) - t0))
}

# The server switches only its own service off: the client must stop
# checking, and hears it at once (it watches the server's switches; a
# poll every 5 s took up to 5 s, and would fail here four times in five).
: >"$(labfix_log cli)"
labfix_cmd srv off tap0 local service >/dev/null
if d=$(until_logged cli "the server switched service off" 3000) &&
    [ "$d" -lt 1000 ]; then ok "peer/server-off-heard-at-once ($d ms)"
else not_ok "peer/server-off-heard-at-once (${d:-over 3000} ms)"; fi
lab_in cli ip link set br0 down
sleep 3
check_not "peer/client-honours-server-off" lab_in cli sh -c "ip link show br0 | grep -q ',UP'"
# The server answers that poll from what its worker told when the switch
# changed, without waking it: even a stopped worker's switches are told.
w=$(lab_pids srv '^vtundfix: worker tap0 ' | head -1)
kill -STOP "$w"
out=$(printf 'vtundfix-peer 1\nswitches\nquit\n' | timeout 10 ip netns exec "$LAB_CLI" \
    ssh -F "$(labssh_dir)/ssh_config" "$LAB_SERVER_IP" vtundfix peer 2>&1)
kill -CONT "$w"
if grep -q '^ok [^ ]*=service' <<<"$out"; then ok "peer/switches-without-waking-workers"
else not_ok "peer/switches-without-waking-workers"; sed 's/^/#   /' <<<"$out"; fi
: >"$(labfix_log cli)"
labfix_cmd srv on tap0 local service >/dev/null
if d=$(until_logged cli "the server switched service on" 3000) &&
    [ "$d" -lt 1000 ]; then ok "peer/server-on-heard-at-once ($d ms)"
else not_ok "peer/server-on-heard-at-once (${d:-over 3000} ms)"; fi
if lab_wait_traffic 0 20 >/dev/null; then ok "peer/client-resumes"
else not_ok "peer/client-resumes"; sed 's/^/#   cli: /' "$(labfix_log cli)"; fi

# An unreachable peer: remote switches fail clearly, local ones still work.
labfix_write_conf cli PEER_COMMAND "/usr/bin/ssh -F $(labssh_dir)/ssh_config -p 1 %h vtundfix peer"
out=$(labfix_cmd cli off tap0 both bridge 2>&1); rc=$?
if [ "$rc" -eq 1 ] && grep -q 'remote switches not changed' <<<"$out" &&
    [ "$(json_switch cli bridge)" = false ]; then ok "peer/unreachable-reported"
else not_ok "peer/unreachable-reported"; sed 's/^/#   /' <<<"$out"; fi
labfix_cmd cli on tap0 local bridge >/dev/null

labfix_stop cli
labfix_stop srv
[ "$failures" -eq 0 ]
