#!/bin/bash
# The example hook hooks/examples/mail-requester through a real mail path: msmtp as the
# sendmail it calls, delivering over SMTP to aiosmtpd (Debian's python3-aiosmtpd, its Mailbox
# handler storing each message in a Maildir), both alone in the test's network namespace.
# The message is read back with Python's mailbox module: envelope, To, Subject, the body's
# address, MAC, VLAN and request id. An empty PROVISION_OWNER sends nothing and succeeds; an odd
# address is refused (exit 1) and nothing is sent.
. "$SRCDIR/tests/cli/lib.sh"
command -v msmtp >/dev/null || { echo "skip: no msmtp"; exit 77; }
# aiosmtpd is Debian's module: the first python3 that has it (PATH may put another python3 first)
for PY in python3 /usr/bin/python3 ""; do
	[ -n "$PY" ] || { echo "skip: no python3 with aiosmtpd (python3-aiosmtpd)"; exit 77; }
	"$PY" -c 'import aiosmtpd' 2>/dev/null && break
done
. "$SRCDIR/tests/cli/netns.sh"
ip link set lo up || fail "cannot bring up lo in the namespace"

smtpd_pid=
trap '[ -z "$smtpd_pid" ] || { kill "$smtpd_pid"; wait "$smtpd_pid"; }; rm -rf "$T"' EXIT
"$PY" -m aiosmtpd -n -l 127.0.0.1:25 -c aiosmtpd.handlers.Mailbox "$T/maildir" 2>"$T/smtpd.log" &
smtpd_pid=$!
for i in $(seq 100); do
	[ -n "$(ss -Hltn 'sport = :25')" ] && break
	kill -0 "$smtpd_pid" 2>/dev/null || { cat "$T/smtpd.log" >&2; fail "aiosmtpd did not start"; }
	sleep 0.1
done
[ "$i" -lt 100 ] || { cat "$T/smtpd.log" >&2; fail "aiosmtpd does not listen"; }

# msmtp's own config, named by the hook's SENDMAIL setting: the machine's config is never read
cat >"$T/msmtprc" <<C
account default
host 127.0.0.1
port 25
tls off
auth off
from provision@lab.example
logfile $T/msmtp.log
C
chmod 600 "$T/msmtprc"
cat >"$T/hooks.conf" <<C
SENDMAIL="msmtp -C $T/msmtprc"
MAIL_FROM=provision@lab.example
C
export PROVISION_HOOK_CONF=$T/hooks.conf
export PROVISION_GUEST=web1 PROVISION_IP=10.10.0.50 PROVISION_MAC=00:16:3e:28:7a:35 \
	PROVISION_VLAN=10 PROVISION_REQUEST_ID=RT-4711
hook=$SRCDIR/hooks/examples/mail-requester

# mails: what the Maildir holds, one line per header or body line, messages in arrival order
mails() {
	"$PY" - "$T/maildir" <<'PY'
import mailbox, sys
box = mailbox.Maildir(sys.argv[1], create=False)
for m in sorted(box, key=lambda m: m.get_date()):
    for h in ("X-MailFrom", "X-RcptTo", "From", "To", "Subject"):
        print(f"{h}: {m[h]}")
    print(m.get_payload().rstrip("\n"))
PY
}

PROVISION_OWNER=alice@example.org run 0 "$hook"
expect_eq "$(mails)" "X-MailFrom: provision@lab.example
X-RcptTo: alice@example.org
From: provision@lab.example
To: alice@example.org
Subject: your virtual machine web1 is ready
Your guest web1 is installed and running.

  address:   10.10.0.50
  MAC:       00:16:3e:28:7a:35
  VLAN:      10
  request:   RT-4711"
sent=$(mails)

# no owner: nothing to send, and that is a success
PROVISION_OWNER= run 0 "$hook"
expect_eq "$(cat "$T/out" "$T/err")" ""
# odd addresses never reach sendmail: not a shell command, not a second header
PROVISION_OWNER='a@b;rm -rf /' run 1 "$hook"
expect_err_line "mail-requester: refusing odd address 'a@b;rm -rf /'"
PROVISION_OWNER=$'a@b\nBcc: mallory@example.org' run 1 "$hook"
expect_err "mail-requester: refusing odd address 'a@b"
# still the one message, and msmtp delivered only that one
expect_eq "$(mails)" "$sent"
expect_eq "$(grep -c 'exitcode=EX_OK' "$T/msmtp.log")" 1
expect_eq "$(wc -l <"$T/msmtp.log")" 1
done_testing
