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
[ "$failures" -eq 0 ]
