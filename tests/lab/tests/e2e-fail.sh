#!/bin/bash
# e2e-fail: the two ways a real FAI install fails, through provision's whole pipeline, and
# the way back: each guest is left failed at stage configs (resumable), its spec is fixed
# (the test class dropped from what 'provision show NAME --spec' prints) and
# 'provision resume NAME --spec FILE' installs and boots it (web2; web3 is destroyed as it
# failed, for CI's time: the resume path is the same).
#  web2, template failtest: a configure script fails (TASKEND configure 420), FAI carries on
#        and halts normally: provision must still call the install failed.
#  web3, template failstop: the same failure above STOP_ON_ERROR: FAI stops at its shell and
#        never powers off: provision must notice from the monitor (no word after a failing
#        code) within seconds to a minute and destroy the domain.
# Three real installs: 15 to 45 minutes under TCG.
# lab: fai 4800
. "$(dirname "$0")/lib.sh"

check "FAI server up" fai_server_start || finish
check "templates in place, LUNs labelled" provision_site || finish

# install_fails NAME TEMPLATE CLASS: new-guest fails at install, the guest is left resumable
install_fails() {
	local name=$1 tmpl=$2 class=$3 state=$SITE_STATE/guests/$1 rc t0 t420 tend log
	step "$name: provision new-guest $name --template $tmpl --vlan 53 (FAI class $class)"
	t0=$(now)
	prov -v new-guest "$name" --template "$tmpl" --vlan 53
	rc=$?
	timing "$class: new-guest exit $rc after $(since "$t0") s"
	# what new-guest printed, each line with its time (the next prov overwrites $PROV_LAST)
	log=$OUT/provision-$name-$class.log
	cp $PROV_LAST.ts "$log"
	check "$class: new-guest exits 1" test $rc = 1
	check "$class: the install stage failed" grep -q "stage 'install' of guest '$name' failed" "$log"
	check "$class: the cause names task configure and code 420" \
		grep -q "FAI task 'configure' of '$name' ended with code 420" "$log"
	check "$class: FAI's monitor line 'TASKEND configure 420' came" grep -q "fai: $name TASKEND configure 420" "$log"
	check "$class: the error says how to continue" grep -q "'provision resume $name' continues" "$log"
	check "$class: the domain is gone right away (xl)" not xl domid "$name"
	prov show "$name"
	check "$class: provision show: stage install (failed; done up to configs)" \
		sh -c "provision show $name | grep -q '^stage: *install (failed; done up to configs)'"
	check "$class: its console log is kept" test -s "$state/console-install.log"
	if [ "$class" = FAILTEST ]; then
		check "FAILTEST: FAI went on: 'TASKEND install 0' and 'TASKEND faiend 0' came" \
			sh -c "grep -q 'fai: $name TASKEND install 0' $log && grep -q 'fai: $name TASKEND faiend 0' $log"
		check "FAILTEST: ... and FAI halted the guest itself" grep -q "although FAI finished as if all went well" "$log"
		check "FAILTEST: the console shows the failing script" grep -aq 'FAILTEST/10-fail .*FAILED' "$state/console-install.log"
		check "FAILTEST: FAI's logs kept, with the failure" grep -rqs 'FAILTEST/10-fail' "$state/fai"
	else
		t420=$(prov_when "fai: $name TASKEND configure 420" "$log")
		tend=$(prov_when "FAI stopped in task 'configure'" "$log")
		echo "LAB-INFO: FAILSTOP: 'TASKEND configure 420' at $t420, domain destroyed and failed at $tend"
		check "FAILSTOP: no 'TASKEND faiend' came" not grep -q "fai: $name TASKEND faiend" "$log"
		check "FAILSTOP: provision saw FAI stop and destroyed the domain" grep -q "FAI stopped in task 'configure' with code 420" "$log"
		check "FAILSTOP: within 90 s of FAI's last message" \
			awk -v a="$t420" -v b="$tend" 'BEGIN { exit !(a > 0 && b > a && b - a <= 90) }'
		timing "FAILSTOP: from 'TASKEND configure 420' to the domain destroyed: $(awk -v a="$t420" -v b="$tend" 'BEGIN { printf "%.1f", b - a }') s"
		check "FAILSTOP: FAI was at its shell (console)" grep -aq 'FATAL ERROR. Installation stopped.' "$state/console-install.log"
	fi
	keep_guest_state "$name"
	mv "$OUT/state-$name" "$OUT/state-$name-$class" 2> /dev/null
}

# resume_fixed NAME CLASS: resume after the fix (CLASS dropped from the spec) installs and boots
resume_fixed() {
	local name=$1 class=$2 state=$SITE_STATE/guests/$1 rc t0 spec
	step "$name: the fix (class $class dropped from the guest's spec), then provision resume $name"
	spec=$OUT/spec-$name.yaml
	check "$class: provision show $name --spec" sh -c "provision show $name --spec > $spec"
	check "$class: the spec names the class" grep -q "$class" "$spec"
	sed -i "s/, *$class\b//; s/\b$class, *//" "$spec"
	grep -n classes "$spec"
	check "$class: no longer in the corrected spec" not grep -q "$class" "$spec"
	t0=$(now)
	prov resume "$name" --spec "$spec"
	rc=$?
	timing "$class: resume exit $rc after $(since "$t0") s"
	check "$class: resume exits 0" test $rc = 0
	check "$class: resume began at the install stage" \
		test "$(grep '^stage: ' $PROV_LAST | tr -d '\n')" = "stage: installstage: boot"
	check "$class: the install config in config_dir lost the class too" \
		not grep -q "$class" "$SITE_CONFIGS/$name.install.cfg"
	check "$class: provision show: stage boot (ok)" sh -c "provision show $name | grep -q '^stage: *boot (ok)'"
	check "$class: $name runs (xl list)" xl list "$name"
	check "$class: $name is ready (its console, logged by xenconsoled)" \
		grep -aq "^PROVISION-READY $name" "$CONSOLE_DIR/guest-$name.log"
	check "$class: FAI's logs of the good install kept" test -s "$state/fai/fai.log"
	check "$class: ... and they no longer name $class" not grep -qs "$class" "$state/fai/FAI_CLASSES"
	keep_guest_state "$name"
	# room for the next guest (the lab has memory for one at a time)
	prov destroy "$name" --yes
	check "$class: destroyed" not xl domid "$name"
}

install_fails web3 failstop FAILSTOP
step "web3: provision destroy web3 --yes (failed at install)"
prov destroy web3 --yes
check "FAILSTOP: destroy exits 0" test $? = 0
check "FAILSTOP: no partition named guest:web3 left (sfdisk)" test "$(gpt_names | grep -cx guest:web3)" = 0
check "FAILSTOP: the inventory keeps its row, destroyed (provision list --all)" sh -c "provision list --all | grep -Eq '^web3 .* destroyed'"
install_fails web2 failtest FAILTEST
resume_fixed web2 FAILTEST
finish
