#!/bin/bash
# Benchmark (run by hand, as root: it drops the page cache between the runs), not a test.
# A Debian-like ext4 of about 1 GB of data (many small files, some large) in a 4 GiB
# "partition" (a fully written file, so dd reads every byte from the disk as it would from a
# LUN), copied two ways into another 4 GiB file, in the same run:
#   1. by its used blocks (bench-fs-copy: what golden-image capture and clone do),
#   2. dd of the whole partition (bs=4M),
# each followed by fsync; then the ratio of the times. The copy is checked with e2fsck.
# Usage: bench/clone-host.sh [DIR] (default /var/tmp); BUILD_DIR (default ./build) holds
# bench/bench-fs-copy. DATA_MB (default 1024) and PART_MB (default 4096) change the sizes.
set -eu
build=${BUILD_DIR:-$PWD/build}
copy=$build/bench/bench-fs-copy
data_mb=${DATA_MB:-1024}
part_mb=${PART_MB:-4096}
[ -x "$copy" ] || { echo "no $copy: meson compile -C $build bench/bench-fs-copy" >&2; exit 1; }
work=$(mktemp -d "${1:-/var/tmp}/clone-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

drop() {
	sync
	if [ -w /proc/sys/vm/drop_caches ]; then echo 3 > /proc/sys/vm/drop_caches; fi
}

echo "making a tree of about $data_mb MB in $work/tree"
python3 - "$work/tree" "$data_mb" <<'PY'
import os, random, sys
root, total = sys.argv[1], int(sys.argv[2]) << 20
rnd = random.Random(13)
blob = os.urandom(1 << 20)
done = n = 0
while done < total:
    d = os.path.join(root, "usr/share/d%03d" % (n // 200))
    os.makedirs(d, exist_ok=True)
    # mostly small files (a Debian /usr: median ~4 KiB), now and then a large one
    size = int(rnd.lognormvariate(8.5, 1.6)) if rnd.random() > 0.002 else rnd.randint(8, 64) << 20
    size = min(size, total - done)
    with open(os.path.join(d, "f%06d" % n), "wb") as f:
        left = size
        while left:
            k = min(left, len(blob))
            f.write(blob[:k])
            left -= k
    done += size
    n += 1
print("files:", n)
PY
echo "writing the ${part_mb} MiB partitions and mke2fs -d"
dd if=/dev/zero of="$work/src" bs=4M count=$((part_mb / 4)) conv=fsync status=none
dd if=/dev/zero of="$work/dst-used" bs=4M count=$((part_mb / 4)) conv=fsync status=none
cp --sparse=never "$work/dst-used" "$work/dst-dd"
mke2fs -q -F -t ext4 -b 4096 -E nodiscard -d "$work/tree" "$work/src"
rm -rf "$work/tree"
dumpe2fs -h "$work/src" 2>/dev/null | awk -F: '/^Block count/ { b = $2 } /^Free blocks/ { f = $2 }
	END { printf "filesystem: %d MiB, used %d MiB (dumpe2fs)\n", b * 4 / 1024, (b - f) * 4 / 1024 }'

drop
t0=$(date +%s.%N)
"$copy" "$work/src" "$work/dst-used"
t1=$(date +%s.%N)
drop
t2=$(date +%s.%N)
dd if="$work/src" of="$work/dst-dd" bs=4M conv=notrunc,fsync status=none
t3=$(date +%s.%N)
e2fsck -fn "$work/dst-used" >/dev/null 2>&1 && echo "e2fsck -fn of the used-block copy: clean" ||
	echo "e2fsck -fn of the used-block copy: NOT CLEAN"
python3 - "$t0" "$t1" "$t2" "$t3" <<'PY'
import sys
t0, t1, t2, t3 = map(float, sys.argv[1:])
u, d = t1 - t0, t3 - t2
print("used blocks: %.2f s   dd whole partition: %.2f s   dd/used: %.1fx" % (u, d, d / u))
PY
