#!/bin/sh
# mmdebstrap --essential-hook: runs once the essential packages are in, before the rest.
# $1 is the image tree.
set -eu
root="$1"

# The kernel and raspi-firmware would each build the initramfs, and each run costs ~12
# minutes under qemu-user (mkinitramfs calls modinfo on thousands of modules). Divert the
# tool for the package run; the customize hook builds the initramfs once.
chroot "$root" dpkg-divert --local --rename --add /usr/sbin/update-initramfs
ln -s /bin/true "$root/usr/sbin/update-initramfs"

# raspi-firmware writes cmdline.txt when it is configured: root by label, so the same
# image boots from an SD card, a USB disk, or /dev/vda under QEMU.
mkdir -p "$root/etc/default"
cat > "$root/etc/default/raspi-firmware" <<'CONF'
# Written by selfdata image-build: the root filesystem is found by its label.
ROOTPART=LABEL=RASPIROOT
CONF
