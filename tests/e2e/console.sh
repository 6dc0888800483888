#!/bin/sh
# SPDX-License-Identifier: MIT
# console.sh: e2e: the PV console back-end process (lamina-console) dies and comes back; one RESULT line.
#
#   console/restart  a console_guest domain in lamina-hvd prints numbered ticks
#                    through its console ring and echoes typed lines. Its
#                    lamina-console is killed (-9): the domain keeps running,
#                    the hypervisor process starts another, and every tick
#                    arrives in order, none lost (the guest's output waits in
#                    its ring meanwhile); typed input reaches the guest before
#                    and after the restart.
#
# A run in which the domain's vCPU triple-faulted (the emulated testbed's
# known fault, docs/testbed-failures.md) is run once more, and the first
# run is reported as RESULT SKIP console/restart-first-run naming the fault.
# Busybox sh: no bash.
here=$(cd "$(dirname "$0")" && pwd)
C="$here/hvd_call"

. "$here/lib.inc"
con() { $C --console "$id" 2> /dev/null; }
con_has() { con | grep -q "$1"; }
state() { $C "{\"op\":\"get\",\"id\":$id}" | sed -n 's/.*"state":"\([a-z-]*\)".*/\1/p'; }
type_b64() { $C "{\"op\":\"console-write\",\"id\":$id,\"data\":\"$1\"}" | grep -q '"ok":true'; }
# The lamina-console serving domain $id: a child of lamina-hvd named for it.
bk_pid() {
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/cmdline" 2> /dev/null | tr '\0' ' ')" = "lamina-console --domain $id " ] || continue
    [ "$(cut -d' ' -f4 "$p/stat" 2> /dev/null)" = "$hvd" ] && { echo "${p#/proc/}"; return 0; }
  done
  return 1
}
new_bk() { b=$(bk_pid) && [ "$b" != "$old" ]; }
last_tick() { con | sed -n 's/^console-guest: tick \([0-9]*\).*/\1/p' | tail -n1; }
ticks_in_order() { # every tick from 0 to the last seen, each once, in order
  con | sed -n 's/^console-guest: tick \([0-9]*\).*/\1/p' |
    awk 'BEGIN { n = 0 } $1 != n { print "tick " n " missing or repeated (saw " $1 ")"; bad = 1; exit } { n++ }
         END { if (!bad && n < 1) print "no ticks" }'
}
fail() { why="$1"; }

# One run in a new lamina-hvd: its RESULT line into $tmp/res. Succeeds
# only if the run failed and the domain's vCPU triple-faulted ($fault).
attempt() {
  tmp=$(mktemp -d /tmp/lamina-console.XXXXXX) || exit 1
  export LAMINA_HVD_SOCKET="$tmp/hvd.sock"
  "$here/lamina-hvd" --socket "$LAMINA_HVD_SOCKET" > "$tmp/hvd.log" 2>&1 &
  hvd=$!
  why= id=
  check > "$tmp/res"
  $C '{"op":"stop-all"}' > /dev/null
  wait "$hvd" 2> /dev/null
  fault=$(grep -m1 -oE 'domain [0-9]* \([^)]*\) ended: crash: vCPU [0-9]* triple-faulted.*' "$tmp/hvd.log")
  grep -q '^RESULT FAIL' "$tmp/res" && [ -n "$fault" ]
}

# The case itself, in the lamina-hvd attempt() started; prints the RESULT line.
check() {
  if ! within 20 $C '{"op":"hello"}' > /dev/null 2>&1; then
    echo "RESULT FAIL console/restart: lamina-hvd did not start: $(tail -n1 "$tmp/hvd.log")"
    kill "$hvd"; return
  fi
  id=$($C "{\"op\":\"create\",\"name\":\"con\",\"kernel\":\"$here/console_guest.elf\",\"mem_kib\":16384,\"vcpus\":1}" |
    sed -n 's/.*"id":\([0-9]*\).*/\1/p')
  [ -n "$id" ] || fail "the domain was not created"
  [ -z "$why" ] && { within 300 con_has '^console-guest: tick 2$' || fail "no ticks through the ring"; }
  [ -z "$why" ] && { old=$(bk_pid) || fail "no lamina-console child of lamina-hvd for domain $id"; }
  [ -z "$why" ] && { type_b64 aGVsbG8K || fail "console-write refused"; }          # "hello\n"
  [ -z "$why" ] && { within 60 con_has '^console-guest: echo: hello$' || fail "typed input did not reach the guest"; }
  if [ -z "$why" ]; then
    kill -9 "$old"
    n=$(last_tick)
    sleep 1
    [ "$(state)" = running ] || fail "the domain is $(state) after lamina-console was killed"
  fi
  [ -z "$why" ] && { within 60 new_bk || fail "no new lamina-console was started"; }
  [ -z "$why" ] && { within 120 con_has "^console-guest: tick $((n + 5))\$" || fail "ticks did not resume after the restart (last before: $n)"; }
  [ -z "$why" ] && { type_b64 YWdhaW4K || fail "console-write refused after the restart"; }   # "again\n"
  [ -z "$why" ] && { within 60 con_has '^console-guest: echo: again$' || fail "typed input did not reach the guest after the restart"; }
  [ -z "$why" ] && { gap=$(ticks_in_order); [ -n "$gap" ] && fail "output lost across the restart: $gap"; }
  [ -z "$why" ] && { type_b64 cXVpdAo= || fail "console-write of quit refused"; }     # "quit\n"
  [ -z "$why" ] && { within 60 con_has '^SUCCESS' || fail "the guest did not finish: $(con | tail -n1)"; }
  if [ -z "$why" ]; then echo "RESULT PASS console/restart"
  else
    echo "RESULT FAIL console/restart: $why"
    [ -n "$id" ] && con | tail -n 8 | sed 's/^/  console| console: /'
    tail -n 8 "$tmp/hvd.log" | sed 's/^/  console| hvd.log: /'
  fi
}

if attempt; then
  grep -v '^RESULT' "$tmp/res"
  echo "RESULT SKIP console/restart-first-run: $fault; ran it again"
  rm -rf "$tmp"
  attempt
fi
cat "$tmp/res"
rm -rf "$tmp"
