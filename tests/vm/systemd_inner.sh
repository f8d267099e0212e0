#!/usr/bin/env bash
# Runs INSIDE the VM booted by tests/vm/test_systemd.sh: systemd is PID 1,
# the root file system an overlay the VM may write.  The Debian package
# (build/deb/) is installed with dpkg and its unit runs vtundfix for real:
#
#   this VM's own network namespace = the vtund client "site", run by
#       systemd from the installed package (/etc/vtundfix.conf, the
#       vtundfix account, /etc/vtund.conf, Debian's vtun init script);
#   namespace S = the vtund server "hub": its listener, a vtundfix started
#       by hand, and an sshd for the peer channel; LS and LC = a LAN host
#       behind each end, which ping each other through the tunnel.
#
# One boot, in this order: install over an older layout; vtun's init
# script starts a client that vtundfix then adopts; start (READY=1);
# journal and log file; reload; mail through exim into a mailbox; vtund
# started by vtundfix runs its up and down blocks in the sandbox; the peer
# channel over real ssh as USER; the watchdog, kill -9, restart and stop,
# with the tunnel carrying traffic throughout; logrotate; the init script
# and cron job under systemd; upgrade, remove, purge, a fresh install.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/lab/tap.sh

SESSION=vmtun
VTUND_SRV_CONF=/etc/vfx-test/vtund-srv.conf
SRV=/etc/vfx-test/srv			# the hub's vtundfix (by hand)
SRV_CONF=$SRV/vtundfix.conf
SSHD=/etc/vfx-test/ssh
MAILBOX=/var/mail/vfxmail
UNIT_CAPS="cap_chown,cap_dac_override,cap_fowner,cap_kill,cap_setgid,cap_setuid,cap_net_admin,cap_net_raw,cap_sys_ptrace"
T0=$(date +%s%3N)

now_ms() { date +%s%3N; }
say() { echo "# [$(( ($(now_ms) - T0) / 1000 )) s] $*"; }
s() { ip netns exec S "$@"; }
# wait_for SECONDS COMMAND...: 0 as soon as COMMAND succeeds.
wait_for() {
	local end=$(( $(now_ms) + $1 * 1000 ))
	shift
	while [ "$(now_ms)" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
lan_ping() { ip netns exec LC ping -n -q -c 1 -W 2 192.168.100.1 >/dev/null 2>&1; }
traffic_within() { wait_for "$1" lan_ping; }
main_pid() { systemctl show -p MainPID --value vtundfix; }
nrestarts() { systemctl show -p NRestarts --value vtundfix; }
# The vtund client process(es) of the session in this namespace.
client_pids() {
	local p
	for p in $(pgrep -f "vtund\[c\]: $SESSION "); do
		[ "$(readlink "/proc/$p/ns/net")" = "$(readlink /proc/self/ns/net)" ] && echo "$p"
	done
}
one_client() { [ "$(client_pids | wc -l)" -eq 1 ]; }
cgroup_of() { sed -n 's/^0:://p' "/proc/$1/cgroup" 2>/dev/null; }
json_status() { vtundfix status --json 2>/dev/null; }
check() {	# NAME COMMAND...
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else not_ok "$name"; fi
}
journal_has() {	# UNIT-or-TAG PATTERN
	journalctl --no-pager -q -o cat "$1" 2>/dev/null | grep -qE -- "$2"
}
dump_logs() {
	echo "# --- journalctl -u vtundfix (last 30)"
	journalctl --no-pager -q -u vtundfix -n 30 -o short-monotonic 2>&1 | sed 's/^/#   /'
	echo "# --- /var/vtundfix/vtundfix.log (last 20)"
	tail -20 /var/vtundfix/vtundfix.log 2>&1 | sed 's/^/#   /'
}

# ---------------------------------------------------------------------------
# The package, over the layout of an older `make install` set up as its
# README said: DATA_DIR 0770 root:vtundfix, files the peer account wrote,
# a symlink it planted, the init script's marker in its home, and an
# account made with a shell that cannot run sshd's forced command.
deb=$(find build/deb -name 'vtundfix_*.deb' | sort | tail -1)
[ -n "$deb" ] || { not_ok "vm/systemd: no package in build/deb (make deb)"; exit 1; }
useradd --system --home-dir /var/lib/vtundfix --create-home --shell /usr/sbin/nologin vtundfix
install -d -m 0770 -o root -g vtundfix /var/vtundfix
printf 'switch service on\n' >/var/vtundfix/data_tap0
chown vtundfix:vtundfix /var/vtundfix/data_tap0
echo precious >/root/vfx-victim
ln -s /root/vfx-victim /var/vtundfix/vtundfix.log.planted
runuser -u vtundfix -- touch /var/lib/vtundfix/enabled

# man-db's trigger rebuilds its index on every dpkg run: minutes under TCG.
echo 'man-db man-db/auto-update boolean false' | debconf-set-selections
say "installing $deb"
if out=$(DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" 2>&1); then ok "vm/deb-install"
else not_ok "vm/deb-install"; sed 's/^/#   /' <<<"$out"; exit 1; fi
sed 's/^/#   dpkg: /' <<<"$out" | grep -v 'Selecting\|Reading database\|Preparing\|Unpacking\|Setting up\|Processing' | head -10
IFS=: read -r _ pw _ _ _ _ <<<"$(getent shadow vtundfix)"
IFS=: read -r _ _ _ _ _ home shell <<<"$(getent passwd vtundfix)"
if [ "$shell" = /bin/sh ] && [ "$home" = /var/lib/vtundfix ] && [ "$pw" = '*' ]; then
	ok "vm/deb-account: shell $shell, home $home, no password, not locked ($pw)"
else
	not_ok "vm/deb-account: shell '$shell', home '$home', password '$pw'"
fi
if [ "$(stat -c '%a %U:%G' /var/vtundfix)" = "750 root:root" ] &&
    [ "$(stat -c %U /var/vtundfix/data_tap0)" = root ] &&
    ! [ -e /var/vtundfix/vtundfix.log.planted ] && ! [ -L /var/vtundfix/vtundfix.log.planted ] &&
    [ "$(cat /root/vfx-victim)" = precious ]; then
	ok "vm/deb-data-dir-moved: 0750 root:root, files root's, planted symlink removed"
else
	not_ok "vm/deb-data-dir-moved: $(stat -c '%a %U:%G' /var/vtundfix); $(find /var/vtundfix -printf '%M %u %p; ')"
fi
if [ -f /var/lib/misc/vtundfix.enabled ] && ! [ -L /var/lib/misc/vtundfix.enabled ] &&
    ! [ -e /var/lib/vtundfix/enabled ] && [ "$(stat -c %U /var/lib/misc/vtundfix.enabled)" = root ]; then
	ok "vm/deb-marker-moved to /var/lib/misc/vtundfix.enabled"
else
	not_ok "vm/deb-marker-moved"
fi
# The account made from nothing, as on a first install: the package's own
# postinst (what dpkg runs), without another dpkg run (slow under TCG).
userdel vtundfix && rm -rf /var/lib/vtundfix
getent group vtundfix >/dev/null && groupdel vtundfix
if /var/lib/dpkg/info/vtundfix.postinst configure "" >/tmp/vfx-postinst.out 2>&1; then
	IFS=: read -r _ pw _ _ _ _ <<<"$(getent shadow vtundfix)"
	IFS=: read -r _ _ _ _ _ home shell <<<"$(getent passwd vtundfix)"
	if [ "$shell" = /bin/sh ] && [ "$home" = /var/lib/vtundfix ] && [ -d "$home" ] &&
	    [ "$(stat -c %U "$home")" = vtundfix ] && [ "$pw" = '*' ]; then
		ok "vm/deb-fresh-account: shell $shell, home $home ($(stat -c %a "$home")), no password, not locked"
	else
		not_ok "vm/deb-fresh-account: '$shell' '$home' '$pw'"
	fi
else
	not_ok "vm/deb-fresh-account"; sed 's/^/#   /' /tmp/vfx-postinst.out
fi
if [ "$(systemctl is-enabled vtundfix 2>&1)" = disabled ] &&
    ! systemctl -q is-active vtundfix && ! pgrep -x vtundfix >/dev/null; then
	ok "vm/deb-installed-disabled-not-started"
else
	not_ok "vm/deb-installed-disabled-not-started: $(systemctl is-enabled vtundfix 2>&1), $(systemctl is-active vtundfix 2>&1)"
fi
check "vm/deb-vtund-lock-dir (tmpfiles)" test -d /run/lock/vtund
check "vm/deb-conffile-is-template" cmp /etc/vtundfix.conf etc/vtundfix.conf

# ---------------------------------------------------------------------------
# The network, and the hub end.
say "building the network"
for ns in S LS LC; do ip netns add "$ns"; done
for ns in S LS LC; do
	ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
done
sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link set lo up
ip link add u0 type veth peer name u0 netns S
ip addr add 10.99.0.2/24 dev u0 && ip link set u0 up
ip -n S addr add 10.99.0.1/24 dev u0 && ip -n S link set u0 up
# Each end: br0 with the uplink up0, a veth to its LAN host's l0.
ip link add br0 type bridge && ip link set br0 up
ip link add up0 type veth peer name l0 netns LC
ip link set up0 master br0 up
ip -n LC addr add 192.168.100.2/24 dev l0 && ip -n LC link set l0 up
ip -n S link add br0 type bridge && ip -n S link set br0 up
ip -n S link add up0 type veth peer name l0 netns LS
ip -n S link set up0 master br0 up
ip -n LS addr add 192.168.100.1/24 dev l0 && ip -n LS link set l0 up

# vtund: the client's up block sets a sysctl and its down block logs, so
# that both show they ran under the unit's sandbox.  (vtund 3.0.4's lexer
# mangles two quoted strings on one line: one statement a line.)
mkdir -p /etc/vfx-test "$SRV" "$SSHD"
vtund_session() {	# UP-LINE DOWN-LINE
	cat <<-CONF
	options { port 5000; ip /sbin/ip; syslog daemon; timeout 10; }
	$SESSION {
	  passwd vfxvm; type ether; device tap0; proto tcp;
	  keepalive yes; persist yes; multi killold;
	  up {
	    ip "link set %% up";
	    $1
	  };
	  down {
	    $2
	  };
	}
	CONF
}
vtund_session 'program /sbin/sysctl "-w net.ipv4.conf.%%.arp_ignore=2" wait;' \
    'program /usr/bin/logger "-t vfxdown %% down" wait;' >/etc/vtund.conf
vtund_session '' '' >"$VTUND_SRV_CONF"

# The peer channel: an sshd on each end; the vtundfix account's key,
# pinned to `vtundfix peer` (README), and each host's key accepted once.
runuser -u vtundfix -- sh -c 'mkdir -p -m 700 ~/.ssh && ssh-keygen -q -t ed25519 -N "" -f ~/.ssh/id_ed25519'
for side in srv cli; do
	ssh-keygen -q -t ed25519 -N '' -C "vfx-vm-$side" -f "$SSHD/host_$side" </dev/null
done
key=$(cat /var/lib/vtundfix/.ssh/id_ed25519.pub)
printf 'restrict,from="10.99.0.2",command="/usr/sbin/vtundfix -f %s peer" %s\n' "$SRV_CONF" "$key" \
    >"$SSHD/authorized_keys_srv"
printf 'restrict,from="10.99.0.1",command="/usr/sbin/vtundfix peer" %s\n' "$key" \
    >/var/lib/vtundfix/.ssh/authorized_keys
chown vtundfix:vtundfix /var/lib/vtundfix/.ssh/authorized_keys
chmod 600 /var/lib/vtundfix/.ssh/authorized_keys
printf '10.99.0.1 %s\n10.99.0.2 %s\n' "$(cut -d' ' -f1,2 "$SSHD/host_srv.pub")" \
    "$(cut -d' ' -f1,2 "$SSHD/host_cli.pub")" >/var/lib/vtundfix/.ssh/known_hosts
chown vtundfix:vtundfix /var/lib/vtundfix/.ssh/known_hosts
mkdir -p /run/sshd
# The strictest sshd: without PAM, it refuses even a key to a locked
# account, so the account must have no password yet not be locked.
sshd_conf() {	# SIDE ADDRESS AUTHORIZED-KEYS-FILE
	cat <<-CONF
	ListenAddress $2
	HostKey $SSHD/host_$1
	PidFile $SSHD/sshd-$1.pid
	AuthorizedKeysFile $3
	PermitRootLogin no
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	UsePAM no
	LogLevel VERBOSE
	CONF
}
sshd_conf srv 10.99.0.1 "$SSHD/authorized_keys_srv" >"$SSHD/sshd_srv.conf"
sshd_conf cli 10.99.0.2 .ssh/authorized_keys >"$SSHD/sshd_cli.conf"
s /usr/sbin/sshd -f "$SSHD/sshd_srv.conf" -E "$SSHD/sshd_srv.log"
/usr/sbin/sshd -f "$SSHD/sshd_cli.conf" -E "$SSHD/sshd_cli.log"

# The hub's vtundfix, by hand (root), with its own files and control
# socket; its listener comes from LISTENER_START.
cat >"$SRV_CONF" <<CONF
MACHINE server
SERVER 10.99.0.1
DATA_DIR $SRV/
PID_FILE $SRV/vtundfix.pid
LOG_FILE $SRV/vtundfix.log
VTUND_CONF $VTUND_SRV_CONF
LISTENER_START /usr/sbin/vtund -s -f $VTUND_SRV_CONF
CONTROL_SOCKET $SRV/control
tap0 $SESSION 10.99.0.2 br0 up0
CONF
chmod 0644 "$SRV_CONF"
if out=$(vtundfix -t -f "$SRV_CONF" 2>&1) || ! grep -q CONTROL_SOCKET <<<"$out"; then
	ok "vm/hub-config (CONTROL_SOCKET known)"
else
	# Before the control socket (issue 14) the key is unknown: say so,
	# and run the hub without it so that the rest can be checked.
	not_ok "vm/hub-config: $(grep CONTROL_SOCKET <<<"$out" | head -1) (needs the daemon's control socket, issue 14)"
	sed -i '/^CONTROL_SOCKET/d' "$SRV_CONF"
fi
# The hub's listener comes from Debian's vtun init script too, as an
# admin's /etc/default/vtun (RUN_SERVER=yes) would start it; `ip netns
# exec` gives the hub its own /etc/vtund.conf and /etc/default from
# /etc/netns/S/ (the LSB hook would hand the script to systemd).
mkdir -p /etc/netns/S/default
cp "$VTUND_SRV_CONF" /etc/netns/S/vtund.conf
printf 'RUN_SERVER=yes\nSERVER_ARGS=""\n' >/etc/netns/S/default/vtun
listener_pids() {
	local p
	for p in $(ip netns pids S); do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q 'waiting for connections on port 5000' &&
		    echo "$p"
	done
}
has_listener() { [ -n "$(listener_pids)" ]; }
SYSTEMCTL_SKIP_REDIRECT=1 s /etc/init.d/vtun start >/dev/null 2>&1
wait_for 10 has_listener
vtun_listener=$(listener_pids)
s vtundfix -f "$SRV_CONF" || not_ok "vm/hub-vtundfix-start"

# ---------------------------------------------------------------------------
# Debian's vtun service starts the client (/etc/default/vtun); vtundfix,
# started after it, adopts that client instead of starting a rival.
cat >/etc/default/vtun <<CONF
CLIENT0_NAME=$SESSION
CLIENT0_HOST=10.99.0.1
CONF
systemctl start vtun
if wait_for 20 one_client; then
	vtun_client=$(client_pids)
	ok "vm/vtun-service-client: pid $vtun_client in $(cgroup_of "$vtun_client")"
else
	vtun_client=""
	not_ok "vm/vtun-service-client"; systemctl status vtun --no-pager 2>&1 | sed 's/^/#   /'
fi

# METRICS_FILE in node_exporter's textfile directory (the package
# prometheus-node-exporter makes it; the unit may write there).
mkdir -p /var/lib/prometheus/node-exporter
METRICS=/var/lib/prometheus/node-exporter/vtundfix.prom
cat >/etc/vtundfix.conf <<CONF
# vtundfix configuration written by tests/vm/systemd_inner.sh
MACHINE client
SERVER 10.99.0.1
DELAY_BETWEENCHECK 300
DELAY_PARENTCHECK 300
METRICS_FILE $METRICS
tap0 $SESSION 10.99.0.2 br0 up0
CONF

say "systemctl start vtundfix"
t=$(now_ms)
if systemctl start vtundfix && systemctl -q is-active vtundfix; then
	ok "vm/start-active (READY=1 after $(( $(now_ms) - t )) ms)"
else
	not_ok "vm/start-active"; dump_logs
fi
if [ "$(systemctl show -p Type --value vtundfix)" = notify ] &&
    [ "$(systemctl show -p NotifyAccess --value vtundfix)" = main ]; then
	ok "vm/start-type-notify"
else
	not_ok "vm/start-type-notify"
fi
if traffic_within 30; then ok "vm/tunnel-carries-traffic"
else not_ok "vm/tunnel-carries-traffic"; dump_logs; fi
sleep 2
if [ -n "$vtun_client" ] && [ "$(client_pids)" = "$vtun_client" ]; then
	ok "vm/adopts-vtun-client: still pid $vtun_client, no rival"
else
	not_ok "vm/adopts-vtun-client: $vtun_client -> $(client_pids | tr '\n' ' ')"
fi

if [ -n "$vtun_listener" ] && [ "$(listener_pids)" = "$vtun_listener" ]; then
	ok "vm/adopts-vtun-listener: still pid $vtun_listener, no rival"
else
	not_ok "vm/adopts-vtun-listener: '$vtun_listener' -> '$(listener_pids | tr '\n' ' ')'"
fi

# Log lines reach the journal (stderr) and the log file alike.
if journal_has -uvtundfix 'started: /etc/vtundfix.conf' &&
    grep -q 'started: /etc/vtundfix.conf' /var/vtundfix/vtundfix.log; then
	ok "vm/log-journal-and-file"
else
	not_ok "vm/log-journal-and-file"; dump_logs
fi

# The unit's seccomp filter refuses pidfd_getfd (@debug, left out for a
# smaller exposure): the supervisor finds that out at start, in the real
# sandbox, and says each session's connection is found with a dump.
if journal_has -uvtundfix 'connection is found with a sock_diag dump, once \(pidfd_getfd\(2\): Operation not permitted\)'; then
	ok "vm/tcp-lookup-under-seccomp"
else
	not_ok "vm/tcp-lookup-under-seccomp"
	journalctl -q -uvtundfix --no-pager | grep -i 'sock_diag\|pidfd' | tail -2 | sed 's/^/#   /'
fi
# The metrics file is written; that it is rewritten (METRICS_INTERVAL_S,
# 15 s) is checked after the mail, meanwhile.
if wait_for 10 grep -qx 'vtundfix_up 1' "$METRICS"; then
	metrics_mtime=$(stat -c %Y "$METRICS")
else
	metrics_mtime=""
	not_ok "vm/metrics-file-written-and-refreshed: $(head -c 300 "$METRICS" 2>&1)"
fi
# The bounding set is the unit's.
pid=$(main_pid)
eff=$(capsh --decode="$(awk '/^CapBnd/ { print $2 }' "/proc/$pid/status")" | sed 's/.*=//')
if [ "$eff" = "$UNIT_CAPS" ]; then
	ok "vm/sandbox-bounding-set ($eff)"
else
	not_ok "vm/sandbox-bounding-set: $eff, want $UNIT_CAPS"
fi

# ---------------------------------------------------------------------------
# Reload re-reads the configuration: EMAIL appears only now, so the mail
# below proves the new file is in force.  A broken file is refused.
useradd --create-home --shell /bin/sh vfxmail
pid=$(main_pid)
echo 'EMAIL vfxmail@localhost' >>/etc/vtundfix.conf
if systemctl reload vtundfix && [ "$(main_pid)" = "$pid" ] &&
    wait_for 10 grep -q 'reloading /etc/vtundfix.conf' /var/vtundfix/vtundfix.log; then
	ok "vm/reload"
else
	not_ok "vm/reload"; dump_logs
fi
cp /etc/vtundfix.conf /etc/vfx-test/good.conf
echo 'MACHINE sideways' >>/etc/vtundfix.conf
if ! systemctl reload vtundfix 2>/dev/null && systemctl -q is-active vtundfix &&
    [ "$(main_pid)" = "$pid" ]; then
	ok "vm/reload-refuses-broken-file"
else
	not_ok "vm/reload-refuses-broken-file"
fi
cp /etc/vfx-test/good.conf /etc/vtundfix.conf

# Mail: a tap-related repair (tap0 set down) is mailed through Debian's
# MTA (exim4-daemon-light, sendmail run by the sandboxed daemon) and lands
# in the recipient's mailbox.
say "mail"
traffic_within 20 >/dev/null
ip link set tap0 down
if wait_for 60 grep -q 'Subject: vtundfix: tap0' "$MAILBOX"; then
	ok "vm/mail-delivered to $MAILBOX"
else
	not_ok "vm/mail-delivered"
	dump_logs
	echo "# --- exim mainlog/paniclog"
	tail -n 15 /var/log/exim4/mainlog /var/log/exim4/paniclog 2>&1 | sed 's/^/#   /'
	exim4 -bp 2>&1 | head -5 | sed 's/^/#   queue: /'
fi

if [ -n "$metrics_mtime" ]; then
	if wait_for 25 sh -c "[ \$(stat -c %Y $METRICS) -gt $metrics_mtime ]"; then
		ok "vm/metrics-file-written-and-refreshed"
	else
		not_ok "vm/metrics-file-written-and-refreshed: not rewritten within 15 s"
	fi
fi

# vtund started by vtundfix: vtun's client killed, vtundfix starts its
# own, in its cgroup and sandbox; its up block ran there (the sysctl).
say "vtund under the sandbox"
traffic_within 30 >/dev/null
[ -n "$vtun_client" ] && kill -KILL "$vtun_client"
if wait_for 20 sh -c "[ \"\$(pgrep -f 'vtund\[c\]: $SESSION ' | grep -vx '$vtun_client' | wc -l)\" -ge 1 ]" &&
    traffic_within 30; then
	fix_client=$(client_pids | head -1)
	ok "vm/vtund-restarted-by-vtundfix: pid $fix_client"
else
	fix_client=$(client_pids | head -1)
	not_ok "vm/vtund-restarted-by-vtundfix"; dump_logs
fi
if [ -n "$fix_client" ] && [ "$(cgroup_of "$fix_client")" = /system.slice/vtundfix.service ] &&
    [ "$(capsh --decode="$(awk '/^CapBnd/ { print $2 }' "/proc/$fix_client/status")" | sed 's/.*=//')" = "$UNIT_CAPS" ]; then
	ok "vm/vtund-in-unit-cgroup-and-sandbox"
else
	not_ok "vm/vtund-in-unit-cgroup-and-sandbox: $(cgroup_of "${fix_client:-0}")"
fi
# (The block brings the tap up first: traffic may flow before it ends.)
arp_ignore_set() { [ "$(sysctl -n net.ipv4.conf.tap0.arp_ignore 2>/dev/null)" = 2 ]; }
if wait_for 10 arp_ignore_set; then
	ok "vm/vtund-up-block-ran (arp_ignore=2 on tap0)"
else
	not_ok "vm/vtund-up-block-ran: arp_ignore $(sysctl -n net.ipv4.conf.tap0.arp_ignore 2>&1)"
	journalctl --no-pager -q -u vtundfix -o cat | grep 'vtund clients' | sed 's/^/#   /'
	for p in $(client_pids); do echo "# client $p: $(cgroup_of "$p") $(tr '\0' ' ' <"/proc/$p/cmdline")"; done
	journalctl --no-pager -q -n 25 -o short-monotonic | grep -v 'sshd\|pam_' | sed 's/^/#   /'
fi
[ -n "$fix_client" ] && kill -TERM "$fix_client"
if wait_for 20 journal_has -tvfxdown 'tap0 down' && traffic_within 30; then
	ok "vm/vtund-down-block-ran (logger in the journal)"
else
	not_ok "vm/vtund-down-block-ran: $(journal_has -tvfxdown 'tap0 down' && echo 'logged, but no traffic within 30 s' || echo 'not logged') (SIGTERM to $fix_client)"
	dump_logs
	for p in $(pgrep vtund); do echo "# ps: $(ps -o pid=,ppid=,lstart=,cgroup=,args= -p "$p")"; done
	journalctl --no-pager -q -o short-monotonic | grep -E 'vtund\[|vfxdown' | tail -40 | sed 's/^/#   j: /'
fi

# The peer channel over real ssh as USER, from inside the sandbox: the
# daemon's ssh runs as vtundfix in the unit's cgroup and the hub's sshd
# accepted that key; the client's status carries the hub's switches and a
# remote switch reaches the hub.  The other way, the hub's `vtundfix peer`
# (sshd, as vtundfix) relays into this daemon's control socket.
say "peer channel"
daemon_ssh() {
	local p
	for p in $(pgrep -u vtundfix -x ssh); do
		[ "$(cgroup_of "$p")" = /system.slice/vtundfix.service ] &&
		    tr '\0' ' ' <"/proc/$p/cmdline" | grep -q 'vtundfix@10.99.0.1' && return 0
	done
	return 1
}
if wait_for 20 daemon_ssh && grep -q 'Accepted publickey for vtundfix from 10.99.0.2' "$SSHD/sshd_srv.log"; then
	ok "vm/peer-ssh-as-USER-from-the-unit"
else
	not_ok "vm/peer-ssh-as-USER-from-the-unit: $(pgrep -a ssh | tr '\n' ';')"
	grep -h 'Accepted\|Failed\|Connection\|Invalid' "$SSHD/sshd_srv.log" 2>/dev/null | tail -3 | sed 's/^/#   sshd: /'
fi
if wait_for 10 sh -c "vtundfix status --json | grep -q '\"peer\":{\"switches\":{\"service\":true'"; then
	ok "vm/peer-status-from-the-hub"
else
	not_ok "vm/peer-status-from-the-hub: $(vtundfix status --json 2>&1 | grep -o '"peer":{[^}]*}' | head -1)"
fi
vtundfix off tap0 remote bridge >/dev/null 2>&1
if wait_for 10 sh -c "vtundfix -f $SRV_CONF status --local --json | grep -q '\"bridge\":false'"; then
	ok "vm/peer-remote-switch-reaches-the-hub"
else
	not_ok "vm/peer-remote-switch-reaches-the-hub"
fi
vtundfix on tap0 remote bridge >/dev/null 2>&1
# The hub opens its channel to a client only when it has something to
# ask: here the status below is the asker, so it comes first (asked after
# sshd's log, it waited for a connection only it could start).  Under TCG
# the hub's ssh to this end takes 5-20 s to connect, and an attempt that
# outlasts the 20 s hello is made again with twice as long: 90 s (on real
# hardware it takes a fraction of a second).
if wait_for 90 sh -c "vtundfix -f $SRV_CONF status --json | grep -q '\"peer\":{\"switches\":{\"service\":true' &&
    grep -q 'Accepted publickey for vtundfix from 10.99.0.1' $SSHD/sshd_cli.log"; then
	ok "vm/peer-hub-to-client-into-the-sandboxed-daemon"
else
	not_ok "vm/peer-hub-to-client-into-the-sandboxed-daemon: $(vtundfix -f "$SRV_CONF" status --json 2>&1 | grep -o '"peer":{[^}]*}' | head -1)"
	grep -h 'Accepted\|Failed\|Connection\|Invalid\|error' "$SSHD/sshd_cli.log" 2>/dev/null | tail -4 | sed 's/^/#   sshd (client end): /'
	grep -h 'peer' "$SRV/vtundfix.log" 2>/dev/null | tail -6 | sed 's/^/#   hub log: /'
	grep -h 'peer\|control' /var/vtundfix/vtundfix.log 2>/dev/null | tail -6 | sed 's/^/#   client log: /'
fi

# ---------------------------------------------------------------------------
# Supervisor stopped: the watchdog kills it, systemd restarts it; the
# tunnel carries traffic throughout.
say "watchdog"
# The figure the unit and docs/hardening.md state: 15 + 5 + 1 = 21 s.
wd=$(for p in WatchdogUSec TimeoutAbortUSec RestartUSec; do
	systemctl show -p "$p" --value vtundfix; done | paste -sd' ')
if [ "$wd" = "15s 5s 1s" ]; then ok "vm/watchdog-settings ($wd)"
else not_ok "vm/watchdog-settings: '$wd', want '15s 5s 1s'"; fi
traffic_within 30 >/dev/null
client=$(client_pids | head -1)
pid=$(main_pid)
n=$(nrestarts)
t=$(now_ms)
kill -STOP "$pid"
if wait_for 40 sh -c "[ \"\$(systemctl show -p MainPID --value vtundfix)\" != $pid ] &&
    [ \"\$(systemctl show -p MainPID --value vtundfix)\" != 0 ] && systemctl -q is-active vtundfix"; then
	took=$(( $(now_ms) - t ))
	if [ "$took" -le 27000 ] && [ "$(nrestarts)" -gt "$n" ]; then
		ok "vm/watchdog-restart after $took ms (unit: 15 + 5 + 1 = 21 s)"
	else
		not_ok "vm/watchdog-restart after $took ms (unit: 21 s)"
	fi
else
	not_ok "vm/watchdog-restart"; dump_logs
fi
check "vm/watchdog-journal" journal_has -uvtundfix 'Watchdog timeout'
if [ "$(client_pids | head -1)" = "$client" ] && lan_ping; then
	ok "vm/watchdog-tunnel-untouched (vtund $client)"
else
	not_ok "vm/watchdog-tunnel-untouched"
fi

say "kill -9"
pid=$(main_pid)
n=$(nrestarts)
t=$(now_ms)
kill -KILL "$pid"
if wait_for 20 sh -c "[ \"\$(systemctl show -p MainPID --value vtundfix)\" != $pid ] &&
    [ \"\$(systemctl show -p MainPID --value vtundfix)\" != 0 ] && systemctl -q is-active vtundfix" &&
    [ "$(nrestarts)" -gt "$n" ]; then
	ok "vm/kill9-restarted after $(( $(now_ms) - t )) ms (Restart=on-failure)"
else
	not_ok "vm/kill9-restarted"; dump_logs
fi
if [ "$(client_pids | head -1)" = "$client" ] && lan_ping; then
	ok "vm/kill9-tunnel-untouched"
else
	not_ok "vm/kill9-tunnel-untouched"
fi

# restart and stop: vtund is not the supervisor's to stop (KillMode=process);
# a ping running across them loses nothing.
for verb in restart stop; do
	say "systemctl $verb"
	ip netns exec LC ping -n -q -i 0.2 -c 20 -W 2 192.168.100.1 >/tmp/vfx-ping.out 2>&1 &
	pingpid=$!
	sleep 1
	systemctl "$verb" vtundfix
	wait "$pingpid"
	lost=$(sed -n 's/.* \([0-9]*\)% packet loss.*/\1/p' /tmp/vfx-ping.out)
	if [ "$(client_pids | head -1)" = "$client" ] && one_client && [ "${lost:-100}" -le 5 ]; then
		ok "vm/$verb-tunnel-carries-traffic ($lost% of 20 pings lost, vtund $client kept)"
	else
		not_ok "vm/$verb-tunnel-carries-traffic: ${lost:-?}% lost, vtund $client -> $(client_pids | tr '\n' ' ')"
	fi
done
# What is left in the unit's cgroup after stop is vtund alone.
left=$(xargs -r ps -o comm= -p </sys/fs/cgroup/system.slice/vtundfix.service/cgroup.procs 2>/dev/null | sort -u | tr '\n' ' ')
if ! systemctl -q is-active vtundfix && [ "$left" = "vtund " ] &&
    grep -qx 'vtundfix_up 0' "$METRICS"; then
	ok "vm/stop-leaves-only-vtund-in-the-cgroup (metrics: vtundfix_up 0)"
else
	not_ok "vm/stop-leaves-only-vtund-in-the-cgroup: $left"
fi
systemctl start vtundfix
sleep 2
if [ "$(client_pids | head -1)" = "$client" ] && one_client; then ok "vm/start-again-adopts"
else not_ok "vm/start-again-adopts"; fi

# ---------------------------------------------------------------------------
# logrotate: the file moves away, the daemon writes to the new one.
say "logrotate"
sed -i 's/^DELAY_PARENTCHECK 300$/DELAY_PARENTCHECK 301/' /etc/vtundfix.conf
rotated=/var/vtundfix/vtundfix.log.1
if logrotate -f /etc/logrotate.d/vtundfix && [ -s "$rotated" ] &&
    n=$(grep -c reloading "$rotated" || true) && systemctl reload vtundfix &&
    wait_for 10 grep -q 'reloading' /var/vtundfix/vtundfix.log &&
    [ "$(grep -c reloading "$rotated")" = "$n" ]; then
	ok "vm/logrotate-new-file-written"
else
	not_ok "vm/logrotate-new-file-written: $(find /var/vtundfix -printf '%M %u %p; ')"
fi

# The init script goes through systemctl; the cron job leaves it alone.
if /etc/init.d/vtundfix status >/dev/null 2>&1 &&
    [ "$(/etc/init.d/vtundfix status 2>&1 | grep -c 'vtundfix.service')" -ge 1 ]; then
	ok "vm/init-script-redirects-to-systemctl"
else
	not_ok "vm/init-script-redirects-to-systemctl"
fi
pid=$(main_pid)
/usr/libexec/vtundfix/vtundfix_cron
check "vm/cron-job-quiet-under-systemd" test "$(main_pid)" = "$pid"

# ---------------------------------------------------------------------------
# Upgrade to a newer version (this package with its version raised):
# the daemon restarts, vtund does not, and the unit stays enabled.
say "upgrade"
rm -rf /tmp/vfx-next
dpkg-deb -R "$deb" /tmp/vfx-next
sed -i 's/^Version: .*/&+vmtest1/' /tmp/vfx-next/DEBIAN/control
next=/tmp/vfx-next.deb
dpkg-deb -b /tmp/vfx-next "$next" >/dev/null
pid=$(main_pid)
enable_out=$(systemctl enable vtundfix 2>&1)
if DEBIAN_FRONTEND=noninteractive dpkg -i "$next" >/tmp/vfx-dpkg.out 2>&1 &&
    grep -q 'Unpacking vtundfix (.*+vmtest1) over' /tmp/vfx-dpkg.out &&
    systemctl -q is-active vtundfix && [ "$(main_pid)" != "$pid" ] &&
    [ "$(client_pids | head -1)" = "$client" ] && lan_ping &&
    [ "$(systemctl is-enabled vtundfix)" = enabled ]; then
	ok "vm/upgrade-keeps-tunnel (daemon $pid -> $(main_pid), vtund $client kept, still enabled)"
else
	not_ok "vm/upgrade-keeps-tunnel"; sed 's/^/#   /' /tmp/vfx-dpkg.out; echo "# $enable_out"
fi

say "remove and purge"
if dpkg -r vtundfix >/tmp/vfx-dpkg.out 2>&1 && ! systemctl -q is-active vtundfix &&
    [ "$(client_pids | head -1)" = "$client" ] && lan_ping &&
    ! [ -e /usr/sbin/vtundfix ] && [ -f /etc/vtundfix.conf ]; then
	ok "vm/remove: daemon gone, vtund kept, conffile kept"
else
	not_ok "vm/remove"; sed 's/^/#   /' /tmp/vfx-dpkg.out
fi
if dpkg -P vtundfix >/tmp/vfx-dpkg.out 2>&1 && ! [ -e /etc/vtundfix.conf ] &&
    ! [ -e /var/vtundfix ] && ! [ -e /var/lib/misc/vtundfix.enabled ] &&
    ! [ -e /etc/init.d/vtundfix ] && ! [ -e /etc/cron.d/vtundfix ] &&
    [ -z "$(find /etc/systemd/system /etc/rc?.d -name '*vtundfix*' 2>/dev/null)" ] &&
    [ -z "$(dpkg -L vtundfix 2>/dev/null)" ] && getent passwd vtundfix >/dev/null; then
	ok "vm/purge: files, links and data gone (the account stays, docs/install.md)"
else
	not_ok "vm/purge: $(find /etc /var/vtundfix -name '*vtundfix*' 2>/dev/null | tr '\n' ' ')"
	sed 's/^/#   /' /tmp/vfx-dpkg.out
fi

say "done"
[ "$failures" -eq 0 ]
