#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench-report-structure.sh: the benchmark suite and its blk part at their smallest size produce a whole report (every configuration, reasons for empty cells, JSON, plots).
# It checks structure only, never speed: speed goals live in `make bench`
# as ratios. The run is one round of tiny batches in one testbed (or
# natively), and the blk part's one round of 1 s fio jobs in another;
# tests/bench/check-report.py judges the reports, and self-tests first
# prove the checker fails a report with a reason taken away.
# RESULT bench/report-structure
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
out=$O/check/bench-smallest
name=bench/report-structure
fail() { echo "RESULT FAIL $name: $*"; exit 0; }

run() {
  rm -rf "$out"
  "$top/tools/bench" --size smallest --out "$out" > "$out.log" 2>&1
}
mkdir -p "$(dirname "$out")"
run
# The testbed sometimes dies under nested load (docs/testbed-failures.md): once more.
if grep -qE "^lamina-run: ('bench-(suite|blk)': the testbed stopped|TIMEOUT)" "$out.log"; then
  echo "bench-report-structure: the testbed died; once more"
  mv "$out.log" "$out.first.log"; run
fi
grep -E '^(bench|suite):' "$out.log" | tail -n 40
[ -f "$out/report.json" ] || fail "no report.json (see $out.log)"

# Self-test: a copy with one empty cell's reason removed must fail the check.
st=$(mktemp -d); trap 'rm -rf "$st"' EXIT
cp -r "$out/." "$st/"
python3 - "$st/report.json" <<'PY' || fail "self-test: could not tamper with the report"
import json, sys
r = json.load(open(sys.argv[1]))
for row in r["cells"].values():
    for c in row.values():
        if c["median"] is None:
            c["reason"] = None
            json.dump(r, open(sys.argv[1], "w"))
            sys.exit(0)
sys.exit(1)
PY
python3 "$top/tests/bench/check-report.py" "$st" > "$st/why" &&
  fail "self-test: the checker passed a report with an empty cell without a reason"
grep -q 'has no written reason' "$st/why" || fail "self-test: the checker failed for another reason: $(head -n 1 "$st/why")"

why=$(python3 "$top/tests/bench/check-report.py" "$out" 2>&1) || fail "$(echo "$why" | head -n 5 | paste -sd ';' -) (report in $out)"

# The blk part (tools/bench blk, in the smallest run): every key
# blk.<config>.<workload>.<metric> with a value or a written reason, in
# blk.json and in report.json; a copy with one reason taken away must fail.
[ -f "$out/blk.json" ] || fail "no blk.json: the blk part did not report (see $out.log)"
why=$(python3 "$top/tests/bench/check-report.py" --blk "$out" native lamina qemu_virtio qemu_full 2>&1) ||
  fail "blk part: $(echo "$why" | head -n 5 | paste -sd ';' -) (in $out)"
why=$(python3 - "$out/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
if "randread_4k_qd32" not in r.get("blk", {}).get("lamina", {}):
    print("report.json has no blk.lamina.randread_4k_qd32")
elif r.get("blk_reason") or "tools/bench blk" in (r["cells"]["fio_randread_4k_iops"]["lamina"]["reason"] or ""):
    print("report.json's block cells did not take the blk part's results")
PY
)
[ -z "$why" ] || fail "$why"
bst=$st/blk; mkdir -p "$bst"; cp -r "$out/blk.json" "$out/plots" "$bst/"
python3 - "$bst/blk.json" <<'PY' || fail "self-test: could not tamper with blk.json"
import json, sys
r = json.load(open(sys.argv[1]))
c = r["blk"]["native"]["randread_4k_qd1"]
c["user_exits_per_req"] = None
r["reasons"]["native"]["randread_4k_qd1"].pop("user_exits_per_req", None)
json.dump(r, open(sys.argv[1], "w"))
PY
python3 "$top/tests/bench/check-report.py" --blk "$bst" > "$bst/why" &&
  fail "self-test: the checker passed a blk.json with an empty key without a reason"
grep -q 'has no written reason' "$bst/why" || fail "self-test: the blk checker failed for another reason: $(head -n 1 "$bst/why")"

# The net part (tools/bench net): two VMs per configuration take about four
# minutes at the smallest size in the testbed, so the check does not run it
# (BENCH_CHECK_NET=1 does). Its report is built from a recorded run's log
# (tests/bench/net-sample.log, a real testbed run) instead, and must have every
# key net.<config>.<workload> with a value or a written reason, in net.json
# and in report.json beside the suite's; a copy with one reason taken away
# must fail.
nout=$O/check/bench-net
rm -rf "$nout"; mkdir -p "$nout"
if [ -n "${BENCH_CHECK_NET:-}" ]; then
  "$top/tools/bench" --size smallest --out "$nout" --configs "lamina qemu_virtio qemu_full" net > "$nout.log" 2>&1
  nmeasured="lamina qemu_virtio qemu_full"
else
  python3 "$top/tools/bench-report" --net-log "$top/tests/bench/net-sample.log" --out "$nout" --where testbed \
    --size sample --rounds 1 --configs "lamina qemu_virtio qemu_full" > "$nout.log" 2>&1 ||
    fail "bench-report could not build net.json from tests/bench/net-sample.log: $(tail -n 1 "$nout.log")"
  nmeasured="lamina qemu_virtio qemu_full"
fi
why=$(python3 "$top/tests/bench/check-report.py" --net "$nout" $nmeasured 2>&1) ||
  fail "net part: $(echo "$why" | head -n 5 | paste -sd ';' -) (in $nout)"
python3 "$top/tools/bench-report" --log "$out/suite.log" --out "$nout/with-suite" --where testbed --size smallest \
  --net-json "$nout/net.json" > "$nout/with-suite.log" 2>&1 || fail "the suite's report with net.json: $(tail -n 1 "$nout/with-suite.log")"
why=$(python3 - "$nout/with-suite/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("" if r.get("net", {}).get("lamina", {}).get("g2h_tcp1_gbits", "x") != "x" else "report.json has no net.lamina.g2h_tcp1_gbits")
PY
)
[ -z "$why" ] || fail "$why"
python3 - "$nout/net.json" <<'PY' || fail "self-test: could not tamper with net.json"
import json, sys
r = json.load(open(sys.argv[1]))
c = r["net"]["lamina"]
k = next(iter(c))
c[k] = None
r["reasons"]["lamina"].pop(k, None)
json.dump(r, open(sys.argv[1], "w"))
PY
python3 "$top/tests/bench/check-report.py" --net "$nout" > "$nout/why" &&
  fail "self-test: the checker passed a net.json with an empty key without a reason"
echo "RESULT PASS $name"
