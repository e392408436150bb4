#!/usr/bin/python3
"""API latency with request work on the event loops and off them, on SQLite and on an etcd
cluster with one slow member, side by side in one run (see bench/README.md).

Starts one `wharf server` per --workers value; they differ only in --api-workers (0: the
former path, every request runs on the event loop that read it; N: N worker threads run
requests and their store calls while the loops only parse and write). wrk loads each with a
signed ECS DescribeClusters at each --connections count, the servers interleaved, while a
probe sends one signed STS GetCallerIdentity (a call that needs no store) every
--probe-interval ms on a fresh connection and times it: what a cheap request waits for while
the store is slow.

  --store sqlite   each server on a SQLite data dir of its own: the cheap path, which must
                   not get slower
  --store etcd     all servers on one 3-member etcd cluster (etcd 3.4) on loopback ports. wharf
                   reaches the first member, the one it prefers, through a proxy that delivers
                   every chunk --delay-ms late in each direction: a member in a distant or
                   congested zone, as its clients see it. (`tc netem` would delay its peer
                   traffic too, but the kernel of the machine this was written on has no
                   sch_netem; the delay wharf sees is the same.)

Not a test: exits non-zero only when a measurement failed (a server or etcd did not start, a
replay was refused, wrk saw a non-2xx answer or a socket error). Everything it starts (etcd,
the proxy, wharf, their temporary directories) is removed when it ends, also on an error or
Ctrl-C.
"""
import argparse
import http.client
import os
import shutil
import signal
import sys
import threading
import time
import urllib.request

from benchlib import BenchError, medians, run_main, Processes, cpu_seconds, free_port, read_credentials, read_log, run_wrk, wait_until, health_ok
import api_bench

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ETCD = "/usr/bin/etcd"
CLUSTER = "bench"


# --- the slow member ----------------------------------------------------------------------


def delay_proxy(listen_port, target_port, delay_ms):
    """Forwards 127.0.0.1:listen_port to 127.0.0.1:target_port, every chunk in either direction
    delivered delay_ms after it arrived, in order: a member behind a slow link, as its clients
    see it. (This machine's kernel has no sch_netem, so `tc netem` is not available.)"""
    import asyncio
    delay = delay_ms / 1000.0

    async def pipe(reader, writer):
        loop = asyncio.get_running_loop()
        queue = asyncio.Queue()

        async def deliver():
            while True:
                due, chunk = await queue.get()
                if chunk is None:
                    break
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(chunk)
                await writer.drain()

        sender = asyncio.create_task(deliver())
        try:
            while chunk := await reader.read(65536):
                queue.put_nowait((loop.time() + delay, chunk))
        except ConnectionError:
            pass
        queue.put_nowait((0, None))
        try:
            await sender
        except ConnectionError:
            pass
        writer.close()

    async def handle(client_reader, client_writer):
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, up_writer), pipe(up_reader, client_writer),
                             return_exceptions=True)

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
        print("ready", flush=True)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --- etcd --------------------------------------------------------------------------------


def etcd_healthy(client_url):
    try:
        with urllib.request.urlopen(client_url + "/health", timeout=2) as r:
            return b"true" in r.read()
    except OSError:
        return False


def start_etcd_cluster(procs, delay_ms):
    """Three members on loopback. wharf reaches the first, the one it prefers, through a
    delay proxy. Returns the --store URL."""
    token = f"wharf-bench-{os.getpid()}"
    members = [(name, free_port(), free_port()) for name in ("slow", "b", "c")]
    cluster = ",".join(f"{name}=http://127.0.0.1:{peer}" for name, _, peer in members)
    started = []
    for name, client, peer in members:
        data = procs.temp_dir(f"wharf-bench-etcd-{name}-")
        client_url, peer_url = f"http://127.0.0.1:{client}", f"http://127.0.0.1:{peer}"
        argv = [ETCD, "--name", name, "--data-dir", os.path.join(data, "data"),
                "--listen-client-urls", client_url, "--advertise-client-urls", client_url,
                "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
                "--initial-cluster", cluster, "--initial-cluster-token", token,
                "--initial-cluster-state", "new"]
        log = os.path.join(data, "etcd.log")
        started.append((procs.spawn(argv, log), client_url, log))
    for proc, client_url, log in started:
        wait_until(proc, lambda: etcd_healthy(client_url), log, f"etcd {client_url}", timeout=30)
    proxy_port = free_port()
    log = os.path.join(procs.temp_dir("wharf-bench-proxy-"), "proxy.log")
    proxy = procs.spawn([sys.executable, os.path.abspath(__file__), "--delay-proxy",
                         f"{proxy_port}:{members[0][1]}:{delay_ms}"], log)
    wait_until(proxy, lambda: "ready" in read_log(log), log, "delay proxy")
    if not etcd_healthy(f"http://127.0.0.1:{proxy_port}"):
        raise BenchError("the slow member does not answer through the delay proxy")
    return "etcd://" + ",".join([f"127.0.0.1:{proxy_port}"] + [f"127.0.0.1:{c}" for _, c, _ in members[1:]])


# --- wharf -------------------------------------------------------------------------------


def start_wharf(procs, wharf_bin, threads, workers, store):
    data_dir = procs.temp_dir(f"wharf-bench-w{workers}-")
    port = free_port()
    log = os.path.join(data_dir, "server.log")
    argv = [wharf_bin, "server", "--data-dir", data_dir, "--listen", f"127.0.0.1:{port}",
            "--threads", str(threads), "--no-local-agent", "--api-workers", str(workers)]
    if store:
        argv += ["--store", store]
    proc = procs.spawn(argv, log)
    wait_until(proc, lambda: health_ok(port), log, f"wharf --api-workers {workers}", timeout=30)
    return proc, port, data_dir


def create_cluster(port, key, secret):
    import boto3
    ecs = boto3.client("ecs", region_name=api_bench.REGION, endpoint_url=f"http://127.0.0.1:{port}",
                       aws_access_key_id=key, aws_secret_access_key=secret)
    ecs.create_cluster(clusterName=CLUSTER)


def signed_get_caller_identity(port, key, secret):
    """A signed STS GetCallerIdentity (Query protocol), replayable for 15 minutes."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    body = "Action=GetCallerIdentity&Version=2011-06-15"
    req = AWSRequest(method="POST", url=f"http://127.0.0.1:{port}/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(key, secret), "sts", api_bench.REGION).add_auth(req)
    headers = {k: v for k, v in req.headers.items() if k.lower() != "host"}
    return headers, body


class Probe(threading.Thread):
    """One cheap request every `interval` s on a fresh connection, timed, until stopped."""

    def __init__(self, port, headers, body, interval):
        super().__init__(daemon=True)
        self.port, self.headers, self.body, self.interval = port, headers, body, interval
        self.latencies, self.failures = [], 0
        self.done = threading.Event()

    def once(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            t0 = time.perf_counter()
            conn.request("POST", "/", body=self.body, headers=self.headers)
            r = conn.getresponse()
            r.read()
            elapsed = time.perf_counter() - t0
            return elapsed if r.status == 200 else None
        except OSError:
            return None
        finally:
            conn.close()

    def run(self):
        while not self.done.wait(self.interval):
            elapsed = self.once()
            if elapsed is None:
                self.failures += 1
            else:
                self.latencies.append(elapsed * 1000)

    def stop(self):
        self.done.set()
        self.join()
        if self.failures:
            raise BenchError(f"{self.failures} probe requests failed against port {self.port}")
        if not self.latencies:
            return float("nan"), float("nan")
        lat = sorted(self.latencies)
        return lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))]


class Server:
    def __init__(self, workers, proc, port, data_dir, credentials):
        self.workers, self.proc, self.port = workers, proc, port
        self.endpoint = api_bench.Endpoint(f"DescribeClusters-w{workers}", proc.pid, port, "DescribeClusters",
                                           f'{{"clusters":["{CLUSTER}"]}}', credentials, data_dir)
        self.probe_request = signed_get_caller_identity(port, *credentials)

    def measure(self, conns, duration, probe_interval):
        self.endpoint.prepare()
        probe = None
        if probe_interval > 0:
            probe = Probe(self.port, *self.probe_request, probe_interval)
            if probe.once() is None:
                raise BenchError(f"probe GetCallerIdentity refused by port {self.port}")
            probe.start()
        cpu_before = cpu_seconds(self.proc.pid)
        try:
            # On the loops a slow store keeps requests waiting for seconds: counted, not failed.
            rps, p50, p99, requests = run_wrk(self.port, conns, duration, self.endpoint.script, timeout=60)
        finally:
            probe_p50, probe_p99 = probe.stop() if probe else (float("nan"), float("nan"))
        cpu_us = (cpu_seconds(self.proc.pid) - cpu_before) / max(requests, 1) * 1e6
        return rps, p50, p99, probe_p50, probe_p99, cpu_us


# --- report ------------------------------------------------------------------------------


def print_report(args, title, results, workers, connections):
    print()
    print(title)
    print(f"wharf --threads {args.threads}, wrk -t1 -d{args.duration}s DescribeClusters, {os.cpu_count()} cores"
          + (f", median of {args.rounds} rounds" if args.rounds > 1 else "")
          + (f"; probe: GetCallerIdentity every {args.probe_interval} ms on a fresh connection"
             if args.probe_interval > 0 else ""))
    print()
    head = f"{'conns':>5} {'api-workers':>12}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'cpu us/req':>12}"
    if args.probe_interval > 0:
        head += f"{'probe p50':>11}{'probe p99':>11}"
    print(head)
    base = workers[0]
    for c in connections:
        for w in workers:
            rps, p50, p99, pp50, pp99, cpu = results[(w, c)]
            line = f"{c:>5} {w:>12}{rps:>9.0f}{p50:>9.2f}{p99:>9.2f}{cpu:>12.1f}"
            if args.probe_interval > 0:
                line += f"{pp50:>11.2f}{pp99:>11.2f}"
            print(line)
        for w in workers[1:]:
            b, a = results[(base, c)], results[(w, c)]
            print(f"{'':>5} {f'{w} vs {base}':>12}{a[0] / b[0]:>9.2f}{a[1] / b[1]:>9.2f}{a[2] / b[2]:>9.2f}"
                  f"{a[5] / b[5]:>12.2f}"
                  + (f"{a[3] / b[3]:>11.2f}{a[4] / b[4]:>11.2f}" if args.probe_interval > 0 else ""))
    print("\n(ratio rows: after / before; below 1 is faster for latency and CPU, above 1 for req/s)")


# --- main --------------------------------------------------------------------------------


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--store", choices=["sqlite", "etcd"], default="etcd")
    p.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    p.add_argument("--threads", type=int, default=2, help="event loops of every wharf")
    p.add_argument("--workers", default=None,
                   help="comma-separated --api-workers values, the first the baseline (0,8: the "
                        "former path and the default)")
    p.add_argument("--connections", default="1,16,64", help="comma-separated wrk -c values")
    p.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    p.add_argument("--rounds", type=int, default=None, help="repeat the runs; report medians (3 on sqlite, 1 on etcd)")
    p.add_argument("--delay-ms", type=float, default=10, help="etcd: delay each way to the slow member")
    p.add_argument("--delay-proxy", help=argparse.SUPPRESS)  # LISTEN:TARGET:MS, the proxy process itself
    p.add_argument("--probe-interval", type=float, default=None,
                   help="ms between probe requests (0: no probe; default 50 on etcd, 0 on sqlite)")
    args = p.parse_args()
    if args.workers is None:
        args.workers = "0,8"
    if args.rounds is None:
        args.rounds = 3 if args.store == "sqlite" else 1
    if args.probe_interval is None:
        args.probe_interval = 0 if args.store == "sqlite" else 50
    return args


def main():
    args = parse_args()
    if args.delay_proxy:
        listen, target, ms = args.delay_proxy.split(":")
        return delay_proxy(int(listen), int(target), float(ms))
    workers = [int(w) for w in args.workers.split(",")]
    connections = [int(c) for c in args.connections.split(",")]
    wharf_bin = os.path.join(args.build_dir, "wharf")
    if not os.access(wharf_bin, os.X_OK):
        raise BenchError(f"{wharf_bin} missing: ninja -C {args.build_dir} wharf")
    if not shutil.which("wrk"):
        raise BenchError("wrk missing: apt-get install wrk")
    if args.store == "etcd" and not os.access(ETCD, os.X_OK):
        raise BenchError("--store etcd needs /usr/bin/etcd (apt-get install etcd-server)")

    procs = Processes()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        store, title = None, "SQLite (each server its own data dir)"
        if args.store == "etcd":
            store = start_etcd_cluster(procs, args.delay_ms)
            title = (f"etcd 3.4, 3 members on loopback; wharf's preferred member behind a proxy delaying "
                     f"{args.delay_ms:g} ms each way (+{2 * args.delay_ms:g} ms a round trip); --store {store}")
        servers = []
        for w in workers:  # one at a time: on etcd the first makes the admin key the others read
            proc, port, data_dir = start_wharf(procs, wharf_bin, args.threads, w, store)
            credentials = read_credentials(data_dir)
            if not servers or store is None:
                create_cluster(port, *credentials)
            servers.append(Server(w, proc, port, data_dir, credentials))
        print(title, flush=True)
        for s in servers:  # warm-up
            s.endpoint.prepare()
            run_wrk(s.port, max(connections), 1, s.endpoint.script)
        samples = {(s.workers, c): [] for s in servers for c in connections}
        for round_ in range(args.rounds):
            for c in connections:
                print(f"round {round_ + 1}/{args.rounds}: wrk -c{c} ...", flush=True)
                for s in servers:
                    samples[(s.workers, c)].append(s.measure(c, args.duration, args.probe_interval / 1000))
        results = medians(samples)
        print_report(args, title, results, workers, connections)
    finally:
        procs.cleanup()


if __name__ == "__main__":
    run_main(main)
