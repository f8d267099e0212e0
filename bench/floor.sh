#!/bin/sh
# The cost of one wake-up a second on this machine (bench/floor.c), to
# compare with the scale bench's idle figure per tunnel.
#	bench/floor.sh [SECONDS]	(default 60)
# Each variant runs SECONDS + 3 s; the first 2 s (start-up) are left out.
set -u
cd "$(dirname "$0")/.." || exit 2
secs=${1:-60}
dir=$(mktemp -d /tmp/vfx-floor.XXXXXX) || exit 1
trap 'rm -rf "$dir"' EXIT
cc -O2 -o "$dir/floor" bench/floor.c || exit 1
for how in wake calls; do
	"$dir/floor" $((secs + 3)) "$how" &
	pid=$!
	sleep 2
	read -r a _ </proc/$pid/schedstat
	sleep "$secs"
	read -r b _ </proc/$pid/schedstat
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	awk -v a="$a" -v b="$b" -v s="$secs" -v how="$how" 'BEGIN {
	    printf "%-6s %.3f ms of CPU per second (one wake-up a second%s)\n",
	    how, (b - a) / s / 1e6,
	    how == "calls" ? ", two reads and a send" : "" }'
done
