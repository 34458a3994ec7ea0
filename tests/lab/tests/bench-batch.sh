#!/bin/bash
# bench-batch: the lab half of bench/lab-batch.sh (a benchmark, not a test: CI does not run it).
# One guest end to end (provision new-guest one1 --template debian --vlan 53), destroyed, then a
# batch of three (b1..b3, same template) end to end, on the same Dom0 in the same lab run.
# Prints both wall times, how busy Xen's CPUs were in each, and the ratio as LAB-BENCH lines
# (goal: batch of 3 <= 2x one guest).
# lab: fai 3600
# lab: mem 6144
. "$(dirname "$0")/lib.sh"

# How busy Xen's CPUs are: every domain's CPU seconds (xl list) sampled every 10 s, so that a
# phase's figure is the sum of the domains' CPU time in it over its wall time x nr_cpus.
cpu_sampler() {
	while :; do
		xl list 2> /dev/null | awk -v t="$(now)" 'NR > 1 { print t, $1 "/" $2, $NF }'
		sleep 10 # xl list costs dom0 CPU under TCG: not too often
	done
}
# busy FROM TO [DOMAIN]: percent of Xen's CPUs busy between two times (seconds since the
# epoch), with DOMAIN: percent of one CPU that domain used
busy() {
	awk -v a="$1" -v b="$2" -v dom="${3:-}" -v n="$(xl info | awk '/^nr_cpus/ { print $3 }')" '
		dom != "" { n = 1; if (index($2, dom "/") != 1) next }
		$1 >= a && $1 <= b { if (!($2 in lo)) lo[$2] = $3; hi[$2] = $3 }
		END { for (k in lo) s += hi[k] - lo[k]; printf "%.0f", 100 * s / ((b - a) * n) }' /tmp/cpu.samples
}
cpu_sampler > /tmp/cpu.samples &

check "FAI server up" fai_server_start || finish
check "templates in place, LUNs labelled" provision_site || finish

t0=$(now)
prov new-guest one1 --template debian --vlan 53
rc=$?
t1=$(now)
t_one=$(since "$t0") busy_one=$(busy "$t0" "$t1") dom0_one=$(busy "$t0" "$t1" Domain-0)
check "one guest: new-guest exits 0" test $rc = 0
prov destroy one1 --yes
check "one guest: destroyed" test $? = 0
sleep 35 # the FAI monitor relay leaves 30 s after the last install: both sides start it

printf 'name: bench\ntemplate: debian\nvlan: 53\nnames: "b{1..3}"\n' > /tmp/bench.yaml
t0=$(now)
prov batch /tmp/bench.yaml
rc=$?
t1=$(now)
t_batch=$(since "$t0") busy_batch=$(busy "$t0" "$t1") dom0_batch=$(busy "$t0" "$t1" Domain-0)
cp /tmp/cpu.samples "$OUT/cpu.samples"
check "batch of 3: exits 0" test $rc = 0
check "batch of 3: all at once" grep -q "3 guests, template debian, up to boot, 3 at once" $PROV_LAST
for n in b1 b2 b3; do
	s=$(prov_when "$n: stage install") e=$(prov_when "$n: stage boot") d=$(prov_when "$n: done")
	echo "LAB-BENCH: $n: install $(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.0f", b - a }') s, boot $(awk -v a="$e" -v b="$d" 'BEGIN { printf "%.0f", b - a }') s"
done
echo "LAB-BENCH: one guest end to end: $t_one s (Xen's CPUs ${busy_one}% busy; dom0 ${dom0_one}% of one CPU)"
echo "LAB-BENCH: batch of 3 end to end: $t_batch s (Xen's CPUs ${busy_batch}% busy; dom0 ${dom0_batch}% of one CPU)"
echo "LAB-BENCH: ratio batch/one: $(awk -v a="$t_batch" -v b="$t_one" 'BEGIN { printf "%.2f", a / b }') (goal <= 2)"
finish
