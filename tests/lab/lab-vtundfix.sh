# shellcheck shell=bash
# lab-vtundfix.sh: vtundfix on both ends of the lab (sourced after lab.sh).
#
#	labfix_write_conf srv|cli [KEY VALUE]...   write its configuration
#	labfix_start srv|cli                        start the daemon in its end,
#	                                            inside the end's cgroup
#	labfix_stop srv|cli                         SIGTERM it and wait
#	labfix_log srv|cli                          path of its log file
#	labfix_pid srv|cli                          the supervisor's pid
#	labfix_cmd srv|cli ARGS...                  run `vtundfix ARGS` there
#	labfix_cpu_us srv|cli                       CPU time (us) of everything
#	                                            the daemon ran on that end
#	                                            (its cgroup: ssh included)
#
# In a lab made with `lab_create N --own-root` the configuration is the
# end's own /etc/vtundfix.conf and the daemon's defaults hold for the rest
# (DATA_DIR /var/vtundfix/, PID_FILE /var/run/vtundfix.pid, the control
# socket, VTUND_CONF /etc/vtund.conf); PEER_COMMAND is the default's form
# over the underlay (lab_peer_command; run lab_peer_setup first).  Else
# each end's files are in LAB_DIR and the peer is reached with
# `ip netns exec`.  The paths printed are the host's view of them.
#
# VTUNDFIX (default build/san/vtundfix) is the binary under test.

: "${VTUNDFIX:=$PWD/build/san/vtundfix}"

labfix_own_root() { [ "$LAB_OWN_ROOT" = 1 ]; }
labfix_dir() {
	if labfix_own_root; then echo "$(lab_root "$1")/var/vtundfix"
	else echo "$LAB_DIR/fix-$1"; fi
}
labfix_conf() {
	if labfix_own_root; then echo "$(lab_root "$1")/etc/vtundfix.conf"
	else echo "$LAB_DIR/vtundfix-$1.conf"; fi
}
labfix_log() { echo "$(labfix_dir "$1")/vtundfix.log"; }

labfix_ns() {
	case $1 in
	srv) echo "$LAB_SRV" ;;
	cli) echo "$LAB_CLI" ;;
	*) echo "labfix: unknown side $1" >&2; return 1 ;;
	esac
}

# labfix_write_conf SIDE [KEY VALUE]... — extra settings override defaults.
labfix_write_conf() {
	local side=$1 dir conf i other machine vtconf key
	local -A extra=()
	shift
	while [ $# -ge 2 ]; do extra[$1]=$2; shift 2; done
	dir=$(labfix_dir "$side")
	conf=$(labfix_conf "$side")
	labfix_own_root || mkdir -p "$dir"
	if [ "$side" = srv ]; then
		machine=server; other=cli; vtconf=$LAB_VTUND_SRV_CONF
	else
		machine=client; other=srv; vtconf=$LAB_VTUND_CLI_CONF
	fi
	local -A defaults=(
		[MACHINE]=$machine
		[SERVER]=$LAB_SERVER_IP
		[DELAY_BETWEENCHECK]=300
		[DELAY_PARENTCHECK]=300
		[VTUND]=/usr/sbin/vtund
		[MAIL_COMMAND]=$LAB_DIR/mail-$side
	)
	if labfix_own_root; then
		# The real set-up: USER vtundfix, the default control socket.
		defaults[PEER_COMMAND]=$(lab_peer_command)
	else
		# Lab shortcut: the peer through ip netns exec, as root, and a
		# control socket per end in LAB_DIR (both ends share /run).  What
		# it hides, ssh as the unprivileged account, test_trust.sh and
		# test_world.sh run for real.
		defaults[USER]=root
		defaults[CONTROL_SOCKET]=$dir/control
		defaults[DATA_DIR]=$dir/
		defaults[PID_FILE]=$dir/vtundfix.pid
		defaults[LOG_FILE]=$dir/vtundfix.log
		defaults[VTUND_CONF]=$vtconf
		defaults[PEER_COMMAND]="/usr/sbin/ip netns exec $(labfix_ns $other) $VTUNDFIX -f $(labfix_conf $other) peer"
	fi
	{
		echo "# vtundfix lab configuration ($side), written by lab-vtundfix.sh"
		for key in "${!defaults[@]}"; do
			[ -n "${extra[$key]+set}" ] || echo "$key ${defaults[$key]}"
		done
		for key in "${!extra[@]}"; do echo "$key ${extra[$key]}"; done
		for ((i = 0; i < LAB_NTAPS; i++)); do
			echo "tap$i $(lab_session "$i") $LAB_CLIENT_IP br$i up$i"
		done
	} >"$conf"
	# The mail command records each message, as sendmail would send it.
	printf '#!/bin/sh\ncat >>%s/mail-%s.out\necho >>%s/mail-%s.out\n' \
	    "$LAB_DIR" "$side" "$LAB_DIR" "$side" >"$LAB_DIR/mail-$side"
	chmod +x "$LAB_DIR/mail-$side"
}

labfix_cmd() {
	local side=$1
	shift
	if labfix_own_root; then
		lab_in "$side" "$VTUNDFIX" "$@"
	else
		ip netns exec "$(labfix_ns "$side")" "$VTUNDFIX" -f "$(labfix_conf "$side")" "$@"
	fi
}

labfix_start() {
	if labfix_own_root; then
		lab_in_cgroup "$1" "$1" "$VTUNDFIX"
	else
		lab_in_cgroup "$1" "$1" "$VTUNDFIX" -f "$(labfix_conf "$1")"
	fi
}

labfix_cpu_us() { lab_cgroup_cpu_us "$1"; }

labfix_pid() {
	local f
	if labfix_own_root; then f="$(lab_root "$1")/run/vtundfix.pid"
	else f="$(labfix_dir "$1")/vtundfix.pid"; fi
	[ -s "$f" ] && cat "$f"
}

labfix_stop() {
	local pid i
	pid=$(labfix_pid "$1") || return 0
	kill "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	return 1
}
