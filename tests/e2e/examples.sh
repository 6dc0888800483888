#!/bin/sh
# SPDX-License-Identifier: MIT
# examples.sh: e2e: every examples/*.xml, as shipped, boots the Linux guest to its shell on the kvm back-end (persistent.xml through define and start).
#
# RESULT toolstack/kvm-refuses: what the kvm back-end cannot do yet
# (<vcpu current> below the count), and an <interface> on a network that is
# not defined, are refused naming them (<disk> works since issue 13:
# tests/e2e/disk.sh; <interface> since issue 14).
# RESULT toolstack/examples: the examples name ../build/guest/...
# relative to themselves; here a copy of examples/ sits beside build/guest,
# a link to the payload's guest/ (what `make guest` built), so the files are
# used unchanged. Each domain must print the guest's "up" line with the vCPU
# count its file gives, and its console must not open with error lines.
# Busybox sh: no bash.
here=$(cd "$(dirname "$0")" && pwd)
L="$here/lamina"
tmp=$(mktemp -d /tmp/lamina-examples.XXXXXX) || exit 1
export XDG_RUNTIME_DIR="$tmp/xdg" LAMINA_LOG_DIR="$tmp/log" LAMINA_STATE_DIR="$tmp/state"
unset LAMINA_RUN_DIR LAMINA_BACKEND LAMINA_HVD_SOCKET
mkdir -p "$XDG_RUNTIME_DIR" "$tmp/build" && chmod 700 "$XDG_RUNTIME_DIR"
daemon=
lam() { timeout 240 "$L" "$@"; }
say() { echo "  examples| $*"; }
finish() {
  [ -n "$daemon" ] && kill "$daemon" 2> /dev/null
  "$here/laminad" --stop-domains > /dev/null 2>&1
  [ "$1" = PASS ] || for f in "$LAMINA_LOG_DIR"/*.log; do
    [ -f "$f" ] && tail -n 15 "$f" | sed "s#^#  examples| $(basename "$f"): #"
  done
  rm -rf "$tmp"
}
fail() { echo "RESULT FAIL toolstack/examples: $*"; finish FAIL; exit 0; }
[ -f "$here/../guest/bzImage" ] || fail "no guest kernel in the payload ('make guest' did not build it)"
ln -s "$here/../guest" "$tmp/build/guest"
cp -r "$here/examples" "$tmp/examples" || fail "no examples in the payload"
"$here/laminad" > "$tmp/laminad.out" 2>&1 &
daemon=$!
i=0; while [ $i -lt 20 ] && ! lam list > /dev/null 2>&1; do sleep 1; i=$((i + 1)); done
lam list > /dev/null 2>&1 || fail "laminad did not start: $(tail -n 3 "$tmp/laminad.out")"

boots() { # FILE NAME: wait for the guest's "up" line; check its vCPUs (sh: no locals)
  f=$1 dom=$2 log="$LAMINA_LOG_DIR/$2.console.log" t=0
  want=$(sed -n 's/.*<vcpu[^>]*>\([0-9]*\)<\/vcpu>.*/\1/p' "$f")
  while [ $t -lt 400 ] && ! grep -q 'lamina-guest: up in' "$log" 2> /dev/null; do
    sleep 2; t=$((t + 2))
  done
  up=$(grep -a -m1 'lamina-guest: up in' "$log" 2> /dev/null)
  [ -n "$up" ] || fail "$(basename "$f"): no 'lamina-guest: up' on the console in ${t}s: $(tail -n 3 "$log" 2> /dev/null | tr '\n' '|')"
  say "$(basename "$f"): $up (${t}s)"
  case $up in *": $want CPUs,"*) ;; *) fail "$(basename "$f"): wanted $want CPUs: $up" ;; esac
  bad=$(grep -a -c 'No such file' "$log")
  [ "$bad" -eq 0 ] || fail "$(basename "$f"): the console shows $bad 'No such file' lines: $(grep -a -m2 'No such file' "$log" | tr '\n' '|')"
  lam destroy "$dom" > /dev/null || fail "destroy $dom failed"
}

refused() { # WHAT WANT XML-FRAGMENT...: create must fail naming WANT
  what=$1 want=$2; shift 2
  printf '<domain><name>r</name><memory unit="MiB">320</memory>%s<os><kernel>%s</kernel></os>%s</domain>\n' \
    "$1" "$here/../guest/bzImage" "$2" > "$tmp/r.xml"
  out=$(lam create "$tmp/r.xml" 2>&1) && { echo "RESULT FAIL toolstack/kvm-refuses: $what accepted"; lam destroy r > /dev/null 2>&1; return 1; }
  case $out in *"$want"*) return 0 ;; esac
  echo "RESULT FAIL toolstack/kvm-refuses: $what: $out"; return 1
}
if refused interface "interface 02:4c:4d:00:00:09 (vif): network 'default' is not defined" \
  '<vcpu>1</vcpu>' "<devices><interface><mac address='02:4c:4d:00:00:09'/></interface></devices>" &&
refused "vcpu current" "<vcpu current='1'>2</vcpu>: the kvm back-end runs every vCPU" \
  "<vcpu current='1'>2</vcpu>" ''; then
  if [ -z "$(lam list | awk '$1 == "r"')" ]; then echo "RESULT PASS toolstack/kvm-refuses"
  else echo "RESULT FAIL toolstack/kvm-refuses: a refused domain is listed: $(lam list)"; fi
fi

n=0
for f in "$tmp"/examples/*.xml; do
  out=$(lam validate "$f" 2>&1) || fail "$(basename "$f") does not validate: $out"
  name=$(echo "$out" | sed -n "s/.*valid (domain '\(.*\)').*/\1/p")
  if [ "$(basename "$f")" = persistent.xml ]; then
    lam define "$f" > /dev/null || fail "define $f failed"
    out=$(lam start "$name" 2>&1) || fail "start $name failed: $out"
  else
    out=$(lam create "$f" 2>&1) || fail "create $(basename "$f") failed: $out"
  fi
  boots "$f" "$name"
  n=$((n + 1))
done
[ $n -ge 3 ] || fail "only $n examples"
echo "RESULT PASS toolstack/examples"
finish PASS
