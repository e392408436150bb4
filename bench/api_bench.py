#!/usr/bin/python3
"""Measures `wharf server` beside a ceiling and prints the ratios (see bench/README.md).

  time to ready   spawn -> GET /_wharf/health answers 200, median of --starts starts
  idle RSS        VmRSS of a ready server after about a second of idleness
  throughput      wrk against ECS DescribeTaskDefinition, ECS ListClusters, DescribeTaskDefinition
                  of a family with --history revisions, Secrets Manager GetSecretValue (a value
                  decrypted by KMS on every call; issue 15 aims at <= 1.5 x ListClusters' p50),
                  and build/bench/ceiling_server (wharf's
                  HTTP layer answering a fixed body as large as DescribeTaskDefinition's), at
                  each --connections count, with the server's CPU time per request

Before each run the ECS request is signed once with botocore and one replay of it must answer
200; wrk then replays those exact bytes. SigV4 accepts a signature for 15 minutes, and signing
per run keeps every replay inside that window however long the benchmark takes.

The machine this was written for has 2 cores and nothing is pinned: wrk runs with one thread
(at most one core) and wharf and the ceiling run with the same --threads, so the load
generator shares the machine with whichever server it drives. The ceiling bears the same
handicap, so the ratio stays fair even where the absolute numbers are not a server's best.

Not a test: CI does not run it. Exits non-zero only when the measurement itself failed
(a server did not start, a replay was refused, wrk saw a non-2xx answer or a socket error).
"""
import argparse
import os
import re
import resource
import shutil
import signal
import statistics
import sys
import time
import urllib.request
from benchlib import (BenchError, medians, run_main, Processes, cpu_seconds, free_port, machine_cpu_seconds, health_ok, read_credentials,
                      read_log, run_wrk, wait_until)


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ECS_TARGET = "AmazonEC2ContainerServiceV20141113."
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
REGION = "us-east-1"
FAMILY = "bench-web"
HISTORY_FAMILY = "bench-history"
CEILING = "ceiling"
DESCRIBE = "DescribeTaskDefinition"

AIM_IDLE_RSS_MIB = 15.0
AIM_READY_MS = 50.0
AIM_DESCRIBE_RATIO = 0.5
AIM_SECRET_P50_RATIO = 1.5  # GetSecretValue p50 / ListClusters p50
SECRETS_TARGET = "secretsmanager."
GET_SECRET = "GetSecretValue"


# --- processes -------------------------------------------------------------------------


def start_wharf(procs, wharf_bin, threads, data_dir=None):
    """Starts wharf on a free port; returns (proc, port, data_dir, seconds from spawn to ready)."""
    data_dir = data_dir or procs.temp_dir("wharf-bench-")
    port = free_port()
    log_path = os.path.join(data_dir, "server.log")
    argv = [wharf_bin, "server", "--data-dir", data_dir, "--listen", f"127.0.0.1:{port}",
            "--threads", str(threads), "--no-local-agent"]
    t0 = time.perf_counter()
    proc = procs.spawn(argv, log_path)
    wait_until(proc, lambda: health_ok(port), log_path, "wharf", poll_interval=0.0005)
    return proc, port, data_dir, time.perf_counter() - t0


def start_ceiling(procs, ceiling_bin, threads, body_bytes):
    log_dir = procs.temp_dir("wharf-bench-ceiling-")
    log_path = os.path.join(log_dir, "ceiling.log")
    port = free_port()
    proc = procs.spawn([ceiling_bin, "--port", str(port), "--threads", str(threads),
                        "--body-bytes", str(body_bytes)], log_path)
    wait_until(proc, lambda: "ready port=" in read_log(log_path), log_path, "ceiling_server")
    return proc, port


def rss_mib(pid, field="VmRSS"):
    """VmRSS (or RssAnon, RssFile) of `pid` in MiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    raise BenchError(f"no {field} for pid {pid}")


def logged_ready_ms(log_path):
    """wharf's own ready_ms (from main() to listening), for comparison with the outside view."""
    m = re.search(r"ready_ms=([0-9.]+)", read_log(log_path, tail=100000))
    return float(m.group(1)) if m else float("nan")


# --- measurements ----------------------------------------------------------------------


def measure_time_to_ready(procs, wharf_bin, threads, starts):
    """Median spawn -> 200 over `starts` starts, each on a fresh data dir (the first-start
    path: database created, admin key made and written), then again on a reused one."""
    fresh, reused, inner = [], [], []
    for _ in range(starts):
        proc, _, data_dir, seconds = start_wharf(procs, wharf_bin, threads)
        procs.stop(proc)
        fresh.append(seconds * 1000)
        inner.append(logged_ready_ms(os.path.join(data_dir, "server.log")))
        proc, _, _, seconds = start_wharf(procs, wharf_bin, threads, data_dir=data_dir)
        procs.stop(proc)
        reused.append(seconds * 1000)
    return statistics.median(fresh), statistics.median(reused), statistics.median(inner)


CONTAINERS = [
    dict(name="web", image="nginx:1.25", memory=256, cpu=128, essential=True,
         portMappings=[dict(containerPort=80, hostPort=8080, protocol="tcp")],
         environment=[dict(name="MODE", value="production"), dict(name="LOG_LEVEL", value="info")]),
    dict(name="api", image="example/api:2.3.1", memory=512, cpu=256, essential=True,
         portMappings=[dict(containerPort=9000, hostPort=9000, protocol="tcp")],
         environment=[dict(name="DB_HOST", value="db.internal"), dict(name="DB_PORT", value="5432"),
                      dict(name="CACHE_TTL", value="300")]),
]


def seed(port, key, secret, history):
    """A cluster and a two-container task definition, the state the endpoints read; and
    `history` revisions of a second family, as a family looks after many deployments."""
    import boto3
    ecs = boto3.client("ecs", region_name=REGION, endpoint_url=f"http://127.0.0.1:{port}",
                       aws_access_key_id=key, aws_secret_access_key=secret)
    ecs.create_cluster(clusterName="bench")
    ecs.register_task_definition(family=FAMILY, networkMode="bridge", containerDefinitions=CONTAINERS)
    for _ in range(history):
        ecs.register_task_definition(family=HISTORY_FAMILY, networkMode="bridge",
                                     containerDefinitions=CONTAINERS)
    sm = boto3.client("secretsmanager", region_name=REGION, endpoint_url=f"http://127.0.0.1:{port}",
                      aws_access_key_id=key, aws_secret_access_key=secret)
    sm.create_secret(Name="bench", SecretString='{"username":"app","password":"bench-password"}')


def seed_user(port, key, secret, policies=10, statements=20):
    """An IAM user whose `policies` managed policies of `statements` statements each are all
    read to authorize a request (only the last statement of the last policy allows
    ecs:Describe*), and an access key of theirs; with a service to describe."""
    import boto3
    import json
    endpoint = f"http://127.0.0.1:{port}"
    iam = boto3.client("iam", region_name=REGION, endpoint_url=endpoint,
                       aws_access_key_id=key, aws_secret_access_key=secret)
    ecs = boto3.client("ecs", region_name=REGION, endpoint_url=endpoint,
                       aws_access_key_id=key, aws_secret_access_key=secret)
    ecs.create_service(cluster="bench", serviceName="web", taskDefinition=FAMILY, desiredCount=0)
    iam.create_user(UserName="bench-user")
    for p in range(policies):
        stmts = [{"Sid": f"S{p}x{i}", "Effect": "Allow", "Action": [f"ecs:Create{i}*", f"logs:Get{i}*"],
                  "Resource": f"arn:aws:ecs:{REGION}:000000000000:cluster/other-{i}",
                  "Condition": {"StringEquals": {"aws:RequestedRegion": REGION}}}
                 for i in range(statements - 1)]
        last = {"Effect": "Allow", "Action": "ecs:Describe*", "Resource": "*"} if p == policies - 1 else \
            {"Effect": "Deny", "Action": "ecs:DeleteCluster", "Resource": f"arn:aws:ecs:{REGION}:000000000000:cluster/x{p}"}
        doc = {"Version": "2012-10-17", "Statement": stmts + [last]}
        arn = iam.create_policy(PolicyName=f"bench-{p}", PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
        iam.attach_user_policy(UserName="bench-user", PolicyArn=arn)
    made = iam.create_access_key(UserName="bench-user")["AccessKey"]
    return made["AccessKeyId"], made["SecretAccessKey"]


def seed_tag_user(port, key, secret):
    """An IAM user allowed ecs:Describe* only on resources tagged team=bench (aws:ResourceTag:
    the service's tags are read from its record on each request), and the tagged service."""
    import boto3
    import json
    endpoint = f"http://127.0.0.1:{port}"
    iam = boto3.client("iam", region_name=REGION, endpoint_url=endpoint,
                       aws_access_key_id=key, aws_secret_access_key=secret)
    ecs = boto3.client("ecs", region_name=REGION, endpoint_url=endpoint,
                       aws_access_key_id=key, aws_secret_access_key=secret)
    ecs.create_service(cluster="bench", serviceName="tagged", taskDefinition=FAMILY, desiredCount=0,
                       tags=[{"key": "team", "value": "bench"}])
    iam.create_user(UserName="bench-tag-user")
    iam.put_user_policy(UserName="bench-tag-user", PolicyName="abac", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecs:Describe*", "Resource": "*",
                                                "Condition": {"StringEquals": {"aws:ResourceTag/team": "bench"}}}]}))
    made = iam.create_access_key(UserName="bench-tag-user")["AccessKey"]
    return made["AccessKeyId"], made["SecretAccessKey"]


def sign(port, key, secret, operation, body, target=ECS_TARGET, service="ecs"):
    """One SigV4-signed JSON request (ECS unless told): (headers including Host, body). Signed
    for exactly the Host wrk will send, 127.0.0.1:<port>."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    host = f"127.0.0.1:{port}"
    req = AWSRequest(method="POST", url=f"http://{host}/", data=body,
                     headers={"X-Amz-Target": target + operation,
                              "Content-Type": JSON_CONTENT_TYPE})
    SigV4Auth(Credentials(key, secret), service, REGION).add_auth(req)
    headers = {"Host": host}
    headers.update((k, v) for k, v in req.headers.items() if k.lower() != "host")
    return headers, body


def replay_once(port, headers, body):
    """Sends the signed request as wrk will; returns (status, response body)."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=body.encode(), method="POST",
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def lua_string(s):
    """A Lua string literal for any text: printable ASCII kept, every other byte as \\ddd."""
    out = []
    for b in s.encode():
        c = chr(b)
        out.append(f"\\{b:03d}" if c in '"\\' or b < 0x20 or b > 0x7e else c)
    return '"' + "".join(out) + '"'


def write_wrk_script(path, headers, body):
    lines = ['wrk.method = "POST"', f"wrk.body = {lua_string(body)}"]
    lines += [f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


class Endpoint:
    """What one row of the table loads: the ceiling (plain GET) or one signed JSON call."""

    def __init__(self, name, pid, port, operation=None, body=None, credentials=None, script_dir=None,
                 target=ECS_TARGET, service="ecs"):
        self.name, self.pid, self.port = name, pid, port
        self.target, self.service = target, service
        self.operation, self.body, self.credentials = operation, body, credentials
        self.script = os.path.join(script_dir, name.replace(" ", "_").replace(",", "") + ".lua") \
            if operation else None

    def prepare(self):
        """Signs the request once for the coming run and checks that a replay answers 200.
        Signing per run keeps every replay well inside SigV4's 15 minutes, however long the
        whole benchmark takes. Returns the response body."""
        if not self.operation:
            return b""
        headers, body = sign(self.port, *self.credentials, self.operation, self.body, self.target, self.service)
        status, answer = replay_once(self.port, headers, body)
        if status != 200:
            raise BenchError(f"replayed {self.name} answered {status}: {answer[:500]!r}")
        write_wrk_script(self.script, headers, body)
        return answer


def measure(endpoint, connections, duration):
    """One run against `endpoint`: (requests/s, p50 ms, p99 ms, server CPU us per request)."""
    endpoint.prepare()
    cpu_before = cpu_seconds(endpoint.pid)
    rps, p50, p99, requests = run_wrk(endpoint.port, connections, duration, endpoint.script)
    cpu_us = (cpu_seconds(endpoint.pid) - cpu_before) / max(requests, 1) * 1e6
    return rps, p50, p99, cpu_us


class ForeignLoad:
    """About how much of the machine processes other than ours used over an interval (to a
    few per cent: all of it is tick-sampled). The benchmark cannot stop a compiler next
    door, but it can say that one was there."""

    def __init__(self, pids):
        self.pids = pids
        self.start = self._sample()

    def _sample(self):
        ours = sum(cpu_seconds(pid) for pid in self.pids)
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):  # this script, wrk
            usage = resource.getrusage(who)
            ours += usage.ru_utime + usage.ru_stime
        busy, total = machine_cpu_seconds()
        return busy - ours, total

    def share(self):
        foreign, total = self._sample()
        return max(0.0, foreign - self.start[0]) / max(total - self.start[1], 1e-9)


# --- report ----------------------------------------------------------------------------


def verdict(ok):
    return "met" if ok else "NOT MET"


def print_report(args, results, idle_rss, rss_after, ready, describe_bytes, foreign_share):
    fresh_ms, reused_ms, inner_ms = ready
    print()
    print(f"wharf and ceiling_server --threads {args.threads} (ceiling body {describe_bytes} B), "
          f"wrk -t1 -d{args.duration}s, {os.cpu_count()} cores, nothing pinned"
          + (f", median of {args.rounds} rounds" if args.rounds > 1 else ""))
    print()
    print(f"{'endpoint':<25}{'conns':>6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'cpu us/req':>12}{'vs ceiling':>12}")
    ceiling = {c: v[0] for (name, c), v in results.items() if name == CEILING}
    for (name, conns), (rps, p50, p99, cpu_us) in results.items():
        print(f"{name:<25}{conns:>6}{rps:>9.0f}{p50:>9.3f}{p99:>9.3f}{cpu_us:>12.1f}"
              f"{rps / ceiling[conns]:>12.2f}")
    print()
    rss, anon, file_backed = idle_rss
    print(f"idle RSS        {rss:6.1f} MiB  ({anon:.1f} anonymous, {file_backed:.1f} file-backed; "
          f"after the load: {rss_after:.1f} MiB; bench/idle_rss.py says where it goes)")
    print(f"time to ready   {fresh_ms:6.1f} ms   median of {args.starts} starts on a fresh data dir "
          f"(reused data dir {reused_ms:.1f} ms; wharf's own ready_ms {inner_ms:.1f} ms)")
    print(f"other load      {foreign_share * 100:6.1f} %    of the machine used by other processes "
          f"during the load" + ("  <- numbers disturbed" if foreign_share > 0.1 else ""))
    print()
    ratios = [(rps / ceiling[c], c) for (name, c), (rps, *_) in results.items() if name == DESCRIBE]
    worst = min(r for r, _ in ratios)
    print("aims")
    print(f"  idle RSS under {AIM_IDLE_RSS_MIB:.0f} MiB          {rss:5.1f} MiB"
          f"          {verdict(rss < AIM_IDLE_RSS_MIB)}")
    print(f"  ready under {AIM_READY_MS:.0f} ms              {fresh_ms:5.1f} ms"
          f"           {verdict(fresh_ms < AIM_READY_MS)}")
    print(f"  {DESCRIBE} >= {AIM_DESCRIBE_RATIO} x ceiling at every connection count: "
          + ", ".join(f"{r:.2f} @{c}" for r, c in ratios)
          + f"  {verdict(worst >= AIM_DESCRIBE_RATIO)}")
    p50 = {(name, c): v[1] for (name, c), v in results.items()}
    secret_ratios = [(p50[(GET_SECRET, c)] / p50[("ListClusters", c)], c) for (name, c) in p50 if name == GET_SECRET]
    print(f"  {GET_SECRET} p50 <= {AIM_SECRET_P50_RATIO} x ListClusters p50: "
          + ", ".join(f"{r:.2f} @{c}" for r, c in secret_ratios)
          + f"  {verdict(max(r for r, _ in secret_ratios) <= AIM_SECRET_P50_RATIO)}")


# --- main ------------------------------------------------------------------------------


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    p.add_argument("--threads", type=int, default=2, help="event loops of wharf and the ceiling")
    p.add_argument("--connections", default="1,16,64", help="comma-separated wrk -c values")
    p.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    p.add_argument("--rounds", type=int, default=1, help="repeat the runs; report the median")
    p.add_argument("--starts", type=int, default=10, help="starts for time to ready")
    p.add_argument("--iam-user", action="store_true",
                   help="add DescribeServices signed by the root, by an IAM user with 10 policies of 20 statements "
                        "and by one allowed by an aws:ResourceTag condition")
    p.add_argument("--history", type=int, default=100,
                   help="revisions of a second family, described by bare name (0: skip that row)")
    return p.parse_args()


def main():
    args = parse_args()
    connections = [int(c) for c in args.connections.split(",")]
    wharf_bin = os.path.join(args.build_dir, "wharf")
    ceiling_bin = os.path.join(args.build_dir, "bench", "ceiling_server")
    for binary in (wharf_bin, ceiling_bin):
        if not os.access(binary, os.X_OK):
            raise BenchError(f"{binary} missing: ninja -C {args.build_dir} wharf ceiling_server")
    if not shutil.which("wrk"):
        raise BenchError("wrk missing: apt-get install wrk")

    procs = Processes()
    # SIGTERM (e.g. from `timeout` or `kill`) unwinds through `finally` as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        print(f"time to ready: {args.starts} starts on fresh and on reused data dirs ...", flush=True)
        ready = measure_time_to_ready(procs, wharf_bin, args.threads, args.starts)

        wharf, port, data_dir, _ = start_wharf(procs, wharf_bin, args.threads)
        time.sleep(1.0)
        idle_rss = rss_mib(wharf.pid), rss_mib(wharf.pid, "RssAnon"), rss_mib(wharf.pid, "RssFile")
        credentials = read_credentials(data_dir)
        print(f"seeding: a cluster, {FAMILY}, {args.history} revisions of {HISTORY_FAMILY} ...",
              flush=True)
        seed(port, *credentials, args.history)

        def ecs(name, operation, body):
            return Endpoint(name, wharf.pid, port, operation, body, credentials, data_dir)

        endpoints = [ecs(DESCRIBE, "DescribeTaskDefinition", f'{{"taskDefinition":"{FAMILY}"}}'),
                     ecs("ListClusters", "ListClusters", "{}")]
        if args.iam_user:
            # Issue 14's figure: one request authorized against 10 policies of 20 statements,
            # beside the same request by the root, which is never checked.
            user = seed_user(port, *credentials)
            describe_services = '{"cluster":"bench","services":["web"]}'
            endpoints.append(ecs("DescribeServices, root", "DescribeServices", describe_services))
            endpoints.append(Endpoint("DescribeServices, IAM user", wharf.pid, port, "DescribeServices",
                                      describe_services, user, data_dir))
            # aws:ResourceTag: the service's tags read from its record for every request.
            endpoints.append(Endpoint("DescribeServices, tags", wharf.pid, port, "DescribeServices",
                                      '{"cluster":"bench","services":["tagged"]}', seed_tag_user(port, *credentials),
                                      data_dir))
        if args.history:
            endpoints.append(ecs(f"Describe, {args.history} revisions", "DescribeTaskDefinition",
                                 f'{{"taskDefinition":"{HISTORY_FAMILY}"}}'))
        endpoints.append(Endpoint(GET_SECRET, wharf.pid, port, GET_SECRET, '{"SecretId":"bench"}', credentials,
                                  data_dir, SECRETS_TARGET, "secretsmanager"))
        describe_bytes = len(endpoints[0].prepare())
        ceiling, ceiling_port = start_ceiling(procs, ceiling_bin, args.threads, describe_bytes)
        endpoints.insert(0, Endpoint(CEILING, ceiling.pid, ceiling_port))

        # Warm both servers (allocator arenas, connection paths) before anything counts.
        for endpoint in endpoints[:2]:
            endpoint.prepare()
            run_wrk(endpoint.port, max(connections), 1, endpoint.script)

        foreign = ForeignLoad([wharf.pid, ceiling.pid])
        samples = {(e.name, c): [] for e in endpoints for c in connections}
        for round_ in range(args.rounds):
            for conns in connections:  # interleaved, so drift in the machine hits every row alike
                print(f"round {round_ + 1}/{args.rounds}: wrk -c{conns} ...", flush=True)
                for endpoint in endpoints:
                    samples[(endpoint.name, conns)].append(measure(endpoint, conns, args.duration))
        foreign_share = foreign.share()
        rss_after = rss_mib(wharf.pid)
        results = medians(samples)
        print_report(args, results, idle_rss, rss_after, ready, describe_bytes, foreign_share)
    finally:
        procs.cleanup()


if __name__ == "__main__":
    run_main(main)
