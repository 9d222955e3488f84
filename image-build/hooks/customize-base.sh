#!/bin/sh
# mmdebstrap --customize-hook: the Debian packages are installed; build the initramfs
# once and leave a clean base tree (the selfdata layer goes on top in layer.sh).
# $1 is the image tree.
set -eu
root="$1"

rm "$root/usr/sbin/update-initramfs"
chroot "$root" dpkg-divert --local --rename --remove /usr/sbin/update-initramfs
# raspi-firmware's post-update hook copies the new initrd into /boot/firmware.
chroot "$root" update-initramfs -c -k all

# Nothing that identifies one box may be baked into every image: openssh-server's postinst
# made host keys, and the machine id must be made on the first boot.
rm -f "$root"/etc/ssh/ssh_host_*
printf 'uninitialized\n' > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
