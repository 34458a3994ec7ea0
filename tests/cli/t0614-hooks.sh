#!/bin/bash
# Stage hooks in the pipeline: the documented environment and argv; a failing pre hook stops
# before its stage with nothing of that stage done; a failing post hook fails the stage and
# resume runs it again. And the ticket system's hook (hooks/ticket/rt-new-vm) turning a
# ticket's fields into the request provision receives.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/cli/pipeline-lib.sh"
H=$T/hooks.d
mkdir -m 755 -p "$H/network.pre.d" "$H/carve.pre.d" "$H/configs.post.d"
hook() { # DIR NAME BODY
	printf '#!/bin/sh\n%s\n' "$3" >"$H/$1/$2"
	chmod 755 "$H/$1/$2"
}

# the environment and argv a hook gets
hook network.pre.d 10-env "{ echo \"argv: \$*\"; env | grep ^PROVISION_ | sort; } > $T/env"
hook carve.pre.d 10-gate "[ ! -e $T/block-carve ] || { echo 'LUN frozen for backup' >&2; exit 3; }"
touch "$T/block-carve"
before=$(world)
run 1 "$PROVISION" new-guest web1 --template lab --vlan 10 --until configs
expect_err "hook '$H/carve.pre.d/10-gate' failed with exit status 3"
expect_err "note: hook stderr: LUN frozen for backup"
expect_err "stage 'carve' of guest 'web1' failed"
# nothing of the carve stage happened: the GPT tables are as before
expect_eq "$(gpt "$T/lun0.img"; gpt "$T/lun1.img")" ""
expect_eq "$(sql "SELECT stage, state FROM guests")" "allocate|failed"
rm "$T/block-carve"
run 0 "$PROVISION" resume web1 --until network
expect_eq "$(sed -n 1p "$T/env")" "argv: web1 network pre"
uuid=$(sql "SELECT partuuid FROM guests")
ip=$(sql "SELECT ip FROM guests")
# the documented variables (what the hook inherits besides them does not matter here)
doc='BOOT_CFG|BRIDGE|DEVICE|GUEST|INSTALL_CFG|IP|LUN|MAC|OWNER|PARTITION|REQUEST_ID|SITE|STAGE|STATE_DIR|TEMPLATE|VLAN'
expect_eq "$(grep -E "^PROVISION_($doc)=" "$T/env")" "PROVISION_BOOT_CFG=$T/configs/web1.boot.cfg
PROVISION_BRIDGE=br10
PROVISION_DEVICE=$T/lun0.img1
PROVISION_GUEST=web1
PROVISION_INSTALL_CFG=$T/configs/web1.install.cfg
PROVISION_IP=10.10.0.50
PROVISION_LUN=$T/lun0.img
PROVISION_MAC=00:16:3e:28:7a:35
PROVISION_OWNER=
PROVISION_PARTITION=$uuid
PROVISION_REQUEST_ID=
PROVISION_SITE=$T/site.yaml
PROVISION_STAGE=network
PROVISION_STATE_DIR=$T/state
PROVISION_TEMPLATE=lab
PROVISION_VLAN=10"

# a failing post hook: the configs are written, the stage is not recorded; resume re-runs it
hook configs.post.d 50-dns "[ -e $T/dns-ok ] || { echo 'nsupdate: REFUSED' >&2; exit 1; }"
run 1 "$PROVISION" resume web1 --until configs
expect_err "hook '$H/configs.post.d/50-dns' failed with exit status 1"
[ -e "$T/configs/web1.boot.cfg" ] || fail "configs not written"
expect_eq "$(sql "SELECT stage, state FROM guests")" "network|failed"
touch "$T/dns-ok"
run 0 "$PROVISION" resume web1 --until configs
expect_out "unchanged $T/configs/web1.boot.cfg"
expect_eq "$(sql "SELECT stage, state FROM guests")" "configs|ok"
expect_eq "$(sql "SELECT count(*) FROM events WHERE what = 'hook configs.post' AND result = 'failed'")" 1

# an unsafe hook is refused before anything runs
chmod 777 "$H/configs.post.d/50-dns"
run 1 "$PROVISION" new-guest web2 --template lab --vlan 10 --until configs
expect_err "refusing hook '$H/configs.post.d/50-dns': writable by group or others"
rm -rf "$H"

# the ticket system's hook: a ticket's fields in, the request provision receives out (its JSON)
RT_CF_HOSTNAME=web3 RT_CF_TEMPLATE=lab RT_CF_VLAN=10 RT_CF_MEMORY=1G RT_REQUESTOR=bob@example.org \
	PROVISION_ARGS="--until configs" run 0 "$SRCDIR/hooks/ticket/rt-new-vm" 4711
python3 - "$T/out" <<'PY' || fail "ticket hook result"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["ok"] and j["name"] == "web3" and j["request_id"] == "RT-4711", j
assert j["template"] == "lab" and j["vlan"] == 10 and j["stage"] == "configs", j
PY
n_checks=$((n_checks + 1))
expect_eq "$(sql "SELECT name, template, vlan, request_id, owner FROM guests WHERE name = 'web3'")" \
	"web3|lab|10|RT-4711|bob@example.org"
expect_xl "$T/configs/web3.boot.cfg" memory 1024
# the scrip fires again: still one guest
RT_CF_HOSTNAME=web3 RT_CF_TEMPLATE=lab RT_CF_VLAN=10 RT_CF_MEMORY=1G RT_REQUESTOR=bob@example.org \
	PROVISION_ARGS="--until configs" run 0 "$SRCDIR/hooks/ticket/rt-new-vm" 4711
expect_eq "$(sql "SELECT count(*) FROM guests WHERE name = 'web3'")" 1
# hostile ticket text never reaches provision
RT_CF_HOSTNAME='web4;reboot' RT_CF_VLAN=10 run 2 "$SRCDIR/hooks/ticket/rt-new-vm" 4712
expect_err_line "rt-new-vm: ticket 4712: invalid hostname 'web4;reboot'"
RT_CF_HOSTNAME=web4 RT_CF_VLAN='10 --force' run 2 "$SRCDIR/hooks/ticket/rt-new-vm" 4712
expect_eq "$(sql "SELECT count(*) FROM guests WHERE name = 'web4'")" 0
done_testing
