#!/bin/sh
# Every shell file passes shellcheck; the init and cron scripts are POSIX sh.
cd "$(dirname "$0")/../.." || exit 2
failures=0
for f in init/vtundfix.init init/vtundfix_cron scripts/*.sh tests/*.sh \
    tests/*/*.sh bench/*.sh demo/*.sh completion/vtundctl.bash; do
	[ -f "$f" ] || continue
	case $f in
	*.bash) opts="-s bash -e SC2207" ;;
	*) opts="-x" ;;
	esac
	# shellcheck disable=SC2086
	if out=$(shellcheck $opts "$f" 2>&1); then
		echo "ok - shellcheck/$f"
	else
		echo "not ok - shellcheck/$f"
		echo "$out" | sed 's/^/#   /'
		failures=$((failures + 1))
	fi
done
for f in init/vtundfix.init init/vtundfix_cron; do
	if shellcheck -s sh "$f" >/dev/null 2>&1 && sh -n "$f"; then
		echo "ok - posix-sh/$f"
	else
		echo "not ok - posix-sh/$f"; failures=$((failures + 1))
	fi
done
[ "$failures" -eq 0 ]
