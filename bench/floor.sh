#!/bin/bash
# The cost of one wake-up a second on this machine (bench/floor.c), to
# compare with the scale bench's idle figure per tunnel.
#	bench/floor.sh [SECONDS [COPIES,...]]	(defaults 60 and 1)
# One copy: a program that only wakes, then one that also makes an idle
# worker's calls.  More copies (a hub's workers): that many of the second
# at once, each first waking at its own moment of the second; the figure
# is per copy.  Each measurement runs SECONDS after 2 s of start-up, with
# the host's steal time beside it (the hypervisor running other guests).
set -u
cd "$(dirname "$0")/.." || exit 2
secs=${1:-60}
copies=${2:-1}
dir=$(mktemp -d /tmp/vfx-floor.XXXXXX) || exit 1
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$dir"' EXIT
. bench/cpu.sh
cc -O2 -o "$dir/floor" bench/floor.c || exit 1

measure() {	# HOW COPIES
	local how=$1 k=$2 i a b s0 s1
	pids=()
	for ((i = 0; i < k; i++)); do
		"$dir/floor" $((secs + 3)) "$how" $((RANDOM % 1000)) &
		pids+=($!)
	done
	sleep 2
	a=$(proc_cpu_ns "${pids[@]}") s0=$(steal_ticks)
	sleep "$secs"
	b=$(proc_cpu_ns "${pids[@]}") s1=$(steal_ticks)
	kill "${pids[@]}" 2>/dev/null
	wait "${pids[@]}" 2>/dev/null
	awk -v a="$a" -v b="$b" -v s="$secs" -v k="$k" -v how="$how" \
	    -v st="$(steal_pct "$s0" "$s1" "$secs")" 'BEGIN {
	    printf "%-5s x %4d: %.3f ms of CPU per second each (one wake-up a second%s; steal %s %%)\n",
	    how, k, (b - a) / s / k / 1e6,
	    how == "calls" ? ", two reads and a send" : "", st }'
}

for k in ${copies//,/ }; do
	if [ "$k" -eq 1 ]; then
		measure wake 1
	fi
	measure calls "$k"
done
