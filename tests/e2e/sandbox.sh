#!/bin/sh
# SPDX-License-Identifier: MIT
# sandbox.sh: e2e: a back-end that makes a forbidden system call is killed by its seccomp sandbox, and nothing else is (RESULT sandbox/forbidden-syscall); vCPU threads have a filter of their own (RESULT sandbox/vcpu-filter).
#
# One backend_guest domain with two echo devices (cmdline sandbox=1), each
# served by its own echo_backend process (tests/e2e/echo_backend.c):
#   echo/0  mode "forbidden" (test only): serves one round, then opens
#           /etc/passwd inside its sandbox;
#   echo/1  mode "serve".
# Passes when the first back-end died by SIGSYS (and said it was about to
# make the call), the guest saw echo/0 Closed while the domain kept
# running, lamina-hvd still answers, echo/1 then served another round, the
# guest said SUCCESS, and the second back-end exited 0. sandbox/vcpu-filter:
# meanwhile lamina-hvd's vCPU thread (v0-sandbox) is in seccomp filter
# mode (/proc/PID/task/TID/status, "Seccomp: 2") and its main thread is not.
# Busybox sh: no bash.
here=$(cd "$(dirname "$0")" && pwd)
C="$here/hvd_call"
name=sandbox/forbidden-syscall
tmp=$(mktemp -d /tmp/lamina-sandbox.XXXXXX) || exit 1
export LAMINA_HVD_SOCKET="$tmp/hvd.sock"
unset LAMINA_SANDBOX # the default action: kill
"$here/lamina-hvd" --socket "$LAMINA_HVD_SOCKET" > "$tmp/hvd.log" 2>&1 &
hvd=$!

. "$here/lib.inc"
con_has() { $C --console "$1" 2> /dev/null | grep -q "$2"; }
state() { $C "{\"op\":\"get\",\"id\":$1}" | sed -n 's/.*"state":"\([a-z-]*\)".*/\1/p'; }
go() { $C "{\"op\":\"console-write\",\"id\":$1,\"data\":\"Zw==\"}" > /dev/null; } # "g"
finish() {
  for p in $bad $good; do kill -9 "$p" 2> /dev/null; done
  $C '{"op":"stop-all"}' > /dev/null 2>&1
  kill "$hvd" 2> /dev/null; wait "$hvd" 2> /dev/null
  rm -rf "$tmp"
}

if ! within 20 $C '{"op":"hello"}' > /dev/null 2>&1; then
  echo "RESULT FAIL $name: lamina-hvd did not start: $(tail -n1 "$tmp/hvd.log")"
  finish; exit 0
fi

id=$($C "{\"op\":\"create\",\"name\":\"sandbox\",\"kernel\":\"$here/backend_guest.elf\",\"cmdline\":\"sandbox=1\",\"mem_kib\":16384,\"vcpus\":1}" |
     sed -n 's/.*"id":\([0-9]*\).*/\1/p')
"$here/echo_backend" "$id" forbidden 0 > "$tmp/bad.log" 2>&1 &
bad=$!
"$here/echo_backend" "$id" serve 1 > "$tmp/good.log" 2>&1 &
good=$!

why=
[ -n "$id" ] || why="the domain was not created"
if [ -z "$why" ]; then
  wait "$bad"; st=$?; bad=
  # A shell reports death by signal N as 128 + N; SIGSYS is 31 on x86-64.
  [ "$st" -eq 159 ] || why="the forbidden back-end's exit status is $st, not death by SIGSYS (159)"
fi
[ -z "$why" ] && ! grep -q 'test only: calling open' "$tmp/bad.log" && why="the back-end died before its forbidden call"
[ -z "$why" ] && { within 300 con_has "$id" 'device/echo/0: saw the back-end Closed' ||
                   why="the front-end never saw echo/0 Closed"; }
[ -z "$why" ] && [ "$(state "$id")" != running ] && why="the domain is $(state "$id") after its back-end died"
[ -z "$why" ] && ! kill -0 "$hvd" 2> /dev/null && why="lamina-hvd died"
[ -z "$why" ] && ! $C '{"op":"hello"}' > /dev/null && why="lamina-hvd stopped answering"
[ -z "$why" ] && ! kill -0 "$good" 2> /dev/null && why="the other back-end died too"
# While the domain runs: its vCPU thread has its own filter, the rest of lamina-hvd none.
vwhy=
for t in /proc/$hvd/task/*; do
  echo "$(cat "$t/comm") $(sed -n 's/^Seccomp:[[:space:]]*//p' "$t/status")"
done > "$tmp/threads"
grep -q '^v0-sandbox 2$' "$tmp/threads" || vwhy="the vCPU thread is not in seccomp filter mode: $(grep '^v0-' "$tmp/threads")"
[ "$(head -n1 "$tmp/threads" | cut -d' ' -f2)" = 0 ] || vwhy="${vwhy:-lamina-hvd's main thread has a filter too}"
[ -z "$why" ] || vwhy="${vwhy:-not checked: $why}"
if [ -z "$why" ]; then
  go "$id"
  within 300 con_has "$id" '^SUCCESS' || why="no SUCCESS from the guest after echo/0 died"
  [ -z "$why" ] && ! con_has "$id" 'device/echo/1: round 1: 16 echoes ok' && why="echo/1 did not serve its second round"
  [ -z "$why" ] && { wait "$good" || why="the other back-end exited $?"; good=; }
fi
# The kernel's record of the kill names the call (an audit line, type=1326).
rec=$(dmesg 2> /dev/null | grep 'type=1326' | grep 'comm="echo_backend"' | tail -n1)
[ -n "$rec" ] && echo "  sandbox| kernel: ${rec#*audit: }"
if [ -z "$vwhy" ]; then echo "RESULT PASS sandbox/vcpu-filter"
else echo "RESULT FAIL sandbox/vcpu-filter: $vwhy"; sed 's/^/  sandbox| thread: /' "$tmp/threads"; fi
if [ -z "$why" ]; then
  echo "RESULT PASS $name"
else
  echo "RESULT FAIL $name: $why"
  $C --console "$id" 2> /dev/null | tail -n 8 | sed 's/^/  sandbox| console: /'
  for f in "$tmp/bad.log" "$tmp/good.log" "$tmp/hvd.log"; do
    tail -n 8 "$f" | sed "s#^#  sandbox| $(basename "$f"): #"
  done
fi
finish
