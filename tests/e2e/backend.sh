#!/bin/sh
# SPDX-License-Identifier: MIT
# backend.sh: e2e: device back-end processes on lamina-hvd's back-end interface; four RESULT lines.
#
# Each test creates a backend_guest domain (the "echo" front-end) in one
# lamina-hvd and starts echo_backend (tests/e2e/echo_backend.c, on
# pvdrivers/lib) for its device echo/0:
#   backend/echo            handshake, 16 echoes with data both ways, kicks both ways
#   backend/only-granted    the back-end cannot map what was not granted to it, nor past its udmabuf
#   backend/kill            kill -9 of the back-end: the domain runs on and sees Closed; a new one reconnects
#   backend/hostile-control garbage, unknown ops, ungranted refs, double maps; a back-end that ignores
#                           "detach" is cut off; lamina-hvd and the domain go on, a good back-end then works
# Busybox sh: no bash.
here=$(cd "$(dirname "$0")" && pwd)
C="$here/hvd_call"
tmp=$(mktemp -d /tmp/lamina-backend.XXXXXX) || exit 1
export LAMINA_HVD_SOCKET="$tmp/hvd.sock"
"$here/lamina-hvd" --socket "$LAMINA_HVD_SOCKET" > "$tmp/hvd.log" 2>&1 &
hvd=$!
pids=

. "$here/lib.inc"
say() { echo "  backend| $*"; }
create() { # NAME ROUNDS: prints the id
  $C "{\"op\":\"create\",\"name\":\"$1\",\"kernel\":\"$here/backend_guest.elf\",\"cmdline\":\"rounds=$2\",\"mem_kib\":16384,\"vcpus\":1}" |
    sed -n 's/.*"id":\([0-9]*\).*/\1/p'
}
con_has() { $C --console "$1" 2> /dev/null | grep -q "$2"; }
state() { $C "{\"op\":\"get\",\"id\":$1}" | sed -n 's/.*"state":"\([a-z-]*\)".*/\1/p'; }
backend() { # ID MODE LOG: start a back-end, its pid in $bk
  "$here/echo_backend" "$1" "$2" > "$3" 2>&1 &
  bk=$!; pids="$pids $bk"
}
show() { # ID LOG...: what went on, after a failure
  $C --console "$1" 2> /dev/null | tail -n 8 | sed 's/^/  backend| console: /'
  shift
  for f in "$@" "$tmp/hvd.log"; do tail -n 8 "$f" | sed "s#^#  backend| $(basename "$f"): #"; done
}
destroy() { $C "{\"op\":\"destroy\",\"id\":$1}" > /dev/null; }
verdict() { # NAME ID REASON-OR-EMPTY LOGS...
  n=$1 id=$2 why=$3; shift 3
  if [ -z "$why" ]; then echo "RESULT PASS backend/$n"
  else echo "RESULT FAIL backend/$n: $why"; show "$id" "$@"; fi
  destroy "$id"
}

if ! within 20 $C '{"op":"hello"}' > /dev/null 2>&1; then
  for n in echo only-granted kill hostile-control; do echo "RESULT FAIL backend/$n: lamina-hvd did not start: $(tail -n1 "$tmp/hvd.log")"; done
  kill "$hvd"; rm -rf "$tmp"; exit 0
fi

# 1. echo
id=$(create echo 1); why=
backend "$id" serve "$tmp/echo.log"
within 300 con_has "$id" '^SUCCESS' || why="no SUCCESS from the front-end"
wait "$bk" || why="${why:-the back-end exited $?}"
[ -z "$why" ] && ! grep -q 'echo_backend: connected' "$tmp/echo.log" && why="the back-end never connected"
verdict echo "$id" "$why" "$tmp/echo.log"

# 2. only-granted
id=$(create granted 1); why=
backend "$id" probe "$tmp/probe.log"
within 300 con_has "$id" '^SUCCESS' || why="no SUCCESS from the front-end"
wait "$bk" || why="${why:-the back-end exited $?}"
f=$(grep -m1 'FAIL' "$tmp/probe.log") && why="$f"
[ "$(grep -c 'echo_backend: ok:' "$tmp/probe.log")" -eq 10 ] || why="${why:-not all 9 probes and the back-to-front requests ran}"
verdict only-granted "$id" "$why" "$tmp/probe.log"

# 3. kill
id=$(create kill 2); why=
backend "$id" serve "$tmp/kill1.log"
within 300 con_has "$id" 'round 0: 16 echoes ok' || why="the first round did not finish"
kill -9 "$bk"; wait "$bk" 2> /dev/null
[ -z "$why" ] && { within 120 con_has "$id" 'saw the back-end Closed' || why="the front-end never saw Closed"; }
[ -z "$why" ] && [ "$(state "$id")" != running ] && why="the domain is $(state "$id") after the kill"
if [ -z "$why" ]; then
  backend "$id" serve "$tmp/kill2.log"
  within 300 con_has "$id" '^SUCCESS' || why="no SUCCESS after the back-end restarted"
  wait "$bk" || why="${why:-the restarted back-end exited $?}"
fi
verdict kill "$id" "$why" "$tmp/kill1.log" "$tmp/kill2.log"

# 4. hostile-control
id=$(create hostile 1); why=
backend "$id" hostile "$tmp/hostile.log"; bad=$bk
within 300 grep -qs 'now never answering' "$tmp/hostile.log" || why="the hostile back-end did not get through its cases"
f=$(grep -m1 'FAIL' "$tmp/hostile.log") && why="$f"
detach="{\"op\":\"backend-detach\",\"id\":$id,\"type\":\"echo\",\"devid\":0}"
[ -z "$why" ] && ! $C "$detach" > /dev/null && why="backend-detach was refused"
cut_off() { $C "$detach" | grep -q ENOENT; }
[ -z "$why" ] && { within 20 cut_off || why="a back-end that ignores detach was not cut off"; }
[ -z "$why" ] && ! $C '{"op":"hello"}' > /dev/null && why="lamina-hvd stopped answering"
[ -z "$why" ] && [ "$(state "$id")" != running ] && why="the domain is $(state "$id")"
kill -9 "$bad" 2> /dev/null
if [ -z "$why" ]; then
  backend "$id" serve "$tmp/hostile2.log"
  within 300 con_has "$id" '^SUCCESS' || why="a good back-end did not work after the hostile one"
  wait "$bk" || why="${why:-the good back-end exited $?}"
fi
verdict hostile-control "$id" "$why" "$tmp/hostile.log" "$tmp/hostile2.log"

for p in $pids; do kill -9 "$p" 2> /dev/null; done
$C '{"op":"stop-all"}' > /dev/null
wait "$hvd" 2> /dev/null
rm -rf "$tmp"
