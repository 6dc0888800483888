#!/bin/sh
# SPDX-License-Identifier: MIT
# net_toolstack.sh: e2e: laminad's virtual networks (host-only, nat, bridge) with a Linux guest: DHCP, traffic to the host, masquerade to an "outside" namespace, an existing bridge, and NIC hotplug; then nothing of them left on the host.
#
# Three Linux domains (net_toolstack.guest as their /lamina/run.sh, lamina.nt=
# saying each one's part) created by laminad from XML, one interface each, on
# networks laminad starts; they boot together:
# RESULT net/host-only: domain nt-h on nt-host (host-only, bridge lm-nt-host 10.0.8.1/24,
#   DHCP range): the guest gets a lease from laminad's dnsmasq, pings
#   10.0.8.1 and fetches from an HTTP server there, which saw the lease's address.
# RESULT net/nat: domain nt-n on nt-nat (nat, 10.0.9.1/24): the guest's DHCP lease (checked in
#   dnsmasq's lease file too) gives it the default route 10.0.9.1; it reaches a
#   server in a network namespace standing for the outside (192.0.2.2, behind a
#   veth from 192.0.2.1, with no route to 10.0.9.0/24), which saw the
#   connection come from 192.0.2.1 (the masquerade).
# RESULT net/bridge: domain nt-b on nt-br (bridge mode, on bridge ntbr0 this script makes, with
#   a namespace on a veth at 10.0.10.3): the guest (static 10.0.10.2) pings it
#   and fetches from its server.
# RESULT net/hotplug: while nt-h pings 10.0.8.1 every 0.2 s over the
#   host-only NIC, `lamina network-attach` gives it a second NIC, on nt-hot
#   (host-only 10.0.11.1/24, no DHCP); it appears in the guest and passes
#   pings and HTTP; `lamina network-detach` ends its back-end and TAP and the
#   guest sees it go (gone, or its carrier off); the pings lose at most NT_MAX_LOSS (default 5) %.
# RESULT net/cleanup: net-destroy is refused while nt-h runs on the network; after
#   destroy of the domains and the networks no TAP, bridge, nftables table,
#   dnsmasq or state file of Lamina is left, ip_forward is back, and the host
#   bridge ntbr0 (not Lamina's) is still there.
# Needs root, iproute2's ip, nft and dnsmasq (make-payload copies them into
# the payload). Busybox sh: no bash.
here=$(cd "$(dirname "$0")" && pwd)
L="$here/lamina"
name= id= conlog=/dev/null
names="host-only nat bridge hotplug cleanup"
k=$here/../guest/bzImage rd=$here/../guest/initramfs.cpio
say() { echo "  net-toolstack| $*"; }
all_results() { # VERDICT WHY: one RESULT line for each test
  for n in $names; do echo "RESULT $1 net/$n: $2"; done
}
[ "$(id -u)" = 0 ] || { all_results SKIP "not root (bridges, TAPs and nftables need root)"; exit 0; }
if [ -z "${NT_SETUP_ONLY:-}" ] && { [ ! -f "$k" ] || [ ! -f "$rd" ]; }; then
  all_results SKIP "no guest kernel in the payload ('make guest' did not build it)"; exit 0
fi
[ -f "$here/net_toolstack.cpio" ] || { all_results FAIL "no net_toolstack.cpio beside the script"; exit 0; }
# iproute2's ip (busybox's has no tuntap), nft, dnsmasq. The testbed's busybox
# sh runs its own applets before PATH: look for the programs, and call ip by path.
prog() { # NAME: the first NAME in PATH, /usr/sbin or /sbin that is not busybox
  for d in $(echo "$PATH:/usr/sbin:/sbin" | tr ':' ' '); do
    [ -x "$d/$1" ] && [ "$(basename "$(readlink -f "$d/$1")")" != busybox ] && { echo "$d/$1"; return 0; }
  done
  return 1
}
IP=$(prog ip) NFT=$(prog nft) DNSMASQ=$(prog dnsmasq)
ip() { "$IP" "$@"; }
nft() { "$NFT" "$@"; }
miss=
"$IP" -V 2>&1 | grep -q iproute2 || miss="$miss ip (Debian package iproute2)"
[ -n "$NFT" ] || miss="$miss nft (Debian package nftables)"
[ -n "$DNSMASQ" ] || miss="$miss dnsmasq (Debian package dnsmasq-base)"
[ -z "$miss" ] || { all_results FAIL "missing on the host:$miss; tools/deps installs them, make-payload copies them"; exit 0; }

tmp=$(mktemp -d /tmp/lamina-nettool.XXXXXX) || exit 1
export XDG_RUNTIME_DIR="$tmp/xdg" LAMINA_LOG_DIR="$tmp/log" LAMINA_STATE_DIR="$tmp/state"
unset LAMINA_RUN_DIR LAMINA_BACKEND LAMINA_HVD_SOCKET LAMINA_LIBEXEC_DIR
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
rundir="$XDG_RUNTIME_DIR/lamina"
conlog="$LAMINA_LOG_DIR/$name.console.log"
. "$here/lib.inc"
lam() { timeout 120 "$L" "$@"; }
t0=$(cut -d. -f1 /proc/uptime)
el() { echo "$(($(cut -d. -f1 /proc/uptime) - t0))s"; }

# The testbed is a busybox root: laminad runs ip, nft and dnsmasq from
# /usr/sbin before PATH (where /bin/ip is busybox's), and dnsmasq drops to
# user nobody, which must exist. Give it what a Debian host has; undone at the end.
made_links= made_passwd=
if [ -n "${LAMINA_IN_TESTBED:-}" ]; then
  mkdir -p /usr/sbin /etc
  for t in ip nft dnsmasq; do
    [ -e "/usr/sbin/$t" ] || { ln -s "$(prog $t)" "/usr/sbin/$t" && made_links="$made_links /usr/sbin/$t"; }
  done
  if ! grep -q '^nobody:' /etc/passwd 2> /dev/null; then
    for f in passwd group; do [ -f /etc/$f ] && cp /etc/$f "$tmp/$f.orig"; done
    echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >> /etc/passwd
    printf 'nogroup:x:65534:\ndip:x:30:\n' >> /etc/group
    made_passwd=1
  fi
fi
fwd0=$(cat /proc/sys/net/ipv4/ip_forward)

daemon= pids= nsout= nsbr= doms=
ns() { # PID CMD...: CMD in the network namespace of PID
  p=$1; shift
  nsenter -t "$p" -n -- "$@"
}
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2> /dev/null
  "$here/laminad" --stop-domains > /dev/null 2>&1
  for p in $pids $nsout $nsbr; do kill "$p" 2> /dev/null; done
  wait 2> /dev/null
  for l in ntbr0 nto-h ntb-h; do ip link del dev $l 2> /dev/null; done
  # whatever laminad left (reported by net/cleanup already)
  for d in "$rundir"/networks/*.state; do [ -f "$d" ] || continue
    for p in $(sed -n 's/^dnsmasq \([0-9]*\).*/\1/p' "$d"); do kill "$p" 2> /dev/null; done
    for l in $(sed -n 's/^tap \(.*\)/\1/p; s/^bridge \(.*\) made/\1/p' "$d"); do ip link del dev "$l" 2> /dev/null; done
    n=$(basename "$d" .state); nft delete table ip "lamina-$n" 2> /dev/null
  done
  echo "$fwd0" > /proc/sys/net/ipv4/ip_forward
  for f in $made_links; do rm -f "$f"; done
  if [ -n "$made_passwd" ]; then
    for f in passwd group; do if [ -f "$tmp/$f.orig" ]; then cp "$tmp/$f.orig" /etc/$f; else rm -f /etc/$f; fi; done
  fi
  rm -rf "$tmp"
}
diagnose() {
  for d in $doms; do
    tail -n 25 "$LAMINA_LOG_DIR/$d.console.log" 2> /dev/null | tr -d '\r' | sed "s/^/  net-toolstack| console $d: /"
  done
  for f in "$tmp/laminad.out" "$LAMINA_LOG_DIR/laminad.log" "$LAMINA_LOG_DIR/lamina-hvd.log" \
           "$LAMINA_LOG_DIR"/nt-?.log "$LAMINA_LOG_DIR"/networks/*.log; do
    [ -f "$f" ] && tail -n 15 "$f" | sed "s#^#  net-toolstack| $(basename "$f"): #"
  done
  for f in "$tmp"/srv-*.log; do [ -f "$f" ] && say "$(basename "$f"): $(tr '\n' ' ' < "$f")"; done
}
# lamina-hvd's and laminad's triple-fault lines, as they are (the suite re-runs on them)
faults() {
  grep -h 'triple-faulted\|ended: crash' "$tmp/laminad.out" "$LAMINA_LOG_DIR"/*.log 2> /dev/null | sort -u | head -n 5
}
con_has() { grep -q "$1" "$conlog" 2> /dev/null; }
con_line() { grep -m1 "$1" "$conlog" 2> /dev/null | tr -d '\r'; }
alive() { s=$(awk '{ print $3 }' "/proc/$1/stat" 2> /dev/null); [ -n "$s" ] && [ "$s" != Z ]; }
procs() { # PATTERN: pids of live processes whose command line matches PATTERN (a case pattern)
  for d in /proc/[0-9]*; do
    c=$(tr '\0' ' ' 2> /dev/null < "$d/cmdline")
    case "$c" in $1) alive "${d#/proc/}" && echo "${d#/proc/}" ;; esac
  done
}
ok= why=
res() { # NAME: the RESULT line of test NAME from $why ("" = pass) and $ok (details)
  if [ -z "$why" ]; then echo "RESULT PASS net/$1${ok:+: $ok}"
  else echo "RESULT FAIL net/$1: $why"; faults; FAILED=1; fi
  ok= why=
}
FAILED=
fail_all_now() { # WHY: the environment could not be set up
  all_results FAIL "$1"; faults; diagnose; cleanup; exit 0
}

# ---- teardown: nothing of Lamina's left (run at the end) -----------------------
td() {
  if [ -z "${NT_SETUP_ONLY:-}" ]; then
    use nt-h
    wait_con 120 '^net-toolstack done' || true
    grep '^stats \|^dmesg: ' "$conlog" | tr -d '\r' | awk '!seen[$0]++' | sed 's/^/  net-toolstack| guest nt-h /'
    out=$(lam net-destroy nt-host 2>&1) && { why="net-destroy of nt-host succeeded while nt-h runs on it"; return; }
    case "$out" in *nt-h*) say "net-destroy while in use: $out" ;;
      *) why="net-destroy while in use does not name nt-h: $out"; return ;; esac
    for d in $doms; do lam destroy "$d" > /dev/null 2>&1; done
    l=$(lam list 2>&1 | awk 'NR > 1 { print $1 }' | tr '\n' ' ')
    [ -z "$l" ] || { why="domains left after destroy: $l"; return; }
    sleep 1
  fi
  left=$(procs "*lamina-netback*")
  [ -z "$left" ] || { why="netbacks left after destroy: $left"; return; }
  for n in nt-host nt-nat nt-br nt-hot; do
    out=$(lam net-destroy "$n" 2>&1) || { why="net-destroy $n: $out"; return; }
  done
  sleep 1
  bad=
  l=$(ls /sys/class/net | grep '^lm' | tr '\n' ' ')
  [ -z "$l" ] && bad= || bad="interfaces left: $l"
  t=$(nft list tables 2>&1 | grep lamina)
  [ -z "$t" ] || bad="$bad; nftables tables left: $t"
  d=$(procs "*dnsmasq*")
  [ -z "$d" ] || bad="$bad; dnsmasq left: $d"
  s=$(ls "$rundir/networks/" 2> /dev/null | grep -v '^autostart.done$' | tr '\n' ' ')
  [ -z "$s" ] || bad="$bad; files left in $rundir/networks: $s"
  f=$(cat /proc/sys/net/ipv4/ip_forward)
  [ "$f" = "$fwd0" ] || bad="$bad; ip_forward is $f, was $fwd0"
  [ -e /sys/class/net/ntbr0/bridge ] || bad="$bad; the host bridge ntbr0 (not Lamina's) is gone"
  lam net-list 2>&1 | grep -qw active && bad="$bad; net-list: $(lam net-list | tr '\n' '|')"
  [ -z "$bad" ] || { why="${bad#; }"; return; }
  ok="no TAP, lm- bridge, nft table, dnsmasq or state left; ip_forward $f; ntbr0 kept"
}

# ---- the host side: servers, the outside namespace, the host bridge ----------
www() { # DIR LOG: a busybox httpd root whose /cgi-bin/who answers and logs the peer's address
  mkdir -p "$1/cgi-bin"
  printf '#!/bin/sh\necho "$REMOTE_ADDR" >> %s\nprintf "Content-Type: text/plain\\r\\n\\r\\nyou are %%s\\n" "$REMOTE_ADDR"\n' "$2" > "$1/cgi-bin/who"
  chmod 755 "$1/cgi-bin/who"
  : > "$2"
}
serve() { # NSPID|- ADDR NAME: an HTTP server on ADDR:8080 (in the namespace of NSPID)
  www "$tmp/www-$3" "$tmp/srv-$3.log"
  if [ "$1" = - ]; then busybox httpd -f -p "$2:8080" -h "$tmp/www-$3" &
  else nsenter -t "$1" -n -- busybox httpd -f -p "$2:8080" -h "$tmp/www-$3" & fi
  pids="$pids $!"
}
# A network namespace held by a sleeping process, its end of a veth pair in it.
mkns() { # VETH-HOST VETH-NS ADDR/PREFIX: prints the namespace's pid
  unshare -n -- sleep 100000 > /dev/null 2>&1 &
  p=$!
  sleep 0.5
  ip link add "$1" type veth peer name "$2" || return 1
  ip link set "$2" netns "$p" || return 1
  ns "$p" "$IP" link set lo up && ns "$p" "$IP" link set "$2" up && ns "$p" "$IP" addr add "$3" dev "$2" || return 1
  echo "$p"
}
say "$(el) setting up: the outside namespace, host bridge ntbr0 with a namespace on it"
nsout=$(mkns nto-h nto-n 192.0.2.2/24) || fail_all_now "cannot make the outside namespace (unshare -n, ip link add type veth)"
ip addr add 192.0.2.1/24 dev nto-h && ip link set nto-h up || fail_all_now "cannot configure nto-h"
ip link add ntbr0 type bridge && ip link set ntbr0 up || fail_all_now "cannot make bridge ntbr0"
nsbr=$(mkns ntb-h ntb-n 10.0.10.3/24) || fail_all_now "cannot make the bridge's namespace"
ip link set ntb-h master ntbr0 && ip link set ntb-h up || fail_all_now "cannot put ntb-h on ntbr0"
serve "$nsout" 192.0.2.2 out
serve "$nsbr" 10.0.10.3 br
routes=$(ns "$nsout" "$IP" route | tr '\n' ';')
case "$routes" in *10.0.9.*|*default*) fail_all_now "the outside namespace has a route to the guest: $routes" ;; esac
say "outside namespace (pid $nsout) routes: $routes"
# The servers answer (here the outside one, from the host: 192.0.2.1 without masquerade).
within 10 timeout 10 busybox wget -q -O "$tmp/w" http://192.0.2.2:8080/cgi-bin/who 2> /dev/null
[ "$(tr -d '\r' < "$tmp/w" 2> /dev/null)" = "you are 192.0.2.1" ] || fail_all_now "the outside HTTP server does not answer as it should: '$(cat "$tmp/w" 2>&1)'"
: > "$tmp/srv-out.log"

# ---- laminad and its networks ----------------------------------------------
"$here/laminad" > "$tmp/laminad.out" 2>&1 &
daemon=$!
within 30 lam list > /dev/null 2>&1 || fail_all_now "laminad did not start: $(tail -n 3 "$tmp/laminad.out" | tr '\n' '|')"
netxml() { # NAME MODE INNER
  printf '<network>\n  <name>%s</name>\n  <forward mode="%s"/>\n%s\n</network>\n' "$1" "$2" "$3" > "$tmp/$1.xml"
}
netxml nt-host host-only '  <ip address="10.0.8.1" prefix="24"><dhcp><range start="10.0.8.100" end="10.0.8.199"/></dhcp></ip>'
netxml nt-nat nat '  <ip address="10.0.9.1" prefix="24"><dhcp><range start="10.0.9.100" end="10.0.9.199"/></dhcp></ip>'
netxml nt-br bridge '  <bridge name="ntbr0"/>'
netxml nt-hot host-only '  <ip address="10.0.11.1" prefix="24"/>'
for n in nt-host nt-nat nt-br nt-hot; do
  out=$(lam net-define "$tmp/$n.xml" 2>&1) || fail_all_now "net-define $n: $out"
  out=$(lam net-start "$n" 2>&1) || fail_all_now "net-start $n: $out"
done
say "$(el) networks started:"
lam net-list 2>&1 | sed 's/^/  net-toolstack|   /'
# what the starts made
addr_on() { ip -4 addr show dev "$1" 2> /dev/null | grep -q "inet $2/"; }
addr_on lm-nt-host 10.0.8.1 || fail_all_now "no bridge lm-nt-host with 10.0.8.1: $(ip -4 addr show dev lm-nt-host 2>&1 | tr '\n' ' ')"
addr_on lm-nt-nat 10.0.9.1 || fail_all_now "no bridge lm-nt-nat with 10.0.9.1"
addr_on lm-nt-hot 10.0.11.1 || fail_all_now "no bridge lm-nt-hot with 10.0.11.1"
nft list table ip lamina-nt-nat > /dev/null 2>&1 || fail_all_now "no nftables table ip lamina-nt-nat: $(nft list tables 2>&1 | tr '\n' ' ')"
[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || fail_all_now "net.ipv4.ip_forward is not 1 with a nat network active"
dns=$(procs "*dnsmasq*" | tr '\n' ' ')
[ "$(echo $dns | wc -w)" -eq 2 ] || fail_all_now "want two dnsmasq (nt-host, nt-nat), have '$dns': $(procs '*dnsmasq*' | while read p; do tr '\0' ' ' < /proc/$p/cmdline; echo; done)"
say "bridges, nft table, ip_forward and dnsmasq ($dns) are there"
serve - 10.0.8.1 host
serve - 10.0.11.1 hot
id=
if [ -n "${NT_SETUP_ONLY:-}" ]; then # NT_SETUP_ONLY=1: the host side only, no guest
  td; res cleanup; [ -n "$FAILED" ] && diagnose; cleanup; exit 0
fi

# ---- the guests ----------------------------------------------------------------
# Three domains, one NIC each, booting together: nt-h (host-only, later the
# hotplug), nt-n (nat), nt-b (bridge). use DOM makes DOM the one looked at.
cat "$rd" "$here/net_toolstack.cpio" > "$tmp/rd.cpio"
domxml() { # NAME ROLE NETWORK MAC
  cat <<EOX
<domain type="lamina">
  <name>$1</name>
  <memory unit="MiB">384</memory>
  <vcpu>1</vcpu>
  <os>
    <kernel>$k</kernel>
    <initrd>$tmp/rd.cpio</initrd>
    <cmdline>console=hvc0 quiet lamina.nt=$2</cmdline>
  </os>
  <on_poweroff>preserve</on_poweroff>
  <on_crash>preserve</on_crash>
  <devices>
    <interface type="network"><source network="$3"/><mac address="$4"/></interface>
  </devices>
</domain>
EOX
}
use() { # DOM
  name=$1 conlog="$LAMINA_LOG_DIR/$1.console.log"
  id=$(lam list | awk -v n="$1" '$1 == n { print $2 }')
}
doms="nt-h nt-n nt-b"
domxml nt-h host nt-host 02:4c:4d:00:08:02 > "$tmp/nt-h.xml"
domxml nt-n nat nt-nat 02:4c:4d:00:09:02 > "$tmp/nt-n.xml"
domxml nt-b br nt-br 02:4c:4d:00:0a:02 > "$tmp/nt-b.xml"
taps=
for d in $doms; do
  out=$(timeout 300 "$L" create "$tmp/$d.xml" 2>&1) || fail_all_now "lamina create $d: $out"
  use $d
  [ -e "/sys/class/net/lm$id.0/tun_flags" ] || fail_all_now "no TAP lm$id.0 after create of $d: $(ls /sys/class/net | tr '\n' ' ')"
  taps="$taps $d: lm$id.0 on $(basename "$(readlink /sys/class/net/lm$id.0/master)"),"
done
say "$(el) domains created; netbacks: $(procs "*lamina-netback*" | tr '\n' ' '); TAPs:$taps"

# Wait for a guest line; on timeout say what the domain does.
wait_con() { # SECONDS PATTERN
  within "$1" con_has "$2" && return 0
  hvd_snapshot "$rundir/lamina-hvd.sock" "$id" "  net-toolstack| stuck ($name):"
  return 1
}
guest_case() { # NAME: the guest's verdict on NAME into $why/$ok
  l=$(con_line "^ntcase [A-Z]* $1[:]*")
  case "$l" in
    "ntcase PASS $1"*) ok="${l#ntcase PASS $1: }" ;;
    "") why="no verdict from guest $name on $1: $(tail -n 2 "$conlog" | tr -d '\r' | tr '\n' '|')" ;;
    *) why="guest $name: ${l#ntcase }" ;;
  esac
}
booted() { say "$(el) $name: $(con_line '^lamina-guest: up') $(con_line '^nic:')"; }

use nt-h
wait_con 600 '^ntcase [A-Z]* host-only' || true
booted
guest_case host-only
if [ -z "$why" ]; then
  gip=$(echo "$ok" | sed -n 's/.* lease \([0-9.]*\)\/.*/\1/p')
  grep -qx "$gip" "$tmp/srv-host.log" || why="the server on 10.0.8.1 did not see $gip: $(tr '\n' ' ' < "$tmp/srv-host.log")"
  grep -q "02:4c:4d:00:08:02 $gip " "$rundir/networks/nt-host.leases" 2> /dev/null ||
    why="${why:+$why; }dnsmasq's lease file has no $gip for 02:4c:4d:00:08:02: $(cat "$rundir/networks/nt-host.leases" 2>&1 | tr '\n' '|')"
fi
res host-only

use nt-n
wait_con 300 '^ntcase [A-Z]* nat' || true
booted
guest_case nat
if [ -z "$why" ]; then
  gip=$(echo "$ok" | sed -n 's/.* lease \([0-9.]*\)\/.*/\1/p')
  case "$ok" in *"router=10.0.9.1 "*) ;; *) why="the lease gave no router 10.0.9.1: $ok" ;; esac
  case "$gip" in 10.0.9.1[0-9][0-9]) ;; *) why="${why:+$why; }lease address '$gip' is outside the DHCP range" ;; esac
  grep -q "02:4c:4d:00:09:02 $gip " "$rundir/networks/nt-nat.leases" 2> /dev/null ||
    why="${why:+$why; }dnsmasq's lease file has no $gip for 02:4c:4d:00:09:02: $(cat "$rundir/networks/nt-nat.leases" 2>&1 | tr '\n' '|')"
  seen=$(sort -u "$tmp/srv-out.log" | tr '\n' ' ')
  [ "$seen" = "192.0.2.1 " ] || why="${why:+$why; }the outside server saw '$seen', want only 192.0.2.1 (the masquerade)"
  [ -z "$why" ] && ok="$ok; outside server log: $seen"
fi
res nat
lam destroy nt-n > /dev/null 2>&1   # leave the CPUs to the others

use nt-b
wait_con 300 '^ntcase [A-Z]* bridge' || true
booted
guest_case bridge
if [ -z "$why" ]; then
  seen=$(sort -u "$tmp/srv-br.log" | tr '\n' ' ')
  [ "$seen" = "10.0.10.2 " ] || why="the namespace's server saw '$seen', want 10.0.10.2"
  [ "$(basename "$(readlink /sys/class/net/lm$id.0/master)")" = ntbr0 ] || why="${why:+$why; }TAP lm$id.0 is not on ntbr0"
fi
res bridge
lam destroy nt-b > /dev/null 2>&1

# ---- hotplug ---------------------------------------------------------------
hp() {
  use nt-h
  wait_con 120 '^ntphase hotplug-ready\|^ntcase [A-Z]* hotplug-attach' || { why="the guest never got to hotplug-ready"; return; }
  con_has '^ntphase hotplug-ready' || { guest_case hotplug-attach; return; }
  ta=$(cut -d. -f1 /proc/uptime)
  out=$(lam network-attach --network=nt-hot --mac=02:4c:4d:00:0b:02 "$name" 2>&1) || { why="network-attach: $out"; return; }
  say "$(el) network-attach: $out ($(($(cut -d. -f1 /proc/uptime) - ta)) s)"
  tap=lm$id.1
  [ -e "/sys/class/net/$tap/tun_flags" ] || { why="no TAP $tap after network-attach: $(ls /sys/class/net | tr '\n' ' ')"; return; }
  [ "$(basename "$(readlink /sys/class/net/$tap/master)")" = lm-nt-hot ] || { why="TAP $tap is not on lm-nt-hot"; return; }
  nb=$(procs "*lamina-netback*--tap $tap *")
  [ -n "$nb" ] || { why="no lamina-netback for $tap"; return; }
  lam info "$name" 2>&1 | grep -A3 -i '^interfaces' | sed 's/^/  net-toolstack| info: /'
  wait_con 240 '^ntcase [A-Z]* hotplug-attach' || { why="no hotplug-attach verdict"; return; }
  guest_case hotplug-attach
  attwhy=$why att=$ok why=
  if [ -z "$attwhy" ]; then
    grep -qx 10.0.11.2 "$tmp/srv-hot.log" || attwhy="the server on 10.0.11.1 did not see 10.0.11.2"
    wait_con 60 '^ntphase hotplug-detach-ready' || attwhy="${attwhy:+$attwhy; }the guest never got to hotplug-detach-ready"
  fi
  # detach whatever the guest made of it: the back-end and TAP must go
  out=$(lam network-detach "$name" 02:4c:4d:00:0b:02 2>&1) || { why="${attwhy:+$attwhy; }network-detach: $out"; return; }
  alive "$nb" && { why="${attwhy:+$attwhy; }network-detach returned but netback $nb still runs"; return; }
  [ -e "/sys/class/net/$tap" ] && { why="${attwhy:+$attwhy; }network-detach returned but TAP $tap is still there"; return; }
  grep -q "$tap" "$rundir/networks/nt-hot.state" && { why="${attwhy:+$attwhy; }nt-hot's state still records $tap"; return; }
  say "$(el) network-detach: netback $nb ended, TAP $tap gone"
  det="not looked at"
  if [ -z "$attwhy" ]; then
    wait_con 240 '^ntcase [A-Z]* hotplug-detach' || { why="no hotplug-detach verdict from the guest"; return; }
    guest_case hotplug-detach; [ -z "$why" ] || return
    det=$ok
  fi
  wait_con 60 '^ntcase [A-Z]* hotplug-ping' || { why="${attwhy:+$attwhy; }no ping summary from the guest"; return; }
  l=$(con_line '^ntcase [A-Z]* hotplug-ping')
  sent=$(echo "$l" | sed -n 's/.*sent \([0-9]*\) received \([0-9]*\).*/\1/p')
  got=$(echo "$l" | sed -n 's/.*sent \([0-9]*\) received \([0-9]*\).*/\2/p')
  say "pings over eth0 meanwhile: ${l#ntcase INFO hotplug-ping: }"
  [ -z "$attwhy" ] || { why=$attwhy; return; }
  [ -n "$sent" ] && [ "$sent" -gt 20 ] || { why="too few pings during the hotplug: $l"; return; }
  lost=$((sent - got))
  [ $((lost * 100)) -le $((sent * ${NT_MAX_LOSS:-5})) ] || { why="the pings on the first NIC lost $lost of $sent (> ${NT_MAX_LOSS:-5}%): $l"; return; }
  ok="attach: $att; detach: $det; ${l#ntcase INFO hotplug-ping: }"
}
hp
res hotplug

td
res cleanup

say "$(el) done"
[ -n "$FAILED" ] && diagnose
cleanup
exit 0
