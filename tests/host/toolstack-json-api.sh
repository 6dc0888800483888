#!/bin/sh
# SPDX-License-Identifier: MIT
# toolstack-json-api.sh: a client other than lamina (python3 on laminad's socket, fake back-end) creates, lists and destroys a domain over the JSON protocol; lamina list/info --json agree.
top=$(cd "$(dirname "$0")/../.." && pwd)
b=${O:-$top/build}/toolstack
name=toolstack/json-api
[ -x "$b/laminad" ] && [ -x "$b/lamina" ] || { echo "RESULT FAIL $name: $b/laminad or lamina missing"; exit 0; }
command -v python3 >/dev/null || { echo "RESULT FAIL $name: python3 missing"; exit 0; }
t=$(mktemp -d)
export LAMINA_RUN_DIR=$t/run LAMINA_LOG_DIR=$t/log LAMINA_STATE_DIR=$t/state
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$t"; }
trap cleanup EXIT
fail() { echo "RESULT FAIL $name: $*"; exit 0; }
: > "$t/vmlinuz"
"$b/laminad" --fake > "$t/laminad.out" 2>&1 & pid=$!
i=0; while [ ! -S "$t/run/laminad.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$t/run/laminad.sock" ] || fail "laminad did not start: $(cat "$t/laminad.out")"
# The client: plain python3, no Lamina code; it exits non-zero with a reason.
cat > "$t/client.py" <<'PY'
import json, socket, sys
sock, kernel = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX); s.connect(sock); f = s.makefile("rw")
def call(n, method, **params):
    f.write(json.dumps({"id": n, "method": method, "params": params}) + "\n"); f.flush()
    r = json.loads(f.readline())
    if r.get("id") != n: sys.exit(f"{method}: reply id {r.get('id')!r}, want {n}")
    return r
xml = f"""<domain><name>api1</name><memory unit="MiB">96</memory><vcpu>2</vcpu>
<os><kernel>{kernel}</kernel></os></domain>"""
r = call(1, "create", xml=xml)
if not r["ok"] or r["result"]["id"] < 1: sys.exit(f"create: {r}")
dom_id = r["result"]["id"]
r = call(2, "list")
doms = {d["name"]: d for d in r["result"]["domains"]}
d = doms.get("api1")
if not d or d["id"] != dom_id or d["state"] != "running" or d["memory_kib"] != 96 * 1024 or d["vcpus"] != 2:
    sys.exit(f"list: {r}")
r = call(3, "create", xml=xml)
if r["ok"] or r["error"]["code"] != "EINVAL" or "api1" not in r["error"]["message"]: sys.exit(f"duplicate create: {r}")
r = call(4, "info", name="api1")
if not r["ok"] or "<name>api1</name>" not in r["result"]["xml"]: sys.exit(f"info: {r}")
r = call(5, "create", xml="<domain><name>x</name></domain>")
if r["ok"] or ":1:" not in r["error"]["message"]: sys.exit(f"bad xml accepted or no line: {r}")
r = call(6, "frobnicate")
if r["ok"] or "unknown method" not in r["error"]["message"]: sys.exit(f"unknown method: {r}")
r = call(7, "destroy", name="api1")
if not r["ok"]: sys.exit(f"destroy: {r}")
r = call(8, "list")
if any(d["name"] == "api1" for d in r["result"]["domains"]): sys.exit(f"still listed: {r}")
r = call(9, "destroy", name="api1")
if r["ok"] or r["error"]["code"] != "ENOENT": sys.exit(f"destroy twice: {r}")
f.write("{not json\n"); f.flush(); r = json.loads(f.readline())
if r["ok"] or "JSON" not in r["error"]["message"]: sys.exit(f"garbage: {r}")
r = call(10, "version")
if not r["ok"] or r["result"]["backend"] != "fake": sys.exit(f"version after garbage: {r}")
print("ok")
PY
out=$(python3 "$t/client.py" "$t/run/laminad.sock" "$t/vmlinuz" 2>&1) || fail "JSON client: $out"
# lamina's --json output is the same document.
printf '<domain><name>cli1</name><memory unit="MiB">64</memory><vcpu>1</vcpu><os><kernel>vmlinuz</kernel></os></domain>\n' > "$t/cli1.xml"
"$b/lamina" create "$t/cli1.xml" >/dev/null || fail "lamina create failed"
out=$("$b/lamina" list --json) || fail "list --json failed"
printf "%s\n" "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin)["domains"]; sys.exit(0 if [x["name"] for x in d]==["cli1"] and d[0]["state"]=="running" else 1)' ||
  fail "list --json: $out"
out=$("$b/lamina" info --json cli1) || fail "info --json failed"
printf "%s\n" "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["domain"]["name"]=="cli1" and "<kernel>" in d["xml"] else 1)' ||
  fail "info --json: $out"
echo "RESULT PASS $name"
