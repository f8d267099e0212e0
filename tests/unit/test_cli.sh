#!/usr/bin/env bash
# The vtundfix command line: usage, version, -t, exit codes (SPEC §3, §9).
set -u
cd "$(dirname "$0")/../.." || exit 2
VTUNDFIX=${VTUNDFIX:-$PWD/build/san/vtundfix}
tmp=$(mktemp -d /tmp/vfx-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0

# expect NAME STATUS OUTPUT-REGEX COMMAND...: exit status and output match.
expect() {
	local name=$1 want=$2 pattern=$3 out rc
	shift 3
	out=$("$@" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" -eq "$want" ] && grep -qE -- "$pattern" <<<"$out"; then
		echo "ok - cli/$name"
	else
		echo "not ok - cli/$name (exit $rc, want $want)"
		sed 's/^/#   /' <<<"$out"
		failures=$((failures + 1))
	fi
}

cat >"$tmp/vtund.conf" <<'CONF'
options { port 5000; }
lcsr { passwd vfx-cli-pw; device tap0; persist yes; multi killold; }
lcsr2 { passwd vfx-cli-pw; device tap1; persist yes; }
CONF
cat >"$tmp/good.conf" <<CONF
MACHINE client
SERVER 10.0.0.1
DATA_DIR $tmp/data
VTUND_CONF $tmp/vtund.conf
tap0 lcsr 10.0.0.2 br0 eth0.763
CONF
sed 's/^tap0.*/&\ntap1 lcsr2 10.0.0.2 br1 eth0.764/' "$tmp/good.conf" >"$tmp/two.conf"
printf 'MACHINE client\nSERVER 10.0.0.1\nBOGUS 1\n' >"$tmp/bad.conf"

expect help 0 '^usage: vtundfix' "$VTUNDFIX" --help
expect version 0 '^vtundfix [0-9]+\.[0-9]+' "$VTUNDFIX" -V
expect bad-option 2 '^usage: vtundfix' "$VTUNDFIX" -Z
expect unknown-command 2 'unknown command "frobnicate"' \
    "$VTUNDFIX" -f "$tmp/good.conf" frobnicate
expect missing-config 1 "^vtundfix: $tmp/none.conf: No such file or directory" \
    "$VTUNDFIX" -f "$tmp/none.conf" -t
expect bad-config 1 "^vtundfix: $tmp/bad.conf:3: unknown key \"BOGUS\"" \
    "$VTUNDFIX" -f "$tmp/bad.conf" -t
expect bad-config-daemon 1 "bad.conf:3: unknown key" \
    "$VTUNDFIX" -n -f "$tmp/bad.conf"
expect test-good 0 'ok   tap0 session lcsr: multi killold' \
    "$VTUNDFIX" -t -f "$tmp/good.conf"
expect test-vtund-conf-problem 1 'FAIL tap1 session lcsr2: multi killold \(found nothing\)' \
    "$VTUNDFIX" -t -f "$tmp/two.conf"
expect test-with-command 2 'takes no command' \
    "$VTUNDFIX" -t -f "$tmp/good.conf" status
expect switch-bad-tap 2 'tap7' "$VTUNDFIX" -f "$tmp/good.conf" off tap7 local
# The status row of tap0 (not the header, which names every check) says
# which switch is off; --local: this end only, the peer is not asked.
expect status-before-off 3 '^tap0 +lcsr +.* all on$' \
    "$VTUNDFIX" -f "$tmp/good.conf" status --local
expect switch-off-local 0 '^tap0: bridge off \(local\)$' \
    "$VTUNDFIX" -f "$tmp/good.conf" off tap0 local bridge
expect status-after-off 3 '^tap0 +lcsr +.* bridge off$' \
    "$VTUNDFIX" -f "$tmp/good.conf" status --local
expect status-json-version 3 '"version": ?1' "$VTUNDFIX" -f "$tmp/good.conf" status --local --json
expect status-json 3 '"switches":\{"service":true,"vlan":true,"bridge":false,' \
    "$VTUNDFIX" -f "$tmp/good.conf" status --local --json
expect status-bad-arg 2 'unexpected "--xml"' "$VTUNDFIX" -f "$tmp/good.conf" status --xml
# -t shows what it checked of each session, never its passwd.
if "$VTUNDFIX" -t -f "$tmp/two.conf" 2>&1 | grep -q vfx-cli-pw; then
	echo "not ok - cli/test-never-prints-passwd"; failures=$((failures + 1))
else
	echo "ok - cli/test-never-prints-passwd"
fi
# The seed's file (only VTUND_CONF added, so that the host's own
# /etc/vtund.conf plays no part), with an empty vtund.conf, then with one
# that meets the seed's needs, then with vtund 2.x's abbreviations.
: >"$tmp/empty.conf"
{ cat tests/data/seed.conf; echo "VTUND_CONF $tmp/empty.conf"; } >"$tmp/seed0.conf"
expect seed-file 1 "FAIL tap0 session lcsr: not in $tmp/empty.conf" \
    "$VTUNDFIX" -t -f "$tmp/seed0.conf"
{ cat tests/data/seed.conf; echo "VTUND_CONF $PWD/tests/data/vtund-seed.conf"; } \
    >"$tmp/seed.conf"
expect seed-file-vtund-conf 0 'ok   tap1 session lcsr2: multi killold' \
    "$VTUNDFIX" -t -f "$tmp/seed.conf"
sed 's/^tap0 lcsr .*/tap1 lcsr 10.0.0.2 br1 eth0.764/' "$tmp/good.conf" |
    sed "s|^VTUND_CONF .*|VTUND_CONF $PWD/tests/data/vtund-abbrev.conf|" >"$tmp/abbrev.conf"
expect test-abbreviation 1 'vtund-abbrev.conf:7: "devi" is short for "device".*write "device"' \
    "$VTUNDFIX" -t -f "$tmp/abbrev.conf"
expect vtundctl-help 0 '^usage: vtundctl' "${VTUNDCTL:-$PWD/build/san/vtundctl}" --help
expect vtundctl-bad-option 2 'usage: vtundctl' "${VTUNDCTL:-$PWD/build/san/vtundctl}" --bogus
expect vtundctl-unknown 2 'usage: vtundctl' "${VTUNDCTL:-$PWD/build/san/vtundctl}" frobnicate
expect vtundctl-refuses-without-tty 1 'needs confirmation: use -y' \
    "${VTUNDCTL:-$PWD/build/san/vtundctl}" -f "$tmp/good.conf" stop
expect vtundctl-vtund-refuses-without-tty 1 'needs confirmation' \
    "${VTUNDCTL:-$PWD/build/san/vtundctl}" -f "$tmp/good.conf" vtund restart
expect vtundctl-fix-status 3 'vtundfix client: not running' \
    "${VTUNDCTL:-$PWD/build/san/vtundctl}" -f "$tmp/good.conf" fix status --local
if grep -q '^switch bridge off' "$tmp/data/data_tap0"; then
	echo "ok - cli/switch-persisted"
else
	echo "not ok - cli/switch-persisted"; failures=$((failures + 1))
	sed 's/^/#   /' "$tmp/data/data_tap0"
fi
[ "$failures" -eq 0 ]
