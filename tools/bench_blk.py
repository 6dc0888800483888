# SPDX-License-Identifier: MIT
# bench_blk.py: the blk part's results from tests/bench/blk.sh's "@BLK" lines: blk.json (keys blk.<config>.<workload>), its Markdown and its charts.
import os
import shutil
import subprocess

from bench_net import _kv, _median  # the same "k=v" log words and medians as the net part

CONFIGS = [
    {"id": "lamina", "label": "Lamina PV disk", "colour": "#1f77b4",
     "what": "Lamina: lamina-hvd, the PV block front-end in Lamina's guest kernel (/dev/lvda), one "
             "lamina-blkback on the image (io_uring, O_DIRECT)"},
    {"id": "qemu_virtio", "label": "QEMU virtio-blk", "colour": "#ff7f0e",
     "what": "QEMU/KVM microvm, virtio-blk in QEMU's best setting: its own iothread, aio=io_uring, "
             "cache=none (O_DIRECT), KVM's PV features on"},
    {"id": "qemu_full", "label": "QEMU IDE (full virt)", "colour": "#d62728",
     "what": "QEMU/KVM PC machine (-cpu host,kvm=off), an emulated PIIX IDE disk (ata_piix in the guest), "
             "aio=io_uring, cache=none: every register access an exit to QEMU"},
    {"id": "native", "label": "native", "colour": "#4d4d4d",
     "what": "no VM: the same fio jobs on the image file itself (in the testbed, on the testbed's kernel)"},
]

# The workloads (tests/bench/blk/fio.sh); "unit" is the speed metric's.
WORKLOADS = [
    {"id": "randread_4k_qd1", "short": "read 4k QD1", "label": "4 KiB random read, QD1",
     "bs": 4096, "qd": 1, "speed": "iops"},
    {"id": "randread_4k_qd32", "short": "read 4k QD32", "label": "4 KiB random read, QD32",
     "bs": 4096, "qd": 32, "speed": "iops"},
    {"id": "randwrite_4k_qd32", "short": "write 4k QD32", "label": "4 KiB random write, QD32",
     "bs": 4096, "qd": 32, "speed": "iops"},
    {"id": "seqread_1m", "short": "seq read 1M", "label": "1 MiB sequential read, QD8",
     "bs": 1 << 20, "qd": 8, "speed": "mbs"},
    {"id": "seqwrite_1m", "short": "seq write 1M", "label": "1 MiB sequential write, QD8",
     "bs": 1 << 20, "qd": 8, "speed": "mbs"},
]

# Every workload's metrics: key, unit, what.
METRICS = [
    ("iops", "IOPS", "requests completed per second (fio; 4 KiB workloads)"),
    ("mbs", "MB/s", "bytes moved per second, in 1e6 bytes (fio; 1 MiB workloads)"),
    ("lat_us", "us", "mean completion latency of one request (fio's total latency)"),
    ("cpu_s_per_gib", "CPU s/GiB", "host CPU seconds (user + system, guest time included) of the VM processes and "
                                   "back-ends per GiB moved; natively fio's own CPU time"),
    ("host_cpu_s_per_gib", "CPU s/GiB", "the whole host's busy CPU seconds (/proc/stat) per GiB moved: also anything "
                                        "else running (in a testbed on a loaded machine its kernel may lose ticks)"),
    ("user_exits_per_req", "exits/request", "exits to the VMM's user space per request: Lamina's own count "
                                            "(lamina-hvd stats); for QEMU KVM's io_exits + mmio_exits (MMIO counted "
                                            "only when it reaches QEMU, port I/O whether KVM or QEMU serves it: an "
                                            "upper bound)"),
    ("kvm_exits_per_req", "exits/request", "every VM exit per request (KVM's exits counter)"),
]
METRIC_IDS = [m[0] for m in METRICS]


def metrics_of(wl):
    return [m for m in METRIC_IDS if m not in ("iops", "mbs") or m == wl["speed"]]


# Targets (issue 13): speed ratios of Lamina to each baseline, and its exits per 4 KiB request at QD32.
GOALS = [
    ("qemu_virtio", ["randread_4k_qd1", "randread_4k_qd32", "randwrite_4k_qd32"], 1.0,
     "Lamina / virtio-blk >= 1.0 at QD1 and QD32"),
    ("qemu_full", ["randread_4k_qd32", "randwrite_4k_qd32"], 10.0, "Lamina / IDE >= 10 at QD32"),
]
EXIT_GOAL = (["randread_4k_qd32", "randwrite_4k_qd32"], 0.1,
             "Lamina's exits to user space per 4 KiB request at QD32 <= 0.1")


def read_log(path):
    """{config: {round: {"info": {...}, "fail": str|None, "wl": {wid: {"b", "res", "a"}}}}}"""
    runs = {}
    with open(path, errors="replace") as f:
        for raw in f:
            w = raw.strip("\r\n").split(" ")
            if len(w) < 4 or w[0] != "@BLK":
                continue
            try:
                rnd = int(w[2])
            except ValueError:
                continue
            cfg, tag = w[1], w[3]
            r = runs.setdefault(cfg, {}).setdefault(rnd, {"info": {}, "fail": None, "wl": {}})
            if tag == "FAIL":
                r["fail"] = " ".join(w[4:])
            elif tag == "INFO":
                r["info"].update(_kv(w[4:]))
            elif len(w) >= 5 and w[4] in ("b", "a", "res"):
                d = r["wl"].setdefault(tag, {})
                if w[4] == "res":
                    d["res"] = " ".join(w[5:])
                    d["res_kv"] = _kv(w[5:]) if w[5:6] == ["ok"] else None
                else:
                    d[w[4]] = _kv(w[5:])
    return runs


def _delta(d, key):
    b, a = d.get("b", {}), d.get("a", {})
    if key not in b or key not in a:
        return None
    return a[key] - b[key]


def _user_exits(cfg, d):
    if cfg == "lamina":
        return _delta(d, "hv_total")
    io, mm = _delta(d, "kvm_io_exits"), _delta(d, "kvm_mmio_exits")
    return None if io is None or mm is None else io + mm


FIO_KEYS = ("rkib", "riops", "rms", "rlat_us", "wkib", "wiops", "wms", "wlat_us", "usr", "sys")


def round_values(cfg, wl, d):
    """The metrics of one workload in one round: (values, why-not for the missing ones)."""
    res = d.get("res_kv")
    if not res:
        return None, {"*": "the guest's answer: %s" % (d.get("res") or "none")}
    if any(not isinstance(res.get(k), float) for k in FIO_KEYS):
        return None, {"*": "fio's result line is not whole: %s" % d.get("res", "")[:80]}
    by = (res.get("rkib", 0) + res.get("wkib", 0)) * 1024
    ms = max(res.get("rms", 0), res.get("wms", 0))
    if not by or not ms:
        return None, {"*": "fio moved no bytes"}
    reqs = by / wl["bs"]
    gib = by / (1 << 30)
    out, why = {}, {}
    out["iops" if wl["speed"] == "iops" else "mbs"] = (reqs / (ms / 1000) if wl["speed"] == "iops"
                                                       else by / 1e6 / (ms / 1000))
    lat = [res.get(k) for k, n in (("rlat_us", "rkib"), ("wlat_us", "wkib")) if res.get(n)]
    out["lat_us"] = sum(lat) / len(lat) if lat else None
    hz = d.get("a", {}).get("hz") or 100
    if cfg == "native":
        out["cpu_s_per_gib"] = (res.get("usr", 0) + res.get("sys", 0)) / 100 * (ms / 1000) / gib
    else:
        cpu = _delta(d, "cpu_ticks")
        if cpu is not None:
            out["cpu_s_per_gib"] = cpu / hz / gib
    busy = _delta(d, "sys_busy")
    if busy is not None:
        out["host_cpu_s_per_gib"] = busy / hz / gib
    if cfg == "native":
        why["user_exits_per_req"] = why["kvm_exits_per_req"] = "native runs no VM: no VM exits"
        return out, why
    # The counters must span fio's whole run: the host reads them when it
    # sees each marker, and the guest waits BLK_PAUSE seconds after each.
    span = _delta(d, "t_ns")
    if span is not None and span / 1e6 < ms:
        why["user_exits_per_req"] = why["kvm_exits_per_req"] = why["cpu_s_per_gib"] = \
            "the host read the counters late: %.0f ms between them for fio's %.0f ms" % (span / 1e6, ms)
        out.pop("cpu_s_per_gib", None)
        return out, why
    ue = _user_exits(cfg, d)
    if ue is not None:
        out["user_exits_per_req"] = ue / reqs
    else:
        why["user_exits_per_req"] = "no exit counters read (KVM's debugfs%s)" % (
            " or lamina-hvd's stats" if cfg == "lamina" else "")
    ke = _delta(d, "kvm_exits")
    if ke is not None:
        out["kvm_exits_per_req"] = ke / reqs
    else:
        why["kvm_exits_per_req"] = "KVM's debugfs counters were not readable (debugfs wants root)"
    return out, why


def _config_facts(c, rs, chosen):
    first = next((rs[n] for n in sorted(rs) if not rs[n]["fail"]), None)
    info = (first or {}).get("info", {})
    return dict(c, measured=c["id"] in chosen, device=info.get("dev"), driver=info.get("driver"),
                hw_queues=info.get("hwq"), max_kib=info.get("max_kib"), scheduler=info.get("sched"))


def build(log, chosen, meta):
    runs = read_log(log)
    blk, samples, reasons, detail, cfgs = {}, {}, {}, {}, {}
    for c in CONFIGS:
        cid = c["id"]
        rs = runs.get(cid, {})
        blk[cid], samples[cid], reasons[cid] = {}, {}, {}
        detail[cid] = [{"round": n, "info": rs[n]["info"], "fail": rs[n]["fail"], "workloads": rs[n]["wl"]}
                       for n in sorted(rs)]
        cfgs[cid] = _config_facts(c, rs, chosen)
        for wl in WORKLOADS:
            s, why = _workload_samples(cid, wl, rs)
            samples[cid][wl["id"]] = s
            blk[cid][wl["id"]] = {m: (_median(s[m]) if s.get(m) else None) for m in metrics_of(wl)}
            reasons[cid][wl["id"]] = {m: _reason(cid, chosen, why.get(m) or why.get("*"))
                                      for m in metrics_of(wl) if not s.get(m)}
    ratios = _ratios(blk, samples)
    return {"schema": "lamina-bench-blk/1", "meta": meta, "configurations": cfgs,
            "workloads": WORKLOADS, "metrics": METRICS, "blk": blk, "reasons": reasons,
            "samples": samples, "ratios": ratios, "goals": _goals(blk, ratios), "rounds": detail}


def _workload_samples(cid, wl, rs):
    s, why = {}, {}
    for n in sorted(rs):
        r = rs[n]
        if r["fail"]:
            why.setdefault("*", "the measurement failed: " + r["fail"])
            continue
        d = r["wl"].get(wl["id"])
        if not d:
            why.setdefault("*", "round %d has no %s" % (n, wl["id"]))
            continue
        vals, w = round_values(cid, wl, d)
        for k, v in (w or {}).items():
            why.setdefault(k, "round %d: %s" % (n, v))
        for m, v in (vals or {}).items():
            if v is not None:
                s.setdefault(m, []).append(v)
    return s, why


def _reason(cid, chosen, why):
    if cid not in chosen:
        return "not run: left out of this run's --configs"
    return why or "no sample: the run printed none (see blk.log)"


def _ratios(blk, samples):
    """Speed ratios of each configuration to each baseline (median over median, and each round's value
    over the baseline's median for the spread): {"<cfg>_to_<base>": {wl: {"ratio", "min", "max"}}}."""
    out = {}
    for base in ("qemu_virtio", "qemu_full", "native"):
        for c in CONFIGS:
            if c["id"] == base:
                continue
            rr = out["%s_to_%s" % (c["id"], base)] = {}
            for wl in WORKLOADS:
                m = wl["speed"]
                v, b = blk[c["id"]][wl["id"]].get(m), blk[base][wl["id"]].get(m)
                s = samples[c["id"]][wl["id"]].get(m) or []
                rr[wl["id"]] = ({"ratio": v / b, "min": min(s) / b, "max": max(s) / b} if v and b else None)
    return out


def _goals(blk, ratios):
    goals = []
    for base, wls, target, what in GOALS:
        for w in wls:
            r = ratios["lamina_to_" + base][w]
            x = r["ratio"] if r else None
            goals.append({"goal": what, "workload": w, "ratio": x, "target": target,
                          "met": None if x is None else x >= target})
    wls, target, what = EXIT_GOAL
    for w in wls:
        x = blk["lamina"][w].get("user_exits_per_req")
        goals.append({"goal": what, "workload": w, "value": x, "target": target,
                      "met": None if x is None else x <= target})
    return goals


def _fmt(x):
    if x is None:
        return ""
    if x == 0:
        return "0"
    if x >= 100:
        return "%.0f" % x
    if x >= 10:
        return "%.1f" % x
    if x >= 0.01:
        return "%.3g" % x
    return "%.2g" % x


def _speed_cell(r, cid, wl, ref):
    m = wl["speed"]
    v = r["blk"][cid][wl["id"]].get(m)
    if v is None:
        return "— " + ref(r["reasons"][cid][wl["id"]][m])
    s = r["samples"][cid][wl["id"]].get(m) or []
    t = "%s %s" % (_fmt(v), "IOPS" if m == "iops" else "MB/s")
    if len(s) > 1:
        t += " (%s–%s)" % (_fmt(min(s)), _fmt(max(s)))
    return t


def _rfmt(x):
    return "%.2fx" % x if x >= 0.1 else "%.2gx" % x


def _ratio_text(r, key, wid):
    x = r["ratios"][key][wid]
    return "**%s**" % _rfmt(x["ratio"]) if x else ""


def render(r, notes=None):
    """The blk part as Markdown (a section of report.md, or blk.md)."""
    items = []

    def ref(text):
        if notes is not None:
            return notes.ref(text)
        if text not in items:
            items.append(text)
        return "[n%d]" % (items.index(text) + 1)

    cf = [c["id"] for c in CONFIGS]
    labels = {c["id"]: c["label"] for c in CONFIGS}
    m = r["meta"]
    out = ["One VM of each configuration (%s vCPU, %s MiB) whose disk is the same %s MiB raw image file on "
           "a tmpfs; fio (libaio, O_DIRECT, one job, %s s a workload) in the guest on its disk, and natively on "
           "the file. Each value is the median over %s round(s), the range the spread over rounds. Speed "
           "ratios are Lamina / baseline (above 1: Lamina is faster).\n"
           % (m.get("vcpus", "?"), m.get("mem_mib", "?"), m.get("image_mib", "?"), m.get("secs", "?"),
              m.get("rounds", "?"))]
    out += ["| workload | " + " | ".join(labels[c] for c in cf) + " | Lamina / virtio-blk | Lamina / IDE | Lamina / native |",
            "|---|" + "---|" * (len(cf) + 3)]
    for wl in WORKLOADS:
        cells = [_speed_cell(r, c, wl, ref) for c in cf]
        cells += [_ratio_text(r, "lamina_to_" + b, wl["id"]) for b in ("qemu_virtio", "qemu_full", "native")]
        out.append("| %s | %s |" % (wl["label"], " | ".join(cells)))
    out.append("")
    out.append("Cost per request and per GiB (medians over rounds; CPU: the VM processes and back-ends, guest time "
               "included, natively fio's own; whole host: /proc/stat; exits to user space: Lamina's own count, for "
               "QEMU KVM's io_exits + mmio_exits, an upper bound):\n")
    out += ["| workload | metric | " + " | ".join(labels[c] for c in cf) + " |", "|---|---|" + "---|" * len(cf)]
    for wl in WORKLOADS:
        for key, unit, _ in METRICS:
            if key in ("iops", "mbs"):
                continue
            cells = []
            for c in cf:
                v = r["blk"][c][wl["id"]].get(key)
                cells.append(_fmt(v) if v is not None else "— " + ref(r["reasons"][c][wl["id"]][key]))
            out.append("| %s | %s (%s) | %s |" % (wl["short"], key.replace("_", " "), unit, " | ".join(cells)))
    out.append("")
    out.append("Goals (issue 13), each against the baseline measured in the same run:\n")
    out += ["| goal | workload | value | met |", "|---|---|---|---|"]
    for g in r["goals"]:
        v = g.get("ratio", g.get("value"))
        txt = (_rfmt(v) if "ratio" in g else _fmt(v)) if v is not None else "—"
        out.append("| %s | %s | %s | %s |" % (g["goal"], g["workload"], txt,
                                             {True: "yes", False: "**no**", None: "not measured"}[g["met"]]))
    out.append("")
    drv = ", ".join("%s: %s (%s)" % (labels[c], r["configurations"][c].get("device") or "?",
                                     r["configurations"][c].get("driver") or "?")
                    for c in cf if r["configurations"][c]["measured"])
    if drv:
        out.append("Disks seen: %s.\n" % drv)
    if notes is None and items:
        out.append("Notes:\n")
        out += ["- [n%d] %s" % (i + 1, t) for i, t in enumerate(items)]
        out.append("")
    return "\n".join(out) + "\n"


def _gnuplot(name, dat, series, title, ylabel, line, where, outdir, ymin=None):
    files = []
    for ext, term in (("svg", "svg size 1150,500 dynamic enhanced font 'sans,11'"),
                      ("png", "pngcairo size 1150,500 enhanced font 'sans,10'")):
        out = os.path.join(outdir, "%s.%s" % (name, ext))
        lines = ["'%s' using %d:%d:%d:xtic(1) title '%s' lc rgb '%s'" % (dat, 2 + 3 * j, 3 + 3 * j, 4 + 3 * j,
                                                                        label, colour)
                 for j, (label, colour) in enumerate(series)]
        gp = "\n".join([
            "set terminal %s" % term, "set output '%s'" % out,
            'set title "Disk: %s\\n{/*0.8 %s}"' % (title, where), "set ylabel '%s'" % ylabel,
            "set style data histograms", "set style histogram errorbars gap 2 lw 1",
            "set style fill solid 0.85 border -1", "set boxwidth 0.9",
            "set logscale y", "set yrange [%s:*]" % ("%g" % ymin if ymin else ""), "set grid ytics",
            "set key outside right top vertical noenhanced", "set xtics noenhanced font ',10'", "set bmargin 4",
            "set arrow from graph 0, first %g to graph 1, first %g nohead lw 2 dt 2 lc rgb 'black' front" % (line, line),
            "plot " + ", \\\n     ".join(lines), ""])
        p = subprocess.run(["gnuplot"], input=gp, capture_output=True, text=True)
        if p.returncode != 0 or not os.path.exists(out) or not os.path.getsize(out):
            return None, "gnuplot failed: " + (p.stderr.strip().splitlines() or ["?"])[-1]
        files.append(os.path.join("plots", os.path.basename(out)))
    return files, None


def _write_dat(path, rows):
    with open(path, "w") as f:
        for label, pts in rows:
            cols = []
            for p in pts:
                cols += ["%.6g" % x for x in p] if p else ["NaN"] * 3
            f.write('"%s" %s\n' % (label, " ".join(cols)))


def draw(r, outdir):
    """plots/blk.{svg,png} (speed as a multiple of virtio-blk) and plots/blk_exits.{svg,png}: (files, reason)."""
    if not shutil.which("gnuplot"):
        return [], "gnuplot is not installed (make deps installs gnuplot-nox)"
    where = "%s, %s; error bars: spread over %s round(s)" % (r["meta"].get("where"), r["meta"].get("date"),
                                                             r["meta"].get("rounds"))
    files = []
    # 1. speed, each configuration over virtio-blk's median (virtio-blk: its own spread around 1.0)
    cfgs = [c for c in CONFIGS if any(r["blk"][c["id"]][w["id"]].get(w["speed"]) is not None for w in WORKLOADS)]
    if r["blk"]["qemu_virtio"] and cfgs and any(r["blk"]["qemu_virtio"][w["id"]].get(w["speed"]) for w in WORKLOADS):
        rows = []
        for w in WORKLOADS:
            pts = []
            for c in cfgs:
                x = (_self_ratio(r, w) if c["id"] == "qemu_virtio"
                     else r["ratios"]["%s_to_qemu_virtio" % c["id"]][w["id"]])
                pts.append((x["ratio"], x["min"], x["max"]) if x else None)
            rows.append((w["short"], pts))
        dat = os.path.join(outdir, "blk.dat")
        _write_dat(dat, rows)
        f, why = _gnuplot("blk", dat, [(c["label"], c["colour"]) for c in cfgs],
                          "fio speed as a multiple of QEMU virtio-blk (higher is better; log scale)",
                          "x virtio-blk (IOPS or MB/s)", 1.0, where, outdir)
        if not f:
            return [], why
        files += f
    # 2. exits to user space per request, the VM configurations (the line: the 0.1 target)
    vms = [c for c in CONFIGS if c["id"] != "native" and
           any(r["blk"][c["id"]][w["id"]].get("user_exits_per_req") is not None for w in WORKLOADS)]
    if vms:
        rows = []
        for w in WORKLOADS:
            pts = []
            for c in vms:
                s = r["samples"][c["id"]][w["id"]].get("user_exits_per_req")
                v = r["blk"][c["id"]][w["id"]].get("user_exits_per_req")
                fl = 1e-3   # a log axis: 0 shows as the floor
                pts.append((max(v, fl), max(min(s), fl), max(max(s), fl)) if s else None)
            rows.append((w["short"], pts))
        dat = os.path.join(outdir, "blk_exits.dat")
        _write_dat(dat, rows)
        f, why = _gnuplot("blk_exits", dat, [(c["label"], c["colour"]) for c in vms],
                          "exits to user space per request (log scale, 0 drawn at 0.001; the line: 0.1, the target)",
                          "exits per request", 0.1, where, outdir, 5e-4)
        if not f:
            return files, why
        files += f
    if not files:
        return [], "no configuration has a value in this run"
    return files, None


def _self_ratio(r, w):
    m = w["speed"]
    b = r["blk"]["qemu_virtio"][w["id"]].get(m)
    s = r["samples"]["qemu_virtio"][w["id"]].get(m) or []
    return {"ratio": 1.0, "min": min(s) / b, "max": max(s) / b} if b and s else None


def summary(r):
    lines = []
    for wl in WORKLOADS:
        m = wl["speed"]
        vals = "  ".join("%s %s" % (c["id"], _fmt(r["blk"][c["id"]][wl["id"]].get(m)) or "-") for c in CONFIGS)
        rat = "  ".join("/%s %s" % (b, _rfmt(r["ratios"]["lamina_to_" + b][wl["id"]]["ratio"])
                                    if r["ratios"]["lamina_to_" + b][wl["id"]] else "-")
                        for b in ("qemu_virtio", "qemu_full", "native"))
        ue = r["blk"]["lamina"][wl["id"]].get("user_exits_per_req")
        lines.append("%-18s %s %s   lamina%s   lamina exits to user/req %s"
                     % (wl["id"], m, vals, rat, _fmt(ue) if ue is not None else "-"))
    return "\n".join(lines)
