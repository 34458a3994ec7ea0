#!/usr/bin/python3
# gpt-overlap.py IMAGE A B: make GPT entry B (1-based) start inside entry A, fixing the CRCs of
# both headers and entry arrays, so the table is "valid" but overlapping (libfdisk and sfdisk
# refuse to write such a table themselves). Test helper only.
import struct, sys, zlib

path, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
SS = 512
with open(path, "r+b") as f:
    def fix(hdr_lba):
        f.seek(hdr_lba * SS)
        hdr = bytearray(f.read(SS))
        assert hdr[:8] == b"EFI PART", "no GPT header"
        hsize = struct.unpack_from("<I", hdr, 12)[0]
        ent_lba, n, esize = struct.unpack_from("<QII", hdr, 72)
        f.seek(ent_lba * SS)
        ents = bytearray(f.read(n * esize))
        a_first = struct.unpack_from("<Q", ents, (a - 1) * esize + 32)[0]
        b_first, b_last = struct.unpack_from("<QQ", ents, (b - 1) * esize + 32)
        shift = b_first - (a_first + 2048)
        struct.pack_into("<QQ", ents, (b - 1) * esize + 32, b_first - shift, b_last - shift)
        f.seek(ent_lba * SS)
        f.write(ents)
        struct.pack_into("<I", hdr, 88, zlib.crc32(bytes(ents)) & 0xFFFFFFFF)
        struct.pack_into("<I", hdr, 16, 0)
        struct.pack_into("<I", hdr, 16, zlib.crc32(bytes(hdr[:hsize])) & 0xFFFFFFFF)
        f.seek(hdr_lba * SS)
        f.write(hdr)
        return struct.unpack_from("<Q", hdr, 32)[0]  # alternate LBA

    backup = fix(1)
    fix(backup)
