#!/bin/sh
# genimage exec-post for the ext4 image: mke2fs -d copies each file's change time (ctime)
# and access time (atime) from genimage's working copy of the tree: the time of the copy,
# and of whatever last read the file (a previous build reading the tree updates atimes).
# The kernel lets no one set a ctime, so both are set inside the filesystem image with
# debugfs, to SOURCE_DATE_EPOCH like every other time in the image (mtimes were clamped in
# the tree by layer.sh and are kept).
set -eu
image=$IMAGEOUTFILE
tree=$IMAGEMOUNTPATH
when=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d%H%M%S)
cmds=$(mktemp)
trap 'rm -f "$cmds"' EXIT
( cd "$tree" && find . -xdev -printf '%P\n' ) | while IFS= read -r path; do
    printf 'sif "/%s" ctime %s\nsif "/%s" atime %s\n' "$path" "$when" "$path" "$when"
done > "$cmds"
printf 'sif / ctime %s\nsif / atime %s\nsif "/lost+found" ctime %s\nsif "/lost+found" atime %s\n' \
    "$when" "$when" "$when" "$when" >> "$cmds"
debugfs -w -f "$cmds" "$image" >/dev/null 2>&1
