#!/usr/bin/env bash
# `make install` into a temporary DESTDIR lays out the seed's files, never
# overwrites an existing configuration, and `make uninstall` removes what it
# installed (SPEC §10).
set -u
cd "$(dirname "$0")/../.." || exit 2
dest=$(mktemp -d /tmp/vfx-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
failures=0
ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failures=$((failures + 1)); }

if ! make -s install DESTDIR="$dest" PREFIX=/usr/local >"$dest.log" 2>&1; then
	not_ok "install/make-install"; sed 's/^/#   /' "$dest.log"; rm -f "$dest.log"; exit 1
fi
rm -f "$dest.log"
missing=""
for f in usr/local/sbin/vtundfix usr/local/sbin/vtundctl usr/local/sbin/vtundfix_cron \
    etc/vtundfix.conf etc/init.d/vtundfix etc/cron.d/vtundfix etc/logrotate.d/vtundfix \
    usr/local/lib/systemd/system/vtundfix.service \
    usr/local/share/man/man8/vtundfix.8 usr/local/share/man/man8/vtundctl.8 \
    usr/local/share/man/man5/vtundfix.conf.5 \
    usr/local/share/bash-completion/completions/vtundctl var/vtundfix; do
	[ -e "$dest/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then ok "install/tree"; else not_ok "install/tree: missing$missing"; fi

if [ -x "$dest/etc/init.d/vtundfix" ] && [ -x "$dest/usr/local/sbin/vtundfix" ] &&
    ! grep -rq '@SBINDIR@' "$dest/etc" "$dest/usr/local/lib" "$dest/usr/local/sbin/vtundfix_cron" &&
    grep -q '^DAEMON=/usr/local/sbin/vtundfix$' "$dest/etc/init.d/vtundfix"; then
	ok "install/paths-substituted"
else
	not_ok "install/paths-substituted"
fi

# The installed template is a valid configuration (its vtund.conf aside).
out=$("$dest/usr/local/sbin/vtundfix" -t -f "$dest/etc/vtundfix.conf" 2>&1)
if grep -q "vtundfix.conf: ok (client, 1 tap)" <<<"$out"; then ok "install/template-valid"
else not_ok "install/template-valid"; sed 's/^/#   /' <<<"$out"; fi

echo "MACHINE server # mine" >"$dest/etc/vtundfix.conf"
make -s install DESTDIR="$dest" PREFIX=/usr/local >/dev/null 2>&1
if [ "$(cat "$dest/etc/vtundfix.conf")" = "MACHINE server # mine" ]; then
	ok "install/keeps-config"
else
	not_ok "install/keeps-config"
fi

make -s uninstall DESTDIR="$dest" PREFIX=/usr/local >/dev/null 2>&1
left=$(cd "$dest" && find . -type f -o -type l | sort)
if [ "$left" = "./etc/vtundfix.conf" ]; then ok "install/uninstall"
else not_ok "install/uninstall"; sed 's/^/#   left: /' <<<"$left"; fi
[ "$failures" -eq 0 ]
