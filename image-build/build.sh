#!/bin/bash
# make image: build the flashable Raspberry Pi image (arm64, Debian bookworm) into
# image-build/out/. Route and timings: docs/image.md. Stages:
#   1. base    mmdebstrap: Debian packages + one initramfs (cached in $IMAGE_WORK/base,
#              keyed by packages.txt, the hooks and the mirror; FRESH=1 rebuilds it)
#   2. wheels  the gateway's wheel + its aarch64 dependencies from PyPI
#   3. layer   a copy of the base + the selfdata layer (layer.sh)
#   4. disk    genimage: FAT32 RASPIFIRM + ext4 RASPIROOT in an MBR disk, no loop mounts
#   5. ship    .img.zst, .sha256, package manifest
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
B=$REPO/image-build
OUT=$B/out
# The big working trees live outside the repository: setuptools walks the whole checkout
# (following symlinks) when it builds the gateway's wheel, and an arm64 root tree in it
# would make every `pip install -e .` take minutes.
WORK=${IMAGE_WORK:-/var/tmp/selfdata-image-build}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
STAGE=${1:-all}

say() { printf '[image %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
stamp() { date +%s; }

# Reproducibility: every timestamp in the image is clamped to the last commit's time, so
# two builds from the same packages and the same commit give the same bytes.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
export LC_ALL=C.UTF-8 TZ=UTC
VERSION=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' gateway/__init__.py)  # pyproject.toml reads it there
COMMIT=$(git rev-parse --short=12 HEAD)
git diff --quiet HEAD -- . ':!image-build/out' 2>/dev/null || COMMIT="$COMMIT-dirty"
NAME=selfdata-gateway-$VERSION-$COMMIT-arm64
mkdir -p "$WORK" "$OUT"

"$B/host-tools.sh"

packages() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$B/packages.txt" | tr -s ' \n' ','; }

build_base() {
    local key
    key=$( { cat "$B/packages.txt" "$B"/hooks/*; echo "$MIRROR $SECURITY_MIRROR"; } | sha256sum | cut -c1-16)
    if [ -z "${FRESH:-}" ] && [ -f "$WORK/base.key" ] && [ "$(cat "$WORK/base.key")" = "$key" ]; then
        say "base: reusing $WORK/base (same packages and hooks; FRESH=1 to rebuild)"
        return
    fi
    rm -rf "$WORK/base" "$WORK/base.key"
    say "base: mmdebstrap arm64 bookworm (about 18 minutes here, most of it the initramfs under qemu-user)"
    local t0; t0=$(stamp)
    # mode root: real ownership in the tree, which mke2fs -d copies into the image.
    # force-confold: keep /etc/default/raspi-firmware from the essential hook (dpkg would
    # otherwise ask, with no one to answer).
    mmdebstrap --mode=root --variant=minbase --architectures=arm64 \
        --components=main,non-free-firmware \
        --include="$(packages)" \
        --aptopt='Acquire::Retries "3"' \
        --dpkgopt=force-confdef --dpkgopt=force-confold \
        --essential-hook="$B/hooks/essential.sh \"\$1\"" \
        --customize-hook="$B/hooks/customize-base.sh \"\$1\"" \
        bookworm "$WORK/base" \
        "deb $MIRROR bookworm main non-free-firmware" \
        "deb $MIRROR bookworm-updates main non-free-firmware" \
        "deb $SECURITY_MIRROR bookworm-security main non-free-firmware"
    echo "$key" > "$WORK/base.key"
    say "base: done in $(( $(stamp) - t0 )) s"
}

build_wheels() {
    say "wheels: the gateway's wheel and its aarch64 dependencies (CPython 3.11, glibc 2.36)"
    local t0; t0=$(stamp)
    [ -x "$WORK/hostvenv/bin/pip" ] || python3 -m venv "$WORK/hostvenv"
    local pip="$WORK/hostvenv/bin/python -m pip --disable-pip-version-check -q"
    rm -rf "$WORK/wheels"; mkdir -p "$WORK/wheels"
    $pip wheel --no-deps -w "$WORK/wheels" "$REPO"
    # Pinned versions (constraints.txt) make two builds install the same code; without the
    # file, the newest versions allowed by pyproject.toml are taken.
    local constraints=()
    [ -f "$B/constraints.txt" ] && constraints=(-c "$B/constraints.txt")
    # Every manylinux tag bookworm's glibc 2.36 can run: pip does not expand them itself.
    local platforms=(--platform manylinux2014_aarch64) v
    for v in $(seq 17 36); do platforms+=(--platform "manylinux_2_${v}_aarch64"); done
    $pip download --dest "$WORK/wheels" --only-binary=:all: "${platforms[@]}" \
        --python-version 3.11 --implementation cp \
        "${constraints[@]}" "$WORK"/wheels/selfdata_gateway-*.whl
    say "wheels: $(ls "$WORK/wheels" | wc -l) wheels in $(( $(stamp) - t0 )) s"
}

build_layer() {
    say "layer: copy of the base + selfdata"
    local t0; t0=$(stamp)
    rm -rf "$WORK/tree"
    cp -a "$WORK/base" "$WORK/tree"
    "$B/layer.sh" "$WORK/tree" "$WORK/wheels" "$NAME"
    say "layer: done in $(( $(stamp) - t0 )) s"
}

build_disk() {
    say "disk: genimage"
    local t0; t0=$(stamp)
    rm -rf "$WORK/genimage-tmp" "$WORK/images"; mkdir -p "$WORK/images" "$WORK/genimage-in"
    # mke2fs stamps the filesystem, lost+found and the journal with this time instead of now.
    E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH \
    FS_TIMESTAMP=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d%H%M%S) \
    FIX_TIMES="$B/fix-times.sh" \
    genimage --config "$B/genimage.cfg" --rootpath "$WORK/tree" --tmppath "$WORK/genimage-tmp" \
        --inputpath "$WORK/genimage-in" --outputpath "$WORK/images" >"$WORK/genimage.log" 2>&1 \
        || { tail -30 "$WORK/genimage.log" >&2; exit 1; }
    rm -rf "$WORK/genimage-tmp"
    say "disk: done in $(( $(stamp) - t0 )) s"
}

ship() {
    say "ship: zstd, sha256, manifest"
    local t0; t0=$(stamp)
    rm -f "$OUT"/selfdata-gateway-*
    zstd -q -T2 -10 --no-progress "$WORK/images/disk.img" -o "$OUT/$NAME.img.zst"
    (cd "$OUT" && sha256sum "$NAME.img.zst" > "$NAME.img.zst.sha256")
    cp "$WORK/tree.manifest" "$OUT/$NAME.manifest.txt"
    # The boot test reads the kernel and initrd out of the image; this says which image.
    echo "$NAME" > "$OUT/latest"
    say "ship: done in $(( $(stamp) - t0 )) s"
    say "image: $OUT/$NAME.img.zst ($(du -h "$OUT/$NAME.img.zst" | cut -f1)), $(cut -d' ' -f1 "$OUT/$NAME.img.zst.sha256")"
}

T0=$(stamp)
case "$STAGE" in
    base) build_base ;;
    all) build_base; build_wheels; build_layer; build_disk; ship ;;
    *) echo "usage: build.sh [all|base]" >&2; exit 2 ;;
esac
say "$STAGE: $(( $(stamp) - T0 )) s in all"
