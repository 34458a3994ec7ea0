#!/bin/bash
# bench-clone: the lab half of bench/lab-clone.sh (a benchmark, not a test: CI does not run it).
# In one lab run, on the same Dom0, one after the other, each timed from the command to the guest
# answering ping over VLAN 53:
#   fai    provision new-guest one1 --template debian --vlan 53   (the real FAI install)
#   clone  provision new-guest one2 --template labpc --vlan 53 --image gold  (gold: one1, captured;
#          256M, the memory xen-tools gives its guest by default)
#   batch  provision batch: pc1..pc8 with install: once (one FAI install, seven clones)
#   peer   Debian's xen-tools: xen-create-image (debootstrap from the lab's mirror) onto a partition
#          of the same LUN, then xl create (xt_guest in lib.sh; its options: tests/xen-tools.sh)
# Prints LAB-BENCH lines: the times, the batch / fai ratio (goal <= 1.3), the per-clone time of
# the batch / fai (goal < 0.1), and fai, clone and peer side by side with their ratios.
# lab: fai 7200
# lab: mirror 7200
# lab: mem 6144
. "$(dirname "$0")/lib.sh"

bench() { echo "LAB-BENCH: $*"; }
# answers IP: wait (up to 10 min) until IP answers one ping; prints the time it did
answers() { wait_ping "$1" 600 && now; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }'; }

check "FAI server up" fai_server_start || finish
check "templates in place, LUNs labelled" provision_site || finish

step "fai: one guest installed by FAI"
t0=$(now)
prov new-guest one1 --template debian --vlan 53 --until install
check "one1 installed" test $? = 0 || finish
t_inst=$(now)
prov resume one1
check "one1 booted" test $? = 0 || finish
t1=$(answers "$(guest_field one1 ip)") || check "one1 answers" false
t_fai=$(secs "$t0" "$t1")
bench "fai: provision new-guest one1 (FAI install, then boot) until it answers ping: $t_fai s (install $(secs "$t0" "$t_inst") s)"

step "capture one1 as 'gold' (stopped for it; not part of any timed figure)"
# the shut-down domain is destroyed too: left, the capture refused it as running (stop 20)
check "one1 shut down and gone (xl)" shutdown_destroy one1 || finish
prov image capture one1 gold
check "capture exits 0" test $? = 0 || finish
bench "capture of one1: $(grep -o 'read [^ ]* of the guest' $PROV_LAST)"

step "clone: one guest cloned from 'gold'"
t0=$(now)
prov new-guest one2 --template labpc --vlan 53 --image gold
check "one2 cloned and booted" test $? = 0
t1=$(answers "$(guest_field one2 ip)") || check "one2 answers" false
t_clone=$(secs "$t0" "$t1")
bench "clone: provision new-guest one2 --image gold until it answers ping: $t_clone s"
for n in one1 one2; do prov destroy $n --yes > /dev/null; done
prov image delete gold > /dev/null

step "batch: eight lab machines, install: once"
course_batch /tmp/course.yaml
t0=$(now)
prov batch /tmp/course.yaml
check "batch exits 0" test $? = 0
for n in pc{1..8}; do t1=$(answers "$(guest_field $n ip)") || check "$n answers" false; done
t_batch=$(secs "$t0" "$t1")
s=$(prov_when "pc2: stage") e=$(prov_when "pc8: done")
t_clones=$(secs "$s" "$e")
bench "batch: provision batch of 8 (install: once) until all answer ping: $t_batch s; the seven clones from the first one's start to the last one's end: $t_clones s"
bench "batch / fai: $(ratio "$t_batch" "$t_fai") (goal <= 1.3)"
bench "per clone in the batch / fai: $(ratio "$(awk -v a="$t_clones" 'BEGIN { print a / 7 }')" "$t_fai") (goal < 0.1); one clone alone / fai: $(ratio "$t_clone" "$t_fai")"
for n in pc{1..8}; do prov destroy $n --yes > /dev/null; done
prov image delete course > /dev/null

step "peer: Debian's xen-tools (tests/xen-tools.sh has its options and why)"
check "the lab's Debian mirror is served" mirror_server_start
dev=$(xt_part /dev/fc/fc-p1d2 2G xt:xt1)
t=$(xt_guest xt1 10.53.0.120 "$dev")
check "xen-create-image made xt1 and it answers ping over VLAN 53" test $? = 0
echo "$t"
t_xt=$(echo "$t" | sed -n 's/^XT-TIME: .* total=\([0-9.]*\).*/\1/p')
bench "peer: xen-create-image + xl create xt1 until it answers ping: ${t_xt:-?} s ($(echo "$t" | grep '^XT-TIME' | cut -d' ' -f3-))"
bench "side by side (command to ping): xen-tools ${t_xt:-?} s, provision FAI $t_fai s, provision clone $t_clone s"
bench "ratios: FAI / xen-tools $(ratio "$t_fai" "${t_xt:-0}"), clone / xen-tools $(ratio "$t_clone" "${t_xt:-0}"), clone / FAI $(ratio "$t_clone" "$t_fai")"
finish
