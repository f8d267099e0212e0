#!/usr/bin/env bash
# The own-root world (issue 14 point 1): each end of the lab in its own
# mount namespace with its own /etc, /var, /run and account home, a real
# sshd with Debian's default sshd_config, and the peer account set up by
# the README's commands (lab-root.sh).  The two ends share no file; the
# client's account reaches the server's sshd and runs nothing but the
# forced `vtundfix peer`; a nologin shell cannot; and everything is gone
# afterwards, on success and on failure.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/lab/tap.sh
export VTUNDFIX=${VTUNDFIX:-$PWD/build/san/vtundfix}

check() {	# NAME COMMAND...: ok if COMMAND succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

lacks() { ! grep -qE -- "$1" <<<"$2"; }	# PATTERN TEXT
fails() { ! "$@" >/dev/null 2>&1; }		# COMMAND...

# What a lab left behind: namespaces, mounts, processes, cgroups, files.
leftovers() {	# ID DIR
	ip netns list 2>/dev/null | grep -- "-$1-"
	[ -e "$2" ] && echo "$2"
	grep -F -- "$2" /proc/self/mountinfo
	pgrep -af "vfx$1t|$2"
	ls -d /sys/fs/cgroup/unified/vfx-"$1"-* /sys/fs/cgroup/vfx-"$1"-* 2>/dev/null
	ls -d /tmp/vfx-root.* 2>/dev/null
}

# A world in a child shell that builds everything, then leaves as told
# (ok: success; fail: the test body fails half-way, sshd and daemon up).
run_world() {	# OUTFILE ok|fail
	bash -c '
		. tests/lab/lab.sh
		. tests/lab/lab-vtundfix.sh
		lab_init world-cleanup
		echo "$LAB_ID $LAB_DIR" >"$1"
		lab_create 1 --own-root || exit 3
		lab_peer_setup 2>/dev/null || exit 4
		labfix_write_conf srv
		labfix_write_conf cli
		labfix_start srv || exit 5
		[ "$2" = ok ] && exit 0
		false; exit 1' run_world "$@"
}

. tests/lab/lab.sh
. tests/lab/lab-vtundfix.sh
lab_init world
host_passwd=$(md5sum </etc/passwd)
if ! lab_create 1 --own-root; then
	not_ok "world/create"
	exit 1
fi
ok "world/create"
S=$(lab_session 0)
SR=$(lab_root srv)

# The two ends share no file: what one end writes in /etc, /var, /run,
# /root and the account's future home is seen neither by the other end
# nor by the host; /tmp is shared (LAB_DIR).
good=1
for d in /etc /var /run /root /var/lib /var/lock/vtund; do
	f="$d/vfx-world-$LAB_ID"
	lab_in srv sh -c "echo srv >$f" || good=0
	if lab_in cli test -e "$f" || [ -e "$f" ]; then
		echo "# $f written on srv is seen elsewhere"; good=0
	fi
	lab_in srv rm -f "$f"
done
lab_in srv sh -c "echo srv >$LAB_DIR/shared"
lab_in cli grep -q srv "$LAB_DIR/shared" || { echo "# LAB_DIR is not shared"; good=0; }
for side in srv cli; do
	lab_in "$side" test -d /var/lock/vtund -a -d /run/lock -a -d /var/vtundfix ||
	    { echo "# $side: /var/lock/vtund, /run/lock or /var/vtundfix missing"; good=0; }
	# /sys shows the end's own links (vtundfix and monit read it).
	lab_in "$side" test -e /sys/class/net/br0 -a -e /sys/class/net/u0 ||
	    { echo "# $side: /sys is not the end's namespace"; good=0; }
done
[ "$(lab_in srv cat /etc/hostname)" != "$(lab_in cli cat /etc/hostname)" ] ||
    { echo "# both ends have the same /etc/hostname"; good=0; }
# Fresh ssh host keys per end, none shared with the host's.
ks=$(lab_in srv ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)
kc=$(lab_in cli ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)
kh=$(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub 2>/dev/null)
if [ -z "$ks" ] || [ "$ks" = "$kc" ] || [ "$ks" = "$kh" ]; then
	echo "# host keys: srv '$ks' cli '$kc' host '$kh'"; good=0
fi
# vtund's lock files are per end now: the listener's session lock is on
# srv only.
lab_in srv test -e "/var/lock/vtund/$S" || { echo "# srv: no lock file for $S"; good=0; }
lab_in cli test -e "/var/lock/vtund/$S" && { echo "# cli sees srv's lock file"; good=0; }
[ -e "/var/lock/vtund/$S" ] && { echo "# the host sees the lab's lock file"; good=0; }
check "world/ends-share-no-file" [ "$good" = 1 ]

# The README's commands: the account, its key, the pinned key line, the
# host key accepted as the account.
if lab_peer_setup ""; then ok "world/peer-setup"; else not_ok "world/peer-setup"; fi
check "world/host-passwd-untouched" [ "$(md5sum </etc/passwd)" = "$host_passwd" ]
check "world/account-per-end" lab_in cli grep -q '^vtundfix:[^:]*:[0-9]*:[0-9]*::/var/lib/vtundfix:/bin/sh$' /etc/passwd
check "world/no-password" lab_in srv sh -c "grep '^vtundfix:' /etc/shadow | cut -d: -f2 | grep -qx '[!*]*'"
check "world/sshd-default-config" cmp -s "$SR/etc/ssh/sshd_config" /etc/ssh/sshd_config
check "world/sshd-pam-on" lab_in srv sh -c "/usr/sbin/sshd -T | grep -qx 'usepam yes'"
line=$(cat "$SR/var/lib/vtundfix/.ssh/authorized_keys")
echo "# srv authorized_keys: $line"
check "world/key-line-form" grep -qE "^restrict,from=\"$LAB_CLIENT_IP\",command=\"$VTUNDFIX peer( --session $S)?\" ssh-ed25519 AAAA" <<<"$line"

# The client's account reaches the server's sshd as the README's
# PEER_COMMAND would, and runs the forced command, whatever it asks for.
labfix_write_conf srv
labfix_write_conf cli
out=$(lab_in cli runuser -u vtundfix -- ssh -o BatchMode=yes \
    -o ConnectTimeout=10 "vtundfix@$LAB_SERVER_IP" cat /etc/shadow \
    <<<'vtundfix-peer 1' 2>&1)
echo "# srv answered: $out"
check "world/ssh-as-account" grep -q "Accepted publickey for vtundfix from $LAB_CLIENT_IP" "$SR/var/log/sshd.log"
check "world/forced-command-runs" grep -qE '^ok vtundfix-peer 1' <<<"$out"
check "world/forced-command-only" lacks '^root:' "$out"
# The daemon's form of the command, as the daemon runs it: as the account.
cmd=$(lab_peer_command)
echo "# PEER_COMMAND ${cmd//%h/$LAB_SERVER_IP}"
# shellcheck disable=SC2086 # a command line, split as the daemon does
out=$(lab_in cli runuser -u vtundfix -- ${cmd//%h/$LAB_SERVER_IP} <<<'vtundfix-peer 1' 2>&1)
check "world/peer-command" grep -qE '^ok vtundfix-peer 1' <<<"$out"
# `restrict` holds on Debian 12's sshd: no port forwarding for the key.
check "world/restrict-no-forwarding" fails \
    lab_in cli runuser -u vtundfix -- timeout 20 ssh -o BatchMode=yes \
    -o ExitOnForwardFailure=yes -R 127.0.0.1:2222:127.0.0.1:22 \
    "vtundfix@$LAB_SERVER_IP" </dev/null
# The key is pinned to the client's address: from another address of
# the client, the same key is refused.
lab_in cli ip addr add 10.99.0.3/24 dev u0
out=$(lab_in cli runuser -u vtundfix -- ssh -o BatchMode=yes -b 10.99.0.3 \
    "vtundfix@$LAB_SERVER_IP" <<<'vtundfix-peer 1' 2>&1)
check "world/from-pinned" lacks 'vtundfix-peer 1' "$out"
check "world/from-pinned-denied" grep -q 'Permission denied' <<<"$out"
# With a nologin shell sshd cannot run the forced command.
lab_in srv usermod -s /usr/sbin/nologin vtundfix
out=$(lab_in cli runuser -u vtundfix -- ssh -o BatchMode=yes \
    "vtundfix@$LAB_SERVER_IP" <<<'vtundfix-peer 1' 2>&1)
echo "# with nologin: $out"
check "world/nologin-fails" lacks 'vtundfix-peer 1' "$out"
lab_in srv usermod -s /bin/sh vtundfix

# Cleanup: this world (by the EXIT trap's function, in a subshell), then
# worlds that exit with success and with a failure half-way.
id=$LAB_ID dir=$LAB_DIR
(lab_destroy)
left=$(leftovers "$id" "$dir")
if [ -z "$left" ]; then ok "world/cleanup"
else not_ok "world/cleanup"; sed 's/^/#   left: /' <<<"$left"; fi
for how in ok fail; do
	f=$(mktemp)
	run_world "$f" "$how" >/dev/null 2>"$f.err"
	rc=$?
	read -r id dir <"$f"
	left=$(leftovers "$id" "$dir")
	want=0
	[ "$how" = fail ] && want=1
	if [ -n "$id" ] && [ -z "$left" ] && [ "$rc" = "$want" ]; then
		ok "world/cleanup-after-$how"
	else
		not_ok "world/cleanup-after-$how (exit $rc)"
		sed 's/^/#   left: /' <<<"$left"
		sed 's/^/#   stderr: /' "$f.err"
	fi
	rm -f "$f" "$f.err"
done
[ "$failures" -eq 0 ]
