# SPDX-License-Identifier: MIT
# bench_md.py: the suite's report as Markdown (report.md) and its short summary for the terminal.
import bench_blk
import bench_net

INVARIANCE = (
    "**Times depend on the machine; exit counts do not.** A time here is only "
    "as good as the machine it ran on: another CPU, another load, or the "
    "emulated testbed (about 20 times slower than native) changes every "
    "number, which is why each is also given as a ratio to a baseline measured "
    "in the same run, round by round. How many VM exits an operation causes, "
    "and for which reason, is decided by what the guest kernel does and what "
    "the hypervisor intercepts, not by how fast the CPU is: the same "
    "configuration gives about the same counts on any machine, natively or in "
    "the testbed (timer and interrupt exits aside, which follow wall-clock time).")


def _fmt(x):
    if x is None:
        return ""
    if x >= 100:
        return "%.0f" % x
    if x >= 10:
        return "%.1f" % x
    return "%.3g" % x


class Notes:
    """Numbered footnotes: every empty cell points at its written reason."""

    def __init__(self):
        self.items = []

    def ref(self, text):
        if text not in self.items:
            self.items.append(text)
        return "[%d]" % (self.items.index(text) + 1)

    def render(self):
        return "".join("%d. %s\n" % (i + 1, t) for i, t in enumerate(self.items))


def _value_table(report, family, notes):
    cfgs = report["configurations"]
    wls = [w for w in report["workloads"] if w["family"] == family]
    base = next(f for f in report["families"] if f["id"] == family)["ratio_to"]
    lines = ["| workload | " + " | ".join(c["label"] for c in cfgs) + " |",
             "|---|" + "---|" * len(cfgs)]
    for w in wls:
        cells = []
        for c in cfgs:
            cell = report["cells"][w["id"]][c["id"]]
            if cell["median"] is None:
                cells.append("— " + notes.ref(cell["reason"]))
                continue
            t = "%s %s" % (_fmt(cell["median"]), w["unit"])
            if len(cell["samples"]) > 1:
                t += " (%s–%s)" % (_fmt(cell["min"]), _fmt(cell["max"]))
            r = cell.get("ratio_to_native" if base == "native" else "ratio_to_full")
            if r is not None and c["id"] != base:
                t += "<br>**%.2fx**" % r
            if cell.get("ratio_to_full") is not None and base == "native" and c["id"] not in ("qemu_full", "native"):
                t += " / %.2fx full" % cell["ratio_to_full"]
            cells.append(t)
        lines.append("| %s | %s |" % (w["label"], " | ".join(cells)))
    return "\n".join(lines) + "\n"


MAIN_REASONS = ["io_exits", "mmio_exits", "halt_exits", "irq_exits", "irq_window_exits",
                "nmi_window_exits", "signal_exits", "request_irq_exits", "hypercalls",
                "unclassified_exits"]


def _exit_text(e):
    k = e["kvm_per_op"]
    parts = ["**%s**" % _fmt(k.get("exits", 0.0))]
    by = sorted(((k.get(r, 0.0), r) for r in MAIN_REASONS if k.get(r, 0.0) >= 0.005), reverse=True)
    if by:
        parts.append("(" + ", ".join("%s %s" % (r.replace("_exits", "").replace("unclassified", "other"), _fmt(v)) for v, r in by[:3]) + ")")
    u = e.get("user_per_op")
    if u and "total" in u:
        parts.append("<br>to user space %s" % _fmt(u["total"]))
    return " ".join(parts)


def _exit_table(report, notes):
    cfgs = [c for c in report["configurations"]]
    lines = ["| workload | " + " | ".join(c["label"] for c in cfgs) + " |",
             "|---|" + "---|" * len(cfgs)]
    for wid, row in report["exits"].items():
        label = next(w["label"] for w in report["workloads"] if w["id"] == wid)
        cells = []
        for c in cfgs:
            e = row[c["id"]]
            cells.append(_exit_text(e) if e.get("kvm_per_op") else "— " + notes.ref(e["reason"]))
        lines.append("| %s | %s |" % (label, " | ".join(cells)))
    return "\n".join(lines) + "\n"


def _meta(report):
    m = report["meta"]
    rows = [("date (UTC)", m["date"]), ("where", "%s: %s" % (m["where"], m["testbed_note"])),
            ("host", "%s, %s, %s CPUs: %s" % (m["host"], m["host_kernel"], m["host_cpus"], m["host_cpu"])),
            ("load average at the end", m["load_average"]),
            ("QEMU", " ".join(m["qemu"])), ("Lamina", "%s (ABI %s)" % (m["lamina"], m["lamina_abi"])),
            ("size", "%s: %s round(s), batch scale %s" % (m["size"], m["rounds"], m["scale"]))]
    return "| | |\n|---|---|\n" + "".join("| %s | %s |\n" % r for r in rows)


def _configs(report):
    out = ["| configuration | what | guest kernel | switch |", "|---|---|---|---|"]
    for c in report["configurations"]:
        what = c["what"] + ("" if c["measured"] else " — **%s**" % c["reason"])
        out.append("| %s | %s | %s | %s |" % (c["label"], what, c["kernel"], c.get("switch", "")))
    return "\n".join(out) + "\n"


def _plot(report, fam):
    p = report["plots"].get(fam)
    if not p:
        return ""
    if p["files"]:
        pngs = [f for f in p["files"] if f.endswith(".png")] or p["files"][:1]
        return "".join("\n[![%s](%s)](%s)\n" % (fam, png, png[:-4] + ".svg" if png[:-4] + ".svg" in p["files"] else png)
                       for png in pngs)
    return "\nNo chart: %s.\n" % p["reason"]


def render(report):
    notes = Notes()
    out = ["# Lamina benchmark report\n", _meta(report), "", INVARIANCE, "",
           "Each value is the median over rounds (each round's value itself the median of "
           "5 batches inside the guest; report.json keeps them all), the range in brackets is "
           "the spread over rounds, the bold ratio is to native (to full virtualization for "
           "boot), and \"/ Nx full\" the ratio to full virtualization. An empty cell says why "
           "in the notes at the end.\n", "## Configurations\n", _configs(report)]
    for fam in report["families"]:
        out.append("## %s\n" % fam["title"])
        if fam["id"] == "net":
            if report.get("net_part"):
                out.append(bench_net.render(report["net_part"], notes))
            else:
                out.append("Not measured in this run: %s.\n" % report["plots"]["net"]["reason"])
        elif fam["id"] == "block":
            out.append(_value_table(report, "block", notes))
            if report.get("blk_part"):
                out.append("\nThe blk part (tools/bench blk, blk.json), every workload:\n")
                out.append(bench_blk.render(report["blk_part"], notes))
        elif fam["id"] == "exits":
            out.append("KVM's exit counters (debugfs, the same files for QEMU's VMs and Lamina's) "
                       "over one extra batch of each workload, less an empty batch's, per operation; "
                       "in brackets the largest reasons (\"other\": exits KVM's counters give no reason "
                       "for, such as MSR writes and nested page faults); for Lamina also the exits that reached "
                       "lamina-hv's user space (lamina-hv --stats-marker).\n")
            out.append(_exit_table(report, notes))
        else:
            out.append(_value_table(report, fam["id"], notes))
        out.append(_plot(report, fam["id"]))
    out += ["## Notes\n", notes.render()]
    return "\n".join(out)


def summary(report):
    """A few lines for the terminal: each configuration's ratio to native per latency."""
    lines = []
    for w in report["workloads"]:
        if w["family"] not in ("latency", "cpu", "boot"):
            continue
        base = "ratio_to_full" if w["family"] == "boot" else "ratio_to_native"
        row = report["cells"][w["id"]]
        vals = ["%s %s" % (c["id"], "%.2fx" % row[c["id"]][base] if row[c["id"]].get(base) is not None else "-")
                for c in report["configurations"] if c["id"] != "native"]
        lines.append("%-24s %s" % (w["label"], "  ".join(vals)))
    return "\n".join(lines)
