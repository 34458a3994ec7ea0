#!/usr/bin/python3
# sparse-sum.py FILE: a checksum of FILE's bytes that reads only its data extents
# (SEEK_DATA/SEEK_HOLE) and skips all-zero 4 KiB blocks, so a 200 GiB sparse image is summed
# in a moment and "bytes unchanged" can be checked before/after a refused command.
import hashlib, os, sys

fd = os.open(sys.argv[1], os.O_RDONLY)
h = hashlib.sha256()
zero = bytes(4096)
off = 0
while True:
    try:
        data = os.lseek(fd, off, os.SEEK_DATA)
    except OSError:
        break
    hole = os.lseek(fd, data, os.SEEK_HOLE)
    at = data
    while at < hole:
        buf = os.pread(fd, min(hole - at, 1 << 20), at)
        for b in range(0, len(buf), 4096):
            blk = buf[b:b + 4096]
            if blk != zero[:len(blk)]:
                h.update((at + b).to_bytes(8, "little"))
                h.update(blk)
        at += len(buf)
    off = hole
print(h.hexdigest())
