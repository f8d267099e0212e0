# shellcheck shell=bash
# lab.sh: a two-host vtund lab in network namespaces, shared by the tests,
# the demo and the benchmark (one implementation).
#
#	lab_init NAME		names for this run; cleanup on any exit
#	lab_create [NTAPS] [--no-vtund]
#				build it, start vtund, wait for LAN-to-LAN
#				traffic; --no-vtund: the network only, vtund
#				left for the daemon under test to start
#	lab_in srv|cli|lans|lanc CMD...	run CMD in that namespace
#	lab_session I		vtund session name of tunnel I
#	lab_wait_traffic I SECONDS	0 as soon as LAN-to-LAN ping over tunnel I
#				works (prints the milliseconds it took)
#	lab_recreate_uplink srv|cli I	put back a deleted uplink (not bridged)
#	lab_pids HOST REGEX	pids in HOST's namespace whose command line
#				(as ps shows it: vtund's title) matches
#	lab_black_hole		the server drops the tunnel's TCP flow both
#				ways (nftables); both vtund processes stay up
#	lab_black_hole_clear	remove that rule
#	lab_destroy		remove everything (idempotent)
#   helpers others use:	lab_ns HOST (namespace name), lab_lan_ip srv|cli I,
#				lab_bridge_taps (wait for the taps, up + bridge)
#
# Exported: LAB_ID LAB_SRV LAB_CLI LAB_LANS LAB_LANC LAB_DIR LAB_NTAPS
# LAB_VTUND_SRV_CONF LAB_VTUND_CLI_CONF LAB_SERVER_IP LAB_CLIENT_IP LAB_PORT.
# lab_init sets the EXIT, INT and TERM traps (replacing the caller's).
# Runs as root.
#
# Topology, per tunnel I (all in namespaces created here, never the host's):
#
#   lans [lI 192.168.(100+I).1] -- [upI] srv [brI: upI tapI]  (vtund -s)
#                                        srv [u0 10.99.0.1]
#                                           | underlay veth
#                                        cli [u0 10.99.0.2]
#   lanc [lI 192.168.(100+I).2] -- [upI] cli [brI: upI tapI]  (vtund client)
#
# Names are unique per run (namespaces vfx-NAME-ID-*, vtund sessions
# vfxIDtI), because vtund's lock files in /var/lock/vtund are global.

LAB_SERVER_IP=10.99.0.1
LAB_CLIENT_IP=10.99.0.2
LAB_PORT=5000	# lab_init picks one per lab
LAB_NTAPS=0
LAB_DIR=""
LAB_ID=""

lab_log() { echo "# lab: $*" >&2; }

lab_init() {
	local name=${1:-lab}
	LAB_ID=$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
	# vtund's listener title names only its port, and process titles are
	# seen across network namespaces: a port per lab keeps labs apart.
	LAB_PORT=$((20000 + 0x${LAB_ID:0:4} % 20000))
	LAB_SRV="vfx-$name-$LAB_ID-srv"
	LAB_CLI="vfx-$name-$LAB_ID-cli"
	LAB_LANS="vfx-$name-$LAB_ID-lans"
	LAB_LANC="vfx-$name-$LAB_ID-lanc"
	LAB_DIR=$(mktemp -d "/tmp/vfx-lab-$name.XXXXXX")
	LAB_VTUND_SRV_CONF=$LAB_DIR/vtund-srv.conf
	LAB_VTUND_CLI_CONF=$LAB_DIR/vtund-cli.conf
	export LAB_ID LAB_SRV LAB_CLI LAB_LANS LAB_LANC LAB_DIR \
	    LAB_VTUND_SRV_CONF LAB_VTUND_CLI_CONF LAB_SERVER_IP LAB_CLIENT_IP \
	    LAB_PORT
	mkdir -p /var/lock/vtund
	trap lab_destroy EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

lab_ns() {
	case $1 in
	srv) echo "$LAB_SRV" ;;
	cli) echo "$LAB_CLI" ;;
	lans) echo "$LAB_LANS" ;;
	lanc) echo "$LAB_LANC" ;;
	*) echo "lab: unknown host $1" >&2; return 1 ;;
	esac
}

lab_in() {
	local ns
	ns=$(lab_ns "$1") || return 2
	shift
	ip netns exec "$ns" "$@"
}

lab_session() { echo "vfx${LAB_ID}t$1"; }

# The LAN address of tunnel I behind srv (.1) or cli (.2).
lab_lan_ip() {
	local side=$1 i=$2
	if [ "$side" = srv ]; then echo "192.168.$((100 + i)).1"
	else echo "192.168.$((100 + i)).2"; fi
}

lab_quiet_ns() {	# no IPv6 chatter: it can end a fresh vtund session
	ip netns exec "$1" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
	    net.ipv6.conf.default.disable_ipv6=1 >/dev/null
	ip -n "$1" link set lo up
}

lab_write_vtund_conf() {
	local file=$1 i
	{
		echo "options { port $LAB_PORT; ip /sbin/ip; syslog daemon; timeout 10; }"
		for ((i = 0; i < LAB_NTAPS; i++)); do
			cat <<-CONF
			$(lab_session "$i") {
			  passwd vfxlab;
			  type ether;
			  device tap$i;
			  proto tcp;
			  keepalive yes;
			  persist yes;
			  multi killold;
			  up { ip "link set %% up"; };
			}
			CONF
		done
	} >"$file"
}

# The uplink up$I of SIDE: a veth to its LAN host, addressed there.  The
# LAN host's end has a fixed MAC address (02:76:66:01:00:I behind srv,
# ...:02:00:I behind cli), so a recreated uplink is the same host plugged
# back: the far LAN host's ARP entry stays right and traffic resumes at once.
lab_make_uplink() {
	local side=$1 i=$2 ns lan mac
	ns=$(lab_ns "$side")
	if [ "$side" = srv ]; then lan=$LAB_LANS; mac=01; else lan=$LAB_LANC; mac=02; fi
	mac=$(printf '02:76:66:%s:%02x:%02x' "$mac" $((i / 256)) $((i % 256)))
	ip -n "$ns" link add "up$i" type veth peer name "l$i" netns "$lan" \
	    address "$mac" || return 1
	ip -n "$lan" addr add "$(lab_lan_ip "$side" "$i")/24" dev "l$i"
	ip -n "$lan" link set "l$i" up
	ip -n "$ns" link set "up$i" up
}

lab_recreate_uplink() {
	local side=$1 i=$2 lan
	if [ "$side" = srv ]; then lan=$LAB_LANS; else lan=$LAB_LANC; fi
	ip -n "$lan" link del "l$i" 2>/dev/null
	lab_make_uplink "$side" "$i"
}

lab_wait_tap() {	# NS TAP SECONDS
	local ns=$1 tap=$2 n=$(($3 * 20)) i
	for ((i = 0; i < n; i++)); do
		ip -n "$ns" link show "$tap" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

# Bridge tap I on both ends, as an admin's vtund up-script would.
lab_bridge_taps() {
	local i ns
	for ((i = 0; i < LAB_NTAPS; i++)); do
		for ns in "$LAB_SRV" "$LAB_CLI"; do
			if ! lab_wait_tap "$ns" "tap$i" 20; then
				lab_log "tap$i did not appear in $ns"
				return 1
			fi
			ip -n "$ns" link set "tap$i" up master "br$i"
		done
	done
}

lab_create() {
	local ns i side
	LAB_NTAPS=${1:-1}
	export LAB_NTAPS
	for ns in "$LAB_SRV" "$LAB_CLI" "$LAB_LANS" "$LAB_LANC"; do
		ip netns add "$ns" || return 1
		lab_quiet_ns "$ns"
	done
	ip link add u0 netns "$LAB_SRV" type veth peer name u0 netns "$LAB_CLI" || return 1
	ip -n "$LAB_SRV" addr add "$LAB_SERVER_IP/24" dev u0
	ip -n "$LAB_CLI" addr add "$LAB_CLIENT_IP/24" dev u0
	ip -n "$LAB_SRV" link set u0 up
	ip -n "$LAB_CLI" link set u0 up
	for ((i = 0; i < LAB_NTAPS; i++)); do
		for side in srv cli; do
			ns=$(lab_ns "$side")
			ip -n "$ns" link add "br$i" type bridge
			ip -n "$ns" link set "br$i" up
			lab_make_uplink "$side" "$i" || return 1
			ip -n "$ns" link set "up$i" master "br$i"
		done
	done
	lab_write_vtund_conf "$LAB_VTUND_SRV_CONF"
	lab_write_vtund_conf "$LAB_VTUND_CLI_CONF"
	[ "${2:-}" = --no-vtund ] && return 0
	lab_in srv /usr/sbin/vtund -s -f "$LAB_VTUND_SRV_CONF" || return 1
	for ((i = 0; i < LAB_NTAPS; i++)); do
		lab_in cli /usr/sbin/vtund -f "$LAB_VTUND_CLI_CONF" \
		    "$(lab_session "$i")" "$LAB_SERVER_IP" || return 1
	done
	lab_bridge_taps || return 1
	for ((i = 0; i < LAB_NTAPS; i++)); do
		if ! lab_wait_traffic "$i" 20 >/dev/null; then
			lab_log "no LAN-to-LAN traffic over tunnel $i"
			return 1
		fi
	done
}

lab_now_ms() { date +%s%3N; }

# lab_wait_traffic I SECONDS: one ping that sends every 50 ms and exits on
# the first reply, so the figure printed is within 50 ms of the moment the
# tunnel carries traffic; ping is restarted if it gives up early (an ICMP
# error with -c 1).  Runs as root (intervals below 0.2 s).
lab_wait_traffic() {
	local i=$1 secs=${2:-10} t0 now deadline left dst
	dst=$(lab_lan_ip srv "$i")
	t0=$(lab_now_ms)
	deadline=$((t0 + secs * 1000))
	now=$t0
	while [ "$now" -lt "$deadline" ]; do
		left=$(((deadline - now) / 1000))
		if [ "$left" -ge 1 ]; then
			set -- -i 0.05 -w "$left"
		else
			set -- -W 0.2
		fi
		if ip netns exec "$LAB_LANC" ping -n -q -c 1 "$@" "$dst" \
		    >/dev/null 2>&1; then
			echo "$(($(lab_now_ms) - t0))"
			return 0
		fi
		now=$(lab_now_ms)
		[ "$now" -lt "$deadline" ] && sleep 0.05
		now=$(lab_now_ms)
	done
	return 1
}

lab_pids() {
	local pid
	for pid in $(ip netns pids "$(lab_ns "$1")"); do
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
		    grep -qE -- "$2" && echo "$pid"
	done
	return 0
}

# The server drops the established vtund connection (the first one), in
# and out, as a broken middlebox would; new connections pass.
lab_black_hole() {
	local port
	port=$(lab_in srv ss -Htn state established "( sport = :$LAB_PORT )" |
	    awk '{ split($4, a, ":"); print a[2]; exit }')
	if [ -z "$port" ]; then
		lab_log "black hole: no established vtund connection"
		return 1
	fi
	lab_in srv nft -f - <<-NFT
	table inet vfxlab {
		chain input { type filter hook input priority 0;
			ip saddr $LAB_CLIENT_IP tcp sport $port drop; }
		chain output { type filter hook output priority 0;
			ip daddr $LAB_CLIENT_IP tcp dport $port drop; }
	}
	NFT
}

lab_black_hole_clear() {
	lab_in srv nft delete table inet vfxlab 2>/dev/null
	return 0
}

# lab_destroy: kill every process in the lab's namespaces (again and again
# until none is left: a supervisor may fork meanwhile), delete the
# namespaces (their veths, bridges and taps go with them), this run's vtund
# lock files and LAB_DIR.  Idempotent; the EXIT trap calls it.
lab_destroy() {
	local ns pids i
	[ -n "$LAB_ID" ] || return 0
	for ns in "$LAB_SRV" "$LAB_CLI" "$LAB_LANS" "$LAB_LANC"; do
		[ -e "/run/netns/$ns" ] || continue
		for ((i = 0; i < 60; i++)); do
			pids=$(ip netns pids "$ns" 2>/dev/null)
			[ -z "$pids" ] && break
			# shellcheck disable=SC2086 # a list of pids
			kill -KILL $pids 2>/dev/null
			sleep 0.05
		done
	done
	for ns in "$LAB_SRV" "$LAB_CLI" "$LAB_LANS" "$LAB_LANC"; do
		[ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null
	done
	rm -f "/var/lock/vtund/vfx${LAB_ID}t"*
	[ -n "$LAB_DIR" ] && rm -rf "$LAB_DIR"
	LAB_ID=""
	return 0
}
