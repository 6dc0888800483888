#!/bin/sh
# SPDX-License-Identifier: MIT
# blk.sh: the block benchmark's measurements, run from its payload (natively or in the testbed): fio on one image file on tmpfs, per configuration, round by round.
# usage: sh blk.sh plan              one "CONFIG ROUND" line per measurement, in the order run
#        sh blk.sh one CONFIG ROUND  one measurement
#        sh blk.sh                   the whole plan, with progress
# Every configuration's disk is the same raw image file on a tmpfs
# ($W/img/disk.img, made once and kept across the run's measurements).
# One measurement boots one VM of CONFIG (1 vCPU, 512 MiB) whose disk is
# that file; its guest (blk/run.sh) runs five fio workloads (blk/fio.sh:
# randread_4k_qd1, randread_4k_qd32, randwrite_4k_qd32, seqread_1m,
# seqwrite_1m), each between two console markers at which this script
# takes the host's counters (netsnap: CPU time of the VM processes and
# back-ends, the whole host's, KVM's exit counters; for Lamina also
# lamina-hvd's exits to user space). `native` runs the same fio jobs on
# the image file itself. Output lines: "@BLK CONFIG ROUND WL b|res|a ...",
# "@BLK CONFIG ROUND INFO k=v ...", or "@BLK CONFIG ROUND FAIL why".
# Configurations: native, lamina (lamina-hvd, lamina-blkback), qemu_virtio
# (virtio-blk, an iothread, aio=io_uring, cache=none), qemu_full (an
# emulated IDE disk on the PC machine, aio=io_uring, cache=none).
# Environment: BENCH_ROUNDS (3), BLK_SECS (fio seconds a workload, 5),
# BLK_MIB (the image's size, 256), BLK_PAUSE (seconds between a marker and
# the work, 2), BLK_CONFIGS (native lamina qemu_virtio qemu_full),
# BENCH_VM_TIMEOUT (600 s for the VM's whole run).
rounds=${BENCH_ROUNDS:-3} secs=${BLK_SECS:-5} mib=${BLK_MIB:-256} pause=${BLK_PAUSE:-2}
configs=${BLK_CONFIGS:-native lamina qemu_virtio qemu_full} vm_timeout=${BENCH_VM_TIMEOUT:-600}
wls="randread_4k_qd1 randread_4k_qd32 randwrite_4k_qd32 seqread_1m seqwrite_1m"
vcpus=1 mem=512
W=/tmp/lamina-blkbench
img=$W/img/disk.img
qemu_base="-nodefaults -no-user-config -display none -no-reboot -L share/qemu -smp $vcpus -m $mem"
here=$(pwd)
export LAMINA_HVD_SOCKET=$W/hvd.sock
# what every guest's kernel command line carries (blk/run.sh reads it)
guest_args="quiet bench.secs=$secs bench.pause=$pause bench.wls=$(echo $wls | tr ' ' ',')"

# The image: a tmpfs of its own, the file written through once (so every
# page exists: reads never hit a hole), kept for the run's other measurements.
image_up() {
  [ -f "$W/img/ok" ] && return 0
  mkdir -p "$W/img"
  mountpoint -q "$W/img" || mount -t tmpfs -o size=$((mib + 16))m lamina-blkbench "$W/img" || return 1
  dd if=/dev/zero of="$img" bs=1048576 count="$mib" 2> /dev/null || { echo "could not write the image"; return 1; }
  echo "$mib" > "$W/img/ok"
}
image_down() {
  umount "$W/img" 2> /dev/null
  rm -rf "$W"
}
# Per measurement: the VMs' files, not the image.
work_reset() {
  for f in "$W"/*; do [ "$f" = "$W/img" ] || rm -rf "$f"; done
  mkdir -p "$W"
  chmod 700 "$W"   # lamina-hvd's socket directory: its owner's only
}

# QEMU: the VM in the background, its console in $W/con, its pid in pids.
qemu_vm() { # machine-and-devices...
  qemu-system-x86_64 $qemu_base "$@" < /dev/null > "$W/con" 2>&1 &
  pids="$pids $!"
}
# The host side of both QEMU disks: O_DIRECT on the tmpfs file, io_uring.
drive() { # if
  echo "-drive file=$img,if=$1,id=d0,format=raw,cache=none,aio=io_uring"
}
start_qemu_full() {
  qemu_vm -M pc,accel=kvm -cpu host,kvm=off -serial stdio $(drive ide) \
    -kernel guest/vmlinuz-full -initrd blk.cpio -append "console=ttyS0 $guest_args"
}
start_qemu_virtio() {
  if [ -f guest/bzImage-plain ]; then
    qemu_vm -cpu host -device virtio-serial-device -chardev stdio,id=con -device virtconsole,chardev=con \
      -M microvm,accel=kvm,acpi=off,pic=off,pit=off,rtc=off,isa-serial=off,x-option-roms=off \
      -object iothread,id=io0 $(drive none) -device virtio-blk-device,drive=d0,iothread=io0 \
      -kernel guest/bzImage-plain -initrd blk.cpio -append "console=hvc0 reboot=t $guest_args"
  else
    qemu_vm -cpu host -device virtio-serial-pci -chardev stdio,id=con -device virtconsole,chardev=con \
      -M microvm,accel=kvm,pcie=on,pic=off,pit=off,rtc=off,isa-serial=off \
      -object iothread,id=io0 $(drive none) -device virtio-blk-pci,drive=d0,iothread=io0,romfile= \
      -kernel guest/vmlinuz-full -initrd blk.cpio -append "console=hvc0 $guest_args"
  fi
}
# Lamina: lamina-hvd with one domain, its vbd/0 served by a lamina-blkback
# on the image; the console is read through lamina-hvd.
start_lamina() {
  lamina-hvd --socket "$LAMINA_HVD_SOCKET" > "$W/hvd.log" 2>&1 &
  hvd=$! pids="$!"
  i=0
  until hvd_call '{"op":"hello"}' > /dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 100 ] && { echo "lamina-hvd did not start: $(tail -n 1 "$W/hvd.log")"; return 1; }
    sleep 0.2
  done
  id=$(hvd_call "{\"op\":\"create\",\"name\":\"blk\",\"kernel\":\"$here/guest/bzImage\",\"initrd\":\"$here/blk.cpio\",\"cmdline\":\"console=hvc0 $guest_args\",\"mem_kib\":$((mem * 1024)),\"vcpus\":$vcpus}" |
    sed -n 's/.*"id":\([0-9]*\).*/\1/p')
  [ -n "$id" ] || { echo "lamina-hvd could not create the domain: $(tail -n 1 "$W/hvd.log")"; return 1; }
  lamina-blkback "$id" 0 "$img" > "$W/bk.log" 2>&1 &
  pids="$pids $!"
}
# The console so far (Lamina: from lamina-hvd's backlog).
console() {
  if [ "$cfg" = lamina ]; then
    hvd_call --console "$id" 2> /dev/null | tr -d '\r' > "$W/snap" && [ -s "$W/snap" ] && cp "$W/snap" "$W/con"
  fi
  tr -d '\r' < "$W/con" > "$W/con.txt" 2> /dev/null
  # whole lines only: the VM may be in the middle of one
  [ "$(tail -c 1 "$W/con.txt" | wc -l)" = 1 ] || sed -i '$d' "$W/con.txt"
  grep -a '^@BLK-' "$W/con.txt" > "$W/marks"
}
stop_vms() {
  if [ "$cfg" = lamina ] && [ -n "${hvd:-}" ]; then
    hvd_call '{"op":"stop-all"}' > /dev/null 2>&1
  fi
  for p in $pids; do kill -9 "$p" 2> /dev/null; done
  for p in $pids; do wait "$p" 2> /dev/null; done
  pids= hvd=
}

# The host's counters now: netsnap over every VM process and back-end (and
# lamina-hvd's children: its console back-ends); for Lamina also the
# domain's exits to lamina-hvd's user space and its vCPU time.
snap() {
  s=$(netsnap ${hvd:+-C $hvd} $pids)
  if [ "$cfg" = lamina ]; then
    hvd_call "{\"op\":\"stats\",\"id\":$id}" |
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

# Follow the guest's markers: counters at each @BLK-B and @BLK-A as soon
# as it shows (the guest waits BLK_PAUSE seconds after each), its result
# lines, until @BLK-DONE; 1 and why if the guest fails, dies or times out.
follow() {
  t0=$(date +%s) seen=0
  while :; do
    console
    n=$(wc -l < "$W/marks")
    if [ "$n" -gt "$seen" ]; then
      sed -n "$((seen + 1)),${n}p" "$W/marks" > "$W/new"
      seen=$n
      while read -r tag wl rest; do
        case "$tag" in
          @BLK-READY) echo "@BLK $cfg $rnd INFO $wl $rest" ;;
          @BLK-B) echo "@BLK $cfg $rnd $wl b $(snap)" ;;
          @BLK-R) echo "@BLK $cfg $rnd $wl res $rest" ;;
          @BLK-A) echo "@BLK $cfg $rnd $wl a $(snap)" ;;
          @BLK-DONE) return 0 ;;
          @BLK-FAIL) echo "guest: $wl $rest"; return 1 ;;
        esac
      done < "$W/new"
    fi
    for p in $pids; do
      kill -0 "$p" 2> /dev/null || { echo "a VM process ended: $(tr -d '\r' < "$W/con" | grep -v '^$' | tail -n 1 | cut -c1-150)"; return 1; }
    done
    [ $(( $(date +%s) - t0 )) -gt "$vm_timeout" ] && { echo "not done after ${vm_timeout}s: $(tr -d '\r' < "$W/con" | grep -v '^$' | tail -n 1 | cut -c1-150)"; return 1; }
    sleep 0.2
  done
}

# Natively: the same fio jobs on the image file, the counters around each.
run_native() {
  echo "@BLK native $rnd INFO dev=$img driver=tmpfs"
  for wl in $wls; do
    echo "@BLK native $rnd $wl b $(netsnap)"
    echo "@BLK native $rnd $wl res $(sh blk/fio.sh "$wl" "$img" "$secs")"
    echo "@BLK native $rnd $wl a $(netsnap)"
  done
}

run_one() { # config round: 0 if the workloads ran
  cfg=$1 rnd=$2 pids= hvd= id=
  why=$(image_up 2>&1) || { echo "the image on tmpfs: $why"; return 1; }
  work_reset
  echo "@BLK $cfg $rnd INFO secs=$secs image_mib=$mib pause=$pause vcpus=$vcpus mem_mib=$mem"
  if [ "$cfg" = native ]; then run_native; return 0; fi
  "start_$cfg" > "$W/start.log" 2>&1 || { cat "$W/start.log"; stop_vms; return 1; }
  follow
  rc=$?
  stop_vms
  return $rc
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

# One measurement, tried twice: its "@BLK" lines, or an "@BLK ... FAIL" line.
one() { # config round
  for try in 1 2; do
    run_one "$1" "$2" > "$W.out" 2>&1
    rc=$?
    if [ $rc = 0 ]; then
      grep '^@BLK ' "$W.out"
      return 0
    fi
    why=$(grep -v '^@BLK ' "$W.out" | grep -v '^$' | tail -n 1)
    echo "blk: $1 round $2 failed (try $try): $why"
  done
  echo "@BLK $1 $2 FAIL ${why:-no output}"
}

case "${1:-}" in
  plan) plan; exit 0 ;;
  one) one "$2" "$3"; image_down; exit 0 ;;
esac
[ "$(id -u)" = 0 ] || { echo "blk: needs root (a tmpfs for the image)"; exit 1; }
[ -c /dev/kvm ] || echo "blk: no /dev/kvm: only native can run"
total=$(plan | wc -l) nth=0 t0=$(date +%s)
echo "blk: $total measurements: $rounds round(s) of $(echo $configs | wc -w) configurations, fio ${secs}s a workload, a ${mib} MiB image on tmpfs"
plan > "$W.plan"
while read -r pc pr; do
  nth=$((nth + 1))
  echo "blk: [$nth/$total] $pc, round $pr; $((total - nth)) left after it; $(( $(date +%s) - t0 ))s elapsed"
  one "$pc" "$pr" < /dev/null
done < "$W.plan"
rm -f "$W.plan" "$W.out"
image_down
echo "blk: done in $(( $(date +%s) - t0 ))s"
