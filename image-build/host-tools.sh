#!/bin/sh
# Make this Debian 12 machine able to build and boot-test an arm64 image:
# Debian packages for the build (and, with "test", for the boot test), then qemu-user
# through binfmt_misc so that the arm64 maintainer scripts can run in the image tree.
# Idempotent: installs only what is missing, and says so.
set -eu

need="mmdebstrap genimage mtools dosfstools e2fsprogs qemu-user-static binfmt-support arch-test zstd python3-venv git"
[ "${1:-}" = test ] && need="$need qemu-system-arm"

missing=""
for pkg in $need; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
        || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    echo "[image] installing Debian packages:$missing"
    [ "$(id -u)" -eq 0 ] || { echo "[image] run as root (mmdebstrap and genimage need real file ownership)" >&2; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

[ "${1:-}" = test ] && exit 0  # the boot test runs a full-system emulator: no binfmt needed

# binfmt_misc is not mounted in every container: without it the kernel cannot hand arm64
# programs to qemu-aarch64-static and mmdebstrap stops at its qemu check.
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
    echo "[image] mounting binfmt_misc"
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    echo "[image] registering qemu-aarch64 with binfmt_misc"
    update-binfmts --enable qemu-aarch64
fi
arch-test arm64 >/dev/null || { echo "[image] arm64 programs cannot run here (arch-test arm64 failed)" >&2; exit 1; }
