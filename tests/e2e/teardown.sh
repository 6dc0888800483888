#!/bin/sh
# SPDX-License-Identifier: MIT
# teardown.sh: suite entry for hostile/teardown-100 (prints its RESULT line).
timeout -s KILL 600 e2e/teardown e2e/teardown_guest.elf 2>&1 || echo "RESULT FAIL hostile/teardown-100: harness exited $?"
