#!/bin/bash
# The manual pages (scdoc, built into roff by meson): each renders with `man --warnings=w` (all
# of groff's warnings) and not one; provision(8) names every command and option of the command
# table (its COMMANDS section is generated from it, like `provision help`). The check itself is
# checked: a page with a roff mistake must fail it (and an overlong word in a page's source
# did: "can't break line").
. "$SRCDIR/tests/cli/lib.sh"
pages=("$BUILDDIR"/man/provision.8 "$BUILDDIR"/man/provision-*.5)
if [ ! -f "$BUILDDIR/man/provision.8" ] || ! command -v man >/dev/null; then
	echo "skip: no manual pages built (scdoc) or no man(1)"
	exit 77
fi
expect_eq "${#pages[@]}" 4

# render PAGE: man's and groff's warnings on stderr (in $T/err), the text on stdout
render() { LC_ALL=C.UTF-8 MANWIDTH=80 MAN_KEEP_FORMATTING= man --warnings=w -E UTF-8 -l "$1"; }

for p in "${pages[@]}"; do
	run 0 render "$p"
	[ -s "$T/err" ] && { cat "$T/err" >&2; fail "${p##*/}: man --warnings warns"; }
	n_checks=$((n_checks + 1))
	[ "$(wc -l <"$T/out")" -gt 30 ] || fail "${p##*/}: hardly any text"
done

# the check fails on a warning: an unknown request and a bad escape
sed -e '0,/^\.SH/s//.XY bogus\n&/' -e 's/^\(provision - \)/\\kq\1/' "$BUILDDIR/man/provision.8" >"$T/bad.8"
render "$T/bad.8" >/dev/null 2>"$T/err"
n_checks=$((n_checks + 1))
[ -s "$T/err" ] || fail "a page with a roff mistake renders without a warning: the check checks nothing"

# provision(8) documents every command and every option `provision help CMD` shows
run 0 render "$BUILDDIR/man/provision.8"
cp "$T/out" "$T/man.txt"
"$PROVISION" help | sed -n '/^commands:/,/^$/{s/^  \([a-z-]* \?[a-z]*\)  .*/\1/p}' |
	sed 's/ *$//' >"$T/cmds"
expect_eq "$(wc -l <"$T/cmds")" "$("$PROVISION" help | sed -n '/^commands:/,/^$/p' | grep -c '^  ')"
while read -r c; do
	n_checks=$((n_checks + 1))
	grep -q "^       $c\( \|$\)" "$T/man.txt" || fail "provision(8) lacks command '$c'"
	for o in $("$PROVISION" help $c | grep -o -- '--[a-z-]*' | sort -u); do
		grep -q -- "$o" "$T/man.txt" || fail "provision(8) lacks '$c $o'"
	done
done <"$T/cmds"
done_testing
