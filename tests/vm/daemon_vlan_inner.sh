#!/usr/bin/env bash
# Runs INSIDE the VM (Debian's kernel, 802.1Q available), started by
# tests/vm/test_daemon_vlan.sh: the daemon repairs VLAN uplink faults.
#
# A router namespace holds the trunk (veth) whose VLAN trunk0.763 is the
# uplink of br0; a LAN host namespace tags its frames with VLAN 763 on the
# other end of the trunk and pings br0's address through the VLAN.  No vtund
# runs here: vtundfix acts as a server whose tunnel is down, which is enough
# for the uplink and bridge checks (the listener switch is off).
set -u
cd "$(dirname "$0")/../.." || exit 2
VTUNDFIX=${VTUNDFIX:-$PWD/build/san/vtundfix}
id=$$
R=vfxvm-$id-r
L=vfxvm-$id-l
dir=$(mktemp -d /tmp/vfxvm.XXXXXX)
failures=0

cleanup() {
	[ -s "$dir/vtundfix.pid" ] && kill "$(cat "$dir/vtundfix.pid")" 2>/dev/null
	sleep 0.5
	ip netns pids "$R" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del "$R" 2>/dev/null
	ip netns del "$L" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM HUP

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failures=$((failures + 1)); }
r() { ip netns exec "$R" "$@"; }
l() { ip netns exec "$L" "$@"; }
now_ms() { date +%s%3N; }

ip netns add "$R" && ip netns add "$L" || exit 1
r ip link set lo up
r ip link add trunk0 type veth peer name trunk1
r ip link set trunk1 netns "$L"
r ip link set trunk0 up
l ip link set lo up
l ip link set trunk1 up
l ip link add link trunk1 name trunk1.763 type vlan id 763
l ip addr add 10.66.0.2/24 dev trunk1.763
l ip link set trunk1.763 up

cat >"$dir/vtundfix.conf" <<CONF
MACHINE server
DELAY_BETWEENCHECK 300
DATA_DIR $dir/
PID_FILE $dir/vtundfix.pid
LOG_FILE $dir/vtundfix.log
VTUND_CONF /dev/null
LISTENER_START /bin/false
tap0 vmvlan 10.66.0.9 br0 trunk0.763
CONF
printf 'switch listener off\n' >"$dir/data_tap0"

# ping_within SECONDS: the LAN host reaches br0 through VLAN 763.
ping_within() {
	local end=$(( $(now_ms) + $1 * 1000 ))
	while [ "$(now_ms)" -lt "$end" ]; do
		l ping -c1 -W1 10.66.0.1 >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

vlan_id() { r ip -d link show "$1" 2>/dev/null | sed -n 's/.*vlan protocol 802.1Q id \([0-9]*\).*/\1/p'; }

r "$VTUNDFIX" -f "$dir/vtundfix.conf" || { not_ok "vm/daemon-start"; exit 1; }
# vtundfix creates the VLAN and br0; give br0 the address the LAN pings.
for _ in $(seq 100); do r ip link show br0 >/dev/null 2>&1 && break; sleep 0.05; done
r ip addr add 10.66.0.1/24 dev br0
if ping_within 15; then
	ok "vm/daemon-vlan-created: VLAN $(vlan_id trunk0.763) on trunk0 created and bridged"
else
	not_ok "vm/daemon-vlan-created"; sed 's/^/# /' "$dir/vtundfix.log"
fi
echo "# vlan trunk0.763: id $(vlan_id trunk0.763) (read back through netlink by ip -d)"

# fault NAME LOG-PATTERN COMMAND...
fault() {
	local name=$1 pattern=$2 t0
	shift 2
	: >"$dir/vtundfix.log"
	t0=$(now_ms)
	"$@"
	if ping_within 15 && grep -qE -- "$pattern" "$dir/vtundfix.log"; then
		ok "vm/daemon-$name: traffic back after $(( $(now_ms) - t0 )) ms"
	else
		not_ok "vm/daemon-$name"; sed 's/^/# /' "$dir/vtundfix.log"
	fi
}

fault vlan-deleted "uplink: trunk0.763 does not exist" \
    r ip link del trunk0.763
fault vlan-down "uplink: trunk0.763 is down" \
    r ip link set trunk0.763 down
# A VLAN of the right name with the wrong id: made while the vlan switch is
# off (else the daemon recreates the deleted one first), then switched on.
r "$VTUNDFIX" -f "$dir/vtundfix.conf" off tap0 local vlan >/dev/null
sleep 0.3
r ip link del trunk0.763
r ip link add link trunk0 name trunk0.763 type vlan id 764
r ip link set trunk0.763 master br0 up
fault vlan-wrong-id "uplink: trunk0.763 is vlan id 764" \
    r "$VTUNDFIX" -f "$dir/vtundfix.conf" on tap0 local vlan
got=$(vlan_id trunk0.763)
if [ "$got" = 763 ]; then
	ok "vm/daemon-vlan-id-restored: id $got"
else
	not_ok "vm/daemon-vlan-id-restored: id '$got'"
fi
[ "$failures" -eq 0 ]
