#!/bin/sh
# The VM runner itself: a command's output and exit status come back.
cd "$(dirname "$0")/../.." || exit 2
# shellcheck disable=SC2016  # expanded inside the VM
out=$(tests/vm/vm-run.sh --timeout 120 -- sh -c 'echo "kernel $(uname -r)"; exit 7')
rc=$?
case $out in
*"skip - vm:"*) echo "$out"; exit 0 ;;
esac
echo "$out" | sed 's/^/# /'
newest=$(printf '%s\n' /boot/vmlinuz-* | sort -V | tail -1)
if echo "$out" | grep -q "^kernel ${newest#/boot/vmlinuz-}\$"; then
	echo "ok - vm/smoke-output"
else
	echo "not ok - vm/smoke-output"; exit 1
fi
if [ "$rc" -eq 7 ]; then echo "ok - vm/smoke-status"
else echo "not ok - vm/smoke-status: $rc"; exit 1; fi
