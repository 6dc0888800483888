#!/bin/sh
# SPDX-License-Identifier: MIT
# shell.sh: `make shell`'s payload: a shell inside the testbed with lamina ready (laminad starts on first use); poweroff leaves.
cd /payload || exit 1
export PATH=/payload/bin:$PATH HOME=/payload PS1='testbed:\w# '
export LAMINA_LOG_DIR=/payload/log LAMINA_STATE_DIR=/payload/state
cat <<'MSG'

  Lamina testbed shell. lamina, laminad and the guest kernel are ready:
    lamina create -c examples/minimal.xml    a domain, with its console
    Ctrl-] leaves the console; lamina console minimal goes back
    lamina list, lamina shutdown minimal, lamina destroy minimal
    man pages: on the host (man -l docs/man/lamina.1); logs: /payload/log
  'poweroff' (or Ctrl-D) ends the testbed.

MSG
if command -v cttyhack > /dev/null 2>&1; then
  setsid cttyhack sh -i
else
  sh -i
fi
