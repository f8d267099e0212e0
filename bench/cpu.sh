# shellcheck shell=bash
# CPU figures shared by bench/bench.sh and bench/floor.sh (sourced).

# PIDS... -> their CPU time so far in ns (the scheduler's figure).
proc_cpu_ns() {
	local p sum=0 ns
	for p in "$@"; do
		read -r ns _ <"/proc/$p/schedstat" 2>/dev/null || continue
		sum=$((sum + ns))
	done
	echo "$sum"
}
# The host's steal time so far (USER_HZ ticks, all CPUs): the hypervisor
# running other guests while this one had work; it inflates what a
# process is charged for the same work.
steal_ticks() { awk '/^cpu / { print $9 }' /proc/stat; }
# TICKS_BEFORE TICKS_AFTER SECONDS -> steal as a share of all CPU time, %
steal_pct() {
	awk -v a="$1" -v b="$2" -v s="$3" -v n="$(nproc)" \
	    -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (b - a) * 100 / (hz * s * n) }'
}
