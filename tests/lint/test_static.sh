#!/bin/sh
# Static analysis: cppcheck and clang-tidy (.clang-tidy) report nothing.
cd "$(dirname "$0")/../.." || exit 2
failures=0
cflags="-std=c11 -D_GNU_SOURCE -DVERSION=\"0\" -Isrc $(pkg-config --cflags libnl-route-3.0 libnl-3.0 libsystemd)"
if out=$(cppcheck --enable=warning,performance,portability --std=c11 \
    --quiet --error-exitcode=1 --inline-suppr -D_GNU_SOURCE -Isrc \
    --suppress=missingIncludeSystem src 2>&1); then
	echo "ok - static/cppcheck"
else
	echo "not ok - static/cppcheck"; echo "$out" | sed 's/^/#   /'
	failures=$((failures + 1))
fi
# shellcheck disable=SC2086
if out=$(clang-tidy --quiet src/*.c -- $cflags 2>&1) &&
    ! echo "$out" | grep -q 'warning:\|error:'; then
	echo "ok - static/clang-tidy"
else
	echo "not ok - static/clang-tidy"
	echo "$out" | grep -A3 'warning:\|error:' | sed 's/^/#   /'
	failures=$((failures + 1))
fi
[ "$failures" -eq 0 ]
