#!/bin/sh
# SPDX-License-Identifier: MIT
# runner-interactive.sh: lamina-run --interactive (make shell) on a terminal: the command reads it, natively and in the testbed, instead of being stopped by it.
r=$(cd "$(dirname "$0")/../runner" && pwd)
p=$(mktemp -d); trap 'rm -rf "$p"' EXIT
check() { # name ok-condition-status why
  if [ "$2" -eq 0 ]; then echo "RESULT PASS runner-interactive/$1"; else
    echo "RESULT FAIL runner-interactive/$1: $3"; echo "$out" | tail -n 20; fi
}
# script(1) gives lamina-run a terminal, as make shell has; a command outside
# the terminal's foreground process group is stopped when it reads it (SIGTTIN).
out=$(printf 'typed\n' | timeout 60 script -qec "LAMINA_RUN_MODE=native '$r/lamina-run' --interactive \
      --timeout 30 --payload '$p' -- sh -c 'read x; echo got-\$x'" /dev/null 2>&1)
echo "$out" | grep -q '^got-typed'
check native $? "the command did not read the terminal (stopped, then timed out)"
# In the testbed QEMU sets the terminal raw (SIGTTOU outside the foreground group).
out=$(timeout 300 script -qec "LAMINA_RUN_MODE=testbed '$r/lamina-run' --interactive \
      --timeout 240 --payload '$p' -- sh -c 'echo testbed-shell-ok; /bin/busybox poweroff -f'" /dev/null \
      < /dev/null 2>&1)
echo "$out" | grep -q 'testbed-shell-ok'
check testbed $? "the testbed never printed (QEMU stopped by the terminal, or it did not boot)"
