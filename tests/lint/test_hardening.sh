#!/usr/bin/env bash
# The unit, the capability test and docs/hardening.md agree (issue 16):
# every capability of the unit's bounding set and every setting of its
# [Service] section has a row in the doc, the doc lists no capability the
# unit lacks, every test the doc cites exists, test_caps.sh takes its set
# from the unit, and systemd-analyze's exposure score is no worse than
# the one the doc records.
set -u
cd "$(dirname "$0")/../.." || exit 2
failures=0
ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failures=$((failures + 1)); }
unit=init/vtundfix.service
doc=docs/hardening.md

caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr ' ' '\n' | grep . | sort -u)
doc_caps=$(sed -n '/^## Capabilities/,/^## /p' "$doc" | grep '^| `CAP_' |
    grep -o 'CAP_[A-Z_]*' | sort -u)
if [ -n "$caps" ] && [ "$caps" = "$doc_caps" ]; then ok "hardening/capabilities-documented ($(paste -sd' ' <<<"$caps"))"
else not_ok "hardening/capabilities-documented: unit [$(paste -sd' ' <<<"$caps")], doc [$(paste -sd' ' <<<"$doc_caps")]"; fi

# Every [Service] setting has a row (by name) in the doc's tables.
missing=""
for key in $(sed -n '/^\[Service\]/,/^\[/p' "$unit" | grep -o '^[A-Za-z]*=' | tr -d = | sort -u); do
	grep -q "\`$key=\`" "$doc" || missing="$missing $key"
done
if [ -z "$missing" ]; then ok "hardening/settings-documented"
else not_ok "hardening/settings-documented: no row for$missing"; fi

# Every test the doc cites exists (vm/NAME in the VM test, caps/NAME in
# the capability test), so the table cannot point at nothing.
missing=""
# shellcheck disable=SC2016  # backquotes, not an expansion
for t in $(grep -o '`\(vm\|caps\)/[a-z0-9*-]\+`' "$doc" | tr -d '`' | sort -u); do
	name=${t#*/}
	case $t in
	vm/daemon-vlan-*)
		grep -q '"vm/daemon-vlan' tests/vm/daemon_vlan_inner.sh || missing="$missing $t" ;;
	vm/*)
		# A name made in a loop ("vm/$verb-...") counts for each verb.
		grep -qE "\"vm/$name([ :\"]|\$)" tests/vm/systemd_inner.sh ||
		    grep -qE "\"vm/\\\$[a-z]+-${name#*-}([ :\"]|\$)" tests/vm/systemd_inner.sh ||
		    missing="$missing $t" ;;
	caps/*)
		grep -qE "caps/$name([ :\"]|\$)" tests/lab/test_caps.sh || missing="$missing $t" ;;
	esac
done
if [ -z "$missing" ]; then ok "hardening/cited-tests-exist"
else not_ok "hardening/cited-tests-exist: not found:$missing"; fi

if grep -q 'init/vtundfix.service' tests/lab/test_caps.sh &&
    grep -q 'CapabilityBoundingSet' tests/lab/test_caps.sh; then
	ok "hardening/test-caps-reads-the-unit"
else
	not_ok "hardening/test-caps-reads-the-unit"
fi

# The exposure score: recorded in the doc ("after"), never exceeded.
tmp=$(mktemp -d /tmp/vfx-hardening.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
sed 's|@SBINDIR@|/usr/sbin|g' "$unit" >"$tmp/vtundfix.service"
score=$(systemd-analyze security --offline=yes "$tmp/vtundfix.service" 2>/dev/null |
    sed -n 's/.*Overall exposure level for vtundfix.service: \([0-9.]*\).*/\1/p')
recorded=$(sed -n 's/^| after (this unit) | \([0-9.]*\) .*/\1/p' "$doc")
if [ -n "$score" ] && [ -n "$recorded" ] &&
    awk -v s="$score" -v r="$recorded" 'BEGIN { exit !(s <= r) }'; then
	ok "hardening/exposure-score $score (docs/hardening.md: $recorded)"
else
	not_ok "hardening/exposure-score: systemd-analyze says '$score', the doc '$recorded'"
fi
[ "$failures" -eq 0 ]
