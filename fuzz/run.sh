#!/bin/sh
# Build and run the libFuzzer targets for SECONDS each (default 10).
# Crashes are kept under build/fuzz/ and fail the run; every crash found
# becomes a test case in fuzz/regress/ (replayed by this script each time).
#	fuzz/run.sh [SECONDS]
# src/ is compiled once (FUZZ_JOBS files at a time, default: one per
# core) and linked into every target; FUZZ_JOBS targets run at once, each
# for SECONDS, and their results are printed in order.  (Each target once
# compiled all of src/ itself, one after the other: 216 s of make check.)
cd "$(dirname "$0")/.." || exit 2
secs=${1:-10}
jobs=${FUZZ_JOBS:-$(nproc)}
CC=${FUZZ_CC:-clang}
out=build/fuzz
mkdir -p "$out/obj"
if ! command -v "$CC" >/dev/null; then
	echo "skip - fuzz: $CC is not installed"; exit 0
fi
# The Makefile's PKGS: every library src/ links.
pkgs="libnl-route-3.0 libnl-idiag-3.0 libnl-3.0 libsodium libsystemd"
# shellcheck disable=SC2086  # pkgs and pkg-config's words are meant to split
flags="-std=c11 -D_GNU_SOURCE -DVERSION=0 -g -O1 -Isrc \
    -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    $(pkg-config --cflags $pkgs)"
# shellcheck disable=SC2086
libs=$(pkg-config --libs $pkgs)
export CC flags out

# The library: every src/*.c but the two programs' mains.
# shellcheck disable=SC2016  # the script's own $f and $o, for sh -c
printf '%s\n' src/*.c | grep -v -e '^src/vtundfix\.c$' -e '^src/vtundctl\.c$' |
    xargs -n 1 -P "$jobs" sh -c 'f=$1; o="$out/obj/$(basename "$f" .c).o"
	# shellcheck disable=SC2086
	$CC $flags -fsanitize=fuzzer-no-link -c -o "$o" "$f" 2>"$o.build" ||
	    { rm -f "$o"; exit 1; }' sh
objs=""
missing=""
for f in src/*.c; do
	case $f in src/vtundfix.c|src/vtundctl.c) continue ;; esac
	o="$out/obj/$(basename "$f" .c).o"
	if [ -f "$o" ]; then objs="$objs $o"; else missing="$missing $f"; fi
done
if [ -n "$missing" ]; then
	for f in $missing; do
		echo "not ok - fuzz: $f does not build"
		sed 's/^/#   /' "$out/obj/$(basename "$f" .c).o.build"
	done
	exit 1
fi

# One target: build, replay its regression inputs, fuzz; the result line
# (and what explains a failure) goes to $out/NAME.result.
one() {
	t=$1; name=$(basename "$t" .c); target=${name#fuzz_}
	res="$out/$name.result"
	# shellcheck disable=SC2086
	if ! $CC $flags -fsanitize=fuzzer -o "$out/$name" "$t" $objs $libs \
	    2>"$out/$name.build"; then
		{ echo "not ok - fuzz/$target: does not build"
		  sed 's/^/#   /' "$out/$name.build"; } >"$res"
		return
	fi
	work="$out/corpus-$target"
	mkdir -p "$work" "$out/crashes-$target"
	# Every input that once crashed or hung is replayed first.
	if [ -d "fuzz/regress/$target" ] && ! "$out/$name" -timeout=5 \
	    fuzz/regress/"$target"/* >"$out/$name.regress" 2>&1; then
		{ echo "not ok - fuzz/$target: a regression input fails again"
		  tail -20 "$out/$name.regress" | sed 's/^/#   /'; } >"$res"
		return
	fi
	if "$out/$name" -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 \
	    -artifact_prefix="$out/crashes-$target/" "$work" "fuzz/corpus/$target" \
	    >"$out/$name.log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$out/$name.log" | tail -1)
		echo "ok - fuzz/$target (${runs:-ran} in ${secs} s)" >"$res"
	else
		{ echo "not ok - fuzz/$target"
		  tail -30 "$out/$name.log" | sed 's/^/#   /'; } >"$res"
	fi
}

targets=$(printf '%s\n' fuzz/fuzz_*.c)
rm -f "$out"/*.result
running=0
for t in $targets; do
	one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait
failures=0
for t in $targets; do
	res="$out/$(basename "$t" .c).result"
	if [ -s "$res" ]; then
		cat "$res"
	else
		echo "not ok - fuzz/$(basename "$t" .c): no result"
	fi
	grep -q '^ok - ' "$res" 2>/dev/null || failures=$((failures + 1))
done
[ "$failures" -eq 0 ]
