#!/usr/bin/python3
"""Time to data on screen for the web console (docs/ARCHITECTURE.md, "The web console"):
starts a wharf (no local node), makes a cluster with --services services, and times in
headless chromium (bench/console_tti.mjs) the clusters list and that cluster's services
list, assets cached, a new tab per visit. Prints medians; also the load average, which on a
shared machine moves these figures more than anything the console does.

Not a test: exits non-zero only when a measurement failed. Run: python3 bench/console_tti.py
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from wharf_harness import WharfServer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--services", type=int, default=100)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--console-dir", help="a console build other than the one beside WHARF_BIN")
    args = ap.parse_args()
    with WharfServer(*(["--console-dir", args.console_dir] if args.console_dir else [])) as server:
        ecs = server.boto3("ecs")
        ecs.create_cluster(clusterName="tti")
        ecs.register_task_definition(family="tti", containerDefinitions=[
            {"name": "app", "image": "busybox", "memory": 64, "essential": True}])
        for i in range(args.services):
            ecs.create_service(cluster="tti", serviceName=f"svc-{i:03d}", taskDefinition="tti", desiredCount=0)
        key, secret = server.credentials()
        env = dict(os.environ, WHARF_ENDPOINT=server.endpoint, WHARF_KEY=key, WHARF_SECRET=secret, RUNS=str(args.runs))
        print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
        subprocess.run(["node", os.path.join(HERE, "console_tti.mjs"),
                        "clusters list=#/ecs/clusters=tr:has-text('tti')",
                        f"cluster, {args.services} services=#/ecs/clusters/tti=tr:has-text('svc-{args.services - 1:03d}')"],
                       env=env, check=True, timeout=600)
        print(f"load average after: {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
