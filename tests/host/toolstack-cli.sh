#!/bin/sh
# SPDX-License-Identifier: MIT
# toolstack-cli.sh: small CLI promises (fake back-end): network-attach prints the MAC network-detach takes; options may follow the name; a stale socket is reported as stale.
top=$(cd "$(dirname "$0")/../.." && pwd)
b=${O:-$top/build}/toolstack
name=toolstack/cli-small
[ -x "$b/laminad" ] && [ -x "$b/lamina" ] || { echo "RESULT FAIL $name: $b/laminad or lamina missing"; exit 0; }
t=$(mktemp -d)
export LAMINA_RUN_DIR=$t/run LAMINA_LOG_DIR=$t/log LAMINA_STATE_DIR=$t/state
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$t"' EXIT
fail() { echo "RESULT FAIL $name: $*"; exit 0; }
"$b/laminad" --fake > "$t/out" 2>&1 & pid=$!
i=0; while [ ! -S "$t/run/laminad.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
printf '<domain><name>n1</name><memory unit="MiB">64</memory><vcpu>1</vcpu><os><kernel>/bin/sh</kernel></os></domain>\n' > "$t/n1.xml"
"$b/lamina" create "$t/n1.xml" > /dev/null || fail "create failed"
out=$("$b/lamina" network-attach n1) || fail "network-attach failed: $out"
mac=$(echo "$out" | grep -oE '([0-9a-f]{2}:){5}[0-9a-f]{2}') || fail "network-attach printed no MAC: $out"
"$b/lamina" network-detach n1 "$mac" > /dev/null || fail "network-detach of the printed MAC $mac failed"
out=$("$b/lamina" network-attach n1 --mac=02:4c:4d:00:00:77 2>&1) || fail "an option after the name was refused: $out"
"$b/lamina" network-detach n1 02:4c:4d:00:00:77 > /dev/null || fail "network-detach of 02:4c:4d:00:00:77 failed"
kill -9 "$pid"; wait "$pid" 2>/dev/null; pid=
[ -S "$t/run/laminad.sock" ] || fail "kill -9 left no socket to test with"
out=$("$b/lamina" list 2>&1) && fail "list succeeded without laminad"
echo "$out" | grep -q "is a stale socket" || fail "stale socket not reported as stale: $out"
rm -f "$t/run/laminad.sock"
out=$("$b/lamina" list 2>&1)
echo "$out" | grep -q "no socket at" || fail "missing socket: $out"
echo "RESULT PASS $name"
