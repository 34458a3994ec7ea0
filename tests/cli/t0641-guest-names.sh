#!/bin/bash
# A guest NAME is checked before anything is made, by one check for every command that takes
# one (the dispatcher), and for requests and batch files (where the name is written): a name
# like ../../x never becomes a lock file, a directory, a spec or a config path. Exit 2.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"

G="--template lab --vlan 10"
msg() { echo "provision: error: invalid guest name '$1' (1 to 63 of a-z, 0-9 and '-', not starting or ending with '-')"; }
esc=../../../../tmp/x/sub/escape
rm -rf /tmp/x
# everything a run could make: under $T, and where the name would escape to
files() { { (cd "$T" && find . -path ./out -o -path ./err -o -print | sort); ls -d /tmp/x 2>&1; } }
before=$(world)
files_before=$(files)
unchanged() {
	expect_eq "$(world)" "$before"
	expect_eq "$(files)" "$files_before"
	expect_eq "$(sql "SELECT count(*) FROM guests")" ""
}

# every command that takes NAME, with and without -n
for cmd in "destroy $esc --yes" "destroy $esc -n" "resume $esc" "resume $esc -n" "show $esc" \
	"new-guest $esc $G" "new-guest $esc $G -n" "render $esc $G" "render $esc $G -n" \
	"disk prepare $esc --size 10G" "disk prepare $esc --size 10G -n" "disk release $esc"; do
	run 2 "$PROVISION" $cmd
	expect_err_line "$(msg "$esc")"
	unchanged
done
for bad in Web1 web- web_1 "web1;rm" "" "$(printf 'a%.0s' {1..64})" .. web1.example; do
	run 2 "$PROVISION" resume "$bad"
	expect_err_line "$(msg "$bad")"
	run 2 "$PROVISION" destroy "$bad" --yes
	expect_err_line "$(msg "$bad")"
done
unchanged
# nothing was looked up: a bad name is refused even before the site file is read
run 2 "$PROVISION" --site /nonexistent/site.yaml destroy "$esc" --yes
expect_err_line "$(msg "$esc")"

# in a request: at the name's place
printf 'request_id: RT-1\nname: "%s"\ntemplate: lab\nvlan: 10\n' "$esc" >"$T/r.yaml"
files_before=$(files)
run 2 "$PROVISION" new-guest --request "$T/r.yaml"
expect_err_line "$T/r.yaml:2:7: error: name: invalid guest name '$esc' (1 to 63 of a-z, 0-9 and '-', not starting or ending with '-')"
unchanged
# in a batch file: at the name's place
printf 'template: lab\nvlan: 10\nnames: [lab1, "%s"]\n' "$esc" >"$T/b.yaml"
files_before=$(files)
run 2 "$PROVISION" batch "$T/b.yaml"
expect_err_line "$T/b.yaml:3:15: error: names: invalid guest name '$esc' (1 to 63 of a-z, 0-9 and '-', not starting or ending with '-')"
unchanged

# a good name goes through, and the hooks see it as given
mkdir -p "$T/hooks.d/allocate.pre.d"
printf '#!/bin/sh\necho "$PROVISION_GUEST $1" >"%s/hook.out"\n' "$T" >"$T/hooks.d/allocate.pre.d/10-name"
chmod 755 "$T/hooks.d/allocate.pre.d/10-name"
run 0 "$PROVISION" new-guest web-1 $G --until allocate
expect_eq "$(cat "$T/hook.out")" "web-1 web-1"
expect_eq "$(ls /tmp/x 2>&1 >/dev/null | wc -l)" 1
done_testing
