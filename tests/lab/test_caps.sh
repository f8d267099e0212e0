#!/usr/bin/env bash
# Least privilege (issues 9, 16): the daemon does its whole job with only
# the capabilities of the systemd unit's CapabilityBoundingSet (read from
# init/vtundfix.service, so the two cannot drift apart; docs/hardening.md
# gives each one's reason), everything else dropped from its bounding set
# with capsh.  The unit's other settings are proven under systemd itself
# (tests/vm/systemd_inner.sh).
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/lab/lab.sh
. tests/lab/lab-vtundfix.sh
. tests/lab/tap.sh
command -v capsh >/dev/null || { echo "not ok - caps: capsh missing (libcap2-bin)"; exit 1; }

# The unit's set, as capsh names them (lower case), one a line.
unit_caps=$(sed -n 's/^CapabilityBoundingSet=//p' init/vtundfix.service | tr ' ' '\n' |
    tr '[:upper:]' '[:lower:]' | grep . | sort -u)
[ -n "$unit_caps" ] || { echo "not ok - caps: no CapabilityBoundingSet in the unit"; exit 1; }
# Every capability this kernel knows, except the unit's.
drop=$(capsh --print | sed -n 's/^Bounding set =//p' | tr ',' '\n' |
    grep -vxF -f <(echo "$unit_caps") | paste -sd, -)

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
if [ "$(tr ',' '\n' <<<"$eff" | sort -u)" = "$unit_caps" ]; then ok "caps/effective-set is the unit's ($eff)"
else not_ok "caps/effective-set: $eff, the unit has $(paste -sd, <<<"$unit_caps")"; fi

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
