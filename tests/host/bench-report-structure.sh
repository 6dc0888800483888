#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench-report-structure.sh: the benchmark suite at its smallest size produces a whole report (every configuration, reasons for empty cells, JSON, plots).
# It checks structure only, never speed: speed goals live in `make bench`
# as ratios. The run is one round of tiny batches in one testbed (or
# natively); tests/bench/check-report.py judges the report, and a
# self-test first proves the checker fails a report with a cell's reason
# taken away.
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
if grep -qE "^lamina-run: ('bench-suite': the testbed stopped|TIMEOUT)" "$out.log"; then
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
echo "RESULT PASS $name"
