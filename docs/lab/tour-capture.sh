#!/bin/sh
# SPDX-License-Identifier: MIT
# tour-capture.sh: the run behind docs/lab/tour.md: the block conformance guest under `lamina trace`, with exit counts, back-end log and console.
#
# Run it from a guest-suite payload (busybox sh is enough):
#   make && bash tests/guest-suite/make-payload $PWD/build /tmp/pl-tour
#   cp docs/lab/tour-capture.sh /tmp/pl-tour/
#   tests/runner/lamina-run --payload /tmp/pl-tour --timeout 1200 --name lab-tour -- sh tour-capture.sh
# It starts lamina-hvd, creates the domain paused (with a domain XML so that
# laminad re-attaches it), starts laminad, lamina-blkback and `lamina trace`,
# then unpauses the guest and prints each part between "=== " headers.
E=$PWD/e2e
C=$E/hvd_call
L=$E/lamina
tmp=$(mktemp -d /tmp/lab-tour.XXXXXX) || exit 1
export XDG_RUNTIME_DIR="$tmp/xdg" LAMINA_LOG_DIR="$tmp/log"
mkdir -p "$XDG_RUNTIME_DIR/lamina" "$LAMINA_LOG_DIR"
chmod 700 "$XDG_RUNTIME_DIR" "$XDG_RUNTIME_DIR/lamina"
export LAMINA_HVD_SOCKET="$XDG_RUNTIME_DIR/lamina/lamina-hvd.sock"
unset LAMINA_RUN_DIR LAMINA_BACKEND

sec() { echo; echo "=== $*"; }
within() { # SECONDS CMD...
  t=$1; shift
  while [ "$t" -gt 0 ]; do "$@" && return 0; sleep 1; t=$((t - 1)); done
  "$@"
}
con_has() { $C --console "$id" 2> /dev/null | grep -q "$1"; }
stats() { $C "{\"op\":\"stats\",\"id\":$id}"; }

"$E/lamina-hvd" > "$tmp/hvd.log" 2>&1 &
within 20 "$C" '{"op":"hello"}' > /dev/null 2>&1 || { echo "lab: lamina-hvd did not start"; cat "$tmp/hvd.log"; exit 1; }

xml="<domain type='lamina'><name>blk-tour</name><memory unit='MiB'>16</memory><vcpu>1</vcpu><os><kernel>$E/blk_guest.elf</kernel><cmdline>ss=512</cmdline></os></domain>"
rep=$($C "{\"op\":\"create\",\"name\":\"blk-tour\",\"kernel\":\"$E/blk_guest.elf\",\"cmdline\":\"ss=512\",\"mem_kib\":16384,\"vcpus\":1,\"paused\":true,\"config\":\"$xml\"}")
id=$(echo "$rep" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
[ -n "$id" ] || { echo "lab: create failed: $rep"; exit 1; }

"$E/laminad" > "$tmp/laminad.out" 2>&1 &
ld=$!
within 20 "$L" list > /dev/null 2>&1 || { echo "lab: laminad did not answer"; cat "$tmp/laminad.out"; exit 1; }
sec "lamina list"
"$L" list

dd if=/dev/zero of="$tmp/disk.img" bs=1048576 count=0 seek=64 2> /dev/null
"$E/lamina-blkback" --verbose "$id" 0 "$tmp/disk.img" > "$tmp/bk.log" 2>&1 &
bk=$!
sleep 3
"$L" trace blk-tour > "$tmp/trace.txt" 2>&1 &
tr=$!
sleep 3
sec "stats before unpause"
stats
"$L" unpause blk-tour

within 600 con_has 'blk_guest: connected' || echo "lab: the guest did not connect"
within 600 con_has 'ring 1: 1 segments: ok' || echo "lab: the guest did not reach ring 1"
"$L" pause blk-tour
sleep 2
kill "$tr" 2> /dev/null
sec "stats at the end of the trace (the domain paused)"
stats
sec "lamina trace blk-tour ($(wc -l < "$tmp/trace.txt") lines)"
cat "$tmp/trace.txt"
sec "console"
$C --console "$id"
sec "lamina-blkback log"
cat "$tmp/bk.log"
sec "laminad log"
cat "$LAMINA_LOG_DIR/blk-tour.log" 2> /dev/null
cat "$tmp/laminad.out"
sec "lamina-hvd log"
cat "$tmp/hvd.log"

kill "$bk" "$ld" 2> /dev/null
$C '{"op":"stop-all"}' > /dev/null
rm -rf "$tmp"
echo "lab: done"
