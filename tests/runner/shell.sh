#!/bin/sh
# SPDX-License-Identifier: MIT
# shell.sh: `make shell`'s payload: a shell inside the testbed with lamina ready (laminad starts on first use); poweroff leaves.
cd /payload || exit 1
export PATH=/payload/bin:$PATH HOME=/payload PS1='testbed:\w# '
export LAMINA_LOG_DIR=/payload/log LAMINA_STATE_DIR=/payload/state
# busybox poweroff signals PID 1, which here is the testbed's init script and
# ignores it: the shell's poweroff ends the testbed at once instead.
printf 'poweroff() { sync; /bin/busybox poweroff -f; }\nhalt() { poweroff; }\n' > /payload/.shrc
export ENV=/payload/.shrc
# The testbed is a busybox root: laminad runs ip, nft and dnsmasq from
# /usr/sbin before PATH (where /bin/ip is busybox's, without tuntap), and
# dnsmasq drops to user nobody. Give it what a Debian host has.
if [ -n "${LAMINA_IN_TESTBED:-}" ]; then
  mkdir -p /usr/sbin /etc
  for t in ip nft dnsmasq; do
    [ -x "/payload/bin/$t" ] && [ ! -e "/usr/sbin/$t" ] && ln -s "/payload/bin/$t" "/usr/sbin/$t"
  done
  grep -q '^nobody:' /etc/passwd 2> /dev/null ||
    { echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >> /etc/passwd
      printf 'nogroup:x:65534:\ndip:x:30:\n' >> /etc/group; }
fi
dmesg -n 1 2> /dev/null   # the testbed kernel's warnings would land in the middle of the prompt
cat <<'MSG'

  Lamina testbed shell. lamina, laminad and the guest kernel are ready:
    lamina create -c examples/minimal.xml    a domain, with its console (boots in ~1 min)
    Ctrl-] leaves the console; lamina console minimal goes back
    lamina list, lamina shutdown minimal, lamina destroy minimal
    man pages: on the host (man -l docs/man/lamina.1); logs: /payload/log
  'poweroff' (or 'exit') ends the testbed.

MSG
if command -v cttyhack > /dev/null 2>&1; then
  setsid cttyhack sh -i
else
  sh -i
fi
