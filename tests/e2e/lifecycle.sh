#!/bin/sh
# SPDX-License-Identifier: MIT
# lifecycle.sh: e2e: lamina drives a real domain on laminad's KVM back-end through its whole life; one RESULT line per step.
#
# Steps: create, list (running), console (heartbeat), pause (list says paused,
# heartbeats stop), unpause (running, they resume), mem-set down and up (the
# guest reports the new size, list shows it), top (non-zero, changing numbers),
# trace (decoded hypercalls, advancing time, a doorbell event_send among them), reboot (on_reboot=restart: it runs
# again under a new id), shutdown (the guest powers off, the log says so), gone
# (list no longer shows it). Busybox sh: no bash.
here=$(cd "$(dirname "$0")" && pwd)
L="$here/lamina"
name=lifecycle
tmp=$(mktemp -d /tmp/lamina-lifecycle.XXXXXX) || exit 1
export XDG_RUNTIME_DIR="$tmp/xdg" LAMINA_LOG_DIR="$tmp/log"
unset LAMINA_RUN_DIR LAMINA_BACKEND
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
conlog="$LAMINA_LOG_DIR/$name.console.log"
domlog="$LAMINA_LOG_DIR/$name.log"
broken=  # set once the domain is unusable: later steps say so instead of running
failed=0

pass() { echo "RESULT PASS e2e/lifecycle-$1"; }
fail() { echo "RESULT FAIL e2e/lifecycle-$1: $2"; failed=1; }
lam() { timeout 30 "$L" "$@"; }
# Run step LABEL[:FN] (function step_FN, FN defaults to LABEL) unless the domain is broken.
run() {
  if [ -n "$broken" ]; then fail "${1%%:*}" "not run: $broken"; return; fi
  "step_${1##*:}"
}
state() { lam list 2>/dev/null | awk -v n="$name" '$1 == n { print $3 }'; }
beats() { grep -c '^heartbeat ' "$conlog" 2>/dev/null || echo 0; }
. "$here/lib.inc"

start_daemon() {
  "$here/laminad" > "$tmp/laminad.out" 2>&1 &
  daemon=$!
  within 20 lam list > /dev/null 2>&1
}

step_create() {
  cat > "$tmp/$name.xml" <<EOF
<domain type="lamina">
  <name>$name</name>
  <memory unit="MiB">64</memory>
  <currentMemory unit="MiB">32</currentMemory>
  <vcpu>1</vcpu>
  <os>
    <kernel>$here/lifecycle_guest.elf</kernel>
    <cmdline>heartbeat_ms=500</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>preserve</on_crash>
</domain>
EOF
  out=$(lam create "$tmp/$name.xml" 2>&1)
  case "$out" in
    "Created domain '$name'"*) pass create ;;
    *) fail create "lamina create said: $out"; broken="create failed" ;;
  esac
}

step_list() {
  s=$(state)
  if [ "$s" = running ]; then pass list
  else fail list "lamina list shows state '$s', want running: $(lam list 2>&1 | tr '\n' '|')"; fi
}

has_heartbeat() { timeout 5 "$L" console "$name" < /dev/null 2> /dev/null | grep -q '^heartbeat [0-9]*: [0-9]* KiB'; }
step_console() {
  if within 30 has_heartbeat; then pass console
  else
    fail console "no heartbeat from lamina console within 30 s; console log: $(tail -c 300 "$conlog" 2>/dev/null | tr '\n' '|')"
    broken="the guest never printed a heartbeat"
  fi
}

step_pause() {
  out=$(lam pause "$name" 2>&1) || { fail pause "lamina pause: $out"; return; }
  s=$(state)
  sleep 2; b1=$(beats); sleep 3; b2=$(beats)
  if [ "$s" != paused ]; then fail pause "list shows '$s' after pause, want paused"
  elif [ "$b1" != "$b2" ]; then fail pause "heartbeats went on while paused ($b1 -> $b2)"
  else pass pause; fi
}

beats_above() { [ "$(beats)" -gt "$1" ]; }
step_unpause() {
  b1=$(beats)
  out=$(lam unpause "$name" 2>&1) || { fail unpause "lamina unpause: $out"; broken="unpause failed"; return; }
  s=$(state)
  if [ "$s" != running ]; then fail unpause "list shows '$s' after unpause, want running"
  elif ! within 20 beats_above "$b1"; then fail unpause "no heartbeat within 20 s of unpausing"
  else pass unpause; fi
}

reports_kib() { tail -n 3 "$conlog" | grep -q "^heartbeat [0-9]*: $1 KiB"; }
lists_mem() { lam list | awk -v n="$name" '$1 == n { print $5, $6 }' | grep -qx "$1"; }
# mem-set to $2 MiB: the guest must report it and lamina list must show it.
memset_to() {
  out=$(lam mem-set "$name" "$2M" 2>&1) || { fail "$1" "lamina mem-set $2M: $out"; return; }
  kib=$(($2 * 1024))
  if ! within 30 reports_kib "$kib"; then
    fail "$1" "the guest did not report $kib KiB within 30 s: $(grep '^heartbeat' "$conlog" | tail -n 1)"
  elif ! lists_mem "$2 MiB"; then
    fail "$1" "lamina list does not show $2 MiB: $(lam list | grep "^$name ")"
  else pass "$1"; fi
}
step_memdown() { memset_to mem-set-down 16; }
step_memup() { memset_to mem-set-up 48; }

hcalls() { lam info "$name" | awk '$1 == "Hypercalls:" { print $2 }'; }
step_top() {
  out=$(lam top -b -n 2 -d 1 2>&1)
  rates=$(echo "$out" | awk -v n="$name" '$1 == n { print $NF }' | tr '\n' ' ')
  h1=$(hcalls); sleep 2; h2=$(hcalls)
  set -- $rates
  if [ $# -ne 2 ] || ! awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > 0 && b > 0) }'; then
    fail top "lamina top -b -n 2: want two non-zero HCALLS/s for $name, got '$rates': $(echo "$out" | tr '\n' '|')"
  elif [ -z "$h1" ] || [ -z "$h2" ] || [ "$h2" -le "$h1" ]; then
    fail top "lamina info hypercall totals did not grow: '$h1' then '$h2'; vCPU threads: $(vcpu_where)"
  else pass top; echo "  lifecycle| top: HCALLS/s $rates; hypercalls $h1 -> $h2"; fi
}

step_trace() {
  out=$(timeout 30 "$L" trace -n 60 "$name" 2>&1)
  n=$(echo "$out" | grep -cE '^ *[0-9]+\.[0-9]+ vcpu[0-9]+ +[a-z_]+\(.*\) = -?[0-9]+$')
  t1=$(echo "$out" | head -n 1 | awk '{ print $1 }'); t2=$(echo "$out" | tail -n 1 | awk '{ print $1 }')
  if [ "$n" -ne 60 ]; then fail trace "want 60 decoded calls, got $n: $(echo "$out" | head -n 12 | tr '\n' '|')"
  elif ! echo "$out" | grep -qE 'event_send\(port=[0-9]+\) = 0$'; then
    fail trace "no doorbell event_send (the heartbeat's self-IPI) in 60 calls: $(echo "$out" | tr '\n' '|')"
  elif ! echo "$out" | grep -qE 'sched_op\(cmd=poll|console_io\(cmd=write|memory_op\(cmd='; then
    fail trace "no decoded sub-op in: $(echo "$out" | tr '\n' '|')"
  elif [ "$t1" = "$t2" ]; then fail trace "first and last call have the same time $t1"
  else pass trace; echo "$out" | head -n 3 | sed 's/^/  lifecycle| trace: /'; fi
}

# vcpu-pin: the vCPU thread (named v0-<domain>, in lamina-hvd, which owns the
# domains) may then run only on CPU 0.
step_pin() {
  out=$(lam vcpu-pin "$name" 0 0 2>&1) || { fail vcpu-pin "lamina vcpu-pin: $out"; return; }
  hvd=$(cat "$XDG_RUNTIME_DIR/lamina/lamina-hvd.lock" 2>/dev/null)
  t=$(grep -l "^v0-$name" /proc/"$hvd"/task/*/comm 2>/dev/null | head -n 1)
  cpus=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "${t%/comm}/status" 2>/dev/null)
  if [ -z "$t" ]; then fail vcpu-pin "no thread named v0-$name in lamina-hvd (pid '$hvd')"
  elif [ "$cpus" != 0 ]; then fail vcpu-pin "v0-$name may run on CPUs '$cpus', want 0"
  else pass vcpu-pin; echo "  lifecycle| vcpu-pin: v0-$name runs on CPU $cpus"; fi
}

# Running under a new id, and the new boot has printed a heartbeat.
restarted() {
  lam list | awk -v n="$name" -v old="$1" '$1 == n && $2 != old && $3 == "running" { ok = 1 }
                                          END { exit !ok }' &&
    awk '/^test: lifecycle/ { boots++ } boots == 2 && /^heartbeat / { ok = 1 } END { exit !ok }' "$conlog"
}
step_reboot() {
  id=$(lam list | awk -v n="$name" '$1 == n { print $2 }')
  out=$(lam reboot "$name" 2>&1) || { fail reboot "lamina reboot: $out"; broken="reboot failed"; return; }
  if ! within 30 restarted "$id"; then
    fail reboot "not running again under a new id with a new heartbeat within 30 s: $(lam list | grep "^$name "); vCPU threads: $(vcpu_where)"
    broken="reboot did not come back"
  elif ! grep -q 'guest rebooted; action restart' "$domlog"; then
    fail reboot "the domain log does not say it rebooted: $(tail -n 3 "$domlog" | tr '\n' '|')"
  else pass reboot; fi
}

step_shutdown() {
  out=$(timeout 90 "$L" shutdown --wait --timeout 60 "$name" 2>&1)
  rc=$?
  if [ $rc -ne 0 ]; then fail shutdown "lamina shutdown --wait exited $rc: $out"; broken="shutdown failed"
  elif ! grep -q 'guest powered off; action destroy' "$domlog"; then
    fail shutdown "the domain log does not say it powered off: $(tail -n 3 "$domlog" | tr '\n' '|')"
  elif ! grep -q 'control/shutdown is poweroff' "$conlog"; then
    fail shutdown "the guest did not report the poweroff request on its console"
  else pass shutdown; fi
}

step_gone() {
  if lam list | grep -q "^$name "; then fail gone "lamina list still shows it: $(lam list | grep "^$name ")"
  else pass gone; fi
}

# Where each of lamina-hvd's vCPU threads of this domain is, for a domain
# gone quiet: its kernel state, wait channel and system call (number and
# arguments: 202 futex, 16 ioctl, i.e. KVM_RUN), twice a second apart.
vcpu_where() {
  hvd=$(cat "$XDG_RUNTIME_DIR/lamina/lamina-hvd.lock" 2>/dev/null)
  for round in 1 2; do
    for c in /proc/"$hvd"/task/*/comm; do
      grep -q "^v[0-9]*-$name" "$c" 2>/dev/null || continue
      t=${c%/comm}
      echo "$(cat "$c") state=$(awk '{ print $3 }' "$t/stat") wchan=$(cat "$t/wchan" 2>/dev/null) syscall=$(cut -d' ' -f1-3 "$t/syscall" 2>/dev/null) utime=$(awk '{ print $14 }' "$t/stat")"
    done
    [ $round = 1 ] && sleep 1
  done | tr '\n' ';'
}

diagnose() {
  echo "  lifecycle| vCPU threads: $(vcpu_where)"
  echo "  lifecycle| info: $(lam info "$name" 2>&1 | grep -E '^(State|Exits|Hypercalls)' | tr '\n' ';')"
  for f in "$tmp/laminad.out" "$LAMINA_LOG_DIR/lamina-hvd.log" "$domlog" "$conlog"; do
    [ -f "$f" ] && tail -n 15 "$f" | sed "s#^#  lifecycle| $(basename "$f"): #"
  done
}

if start_daemon; then
  for s in create list console pause unpause mem-set-down:memdown mem-set-up:memup top trace \
           vcpu-pin:pin reboot shutdown gone; do
    run "$s"
  done
else
  fail daemon "laminad did not come up: $(tail -n 5 "$tmp/laminad.out" | tr '\n' '|')"
fi
[ "$failed" -eq 0 ] || diagnose
lam destroy "$name" > /dev/null 2>&1
kill "$daemon" 2> /dev/null && wait "$daemon"
"$here/laminad" --stop-domains > /dev/null 2>&1 # lamina-hvd, which laminad started
rm -rf "$tmp"
