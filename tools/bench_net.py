# SPDX-License-Identifier: MIT
# bench_net.py: the net part's results from tests/bench/net.sh's "@N" lines: net.json (keys net.<config>.<workload>), its Markdown and its charts.
import os
import shutil
import subprocess

CONFIGS = [
    {"id": "lamina", "label": "Lamina PV net", "colour": "#1f77b4",
     "what": "Lamina: lamina-hvd, the PV network front-end in Lamina's guest kernel, one lamina-netback per "
             "domain on a TAP (--tap) of the host bridge"},
    {"id": "qemu_virtio", "label": "QEMU virtio-net + vhost-net", "colour": "#ff7f0e",
     "what": "QEMU/KVM microvm, virtio-net on a TAP of the host bridge with vhost=on (the data path in the "
             "host kernel: QEMU's best setting), KVM's PV features on"},
    {"id": "qemu_full", "label": "QEMU e1000 (full virt)", "colour": "#d62728",
     "what": "QEMU/KVM PC machine (-cpu host,kvm=off), an emulated Intel e1000 on a TAP of the host bridge "
             "(every register access an exit to QEMU)"},
]

# Workloads: each run from guest a; "peer" is the host (10.0.9.1) or guest b.
WORKLOADS = [
    {"id": "g2h_tcp1", "short": "g2h TCP x1", "kind": "tcp", "label": "guest to host, TCP 1 stream", "streams": 1},
    {"id": "g2h_tcp4", "short": "g2h TCP x4", "kind": "tcp", "label": "guest to host, TCP 4 streams", "streams": 4},
    {"id": "g2h_ping", "short": "g2h ping", "kind": "ping", "label": "guest to host, ping"},
    {"id": "g2g_tcp1", "short": "g2g TCP x1", "kind": "tcp", "label": "guest to guest, TCP 1 stream", "streams": 1},
    {"id": "g2g_tcp4", "short": "g2g TCP x4", "kind": "tcp", "label": "guest to guest, TCP 4 streams", "streams": 4},
    {"id": "g2g_ping", "short": "g2g ping", "kind": "ping", "label": "guest to guest, ping"},
]

# The metrics of each kind of workload: key suffix, unit, what.
TCP_METRICS = [
    ("gbits", "Gbit/s", "iperf3 TCP throughput, the receiver's count"),
    ("cpu_s_per_gb", "CPU s/GB", "host CPU seconds (user + system, guest time included) of the VM processes and "
                                 "back-ends per GB (1e9 bytes) moved"),
    ("host_cpu_s_per_gb", "CPU s/GB", "the whole host's busy CPU seconds (/proc/stat) per GB: also the host's iperf3, "
                                      "softirqs elsewhere, and anything else running"),
    ("user_exits_per_mb", "exits/MB", "exits to the VMM's user space per MB (1e6 bytes): Lamina's own count "
                                      "(lamina-hvd stats); for QEMU KVM's io_exits + mmio_exits (MMIO counted "
                                      "only when it reaches QEMU, port I/O whether KVM or QEMU serves it: an upper bound)"),
    ("kvm_exits_per_mb", "exits/MB", "every VM exit per MB (KVM's exits counter)"),
]
PING_METRICS = [("us", "us", "median ICMP echo round trip (busybox ping, 0.05 s apart, after 3 to warm up)")]

# Targets (issue 14): speed ratios of Lamina to each baseline, measured in the same run.
GOALS = [
    ("qemu_virtio", "tcp", 1.0, "Lamina / virtio-net >= 1.0 in throughput"),
    ("qemu_virtio", "ping", 1.0, "Lamina / virtio-net >= 1.0 in latency (round trip: virtio's time / Lamina's)"),
    ("qemu_full", "tcp", 5.0, "Lamina / e1000 >= 5 in throughput"),
]


def keys_of(wl):
    ms = TCP_METRICS if wl["kind"] == "tcp" else PING_METRICS
    return ["%s_%s" % (wl["id"], m[0]) for m in ms]


ALL_KEYS = [k for wl in WORKLOADS for k in keys_of(wl)]


def _kv(words):
    out = {}
    for w in words:
        k, sep, v = w.partition("=")
        if sep:
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return out


def _median(xs):
    s = sorted(xs)
    n = len(s)
    if not n:
        return None
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def read_log(path):
    """{config: {round: {"info": {...}, "fail": str|None, "wl": {wid: {"b", "res", "a"}}}}}"""
    runs = {}
    with open(path, errors="replace") as f:
        for raw in f:
            w = raw.strip("\r\n").split(" ")
            if len(w) < 4 or w[0] != "@N":
                continue
            cfg, rnd, tag = w[1], w[2], w[3]
            try:
                rnd = int(rnd)
            except ValueError:
                continue
            r = runs.setdefault(cfg, {}).setdefault(rnd, {"info": {}, "guests": {}, "fail": None, "wl": {}})
            if tag == "FAIL":
                r["fail"] = " ".join(w[4:])
            elif tag == "INFO":
                kv = _kv(w[4:])
                if "guest" in kv:
                    r["guests"][kv.pop("guest")] = kv
                else:
                    r["info"].update(kv)
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


def round_values(cfg, wl, d):
    """The metrics of one workload in one round, or (None, why)."""
    res = d.get("res_kv")
    if not res:
        return None, "the guest's answer: %s" % (d.get("res") or "none")
    if wl["kind"] == "ping":
        return {"us": res.get("med_us")}, None
    by = res.get("bytes")
    if not by:
        return None, "iperf3 reported no bytes"
    out = {"gbits": res.get("bps", 0) / 1e9}
    hz = d.get("a", {}).get("hz") or 100
    cpu = _delta(d, "cpu_ticks")
    if cpu is not None:
        out["cpu_s_per_gb"] = cpu / hz / (by / 1e9)
    busy = _delta(d, "sys_busy")
    if busy is not None:
        out["host_cpu_s_per_gb"] = busy / hz / (by / 1e9)
    if cfg == "lamina":
        ue = _delta(d, "hv_total")
    else:
        io, mm = _delta(d, "kvm_io_exits"), _delta(d, "kvm_mmio_exits")
        ue = None if io is None or mm is None else io + mm
    if ue is not None:
        out["user_exits_per_mb"] = ue / (by / 1e6)
    ke = _delta(d, "kvm_exits")
    if ke is not None:
        out["kvm_exits_per_mb"] = ke / (by / 1e6)
    return out, None


def build(log, chosen, meta):
    runs = read_log(log)
    net, samples, reasons, detail, cfgs = {}, {}, {}, {}, {}
    for c in CONFIGS:
        cid = c["id"]
        rs = runs.get(cid, {})
        net[cid], samples[cid], reasons[cid] = {}, {}, {}
        detail[cid] = [{"round": n, "info": rs[n]["info"], "guests": rs[n]["guests"], "fail": rs[n]["fail"],
                        "workloads": rs[n]["wl"]} for n in sorted(rs)]
        first = next((rs[n] for n in sorted(rs) if not rs[n]["fail"]), None)
        cfgs[cid] = dict(c, measured=cid in chosen,
                         driver=(first or {}).get("guests", {}).get("a", {}).get("driver"),
                         vhost=(first or {}).get("info", {}).get("vhost"))
        for wl in WORKLOADS:
            why = None
            for n in sorted(rs):
                r = rs[n]
                if r["fail"]:
                    why = why or "the measurement failed: " + r["fail"]
                    continue
                d = r["wl"].get(wl["id"])
                if not d:
                    why = why or "round %d has no %s" % (n, wl["id"])
                    continue
                vals, w = round_values(cid, wl, d)
                if vals is None:
                    why = why or "round %d: %s" % (n, w)
                    continue
                for m, v in vals.items():
                    if v is not None:
                        samples[cid].setdefault("%s_%s" % (wl["id"], m), []).append(v)
            for k in keys_of(wl):
                s = samples[cid].get(k)
                net[cid][k] = _median(s) if s else None
                if not s:
                    reasons[cid][k] = (why if cid in chosen and why else
                                       "not run: left out of this run's --configs" if cid not in chosen else
                                       "no sample: the run printed none (see net.log)")
    ratios = {}
    for base in ("qemu_virtio", "qemu_full"):
        rr = ratios["lamina_to_" + base] = {}
        for wl in WORKLOADS:
            k = keys_of(wl)[0]
            lv, bv = net["lamina"].get(k), net[base].get(k)
            if lv and bv:
                rr[k] = lv / bv if wl["kind"] == "tcp" else bv / lv
            else:
                rr[k] = None
    goals = []
    for base, kind, goal, what in GOALS:
        for wl in WORKLOADS:
            if wl["kind"] != kind:
                continue
            k = keys_of(wl)[0]
            r = ratios["lamina_to_" + base][k]
            goals.append({"goal": what, "key": k, "ratio": r, "target": goal,
                          "met": None if r is None else r >= goal})
    return {"schema": "lamina-bench-net/1", "meta": meta, "configurations": cfgs,
            "workloads": WORKLOADS, "metrics": {"tcp": TCP_METRICS, "ping": PING_METRICS},
            "net": net, "reasons": reasons, "samples": samples, "ratios": ratios, "goals": goals,
            "rounds": detail}


def _fmt(x):
    if x is None:
        return ""
    if x >= 100:
        return "%.0f" % x
    if x >= 10:
        return "%.1f" % x
    return "%.3g" % x


def render(r, notes=None):
    """The net part as Markdown (a section of report.md, or net.md)."""
    own = notes is None
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
    out = ["Two VMs of each configuration (%s vCPU, %s MiB each) with one NIC each on a TAP of one host "
           "bridge; guest a runs iperf3 (%s s a test) and ping (%s, 0.05 s apart) to the host and to guest b. "
           "Each value is the median over %s round(s). Speed ratios: throughput Lamina / baseline, "
           "round trip baseline / Lamina (above 1: Lamina is faster).\n"
           % (m.get("vcpus", "?"), m.get("mem_mib", "?"), m.get("secs", "?"), m.get("pings", "?"),
              m.get("rounds", "?"))]
    head = "| workload | " + " | ".join(labels[c] for c in cf) + " | Lamina / virtio-net | Lamina / e1000 |"
    out += [head, "|---|" + "---|" * (len(cf) + 2)]
    for wl in WORKLOADS:
        k = keys_of(wl)[0]
        unit = "Gbit/s" if wl["kind"] == "tcp" else "us"
        cells = []
        for c in cf:
            v = r["net"][c][k]
            if v is None:
                cells.append("— " + ref(r["reasons"][c][k]))
                continue
            s = r["samples"][c][k]
            t = "%s %s" % (_fmt(v), unit)
            if len(s) > 1:
                t += " (%s–%s)" % (_fmt(min(s)), _fmt(max(s)))
            cells.append(t)
        for base in ("qemu_virtio", "qemu_full"):
            x = r["ratios"]["lamina_to_" + base][k]
            cells.append("**%.2fx**" % x if x is not None else "")
        out.append("| %s | %s |" % (wl["label"], " | ".join(cells)))
    out.append("")
    out.append("Cost per byte moved (medians over rounds; CPU: the VM processes and back-ends, guest time "
               "included; whole host: /proc/stat; exits to user space: Lamina's own count, for QEMU KVM's "
               "io_exits + mmio_exits, an upper bound):\n")
    out += ["| workload | metric | " + " | ".join(labels[c] for c in cf) + " |", "|---|---|" + "---|" * len(cf)]
    for wl in WORKLOADS:
        if wl["kind"] != "tcp":
            continue
        for suf, unit, _ in TCP_METRICS[1:]:
            k = "%s_%s" % (wl["id"], suf)
            cells = [("%s" % _fmt(r["net"][c][k])) if r["net"][c][k] is not None else "—" for c in cf]
            out.append("| %s | %s (%s) | %s |" % (wl["label"], suf.replace("_", " "), unit, " | ".join(cells)))
    out.append("")
    out.append("Goals (issue 14), each against the baseline measured in the same run:\n")
    out += ["| goal | workload | ratio | met |", "|---|---|---|---|"]
    for g in r["goals"]:
        out.append("| %s | %s | %s | %s |" % (g["goal"], g["key"], "%.2fx" % g["ratio"] if g["ratio"] is not None else "—",
                                             {True: "yes", False: "**no**", None: "not measured"}[g["met"]]))
    out.append("")
    drv = ", ".join("%s: %s%s" % (labels[c], r["configurations"][c].get("driver") or "?",
                                   " (vhost=%s)" % r["configurations"][c]["vhost"] if r["configurations"][c].get("vhost") else "")
                    for c in cf if r["configurations"][c]["measured"])
    if drv:
        out.append("Guest NIC drivers seen: %s.\n" % drv)
    if own and items:
        out.append("Notes:\n")
        out += ["- [n%d] %s" % (i + 1, t) for i, t in enumerate(items)]
        out.append("")
    return "\n".join(out) + "\n"


def draw(r, outdir):
    """plots/net.{svg,png} (throughput) and plots/net_ping.{svg,png}: (files, reason)."""
    if not shutil.which("gnuplot"):
        return [], "gnuplot is not installed (make deps installs gnuplot-nox)"
    files = []
    for name, kind, title, ylabel in (
            ("net", "tcp", "iperf3 TCP throughput (higher is better)", "Gbit/s"),
            ("net_ping", "ping", "ping round trip, median (lower is better)", "us")):
        wls = [w for w in WORKLOADS if w["kind"] == kind]
        cfgs = [c for c in CONFIGS if any(r["net"][c["id"]][keys_of(w)[0]] is not None for w in wls)]
        if not cfgs:
            return [], "no configuration has a value in this run"
        dat = os.path.join(outdir, name + ".dat")
        with open(dat, "w") as f:
            for w in wls:
                k = keys_of(w)[0]
                cols = []
                for c in cfgs:
                    s = r["samples"][c["id"]].get(k)
                    cols += ["%.6g" % x for x in (r["net"][c["id"]][k], min(s), max(s))] if s else ["NaN"] * 3
                f.write('"%s" %s\n' % (w["short"], " ".join(cols)))
        where = "%s, %s; spread: min to max over %s round(s)" % (r["meta"].get("where"), r["meta"].get("date"),
                                                                r["meta"].get("rounds"))
        for ext, term in (("svg", "svg size 1000,480 dynamic enhanced font 'sans,11'"),
                          ("png", "pngcairo size 1000,480 enhanced font 'sans,10'")):
            out = os.path.join(outdir, "%s.%s" % (name, ext))
            lines = ["'%s' using %d:%d:%d:xtic(1) title '%s' lc rgb '%s'" % (dat, 2 + 3 * j, 3 + 3 * j, 4 + 3 * j,
                                                                            c["label"], c["colour"])
                     for j, c in enumerate(cfgs)]
            gp = "\n".join([
                "set terminal %s" % term, "set output '%s'" % out,
                'set title "Network: %s\\n{/*0.8 %s; g2h: guest to host, g2g: guest to guest}"' % (title, where), "set ylabel '%s'" % ylabel,
                "set style data histograms", "set style histogram errorbars gap 2 lw 1",
                "set style fill solid 0.85 border -1", "set boxwidth 0.9", "set yrange [0:*]", "set grid ytics",
                "set key outside right top vertical noenhanced", "set xtics noenhanced font ',10'",
                "plot " + ", \\\n     ".join(lines), ""])
            p = subprocess.run(["gnuplot"], input=gp, capture_output=True, text=True)
            if p.returncode != 0 or not os.path.exists(out) or not os.path.getsize(out):
                return [], "gnuplot failed: " + (p.stderr.strip().splitlines() or ["?"])[-1]
            files.append(os.path.join("plots", os.path.basename(out)))
    return files, None


def summary(r):
    lines = []
    for wl in WORKLOADS:
        k = keys_of(wl)[0]
        vals = "  ".join("%s %s" % (c["id"], _fmt(r["net"][c["id"]][k]) or "-") for c in CONFIGS)
        rat = "  ".join("/%s %s" % (b, "%.2fx" % r["ratios"]["lamina_to_" + b][k]
                                    if r["ratios"]["lamina_to_" + b][k] is not None else "-")
                        for b in ("qemu_virtio", "qemu_full"))
        lines.append("%-32s %s   lamina%s" % (k, vals, rat))
    return "\n".join(lines)
