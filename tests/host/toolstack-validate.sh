#!/bin/sh
# SPDX-License-Identifier: MIT
# toolstack-validate.sh: `lamina validate` and `create -n` check files without laminad (exit 0/1, FILE:LINE:COL errors, entities refused); `help nosuch` fails.
top=$(cd "$(dirname "$0")/../.." && pwd)
lamina=${O:-$top/build}/toolstack/lamina
name=toolstack/validate
[ -x "$lamina" ] || { echo "RESULT FAIL $name: $lamina missing"; exit 0; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
export LAMINA_RUN_DIR=$t/run # no laminad there: validation must not need one
: > "$t/vmlinuz"
fail() { echo "RESULT FAIL $name: $*"; exit 0; }
dom() { # file name cmdline-body [doctype]
  printf '%s<domain type="lamina">\n  <name>%s</name>\n  <memory unit="MiB">64</memory>\n  <vcpu>1</vcpu>\n  <os>\n    <kernel>vmlinuz</kernel>\n    <cmdline>%s</cmdline>\n  </os>\n</domain>\n' "$4" "$2" "$3" > "$t/$1"
}
dom good.xml good 'console=hvc0'
dom bad.xml 'bad name!' 'x'
dom ent.xml ent '&k;' '<!DOCTYPE domain [
<!ENTITY k SYSTEM "/etc/hostname">
]>
'
dom int.xml int '&k;' '<!DOCTYPE domain [<!ENTITY k "quiet">]>
'
out=$("$lamina" validate "$t/good.xml" 2>&1) || fail "a valid file failed ($?): $out"
case $out in *"good.xml: valid"*) ;; *) fail "no 'valid' line: $out" ;; esac
out=$("$lamina" validate "$t/bad.xml" 2>&1); rc=$?
[ $rc -eq 1 ] || fail "invalid name: exit $rc, want 1: $out"
echo "$out" | grep -q "bad.xml:2:3: invalid value .bad name!. for <name>" || fail "no FILE:LINE:COL error naming <name>: $out"
out=$("$lamina" validate "$t/ent.xml" 2>&1); rc=$?
[ $rc -eq 1 ] || fail "external entity: exit $rc, want 1: $out"
echo "$out" | grep -q "ent.xml:2:[0-9]*: external entity 'k' (\"/etc/hostname\") refused" ||
  fail "external entity not refused clearly: $out"
out=$("$lamina" validate "$t/int.xml" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "int.xml:1:[0-9]*: entity 'k' refused" ||
  fail "internal entity: exit $rc: $out"
out=$("$lamina" validate "$t/good.xml" "$t/bad.xml" 2>&1); rc=$?
[ $rc -eq 1 ] || fail "one bad file among two: exit $rc, want 1"
out=$("$lamina" validate "$t/nosuch.xml" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "nosuch.xml: cannot open" || fail "missing file: $rc $out"
out=$("$lamina" create -n "$t/good.xml" 2>&1) || fail "create -n of a valid file failed: $out"
[ ! -e "$t/run/laminad.sock" ] || fail "create -n started laminad"
out=$("$lamina" create --dry-run "$t/ent.xml" 2>&1); rc=$?
[ $rc -eq 1 ] || fail "create --dry-run of a bad file: exit $rc"
"$lamina" validate >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "validate without a file: exit $rc, want 2"
out=$("$lamina" help nosuch 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "no command 'nosuch'" || fail "help nosuch: exit $rc: $out"
"$lamina" help validate >/dev/null || fail "help validate failed"
echo "RESULT PASS $name"
