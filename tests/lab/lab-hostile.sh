# shellcheck shell=bash
# lab-hostile.sh: the networks real sites have, for the lab (sourced by
# lab.sh).  Only nftables and tbf: this kernel has no netem.
#
#	lab_shape RATE_KBIT QUEUE_MS	shape the underlay: tbf on u0 of both
#				ends (e.g. 1000 1000: 1 Mbit/s, a 1 s queue)
#	lab_shape_clear		remove it
#	lab_outage_start	an underlay outage: each end drops every IP
#				packet arriving on u0 (ARP passes, as it
#				would to a first-hop router), the peer
#				channel's ssh included; senders see no error
#	lab_outage_stop		the underlay returns; prints nothing,
#				LAB_DIR/outage.end holds the time (ms)
#	lab_flap_start UP DOWN TOTAL	in the background: UP s up, DOWN s
#				down, for TOTAL s, ending up
#	lab_flap_wait		wait for it; prints the time (ms) the underlay
#				came back for good
#	lab_flap_stop		stop it now (underlay up)
#	lab_bulk_start I STREAMS SECONDS
#				bulk TCP both ways through tunnel I between
#				the LAN hosts (iperf3: STREAMS each way),
#				restarted if a run ends early
#	lab_bulk_stop		stop it
#	lab_conns_start		count the client's new vtund connections on
#				the server (nftables: one per client address
#				and port that connected since, SYN
#				retransmissions once, and only if it carried
#				data: vtundfix's check that the server
#				answers — a connect closed at once — is not
#				a restart)
#	lab_conns		print that count
#	lab_cgroup SIDE		a cgroup (v2) for what runs on SIDE, created
#				on first use; prints its directory
#	lab_in_cgroup SIDE HOST CMD...	run CMD in HOST, inside SIDE's cgroup
#				(everything it forks stays in it)
#	lab_cgroup_cpu_us SIDE	CPU time (microseconds) used in the cgroup,
#				by every process that ever ran there
#	lab_hostile_stop	stop the background helpers (lab_destroy)

lab_shape() {	# RATE_KBIT QUEUE_MS
	local rate=$1 queue=$2 burst side
	# A burst of 10 ms of the rate, and at least two full frames.
	burst=$((rate * 1000 / 8 / 100))
	[ "$burst" -ge 3100 ] || burst=3100
	for side in srv cli; do
		ip -n "$(lab_ns "$side")" link set u0 txqueuelen 1000
		lab_in "$side" tc qdisc replace dev u0 root tbf rate "${rate}kbit" \
		    burst "$burst" latency "${queue}ms" || return 1
	done
}

lab_shape_clear() {
	local side
	for side in srv cli; do
		lab_in "$side" tc qdisc del dev u0 root 2>/dev/null
	done
	return 0
}

lab_outage_start() {
	local side
	for side in srv cli; do
		lab_in "$side" nft -f - <<-NFT || return 1
		table netdev vfxoutage {
			chain in { type filter hook ingress device "u0" priority 0;
				meta protocol != arp drop; }
		}
		NFT
	done
	lab_now_ms >"$LAB_DIR/outage.start"
}

lab_outage_stop() {
	local side
	for side in srv cli; do
		lab_in "$side" nft delete table netdev vfxoutage 2>/dev/null
	done
	lab_now_ms >"$LAB_DIR/outage.end"
	return 0
}

lab_flap_start() {	# UP DOWN TOTAL
	local up=$1 down=$2 total=$3
	rm -f "$LAB_DIR/flap.end"
	(
		trap 'lab_outage_stop; exit 0' TERM
		end=$(($(lab_now_ms) + total * 1000))
		while [ "$(lab_now_ms)" -lt "$end" ]; do
			sleep "$up"
			lab_outage_start
			sleep "$down"
			lab_outage_stop
		done
		cp "$LAB_DIR/outage.end" "$LAB_DIR/flap.end"
	) &
	echo $! >"$LAB_DIR/flap.pid"
}

# Polls (a caller's $(lab_flap_wait) runs in a subshell, which cannot
# `wait` for its parent's child).
lab_flap_wait() {
	local pid
	pid=$(cat "$LAB_DIR/flap.pid" 2>/dev/null) || return 1
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	rm -f "$LAB_DIR/flap.pid"
	cat "$LAB_DIR/flap.end"
}

lab_flap_stop() {
	local pid
	pid=$(cat "$LAB_DIR/flap.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$LAB_DIR/flap.pid"
	lab_outage_stop
}

# Two iperf3 servers on the server's LAN host (one receives, one sends:
# -R), two clients on the client's LAN host, each a loop that runs iperf3
# again until SECONDS have passed (a run may end early when the tunnel
# drops its flows).  Detached (setsid), so callers' `wait` does not wait.
lab_bulk_start() {	# I STREAMS SECONDS
	local i=$1 streams=$2 secs=$3 dst port dir
	dst=$(lab_lan_ip srv "$i")
	for port in 5201 5202; do
		ip netns exec "$LAB_LANS" iperf3 -s -D -p "$port" \
		    -B "$dst" --logfile "$LAB_DIR/iperf3-s$port.log" || return 1
	done
	sleep 0.2
	for port in 5201 5202; do
		dir=""
		[ "$port" = 5202 ] && dir=-R
		# shellcheck disable=SC2016 # expanded by that shell
		setsid -f ip netns exec "$LAB_LANC" bash -c '
			end=$(($(date +%s) + $5))
			while left=$((end - $(date +%s))); [ "$left" -gt 0 ]; do
				iperf3 -c "$1" -p "$2" -P "$3" -t "$left" $4 \
				    --connect-timeout 5000 -i 0
				sleep 1
			done' lab-bulk "$dst" "$port" "$streams" "$dir" "$secs" \
		    </dev/null >>"$LAB_DIR/iperf3-c$port.log" 2>&1
	done
}

lab_bulk_stop() {
	local host
	for host in lanc lans; do
		# shellcheck disable=SC2046 # a list of pids
		kill -TERM $(lab_pids "$host" 'lab-bulk|^iperf3 ') 2>/dev/null
	done
	return 0
}

lab_conns_start() {
	lab_in srv nft delete table inet vfxconns 2>/dev/null
	lab_in srv nft -f - <<-NFT
	table inet vfxconns {
		set syn { type ipv4_addr . inet_service; flags timeout;
			timeout 1d; size 65535; }
		set seen { type ipv4_addr . inet_service; flags timeout;
			timeout 1d; size 65535; }
		counter conns { }
		chain input { type filter hook input priority -10;
			iif "u0" tcp dport $LAB_PORT tcp flags & (syn | ack) == syn add @syn { ip saddr . tcp sport }
			iif "u0" tcp dport $LAB_PORT ip length > 64 ip saddr . tcp sport @syn ip saddr . tcp sport != @seen add @seen { ip saddr . tcp sport } counter name conns; }
	}
	NFT
}

lab_conns() {
	lab_in srv nft list counter inet vfxconns conns 2>/dev/null |
	    awk '/packets/ { print $2; found = 1 } END { if (!found) print "-" }'
}

lab_cgroup_root() {
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo /sys/fs/cgroup
	elif [ -f /sys/fs/cgroup/unified/cgroup.procs ]; then echo /sys/fs/cgroup/unified
	else return 1; fi
}

lab_cgroup() {	# SIDE
	local d
	d=$(lab_cgroup_root)/vfx-$LAB_ID-$1 || return 1
	[ -d "$d" ] || mkdir "$d" || return 1
	echo "$d"
}

lab_in_cgroup() {	# SIDE HOST CMD...
	local cg
	cg=$(lab_cgroup "$1") || return 1
	shift
	(echo "$BASHPID" >"$cg/cgroup.procs" && lab_in "$@")
}

lab_cgroup_cpu_us() {	# SIDE
	awk '$1 == "usage_usec" { print $2 }' "$(lab_cgroup "$1")/cpu.stat"
}

lab_cgroups_remove() {
	local d root i
	root=$(lab_cgroup_root) || return 0
	for d in "$root/vfx-$LAB_ID-"*; do
		[ -d "$d" ] || continue
		for ((i = 0; i < 40; i++)); do
			[ -s "$d/cgroup.procs" ] || break
			# shellcheck disable=SC2046 # a list of pids
			kill -KILL $(cat "$d/cgroup.procs") 2>/dev/null
			sleep 0.05
		done
		rmdir "$d" 2>/dev/null
	done
	return 0
}

lab_hostile_stop() {
	[ -n "$LAB_DIR" ] && [ -e "$LAB_DIR/flap.pid" ] && lab_flap_stop
	[ -e "/run/netns/$LAB_LANC" ] && lab_bulk_stop
	return 0
}
