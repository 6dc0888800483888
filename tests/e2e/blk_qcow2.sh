#!/bin/sh
# SPDX-License-Identifier: MIT
# blk_qcow2.sh: e2e: ext4 in the Linux guest on a qcow2 image served through NBD, and an internal snapshot taken, changed, reverted, checked.
#
# The image is made by qemu-img and exported by qemu-nbd to the host
# kernel's NBD client (qemu-nbd -c /dev/nbdN); lamina-blkback serves that
# block device as vbd/0 of one Linux domain in lamina-hvd (created with
# hvd_call). The guest (blk_qcow2.guest, appended to the initramfs as
# /lamina/run.sh) writes an ext4 tree, checks it, then asks for
# "@snapshot" and "@revert". For each, with the file system unmounted in
# the guest, this script stops the back-end, disconnects NBD (qemu-nbd
# exits and lets go of the image), runs qemu-img snapshot -c (or -a and
# qemu-img check), connects again and starts a new back-end; the guest's
# front-end re-connects to it. Prints RESULT blk/qcow2-nbd.
# Busybox sh: no bash.
here=$(cd "$(dirname "$0")" && pwd)
C="$here/hvd_call"
k=$here/../guest/bzImage rd=$here/../guest/initramfs.cpio
result() { echo "RESULT $1 blk/qcow2-nbd${2:+: $2}"; }
if [ ! -f "$k" ] || [ ! -f "$rd" ]; then
  result SKIP "no guest kernel in the payload ('make guest' did not build it)"; exit 0
fi
for t in qemu-img qemu-nbd; do
  command -v $t > /dev/null || { result FAIL "no $t on PATH (Debian's qemu-utils; tools/deps installs it)"; exit 0; }
done
say() { echo "  blk-qcow2| $*"; }
within() { # SECONDS CMD...: wait for CMD to succeed
  t=$1; shift
  while [ "$t" -gt 0 ]; do "$@" && return 0; sleep 1; t=$((t - 1)); done
  "$@"
}

# The kernel's NBD client: the testbed carries nbd.ko (tests/testbed/mk-testbed).
[ -b /dev/nbd0 ] || insmod /lib/modules/nbd.ko 2> /dev/null || modprobe nbd 2> /dev/null
within 5 test -b /dev/nbd0 || { result FAIL "no /dev/nbd0: the nbd module is not loaded and did not load"; exit 0; }
nbd=
for b in /sys/block/nbd*; do # the first one not connected
  [ -e "$b/pid" ] || { nbd=/dev/${b##*/}; break; }
done
[ -n "$nbd" ] || { result FAIL "every /dev/nbdN is connected already"; exit 0; }
nbdsys=/sys/block/${nbd#/dev/}
# qemu-nbd -c serves through a socket in /var/lock (the testbed has none)
mkdir -p /var/lock

tmp=$(mktemp -d /tmp/lamina-blkqcow2.XXXXXX) || exit 1
img=$tmp/disk.qcow2
export LAMINA_HVD_SOCKET="$tmp/hvd.sock"
bk= id=
stop_bk() {
  [ -n "$bk" ] || return 0
  kill "$bk" 2> /dev/null; wait "$bk" 2> /dev/null; bk=
}
nbd_pid() { cat "$tmp/nbd.pid" 2> /dev/null; }
gone() { ! kill -0 "$1" 2> /dev/null; }
# The functions below run in this shell (never in $(...): bk must stay
# set); a failing one leaves its reason in $tmp/why.
why() { echo "$*" > "$tmp/why"; return 1; }
disconnect() { # qemu-nbd -d, then wait for the server to let go of the image
  p=$(nbd_pid)
  qemu-nbd -d "$nbd" > "$tmp/nbd-d.log" 2>&1 || { why "qemu-nbd -d: $(tail -n1 "$tmp/nbd-d.log")"; return 1; }
  [ -z "$p" ] || within 20 gone "$p" || { why "qemu-nbd (pid $p) still runs 20 s after -d"; return 1; }
  rm -f "$tmp/nbd.pid"
}
connect() { # export the image on $nbd and wait for its size to show
  rm -f "$tmp/nbd.pid"
  qemu-nbd -f qcow2 --pid-file="$tmp/nbd.pid" -c "$nbd" "$img" > "$tmp/nbd-c.log" 2>&1 ||
    { why "qemu-nbd -c $nbd: $(tail -n1 "$tmp/nbd-c.log")"; return 1; }
  within 10 test -s "$tmp/nbd.pid" && within 10 grep -qv '^0$' "$nbdsys/size" ||
    { why "$nbd has no size 10 s after qemu-nbd -c"; return 1; }
}
nbk=0
start_bk() {
  nbk=$((nbk + 1))
  "$here/lamina-blkback" --verbose "$id" 0 "$nbd" > "$tmp/bk$nbk.log" 2>&1 &
  bk=$!
}
finish() {
  stop_bk
  $C '{"op":"stop-all"}' > /dev/null 2>&1
  kill "$hvd" 2> /dev/null
  [ -n "$(nbd_pid)" ] && disconnect > /dev/null
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
if ! connect; then result FAIL "$(cat "$tmp/why")"; finish; exit 0; fi
say "$img on $nbd: $(cat "$nbdsys/size") sectors, logical $(cat "$nbdsys/queue/logical_block_size")"

# the initramfs with the guest script appended as /lamina/run.sh
cat "$rd" "$here/blk_qcow2.cpio" > "$tmp/rd.cpio"
id=$($C "{\"op\":\"create\",\"name\":\"blk-qcow2\",\"kernel\":\"$k\",\"initrd\":\"$tmp/rd.cpio\",\"cmdline\":\"console=hvc0 quiet\",\"mem_kib\":393216,\"vcpus\":2}" |
  sed -n 's/.*"id":\([0-9]*\).*/\1/p')
if [ -z "$id" ]; then
  result FAIL "lamina-hvd could not create the domain: $(tail -n1 "$tmp/hvd.log")"; finish; exit 0
fi
start_bk

# The host's side of a step, the guest's file system unmounted: stop the
# back-end and the export, change the image with qemu-img, export it again
# and start a new back-end.
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
  stop_bk
  disconnect && $1 && connect || return 1
  start_bk
  say "$1: done; back-end $bk on $nbd"
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
  for f in "$tmp"/bk*.log "$tmp"/nbd-*.log "$tmp/hvd.log"; do
    [ -f "$f" ] && tail -n 6 "$f" | sed "s#^#  blk-qcow2| $(basename "$f"): #"
  done
fi
finish
