#!/usr/bin/python3
"""Seed 001 by clicks in the web console: Debian's chromium, driven headless by playwright-core,
makes a cluster, task definition, load balancer and service of two tasks on a real wharf with
its node, sees them healthy and answering, and deletes it all (tests/e2e/console/seed001.mjs;
test_console.py has the pages that need no node and runs beside the container tests)."""
import os
import subprocess
import time

from console_browser import HERE, artifacts_dir, run_browser, skip_without_chromium
from task_fixtures import stop_services_and_tasks
from wharf_harness import Checks, WharfServer, free_port

skip_without_chromium()
ARTIFACTS = artifacts_dir("console")
checks = Checks()


# It runs tasks, so root (CI is root).
if os.geteuid() != 0:
    print("   | not root: seed 001's click-through (it runs tasks) is left out")
else:
    with WharfServer(agent=True) as server:
        repo_root = os.path.join(HERE, "..", "..")
        image = subprocess.run([os.path.join(repo_root, "scripts", "demo-image.sh"), server.endpoint, "alba-digi",
                                "v1", "5050"], env=server.env(), capture_output=True, text=True, check=True,
                               timeout=120).stdout.strip()
        # The cluster's tasks tab a page at a time: 12 idle tasks in the node's cluster.
        ecs = server.boto3("ecs")
        ecs.create_cluster(clusterName="default")
        ecs.register_task_definition(family="console-pages", networkMode="none", requiresCompatibilities=["EC2"],
                                     containerDefinitions=[{"name": "idle", "image": image, "memory": 8,
                                                            "command": ["exec sleep 3600"], "essential": True,
                                                            # sleep, pid 1, ignores SIGTERM: not 30 s to stop
                                                            "stopTimeout": 2}])
        started = time.time()
        try:
            for _ in range(2):
                ecs.run_task(cluster="default", taskDefinition="console-pages", count=6, launchType="EC2")
            deadline = time.time() + 60
            while ecs.describe_clusters(clusters=["default"])["clusters"][0]["runningTasksCount"] < 12:
                assert time.time() < deadline, "12 tasks not RUNNING after 60 s"
                time.sleep(0.2)
            print(f"   | 12 tasks RUNNING {time.time() - started:.1f} s after RunTask", flush=True)
            run_browser(checks, server, "task_pages.mjs", ARTIFACTS, timeout=120,
                        extra={"CLUSTER": "default", "TASKS": "12"})
        finally:
            stopping = time.time()
            stop_services_and_tasks(ecs, "default")
            print(f"   | the 12 tasks stopped in {time.time() - stopping:.1f} s", flush=True)
        started = time.time()
        run_browser(checks, server, "seed001.mjs", ARTIFACTS, timeout=600,
                    extra={"IMAGE": image, "LB_PORT": str(free_port())})
        print(f"   | seed 001 by clicks took {time.time() - started:.1f} s", flush=True)
        if checks.failed:
            # What ECS says happened (CI keeps only the output), and no task left running.
            ecs = server.boto3("ecs")
            for cluster in ecs.list_clusters()["clusterArns"]:
                for svc in ecs.describe_services(cluster=cluster, services=ecs.list_services(cluster=cluster)["serviceArns"] or ["none"]).get("services", []):
                    print("   | service events:", [e["message"] for e in svc["events"][:5]], flush=True)
                arns = ecs.list_tasks(cluster=cluster, desiredStatus="STOPPED")["taskArns"]
                for t in ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []:
                    print("   | stopped task:", t.get("stoppedReason"), [c.get("reason") for c in t["containers"]], flush=True)
                stop_services_and_tasks(ecs, cluster)

checks.finish()
