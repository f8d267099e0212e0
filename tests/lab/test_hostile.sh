#!/usr/bin/env bash
# vtundfix on the networks real sites have (issue 13), in the own-root
# lab: each end in its own mount namespace, the peer channel over the
# underlay through real sshd as the vtundfix account, so that an outage
# cuts it too.  Shortened versions of the bench's classes (a)-(f), with
# generous bounds on the issue's goals:
#	(a) busy slow link (1 Mbit/s, 1 s queue, bulk both ways for 60 s):
#	    no restart
#	(b) 30 s underlay outage, LAN idle: traffic back <= 3 s after the
#	    underlay returns, and no restart (the old session is resumed:
#	    both ends tell their kernel the path is back, RFC 6069)
#	(c) far end's vtundfix stopped, tunnel idle 60 s: no restart; and
#	    the same with the peer channel down too
#	(d) black hole with the peer channel down: repaired <= 15 s
#	(e) 20 tunnels, 20 s outage: all back <= 10 s after the return, at
#	    most 5 restarts (resumed, not replaced), at most 1 s CPU each end
#	(f) flapping underlay (2 s up, 2 s down, 60 s): <= 1 restart per
#	    tunnel, traffic back <= 5 s after it settles
# Restarts are the client's new vtund connections as the server sees them
# (lab_conns: SYNs to the vtund port, once per connection), not the
# daemon's word.  Three or four labs at a time, about 3 minutes.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/lab/tap.sh
export VTUNDFIX=${VTUNDFIX:-$PWD/build/san/vtundfix}

# The world of one case: N tunnels, vtundfix on both ends with the
# default configuration, peer channel over ssh, settled; the connection
# counter starts at 0.
world() {	# NAME NTAPS
	lab_init "h-$1"
	lab_create "$2" --own-root || { not_ok "hostile/$1: lab"; return 1; }
	lab_peer_setup "" 2>/dev/null || { not_ok "hostile/$1: peer set-up"; return 1; }
	labfix_write_conf srv
	labfix_write_conf cli
	{ labfix_start srv && labfix_start cli; } || { not_ok "hostile/$1: daemon start"; return 1; }
	sleep 4
	lab_reach_all 20 >/dev/null || { not_ok "hostile/$1: tunnels up"; return 1; }
	lab_conns_start
}

# The daemons' log lines after a case that failed.
show_logs() {
	local side
	for side in srv cli; do
		tail -n 12 "$(labfix_log "$side")" | sed "s/^/#   $side: /"
	done
}

restarts_ok() {	# NAME MAX
	local n
	n=$(lab_conns)
	if [ "$n" != "-" ] && [ "$n" -le "$2" ]; then ok "hostile/$1 ($n restarts)"
	else not_ok "hostile/$1 ($n restarts, at most $2 allowed)"; show_logs; fi
}

case_busy() {	# (a)
	local loss
	world busy 1 || return
	lab_shape 1000 1000
	lab_bulk_start 0 3 60
	loss=$(ip netns exec "$LAB_LANC" ping -n -q -i 0.2 -c 300 -W 20 "$(lab_lan_ip srv 0)" |
	    grep -o '[0-9.]*% packet loss')
	echo "# (a) busy slow link: LAN ping loss ${loss:-?}"
	lab_bulk_stop
	restarts_ok busy-link-no-restart 0
}

case_outage() {	# (b)
	local back
	world outage 1 || return
	lab_outage_start
	sleep 15
	# The outage is on record while it lasts (no check round runs
	# during it but the one that records it): the tunnel check says
	# fault, and the tunnel state outage.
	if labfix_cmd cli status --json 2>/dev/null | grep -q '"tunnel":{"state":"fault"'; then
		ok "hostile/outage-on-record"
	else
		not_ok "hostile/outage-on-record: $(labfix_cmd cli status --json 2>&1 | grep -o '"tunnel":{[^}]*}' | head -2 | tr '\n' ' ')"
	fi
	sleep 15
	lab_outage_stop
	if back=$(lab_reach_all 40 "$(cat "$LAB_DIR/outage.end")"); then
		echo "# (b) 30 s outage: traffic back $back ms after the return"
	fi
	if [ -n "$back" ] && [ "$back" -le 3000 ]; then ok "hostile/outage-30s-back ($back ms)"
	else not_ok "hostile/outage-30s-back (${back:-not within 40 s} ms, at most 3000)"; show_logs; fi
	restarts_ok outage-30s-restarts 0
}

case_far_end() {	# (c)
	world far-end 1 || return
	labfix_stop srv
	sleep 60
	restarts_ok far-end-stopped-no-restart 0
	lab_wait_traffic 0 5 >/dev/null || not_ok "hostile/far-end-stopped: tunnel still carries traffic"
}

case_far_end_no_peer() {	# (c), the peer channel down too
	world far-end-np 1 || return
	labfix_stop srv
	drop_ssh
	sleep 60
	restarts_ok far-end-stopped-no-peer-no-restart 0
}

# The peer channel down: the server drops ssh on the underlay, both ways
# (the connection open now, and new ones).
drop_ssh() {
	lab_in srv nft -f - <<-NFT
	table inet vfxnossh {
		chain input { type filter hook input priority -5; tcp dport 22 drop; }
		chain output { type filter hook output priority -5; tcp sport 22 drop; }
	}
	NFT
}

case_black_hole() {	# (d)
	local t0 ms
	world black-hole 1 || return
	drop_ssh
	sleep 2
	t0=$(lab_now_ms)
	lab_black_hole || { not_ok "hostile/black-hole-no-peer: injection"; return; }
	if ms=$(lab_reach_all 30 "$t0") && [ "$ms" -le 15000 ]; then
		ok "hostile/black-hole-no-peer ($ms ms)"
	else
		not_ok "hostile/black-hole-no-peer (${ms:-not within 30 s} ms, at most 15000)"; show_logs
	fi
}

case_mass_outage() {	# (e)
	local back s0 c0 cs cc
	world mass 20 || return
	s0=$(lab_cgroup_cpu_us srv) c0=$(lab_cgroup_cpu_us cli)
	lab_outage_start
	sleep 20
	lab_outage_stop
	back=$(lab_reach_all 60 "$(cat "$LAB_DIR/outage.end")")
	cs=$((($(lab_cgroup_cpu_us srv) - s0) / 1000)) cc=$((($(lab_cgroup_cpu_us cli) - c0) / 1000))
	echo "# (e) 20 tunnels, 20 s outage: all back ${back:-not within 60 s} ms after the return, CPU server end $cs ms, client end $cc ms"
	if [ -n "$back" ] && [ "$back" -le 10000 ]; then ok "hostile/mass-outage-20-back ($back ms)"
	else not_ok "hostile/mass-outage-20-back (${back:-not within 60 s} ms, at most 10000)"; show_logs; fi
	# CPU of everything each end's vtundfix runs (ssh too), this
	# sanitizer build: generous (it needs about 0.1 s per end here, the
	# release build less; bench/ measures the goal), but a worker that
	# polls, spins or runs check rounds through the outage does not fit
	# (a capture read too late, level-triggered, spun: 2.3 s each end).
	if [ "$cs" -le 1000 ] && [ "$cc" -le 1000 ]; then ok "hostile/mass-outage-20-cpu (server $cs ms, client $cc ms)"
	else not_ok "hostile/mass-outage-20-cpu (server $cs ms, client $cc ms, at most 1000 each)"; show_logs; fi
	# Every session resumed: none replaced (before RFC 6069 messages,
	# one to two restarts per tunnel).  A few allowed for a session
	# whose retransmission the capture did not see.
	restarts_ok mass-outage-20-restarts 5
}

case_flap() {	# (f)
	local settled back
	world flap 1 || return
	lab_flap_start 2 2 60
	settled=$(lab_flap_wait)
	back=$(lab_reach_all 30 "$settled")
	echo "# (f) flapping 60 s: traffic back ${back:-not within 30 s} ms after it settled"
	if [ -n "$back" ] && [ "$back" -le 5000 ]; then ok "hostile/flap-back ($back ms)"
	else not_ok "hostile/flap-back (${back:-not within 30 s} ms, at most 5000)"; show_logs; fi
	# Generous: vtundfix restarts once; a fresh connection whose
	# handshake falls into a down period makes vtund itself retry once.
	# bench/ measures the goal (at most one).
	restarts_ok flap-restarts 2
}

# Each case in a subshell with a lab of its own (its EXIT trap removes
# it); three or four at a time.
run_cases() {
	local c outs=() pids=() i
	for c in "$@"; do
		outs+=("$(mktemp)")
		( "$c"; exit "$failures" ) >"${outs[-1]}" 2>&1 &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}"
		grep -v '^# lab: .* does not take --session' "${outs[$i]}"
		grep -q '^not ok' "${outs[$i]}" && failures=$((failures + 1))
		rm -f "${outs[$i]}"
	done
}

. tests/lab/lab.sh
. tests/lab/lab-vtundfix.sh
[ "$(id -u)" -eq 0 ] || { echo "skip - hostile: needs root"; exit 0; }
run_cases case_busy case_far_end case_far_end_no_peer case_flap
run_cases case_outage case_black_hole case_mass_outage
[ "$failures" -eq 0 ]
