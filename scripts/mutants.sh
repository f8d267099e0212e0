#!/usr/bin/env bash
# make mutants: deliberate breakages, one at a time, each of which a named
# test must catch (issue 17).  For every mutant, in a copy of the tree
# (build/mutants/tree, so neither the checkout nor its build is touched):
#   1. its sed expression is applied to its file; a file that does not
#      change means the mutant no longer applies to the code: missed;
#   2. the targets are built (a mutant that does not build is missed);
#   3. the test command runs; the mutant is caught if the test named by
#      CATCHER reports "not ok" (a failure elsewhere does not count), and
#      missed if it passes;
#   4. the file is restored.
# Before that, each test command runs once on the unbroken tree, and its
# CATCHER must pass there, else the mutants it should catch are missed.
# Prints one line per mutant, "caught NAME: TEST" or "missed NAME: why",
# and exits 1 if any was missed.
#
#	scripts/mutants.sh [NAME-PATTERN]
#
# Adding a mutant is one line below:
#	mutant NAME FILE SED-EXPRESSION TARGETS TEST-COMMAND CATCHER
# SED-EXPRESSION is one sed script for FILE; TARGETS, one quoted word, the
# make targets the test needs, space-separated; TEST-COMMAND runs from the
# tree's top (bash -c); CATCHER is an extended regex for NAME in the test's
# "ok - NAME" / "not ok - NAME" lines.  A mutant for code that is being
# rewritten is re-pointed (its sed) when the code changes: until then it
# reports itself missed.
set -u
cd "$(dirname "$0")/.." || exit 2
top=$PWD
pattern=${1:-}
tree=$top/build/mutants/tree
logs=$top/build/mutants/logs

names=() files=() seds=() targets=() tests=() catchers=()
mutant() {
	names+=("$1") files+=("$2") seds+=("$3") targets+=("$4") tests+=("$5")
	catchers+=("$6")
}

U=build/san
# --- the mutants -----------------------------------------------------------
mutant vtund-helpers-counted src/processes.c \
    's/^\t\tif (j == n)$/\t\tif (1)/' \
    "$U/test_processes" "$U/test_processes" 'test_helpers_dropped'
mutant daemonizing-vtund-unseen src/procview.c \
    's/^\t\t    procs_is_vtund(child)))$/\t\t    0))/' \
    "$U/test_procview" "$U/test_procview" 'test_connector_learns_without_scan'
mutant resume-quotes-wrong-seq src/tcpresume.c \
    's/^\tput32(q + h + 4, seq);$/\tput32(q + h + 4, seq + 1);/' \
    "$U/t_resume" "$U/t_resume" 'test_resume_ipv4'
mutant resume-never-told src/tunnel.c \
    's/^\t    t->ops->resume(t->ctx, s) != 1)$/\t    1)/' \
    "$U/test_tunnel" "$U/test_tunnel" 'test_outage_resumes'
mutant resume-undoes-busy-backoff src/tunnel.c \
    's/^\t    t->state == TS_REACHING || t->state == TS_DEAD) \&\&$/\t    1) \&\&/' \
    "$U/test_tunnel" "$U/test_tunnel" 'test_suspect_keeps_its_backoff'
mutant far-end-flap-restarts src/tunnel.c \
    's/^\t\tif (far_end_flaps(t, now))$/\t\tif (0 \&\& far_end_flaps(t, now))/' \
    "$U/test_tunnel" "$U/test_tunnel" 'test_far_end_flap_waited_once'
mutant sleeping-replacement-uncounted src/tunnel.c \
    's/^\tt->restart_ms = now;\t\t\/\* the flap rule counts from it too \*\/$/\t;/' \
    "$U/test_tunnel" "$U/test_tunnel" 'test_sleeping_client_replaced'
mutant unheard-never-nudged src/tunnel.c \
    's/^\telse if (t->ops->nudge(t->ctx) == 0)$/\telse if (0)/' \
    "$U/test_tunnel" "$U/test_tunnel" 'test_unheard_nudged'
mutant flap-waits-for-the-timer src/tunnel.c \
    's/^\tif (tell_kernel(t, \&s, now)) {$/\tif (0) {/' \
    "$U/test_tunnel" "$U/test_tunnel" 'test_black_hole_again_soon_told'
mutant unheard-waits-for-a-segment src/tunnel.c \
    's/^\tif (tell_kernel(t, \&s, now))$/\tif (0)/' \
    "$U/test_tunnel" "$U/test_tunnel" 'test_unheard_nudged'
mutant short-down-not-watched src/tunnel.c \
    '/watching the server",$/,/reach(t, now);/ s/^\t\treach(t, now);$/\t\t;/' \
    "$U/test_tunnel" "$U/test_tunnel" 'test_short_down_told'
mutant worker-keeps-every-session src/vtundconf.c \
    's/^\tif (lx->only != NULL \&\& strcmp(s->name, lx->only) != 0)$/\tif (0)/' \
    "$U/test_config" "$U/test_config" 'test_vtund_one_session'
mutant una-offset-off-by-one src/tcpresume.c \
    's/^\t\*seq = o->offset + (uint32_t)bytes_acked;$/\t*seq = o->offset + (uint32_t)bytes_acked + 1;/' \
    "$U/t_resume" "$U/t_resume" 'test_resume_learnt_offset'
mutant una-believed-at-one-point src/tcpresume.c \
    's/^\tif (o->have_point \&\& ack != o->point_ack \&\& point == o->point) {$/\tif (1) {/' \
    "$U/test_tcpresume" "$U/test_tcpresume" 'test_offset'
mutant flap-waits-every-time src/tunnel.c \
    's/^\t    (t->flap_wait_ms > t->restart_ms \&\&$/\t    (0 \&\& t->flap_wait_ms > t->restart_ms \&\&/' \
    "$U/test_tunnel" "$U/test_tunnel" 'test_black_hole_again_soon'
mutant peer-request-waits-for-ssh src/peer_client.c \
    's/^\tif (!ch->up \&\& !(how \& PEER_ASK_WAIT))$/\tif (0)/' \
    "$U/test_peer" "$U/test_peer" 'test_channel_request_waits_not_for_hello'
mutant tenant-scope-removed src/scope.c \
    's/^\tif (sc->all)$/\tif (1)/' \
    "$U/test_scope" "$U/test_scope" 'test_allows'
mutant probe-mac-check-removed src/probe.c \
    's/crypto_auth_verify(buf + f.len - PROBE_TAG_LEN,/0 \&\& crypto_auth_verify(buf + f.len - PROBE_TAG_LEN,/' \
    "$U/test_probe" "$U/test_probe" 'test_forged_frame_changes_nothing'
mutant vtund-exe-check-removed src/processes.c \
    's/^\t\treturn vtund_exe.ok \&\& st.st_dev == vtund_exe.dev \&\&$/\t\treturn 1 || (vtund_exe.ok \&\& st.st_dev == vtund_exe.dev \&\&/; s/^\t\t    st.st_ino == vtund_exe.ino;$/\t\t    st.st_ino == vtund_exe.ino);/' \
    "$U/test_processes" "$U/test_processes" 'test_identity'
mutant silence-is-death src/tunnel.c \
    's/^\tview = tcp_sample(t, \&s, \&changed);$/\tview = tcp_sample(t, \&s, \&changed); if (1) { snprintf(ev, len, "silence"); return V_DEAD; }/' \
    "$U/test_tunnel" "$U/test_tunnel" 'test_far_end_stopped_no_restart'
mutant outage-restarts src/tunnel.c \
    's/^\t\t\tt->outage_ms = t->reach_ms;$/\t\t\tt->outage_ms = t->reach_ms; reach_result(t, 1, now); return;/' \
    "$U/test_tunnel" "$U/test_tunnel" 'test_outage_holds_then_replaces'
mutant probes-not-sent src/datapath.c \
    's/^\t\tif (probe_send(\&pr) == 0)$/\t\tif (0 \&\& probe_send(\&pr) == 0)/' \
    "all $U/vtundfix $U/vtundctl $U/tool_inject" tests/lab/test_liveness.sh \
    'liveness/probes-stay-in-tunnel.*'
mutant control-scope-unchecked src/control.c \
    's/^\tif (!scope_allows(conf, \&c->sc, t)) {$/\tif (0) {/' \
    "all $U/vtundfix $U/vtundctl $U/tool_inject $U/tool_reach" \
    tests/lab/test_trust.sh 'trust/other-site-refused.*'
mutant peer-hangup-removed src/relay.c \
    '/too many errors, goodbye");$/{n;s/return 0;/return 1;/}' \
    "$U/test_peer" "$U/test_peer" 'test_relay_hangs_up_on_garbage'
mutant status-hides-switched-off src/status.c \
    '0,/if (!df->sw\[i\])$/s//if (0 \&\& !df->sw[i])/' \
    "$U/vtundfix $U/vtundctl" tests/unit/test_cli.sh 'cli/status-after-off'
mutant duplicate-client-kept src/check_client.c \
    's/^\tif (n > 1)$/\tif (0 \&\& n > 1)/' \
    "all $U/vtundfix $U/vtundctl $U/tool_procs $U/tool_inject" \
    tests/lab/test_daemon.sh \
    'daemon/duplicate-client.*'
mutant bridge-repair-skipped src/check_bridge.c \
    's/^\tfix_bridge(tc, &f);$/\t(void)fix_bridge;/' \
    "$U/t_bridge" "$U/t_bridge" 'test_missing_bridge_created'
mutant bridge-fault-logged-every-round src/check_bridge.c \
    '/^\t\tcheck_fault(tc, CHK_BRIDGE, f.fault);$/{n;s/CR_FAULT/CR_OK/}' \
    "$U/t_bridge" "$U/t_bridge" 'test_unrepairable_fault_logged_once'
mutant nofollow-dropped src/safefile.c \
    '/openat(w.dirfd, w.name, flags/s/O_NOFOLLOW | //' \
    "$U/test_safefile" "$U/test_safefile" 'test_symlink_refused'
mutant foreign-owner-accepted src/safefile.c \
    's/st->st_uid != 0 && st->st_uid != geteuid()/0/' \
    "$U/test_safefile" "$U/test_safefile" \
    'test_foreign_and_writable_files_refused'
mutant planted-file-replaced src/safefile.c \
    's/^\t\treturn check_stat(path, &st);$/\t\treturn 0;/' \
    "$U/test_safefile" "$U/test_safefile" 'test_replace_refuses_planted'
mutant datafile-lock-follows-links src/datafile.c \
    's/fd = sf_open_lock(lock, 0640);/fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0640);/' \
    "$U/test_datafile" "$U/test_datafile" 'test_planted_symlinks_refused'
mutant client-ip-not-checked src/config.c \
    's/inet_pton(AF_INET, host, &in) != 1/inet_pton(AF_INET, host, \&in) == -1/' \
    "$U/test_config" "$U/test_config" 'test_errors'
mutant session-dash-accepted src/config.c \
    "s/if (session\[0\] == '-')/if (0)/" \
    "$U/test_config" "$U/test_config" 'test_errors'
mutant vtund-default-ignored src/vtundconf.c \
    's/^\t\*s = \*def;$/\tmemset(s, 0, sizeof(*s));/' \
    "$U/test_config" "$U/test_config" 'test_vtund_server'
mutant vtund-abbreviation-silent src/vtundconf.c \
    's/^\tif (st->abbreviated)$/\tif (0)/' \
    "$U/test_config" "$U/test_config" 'test_vtund_abbreviations'
mutant vtund-passwd-printed src/vtundconf.c \
    's/"  info %s session %s: proto %s, port %d, keepalive ",/"  info %s session %s %s: proto %s, port %d, keepalive ", s->passwd,/' \
    "$U/test_config" "$U/test_config" 'test_vtund_seed'
# ---------------------------------------------------------------------------

log() { echo "$*" >&2; }

# A fresh copy of the tree, without its build (nothing of an earlier,
# interrupted run may survive in an object file).
copy_tree() {
	rm -rf "$tree" "$logs"
	mkdir -p "$tree" "$logs"
	tar -C "$top" --exclude=./build --exclude=./.git -cf - . |
	    tar -C "$tree" -xf - || { log "mutants: cannot copy the tree"; exit 2; }
}

# Did OUT (a test's output) report CATCHER as STATE ("ok" or "not ok")?
reported() {	# STATE CATCHER OUT
	grep -qE -- "^$1 - ($2)( |:|\$)" "$3"
}

declare -A baseline=()
# Run TEST on the unbroken tree once; 0 if CATCHER passes there.
baseline_ok() {	# I
	local i=$1 key="${tests[$1]}" out
	out=$logs/baseline-$(echo "$key" | tr -c 'A-Za-z0-9' _).out
	if [ -z "${baseline[$key]:-}" ]; then
		# shellcheck disable=SC2086  # targets are words
		(cd "$tree" && make -s ${targets[$i]} && bash -c "$key") \
		    >"$out" 2>&1
		baseline[$key]=$out
	fi
	reported ok "${catchers[$i]}" "${baseline[$key]}"
}

# Apply, build, test and restore mutant I; prints its verdict.
run_mutant() {	# I
	local i=$1 f=$tree/${files[$1]} out=$logs/${names[$1]}.out
	if [ ! -f "$f" ]; then
		echo "missed ${names[$i]}: ${files[$i]} does not exist"; return 1
	fi
	if ! baseline_ok "$i"; then
		echo "missed ${names[$i]}: ${catchers[$i]} does not pass without" \
		    "the mutant (see ${baseline[${tests[$i]}]#"$top"/})"
		return 1
	fi
	cp "$f" "$f.orig"
	sed -i -e "${seds[$i]}" "$f"
	if cmp -s "$f" "$f.orig"; then
		mv "$f.orig" "$f"
		echo "missed ${names[$i]}: no longer applies to ${files[$i]}"
		return 1
	fi
	# shellcheck disable=SC2086
	if ! (cd "$tree" && make -s ${targets[$i]}) >"$out" 2>&1; then
		verdict="missed ${names[$i]}: does not build (${out#"$top"/})"
	else
		(cd "$tree" && timeout -k 10 900 bash -c "${tests[$i]}") \
		    >>"$out" 2>&1
		if reported "not ok" "${catchers[$i]}" "$out"; then
			verdict="caught ${names[$i]}: ${tests[$i]#"$U"/}: ${catchers[$i]}"
		else
			verdict="missed ${names[$i]}: ${tests[$i]} passes (${out#"$top"/})"
		fi
	fi
	# A new mtime: the next build recompiles the restored file.
	cat "$f.orig" >"$f" && rm -f "$f.orig"
	echo "$verdict"
	case $verdict in caught*) return 0 ;; *) return 1 ;; esac
}

copy_tree
trap 'for i in "${!files[@]}"; do f=$tree/${files[$i]}; [ -f "$f.orig" ] && mv "$f.orig" "$f"; done' EXIT
caught=0 missed=0
for i in "${!names[@]}"; do
	case ${names[$i]} in *"$pattern"*) ;; *) continue ;; esac
	if run_mutant "$i"; then caught=$((caught + 1)); else missed=$((missed + 1)); fi
done
echo "$((caught + missed)) mutants: $caught caught, $missed missed"
[ "$missed" -eq 0 ]
