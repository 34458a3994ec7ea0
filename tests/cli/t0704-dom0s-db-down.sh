#!/bin/bash
# The inventory's server goes down in the middle of a run: a PostgreSQL server of this test's
# own (tests/pg-server), stopped by a format.post hook, after the partition was carved and
# formatted but before the stage was recorded. The run fails with "cannot reach the inventory
# at 'URL'", exit 1; other commands say the same; the LUN holds the guest's partition and
# nothing else. After a restart `resume` finishes, and the GPT and the inventory agree.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/dom0s.sh"
dom0s_pg_private
dom0s_luns 1
dom0s_awaits_pg
dom0s_start 1
url="postgresql:///provision?host=$T/pgp/sock"
expect_eq "$DOM0S_INV" "$url"

mkdir -p "$T/hooks.d/format.post.d"
cat >"$T/hooks.d/format.post.d/10-db-down" <<HOOK
#!/bin/sh
exec "$SRCDIR/tests/pg-server" stop "$T/pgp"
HOOK
chmod 755 "$T/hooks.d/format.post.d/10-db-down"

run 1 prov 1 new-guest g1 --template lab --vlan 10 --disk 10G --swap 64M --until configs
expect_err "provision: error: cannot reach the inventory at '$url': "
! grep -q "AddressSanitizer\|runtime error" "$T/err" || fail "a sanitizer report"
n_checks=$((n_checks + 1))
# while it is down, every command that needs it says so
run 1 prov 1 list
expect_err "provision: error: cannot reach the inventory at '$url': "
run 1 prov 1 resume g1 --until configs
expect_err "provision: error: cannot reach the inventory at '$url': "
# on the LUN: g1's partition, nothing else; no configs yet
expect_eq "$(gpt "$T/lun0.img" | cut -d' ' -f1,4)" "1 guest:g1"
expect_eq "$(ls "$T/configs")" ""

rm "$T/hooks.d/format.post.d/10-db-down"
dom0s_pg_restart
# the inventory as the run left it: carved (the PARTUUID on the LUN), format not recorded
dom0s_check_places
expect_eq "$(psql_inv "SELECT stage FROM guests WHERE name = 'g1'")" carve
run 0 prov 1 resume g1 --until configs
expect_out "ok: guest 'g1': stage configs done"
dom0s_check_places
expect_eq "$(gpt "$T/lun0.img" | cut -d' ' -f1,4)" "1 guest:g1"
expect_eq "$(psql_inv "SELECT stage, state FROM guests WHERE name = 'g1'")" "configs|ok"
expect_eq "$(ls "$T/configs" | tr '\n' ' ')" "g1.boot.cfg g1.install.cfg "
done_testing
