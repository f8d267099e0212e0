#!/bin/sh
# Man pages render without a warning; the systemd unit verifies.
cd "$(dirname "$0")/../.." || exit 2
failures=0
for f in man/*.[58]; do
	out=$(groff -ww -z -man "$f" 2>&1)
	if [ -z "$out" ] && man -l "$f" >/dev/null 2>&1; then
		echo "ok - man/${f#man/}"
	else
		echo "not ok - man/${f#man/}"; echo "$out" | sed 's/^/#   /'
		failures=$((failures + 1))
	fi
done
unit=$(mktemp -d /tmp/vfx-unit.XXXXXX)
trap 'rm -rf "$unit"' EXIT
sed "s|@SBINDIR@|$PWD/build|g" init/vtundfix.service >"$unit/vtundfix.service"
mkdir -p "$unit/man/man5" "$unit/man/man8"
cp man/*.5 "$unit/man/man5/"
cp man/*.8 "$unit/man/man8/"
if [ ! -x build/vtundfix ]; then
	echo "not ok - systemd/verify: build/vtundfix not built"; exit 1
fi
if out=$(MANPATH="$unit/man:" systemd-analyze verify "$unit/vtundfix.service" 2>&1) &&
    ! echo "$out" | grep -q 'vtundfix.service'; then
	echo "ok - systemd/verify"
else
	echo "not ok - systemd/verify"; echo "$out" | sed 's/^/#   /'
	failures=$((failures + 1))
fi
[ "$failures" -eq 0 ]
