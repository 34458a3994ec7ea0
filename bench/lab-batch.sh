#!/bin/bash
# Benchmark (not a test; run by hand as root, about 30 min with a warm lab cache): in the Xen
# lab (tests/lab), one guest end to end against a batch of three end to end, in one lab run on
# the same Dom0 (tests/lab/tests/bench-batch.sh). Prints both wall times, each batch guest's
# install and boot time, and the ratio batch/one; the goal is at most 2.
#
# Usage: bench/lab-batch.sh    (LAB_* variables as for tests/lab/run)
set -eu
. "$(dirname "$0")/lab-bench.sh"
lab_bench bench-batch batch
