#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# layout.sh: move hypervisor/'s files into subsystem folders (git mv) and rewrite every Makefile and path that names them; run once, by hand.
#
# Usage: tools/layout.sh            (from anywhere inside the repository)
#
# Not part of the build. It refuses to run on a work tree with uncommitted
# changes to tracked files (so `git reset --hard` undoes it) or when the
# folders already exist. Every hypervisor/*.c and *.h must match a line of
# folder_of() below; if one does not (a file added since this was written),
# nothing is changed and the file is named: add it to folder_of() and run
# again. Afterwards build everything, run the unit tests, then commit.
#
# What it changes:
#  - hypervisor/<file> -> hypervisor/<folder>/<file> (git mv); main.c and
#    hvd/ stay where they are;
#  - hypervisor/Makefile: sources listed by folder, one -I per folder, so
#    `#include "x.h"` keeps working everywhere;
#  - hypervisor/hvd/Makefile: -I.. becomes one -I per folder;
#  - every other Makefile and *.mk: -I<...>hypervisor becomes one -I per
#    folder, $(addprefix <...>hypervisor/,a.c b.c) lists get each file's
#    folder, hypervisor/*.h becomes hypervisor/*/*.h;
#  - every tracked text file (Makefiles, scripts, docs, comments):
#    hypervisor/<file> becomes hypervisor/<folder>/<file>;
#  - docs/architecture.md: drops the note that the folders are to come.
set -euo pipefail

DIRS="core domain hcall event grant store time boot console"

# The folder of a file directly in hypervisor/; "." keeps it there, "" is unknown.
folder_of() {
	case "$1" in
	main.c) echo . ;;
	hcall.[ch] | hc_*.[ch]) echo hcall ;;
	store*.[ch]) echo store ;;
	event.[ch] | evtchn.[ch] | event_*.[ch] | evtchn_*.[ch]) echo event ;;
	grant.[ch] | grant_*.[ch]) echo grant ;;
	clock.[ch] | timer.[ch]) echo time ;;
	boot.[ch] | boot_*.[ch]) echo boot ;;
	console.[ch] | console_*.[ch] | conhost*.[ch] | conlink.h) echo console ;;
	# domain/: the life cycle (create, run vCPUs, destroy) and the hv.h API on
	# it; it may include every folder. core/: the structs and the helpers every
	# file uses; it includes no other folder.
	dom.c | vcpu.c | hv_api.c | hv_backend.c) echo domain ;;
	dom.h | dom_*.[ch] | vcpu.h | vcpu_*.[ch] | kvm.[ch] | mem.[ch] | physmap.[ch] | \
		gmem.[ch] | exits.[ch] | hv.h | hv_int.h | hv_*.[ch] | runstate.[ch]) echo core ;;
	*) echo "" ;;
	esac
}

die() { echo "layout: $*" >&2; exit 1; }

top=$(git -C "$(dirname "$0")" rev-parse --show-toplevel) || die "not inside a git work tree"
cd "$top"
[ -f hypervisor/Makefile ] || die "no hypervisor/Makefile in $top"
command -v python3 >/dev/null || die "python3 is needed (tools/deps installs it)"
for d in $DIRS; do
	[ ! -e "hypervisor/$d" ] || die "hypervisor/$d exists already: the layout is done"
done
git diff --quiet && git diff --cached --quiet ||
	die "uncommitted changes to tracked files: commit or stash them first"

# ---- the plan: every file, its folder ----
map=$(mktemp)
trap 'rm -f "$map"' EXIT
unknown=()
while IFS= read -r f; do
	b=${f#hypervisor/}
	d=$(folder_of "$b")
	if [ -z "$d" ]; then
		unknown+=("$f")
	elif [ "$d" != . ]; then
		printf '%s %s\n' "$b" "$d" >>"$map"
	fi
done < <(git ls-files 'hypervisor/*.c' 'hypervisor/*.h' | grep -v '^hypervisor/.*/')
[ ${#unknown[@]} -eq 0 ] ||
	die "no folder for: ${unknown[*]} (add them to folder_of() in tools/layout.sh); nothing changed"

# ---- the moves ----
for d in $DIRS; do mkdir -p "hypervisor/$d"; done
while read -r b d; do git mv "hypervisor/$b" "hypervisor/$d/$b"; done <"$map"
for d in $DIRS; do rmdir "hypervisor/$d" 2>/dev/null || true; done   # a folder nothing went to

# ---- hypervisor/Makefile ----
cat >hypervisor/Makefile <<EOF
# SPDX-License-Identifier: MIT
# hypervisor/Makefile: libhv.a (the hypervisor library) and lamina-hv (run domains from the command line).
#
# Sources live in one folder per subsystem (docs/architecture.md); each folder
# is on the include path, so \`#include "x.h"\` names any hypervisor header.
# hvd/ (lamina-hvd) has its own Makefile.
O ?= \$(CURDIR)/../build
B := \$(O)/hypervisor
HV_DIRS := $DIRS
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror \$(addprefix -I,\$(HV_DIRS)) -I../abi -MMD -MP
LIB_SRCS := \$(wildcard \$(addsuffix /*.c,\$(HV_DIRS)))
LIB_OBJS := \$(LIB_SRCS:%.c=\$(B)/%.o)

all: \$(B)/libhv.a \$(B)/lamina-hv

\$(B)/%.o: %.c
	@mkdir -p \$(dir \$@)
	\$(CC) \$(CFLAGS) -c -o \$@ \$<

\$(B)/libhv.a: \$(LIB_OBJS)
	rm -f \$@ && ar rcs \$@ \$^

\$(B)/lamina-hv: \$(B)/main.o \$(B)/libhv.a
	\$(CC) -o \$@ \$(B)/main.o -Wl,--whole-archive \$(B)/libhv.a -Wl,--no-whole-archive -pthread

check-unit:
	@true

-include \$(wildcard \$(B)/*.d \$(addsuffix /*.d,\$(addprefix \$(B)/,\$(HV_DIRS))))
.PHONY: all check-unit
EOF

# ---- every other file that names hypervisor/ ----
mapfile -t files < <(git grep -l -I -e 'hypervisor' -- . ':!tools/layout.sh' ':!hypervisor/Makefile')
DIRS="$DIRS" MAP="$map" python3 - "${files[@]}" <<'PY'
import os, re, sys

dirs = os.environ["DIRS"].split()
moved = dict(line.split() for line in open(os.environ["MAP"]) if line.strip())
names = "|".join(re.escape(n) for n in sorted(moved, key=len, reverse=True))
one_path = re.compile(r"hypervisor/(" + names + r")(?![\w.])")

def per_dir(m):                       # -I<sp><prefix>hypervisor -> one -I per folder
    sp, p = m.group(1), m.group(2)
    return " ".join("-I%s%s/%s" % (sp, p, d) for d in dirs)

def prefix_list(m):                   # $(addprefix <...>hypervisor/,a.c b.c)
    words = [moved.get(w, "") + "/" + w if w in moved else w for w in m.group(2).split()]
    return m.group(1) + " ".join(words) + ")"

for f in sys.argv[1:]:
    s = t = open(f).read()
    base = os.path.basename(f)
    if base == "Makefile" or base.endswith(".mk"):
        if f == "hypervisor/hvd/Makefile":
            t = re.sub(r"-I\.\.(?=\s)", " ".join("-I../" + d for d in dirs), t)
        t = re.sub(r"-I(\s*)(\S*hypervisor)(?=\s|$)", per_dir, t, flags=re.M)
        t = re.sub(r"(hypervisor/,)([^)]*)\)", prefix_list, t)
        t = t.replace("hypervisor/*.h", "hypervisor/*/*.h")
    t = one_path.sub(lambda m: "hypervisor/%s/%s" % (moved[m.group(1)], m.group(1)), t)
    if t != s:
        open(f, "w").write(t)
        print("layout: rewrote " + f)
PY

# docs/architecture.md's note that the folders are still to come
[ ! -f docs/architecture.md ] ||
	sed -i '/<!-- layout.sh: remove from here -->/,/<!-- layout.sh: to here -->/d' docs/architecture.md

n=$(wc -l <"$map")
echo "layout: moved $n files into hypervisor/{${DIRS// /,}}."
echo "layout: now build and test, e.g."
echo "  for c in abi hypervisor toolstack tests/guests tests/e2e tests/unit/*; do make -C \$c O=\$PWD/build all; done"
echo "  tools/include-cycles.sh; make check"
echo "then commit: git add -A hypervisor && git commit -a"
