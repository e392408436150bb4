#!/usr/bin/python3
"""Security groups on a real wharf node (docs/SECURITY_GROUPS.md):

1. Throughput from one awsvpc task to another on the same subnet (busybox httpd, wrk run inside
   the client task's network namespace), with the groups enforced and with the node's table
   removed (unfiltered), side by side.
2. The time a rule change takes to reach N running tasks: N tasks in sg-b, a client in sg-a;
   AuthorizeSecurityGroupIngress (sg-b from sg-a) until every one of them answers the client,
   then the revoke until none does.

Run as root on a quiet machine, under the e2e lock:
  flock /tmp/wharf-e2e.lock env WHARF_BIN=$PWD/build/wharf WHARF_TESTS=$PWD/tests bench/sg_bench.py [N]
"""
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("WHARF_TESTS", os.path.join(os.path.dirname(__file__), "../tests")), "e2e"))
from wharf_harness import WharfServer  # noqa: E402
from task_fixtures import prepare, push_to_wharf, wait_task, task_netns  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10
before, layout = prepare("v1")
HTTPD = "dd if=/dev/zero of=/www/big bs=1024 count=65536 2>/dev/null; httpd -f -p 8080 -h /www"
ROUNDS = 3


def in_task(task, *argv, **kw):
    return subprocess.run(["ip", "netns", "exec", task_netns(task["id"])] + list(argv), capture_output=True, text=True, **kw)


def reachable(client, ip):
    """An admitted connect on the node's bridge takes a millisecond or two: a probe gives up
    after 0.2 s, so a change is timed to that."""
    return in_task(client, "timeout", "0.2", "busybox", "nc", "-w", "1", ip, "8080",
                   stdin=subprocess.DEVNULL).returncode == 0


def wrk(client, url, seconds=4):
    """Requests per second: busybox httpd closes every connection, so each request is a new
    connection (a SYN through the rules, a conntrack entry)."""
    out = in_task(client, "wrk", "-t1", "-c8", f"-d{seconds}s", url).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def download(client, url, times=3):
    """MiB/s of a 64 MiB file, fetched `times` times in a row: the per-packet cost."""
    start = time.time()
    for _ in range(times):
        in_task(client, "busybox", "wget", "-q", "-O", "/dev/null", url, check=True)
    return 64 * times / (time.time() - start)


def all_become(client, targets, want, timeout=10):
    """Seconds until every target's reachability is `want` (each probed back to back)."""
    start = time.time()

    def one(t):
        while time.time() - start < timeout:
            if reachable(client, t["ip"]) == want:
                return time.time() - start
        return None

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(targets)) as pool:
        times = list(pool.map(one, targets))
    return None if None in times else max(times)


with WharfServer(agent=True) as server:
    image = push_to_wharf(server, layout, "v1", "app")
    ec2, ecs = server.boto3("ec2"), server.boto3("ecs")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnet = sorted(ec2.describe_subnets()["Subnets"], key=lambda s: s["AvailabilityZone"])[0]["SubnetId"]
    sg_a = ec2.create_security_group(GroupName="bench-a", Description="client", VpcId=vpc)["GroupId"]
    sg_b = ec2.create_security_group(GroupName="bench-b", Description="servers", VpcId=vpc)["GroupId"]
    td = ecs.register_task_definition(
        family="sg-bench", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "web", "image": image, "essential": True, "stopTimeout": 2,
                               "entryPoint": ["/bin/sh", "-c"], "command": [HTTPD]}])["taskDefinition"]["taskDefinitionArn"]

    def run(group, count=1):
        out = []
        while len(out) < count:
            n = min(10, count - len(out))
            tasks = ecs.run_task(launchType="FARGATE", taskDefinition=td, count=n, networkConfiguration={
                "awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}})["tasks"]
            for t in tasks:
                t = wait_task(server, "default", t["taskArn"], "RUNNING", timeout=120)
                details = {d["name"]: d["value"] for d in t["attachments"][0]["details"]}
                out.append({"arn": t["taskArn"], "id": t["taskArn"].rsplit("/", 1)[1], "ip": details["privateIPv4Address"]})
        return out

    results = {"tasks": N}
    try:
        client = run(sg_a)[0]
        servers = run(sg_b, N)
        rule = [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": sg_a}]}]

        t0 = time.time()
        ec2.authorize_security_group_ingress(GroupId=sg_b, IpPermissions=rule)
        api = time.time() - t0
        took = all_become(client, servers, True)
        results["authorize_to_all_reachable_s"] = took and round(took, 3)
        results["authorize_api_s"] = round(api, 3)
        ec2.revoke_security_group_ingress(GroupId=sg_b, IpPermissions=rule)
        took = all_become(client, servers, False)
        results["revoke_to_none_reachable_s"] = took and round(took, 3)
        ec2.authorize_security_group_ingress(GroupId=sg_b, IpPermissions=rule)
        all_become(client, servers, True)

        big, small = f"http://{servers[0]['ip']}:8080/big", f"http://{servers[0]['ip']}:8080/index.html"
        download(client, big, 1)  # warm up (the page cache)
        extra = 9
        samples = {"enforced": {"MiB_per_s": [], "conn_per_s": []}, "unfiltered": {"MiB_per_s": [], "conn_per_s": []}}
        for _ in range(ROUNDS):  # alternating, so that drift hits both alike
            samples["enforced"]["MiB_per_s"].append(download(client, big))
            samples["enforced"]["conn_per_s"].append(wrk(client, small))
            subprocess.run(["nft", "delete", "table", "inet", "wharf"], check=True)
            samples["unfiltered"]["MiB_per_s"].append(download(client, big))
            samples["unfiltered"]["conn_per_s"].append(wrk(client, small))
            # A rule change makes the node apply its ruleset again.
            ec2.authorize_security_group_ingress(GroupId=sg_b, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": extra, "ToPort": extra, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
            extra += 1
            deadline = time.time() + 5
            while subprocess.run(["nft", "list", "table", "inet", "wharf"], capture_output=True).returncode != 0:
                assert time.time() < deadline, "the node did not apply its table again"
                time.sleep(0.05)
        for mode, values in samples.items():
            results[mode] = {k: round(sorted(v)[len(v) // 2], 1) for k, v in values.items()}
        rules = subprocess.run(["nft", "list", "table", "inet", "wharf"], capture_output=True, text=True).stdout
        results["table_lines"] = len(rules.splitlines())
        results["rounds"] = ROUNDS
    finally:
        server.stop_all_tasks(timeout=120)
    print(json.dumps(results, indent=1))
