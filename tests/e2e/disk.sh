#!/bin/sh
# SPDX-License-Identifier: MIT
# disk.sh: e2e: a <disk> in the domain XML served by a lamina-blkback process that laminad starts, adopts and stops.
#
# RESULT toolstack/disk, failing at the first step that does not hold:
# laminad (which starts lamina-hvd) creates a domain from XML whose <disk>
# is a 64 MiB sparse image and whose kernel is the block conformance guest
# (tests/e2e/blk_guest, cmdline "ss=512 hold=1"); laminad starts its
# lamina-blkback before the vCPUs run; the guest's rw-512 case passes;
# `lamina info` and `info --json` show the disk with its back-end's pid and
# sizes; kill -9 of laminad leaves guest and back-end running; a new
# laminad adopts that back-end (same pid, no second one); the guest writes
# and reads again (case hold); `lamina block-detach` ends the back-end and
# the guest sees the device Closed (case detach).
#
# RESULT toolstack/disk-errors: a back-end killed with -9 is logged and
# restarted; a missing image (create and block-attach),
# an image in use by another running domain (laminad's check) or locked by
# another back-end process (lamina-blkback's own lock), an empty image
# (refused by the back-end: its reason reaches the user), bad targets (schema and
# block-attach), and <readonly/> (the back-end runs --read-only; two
# domains may share an image read-only) each get a clear error or the
# right behaviour.
# Busybox sh: no bash.
here=$(cd "$(dirname "$0")" && pwd)
L="$here/lamina"
name=diskdom
tmp=$(mktemp -d /tmp/lamina-disk.XXXXXX) || exit 1
export XDG_RUNTIME_DIR="$tmp/xdg" LAMINA_LOG_DIR="$tmp/log"
unset LAMINA_RUN_DIR LAMINA_BACKEND LAMINA_HVD_SOCKET LAMINA_LIBEXEC_DIR
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
rundir="$XDG_RUNTIME_DIR/lamina"
conlog="$LAMINA_LOG_DIR/$name.console.log"
img="$tmp/disk.img"
daemon=

lam() { timeout 60 "$L" "$@"; }
say() { echo "  disk| $*"; }
. "$here/lib.inc"
diagnose() {
  for f in "$tmp/laminad.out" "$tmp/laminad2.out" "$LAMINA_LOG_DIR/laminad.log" \
           "$LAMINA_LOG_DIR/lamina-hvd.log" "$LAMINA_LOG_DIR"/*.log "$conlog"; do
    [ -f "$f" ] && tail -n 15 "$f" | sed "s#^#  disk| $(basename "$f"): #"
  done
}
cleanup() {
  [ -n "$daemon" ] && kill -9 "$daemon" 2> /dev/null
  "$here/laminad" --stop-domains > /dev/null 2>&1
  for p in $(blkbacks "$tmp"); do kill -9 "$p" 2> /dev/null; done
  [ -n "$holder" ] && kill "$holder" 2> /dev/null
}
start_daemon() { # OUTFILE
  "$here/laminad" > "$1" 2>&1 &
  daemon=$!
  within 30 lam list > /dev/null 2>&1
}
# Process $1 exists and is not a zombie.
alive() { s=$(awk '{ print $3 }' "/proc/$1/stat" 2> /dev/null); [ -n "$s" ] && [ "$s" != Z ]; }
# Pids of live lamina-blkback processes whose command line mentions $1.
blkbacks() {
  for d in /proc/[0-9]*; do
    c=$(tr '\0' ' ' 2> /dev/null < "$d/cmdline")
    case "$c" in *lamina-blkback*"$1"*) alive "${d#/proc/}" && echo "${d#/proc/}" ;; esac
  done
}
con_has() { grep -q "$1" "$conlog" 2> /dev/null; }
# A guest that gave no verdict in time: did it stop, or its output go missing?
stuck() {
  hvd_snapshot "$rundir/lamina-hvd.sock" "$id" "  disk| stuck:"
  for p in $bk; do
    say "stuck: back-end $p: $(grep '^State' "/proc/$p/status" 2> /dev/null | tr -s '\t ' ' '), in $(cat "/proc/$p/wchan" 2> /dev/null)"
  done
}
hvd_go() { # ID: console input "g" through lamina-hvd
  LAMINA_HVD_SOCKET="$rundir/lamina-hvd.sock" "$here/hvd_call" \
    "{\"op\":\"console-write\",\"id\":$1,\"data\":\"Zw==\"}" > /dev/null
}
domxml() { # NAME KERNEL CMDLINE DISKS-XML: a domain file on stdout
  cat <<EOX
<domain type="lamina">
  <name>$1</name>
  <memory unit="MiB">32</memory>
  <vcpu>1</vcpu>
  <os>
    <kernel>$2</kernel>
    <cmdline>$3</cmdline>
  </os>
  <on_poweroff>preserve</on_poweroff>
  <on_crash>preserve</on_crash>
  <devices>
$4
  </devices>
</domain>
EOX
}
disk() { # SOURCE TARGET [readonly]
  echo "    <disk type=\"file\" device=\"disk\"><source file=\"$1\"/><target dev=\"$2\"/>${3:+<readonly/>}</disk>"
}

# ---- toolstack/disk ----------------------------------------------------
disk_test() {
  dd if=/dev/zero of="$img" bs=1048576 count=0 seek=64 2> /dev/null
  domxml "$name" "$here/blk_guest.elf" "ss=512 hold=1" "$(disk "$img" xvda)" > "$tmp/$name.xml"
  start_daemon "$tmp/laminad.out" || { echo "laminad did not come up"; return; }
  out=$(timeout 200 "$L" create "$tmp/$name.xml" 2>&1) || { echo "lamina create: $out"; return; }
  bk=$(blkbacks "$img")
  [ -n "$bk" ] && [ "$(echo "$bk" | wc -w)" -eq 1 ] || { echo "want one lamina-blkback for the image after create, have '$bk'"; return; }
  id=$(lam list | awk -v n="$name" '$1 == n { print $2 }')
  say "domain $name id $id, back-end pid $bk"
  grep -q "^lamina-blkback: $img: 131072 units of 512 bytes" "$LAMINA_LOG_DIR/$name.log" ||
    { echo "the back-end's own messages are not in the domain log"; return; }
  within 600 con_has '^blkcase [A-Z]* rw-512' || { stuck; echo "no rw-512 verdict from the guest: $(tail -n 2 "$conlog" | tr '\n' '|')"; return; }
  con_has '^blkcase PASS rw-512' || { echo "the guest's rw case failed: $(grep -m1 'blkcase' "$conlog")"; return; }
  within 60 con_has 'holding the disk' || { echo "the guest does not hold"; return; }

  info=$(lam info "$name" 2>&1)
  echo "$info" | grep -q "xvda $img, 64 MiB (" || { echo "lamina info shows no 'xvda $img, 64 MiB': $(echo "$info" | tr '\n' '|')"; return; }
  echo "$info" | grep -q "back-end running, pid $bk" || { echo "lamina info shows no 'back-end running, pid $bk': $(echo "$info" | tr '\n' '|')"; return; }
  json=$(lam info --json "$name" 2>&1)
  for want in "\"target\": *\"xvda\"" "\"pid\": *$bk" "\"virtual_bytes\": *67108864" "\"state\": *\"running\""; do
    echo "$json" | grep -q "$want" || { echo "lamina info --json lacks $want: $(echo "$json" | tr '\n' ' ' | cut -c1-400)"; return; }
  done
  alloc=$(echo "$json" | sed -n 's/.*"allocated_bytes": *\([0-9]*\).*/\1/p')
  [ -n "$alloc" ] && [ "$alloc" -gt 0 ] && [ "$alloc" -lt 67108864 ] || { echo "allocated_bytes '$alloc' is not between 0 and 64 MiB (thin)"; return; }
  say "info: $(echo "$info" | grep -A1 '^Disks:' | tr -s ' ' | tr '\n' ' ')"

  kill -9 "$daemon"; wait "$daemon" 2> /dev/null; daemon=
  sleep 3
  alive "$bk" || { echo "the back-end died with laminad"; return; }
  start_daemon "$tmp/laminad2.out" || { echo "laminad did not come up again"; return; }
  now=$(blkbacks "$img")
  [ "$now" = "$bk" ] || { echo "after laminad's restart the image's back-ends are '$now', want only $bk"; return; }
  lam info "$name" | grep -q "back-end running, pid $bk" || { echo "the restarted laminad does not show back-end $bk: $(lam info "$name" | grep -A1 Disks | tr '\n' '|')"; return; }
  grep -q "adopted its running back-end" "$LAMINA_LOG_DIR/$name.log" || { echo "the domain log does not say the back-end was adopted"; return; }
  say "laminad killed and restarted; back-end $bk adopted"

  hvd_go "$id" || { echo "cannot send console input to domain $id"; return; }
  within 300 con_has '^blkcase [A-Z]* hold' || { stuck; echo "no hold verdict: $(tail -n 2 "$conlog" | tr '\n' '|')"; return; }
  con_has '^blkcase PASS hold' || { echo "after laminad's restart the disk failed: $(grep 'blkcase [A-Z]* hold' "$conlog")"; return; }
  out=$(lam block-detach "$name" xvda 2>&1) || { echo "lamina block-detach: $out"; return; }
  alive "$bk" && { echo "block-detach returned but back-end $bk still runs"; return; }
  within 300 con_has '^blkcase [A-Z]* detach' || { stuck; echo "the guest did not see the detach: $(tail -n 2 "$conlog" | tr '\n' '|')"; return; }
  con_has '^blkcase PASS detach' || { echo "$(grep 'blkcase [A-Z]* detach' "$conlog")"; return; }
  lam info "$name" | grep -q '^Disks:' && { echo "lamina info still shows a disk after block-detach"; return; }
  grep -q "disk xvda: back-end lamina-blkback (pid $bk) stopped" "$LAMINA_LOG_DIR/$name.log" || { echo "the domain log does not say the back-end stopped"; return; }
  say "block-detach ended back-end $bk; the guest saw Closed"
  echo ok
}

# ---- toolstack/disk-errors ---------------------------------------------
expect_fail() { # WHAT PATTERN CMD...: CMD must fail with PATTERN in its message
  what=$1 pat=$2; shift 2
  out=$("$@" 2>&1) && { echo "$what: it succeeded"; return 1; }
  echo "$out" | grep -q -- "$pat" || { echo "$what: the message lacks '$pat': $(echo "$out" | tr '\n' '|')"; return 1; }
  say "$what: $(echo "$out" | head -n 2 | tr '\n' ' ')"
}
replaced() { # OLD-PID: e-owner's disk has a running back-end that is not OLD-PID
  lam info e-owner | grep 'back-end running, pid' | grep -qv "pid $1\$"
}
errors_test() {
  hb="$here/lifecycle_guest.elf"
  shared="$tmp/shared.img" ro="$tmp/ro.img"
  for f in "$shared" "$ro"; do dd if=/dev/zero of="$f" bs=1048576 count=0 seek=8 2> /dev/null; done
  [ -n "$daemon" ] || start_daemon "$tmp/laminad3.out" || { echo "laminad is not running"; return; }

  domxml e-missing "$hb" "heartbeat_ms=1000" "$(disk "$tmp/nope.img" xvda)" > "$tmp/e1.xml"
  expect_fail "missing image" "nope.img" lam create "$tmp/e1.xml" || return
  domxml e-target "$hb" "heartbeat_ms=1000" "$(disk "$shared" sda)" > "$tmp/e2.xml"
  expect_fail "bad target in XML" "sda" lam create "$tmp/e2.xml" || return

  domxml e-owner "$hb" "heartbeat_ms=1000" "$(disk "$shared" xvda)" > "$tmp/e3.xml"
  out=$(lam create "$tmp/e3.xml" 2>&1) || { echo "a domain with a good disk: $out"; return; }
  domxml e-thief "$hb" "heartbeat_ms=1000" "$(disk "$shared" xvdb)" > "$tmp/e4.xml"
  expect_fail "image of another domain (create)" "in use by domain 'e-owner' as xvda" lam create "$tmp/e4.xml" || return
  lam list | grep -q '^e-thief' && { echo "the refused domain e-thief is listed"; return; }
  domxml e-plain "$hb" "heartbeat_ms=1000" "" > "$tmp/e5.xml"
  out=$(lam create "$tmp/e5.xml" 2>&1) || { echo "a domain without disks: $out"; return; }
  # A back-end that dies is restarted (after 1 s) and said so.
  old=$(blkbacks "$shared")
  kill -9 "$old"
  within 20 replaced "$old" ||
    { echo "no new back-end for e-owner's disk after kill -9 of $old: $(lam info e-owner | grep -A1 Disks | tr '\n' '|')"; return; }
  new=$(blkbacks "$shared")
  [ -n "$new" ] && [ "$new" != "$old" ] && [ "$(echo "$new" | wc -w)" -eq 1 ] || { echo "back-ends of e-owner's image after the restart: '$new'"; return; }
  lam info e-owner | grep -q "restarted 1 time" || { echo "lamina info does not say the back-end was restarted"; return; }
  grep -q "pid $old was killed by signal 9" "$LAMINA_LOG_DIR/e-owner.log" || { echo "the domain log does not report the death of $old"; return; }
  say "back-end $old killed: laminad restarted it as $new"
  expect_fail "image of another domain (block-attach)" "in use by domain 'e-owner'" lam block-attach e-plain "$shared" xvdb || return
  expect_fail "missing image (block-attach)" "nope.img" lam block-attach e-plain "$tmp/nope.img" xvdb || return
  expect_fail "bad target (block-attach)" "xvd and one or two letters" lam block-attach e-plain "$ro" xvd1 || return
  [ -z "$(blkbacks "$tmp/nope.img")" ] || { echo "a back-end runs for the missing image"; return; }
  : > "$tmp/empty.img"
  expect_fail "empty image (the back-end refuses it)" "empty.img: size is not a non-zero multiple of the sector size" lam block-attach e-plain "$tmp/empty.img" xvdb || return

  # The back-end's own lock: a lamina-blkback started by hand serves the
  # image to a spare device of e-plain (laminad knows nothing of it) and
  # holds its lock; the one laminad starts for block-attach must refuse it.
  locked="$tmp/locked.img"
  dd if=/dev/zero of="$locked" bs=1048576 count=0 seek=8 2> /dev/null
  pid=$(lam list | awk '$1 == "e-plain" { print $2 }')
  "$here/lamina-blkback" --socket="$rundir/lamina-hvd.sock" "$pid" 9 "$locked" > "$tmp/holder.log" 2>&1 &
  holder=$!
  within 30 grep -q 'units of 512 bytes' "$tmp/holder.log" || { echo "the hand-started back-end did not attach: $(cat "$tmp/holder.log")"; return; }
  expect_fail "image locked by another process" "locked.img: in use: another process holds a lock" lam block-attach e-plain "$locked" xvdc || return
  [ "$(blkbacks "$locked")" = "$holder" ] || { echo "back-ends of the locked image: '$(blkbacks "$locked")', want only the holder $holder"; return; }
  kill "$holder"; wait "$holder" 2> /dev/null; holder=
  out=$(lam block-attach --readonly e-plain "$ro" xvdd 2>&1) || { echo "read-only attach: $out"; return; }
  domxml e-ro2 "$hb" "heartbeat_ms=1000" "$(disk "$ro" xvda readonly)" > "$tmp/e6.xml"
  out=$(lam create "$tmp/e6.xml" 2>&1) || { echo "a second domain sharing the image read-only: $out"; return; }
  n=$(blkbacks "$ro" | wc -w)
  [ "$n" -eq 2 ] || { echo "want two read-only back-ends for the shared image, have $n"; return; }
  for p in $(blkbacks "$ro"); do
    tr '\0' ' ' < "/proc/$p/cmdline" | grep -q -- '--read-only' || { echo "back-end $p of a <readonly/> disk runs without --read-only"; return; }
  done
  lam info e-ro2 | grep -q "xvda $ro (read-only)" || { echo "lamina info does not say read-only: $(lam info e-ro2 | grep -A1 Disks | tr '\n' '|')"; return; }
  domxml e-rw "$hb" "heartbeat_ms=1000" "$(disk "$ro" xvda)" > "$tmp/e7.xml"
  expect_fail "read-write use of an image shared read-only" "in use by domain" lam create "$tmp/e7.xml" || return
  for d in e-owner e-plain e-ro2; do lam destroy "$d" > /dev/null 2>&1; done
  left=$(blkbacks "$tmp")
  [ -z "$left" ] || { echo "back-ends left after the domains were destroyed: $left"; return; }
  echo ok
}

verdict() { # NAME FUNCTION: run it in this shell (it keeps $daemon), then one RESULT line
  "$2" > "$tmp/$1.out" 2>&1
  grep '^  disk|' "$tmp/$1.out"
  v=$(grep -v '^  disk|' "$tmp/$1.out" | tail -n 1)
  if [ "$v" = ok ]; then echo "RESULT PASS toolstack/$1"; else echo "RESULT FAIL toolstack/$1: $v"; diagnose; fi
}
holder=
verdict disk disk_test
# A failed disk case may leave its domain (on_crash preserve) and back-end:
# disk-errors judges only its own.
lam destroy "$name" > /dev/null 2>&1
for p in $(blkbacks "$img"); do kill -9 "$p" 2> /dev/null; done
verdict disk-errors errors_test
cleanup
rm -rf "$tmp"
