#!/bin/sh
# SPDX-License-Identifier: MIT
# testbed-watchdog.sh: lamina-run stops a testbed whose heartbeat went silent, long before its timeout, and says what the CPUs did.
r=$(cd "$(dirname "$0")/../runner" && pwd)
p=$(mktemp -d); trap 'rm -rf "$p"' EXIT
start=$(date +%s)
# Stopping every "sleep" stops init's heartbeat loop; the payload itself stays alive.
# The loop may not have reached its first sleep when the payload starts:
# try until killall finds one (for up to 30 s).
out=$(LAMINA_RUN_MODE=testbed LAMINA_TESTBED_FROZEN=15 "$r/lamina-run" --payload "$p" --timeout 300 \
      --name wd -- sh -c 'i=0; until killall -STOP sleep 2>/dev/null || [ $i -ge 30 ]; do sleep 1; i=$((i + 1)); done
                          echo payload-started; sleep 250; echo payload-ended' 2>&1)
rc=$? secs=$(( $(date +%s) - start ))
check() { # name ok-condition-status why
  if [ "$2" -eq 0 ]; then echo "RESULT PASS testbed-watchdog/$1"; else
    echo "RESULT FAIL testbed-watchdog/$1: $3"; echo "$out" | tail -n 30; fi
}
echo "$out" | grep -q '^payload-started'
check payload-ran $? "the payload never started"
echo "$out" | grep -q "the testbed stopped without reporting (.*frozen: no heartbeat for"
check reported $? "no 'frozen' report (exit $rc)"
echo "$out" | grep -q '^lamina-run: testbed cpus| RIP='
check cpu-state $? "no emulated CPU state in the report"
[ "$rc" -ne 0 ] && ! echo "$out" | grep -q payload-ended
check failed $? "lamina-run exited $rc, or the payload ran to its end"
[ "$secs" -lt 200 ]
check early $? "took ${secs}s: the watchdog did not cut the run short"
