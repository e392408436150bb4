#!/usr/bin/python3
"""Measures the awslogs capture path: a task whose container writes --lines lines as fast as it
can (busybox `seq`), shipped by the node to CloudWatch Logs. Prints the capture throughput
(lines/s from the task's start until the last line is readable with FilterLogEvents) and the
tail latency: how long a single line echoed by a running container takes to become readable
(p50/p95 over --probes lines). Needs root and no other wharf node on the machine.

  bench/capture_bench.py [--build-dir build] [--lines 200000] [--probes 20]
"""
import argparse
import os
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))


def count_events(logs, group, stream):
    total, kwargs = 0, dict(logGroupName=group, logStreamNames=[stream], limit=10000)
    while True:
        page = logs.filter_log_events(**kwargs)
        total += len(page["events"])
        if "nextToken" not in page:
            return total
        kwargs["nextToken"] = page["nextToken"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    p.add_argument("--lines", type=int, default=200_000)
    p.add_argument("--probes", type=int, default=20)
    args = p.parse_args()
    os.environ["WHARF_BIN"] = os.path.join(args.build_dir, "wharf")
    from wharf_harness import WharfServer
    from task_fixtures import prepare, push_to_wharf, wait_task

    _, layout = prepare("v1")
    with WharfServer(agent=True) as server:
        image = push_to_wharf(server, layout, "v1", "app")
        ecs, logs = server.boto3("ecs"), server.boto3("logs")

        def run(family, command):
            ecs.register_task_definition(family=family, containerDefinitions=[{
                "name": "main", "image": image, "memory": 64, "stopTimeout": 1,
                "entryPoint": ["/bin/sh", "-c"], "command": [command],
                "logConfiguration": {"logDriver": "awslogs", "options": {
                    "awslogs-group": "/bench/" + family, "awslogs-stream-prefix": "b",
                    "awslogs-create-group": "true"}}}])
            task = ecs.run_task(taskDefinition=family)["tasks"][0]
            return task["taskArn"], "b/main/" + task["taskArn"].rsplit("/", 1)[1]

        # Throughput: seq as fast as it can, then wait until every line is readable.
        arn, stream = run("flood", f"seq 1 {args.lines}; sleep 600")
        wait_task(server, "default", arn, "RUNNING")
        started = time.time()
        while count_events(logs, "/bench/flood", stream) < args.lines:
            time.sleep(0.05)
        elapsed = time.time() - started
        ecs.stop_task(task=arn)

        # Tail latency: a line every half second carrying the host's uptime when it was written
        # (/proc/uptime is not namespaced, 10 ms resolution), compared with the uptime when read.
        arn, stream = run("probe", "while true; do cut -d' ' -f1 /proc/uptime; sleep 0.5; done")
        wait_task(server, "default", arn, "RUNNING")
        latencies, seen = [], set()
        deadline = time.time() + args.probes * 2 + 30
        while len(latencies) < args.probes and time.time() < deadline:
            for e in logs.filter_log_events(logGroupName="/bench/probe", startTime=int(time.time() * 1000) - 5000)["events"]:
                if e["eventId"] in seen or not e["message"].replace(".", "").isdigit():
                    continue
                seen.add(e["eventId"])
                with open("/proc/uptime") as f:
                    latencies.append((float(f.read().split()[0]) - float(e["message"])) * 1000)
            time.sleep(0.01)
        ecs.stop_task(task=arn)

    latencies.sort()
    print(f"capture: {args.lines} lines in {elapsed:.2f}s = {args.lines / elapsed:,.0f} lines/s "
          "(from RUNNING until the last line is readable)")
    if latencies:
        p95 = latencies[int(len(latencies) * 0.95) - 1] if len(latencies) >= 20 else latencies[-1]
        print(f"tail latency (container echo -> FilterLogEvents): p50 {statistics.median(latencies):.0f} ms, "
              f"p95 {p95:.0f} ms over {len(latencies)} lines (aim: under 100 ms)")


if __name__ == "__main__":
    main()
