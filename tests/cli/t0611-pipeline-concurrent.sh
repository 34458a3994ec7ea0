#!/bin/bash
# 32 concurrent `new-guest --until configs` (as ticket hooks fire them) against two 200 GiB
# image LUNs with room for 12 guests of 30G: each run either finishes or fails cleanly with
# "no space", and no partition, MAC, IP or name is handed out twice: checked against the GPT
# tables with sfdisk, not only against the inventory.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"

N=32
for i in $(seq -w 1 $N); do
	"$PROVISION" new-guest "lab$i" --template lab --vlan 10 --disk 30G --swap 64M \
		--until configs >"$T/run$i.out" 2>"$T/run$i.err" &
done
wait
ok=0 nospace=0
for i in $(seq -w 1 $N); do
	if grep -q "^ok: guest 'lab$i': stage configs done" "$T/run$i.out"; then
		ok=$((ok + 1))
	elif grep -Eq "no (space|room) for a (partition of 30G|30G partition) for guest 'lab$i'" "$T/run$i.err"; then
		nospace=$((nospace + 1))
	else
		cat "$T/run$i.out" "$T/run$i.err" >&2
		fail "lab$i neither finished nor failed with 'no space'"
	fi
done
expect_eq "$((ok + nospace))" $N
expect_eq "$ok" 12 # 6 x 30G on each 200G LUN

# the GPT tables (sfdisk): 12 partitions, distinct, not overlapping, each guest:NAME once
{ gpt "$T/lun0.img" | sed "s|^|lun0 |"; gpt "$T/lun1.img" | sed "s|^|lun1 |"; } >"$T/parts"
expect_eq "$(wc -l <"$T/parts")" 12
expect_eq "$(cut -d' ' -f5 "$T/parts" | sort -u | wc -l)" 12
python3 - "$T/parts" <<'PY' || fail "overlapping partitions"
import sys
by = {}
for l in open(sys.argv[1]):
    lun, n, start, size, name, uuid = l.split()
    by.setdefault(lun, []).append((int(start), int(size)))
for lun, v in by.items():
    v.sort()
    for (a, b), (c, d) in zip(v, v[1:]):
        assert a + b <= c, (lun, a, b, c)
PY
n_checks=$((n_checks + 1))
# the inventory agrees with the GPT, and MACs and IPs are distinct
expect_eq "$(sql "SELECT count(*), count(DISTINCT mac), count(DISTINCT ip), count(DISTINCT partuuid) FROM guests WHERE destroyed_usec IS NULL")" "12|12|12|12"
expect_eq "$(sql "SELECT 'guest:' || name, lower(partuuid) FROM guests WHERE destroyed_usec IS NULL ORDER BY name" | tr '|' ' ')" \
	"$(awk '{print $5, $6}' "$T/parts" | sort)"
# configs for exactly the 12
expect_eq "$(ls "$T/configs" | wc -l)" 24
expect_bridge br10 vtrunk
done_testing
