# SPDX-License-Identifier: MIT
# bench_meta.py: what the suite's report knows beforehand: its configurations, workloads, families, and the facts of the host.
import os
import platform
import subprocess
import time

# Every configuration the report has a column for, in the plots' order.
# suite.sh's run_<id> runs each; "kernel" names the guest kernel it boots.
CONFIGS = [
    {"id": "native", "label": "native", "kind": "native",
     "what": "no VM: the workloads on this machine's own kernel (the host, or in the testbed the testbed's kernel): the limit"},
    {"id": "qemu_full", "label": "full virt (QEMU PC)", "kind": "full",
     "what": "full virtualization: QEMU/KVM, PC machine (i440FX; PIT, PIC, RTC, HPET, 16550 UART, IDE disk, e1000 NIC), "
             "KVM's signature hidden (-cpu host,kvm=off: no kvmclock, no PV spinlocks, IPIs or EOI), the unpatched kernel; "
             "its console is the UART. The disk and NIC are on the machine but idle: the suite's workloads use neither "
             "(Debian's cloud kernel has no e1000 driver and its IDE driver is a module the initramfs does not load; "
             "the net part gives its guests an e1000 module built from the same source)"},
    {"id": "qemu_virtio", "label": "QEMU virtio", "kind": "pv-io",
     "what": "QEMU/KVM with virtio: the microvm machine (no PIC, PIT, RTC or UART), virtio console, KVM's PV features on"},
    {"id": "lamina", "label": "Lamina", "kind": "pv",
     "what": "Lamina, every enlightenment on (its default)"},
    {"id": "lamina_noclock", "label": "Lamina -clock", "kind": "pv-spectrum", "switch": "lamina.nopv=clock",
     "what": "Lamina without the PV clock: the TSC as clocksource"},
    {"id": "lamina_notimer", "label": "Lamina -timer", "kind": "pv-spectrum", "switch": "lamina.nopv=timer",
     "what": "Lamina without the PV timer: the local APIC timer (the same as the default where KVM offers TSC-deadline)"},
    {"id": "lamina_noidle", "label": "Lamina -idle", "kind": "pv-spectrum", "switch": "lamina.nopv=idle",
     "what": "Lamina without PV idle: hlt (the same as the default since ABI 1.4)"},
    {"id": "lamina_noipi", "label": "Lamina -IPI", "kind": "pv-spectrum", "switch": "lamina.nopv=ipi",
     "what": "Lamina without event-channel IPIs: the kernel's own vectors through the local APIC"},
    {"id": "lamina_nospinlock", "label": "Lamina -spinlock", "kind": "pv-spectrum", "switch": "lamina.nopv=spinlock",
     "what": "Lamina without PV spinlocks: native qspinlocks"},
    {"id": "lamina_nokvm", "label": "Lamina -KVM paths", "kind": "pv-spectrum", "switch": "lamina.nopv=kvm",
     "what": "Lamina without KVM's in-kernel paths: IPIs, idle and timer all by hypercall (the ABI 1.3 guest)"},
]

FAMILIES = [
    {"id": "latency", "title": "OS latencies (lmbench-style)", "ratio_to": "native"},
    {"id": "cpu", "title": "CPU-bound job", "ratio_to": "native"},
    {"id": "boot", "title": "Boot to init", "ratio_to": "qemu_full"},
    {"id": "block", "title": "Block I/O (fio)", "ratio_to": "native", "part": "blk"},
    {"id": "net", "title": "Network (iperf3, ping)", "ratio_to": None, "part": "net"},
    {"id": "exits", "title": "VM exits per operation (KVM's counters)", "ratio_to": None},
]

# The block cells are the blk part's (tools/bench blk, tests/bench/blk.sh,
# tools/bench_blk.py): fio in one VM per configuration on one image file.
BLK_NOT_RUN = ("not run in this run: the blk part (tools/bench blk) measures the disk, "
               "in blk.json and in this report when it runs with the suite")
BLK_NOT_THERE = ("not measured: the blk part runs Lamina with every enlightenment on only; the lamina.nopv "
                 "switches change CPU-side paths (clock, timer, idle, IPIs, spinlocks), not the PV disk's")
# The network is the net part's (tools/bench net, tests/bench/net.sh,
# tools/bench_net.py): two VMs per configuration, not the suite's one.
NET_NOT_RUN = ("not run in this run: the net part (tools/bench net) measures the network, "
               "in net.json and in this report when it runs with the suite")

# lat.c's workloads (same ids), boot, and the block cells (from the blk part:
# "blk" names its workload and metric).
WORKLOADS = [
    {"id": "null_syscall_ns", "family": "latency", "unit": "ns", "label": "null syscall",
     "what": "getppid() through syscall(2)"},
    {"id": "ctxsw_us", "family": "latency", "unit": "us", "label": "context switch", "short": "ctx switch",
     "what": "one switch: a pipe round trip on one CPU, less the work of one process, halved"},
    {"id": "fork_exit_us", "family": "latency", "unit": "us", "label": "fork+exit",
     "what": "fork, the child exits, the parent waits"},
    {"id": "page_fault_ns", "family": "latency", "unit": "ns", "label": "page fault",
     "what": "the first write to a page of fresh anonymous memory"},
    {"id": "pipe_rtt_us", "family": "latency", "unit": "us", "label": "pipe round trip", "short": "pipe RTT",
     "what": "one byte there and back between two processes"},
    {"id": "unix_rtt_us", "family": "latency", "unit": "us", "label": "UNIX socket round trip", "short": "UNIX RTT",
     "what": "the same over a UNIX stream socket pair"},
    {"id": "cpu_job_ms", "family": "cpu", "unit": "ms", "label": "LZ77 compression of 1 MiB", "short": "LZ77 1 MiB",
     "what": "compress 1 MiB of fixed text (pure user-space work)"},
    {"id": "boot_to_init", "family": "boot", "unit": "ms", "label": "boot to init",
     "what": "from starting the VMM to init's first line on the console"},
    {"id": "fio_randread_4k_iops", "family": "block", "unit": "IOPS", "label": "fio 4k random read",
     "short": "4k rand read QD32", "what": "fio, 4 KiB random reads, queue depth 32 (the blk part's randread_4k_qd32)",
     "blk": ["randread_4k_qd32", "iops"]},
    {"id": "fio_seqwrite_1m_mbs", "family": "block", "unit": "MB/s", "label": "fio 1M sequential write",
     "short": "1M seq write", "what": "fio, 1 MiB sequential writes, queue depth 8 (the blk part's seqwrite_1m)",
     "blk": ["seqwrite_1m", "mbs"]},
]


def _cmd(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def _cpu_model():
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def host_facts(top, payload, where, size, rounds, scale):
    """The facts a reader needs to judge the numbers: where they ran, on what."""
    mode = where.split(":", 1)[0] if where else "?"
    full = _read(os.path.join(payload, "guest", "vmlinuz-full.version")) if payload else ""
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": platform.node(),
        "host_kernel": " ".join(platform.uname()[2:4]),
        "host_cpu": _cpu_model(),
        "host_cpus": os.cpu_count(),
        "where": mode,
        "where_detail": where,
        "testbed_note": ("every VM ran inside the emulated testbed (QEMU TCG with nested SVM, about 20x slower "
                         "than native); 'native' is the testbed's own kernel (%s)" % (full or "Debian cloud")
                         if mode == "testbed" else "guests ran directly on this host's KVM"),
        "qemu": _cmd(["qemu-system-x86_64", "--version"]).splitlines()[0:1] or ["?"],
        "lamina": _cmd(["git", "-C", top, "describe", "--always", "--dirty", "--tags"]) or "?",
        "lamina_abi": _abi_version(top),
        "size": size,
        "rounds": int(rounds) if rounds else None,
        "scale": float(scale) if scale else None,
        "load_average": _read("/proc/loadavg"),
    }


def _abi_version(top):
    v = {}
    for line in _read(os.path.join(top, "abi", "lamina", "version.h")).splitlines():
        w = line.split()
        if len(w) >= 3 and w[0] == "#define" and w[1] in ("LAMINA_ABI_MAJOR", "LAMINA_ABI_MINOR"):
            v[w[1]] = w[2].rstrip("uU")
    return "%s.%s" % (v["LAMINA_ABI_MAJOR"], v["LAMINA_ABI_MINOR"]) if len(v) == 2 else None


def config_table(payload, chosen):
    """CONFIGS with the kernel each booted and whether this run measured it."""
    plain = payload and os.path.exists(os.path.join(payload, "guest", "bzImage-plain"))
    full = (_read(os.path.join(payload, "guest", "vmlinuz-full.version")) if payload else "") or "Debian's cloud kernel"
    kernels = {
        "native": "the machine's own",
        "qemu_full": "unpatched Linux 6.12: %s" % full.split(" busybox")[0],
        "qemu_virtio": ("unpatched Linux 6.12 from linux-source-6.12, the plain config (tools/build-guest --plain)"
                        if plain else "unpatched Linux 6.12: %s, virtio-pci console on microvm's PCIe "
                        "(the plain kernel was not cached; tools/build-guest --plain builds it, about an hour)"
                        % full.split(" busybox")[0]),
    }
    out = []
    for c in CONFIGS:
        d = dict(c)
        d["kernel"] = kernels.get(c["id"], "Lamina's Linux 6.12 guest (linux-source-6.12 + guest-patches)")
        d["measured"] = c["id"] in chosen
        d["reason"] = None if d["measured"] else "not run: left out of this run's --configs"
        out.append(d)
    return out
