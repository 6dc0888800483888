#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# check-report.py: checks a suite report's structure (tools/bench-report's output): every configuration, reasons for empty cells, JSON, plots.
"""usage: check-report.py DIR [CONFIG ...]
       check-report.py --net DIR [CONFIG ...]   (the net part's DIR/net.json)
       check-report.py --blk DIR [CONFIG ...]   (the blk part's DIR/blk.json)

Prints one line per problem and exits 1 if there is any. CONFIG...: the
configurations the run measured (default: all); each must have a value in
at least one cell, and the others a reason in every cell."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import bench_meta as meta  # noqa: E402
import bench_net  # noqa: E402
import bench_blk  # noqa: E402

problems = []


def need(cond, what):
    if not cond:
        problems.append(what)
    return cond


def check_cells(r, measured):
    cfg_ids = [c["id"] for c in meta.CONFIGS]
    for wl in meta.WORKLOADS:
        row = r["cells"].get(wl["id"])
        if not need(row is not None, "workload %s has no row" % wl["id"]):
            continue
        for cid in cfg_ids:
            c = row.get(cid)
            if not need(c is not None, "cell %s/%s is missing" % (wl["id"], cid)):
                continue
            if c.get("median") is None:
                need(isinstance(c.get("reason"), str) and len(c["reason"]) > 10,
                     "empty cell %s/%s has no written reason" % (wl["id"], cid))
            else:
                need(c.get("samples") and all(isinstance(x, (int, float)) for x in c["samples"]),
                     "cell %s/%s has a median but no raw samples" % (wl["id"], cid))
    for cid in measured:
        need(any(r["cells"][w["id"]][cid].get("median") is not None for w in meta.WORKLOADS),
             "configuration %s was run but has no value anywhere" % cid)


def check_exits(r):
    for wid, row in r["exits"].items():
        for c in meta.CONFIGS:
            e = row.get(c["id"])
            if not need(e is not None, "exit cell %s/%s is missing" % (wid, c["id"])):
                continue
            if e.get("kvm_per_op"):
                rounds = [x for x in e["rounds"] if x.get("kvm_per_op")]
                need(rounds and all(len(x["kvm"]) == 2 for x in rounds),
                     "exit cell %s/%s lacks the counters' before/after values" % (wid, c["id"]))
            else:
                need(isinstance(e.get("reason"), str) and e["reason"],
                     "empty exit cell %s/%s has no written reason" % (wid, c["id"]))


def check_plots(r, d):
    for fam in meta.FAMILIES:
        p = r["plots"].get(fam["id"])
        if not need(p is not None, "family %s has no plot entry" % fam["id"]):
            continue
        if not p["files"]:
            need(isinstance(p.get("reason"), str) and p["reason"], "family %s: no plot and no reason" % fam["id"])
            continue
        for f in p["files"]:
            path = os.path.join(d, f)
            ok = os.path.isfile(path) and os.path.getsize(path) > 1000
            if ok:
                with open(path, "rb") as fh:
                    head = fh.read(400)
                ok = head.startswith(b"\x89PNG") if f.endswith(".png") else b"<svg" in head
            need(ok, "plot %s is missing, empty or not %s" % (f, f.rsplit(".", 1)[-1]))
        need(any(f.endswith(".png") for f in p["files"]) and any(f.endswith(".svg") for f in p["files"]),
             "family %s: wants both SVG and PNG" % fam["id"])


def check_net(nj, where, measured=None):
    """Every key net.<config>.<workload> of the net part: a number, or a written reason."""
    cfgs = nj.get("net")
    if not need(isinstance(cfgs, dict), "%s: no \"net\" object" % where):
        return
    for c in bench_net.CONFIGS:
        row = cfgs.get(c["id"])
        if not need(isinstance(row, dict), "%s: net.%s is missing" % (where, c["id"])):
            continue
        for k in bench_net.ALL_KEYS:
            if not need(k in row, "%s: key net.%s.%s is missing" % (where, c["id"], k)):
                continue
            if row[k] is None:
                why = nj.get("reasons", {}).get(c["id"], {}).get(k)
                need(isinstance(why, str) and len(why) > 10,
                     "%s: empty net.%s.%s has no written reason" % (where, c["id"], k))
            else:
                need(isinstance(row[k], (int, float)), "%s: net.%s.%s is not a number" % (where, c["id"], k))
        if measured and c["id"] in measured:
            need(any(row.get(k) is not None for k in bench_net.ALL_KEYS),
                 "%s: configuration %s was run but has no net value" % (where, c["id"]))
    for base in ("qemu_virtio", "qemu_full"):
        need("lamina_to_" + base in nj.get("ratios", {}), "%s: no ratios Lamina / %s" % (where, base))
    need(isinstance(nj.get("goals"), list) and nj["goals"], "%s: no goals" % where)


def check_blk(bj, where, measured=None):
    """Every key blk.<config>.<workload>.<metric> of the blk part: a number, or a written reason."""
    cfgs = bj.get("blk")
    if not need(isinstance(cfgs, dict), "%s: no \"blk\" object" % where):
        return
    for c in bench_blk.CONFIGS:
        row = cfgs.get(c["id"])
        if not need(isinstance(row, dict), "%s: blk.%s is missing" % (where, c["id"])):
            continue
        for wl in bench_blk.WORKLOADS:
            cell = row.get(wl["id"])
            if not need(isinstance(cell, dict), "%s: key blk.%s.%s is missing" % (where, c["id"], wl["id"])):
                continue
            for m in bench_blk.metrics_of(wl):
                k = "blk.%s.%s.%s" % (c["id"], wl["id"], m)
                if not need(m in cell, "%s: key %s is missing" % (where, k)):
                    continue
                if cell[m] is None:
                    why = bj.get("reasons", {}).get(c["id"], {}).get(wl["id"], {}).get(m)
                    need(isinstance(why, str) and len(why) > 10, "%s: empty %s has no written reason" % (where, k))
                else:
                    need(isinstance(cell[m], (int, float)), "%s: %s is not a number" % (where, k))
        if measured and c["id"] in measured:
            need(any(v is not None for cell in row.values() for v in cell.values()),
                 "%s: configuration %s was run but has no blk value" % (where, c["id"]))
    for base in ("qemu_virtio", "qemu_full", "native"):
        need("lamina_to_" + base in bj.get("ratios", {}), "%s: no ratios Lamina / %s" % (where, base))
    need(isinstance(bj.get("goals"), list) and bj["goals"], "%s: no goals" % where)


def check_part_plots(d, pj, what):
    p = pj.get("plots", {})
    if p.get("files"):
        for f in p["files"]:
            path = os.path.join(d, f)
            need(os.path.isfile(path) and os.path.getsize(path) > 1000, "%s plot %s is missing or empty" % (what, f))
    else:
        need(isinstance(p.get("reason"), str) and p["reason"], "%s.json: no plot and no reason" % what)


def check_part(kind, d, measured):
    """--net DIR / --blk DIR: the part's own JSON."""
    try:
        with open(os.path.join(d, kind + ".json")) as f:
            pj = json.load(f)
    except (OSError, ValueError) as e:
        print("%s.json: not parseable JSON: %s" % (kind, e))
        return 1
    if kind == "net":
        check_net(pj, "net.json", measured or [c["id"] for c in bench_net.CONFIGS])
    else:
        check_blk(pj, "blk.json", measured or [c["id"] for c in bench_blk.CONFIGS])
    check_part_plots(d, pj, kind)
    for x in problems:
        print(x)
    return 1 if problems else 0


def check_md(d, r):
    try:
        with open(os.path.join(d, "report.md")) as f:
            text = f.read()
    except OSError as e:
        need(False, "report.md: %s" % e)
        return
    for c in meta.CONFIGS:
        need(c["label"] in text, "report.md does not name configuration %s" % c["label"])
    need("exit counts do not" in text, "report.md does not say that exit counts do not depend on the machine")


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    if sys.argv[1] in ("--net", "--blk") and len(sys.argv) > 2:
        return check_part(sys.argv[1][2:], sys.argv[2], sys.argv[3:])
    d = sys.argv[1]
    measured = sys.argv[2:] or [c["id"] for c in meta.CONFIGS]
    unknown = [c for c in measured if c not in [x["id"] for x in meta.CONFIGS]]
    if unknown:
        print("check-report: unknown configuration(s): %s" % " ".join(unknown))
        return 2
    try:
        with open(os.path.join(d, "report.json")) as f:
            r = json.load(f)
    except (OSError, ValueError) as e:
        print("report.json: not parseable JSON: %s" % e)
        return 1
    for k in ("host", "host_kernel", "qemu", "lamina", "where", "date"):
        need(r.get("meta", {}).get(k) not in (None, "", "?"), "meta.%s is missing" % k)
    need([c["id"] for c in r.get("configurations", [])] == [c["id"] for c in meta.CONFIGS],
         "configurations are not exactly the suite's")
    check_cells(r, measured)
    check_exits(r)
    check_plots(r, d)
    if "net" in r:
        check_net(dict(r.get("net_part") or {}, net=r["net"]), "report.json")
    if "blk" in r:
        check_blk(dict(r.get("blk_part") or {}, blk=r["blk"]), "report.json")
    check_md(d, r)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
