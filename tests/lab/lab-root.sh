# shellcheck shell=bash
# lab-root.sh: each end of the lab in its own mount namespace, with a real
# sshd and the peer account set up exactly as the README says (sourced by
# lab.sh; `lab_create N --own-root` builds it).
#
#	lab_root SIDE		the end's root as the host sees it
#				(/proc/PID/root of a process held there)
#	lab_sshd_start SIDE	Debian's sshd with its default sshd_config
#				(port 22, PAM on) and fresh host keys
#	lab_sshd_stop SIDE	stop it (the peer channel is down)
#	lab_peer_account SIDE	create the vtundfix account and its key
#	lab_peer_authorize SIDE [SESSIONS]
#				put the OTHER end's key in this end's
#				authorized_keys, pinned to `vtundfix peer`
#	lab_peer_accept SIDE	accept the other end's host key as the account
#	lab_peer_setup [SESSIONS]	all of the above, on both ends
#	lab_peer_command	the PEER_COMMAND for the daemon (the default's
#				form: `ssh ... vtundfix@%h vtundfix peer`)
#
# Each end (srv, cli) gets its own /etc (a copy of the host's, with fresh
# ssh host keys), /var and /run (empty tmpfs, with /run/lock, /var/lock ->
# /run/lock, /var/run -> /run as bind mounts, /var/lock/vtund, /var/vtundfix
# as `make install` lays it out) and /root; /sys shows the end's network
# namespace.  /tmp, /work and the rest are shared, so LAB_DIR works.
# Nothing of an end is on the host's disk: its tmpfs mounts die with the
# namespace, which a bind-mounted nsfs file (LAB_DIR/ns/NAMESPACE) holds.
#
# The README's set-up of the peer account, on each machine (the README
# copies this block; keep the two the same):
#
#   useradd --system --home-dir /var/lib/vtundfix --create-home --shell /bin/sh vtundfix
#   runuser -u vtundfix -- ssh-keygen -q -t ed25519 -N '' -f /var/lib/vtundfix/.ssh/id_ed25519
#
# then on each end, the OTHER end's /var/lib/vtundfix/.ssh/id_ed25519.pub as
# one line of /var/lib/vtundfix/.ssh/authorized_keys (owned by vtundfix,
# mode 0600):
#
#   restrict,from="ADDR",command="/usr/local/sbin/vtundfix peer --session NAME[,NAME...]" ssh-ed25519 AAAA... vtundfix@HOST
#
# (ADDR: the other end's address; NAME: the vtund sessions they share) and
# last, as the account, accept the other end's host key once (the forced
# command answers; type quit):
#
#   runuser -u vtundfix -- ssh -o StrictHostKeyChecking=accept-new vtundfix@PEER
#
# The account has no password and a shell that can run sshd's forced
# command (sshd runs it with the account's shell: nologin cannot).

LAB_PEER_USER=vtundfix
LAB_PEER_HOME=/var/lib/vtundfix

# Mount namespaces are held by nsfs files bind-mounted in LAB_DIR/ns,
# itself a private mount, so that the namespace held there does not
# see (and pin) its own file.
lab_root_setup() {	# SIDE
	local side=$1 ns holder
	ns=$(lab_ns "$side") || return 1
	holder=$LAB_DIR/ns
	if ! mountpoint -q "$holder"; then
		mkdir -p "$holder" && mount --bind "$holder" "$holder" &&
		    mount --make-private "$holder" || return 1
	fi
	: >"$holder/$ns"
	# shellcheck disable=SC2016 # expanded by that shell
	unshare --mount="$holder/$ns" --propagation private \
	    nsenter --net="/run/netns/$ns" -- sh -ec '
		s=$(mktemp -d /tmp/vfx-root.XXXXXX)
		mount -t tmpfs -o mode=0755 vfx-etc "$s"
		cp -a /etc "$s/etc"
		mount --bind "$s/etc" /etc
		umount -l "$s"; rmdir "$s"
		umount -l /sys; mount -t sysfs sysfs /sys
		mount -t tmpfs -o mode=0755 vfx-run /run
		mkdir -p /run/lock /run/sshd; chmod 1777 /run/lock
		mount -t tmpfs -o mode=0755 vfx-var /var
		mkdir -p /var/lib /var/log /var/tmp /var/cache /var/spool \
		    /var/mail /var/run /var/lock /var/backups
		chmod 1777 /var/tmp
		mount --bind /run /var/run
		mount --bind /run/lock /var/lock
		mkdir -p /var/lock/vtund
		install -d -m 0750 /var/vtundfix
		mount -t tmpfs -o mode=0700 vfx-root /root
		rm -f /etc/ssh/ssh_host_*
		ssh-keygen -A >/dev/null
		echo "$1" >/etc/hostname
		cp "$2" /etc/vtund.conf' lab_root_setup "$side.$LAB_ID" \
	    "$LAB_DIR/vtund-$side.conf" || return 1
	# A process that stays in the end: /proc/PID/root is the end's root
	# for the host (for logs, pid files and configurations).
	# shellcheck disable=SC2016 # expanded by that shell
	setsid -f nsenter --net="/run/netns/$ns" --mount="$holder/$ns" -- \
	    sh -c 'echo $$ >"$1"; exec sleep infinity' lab-anchor \
	    "$LAB_DIR/anchor-$side" </dev/null >/dev/null 2>&1
	local i
	for ((i = 0; i < 50; i++)); do
		[ -s "$LAB_DIR/anchor-$side" ] && return 0
		sleep 0.02
	done
	lab_log "$side: the end's anchor process did not start"
	return 1
}

lab_root() {	# SIDE
	local pid
	pid=$(cat "$LAB_DIR/anchor-$1" 2>/dev/null) || return 1
	echo "/proc/$pid/root"
}

# Unmount the nsfs files (the namespaces go once no process is left in
# them: lab_destroy kills those first).
lab_root_release() {
	local f
	[ -n "$LAB_DIR" ] && [ -d "$LAB_DIR/ns" ] || return 0
	for f in "$LAB_DIR"/ns/*; do
		[ -e "$f" ] || continue
		umount "$f" 2>/dev/null || umount -l "$f" 2>/dev/null
	done
	umount "$LAB_DIR/ns" 2>/dev/null || umount -l "$LAB_DIR/ns" 2>/dev/null
	return 0
}

lab_sshd_start() {	# SIDE
	local side=$1 i
	lab_in "$side" /usr/sbin/sshd -E /var/log/sshd.log || return 1
	for ((i = 0; i < 50; i++)); do
		lab_in "$side" ss -Hltn 'sport = :22' 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	lab_log "$side: sshd does not listen on port 22"
	return 1
}

lab_sshd_stop() {	# SIDE
	local pid
	pid=$(cat "$(lab_root "$1")/run/sshd.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	return 0
}

# The README's commands (the block above), run in the end as root.
lab_peer_account() {	# SIDE
	lab_in "$1" useradd --system --home-dir "$LAB_PEER_HOME" --create-home \
	    --shell /bin/sh "$LAB_PEER_USER" || return 1
	lab_in "$1" runuser -u "$LAB_PEER_USER" -- ssh-keygen -q -t ed25519 \
	    -N '' -f "$LAB_PEER_HOME/.ssh/id_ed25519" </dev/null >/dev/null
}

lab_peer_other() { if [ "$1" = srv ]; then echo cli; else echo srv; fi; }
lab_peer_addr() { if [ "$1" = srv ]; then echo "$LAB_SERVER_IP"; else echo "$LAB_CLIENT_IP"; fi; }

# The forced command names vtundfix by its absolute path.  `--session`
# is the README's form; a vtundfix whose usage does not show it yet gets
# the line without it (said on stderr).
lab_peer_forced_command() {	# SESSIONS
	local bin=${VTUNDFIX:-$PWD/build/san/vtundfix}
	if "$bin" --help 2>&1 | grep -q -- '--session'; then
		echo "$bin peer --session $1"
	else
		lab_log "$bin peer does not take --session yet: forced command without it"
		echo "$bin peer"
	fi
}

# lab_peer_authorize SIDE [SESSIONS]: the other end's key, pinned to
# `vtundfix peer` for SESSIONS (default: every session of the lab).
lab_peer_authorize() {
	local side=$1 sessions=${2:-} other key i cmd
	other=$(lab_peer_other "$side")
	if [ -z "$sessions" ]; then
		for ((i = 0; i < LAB_NTAPS; i++)); do
			sessions+=${sessions:+,}vfx${LAB_ID}t$i
		done
	fi
	key=$(cat "$(lab_root "$other")$LAB_PEER_HOME/.ssh/id_ed25519.pub") || return 1
	cmd=$(lab_peer_forced_command "$sessions")
	# shellcheck disable=SC2016 # expanded by that shell
	printf 'restrict,from="%s",command="%s" %s\n' "$(lab_peer_addr "$other")" \
	    "$cmd" "$key" | lab_in "$side" runuser -u "$LAB_PEER_USER" -- \
	    sh -c 'umask 077; cat >>"$HOME/.ssh/authorized_keys"'
}

# As the account, the first login to the other end accepts its host key;
# the forced command runs and is told to quit.
lab_peer_accept() {	# SIDE
	local other
	other=$(lab_peer_other "$1")
	echo quit | lab_in "$1" runuser -u "$LAB_PEER_USER" -- ssh \
	    -o StrictHostKeyChecking=accept-new \
	    "$LAB_PEER_USER@$(lab_peer_addr "$other")" >/dev/null 2>&1
	lab_in "$1" runuser -u "$LAB_PEER_USER" -- ssh-keygen -F \
	    "$(lab_peer_addr "$other")" >/dev/null
}

lab_peer_setup() {	# [SESSIONS]
	local side
	[ "$LAB_OWN_ROOT" = 1 ] || { lab_log "lab_peer_setup needs lab_create --own-root"; return 1; }
	for side in srv cli; do
		lab_sshd_start "$side" && lab_peer_account "$side" || return 1
	done
	for side in srv cli; do lab_peer_authorize "$side" "${1:-}" || return 1; done
	for side in srv cli; do
		lab_peer_accept "$side" ||
		    { lab_log "$side: could not accept the peer's host key"; return 1; }
	done
}

# The daemon's default PEER_COMMAND (SPEC §3).  A vtundfix that does not
# yet run it as USER itself (it runs it as root, whose key and
# known_hosts these are not) gets it through runuser: LAB_PEER_RUNUSER=1,
# or auto (the default): when the binary calls no setuid-family function.
lab_peer_command() {
	local cmd="/usr/bin/ssh -o BatchMode=yes -o ConnectTimeout=10 $LAB_PEER_USER@%h vtundfix peer"
	local bin=${VTUNDFIX:-$PWD/build/san/vtundfix} wrap=${LAB_PEER_RUNUSER:-auto}
	if [ "$wrap" = auto ]; then
		if nm -D "$bin" 2>/dev/null | grep -qE ' U (setresuid|setuid|initgroups|setgroups)'; then
			wrap=0
		else
			wrap=1
		fi
	fi
	if [ "$wrap" = 1 ]; then echo "/usr/sbin/runuser -u $LAB_PEER_USER -- $cmd"
	else echo "$cmd"; fi
}
