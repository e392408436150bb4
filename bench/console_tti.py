#!/usr/bin/python3
"""Time to data on screen for the web console (docs/ARCHITECTURE.md, "The web console"):
starts a wharf (no local node), makes a cluster with --services services, and times in
headless chromium (bench/console_tti.mjs) the clusters list and that cluster's services
list, assets cached, a new tab per visit. Prints medians; also the load average, which on a
shared machine moves these figures more than anything the console does.

With --tasks N (as root) the wharf has its local node and the cluster also runs N real tasks
(busybox `sleep`, network mode none, 8 MiB each), and the cluster's tasks tab is timed until
its counter says N and its first task rows are on screen; every task is stopped before wharf is.

Not a test: exits non-zero only when a measurement failed. Run: python3 bench/console_tti.py
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from wharf_harness import WharfServer  # noqa: E402

# The local node's cluster, where --tasks run.
CLUSTER = "default"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--services", type=int, default=100)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--tasks", type=int, default=0, help="real tasks in the cluster (root; needs the node)")
    ap.add_argument("--console-dir", help="a console build other than the one beside WHARF_BIN")
    args = ap.parse_args()
    extra = ["--console-dir", args.console_dir] if args.console_dir else []
    with WharfServer(*extra, agent=args.tasks > 0) as server:
        ecs = server.boto3("ecs")
        try:
            measure(server, ecs, args)
        finally:
            if args.tasks:
                stop_every_task(ecs, CLUSTER)


def run_tasks(server, ecs, cluster, count):
    """`count` sleeping busybox tasks on the local node, ten per RunTask; waits for all RUNNING."""
    import task_fixtures
    _, layout = task_fixtures.prepare()
    image = task_fixtures.push_to_wharf(server, layout, "v1", "tti")
    ecs.register_task_definition(family="tti-sleep", networkMode="none", requiresCompatibilities=["EC2"],
                                 containerDefinitions=[{"name": "sleep", "image": image, "memory": 8,
                                                        "command": ["sleep", "86400"], "essential": True}])
    started = time.time()
    for left in range(count, 0, -10):
        r = ecs.run_task(cluster=cluster, taskDefinition="tti-sleep", count=min(10, left), launchType="EC2")
        if r["failures"]:
            raise SystemExit(f"RunTask failed: {r['failures']}")
    while True:
        running = sum(len(p["taskArns"]) for p in ecs.get_paginator("list_tasks").paginate(
            cluster=cluster, desiredStatus="RUNNING"))
        arns = [a for p in ecs.get_paginator("list_tasks").paginate(cluster=cluster) for a in p["taskArns"]]
        states = [t["lastStatus"] for i in range(0, len(arns), 100)
                  for t in ecs.describe_tasks(cluster=cluster, tasks=arns[i:i + 100])["tasks"]]
        if states.count("RUNNING") == count:
            break
        if time.time() - started > 1800 or running < count:
            raise SystemExit(f"{states.count('RUNNING')} of {count} tasks running")
        time.sleep(5)
    print(f"{count} tasks RUNNING after {time.time() - started:.0f} s", flush=True)


def stop_every_task(ecs, cluster):
    """The node's containers outlive the server: stop them all first, and wait."""
    arns = [a for p in ecs.get_paginator("list_tasks").paginate(cluster=cluster) for a in p["taskArns"]]
    for arn in arns:
        ecs.stop_task(cluster=cluster, task=arn)
    deadline = time.time() + 600
    while time.time() < deadline:
        states = [t["lastStatus"] for i in range(0, len(arns), 100)
                  for t in ecs.describe_tasks(cluster=cluster, tasks=arns[i:i + 100])["tasks"]]
        if all(s == "STOPPED" for s in states):
            return
        time.sleep(2)
    print("WARNING: tasks still not stopped", flush=True)


def measure(server, ecs, args):
    ecs.create_cluster(clusterName=CLUSTER)
    ecs.register_task_definition(family="tti", containerDefinitions=[
        {"name": "app", "image": "busybox", "memory": 64, "essential": True}])
    for i in range(args.services):
        ecs.create_service(cluster=CLUSTER, serviceName=f"svc-{i:03d}", taskDefinition="tti", desiredCount=0)
    if args.tasks:
        run_tasks(server, ecs, CLUSTER, args.tasks)
    key, secret = server.credentials()
    env = dict(os.environ, WHARF_ENDPOINT=server.endpoint, WHARF_KEY=key, WHARF_SECRET=secret, RUNS=str(args.runs))
    print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    subprocess.run(["node", os.path.join(HERE, "console_tti.mjs"),
                    f"clusters list|#/ecs/clusters|tr:has-text('{CLUSTER}')",
                    f"cluster, {args.services} services|#/ecs/clusters/{CLUSTER}|tr:has-text('svc-{args.services - 1:03d}')"]
                   + ([f"cluster, {args.tasks} tasks|#/ecs/clusters/{CLUSTER}?tab=tasks|text=({args.tasks}) && tr:has-text('tti-sleep')"] if args.tasks else []),
                   env=env, check=True, timeout=600)
    print(f"load average after: {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
