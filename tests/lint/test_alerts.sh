#!/bin/sh
# The Prometheus alert rules (prometheus/vtundfix-alerts.yml): promtool
# checks them and runs their unit tests; the tests catch a broken rule
# (each mutation below must make them fail); every vtundfix_ metric the
# rules use is one the daemon writes (src/metrics.c).
cd "$(dirname "$0")/../.." || exit 2
failures=0
ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failures=$((failures + 1)); }
command -v promtool >/dev/null || { not_ok "alerts: promtool missing (package prometheus)"; exit 1; }
tmp=$(mktemp -d /tmp/vfx-alerts.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
rules=prometheus/vtundfix-alerts.yml
tests=prometheus/vtundfix-alerts.test.yml

if out=$(promtool check rules "$rules" 2>&1); then ok "alerts/check-rules"
else not_ok "alerts/check-rules"; echo "$out" | sed 's/^/#   /'; fi
if out=$(promtool test rules "$tests" 2>&1); then ok "alerts/test-rules"
else not_ok "alerts/test-rules"; echo "$out" | sed 's/^/#   /'; fi

# Each alert named in the rules has a test case.
sed -n 's/^ *- alert: *//p' "$rules" >"$tmp/alerts"
while read -r a; do
	if grep -q "alertname: $a\$" "$tests"; then ok "alerts/tested-$a"
	else not_ok "alerts/tested-$a: no test case"; fi
done <"$tmp/alerts"

# Mutations: a rule broken in each of these ways must fail the tests.
mutate() {	# NAME SED-SCRIPT
	sed "$2" "$rules" >"$tmp/vtundfix-alerts.yml"
	if cmp -s "$rules" "$tmp/vtundfix-alerts.yml"; then
		not_ok "alerts/mutation-$1: the mutation changed nothing"; return
	fi
	sed "s|^  - vtundfix-alerts.yml|  - $tmp/vtundfix-alerts.yml|" "$tests" >"$tmp/test.yml"
	if promtool test rules "$tmp/test.yml" >/dev/null 2>&1; then
		not_ok "alerts/mutation-$1: the tests still pass"
	else
		ok "alerts/mutation-$1 caught"
	fi
}
mutate switch-ignored '/unless on (instance, job, tap)/d'
mutate no-for-down '0,/for: 2m/s/for: 2m/for: 0m/'
mutate storm-threshold 's/\[15m\])) > 6/[15m])) > 12/'
mutate storm-no-reset 's/increase(vtundfix_repairs_total\[15m\])/delta(vtundfix_repairs_total[15m])/'
mutate loss-threshold 's/vtundfix_probe_loss_ratio > 0.2/vtundfix_probe_loss_ratio > 0.6/'
mutate stale-basename-only 's|file=~"(.\*/)?vtundfix\[^/\]\*\\\\.prom"|file="vtundfix.prom"|'
mutate stale-threshold 's/mtime_seconds{\(.*\)} > 120/mtime_seconds{\1} > 600/'
mutate rejected-never 's/rejected_total\[10m\]) > 0/rejected_total[10m]) > 100/'

# Metric names: what the rules use is what the daemon writes.
grep -o 'vtundfix_[a-z_]*' "$rules" | sort -u >"$tmp/metrics"
while read -r m; do
	if grep -q "\"$m\"" src/*.c; then ok "alerts/metric-$m"
	else not_ok "alerts/metric-$m: not written by src/ (src/metrics.c)"; fi
done <"$tmp/metrics"
[ "$failures" -eq 0 ]
