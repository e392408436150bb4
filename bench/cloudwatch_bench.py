#!/usr/bin/python3
"""Measures CloudWatch metrics in wharf and in moto's server side by side, one after the other
in one run: PutMetricData of 1,000-datum batches (batches/s, latency) and GetMetricData of one
day at 1-minute periods for 100 series (latency of the whole read, every page).

The peer is moto (the image's pip moto 5.2, `moto_server`): LocalStack cannot be installed
here (no Docker Hub, no PyPI beyond what the image has) and Debian packages no CloudWatch
emulator. moto keeps metric data in Python lists in memory; wharf writes it to its on-disk
store (metrics/metric_store.h) before answering.

Requests are the JSON protocol's (what botocore 1.43 sends), serialised and signed with
botocore before the clock starts and sent over one kept-alive http.client connection, so the
client's own cost stays out of the figure as far as a Python client can. Both servers get the
same bytes (moto does not check signatures). Client and servers share the machine. Not a
test: it exits non-zero only when a request failed.

  bench/cloudwatch_bench.py [--build-dir build] [--duration 5] [--series 100] [--reads 5]
"""
import argparse
import http.client
import json
import os
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
sys.path.insert(0, os.path.join(REPO, "bench"))

NEWEST_PYTHON = os.path.expanduser("~/.pyenv/versions/3.11.7/bin/python3")
MOTO_SERVER = os.path.expanduser("~/.pyenv/versions/3.11.7/bin/moto_server")
TARGET = "GraniteServiceVersion20100801."


def signed(endpoint, credentials, op, body):
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    data = json.dumps(body)
    req = botocore.awsrequest.AWSRequest(method="POST", url=endpoint + "/", data=data, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": TARGET + op})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(*credentials), "monitoring", "us-east-1").add_auth(req)
    return data.encode(), dict(req.headers.items())


class Client:
    def __init__(self, port, timeout=600):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def post(self, body, headers):
        self.conn.request("POST", "/", body=body, headers=headers)
        r = self.conn.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError(f"HTTP {r.status}: {data[:300]!r}")
        return data


def batches(series, day_start):
    """A day at one datum a minute for each series, as 1,000-datum PutMetricData bodies."""
    data = [{"MetricName": "Latency", "Dimensions": [{"Name": "Series", "Value": f"s{s}"}],
             "Timestamp": day_start + 60 * m, "Value": float((s * 7 + m) % 100), "Unit": "Milliseconds"}
            for m in range(1440) for s in range(series)]
    return [{"Namespace": "Bench", "MetricData": data[i:i + 1000]} for i in range(0, len(data), 1000)]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def measure(name, endpoint, port, credentials, args):
    client = Client(port)
    now = int(time.time()) // 60 * 60
    day_start = now - 86400
    # Load: the day for every series (these are also the PutMetricData figure's first batches).
    bodies = [signed(endpoint, credentials, "PutMetricData", b) for b in batches(args.series, day_start)]
    put_lat = []
    started = time.perf_counter()
    for body, headers in bodies:
        t = time.perf_counter()
        client.post(body, headers)
        put_lat.append(time.perf_counter() - t)
    load_s = time.perf_counter() - started
    # Then the same batch again and again for --duration: 50 other series, 20 minutes each.
    extra = signed(endpoint, credentials, "PutMetricData", {"Namespace": "BenchMore", "MetricData": [
        {"MetricName": "M", "Dimensions": [{"Name": "Series", "Value": f"x{i % 50}"}],
         "Timestamp": now - 3600 + (i // 50) * 60, "Value": float(i)} for i in range(1000)]})
    deadline = time.perf_counter() + args.duration
    while time.perf_counter() < deadline:
        t = time.perf_counter()
        client.post(*extra)
        put_lat.append(time.perf_counter() - t)
    put_rate = len(put_lat) / (load_s + args.duration)
    def read(series):
        """One GetMetricData of the day for `series` series, every page: (seconds, points)."""
        queries = [{"Id": f"q{s}", "MetricStat": {"Metric": {"Namespace": "Bench", "MetricName": "Latency",
                                                              "Dimensions": [{"Name": "Series", "Value": f"s{s}"}]},
                                                   "Period": 60, "Stat": "Average"}} for s in range(series)]
        token, points = None, 0
        t = time.perf_counter()
        while True:
            body = {"MetricDataQueries": queries, "StartTime": day_start, "EndTime": now}
            if token:
                body["NextToken"] = token
            out = json.loads(client.post(*signed(endpoint, credentials, "GetMetricData", body)))
            points += sum(len(r.get("Values", [])) for r in out["MetricDataResults"])
            token = out.get("NextToken")
            if not token:
                break
        # Signing the follow-up pages is inside the clock; it is the same for both servers.
        return time.perf_counter() - t, points

    result = {"name": name, "put_batches_per_s": len(put_lat) / (load_s + args.duration),
              "put_p50_ms": percentile(put_lat, 0.5) * 1000, "put_p99_ms": percentile(put_lat, 0.99) * 1000,
              "load_s": load_s, "batches": len(put_lat)}
    # A read of 10 series first: the peer may take minutes over 100.
    for series, key in ((10, "get10"), (args.series, "get")):
        lat, points = [], 0
        client.conn.timeout = args.read_timeout
        client.conn.close()
        try:
            for _ in range(args.reads):
                seconds, points = read(series)
                lat.append(seconds)
                if sum(lat) > args.read_timeout:
                    break
        except TimeoutError:
            client.conn.close()
            result[key] = None  # did not answer within --read-timeout
            print(f"{name}: GetMetricData of {series} series took over {args.read_timeout:.0f} s", flush=True)
            break
        result[key] = (statistics.median(lat) * 1000, max(lat) * 1000, points, len(lat))
        print(f"{name}: GetMetricData of {series} series: median {result[key][0]:.1f} ms over {len(lat)} reads, "
              f"{points} points", flush=True)
    print(f"{name}: PutMetricData {result['put_batches_per_s']:.1f} batches/s, p50 {result['put_p50_ms']:.2f} ms, "
          f"p99 {result['put_p99_ms']:.2f} ms", flush=True)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--series", type=int, default=100)
    parser.add_argument("--reads", type=int, default=5)
    parser.add_argument("--read-timeout", type=float, default=120.0)
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    if os.path.exists(NEWEST_PYTHON) and os.path.realpath(sys.executable) != os.path.realpath(NEWEST_PYTHON):
        os.execv(NEWEST_PYTHON, [NEWEST_PYTHON] + sys.argv)
    os.environ["WHARF_BIN"] = os.path.join(args.build_dir, "wharf")
    from benchlib import Processes, free_port, wait_until
    from wharf_harness import WharfServer
    results = []
    with WharfServer() as server:
        results.append(measure("wharf", server.endpoint, server.port, server.credentials(), args))
    if not args.no_peer:
        procs = Processes()
        try:
            port = free_port()
            log = os.path.join(procs.temp_dir("moto-"), "moto.log")
            proc = procs.spawn([MOTO_SERVER, "-H", "127.0.0.1", "-p", str(port)], log)

            def ready():
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                    c.request("GET", "/moto-api/")
                    c.getresponse().read()
                    return True
                except OSError:
                    return False
            wait_until(proc, ready, log, "moto_server", timeout=30)
            results.append(measure("moto", f"http://127.0.0.1:{port}", port, ("testing", "testing"), args))
        finally:
            procs.cleanup()
    def ms(r, key):
        return "timed out" if r.get(key) is None else f"{r[key][0]:.1f} (max {r[key][1]:.1f}, {r[key][2]} points)"
    print(f"{'server':8} {'put batches/s':>14} {'put p50 ms':>11} {'put p99 ms':>11}  GetMetricData 10 series ms"
          f"  |  {args.series} series ms")
    for r in results:
        print(f"{r['name']:8} {r['put_batches_per_s']:14.1f} {r['put_p50_ms']:11.2f} {r['put_p99_ms']:11.2f}  "
              f"{ms(r, 'get10')}  |  {ms(r, 'get')}")
    if len(results) == 2:
        w, m = results
        print(f"ratio wharf/moto PutMetricData batches/s: {w['put_batches_per_s'] / m['put_batches_per_s']:.2f}x")
        for key in ("get10", "get"):
            if w.get(key) and m.get(key):
                print(f"ratio moto/wharf GetMetricData latency ({key}): {m[key][0] / w[key][0]:.1f}x")
            elif w.get(key):
                print(f"ratio moto/wharf GetMetricData latency ({key}): > {args.read_timeout * 1000 / w[key][0]:.0f}x "
                      f"(moto did not answer within {args.read_timeout:.0f} s)")


if __name__ == "__main__":
    main()
