#!/usr/bin/env bash
# Least privilege (issue 9): the daemon does its whole job with only
# CAP_NET_ADMIN (links, taps, bridges, VLANs), CAP_NET_RAW (probe sockets)
# and CAP_KILL (signalling vtund), everything else dropped from its
# bounding set with capsh.  This is the set the systemd unit grants.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/lab/lab.sh
. tests/lab/lab-vtundfix.sh
NEEDED="cap_kill,cap_net_admin,cap_net_raw"	# as capsh --decode orders them
. tests/lab/tap.sh
command -v capsh >/dev/null || { echo "not ok - caps: capsh missing (libcap2-bin)"; exit 1; }

# Every capability this kernel knows, except the needed ones.
drop=$(capsh --print | sed -n 's/^Bounding set =//p' | tr ',' '\n' |
    grep -vxF -e cap_net_admin -e cap_net_raw -e cap_kill | paste -sd, -)

lab_init caps
lab_create 1 --no-vtund || exit 1
labfix_write_conf srv
labfix_write_conf cli
labfix_start srv
# The client end runs with the minimum set.
ip netns exec "$LAB_CLI" capsh --drop="$drop" -- -c \
    "exec $VTUNDFIX -f $(labfix_conf cli)" || not_ok "caps/start"
sleep 0.5
pid=$(labfix_pid cli)
eff=$(capsh --decode="$(awk '/^CapEff/ { print $2 }' "/proc/$pid/status")" | sed 's/.*=//')
if [ "$eff" = "$NEEDED" ]; then ok "caps/effective-set ($eff)"
else not_ok "caps/effective-set: $eff"; fi

# It still starts vtund, bridges, probes and repairs.
if lab_wait_traffic 0 15 >/dev/null; then ok "caps/brings-tunnel-up"
else not_ok "caps/brings-tunnel-up"; sed 's/^/#   /' "$(labfix_log cli)"; fi
sleep 2
lab_in cli ip link del br0
if lab_wait_traffic 0 10 >/dev/null; then ok "caps/repairs-bridge"
else not_ok "caps/repairs-bridge"; fi
for p in $(ip netns pids "$LAB_CLI"); do
	tr '\0' ' ' <"/proc/$p/cmdline" | grep -q "vtund\[c\]" && kill -KILL "$p"
done
if lab_wait_traffic 0 10 >/dev/null; then ok "caps/restarts-client"
else not_ok "caps/restarts-client"; sed 's/^/#   /' "$(labfix_log cli)"; fi
# Probes went both ways: the daemon measured a round-trip time.  The
# restart above began a new session, whose probe figures start afresh:
# give its first probes a few seconds.
rtt=
for _ in $(seq 50); do
	rtt=$(labfix_cmd cli status --json --local | sed -n 's/.*"srtt_ms":\([0-9.]*\).*/\1/p')
	[ -n "$rtt" ] && [ "$rtt" != "0.000" ] && break
	sleep 0.2
done
if [ -n "$rtt" ] && [ "$rtt" != "0.000" ]; then ok "caps/probes (srtt $rtt ms)"
else not_ok "caps/probes (srtt ${rtt:-none})"; labfix_cmd cli status --local | sed "s/^/#   /"; fi
labfix_stop cli
labfix_stop srv
[ "$failures" -eq 0 ]
