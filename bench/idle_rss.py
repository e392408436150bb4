#!/usr/bin/python3
"""Idle memory of `wharf server` and where it goes (see bench/README.md, "idle_rss.py").

For each configuration, --starts starts on fresh data directories: spawn, wait for
GET /_wharf/health, idle --idle seconds, read /proc/<pid>/status, smaps_rollup and smaps, stop
with SIGTERM. Prints the medians, then the median start's resident memory by mapping: the
binary, each shared library, the heap, thread stacks and other anonymous memory.

  default           `wharf server` as `make run` starts it: SQLite, registry, load balancer,
                    and the local node when run as root (as root, run it with no other wharf
                    node on the machine, as task_bench.py)
  no-local-agent    the same with --no-local-agent (what api_bench.py measures)

Not a test: exits non-zero only when a measurement failed, never because the aim was missed.
The end-to-end test tests/e2e/test_idle_memory.py holds the aim with a margin.
"""
import argparse
import collections
import os
import signal
import statistics
import sys
import time

from benchlib import BenchError, run_main, Processes, free_port, wait_until, health_ok

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AIM_IDLE_RSS_MIB = 15.0
STACK_KB = 8192  # glibc's default thread stack: an anonymous mapping of this size is one


def read_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "Threads"):
                out[key] = int(value.split()[0])
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                out["Pss"] = int(line.split()[1])
    return out


def by_mapping(pid, binary):
    """kB resident per mapped file (the binary, each library), for the heap, for thread
    stacks and for the rest of anonymous memory; and the number of stacks."""
    rss = collections.Counter()
    stacks = 0
    name, size = "", 0
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if "-" in fields[0] and not fields[0].endswith(":"):
                start, end = (int(x, 16) for x in fields[0].split("-"))
                size = (end - start) // 1024
                path = fields[5] if len(fields) > 5 else ""
                if path == os.path.realpath(binary):
                    name = "wharf (the binary)"
                elif path.startswith("/"):
                    name = os.path.basename(path)
                elif path in ("[heap]", "[stack]"):
                    name = path
                elif size == STACK_KB:
                    name = "thread stacks"
                    stacks += 1
                else:
                    name = "other anonymous (malloc arenas, vdso, ...)"
            elif fields[0] == "Rss:":
                rss[name] += int(fields[1])
    return rss, stacks


def measure_once(procs, wharf, extra, idle):
    data_dir = procs.temp_dir("wharf-idle-rss-")
    port = free_port()
    log = os.path.join(data_dir, "server.log")
    proc = procs.spawn([wharf, "server", "--data-dir", data_dir, "--listen", f"127.0.0.1:{port}"] + extra, log)
    wait_until(proc, lambda: health_ok(port), log, "wharf", timeout=20)
    time.sleep(idle)
    status = read_status(proc.pid)
    mappings, stacks = by_mapping(proc.pid, wharf)
    procs.stop(proc)  # SIGTERM: the local node removes what it made
    return status, mappings, stacks


def mib(kb):
    return kb / 1024.0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    p.add_argument("--starts", type=int, default=3, help="starts per configuration (medians)")
    p.add_argument("--idle", type=float, default=1.0, help="seconds idle before reading")
    p.add_argument("--configs", default="default,no-local-agent")
    p.add_argument("--top", type=int, default=16, help="mappings shown in the breakdown")
    args = p.parse_args()
    wharf = os.path.join(args.build_dir, "wharf")
    if not os.access(wharf, os.X_OK):
        raise BenchError(f"{wharf} missing: ninja -C {args.build_dir} wharf")
    configs = {"default": [], "no-local-agent": ["--no-local-agent"]}
    root = os.geteuid() == 0

    procs = Processes()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = {}
    try:
        for name in args.configs.split(","):
            print(f"{name}: {args.starts} starts ...", flush=True)
            runs = [measure_once(procs, wharf, configs[name], args.idle) for _ in range(args.starts)]
            results[name] = runs
    finally:
        procs.cleanup()

    print(f"\nwharf server, idle {args.idle:.1f} s after ready, median of {args.starts} starts "
          f"(MiB; {os.cpu_count()} cores{'' if root else ', not root: no local node'})\n")
    print(f"{'config':<16} {'VmRSS':>7} {'anon':>7} {'file':>7} {'Pss':>7} {'threads':>8}")
    for name, runs in results.items():
        med = lambda key: statistics.median(r[0][key] for r in runs)
        print(f"{name:<16} {mib(med('VmRSS')):7.1f} {mib(med('RssAnon')):7.1f} {mib(med('RssFile')):7.1f} "
              f"{mib(med('Pss')):7.1f} {med('Threads'):8.0f}")

    for name, runs in results.items():
        status, mappings, stacks = sorted(runs, key=lambda r: r[0]["VmRSS"])[len(runs) // 2]
        print(f"\nwhere it goes: {name} (the median start, {status['VmRSS']} kB), kB resident")
        for mapping, kb in mappings.most_common(args.top):
            label = f"{mapping} ({stacks})" if mapping == "thread stacks" else mapping
            print(f"  {kb:7d}  {label}")
        rest = sum(kb for _, kb in mappings.most_common()[args.top:])
        if rest:
            print(f"  {rest:7d}  {len(mappings) - args.top} more")

    if "default" in results:
        rss = mib(statistics.median(r[0]["VmRSS"] for r in results["default"]))
        verdict = "met" if rss < AIM_IDLE_RSS_MIB else "NOT MET"
        print(f"\naim: default idle VmRSS under {AIM_IDLE_RSS_MIB:.0f} MiB   {rss:.1f} MiB   {verdict}")


if __name__ == "__main__":
    run_main(main)
