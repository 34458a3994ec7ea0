#!/bin/bash
# One LUN under two names in site.yaml (a symlink, "//"): every command that uses the LUNs
# refuses it (exit 2), both entries cited as FILE:LINE:COL, before anything is made; a
# command that does not use them (template list) still works, and so does a LUN that is
# missing now (it is nobody's other name; lun list reports it, allocation uses the others).
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"

G="--template lab --vlan 10"
ln -s "$T/lun0.img" "$T/alias.img"
printf 'template: lab\nvlan: 10\nnames: [lab1]\n' >"$T/b.yaml"
files() { (cd "$T" && find . -path ./out -o -path ./err -o -print | sort); }
before=$(world)
unchanged() {
	expect_eq "$(world)" "$before"
	expect_eq "$(files)" "$files_before"
	expect_eq "$(sql "SELECT count(*) FROM guests")" ""
}
# site WORDS: the test's site with luns: replaced
site() { sed "s|^luns: .*|luns: [$1]|" "$T/site.yaml" >"$T/s2.yaml"; }

for second in "$T/alias.img" "$T//lun0.img"; do
	site "$T/lun1.img, $T/lun0.img, $second"
	c2=$((8 + ${#T} + 9 + 2)) # luns: [LUN1, LUN0, SECOND]
	c3=$((c2 + ${#T} + 9 + 2))
	files_before=$(files)
	for cmd in "new-guest web1 $G" "new-guest web1 $G -n" "batch $T/b.yaml" \
		"lun list" "lun init $T/lun1.img" "lun carve $T/lun1.img --layout 10G" \
		"disk prepare web1 --size 10G" "disk release web1" "resume web1" "destroy web1 --yes"; do
		run 2 "$PROVISION" --site "$T/s2.yaml" $cmd
		expect_err_line "$T/s2.yaml:7:$c3: error: luns: '$second' is the same device as '$T/lun0.img'"
		expect_err_line "$T/s2.yaml:7:$c2: note: '$T/lun0.img' is listed here"
		expect_eq "$(cat "$T/out")" ""
		unchanged
	done
	run 0 "$PROVISION" --site "$T/s2.yaml" template list
	expect_out "lab"
done

# a LUN missing now: the others are used
site "$T/lun0.img, $T/gone.img"
run 1 "$PROVISION" --site "$T/s2.yaml" lun list
expect_out "$T/lun0.img: 200G, gpt"
expect_out "$T/gone.img: unreadable: cannot open '$T/gone.img': No such file or directory"
run 0 "$PROVISION" --site "$T/s2.yaml" new-guest web1 $G --until carve
expect_eq "$(gpt "$T/lun0.img" | awk '{print $4}')" "guest:web1"
done_testing
