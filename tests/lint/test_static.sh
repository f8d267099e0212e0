#!/bin/sh
# Static analysis: cppcheck and clang-tidy (.clang-tidy) report nothing.
cd "$(dirname "$0")/../.." || exit 2
failures=0
# shellcheck disable=SC2046  # pkg-config's words are meant to split
set -- -std=c11 -D_GNU_SOURCE '-DVERSION="0"' -Isrc \
    $(pkg-config --cflags libnl-route-3.0 libnl-idiag-3.0 libnl-3.0 libsodium libsystemd)
if out=$(cppcheck --enable=warning,performance,portability --std=c11 \
    --quiet --error-exitcode=1 --inline-suppr -D_GNU_SOURCE -Isrc \
    --suppress=missingIncludeSystem src 2>&1); then
	echo "ok - static/cppcheck"
else
	echo "not ok - static/cppcheck"; echo "$out" | sed 's/^/#   /'
	failures=$((failures + 1))
fi
# clang-tidy takes a file at a time: one per core at once (all of src/ in
# one call took 105 s of make check).
TIDY_FLAGS="$*"
export TIDY_FLAGS
# shellcheck disable=SC2016  # $TIDY_FLAGS and $@ are sh -c's own
if out=$(printf '%s\n' src/*.c | xargs -n 4 -P "$(nproc)" sh -c \
    'clang-tidy --quiet "$@" -- $TIDY_FLAGS' sh 2>&1) &&
    ! echo "$out" | grep -q 'warning:\|error:'; then
	echo "ok - static/clang-tidy"
else
	echo "not ok - static/clang-tidy"
	echo "$out" | grep -A3 'warning:\|error:' | sed 's/^/#   /'
	failures=$((failures + 1))
fi
[ "$failures" -eq 0 ]
