"""What the benchmarks share: process bookkeeping with cleanup, readiness waits, CPU
accounting from /proc, and wrk runs that fail loudly on any error answer."""
import argparse
import configparser
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

WRK = "/usr/bin/wrk"


class BenchError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Everything the benchmark starts, so that `finally` can take it all down."""

    def __init__(self):
        self.procs = []
        self.dirs = []

    def temp_dir(self, prefix):
        d = tempfile.mkdtemp(prefix=prefix)
        self.dirs.append(d)
        return d

    def spawn(self, argv, log_path, **kwargs):
        with open(log_path, "ab") as log:
            # A process group of its own: Ctrl-C in the terminal reaches only this script,
            # which then stops each child itself (nginx must see SIGTERM on its master).
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                    start_new_session=True, **kwargs)
        self.procs.append(proc)
        return proc

    def stop(self, proc):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # its own group: itself and its workers
                except ProcessLookupError:
                    pass
                proc.wait()
        if proc in self.procs:
            self.procs.remove(proc)

    def cleanup(self):
        for proc in list(self.procs):
            self.stop(proc)
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)
        self.dirs = []


def health_ok(port):
    """One GET /_wharf/health on a fresh connection; True if it answered 200."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET /_wharf/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return s.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def read_log(path, tail=2000):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")[-tail:]
    except OSError:
        return ""


def wait_until(proc, ready, log_path, what, timeout=10.0, poll_interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"{what} exited with {proc.returncode}:\n{read_log(log_path)}")
        time.sleep(poll_interval)
    raise BenchError(f"{what} not ready after {timeout:.0f} s:\n{read_log(log_path)}")


def cpu_seconds(pid):
    """utime + stime of one process (all its threads) so far; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds():
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat. Busy includes
    irq and softirq: loopback TCP is processed there, and (without IRQ time accounting) that
    time is charged to the process it interrupted too, so both sides of the sum count it."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:9]]
    hz = os.sysconf("SC_CLK_TCK")
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(port, connections, duration, script=None, timeout=None):
    """One wrk run; returns (requests/s, p50 ms, p99 ms, requests). Fails on any non-2xx
    answer or socket error, either of which makes the numbers meaningless. `timeout`: seconds
    before wrk counts a request as an error (wrk's default is 2)."""
    argv = [WRK, "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    if timeout:
        argv.append(f"--timeout={timeout}s")
    if script:
        argv += ["-s", script]
    argv.append(f"http://127.0.0.1:{port}/")
    p = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60 + (timeout or 0))
    out = p.stdout
    if p.returncode != 0:
        raise BenchError(f"wrk failed ({p.returncode}): {p.stderr}{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    if non2xx:
        raise BenchError(f"{non2xx.group(1)} non-2xx responses from port {port}:\n{out}")
    errors = re.search(r"Socket errors:.*", out)
    if errors:
        raise BenchError(f"wrk socket errors against port {port} ({errors.group(0)}):\n{out}")
    rps = re.search(r"Requests/sec:\s*([0-9.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    p50 = re.search(r"^\s*50%\s+([0-9.]+)(us|ms|s|m)\s*$", out, re.M)
    p99 = re.search(r"^\s*99%\s+([0-9.]+)(us|ms|s|m)\s*$", out, re.M)
    if not (rps and total and p50 and p99):
        raise BenchError(f"cannot read wrk output:\n{out}")
    return float(rps.group(1)), to_ms(*p50.groups()), to_ms(*p99.groups()), int(total.group(1))


def read_credentials(data_dir):
    cp = configparser.ConfigParser()
    cp.read(os.path.join(data_dir, "credentials"))
    return cp["default"]["aws_access_key_id"], cp["default"]["aws_secret_access_key"]


def run_main(main):
    """Runs a bench's main(): a BenchError (what the bench could not do) is one line naming the
    bench and exit status 1, not a traceback; an interrupt is exit status 130."""
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    try:
        main()
    except BenchError as e:
        print(f"{name}: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        sys.exit(130)


def medians(samples):
    """{key: [(a, b, ...) per round]} -> {key: (median a, median b, ...)}."""
    return {key: tuple(statistics.median(field) for field in zip(*runs)) for key, runs in samples.items()}


def listener_paths_args(doc):
    """The arguments of the benches that reach one kind of listener two ways (lb_public_bench,
    lb_internal_bench): rounds, new-connection requests a round, keep-alive seconds a round."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=5)
    return ap.parse_args()


def wrk_keep_alive(prefix, ip, port, seconds):
    """wrk -t1 -c16 for `seconds` over kept connections to http://ip:port/, run under `prefix`
    (e.g. ip netns exec NS): (requests/s, p50 as wrk prints it); (0.0, "-") without wrk."""
    if not os.path.exists(WRK):
        return 0.0, "-"
    out = subprocess.run(list(prefix) + [WRK, "-t1", "-c16", f"-d{seconds}s", "--latency", f"http://{ip}:{port}/"],
                         capture_output=True, text=True, check=True).stdout
    rps = float(out.split("Requests/sec:")[1].split()[0])
    p50 = [line for line in out.splitlines() if line.strip().startswith("50%")][0].split()[1]
    return rps, p50


def compare_listener_paths(paths, args, new_connections):
    """Two ways to a listener side by side. `paths`: {label: (prefix, ip, port)}, the baseline
    first; each round, for each path in turn, `new_connections(prefix, ip, port, n)` ->
    (p50 ms, requests/s) over args.requests fresh connections, then wrk keep-alive for
    args.seconds. Prints every measure and the medians of args.rounds with second/first ratios."""
    rows = {label: [] for label in paths}
    for _ in range(args.rounds):
        for label, (prefix, ip, port) in paths.items():
            p50, rate = new_connections(prefix, ip, port, args.requests)
            rps, ka_p50 = wrk_keep_alive(prefix, ip, port, args.seconds)
            rows[label].append((p50, rate, rps))
            print(f"{label:8} {ip}:{port} new conn p50 {p50:.3f} ms, {rate:.0f} req/s; "
                  f"keep-alive {rps:.0f} req/s p50 {ka_p50}")
    (base, b), (other, o) = medians(rows).items()
    print(f"median of {args.rounds}: new-connection p50 {b[0]:.3f} vs {o[0]:.3f} ms "
          f"({other}/{base} {o[0] / b[0]:.2f}x), rate {b[1]:.0f} vs {o[1]:.0f} req/s "
          f"({o[1] / b[1]:.2f}x); keep-alive {b[2]:.0f} vs {o[2]:.0f} req/s "
          f"({(o[2] / b[2]) if b[2] else 0:.2f}x)")
