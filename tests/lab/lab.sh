# shellcheck shell=bash
# lab.sh: a two-host vtund lab in network namespaces, shared by the tests,
# the demo and the benchmark (one implementation).
#
#	lab_init NAME		names for this run; cleanup on any exit
#	lab_create [NTAPS] [--no-vtund] [--own-root]
#				build it (up to 1000 tunnels and more, in
#				batches), start vtund, wait until every tunnel
#				carries LAN-to-LAN traffic; --no-vtund: the
#				network only, vtund left for the daemon under
#				test to start; --own-root: each end in its own
#				mount namespace too (lab-root.sh)
#	lab_in srv|cli|lans|lanc CMD...	run CMD in that host (its network
#				namespace; an own-root end's mount namespace too)
#	lab_session I		vtund session name of tunnel I
#	lab_wait_traffic I SECONDS	0 as soon as LAN-to-LAN ping over tunnel I
#				works (prints the milliseconds it took)
#	lab_reach_all SECONDS [T0_MS] [I...]
#				0 once every tunnel (or those given) carries
#				LAN-to-LAN traffic, all probed at once; prints
#				the milliseconds from T0 (default now) to the
#				last one's first reply (tool_reach)
#	lab_recreate_uplink srv|cli I	put back a deleted uplink (not bridged)
#	lab_pids HOST REGEX	pids in HOST's namespace whose command line
#				(as ps shows it: vtund's title) matches
#	lab_black_hole		the server drops the tunnel's TCP flow both
#				ways (nftables); both vtund processes stay up
#	lab_black_hole_clear	remove that rule
#	lab_start_vtund		the listener and every client (lab_create does)
#	lab_destroy		remove everything (idempotent)
#   helpers others use:	lab_ns HOST (namespace name), lab_lan_ip srv|cli I,
#				lab_bridge_taps (wait for the taps, up + bridge),
#				lab_now_ms, lab_tool NAME (build/san/tool_NAME)
#   hostile networks:	lab-hostile.sh (shaping, outages, flapping, bulk
#				traffic, the connection counter, CPU of a cgroup)
#   each end its own root:	lab-root.sh (mount namespaces, sshd, the
#				peer account as the README sets it up)
#
# Exported: LAB_ID LAB_SRV LAB_CLI LAB_LANS LAB_LANC LAB_DIR LAB_NTAPS
# LAB_VTUND_SRV_CONF LAB_VTUND_CLI_CONF LAB_SERVER_IP LAB_CLIENT_IP LAB_PORT
# LAB_OWN_ROOT.
# lab_init sets the EXIT, INT and TERM traps (replacing the caller's).
# Runs as root.
#
# Topology, per tunnel I (all in namespaces created here, never the host's):
#
#   lans [lI 10.X.Y.1] -- [upI] srv [brI: upI tapI]  (vtund -s)
#                               srv [u0 10.99.0.1]
#                                  | underlay veth
#                               cli [u0 10.99.0.2]
#   lanc [lI 10.X.Y.2] -- [upI] cli [brI: upI tapI]  (vtund client)
#
# with X.Y = (128 + I / 256).(I % 256): a /24 per tunnel, up to 32768.
# The LAN hosts know each other's fixed MAC addresses (permanent neighbour
# entries): the kernel's neighbour table is shared by all namespaces and
# holds 1024 learned entries, fewer than 1000 tunnels need; and a tunnel
# that comes back carries traffic without waiting for ARP.
#
# Names are unique per run (namespaces vfx-NAME-ID-*, vtund sessions
# vfxIDtI), because vtund's lock files in /var/lock/vtund are global.

LAB_SERVER_IP=10.99.0.1
LAB_CLIENT_IP=10.99.0.2
LAB_PORT=5000	# lab_init picks one per lab
LAB_NTAPS=0
LAB_OWN_ROOT=0
LAB_DIR=""
LAB_ID=""
LAB_LIB=$(dirname "${BASH_SOURCE[0]}")

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
	LAB_OWN_ROOT=0
	export LAB_ID LAB_SRV LAB_CLI LAB_LANS LAB_LANC LAB_DIR \
	    LAB_VTUND_SRV_CONF LAB_VTUND_CLI_CONF LAB_SERVER_IP LAB_CLIENT_IP \
	    LAB_PORT LAB_OWN_ROOT
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

# An own-root end is entered with both its network and its mount
# namespace (the working directory kept: /work and /tmp are shared).
lab_in() {
	local ns
	ns=$(lab_ns "$1") || return 2
	if [ "$LAB_OWN_ROOT" = 1 ] && { [ "$1" = srv ] || [ "$1" = cli ]; }; then
		shift
		nsenter --net="/run/netns/$ns" --mount="$LAB_DIR/ns/$ns" \
		    --wd="$PWD" -- "$@"
		return
	fi
	shift
	ip netns exec "$ns" "$@"
}

lab_session() { echo "vfx${LAB_ID}t$1"; }

# The LAN address of tunnel I behind srv (.1) or cli (.2), and the fixed
# MAC address of that LAN host's interface.
lab_lan_ip() {
	if [ "$1" = srv ]; then echo "10.$((128 + $2 / 256)).$(($2 % 256)).1"
	else echo "10.$((128 + $2 / 256)).$(($2 % 256)).2"; fi
}
lab_lan_mac() {
	local m=01
	[ "$1" = srv ] || m=02
	printf '02:76:66:%s:%02x:%02x\n' "$m" $(($2 / 256)) $(($2 % 256))
}

lab_quiet_ns() {	# no IPv6 chatter: it can end a fresh vtund session
	ip netns exec "$1" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
	    net.ipv6.conf.default.disable_ipv6=1 >/dev/null
	ip -n "$1" link set lo up
}

# LAB_VTUND_UP_BRIDGE=1: vtund's up block also bridges the tap, as an
# admin who runs vtund alone would have it (vtund itself bridges nothing;
# by default that is left to the watchdog under test).
lab_write_vtund_conf() {
	local file=$1 i up_master=""
	[ "${LAB_VTUND_UP_BRIDGE:-0}" = 1 ] && up_master=1
	{
		echo "options { port $LAB_PORT; ip /sbin/ip; syslog daemon; timeout 10; }"
		for ((i = 0; i < LAB_NTAPS; i++)); do
			cat <<-CONF
			vfx${LAB_ID}t$i {
			  passwd vfxlab;
			  type ether;
			  device tap$i;
			  proto tcp;
			  keepalive yes;
			  persist yes;
			  multi killold;
			  up { ip "link set %% up${up_master:+ master br$i}"; };
			}
			CONF
		done
	} >"$file"
}

# The batch lines that build tunnel I's LAN side of SIDE: bridge brI and
# the uplink upI, a veth to the LAN host whose end lI has a fixed MAC
# address, so that a recreated uplink is the same host plugged back.
lab_side_batch() {	# SIDE FIRST LAST: for `ip -n SIDE -batch`
	local side=$1 i lan m=01
	if [ "$side" = srv ]; then lan=$LAB_LANS; else lan=$LAB_LANC; m=02; fi
	for ((i = $2; i <= $3; i++)); do
		printf 'link add br%d type bridge\nlink set br%d up\n' "$i" "$i"
		printf 'link add up%d type veth peer name l%d netns %s address 02:76:66:%s:%02x:%02x\n' \
		    "$i" "$i" "$lan" "$m" $((i / 256)) $((i % 256))
		printf 'link set up%d master br%d up\n' "$i" "$i"
	done
}
lab_lan_batch() {	# SIDE FIRST LAST: for `ip -n LANHOST -batch`
	local side=$1 i me=1 far=2 fm=02
	[ "$side" = srv ] || { me=2; far=1; fm=01; }
	for ((i = $2; i <= $3; i++)); do
		printf 'addr add 10.%d.%d.%d/24 dev l%d\nlink set l%d up\n' \
		    $((128 + i / 256)) $((i % 256)) "$me" "$i" "$i"
		printf 'neigh replace 10.%d.%d.%d lladdr 02:76:66:%s:%02x:%02x dev l%d nud permanent\n' \
		    $((128 + i / 256)) $((i % 256)) "$far" "$fm" $((i / 256)) \
		    $((i % 256)) "$i"
	done
}

# The uplink up$I of SIDE alone (lab_recreate_uplink).
lab_make_uplink() {
	local side=$1 i=$2 lan
	if [ "$side" = srv ]; then lan=$LAB_LANS; else lan=$LAB_LANC; fi
	ip -n "$(lab_ns "$side")" link add "up$i" type veth peer name "l$i" \
	    netns "$lan" address "$(lab_lan_mac "$side" "$i")" || return 1
	lab_lan_batch "$side" "$i" "$i" | ip -n "$lan" -batch - || return 1
	ip -n "$(lab_ns "$side")" link set "up$i" up
}

lab_recreate_uplink() {
	local side=$1 i=$2 lan
	if [ "$side" = srv ]; then lan=$LAB_LANS; else lan=$LAB_LANC; fi
	ip -n "$lan" link del "l$i" 2>/dev/null
	lab_make_uplink "$side" "$i"
}

# The tap devices in namespace NS (vtund's, named tapN).
lab_count_taps() {
	ip -n "$1" -o link show type tun 2>/dev/null | grep -c ': tap[0-9]*[:@]'
}

lab_wait_tap() {	# NS TAP SECONDS
	local ns=$1 tap=$2 n=$(($3 * 20)) i
	for ((i = 0; i < n; i++)); do
		ip -n "$ns" link show "$tap" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

# Bridge every tap on both ends, as an admin's vtund up-script would: wait
# until all LAB_NTAPS taps exist on an end (20 s, and 1 s per 20 tunnels
# more), then bring them up and bridge them in one batch.
lab_bridge_taps() {
	local ns i have deadline
	deadline=$(($(date +%s) + 20 + LAB_NTAPS / 20))
	for ns in "$LAB_SRV" "$LAB_CLI"; do
		while have=$(lab_count_taps "$ns"); [ "$have" -lt "$LAB_NTAPS" ]; do
			if [ "$(date +%s)" -ge "$deadline" ]; then
				for ((i = 0; i < LAB_NTAPS; i++)); do
					ip -n "$ns" link show "tap$i" >/dev/null 2>&1 ||
					    { lab_log "tap$i did not appear in $ns"; break; }
				done
				return 1
			fi
			sleep 0.05
		done
		for ((i = 0; i < LAB_NTAPS; i++)); do
			printf 'link set tap%d up master br%d\n' "$i" "$i"
		done | ip -n "$ns" -force -batch - || return 1
	done
}

# The vtund listener and one client per tunnel, started by one shell in
# the client's namespace (a namespace switch per client would cost more
# than the client).
lab_start_vtund() {
	local i sessions=()
	lab_in srv /usr/sbin/vtund -s -f "$LAB_VTUND_SRV_CONF" || return 1
	for ((i = 0; i < LAB_NTAPS; i++)); do sessions+=("vfx${LAB_ID}t$i"); done
	# shellcheck disable=SC2016 # expanded by that shell
	lab_in cli bash -c 'c=$1 s=$2 n=0; shift 2
		for t; do
			/usr/sbin/vtund -f "$c" "$t" "$s" || exit 1
			n=$((n + 1))
			# The listener forks a session per connection: 50 at a time.
			[ $((n % 50)) -eq 0 ] && sleep 0.2
		done; exit 0' lab_start_vtund "$LAB_VTUND_CLI_CONF" \
	    "$LAB_SERVER_IP" "${sessions[@]}"
}

# lab_create [NTAPS] [--no-vtund] [--own-root]
lab_create() {
	local ns side arg vtund=1 own=0 t0
	LAB_NTAPS=1
	for arg in "$@"; do
		case $arg in
		--no-vtund) vtund=0 ;;
		--own-root) own=1 ;;
		'' | *[!0-9]*) lab_log "lab_create: unknown argument $arg"; return 2 ;;
		*) LAB_NTAPS=$arg ;;
		esac
	done
	export LAB_NTAPS
	t0=$(date +%s)
	for ns in "$LAB_SRV" "$LAB_CLI" "$LAB_LANS" "$LAB_LANC"; do
		ip netns add "$ns" || return 1
		lab_quiet_ns "$ns"
	done
	ip link add u0 netns "$LAB_SRV" type veth peer name u0 netns "$LAB_CLI" || return 1
	ip -n "$LAB_SRV" addr add "$LAB_SERVER_IP/24" dev u0
	ip -n "$LAB_CLI" addr add "$LAB_CLIENT_IP/24" dev u0
	ip -n "$LAB_SRV" link set u0 up
	ip -n "$LAB_CLI" link set u0 up
	for side in srv cli; do
		ns=$(lab_ns "$side")
		lab_side_batch "$side" 0 $((LAB_NTAPS - 1)) | ip -n "$ns" -batch - ||
		    { lab_log "building the bridges of $ns failed"; return 1; }
		if [ "$side" = srv ]; then ns=$LAB_LANS; else ns=$LAB_LANC; fi
		lab_lan_batch "$side" 0 $((LAB_NTAPS - 1)) | ip -n "$ns" -batch - ||
		    { lab_log "addressing $ns failed"; return 1; }
	done
	lab_write_vtund_conf "$LAB_VTUND_SRV_CONF"
	lab_write_vtund_conf "$LAB_VTUND_CLI_CONF"
	if [ "$own" = 1 ]; then
		lab_root_setup srv && lab_root_setup cli || return 1
		# From now on each end runs vtund with its own /etc/vtund.conf.
		LAB_OWN_ROOT=1
		LAB_VTUND_SRV_CONF=/etc/vtund.conf
		LAB_VTUND_CLI_CONF=/etc/vtund.conf
	fi
	[ "$LAB_NTAPS" -ge 100 ] && lab_log "$LAB_NTAPS tunnels: network built in $(($(date +%s) - t0)) s"
	[ "$vtund" = 0 ] && return 0
	lab_start_vtund || return 1
	lab_bridge_taps || return 1
	if ! lab_reach_all $((20 + LAB_NTAPS / 10)) >/dev/null; then
		lab_log "not every tunnel carries LAN-to-LAN traffic"
		return 1
	fi
	[ "$LAB_NTAPS" -ge 100 ] && lab_log "$LAB_NTAPS tunnels: carrying traffic after $(($(date +%s) - t0)) s"
	return 0
}

lab_now_ms() { date +%s%3N; }

# lab_tool NAME: the path of the lab helper program tests/lab/tool_NAME.c,
# built if it is missing (make check builds them all; bench only `all`).
lab_tool() {
	local bin=build/san/tool_$1
	[ -x "$bin" ] || make -s "$bin" >&2 || return 1
	echo "$PWD/$bin"
}

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

# lab_reach_all SECONDS [T0_MS] [I...]: the client's LAN host probes the
# server's LAN host of every tunnel (or of tunnels I...) at once, one
# echo request per unanswered tunnel every max(20 ms, NTAPS/5 ms) (at most
# 5000 a second into the tunnels); prints the milliseconds from T0 to the
# last first reply.  On a timeout it names the missing tunnels on stderr.
lab_reach_all() {
	local secs=$1 t0=${2:-} tool out i n interval
	shift 2 2>/dev/null || shift
	tool=$(lab_tool reach) || return 2
	[ -n "$t0" ] || t0=$(lab_now_ms)
	n=$#
	[ "$n" -gt 0 ] || n=$LAB_NTAPS
	interval=$((n / 5 > 20 ? n / 5 : 20))
	out=$(if [ $# -gt 0 ]; then
		for i in "$@"; do lab_lan_ip srv "$i"; done
	else
		for ((i = 0; i < LAB_NTAPS; i++)); do
			printf '10.%d.%d.1\n' $((128 + i / 256)) $((i % 256))
		done
	fi | ip netns exec "$LAB_LANC" "$tool" -i "$interval" -w "$secs" -t "$t0")
	case $out in
	"all "*) echo "${out#all }"; return 0 ;;
	*) lab_log "reach: ${out:-no answer from tool_reach}"; return 1 ;;
	esac
}

lab_pids() {
	local pid
	for pid in $(ip netns pids "$(lab_ns "$1")"); do
		tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" |
		    grep -qE -- "$2" && echo "$pid"
	done
	return 0
}

# The server drops the established vtund connection (the first one), in
# and out, as a broken middlebox would; new connections pass.
# shellcheck disable=SC2120  # I is optional: callers without it mean the first
lab_black_hole() {	# [I]: tunnel I's flow (default: the first found)
	local port pid
	if [ -n "${1:-}" ]; then
		# The client of session I, and the local port of its socket.
		pid=$(lab_pids cli "vtund\[c\]: $(lab_session "$1") " | head -1)
		port=$(lab_in cli ss -Htnp state established \
		    "( dport = :$LAB_PORT )" | grep "pid=${pid:-0}," |
		    awk '{ n = split($3, a, ":"); print a[n]; exit }')
	else
		port=$(lab_in srv ss -Htn state established \
		    "( sport = :$LAB_PORT )" |
		    awk '{ split($4, a, ":"); print a[2]; exit }')
	fi
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

# lab_destroy: stop the background helpers (flapping, bulk traffic), kill
# every process in the lab's namespaces (again and again until none is
# left: a supervisor may fork meanwhile), release the ends' mount
# namespaces and cgroups, delete the network namespaces (their veths,
# bridges and taps go with them), this run's vtund lock files and LAB_DIR.
# Idempotent; the EXIT trap calls it.
lab_destroy() {
	local ns pids i
	[ -n "$LAB_ID" ] || return 0
	lab_hostile_stop
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
	lab_root_release
	lab_cgroups_remove
	for ns in "$LAB_SRV" "$LAB_CLI" "$LAB_LANS" "$LAB_LANC"; do
		[ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null
	done
	rm -f "/var/lock/vtund/vfx${LAB_ID}t"*
	[ -n "$LAB_DIR" ] && rm -rf "$LAB_DIR"
	LAB_ID=""
	LAB_OWN_ROOT=0
	return 0
}

# shellcheck source=tests/lab/lab-root.sh
. "$LAB_LIB/lab-root.sh"
# shellcheck source=tests/lab/lab-hostile.sh
. "$LAB_LIB/lab-hostile.sh"
