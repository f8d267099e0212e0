#!/bin/sh
# Build and run the libFuzzer targets for SECONDS each (default 10).
# Crashes are kept under build/fuzz/ and fail the run; every crash found
# becomes a test case in fuzz/regress/ (replayed by this script each time).
#	fuzz/run.sh [SECONDS]
cd "$(dirname "$0")/.." || exit 2
secs=${1:-10}
CC=${FUZZ_CC:-clang}
out=build/fuzz
mkdir -p "$out"
if ! command -v "$CC" >/dev/null; then
	echo "skip - fuzz: $CC is not installed"; exit 0
fi
# The Makefile's PKGS: every library src/ links.
pkgs="libnl-route-3.0 libnl-idiag-3.0 libnl-3.0 libsodium libsystemd"
# shellcheck disable=SC2086  # pkgs and pkg-config's words are meant to split
flags="-std=c11 -D_GNU_SOURCE -DVERSION=0 -g -O1 -Isrc \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    $(pkg-config --cflags $pkgs)"
# shellcheck disable=SC2086
libs=$(pkg-config --libs $pkgs)
srcs=""
for f in src/*.c; do
	case $f in src/vtundfix.c|src/vtundctl.c) ;; *) srcs="$srcs $f" ;; esac
done
failures=0
for t in fuzz/fuzz_*.c; do
	name=$(basename "$t" .c)
	target=${name#fuzz_}
	# shellcheck disable=SC2086
	if ! $CC $flags -o "$out/$name" "$t" $srcs $libs 2>"$out/$name.build"; then
		echo "not ok - fuzz/$target: does not build"; sed 's/^/#   /' "$out/$name.build"
		failures=$((failures + 1)); continue
	fi
	work="$out/corpus-$target"
	mkdir -p "$work" "$out/crashes-$target"
	# Every input that once crashed or hung is replayed first.
	if [ -d "fuzz/regress/$target" ] && ! "$out/$name" -timeout=5 \
	    fuzz/regress/"$target"/* >"$out/$name.regress" 2>&1; then
		echo "not ok - fuzz/$target: a regression input fails again"
		tail -20 "$out/$name.regress" | sed 's/^/#   /'
		failures=$((failures + 1)); continue
	fi
	if "$out/$name" -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 \
	    -artifact_prefix="$out/crashes-$target/" "$work" "fuzz/corpus/$target" \
	    >"$out/$name.log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$out/$name.log" | tail -1)
		echo "ok - fuzz/$target (${runs:-ran} in ${secs} s)"
	else
		echo "not ok - fuzz/$target"; tail -30 "$out/$name.log" | sed 's/^/#   /'
		failures=$((failures + 1))
	fi
done
[ "$failures" -eq 0 ]
