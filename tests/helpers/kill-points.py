#!/usr/bin/python3
# kill-points.py TRACE SEED RUNS START: where tests/cli/t0652-pipeline-kill.sh kills provision.
#
# TRACE is `strace -qq -T -o TRACE provision new-guest ...` of one whole run (one process, no
# -f). A process killed between two syscalls leaves the same world as one killed at the entry
# of the next syscall that changes something (a write, rename, fsync, lock, a child started...),
# so the kill points are the entries of those syscalls from the first line containing START
# (the guest's lock) on, in two pools:
#   own    provision's own files (state_dir/guests, state_dir/locks, config_dir): every point
#          gets a run of its own, up to 2/5 of the runs, the mode alternating point by point
#          and the name fresh or used before every other pair (a crash window there is a few
#          syscalls wide, and some show only with one mode, or only with a name used before);
#   other  SQLite, the GPT, libext2fs, the children: the other runs, stratified (RUNS' share
#          of equal strata in trace order, a random point in each: every window wider than
#          a stratum is hit), the mode random. While provision waits for a child (mke2fs: the
#          read of its stderr pipe) the child changes the world: that wait counts as a tenth
#          of the pool, each a kill after a delay into the child's run (0 to 1.2 times as long
#          as it took in TRACE).
# The runs come in a shuffled order, all from SEED.
#
# One line per run: "KIND A B INDEX NAME MODE MEMORY WHAT". KIND "strace": strace's
# `-e inject=A:signal=KILL:when=B` kills at the point (injection counts each syscall
# separately); KIND "child": kill provision A seconds after it started the child (B is "-").
# INDEX is the line in TRACE, NAME the guest (a few names, each used many times, or "fresh":
# a name of its own), MODE
# "resume" (resume, then destroy) or "destroy" (destroy right away), MEMORY the --memory of
# the run, WHAT the syscall as traced (shortened).
import random
import re
import sys

trace, seed, runs, start = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

ALWAYS = {
    "pwrite64", "pwritev", "pwritev2", "fsync", "fdatasync", "sync_file_range",
    "rename", "renameat", "renameat2", "link", "linkat", "unlink", "unlinkat",
    "mkdir", "mkdirat", "rmdir", "symlink", "symlinkat", "truncate", "ftruncate",
    "fchmod", "fchmodat", "chmod", "fchown", "fallocate", "flock", "ioctl",
    "clone", "clone3", "vfork", "fork", "wait4", "waitid", "kill", "tgkill",
}
OWN = re.compile(r"/state/(guests|locks)\b|/configs\b")
LINE = re.compile(r"^([a-z_0-9]+)\((.*)$")


def changes(name, args):
    if name in ALWAYS:
        return True
    if name in ("write", "writev"):  # not the progress on stdout/stderr
        return not re.match(r"[12],", args)
    if name in ("open", "openat"):
        return "O_CREAT" in args or "O_TRUNC" in args
    if name == "fcntl":  # SQLite's locks
        return re.search(r"F_SETLKW?|F_OFD_SETLKW?", args) is not None
    return False


seen = {}
own, other, waits = [], [], []
pipes, fds = set(), {}
started = False
with open(trace, errors="replace") as f:
    for i, line in enumerate(f, 1):
        m = LINE.match(line)
        if not m:
            continue  # signals, exit
        name, args = m.group(1), m.group(2)
        seen[name] = seen.get(name, 0) + 1
        started = started or start in line
        t = re.search(r" <([0-9.]+)>$", line)
        what = re.sub(r"/tmp/prov-cli\.[^/]+", "$T", name + "(" + args)
        what = re.sub(r"\s+", " ", re.sub(r" <[0-9.]+>$", "", what))[:90]
        fd = re.match(r"(\d+)[,)]", args)
        fd = fd.group(1) if fd else None
        p = re.match(r"pipe2?\(\[(\d+), \d+\]", line)
        if p:
            pipes.add(p.group(1))
        r = re.search(r"\) += (\d+)(?: <[0-9.]+>)?$", line)  # what an fd now is
        if r and name in ("open", "openat", "creat"):
            fds[r.group(1)] = re.search(r'"([^"]*)"', args).group(1)
        elif r and name in ("dup", "dup2", "dup3", "fcntl", "socket", "accept", "accept4"):
            fds.pop(r.group(1), None)
        if name == "read" and fd in pipes:
            if started and t and float(t.group(1)) >= 0.001:  # not the exec check
                waits.append((float(t.group(1)), i, what))
        elif started and changes(name, args):
            mine = OWN.search(args) or (fd in fds and OWN.search(fds[fd] + "/"))
            (own if mine else other).append(("strace", name, seen[name], i, what))
        if name == "close" and fd:
            fds.pop(fd, None)
            pipes.discard(fd)
if not own or not other:
    sys.exit("kill-points.py: no kill points in " + trace)
# a tenth of the other pool while a child runs, spread over its run
n_wait = len(other) // 9 if waits else 0
for k in range(n_wait):
    dur, i, what = waits[k % len(waits)]
    other.append(("child", k, dur, i, "while the child runs: " + what))
other.sort(key=lambda p: p[3])
n_own = min(len(own), runs * 2 // 5)
print(f"{len(own)} kill points in provision's own files ({n_own} runs), {len(other)} others"
      f" ({runs - n_own} runs), {n_wait} of them while a child runs", file=sys.stderr)

rng = random.Random(seed)
modes = ["resume", "destroy"]
plan = []
for s in range(n_own):  # every point when there are enough runs, else stratified
    lo = s * len(own) // n_own
    hi = max(lo + 1, (s + 1) * len(own) // n_own)
    plan.append((own[rng.randrange(lo, hi)], modes[(s + seed) % 2], s // 2 % 2 == 0))
for s in range(runs - n_own):
    lo = s * len(other) // (runs - n_own)
    hi = max(lo + 1, (s + 1) * len(other) // (runs - n_own))
    plan.append((other[rng.randrange(lo, min(hi, len(other)))], rng.choice(modes),
                 rng.random() < 0.2))
rng.shuffle(plan)
for (kind, a, b, index, what), mode, fresh in plan:
    if kind == "child":  # the a-th of n_wait sub-strata of the child's run
        a, b = "%.4f" % ((a + rng.random()) / n_wait * 1.2 * b), "-"
    print(kind, a, b, index, "fresh" if fresh else rng.choice(["k0", "k1", "k2", "k3"]), mode,
          rng.choice(["512M", "640M", "768M"]), what)
