# shellcheck shell=bash
# hostile.sh: the bench's classes for the networks real sites have (issue
# 13), sourced by bench.sh.  Each (watchdog, class) pair runs in a lab of
# its own, as the fault classes do; the lab is the own-root world (each end
# its own mount namespace, the peer channel over the underlay through real
# sshd as the vtundfix account, lab-root.sh) unless PEER_WORLD=netns (the
# peer reached with `ip netns exec`, as root, over no network at all).
#
#	busy-link	1 Mbit/s, 1 s queue (tbf), bulk TCP both ways (3
#			iperf3 streams each way) for BUSY_SECS: restarts, LAN
#			ping loss and RTT
#	outage-L	underlay outage of L s, LAN idle and with LAN traffic
#			(a ping every 0.2 s) during it, HTRIALS times each:
#			time from the underlay's return to LAN traffic
#	far-end-stopped	the server's watchdog stopped, tunnel idle FAR_SECS:
#			restarts
#	far-end-no-peer	the same, and the peer channel (ssh) dropped
#	black-hole-no-peer  ssh dropped on the underlay, then the tunnel's
#			flow black-holed, HTRIALS times: time to traffic
#	mass-outage	MASS_N tunnels, a 20 s outage, HTRIALS times: time
#			from the return until every tunnel carries traffic
#			(all probed at once), CPU of the watchdog's cgroup on
#			each end from the outage's start until then
#	flap		2 s up, 2 s down for 60 s: restarts, time to traffic
#			after it settles
#
# Restarts are the client's new vtund connections that reach the server
# (lab_conns: nftables, once per connection), the same count for every
# watchdog.  Raw lines: TOOL CLASS FIELDS... (see each class).

BUSY_SECS=${BUSY_SECS:-300}
FAR_SECS=${FAR_SECS:-300}
HTRIALS=${HTRIALS:-3}
MASS_N=${MASS_N:-100}
PEER_WORLD=${PEER_WORLD:-ssh}
# shellcheck disable=SC2034 # used by bench.sh
HOSTILE_FAULTS="busy-link outage-10 outage-30 outage-90 outage-300 far-end-stopped far-end-no-peer black-hole-no-peer mass-outage flap"

is_hostile() {
	case $1 in
	busy-link | outage-[0-9]* | far-end-* | black-hole-no-peer | mass-outage | flap) return 0 ;;
	esac
	return 1
}

# The lab of a hostile job, its watchdog started and settled, the
# connection counter at 0.
hostile_world() {	# TOOL FAULT PORT NTAPS
	local tool=$1
	lab_init "h-$tool-$2"
	# vtund alone has nothing else to put a new session's tap on its
	# bridge: its up block does (monit's tap checks, vtundfix's bridge
	# check do it for the others).
	export LAB_VTUND_UP_BRIDGE=0
	[ "$tool" = vtund-alone ] && LAB_VTUND_UP_BRIDGE=1
	# shellcheck disable=SC2034 # lab.sh's: distinct per job
	LAB_PORT=$3
	if [ "$PEER_WORLD" = ssh ]; then
		lab_create "$4" --own-root || return 1
		lab_peer_setup "" 2>/dev/null || return 1
	else
		lab_create "$4" || return 1
	fi
	start_tool "$tool" || return 1
	sleep 5
	lab_reach_all 30 >/dev/null || return 1
	lab_conns_start
}

# Every tunnel carries traffic again, by hand if the watchdog did not.
hostile_heal() {
	lab_black_hole_clear
	lab_outage_stop
	lab_reach_all 60 >/dev/null && return 0
	log "  (healing by hand: restarting vtund)"
	# shellcheck disable=SC2046 # lists of pids
	kill -KILL $(lab_pids srv 'vtund\[s\]') $(lab_pids cli 'vtund\[c\]') 2>/dev/null
	sleep 1
	lab_start_vtund
	lab_bridge_taps >/dev/null 2>&1
	lab_reach_all 60 >/dev/null
}

# The peer channel down: the server drops ssh on the underlay, both ways.
drop_ssh() {
	lab_in srv nft -f - <<-NFT
	table inet vfxnossh {
		chain input { type filter hook input priority -5; tcp dport 22 drop; }
		chain output { type filter hook output priority -5; tcp sport 22 drop; }
	}
	NFT
}

stop_far_end() {	# TOOL
	case $1 in
	vtundfix) labfix_stop srv ;;
	monit) lab_in srv monit -c "$LAB_DIR/monit-srv/monitrc" quit >/dev/null 2>&1 ;;
	esac
}

h_busy_link() {	# TOOL RAW -> TOOL busy-link RESTARTS LOSS% RTTMAX_MS
	local out loss rtt
	lab_shape 1000 1000
	lab_bulk_start 0 3 "$BUSY_SECS"
	# -c, not -w: ping waits for the replies still queued at the end.
	out=$(ip netns exec "$LAB_LANC" ping -n -q -i 0.2 -c $((BUSY_SECS * 5)) \
	    -W 20 "$(lab_lan_ip srv 0)" 2>/dev/null)
	lab_bulk_stop
	loss=$(grep -o '[0-9.]*% packet loss' <<<"$out" | cut -d% -f1)
	rtt=$(sed -n 's|^rtt .* = [0-9.]*/[0-9.]*/\([0-9.]*\)/.*|\1|p' <<<"$out")
	echo "$1 busy-link $(lab_conns) ${loss:--} ${rtt:--}" >>"$2"
	log "  $1 busy-link: $(lab_conns) restarts, loss ${loss:-?} %, max RTT ${rtt:-?} ms"
}

h_outage() {	# TOOL RAW SECS -> TOOL outage-L VARIANT MS|- RESTARTS
	local tool=$1 raw=$2 secs=$3 i variant pp c0 ms
	for ((i = 1; i <= HTRIALS; i++)); do
		for variant in idle busy; do
			hostile_heal
			sleep 3
			c0=$(lab_conns)
			pp=""
			if [ "$variant" = busy ]; then
				ip netns exec "$LAB_LANC" ping -n -q -i 0.2 \
				    "$(lab_lan_ip srv 0)" >/dev/null 2>&1 &
				pp=$!
			fi
			lab_outage_start
			sleep "$secs"
			lab_outage_stop
			[ -n "$pp" ] && kill "$pp" 2>/dev/null
			ms=$(lab_reach_all $((secs + 60)) "$(cat "$LAB_DIR/outage.end")" 2>/dev/null) || ms=-
			echo "$tool outage-$secs $variant $ms $(($(lab_conns) - c0))" >>"$raw"
			log "  $tool outage-$secs $variant #$i: ${ms} ms after the return, $(($(lab_conns) - c0)) restarts"
		done
	done
}

h_far_end() {	# TOOL RAW FAULT -> TOOL FAULT RESTARTS TRAFFIC(yes|no)
	local tool=$1 traffic=yes
	stop_far_end "$tool"
	[ "$3" = far-end-no-peer ] && drop_ssh
	sleep "$FAR_SECS"
	lab_wait_traffic 0 10 >/dev/null || traffic=no
	echo "$tool $3 $(lab_conns) $traffic" >>"$2"
	log "  $tool $3: $(lab_conns) restarts in $FAR_SECS s, traffic at the end: $traffic"
}

h_black_hole_no_peer() {	# TOOL RAW -> TOOL black-hole-no-peer MS|-
	local tool=$1 i t0 ms fails=0
	drop_ssh
	sleep 2
	for ((i = 1; i <= HTRIALS * 2; i++)); do
		hostile_heal
		sleep 3
		t0=$(lab_now_ms)
		lab_black_hole >/dev/null 2>&1
		ms=$(lab_reach_all "$CAP" "$t0" 2>/dev/null) || ms=-
		lab_black_hole_clear
		echo "$tool black-hole-no-peer $ms" >>"$2"
		log "  $tool black-hole-no-peer #$i: $ms ms"
		if [ "$ms" = - ]; then
			fails=$((fails + 1))
			[ "$fails" -eq "$i" ] && [ "$fails" -ge "$MAX_FAILS" ] && break
		fi
	done
}

cg_cpu() {	# SIDE TOOL -> microseconds, or 0 for vtund alone
	if [ "$2" = vtund-alone ]; then echo 0; else lab_cgroup_cpu_us "$1"; fi
}

h_mass_outage() {	# TOOL RAW -> TOOL mass-outage N MS|- CPU_SRV_US CPU_CLI_US RESTARTS
	local tool=$1 i s0 c0 n0 ms
	for ((i = 1; i <= HTRIALS; i++)); do
		hostile_heal
		sleep 5
		n0=$(lab_conns)
		s0=$(cg_cpu srv "$tool") c0=$(cg_cpu cli "$tool")
		lab_outage_start
		sleep 20
		lab_outage_stop
		ms=$(lab_reach_all 80 "$(cat "$LAB_DIR/outage.end")" 2>/dev/null) || ms=-
		echo "$tool mass-outage $LAB_NTAPS $ms $(($(cg_cpu srv "$tool") - s0)) $(($(cg_cpu cli "$tool") - c0)) $(($(lab_conns) - n0))" >>"$2"
		log "  $tool mass-outage #$i: all $LAB_NTAPS back $ms ms after the return, CPU srv $((($(cg_cpu srv "$tool") - s0) / 1000)) ms, cli $((($(cg_cpu cli "$tool") - c0) / 1000)) ms"
		# Why a tunnel was not simply resumed, in vtundfix's words.
		[ "$tool" = vtundfix ] && grep -h -E 'outage -> dead|resuming -> dead' \
		    "$(labfix_log cli)" 2>/dev/null | tail -n 3 | sed 's/^/    cli: /' | while IFS= read -r l; do log "$l"; done
		[ "$tool" = vtundfix ] && : >"$(labfix_log cli)"
	done
}

h_flap() {	# TOOL RAW -> TOOL flap RESTARTS MS|-, one line per trial
	local tool=$1 i n0 settled ms
	for ((i = 1; i <= HTRIALS; i++)); do
		hostile_heal
		sleep 5
		n0=$(lab_conns)
		[ "$tool" = vtundfix ] && : >"$(labfix_log cli)"
		lab_flap_start 2 2 60
		settled=$(lab_flap_wait)
		ms=$(lab_reach_all 60 "$settled" 2>/dev/null) || ms=-
		echo "$tool flap $(($(lab_conns) - n0)) $ms" >>"$2"
		log "  $tool flap #$i: $(($(lab_conns) - n0)) restarts, back $ms ms after it settled"
		# What vtundfix did once the underlay stayed up, in its words.
		[ "$tool" = vtundfix ] && tail -n 4 "$(labfix_log cli)" 2>/dev/null |
		    grep -E ' -> ' | sed 's/^/    cli: /' | while IFS= read -r l; do log "$l"; done
	done
}

run_hostile_job() {	# TOOL FAULT PORT RAWFILE
	local tool=$1 fault=$2 n=1
	[ "$fault" = mass-outage ] && n=$MASS_N
	if ! hostile_world "$tool" "$fault" "$3" "$n"; then
		log "bench: $tool $fault: lab failed"
		lab_destroy
		return 1
	fi
	case $fault in
	busy-link) h_busy_link "$tool" "$4" ;;
	outage-*) h_outage "$tool" "$4" "${fault#outage-}" ;;
	far-end-*) h_far_end "$tool" "$4" "$fault" ;;
	black-hole-no-peer) h_black_hole_no_peer "$tool" "$4" ;;
	mass-outage) h_mass_outage "$tool" "$4" ;;
	flap) h_flap "$tool" "$4" ;;
	esac
	stop_tool "$tool"
	lab_destroy
}

# --- reports ---

# median p95 max n of the numbers on stdin ("-" lines not counted)
h_stats() {
	grep -v '^-$' | sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "- - - 0"; exit }
		m = v[int((NR + 1) / 2)]; p = v[int(NR * 0.95 + 0.999)]; if (p == "") p = v[NR]
		print m, p, v[NR], NR }'
}

report_hostile() {	# RAW
	local raw=$1 tool f variant med p95 max n tot r
	if grep -q ' busy-link ' "$raw"; then
		echo
		echo "### (a) Busy slow link: 1 Mbit/s, 1 s queue, bulk both ways for ${BUSY_SECS} s"
		echo
		echo "| watchdog | restarts | LAN ping loss | max ping RTT |"
		echo "|---|---|---|---|"
		awk '$2 == "busy-link" { printf "| %s | %s | %.1f %% | %.1f s |\n", $1, $3, $4, $5 / 1000 }' "$raw"
	fi
	if grep -q ' outage-[0-9]* ' "$raw"; then
		echo
		echo "### (b) Underlay outage: time from the underlay's return to LAN traffic"
		echo
		echo "Idle: no LAN traffic during the outage; busy: a ping every 0.2 s during it."
		echo "Cap: the outage's length + 60 s."
		echo
		echo "| outage | LAN | watchdog | median | p95 | max | back within the cap | restarts per trial |"
		echo "|---|---|---|---|---|---|---|---|"
		while read -r f; do
			for variant in idle busy; do
				for tool in $TOOLS; do
					tot=$(awk -v t="$tool" -v f="$f" -v v="$variant" '$1 == t && $2 == f && $3 == v' "$raw" | wc -l)
					[ "$tot" -gt 0 ] || continue
					read -r med p95 max n <<<"$(awk -v t="$tool" -v f="$f" -v v="$variant" '$1 == t && $2 == f && $3 == v { print $4 }' "$raw" | h_stats)"
					r=$(awk -v t="$tool" -v f="$f" -v v="$variant" '$1 == t && $2 == f && $3 == v { s += $5; n++ } END { printf "%.1f", s / n }' "$raw")
					printf '| %s s | %s | %s | %s | %s | %s | %s of %s | %s |\n' "${f#outage-}" "$variant" "$tool" \
					    "$(fmt "$med")" "$(fmt "$p95")" "$(fmt "$max")" "$n" "$tot" "$r"
				done
			done
		done < <(awk '$2 ~ /^outage-/ { print $2 }' "$raw" | sort -t- -k2 -n -u)
	fi
	if grep -q ' far-end-' "$raw"; then
		echo
		echo "### (c) Far end's watchdog stopped, tunnel idle ${FAR_SECS} s"
		echo
		echo "| case | watchdog | restarts | traffic at the end |"
		echo "|---|---|---|---|"
		for f in far-end-stopped far-end-no-peer; do
			for tool in $TOOLS; do
				awk -v t="$tool" -v f="$f" '$1 == t && $2 == f {
					c = f == "far-end-stopped" ? "far end stopped" : "far end stopped, peer channel down"
					printf "| %s | %s | %s | %s |\n", c, $1, $3, $4 }' "$raw"
			done
		done
	fi
	if grep -q ' black-hole-no-peer ' "$raw"; then
		echo
		echo "### (d) Black hole with the peer channel down (ssh dropped on the underlay)"
		echo
		echo "| watchdog | median | p95 | max | restored within ${CAP} s |"
		echo "|---|---|---|---|---|"
		for tool in $TOOLS; do
			tot=$(awk -v t="$tool" '$1 == t && $2 == "black-hole-no-peer"' "$raw" | wc -l)
			[ "$tot" -gt 0 ] || continue
			read -r med p95 max n <<<"$(awk -v t="$tool" '$1 == t && $2 == "black-hole-no-peer" { print $3 }' "$raw" | h_stats)"
			printf '| %s | %s | %s | %s | %s of %s |\n' "$tool" "$(fmt "$med")" "$(fmt "$p95")" "$(fmt "$max")" "$n" "$tot"
		done
	fi
	if grep -q ' mass-outage ' "$raw"; then
		echo
		echo "### (e) $MASS_N tunnels, a 20 s outage: until every tunnel is back after the return"
		echo
		echo "CPU: the watchdog's cgroup (everything it runs, ssh and restarted vtund"
		echo "clients included) from the outage's start until every tunnel was back."
		echo
		echo "| watchdog | all back: median | max | CPU server end | CPU client end | restarts |"
		echo "|---|---|---|---|---|---|"
		for tool in $TOOLS; do
			tot=$(awk -v t="$tool" '$1 == t && $2 == "mass-outage"' "$raw" | wc -l)
			[ "$tot" -gt 0 ] || continue
			read -r med p95 max n <<<"$(awk -v t="$tool" '$1 == t && $2 == "mass-outage" { print $4 }' "$raw" | h_stats)"
			awk -v t="$tool" -v med="$(fmt "$med")" -v max="$(fmt "$max")" -v n="$n" -v tot="$tot" \
			    '$1 == t && $2 == "mass-outage" { s += $5; c += $6; r += $7; k++ }
			    END { printf "| %s | %s | %s (%d of %d back within 80 s) | %.0f ms | %.0f ms | %.1f |\n",
				t, med, max, n, tot, s / k / 1000, c / k / 1000, r / k }' "$raw"
		done
	fi
	if grep -q ' flap ' "$raw"; then
		echo
		echo "### (f) Flapping underlay: 2 s up, 2 s down, for 60 s"
		echo
		echo "| watchdog | trials | restarts per trial (max) | traffic back after it settled: median | p95 | max |"
		echo "|---|---|---|---|---|---|"
		for tool in $TOOLS; do
			tot=$(awk -v t="$tool" '$1 == t && $2 == "flap"' "$raw" | wc -l)
			[ "$tot" -gt 0 ] || continue
			read -r med p95 max n <<<"$(awk -v t="$tool" '$1 == t && $2 == "flap" { print $4 }' "$raw" | h_stats)"
			awk -v t="$tool" -v med="$(fmt "$med")" -v p95="$(fmt "$p95")" -v max="$(fmt "$max")" -v n="$n" -v tot="$tot" \
			    '$1 == t && $2 == "flap" { r += $3; if ($3 > m) m = $3; k++ }
			    END { printf "| %s | %d (%d back within 60 s) | %.1f (%d) | %s | %s | %s |\n", t, tot, n, r / k, m, med, p95, max }' "$raw"
		done
	fi
}
