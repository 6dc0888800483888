#!/bin/sh
# SPDX-License-Identifier: MIT
# hv-cli.sh: lamina-hv refuses bad command lines with exit 2 and a message naming what was wrong, before touching KVM.
top=$(cd "$(dirname "$0")/../.." && pwd)
hv=${O:-$top/build}/hypervisor/lamina-hv
[ -x "$hv" ] || { echo "RESULT FAIL hv-cli/built: $hv missing"; exit 0; }
check() { # name expected-message args...
  name=$1 want=$2; shift 2
  got=$("$hv" "$@" 2>&1); rc=$?
  case "$rc:$got" in
    2:*"$want"*) echo "RESULT PASS hv-cli/$name" ;;
    *) echo "RESULT FAIL hv-cli/$name: expected exit 2 and '$want', got $rc: $got" ;;
  esac
}
check no-kernel "no KERNEL given"
check bad-mem "'0' is not a size in MiB" --mem 0 k.elf
check poll-word "--halt-poll-us wants 0 to 100000 microseconds, not 'soon'" -P soon k.elf
check poll-negative "not '-5'" --halt-poll-us -5 k.elf
check poll-huge "not '100001'" --halt-poll-us 100001 k.elf
check unknown-option "usage: lamina-hv" --frobnicate k.elf
check skew-word "--tsc-skew-us wants 0 to 1000000 microseconds, not 'lots'" --tsc-skew-us lots k.elf
check skew-huge "not '1000001'" --tsc-skew-us 1000001 k.elf
check marker-empty "--stats-marker wants a line of 1 to 64 printable characters, not ''" --stats-marker '' k.elf
check marker-long "not '$(printf '%065d' 0)'" --stats-marker "$(printf '%065d' 0)" k.elf
check marker-control "--stats-marker wants a line of 1 to 64 printable characters" --stats-marker "$(printf 'a\tb')" k.elf
check marker-missing "requires an argument" k.elf --stats-marker
# The longest marker is accepted: lamina-hv goes on (and fails later, without KVM or the kernel).
got=$("$hv" --stats-marker "$(printf '%064d' 0)" /nonexistent/k.elf 2>&1); rc=$?
case "$rc" in
  2) echo "RESULT FAIL hv-cli/marker-64: a 64-character marker was refused: $got" ;;
  *) echo "RESULT PASS hv-cli/marker-64" ;;
esac
