#!/bin/sh
# SPDX-License-Identifier: MIT
# crash_stats.sh: e2e: a crashed domain's statistics stand still.
#
# RESULT e2e/crash-stats-frozen: lamina-hvd runs the triplefault guest
# (tests/guests/triplefault) until it is "crashed"; two stats 2 s apart
# then give the same cpu_ns (its vCPU's running time) and say its vCPU is
# offline: a vCPU that ended must not go on counting run time, or a stuck
# guest and a dead one look alike.
# Busybox sh: no bash.
here=$(cd "$(dirname "$0")" && pwd)
C="$here/hvd_call"
tmp=$(mktemp -d /tmp/lamina-crashstats.XXXXXX) || exit 1
export LAMINA_HVD_SOCKET="$tmp/hvd.sock"
"$here/lamina-hvd" --socket "$LAMINA_HVD_SOCKET" > "$tmp/hvd.log" 2>&1 &
hvd=$!
. "$here/lib.inc"
res() { echo "RESULT $1 e2e/crash-stats-frozen${2:+: $2}"; }
field() { sed -n "s/.*\"$1\":\\([0-9]*\\).*/\\1/p"; }
crashed() { $C "{\"op\":\"get\",\"id\":$id}" | grep -q '"state":"crashed"'; }
stats() { $C "{\"op\":\"stats\",\"id\":$id}"; }

if ! within 20 $C '{"op":"hello"}' > /dev/null 2>&1; then
  res FAIL "lamina-hvd did not start: $(tail -n1 "$tmp/hvd.log")"
else
  id=$($C "{\"op\":\"create\",\"name\":\"tf\",\"kernel\":\"$here/../guests/triplefault.elf\",\"mem_kib\":16384,\"vcpus\":1}" |
       sed -n 's/.*"id":\([0-9]*\).*/\1/p')
  if [ -z "$id" ]; then res FAIL "create refused: $(tail -n1 "$tmp/hvd.log")"
  elif ! within 60 crashed; then res FAIL "the triplefault guest did not crash in 60 s: $(stats | cut -c1-300)"
  else
    s1=$(stats); sleep 2; s2=$(stats)
    c1=$(echo "$s1" | field cpu_ns) c2=$(echo "$s2" | field cpu_ns)
    where=$(echo "$s2" | sed -n 's/.*"where": *"\([^"]*\)".*/\1/p')
    if [ -z "$c1" ] || [ "$c1" != "$c2" ]; then res FAIL "cpu_ns went from $c1 to $c2 in 2 s after the crash"
    else case "$where" in
      "vCPU 0 offline"*) res PASS "cpu_ns stays $c1 after the crash; $(echo "$where" | cut -d, -f1)" ;;
      *) res FAIL "its vCPU is not offline after the crash: $where" ;;
    esac; fi
  fi
fi
$C '{"op":"stop-all"}' > /dev/null 2>&1
kill "$hvd" 2> /dev/null; wait "$hvd" 2> /dev/null
rm -rf "$tmp"
