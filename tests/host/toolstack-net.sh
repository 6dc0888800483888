#!/bin/bash
# SPDX-License-Identifier: MIT
# toolstack-net.sh: one network of each mode started on this host (fake back-end), laminad killed -9 and restarted, all destroyed: nothing Lamina made is left.
#
# Needs root (bridges, TAPs, nftables) and ip, nft and dnsmasq (make deps
# installs them; this test installs nothing). Every name holds this shell's
# pid, and the EXIT trap removes whatever is left, so a failed run leaves the
# host's network as it found it. The internal network's switch is the real
# lamina-netswitch when it is built, else the unit tests' stand-in.
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
b=$O/toolstack
name=net/cleanup
stub=$top/tests/unit/toolstack/data/libexec
fail() { echo "RESULT FAIL $name: $*"; exit 0; }
[ "$(id -u)" -eq 0 ] || { echo "RESULT SKIP $name: needs root (bridges, TAPs, nftables)"; exit 0; }
[ -x "$b/laminad" ] && [ -x "$b/lamina" ] || fail "$b/laminad or lamina missing"
for need in ip:iproute2 nft:nftables dnsmasq:dnsmasq-base; do
  PATH=$PATH:/usr/sbin:/sbin command -v "${need%%:*}" > /dev/null ||
    fail "${need%%:*} is missing: install Debian's ${need#*:} (make deps does)"
done
export PATH=$PATH:/usr/sbin:/sbin

id=$$
t=$(mktemp -d)
export LAMINA_RUN_DIR=$t/run LAMINA_LOG_DIR=$t/log LAMINA_STATE_DIR=$t/state
export LAMINA_FAKE_BACKENDS=1 LAMINA_MEMINFO=$top/tests/unit/toolstack/data/meminfo-1g
libexec=$t/libexec # the stand-in lamina-netback; the real lamina-netswitch if built
mkdir -p "$libexec"
cp "$stub/lamina-netback" "$libexec/"
if [ -x "$O/pvdrivers/net/lamina-netswitch" ]; then
  cp "$O/pvdrivers/net/lamina-netswitch" "$libexec/"
else
  cp "$stub/lamina-netswitch" "$libexec/"
fi
export LAMINA_LIBEXEC_DIR=$libexec
ni=ti$id nh=th$id nn=tn$id nb=tb$id hostbr=ltb$id
brh=lm-$nh brn=lm-$nn
fwd0=$(cat /proc/sys/net/ipv4/ip_forward)
# Two /24s no address of this host is in.
pick() { for x in $(seq $((id % 150 + 100)) 254) $(seq 100 254); do
           ip -4 addr | grep -q " 10\.$x\.$1\." || { echo "10.$x.$1"; return; }; done; }
sh_=$(pick 71) sn=$(pick 72)
pid= pids= tap0= tap1=

lam() { "$b/lamina" "$@"; }
start() {
  "$b/laminad" --fake >> "$t/laminad.out" 2>&1 & pid=$!
  i=0; until lam version 2>/dev/null | grep -q '^laminad 0'; do # a killed one's socket stays
    [ $i -lt 100 ] || fail "laminad did not start: $(tail -5 "$t/laminad.out")"
    sleep 0.1; i=$((i + 1))
  done
}
state() { cat "$t/run/networks/$1.state" 2>/dev/null; }
helper_pid() { state "$1" | awk -v k="$2" '$1 == k { print $2 }'; }
alive() { [ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# Whatever is left, however the test ended: Lamina's way first, then by hand.
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    lam destroy d$id > /dev/null 2>&1
    for n in $ni $nh $nn $nb; do lam net-destroy "$n" > /dev/null 2>&1; done
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  fi
  for p in $pids $(helper_pid $ni switch) $(helper_pid $nn dnsmasq); do
    alive "$p" && kill "$p" 2>/dev/null
  done
  for l in $brh $brn; do ip link del dev "$l" 2>/dev/null; done # names of this run's
  for l in $tap0 $tap1; do # TAP names are not unique to this run: only recorded ones
    grep -qx "tap $l" "$t"/run/networks/*.state 2>/dev/null && ip link del dev "$l" 2>/dev/null
  done
  nft list table ip lamina-$nn > /dev/null 2>&1 && nft delete table ip lamina-$nn
  ip link del dev "$hostbr" 2>/dev/null
  echo "$fwd0" > /proc/sys/net/ipv4/ip_forward
  rm -rf "$t"
}
trap cleanup EXIT

ip link add name "$hostbr" type bridge || fail "cannot create the test's host bridge $hostbr"
cat > "$t/i.xml" <<EOF
<network><name>$ni</name><forward mode="internal"/><vlan tag="7"/></network>
EOF
cat > "$t/h.xml" <<EOF
<network><name>$nh</name><forward mode="host-only"/><ip address="$sh_.1" prefix="24"/></network>
EOF
cat > "$t/n.xml" <<EOF
<network>
  <name>$nn</name>
  <forward mode="nat"/>
  <ip address="$sn.1" prefix="24"><dhcp><range start="$sn.100" end="$sn.199"/></dhcp></ip>
</network>
EOF
cat > "$t/b.xml" <<EOF
<network><name>$nb</name><forward mode="bridge"/><bridge name="$hostbr"/></network>
EOF
start
for f in i h n b; do out=$(lam net-define "$t/$f.xml" 2>&1) || fail "net-define $f.xml: $out"; done
for n in $ni $nh $nn $nb; do out=$(lam net-start "$n" 2>&1) || fail "net-start $n: $out"; done

# Each network as its mode makes it.
[ -S "$t/run/networks/$ni.sock" ] || fail "no switch socket for $ni"
swpid=$(helper_pid $ni switch); alive "$swpid" || fail "no switch process for $ni: $(state $ni)"
ip -4 -br addr show dev "$brh" 2>/dev/null | grep -q " $sh_.1/24" || fail "bridge $brh lacks $sh_.1/24"
[ -e "/sys/class/net/$brn/bridge" ] || fail "no bridge $brn"
nft list table ip lamina-$nn 2>/dev/null | grep -q masquerade || fail "no masquerade in table ip lamina-$nn"
[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || fail "ip_forward not enabled for $nn"
dnspid=$(helper_pid $nn dnsmasq); alive "$dnspid" || fail "no dnsmasq for $nn: $(state $nn)"
tr '\0' ' ' < "/proc/$dnspid/cmdline" | grep -q -- "--interface=$brn .*--dhcp-range=$sn.100,$sn.199" ||
  fail "dnsmasq is not serving $sn.100-199 on $brn: $(tr '\0' ' ' < "/proc/$dnspid/cmdline")"
state $nb | grep -qx "bridge $hostbr existing" || fail "bridge network state: $(state $nb)"
lam net-list | grep -q "^$nn  *nat  *active  *$brn  *$sn.1/24 " || fail "net-list: $(lam net-list)"
lam net-list --json | tr -d ' \n' | grep -q "\"name\":\"$nn\",\"mode\":\"nat\",\"state\":\"active\"" ||
  fail "net-list --json: $(lam net-list --json)"
lam net-dumpxml $nn | grep -q "<bridge name=\"$brn\"/>" || fail "net-dumpxml $nn: $(lam net-dumpxml $nn)"

# A domain on three of them: TAPs on the bridges, the switch for the internal one.
head -c 8192 /dev/zero > "$t/vmlinuz"
cat > "$t/d.xml" <<EOF
<domain><name>d$id</name><memory unit="MiB">64</memory><vcpu>1</vcpu><os><kernel>vmlinuz</kernel></os>
<devices><interface><source network="$nh"/></interface><interface><source network="$nb"/></interface>
<interface><source network="$ni"/></interface></devices></domain>
EOF
out=$(lam create "$t/d.xml" 2>&1) || fail "create: $out"
domid=$(echo "$out" | grep -o 'id [0-9]*' | cut -d' ' -f2)
tap0=lm$domid.0 tap1=lm$domid.1
pids=$(lam info --json d$id | grep -o '"pid": [0-9]*' | cut -d' ' -f2)
[ -e "/sys/class/net/$tap0/brport" ] && [ "$(basename "$(readlink "/sys/class/net/$tap0/master")")" = "$brh" ] ||
  fail "TAP $tap0 is not on $brh"
[ "$(basename "$(readlink "/sys/class/net/$tap1/master")")" = "$hostbr" ] || fail "TAP $tap1 is not on $hostbr"
out=$(lam net-destroy $nh 2>&1) && fail "net-destroy of a network in use succeeded"
echo "$out" | grep -q "in use by 1 interface of running domain 'd$id'" || fail "net-destroy in use: $out"

# laminad dies hard; the fake domain dies with it, the networks do not.
kill -9 "$pid"; wait "$pid" 2>/dev/null; pid=
for p in $pids; do alive "$p" && kill "$p"; done # the fake domain's stand-in back-ends
start
for n in $ni $nh $nn $nb; do
  lam net-list | grep -q "^$n .* active " || fail "$n not active after the restart: $(lam net-list)"
done
[ "$(helper_pid $ni switch)" = "$swpid" ] && alive "$swpid" || fail "the switch was not adopted"
[ "$(helper_pid $nn dnsmasq)" = "$dnspid" ] && alive "$dnspid" || fail "dnsmasq was not adopted"
for l in $tap0 $tap1; do [ -e "/sys/class/net/$l" ] && fail "TAP $l of the dead domain left"; done
grep -q '^tap ' "$t"/run/networks/*.state && fail "TAPs still recorded: $(grep '^tap ' "$t"/run/networks/*.state)"

# Destroy everything: nothing Lamina made is left, and nothing else is gone.
for n in $ni $nh $nn $nb; do out=$(lam net-destroy "$n" 2>&1) || fail "net-destroy $n: $out"; done
for l in $brh $brn; do [ -e "/sys/class/net/$l" ] && fail "bridge $l left"; done
nft list table ip lamina-$nn > /dev/null 2>&1 && fail "nftables table ip lamina-$nn left"
for p in $swpid $dnspid; do alive "$p" && fail "process $p ($(tr '\0' ' ' < /proc/$p/cmdline)) left"; done
left=$(ls "$t/run/networks" | grep -v '^autostart.done$')
[ -z "$left" ] || fail "left in $t/run/networks: $left"
[ -e "/sys/class/net/$hostbr" ] || fail "the host bridge $hostbr of $nb was removed"
[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$fwd0" ] || fail "ip_forward not restored to $fwd0"
lam net-list | grep -q "^$nn .* inactive " || fail "$nn not listed as inactive: $(lam net-list)"
echo "RESULT PASS $name"
