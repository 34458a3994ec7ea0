#!/bin/bash
# Benchmark (not a test; run by hand as root, about 45 min with a warm lab cache): in the Xen
# lab (tests/lab), in one lab run on one Dom0 (tests/lab/tests/bench-clone.sh), each timed from
# the command to the guest answering ping on its VLAN:
#   - one guest installed by FAI (provision new-guest), and one cloned from it (--image);
#   - a batch of eight with 'install: once' (one FAI install, seven clones);
#   - the peer: one guest made by Debian's xen-tools (xen-create-image, debootstrap from the
#     lab's mirror, its documented options) onto a partition of the same LUN.
# Prints the times and the ratios: batch of 8 / one FAI install (goal <= 1.3), per clone / one
# install (goal < 0.1), and FAI, clone and xen-tools side by side.
#
# Usage: bench/lab-clone.sh    (LAB_* variables as for tests/lab/run)
set -eu
. "$(dirname "$0")/lab-bench.sh"
lab_bench bench-clone clone
