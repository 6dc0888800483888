# SPDX-License-Identifier: MIT
# bench_plots.py: the suite's charts with gnuplot: one per family, grouped bars (a group per workload, a colour per configuration), error bars, a line at 1.0.
import os
import shutil
import subprocess

# One colour per configuration, in bench_meta.CONFIGS' order (distinct,
# readable on white, and the same in every chart).
COLOURS = ["#4d4d4d", "#d62728", "#ff7f0e", "#1f77b4", "#17becf", "#2ca02c",
           "#98df8a", "#9467bd", "#c5b0d5", "#8c564b"]


def _series(report, family):
    """(workloads, configs, rows): rows[i][j] = (value, low, high) or None,
    the ratio to the family's base (or, for exits, KVM exits per operation)."""
    fam = next(f for f in report["families"] if f["id"] == family)
    if family == "exits":
        wls = [w for w in report["workloads"] if w["id"] in report["exits"]]
    else:
        wls = [w for w in report["workloads"] if w["family"] == family and not w.get("absent")]
    cfgs = [c for c in report["configurations"] if c["id"] != fam["ratio_to"] and c["id"] != "native"]
    rows = []
    for w in wls:
        row = []
        for c in cfgs:
            row.append(_point(report, family, fam["ratio_to"], w["id"], c["id"]))
        rows.append(row)
    keep = [j for j in range(len(cfgs)) if any(r[j] for r in rows)]
    return wls, [cfgs[j] for j in keep], [[r[j] for j in keep] for r in rows]


def _point(report, family, base, wid, cid):
    if family == "exits":
        e = report["exits"][wid][cid]
        if not e.get("kvm_per_op") or e.get("kvm_minmax") is None:
            return None
        ops = [r["kvm_per_op"]["exits"] for r in e["rounds"] if r.get("kvm_per_op")]
        v = e["kvm_per_op"].get("exits", 0.0)
        floor = 1e-3   # a log axis: show 0 as the floor
        return (max(v, floor), max(min(ops), floor), max(max(ops), floor))
    c = report["cells"][wid][cid]
    key = "ratio_to_native" if base == "native" else "ratio_to_full"
    if c.get(key) is None:
        return None
    return (c[key], c[key + "_min"], c[key + "_max"])


def _write_dat(path, wls, rows):
    with open(path, "w") as f:
        for w, row in zip(wls, rows):
            cols = []
            for p in row:
                cols += ["%.6g" % x for x in p] if p else ["NaN"] * 3
            f.write('"%s" %s\n' % (w.get("short", w["label"]), " ".join(cols)))


TITLES = {
    "latency": ("OS latencies: time as a multiple of native (lower is better)", "x native"),
    "cpu": ("CPU-bound job: time as a multiple of native (lower is better)", "x native"),
    "boot": ("Boot to init: time as a multiple of full virtualization (lower is better)", "x full virtualization"),
    "exits": ("KVM exits per operation (log scale; the line is one exit per operation)", "exits per operation"),
}


def _script(family, dat, cfgs, where, term, out):
    title, ylabel = TITLES[family]
    plotlines = []
    for j, c in enumerate(cfgs):
        colour = COLOURS[[x["id"] for x in CONFIG_ORDER].index(c["id"]) % len(COLOURS)]
        plotlines.append("'%s' using %d:%d:%d:xtic(1) title '%s' lc rgb '%s'"
                         % (dat, 2 + 3 * j, 3 + 3 * j, 4 + 3 * j, c["label"], colour))
    return "\n".join([
        "set terminal %s" % term,
        "set output '%s'" % out,
        'set title "%s\\n{/*0.8 %s}"' % (title, where),
        "set ylabel '%s'" % ylabel,
        "set style data histograms",
        "set style histogram errorbars gap 2 lw 1",
        "set style fill solid 0.85 border -1",
        "set boxwidth 0.9",
        "set logscale y" if family in ("latency", "exits") else "set yrange [0:*]",
        "set grid ytics",
        "set key outside right top vertical",
        "set xtics noenhanced font ',10'",
        "set key noenhanced",
        "set bmargin 4",
        "set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 dt 2 lc rgb 'black' front",
        "plot " + ", \\\n     ".join(plotlines),
        "",
    ])


CONFIG_ORDER = []


def draw(report, family, outdir):
    """Writes outdir/FAMILY.svg and .png; returns their names, or a reason why there are none."""
    wls, cfgs, rows = _series(report, family)
    if not wls or not cfgs:
        return None, "no configuration has a value in this family in this run"
    dat = os.path.join(outdir, family + ".dat")
    _write_dat(dat, wls, rows)
    where = "%s, %s; %s" % (report["meta"]["where"], report["meta"]["date"],
                            "spread: min to max over %s round(s)" % (report["meta"]["rounds"] or "?"))
    files = []
    for ext, term in (("svg", "svg size 1100,520 dynamic enhanced font 'sans,11'"),
                      ("png", "pngcairo size 1100,520 enhanced font 'sans,10'")):
        out = os.path.join(outdir, "%s.%s" % (family, ext))
        gp = os.path.join(outdir, "%s.%s.gp" % (family, ext))
        with open(gp, "w") as f:
            f.write(_script(family, dat, cfgs, where, term, out))
        r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
        if r.returncode != 0 or not os.path.getsize(out):
            return None, "gnuplot failed: " + (r.stderr.strip().splitlines() or ["?"])[-1]
        files.append(os.path.join("plots", os.path.basename(out)))
    return files, None


def _part_plots(report, part):
    p = report.get(part + "_part")
    if p and p.get("plots", {}).get("files"):
        return {"files": p["plots"]["files"], "reason": p["plots"].get("reason")}
    return {"files": [], "reason": (p["plots"]["reason"] if p and p.get("plots") else
                                    report.get(part + "_reason") or "not run")}


def draw_all(report, outdir):
    """Every family's chart: {family: {"files": [...]} or {"reason": ...}}."""
    CONFIG_ORDER[:] = report["configurations"]
    out = {}
    for fam in report["families"]:
        fid = fam["id"]
        if fam.get("part"):   # the net and blk parts' own charts (tools/bench_net.py, bench_blk.py), when they ran
            out[fid] = _part_plots(report, fam["part"])
            continue
        if not shutil.which("gnuplot"):
            out[fid] = {"files": [], "reason": "gnuplot is not installed (make deps installs gnuplot-nox)"}
            continue
        files, why = draw(report, fid, outdir)
        out[fid] = {"files": files or [], "reason": why}
    return out
