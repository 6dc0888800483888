#!/bin/sh
# SPDX-License-Identifier: MIT
# net.sh: the net benchmark's measurements, run from its payload (natively or in the testbed): iperf3 and ping, guest to host and guest to guest, per configuration, round by round.
# usage: sh net.sh plan              one "CONFIG ROUND" line per measurement, in the order run
#        sh net.sh one CONFIG ROUND  one measurement
#        sh net.sh                   the whole plan, with progress
# One measurement boots two VMs of CONFIG (a: 10.0.9.2, b: 10.0.9.3), each
# with one NIC on a TAP (lbnt0, lbnt1) of one host bridge (lbnbr0,
# 10.0.9.1, where an iperf3 server runs), and drives six workloads from
# the host through guest a (net/ctl.sh over busybox nc):
#   g2h_ping, g2h_tcp1, g2h_tcp4   a to the host: ping; iperf3 1 and 4 streams
#   g2g_ping, g2g_tcp1, g2g_tcp4   a to b, likewise
# Around each it takes the host's counters (netsnap: CPU time of the VM
# processes and back-ends, the whole host's CPU, KVM's exit counters;
# for Lamina also lamina-hvd's exits to user space per domain). Output
# lines: "@N CONFIG ROUND WORKLOAD b|res|a ..." (before, result, after),
# "@N CONFIG ROUND INFO k=v ...", or "@N CONFIG ROUND FAIL why".
# Configurations: lamina (lamina-hvd, lamina-netback --tap), qemu_virtio
# (virtio-net with vhost-net), qemu_full (an emulated e1000).
# Environment: BENCH_ROUNDS (3), NET_SECS (iperf3 seconds, 5), NET_PINGS
# (50), NET_CONFIGS (lamina qemu_virtio qemu_full), BENCH_VM_TIMEOUT (600 s
# for both VMs to come up).
rounds=${BENCH_ROUNDS:-3} secs=${NET_SECS:-5} pings=${NET_PINGS:-50}
configs=${NET_CONFIGS:-lamina qemu_virtio qemu_full} vm_timeout=${BENCH_VM_TIMEOUT:-600}
vcpus=1 mem=384 host=10.0.9.1 ipa=10.0.9.2 ipb=10.0.9.3 br=lbnbr0
W=/tmp/lamina-netbench
qemu_base="-nodefaults -no-user-config -display none -no-reboot -L share/qemu -smp $vcpus -m $mem"
here=$(pwd)
export LAMINA_HVD_SOCKET=$W/hvd.sock
# iproute2's ip (the payload's iproute2-ip): busybox's has no tuntap
IP=$(command -v iproute2-ip || command -v ip)
ip() { "$IP" "$@"; }

# The host side: a bridge with the host's address, two TAPs on it, iperf3.
host_up() {
  modprobe -q tun 2> /dev/null; modprobe -q bridge 2> /dev/null; modprobe -q vhost_net 2> /dev/null
  host_down
  mkdir -p "$W"
  chmod 700 "$W"   # lamina-hvd's socket directory: its owner's only
  ip link add $br type bridge || return 1
  ip addr add $host/24 dev $br && ip link set $br up || return 1
  for t in lbnt0 lbnt1; do
    ip tuntap add dev $t mode tap && ip link set $t master $br && ip link set $t up || return 1
  done
  iperf3 -s -p 5201 -B $host > "$W/iperf3-host.log" 2>&1 &
  echo $! > "$W/iperf3.pid"
}
host_down() {
  [ -f "$W/iperf3.pid" ] && kill "$(cat "$W/iperf3.pid")" 2> /dev/null
  for t in lbnt0 lbnt1 $br; do ip link del $t 2> /dev/null; done
  rm -rf "$W"
}

# QEMU: a VM in the background, its console in $W/con-ROLE, its pid in pids.
qemu_vm() { # role tap mac ip machine-and-devices...
  role=$1 tap=$2 mac=$3 ip=$4; shift 4
  qemu-system-x86_64 $qemu_base "$@" < /dev/null > "$W/con-$role" 2>&1 &
  pids="$pids $!"
}
netdev() { # tap [vhost]
  echo "-netdev tap,id=n0,ifname=$1,script=no,downscript=no${2:+,vhost=$2}"
}
start_qemu_full() {
  [ -f guest/e1000.missing ] && { echo "no e1000 driver for Debian's kernel: $(cat guest/e1000.missing)"; return 1; }
  for v in "a lbnt0 52:54:00:00:09:02 $ipa" "b lbnt1 52:54:00:00:09:03 $ipb"; do
    set -- $v
    qemu_vm "$1" "$2" "$3" "$4" -M pc,accel=kvm -cpu host,kvm=off -serial stdio \
      $(netdev "$2") -device "e1000,netdev=n0,mac=$3,romfile=" \
      -kernel guest/vmlinuz-full -initrd net-qemu.cpio -append "console=ttyS0 quiet bench.ip=$4"
  done
}
start_qemu_virtio() {
  vhost=on
  if [ ! -c /dev/vhost-net ]; then
    vhost=off
    echo "@N $cfg $rnd INFO vhost=off why=no_/dev/vhost-net"
  fi
  for v in "a lbnt0 52:54:00:00:09:02 $ipa" "b lbnt1 52:54:00:00:09:03 $ipb"; do
    set -- $v
    if [ -f guest/bzImage-plain ]; then
      qemu_vm "$1" "$2" "$3" "$4" -cpu host -device virtio-serial-device \
        -chardev stdio,id=con -device virtconsole,chardev=con \
        -M microvm,accel=kvm,acpi=off,pic=off,pit=off,rtc=off,isa-serial=off,x-option-roms=off \
        $(netdev "$2" $vhost) -device "virtio-net-device,netdev=n0,mac=$3" \
        -kernel guest/bzImage-plain -initrd net-qemu.cpio -append "console=hvc0 reboot=t quiet bench.ip=$4"
    else
      qemu_vm "$1" "$2" "$3" "$4" -cpu host -device virtio-serial-pci \
        -chardev stdio,id=con -device virtconsole,chardev=con \
        -M microvm,accel=kvm,pcie=on,pic=off,pit=off,rtc=off,isa-serial=off \
        $(netdev "$2" $vhost) -device "virtio-net-pci,netdev=n0,mac=$3,romfile=" \
        -kernel guest/vmlinuz-full -initrd net-qemu.cpio -append "console=hvc0 quiet bench.ip=$4"
    fi
  done
  [ $vhost = on ] && echo "@N $cfg $rnd INFO vhost=on"
}
# Lamina: lamina-hvd with two domains, each one's vif/0 served by a
# lamina-netback on its TAP; the consoles are read through lamina-hvd.
start_lamina() {
  lamina-hvd --socket "$LAMINA_HVD_SOCKET" > "$W/hvd.log" 2>&1 &
  hvd=$! pids="$!"
  i=0
  until hvd_call '{"op":"hello"}' > /dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 100 ] && { echo "lamina-hvd did not start: $(tail -n 1 "$W/hvd.log")"; return 1; }
    sleep 0.2
  done
  ids=
  for v in "a lbnt0 52:54:00:00:09:02 $ipa" "b lbnt1 52:54:00:00:09:03 $ipb"; do
    set -- $v
    id=$(hvd_call "{\"op\":\"create\",\"name\":\"net-$1\",\"kernel\":\"$here/guest/bzImage\",\"initrd\":\"$here/net-lamina.cpio\",\"cmdline\":\"console=hvc0 quiet bench.ip=$4\",\"mem_kib\":$((mem * 1024)),\"vcpus\":$vcpus}" |
      sed -n 's/.*"id":\([0-9]*\).*/\1/p')
    [ -n "$id" ] || { echo "lamina-hvd could not create domain $1: $(tail -n 1 "$W/hvd.log")"; return 1; }
    lamina-netback --tap "$2" --mac "$3" "$id" 0 > "$W/nb-$1.log" 2>&1 &
    pids="$pids $!" ids="$ids $id"
    eval "id_$1=$id"
  done
}
# The consoles so far (Lamina: from lamina-hvd's backlog).
consoles() {
  [ "$cfg" = lamina ] || return 0
  for r in a b; do
    eval "i=\$id_$r"
    hvd_call --console "$i" 2> /dev/null | tr -d '\r' > "$W/snap" && [ -s "$W/snap" ] && cp "$W/snap" "$W/con-$r"
  done
}
stop_vms() {
  if [ "$cfg" = lamina ] && [ -n "${hvd:-}" ]; then
    hvd_call '{"op":"stop-all"}' > /dev/null 2>&1
  fi
  for p in $pids; do kill -9 "$p" 2> /dev/null; done
  for p in $pids; do wait "$p" 2> /dev/null; done
  pids= hvd=
}

# Both guests up: "@NET-READY" on each console, or the reason they are not.
wait_ready() {
  t0=$(date +%s)
  while :; do
    consoles
    ok=0
    for r in a b; do
      tr -d '\r' < "$W/con-$r" 2> /dev/null | grep -q '^@NET-READY' && ok=$((ok + 1))
      l=$(tr -d '\r' < "$W/con-$r" 2> /dev/null | grep -m1 '^@NET-FAIL')
      [ -n "$l" ] && { echo "guest $r: ${l#@NET-FAIL }"; return 1; }
    done
    [ $ok = 2 ] && return 0
    for p in $pids; do
      kill -0 "$p" 2> /dev/null || { echo "a VM process ended: $(tr -d '\r' < "$W/con-a" | grep -v '^$' | tail -n 1)"; return 1; }
    done
    [ $(( $(date +%s) - t0 )) -gt "$vm_timeout" ] && { echo "not up after ${vm_timeout}s: a: $(tr -d '\r' < "$W/con-a" | grep -v '^$' | tail -n 1 | cut -c1-100)"; return 1; }
    sleep 1
  done
}

# One command to guest a's control port; its one-line answer.
ctl() { # command
  echo "$1" | timeout $((secs * 3 + 120)) busybox nc -w 20 $ipa 7000 2> /dev/null | tr -d '\r' | grep -m1 -E '^(ok|err)'
}
# The host's counters now: netsnap over every VM process and back-end (and
# lamina-hvd's children: its console back-ends); for Lamina also each
# domain's exits to lamina-hvd's user space and its vCPU time.
snap() {
  s=$(netsnap ${hvd:+-C $hvd} $pids)
  if [ "$cfg" = lamina ]; then
    for i in $ids; do hvd_call "{\"op\":\"stats\",\"id\":$i}"; done |
      awk -v s="$s" '{
          if (match($0, /"cpu_ns":[0-9]+/)) cpu += substr($0, RSTART + 9, RLENGTH - 9)
          e = $0; sub(/.*"exits":\[/, "", e); sub(/\]\],.*/, "", e)
          n = split(e, kv, /\],?\[?/)
          for (j = 1; j <= n; j++) if (split(kv[j], p, ",") == 2) {
            gsub(/[^a-z_]/, "", p[1]); gsub(/[^0-9]/, "", p[2])
            if (p[1] != "" && p[2] != "") { k["hv_" p[1]] += p[2]; tot += p[2] }
          }
        }
        END { printf "%s hv_total=%.0f hv_cpu_ns=%.0f", s, tot, cpu; for (x in k) printf " %s=%.0f", x, k[x]; print "" }'
  else
    echo "$s"
  fi
}
measure() { # workload command
  b=$(snap)
  res=$(ctl "$2")
  a=$(snap)
  echo "@N $cfg $rnd $1 b $b"
  echo "@N $cfg $rnd $1 res ${res:-err no answer from guest a}"
  echo "@N $cfg $rnd $1 a $a"
}

run_one() { # config round: 0 if the workloads ran
  cfg=$1 rnd=$2 pids= hvd= ids=
  why=$(host_up 2>&1) || { echo "the host's bridge and TAPs: $why"; return 1; }
  "start_$cfg" > "$W/start.log" 2>&1 || { cat "$W/start.log"; stop_vms; return 1; }
  grep '^@N ' "$W/start.log"
  if ! why=$(wait_ready); then echo "$why"; stop_vms; return 1; fi
  for r in a b; do
    echo "@N $cfg $rnd INFO guest=$r $(tr -d '\r' < "$W/con-$r" | grep -m1 '^@NET-READY' | cut -d' ' -f2-)"
  done
  measure g2h_ping "ping $host $pings 0.05"
  measure g2h_tcp1 "tcp $host 1 $secs"
  measure g2h_tcp4 "tcp $host 4 $secs"
  measure g2g_ping "ping $ipb $pings 0.05"
  measure g2g_tcp1 "tcp $ipb 1 $secs"
  measure g2g_tcp4 "tcp $ipb 4 $secs"
  echo "@N $cfg $rnd INFO secs=$secs pings=$pings vcpus=$vcpus mem_mib=$mem"
  stop_vms
  return 0
}

plan() {
  n=$(echo $configs | wc -w)
  for r in $(seq 1 "$rounds"); do
    i=0
    for c in $configs $configs; do
      i=$((i + 1))
      [ $i -gt $(((r - 1) % n)) ] && [ $i -le $(((r - 1) % n + n)) ] && echo "$c $r"
    done
  done
}

# One measurement, tried twice: its "@N" lines, or an "@N ... FAIL" line.
one() { # config round
  for try in 1 2; do
    run_one "$1" "$2" > "$W.out" 2>&1
    rc=$?
    host_down
    if [ $rc = 0 ]; then
      grep '^@N ' "$W.out"
      return 0
    fi
    why=$(grep -v '^@N ' "$W.out" | grep -v '^$' | tail -n 1)
    echo "net: $1 round $2 failed (try $try): $why"
  done
  echo "@N $1 $2 FAIL ${why:-no output}"
}

case "${1:-}" in
  plan) plan; exit 0 ;;
  one) one "$2" "$3"; exit 0 ;;
esac
[ -c /dev/kvm ] || { echo "net: no /dev/kvm"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "net: needs root (TAP devices, a bridge)"; exit 1; }
total=$(plan | wc -l) nth=0 t0=$(date +%s)
echo "net: $total measurements: $rounds round(s) of $(echo $configs | wc -w) configurations, iperf3 ${secs}s, $pings pings"
plan | while read -r pc pr; do
  nth=$((nth + 1))
  echo "net: [$nth/$total] $pc, round $pr; $((total - nth)) left after it; $(( $(date +%s) - t0 ))s elapsed"
  one "$pc" "$pr" < /dev/null
done
echo "net: done in $(( $(date +%s) - t0 ))s"
