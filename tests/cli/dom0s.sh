# Several Dom0s on one machine, for tests/cli/t07NN-*.sh (suite 'root'), sourced after lib.sh.
#
# Each simulated Dom0 is a mount + network namespace kept alive by a holder process (it ends
# with the test, even one killed by SIGKILL). In it:
#   - the site's one site.yaml, config_dir ($T/configs), templates and hooks, shared;
#   - its own state_dir, $T/dom0/xenN/state bound over the site's $T/state;
#   - its own view of the FC LUNs: every Dom0 has a loop device of its own over each shared
#     sparse image, seen at the site's path $T/fc/lunK (a tmpfs of its own at $T/fc holds the
#     symlinks and, as udev would, the partitions' aliases). A loop device per Dom0 and image
#     is what FC gives each host: its own block device, its own page cache and nothing
#     shared but the blocks, so a flock on the device node holds on one Dom0 only (what
#     crosses Dom0s must come from the inventory);
#   - its own trunk, a veth pair vtrunk/vpeer (the site's trunk name), and its own /sys;
#   - a management link mgmt0, 198.18.0.N/24 on a bridge in a "switch" namespace of the
#     test's own (RFC 2544's benchmarking range, never routed; nothing leaves the machine);
#   - PROVISION_HOST=xenN for everything run in it.
# The PostgreSQL server the whole test run shares (tests/run exports PROVISION_TEST_PG, the
# admin URL) is reached through its unix socket directory, which every namespace sees.
#
# API (every function fails the test on a setup error):
#   dom0s_pg_db                  a fresh database in the shared server for this test (dropped
#                                at the end); sets DOM0S_INV to its libpq URL. Exits 77
#                                without PROVISION_TEST_PG.
#   dom0s_site [YAML LINE...]    writes $T/site.yaml (exported as PROVISION_SITE): the pipeline
#                                tests' site with LUNs $T/fc/lun0..; `inventory: $DOM0S_INV`
#                                when set; `ssh: [ssh, -F, $T/ssh/config]` after dom0s_ssh;
#                                then the extra lines. Call it again to change the site.
#                                DOM0S_SITE_SSH=0: no ssh: key (a site for a provision
#                                without it).
#   dom0s_luns [N] [SIZE]        N (2) sparse images of SIZE (200G), GPT labels, before start
#   dom0s_start N                starts xen1..xenN
#   dom0s_ssh                    a real sshd in every Dom0 on its own mgmt0 address, root
#                                login with a key made here; $T/ssh/config (Host xenN) for the
#                                client; call before dom0s_site. Exits 77 without sshd.
#   dom0 N CMD...                runs CMD in Dom0 N (PROVISION_HOST=xenN)
#   prov N ARGS...               runs provision in Dom0 N
#   dom0s_pg_private             a PostgreSQL server of this test's own (tests/pg-server start
#                                $T/pgp), database provision in it; sets DOM0S_INV; stopped
#                                at the end. dom0s_pg_restart starts it again after a stop.
#   dom0s_awaits_pg              exits 77 while the built provision has no PostgreSQL backend
#   dom0s_check_places           the referee: the GPTs (sfdisk) of every LUN and the live
#                                guests of the inventory (psql) agree: exactly one guest:NAME
#                                partition per carved live guest, at its place, with its
#                                PARTUUID, and none else; no overlaps; MACs, IPs distinct
#   psql_inv SQL                 the test database read by psql (-At, '|' between fields)
#   gpt FILE                     "number start size name uuid" lines of a LUN (sfdisk --json;
#                                name "-" when it has none)
#   dom0s_places                 "lunK start size name uuid" of every partition on every LUN
#   dom0s_awaits WHAT COMMAND... exits 77 ("skip: awaits WHAT") unless COMMAND succeeds (run
#                                here, quietly): a feature not on main yet
#   dom0s_has_command NAME       whether the built provision has command NAME
#   dom0s_leaks                  prints what the harness would leave if it stopped now (loops
#                                over its images, mounts under $T, its processes)
#   dom0s_stop                   ends everything (the EXIT trap calls it)
# Variables: DOM0S_N, DOM0S_PID[N] (the holder: its namespaces are the Dom0's), DOM0S_LOOP[N,K].
[ "$(id -u)" = 0 ] || { echo "skip: not root"; exit 77; }
unshare -m -n true 2>/dev/null || { echo "skip: cannot unshare -m -n"; exit 77; }

DOM0S_N=0
DOM0S_NLUNS=0
DOM0S_INV=
DOM0S_DB=
DOM0S_SW=
DOM0S_SSH=0
declare -a DOM0S_PID=() DOM0S_SSHD=()
declare -A DOM0S_LOOP=()
mkdir -p "$T/configs" "$T/state" "$T/templates" "$T/hooks.d" "$T/fc" "$T/dom0" "$T/bin"
ln -s "$PROVISION" "$T/bin/provision" # what `SSH... HOST provision ...` finds on a Dom0
trap 'dom0s_stop; rm -rf "$T"' EXIT

# dom0s_pg_url_host URL: the host= (socket directory) of a libpq URL
dom0s_pg_url_host() {
	sed -n 's/.*[?&]host=\([^&]*\).*/\1/p' <<<"$1"
}

dom0s_pg_db() {
	[ -n "${PROVISION_TEST_PG:-}" ] || { echo "skip: PROVISION_TEST_PG is not set (tests/run starts the server)"; exit 77; }
	local sock
	sock=$(dom0s_pg_url_host "$PROVISION_TEST_PG")
	[ -n "$sock" ] || fail "PROVISION_TEST_PG has no host=SOCKDIR: $PROVISION_TEST_PG"
	DOM0S_DB=prov_$(basename "$0" .sh | tr -c 'a-z0-9\n' _)_$$
	psql -q -X -v ON_ERROR_STOP=1 "$PROVISION_TEST_PG" -c "CREATE DATABASE $DOM0S_DB" ||
		{ DOM0S_DB=; fail "cannot create a database in $PROVISION_TEST_PG"; }
	DOM0S_INV="postgresql:///$DOM0S_DB?host=$sock"
}

dom0s_pg_private() {
	[ -x "$SRCDIR/tests/pg-server" ] || { echo "skip: awaits tests/pg-server (h-pg)"; exit 77; }
	mkdir -p "$T/pgp"
	chmod 711 "$T" # the server runs as postgres
	DOM0S_PGP=$T/pgp
	"$SRCDIR/tests/pg-server" start "$T/pgp" >/dev/null || fail "cannot start a PostgreSQL server"
	psql -q -X -v ON_ERROR_STOP=1 "$(cat "$T/pgp/url")" -c "CREATE DATABASE provision" ||
		fail "cannot create the database"
	DOM0S_INV="postgresql:///provision?host=$T/pgp/sock"
}
# the same server again, as tests/pg-server started it (its start would initdb anew)
dom0s_pg_restart() {
	runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$T/pgp/pg" -l "$T/pgp/server.log" \
		-w -o "-k $T/pgp/sock -c listen_addresses='' -c max_connections=200 -c fsync=off" \
		start >/dev/null || fail "cannot restart the PostgreSQL server"
}

dom0s_awaits_pg() {
	"$PROVISION" list >"$T/out" 2>"$T/err" && return 0
	grep -q "no PostgreSQL support" "$T/err" && { echo "skip: awaits the PostgreSQL backend (h-pg)"; exit 77; }
	# a fresh database: read-only commands do not create the schema
	grep -q "has schema version 0, this provision needs" "$T/err" && return 0
	cat "$T/err" >&2
	fail "provision cannot open the PostgreSQL inventory"
}

dom0s_check_places() {
	dom0s_places >"$T/places"
	psql_inv "SELECT name, lun, part_start, part_size, coalesce(partuuid, '-'), mac, vlan, coalesce(ip, 0)
		FROM guests WHERE destroyed_usec IS NULL AND lun IS NOT NULL" >"$T/rows" ||
		fail "psql"
	python3 - "$T/places" "$T/rows" "$T" <<'PY' || fail "the GPTs and the inventory disagree (above)"
import collections, sys
places, rows, t = sys.argv[1:]
gpt, bad = {}, []
by_lun = collections.defaultdict(list)
for l in open(places):
    lun, n, start, size, name, uuid = l.split()
    by_lun[lun].append((int(start), int(size), n))
    if name.startswith("guest:"):
        if name in gpt:
            bad.append(f"two partitions named {name}")
        gpt[name] = (f"{t}/fc/{lun}", int(start) * 512, int(size) * 512, uuid)
for lun, v in by_lun.items():
    v.sort()
    for (a, b, n), (c, d, m) in zip(v, v[1:]):
        if a + b > c:
            bad.append(f"{lun}: partitions {n} and {m} overlap")
inv, macs, ips = {}, collections.Counter(), collections.Counter()
for l in open(rows):
    name, lun, start, size, uuid, mac, vlan, ip = l.rstrip("\n").split("|")
    macs[mac] += 1
    if ip != "0":
        ips[(vlan, ip)] += 1
    if uuid == "-":
        bad.append(f"guest {name}: a reservation never carved")
        continue
    inv["guest:" + name] = (lun, int(start), int(size), uuid.lower())
for k in sorted(set(gpt) | set(inv)):
    if gpt.get(k) != inv.get(k):
        bad.append(f"{k}: GPT {gpt.get(k)} inventory {inv.get(k)}")
bad += [f"MAC {m} held {c} times" for m, c in macs.items() if c > 1]
bad += [f"IP {i} held {c} times" for i, c in ips.items() if c > 1]
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
	n_checks=$((n_checks + 1))
}

psql_inv() {
	psql -X -At -v ON_ERROR_STOP=1 "$DOM0S_INV" -c "$1"
}

dom0s_site() {
	local l luns= k
	for k in $(seq 0 $((DOM0S_NLUNS - 1))); do
		luns="$luns${luns:+, }$T/fc/lun$k"
	done
	{
		sed -e "s|@T@|$T|g" -e "s|^luns:.*|luns: [$luns]|" "$SRCDIR/tests/data/pipeline/site.yaml"
		[ -z "$DOM0S_INV" ] || echo "inventory: \"$DOM0S_INV\""
		[ "$DOM0S_SSH" = 0 ] || [ "${DOM0S_SITE_SSH:-1}" = 0 ] ||
			echo "ssh: [ssh, -F, $T/ssh/config]"
		for l in "$@"; do echo "$l"; done
	} >"$T/site.yaml"
	export PROVISION_SITE=$T/site.yaml
}

# The images, seen in the test's own namespace through $T/fc/lunK -> $T/lunK.img: referees
# (sfdisk) read the image files, which every Dom0's loop devices write through.
dom0s_luns() {
	local n=${1:-2} size=${2:-200G} k
	[ "$DOM0S_N" = 0 ] || fail "dom0s_luns after dom0s_start"
	DOM0S_NLUNS=$n
	dom0s_site
	for k in $(seq 0 $((n - 1))); do
		truncate -s "$size" "$T/lun$k.img"
		ln -sfn "$T/lun$k.img" "$T/fc/lun$k"
		"$PROVISION" lun init "$T/fc/lun$k" >/dev/null || fail "lun init lun$k"
	done
}

# dom0s_holder: a process in new mount and network namespaces that lives as long as the test
# shell; prints its pid once it is in them
dom0s_holder() {
	local pid i
	unshare -m -n --propagation private tail --pid=$$ -f /dev/null </dev/null >/dev/null 2>&1 &
	pid=$!
	for i in $(seq 100); do
		[ "$(readlink "/proc/$pid/ns/net")" != "$(readlink /proc/self/ns/net)" ] &&
			[ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] &&
			{ echo "$pid"; return 0; }
		sleep 0.05
	done
	kill "$pid" 2>/dev/null
	return 1
}

dom0s_start() {
	local n=$1 i k pid loop
	[ "$DOM0S_NLUNS" -gt 0 ] || dom0s_luns
	DOM0S_SW=$(dom0s_holder) || fail "cannot make the switch namespace"
	nsenter -t "$DOM0S_SW" -n sh -ec 'ip link set lo up; ip link add lan type bridge
		ip link set lan up' || fail "cannot make the switch"
	for i in $(seq 1 "$n"); do
		pid=$(dom0s_holder) || fail "cannot make the namespaces of xen$i"
		DOM0S_PID[$i]=$pid
		DOM0S_N=$i
		mkdir -p "$T/dom0/xen$i/state"
		for k in $(seq 0 $((DOM0S_NLUNS - 1))); do
			loop=$(losetup -f --show "$T/lun$k.img") || fail "losetup lun$k for xen$i"
			DOM0S_LOOP[$i,$k]=$loop # (first: dom0s_stop detaches what is recorded)
			# a loop device keeps partitions told by BLKPG past its detach: an earlier
			# user's would be this Dom0's "kernel's partitions"
			partx -d "$loop" 2>/dev/null || true
		done
		nsenter -t "$pid" -m -n sh -ec '
			mount -t sysfs sysfs /sys
			mount --bind "$1/dom0/xen$2/state" "$1/state"
			mount -t tmpfs -o mode=0755 fc "$1/fc"
			ip link set lo up
			ip link add vtrunk type veth peer name vpeer
			ip link set vpeer up' sh "$T" "$i" || fail "cannot set up xen$i"
		for k in $(seq 0 $((DOM0S_NLUNS - 1))); do
			dom0 "$i" ln -s "${DOM0S_LOOP[$i,$k]}" "$T/fc/lun$k" || fail "link lun$k in xen$i"
		done
		nsenter -t "$DOM0S_SW" -n ip link add "d$i" type veth peer name mgmt0 netns "$pid" &&
			nsenter -t "$DOM0S_SW" -n sh -ec 'ip link set "$1" master lan; ip link set "$1" up' \
				sh "d$i" &&
			dom0 "$i" sh -ec 'ip addr add "198.18.0.$1/24" dev mgmt0; ip link set mgmt0 up' \
				sh "$i" || fail "cannot link xen$i to the switch"
	done
}

dom0() {
	local i=$1
	shift
	[ -n "${DOM0S_PID[$i]:-}" ] || fail "no Dom0 xen$i"
	PROVISION_HOST=xen$i nsenter -t "${DOM0S_PID[$i]}" -m -n -- "$@"
}
prov() {
	local i=$1
	shift
	dom0 "$i" "$PROVISION" "$@"
}

# sshd in every Dom0, listening on its mgmt0 address only. The remote command's environment
# (the site, the build tree's provision first in PATH, ASan's options) is sshd's SetEnv, as
# /etc/environment would give it on a real Dom0.
dom0s_ssh() {
	local i s=$T/ssh
	[ -x /usr/sbin/sshd ] || { echo "skip: no sshd (openssh-server)"; exit 77; }
	mkdir -p "$s" /run/sshd
	chmod 700 "$s"
	ssh-keygen -q -t ed25519 -N '' -C test -f "$s/id" || fail "ssh-keygen"
	cp "$s/id.pub" "$s/authorized_keys"
	: >"$s/known_hosts"
	{
		for i in $(seq 1 "$DOM0S_N"); do
			printf 'Host xen%s\n  HostName 198.18.0.%s\n  HostKeyAlias xen%s\n' "$i" "$i" "$i"
		done
		printf 'Host *\n  User root\n  IdentityFile %s/id\n  IdentitiesOnly yes\n' "$s"
		printf '  UserKnownHostsFile %s/known_hosts\n  GlobalKnownHostsFile /dev/null\n' "$s"
		printf '  StrictHostKeyChecking yes\n  BatchMode yes\n  ConnectTimeout 5\n'
		printf '  LogLevel ERROR\n'
	} >"$s/config"
	for i in $(seq 1 "$DOM0S_N"); do
		ssh-keygen -q -t ed25519 -N '' -C "xen$i" -f "$s/host_xen$i" || fail "ssh-keygen"
		echo "xen$i $(cut -d' ' -f1,2 "$s/host_xen$i.pub")" >>"$s/known_hosts"
		cat >"$s/sshd_xen$i" <<-EOF
			ListenAddress 198.18.0.$i:22
			HostKey $s/host_xen$i
			PidFile none
			AuthorizedKeysFile $s/authorized_keys
			PermitRootLogin prohibit-password
			PasswordAuthentication no
			KbdInteractiveAuthentication no
			UsePAM no
			StrictModes no
			LogLevel INFO
			SetEnv PATH=$T/bin:/usr/sbin:/usr/bin:/sbin:/bin PROVISION_HOST=xen$i PROVISION_SITE=$T/site.yaml PROVISION_TEMPLATES_DIR=${PROVISION_TEMPLATES_DIR:-} ASAN_OPTIONS=${ASAN_OPTIONS:-} UBSAN_OPTIONS=${UBSAN_OPTIONS:-}
		EOF
		# dies with the test shell, like the holders: setpriv's parent is this shell (a
		# simple command, not a function, so that no subshell stands between)
		nsenter -t "${DOM0S_PID[$i]}" -m -n -- setpriv --pdeathsig KILL /usr/sbin/sshd -D -e \
			-f "$s/sshd_xen$i" </dev/null >>"$T/dom0/xen$i/sshd.log" 2>&1 &
		DOM0S_SSHD[$i]=$!
		disown $! # no "Killed" notice when dom0s_stop ends it
	done
	DOM0S_SSH=1
	for i in $(seq 1 "$DOM0S_N"); do
		for _ in $(seq 50); do
			dom0 1 ssh -F "$s/config" "xen$i" true 2>/dev/null && continue 2
			sleep 0.1
		done
		cat "$T/dom0/xen$i/sshd.log" >&2
		fail "sshd of xen$i does not answer"
	done
	[ ! -e "$T/site.yaml" ] || dom0s_site
}

gpt() {
	sfdisk --json "$1" | python3 -c '
import json, sys
t = json.load(sys.stdin)["partitiontable"]
for p in t.get("partitions", []):
    n = p["node"][len(t["device"]):]
    print(n.lstrip("p"), p["start"], p["size"], p.get("name") or "-", p["uuid"].lower())'
}
dom0s_places() {
	local k
	for k in $(seq 0 $((DOM0S_NLUNS - 1))); do
		gpt "$T/lun$k.img" | sed "s|^|lun$k |"
	done
}

dom0s_has_command() {
	"$PROVISION" help "$1" >/dev/null 2>&1
}
dom0s_awaits() {
	local what=$1
	shift
	"$@" >/dev/null 2>&1 || { echo "skip: awaits $what"; exit 77; }
}

dom0s_leaks() {
	losetup -a | grep -F "$T/" || true
	local i k
	for i in $(seq 1 "$DOM0S_N"); do
		for k in $(seq 0 $((DOM0S_NLUNS - 1))); do
			ls -d "/sys/block/${DOM0S_LOOP[$i,$k]#/dev/}/${DOM0S_LOOP[$i,$k]#/dev/}p"* 2>/dev/null
		done
	done
	findmnt -rn -o TARGET | grep -F "$T" || true
	local p
	for p in "${DOM0S_PID[@]}" "${DOM0S_SSHD[@]}" $DOM0S_SW; do
		kill -0 "$p" 2>/dev/null && echo "process $p: $(ps -o args= -p "$p")"
	done
	true
}

dom0s_stop() {
	local p i k
	for p in "${DOM0S_SSHD[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	# whatever still runs in a Dom0 (a provision a test left behind) keeps its namespaces
	# (-ef compares the namespaces' inodes without a process per test: this is fast)
	for q in /proc/[0-9]*; do
		for p in "${DOM0S_PID[@]}"; do
			[ "$q" != "/proc/$p" ] && [ "$q/ns/mnt" -ef "/proc/$p/ns/mnt" ] &&
				kill -KILL "${q#/proc/}" 2>/dev/null
		done
	done 2>/dev/null
	for p in "${DOM0S_PID[@]}" $DOM0S_SW; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	for i in $(seq 1 "$DOM0S_N"); do
		for k in $(seq 0 $((DOM0S_NLUNS - 1))); do
			[ -n "${DOM0S_LOOP[$i,$k]:-}" ] || continue
			partx -d "${DOM0S_LOOP[$i,$k]}" 2>/dev/null # (see dom0s_start)
			losetup -d "${DOM0S_LOOP[$i,$k]}" 2>/dev/null
		done
	done
	DOM0S_N=0 DOM0S_PID=() DOM0S_SSHD=() DOM0S_SW=
	[ -z "${DOM0S_PGP:-}" ] || "$SRCDIR/tests/pg-server" stop "$DOM0S_PGP" ||
		echo "warning: cannot stop the server in $DOM0S_PGP, ignoring" >&2
	DOM0S_PGP=
	if [ -n "$DOM0S_DB" ]; then
		psql -q -X "$PROVISION_TEST_PG" -c "DROP DATABASE IF EXISTS $DOM0S_DB WITH (FORCE)" ||
			echo "warning: cannot drop database $DOM0S_DB, ignoring" >&2
		DOM0S_DB=
	fi
}
