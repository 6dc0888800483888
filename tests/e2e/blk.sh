#!/bin/sh
# SPDX-License-Identifier: MIT
# blk.sh: e2e: the block device: blk_guest front-ends against lamina-blkback processes; one RESULT line per case.
#
# Two domains in one lamina-hvd, each with disk vbd/0 served by its own
# lamina-blkback (pvdrivers/blk):
#   A: a 1 GiB sparse image, 512-byte sectors: blk/rw-512, blk/discard,
#      blk/thin (10 MiB written allocate 10-16 MiB on the host; the discard
#      gives at least 8 MiB back), blk/full-rings (256 one-page requests in
#      flight at once, more than the back-end may map: held back, not
#      refused) and the blk/hostile-* cases
#   B: a 64 MiB image with 4096-byte sectors: blk/rw-4096, then
#      blk/backend-restart (kill -9 of its back-end with a write in flight;
#      a new one is started; the guest re-sends and reads the write back)
# The guests print "blkcase PASS|FAIL name"; a hostile case passes only if
# its back-end process and both domains are still alive at the end.
# Busybox sh: no bash.
here=$(cd "$(dirname "$0")" && pwd)
C="$here/hvd_call"
tmp=$(mktemp -d /tmp/lamina-blk.XXXXXX) || exit 1
export LAMINA_HVD_SOCKET="$tmp/hvd.sock"
"$here/lamina-hvd" --socket "$LAMINA_HVD_SOCKET" > "$tmp/hvd.log" 2>&1 &
hvd=$!
HOSTILE="hostile-sector hostile-segments hostile-grant hostile-indirect-self hostile-id-reuse hostile-flood hostile-ring-index"
ALL="rw-512 rw-4096 backend-restart discard thin full-rings $HOSTILE"

. "$here/lib.inc"
create() { # NAME CMDLINE: prints the id
  $C "{\"op\":\"create\",\"name\":\"$1\",\"kernel\":\"$here/blk_guest.elf\",\"cmdline\":\"$2\",\"mem_kib\":16384,\"vcpus\":1}" |
    sed -n 's/.*"id":\([0-9]*\).*/\1/p'
}
console() { $C --console "$1" 2> /dev/null; }
con_has() { console "$1" | grep -q "$2"; }
state() { $C "{\"op\":\"get\",\"id\":$1}" | sed -n 's/.*"state":"\([a-z-]*\)".*/\1/p'; }
kib() { du -k "$1" | cut -f1; }
go() { $C "{\"op\":\"console-write\",\"id\":$1,\"data\":\"Zw==\"}" > /dev/null; } # "g"
say() { echo "  blk| $*"; }

if ! within 20 $C '{"op":"hello"}' > /dev/null 2>&1; then
  for n in $ALL; do echo "RESULT FAIL blk/$n: lamina-hvd did not start: $(tail -n1 "$tmp/hvd.log")"; done
  kill "$hvd"; rm -rf "$tmp"; exit 0
fi

imga=$tmp/a.img imgb=$tmp/b.img
dd if=/dev/zero of="$imga" bs=1048576 count=0 seek=1024 2> /dev/null
dd if=/dev/zero of="$imgb" bs=1048576 count=0 seek=64 2> /dev/null
a=$(create blk-a "ss=512 thin=1 full=1 hostile=1")
b=$(create blk-b "ss=4096 restart=1")
"$here/lamina-blkback" --verbose "$a" 0 "$imga" > "$tmp/bk-a.log" 2>&1 &
bka=$!
"$here/lamina-blkback" --sector-size 4096 "$b" 0 "$imgb" > "$tmp/bk-b.log" 2>&1 &
bkb=$!

# One loop paces both guests: B's back-end is killed (and replaced) when
# B says so; A's allocation is measured after its writes and its discard.
restart="the guest never asked for the kill" thin="the guest never wrote its 10 MiB" stage=0
t=1500
ended() { con_has "$1" '^\(SUCCESS\|FAILURE\)' || [ "$(state "$1")" = crashed ]; }
while [ "$t" -gt 0 ] && { [ -n "$restart" ] || [ "$stage" -lt 2 ]; }; do
  if [ $((t % 30)) = 0 ]; then # progress, and stop waiting for guests that ended
    say "A: $(console "$a" | tail -n1)"; say "B: $(console "$b" | tail -n1)"
    say "A's back-end: $(tail -n1 "$tmp/bk-a.log")"; say "B's back-end: $(tail -n1 "$tmp/bk-b.log")"
    ended "$a" && { [ -z "$restart" ] || ended "$b"; } && break
  fi
  if [ -n "$restart" ] && con_has "$b" 'kill the back-end now'; then
    kill -9 "$bkb"; wait "$bkb" 2> /dev/null
    "$here/lamina-blkback" --sector-size 4096 "$b" 0 "$imgb" > "$tmp/bk-b2.log" 2>&1 &
    bkb=$! restart=
  fi
  if [ "$stage" = 0 ] && con_has "$a" 'thin written'; then
    k1=$(kib "$imga"); say "after 10 MiB written: $k1 KiB allocated"
    thin="the guest did not discard" stage=1
    [ "$k1" -ge 10240 ] && [ "$k1" -le 16384 ] || { thin="10 MiB written allocate $k1 KiB, not 10240-16384"; stage=3; }
    go "$a"
  fi
  if [ "$stage" = 1 ] && con_has "$a" 'thin discarded'; then
    k2=$(kib "$imga"); say "after the discard: $k2 KiB allocated"
    thin= stage=2
    [ "$k2" -le $((k1 - 8192)) ] || thin="the discard left $k2 KiB of $k1 allocated"
    go "$a"
  fi
  sleep 1; t=$((t - 1))
done
[ "$stage" = 3 ] && go "$a"
console "$a" | grep -q 'thin .* (with errors)' && thin="${thin:-the guest saw errors writing or discarding}"

# A verdict, or the domain's end (ended(): a crashed guest gives none), or
# 180 s in which it made no exit and printed nothing (the longest a
# blk_guest waits on its rings without an exit is 120 s): up to LIMIT s.
verdict_wait() { # DOMAIN LIMIT
  n=0 last= same=0
  while [ "$n" -lt "$2" ] && ! ended "$1"; do
    now="$($C "{\"op\":\"stats\",\"id\":$1}" | sed -n 's/.*"exits":\(.*\]\]\),"calls".*/\1/p') $(console "$1" | wc -l)"
    if [ "$now" = "$last" ]; then same=$((same + 5)); else same=0 last=$now; fi
    [ "$same" -ge 180 ] && { say "domain $1: no exit and no output for 180 s"; return; }
    sleep 5; n=$((n + 5))
  done
}
verdict_wait "$a" 900
verdict_wait "$b" 300
alive=
kill -0 "$bka" 2> /dev/null || alive="the back-end of domain A died: $(tail -n1 "$tmp/bk-a.log")"
[ "$(state "$a")" = crashed ] && alive="${alive:-domain A crashed}"
$C '{"op":"hello"}' > /dev/null || alive="${alive:-lamina-hvd stopped answering}"

verdict() { # NAME DOMAIN EXTRA-FAILURE
  l=$(console "$2" | grep -m1 "^blkcase [A-Z]* $1\(:\|\$\)")
  case "$l" in
    "blkcase PASS $1") if [ -z "$3" ]; then echo "RESULT PASS blk/$1"; else echo "RESULT FAIL blk/$1: $3"; fi ;;
    "blkcase FAIL $1: "*) echo "RESULT FAIL blk/$1: ${l#blkcase FAIL $1: }" ;;
    *) echo "RESULT FAIL blk/$1: no verdict from the guest: $(console "$2" | tail -n1)" ;;
  esac
}
failed=0
for n in rw-512 discard full-rings; do verdict "$n" "$a" "" ; done > "$tmp/res"
verdict rw-4096 "$b" "" >> "$tmp/res"
verdict backend-restart "$b" "$restart" >> "$tmp/res"
for n in $HOSTILE; do verdict "$n" "$a" "$alive"; done >> "$tmp/res"
if [ -z "$thin" ]; then echo "RESULT PASS blk/thin"; else echo "RESULT FAIL blk/thin: $thin"; fi >> "$tmp/res"
cat "$tmp/res"
if grep -q 'RESULT FAIL' "$tmp/res"; then
  for d in "$a" "$b"; do console "$d" | tail -n 12 | sed "s/^/  blk| console $d: /"; done
  for d in "$a" "$b"; do
    console "$d" | grep -q '^\(SUCCESS\|FAILURE\)' || hvd_snapshot "$LAMINA_HVD_SOCKET" "$d" "  blk| stuck $d:"
  done
  grep -h 'ended: crash' "$tmp/hvd.log" | sed 's/^/  blk| /'
  for f in "$tmp/bk-a.log" "$tmp/bk-b.log" "$tmp/bk-b2.log" "$tmp/hvd.log"; do [ -f "$f" ] && tail -n 12 "$f" | sed "s#^#  blk| $(basename "$f"): #"; done
fi
grep -h 'refused\|disconnecting\|O_DIRECT\|parked\|mapping room' "$tmp/bk-a.log" | sort | uniq -c | head -n 20 | sed 's/^/  blk| bk-a: /'

kill -9 "$bka" "$bkb" 2> /dev/null
$C '{"op":"stop-all"}' > /dev/null
wait "$hvd" 2> /dev/null
rm -rf "$tmp"
