#!/bin/sh
# SPDX-License-Identifier: MIT
# blk_qcow2.sh: e2e: ext4 in the Linux guest on a qcow2 image served through NBD, and an internal snapshot taken, changed, reverted, checked.
#
# The image is made by qemu-img; lamina-blkback --format qcow2 serves it
# as vbd/0 of one Linux domain in lamina-hvd (created with hvd_call),
# running qemu-nbd on it itself (socket activation through libnbd) and
# speaking NBD to it with libnbd. The guest (blk_qcow2.guest, appended to
# the initramfs as /lamina/run.sh) writes an ext4 tree, checks it, then
# asks for "@snapshot" and "@revert". For each, with the file system
# unmounted in the guest, this script stops the back-end (its qemu-nbd
# must let go of the image with it), runs qemu-img snapshot -c (or -a and
# qemu-img check) and starts a new back-end; the guest's front-end
# re-connects to it. Prints RESULT blk/qcow2-nbd.
# Busybox sh: no bash.
here=$(cd "$(dirname "$0")" && pwd)
C="$here/hvd_call"
k=$here/../guest/bzImage rd=$here/../guest/initramfs.cpio
result() { echo "RESULT $1 blk/qcow2-nbd${2:+: $2}"; }
if [ ! -f "$k" ] || [ ! -f "$rd" ]; then
  result SKIP "no guest kernel in the payload ('make guest' did not build it)"; exit 0
fi
for t in qemu-img qemu-nbd; do # qemu-nbd: lamina-blkback runs it
  command -v $t > /dev/null || { result FAIL "no $t on PATH (Debian's qemu-utils; tools/deps installs it)"; exit 0; }
done
say() { echo "  blk-qcow2| $*"; }
. "$here/lib.inc"

tmp=$(mktemp -d /tmp/lamina-blkqcow2.XXXXXX) || exit 1
img=$tmp/disk.qcow2
export LAMINA_HVD_SOCKET="$tmp/hvd.sock"
bk= id=
stop_bk() {
  [ -n "$bk" ] || return 0
  kill "$bk" 2> /dev/null; wait "$bk" 2> /dev/null; bk=
}
gone() { ! kill -0 "$1" 2> /dev/null; }
# The functions below run in this shell (never in $(...): bk must stay
# set); a failing one leaves its reason in $tmp/why.
why() { echo "$*" > "$tmp/why"; return 1; }
# qemu-img info needs the image unlocked: qemu-nbd holds its write lock
unlocked() { qemu-img info "$img" > "$tmp/info.log" 2>&1; }
nbk=0
start_bk() {
  nbk=$((nbk + 1))
  "$here/lamina-blkback" --verbose --format qcow2 "$id" 0 "$img" > "$tmp/bk$nbk.log" 2>&1 &
  bk=$!
}
stop_bk_server() { # stop the back-end; its qemu-nbd must exit with it
  stop_bk
  within 20 unlocked || why "the image is still locked 20 s after lamina-blkback stopped (its qemu-nbd lives on?): $(tail -n1 "$tmp/info.log")"
}
finish() {
  stop_bk
  $C '{"op":"stop-all"}' > /dev/null 2>&1
  kill "$hvd" 2> /dev/null
  wait 2> /dev/null
  rm -rf "$tmp"
}
"$here/lamina-hvd" --socket "$LAMINA_HVD_SOCKET" > "$tmp/hvd.log" 2>&1 &
hvd=$!
if ! within 20 $C '{"op":"hello"}' > /dev/null 2>&1; then
  result FAIL "lamina-hvd did not start: $(tail -n1 "$tmp/hvd.log")"; finish; exit 0
fi
if ! qemu-img create -q -f qcow2 "$img" 128M > "$tmp/create.log" 2>&1; then
  result FAIL "qemu-img create: $(tail -n1 "$tmp/create.log")"; finish; exit 0
fi

# the initramfs with the guest script appended as /lamina/run.sh
cat "$rd" "$here/blk_qcow2.cpio" > "$tmp/rd.cpio"
id=$($C "{\"op\":\"create\",\"name\":\"blk-qcow2\",\"kernel\":\"$k\",\"initrd\":\"$tmp/rd.cpio\",\"cmdline\":\"console=hvc0 quiet\",\"mem_kib\":393216,\"vcpus\":2}" |
  sed -n 's/.*"id":\([0-9]*\).*/\1/p')
if [ -z "$id" ]; then
  result FAIL "lamina-hvd could not create the domain: $(tail -n1 "$tmp/hvd.log")"; finish; exit 0
fi
start_bk
if ! within 30 grep -q 'NBD, ' "$tmp/bk1.log"; then
  result FAIL "lamina-blkback did not serve the image through NBD: $(tail -n1 "$tmp/bk1.log")"; finish; exit 0
fi
say "$(grep -m1 'NBD, ' "$tmp/bk1.log")"
if unlocked; then
  result FAIL "the image is not locked while served: no qemu-nbd holds it"; finish; exit 0
fi

# The host's side of a step, the guest's file system unmounted: stop the
# back-end (and with it its qemu-nbd), change the image with qemu-img and
# start a new back-end (with a new qemu-nbd).
qimg() { # ARGS...: qemu-img, its complaint in $tmp/why when it fails
  qemu-img "$@" > "$tmp/qemu-img.log" 2>&1 || why "qemu-img $1 $2: $(tail -n1 "$tmp/qemu-img.log")"
}
snapshot() {
  qimg snapshot -c base "$img" && qimg snapshot -l "$img" || return 1
  grep -q ' base ' "$tmp/qemu-img.log" || why "qemu-img snapshot -l does not list 'base'"
}
revert() {
  qimg snapshot -a base "$img" && qimg check "$img"
}
step() { # snapshot|revert
  stop_bk_server && $1 || return 1
  start_bk
  say "$1: done; back-end $bk on $img"
}

con=$tmp/con
: > "$con"
grab() { $C --console "$id" 2> /dev/null | tr -d '\r' > "$tmp/snap" && [ -s "$tmp/snap" ] && cp "$tmp/snap" "$con"; }
state() { $C "{\"op\":\"get\",\"id\":$id}" | sed -n 's/.*"state":"\([a-z-]*\)".*/\1/p'; }
hostfail= done_steps= t=0 limit=1200
while [ $t -lt $limit ] && [ -z "$hostfail" ]; do
  grab
  for s in snapshot revert; do
    case " $done_steps " in *" $s "*) continue ;; esac
    grep -q "^@$s" "$con" || continue
    done_steps="$done_steps $s"
    step $s || hostfail="$s: $(cat "$tmp/why")"
  done
  grep -q '^blk-qcow2 done' "$con" && break
  case "$(state)" in running|paused|"") ;; *) hostfail="the domain is $(state)" ;; esac
  [ $t -ge 600 ] && [ ! -s "$con" ] && hostfail="the guest printed nothing in $t s (did its initramfs fit in memory?)"
  [ $((t % 60)) = 0 ] && say "$t s: $(tail -n 1 "$con")"
  sleep 2; t=$((t + 2))
done
grab
grep -E '^(disk|qcow2|blkcase)' "$con" | sed 's/^/  blk-qcow2| /'
l=$(grep -m1 '^blkcase [A-Z]* qcow2-nbd' "$con")
if [ -n "$hostfail" ]; then result FAIL "host: $hostfail"
else
  case "$l" in
    "blkcase PASS qcow2-nbd") result PASS ;;
    "blkcase FAIL qcow2-nbd: "*) result FAIL "${l#blkcase FAIL qcow2-nbd: }" ;;
    *) result FAIL "no verdict from the guest after $t s: $(tail -n1 "$con")" ;;
  esac
fi > "$tmp/res"
cat "$tmp/res"
if grep -q 'RESULT FAIL' "$tmp/res"; then
  tail -n 20 "$con" | sed 's/^/  blk-qcow2| console: /'
  for f in "$tmp"/bk*.log "$tmp/hvd.log"; do
    [ -f "$f" ] && tail -n 6 "$f" | sed "s#^#  blk-qcow2| $(basename "$f"): #"
  done
fi
finish
