#!/usr/bin/python3
"""What an internet-facing load balancer's public address costs (lb/public_addresses.h): the
same listener reached at its bind address (127.0.0.1:port) and at a public address
(198.51.100.x:port, DNAT'd by nft table ip wharf_lb_<region>_<hash>), side by side.

Needs root (the server makes the nft table). One `wharf server` with an internet-facing ALB
whose listener answers a fixed 200; two measures, interleaved in --rounds rounds:
  new connections  a fresh TCP connection per request (Connection: close), where the DNAT is
                   decided (conntrack's first packet): p50 per request and requests/s
  keep-alive       wrk -t1 -c16 for --seconds over kept connections: requests/s and p50
Ratios are public / direct. Not a test: CI does not run it.
"""
import os
import socket
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from wharf_harness import WharfServer, default_subnets, free_port  # noqa: E402
from benchlib import compare_listener_paths, listener_paths_args  # noqa: E402


def one_request(ip, port):
    t = time.perf_counter()
    with socket.create_connection((ip, port), timeout=5) as s:
        s.sendall(f"GET / HTTP/1.1\r\nHost: {ip}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    if not data.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"bad answer from {ip}:{port}: {data[:100]!r}")
    return time.perf_counter() - t


def new_connections(ip, port, n):
    start = time.perf_counter()
    times = [one_request(ip, port) for _ in range(n)]
    return statistics.median(times) * 1000, n / (time.perf_counter() - start)


def main():
    args = listener_paths_args(__doc__)
    with WharfServer() as server:
        ec2, elb = server.boto3("ec2"), server.boto3("elbv2")
        subnets = default_subnets(ec2)[:2]
        # Its own group, admitting the port from anywhere (the default group admits only its members).
        sg = ec2.create_security_group(GroupName="bench-public", Description="bench",
                                       VpcId=subnets[0]["VpcId"])["GroupId"]
        lb = elb.create_load_balancer(Name="bench-public", Subnets=[s["SubnetId"] for s in subnets],
                                      SecurityGroups=[sg])["LoadBalancers"][0]
        name_id = lb["LoadBalancerArn"].split(":loadbalancer/")[1]
        enis = ec2.describe_network_interfaces(Filters=[{"Name": "description", "Values": [f"ELB {name_id}"]}])
        public = sorted(e["Association"]["PublicIp"] for e in enis["NetworkInterfaces"])[0]
        port = free_port()
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port, DefaultActions=[{
            "Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "MessageBody": "ok"}}])
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        paths = {"direct": ((), "127.0.0.1", port), "public": ((), public, port)}
        compare_listener_paths(paths, args, lambda prefix, ip, port, n: new_connections(ip, port, n))
        elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
        ec2.delete_security_group(GroupId=sg)


if __name__ == "__main__":
    main()
