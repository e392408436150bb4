#!/usr/bin/python3
"""Secrets Manager GetSecretValue against wharf's cheapest call and against a peer, side by side.

  wharf GetSecretValue   a JSON secret opened by KMS on every call (the value is sealed under
                         the secret's key: issue 15 aims at p50 <= 1.5 x ListClusters' p50)
  wharf ListClusters     wharf's cheapest signed call: the floor of the front door
  moto GetSecretValue    moto's server (`python3 -m moto.server`, from the pyenv Python that has
  moto ListClusters      moto; Debian 12 packages no moto), the emulator most users compare with

Each row is wrk replaying one SigV4-signed request (signed per run, checked once to answer
200) with one thread, at each --connections count; rows interleave per round so drift in the
machine hits all alike; medians of --rounds. Ratios printed: GetSecretValue / ListClusters
within each server, and wharf / moto for each call. The server's CPU time per request is
read from /proc.

Not a test: CI does not run it. Exits non-zero only when the measurement itself failed.
"""
import argparse
import os
import shutil
import signal
import sys
import urllib.request

from api_bench import ECS_TARGET, SECRETS_TARGET, Endpoint, ForeignLoad, measure, start_wharf
from benchlib import BenchError, medians, run_main, Processes, free_port, read_credentials, run_wrk, wait_until

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGION = "us-east-1"
MOTO_PYTHON = "/root/.pyenv/versions/3.11.7/bin/python3"
SECRET = '{"username":"app","password":"bench-password"}'


def seed(port, key, secret):
    import boto3
    kwargs = dict(region_name=REGION, endpoint_url=f"http://127.0.0.1:{port}",
                  aws_access_key_id=key, aws_secret_access_key=secret)
    boto3.client("ecs", **kwargs).create_cluster(clusterName="bench")
    boto3.client("secretsmanager", **kwargs).create_secret(Name="bench", SecretString=SECRET)


def moto_up(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1) as r:
            return r.status == 200
    except Exception:
        return False


def start_moto(procs, python):
    log_dir = procs.temp_dir("wharf-bench-moto-")
    log_path = os.path.join(log_dir, "moto.log")
    port = free_port()
    proc = procs.spawn([python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], log_path)
    wait_until(proc, lambda: moto_up(port), log_path, "moto server", timeout=60, poll_interval=0.05)
    return proc, port, log_dir


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    p.add_argument("--threads", type=int, default=2, help="wharf's event loops")
    p.add_argument("--connections", default="1,16", help="comma-separated wrk -c values")
    p.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    p.add_argument("--rounds", type=int, default=3, help="repeat the runs; report the median")
    p.add_argument("--moto-python", default=MOTO_PYTHON, help="a Python with moto[server]; '' to skip the peer")
    return p.parse_args()


def main():
    args = parse_args()
    connections = [int(c) for c in args.connections.split(",")]
    wharf_bin = os.path.join(args.build_dir, "wharf")
    if not os.access(wharf_bin, os.X_OK):
        raise BenchError(f"{wharf_bin} missing: ninja -C {args.build_dir} wharf")
    if not shutil.which("wrk"):
        raise BenchError("wrk missing: apt-get install wrk")
    procs = Processes()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        wharf, port, data_dir, _ = start_wharf(procs, wharf_bin, args.threads)
        credentials = read_credentials(data_dir)
        seed(port, *credentials)
        endpoints = [
            Endpoint("wharf GetSecretValue", wharf.pid, port, "GetSecretValue", '{"SecretId":"bench"}',
                     credentials, data_dir, SECRETS_TARGET, "secretsmanager"),
            Endpoint("wharf ListClusters", wharf.pid, port, "ListClusters", "{}", credentials, data_dir,
                     ECS_TARGET, "ecs"),
        ]
        pids = [wharf.pid]
        if args.moto_python:
            moto, moto_port, moto_dir = start_moto(procs, args.moto_python)
            moto_credentials = ("testing", "testing")
            seed(moto_port, *moto_credentials)
            endpoints += [
                Endpoint("moto GetSecretValue", moto.pid, moto_port, "GetSecretValue", '{"SecretId":"bench"}',
                         moto_credentials, moto_dir, SECRETS_TARGET, "secretsmanager"),
                Endpoint("moto ListClusters", moto.pid, moto_port, "ListClusters", "{}", moto_credentials,
                         moto_dir, ECS_TARGET, "ecs"),
            ]
            pids.append(moto.pid)
        for endpoint in endpoints:  # warm-up, and every replay must answer 200
            endpoint.prepare()
            run_wrk(endpoint.port, max(connections), 1, endpoint.script)
        foreign = ForeignLoad(pids)
        samples = {(e.name, c): [] for e in endpoints for c in connections}
        for round_ in range(args.rounds):
            for conns in connections:
                print(f"round {round_ + 1}/{args.rounds}: wrk -c{conns} ...", flush=True)
                for endpoint in endpoints:
                    samples[(endpoint.name, conns)].append(measure(endpoint, conns, args.duration))
        results = medians(samples)
        load = os.getloadavg()[0]
        print(f"\nmedian of {args.rounds} x {args.duration} s, wharf --threads {args.threads}, "
              f"other processes {foreign.share() * 100:.0f}% of the machine, load {load:.1f}")
        print(f"{'endpoint':<22} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU us/req':>10}")
        for e in endpoints:
            for c in connections:
                rps, p50, p99, cpu = results[(e.name, c)]
                print(f"{e.name:<22} {c:>5} {rps:>9.0f} {p50:>8.3f} {p99:>8.3f} {cpu:>10.1f}")
        print("\nratios (p50; req/s)")
        servers = ["wharf"] + (["moto"] if args.moto_python else [])
        for c in connections:
            for s in servers:
                g, l = results[(f"{s} GetSecretValue", c)], results[(f"{s} ListClusters", c)]
                verdict = "  (aim <= 1.5x)" if s == "wharf" else ""
                print(f"  @{c:<3} {s} GetSecretValue / ListClusters: p50 {g[1] / l[1]:.2f}x, "
                      f"req/s {g[0] / l[0]:.2f}x{verdict}")
            if args.moto_python:
                for op in ("GetSecretValue", "ListClusters"):
                    w, m = results[(f"wharf {op}", c)], results[(f"moto {op}", c)]
                    print(f"  @{c:<3} {op} wharf / moto: p50 {w[1] / m[1]:.2f}x, req/s {w[0] / m[0]:.2f}x")
    finally:
        procs.cleanup()


if __name__ == "__main__":
    run_main(main)
