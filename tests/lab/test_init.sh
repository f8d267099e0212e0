#!/usr/bin/env bash
# The init script and the cron watchdog, as installed by `make install`,
# driving a real daemon in the lab: start, status, reload, stop, exit codes
# (LSB), and the watchdog reviving a daemon that should run.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/lab/lab.sh
. tests/lab/lab-vtundfix.sh
. tests/lab/tap.sh
expect() {	# NAME STATUS COMMAND...
	local name=$1 want=$2 rc
	shift 2
	"$@" >/dev/null 2>&1
	rc=$?
	if [ "$rc" -eq "$want" ]; then ok "init/$name"; else not_ok "init/$name: exit $rc, want $want"; fi
}

lab_init init
lab_create 1 || exit 1
dest=$LAB_DIR/root
make -s install DESTDIR="$dest" PREFIX=/usr/local >/dev/null 2>&1 || { not_ok "init/install"; exit 1; }
labfix_write_conf srv
labfix_write_conf cli
labfix_start srv
cat >"$LAB_DIR/defaults" <<CONF
DAEMON=$dest/usr/local/sbin/vtundfix
CONF=$(labfix_conf cli)
ENABLED=$LAB_DIR/enabled
CONF
export VTUNDFIX_DEFAULTS=$LAB_DIR/defaults
init() { lab_in cli sh "$dest/etc/init.d/vtundfix" "$@"; }

expect status-stopped 3 init status
# The marker lives where only root writes, and a symlink planted at its
# path is replaced, never followed (its target keeps its contents).
if grep -qx 'ENABLED=/var/lib/misc/vtundfix.enabled' "$dest/etc/init.d/vtundfix" &&
    grep -qx 'ENABLED=/var/lib/misc/vtundfix.enabled' "$dest/usr/local/sbin/vtundfix_cron"; then
	ok "init/marker-root-only"
else
	not_ok "init/marker-root-only"
fi
echo precious >"$LAB_DIR/victim"
ln -s "$LAB_DIR/victim" "$LAB_DIR/enabled"
expect start 0 init start
if [ "$(cat "$LAB_DIR/victim")" = precious ] && [ -f "$LAB_DIR/enabled" ] &&
    [ ! -L "$LAB_DIR/enabled" ]; then
	ok "init/marker-symlink-not-followed"
else
	not_ok "init/marker-symlink-not-followed"
fi
expect start-again 0 init start
expect status-running 0 init status
if lab_wait_traffic 0 10 >/dev/null; then ok "init/daemon-works"; else not_ok "init/daemon-works"; fi
pid=$(labfix_pid cli)
expect reload 0 init reload
sleep 0.5
if [ "$(labfix_pid cli)" = "$pid" ] && kill -0 "$pid"; then ok "init/reload-keeps-daemon"
else not_ok "init/reload-keeps-daemon"; fi

# The watchdog: should run (started above) and does not -> started again.
kill -KILL "$pid"
sleep 1.5
expect status-dead 3 init status
lab_in cli sh "$dest/usr/local/sbin/vtundfix_cron"
sleep 0.5
expect cron-revived 0 init status
expect stop 0 init stop
expect status-after-stop 3 init status
# Stopped on purpose: the watchdog leaves it alone.
lab_in cli sh "$dest/usr/local/sbin/vtundfix_cron"
sleep 0.5
expect cron-respects-stop 3 init status
# A symlink at the marker's path is not the init script's marker.
ln -s "$LAB_DIR/victim" "$LAB_DIR/enabled"
lab_in cli sh "$dest/usr/local/sbin/vtundfix_cron"
sleep 0.5
expect cron-ignores-symlink-marker 3 init status
rm -f "$LAB_DIR/enabled"
expect usage 2 init frobnicate
labfix_stop srv
[ "$failures" -eq 0 ]
