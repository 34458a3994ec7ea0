#!/bin/bash
# A run killed while writing the configs leaves NAME.install.cfg.tmp.XXXXXX or
# NAME.boot.cfg.tmp.XXXXXX (write_file_atomic's temporary) in config_dir: resume (the configs
# stage) and destroy remove exactly those of the guest, and leave alone every other file,
# however alike its name (another guest's, one character more or less, a directory, a symlink).
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"

C=$T/configs
echo "outside" >"$T/outside"
run 0 "$PROVISION" new-guest keep --template lab --vlan 10 --until configs
before=$(world)

# plant NAME's leftovers as a kill leaves them: a partial file, an empty 0600 one
plant() {
	printf 'name = "t1"\nmemo' >"$C/t1.boot.cfg.tmp.Ab3dE9"
	install -m 0600 /dev/null "$C/t1.install.cfg.tmp.Zz0000"
}
plant
# and what is not t1's temporary
for f in t1.boot.cfg.tmp.Ab3dE t1.boot.cfg.tmp.Ab3dE9x t1.boot.cfg.tmp.Ab_dE9 t10.boot.cfg.tmp.Ab3dE9 \
	xt1.boot.cfg.tmp.Ab3dE9 t1.boot.cfg.TMP.Ab3dE9 t1.boot.cfg.bak t1.cfg.tmp.Ab3dE9; do
	echo "foreign $f" >"$C/$f"
done
mkdir "$C/t1.boot.cfg.tmp.Dir123" && echo inside >"$C/t1.boot.cfg.tmp.Dir123/f"
ln -s "$T/outside" "$C/t1.install.cfg.tmp.Lnk123"
# foreign: every entry of config_dir but the configs and t1's temporaries, with content
foreign() {
	(cd "$C" && find . -mindepth 1 ! -name '*.install.cfg' ! -name '*.boot.cfg' \
		! -name t1.boot.cfg.tmp.Ab3dE9 ! -name t1.install.cfg.tmp.Zz0000 -printf '%y %p %l\n' \
		-type f -exec sha256sum {} + | sort)
}
foreign_before=$(foreign)
expect_eq "$(echo "$foreign_before" | grep -c '^[dfl] ')" 11

# killed after the network stage: resume runs the configs stage
PROVISION_TEST_CRASH_AFTER=network run 99 "$PROVISION" new-guest t1 --template lab --vlan 10 --until configs
run 0 "$PROVISION" resume t1 --until configs
expect_out "ok: guest 't1': stage configs done"
expect_out "  removed leftover $C/t1.install.cfg.tmp.Zz0000"
expect_out "  removed leftover $C/t1.boot.cfg.tmp.Ab3dE9"
expect_eq "$(grep -c leftover "$T/out")" 2
[ ! -e "$C/t1.boot.cfg.tmp.Ab3dE9" ] && [ ! -e "$C/t1.install.cfg.tmp.Zz0000" ] ||
	fail "resume left t1's temporary files"
expect_eq "$(foreign)" "$foreign_before"
expect_eq "$(cat "$T/outside")" outside
expect_xl "$C/t1.boot.cfg" name t1

# destroy: -n says what it would remove and removes nothing, then removes them
plant
run 0 "$PROVISION" destroy t1 --yes -n
expect_out "  would remove leftover $C/t1.boot.cfg.tmp.Ab3dE9"
expect_out "  would remove leftover $C/t1.install.cfg.tmp.Zz0000"
[ -e "$C/t1.boot.cfg.tmp.Ab3dE9" ] && [ -e "$C/t1.install.cfg.tmp.Zz0000" ] || fail "destroy -n removed"
run 0 "$PROVISION" destroy t1 --yes
expect_out "  removed leftover $C/t1.boot.cfg.tmp.Ab3dE9"
expect_out "  removed leftover $C/t1.install.cfg.tmp.Zz0000"
expect_eq "$(foreign)" "$foreign_before"
expect_eq "$(cat "$T/outside")" outside
# without the foreign files, the LUNs, config_dir and the live inventory are as before
(cd "$C" && rm -r t1.boot.cfg.tmp.Dir123 t1.install.cfg.tmp.Lnk123 t1.boot.cfg.tmp.Ab3dE \
	t1.boot.cfg.tmp.Ab3dE9x t1.boot.cfg.tmp.Ab_dE9 t10.boot.cfg.tmp.Ab3dE9 xt1.boot.cfg.tmp.Ab3dE9 \
	t1.boot.cfg.TMP.Ab3dE9 t1.boot.cfg.bak t1.cfg.tmp.Ab3dE9)
expect_eq "$(world)" "$before"
expect_eq "$(ls -A "$C" | sort | tr '\n' ' ')" "keep.boot.cfg keep.install.cfg "
done_testing
