#!/bin/bash
# make image-test: boot the built image in qemu-system-aarch64 -M virt (TCG) with the
# image's own kernel and initrd, and pass only when the self-test inside it says PASS.
#
# The test runs on a COPY of the shipped image (out/test/disk.img); only that copy gets
#   - the self-test unit and script (selftest/), written into the ext4 root with debugfs,
#   - a selfdata-setup.toml on the FAT boot partition (mtools), as a maker would write it,
#   - 1 GiB more disk, so that first boot has a partition to grow.
# No loop device, no mount. After power-off the copy's FAT is read back: the Wi-Fi
# password must be gone from it.
#   TLS=1 make image-test   also checks HTTPS 443 and MQTT over TLS 8883 (phase 2)
set -euo pipefail
cd "$(dirname "$0")/.."
B=$PWD/image-build
OUT=$B/out
T=${IMAGE_WORK:-/var/tmp/selfdata-image-build}/test
TIMEOUT=${BOOT_TIMEOUT:-1500}
say() { printf '[image-test %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

"$B/host-tools.sh" test
[ -f "$OUT/latest" ] || { echo "no image yet: run make image first" >&2; exit 1; }
NAME=$(cat "$OUT/latest")
T0=$(date +%s)

say "checking $NAME.img.zst against its .sha256"
(cd "$OUT" && sha256sum --quiet -c "$NAME.img.zst.sha256")
rm -rf "$T"; mkdir -p "$T"
zstd -q -d "$OUT/$NAME.img.zst" -o "$T/disk.img"
truncate -s +1G "$T/disk.img"

# Partition offsets from the MBR.
read -r BOOT_OFF ROOT_OFF < <(python3 - "$T/disk.img" <<'PY'
import struct, sys
mbr = open(sys.argv[1], "rb").read(512)
starts = [struct.unpack("<I", mbr[446 + 16 * i + 8:446 + 16 * i + 12])[0] * 512 for i in range(2)]
print(*starts)
PY
)
ROOTFS="$T/disk.img?offset=$ROOT_OFF"
FAT="$T/disk.img@@$BOOT_OFF"

say "test copy: self-test unit into the root filesystem"
printf 'TLS=%s\n' "${TLS:-0}" > "$T/selftest.conf"
debugfs -w -f - "$ROOTFS" >/dev/null 2>"$T/debugfs.log" <<EOF2
mkdir /usr/local/lib/selfdata-selftest
write $B/selftest/selftest.py /usr/local/lib/selfdata-selftest/selftest.py
write $B/selftest/selfdata-selftest.service /etc/systemd/system/selfdata-selftest.service
symlink /etc/systemd/system/multi-user.target.wants/selfdata-selftest.service /etc/systemd/system/selfdata-selftest.service
write $T/selftest.conf /etc/selfdata-selftest.conf
EOF2
debugfs -R "stat /etc/systemd/system/selfdata-selftest.service" "$ROOTFS" 2>/dev/null | grep -q Inode \
    || { cat "$T/debugfs.log" >&2; echo "could not write the self-test into the copy" >&2; exit 1; }

say "test copy: selfdata-setup.toml on the boot partition"
ssh-keygen -q -t ed25519 -N '' -C selfdata-boot-test -f "$T/test_key"
cat > "$T/selfdata-setup.toml" <<EOF2
# written by boot-test.sh, as a maker would from their PC
hostname = "selfdata-test"
timezone = "America/Montreal"
ssh_authorized_key = "$(cat "$T/test_key.pub")"

[wifi]
ssid = "selfdata-test-net"
password = "correct horse battery staple"
country = "CA"
EOF2
mcopy -i "$FAT" "$T/selfdata-setup.toml" ::selfdata-setup.toml

# The kernel and initrd the Pi's firmware would load: named in the image's config.txt.
mcopy -i "$FAT" ::config.txt "$T/config.txt"
KERNEL=$(sed -n 's/^kernel=//p' "$T/config.txt" | tr -d '\r')
INITRD=$(sed -n 's/^initramfs \([^ ]*\).*/\1/p' "$T/config.txt" | tr -d '\r')
mcopy -i "$FAT" "::$KERNEL" "$T/kernel"
mcopy -i "$FAT" "::$INITRD" "$T/initrd"
say "booting $KERNEL + $INITRD from the image's boot partition (timeout ${TIMEOUT} s)"

T1=$(date +%s)
set +e
# -M virt: QEMU cannot run the Pi's GPU firmware; the generic machine tests userspace.
# User-mode network (no host forwarding: the self-test talks to the box from inside,
# at its eth0 address); romfile= avoids needing ipxe-qemu for virtio-net.
timeout "$TIMEOUT" qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 1024 \
    -display none -monitor none -serial "file:$T/console.log" -no-reboot \
    -kernel "$T/kernel" -initrd "$T/initrd" \
    -append "root=LABEL=RASPIROOT rw rootwait console=ttyAMA0 net.ifnames=0" \
    -drive if=none,file="$T/disk.img",format=raw,id=hd0 -device virtio-blk-pci,drive=hd0 \
    -netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile= \
    > "$T/qemu.log" 2>&1
qemu_rc=$?
set -e
T2=$(date +%s)
say "qemu exited ($qemu_rc) after $((T2 - T1)) s"

grep -a '^SELFTEST\|^SELFDATA-SELFTEST\|selfdata-firstboot' "$T/console.log" | tr -d '\r' >&2 || true
status=0
if [ "$qemu_rc" = 124 ]; then
    say "FAIL: no power-off within ${TIMEOUT} s (console: $T/console.log)"; status=1
fi
grep -aq '^SELFDATA-SELFTEST: PASS' "$T/console.log" || { say "FAIL: the self-test did not pass"; status=1; }

# After power-off: the card as a PC would see it.
mcopy -o -i "$FAT" ::selfdata-setup.toml "$T/setup-after.toml"
if grep -q 'correct horse battery staple' "$T/setup-after.toml"; then
    say "FAIL: the Wi-Fi password is still on the boot partition"; status=1
else
    say "boot partition after first boot: the Wi-Fi password is gone, the rest kept:"
    sed 's/^/    /' "$T/setup-after.toml" >&2
fi
if mdir -i "$FAT" ::selfdata-setup-error.txt >/dev/null 2>&1; then
    say "FAIL: first boot wrote selfdata-setup-error.txt"; status=1
fi
# The serial console of the run, beside the image it tested (docs/image.md quotes one).
tr -d '\r' < "$T/console.log" > "$OUT/$NAME.boot-test-console.log"
say "timings: prepare $((T1 - T0)) s, boot to power-off $((T2 - T1)) s, total $((T2 - T0)) s"
[ "$status" = 0 ] && say "PASS" || say "FAIL (console log: $T/console.log)"
exit "$status"
