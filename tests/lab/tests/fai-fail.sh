#!/bin/bash
# fai-fail: the two ways a real FAI install fails, seen through the lab's monitor listener
# (netboot/monitor.c):
#  FAILTEST  a configure script fails (420): FAI carries on, sends 'TASKEND install 0' and
#            'TASKEND faiend 0' and halts the guest; the verdict must still be failed.
#  FAILSTOP  the same failure above STOP_ON_ERROR (400 in that class): FAI stops at a root
#            shell, the domain keeps running; the listener (told FAI's default 700) must
#            call it stopped from the silence after the failing code, within its grace time.
# lab: fai 3600
. "$(dirname "$0")/lib.sh"
name=web2 ip=10.53.0.61 mac=00:16:3e:35:00:3d grace=45

check "FAI server up" fai_server_start || finish
vlan_bridge 53
part=$(carve /dev/fc/fc-p1d2 2G "$name")
check "partition $part carved" test -b "$part" || finish

# the raw lines FAI sent, apart from the parser's verdict
mon_has() { grep -qx -- "$1" <<< "$mon"; }
mon_lacks() { ! grep -q -- "$1" <<< "$mon"; }

first=1
for class in ${FAI_FAIL_CLASSES:-FAILTEST FAILSTOP}; do
	step "installing $name with class $class"
	if [ $first = 0 ]; then
		part=$(carve /dev/fc/fc-p1d2 2G "$name")
		check "partition $part carved again" test -b "$part" || finish
	fi
	first=0
	pv_cfg /tmp/$name.install.cfg $name /srv/fai/boot/vmlinux /srv/fai/boot/initrd.img 1024 \
		"console=hvc0 net.ifnames=0 root=nfs:10.53.0.1:/srv/fai/nfsroot:vers=3 rootovl ip=$ip::10.53.0.1:255.255.255.0:$name:eth0:off FAI_ACTION=install FAI_FLAGS=verbose,halt FAI_CONFIG_SRC=nfs://10.53.0.1/srv/fai/config monserver=10.53.0.1 PROVISION_CLASSES=$class" \
		"vif = ['mac=$mac,bridge=br53']" "disk = ['phy:$part,xvda1,w']"
	log=/tmp/monitor-$name-$class.log
	fai-listen -p 4711 -t 1600 -g $grace $name > $log 2>&1 &
	listener=$!
	t0=$(now)
	check "xl create ($class)" xl create /tmp/$name.install.cfg || { kill $listener; finish; }
	wait $listener
	lrc=$?
	t_mon=$(since "$t0")
	sed -n 's/^MON-STATE /LAB-MON: /p; s/^MON-RESULT /LAB-MON: result /p' $log
	cp $log "$OUT/"
	mon=$(sed -n 's/^MON +[0-9.]*s //p' $log)
	check "$class: the listener judged the install failed" test $lrc = 1
	check "$class: FAI reported 'TASKEND configure 420'" grep -qx "$name TASKEND configure 420" <<< "$mon"
	check "$class: the verdict names task configure and code 420" grep -q "MON-RESULT failed: FAI .*'configure'.* 420" $log
	if [ $class = FAILTEST ]; then
		check "FAILTEST: FAI still sent 'TASKEND install 0'" mon_has "$name TASKEND install 0"
		check "FAILTEST: ... and 'TASKEND faiend 0'" mon_has "$name TASKEND faiend 0"
		check "FAILTEST: FAI halted the guest as if all went well" domain_gone $name 120
		timing "FAILTEST: xl create -> verdict ${t_mon} s, -> domain gone $(since "$t0") s"
	else
		check "FAILSTOP: no 'TASKEND faiend'" mon_lacks "$name TASKEND faiend"
		check "FAILSTOP: the listener saw FAI stop (silence after the failure)" grep -q 'FAI has stopped' $log
		check "FAILSTOP: FAI is at its shell on the console" grep -aq 'FATAL ERROR. Installation stopped.' "$CONSOLE_DIR/guest-$name.log"
		check "FAILSTOP: the domain still runs (it never powers off)" xl domid $name
		timing "FAILSTOP: xl create -> verdict ${t_mon} s (grace ${grace} s)"
		xl destroy $name
	fi
	keep_console $name $class
done
finish
