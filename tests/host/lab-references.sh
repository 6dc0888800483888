#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lab-references.sh: every file, symbol and link docs/lab/*.md cites still exists; a self-test proves a broken reference fails.
#
# The markup (docs/lab/README.md, "How the lab cites the code"): in prose,
# outside fenced code blocks, a backticked span is checked when it is
#   `path/to/file.c`          a path under a top-level directory of the tree
#                             (or README.md, Makefile): it must exist (a
#                             glob must match; a span with <...> is a pattern)
#   `path/to/file.c:name`     the file exists and `name` occurs in it as a word
#   `name()`                  a function: `name` occurs as a word in the sources
#   `LAMINA_NAME`, `struct lamina_name`
#                             an ABI name: it occurs in the sources
# A span followed by " (new)" names something the student will write, and a
# Markdown link to a relative path must reach an existing file.
# usage: lab-references.sh [--check FILE...]   (no arguments: the lab, then the self-test)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
SRC_DIRS="abi hypervisor pvdrivers tests tools toolstack guest-patches examples"

# "LINE<TAB>SPAN<TAB>NEW" for every inline code span outside fences; NEW is 1
# when " (new)" follows the span.
spans() { # FILE
  awk '/^[ \t]*(```|~~~)/ { fence = !fence; next }
       fence { next }
       { s = $0
         while ((i = index(s, "``")) > 0) { # ``...``: a literal example, never a reference
           j = index(substr(s, i + 2), "``")
           s = substr(s, 1, i - 1) (j ? substr(s, i + j + 3) : "") }
         if (gsub(/`/, "`", s) % 2) { printf "%d\t\001\t0\n", NR; next } # a span split over lines
         while (match(s, /`[^`]+`/)) {
           span = substr(s, RSTART + 1, RLENGTH - 2)
           rest = substr(s, RSTART + RLENGTH)
           printf "%d\t%s\t%d\n", NR, span, (rest ~ /^ \(new\)/)
           s = rest } }' "$1"
}

# "LINE<TAB>TARGET" for every relative Markdown link outside fences.
links() { # FILE
  awk '/^[ \t]*(```|~~~)/ { fence = !fence; next }
       fence { next }
       { s = $0
         while (match(s, /\]\([^) ]+\)/)) {
           t = substr(s, RSTART + 2, RLENGTH - 3); s = substr(s, RSTART + RLENGTH)
           if (t !~ /^(https?:|mailto:|#)/) { sub(/#.*/, "", t); printf "%d\t%s\n", NR, t } } }' "$1"
}

# Every word of the sources (not docs/, not this script, not the fuzzers'
# binary corpora): keys of WORDS, built once by make_index (a fork per
# lookup is slow on a loaded machine).
declare -A WORDS
make_index() {
  local w
  # shellcheck disable=SC2086 # SRC_DIRS is a list of directories
  while read -r w; do WORDS[$w]=1; done < <(cd "$top" &&
    grep -rhowI --exclude-dir=.git --exclude-dir=corpus --exclude=lab-references.sh \
      -E '[A-Za-z_][A-Za-z0-9_]*' $SRC_DIRS Makefile README.md 2> /dev/null | sort -u)
}
in_sources() { # WORD: occurs as a word somewhere in the sources
  [ -n "${WORDS[$1]+set}" ]
}

is_tree_path() { # SPAN: looks like a path inside the tree
  case "$1" in
    README.md|Makefile) return 0 ;;
    */*) [ -d "$top/${1%%/*}" ] && case " $SRC_DIRS docs " in *" ${1%%/*} "*) return 0 ;; esac ;;
  esac
  return 1
}

path_exists() { # PATH (may be a glob)
  compgen -G "$top/$1" > /dev/null || [ -e "$top/$1" ]
}

# Check one span. Sets REF=1 for a good reference, leaves it 0 for a span
# that is no reference; a broken one sets WHY and returns 1. No subshell.
REF=0 WHY=
check_span() { # SPAN
  local s=$1 f n
  REF=0 WHY=
  case "$s" in *' '*)
    case "$s" in "struct lamina_"*)
      n=${s#struct }
      in_sources "$n" || { WHY="struct $n is in no source file"; return 1; }
      REF=1 ;;
    esac
    return 0 ;;
  esac
  s=${s#-} # -LAMINA_EFAULT
  case "$s" in *'<'*|*'>'*) return 0 ;; esac
  if [[ "$s" == *:* ]] && is_tree_path "${s%%:*}"; then
    f=${s%%:*} n=${s#*:}; n=${n%()}
    [ -f "$top/$f" ] || { WHY="file $f does not exist"; return 1; }
    grep -qw -e "$n" "$top/$f" || { WHY="$n does not occur in $f"; return 1; }
  elif is_tree_path "$s"; then
    path_exists "$s" || { WHY="path $s does not exist"; return 1; }
  elif [[ "$s" =~ ^[A-Za-z_][A-Za-z0-9_]*\(\)$ ]]; then
    n=${s%()}
    in_sources "$n" || { WHY="function $n() is in no source file"; return 1; }
  elif [[ "$s" =~ ^LAMINA_[A-Za-z0-9_]+$ ]]; then
    in_sources "$s" || { WHY="$s is in no source file"; return 1; }
  else
    return 0
  fi
  REF=1
}

# Check files; print one line per broken reference; status 1 if any. Sets
# REFS to the number of good references (call it outside a subshell).
REFS=0
check_files() { # FILE...
  local file line span new target bad=0
  for file in "$@"; do
    while IFS=$'\t' read -r line span new; do
      [ "$new" = 1 ] && continue
      if [ "$span" = $'\001' ]; then
        echo "${file#"$top"/}:$line: an odd number of backticks: keep each code span on one line"; bad=1; continue
      fi
      if check_span "$span"; then
        REFS=$((REFS + REF))
      else
        echo "${file#"$top"/}:$line: \`$span\`: $WHY"; bad=1
      fi
    done < <(spans "$file")
    while IFS=$'\t' read -r line target; do
      if [ -e "$(dirname "$file")/$target" ]; then REFS=$((REFS + 1))
      else echo "${file#"$top"/}:$line: link $target: no such file"; bad=1; fi
    done < <(links "$file")
  done
  return $bad
}

# The self-test: a document with one good reference of each kind passes, and
# one with a broken reference of each kind fails, naming every one of them.
self_test() {
  local d out
  d=$(mktemp -d /tmp/lab-refs-test.XXXXXX) || { echo "cannot make a temporary directory"; return 1; }
  cat > "$d/good.md" <<'EOF'
The table is in `hypervisor/hcall/hcall.c`, as `hypervisor/hcall/hcall.c:hc_table`,
dispatched by `hcall_dispatch()` for `LAMINA_HC_null` with a `struct lamina_evtchn_alloc_unbound`;
tests are `tests/host/*.sh` and `tests/guests/<name>/`. You write `hc_frobnicate()` (new).
Run `make check` and see [this page](good.md#top).
```
`no/such/file.c` inside a fence is not a reference
```
EOF
  cat > "$d/bad.md" <<'EOF'
See `hypervisor/hcall/no_such_file.c` and `hypervisor/hcall/hcall.c:no_such_symbol()`,
then `no_such_function_anywhere()`, `LAMINA_HC_no_such_call`, `tests/host/*.nosuch`
and [a link](no-such-page.md), and a span split over two lines: `make
check`.
EOF
  if ! out=$(check_files "$d/good.md"); then
    echo "a document with only good references failed: $out"; rm -rf "$d"; return 1
  fi
  if out=$(check_files "$d/bad.md"); then
    echo "a document with broken references passed"; rm -rf "$d"; return 1
  fi
  for want in no_such_file.c no_such_symbol no_such_function_anywhere LAMINA_HC_no_such_call \
              '*.nosuch' no-such-page.md 'odd number of backticks'; do
    grep -qF -- "$want" <<< "$out" || { echo "the broken reference $want was not named: $out"; rm -rf "$d"; return 1; }
  done
  rm -rf "$d"
  return 0
}

make_index
if [ "${1:-}" = --check ]; then
  shift
  check_files "$@"
  exit
fi

name=docs/lab-references
docs=("$top"/docs/lab/*.md)
if [ ! -e "${docs[0]}" ]; then echo "RESULT FAIL $name: no docs/lab/*.md"; exit 0; fi
if ! why=$(self_test); then echo "RESULT FAIL $name: the checker's self-test: $why"; exit 0; fi
out=$(mktemp /tmp/lab-refs.XXXXXX) || exit 1
if check_files "${docs[@]}" > "$out"; then
  echo "lab-references: ${#docs[@]} pages, $REFS references, all found"
  echo "RESULT PASS $name"
else
  sed 's/^/lab-references: /' "$out"
  echo "RESULT FAIL $name: $(wc -l < "$out") broken reference(s): $(tr '\n' ';' < "$out" | sed 's/;$//')"
fi
rm -f "$out"
