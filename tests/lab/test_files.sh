#!/usr/bin/env bash
# The daemon's files against an unprivileged account (issue 14 point 2,
# SPEC §7): a real account, made here with a unique name and removed on
# exit, plants symlinks (and a FIFO, a file of its own, a hard link where
# the kernel lets it) in every directory it can write -- a group-writable
# DATA_DIR as in the old 0770 root:vtundfix layout, and the metrics
# collector's directory, which it owns -- all aimed at a root-only 0600
# file.  Then root's code paths run: `vtundfix on|off` (data file and its
# lock), `vtundfix status`, the daemon's start (its log), and
# build/san/tool_files (metrics file, lock files).  Root's file must stay
# untouched, the planted entries stay as they were, and the error must name
# the file and say why.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/lab/tap.sh
VTUNDFIX=${VTUNDFIX:-$PWD/build/san/vtundfix}
TOOL=${TOOL_FILES:-$PWD/build/san/tool_files}

if [ "$(id -u)" != 0 ]; then
	echo "skip - files: needs root (it creates an account)"; exit 0
fi
# A uid no account, group or process has: a recycled one could lend the
# test account another process (userdel then refuses to remove it).
free_id() {
	local id
	for id in $(shuf -i 50000-59999 -n 50); do
		getent passwd "$id" >/dev/null || getent group "$id" >/dev/null ||
		    grep -qsE "^Uid:[[:space:]]+${id}[[:space:]]" /proc/[0-9]*/status ||
		    { echo "$id"; return 0; }
	done
	return 1
}
user=vfxf$$
t=$(mktemp -d /tmp/vfx-files.XXXXXX)
cleanup() {
	rm -rf "$t"
	userdel "$user" 2>/dev/null || userdel -f "$user" 2>/dev/null
	getent group "$user" >/dev/null && groupdel "$user" 2>/dev/null
	return 0
}
trap cleanup EXIT
trap 'exit 1' INT TERM
if ! id=$(free_id) || ! groupadd --gid "$id" "$user" ||
    ! useradd --uid "$id" --gid "$id" --no-create-home \
    --home-dir /nonexistent --shell /usr/sbin/nologin "$user"; then
	not_ok "files/useradd"; exit 1
fi
as_user() { runuser -u "$user" -- "$@"; }

chmod 0755 "$t"
mkdir -m 0711 "$t/secret" "$t/run"
printf "root's secret\n" >"$t/secret/shadow"
chmod 0600 "$t/secret/shadow"
victim=$t/secret/shadow
fingerprint() { stat -c '%i %s %a %U %Y' "$victim"; sha256sum <"$victim"; }
before=$(fingerprint)
install -d -m 0770 -o root -g "$user" "$t/data"		# the old layout
install -d -m 0755 -o "$user" -g "$user" "$t/metrics"	# the collector's
cat >"$t/vtundfix.conf" <<CONF
MACHINE server
DATA_DIR $t/data
PID_FILE $t/run/vtundfix.pid
METRICS_FILE $t/metrics/vtundfix.prom
CONTROL_SOCKET $t/run/control
LISTENER_START /bin/true
PEER_COMMAND /bin/false
tap0 vfxfiles 10.0.0.2 vfxbr0 vfxup0
CONF
conf=$t/vtundfix.conf

# check NAME OUTPUT-FILE PATTERN: root's file untouched, the output names
# the file and says why (PATTERN, an extended regex).
check() {
	local name=$1 out=$2 pattern=$3
	if [ "$(fingerprint)" != "$before" ]; then
		not_ok "files/$name: root's file was changed"
	elif ! grep -qE -- "$pattern" "$out"; then
		not_ok "files/$name: no precise error"
		sed 's/^/#   /' "$out"
	else
		ok "files/$name"
	fi
}
# verdict NAME COMMAND...: ok if COMMAND succeeds.
verdict() {
	local name=$1
	shift
	if "$@"; then ok "files/$name"; else not_ok "files/$name"; fi
}
# still_planted PATH: the planted symlink is still there, aimed at root's file.
still_planted() { [ -L "$1" ] && [ "$(readlink "$1")" = "$victim" ]; }
plant() { as_user ln -s "$victim" "$1"; }
clean() { rm -f "$t"/data/* "$t"/data/.[!.]* "$t"/metrics/* "$t"/metrics/.[!.]*; }
out=$t/out

# 1. The data file of tap0 is a symlink: `vtundfix off` refuses it.
plant "$t/data/data_tap0"
"$VTUNDFIX" -f "$conf" off tap0 local bridge >"$out" 2>&1
rc=$?
check switch-data-file-symlink "$out" \
    "$t/data/data_tap0: (is a symbolic link|Too many levels of symbolic links)"
refused_and_planted() { [ "$rc" -ne 0 ] && still_planted "$1"; }
verdict switch-data-file-symlink-fails refused_and_planted "$t/data/data_tap0"
clean

# 2. Its lock file is a symlink.
plant "$t/data/.data_tap0.lock"
"$VTUNDFIX" -f "$conf" off tap0 local bridge >"$out" 2>&1
# (switches.c names the data file with strerror(errno) today; with
# sf_error() it would name the lock itself.)
check switch-lock-symlink "$out" \
    "$t/data/(\.data_tap0\.lock: is a symbolic link|data_tap0: Too many levels of symbolic links)"
nothing_written() { [ ! -e "$t/data/data_tap0" ] && still_planted "$1"; }
verdict switch-lock-symlink-writes-nothing nothing_written "$t/data/.data_tap0.lock"
clean

# 3. A data file of the account's own, switching everything off: not read
# (status shows the defaults) and not written through.
as_user sh -c "printf 'switch service off\n' >'$t/data/data_tap0'"
"$VTUNDFIX" -f "$conf" status --local >"$out" 2>&1
if grep -qE '^tap0 +vfxfiles .* all on$' "$out"; then
	ok "files/planted-data-file-not-read"
else
	not_ok "files/planted-data-file-not-read"; sed 's/^/#   /' "$out"
fi
"$VTUNDFIX" -f "$conf" on tap0 local bridge >"$out" 2>&1
check planted-data-file-not-written "$out" \
    "$t/data/data_tap0: (is owned by uid [0-9]+, not by root|Operation not permitted)"
left_alone() {
	grep -q '^switch service off$' "$1" && [ "$(stat -c %U "$1")" = "$user" ]
}
verdict planted-data-file-left-alone left_alone "$t/data/data_tap0"
clean

# 4. The log is a symlink: the daemon does not start, and says why.  (In
# a network namespace of its own, should it start after all.)
plant "$t/data/vtundfix.log"
timeout -k 5 20 unshare --net "$VTUNDFIX" -n -f "$conf" >"$out" 2>&1
rc=$?
check daemon-log-symlink "$out" \
    "$t/data/vtundfix.log: is a symbolic link: not followed"
stopped() { [ "$rc" -ne 124 ] && refused_and_planted "$1"; }
verdict daemon-log-symlink-stops stopped "$t/data/vtundfix.log"
"$TOOL" log "$t/data/vtundfix.log" >"$out" 2>&1
check log-open-symlink "$out" "$t/data/vtundfix.log: is a symbolic link: not followed"
clean

# 5. The log is a FIFO: refused at once, no hang.
as_user mkfifo "$t/data/vtundfix.log"
timeout 10 "$TOOL" log "$t/data/vtundfix.log" >"$out" 2>&1
rc=$?
check log-fifo "$out" "$t/data/vtundfix.log: is a FIFO, not a regular file"
verdict log-fifo-no-hang [ "$rc" -eq 1 ]
clean

# 6. The metrics file, in the collector's directory: a symlink, then a
# file of the account's own.  No temporary file is left either.
plant "$t/metrics/vtundfix.prom"
"$TOOL" metrics "$conf" >"$out" 2>&1
check metrics-symlink "$out" "$t/metrics/vtundfix.prom: is a symbolic link: not followed"
only_planted() {
	still_planted "$1" && [ "$(find "$t/metrics" -mindepth 1 | wc -l)" -eq 1 ]
}
verdict metrics-symlink-left-alone only_planted "$t/metrics/vtundfix.prom"
clean
as_user sh -c ": >'$t/metrics/vtundfix.prom'"
"$TOOL" metrics "$conf" >"$out" 2>&1
check metrics-foreign-file "$out" \
    "$t/metrics/vtundfix.prom: is owned by uid [0-9]+, not by root"
clean

# 7. Lock files (the pid file and the listener lock use sf_open_lock).
plant "$t/data/.listener.lock"
"$TOOL" lock "$t/data/.listener.lock" >"$out" 2>&1
check lock-symlink "$out" "$t/data/\.listener\.lock: is a symbolic link: not followed"
clean

# 8. A hard link to root's file: the kernel refuses to make it
# (fs.protected_hardlinks); if it did not, vtundfix refuses to use it.
if as_user ln "$victim" "$t/data/data_tap0" 2>/dev/null; then
	"$VTUNDFIX" -f "$conf" off tap0 local bridge >"$out" 2>&1
	check hard-link "$out" "$t/data/data_tap0: (has 2 hard links|Too many links)"
else
	ok "files/hard-link: the kernel does not let $user make one"
fi
clean

# 9. The same paths with nothing planted work, and make root's files.
unplanted_paths_work() {
	"$VTUNDFIX" -f "$conf" off tap0 local bridge >"$out" 2>&1 &&
	    "$TOOL" metrics "$conf" >>"$out" 2>&1 &&
	    "$TOOL" log "$t/data/vtundfix.log" >>"$out" 2>&1 &&
	    [ "$(stat -c '%U %a' "$t/data/data_tap0")" = "root 640" ] &&
	    [ "$(stat -c '%U %a' "$t/metrics/vtundfix.prom")" = "root 644" ] &&
	    [ "$(stat -c '%U %a' "$t/data/vtundfix.log")" = "root 640" ] &&
	    grep -q '^switch bridge off$' "$t/data/data_tap0" && return 0
	sed 's/^/#   /' "$out"
	return 1
}
verdict unplanted-paths-work unplanted_paths_work
[ "$failures" -eq 0 ]
