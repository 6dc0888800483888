#!/bin/sh
# SPDX-License-Identifier: MIT
# net.sh: e2e: the network back-end's conformance: net_guest (a hand-written vif front-end) against lamina-netback on a lamina-netswitch with net_peer at the far end; one RESULT line per case.
#
# One domain in lamina-hvd runs net_guest.elf; its vif/0 is served by a
# lamina-netback joined to a lamina-netswitch, where net_peer (net_peer.c)
# is the only other port: it echoes the guest's frames with the MACs
# swapped, generates the frames the guest asks for, and logs every frame
# it receives. The guest prints "netcase PASS|FAIL|SKIP name[: why]":
#   good-tx, good-rx             frames both ways with the offload header (if offered)
#   hostile-*                    bad input: the statuses netif.h names, then good frames
#                                again (hostile-indices: a corrupt ring closes the
#                                interface, and a reconnection works)
#   good-plain-tx, good-plain-rx frames both ways on a connection without offload
# A case also fails if net_peer saw a frame of it that must never leave the
# back-end (a malformed or spoofed one) or a bad echo, and every hostile case
# fails if lamina-netback died. net/wire-clean: net_peer saw only good frames.
# Busybox sh: no bash.
here=$(cd "$(dirname "$0")" && pwd)
C="$here/hvd_call"
GMAC=52:54:00:00:09:01 PMAC=52:54:00:00:09:02
HOSTILE="hostile-bad-gref hostile-too-many-slots hostile-oversize hostile-truncated hostile-gso hostile-csum hostile-ids hostile-spoof hostile-flood hostile-indices"
ALL="good-tx good-rx $HOSTILE good-plain-tx good-plain-rx wire-clean"
say() { echo "  net| $*"; }

for f in lamina-hvd hvd_call lamina-netback lamina-netswitch net_peer net_guest.elf; do
  if [ ! -x "$here/$f" ] && [ ! -f "$here/$f" ]; then
    for n in $ALL; do echo "RESULT SKIP net/$n: $f not built"; done
    exit 0
  fi
done

tmp=$(mktemp -d /tmp/lamina-net.XXXXXX) || exit 1
export LAMINA_HVD_SOCKET="$tmp/hvd.sock"
"$here/lamina-hvd" --socket "$LAMINA_HVD_SOCKET" > "$tmp/hvd.log" 2>&1 &
hvd=$!
"$here/lamina-netswitch" --verbose "$tmp/switch.sock" > "$tmp/switch.log" 2>&1 &
sw=$!
peer= nb=
. "$here/lib.inc"
finish() {
  [ -n "$nb" ] && kill -9 "$nb" 2> /dev/null
  [ -n "$peer" ] && kill "$peer" 2> /dev/null
  kill "$sw" 2> /dev/null
  $C '{"op":"stop-all"}' > /dev/null 2>&1
  kill "$hvd" 2> /dev/null
  wait 2> /dev/null
  rm -rf "$tmp"
}
fail_all() { for n in $ALL; do echo "RESULT FAIL net/$n: $*"; done; finish; exit 0; }
within 20 $C '{"op":"hello"}' > /dev/null 2>&1 || fail_all "lamina-hvd did not start: $(tail -n1 "$tmp/hvd.log")"
within 10 test -S "$tmp/switch.sock" || fail_all "lamina-netswitch did not start: $(tail -n1 "$tmp/switch.log")"
: > "$tmp/peer.log"
"$here/net_peer" "$tmp/switch.sock" "$PMAC" "$tmp/peer.log" 2> "$tmp/peer.err" &
peer=$!
within 10 grep -q '^connected' "$tmp/peer.log" || fail_all "net_peer did not connect: $(cat "$tmp/peer.err" "$tmp/peer.log" | tail -n1)"

id=$($C "{\"op\":\"create\",\"name\":\"net-conf\",\"kernel\":\"$here/net_guest.elf\",\"cmdline\":\"peer=$PMAC\",\"mem_kib\":16384,\"vcpus\":1}" |
  sed -n 's/.*"id":\([0-9]*\).*/\1/p')
[ -n "$id" ] || fail_all "lamina-hvd could not create the domain: $(tail -n1 "$tmp/hvd.log")"
"$here/lamina-netback" --verbose --switch "$tmp/switch.sock" --mac $GMAC "$id" 0 > "$tmp/nb.log" 2>&1 &
nb=$!
say "domain $id, lamina-netback pid $nb"

state() { $C "{\"op\":\"get\",\"id\":$1}" | sed -n 's/.*"state":"\([a-z-]*\)".*/\1/p'; }
grab() { $C --console "$id" 2> /dev/null | tr -d '\r' > "$tmp/snap" && [ -s "$tmp/snap" ] && cp "$tmp/snap" "$tmp/con"; }
: > "$tmp/con"
t=0 limit=${NET_LIMIT:-900} died= ended=
while [ $t -lt $limit ]; do
  grab
  grep -q '^net_guest: done\|^SUCCESS\|^FAILURE' "$tmp/con" && break
  case "$(state "$id")" in running|paused|"") ;; *) ended="the domain is $(state "$id")"; break ;; esac
  if [ -z "$died" ] && ! kill -0 "$nb" 2> /dev/null; then
    wait "$nb"; died="lamina-netback died (exit status $?) after $t s: $(tail -n1 "$tmp/nb.log")"; nb=
    say "$died"
    # the guest waits up to 120 s per response: give it that, for its verdict lines, then stop
    [ $limit -gt $((t + 150)) ] && limit=$((t + 150))
  fi
  [ $((t % 60)) = 0 ] && say "$t s: $(tail -n 1 "$tmp/con" | cut -c1-120)"
  sleep 2; t=$((t + 2))
done
grab
if [ -z "$died" ] && [ -n "$nb" ] && ! kill -0 "$nb" 2> /dev/null; then
  wait "$nb"; died="lamina-netback died (exit status $?): $(tail -n1 "$tmp/nb.log")"; nb=
fi
$C '{"op":"hello"}' > /dev/null 2>&1 || died="${died:-lamina-hvd stopped answering}"

# What net_peer saw (net_guest/frame.h: op 1 echo, 2 gen, 4 poison; case numbers below).
casename() {
  set -- good-tx good-rx hostile-bad-gref hostile-too-many-slots hostile-oversize hostile-truncated \
    hostile-gso hostile-csum hostile-ids hostile-indices hostile-spoof hostile-flood good-plain-tx sane
  i=1
  for n in "$@"; do [ "$i" = "$WANT" ] && { echo "$n"; return; }; i=$((i + 1)); done
  echo "case-$WANT"
}
: > "$tmp/wire"
grep '^frame ' "$tmp/peer.log" | while read -r l; do
  c=$(echo "$l" | sed -n 's/.* case=\([0-9]*\) .*/\1/p')
  n=$(WANT=$c casename)
  case "$l" in
    *" test=0 "*) echo "? a frame that is no test frame: $l" ;;
    *" op=4 "*) echo "$n a frame it made malformed or spoofed reached net_peer: $l" ;;
    *" src=52:54:00:66:66:66 "*|*" src=ff:ff:ff:ff:ff:ff "*|*" src=00:00:00:00:00:00 "*|*" src=$PMAC "*)
      echo "hostile-spoof net_peer saw a spoofed source MAC: $l" ;;
    *" pat=bad"*) echo "$n net_peer received a frame with wrong bytes: $l" ;;
  esac
done > "$tmp/wire"
# the good round trips after each hostile case (case "sane") belong to whichever case ran them: wire-clean catches those
wire_of() { grep "^$1 " "$tmp/wire" | head -n1 | cut -d' ' -f2-; }

verdict() { # NAME
  n=$1
  l=$(grep -m1 "^netcase [A-Z]* $n\(:\|\$\)" "$tmp/con")
  w=$(wire_of "$n")
  extra=
  case "$n" in hostile-*) [ -n "$died" ] && extra="back-end crashed: $died" ;; esac
  case "$l" in
    "netcase PASS $n")
      if [ -n "$extra" ]; then echo "RESULT FAIL net/$n: $extra"
      elif [ -n "$w" ]; then echo "RESULT FAIL net/$n: $w"
      else echo "RESULT PASS net/$n"; fi ;;
    "netcase FAIL $n: "*) echo "RESULT FAIL net/$n: ${l#netcase FAIL $n: }${extra:+ ($extra)}" ;;
    "netcase SKIP $n: "*) echo "RESULT SKIP net/$n: ${l#netcase SKIP $n: }" ;;
    *)
      why="no verdict from the guest"
      [ -n "$died" ] && why="$why: back-end crashed: $died"
      [ -n "$ended" ] && why="$why: $ended"
      echo "RESULT FAIL net/$n: $why; console: $(tail -n1 "$tmp/con" | cut -c1-200)" ;;
  esac
}
for n in $ALL; do
  [ "$n" = wire-clean ] && continue
  verdict "$n"
done > "$tmp/res"
if [ -s "$tmp/wire" ]; then
  echo "RESULT FAIL net/wire-clean: $(wc -l < "$tmp/wire") bad frames reached net_peer; the first: $(head -n1 "$tmp/wire" | cut -d' ' -f2- | cut -c1-250)"
elif ! grep -q '^frame ' "$tmp/peer.log"; then
  echo "RESULT FAIL net/wire-clean: net_peer received no frame at all"
else
  echo "RESULT PASS net/wire-clean: $(grep -c '^frame ' "$tmp/peer.log") frames, all good"
fi >> "$tmp/res"
cat "$tmp/res"

grep '^net_guest: .*\(took\|statuses\|rx requests\|garbage\|connected\|skipped\)' "$tmp/con" | head -n 20 | sed 's/^/  net| /'
if grep -q 'RESULT FAIL' "$tmp/res"; then
  tail -n 25 "$tmp/con" | sed 's/^/  net| console: /'
  [ -n "$ended" ] || grep -q '^SUCCESS\|^FAILURE' "$tmp/con" || hvd_snapshot "$LAMINA_HVD_SOCKET" "$id" "  net| stuck:"
  grep -h 'ended: crash' "$tmp/hvd.log" | sed 's/^/  net| /'
  for f in "$tmp/nb.log" "$tmp/switch.log" "$tmp/peer.log" "$tmp/peer.err" "$tmp/hvd.log"; do
    [ -s "$f" ] && tail -n 10 "$f" | sed "s#^#  net| $(basename "$f"): #"
  done
fi
grep -h 'closed;\|disconnecting' "$tmp/nb.log" | tail -n 6 | sed 's/^/  net| nb: /'
grep -h 'refused\|dropped' "$tmp/nb.log" | sed 's/.*transmit frame //' | sort | uniq -c | head -n 20 | sed 's/^/  net| nb: /'
finish
