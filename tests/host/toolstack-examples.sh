#!/bin/sh
# SPDX-License-Identifier: MIT
# toolstack-examples.sh: every examples/*.xml validates as shipped, its kernel and initramfs being what `make guest` built (tests/e2e/examples.sh boots them).
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${O:-$top/build}
lamina=$build/toolstack/lamina
name=toolstack/examples-validate
[ -x "$lamina" ] || { echo "RESULT FAIL $name: $lamina missing"; exit 0; }
[ -f "$build/guest/bzImage" ] || { echo "RESULT FAIL $name: no $build/guest/bzImage: run 'make guest'"; exit 0; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
# The examples name ../build/guest; with another build directory, check a
# copy laid out the same way.
ex=$top/examples
if [ "$(cd "$build" && pwd)" != "$top/build" ]; then
  mkdir -p "$t/examples" "$t/build" && cp "$top"/examples/*.xml "$t/examples/" && ln -s "$build/guest" "$t/build/guest"
  ex=$t/examples
fi
n=0
for f in "$ex"/*.xml; do
  out=$(LAMINA_RUN_DIR=$t/run "$lamina" validate "$f" 2>&1) || { echo "RESULT FAIL $name: $out"; exit 0; }
  case $out in *note:*) echo "RESULT FAIL $name: an example draws a note: $out"; exit 0 ;; esac
  grep -q '/boot/vmlinuz' "$f" && { echo "RESULT FAIL $name: $f names /boot/vmlinuz"; exit 0; }
  n=$((n + 1))
done
[ $n -ge 3 ] || { echo "RESULT FAIL $name: only $n examples"; exit 0; }
echo "RESULT PASS $name"

# The example networks (examples/networks/*.xml) validate as networks, one of each mode but bridge.
name=toolstack/examples-networks
modes=
for f in "$top"/examples/networks/*.xml; do
  out=$("$lamina" validate "$f" 2>&1) || { echo "RESULT FAIL $name: $out"; exit 0; }
  case $out in *"valid (network "*) modes="$modes ${out##*, }" ;; *) echo "RESULT FAIL $name: $f: $out"; exit 0 ;; esac
done
for m in internal host-only nat; do
  case "$modes " in *" $m) "*) ;; *) echo "RESULT FAIL $name: no $m example (have:$modes)"; exit 0 ;; esac
done
echo "RESULT PASS $name"
