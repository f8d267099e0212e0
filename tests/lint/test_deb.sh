#!/usr/bin/env bash
# `make deb`: the Debian package builds from the tree, is lintian clean at
# its default level (overrides only with a comment saying why), and holds
# what SPEC §10 and issue 16 list: binaries, man pages, unit, init script,
# cron and logrotate files, /etc/vtundfix.conf as a conffile, the alert
# rules; no DATA_DIR (postinst makes it root-only).  Its maintainer scripts
# pass shellcheck.  Installing it is tests/vm/test_systemd.sh's job.
set -u
cd "$(dirname "$0")/../.." || exit 2
failures=0
ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failures=$((failures + 1)); }
for t in dpkg-buildpackage dh lintian; do
	command -v "$t" >/dev/null || { not_ok "deb: $t missing (scripts/deps.sh)"; exit 1; }
done

if out=$(make -s deb 2>&1); then ok "deb/build"
else not_ok "deb/build"; sed 's/^/#   /' <<<"$out"; exit 1; fi
deb=build/deb/vtundfix_$(dpkg-parsechangelog -S Version)_$(dpkg --print-architecture).deb
[ -f "$deb" ] || { not_ok "deb/file: '$deb' missing"; exit 1; }

# lintian as an unprivileged user when we are root (it says so otherwise).
lint() {
	if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
		tmp=$(mktemp -d /tmp/vfx-lintian.XXXXXX)
		cp "$deb" "$tmp/" && chmod -R a+rX "$tmp"
		(cd "$tmp" && runuser -u nobody -- env HOME="$tmp" lintian "${deb##*/}")
		rc=$?
		rm -rf "$tmp"
		return $rc
	fi
	lintian "$deb"
}
if out=$(lint 2>&1) && [ -z "$out" ]; then ok "deb/lintian-clean"
else not_ok "deb/lintian-clean"; sed 's/^/#   /' <<<"$out"; fi

# Every override says why: a comment right above it.
if awk '/^[^#]/ && prev !~ /^#/ { bad = 1 } { prev = $0 } END { exit bad }' \
    debian/*.lintian-overrides 2>/dev/null; then ok "deb/overrides-explained"
else not_ok "deb/overrides-explained"; fi

contents=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|')
missing=""
for f in /usr/sbin/vtundfix /usr/sbin/vtundctl /usr/libexec/vtundfix/vtundfix_cron \
    /usr/share/man/man8/vtundfix.8.gz /usr/share/man/man8/vtundctl.8.gz \
    /usr/share/man/man5/vtundfix.conf.5.gz /lib/systemd/system/vtundfix.service \
    /etc/init.d/vtundfix /etc/cron.d/vtundfix /etc/logrotate.d/vtundfix \
    /etc/vtundfix.conf /usr/share/bash-completion/completions/vtundctl \
    /usr/share/vtundfix/prometheus/vtundfix-alerts.yml /usr/share/doc/vtundfix/copyright; do
	grep -qxF "$f" <<<"$contents" || missing="$missing $f"
done
if [ -z "$missing" ]; then ok "deb/contents"; else not_ok "deb/contents: missing$missing"; fi
if grep -q '^/var' <<<"$contents"; then not_ok "deb/no-var: $(grep '^/var' <<<"$contents" | head -3)"
else ok "deb/no-var (DATA_DIR is postinst's)"; fi

ctl=$(mktemp -d /tmp/vfx-debctl.XXXXXX)
trap 'rm -rf "$ctl"' EXIT
dpkg-deb -e "$deb" "$ctl/DEBIAN"
if grep -qx /etc/vtundfix.conf "$ctl/DEBIAN/conffiles"; then ok "deb/conffile"
else not_ok "deb/conffile"; fi
dpkg-deb -x "$deb" "$ctl/root"
if diff <(sed 's|@SBINDIR@|/usr/sbin|g' init/vtundfix.service) \
    "$ctl/root/lib/systemd/system/vtundfix.service" >/dev/null; then ok "deb/unit-is-the-tree's"
else not_ok "deb/unit-is-the-tree's"; fi
if grep -q '/usr/libexec/vtundfix/vtundfix_cron' "$ctl/root/etc/cron.d/vtundfix" &&
    ! grep -rq '@SBINDIR@' "$ctl/root/etc" "$ctl/root/lib"; then ok "deb/paths"
else not_ok "deb/paths"; fi
if cmp -s etc/vtundfix.conf "$ctl/root/etc/vtundfix.conf"; then ok "deb/template-conffile"
else not_ok "deb/template-conffile"; fi
# Not enabled, not started on install (docs/install.md says why): the
# init script's links are made disabled, and the unit is enabled again
# only where an earlier installation had it enabled.
if grep -q 'update-rc.d vtundfix defaults-disabled' "$ctl/DEBIAN/postinst" &&
    grep -q "deb-systemd-helper debian-installed 'vtundfix.service'" "$ctl/DEBIAN/postinst"; then
	ok "deb/installed-disabled"
else
	not_ok "deb/installed-disabled"
fi
for s in postinst postrm prerm; do
	[ -f "$ctl/DEBIAN/$s" ] || continue
	if out=$(shellcheck -s sh "$ctl/DEBIAN/$s" 2>&1); then ok "deb/shellcheck-$s"
	else not_ok "deb/shellcheck-$s"; sed 's/^/#   /' <<<"$out"; fi
done
[ "$failures" -eq 0 ]
