#!/bin/sh
# SPDX-License-Identifier: MIT
# balloon_rss.sh: suite entry for the balloon RSS test (prints RESULT lines).
timeout -s KILL 120 e2e/balloon_rss e2e/balloon_guest.elf 2>&1 || echo "RESULT FAIL e2e/balloon-rss: harness exited $?"
