#!/bin/sh
# SPDX-License-Identifier: MIT
# linux-bench.sh: Linux on Lamina vs the same source under QEMU microvm + virtio (boot to init), and OS latencies vs native.
# Runs from the bench payload (natively or in the testbed; see tools/bench) and prints one @R line per measurement:
#   @R boot <vmm> <round> <ms>        time from starting the VMM to init's first line
#   @R lat <where> <round> <k=v ...>  tests/bench/lat.c's numbers; where = native, qemu, lamina,
#                                     lamina_noX: Lamina with PV feature X off (lamina.nopv=X:
#                                     ipi, idle, timer, clock, spinlock, kvm), or
#                                     lamina_poll: Lamina with 200 us of halt polling (lamina-hv -P 200)
#   @R pipe_exits <where> <round> total=X hypercall=X ...
#                                     exits to user space per pipe round trip, by kind (lamina-hv
#                                     --stats-marker around lat -x's extra batch; Lamina places only)
#   @R idle_exits lamina <round> total=X hypercall=X ...
#                                     exits to user space per second of an idle Lamina guest
# LAMINA_LAT_PLACES picks the latency places (default: all, as below);
# LAMINA_IDLE_S is how long the idle guest is watched (10 s).
rounds=${LAMINA_BENCH_ROUNDS:-5} lat_rounds=${LAMINA_LAT_ROUNDS:-3} scale=${LAMINA_LAT_SCALE:-1} vcpus=2
places=${LAMINA_LAT_PLACES:-native lamina lamina_nokvm lamina_noipi lamina_noidle lamina_notimer lamina_noclock lamina_nospinlock qemu}
idle_s=${LAMINA_IDLE_S:-10}
qemu_common="-nodefaults -no-user-config -display none -no-reboot -L share/qemu
  -cpu host -smp $vcpus -device virtio-serial-device -chardev stdio,id=con -device virtconsole,chardev=con
  -M microvm,accel=kvm,acpi=off,pic=off,pit=off,rtc=off,isa-serial=off,x-option-roms=off"
die() { echo "linux-bench: $*"; exit 1; }

# The two VMMs, each booting the boot-time initramfs (PID 1 prints @BOOT-INIT).
boot_lamina() {
  boottime -o /tmp/boot.out @BOOT-INIT 300 lamina-hv -m 256 -c $vcpus -i boot.cpio -a "console=hvc0 quiet" guest/bzImage
}
boot_qemu() {
  boottime -o /tmp/boot.out @BOOT-INIT 300 qemu-system-x86_64 $qemu_common -m 256 -kernel guest/bzImage-plain \
    -initrd boot.cpio -append "console=hvc0 quiet reboot=t"
}
# Exits to user space between the @HVSTATS lines (lamina-hv --stats-marker)
# in FILE, taken in pairs (1st to 2nd, 3rd to 4th, ...) and summed:
# "total=X hypercall=X ..." divided by DIV, or with DIV "s" by the seconds
# inside the pairs. Fails without a whole pair.
exits_between() { # file div
  grep -a '^@HVSTATS ' "$1" | tr -d '\r' | awk -v div="$2" '
    { for (i = 2; i <= NF; i++) { split($i, kv, "="); x = (NR % 2 ? -1 : 1) * kv[2]
                                  if (NR == 1) k[++n] = kv[1]; if (NR % 2) last[kv[1]] = x; else sum[kv[1]] += x + last[kv[1]] } }
    END {
      if (NR < 2) exit 1
      d = div == "s" ? sum["t_ns"] / 1e9 : div + 0
      if (d <= 0) exit 1
      for (i = 1; i <= n; i++)
        if (k[i] != "dom" && k[i] != "t_ns") printf "%s%s=%.3f", (o++ ? " " : ""), k[i], sum[k[i]] / d
      printf "\n"
    }'
}
# lat inside a guest: the rootfs with /lamina/run.sh appended runs it (lat -x)
# and prints @LAT-DONE. On Lamina, also "@EXITS pipe_exits ..." per round
# trip, over lat -x's marked batches.
lat_lamina() { # [PV features to switch off, e.g. idle,ipi] [lamina-hv options]
  boottime -o /tmp/lat.out @LAT-DONE 1800 lamina-hv -m 512 -c $vcpus ${2:-} --stats-marker @hvstats \
    -i lat-rootfs.cpio -a "console=hvc0 quiet${1:+ lamina.nopv=$1}" guest/bzImage >/dev/null || return 1
  grep '^@LAT ' /tmp/lat.out | tr -d '\r'
  n=$(sed -n 's/^@LAT-EXITS pipe_rtt_iters=\([0-9]*\).*/\1/p' /tmp/lat.out)
  e=$(exits_between /tmp/lat.out "${n:-0}") && echo "@EXITS pipe_exits $e"
  return 0
}
# An idle Lamina guest: after 3 s to settle, @hvstats, sleep, @hvstats.
# Prints "@EXITS idle_exits ..." per second.
idle_exits_lamina() {
  run=$(printf 'sleep 3\necho @hvstats\nsleep %s\necho @hvstats\necho @IDLE-DONE\n' "$idle_s" |
        base64 | tr -d '\n')
  boottime -o /tmp/idle_exits.out @IDLE-DONE 1200 lamina-hv -m 512 -c $vcpus --stats-marker @hvstats \
    -i lat-rootfs.cpio -a "console=hvc0 quiet lamina.run=$run" guest/bzImage >/dev/null || return 1
  e=$(exits_between /tmp/idle_exits.out s) && echo "@EXITS idle_exits $e"
}
# Lamina with PV features off (lamina.nopv=), to show what each one does;
# nokvm: the hypercall paths instead of KVM's in-kernel ones (ABI 1.4)
lat_lamina_noidle() { lat_lamina idle; }
lat_lamina_noipi() { lat_lamina ipi; }
lat_lamina_notimer() { lat_lamina timer; }
lat_lamina_noclock() { lat_lamina clock; }
lat_lamina_nospinlock() { lat_lamina spinlock; }
lat_lamina_nokvm() { lat_lamina kvm; }
lat_lamina_poll() { lat_lamina "" "-P 200"; }
lat_qemu() {
  boottime -o /tmp/lat.out @LAT-DONE 1800 qemu-system-x86_64 $qemu_common -m 512 \
    -kernel guest/bzImage-plain -initrd lat-rootfs.cpio -append "console=hvc0 quiet reboot=t" \
    >/dev/null && grep '^@LAT ' /tmp/lat.out | tr -d '\r'
}
lat_native() { lat -s "$scale"; }

# The plan: one "kind where round" line per measurement, in the order run.
plan() {
  for r in $(seq 1 "$rounds"); do for vmm in lamina qemu; do echo "boot $vmm $r"; done; done
  for r in $(seq 1 "$lat_rounds"); do
    for where in $places; do echo "lat $where $r"; done
    echo "idle_exits lamina $r"
  done
}
[ "${1:-}" = plan ] && { plan; exit 0; }
[ -c /dev/kvm ] || die "no /dev/kvm"
for f in guest/bzImage guest/bzImage-plain boot.cpio lat-rootfs.cpio; do
  [ -f "$f" ] || die "$f missing from the payload"
done
[ "${1:-}" = one ] || echo "linux-bench: $rounds interleaved boot rounds, $lat_rounds of lat (scale $scale); $vcpus vCPUs"
# One measurement (kind boot, lat or idle_exits, on where), once more if
# it fails; prints its "@R" line (a lat on Lamina also its pipe_exits line)
# or ends the run.
measure() { # kind where round
  case "$1" in boot) pat='s/^@BOOT ms=//p' ;; lat) pat='s/^@LAT //p' ;; *) pat="s/^@EXITS $1 //p" ;; esac
  out=$("$1_$2"); v=$(printf '%s\n' "$out" | sed -n "$pat")
  [ -n "$v" ] || { echo "linux-bench: $1 on $2 failed (round $3), once more: $(tail -n 1 "/tmp/$1.out")"
                   out=$("$1_$2"); v=$(printf '%s\n' "$out" | sed -n "$pat"); }
  [ -n "$v" ] || { tail -n 30 "/tmp/$1.out"; die "$1 on $2 printed nothing (round $3)"; }
  echo "@R $1 $2 $3 $v"
  printf '%s\n' "$out" | sed -n "s/^@EXITS pipe_exits /@R pipe_exits $2 $3 /p"
}
# "one KIND WHERE ROUND" takes one measurement (in the testbed each runs in
# a testbed of its own: tools/bench); no argument, the whole plan.
[ "${1:-}" = one ] && { measure "$2" "$3" "$4"; exit 0; }
plan | while read -r kind where r; do measure "$kind" "$where" "$r" || exit 1; done || exit 1
echo "linux-bench: done"
