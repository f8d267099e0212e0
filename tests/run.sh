#!/bin/sh
# Run vtundfix's test suites and print one closing line:
#	N passed, N failed, N skipped
# Usage: tests/run.sh [unit|lab|vm|fuzz|lint|all] [NAME-PATTERN]
#
# Every suite prints "ok - NAME", "not ok - NAME" or "skip - NAME: why";
# a suite that exits non-zero without a "not ok" line counts as one failure,
# a suite that exceeds its time limit too.  Skips are never passes.
set -u
cd "$(dirname "$0")/.." || exit 2

what=${1:-all}
pattern=${2:-}
SUITE_TIMEOUT=${SUITE_TIMEOUT:-900}
results=$(mktemp)
trap 'rm -f "$results"' EXIT

run_suite() {	# name command...
	name=$1; shift
	case "$name" in *"$pattern"*) ;; *) return 0 ;; esac
	echo "== $name"
	out=$(mktemp)
	timeout --kill-after=10 "$SUITE_TIMEOUT" "$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	grep -E '^(ok|not ok|skip) - ' "$out" >>"$results"
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok - ' "$out"; then
		[ "$rc" -eq 124 ] && why="timed out after ${SUITE_TIMEOUT}s" \
		    || why="exit status $rc"
		echo "not ok - $name: $why" | tee -a "$results"
	fi
	rm -f "$out"
}

if [ "$what" = unit ] || [ "$what" = all ]; then
	for t in build/san/test_* tests/unit/test_*.sh; do
		[ -x "$t" ] && run_suite "unit/${t##*/}" "$t"
	done
fi
if [ "$what" = lab ] || [ "$what" = all ]; then
	for t in build/san/t_* tests/lab/test_*.sh; do
		[ -x "$t" ] && run_suite "lab/${t##*/}" "$t"
	done
fi
if [ "$what" = vm ] || [ "$what" = all ]; then
	for t in tests/vm/test_*.sh; do
		[ -x "$t" ] && run_suite "vm/${t##*/}" "$t"
	done
fi
if [ "$what" = fuzz ] || [ "$what" = all ]; then
	run_suite "fuzz/libfuzzer" fuzz/run.sh "${FUZZ_SECONDS:-10}"
fi
if [ "$what" = lint ] || [ "$what" = all ]; then
	for t in tests/lint/*.sh; do
		[ -x "$t" ] && run_suite "lint/${t##*/}" "$t"
	done
fi

passed=$(grep -c '^ok - ' "$results")
failed=$(grep -c '^not ok - ' "$results")
skipped=$(grep -c '^skip - ' "$results")
echo
if [ "$failed" -gt 0 ]; then
	echo "Failed:"; grep '^not ok - ' "$results" | sed 's/^/  /'
fi
if [ "$skipped" -gt 0 ]; then
	echo "SKIPPED (not passed):"; grep '^skip - ' "$results" | sed 's/^/  /'
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
