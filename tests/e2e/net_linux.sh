#!/bin/sh
# SPDX-License-Identifier: MIT
# net_linux.sh: e2e: two Linux guests on an internal network (lamina-netswitch) through lamina-netfront and lamina-netback: ping, and a verified TCP stream.
#
# Two Linux domains (1 vCPU each) in lamina-hvd, created with hvd_call; each
# one's vif/0 is served by a lamina-netback started by hand and joined to
# one lamina-netswitch. Guest a (10.0.7.1) sends NET_BYTES (default 1 GiB)
# of a seeded stream to guest b (10.0.7.2), which compares every byte
# (net_stream.c). RESULT PASS net/internal needs both pings and the
# receiver's check. Then guest a asks for its back-end to be killed: a new
# one starts with a transmit limit of NET_RATE bytes/s (default 2000000);
# RESULT net/backend-restart: the link comes back by itself;
# RESULT net/ratelimit: a second verified stream from a reaches b at a
# wire rate (TCP payload x 1514/1448: full segments with timestamps, the
# Ethernet bytes the limit counts) within 5% of the limit.
# Busybox sh: no bash.
here=$(cd "$(dirname "$0")" && pwd)
C="$here/hvd_call"
k=$here/../guest/bzImage rd=$here/../guest/initramfs.cpio
bytes=${NET_BYTES:-1073741824} rate=${NET_RATE:-2000000}
rbytes=$((rate * 12))   # about 12 s at the limit
if [ ! -f "$k" ] || [ ! -f "$rd" ]; then
  for n in internal backend-restart ratelimit; do
    echo "RESULT SKIP net/$n: no guest kernel in the payload ('make guest' did not build it)"
  done
  exit 0
fi
tmp=$(mktemp -d /tmp/lamina-netlinux.XXXXXX) || exit 1
export LAMINA_HVD_SOCKET="$tmp/hvd.sock"
"$here/lamina-hvd" --socket "$LAMINA_HVD_SOCKET" > "$tmp/hvd.log" 2>&1 &
hvd=$!
"$here/lamina-netswitch" --verbose "$tmp/switch.sock" > "$tmp/switch.log" 2>&1 &
sw=$!
say() { echo "  net-linux| $*"; }
. "$here/lib.inc"
finish() {
  kill -9 $nbs 2> /dev/null
  kill "$sw" 2> /dev/null
  $C '{"op":"stop-all"}' > /dev/null 2>&1
  kill "$hvd" 2> /dev/null
  wait 2> /dev/null
  rm -rf "$tmp"
}
fail_all() {
  for n in internal backend-restart ratelimit; do echo "RESULT FAIL net/$n: $*"; done
  finish; exit 0
}
within 20 $C '{"op":"hello"}' > /dev/null 2>&1 || fail_all "lamina-hvd did not start: $(tail -n1 "$tmp/hvd.log")"
within 10 test -S "$tmp/switch.sock" || fail_all "lamina-netswitch did not start: $(tail -n1 "$tmp/switch.log")"

cat "$rd" "$here/net_linux.cpio" > "$tmp/rd.cpio"
ids= nbs=
for r in a b; do
  cmd="console=hvc0 quiet lamina.nettest=$r lamina.netbytes=$bytes lamina.netrate=$rbytes"
  id=$($C "{\"op\":\"create\",\"name\":\"net-$r\",\"kernel\":\"$k\",\"initrd\":\"$tmp/rd.cpio\",\"cmdline\":\"$cmd\",\"mem_kib\":393216,\"vcpus\":1}" |
    sed -n 's/.*"id":\([0-9]*\).*/\1/p')
  [ -n "$id" ] || fail_all "lamina-hvd could not create domain $r: $(tail -n1 "$tmp/hvd.log")"
  mac=52:54:00:00:07:0$([ $r = a ] && echo 1 || echo 2)
  "$here/lamina-netback" --verbose --switch "$tmp/switch.sock" --mac $mac "$id" 0 > "$tmp/nb-$r.log" 2>&1 &
  nbs="$nbs $!" ids="$ids $id"
  eval "id_$r=$id nb_$r=$! mac_$r=$mac"
done
say "domains a=$id_a b=$id_b, $bytes bytes to move"

# Kill a's back-end, start one with the transmit limit, wait until it is
# connected, then tell the guest to go on (a line on its console).
restarted=
restart_a() {
  restarted=yes
  kill -9 "$nb_a"; wait "$nb_a" 2> /dev/null
  "$here/lamina-netback" --verbose --tx-rate="$rate" --switch "$tmp/switch.sock" --mac "$mac_a" "$id_a" 0 \
    > "$tmp/nb-a2.log" 2>&1 &
  nb_a=$! nbs="$nbs $!"
  within 90 grep -q 'connected' "$tmp/nb-a2.log" || say "the new back-end of a did not connect in 90 s"
  say "restarted a's back-end with --tx-rate=$rate: $(grep -m1 connected "$tmp/nb-a2.log")"
  $C "{\"op\":\"console-write\",\"id\":$id_a,\"data\":\"$(printf 'go\n' | base64)\"}" > /dev/null
}
grab() { # ROLE: the console of domain ROLE into $tmp/con-ROLE
  eval "i=\$id_$1"
  $C --console "$i" 2> /dev/null | tr -d '\r' > "$tmp/snap" && [ -s "$tmp/snap" ] && cp "$tmp/snap" "$tmp/con-$1"
}
state() { $C "{\"op\":\"get\",\"id\":$1}" | sed -n 's/.*"state":"\([a-z-]*\)".*/\1/p'; }
: > "$tmp/con-a"; : > "$tmp/con-b"
t=0 limit=${NET_LIMIT:-1500}
while [ $t -lt $limit ]; do
  grab a; grab b
  grep -q '^net-linux done' "$tmp/con-a" && grep -q '^net-linux done' "$tmp/con-b" && break
  [ -z "$restarted" ] && grep -q '^@restart-backend' "$tmp/con-a" && restart_a
  for i in $ids; do
    case "$(state "$i")" in running|paused|"") ;; *) say "domain $i is $(state "$i")"; t=$limit
      # why, as lamina-hvd says it (a triple fault there lets the suite run this again)
      grep -E 'killed|ended' "$tmp/hvd.log" | sed 's/^/  net-linux| hvd.log: /' ;; esac
  done
  [ $((t % 60)) = 0 ] && say "$t s: a: $(grep . "$tmp/con-a" | tail -n 1 | cut -c1-100) | b: $(grep . "$tmp/con-b" | tail -n 1 | cut -c1-100)"
  sleep 2; t=$((t + 2))
done
grab a; grab b
for r in a b; do
  grep -E '^(nic|netcase|stream|tx|dmesg)' "$tmp/con-$r" | sed "s/^/  net-linux| $r: /"
done
# the consoles' and back-ends' last words, for any failed RESULT below
dump() {
  for r in a b; do tail -n 15 "$tmp/con-$r" | sed "s/^/  net-linux| console $r: /"; done
  for f in "$tmp"/nb-*.log "$tmp/switch.log" "$tmp/hvd.log"; do
    [ -f "$f" ] && tail -n 8 "$f" | sed "s#^#  net-linux| $(basename "$f"): #"
  done
}
dumped=
result() { # RESULT line; the logs once, after the first failure
  echo "$1"
  case "$1" in "RESULT FAIL"*) [ -z "$dumped" ] && dumped=yes && dump ;; esac
}
why=
for r in a b; do
  l=$(grep -m1 '^netcase [A-Z]* ping' "$tmp/con-$r")
  case "$l" in "netcase PASS ping"*) ;; "") why="$why; $r: no ping verdict" ;; *) why="$why; $r: ${l#netcase }" ;; esac
  grep -q '^netcase FAIL link' "$tmp/con-$r" && why="$why; $r: $(grep -m1 '^netcase FAIL link' "$tmp/con-$r")"
done
grep -q '^stream recv PASS' "$tmp/con-b" || why="$why; receiver: $(grep -m1 '^stream recv' "$tmp/con-b" || echo "no verdict after $t s: $(tail -n1 "$tmp/con-b")")"
grep -q '^stream send PASS' "$tmp/con-a" || why="$why; sender: $(grep -m1 '^stream send' "$tmp/con-a" || echo "no verdict after $t s: $(tail -n1 "$tmp/con-a")")"
# phase 2: the restart, and the rate b measured (its second stream line)
l=$(grep -m1 '^netcase [A-Z]* backend-restart' "$tmp/con-a")
case "$l" in
  "netcase PASS "*) result "RESULT PASS net/backend-restart: ${l#netcase PASS backend-restart: }" ;;
  "") result "RESULT FAIL net/backend-restart: no verdict from guest a after $t s${restarted:- (it never asked for the restart)}" ;;
  *) result "RESULT FAIL net/backend-restart: ${l#netcase FAIL backend-restart: }" ;;
esac
l=$(grep '^stream recv' "$tmp/con-b" | sed -n 2p)
case "$l" in
  "stream recv PASS "*)
    set -- $l   # stream recv PASS BYTES bytes hash H in SECS s ...
    result "$(echo "$4 $9 $rate" | awk '{ wire = $1 * 1514 / 1448 / $2; r = wire / $3
      v = (r >= 0.95 && r <= 1.05) ? "PASS" : "FAIL"
      printf "RESULT %s net/ratelimit: %.0f B/s on the wire (%d payload bytes in %.2f s) against a limit of %d B/s: %.3f of it\n", v, wire, $1, $2, $3, r }')" ;;
  "") result "RESULT FAIL net/ratelimit: no second stream at b after $t s: $(grep . "$tmp/con-b" | tail -n1); a: $(grep . "$tmp/con-a" | tail -n1)" ;;
  *) result "RESULT FAIL net/ratelimit: the limited stream failed: $l" ;;
esac
if [ -z "$why" ]; then
  result "RESULT PASS net/internal: $(grep -m1 '^stream recv PASS' "$tmp/con-b" | cut -d' ' -f4-)"
else
  result "RESULT FAIL net/internal: ${why#; }"
fi
for f in "$tmp"/nb-*.log; do grep -h 'closed\|connected' "$f" | tail -n 2 | sed "s#^#  net-linux| $(basename "$f"): #"; done
finish
