#!/bin/bash
# The example hook hooks/examples/dns-register against a real DNS server: BIND's named, alone in
# the test's network namespace (port 53 on its loopback, nothing leaves the machine), serving
# a throwaway zone lab.example. that takes updates signed with a TSIG key made by tsig-keygen.
# Installed as allocate.post.d/50-dns-register, the A record appears (address and TTL read
# back by dig); run again with a new IP, the record is replaced; without the key, or with a
# wrong one, named refuses the update and the hook fails.
. "$SRCDIR/tests/cli/lib.sh"
for b in named tsig-keygen nsupdate dig; do
	command -v "$b" >/dev/null || { echo "skip: no $b (bind9, bind9-dnsutils)"; exit 77; }
done
. "$SRCDIR/tests/cli/pipeline-lib.sh"
ip link set lo up || fail "cannot bring up lo in the namespace"

# named's files live under /var/cache/bind, the directory Debian gives named for its data and the
# only writable one its AppArmor profile allows (on hosts that enforce it; harmless elsewhere).
N=$(mktemp -d /var/cache/bind/provision-test.XXXXXX) || fail "mktemp in /var/cache/bind"
named_pid=
trap '[ -z "$named_pid" ] || { kill "$named_pid"; wait "$named_pid"; }; rm -rf "$T" "$N"' EXIT
tsig-keygen -a hmac-sha256 dns-register >"$N/dns-register.key" || fail "tsig-keygen"
# the same name with another secret: what a stale copy of the key would be
tsig-keygen -a hmac-sha256 dns-register >"$T/wrong.key" || fail "tsig-keygen"
cat >"$N/lab.example.zone" <<'Z'
$TTL 3600
@	IN SOA	ns.lab.example. hostmaster.lab.example. 1 3600 600 86400 300
@	IN NS	ns.lab.example.
ns	IN A	127.0.0.1
Z
cat >"$N/named.conf" <<C
include "$N/dns-register.key";
options {
	directory "$N";
	pid-file none;
	listen-on port 53 { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
};
controls { };
zone "lab.example" {
	type primary;
	file "$N/lab.example.zone";
	allow-update { key "dns-register"; };
};
C
named-checkconf "$N/named.conf" || fail "named-checkconf"
named -g -c "$N/named.conf" 2>"$N/named.log" &
named_pid=$!
for i in $(seq 100); do
	dig @127.0.0.1 +time=1 +tries=1 +short lab.example SOA 2>/dev/null | grep -q '^ns\.lab\.example\. ' &&
		break
	kill -0 "$named_pid" 2>/dev/null || { cat "$N/named.log" >&2; fail "named did not start"; }
	sleep 0.1
done
[ "$i" -lt 100 ] || { cat "$N/named.log" >&2; fail "named does not answer"; }

# a_records NAME: "TTL ADDRESS" of each A record of NAME, as named serves them now
a_records() {
	dig @127.0.0.1 +noall +answer "$1" A | awk '$4 == "A" { print $2, $5 }' | sort
}

# the hook installed as the docs say, its settings in a hooks.conf (its key file readable by root only)
mkdir -m 755 -p "$T/hooks.d/allocate.post.d"
install -m 755 "$SRCDIR/hooks/examples/dns-register" "$T/hooks.d/allocate.post.d/50-dns-register"
chmod 600 "$N/dns-register.key"
cat >"$T/hooks.conf" <<C
DNS_SERVER=127.0.0.1
DNS_ZONE=lab.example
DNS_KEY=$N/dns-register.key
DNS_TTL=300
C
export PROVISION_HOOK_CONF=$T/hooks.conf
run 0 "$PROVISION" new-guest web1 --template lab --vlan 10 --until allocate
expect_err "dns-register: web1.lab.example A 10.10.0.50"
expect_eq "$(sql "SELECT stage, state FROM guests WHERE name = 'web1'")" "allocate|ok"
expect_eq "$(a_records web1.lab.example)" "300 10.10.0.50"

# a second run with a new address (settings from the environment this time): one A record, the new one
PROVISION_HOOK_CONF=$T/none DNS_SERVER=127.0.0.1 DNS_ZONE=lab.example DNS_KEY=$N/dns-register.key \
	PROVISION_GUEST=web1 PROVISION_IP=10.10.0.77 run 0 "$SRCDIR/hooks/examples/dns-register"
expect_err_line "dns-register: web1.lab.example A 10.10.0.77"
expect_eq "$(a_records web1.lab.example)" "3600 10.10.0.77"

# unsigned, named refuses: the hook fails with nsupdate's answer and the record stays
PROVISION_HOOK_CONF=$T/none DNS_SERVER=127.0.0.1 DNS_ZONE=lab.example \
	PROVISION_GUEST=web1 PROVISION_IP=10.10.0.66 run 2 "$SRCDIR/hooks/examples/dns-register"
expect_err "update failed: REFUSED"
# signed with the wrong secret: named rejects the signature
PROVISION_HOOK_CONF=$T/none DNS_SERVER=127.0.0.1 DNS_ZONE=lab.example DNS_KEY=$T/wrong.key \
	PROVISION_GUEST=web1 PROVISION_IP=10.10.0.66 run 2 "$SRCDIR/hooks/examples/dns-register"
expect_err "update failed: NOTAUTH(BADSIG)"
expect_eq "$(a_records web1.lab.example)" "3600 10.10.0.77"
# and named's own log says why
grep -q "update 'lab.example/IN' denied" "$N/named.log" || fail "named logged no denial"
grep -q "TSIG dns-register: tsig verify failure (BADSIG)" "$N/named.log" || fail "named logged no BADSIG"
n_checks=$((n_checks + 2))
done_testing
