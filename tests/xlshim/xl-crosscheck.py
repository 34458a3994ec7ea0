#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Cross-check hv_domcfg_to_json() against xl itself.

usage: xl-crosscheck.py DUMP_SAMPLES LIBXLSHIM XL [UNSEEN...]

DUMP_SAMPLES writes NAME.cfg (our xl config) and NAME.json (our libxl_domain_config JSON) for
each sample domain. For each one, Debian's `xl -N create NAME.cfg` runs with the LD_PRELOAD
shim (no hypervisor needed) and prints the libxl_domain_config xl built from our file. The two
JSON documents must be equal everywhere except the few keys that come from xl's own global
settings (/etc/xen/xl.conf) or are random, listed in IGNORED. Every key is compared, so a
field we forget to set (or set although xl would not) is a failure too.

UNSEEN names MUST_SEE fields (dotted, e.g. on_poweroff) that a dumper's samples cannot
contain, because the tool never writes them with a non-default value.

Exit status: 0 all equal, 1 a difference or an xl failure, 77 (skipped) when xl is missing.
"""

import json
import os
import subprocess
import sys
import tempfile

# Paths (tuple of keys) that legitimately differ: xl generates a random UUID, and
# run_hotplug_scripts / claim_mode come from xl.conf, not from the domain config.
IGNORED = {
    ("c_info", "uuid"),
    ("c_info", "run_hotplug_scripts"),
    ("b_info", "claim_mode"),
}

# Fields the issue names; each must be present in at least one sample, so a renamed key in
# a future libxl cannot make the comparison vacuous.
MUST_SEE = {
    ("c_info", "type"), ("c_info", "name"),
    ("b_info", "kernel"), ("b_info", "ramdisk"), ("b_info", "cmdline"),
    ("b_info", "target_memkb"), ("b_info", "max_memkb"),
    ("b_info", "max_vcpus"), ("b_info", "avail_vcpus"), ("b_info", "vcpu_hard_affinity"),
    ("b_info", "type.hvm", "firmware"), ("b_info", "type.hvm", "bios"),
    ("b_info", "type.hvm", "boot"), ("b_info", "type.hvm", "vnc", "enable"),
    ("disks", "pdev_path"), ("disks", "vdev"), ("disks", "format"), ("disks", "readwrite"),
    ("disks", "is_cdrom"), ("disks", "removable"),
    ("nics", "mac"), ("nics", "bridge"), ("nics", "model"), ("nics", "nictype"),
    ("on_poweroff",), ("on_reboot",), ("on_crash",),
}


def diff(ours, theirs, path, out, seen):
    """Append human-readable differences between two JSON values to out."""
    key = tuple(p for p in path if not isinstance(p, int))
    if key in IGNORED:
        return
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for k in sorted(set(ours) | set(theirs)):
            if (key + (k,)) in IGNORED:
                continue
            if k not in ours:
                out.append(f"{'.'.join(map(str, path + [k]))}: xl has {theirs[k]!r}, we have nothing")
            elif k not in theirs:
                out.append(f"{'.'.join(map(str, path + [k]))}: we have {ours[k]!r}, xl has nothing")
            else:
                diff(ours[k], theirs[k], path + [k], out, seen)
        return
    if isinstance(ours, list) and isinstance(theirs, list) and key not in (
            ("b_info", "avail_vcpus"),):
        if len(ours) != len(theirs):
            out.append(f"{'.'.join(map(str, path))}: we have {len(ours)} items, xl {len(theirs)}")
        for i, (a, b) in enumerate(zip(ours, theirs)):
            diff(a, b, path + [i], out, seen)
        seen.add(key)
        return
    seen.add(key)
    if ours != theirs:
        out.append(f"{'.'.join(map(str, path))}: we have {ours!r}, xl has {theirs!r}")


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    dumper, shim, xl = sys.argv[1:4]
    unseen = {tuple(u.split(".")) for u in sys.argv[4:]}
    if not os.access(xl, os.X_OK):
        print(f"skip: {xl} not found (package xen-utils-4.17)")
        return 77
    env = dict(os.environ, LD_PRELOAD=os.path.abspath(shim))
    # The shim must not inherit the sanitizer settings of our own test binaries' world.
    env.pop("ASAN_OPTIONS", None)
    failed = 0
    seen = set()
    with tempfile.TemporaryDirectory(prefix="xlcross.") as tmp:
        subprocess.run([dumper, tmp], check=True)
        names = sorted(f[:-4] for f in os.listdir(tmp) if f.endswith(".cfg"))
        if len(names) < 3:
            print(f"FAIL: only {len(names)} samples written")
            return 1
        for name in names:
            cfg = os.path.join(tmp, name + ".cfg")
            with open(os.path.join(tmp, name + ".json")) as f:
                ours = json.load(f)
            p = subprocess.run([xl, "-N", "create", cfg], env=env, capture_output=True,
                               text=True, timeout=30)
            if p.returncode != 0:
                print(f"FAIL {name}: xl -N create exited {p.returncode}:\n{p.stderr}")
                failed += 1
                continue
            theirs = json.loads(p.stdout)
            out = []
            diff(ours, theirs, [], out, seen)
            if out:
                failed += 1
                print(f"FAIL {name}: our JSON differs from xl's for {cfg}:")
                for line in out:
                    print("  " + line)
                print("--- our file:\n" + open(cfg).read())
            else:
                print(f"ok {name}: {len(p.stdout)} bytes of xl JSON equal to ours")
    missing = MUST_SEE - seen - unseen
    if missing:
        failed += 1
        print("FAIL: never compared: " + ", ".join(".".join(m) for m in sorted(missing)))
    print(f"{len(names) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
