#!/usr/bin/env bash
# The shared lab: two labs at once do not collide, each carries traffic,
# and everything is removed on success, on failure and on a signal.
set -u
cd "$(dirname "$0")/../.." || exit 2
failures=0
ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failures=$((failures + 1)); }

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

leftovers() {	# ID DIR SESSION: what a lab left behind
	ip netns list | grep -- "-$1-"
	[ -e "$2" ] && echo "$2"
	[ -e "/var/lock/vtund/$3" ] && echo "/var/lock/vtund/$3"
	pgrep -f "vtund.*$3"
}

for how in ok fail signal; do
	f=$(mktemp)
	run_lab "$f" "$how" &
	pids="${pids:-} $!"
	files="${files:-} $how:$f"
done
wait
for hf in $files; do
	how=${hf%%:*}
	f=${hf#*:}
	read -r id dir session <"$f"
	rm -f "$f"
	left=$(leftovers "$id" "$dir" "$session")
	if [ -n "$id" ] && [ -z "$left" ]; then
		ok "lab/cleanup-after-$how"
	else
		not_ok "lab/cleanup-after-$how"; sed 's/^/#   left: /' <<<"$left"
	fi
done

# Three labs ran at once above; a lab with 3 tunnels carries traffic on each.
. tests/lab/lab.sh
lab_init multi
if lab_create 3; then
	for i in 0 1 2; do
		if ms=$(lab_wait_traffic "$i" 5); then ok "lab/traffic-tap$i ($ms ms)"
		else not_ok "lab/traffic-tap$i"; fi
	done
else
	not_ok "lab/create-3"
fi
[ "$failures" -eq 0 ]
