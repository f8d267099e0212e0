#!/bin/sh
# vtundfix under systemd as PID 1, from its Debian package: builds the
# package (make deb), boots one VM with systemd (vm-run.sh --systemd) and
# runs systemd_inner.sh there.  About 3 minutes under TCG.
cd "$(dirname "$0")/../.." || exit 2
if ! out=$(make -s deb 2>&1); then
	echo "not ok - vm/systemd: make deb failed"
	echo "$out" | sed 's/^/#   /'
	exit 1
fi
exec tests/vm/vm-run.sh --systemd --timeout 600 -- tests/vm/systemd_inner.sh
