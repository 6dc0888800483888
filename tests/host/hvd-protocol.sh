#!/bin/sh
# SPDX-License-Identifier: MIT
# hvd-protocol.sh: lamina-hvd (without KVM) answers bad, oversized, flooding and vanishing clients over its real socket and keeps serving others.
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${O:-$top/build}
hvd=$B/hypervisor/hvd/lamina-hvd
laminad=$B/toolstack/laminad
[ -x "$hvd" ] || { echo "RESULT FAIL hvd-protocol/built: $hvd missing"; exit 0; }
command -v python3 > /dev/null || { echo "RESULT SKIP hvd-protocol/clients: no python3"; exit 0; }
tmp=$(mktemp -d /tmp/lamina-hvd-proto.XXXXXX)
export LAMINA_RUN_DIR="$tmp/run" LAMINA_HVD_NO_KVM=1
unset LAMINA_HVD_SOCKET
sock="$tmp/run/lamina-hvd.sock"
result() { # name verdict-text: "" passes
  if [ -z "$2" ]; then echo "RESULT PASS hvd-protocol/$1"; else echo "RESULT FAIL hvd-protocol/$1: $2"; fi
}

out=$("$laminad" --stop-domains 2>&1)
result stop-without-hvd "$(echo "$out" | grep -q 'lamina-hvd is not running' || echo "laminad --stop-domains said: $out")"

"$hvd" --ready-fd=3 3> "$tmp/ready" 2> "$tmp/hvd.err" &
pid=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "$tmp/ready" ] && break; sleep 0.5; done
result start "$(grep -qx OK "$tmp/ready" || echo "not ready: $(cat "$tmp/ready" "$tmp/hvd.err")")"
mode=$(stat -c %a "$sock" 2> /dev/null)
result socket-mode "$([ "$mode" = 600 ] || echo "socket mode '$mode', want 600")"
out=$("$hvd" 2>&1); rc=$?
result second-instance "$([ $rc = 1 ] && echo "$out" | grep -q 'already running' || echo "exit $rc: $out")"
out=$("$hvd" --ready-fd=x 2>&1); rc=$?
result bad-option "$([ $rc = 2 ] && echo "$out" | grep -q "descriptor number, not 'x'" || echo "exit $rc: $out")"

# Each check prints "ok NAME" or "bad NAME: why".
python3 - "$sock" > "$tmp/py.out" 2>&1 <<'PY'
import json, os, socket, sys
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    s.settimeout(5)
    return s
def ask(s, raw, fds=None):
    if fds:
        s.sendmsg([raw], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(memoryview(__import__("array").array("i", fds))))])
    else:
        s.send(raw)
    return json.loads(s.recv(70000))
def check(name, rep, error, words):
    ok = rep.get("ok") is False and rep.get("error") == error and words in rep.get("message", "")
    print(("ok " if ok else "bad ") + name + ("" if ok else ": " + json.dumps(rep)))
a = conn()
check("not-json", ask(a, b'{"op":'), "EINVAL", "not JSON")
check("not-object", ask(a, b'"hello"'), "EINVAL", "JSON object")
check("two-objects", ask(a, b'{"op":"hello"}{"op":"hello"}'), "EINVAL", "one JSON object")
check("no-op", ask(a, b'{"id":1}'), "EINVAL", '"op"')
check("unknown-op", ask(a, b'{"op":"reboot-host"}'), "ENOTSUP", "unknown op")
check("oversized", ask(a, b'{"op":"list","x":"' + b"y" * 100000 + b'"}'), "EMSGSIZE", "at most 65536")
r, w = os.pipe()
check("fds-refused", ask(a, b'{"op":"list"}', [r, w]), "EBADF", "no file descriptors")
check("bad-field", ask(a, b'{"op":"create","name":"x","kernel":"/k","mem_kib":-4,"vcpus":1}'), "EINVAL", "'mem_kib'")
check("no-domain", ask(a, b'{"op":"get","id":99}'), "ENOENT", "id 99")
# A client that vanishes mid-request, one that floods without reading, and
# more clients than allowed: none of them stops the others.
b = conn(); b.send(b'{"op":"hello"}'); b.close()
f = conn(); f.setblocking(False)
sent = 0
try:
    for i in range(20000):
        f.send(b'{"op":"list","tag":%d}' % i); sent += 1
except BlockingIOError:
    pass
f.close()
many = []
try:
    for i in range(80):
        many.append(conn())
except OSError:
    pass
for c in many:
    c.close()
rep = ask(a, b'{"op":"hello","tag":"still"}')
print(("ok " if rep.get("ok") and rep.get("tag") == "still" else "bad ") + "serves-on" + ("" if rep.get("ok") else ": " + json.dumps(rep)))
rep = ask(a, b'{"op":"list"}')
ok = rep.get("ok") and rep.get("next_id") == 1
print(("ok " if ok else "bad ") + "no-id-used" + ("" if ok else ": " + json.dumps(rep)))
PY
while read -r verdict name rest; do
  case "$verdict" in
    ok) result "$name" "" ;;
    bad) result "${name%:}" "$rest" ;;
    *) result python "$verdict $name $rest" ;;
  esac
done < "$tmp/py.out"
grep -q '^ok serves-on' "$tmp/py.out" || result clients "the python client did not finish: $(tail -n 3 "$tmp/py.out" | tr '\n' '|')"

kill -TERM "$pid"; wait "$pid"; rc=$?
result sigterm "$([ $rc = 0 ] && [ ! -e "$sock" ] || echo "exit $rc, socket left: $(ls "$tmp/run")")"
rm -rf "$tmp"
