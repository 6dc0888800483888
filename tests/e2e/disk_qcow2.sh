#!/bin/sh
# SPDX-License-Identifier: MIT
# disk_qcow2.sh: e2e: a <disk> with <driver type="qcow2"/> in the domain XML: laminad's lamina-blkback runs qemu-nbd on it and serves it over NBD; snapshots from the CLI follow the domain's state.
#
# RESULT toolstack/disk-qcow2, failing at the first step that does not
# hold: laminad (which starts lamina-hvd) defines and starts a domain from
# XML whose disk is a 64 MiB qcow2 image and whose kernel is the block
# conformance guest (tests/e2e/blk_guest, "ss=512 hold=1"); its one
# lamina-blkback runs with --format=qcow2 and says NBD in the domain log;
# the image is locked while served (its qemu-nbd holds it); the guest's
# rw-512 case passes through it; `lamina info` shows the 64 MiB virtual
# size; snapshot-create is refused while the domain runs and while it is
# paused, snapshot-list works while paused; after `lamina destroy` the
# back-end is gone and the image unlocked (the server went with it); then
# snapshot-create, -list and -delete work on the shut-off domain.
# Busybox sh: no bash.
here=$(cd "$(dirname "$0")" && pwd)
L="$here/lamina"
name=qcowdom
tmp=$(mktemp -d /tmp/lamina-diskq.XXXXXX) || exit 1
export XDG_RUNTIME_DIR="$tmp/xdg" LAMINA_LOG_DIR="$tmp/log" LAMINA_STATE_DIR="$tmp/state"
unset LAMINA_RUN_DIR LAMINA_BACKEND LAMINA_HVD_SOCKET LAMINA_LIBEXEC_DIR
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
rundir="$XDG_RUNTIME_DIR/lamina"
conlog="$LAMINA_LOG_DIR/$name.console.log"
img="$tmp/disk.qcow2"
daemon=

lam() { timeout 60 "$L" "$@"; }
say() { echo "  disk-qcow2| $*"; }
. "$here/lib.inc"
diagnose() {
  for f in "$tmp/laminad.out" "$LAMINA_LOG_DIR/laminad.log" "$LAMINA_LOG_DIR"/*.log "$conlog"; do
    [ -f "$f" ] && tail -n 15 "$f" | sed "s#^#  disk-qcow2| $(basename "$f"): #"
  done
}
alive() { s=$(awk '{ print $3 }' "/proc/$1/stat" 2> /dev/null); [ -n "$s" ] && [ "$s" != Z ]; }
blkbacks() { # pids of live lamina-blkback processes whose command line mentions $1
  for d in /proc/[0-9]*; do
    c=$(tr '\0' ' ' 2> /dev/null < "$d/cmdline")
    case "$c" in *lamina-blkback*"$1"*) alive "${d#/proc/}" && echo "${d#/proc/}" ;; esac
  done
}
con_has() { grep -q "$1" "$conlog" 2> /dev/null; }
unlocked() { qemu-img info "$img" > "$tmp/info.log" 2>&1; } # fails while qemu-nbd holds it
no_blkback() { [ -z "$(blkbacks "$img")" ]; }
refused() { # WHAT TEXT CMD...: CMD must fail saying TEXT
  w=$1 t=$2; shift 2
  out=$("$@" 2>&1) && { echo "$w was not refused"; return 1; }
  echo "$out" | grep -q "$t" || { echo "$w: want '$t', got: $out"; return 1; }
}

qcow2_test() {
  for t in qemu-img qemu-nbd; do
    command -v $t > /dev/null || { echo "no $t on PATH (Debian's qemu-utils; tools/deps installs it)"; return; }
  done
  qemu-img create -q -f qcow2 "$img" 64M || { echo "qemu-img create failed"; return; }
  cat > "$tmp/$name.xml" <<EOX
<domain type="lamina">
  <name>$name</name>
  <memory unit="MiB">32</memory>
  <vcpu>1</vcpu>
  <os><kernel>$here/blk_guest.elf</kernel><cmdline>ss=512 hold=1</cmdline></os>
  <on_poweroff>preserve</on_poweroff>
  <on_crash>preserve</on_crash>
  <devices>
    <disk type="file" device="disk"><driver type="qcow2"/><source file="$img"/><target dev="xvda"/></disk>
  </devices>
</domain>
EOX
  "$here/laminad" > "$tmp/laminad.out" 2>&1 &
  daemon=$!
  within 30 lam list > /dev/null 2>&1 || { echo "laminad did not come up"; return; }
  out=$(lam define "$tmp/$name.xml" 2>&1) || { echo "lamina define: $out"; return; }
  out=$(timeout 200 "$L" start "$name" 2>&1) || { echo "lamina start: $out"; return; }
  bk=$(blkbacks "$img")
  [ -n "$bk" ] && [ "$(echo "$bk" | wc -w)" -eq 1 ] || { echo "want one lamina-blkback for the image, have '$bk'"; return; }
  tr '\0' ' ' < "/proc/$bk/cmdline" | grep -q -- '--format=qcow2' || { echo "the back-end runs without --format=qcow2: $(tr '\0' ' ' < "/proc/$bk/cmdline")"; return; }
  within 30 grep -q "^lamina-blkback: $img: NBD, 131072 units of 512 bytes" "$LAMINA_LOG_DIR/$name.log" ||
    { echo "the domain log does not say the back-end serves the image through NBD"; return; }
  unlocked && { echo "the image is not locked while served: no qemu-nbd holds it"; return; }
  say "back-end $bk serves $img through its qemu-nbd"
  within 600 con_has '^blkcase [A-Z]* rw-512' || { echo "no rw-512 verdict from the guest: $(tail -n 2 "$conlog" | tr '\n' '|')"; return; }
  con_has '^blkcase PASS rw-512' || { echo "the guest's rw case failed: $(grep -m1 'blkcase' "$conlog")"; return; }
  lam info "$name" | grep -q "xvda $img, 64 MiB (" || { echo "lamina info shows no 'xvda $img, 64 MiB': $(lam info "$name" | grep -A1 Disks | tr '\n' '|')"; return; }

  refused "snapshot-create while running" "the domain is running" lam snapshot-create "$name" xvda s1 || return
  out=$(lam pause "$name" 2>&1) || { echo "lamina pause: $out"; return; }
  out=$(lam snapshot-list "$name" xvda 2>&1) || { echo "snapshot-list while paused: $out"; return; }
  refused "snapshot-create while paused" "the domain is paused" lam snapshot-create "$name" xvda s1 || return
  out=$(lam destroy "$name" 2>&1) || { echo "lamina destroy: $out"; return; }
  within 20 no_blkback || { echo "back-end still running 20 s after destroy: $(blkbacks "$img")"; return; }
  within 20 unlocked || { echo "the image is still locked 20 s after destroy (qemu-nbd lives on?): $(tail -n1 "$tmp/info.log")"; return; }
  say "destroyed: back-end and its qemu-nbd gone, image unlocked"

  out=$(lam snapshot-create "$name" xvda s1 2>&1) || { echo "snapshot-create on the shut-off domain: $out"; return; }
  out=$(lam snapshot-list "$name" xvda 2>&1) || { echo "snapshot-list: $out"; return; }
  echo "$out" | grep -q ' s1 ' || { echo "snapshot-list does not show s1: $out"; return; }
  out=$(lam snapshot-delete "$name" xvda s1 2>&1) || { echo "snapshot-delete: $out"; return; }
  lam snapshot-list "$name" xvda | grep -q ' s1 ' && { echo "s1 is still listed after snapshot-delete"; return; }
  qemu-img check -q "$img" || { echo "qemu-img check finds the image damaged"; return; }
  say "snapshot s1 created, listed, deleted on the shut-off domain; image checks clean"
  echo ok
}

qcow2_test > "$tmp/out" 2>&1
grep '^  disk-qcow2|' "$tmp/out"
v=$(grep -v '^  disk-qcow2|' "$tmp/out" | tail -n 1)
if [ "$v" = ok ]; then echo "RESULT PASS toolstack/disk-qcow2"; else echo "RESULT FAIL toolstack/disk-qcow2: $v"; diagnose; fi
lam destroy "$name" > /dev/null 2>&1
[ -n "$daemon" ] && kill -9 "$daemon" 2> /dev/null
"$here/laminad" --stop-domains > /dev/null 2>&1
for p in $(blkbacks "$tmp"); do kill -9 "$p" 2> /dev/null; done
rm -rf "$tmp"
