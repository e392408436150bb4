#!/usr/bin/python3
"""Measures a CloudFormation stack deploy on wharf against its critical path (see bench/README.md).

Seed 001's stack (tests/e2e/test_cloudformation.py's template: cluster, log group, execution role,
task definition, target group, load balancer, listener, a FARGATE service of 2 behind it) is
created with CreateStack; the time from the call to CREATE_COMPLETE (DescribeStacks polled every
0.1 s) is set beside

  critical path   the longest chain of dependencies (Ref, GetAtt, Sub, DependsOn) weighted by each
                  resource's own creation time (its CREATE_IN_PROGRESS to CREATE_COMPLETE events):
                  what no engine can beat without making a resource faster,
  serial sum      the sum of the resources' creation times: what creating them one at a time takes.

The aim (issue 18): deploy within 1 s of the critical path. Runs --rounds stacks, deleting each.
Not a test: exits non-zero only when a measurement failed. Everything it makes is removed when it
ends, also on an error. Run it alone: it refuses to start beside another wharf node.
"""
import argparse
import ast
import os
import shutil
import statistics
import sys
import tempfile
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import BenchError, run_main  # noqa: E402
from task_bench import other_wharf_node  # noqa: E402


def seed_template():
    """TEMPLATE of test_cloudformation.py, read without running the test."""
    path = os.path.join(REPO, "tests", "e2e", "test_cloudformation.py")
    for node in ast.parse(open(path).read()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "TEMPLATE":
            return node.value.value
    raise BenchError("no TEMPLATE in test_cloudformation.py")


class _Loader(yaml.SafeLoader):
    pass


def _short_form(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_Loader.add_multi_constructor("!", _short_form)


def dependencies(template_text):
    """Logical id -> the resources it depends on, as cloudformation/graph.h finds them."""
    resources = yaml.load(template_text, Loader=_Loader)["Resources"]

    def names(v, out):
        if isinstance(v, list):
            for x in v:
                names(x, out)
        elif isinstance(v, dict):
            if len(v) == 1 and "Ref" in v and isinstance(v["Ref"], str):
                out.add(v["Ref"])
            elif len(v) == 1 and "Fn::GetAtt" in v:
                a = v["Fn::GetAtt"]
                out.add(a.split(".")[0] if isinstance(a, str) else a[0])
            elif len(v) == 1 and "Fn::Sub" in v:
                s = v["Fn::Sub"] if isinstance(v["Fn::Sub"], str) else v["Fn::Sub"][0]
                for part in s.split("${")[1:]:
                    out.add(part.split("}")[0].split(".")[0])
                if not isinstance(v["Fn::Sub"], str):
                    names(v["Fn::Sub"][1], out)
            else:
                for x in v.values():
                    names(x, out)

    deps = {}
    for rid, r in resources.items():
        found = set()
        names(r.get("Properties", {}), found)
        d = r.get("DependsOn", [])
        found |= set([d] if isinstance(d, str) else d)
        deps[rid] = {x for x in found if x in resources}
    return deps


def critical_path(deps, seconds):
    """The longest chain (sum of own creation times) and its resources."""
    memo = {}

    def longest(rid):
        if rid not in memo:
            best = max((longest(d) for d in deps[rid]), key=lambda x: x[0], default=(0.0, []))
            memo[rid] = (best[0] + seconds[rid], best[1] + [rid])
        return memo[rid]

    return max((longest(r) for r in deps), key=lambda x: x[0])


class CfnBench:
    def __init__(self, layout):
        from wharf_harness import WharfServer, free_port
        from task_fixtures import push_to_wharf
        self.server = WharfServer(agent=True).start()
        self.image = push_to_wharf(self.server, layout, "v1", "bench/app")
        self.cfn, self.ecs = self.server.boto3("cloudformation"), self.server.boto3("ecs")
        subnets = sorted(self.server.boto3("ec2").describe_subnets()["Subnets"], key=lambda s: s["AvailabilityZone"])
        self.subnets = subnets
        self.free_port = free_port

    def deploy(self, template, name):
        params = {"Image": self.image, "ListenerPort": str(self.free_port()), "Message": "bench",
                  "Subnets": f"{self.subnets[0]['SubnetId']},{self.subnets[1]['SubnetId']}",
                  "VpcId": self.subnets[0]["VpcId"]}
        t0 = time.monotonic()
        self.cfn.create_stack(StackName=name, TemplateBody=template, Capabilities=["CAPABILITY_IAM"],
                              Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()])
        while True:
            status = self.cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
            if not status.endswith("_IN_PROGRESS"):
                break
            if time.monotonic() - t0 > 300:
                raise BenchError(f"{name} still {status} after 300 s")
            time.sleep(0.1)
        wall = time.monotonic() - t0
        if status != "CREATE_COMPLETE":
            raise BenchError(f"{name} ended {status}")
        pages = self.cfn.get_paginator("describe_stack_events").paginate(StackName=name)
        events = [e for p in pages for e in p["StackEvents"]]
        began, ended = {}, {}
        for e in reversed(events):  # oldest first
            rid, st, ts = e["LogicalResourceId"], e["ResourceStatus"], e["Timestamp"].timestamp()
            if st == "CREATE_IN_PROGRESS":
                began.setdefault(rid, ts)
            elif st == "CREATE_COMPLETE":
                ended[rid] = ts
        own = {rid: ended[rid] - began[rid] for rid in ended if rid != name}
        by_events = ended[name] - began[name]
        return wall, by_events, own

    def delete(self, name):
        self.cfn.delete_stack(StackName=name)
        self.cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})

    def close(self):
        from task_fixtures import remove_node_networks, stop_services_and_tasks
        try:
            for s in self.cfn.list_stacks()["StackSummaries"]:
                if s["StackStatus"] != "DELETE_COMPLETE":
                    self.delete(s["StackName"])
            for cluster in self.ecs.list_clusters()["clusterArns"]:
                stop_services_and_tasks(self.ecs, cluster)
        finally:
            self.server.__exit__(None, None, None)
            remove_node_networks()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3, help="stacks deployed and measured (default 3)")
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    args = ap.parse_args()
    os.environ.setdefault("WHARF_BIN", os.path.join(args.build_dir, "wharf"))
    import registry_fixtures as rf  # after WHARF_BIN: wharf_harness reads it at import
    from task_fixtures import build_app_image
    rf.install_signal_cleanup()
    other = other_wharf_node()
    if other:
        raise BenchError(f"another wharf node runs on this machine ({other}); run the bench alone")
    template = seed_template()
    deps = dependencies(template)
    work = tempfile.mkdtemp(prefix="wharf-cfnbench-")
    layout = os.path.join(work, "layout")
    bench = None
    rounds = []
    load = os.getloadavg()[0]
    try:
        build_app_image(layout, "v1")
        bench = CfnBench(layout)
        for i in range(args.rounds):
            name = f"bench{i}"
            print(f"round {i + 1}: deploying seed 001's stack ...", flush=True)
            wall, by_events, own = bench.deploy(template, name)
            path_s, path = critical_path(deps, own)
            rounds.append((wall, by_events, path_s, sum(own.values()), path, own))
            bench.delete(name)
    finally:
        if bench:
            bench.close()
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n{os.cpu_count()} cores, 1-minute load average before the run: {load:.2f}")
    print("\nseed 001's stack (8 resources; the service is CREATE_COMPLETE once stable: 2 tasks healthy)")
    print(f"{'round':>5} {'deploy':>8} {'events':>8} {'critical':>9} {'serial':>8} {'deploy-critical':>16}")
    for i, (wall, by_events, path_s, serial, _, _) in enumerate(rounds):
        print(f"{i + 1:>5} {wall:>7.2f}s {by_events:>7.2f}s {path_s:>8.2f}s {serial:>7.2f}s {wall - path_s:>15.2f}s")
    wall_m = statistics.median(r[0] for r in rounds)
    path_m = statistics.median(r[2] for r in rounds)
    serial_m = statistics.median(r[3] for r in rounds)
    print(f"median: deploy {wall_m:.2f} s, critical path {path_m:.2f} s (ratio {wall_m / path_m:.2f}), "
          f"serial sum {serial_m:.2f} s (deploy/serial {wall_m / serial_m:.2f})")
    last = rounds[-1]
    print("critical path of the last round: " + " -> ".join(f"{r} {last[5][r]:.2f}s" for r in last[4]))
    print("deploy: CreateStack to CREATE_COMPLETE seen by DescribeStacks every 0.1 s; events: the stack's own "
          "CREATE_IN_PROGRESS to CREATE_COMPLETE events")


if __name__ == "__main__":
    run_main(main)
