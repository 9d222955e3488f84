#!/bin/bash
# The selfdata layer on top of the Debian base tree: the gateway in a venv, its units and
# configuration, first-boot setup, and a clean, reproducible tree.
#   layer.sh TREE WHEELS NAME      (run by build.sh as root)
set -euo pipefail
root=$1 wheels=$2 name=$3
cd "$(dirname "$0")/.."
say() { printf '[image layer] %s\n' "$*" >&2; }

# Files from the repository (install.txt: source, destination, mode).
while read -r src dest mode; do
    case "$src" in ''|'#'*) continue ;; esac
    install -D -m "$mode" "$src" "$root$dest"
done < image-build/install.txt

# The gateway's user, before anything is owned by it.
systemd-sysusers --root="$root" "$root/usr/lib/sysusers.d/selfdata.conf"

# Programs run in the tree below (under qemu-user) need /proc and /dev; unmounted again on
# any exit so that nothing of the build machine ends up in the image.
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
trap 'umount "$root/dev" "$root/proc" 2>/dev/null || true' EXIT

# The gateway and its dependencies from the wheels, into a venv of the image's own Python
# (run in the tree under qemu-user). No index: only the wheels downloaded for this build.
# With SOURCE_DATE_EPOCH set, byte-code files carry hashes, not times: reproducible.
say "venv: /opt/selfdata/venv"
mkdir -p "$root/tmp/selfdata-wheels"
cp "$wheels"/*.whl "$root/tmp/selfdata-wheels/"
chroot "$root" python3 -m venv /opt/selfdata/venv
chroot "$root" /opt/selfdata/venv/bin/python -m pip install -q --isolated --no-index --no-cache-dir \
    --disable-pip-version-check --find-links /tmp/selfdata-wheels selfdata-gateway
rm -rf "$root/tmp/selfdata-wheels"
ln -sf /opt/selfdata/venv/bin/selfdata "$root/usr/local/bin/selfdata"
chroot "$root" /opt/selfdata/venv/bin/selfdata --help >/dev/null  # it imports and runs

# Units: what starts at boot. mosquitto, avahi, NetworkManager, ssh and gpsd.socket are
# enabled by their packages.
systemctl --root="$root" enable selfdata-gateway.service selfdata-broker-reload.path \
    selfdata-backup.timer selfdata-firstboot.service selfdata-hotspot.service
# NetworkManager owns the network. systemd-networkd must not run beside it: masked, since
# on the first boot (machine id "uninitialized") systemd applies Debian's presets, which
# would enable it, and its wait-online would fail the boot after two minutes.
systemctl --root="$root" mask systemd-networkd.service systemd-networkd.socket \
    systemd-networkd-wait-online.service

# The package manifest: Debian packages from the tree, Python packages from the venv.
{
    echo "# $name"
    echo "# Debian packages (dpkg-query in the image tree)"
    chroot "$root" dpkg-query -W -f='${Package}\t${Version}\t${Architecture}\n'
    echo "# Python packages in /opt/selfdata/venv (pip freeze)"
    chroot "$root" /opt/selfdata/venv/bin/python -m pip --isolated freeze --all
} > "$root.manifest"
echo "$name" > "$root/etc/selfdata-image"

umount "$root/dev" "$root/proc"
trap - EXIT

# Nothing of this build machine, and nothing that must differ per box, stays in the image.
rm -f "$root"/etc/ssh/ssh_host_*
printf 'uninitialized\n' > "$root/etc/machine-id"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/debconf/*-old \
    "$root"/var/lib/dpkg/*-old "$root"/tmp/* "$root"/var/tmp/* \
    "$root"/root/.cache "$root"/var/cache/ldconfig/aux-cache
# Logs: the files go, the folders stay (/var/log/journal keeps the journal persistent).
find "$root/var/log" -type f -delete

# Reproducibility: no time newer than the commit.
find "$root" -xdev -newermt "@$SOURCE_DATE_EPOCH" -print0 \
    | xargs -0r touch --no-dereference --date="@$SOURCE_DATE_EPOCH"
