#!/bin/sh
# SPDX-License-Identifier: MIT
# suite.sh: the benchmark suite's measurements, run from its payload (natively or in the testbed): every configuration, round by round.
# usage: sh suite.sh plan              one "CONFIG ROUND" line per measurement, in the order run
#        sh suite.sh one CONFIG ROUND  one measurement
#        sh suite.sh                   the whole plan, with progress
# Every line the measurement's VM (or lat, natively) printed that starts
# with "@" comes out as "@R CONFIG ROUND LINE": @BOOT (boot to init),
# @LAT and @SAMPLES (tests/bench/lat.c), @XB/@XE around each workload's
# exit pair, @KVMSTATS (KVM's counters, boottime -k) and @HVSTATS
# (lamina-hv's exits to user space) at each marker; a measurement that
# failed twice prints "@R CONFIG ROUND @FAIL why".
# Environment: BENCH_ROUNDS (3), BENCH_SCALE (1), BENCH_CONFIGS (all below),
# BENCH_VM_TIMEOUT (1800 s for one VM's whole run).
rounds=${BENCH_ROUNDS:-3} scale=${BENCH_SCALE:-1} vcpus=2 mem=512 vm_timeout=${BENCH_VM_TIMEOUT:-1800}
configs=${BENCH_CONFIGS:-native qemu_full qemu_virtio lamina lamina_noclock lamina_notimer lamina_noidle lamina_noipi lamina_nospinlock lamina_nokvm}
guest_args="quiet lat.scale=$scale lat.exits"
qemu_base="-nodefaults -no-user-config -display none -no-reboot -L share/qemu -smp $vcpus -m $mem"

# A VM whose init is lat (lat.cpio): boot to "@BOOT-INIT", run until
# "@LAT-DONE", KVM's counters at every "@stats" line.
# (stdin is /dev/null: QEMU would read the plan the loop below reads.)
vm() { # command...
  boottime -o /tmp/vm.out -b @BOOT-INIT -k @stats @LAT-DONE "$vm_timeout" "$@" < /dev/null > /tmp/vm.boot 2>&1
  rc=$?
  cat /tmp/vm.boot >> /tmp/vm.out
  return $rc
}

# 1. Full virtualization: the distribution's unpatched kernel on an
# emulated PC (i440FX, PIT/PIC/RTC/HPET, IDE disk, e1000 NIC, 16550 UART),
# KVM's signature hidden (kvm=off) so the guest takes no KVM PV feature.
run_qemu_full() {
  vm qemu-system-x86_64 $qemu_base -M pc,accel=kvm -cpu host,kvm=off -serial stdio \
    -drive file=disk.img,if=ide,format=raw -netdev user,id=n0,restrict=on -device e1000,netdev=n0,romfile= \
    -kernel guest/vmlinuz-full -initrd lat.cpio -append "console=ttyS0 $guest_args"
}
# 2. QEMU/KVM with virtio: the microvm machine (no PCI, ACPI, PIC, PIT,
# RTC, UART; virtio-mmio console), KVM's PV features on, the plain kernel;
# without a cached plain kernel, the full-virtualization kernel with a
# virtio-pci console on microvm's PCIe (guest/virtio-kernel says which).
run_qemu_virtio() {
  if [ -f guest/bzImage-plain ]; then
    vm qemu-system-x86_64 $qemu_base -cpu host -device virtio-serial-device \
      -chardev stdio,id=con -device virtconsole,chardev=con \
      -M microvm,accel=kvm,acpi=off,pic=off,pit=off,rtc=off,isa-serial=off,x-option-roms=off \
      -kernel guest/bzImage-plain -initrd lat.cpio -append "console=hvc0 reboot=t $guest_args"
  else
    vm qemu-system-x86_64 $qemu_base -cpu host -device virtio-serial-pci \
      -chardev stdio,id=con -device virtconsole,chardev=con \
      -M microvm,accel=kvm,pcie=on,pic=off,pit=off,rtc=off,isa-serial=off \
      -kernel guest/vmlinuz-full -initrd lat.cpio -append "console=hvc0 $guest_args"
  fi
}
# 3-4. Lamina, and Lamina with one enlightenment off (lamina.nopv=X).
run_lamina_pv() { # [X]
  vm lamina-hv -m $mem -c $vcpus --stats-marker @stats -i lat.cpio \
    -a "console=hvc0 $guest_args${1:+ lamina.nopv=$1}" guest/bzImage
}
run_lamina() { run_lamina_pv; }
run_lamina_noclock() { run_lamina_pv clock; }
run_lamina_notimer() { run_lamina_pv timer; }
run_lamina_noidle() { run_lamina_pv idle; }
run_lamina_noipi() { run_lamina_pv ipi; }
run_lamina_nospinlock() { run_lamina_pv spinlock; }
run_lamina_nokvm() { run_lamina_pv kvm; }
# 5. Native: this machine's own kernel (the host, or the testbed's).
run_native() { lat -s "$scale" < /dev/null > /tmp/vm.out 2>&1; }

# The plan: every configuration in each round, the order turned by one
# each round so no configuration always runs first.
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

# One measurement, tried twice: its "@R" lines, or an "@FAIL" line.
one() { # config round
  for try in 1 2; do
    "run_$1"
    if grep -q '^@LAT ' /tmp/vm.out; then
      tr -d '\r' < /tmp/vm.out | grep -a '^@' | grep -v '^@stats$' | sed "s/^/@R $1 $2 /"
      return 0
    fi
    why=$(tr -d '\r' < /tmp/vm.out | grep -v '^$' | tail -n 1)
    echo "suite: $1 round $2 failed (try $try): $why"
  done
  tr -d '\r' < /tmp/vm.out | tail -n 20 | sed 's/^/suite: | /'
  echo "@R $1 $2 @FAIL ${why:-no output}"
}

case "${1:-}" in
  plan) plan; exit 0 ;;
  one) one "$2" "$3"; exit 0 ;;
esac
[ -c /dev/kvm ] || { echo "suite: no /dev/kvm"; exit 1; }
total=$(plan | wc -l) i=0 t0=$(date +%s)
echo "suite: $total measurements: $rounds round(s) of $(echo $configs | wc -w) configurations, scale $scale"
plan | while read -r c r; do
  i=$((i + 1))
  echo "suite: [$i/$total] $c, round $r; $((total - i)) left after it; $(( $(date +%s) - t0 ))s elapsed"
  one "$c" "$r"
done
echo "suite: done in $(( $(date +%s) - t0 ))s"
