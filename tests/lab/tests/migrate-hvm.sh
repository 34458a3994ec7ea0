#!/bin/bash
# migrate-hvm: the migrate test (tests/migrate.sh, all its steps and checks) with an HVM guest,
# web4 (template migrate-hvm: the lab's hvm-fai with class LABLOAD, 512 MiB), installed by FAI
# on xen1. Debian's Xen cannot log a PV guest's dirty pages (no shadow paging), but HAP logs
# an HVM guest's: this is the lab's live migration, measured as migrate.sh says (total time,
# pages per round, the longest gap in a 10 ms ping loop, downtime/total).
# lab: fai 6000
# lab: hosts 2
# lab: hvm
MIGRATE_HVM=1
. "$(dirname "$0")/migrate.sh"
