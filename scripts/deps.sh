#!/bin/sh
# Install every build and test dependency of vtundfix from Debian's packages.
# Idempotent: quiet and quick when everything is already present.
set -eu

PACKAGES="
build-essential pkg-config clang libclang-rt-14-dev
libnl-3-dev libnl-route-3-dev libnl-idiag-3-dev libsodium-dev libsystemd-dev
vtun iproute2 nftables openssh-server openssh-client
qemu-system-x86 linux-image-amd64 busybox-static kmod
procps psmisc iputils-ping tcpdump monit libcap2-bin
cppcheck clang-tidy shellcheck groff-base man-db prometheus
iperf3 debhelper lintian exim4-daemon-light logrotate systemd
"

missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = "installed" ] || missing="$missing $p"
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps.sh: missing packages:$missing (run as root to install)" >&2
		exit 1
	fi
	echo "deps.sh: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# vtund needs its lock directory (SPEC §11).
mkdir -p /var/lock/vtund
