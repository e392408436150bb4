#!/usr/bin/python3
"""What the per-container monitor itself costs on the path of a container's start: from the
agent's spawn of the monitor to the exec of its OCI runtime, and to the monitor's report.

wharf-monitor (beside --build-dir's wharf) and Debian's conmon (as wharf launched it before
wharf-monitor) are each launched with a stub runtime in place of runc: a static C program,
compiled here, that writes the CLOCK_MONOTONIC time of its start to a file and fails the way
runc does (a message on stderr, exit 1), so each monitor reports that failure on its sync pipe.
Rounds alternate between the two and the stub spawned alone (the baseline: what spawning any
program costs this script). No container, namespace or cgroup is made; needs no root.

  bench/monitor_start_bench.py [--build-dir build] [--rounds 50]

Not a test: exits non-zero only when a measurement failed.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

STUB = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  FILE* f = fopen(getenv("STUB_OUT"), "w");
  fprintf(f, "%lld\n", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
  fclose(f);
  fputs("time=\"x\" level=error msg=\"stub runtime: no container\"\n", stderr);
  return 1;
}
"""


def build_stub(work):
    src, out = os.path.join(work, "stub.c"), os.path.join(work, "stub-runtime")
    with open(src, "w") as f:
        f.write(STUB)
    subprocess.run(["cc", "-O2", "-static", "-o", out, src], check=True)
    return out


def conmon_argv(conmon, stub, work, cid):
    # As agent/runtime/conmon_runtime.cc ran it (main before wharf-monitor).
    persist = os.path.join(work, "containers", cid)
    return [conmon, "--api-version", "1", "-c", cid, "-u", cid, "-n", cid, "-r", stub,
            "-b", work, "-p", os.path.join(work, "pidfile"), "--exit-dir", os.path.join(work, "exits"),
            "--persist-dir", persist, "--socket-dir-path", os.path.join(work, "sockets"),
            "--conmon-pidfile", os.path.join(persist, "conmon.pid"), "-l",
            "k8s-file:" + os.path.join(work, cid + ".log"), "--log-level", "error", "--no-sync-log",
            "--runtime-arg", "--root=" + os.path.join(work, "runc")]


def monitor_argv(monitor, stub, work, cid):
    return [monitor, "--runtime", stub, "--root", os.path.join(work, "runc"), "--bundle", work,
            "--pid-file", os.path.join(work, "pidfile"), "--exit-dir", os.path.join(work, "exits"),
            "--persist-dir", os.path.join(work, "containers", cid), "--log", os.path.join(work, cid + ".log"),
            "--sync-fd", "3", cid]


def stub_argv(_, stub, work, cid):
    # The baseline: the stub spawned directly, what starting any program costs this script.
    return [stub]


def one(argv, env, work, cid):
    """(ms from spawn to the runtime's start, ms from spawn to the report's end)."""
    os.makedirs(os.path.join(work, "containers", cid))
    stamp = os.path.join(work, "stamp")
    r, w = os.pipe()
    env = dict(env, STUB_OUT=stamp)

    def child_fds():
        os.dup2(w, 3)

    t0 = time.monotonic_ns()
    p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, preexec_fn=child_fds, close_fds=False)
    os.close(w)
    report = b""
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        report += chunk
        if b"\n" in report and b"message" in report:  # conmon's one JSON line
            break
    t1 = time.monotonic_ns()
    os.close(r)
    p.wait()
    with open(stamp) as f:
        runtime_start = int(f.read())
    os.unlink(stamp)
    if argv[0] != argv[-1] and b"stub runtime" not in report:
        raise RuntimeError(f"{argv[0]}: unexpected report {report!r}")
    return (runtime_start - t0) / 1e6, (t1 - t0) / 1e6


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    p.add_argument("--rounds", type=int, default=50)
    args = p.parse_args()
    monitor = os.path.join(os.path.abspath(args.build_dir), "wharf-monitor")
    conmon = shutil.which("conmon")
    peers = [("(stub alone)", None, stub_argv), ("wharf-monitor", monitor, monitor_argv)] + ([("conmon", conmon, conmon_argv)] if conmon else [])
    work = tempfile.mkdtemp(prefix="wharf-monitor-bench-")
    try:
        stub = build_stub(work)
        for d in ("exits", "sockets", "runc", "containers"):
            os.makedirs(os.path.join(work, d))
        env = {k: v for k, v in os.environ.items() if not k.startswith("_OCI_")}
        results = {name: [] for name, _, _ in peers}
        load = os.getloadavg()[0]
        for i in range(args.rounds + 1):
            for name, binary, make in peers:
                cid = f"{name.strip('()').split()[0]}-{i}"
                envp = dict(env, _OCI_SYNCPIPE="3") if name == "conmon" else env
                m = one(make(binary, stub, work, cid), envp, work, cid)
                if i > 0:  # the first round warms the page cache
                    results[name].append(m)
        print(f"{args.rounds} rounds each, alternating, 1-minute load average before: {load:.2f}\n")
        print(f"{'ms, median (p90)':<16}{'spawn -> runtime exec':>26}{'spawn -> report':>20}")
        for name, rows in results.items():
            a = sorted(x[0] for x in rows)
            b = sorted(x[1] for x in rows)
            p90 = lambda v: v[int(len(v) * 0.9)]
            print(f"{name:<16}{statistics.median(a):>17.2f} ({p90(a):5.2f}){statistics.median(b):>12.2f} ({p90(b):5.2f})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
