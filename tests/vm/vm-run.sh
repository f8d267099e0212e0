#!/usr/bin/env bash
# vm-run.sh: run a command inside a qemu VM that boots Debian's own kernel
# (this host's kernel has no 802.1Q VLANs).
#
#	tests/vm/vm-run.sh [--timeout SECONDS] [--systemd] -- COMMAND [ARGS...]
#
# The VM (TCG, not KVM: KVM hangs early here) boots a small busybox
# initramfs built from the installed kernel's modules, mounts the host's
# root read-only over virtio-9p, puts fresh tmpfs on /tmp, /run and /dev
# inside it, and runs COMMAND chrooted there, in the current directory.
# Output and exit status come back through a second, writable 9p share.
#
# --systemd boots systemd as PID 1 instead: the host root (read-only 9p)
# becomes the lower layer of an overlay whose upper layer is a tmpfs, so
# the VM may write anywhere (dpkg -i, /etc, /var/mail) and the host sees
# none of it.  systemd starts the dedicated target vfx-vm.target, which is
# basic.target plus one service that runs COMMAND: services the host has
# enabled in multi-user.target (databases, exporters) never start, and
# the timers that could start work under TCG (apt, man-db) are masked.
# COMMAND runs as that service, so it can use systemctl and journalctl;
# the VM powers off when it ends.
# Prints COMMAND's output and exits with its status; 124 on timeout.  When
# no VM can run here it prints "skip - vm: REASON" and exits 0: a skip is
# never a pass.
set -u

timeout_s=300
init=chroot
usage="usage: $0 [--timeout SECONDS] [--systemd] -- COMMAND [ARGS...]"
while [ $# -gt 0 ]; do
	case $1 in
	--systemd) init=systemd; shift ;;
	--timeout)
		case ${2:-} in
		''|*[!0-9]*) echo "$0: --timeout needs a number of seconds" >&2; exit 2 ;;
		esac
		timeout_s=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "$usage" >&2; exit 2; }

skip() { echo "skip - vm: $*"; exit 0; }

QEMU=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 is not installed"
BUSYBOX=/bin/busybox
if ! [ -x "$BUSYBOX" ] || ! "$BUSYBOX" --list 2>/dev/null | grep -qx insmod; then
	skip "busybox-static is not installed"
fi
kernel=""
for k in $(printf '%s\n' /boot/vmlinuz-* | sort -V -r); do
	v=${k#/boot/vmlinuz-}
	if [ -r "$k" ] && [ -d "/lib/modules/$v" ]; then kernel=$k; kver=$v; break; fi
done
[ -n "$kernel" ] || skip "no Debian kernel with modules in /boot (linux-image-amd64)"

# Modules the VM needs, with their dependencies, in load order.
MODULES="virtio virtio_ring virtio_pci netfs fscache 9pnet 9pnet_virtio 9p
llc stp garp mrp 8021q bridge tun veth dummy overlay"

modpath() {	# NAME -> path of the module file, or nothing
	modinfo -k "$kver" -n "$1" 2>/dev/null | grep '^/' | head -1
}

build_initramfs() {	# DIR OUT
	local dir=$1 out=$2 m
	mkdir -p "$dir/bin" "$dir/lib/modules" "$dir/proc" "$dir/sys" \
	    "$dir/dev" "$dir/host" "$dir/share"
	cp "$BUSYBOX" "$dir/bin/busybox"
	for m in sh mount umount insmod mkdir chroot poweroff cat echo sleep \
	    mknod ln grep switch_root; do
		ln -s busybox "$dir/bin/$m"
	done
	: >"$dir/modules"
	add_module() {
		local n=$1 p d
		grep -qx "$n" "$dir/modules.done" 2>/dev/null && return 0
		p=$(modpath "$n") || true
		[ -n "$p" ] || return 0		# built in
		for d in $(modinfo -k "$kver" -F depends "$n" 2>/dev/null | tr ',' ' '); do
			add_module "$d"
		done
		case $p in
		*.xz) xz -dc "$p" >"$dir/lib/modules/$n.ko" ;;
		*.zst) zstd -qdc "$p" >"$dir/lib/modules/$n.ko" ;;
		*) cp "$p" "$dir/lib/modules/$n.ko" ;;
		esac
		echo "$n" >>"$dir/modules.done"
		echo "$n" >>"$dir/modules"
	}
	for m in $MODULES; do add_module "$m"; done
	cat >"$dir/init" <<'INIT'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules); do insmod /lib/modules/$m.ko 2>/dev/null; done
fail() { echo "vm-init: $*"; poweroff -f; }
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro hostroot /host ||
    fail "cannot mount the host root"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 share /share ||
    fail "cannot mount the share"
CWD=$(cat /share/cwd)
if grep -qw vfx.init=systemd /proc/cmdline; then
	# The host root read-only below, a tmpfs above: the VM writes where
	# it likes and the host sees nothing of it.
	mkdir -p /upper /newroot
	mount -t tmpfs -o mode=0755 upper /upper
	mkdir -p /upper/u /upper/w
	mount -t overlay -o lowerdir=/host,upperdir=/upper/u,workdir=/upper/w \
	    overlay /newroot || fail "cannot mount the overlay"
	mount -t tmpfs -o mode=1777 tmp /newroot/tmp
	case $CWD in
	/tmp/*) mkdir -p "/newroot$CWD" && mount -o bind "/host$CWD" "/newroot$CWD" ;;
	esac
	mkdir -p /newroot/vm-share
	mount -o bind /share /newroot/vm-share
	# The runner's units, masks and tmpfiles override (see vm-run.sh).
	cp -a /share/etc/. /newroot/etc/ || fail "cannot install the VM's units"
	# The host is a container: without this systemd would believe it runs
	# in one too, and ignore the kernel command line (systemd.unit=).
	rm -f /newroot/.dockerenv /newroot/run/.containerenv
	# Nor may the host's policy-rc.d (it forbids starting services in a
	# container) stop dpkg's maintainer scripts from starting ours.
	rm -f /newroot/usr/sbin/policy-rc.d
	for m in proc sys dev; do mount --move /$m /newroot/$m; done
	echo "vm-init: kernel $(cat /newroot/proc/sys/kernel/osrelease) up, starting systemd"
	exec switch_root /newroot /lib/systemd/systemd
	fail "cannot start systemd"
fi
mount -t proc proc /host/proc
mount -t sysfs sys /host/sys
mount -t devtmpfs dev /host/dev
mkdir -p /host/dev/pts /host/dev/shm
mount -t devpts devpts /host/dev/pts
# The caller's directory stays visible even if it lies under /tmp or /run,
# which get fresh tmpfs below.
mkdir -p /cwd
mount -o bind "/host$CWD" /cwd
mount -t tmpfs tmp /host/tmp
mount -t tmpfs run /host/run
mount -t tmpfs shm /host/dev/shm
mkdir -p /host/run/lock/vtund /host/run/netns /host/run/sshd /host/tmp/vm-share
mount --bind /share /host/tmp/vm-share 2>/dev/null || mount -o bind /share /host/tmp/vm-share
mkdir -p "/host$CWD" 2>/dev/null
mount -o bind /cwd "/host$CWD"
echo "vm-init: kernel $(cat /proc/sys/kernel/osrelease) up"
chroot /host /bin/sh /tmp/vm-share/run.sh >/share/output 2>&1
echo $? >/share/status
sync
poweroff -f
INIT
	chmod +x "$dir/init"
	(cd "$dir" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
}

cache=${VM_CACHE:-/var/tmp/vtundfix-vm}
initrd="$cache/initramfs-$kver.gz"
mkdir -p "$cache"
if [ ! -s "$initrd" ] || [ "$0" -nt "$initrd" ]; then
	tmpd=$(mktemp -d "$cache/build.XXXXXX")
	# Private names until the final rename: concurrent runs may build too.
	if ! build_initramfs "$tmpd/root" "$tmpd/initramfs.gz" 2>"$tmpd/err"; then
		cat "$tmpd/err" >&2
		rm -rf "$tmpd"
		skip "cannot build the initramfs"
	fi
	mv -f "$tmpd/initramfs.gz" "$initrd"
	rm -rf "$tmpd"
fi

share=$(mktemp -d /tmp/vfx-vm.XXXXXX)
qpid=""
# shellcheck disable=SC2317  # called by the trap
cleanup() {
	if [ -n "$qpid" ]; then
		kill -KILL "$qpid" 2>/dev/null
		wait "$qpid" 2>/dev/null
	fi
	rm -rf "$share"
}
console_tail() {	# N: the last N lines of the VM's console, as comments
	tr -d '\r' <"$share/console" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g; s/^/#   /' |
	    tail -"$1"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

{
	printf 'cd %q || exit 125\n' "$PWD"
	printf 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n'
	printf 'export VFX_IN_VM=1 VFX_VM_INIT=%s\n' "$init"
	# shellcheck disable=SC2016  # expanded inside the VM
	[ "$init" = systemd ] &&
	    printf 'echo "# vm: systemd started the command $(cut -d" " -f1 /proc/uptime) s after the kernel booted"\n'
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} >"$share/run.sh"
printf '%s\n' "$PWD" >"$share/cwd"

# systemd's part: the dedicated target and the service that runs COMMAND,
# masks for what must not run under TCG, and /tmp left alone by
# systemd-tmpfiles (the caller's directory may be mounted below it).
# vm-init copies share/etc over the VM's /etc.
write_systemd_etc() {	# DIR
	local etc=$1/etc u
	mkdir -p "$etc/systemd/system" "$etc/tmpfiles.d"
	cat >"$etc/systemd/system/vfx-vm.target" <<-'UNIT'
	[Unit]
	Description=vtundfix VM tests: basic.target and the test command, nothing else
	Requires=basic.target
	Wants=vfx-vm-run.service
	After=basic.target
	UNIT
	# The command's output is on the share (9p, uncached) and synced: what
	# it left running (vtund, sshd) is killed at once, not after systemd's
	# 90 s for processes that ignore SIGTERM, and the VM switched off.
	cat >"$etc/systemd/system/vfx-vm-run.service" <<-'UNIT'
	[Unit]
	Description=vtundfix VM tests: the command given to vm-run.sh
	After=basic.target
	SuccessAction=poweroff-immediate
	FailureAction=poweroff-immediate
	[Service]
	Type=exec
	ExecStart=/bin/sh -c 'sh /vm-share/run.sh >/vm-share/output 2>&1; echo $? >/vm-share/status; sync'
	TimeoutStartSec=infinity
	KillSignal=SIGKILL
	UNIT
	# Timers that would start work under TCG (apt, man-db, ...), and what
	# a VM without disks, devices or network needs no time for: udev's
	# coldplug, module loading by hand, debug and fuse mounts.  vtundfix,
	# vtund, ssh and exim need none of them.
	for u in apt-daily.timer apt-daily-upgrade.timer man-db.timer \
	    e2scrub_all.timer fstrim.timer dpkg-db-backup.timer \
	    exim4-base.timer systemd-tmpfiles-clean.timer logrotate.timer \
	    systemd-timesyncd.service systemd-pstore.service \
	    systemd-udevd.service systemd-udev-trigger.service \
	    systemd-udevd-control.socket systemd-udevd-kernel.socket \
	    modprobe@.service kmod-static-nodes.service systemd-binfmt.service \
	    proc-sys-fs-binfmt_misc.automount dev-hugepages.mount \
	    sys-kernel-debug.mount sys-kernel-tracing.mount \
	    sys-fs-fuse-connections.mount sys-kernel-config.mount; do
		ln -s /dev/null "$etc/systemd/system/$u"
	done
	# Generators run at boot and at every daemon-reload (dpkg runs several):
	# the VM has no disks, fstab, gettys or clusters to generate units for.
	# Only the SysV one stays, for init scripts such as vtun's.
	mkdir -p "$etc/systemd/system-generators"
	for u in /lib/systemd/system-generators/*; do
		[ "${u##*/}" = systemd-sysv-generator ] ||
		    ln -s /dev/null "$etc/systemd/system-generators/${u##*/}"
	done
	echo 'd /tmp 1777 root root -' >"$etc/tmpfiles.d/tmp.conf"
}

append="console=ttyS0 quiet loglevel=3 panic=-1"
mem=1024
if [ "$init" = systemd ]; then
	write_systemd_etc "$share"
	append="$append vfx.init=systemd systemd.unit=vfx-vm.target"
	if [ -n "${VM_DEBUG:-}" ]; then
		append="$append systemd.show_status=true systemd.log_target=console"
	else
		append="$append systemd.show_status=false"
	fi
	mem=1536
fi

"$QEMU" -accel tcg -m "$mem" -smp "${VM_SMP:-1}" -nographic -no-reboot \
    -kernel "$kernel" -initrd "$initrd" \
    -append "$append" \
    -fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
    -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
    -fsdev local,id=share,path="$share",security_model=none \
    -device virtio-9p-pci,fsdev=share,mount_tag=share \
    -nic none >"$share/console" 2>&1 </dev/null &
qpid=$!
t0=$(date +%s)
t_done=""
while kill -0 "$qpid" 2>/dev/null; do
	[ -z "$t_done" ] && [ -f "$share/status" ] && t_done=$(($(date +%s) - t0))
	if [ $(($(date +%s) - t0)) -ge "$timeout_s" ]; then
		[ -f "$share/output" ] && cat "$share/output"
		echo "# vm: timed out after ${timeout_s}s; console:"
		console_tail "$([ -n "${VM_DEBUG:-}" ] && echo 100000 || echo 20)"
		exit 124
	fi
	sleep 0.2
done
wait "$qpid" 2>/dev/null
qpid=""
if [ ! -f "$share/status" ]; then
	echo "# vm: the command did not run; console:"
	console_tail 30
	# Not a skip: the kernel and qemu are installed, so a VM that does
	# not boot is a failure.
	grep -q 'vm-init: kernel' "$share/console" ||
	    echo "# vm: the VM did not boot"
	exit 1
fi
[ -n "${VM_DEBUG:-}" ] && sed "s/^/# console: /" "$share/console"
echo "# vm: $(grep -ao 'vm-init: kernel [^ ]* up' "$share/console" | head -1) in $(($(date +%s) - t0)) s (the command ended after ${t_done:-?} s)"
cat "$share/output"
status=$(cat "$share/status")
case $status in
''|*[!0-9]*) echo "# vm: bad exit status '$status'"; exit 1 ;;
esac
exit "$status"
