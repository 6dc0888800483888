#!/bin/sh
# SPDX-License-Identifier: MIT
# linux_time.sh: guest time under load: beside a CPU hog, guest/clock and guest/vcpu pass, and in the Linux guest sleep 1 lasts 1 s of host time (within 1%) and CLOCK_MONOTONIC never goes backwards across vCPUs.
# Runs from the guest-suite payload, natively or in the testbed; prints RESULT lines.
k=guest/bzImage rd=guest/initramfs.cpio run=e2e/linux_run out=/tmp/linux_time.out
per_test=${LAMINA_GUEST_TIMEOUT:-180}
res() { echo "RESULT $1 $2${3:+: $3}"; }

# One CPU hog for the whole test: a shell loop that never sleeps. In the
# testbed it takes one of the two emulated CPUs from the guests' threads.
sh -c 'while :; do :; done' & hog=$!
trap 'kill $hog 2>/dev/null' EXIT INT TERM
echo "  linux-time| a CPU hog (pid $hog) runs beside the guests"

# 1. The conformance guests about time, under the same load.
crashed() { grep -qE 'triple-faulted|killed: timed out' "$1"; }
for g in clock vcpu; do
  eval "set -- $(sed "s|@|guests/$g.elf|g; s|%|guests/|g" "guests/$g.args")"
  log=/tmp/$g-under-load.log
  timeout -s KILL $((per_test + 10)) lamina-hv --timeout "$per_test" "$@" > "$log" 2>&1; rc=$?
  if crashed "$log"; then   # the testbed's own rare fault (docs/testbed-failures.md): once more
    echo "RESULT SKIP guest/$g-under-load-first-run: $(grep -m1 -oE 'ended: crash: .*' "$log" | cut -c1-160); ran it again"
    timeout -s KILL $((per_test + 10)) lamina-hv --timeout "$per_test" "$@" > "$log" 2>&1; rc=$?
  fi
  grep -E 'FAIL|PV clock|TSC|ahead' "$log" | sed "s/^/  $g-under-load| /" | head -n 20
  v=$(grep -m1 -E '^(SUCCESS|FAILURE)' "$log")
  case "$rc:$v" in
    0:SUCCESS*) res PASS "guest/$g-under-load" ;;
    *) res FAIL "guest/$g-under-load" "${v:-no verdict (exit $rc): $(tail -n1 "$log")}" ;;
  esac
done

# 2. The Linux guest, 2 vCPUs, under the same load: clockmono (a static
# program it runs) times 1 s sleeps and compares CLOCK_MONOTONIC across vCPUs.
name=e2e/linux-time-under-load
if [ ! -f "$k" ] || [ ! -f "$rd" ]; then
  res FAIL $name "no guest kernel in the payload ('make guest' did not build it)"
  exit 0
fi
boot() {
  timeout -s KILL 900 $run -m 512 -c 2 -t 800 -i "$rd" -x e2e/clockmono -T e2e/linux_time.guest \
    -e 'sh /lamina/test.sh' "$k" > "$out" 2>&1
}
boot
if grep -qE '^END crash: (vCPU [0-9]* triple-faulted|timed out)' "$out"; then
  echo "RESULT SKIP $name-first-run: $(grep -m1 '^END crash' "$out" | cut -c5-164); ran it again"
  boot
fi
grep -E '@T|@D|END|Kernel panic|BUG|WARNING' "$out" | sed 's/^/  linux-time| /' | tail -n 40

# printk stamps of a mark (guest seconds) and when the host read it (host seconds)
gts() { sed -n "s/.*| \[ *\([0-9.]*\)\] @mark $1\$/\1/p" "$out" | head -n 1; }
hts() { sed -n "s/^H \([0-9.]*\) | \[ *[0-9.]*\] @mark $1\$/\1/p" "$out" | head -n 1; }
med() { sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.6f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Clock across vCPUs: both clockmono runs saw no reading go backwards.
mono=$(sed -n 's/.*@T mono reads=\([0-9]*\) back=\([0-9]*\) worst_ns=\([0-9]*\) self_back=\([0-9]*\).*/\1 \2 \3 \4/p' "$out")
mono_ok=$(echo "$mono" | awk 'NF == 4 { n++; if ($2 != 0 || $4 != 0) bad++; r += $1; w = $3 > w ? $3 : w }
  END { printf "%s %d runs, %d reads, %d with a reading behind the other vCPU'"'"'s earlier one (worst %d ns)",
        (n == 2 && !bad) ? "ok" : "bad", n, r, bad + 0, w }')

# Guest-clock rate against the host's, from the tick marks (as linux_boot.sh:
# the lower envelope of host-minus-guest, linux_drift.awk).
ppm=$(for i in $(seq 0 15); do g=$(gts "tick-$i") h=$(hts "tick-$i"); [ -n "$g" ] && [ -n "$h" ] && echo "$g $h"; done |
  awk -f e2e/linux_drift.awk | awk '$3 >= 10 { print $1 }')

# sleep 1, in guest time: nine 1 s nanosleeps timed inside one process
# (clockmono sleep: no fork or exec in the measurement, whose cost in the
# testbed varies by tens of ms under the hog). Judged: the shortest of the
# nine. A clock running fast or slow shortens or stretches every sleep
# alike, while the hog only ever delays a wakeup (by 2 to 22 ms in the
# testbed, median about 8: every wakeup there crosses the hypervisor's user
# space, which issue 12's fast paths are to remove), so the shortest sleep
# is the one that tells whether guest time is right. The median is printed
# too. In host time: that, divided by the guest clock's rate against the
# host's. For comparison, the shell's "sleep 1" less "sleep 0" (median of
# 7 pairs).
all=$(sed -n 's/.*@T sleep1 i=[0-9]* s=\([0-9.]*\).*/\1/p' "$out")
t=$(echo "$all" | sort -n | head -n 1)
smed=$(echo "$all" | med)
tmed=$(for i in 1 2 3 4 5 6 7; do
      a=$(gts "sleep1-$i-a") b=$(gts "sleep1-$i-b") c=$(gts "sleep0-$i-a") d=$(gts "sleep0-$i-b")
      [ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] && [ -n "$d" ] && echo "$a $b $c $d"; done |
    awk '{ print ($2 - $1) - ($4 - $3) }' | med)
if [ -z "$t" ] || [ -z "$ppm" ]; then
  res FAIL $name "marks missing (sleep ${t:-none}, drift ${ppm:-none}); $(grep '^END' "$out" | head -n 1)"
  exit 0
fi
v=$(awk -v t="$t" -v smed="${smed:-0}" -v tmed="${tmed:-0}" -v ppm="$ppm" -v mono="$mono_ok" 'BEGIN {
    host = t / (1 + ppm / 1e6); eg = (t - 1) * 100; eh = (host - 1) * 100
    ok = eg <= 1 && eg >= -1 && eh <= 1 && eh >= -1 && mono ~ /^ok /
    sub(/^[a-z]* /, "", mono)
    printf "%s sleep 1 slept %.4f s of guest time (%+.2f%%; the shortest of 9 in-process sleeps, median %.4f s; the shell'"'"'s sleep 1 less sleep 0: %.4f s) and %.4f s of host time (%+.2f%%; guest clock %+.1f ppm against the host); CLOCK_MONOTONIC across vCPUs: %s\n",
      ok ? "PASS" : "FAIL", t, eg, smed, tmed, host, eh, ppm, mono }')
res "${v%% *}" $name "${v#* }"
