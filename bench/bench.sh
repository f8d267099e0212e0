#!/usr/bin/env bash
# bench.sh: how fast is a broken vtund tunnel working again, with vtundfix,
# with monit configured for the job, and with vtund alone?
#
#	bench/bench.sh [-n N] [-c CAP_SECONDS] [-o RESULTS.md] [--no-scale]
#
# Every fault class is injected N times (default 20) into the two-host lab
# of tests/lab/lab.sh, for each watchdog in turn, with DELAY_BETWEENCHECK 300
# and the default probe settings for vtundfix.  Recovery is the time from
# the injection to the first LAN-to-LAN ping answered through the tunnel
# (pings every ~20 ms); detection is from the injection to vtundfix's log
# line naming the fault.  A watchdog that has not restored traffic after
# CAP_SECONDS (default 15) counts as "not restored"; after two such trials
# of one class its remaining trials are skipped.  Then the daemon's own
# cost: CPU time and memory with 1, 10 and 100 tunnels, idle and during a
# fault.  Results go to stdout and to bench/RESULTS.md.
# shellcheck disable=SC2046  # lists of pids are meant to be split
set -u
cd "$(dirname "$0")/.." || exit 2
N=20
CAP=15
MAX_FAILS=2
OUT=bench/RESULTS.md
SCALE=1
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift 2 ;;
	-c) CAP=$2; shift 2 ;;
	-o) OUT=$2; shift 2 ;;
	--no-scale) SCALE=0; shift ;;
	*) echo "usage: bench/bench.sh [-n N] [-c CAP] [-o FILE] [--no-scale]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "bench: run it as root" >&2; exit 1; }
command -v monit >/dev/null || { echo "bench: monit is not installed (scripts/deps.sh)" >&2; exit 1; }

export VTUNDFIX=${VTUNDFIX:-$PWD/build/vtundfix}
. tests/lab/lab.sh
. tests/lab/lab-vtundfix.sh

FAULTS="client-killed bridge-deleted tap-off-bridge uplink-down tap-down listener-killed black-hole"
TOOLS="vtundfix monit vtund-alone"
raw=$(mktemp /tmp/vfx-bench.XXXXXX)
now_ms() { date +%s%3N; }
log() { printf '%s\n' "$*" >&2; }

vtund_pids() {	# HOST REGEX
	local pid
	for pid in $(ip netns pids "$(lab_ns "$1")"); do
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qE "$2" &&
		    echo "$pid"
	done
}

# --- faults ---

inject() {
	local S port
	S=$(lab_session 0)
	case $1 in
	client-killed) kill -KILL $(vtund_pids cli "vtund\[c\]: $S ") ;;
	bridge-deleted) lab_in srv ip link del br0 ;;
	tap-off-bridge) lab_in cli ip link set tap0 nomaster ;;
	uplink-down) lab_in cli ip link set up0 down ;;
	tap-down) lab_in cli ip link set tap0 down ;;
	listener-killed)
		kill -KILL $(vtund_pids srv 'waiting for connections') \
		    $(vtund_pids srv "vtund\[s\]: $S ") ;;
	black-hole)
		port=$(lab_in srv ss -Htn state established "( sport = :$LAB_PORT )" |
		    awk '{ split($4, a, ":"); print a[2]; exit }')
		lab_in srv nft -f - <<-NFT
		table inet bench {
			chain input { type filter hook input priority 0;
				ip saddr $LAB_CLIENT_IP tcp sport $port drop; }
		}
		NFT
		;;
	esac
}

# Put the lab back by hand, as an admin would, whatever state it is in.
heal() {
	local S side ns
	S=$(lab_session 0)
	lab_in srv nft delete table inet bench 2>/dev/null
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
	kill -KILL $(vtund_pids srv 'vtund\[s\]') $(vtund_pids cli 'vtund\[c\]') 2>/dev/null
	sleep 0.3
	lab_in srv /usr/sbin/vtund -s -f "$LAB_VTUND_SRV_CONF"
	lab_in cli /usr/sbin/vtund -f "$LAB_VTUND_CLI_CONF" "$S" "$LAB_SERVER_IP"
	lab_bridge_taps >/dev/null 2>&1
	lab_wait_traffic 0 10 >/dev/null
}

# --- watchdogs ---

monit_conf() {	# SIDE
	local side=$1 d=$LAB_DIR/monit-$1 S
	S=$(lab_session 0)
	mkdir -p "$d"
	{
		echo "set daemon 1"
		echo "set logfile $d/monit.log"
		echo "set pidfile $d/monit.pid"
		echo "set idfile $d/monit.id"
		echo "set statefile $d/monit.state"
		if [ "$side" = cli ]; then
			echo "check process vtund-client matching \"vtund\\[c\\]: $S \""
			echo "  start program = \"/usr/sbin/vtund -f $LAB_VTUND_CLI_CONF $S $LAB_SERVER_IP\""
		else
			echo "check process vtund-listener matching \"vtund\\[s\\]: waiting for connections on port $LAB_PORT\""
			echo "  start program = \"/usr/sbin/vtund -s -f $LAB_VTUND_SRV_CONF\""
		fi
		cat <<-CONF
		check network br0 with interface br0
		  if link down then exec "/bin/sh -c 'ip link add br0 type bridge; ip link set br0 up; ip link set up0 master br0; ip link set tap0 master br0'" repeat every 1 cycles
		check network up0 with interface up0
		  if link down then exec "/bin/sh -c 'ip link set up0 up master br0'" repeat every 1 cycles
		check program tap0-bridged with path "/bin/sh -c '[ ! -e /sys/class/net/tap0 ] || [ -e /sys/class/net/tap0/brport ]'"
		  if status != 0 then exec "/bin/sh -c 'ip link set tap0 up master br0'" repeat every 1 cycles
		check program tap0-up with path "/bin/sh -c '[ ! -e /sys/class/net/tap0 ] || ip link show tap0 | grep -q ,UP'"
		  if status != 0 then exec "/bin/sh -c 'ip link set tap0 up master br0'" repeat every 1 cycles
		CONF
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
		lab_in srv monit -c "$(monit_conf srv)"
		lab_in cli monit -c "$(monit_conf cli)" ;;
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

# Milliseconds from T0 to the first reply of one long-running ping (every
# 20 ms, timestamps by ping itself): cheap enough that three watchdogs can
# be measured at once without the measurement eating the CPU.
first_reply_ms() {	# T0
	local t0=$1 line ts sec usec ms
	while read -r line; do
		case $line in
		*"bytes from"*)
			ts=${line#[}; ts=${ts%%]*}
			sec=${ts%.*}; usec=${ts#*.}
			ms=$((sec * 1000 + 10#$usec / 1000))
			if [ "$ms" -ge "$t0" ]; then echo $((ms - t0)); return; fi ;;
		esac
	done < <(ip netns exec "$LAB_LANC" ping -n -D -i 0.02 -W 1 -w "$CAP" \
	    "$(lab_lan_ip srv 0)" 2>/dev/null)
}

trial() {	# TOOL FAULT -> "recovery_ms detection_ms" or "-"
	local tool=$1 fault=$2 t0 rec det
	t0=$(now_ms)
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

run_tool() {	# TOOL RAWFILE
	local tool=$1 raw=$2 fault i r fails
	lab_init "b$tool"
	lab_create 1 || { log "bench: lab failed"; exit 1; }
	start_tool "$tool"
	sleep 3
	for fault in $FAULTS; do
		fails=0
		for ((i = 1; i <= N; i++)); do
			lab_wait_traffic 0 3 >/dev/null || heal
			sleep 1.2	# settled: the watchdog (monit: 1 s cycles)
					# has seen the repair and is idle again
			r=$(trial "$tool" "$fault")
			log "  $tool $fault #$i: ${r/ / ms, detected }"
			echo "$tool $fault $r" >>"$raw"
			if [ "$r" = "-" ]; then
				fails=$((fails + 1))
				heal
				# A watchdog that cannot repair this at all is not
				# tried N times: vtund alone waits minutes.
				[ "$fails" -ge "$MAX_FAILS" ] && break
			fi
		done
	done
	stop_tool "$tool"
	lab_destroy
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

proc_cpu_ms() {	# PIDS... -> utime+stime in ms
	local pid sum=0 t
	for pid in "$@"; do
		t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) || continue
		sum=$((sum + t))
	done
	echo $((sum * 1000 / $(getconf CLK_TCK)))
}
proc_pss_kb() {
	local pid sum=0 k
	for pid in "$@"; do
		k=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null) || continue
		sum=$((sum + ${k:-0}))
	done
	echo "$sum"
}
fix_pids() { vtund_pids "$1" '^vtundfix: '; }

scale_row() {	# TUNNELS
	local t=$1 pids c0 c1 idle_ms fault_ms pss i
	lab_init scale
	lab_create "$t" || { echo "| $t | lab failed | | | |"; lab_destroy; return; }
	labfix_write_conf srv
	labfix_write_conf cli
	labfix_start srv && labfix_start cli
	sleep 5
	mapfile -t pids < <(fix_pids cli)
	c0=$(proc_cpu_ms "${pids[@]}")
	sleep 20
	c1=$(proc_cpu_ms "${pids[@]}")
	idle_ms=$((c1 - c0))
	pss=$(proc_pss_kb "${pids[@]}")
	# A fault on every tunnel at once: each client's bridge loses its tap.
	c0=$(proc_cpu_ms "${pids[@]}")
	for ((i = 0; i < t; i++)); do lab_in cli ip link set "tap$i" nomaster; done
	for ((i = 0; i < t; i++)); do lab_wait_traffic "$i" 20 >/dev/null; done
	c1=$(proc_cpu_ms "${pids[@]}")
	fault_ms=$((c1 - c0))
	printf '| %d | %d | %s | %s | %d KiB | %d KiB |\n' "$t" "${#pids[@]}" \
	    "$(awk -v c="$idle_ms" -v t="$t" 'BEGIN { printf "%.2f ms/s (%.3f ms/s per tunnel)", c / 20, c / 20 / t }')" \
	    "$(awk -v c="$fault_ms" -v t="$t" 'BEGIN { printf "%d ms (%.1f ms per tunnel)", c, c / t }')" \
	    "$pss" "$((pss / t))"
	labfix_stop cli
	labfix_stop srv
	lab_destroy
}

# --- main ---

started=$(date -u +%Y-%m-%dT%H:%MZ)
# The three watchdogs run at once, each in its own lab (own namespaces, own
# vtund sessions), so the whole bench takes minutes, not most of an hour.
for tool in $TOOLS; do
	log "== $tool"
	run_tool "$tool" "$raw.$tool" &
done
wait
cat "$raw".* >"$raw"
rm -f "$raw".*
{
	echo "# Recovery benchmark"
	echo
	echo "Measured by \`bench/bench.sh -n $N -c $CAP\` ($started) on $(nproc) cores,"
	echo "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r),"
	echo "vtund $(dpkg-query -W -f='${Version}' vtun), monit $(monit -V | head -1 | grep -o '[0-9][0-9.]*')."
	echo "vtundfix with \`DELAY_BETWEENCHECK 300\`, probes every 1000 ms x 3;"
	echo "monit with \`set daemon 1\`, process checks by vtund's titles with start"
	echo "programs, link checks with exec repairs (bench/bench.sh, monit_conf);"
	echo "vtund alone with \`persist yes\`, \`keepalive yes\`, \`multi killold\`."
	echo
	echo "Recovery: injection to the first LAN-to-LAN ping answered through the"
	echo "tunnel. Detection (vtundfix): injection to its log line naming the fault."
	echo "\"not within ${CAP} s\": traffic was not back after ${CAP} s (vtund alone needs"
	echo "about 220 s for a black hole here, SPEC §11); such classes stop after two"
	echo "failed trials. Ratios compare p95 recovery with vtundfix's."
	echo
	report_recovery
	if [ "$SCALE" -eq 1 ]; then
		echo
		echo "## Cost and scale (client end; vtund server and client pairs in the lab)"
		echo
		echo "| tunnels | vtundfix processes | CPU idle (20 s) | CPU during a fault on every tunnel | memory (PSS) | memory per tunnel |"
		echo "|---|---|---|---|---|---|"
		for t in 1 10 100; do
			log "== scale: $t tunnels"
			scale_row "$t"
		done
	fi
} | tee "$OUT"
rm -f "$raw"
