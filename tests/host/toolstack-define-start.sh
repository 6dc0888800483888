#!/bin/sh
# SPDX-License-Identifier: MIT
# toolstack-define-start.sh: define/start/undefine/autostart kept under LAMINA_STATE_DIR across laminad restarts (fake back-end); list shows defined, stopped domains.
top=$(cd "$(dirname "$0")/../.." && pwd)
b=${O:-$top/build}/toolstack
name=toolstack/define-start
[ -x "$b/laminad" ] && [ -x "$b/lamina" ] || { echo "RESULT FAIL $name: $b/laminad or lamina missing"; exit 0; }
t=$(mktemp -d)
export LAMINA_RUN_DIR=$t/run LAMINA_LOG_DIR=$t/log LAMINA_STATE_DIR=$t/state
pid=
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=; }
trap 'stop; rm -rf "$t"' EXIT
fail() { echo "RESULT FAIL $name: $*"; exit 0; }
start() {
  "$b/laminad" --fake >> "$t/laminad.out" 2>&1 & pid=$!
  i=0; while [ ! -S "$t/run/laminad.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  [ -S "$t/run/laminad.sock" ] || fail "laminad did not start: $(cat "$t/laminad.out")"
}
lam() { "$b/lamina" "$@"; }
row() { lam list | awk -v n="$1" '$1 == n'; }
: > "$t/vmlinuz"
for n in web db; do
  printf '<domain><name>%s</name><memory unit="MiB">64</memory><vcpu>1</vcpu><os><kernel>vmlinuz</kernel></os></domain>\n' $n > "$t/$n.xml"
done
start
out=$(lam define "$t/web.xml") || fail "define web: $out"
lam define "$t/db.xml" > /dev/null || fail "define db"
[ -f "$t/state/domains/web.xml" ] || fail "no $t/state/domains/web.xml"
case $(row web) in "web "*" - "*shutoff*" yes") ;; *) fail "defined web not listed as off: $(lam list)" ;; esac
out=$(lam start web) || fail "start web: $out"
case $(row web) in *running*" yes") ;; *) fail "started web not running: $(lam list)" ;; esac
out=$(lam start web 2>&1) && fail "second start succeeded: $out"
echo "$out" | grep -q "already running" || fail "second start: $out"
out=$(lam start nosuch 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "no defined domain named 'nosuch'" || fail "start nosuch: $rc $out"
out=$(lam start ../../etc/passwd 2>&1) && fail "start of a path succeeded: $out"
lam autostart db > /dev/null || fail "autostart db"
[ -f "$t/state/autostart/db" ] || fail "no autostart mark for db"
case $(row db) in *shutoff*"yes, autostart") ;; *) fail "db not listed as autostart: $(lam list)" ;; esac
# A laminad restart (fake domains die with it) keeps definitions; autostart
# runs once per run directory, i.e. per boot.
stop; rm -rf "$t/run"; start
case $(row web) in *shutoff*" yes") ;; *) fail "web after restart: $(lam list)" ;; esac
case $(row db) in *running*"yes, autostart") ;; *) fail "db not autostarted: $(lam list); $(cat "$t/laminad.out")" ;; esac
lam destroy db > /dev/null || fail "destroy db"
stop; start # same boot: db stays off
case $(row db) in *shutoff*) ;; *) fail "db autostarted twice in one boot: $(lam list)" ;; esac
lam autostart --disable db > /dev/null || fail "autostart --disable"
[ ! -e "$t/state/autostart/db" ] || fail "autostart mark left"
lam start web > /dev/null || fail "start web again"
out=$(lam undefine web) || fail "undefine web: $out"
case $(row web) in *running*" no") ;; *) fail "undefined running web: $(lam list)" ;; esac
lam destroy web > /dev/null || fail "destroy web"
[ -z "$(row web)" ] || fail "web listed after undefine and destroy: $(lam list)"
out=$(lam undefine web 2>&1) && fail "undefine twice succeeded"
stop; start
[ -z "$(row web)" ] || fail "web back after restart: $(lam list)"
[ -n "$(row db)" ] || fail "db lost after restart"
printf '<domain><name>bad</name></domain>\n' > "$t/bad.xml"
out=$(lam define "$t/bad.xml" 2>&1) && fail "bad define accepted"
[ ! -e "$t/state/domains/bad.xml" ] || fail "bad definition written"
echo "RESULT PASS $name"
