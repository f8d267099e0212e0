#!/usr/bin/env bash
# bench.sh: how fast is a broken vtund tunnel working again, with vtundfix,
# with monit configured for the job, and with vtund alone?  (bench/README.md)
#
#	bench/bench.sh [-n N] [-c CAP] [-j JOBS] [-f FAULT,...] [-t TOOL,...]
#	    [-o FILE] [-T TRIALS] [-O SECS,...] [-B SECS] [-F SECS] [-M N]
#	    [-P ssh|netns] [-I SECS] [-S N,...] [--no-scale | --scale-only]
#	    [-r RAWFILE] [--report RAWFILE,...]
#
# Every fault class is injected N times (default 20) into the two-host lab
# of tests/lab/lab.sh, for each watchdog, with DELAY_BETWEENCHECK 300 and
# the default probe settings for vtundfix.  Each (watchdog, fault class)
# pair has a lab of its own, JOBS of them (default 7) at once.  Recovery is
# the time from the injection to the first LAN-to-LAN ping answered through
# the tunnel; detection is from the injection to vtundfix's log line naming
# the fault.  A watchdog that has not restored traffic after CAP seconds
# (default 15) counts as "not restored"; a class whose first two trials
# both failed is not tried further.  The hostile-network classes
# (bench/hostile.sh: busy slow link, outages of -O seconds, far end
# stopped, black hole without peer channel, -M tunnels through an outage,
# flapping) run -T trials each (default 3) in the own-root lab with the
# peer channel over ssh (-P netns: through `ip netns exec`).  Then the
# daemon's own cost on both ends with -S tunnels (default 1,10,100,1000):
# CPU idle over -I seconds (default 360, longer than a check round), memory,
# and two mass faults.  Results go to stdout and to FILE (default
# bench/RESULTS.md); -r appends the raw trial lines to RAWFILE, and
# --report makes the recovery and hostile tables from such files alone
# (to merge a class re-run with -f into a whole run's figures).
# shellcheck disable=SC2046  # lists of pids are meant to be split
set -u
cmdline="bench/bench.sh${*:+ $*}"
cd "$(dirname "$0")/.." || exit 2
OLD_FAULTS="client-killed bridge-deleted tap-off-bridge uplink-down tap-down listener-killed black-hole"
. bench/hostile.sh
. bench/cpu.sh
ALL_FAULTS="$OLD_FAULTS $HOSTILE_FAULTS"
ALL_TOOLS="vtundfix monit vtund-alone"
FAULTS=$ALL_FAULTS
# Slow classes first, so that the last jobs to start are short ones.
JOB_ORDER="outage-300 outage-90 far-end-stopped far-end-no-peer busy-link mass-outage outage-30 flap outage-10 black-hole-no-peer listener-killed black-hole client-killed tap-down tap-off-bridge bridge-deleted uplink-down"
SCALE_NS="1 10 100 1000"
IDLE=360	# seconds of idle CPU measured
TOOLS=$ALL_TOOLS
N=20
CAP=15
MAX_FAILS=2
OUT=bench/RESULTS.md
SCALE=1
RECOVERY=1
JOBS=7

usage() {
	echo "usage: bench/bench.sh [-n N] [-c CAP] [-j JOBS] [-f FAULT,...] [-t TOOL,...]" >&2
	echo "                      [-o FILE] [-T TRIALS] [-O SECS,...] [-B SECS] [-F SECS]" >&2
	echo "                      [-M N] [-P ssh|netns] [-I SECS] [-S N,...]" >&2
	echo "                      [--no-scale | --scale-only] [-r RAWFILE] [--report RAWFILE,...]" >&2
	exit 2
}
die() { echo "bench: $*" >&2; exit 2; }

# in_list WORD LIST
in_list() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }

outages=""
SAVE_RAW=""
FROM=""
while [ $# -gt 0 ]; do
	case $1 in
	-n | -c | -j | -f | -t | -o | -T | -O | -B | -F | -M | -P | -I | -S | -r | --report)
		[ $# -ge 2 ] || die "option $1 needs a value" ;;
	esac
	case $1 in
	-n) N=$2; shift 2 ;;
	-c) CAP=$2; shift 2 ;;
	-j) JOBS=$2; shift 2 ;;
	-f) FAULTS=${2//,/ }; shift 2 ;;
	-t) TOOLS=${2//,/ }; shift 2 ;;
	-o) OUT=$2; shift 2 ;;
	-T) HTRIALS=$2; shift 2 ;;
	-O) outages=${2//,/ }; shift 2 ;;
	-B) BUSY_SECS=$2; shift 2 ;;
	-F) FAR_SECS=$2; shift 2 ;;
	-M) MASS_N=$2; shift 2 ;;
	-P) PEER_WORLD=$2; shift 2 ;;
	-I) IDLE=$2; shift 2 ;;
	-S) SCALE_NS=${2//,/ }; shift 2 ;;
	-r) SAVE_RAW=$2; shift 2 ;;
	--report) FROM=${2//,/ }; shift 2 ;;
	--no-scale) SCALE=0; shift ;;
	--scale-only) RECOVERY=0; shift ;;
	-h | --help) usage ;;
	*) echo "bench: unknown option $1" >&2; usage ;;
	esac
done
# -O replaces the outage classes (in -f's list or the default one).
if [ -n "$outages" ]; then
	f=""
	for v in $FAULTS; do case $v in outage-*) ;; *) f="$f $v" ;; esac; done
	for v in $outages; do f="$f outage-$v"; done
	FAULTS=${f# }
fi
for v in "$N" "$CAP" "$JOBS" "$HTRIALS" "$BUSY_SECS" "$FAR_SECS" "$MASS_N" "$IDLE" $outages $SCALE_NS; do
	case $v in
	'' | *[!0-9]* | 0*) die "$v: not a positive number" ;;
	esac
done
case $PEER_WORLD in ssh | netns) ;; *) die "-P $PEER_WORLD: ssh or netns" ;; esac
if [ -n "$FROM" ]; then
	# The classes (and watchdogs) of the saved lines, nothing measured.
	for v in $FROM; do [ -r "$v" ] || die "$v: cannot read"; done
	# shellcheck disable=SC2086 # a list of files
	FAULTS=$(awk '{ print $2 }' $FROM | awk '!s[$0]++' | tr '\n' ' ')
	SCALE=0
fi
for v in $FAULTS; do
	in_list "$v" "$ALL_FAULTS" || is_hostile "$v" || die "$v: no such fault class ($ALL_FAULTS)"
done
for v in $TOOLS; do
	in_list "$v" "$ALL_TOOLS" || die "$v: no such watchdog ($ALL_TOOLS)"
done
# The jobs in JOB_ORDER's order, then any other outage length asked for.
order=""
for v in $JOB_ORDER $FAULTS; do
	in_list "$v" "$FAULTS" && ! in_list "$v" "$order" && order="$order $v"
done
JOB_ORDER=$order
[ "$(id -u)" -eq 0 ] || { echo "bench: run it as root" >&2; exit 1; }
command -v monit >/dev/null || { echo "bench: monit is not installed (scripts/deps.sh)" >&2; exit 1; }

export VTUNDFIX=${VTUNDFIX:-$PWD/build/vtundfix}
. tests/lab/lab.sh
. tests/lab/lab-vtundfix.sh

raw=$(mktemp /tmp/vfx-bench.XXXXXX)
trap 'rm -f "$raw" "$raw".*' EXIT
log() { printf '%s\n' "$*" >&2; }

# --- faults ---

inject() {
	local S
	S=$(lab_session 0)
	case $1 in
	client-killed) kill -KILL $(lab_pids cli "vtund\[c\]: $S ") ;;
	bridge-deleted) lab_in srv ip link del br0 ;;
	tap-off-bridge) lab_in cli ip link set tap0 nomaster ;;
	uplink-down) lab_in cli ip link set up0 down ;;
	tap-down) lab_in cli ip link set tap0 down ;;
	listener-killed)
		kill -KILL $(lab_pids srv 'waiting for connections') \
		    $(lab_pids srv "vtund\[s\]: $S ") ;;
	black-hole) lab_black_hole ;;
	esac
}

# Put the lab back by hand, as an admin would, whatever state it is in.
heal() {
	local S side ns
	S=$(lab_session 0)
	lab_black_hole_clear
	for side in srv cli; do
		ns=$(lab_ns "$side")
		ip -n "$ns" link show br0 >/dev/null 2>&1 ||
		    ip -n "$ns" link add br0 type bridge
		ip -n "$ns" link set br0 up
		ip -n "$ns" link set up0 up master br0
		ip -n "$ns" link show tap0 >/dev/null 2>&1 &&
		    ip -n "$ns" link set tap0 up master br0
	done
	lab_wait_traffic 0 2 >/dev/null && return 0
	# Still down: restart vtund on both ends.
	kill -KILL $(lab_pids srv 'vtund\[s\]') $(lab_pids cli 'vtund\[c\]') 2>/dev/null
	sleep 0.3
	lab_in srv /usr/sbin/vtund -s -f "$LAB_VTUND_SRV_CONF"
	lab_in cli /usr/sbin/vtund -f "$LAB_VTUND_CLI_CONF" "$S" "$LAB_SERVER_IP"
	lab_bridge_taps >/dev/null 2>&1
	lab_wait_traffic 0 10 >/dev/null
}

# --- watchdogs ---

# monit for every tunnel of the lab: a process check per vtund client
# (the listener on the server), link checks per bridge and uplink; the
# tap checks run a program (a fork each cycle), so only up to 10 tunnels.
monit_conf() {	# SIDE
	local side=$1 d=$LAB_DIR/monit-$1 S i
	mkdir -p "$d"
	{
		echo "set daemon 1"
		echo "set logfile $d/monit.log"
		echo "set pidfile $d/monit.pid"
		echo "set idfile $d/monit.id"
		echo "set statefile $d/monit.state"
		if [ "$side" = srv ]; then
			echo "check process vtund-listener matching \"vtund\\[s\\]: waiting for connections on port $LAB_PORT\""
			echo "  start program = \"/usr/sbin/vtund -s -f $LAB_VTUND_SRV_CONF\""
		fi
		for ((i = 0; i < LAB_NTAPS; i++)); do
			S=$(lab_session "$i")
			if [ "$side" = cli ]; then
				echo "check process vtund-client-$i matching \"vtund\\[c\\]: $S \""
				echo "  start program = \"/usr/sbin/vtund -f $LAB_VTUND_CLI_CONF $S $LAB_SERVER_IP\""
			fi
			cat <<-CONF
			check network br$i with interface br$i
			  if link down then exec "/bin/sh -c 'ip link add br$i type bridge; ip link set br$i up; ip link set up$i master br$i; ip link set tap$i master br$i'" repeat every 1 cycles
			check network up$i with interface up$i
			  if link down then exec "/bin/sh -c 'ip link set up$i up master br$i'" repeat every 1 cycles
			CONF
			[ "$LAB_NTAPS" -le 10 ] || continue
			cat <<-CONF
			check program tap$i-bridged with path "/bin/sh -c '[ ! -e /sys/class/net/tap$i ] || [ -e /sys/class/net/tap$i/brport ]'"
			  if status != 0 then exec "/bin/sh -c 'ip link set tap$i up master br$i'" repeat every 1 cycles
			check program tap$i-up with path "/bin/sh -c '[ ! -e /sys/class/net/tap$i ] || ip link show tap$i | grep -q ,UP'"
			  if status != 0 then exec "/bin/sh -c 'ip link set tap$i up master br$i'" repeat every 1 cycles
			CONF
		done
	} >"$d/monitrc"
	chmod 600 "$d/monitrc"
	echo "$d/monitrc"
}

start_tool() {
	case $1 in
	vtundfix)
		labfix_write_conf srv
		labfix_write_conf cli
		labfix_start srv && labfix_start cli ;;
	monit)
		lab_in_cgroup srv srv monit -c "$(monit_conf srv)" >/dev/null
		lab_in_cgroup cli cli monit -c "$(monit_conf cli)" >/dev/null ;;
	vtund-alone) ;;
	esac
}

stop_tool() {
	case $1 in
	vtundfix) labfix_stop cli; labfix_stop srv ;;
	monit)
		lab_in cli monit -c "$LAB_DIR/monit-cli/monitrc" quit >/dev/null 2>&1
		lab_in srv monit -c "$LAB_DIR/monit-srv/monitrc" quit >/dev/null 2>&1 ;;
	esac
}

# Milliseconds from T0 to the first vtundfix log line after it (either end).
detection() {
	local t0=$1 side ts ms best=""
	for side in srv cli; do
		while read -r ts _; do
			ms=$(date -d "${ts%+*}Z" +%s%3N 2>/dev/null) || continue
			[ "$ms" -ge "$t0" ] || continue
			if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
			break
		done < <(grep -E ': (client|uplink|bridge|tap|tunnel|listener): .*(; .*: (ok|failed)|not repaired)' "$(labfix_log "$side")")
	done
	[ -n "$best" ] && echo $((best - t0))
}

# Milliseconds from T0 to the first reply of a long-running ping (every
# 20 ms, timestamps by ping itself): cheap enough that three watchdogs can
# be measured at once without the measurement eating the CPU.  With -w,
# ping exits at its first error: while the tunnel is down the far host's
# ARP entry fails and sendmsg says ENOBUFS ("No buffer space available")
# once the neighbour queue is full, so ping is started again until CAP
# seconds have passed.  (It made one trial in 20 look like a failure.)
first_reply_ms() {	# T0
	local t0=$1 deadline=$(($1 + CAP * 1000)) now line ts sec usec ms
	while now=$(lab_now_ms); [ "$now" -lt "$deadline" ]; do
		while read -r line; do
			case $line in
			*"bytes from"*)
				ts=${line#[}; ts=${ts%%]*}
				sec=${ts%.*}; usec=${ts#*.}
				ms=$((sec * 1000 + 10#$usec / 1000))
				[ "$ms" -lt "$t0" ] && continue
				[ "$ms" -le "$deadline" ] && echo $((ms - t0))
				return ;;
			esac
		done < <(ip netns exec "$LAB_LANC" ping -n -D -i 0.02 -W 1 \
		    -w $(((deadline - now + 999) / 1000)) "$(lab_lan_ip srv 0)" \
		    2>/dev/null)
		sleep 0.02
	done
}

trial() {	# TOOL FAULT -> "recovery_ms detection_ms" or "-"
	local tool=$1 fault=$2 t0 rec det
	t0=$(lab_now_ms)
	inject "$fault" >/dev/null 2>&1
	rec=$(first_reply_ms "$t0")
	if [ -z "$rec" ]; then
		echo "-"
		return
	fi
	det="-"
	[ "$tool" = vtundfix ] && det=$(detection "$t0")
	echo "$rec ${det:--}"
}

# What vtundfix said around a trial it did not repair in time.
show_logs() {	# TITLE
	local side
	for side in srv cli; do
		log "  -- $1: vtundfix log, $side end, last lines:"
		tail -n 20 "$(labfix_log "$side")" | sed 's/^/  | /' >&2
	done
}

# One (watchdog, fault class) pair in a lab of its own, N trials.
run_job() {	# TOOL FAULT PORT RAWFILE
	local tool=$1 fault=$2 raw=$4 i r fails=0
	if is_hostile "$fault"; then
		run_hostile_job "$@"
		return
	fi
	lab_init "b-$tool-$fault"
	LAB_PORT=$3	# distinct per job: listener titles name only the port
	lab_create 1 || { log "bench: $tool $fault: lab failed"; exit 1; }
	start_tool "$tool"
	sleep 3
	for ((i = 1; i <= N; i++)); do
		lab_wait_traffic 0 3 >/dev/null || heal
		sleep 1.2	# settled: the watchdog (monit: 1 s cycles)
				# has seen the repair and is idle again
		r=$(trial "$tool" "$fault")
		log "  $tool $fault #$i: ${r/ / ms, detected }"
		echo "$tool $fault $r" >>"$raw"
		[ "$fault" = black-hole ] && lab_black_hole_clear
		if [ "$r" = "-" ]; then
			[ "$tool" = vtundfix ] && show_logs "$tool $fault #$i"
			fails=$((fails + 1))
			# A watchdog that has not repaired this once in its
			# first tries is not tried N times: vtund alone
			# waits minutes.
			[ "$fails" -eq "$i" ] && [ "$fails" -ge "$MAX_FAILS" ] && break
			heal
		fi
	done
	stop_tool "$tool"
	lab_destroy
}

# All pairs, JOBS at a time, the slowest classes first so that the last
# jobs to start are short ones.
run_recovery() {	# RAWFILE
	local raw=$1 fault tool k=0 port pids=()
	port=$((20000 + RANDOM % 19000))
	trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait; rm -f "$raw".*; exit 130' INT TERM
	for fault in $JOB_ORDER; do
		for tool in $TOOLS; do
			while [ "$(jobs -pr | wc -l)" -ge "$JOBS" ]; do wait -n; done
			run_job "$tool" "$fault" $((port + k)) "$raw.$k" &
			pids+=($!)
			k=$((k + 1))
		done
	done
	wait
	trap - INT TERM
	cat "$raw".* >"$raw"
	rm -f "$raw".*
}

# --- statistics ---

stats() {	# TOOL FAULT FIELD(3=recovery,4=detection) -> "median p95 max n"
	awk -v t="$1" -v f="$2" -v k="$3" '$1 == t && $2 == f && $3 != "-" && $k != "-" { print $k }' "$raw" |
	    sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "- - - 0"; exit }
		m = v[int((NR + 1) / 2)]; p = v[int(NR * 0.95 + 0.999)]; if (p == "") p = v[NR]
		print m, p, v[NR], NR }'
}
failed() { awk -v t="$1" -v f="$2" '$1 == t && $2 == f && $3 == "-"' "$raw" | wc -l; }
fmt() {
	if [ "$1" = "-" ]; then echo "-"; return; fi
	awk -v v="$1" 'BEGIN { if (v < 1000) printf "%d ms", v; else printf "%.2f s", v / 1000 }'
}

report_recovery() {
	local fault tool s med p95 max n f ref ratio
	echo "| fault | watchdog | detection median / p95 | recovery median | recovery p95 | recovery max | restored | p95 vs vtundfix |"
	echo "|---|---|---|---|---|---|---|---|"
	for fault in $FAULTS; do
		is_hostile "$fault" && continue
		ref=$(stats vtundfix "$fault" 3 | cut -d' ' -f2)
		for tool in $TOOLS; do
			read -r med p95 max n <<<"$(stats "$tool" "$fault" 3)"
			f=$(failed "$tool" "$fault")
			s=$(stats "$tool" "$fault" 4)
			ratio="-"
			if [ "$tool" != vtundfix ]; then
				if [ "$n" -gt 0 ] && [ "$ref" != "-" ] && [ "$ref" -gt 0 ]; then
					ratio=$(awk -v a="$p95" -v b="$ref" 'BEGIN { printf "%.0fx slower", a / b }')
				elif [ "$f" -gt 0 ]; then
					ratio="> $(awk -v c="$CAP" -v b="$ref" 'BEGIN { if (b > 0) printf "%.0fx", c * 1000 / b; else print "-" }') slower"
				fi
			fi
			printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$fault" "$tool" \
			    "$([ "$tool" = vtundfix ] && echo "$(fmt "$(cut -d' ' -f1 <<<"$s")") / $(fmt "$(cut -d' ' -f2 <<<"$s")")" || echo "-")" \
			    "$(fmt "$med")" "$(fmt "$p95")" "$(fmt "$max")" \
			    "$n of $((n + f))$([ "$f" -gt 0 ] && echo ", $f not within ${CAP} s")" "$ratio"
		done
	done
}

# --- cost and scale ---

proc_pss_kb() {
	local pid sum=0 k
	for pid in "$@"; do
		k=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null) || continue
		sum=$((sum + ${k:-0}))
	done
	echo "$sum"
}
fix_pids() { lab_pids "$1" '^vtundfix: '; }
cg_pids() { cat "$(lab_cgroup "$1")/cgroup.procs"; }

# Per tunnel, per end: "SIDE idle_us pss_fix_kb pss_all_kb off_ms off_us out_ms out_us"
scale_row() {	# TUNNELS -> table rows; log what limits it when it fails
	local t=$1 side t0 tr i s0 c0 off_ms out_ms st0 steal fail=""
	local -A idle pssf pssa offc outc
	lab_init scale
	t0=$(date +%s)
	if [ "$PEER_WORLD" = ssh ]; then
		lab_create "$t" --own-root && lab_peer_setup "" 2>/dev/null || fail="lab"
	else
		lab_create "$t" || fail="lab"
	fi
	if [ -n "$fail" ]; then
		echo "| $t | - | lab failed (free memory $(awk '/MemAvailable/ { print int($2 / 1024) }' /proc/meminfo) MiB) | | | | | |"
		lab_destroy
		return
	fi
	log "   lab of $t tunnels built in $(($(date +%s) - t0)) s"
	labfix_write_conf srv
	labfix_write_conf cli
	labfix_start srv && labfix_start cli
	# Idle means after start-up, and after the kernel's own link events
	# for new bridge ports (about 15 s after they were added): each one
	# is a round for the worker of that port.
	sleep $((20 + t / 20))
	if ! lab_reach_all 60 >/dev/null; then
		log "   $t tunnels: not all carry traffic with vtundfix started"
	fi
	log "   vtundfix processes: srv $(fix_pids srv | wc -l), cli $(fix_pids cli | wc -l); idle for $IDLE s"
	for side in srv cli; do idle[$side]=$(lab_cgroup_cpu_us "$side"); done
	st0=$(steal_ticks)
	sleep "$IDLE"
	steal=$(steal_pct "$st0" "$(steal_ticks)" "$IDLE")
	for side in srv cli; do
		idle[$side]=$(($(lab_cgroup_cpu_us "$side") - idle[$side]))
		# shellcheck disable=SC2046 # lists of pids
		pssf[$side]=$(proc_pss_kb $(fix_pids "$side"))
		# shellcheck disable=SC2046
		pssa[$side]=$(proc_pss_kb $(cg_pids "$side"))
	done
	# Every tap off its bridge on the client, in one batch.
	for side in srv cli; do offc[$side]=$(lab_cgroup_cpu_us "$side"); done
	t0=$(lab_now_ms)
	for ((i = 0; i < t; i++)); do echo "link set tap$i nomaster"; done |
	    ip -n "$LAB_CLI" -force -batch - 2>/dev/null
	off_ms=$(lab_reach_all 60 "$t0" 2>/dev/null) || off_ms=-
	for side in srv cli; do offc[$side]=$(($(lab_cgroup_cpu_us "$side") - offc[$side])); done
	lab_bridge_taps >/dev/null 2>&1
	lab_reach_all 60 >/dev/null 2>&1
	sleep 5
	# A 20 s underlay outage.
	for side in srv cli; do outc[$side]=$(lab_cgroup_cpu_us "$side"); done
	lab_outage_start
	sleep 20
	lab_outage_stop
	tr=$(cat "$LAB_DIR/outage.end")
	out_ms=$(lab_reach_all 80 "$tr" 2>/dev/null) || out_ms=-
	for side in srv cli; do outc[$side]=$(($(lab_cgroup_cpu_us "$side") - outc[$side])); done
	for side in srv cli; do
		printf '| %d | %s | %s | %s | %s | %s | %s | %s |\n' "$t" \
		    "$([ "$side" = srv ] && echo "server (hub)" || echo client)" \
		    "$(awk -v c="${idle[$side]}" -v t="$t" -v s="$IDLE" -v st="$steal" 'BEGIN { printf "%.3f ms/s (steal %s %%)", c / s / t / 1000, st }')" \
		    "$((pssf[$side] / t)) KiB ($((pssa[$side] / t)) KiB with all it runs)" \
		    "$(fmt "$off_ms")" \
		    "$(awk -v c="${offc[$side]}" -v t="$t" 'BEGIN { printf "%.0f ms (%.2f ms per tunnel)", c / 1000, c / t / 1000 }')" \
		    "$(fmt "$out_ms")" \
		    "$(awk -v c="${outc[$side]}" -v t="$t" 'BEGIN { printf "%.0f ms (%.2f ms per tunnel)", c / 1000, c / t / 1000 }')"
	done
	labfix_stop cli
	labfix_stop srv
	lab_destroy
}

# --- main ---

started=$(date -u +%Y-%m-%dT%H:%MZ)
t_start=$(date +%s)
: >"$raw"
if [ -n "$FROM" ]; then
	# shellcheck disable=SC2086 # a list of files
	cat $FROM >"$raw"
	cmdline="$cmdline (figures of earlier runs' raw lines)"
elif [ "$RECOVERY" -eq 1 ]; then
	log "== recovery: $(wc -w <<<"$TOOLS") watchdogs x $(wc -w <<<"$FAULTS") fault classes, $N trials per lab fault, $HTRIALS per hostile class, $JOBS labs at once"
	run_recovery "$raw"
	[ -n "$SAVE_RAW" ] && cat "$raw" >>"$SAVE_RAW"
fi
{
	echo "# Recovery benchmark"
	echo
	took=$(($(date +%s) - t_start))
	echo "Measured by \`$cmdline\` ($started; recovery part"
	echo "$((took / 60)) min $((took % 60)) s) on $(nproc) cores,"
	echo "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r),"
	echo "vtund $(dpkg-query -W -f='${Version}' vtun), monit $(monit -V | head -1 | grep -o '[0-9][0-9.]*')."
	echo "vtundfix with \`DELAY_BETWEENCHECK 300\`, probes every 1000 ms x 3;"
	echo "monit with \`set daemon 1\`, process checks by vtund's titles with start"
	echo "programs, link checks with exec repairs (bench/bench.sh, monit_conf);"
	echo "vtund alone with \`persist yes\`, \`keepalive yes\`, \`multi killold\`."
	old=0
	for v in $FAULTS; do is_hostile "$v" || old=1; done
	if [ "$RECOVERY" -eq 1 ] && [ "$old" -eq 1 ]; then
		echo
		echo "Recovery: injection to the first LAN-to-LAN ping answered through the"
		echo "tunnel (one ping every 20 ms). Detection (vtundfix): injection to its"
		echo "log line naming the fault. Each watchdog and fault class had a lab of"
		echo "its own, $JOBS labs at once. \"not within ${CAP} s\": traffic was not"
		echo "back after ${CAP} s (vtund alone needs about 220 s for a black hole"
		echo "here, SPEC §11); a class that failed its first $MAX_FAILS trials stops there."
		echo "Ratios compare p95 recovery with vtundfix's."
		echo
		report_recovery
	fi
	if [ "$RECOVERY" -eq 1 ] && grep -q . <(for v in $FAULTS; do is_hostile "$v" && echo "$v"; done); then
		echo
		echo "## Hostile networks (issue 13)"
		echo
		echo "The lab of each (watchdog, class) pair: $([ "$PEER_WORLD" = ssh ] && echo "each end in its own mount namespace, the peer channel over the underlay through sshd as the vtundfix account (tests/lab/lab-root.sh)" || echo "the peer channel through \`ip netns exec\` (not cut by an outage)")."
		echo "Restarts: the client's new vtund connections that reached the server (an"
		echo "nftables counter, once per connection), for every watchdog alike. ${HTRIALS} trials per"
		echo "class and variant where a class has trials."
		report_hostile "$raw"
	fi
	if [ "$SCALE" -eq 1 ]; then
		echo
		echo "## Cost and scale (vtundfix on both ends; vtund server and client pairs in the lab)"
		echo
		echo "CPU: vtundfix's cgroup on each end (everything it runs: workers, ssh for"
		echo "the peer channel ($PEER_WORLD), restarted vtund clients), idle over ${IDLE} s"
		echo "(longer than a check round) per tunnel, and for each mass fault from its"
		echo "start until every tunnel carried traffic again (all probed at once)."
		echo "Memory: proportional set size of the vtundfix processes per tunnel."
		echo "Taps off bridges: every client tap leaves its bridge at once; time from"
		echo "then. Outage: 20 s, time from the underlay's return. Steal: the share"
		echo "of the host's CPU time the hypervisor gave other guests during the idle"
		echo "measurement; every figure is charged more while it is high."
		echo
		echo "| tunnels | end | CPU idle per tunnel | PSS per tunnel | taps off bridges: all back | CPU for it | 20 s outage: all back | CPU for it |"
		echo "|---|---|---|---|---|---|---|---|"
		for t in $SCALE_NS; do
			log "== scale: $t tunnels"
			scale_row "$t"
		done
	fi
} | tee "$OUT"
rm -f "$raw"
