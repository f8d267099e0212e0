#!/bin/sh
# The link module's VLAN tests, in a VM with Debian's kernel (this host's
# kernel has no 802.1Q): create a VLAN on its parent, read its id and parent
# back through netlink, recreate it with a wrong id or parent.
cd "$(dirname "$0")/../.." || exit 2
exec tests/vm/vm-run.sh --timeout 240 -- build/san/t_links vlan
