#!/bin/sh
# SPDX-License-Identifier: MIT
# blk_crash.sh: e2e: kill -9 of the block back-end, and separately of the hypervisor process, at random moments: no flushed write lost, the image consistent.
#
# Each round: a new lamina-hvd, a blk_guest domain with crash=1 (a write,
# then a flush, then "flushed i", over and over) on a fresh 32 MiB image
# served by lamina-blkback; after a random 0-2 s past the guest's 20th
# flush, kill -9 the back-end (mode "backend") or lamina-hvd (mode "hvd"),
# then check the image with blk_crash_check against the last "flushed i"
# seen. In backend mode that is the guest's last (it can flush nothing
# after its back-end died); in hvd mode the console is read just before
# the kill, so later flushes are not checked. LAMINA_BLK_CRASH_ROUNDS
# rounds of each mode (3; `make stress` runs 50). Prints RESULT blk/crash.
# Busybox sh: no bash.
here=$(cd "$(dirname "$0")" && pwd)
C="$here/hvd_call"
rounds=${LAMINA_BLK_CRASH_ROUNDS:-3}
tmp=$(mktemp -d /tmp/lamina-blkcrash.XXXXXX) || exit 1
export LAMINA_HVD_SOCKET="$tmp/hvd.sock"
say() { echo "  blk-crash| $*"; }
. "$here/lib.inc"
last_flushed() { # DOMAIN: the last "flushed i" on its console, or -1
  $C --console "$1" 2> /dev/null | sed -n 's/^blk_guest: flushed \([0-9]*\).*/\1/p' | tail -n 1 | grep . || echo -1
}
progressed() { [ "$(last_flushed "$1")" -ge 20 ]; }
# A random delay of 0 to 2 s, in ms (awk's rand, seeded from the clock and the round).
delay_ms() { awk -v s="$(date +%s)$1" 'BEGIN { srand(s); printf "%d", rand() * 2000 }'; }

# One round: MODE ROUND; prints "ok LAST" or "bad REASON".
round() {
  mode=$1 img=$tmp/disk.img
  rm -f "$img" "$LAMINA_HVD_SOCKET"
  dd if=/dev/zero of="$img" bs=1048576 count=0 seek=32 2> /dev/null
  "$here/lamina-hvd" --socket "$LAMINA_HVD_SOCKET" > "$tmp/hvd.log" 2>&1 &
  hvd=$!
  within 20 $C '{"op":"hello"}' > /dev/null 2>&1 || { echo "bad lamina-hvd did not start: $(tail -n1 "$tmp/hvd.log")"; kill -9 $hvd; return; }
  id=$($C "{\"op\":\"create\",\"name\":\"crash\",\"kernel\":\"$here/blk_guest.elf\",\"cmdline\":\"crash=1\",\"mem_kib\":16384,\"vcpus\":1}" |
       sed -n 's/.*"id":\([0-9]*\).*/\1/p')
  "$here/lamina-blkback" "$id" 0 "$img" > "$tmp/bk.log" 2>&1 &
  bk=$!
  if ! within 120 progressed "$id"; then
    echo "bad the guest did not flush 20 writes in 120 s: $($C --console "$id" 2> /dev/null | tail -n1)"
    { hvd_snapshot "$LAMINA_HVD_SOCKET" "$id" ""; tail -n 5 "$tmp/bk.log" "$tmp/hvd.log"; } 2>&1 | sed 's/^/  blk-crash| stalled: /' >&2
    kill -9 $bk $hvd 2> /dev/null; wait $bk $hvd 2> /dev/null; return
  fi
  ms=$(delay_ms "$2$mode")
  sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
  if [ "$mode" = backend ]; then
    kill -9 $bk; wait $bk 2> /dev/null
    sleep 1
    last=$(last_flushed "$id")
    kill -9 $hvd; wait $hvd 2> /dev/null
  else
    last=$(last_flushed "$id")
    kill -9 $hvd; wait $hvd 2> /dev/null
    within 10 sh -c "! kill -0 $bk 2> /dev/null" || kill -9 $bk   # it ends with its hypervisor
    wait $bk 2> /dev/null
  fi
  r=$("$here/blk_crash_check" "$img" "$last")
  case "$r" in
    ok:*) echo "ok $last" ;;
    *) echo "bad after write $last (killed $ms ms past the 20th flush): $r"
       tail -n 5 "$tmp/bk.log" | sed 's/^/  blk-crash| back-end: /' >&2 ;;
  esac
}

fail= summary=
for mode in backend hvd; do
  n=0 writes=0
  for r in $(seq "$rounds"); do
    out=$(round "$mode" "$r" 2> "$tmp/why")
    cat "$tmp/why"
    say "$mode round $r: $out"
    case "$out" in
      "ok "*) n=$((n + 1)) writes=$((writes + ${out#ok } + 1)) ;;
      *) fail="${fail:+$fail; }kill -9 of the $mode, round $r: ${out#bad }" ;;
    esac
  done
  summary="${summary:+$summary, }$mode killed $n of $rounds rounds clean ($writes flushed writes checked)"
done
if [ -z "$fail" ]; then echo "RESULT PASS blk/crash: $summary"
else echo "RESULT FAIL blk/crash: $fail"; tail -n 5 "$tmp/bk.log" "$tmp/hvd.log" 2> /dev/null | sed 's/^/  blk-crash| /'; fi
rm -rf "$tmp"
