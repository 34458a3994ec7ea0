#!/bin/bash
# The golden corpus: every tests/data/templates/CASE.yaml is malformed and CASE.err holds the
# exact stderr it must produce. site-*.yaml are site files (loaded by a command that needs
# the site), the others templates, given to `template check` and to `render` (which would
# print the configs) with a good site. Each must fail with status 1 (a template) or 2 (a
# site file: bad input for every command), print nothing on stdout, and write nothing anywhere.
. "$SRCDIR/tests/cli/lib.sh"

data=$SRCDIR/tests/data/templates
# a copy of the data to run in: afterwards it must equal the original, with no file added
cp -a "$data" "$T/data"
mkdir "$T/config" "$T/state"
sed -e "s|/etc/xen/provision|$T/config|" -e "s|/var/lib/provision|$T/state|" \
	-e "s|\[/etc/provision/templates\]|[$T/templates]|" "$SRCDIR/templates/site.yaml" >"$T/site.yaml"
rm -rf /tmp/provision-corpus # the site cases name it; nothing may create it
touch "$T/stamp"
sleep 1 # mtimes written after this are newer than the stamp

n=0
cd "$T/data" || fail "cannot enter $T/data"
for f in *.yaml; do
	c=${f%.yaml}
	[ -f "$c.err" ] || fail "$c.yaml has no $c.err"
	case $c in
	# a check that finds errors fails (1); a command given a bad template or site: bad input (2)
	site-*) cmds=("template list") wants=(2) ;;
	*) cmds=("template check $f" "render corpus1 --vlan 53 --template $f") wants=(1 2) ;;
	esac
	for i in "${!cmds[@]}"; do
		cmd=${cmds[$i]} want=${wants[$i]}
		site=$T/site.yaml
		[[ $c == site-* ]] && site=$f
		# shellcheck disable=SC2086 # the command's words
		run $want "$PROVISION" --site "$site" $cmd
		n_checks=$((n_checks + 1))
		if ! diff -u "$c.err" "$T/err" >&2; then
			fail "$c: '$cmd': stderr differs from $c.err (above: - expected, + got)"
		fi
		expect_eq "$(cat "$T/out")" ""
	done
	n=$((n + 1))
done
for e in *.err; do
	[ -f "${e%.err}.yaml" ] || fail "$e has no ${e%.err}.yaml"
done
[ "$n" -ge 30 ] || fail "only $n cases, want at least 30"

# nothing written: not in the data, not in config_dir or state_dir, not in the site's dirs
cd "$T" || fail "cannot enter $T"
n_checks=$((n_checks + 1))
diff -r "$data" "$T/data" >&2 || fail "the data directory changed"
expect_eq "$(find "$T/data" "$T/config" "$T/state" -newer "$T/stamp" | wc -l)" 0
expect_eq "$(find "$T/config" "$T/state" -mindepth 1 | wc -l)" 0
[ ! -e /tmp/provision-corpus ] || fail "/tmp/provision-corpus was created"

# the control: with a good template the same command prints both configs (a preview: it
# writes nothing, not even into config_dir)
run 0 "$PROVISION" --site "$T/site.yaml" render corpus1 --vlan 53 --template debian
expect_eq "$(grep -c '^name = "corpus1"$' "$T/out")" 2
expect_eq "$(find "$T/config" "$T/state" -mindepth 1 | wc -l)" 0
echo "$n cases"
done_testing
