#!/bin/sh
# SPDX-License-Identifier: MIT
# toolstack-install.sh: make install DESTDIR=... PREFIX=... installs binaries, man pages man -M finds, a laminad systemd unit and bash completion.
top=$(cd "$(dirname "$0")/../.." && pwd)
name=toolstack/install
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
fail() { echo "RESULT FAIL $name: $*"; exit 0; }
prefix=/opt/lamina-test
out=$(make -s -C "$top" O="${O:-$top/build}" install DESTDIR="$t/root" PREFIX=$prefix 2>&1) ||
  fail "make install: $(echo "$out" | tail -5)"
r=$t/root$prefix
for b in lamina laminad lamina-hvd lamina-console; do
  [ -x "$r/bin/$b" ] || fail "no executable $prefix/bin/$b"
done
"$r/bin/lamina" --help | grep -q "^  define " || fail "installed lamina does not run"
"$r/bin/laminad" --version | grep -q "^laminad " || fail "installed laminad does not run"
command -v man >/dev/null || fail "man is not installed (apt-get install man-db)"
for p in lamina lamina-create laminad lamina-domain; do
  f=$(man -M "$r/share/man" -w "$p" 2>/dev/null) || fail "man -M ... -w $p finds nothing"
  case $f in "$r/share/man/"*) ;; *) fail "man found $p at $f, outside DESTDIR" ;; esac
done
f=$(man -M "$r/share/man" -w 8 lamina-console 2>/dev/null) || fail "man -M ... -w 8 lamina-console finds nothing"
MANWIDTH=80 man -M "$r/share/man" lamina 2>/dev/null | grep -q "lamina - " || fail "man lamina does not render"
# Every command in `lamina --help` has its page installed.
for c in $("$r/bin/lamina" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }'); do
  [ -f "$r/share/man/man1/lamina-$c.1" ] || fail "no installed man page for lamina $c"
done
u=$r/lib/systemd/system/laminad.service
[ -f "$u" ] || fail "no systemd unit"
grep -qx "ExecStart=$prefix/bin/laminad" "$u" || fail "unit does not start $prefix/bin/laminad: $(grep ExecStart "$u")"
grep -qx "KillMode=process" "$u" || fail "unit would kill lamina-hvd's domains on stop"
c=$r/share/bash-completion/completions/lamina
[ -f "$c" ] || fail "no bash completion"
got=$(bash -c ". '$c'; COMP_WORDS=(lamina de); COMP_CWORD=1; _lamina; echo \${COMPREPLY[*]}") ||
  fail "completion does not load"
[ "$got" = "define destroy" ] || fail "completion of 'lamina de' gave '$got', want 'define destroy'"
[ -f "$r/share/lamina/domain.rng" ] || fail "schema not installed"
echo "RESULT PASS $name"
