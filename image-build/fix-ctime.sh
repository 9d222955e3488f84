#!/bin/sh
# genimage exec-post for the ext4 image: mke2fs -d copies each file's change time (ctime)
# from genimage's working copy of the tree, i.e. the time of the copy. The kernel lets no
# one set a ctime, so it is set inside the filesystem image with debugfs, to
# SOURCE_DATE_EPOCH like every other time in the image.
set -eu
image=$IMAGEOUTFILE
tree=$IMAGEMOUNTPATH
when=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d%H%M%S)
cmds=$(mktemp)
trap 'rm -f "$cmds"' EXIT
# Every inode under the tree except the other images' mount points' contents (the FAT).
( cd "$tree" && find . -xdev -printf '%P\n' ) | while IFS= read -r path; do
    printf 'sif "/%s" ctime %s\n' "$path" "$when"
done > "$cmds"
printf 'sif "/lost+found" ctime %s\n' "$when" >> "$cmds"
debugfs -w -f "$cmds" "$image" >/dev/null 2>&1
