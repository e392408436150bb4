#!/usr/bin/python3
"""Measures wharf's CloudWatch Logs: PutLogEvents ingest (events/s) at 1 and 16 connections
with batches of --batch events, and FilterLogEvents latency over --events events.

Requests are signed with botocore's SigV4 before the clock starts and sent over keep-alive
http.client connections, one process per connection, so the client's own cost (boto3
serialisation) stays out of the figure as far as a Python client can. Client and server share
the machine. Not a test: it exits non-zero only when a request failed; aims are reported.

  bench/logs_bench.py [--build-dir build] [--duration 5] [--batch 1000] [--events 1000000] [--kms]
                      [--metric-filters N]

--kms: the log groups have a KMS key (kmsKeyId), so every event is sealed on the way in and
opened on the way out (api/logs/sealing.h); run with and without it to see what that costs.
--metric-filters N: the ingest groups have N metric filters (alternately a term pattern counting
every event and a space-delimited one taking a field as the value), so every event is matched N
times and gives N metric data (api/logs/metric_filters.cc); compare with 0.
"""
import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))

AIM_EVENTS_PER_S = 200_000
GROUP_ARGS = {}  # CreateLogGroup's extra arguments (kmsKeyId with --kms)
METRIC_FILTERS = 0  # per ingest group (--metric-filters)


def signed(server, op, body):
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    key, secret = server.credentials()
    data = json.dumps(body)
    req = botocore.awsrequest.AWSRequest(method="POST", url=server.endpoint + "/", data=data, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Logs_20140328." + op})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), "logs", "us-east-1").add_auth(req)
    return data.encode(), dict(req.headers.items())


def batch_body(group, stream, n, start_ms, size=100):
    pad = "x" * max(0, size - 40)
    return {"logGroupName": group, "logStreamName": stream,
            "logEvents": [{"timestamp": start_ms + i // 10, "message": f"event {i} level=INFO {pad}"} for i in range(n)]}


def ingest_worker(args):
    port, requests, duration, start_at = args
    conn = http.client.HTTPConnection("127.0.0.1", port)
    while time.time() < start_at:
        time.sleep(0.001)
    sent = events = 0
    deadline = start_at + duration
    latencies = []
    while time.time() < deadline:
        data, headers, n = requests[sent % len(requests)]
        t0 = time.perf_counter()
        conn.request("POST", "/", body=data, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        latencies.append(time.perf_counter() - t0)
        if resp.status != 200:
            raise RuntimeError(f"PutLogEvents {resp.status}: {body[:200]}")
        sent += 1
        events += n
    return events, time.time() - start_at, latencies


def ingest(server, logs, connections, duration, batch):
    group = f"bench-ingest-{connections}"
    logs.create_log_group(logGroupName=group, **GROUP_ARGS)
    for f in range(METRIC_FILTERS):
        if f % 2 == 0:
            pattern, value = "level=INFO", "1"
        else:
            pattern, value = "[word, n, level, pad]", "$n"
        logs.put_metric_filter(logGroupName=group, filterName=f"f{f}", filterPattern=pattern, metricTransformations=[
            {"metricName": f"M{f}", "metricNamespace": "Bench", "metricValue": value}])
    now = int(time.time() * 1000)
    work = []
    for c in range(connections):
        stream = f"s{c}"
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        reqs = []
        for k in range(8):
            data, headers = signed(server, "PutLogEvents", batch_body(group, stream, batch, now - 60000 + k * 1000))
            reqs.append((data, headers, batch))
        work.append((server.port, reqs, duration, time.time() + 1.0))
    with multiprocessing.Pool(connections) as pool:
        results = pool.map(ingest_worker, work)
    events = sum(r[0] for r in results)
    elapsed = max(r[1] for r in results)
    lat = sorted(x for r in results for x in r[2])
    return events / elapsed, lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.99)] * 1000


def fill(server, logs, group, total, batch):
    """total events in 4 streams, spread over the last 10 hours, with a rare term."""
    logs.create_log_group(logGroupName=group, **GROUP_ARGS)
    streams = [f"app/{i}" for i in range(4)]
    for s in streams:
        logs.create_log_stream(logGroupName=group, logStreamName=s)
    now = int(time.time() * 1000)
    span = 10 * 3600 * 1000
    per_stream = total // len(streams)
    conn = http.client.HTTPConnection("127.0.0.1", server.port)
    for si, s in enumerate(streams):
        for b in range(per_stream // batch):
            first = b * batch
            start = now - span + (first * span) // per_stream
            step = max(1, span // per_stream)
            events = [{"timestamp": start + i * step,
                       "message": (f"needle request {first + i} failed" if (first + i) % 100000 == 7
                                   else f"GET /api/items/{first + i} 200 {si} level=INFO took=12ms")}
                      for i in range(batch)]
            data, headers = signed(server, "PutLogEvents", {"logGroupName": group, "logStreamName": s, "logEvents": events})
            conn.request("POST", "/", body=data, headers=headers)
            r = conn.getresponse()
            body = r.read()
            if r.status != 200:
                raise RuntimeError(body[:200])
    return now - span, now


def timed(fn, reps=3):
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    p.add_argument("--duration", type=float, default=5)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--connections", default="1,16")
    p.add_argument("--kms", action="store_true", help="log groups with a KMS key")
    p.add_argument("--metric-filters", type=int, default=0, help="metric filters per ingest group")
    args = p.parse_args()
    global METRIC_FILTERS
    METRIC_FILTERS = args.metric_filters
    os.environ["WHARF_BIN"] = os.path.join(args.build_dir, "wharf")
    from wharf_harness import WharfServer
    with WharfServer() as server:
        logs = server.boto3("logs")
        if args.kms:
            GROUP_ARGS["kmsKeyId"] = server.boto3("kms").create_key()["KeyMetadata"]["Arn"]
            print("log groups sealed under a KMS key")
        if METRIC_FILTERS:
            print(f"{METRIC_FILTERS} metric filter(s) on each ingest group")
        print(f"PutLogEvents, batches of {args.batch} events of ~100 bytes, {args.duration:.0f} s each")
        for c in [int(x) for x in args.connections.split(",")]:
            rate, p50, p99 = ingest(server, logs, c, args.duration, args.batch)
            mark = "" if rate >= AIM_EVENTS_PER_S else f"  (aim {AIM_EVENTS_PER_S:,})"
            print(f"  {c:3d} connection(s): {rate:12,.0f} events/s   batch latency p50 {p50:6.1f} ms  p99 {p99:6.1f} ms{mark}")
        group = "bench-filter"
        t0 = time.perf_counter()
        start, end = fill(server, logs, group, args.events, args.batch)
        print(f"FilterLogEvents over {args.events:,} events in 4 streams (loaded in {time.perf_counter() - t0:.1f} s)")

        def first_page():
            return logs.filter_log_events(logGroupName=group, limit=100)["events"]

        def rare_term_all_pages():
            found, pages = [], 0
            for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group, filterPattern="needle"):
                found += page["events"]
                pages += 1
            return len(found), pages

        def json_miss():
            return logs.filter_log_events(logGroupName=group, filterPattern='{ $.level = "error" }')["events"]

        def last_minute():
            return logs.filter_log_events(logGroupName=group, startTime=end - 60000)["events"]

        for name, fn in [("first page, no pattern (limit 100)", first_page),
                         ("rare term over everything, all pages", rare_term_all_pages),
                         ("JSON pattern matching nothing, first call", json_miss),
                         ("last minute of 10 hours, no pattern", last_minute)]:
            seconds, out = timed(fn)
            detail = f"{out[0]} events in {out[1]} pages" if isinstance(out, tuple) else f"{len(out)} events"
            print(f"  {name:45s} {seconds * 1000:9.1f} ms  ({detail})")


if __name__ == "__main__":
    main()
