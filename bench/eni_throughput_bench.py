#!/usr/bin/python3
"""TCP throughput through an enforced ENI beside the same path unfiltered (issue 13's aim: >= 95 %).

A wharf server with its node runs two awsvpc tasks on the default VPC's first subnet: a server
task in sg-srv (ingress tcp 5201 from sg-cli) and a client task in sg-cli (the default egress:
all). iperf3 (the host's binary, run inside each task's network namespace with `ip netns exec`)
sends from the client to the server, one TCP stream, for --seconds, then the reverse (-R: the
server task sends). The path is veth -> the subnet's bridge -> veth, through br_netfilter into the
node's `inet wharf_<hash>` table: the connection's first packet walks the client's egress chain and
the server's ingress chain; every later packet, either direction, is accepted by the base
chains' first rules (`ct state established`, docs/SECURITY_GROUPS.md "Connection tracking").

Unfiltered is the same path with that table deleted (`nft delete table inet wharf_<hash>`); a rule
change then makes the node apply it again. Rounds alternate enforced / unfiltered so that drift
on the shared machine hits both alike; medians of --rounds. Everything is removed at the end
(tasks stopped, groups deleted, the server stopped), also on an error.

Run as root, under the e2e lock:
  flock /tmp/wharf-e2e.lock env WHARF_BIN=$PWD/build/wharf WHARF_TESTS=$PWD/tests \
      bench/eni_throughput_bench.py [--rounds 5] [--seconds 3]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("WHARF_TESTS", os.path.join(os.path.dirname(__file__), "../tests")), "e2e"))
from wharf_harness import WharfServer  # noqa: E402
from task_fixtures import prepare, push_to_wharf, wait_task, task_netns  # noqa: E402

PORT = 5201
SLEEPER = "trap 'exit 0' TERM; sleep 3600 & wait"


def in_task(task, *argv, **kw):
    return subprocess.run(["ip", "netns", "exec", task_netns(task["id"]), *argv], capture_output=True, text=True, **kw)


def iperf(client, server_ip, seconds, reverse):
    """Gbit/s received, one TCP stream (iperf3's JSON end.sum_received)."""
    argv = ["iperf3", "-J", "-c", server_ip, "-p", str(PORT), "-t", str(seconds), "-O", "1"]
    out = in_task(client, *(argv + (["-R"] if reverse else [])), timeout=seconds + 30)
    if out.returncode != 0:
        raise RuntimeError(f"iperf3: {out.stdout[-400:]} {out.stderr[-400:]}")
    return json.loads(out.stdout)["end"]["sum_received"]["bits_per_second"] / 1e9


def connect(client, ip, port):
    """A TCP connect from inside the client task's namespace, given up after 1 s: "ok",
    "refused" (the peer answered with a reset) or "timeout" (dropped on the way)."""
    probe = (f"import socket\ntry:\n socket.create_connection(('{ip}', {port}), timeout=1).close(); print('ok')\n"
             "except ConnectionRefusedError: print('refused')\nexcept OSError: print('timeout')")
    return in_task(client, "python3", "-c", probe).stdout.strip()


def table_present(server):
    return subprocess.run(["nft", "list", "table", "inet", server.node_table("wharf")],
                          capture_output=True).returncode == 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seconds", type=int, default=3)
    args = p.parse_args()
    if not shutil.which("iperf3"):
        sys.exit("eni_throughput_bench: iperf3 is not installed (apt-get install iperf3)")
    _, layout = prepare("v1")
    load = os.getloadavg()[0]
    with WharfServer(agent=True) as server:
        image = push_to_wharf(server, layout, "v1", "app")
        ec2, ecs = server.boto3("ec2"), server.boto3("ecs")
        vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        subnet = sorted(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"],
                        key=lambda s: s["AvailabilityZone"])[0]["SubnetId"]
        groups = []
        iperf_server = None
        try:
            sg_cli = ec2.create_security_group(GroupName="eni-bench-cli", Description="client", VpcId=vpc)["GroupId"]
            groups.append(sg_cli)
            sg_srv = ec2.create_security_group(GroupName="eni-bench-srv", Description="server", VpcId=vpc)["GroupId"]
            groups.append(sg_srv)
            ec2.authorize_security_group_ingress(GroupId=sg_srv, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": PORT, "ToPort": PORT, "UserIdGroupPairs": [{"GroupId": sg_cli}]}])
            td = ecs.register_task_definition(
                family="eni-bench", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
                containerDefinitions=[{"name": "main", "image": image, "essential": True, "stopTimeout": 1,
                                       "entryPoint": ["/bin/sh", "-c"], "command": [SLEEPER]}])["taskDefinition"]["taskDefinitionArn"]

            def run(group):
                t = ecs.run_task(launchType="FARGATE", taskDefinition=td, networkConfiguration={
                    "awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}})["tasks"][0]
                t = wait_task(server, "default", t["taskArn"], "RUNNING", timeout=120)
                details = {d["name"]: d["value"] for d in t["attachments"][0]["details"]}
                return {"arn": t["taskArn"], "id": t["taskArn"].rsplit("/", 1)[1], "ip": details["privateIPv4Address"]}

            client, srv = run(sg_cli), run(sg_srv)
            iperf_server = subprocess.Popen(["ip", "netns", "exec", task_netns(srv["id"]), "iperf3", "-s", "-p", str(PORT)],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # A port the rules do not admit times out: the table really filters.
            assert connect(client, srv["ip"], PORT + 1) == "timeout", "an unadmitted port was not dropped"
            deadline = time.time() + 10
            while True:  # iperf3 -s listening; the first run warms up
                try:
                    iperf(client, srv["ip"], 1, False)
                    break
                except RuntimeError:
                    assert time.time() < deadline, "iperf3 does not get through the enforced ENI"
                    time.sleep(0.2)
            samples = {(mode, d): [] for mode in ("enforced", "unfiltered") for d in ("client->server", "server->client")}
            extra = 9
            for _ in range(args.rounds):
                assert table_present(server)
                for d, rev in (("client->server", False), ("server->client", True)):
                    samples[("enforced", d)].append(iperf(client, srv["ip"], args.seconds, rev))
                subprocess.run(["nft", "delete", "table", "inet", server.node_table("wharf")], check=True)
                for d, rev in (("client->server", False), ("server->client", True)):
                    samples[("unfiltered", d)].append(iperf(client, srv["ip"], args.seconds, rev))
                # A rule change makes the node apply its table again.
                ec2.authorize_security_group_ingress(GroupId=sg_srv, IpPermissions=[
                    {"IpProtocol": "tcp", "FromPort": extra, "ToPort": extra, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
                extra += 1
                deadline = time.time() + 5
                while not table_present(server):
                    assert time.time() < deadline, "the node did not apply its table again"
                    time.sleep(0.05)
        finally:
            if iperf_server:
                iperf_server.terminate()
                iperf_server.wait()
            server.stop_all_tasks(timeout=120)
            for g in reversed(groups):
                try:
                    ec2.delete_security_group(GroupId=g)
                except Exception as e:  # cleanup goes on
                    print(f"cleanup: {e}", file=sys.stderr)
    print(f"\nTCP throughput between two awsvpc tasks on one subnet, one iperf3 stream, {args.seconds} s, "
          f"median of {args.rounds} alternating rounds; {os.cpu_count()} cores, load {load:.2f} before\n")
    print(f"{'direction':<18}{'enforced Gbit/s':>17}{'unfiltered Gbit/s':>19}{'ratio':>8}")
    ratios = []
    for d in ("client->server", "server->client"):
        e, u = statistics.median(samples[("enforced", d)]), statistics.median(samples[("unfiltered", d)])
        ratios.append(e / u)
        print(f"{d:<18}{e:>17.2f}{u:>19.2f}{e / u:>7.1%}")
        print(f"{'':<18}{'rounds:':>9} " + "  ".join(
            f"{a:.1f}/{b:.1f}" for a, b in zip(samples[("enforced", d)], samples[("unfiltered", d)])))
    worst = min(ratios)
    print(f"\naim: enforced >= 95 % of unfiltered   {worst:.1%}   {'met' if worst >= 0.95 else 'NOT MET'}")


if __name__ == "__main__":
    main()
