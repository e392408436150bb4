#!/usr/bin/python3
"""What reaching an internal load balancer inside its VPC costs (lb/public_addresses.h): a
listener at its bind address (127.0.0.1:port, from the host) against an internal listener at
its interface address, from a network namespace in its VPC (veth, the subnet's bridge, nft's
redirect to the bridge's own address, the load balancers' security-group check), side by side.

Needs root. One `wharf server` (no agent): the bench makes what the agent would, a bridge named
as the default VPC's first default subnet's (wh-<subnet id's last 12>) with its gateway address
and a namespace on it, and removes both at the end. Two load balancers answer a fixed 200:
"bench-direct" (internet-facing, reached at 127.0.0.1) and "bench-internal" (reached at its
interface in the second default subnet, through the gateway). Measures, interleaved in --rounds:
  new connections  a fresh TCP connection per request (Connection: close): p50 and requests/s
  keep-alive       wrk -t1 -c16 for --seconds: requests/s and p50
Ratios are internal / direct. Not a test: CI does not run it.
"""
import ipaddress
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from wharf_harness import WharfServer, default_subnets, free_port  # noqa: E402
from benchlib import compare_listener_paths, listener_paths_args  # noqa: E402

NETNS = "wharf-bench-lbin"
VETH = "wh-bench-lbin"

# The client runs inside the namespace: lb_public_bench's, imported there.
CLIENT = ("import sys; sys.path.insert(0, sys.argv[1]); from lb_public_bench import new_connections; "
          "print(*new_connections(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))")


def run(*argv):
    subprocess.run(list(argv), check=True, capture_output=True)


def new_connections(prefix, ip, port, n):
    out = subprocess.run(prefix + ["python3", "-c", CLIENT, os.path.dirname(os.path.abspath(__file__)), ip, str(port),
                                   str(n)], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), float(out[1])


def make_client(bridge, cidr):
    """A namespace on `bridge` (made here, with the subnet's gateway), as a task on its subnet."""
    net = ipaddress.ip_network(cidr)
    gateway, client = net.network_address + 1, net.network_address + 200
    run("ip", "link", "add", bridge, "type", "bridge")
    run("ip", "addr", "add", f"{gateway}/{net.prefixlen}", "dev", bridge)
    run("ip", "link", "set", bridge, "up")
    run("ip", "netns", "add", NETNS)
    run("ip", "link", "add", VETH, "type", "veth", "peer", "name", "eth0", "netns", NETNS)
    run("ip", "link", "set", VETH, "master", bridge, "up")
    run("ip", "-n", NETNS, "addr", "add", f"{client}/{net.prefixlen}", "dev", "eth0")
    run("ip", "-n", NETNS, "link", "set", "eth0", "up")
    run("ip", "-n", NETNS, "link", "set", "lo", "up")
    run("ip", "-n", NETNS, "route", "add", "default", "via", str(gateway))


def remove_client(bridge):
    subprocess.run(["ip", "netns", "del", NETNS], capture_output=True)
    subprocess.run(["ip", "link", "del", VETH], capture_output=True)
    subprocess.run(["ip", "link", "del", bridge], capture_output=True)


def main():
    args = listener_paths_args(__doc__)
    with WharfServer() as server:
        ec2, elb = server.boto3("ec2"), server.boto3("elbv2")
        subnets = default_subnets(ec2)[:2]
        vpc = subnets[0]["VpcId"]
        vpc_cidr = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["CidrBlock"]
        bridge = "wh-" + subnets[0]["SubnetId"][-12:]
        sg = ec2.create_security_group(GroupName="bench-lb", Description="bench", VpcId=vpc)["GroupId"]
        lbs = []
        try:
            make_client(bridge, subnets[0]["CidrBlock"])
            ports = {}
            for name, scheme in (("direct", "internet-facing"), ("internal", "internal")):
                lb = elb.create_load_balancer(Name=f"bench-{name}", Subnets=[s["SubnetId"] for s in subnets],
                                              Scheme=scheme, SecurityGroups=[sg])["LoadBalancers"][0]
                lbs.append(lb["LoadBalancerArn"])
                port = ports[name] = free_port()
                elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port,
                                    DefaultActions=[{"Type": "fixed-response",
                                                     "FixedResponseConfig": {"StatusCode": "200", "MessageBody": "ok"}}])
                ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
                    {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": vpc_cidr}]}])
            name_id = lbs[1].split(":loadbalancer/")[1]
            enis = ec2.describe_network_interfaces(Filters=[{"Name": "description", "Values": [f"ELB {name_id}"]}])
            internal_ip = [e["PrivateIpAddress"] for e in enis["NetworkInterfaces"]
                           if e["SubnetId"] == subnets[1]["SubnetId"]][0]
            paths = {"direct": ([], "127.0.0.1", ports["direct"]),
                     "internal": (["ip", "netns", "exec", NETNS], internal_ip, ports["internal"])}
            compare_listener_paths(paths, args, new_connections)
        finally:
            for arn in lbs:
                elb.delete_load_balancer(LoadBalancerArn=arn)
            remove_client(bridge)
            ec2.delete_security_group(GroupId=sg)


if __name__ == "__main__":
    main()
