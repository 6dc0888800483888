#!/bin/sh
# SPDX-License-Identifier: MIT
# net_many.sh: e2e: one Linux guest with NET_NICS (default 8) PV network interfaces, more grants than the grant table's first 16 frames hold: every interface connects.
#
# lamina-hvd runs one Linux domain (1 vCPU); NET_NICS lamina-netbacks serve
# its vif/0..N-1 on one lamina-netswitch. Each connected interface holds 516
# grants (io/netif.h), so 8 need more than the 4096 of 16 frames: the
# front-end's grant table must grow (Linux series, "lamina: add the
# grant-table API").
# RESULT net/many-nics: the guest sees NET_NICS interfaces, all with carrier
# (connected), every back-end logged "connected", and the guest's grant
# table grew past 16 frames.
# Busybox sh: no bash.
here=$(cd "$(dirname "$0")" && pwd)
C="$here/hvd_call"
k=$here/../guest/bzImage rd=$here/../guest/initramfs.cpio
nics=${NET_NICS:-8}
if [ ! -f "$k" ] || [ ! -f "$rd" ]; then
  echo "RESULT SKIP net/many-nics: no guest kernel in the payload ('make guest' did not build it)"
  exit 0
fi
tmp=$(mktemp -d /tmp/lamina-netmany.XXXXXX) || exit 1
export LAMINA_HVD_SOCKET="$tmp/hvd.sock"
"$here/lamina-hvd" --socket "$LAMINA_HVD_SOCKET" > "$tmp/hvd.log" 2>&1 &
hvd=$!
"$here/lamina-netswitch" "$tmp/switch.sock" > "$tmp/switch.log" 2>&1 &
sw=$!
say() { echo "  net-many| $*"; }
. "$here/lib.inc"
nbs=
finish() {
  kill -9 $nbs 2> /dev/null
  kill "$sw" 2> /dev/null
  $C '{"op":"stop-all"}' > /dev/null 2>&1
  kill "$hvd" 2> /dev/null
  wait 2> /dev/null
  rm -rf "$tmp"
}
fail() { echo "RESULT FAIL net/many-nics: $*"; finish; exit 0; }
within 20 $C '{"op":"hello"}' > /dev/null 2>&1 || fail "lamina-hvd did not start: $(tail -n1 "$tmp/hvd.log")"
within 10 test -S "$tmp/switch.sock" || fail "lamina-netswitch did not start: $(tail -n1 "$tmp/switch.log")"

run=$(base64 < "$here/net_many.guest" | tr -d '\n')
cmd="console=hvc0 quiet lamina.nics=$nics lamina.run=$run"
id=$($C "{\"op\":\"create\",\"name\":\"net-many\",\"kernel\":\"$k\",\"initrd\":\"$rd\",\"cmdline\":\"$cmd\",\"mem_kib\":393216,\"vcpus\":1}" |
  sed -n 's/.*"id":\([0-9]*\).*/\1/p')
[ -n "$id" ] || fail "lamina-hvd could not create the domain: $(tail -n1 "$tmp/hvd.log")"
i=0
while [ $i -lt "$nics" ]; do
  "$here/lamina-netback" --switch "$tmp/switch.sock" --mac "52:54:00:00:09:$(printf %02x $i)" "$id" $i \
    > "$tmp/nb-$i.log" 2>&1 &
  nbs="$nbs $!"; i=$((i + 1))
done
say "domain $id, $nics back-ends started"

t=0
while [ $t -lt "${NET_LIMIT:-600}" ]; do
  $C --console "$id" 2> /dev/null | tr -d '\r' > "$tmp/con"
  grep -q '^manynics done' "$tmp/con" && break
  case "$($C "{\"op\":\"get\",\"id\":$id}" | sed -n 's/.*"state":"\([a-z-]*\)".*/\1/p')" in
    running|paused|"") ;;
    *) say "the domain ended: $(grep -E 'killed|ended' "$tmp/hvd.log" | tail -n1)"; break ;;
  esac
  sleep 2; t=$((t + 2))
done
grep '^manynics' "$tmp/con" | sed 's/^/  net-many| /'
line=$(grep -m1 '^manynics: [0-9]* interfaces' "$tmp/con")
conn=$(grep -l 'connected' "$tmp"/nb-*.log 2> /dev/null | wc -l)
grew=$(grep -o 'lamina-grant: grew to [0-9]* frames' "$tmp/con" | tail -n1)
why=
[ "$line" = "manynics: $nics interfaces, $nics with carrier" ] || why="guest: ${line:-no count after $t s: $(tail -n1 "$tmp/con")}"
[ "$conn" -eq "$nics" ] || why="${why:+$why; }$conn of $nics back-ends connected"
[ -n "$grew" ] || why="${why:+$why; }the guest's grant table did not grow (no 'grew to' in its log)"
if [ -z "$why" ]; then
  echo "RESULT PASS net/many-nics: $nics interfaces with carrier, $conn back-ends connected; ${grew#lamina-grant: }"
else
  echo "RESULT FAIL net/many-nics: $why"
  tail -n 15 "$tmp/con" | sed 's/^/  net-many| console: /'
  for f in "$tmp"/nb-*.log "$tmp/hvd.log"; do tail -n 3 "$f" | sed "s#^#  net-many| $(basename "$f"): #"; done
fi
finish
