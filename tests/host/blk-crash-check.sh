#!/bin/sh
# SPDX-License-Identifier: MIT
# blk-crash-check.sh: blk_crash_check (the crash test's judge) on disk images written here: it passes every legitimate crash state and names each lost write.
top=$(cd "$(dirname "$0")/../.." && pwd)
chk=${O:-$top/build}/e2e/blk_crash_check
[ -x "$chk" ] || { echo "RESULT FAIL blk-crash-check: $chk is not built"; exit 0; }
CHK=$chk python3 - <<'PY'
import os, struct, subprocess, tempfile
M = (1 << 64) - 1
FIRST, K, SEED = 1024, 4096, 0x5eed0000   # tests/e2e/blk_guest/pattern.h

def pat(seed, word):
    x = ((seed << 32) ^ word) & M
    x = (x * 0x9e3779b97f4a7c15) & M
    return x ^ (x >> 29)

def image(last, hole=None, next_words=192):
    """Writes 0..last (but hole), then the first next_words words of last + 1."""
    f = tempfile.NamedTemporaryFile(delete=False)
    f.truncate(32 << 20)
    for i in range(last + 1):
        if i != hole:
            f.seek((FIRST + i % K) * 4096)
            f.write(struct.pack('<512Q', *[pat(SEED + i, w) for w in range(512)]))
    f.seek((FIRST + (last + 1) % K) * 4096)
    f.write(struct.pack('<%dQ' % next_words, *[pat(SEED + last + 1, w) for w in range(next_words)]))
    f.close()
    return f.name

cases = [  # name, image args, LAST given, want ok, text the verdict must contain
    ("exact", dict(last=500), 500, True, "501 flushed writes"),
    ("saw-fewer", dict(last=500), 480, True, "481 seen flushed"),
    ("wrapped", dict(last=5000), 5000, True, "5001 flushed writes"),
    ("lost-write", dict(last=500, hole=300), 480, False, "block 300 sector 0 holds neither write 300"),
    ("lost-before-later", dict(last=500, hole=499), 480, False, "block 499"),
    ("torn-not-sector", dict(last=500, next_words=100), 500, False, "sector 1"),
    ("none", dict(last=-1, next_words=0), -1, True, "0 flushed writes"),
]
bad = []
for name, args, given, ok, text in cases:
    img = image(**args)
    r = subprocess.run([os.environ["CHK"], img, str(given)], capture_output=True, text=True)
    os.unlink(img)
    if (r.returncode == 0) != ok or text not in r.stdout:
        bad.append("%s: exit %d, %r" % (name, r.returncode, r.stdout.strip()))
print("RESULT %s blk-crash-check%s" % ("FAIL" if bad else "PASS", ": " + "; ".join(bad) if bad else ""))
PY
