#!/bin/sh
# SPDX-License-Identifier: MIT
# survive_restart.sh: e2e: a domain runs on in lamina-hvd across kill -9, restart and SIGTERM of laminad; ids are never reused.
#
# One RESULT line, toolstack/survive-restart, failing at the first step that
# does not hold: laminad (which starts lamina-hvd) creates a heartbeat guest;
# laminad is killed with SIGKILL; lamina-hvd and the guest live on; a new
# laminad re-attaches it under the same id: `lamina list` shows it running,
# `lamina console` shows heartbeats newer than any before the kill (and the
# console log caught up on those printed meanwhile), `lamina top` shows it
# making hypercalls; after SIGTERM of laminad it still runs; destroy and
# create give a new, higher id; `laminad --stop-domains` ends lamina-hvd.
# Busybox sh: no bash.
here=$(cd "$(dirname "$0")" && pwd)
L="$here/lamina"
name=survivor
tmp=$(mktemp -d /tmp/lamina-survive.XXXXXX) || exit 1
export XDG_RUNTIME_DIR="$tmp/xdg" LAMINA_LOG_DIR="$tmp/log"
unset LAMINA_RUN_DIR LAMINA_BACKEND LAMINA_HVD_SOCKET
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
rundir="$XDG_RUNTIME_DIR/lamina"
conlog="$LAMINA_LOG_DIR/$name.console.log"
daemon=

lam() { timeout 30 "$L" "$@"; }
say() { echo "  survive-restart| $*"; }
. "$here/lib.inc"
diagnose() {
  for f in "$tmp/laminad.out" "$tmp/laminad2.out" "$LAMINA_LOG_DIR/laminad.log" \
           "$LAMINA_LOG_DIR/lamina-hvd.log" "$LAMINA_LOG_DIR/$name.log" "$conlog"; do
    [ -f "$f" ] && tail -n 12 "$f" | sed "s#^#  survive-restart| $(basename "$f"): #"
  done
}
finish() { # VERDICT: clean up, whatever happened
  [ -n "$daemon" ] && kill -9 "$daemon" 2> /dev/null
  "$here/laminad" --stop-domains > /dev/null 2>&1
  [ "$1" = PASS ] || diagnose
  rm -rf "$tmp"
}
fail() { echo "RESULT FAIL toolstack/survive-restart: $*"; finish FAIL; exit 0; }

start_daemon() { # OUTFILE
  "$here/laminad" > "$1" 2>&1 &
  daemon=$!
  within 20 lam list > /dev/null 2>&1
}
hvd_pid() { cat "$rundir/lamina-hvd.lock" 2> /dev/null; }
# Process $1 exists and is not a zombie (an orphan waits for init to reap it).
alive() { s=$(awk '{ print $3 }' "/proc/$1/stat" 2> /dev/null); [ -n "$s" ] && [ "$s" != Z ]; }
dead() { ! alive "$1"; }
row() { lam list 2> /dev/null | awk -v n="$1" '$1 == n'; }
id_of() { row "$1" | awk '{ print $2 }'; }
state_of() { row "$1" | awk '{ print $3 }'; }
# The highest heartbeat number in a text on stdin (0 if none).
top_beat() { awk '/^heartbeat [0-9]+:/ { n = $2 + 0; if (n > m) m = n } END { print m + 0 }'; }
console_beat() { timeout 4 "$L" console "$name" < /dev/null 2> /dev/null | top_beat; }
beat_above() { [ "$(console_beat)" -gt "$1" ]; }

cat > "$tmp/$name.xml" <<EOX
<domain type="lamina">
  <name>$name</name>
  <memory unit="MiB">32</memory>
  <vcpu>1</vcpu>
  <os>
    <kernel>$here/lifecycle_guest.elf</kernel>
    <cmdline>heartbeat_ms=500</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>preserve</on_crash>
</domain>
EOX

# 1. laminad starts lamina-hvd; a domain boots.
start_daemon "$tmp/laminad.out" || fail "laminad did not come up"
out=$(lam create "$tmp/$name.xml" 2>&1) || fail "lamina create: $out"
id=$(id_of "$name")
within 30 beat_above 1 || fail "no heartbeat on lamina console within 30 s"
hvd=$(hvd_pid)
[ -n "$hvd" ] && alive "$hvd" || fail "no lamina-hvd process (lock file says '$hvd')"
say "domain $name is id $id in lamina-hvd pid $hvd"

# 2. kill -9 laminad: the domain runs on.
before=$(console_beat)
kill -9 "$daemon"; wait "$daemon" 2> /dev/null; daemon=
logged=$(top_beat < "$conlog")
sleep 4
alive "$hvd" || fail "lamina-hvd died with laminad"
[ -e "$rundir/laminad.sock" ] && lam list > /dev/null 2>&1 && fail "lamina still answered after kill -9 of laminad"
say "laminad killed at heartbeat $before (log had $logged); lamina-hvd $hvd lives on"

# 3. A new laminad re-attaches it.
start_daemon "$tmp/laminad2.out" || fail "laminad did not come up again"
[ "$(hvd_pid)" = "$hvd" ] || fail "lamina-hvd changed from $hvd to $(hvd_pid): the new laminad started another"
[ "$(id_of "$name")" = "$id" ] || fail "after restart lamina list shows '$(row "$name")', want id $id"
s=$(state_of "$name")
[ "$s" = running ] || fail "after restart the domain is '$s', want running"
grep -q 're-attached' "$LAMINA_LOG_DIR/$name.log" || fail "the domain log does not say it was re-attached"

# 4. console: new output, and the log caught up on what was printed meanwhile.
within 20 beat_above $((before + 6)) || fail "lamina console shows no heartbeat past $((before + 6)) (had $before before the kill): $(console_beat)"
after=$(console_beat)
n=$(awk -v a="$logged" '/^heartbeat [0-9]+:/ && $2 + 0 > a && $2 + 0 <= a + 6 { c++ } END { print c + 0 }' "$conlog")
[ "$n" -ge 4 ] || fail "the console log lacks the heartbeats printed while laminad was dead ($n of those after $logged)"
dup=$(awk '/^heartbeat [0-9]+:/ { if (seen[$2]++) d++ } END { print d + 0 }' "$conlog")
[ "$dup" -eq 0 ] || fail "the console log repeats $dup heartbeats after the catch-up"
say "console: heartbeat $before before the kill, $after after the restart; log caught up without repeats"

# 5. top: live numbers.
topout=$(lam top -b -n 2 -d 1 2>&1)
rates=$(echo "$topout" | awk -v n="$name" '$1 == n { print $NF }' | tr '\n' ' ')
set -- $rates
[ $# -eq 2 ] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > 0 && b > 0) }' ||
  fail "lamina top -b -n 2 wants two non-zero HCALLS/s for $name, got '$rates': $(echo "$topout" | tr '\n' '|')"
say "top: HCALLS/s $rates"

# 6. SIGTERM stops laminad, not the guest.
kill "$daemon"; wait "$daemon" 2> /dev/null; daemon=
b1=$(top_beat < "$conlog")
start_daemon "$tmp/laminad3.out" || fail "laminad did not come up after SIGTERM"
[ "$(state_of "$name")" = running ] || fail "after SIGTERM of laminad the domain is '$(state_of "$name")'"
within 20 beat_above "$b1" || fail "no new heartbeat after SIGTERM and restart of laminad"

# 7. Ids: never reused while lamina-hvd lives.
lam destroy "$name" > /dev/null 2>&1 || fail "lamina destroy failed"
out=$(lam create "$tmp/$name.xml" 2>&1) || fail "second lamina create: $out"
id2=$(id_of "$name")
[ -n "$id2" ] && [ "$id2" -gt "$id" ] || fail "destroy then create gave id '$id2', want more than $id"
say "ids: $id destroyed, the next domain got $id2"

# 8. The explicit stop ends every domain and lamina-hvd; laminad follows.
out=$("$here/laminad" --stop-domains 2>&1) || fail "laminad --stop-domains: $out"
within 10 dead "$hvd" || fail "lamina-hvd $hvd still runs after --stop-domains ($out)"
within 10 dead "$daemon" || fail "laminad still runs after lamina-hvd stopped"
wait "$daemon" 2> /dev/null; daemon=
say "$out"
echo "RESULT PASS toolstack/survive-restart"
finish PASS
