#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# include-cycles.sh: check hypervisor/'s layout: no include cycle between its folders, no .c/.h over 600 lines.
#
# Usage: tools/include-cycles.sh [hypervisor-dir]   (default: the repository's hypervisor/)
#
# Prints exactly two lines and exits 1 if either fails:
#   RESULT PASS layout/no-include-cycles   (or FAIL naming one cycle of folders,
#                                           with a file and include for each step)
#   RESULT PASS layout/file-size           (or FAIL naming each file over 600 lines)
# The folder graph has an edge A -> B when a file in folder A has
# `#include "x.h"` and x.h is found in folder B: beside the including file
# first, then anywhere under hypervisor/ (every folder is on the include
# path). Headers not under hypervisor/ (<lamina/...>, system) are ignored.
# Before hypervisor/ is split into folders (tools/layout.sh) every file is in
# one folder, so the cycle check passes trivially.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
hv=${1:-$top/hypervisor}
[ -d "$hv" ] || { echo "include-cycles: no directory $hv" >&2; exit 2; }
exec python3 - "$hv" <<'PY'
import os, re, sys

root = sys.argv[1]
shown = os.path.basename(os.path.abspath(root))
LIMIT = 600
files = []                                   # (folder, path relative to root)
for d, _, names in os.walk(root):
    for n in sorted(names):
        if n.endswith((".c", ".h")):
            rel = os.path.relpath(os.path.join(d, n), root)
            files.append((os.path.dirname(rel) or ".", rel))
files.sort()
where = {}                                   # header name -> folders holding it
for folder, rel in files:
    if rel.endswith(".h"):
        where.setdefault(os.path.basename(rel), []).append(folder)

inc = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
edges = {}                                   # (from, to) -> an example "file includes x"
for folder, rel in files:
    with open(os.path.join(root, rel), errors="replace") as fh:
        for line in fh:
            m = inc.match(line)
            if not m:
                continue
            name = m.group(1)
            target = os.path.normpath(os.path.join(folder, name))
            if os.path.isfile(os.path.join(root, target)):
                to = os.path.dirname(target) or "."
            elif "/" not in name and name in where:
                to = where[name][0]
            else:
                continue
            if to != folder:
                edges.setdefault((folder, to), '%s includes "%s"' % (rel, name))

graph = {}
for a, b in edges:
    graph.setdefault(a, set()).add(b)

def find_cycle():
    state = {}                               # 1: on the stack, 2: done
    stack = []
    def dfs(v):
        state[v] = 1
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if state.get(w) == 1:
                return stack[stack.index(w):] + [w]
            if w not in state:
                c = dfs(w)
                if c:
                    return c
        stack.pop()
        state[v] = 2
        return None
    for v in sorted(graph):
        if v not in state:
            c = dfs(v)
            if c:
                return c
    return None

failed = False
cycle = find_cycle()
if cycle:
    why = "; ".join(edges[(a, b)] for a, b in zip(cycle, cycle[1:]))
    print("RESULT FAIL layout/no-include-cycles: %s (%s)" % (" -> ".join(cycle), why))
    failed = True
else:
    print("RESULT PASS layout/no-include-cycles")

big = []
for _, rel in files:
    with open(os.path.join(root, rel), errors="replace") as fh:
        n = sum(1 for _ in fh)
    if n > LIMIT:
        big.append("%s/%s (%d lines)" % (shown, rel, n))
if big:
    print("RESULT FAIL layout/file-size: over %d lines: %s" % (LIMIT, ", ".join(big)))
    failed = True
else:
    print("RESULT PASS layout/file-size")
sys.exit(1 if failed else 0)
PY
