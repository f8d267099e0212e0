#!/bin/sh
# The daemon's VLAN repairs, run in the qemu VM (this host kernel has no
# 802.1Q): see daemon_vlan_inner.sh.
cd "$(dirname "$0")/../.." || exit 2
exec tests/vm/vm-run.sh --timeout 240 -- tests/vm/daemon_vlan_inner.sh
