#!/usr/bin/env bash
# The shared lab: two labs at once do not collide, each carries traffic,
# and everything is removed on success, on failure and on a signal.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/lab/tap.sh

# run_lab OUTFILE EXIT-HOW: a lab in a child shell that leaves as told.
run_lab() {
	bash -c '
		. tests/lab/lab.sh
		lab_init cleanup
		echo "$LAB_ID $LAB_DIR $(lab_session 0)" >"$1"
		lab_create 1 || exit 3
		lab_wait_traffic 0 5 >/dev/null || exit 4
		case $2 in
		ok) exit 0 ;;
		fail) false; exit 1 ;;
		signal) kill -TERM $$; sleep 5 ;;
		esac' run_lab "$@"
}

# `ip netns list` says "Peer netns reference is invalid" on stderr while
# another lab deletes a namespace (the name is still listed): not an error.
leftovers() {	# ID DIR SESSION: what a lab left behind
	ip netns list 2>/dev/null | grep -- "-$1-"
	[ -e "$2" ] && echo "$2"
	[ -e "/var/lock/vtund/$3" ] && echo "/var/lock/vtund/$3"
	pgrep -f "vtund.*$3"
}

# The child's exit status proves it got as far as the exit it was told to
# take (3: lab_create failed, 4: no traffic).
expected_rc() { case $1 in ok) echo 0 ;; fail) echo 1 ;; signal) echo 143 ;; esac; }
for how in ok fail signal; do
	f=$(mktemp)
	{ run_lab "$f" "$how" 2>"$f.err"; echo $? >"$f.rc"; } &
	files="${files:-} $how:$f"
done
wait
for hf in $files; do
	how=${hf%%:*}
	f=${hf#*:}
	read -r id dir session <"$f"
	rc=$(cat "$f.rc")
	left=$(leftovers "$id" "$dir" "$session")
	if [ -n "$id" ] && [ -z "$left" ] && [ "$rc" = "$(expected_rc "$how")" ]; then
		ok "lab/cleanup-after-$how"
	else
		not_ok "lab/cleanup-after-$how (exit $rc)"
		sed 's/^/#   left: /' <<<"$left"
		sed 's/^/#   stderr: /' "$f.err"
	fi
	rm -f "$f" "$f.rc" "$f.err"
done

# Three labs ran at once above; a lab with 2 tunnels carries traffic on each.
. tests/lab/lab.sh
lab_init multi
if ! lab_create 2; then
	not_ok "lab/create-2"
	exit 1
fi
for i in 0 1; do
	if ms=$(lab_wait_traffic "$i" 5); then ok "lab/traffic-tap$i ($ms ms)"
	else not_ok "lab/traffic-tap$i"; fi
done

# vtund's titles.  vtund writes its title over argv: /proc/PID/cmdline is
# the title as ONE NUL-terminated string followed by NUL padding, so the
# first NUL-separated string is the whole title (tr '\0' ' ' adds only
# trailing blanks).
titles() {	# NS: "PID<TAB>first string<TAB>non-empty strings" per process
	local pid
	for pid in $(ip netns pids "$1"); do
		[ -r "/proc/$pid/cmdline" ] || continue
		printf '%s\t%s\t%s\n' "$pid" \
		    "$(tr '\0' '\n' <"/proc/$pid/cmdline" | head -n 1)" \
		    "$(tr '\0' '\n' <"/proc/$pid/cmdline" | grep -c .)"
	done
}
expect_title() {	# NS TITLE: exactly one process with this title
	local n
	n=$(titles "$1" | awk -F '\t' -v t="$2" '$2 == t && $3 == 1' | wc -l)
	[ "$n" -eq 1 ] || { echo "# missing title: '$2' ($n found)"; return 1; }
}
{ titles "$LAB_SRV"; titles "$LAB_CLI"; } | while IFS=$'\t' read -r pid t n; do
	printf '# title: pid %s: "%s" (%s non-empty cmdline string(s)); ' "$pid" "$t" "$n"
	printf 'tr: "%s"\n' "$(tr '\0' ' ' <"/proc/$pid/cmdline")"
done
good=1
expect_title "$LAB_SRV" "vtund[s]: waiting for connections on port $LAB_PORT" || good=0
for i in 0 1; do
	S=$(lab_session "$i")
	expect_title "$LAB_SRV" "vtund[s]: $S ether tap$i" || good=0
	expect_title "$LAB_CLI" "vtund[c]: $S ether tap$i" || good=0
done
if [ "$good" = 1 ]; then ok "lab/vtund-titles"; else not_ok "lab/vtund-titles"; fi

# lab_recreate_uplink puts back a deleted uplink, addressed on the LAN side
# but not bridged; once bridged (the daemon's job) traffic flows at once.
good=1
for side in srv cli; do
	lab_in "$side" ip link del up1
	lab_recreate_uplink "$side" 1 || good=0
	lab_in "$side" ip -d link show up1 | grep -q master && good=0
	lab_in "$side" ip link set up1 master br1
	ms=$(lab_wait_traffic 1 3) || good=0
	echo "# recreated $side up1: traffic after ${ms:-?} ms"
done
if [ "$good" = 1 ]; then ok "lab/recreate-uplink"; else not_ok "lab/recreate-uplink"; fi

# The hostile-network helpers do what they say.  An outage stops LAN
# traffic on every tunnel, both ways, and its end lets it through again.
lab_outage_start
if lab_reach_all 1 >/dev/null 2>&1; then not_ok "lab/outage-stops-traffic"
else ok "lab/outage-stops-traffic"; fi
lab_outage_stop
if ms=$(lab_reach_all 30); then ok "lab/outage-ends ($ms ms)"
else not_ok "lab/outage-ends"; fi
# The connection counter counts a client's new connection once.
lab_conns_start
c0=$(lab_conns)
S=$(lab_session 0)
# shellcheck disable=SC2046 # a list of pids
kill -KILL $(lab_pids cli "vtund\[c\]: $S ")
sleep 0.5
lab_in cli /usr/sbin/vtund -f "$LAB_VTUND_CLI_CONF" "$S" "$LAB_SERVER_IP"
lab_bridge_taps >/dev/null 2>&1
lab_wait_traffic 0 15 >/dev/null
c1=$(lab_conns)
if [ "$c0" = 0 ] && [ "$c1" = 1 ]; then ok "lab/conns-counted"
else not_ok "lab/conns-counted ($c0 -> $c1, want 0 -> 1)"; fi
# Shaping: tbf on both ends' underlay; a ping of 12 kB at 100 kbit/s
# takes about a second each way.
lab_shape 100 1000
if lab_in srv tc qdisc show dev u0 | grep -q 'tbf.*rate 100Kbit' &&
    lab_in cli tc qdisc show dev u0 | grep -q 'tbf.*rate 100Kbit'; then
	ok "lab/shape-installed"
else not_ok "lab/shape-installed"; fi
rtt=$(ip netns exec "$LAB_LANC" ping -n -c 1 -W 10 -s 12000 "$(lab_lan_ip srv 0)" |
    sed -n 's/.*time=\([0-9.]*\).*/\1/p')
echo "# 12 kB ping through the shaped tunnel: ${rtt:-none} ms"
if [ -n "$rtt" ] && awk -v r="$rtt" 'BEGIN { exit !(r > 1000) }'; then ok "lab/shape-slows"
else not_ok "lab/shape-slows"; fi
lab_shape_clear
# Bulk traffic flows both ways through the tunnel.
lab_bulk_start 0 2 4
sleep 6
if grep -q 'sender' "$LAB_DIR/iperf3-c5201.log" && grep -q 'receiver' "$LAB_DIR/iperf3-c5202.log"; then
	ok "lab/bulk-both-ways"
else not_ok "lab/bulk-both-ways"; sed 's/^/#   /' "$LAB_DIR"/iperf3-c*.log | tail -n 10; fi
lab_bulk_stop

# An explicit lab_destroy (in a subshell, as a caller's cleanup would run)
# leaves no namespace, process, lock file or directory of this lab.
id=$LAB_ID dir=$LAB_DIR
(lab_destroy)
left=$(ip netns list 2>/dev/null | grep -- "-$id-"
	[ -e "$dir" ] && echo "$dir"
	for f in "/var/lock/vtund/vfx${id}t"*; do [ -e "$f" ] && echo "$f"; done
	pgrep -af "vfx${id}t")
if [ -z "$left" ]; then
	ok "lab/cleanup"
else
	not_ok "lab/cleanup"; sed 's/^/#   left: /' <<<"$left"
fi
if (lab_destroy); then ok "lab/cleanup-idempotent"; else not_ok "lab/cleanup-idempotent"; fi
# Past the old addressing's end (155 tunnels): 160 tunnels, built in
# batches, each carrying traffic, all probed at once.
lab_init many
t0=$(date +%s)
if lab_create 160 && ms=$(lab_reach_all 20); then
	ok "lab/many-tunnels (160 built in $(($(date +%s) - t0)) s, all answer within $ms ms)"
else
	not_ok "lab/many-tunnels"
fi
lab_destroy
[ "$failures" -eq 0 ]
