#!/usr/bin/python3
"""A VPC's ways out, per subnet, as its route tables say (issue 13 part 3), driven with boto3.

The host plays the internet: the test makes a network namespace ("the internet") joined to the
host by a veth pair (203.0.113.1 on the host, 203.0.113.2 inside), where a listener answers
every request with the source address it sees. In one VPC (10.0.0.0/16):
- a public subnet, its route table sending 0.0.0.0/0 to an internet gateway: a task with
  assignPublicIp ENABLED leaves with its public address (from the server's pool) and is reached
  at it from the host and from the internet namespace; DescribeNetworkInterfaces shows the
  address as association.publicIp; a DISABLED task there reaches nothing outside (no public
  address, as on AWS) and is not reached at its private address from outside, until an
  elastic IP is associated with its interface;
- a private subnet whose route table sends 0.0.0.0/0 to a NAT gateway (elastic IP, in the
  public subnet): its task reaches the internet with the elastic IP as its source; the route
  deleted, the running task no longer does; ENABLED in it is refused with ECS's error. Tasks
  pull their images through their subnet as on Fargate: with the NAT route the task runs; without it a task
  stops with CannotPullContainerError ... i/o timeout, and runs again once the VPC has the
  ecr.api and ecr.dkr interface endpoints and the s3 gateway endpoint in its route table; its
  secrets (SSM) then fail with ResourceInitializationError ... i/o timeout until an ssm
  interface endpoint is made too. The endpoints are real packets: the VPC resolver answers
  the services' names with the endpoints' interface addresses (DescribeNetworkInterfaces
  shows them), the task's connections go there, and the node redirects them to the server
  only while the endpoint's security group admits 443 from the task: revoked, the pull times
  out in Fargate's words; an ssm endpoint with the VPC's default group times the secrets out
  until its group admits the task. RunTask -> RUNNING through the NAT gateway and through
  the endpoints is printed. An endpoint deleted ends the connections made through it: a
  kept-alive connection answered before gets no answer after.
A second address put on a task's interface (nobody's ENI, a forged source) reaches none of the
host's addresses, whatever the task's way out. The node's nft tables, deleted by someone else
(as `nft flush ruleset` would; only this node's own here), emptied (`nft flush table`), or
deleted and made again empty in one transaction, and a set of theirs flushed, are back within a
second (the median of five flushes printed).
Requests from tasks are made inside their network namespaces (`ip netns exec`). The test stops
its tasks, deletes what it made (the namespace and veth too) and checks the host is left as it
was found (bridges, ip rules, nft tables).
"""
import datetime
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import Checks, WharfServer, expect_client_error, free_port  # noqa: E402
from registry_fixtures import on_exit  # noqa: E402
from task_fixtures import call_through_endpoint, prepare, push_to_wharf, task_netns, wait_clean, wait_task  # noqa: E402

checks = Checks()
before, layout = prepare("v1")

INET = f"wharfinet{os.getpid() % 100000}"
HOST_END, INET_END = f"wtin{os.getpid() % 100000}", "eth0"
HOST_IP, INET_IP = "203.0.113.1", "203.0.113.2"
LISTENER = """
import http.server
class Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = self.client_address[0].encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("203.0.113.2", 8080), Echo).serve_forever()
"""

V6_PORT = 18000 + os.getpid() % 1000
LISTENER6 = LISTENER.replace("http.server.ThreadingHTTPServer((\"203.0.113.2\", 8080), Echo)",
                             f"type('V6', (http.server.ThreadingHTTPServer,), {{'address_family': socket.AF_INET6}})"
                             f"(('::', {V6_PORT}), Echo)").replace("import http.server", "import http.server, socket")


def sh(*argv, check=True):
    return subprocess.run(argv, check=check, capture_output=True, text=True)


def remove_internet():
    sh("ip", "netns", "del", INET, check=False)  # its veth end goes with it, and so the host's
    sh("ip", "link", "del", HOST_END, check=False)


def make_internet():
    on_exit(remove_internet)
    sh("ip", "netns", "add", INET)
    sh("ip", "link", "add", HOST_END, "type", "veth", "peer", "name", INET_END, "netns", INET)
    sh("ip", "addr", "add", HOST_IP + "/24", "dev", HOST_END)
    sh("ip", "link", "set", HOST_END, "up")
    for cmd in (["ip", "addr", "add", INET_IP + "/24", "dev", INET_END], ["ip", "link", "set", INET_END, "up"],
                ["ip", "link", "set", "lo", "up"], ["ip", "route", "add", "default", "via", HOST_IP]):
        sh("ip", "netns", "exec", INET, *cmd)
    listener = subprocess.Popen(["ip", "netns", "exec", INET, "/usr/bin/python3", "-c", LISTENER])
    on_exit(listener.kill)
    # A service of the host itself, on the host's end of the veth: tasks reach it only when
    # their network lets them out (the host is the internet).
    host_listener = subprocess.Popen(["/usr/bin/python3", "-c", LISTENER.replace(INET_IP, HOST_IP)])
    on_exit(host_listener.kill)
    # The same on every IPv6 address of the host (as sshd and many daemons listen): a VPC
    # bridge's link-local address is the host's too.
    v6_listener = subprocess.Popen(["/usr/bin/python3", "-c", LISTENER6])
    on_exit(v6_listener.kill)
    deadline = time.time() + 10
    while time.time() < deadline and sh("ip", "netns", "exec", INET, "curl", "-s", "--max-time", "1",
                                        f"http://{INET_IP}:8080/", check=False).returncode != 0:
        time.sleep(0.1)
    while time.time() < deadline and sh("curl", "-s", "--max-time", "1", f"http://{HOST_IP}:8080/",
                                        check=False).returncode != 0:
        time.sleep(0.1)
    # The host forwards between the internet and the VPC bridges, as it does for tasks already.
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        assert f.read().strip() == "1", "ip_forward is off"


def from_task(task, url, timeout=2):
    """The body of `url` fetched inside the task's namespace, or None."""
    p = subprocess.run(["ip", "netns", "exec", task_netns(task["id"]), "curl", "-sf", "--max-time", str(timeout), url],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else None


def from_internet(url, timeout=2):
    p = sh("ip", "netns", "exec", INET, "curl", "-sf", "--max-time", str(timeout), url, check=False)
    return p.stdout.strip() if p.returncode == 0 else None


def seen_from(task):
    """The source address the internet sees the task's request come from, or None."""
    return from_task(task, f"http://{INET_IP}:8080/")


def reaches_host(task):
    """Whether the task connects to a service on one of the host's own addresses."""
    return from_task(task, f"http://{HOST_IP}:8080/", timeout=1) is not None


RESOLVE = """
import socket, struct, sys
name, server = sys.argv[1], sys.argv[2]
q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(q, (server, 53))
p = s.recv(4096)
print(socket.inet_ntoa(p[-4:]) if struct.unpack(">H", p[6:8])[0] else "")
"""


def resolve_in(task, name, server="10.0.0.2"):
    """The address the VPC resolver answers `name` with, asked from the task's namespace."""
    p = subprocess.run(["ip", "netns", "exec", task_netns(task["id"]), "/usr/bin/python3", "-c", RESOLVE, name, server],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else None


def answers_on_443(task, address):
    """Whether an HTTP request from the task to `address`:443 gets any answer (the server's)."""
    p = subprocess.run(["ip", "netns", "exec", task_netns(task["id"]), "curl", "-s", "-o", "/dev/null", "-w",
                        "%{http_code}", "--max-time", "2", f"http://{address}:443/"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    return p.returncode == 0 and p.stdout.strip() not in ("", "000")


# Holds one keep-alive connection to an endpoint's address on 443 (argv[1]) from a task's
# namespace: a request (unsigned: the service's own error is an answer) at the start and one
# more on the same connection when a line arrives on stdin; prints "answered <status>" or what
# became of it: "closed" (the server closed it unanswered), "timeout", "reset", "error <errno>".
KEEP_ALIVE = """
import http.client, socket, sys
c = http.client.HTTPConnection(sys.argv[1], 443, timeout=5)
c.connect()
c.auto_open = 0  # never a new connection
def ask():
    try:
        c.request("POST", "/", body="{}", headers={"X-Amz-Target": "secretsmanager.ListSecrets",
                                                  "Content-Type": "application/x-amz-json-1.1"})
        r = c.getresponse()
        r.read()
        return f"answered {r.status}"
    except socket.timeout:
        return "timeout"
    except http.client.RemoteDisconnected:
        return "closed"
    except http.client.NotConnected:
        return "not kept alive"
    except ConnectionResetError:
        return "reset"
    except OSError as e:
        return f"error {e.errno}"
print(ask(), flush=True)
sys.stdin.readline()
print(ask(), flush=True)
"""


def listen_everywhere():
    """A host service on every address (0.0.0.0) at a free port: what a task must not reach at
    an endpoint's address (the address is local to the host, any port but 443 is dropped)."""
    port = free_port()
    listener = subprocess.Popen(["/usr/bin/python3", "-c", LISTENER.replace(f'("{INET_IP}", 8080)', f'("0.0.0.0", {port})')])
    on_exit(listener.kill)
    deadline = time.time() + 10
    while time.time() < deadline and sh("curl", "-s", "--max-time", "1", f"http://{HOST_IP}:{port}/",
                                        check=False).returncode != 0:
        time.sleep(0.1)
    return port


def seconds(timestamp):
    """A DescribeTasks timestamp (the CLI's ISO 8601 text, epoch seconds or boto3's datetime) in
    epoch seconds."""
    if isinstance(timestamp, (int, float)):
        return float(timestamp)
    if isinstance(timestamp, datetime.datetime):  # boto3's (wait_task)
        return timestamp.timestamp()
    return datetime.datetime.fromisoformat(timestamp).timestamp()


def reaches_host_from(task, address):
    """Whether a connection from `address` reaches the host's service: a second address the test
    puts on the task's own interface, nobody's ENI (a source a task with NET_ADMIN or NET_RAW
    could forge). The node drops every packet from a VPC bridge whose source is no ENI there."""
    netns = task_netns(task["id"])
    sh("ip", "netns", "exec", netns, "ip", "addr", "add", address + "/32", "dev", "eth0")
    try:
        p = subprocess.run(["ip", "netns", "exec", netns, "curl", "-sf", "--max-time", "1", "--interface", address,
                            f"http://{HOST_IP}:8080/"], stdin=subprocess.DEVNULL, capture_output=True, text=True)
        assert p.returncode in (0, 28), (p.returncode, p.stderr)  # an answer or a timeout
        return p.returncode == 0
    finally:
        sh("ip", "netns", "exec", netns, "ip", "addr", "del", address + "/32", "dev", "eth0", check=False)


def reaches_host_over_ipv6(task, bridge):
    """Whether the task reaches the host's IPv6 service at its bridge's link-local address (EUI-64
    of the bridge's MAC, whether or not the bridge has it now)."""
    with open(f"/sys/class/net/{bridge}/address") as f:
        mac = [int(b, 16) for b in f.read().strip().split(":")]
    eui = [mac[0] ^ 2] + mac[1:3] + [0xff, 0xfe] + mac[3:]
    address = "fe80::" + ":".join(f"{eui[i] << 8 | eui[i + 1]:x}" for i in range(0, 8, 2))
    p = subprocess.run(["ip", "netns", "exec", task_netns(task["id"]), "curl", "-sf", "--max-time", "1", "-g",
                        f"http://[{address}%eth0]:{V6_PORT}/"], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    return p.returncode == 0


def eventually(fn, want, timeout=6):
    deadline = time.time() + timeout
    got = fn()
    while got != want and time.time() < deadline:
        time.sleep(0.2)
        got = fn()
    return got


make_internet()
with WharfServer(agent=True) as server:
    image = push_to_wharf(server, layout, "v1", "app")
    ec2 = server.boto3("ec2")
    ecs = server.boto3("ecs")
    zone = sorted(z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"])[0]
    made = {"tasks": []}
    net = {}
    td = ecs.register_task_definition(
        family="vpc-egress", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "web", "image": image, "essential": True, "stopTimeout": 2,
                               "entryPoint": ["/bin/sh", "-c"],
                               "command": ['echo "$HOSTNAME" > /www/who.txt; exec httpd -f -p 8080 -h /www'],
                               "portMappings": [{"containerPort": 8080}]}])["taskDefinition"]["taskDefinitionArn"]

    def run(subnet, assign="DISABLED", definition=None, groups=None):
        return ecs.run_task(launchType="FARGATE", taskDefinition=definition or td, networkConfiguration={
            "awsvpcConfiguration": {"subnets": [subnet], "securityGroups": groups or [net["web"]],
                                    "assignPublicIp": assign}})

    started = {}  # what -> RunTask to RUNNING, seconds, each sample
    pulls = {}  # what -> createdAt to pullStartedAt; what (pull) -> the pull, seconds

    def running(subnet, assign="DISABLED", definition=None, timing=None, groups=None):
        t0 = time.time()
        arn = run(subnet, assign, definition, groups)["tasks"][0]["taskArn"]
        made["tasks"].append(arn)
        task = wait_task(server, "default", arn, "RUNNING")
        assert task["lastStatus"] == "RUNNING", task
        if timing:
            started.setdefault(timing, []).append(time.time() - t0)
            for start, end in (("createdAt", "pullStartedAt"), ("pullStartedAt", "pullStoppedAt"),
                               ("createdAt", "startedAt")):
                pulls.setdefault((timing, start, end), []).append(seconds(task[end]) - seconds(task[start]))
        details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
        return {"arn": arn, "id": arn.rsplit("/", 1)[1], "ip": details["privateIPv4Address"],
                "eni": details["networkInterfaceId"]}

    def stopped(subnet, definition=None):
        arn = run(subnet, definition=definition)["tasks"][0]["taskArn"]
        made["tasks"].append(arn)
        return wait_task(server, "default", arn, "STOPPED")

    def https_from_web():
        return {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": net["web"]}]}

    @checks.run
    def a_vpc_with_a_public_and_a_private_subnet():
        net["vpc"] = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        # Interface endpoints' private DNS needs both DNS attributes on, as on AWS.
        ec2.modify_vpc_attribute(VpcId=net["vpc"], EnableDnsHostnames={"Value": True})
        net["public"] = ec2.create_subnet(VpcId=net["vpc"], CidrBlock="10.0.1.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        net["private"] = ec2.create_subnet(VpcId=net["vpc"], CidrBlock="10.0.2.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        net["igw"] = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=net["igw"], VpcId=net["vpc"])
        net["public_rt"] = ec2.create_route_table(VpcId=net["vpc"])["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=net["public_rt"], DestinationCidrBlock="0.0.0.0/0", GatewayId=net["igw"])
        net["public_assoc"] = ec2.associate_route_table(RouteTableId=net["public_rt"], SubnetId=net["public"])["AssociationId"]
        net["private_rt"] = ec2.create_route_table(VpcId=net["vpc"])["RouteTable"]["RouteTableId"]
        net["private_assoc"] = ec2.associate_route_table(RouteTableId=net["private_rt"], SubnetId=net["private"])["AssociationId"]
        net["web"] = ec2.create_security_group(GroupName="egress-web", Description="e2e", VpcId=net["vpc"])["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=net["web"], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])

    @checks.run
    def a_public_task_leaves_with_its_public_address_and_is_reached_at_it():
        t = net["pub"] = running(net["public"], "ENABLED")
        eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[t["eni"]])["NetworkInterfaces"][0]
        public_ip = eni["Association"]["PublicIp"]
        assert public_ip.startswith("198.51.100.") and eni["Association"]["IpOwnerId"] == "amazon", eni
        t["public"] = public_ip
        assert eventually(lambda: seen_from(t), public_ip) == public_ip
        assert from_internet(f"http://{public_ip}:8080/who.txt") is not None
        host = sh("curl", "-sf", "--max-time", "2", f"http://{public_ip}:8080/who.txt", check=False)
        assert host.returncode == 0, host.stderr
        assert from_internet(f"http://{t['ip']}:8080/who.txt", timeout=1) is None, "a private address from outside"

    @checks.run
    def the_nodes_tables_come_back_at_once_when_someone_else_deletes_them():
        # What `nft flush ruleset` does to them, in one transaction; but only this node's own
        # tables: the host's other rules belong to other tests and programs.
        tables = [("ip", server.node_table("wharf_egress")), ("bridge", server.node_table("wharf_egress")),
                  ("inet", server.node_table("wharf")), ("inet", server.node_table("wharf_vpc"))]

        def present(family, name):
            return sh("nft", "list", "table", family, name, check=False).returncode == 0

        assert all(present(*t) for t in tables), tables
        script = "".join(f"delete table {family} {name}\n" for family, name in tables)
        start = time.time()
        subprocess.run(["nft", "-f", "-"], input=script, text=True, check=True, capture_output=True)
        while time.time() < start + 5 and not all(present(*t) for t in tables):
            time.sleep(0.01)
        took = time.time() - start
        assert all(present(*t) for t in tables), [t for t in tables if not present(*t)]
        print(f"  the node's four tables written again {took * 1000:.0f} ms after their deletion")
        assert took < 3.0, took  # within a second when quiet; room for a busy machine
        t = net["pub"]
        assert eventually(lambda: seen_from(t), t["public"]) == t["public"]
        assert reaches_host(t), "with a public address the host is the internet"
        assert not reaches_host_from(t, "10.0.1.251"), "a forged source passes for the task's way out"

    def node_tables_and_marks():
        """The node's four tables, each with a piece of text one of its rules has."""
        return {("ip", server.node_table("wharf_egress")): "snat to",
                ("bridge", server.node_table("wharf_egress")): "@ports",
                ("inet", server.node_table("wharf")): "@eni_out",
                ("inet", server.node_table("wharf_vpc")): "ct zone set"}

    def table_is_whole(table):
        p = sh("nft", "list", "table", *table, check=False)
        return p.returncode == 0 and node_tables_and_marks()[table] in p.stdout

    def whole_again_after(script):
        """Runs `script` with nft as someone else would; seconds until the node's tables are whole."""
        tables = node_tables_and_marks()
        assert all(table_is_whole(t) for t in tables), [t for t in tables if not table_is_whole(t)]
        start = time.time()
        subprocess.run(["nft", "-f", "-"], input=script, text=True, check=True, capture_output=True)
        while time.time() < start + 5 and not all(table_is_whole(t) for t in tables):
            time.sleep(0.01)
        took = time.time() - start
        assert all(table_is_whole(t) for t in tables), [t for t in tables if not table_is_whole(t)]
        return took

    @checks.run
    def the_nodes_tables_come_back_at_once_when_someone_else_empties_them():
        # `nft flush table`: the tables stay, their rules go. A rule of each says it is whole.
        tables = node_tables_and_marks()

        took = []
        for _ in range(5):
            took.append(whole_again_after("".join(f"flush table {family} {name}\n" for family, name in tables)))
        took.sort()
        print(f"  the node's four tables whole again {took[2] * 1000:.0f} ms (median of 5) after a flush")
        assert took[2] < 3.0, took  # a second's fraction when quiet; room for a busy machine
        t = net["pub"]
        assert eventually(lambda: seen_from(t), t["public"]) == t["public"]

    @checks.run
    def the_nodes_tables_come_back_at_once_when_someone_else_replaces_them_empty():
        # Deleted and made again, empty, in one transaction (what restoring an old `nft list
        # ruleset` does): no table is missing at the transaction's end, and a set's elements
        # flushed leave every rule; only who committed it (not the node's nft) tells it apart.
        tables = node_tables_and_marks()

        def ports():
            return sh("nft", "list", "set", "bridge", server.node_table("wharf_egress"), "ports").stdout.count(" . ")

        took = whole_again_after("".join(f"delete table {family} {name}\ntable {family} {name} {{}}\n"
                                         for family, name in tables))
        print(f"  the node's four tables whole again {took * 1000:.0f} ms after someone else replaced them empty")
        assert took < 3.0, took  # a second's fraction when quiet; room for a busy machine
        held = ports()
        assert held > 0
        start = time.time()
        subprocess.run(["nft", "flush", "set", "bridge", server.node_table("wharf_egress"), "ports"], check=True,
                       capture_output=True)
        while time.time() < start + 5 and ports() != held:
            time.sleep(0.01)
        assert ports() == held, "the ports' set stays flushed"
        print(f"  the ENIs' ports back {(time.time() - start) * 1000:.0f} ms after someone else flushed the set")
        t = net["pub"]
        assert eventually(lambda: seen_from(t), t["public"]) == t["public"]
        assert not reaches_host_from(t, "10.0.1.251"), "a forged source passes for the task's way out"

    @checks.run
    def a_public_subnet_task_without_a_public_address_reaches_nothing_outside():
        t = net["dis"] = running(net["public"])
        assert seen_from(t) is None
        assert not reaches_host(t), "the host's own address, through the local table"
        assert not reaches_host_from(t, "10.0.1.250"), "a forged source reaches the host's address"
        bridge = "wh-" + net["public"][-12:]
        with open(f"/proc/sys/net/ipv6/conf/{bridge}/disable_ipv6") as f:
            assert f.read().strip() == "1", "IPv6 is on on the VPC bridge"
        assert sh("ip", "-6", "addr", "show", "dev", bridge).stdout.strip() == "", "the VPC bridge has IPv6 addresses"
        assert not reaches_host_over_ipv6(t, bridge), "the host over IPv6, at its bridge"
        assert from_internet(f"http://{t['ip']}:8080/who.txt", timeout=1) is None
        # Its VPC is still its own: the public task answers it.
        assert from_task(t, f"http://{net['pub']['ip']}:8080/who.txt") is not None

    @checks.run
    def an_elastic_ip_associated_with_its_interface_becomes_its_address():
        t = net["dis"]
        eip = ec2.allocate_address(Domain="vpc")
        net["task_eip"] = eip["AllocationId"]
        association = ec2.associate_address(AllocationId=eip["AllocationId"], NetworkInterfaceId=t["eni"])["AssociationId"]
        assert eventually(lambda: seen_from(t), eip["PublicIp"]) == eip["PublicIp"]
        assert from_internet(f"http://{eip['PublicIp']}:8080/who.txt") is not None
        ec2.disassociate_address(AssociationId=association)
        assert eventually(lambda: seen_from(t), None) is None, "disassociated, the task still gets out"

    @checks.run
    def assign_public_ip_in_a_private_subnet_is_refused():
        expect_client_error(lambda: run(net["private"], "ENABLED"), "InvalidParameterException")

    @checks.run
    def a_private_task_goes_out_through_the_nat_gateway_once_routed_to_it():
        eip = ec2.allocate_address(Domain="vpc")
        net["eip"], net["eip_ip"] = eip["AllocationId"], eip["PublicIp"]
        net["nat"] = ec2.create_nat_gateway(SubnetId=net["public"], AllocationId=net["eip"])["NatGateway"]["NatGatewayId"]
        ec2.create_route(RouteTableId=net["private_rt"], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=net["nat"])
        # It pulls its image through the NAT gateway, as on Fargate (without it, see below).
        t = net["priv"] = running(net["private"])
        for _ in range(3):
            running(net["private"], timing="through the NAT gateway")
        assert eventually(lambda: seen_from(t), net["eip_ip"]) == net["eip_ip"]
        assert from_internet(f"http://{t['ip']}:8080/who.txt", timeout=1) is None, "a NAT'd task reached from outside"
        assert reaches_host(t), "behind a NAT gateway the host is the internet"
        assert not reaches_host_from(t, "10.0.2.250"), "a forged source passes for the task's way out"
        # The pull's packets are the task's: without the security group's egress rule the
        # manifest request (made for a cached image too, as on Fargate) times out.
        everything = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        ec2.revoke_security_group_egress(GroupId=net["web"], IpPermissions=everything)
        try:
            task = stopped(net["private"])
        finally:
            ec2.authorize_security_group_egress(GroupId=net["web"], IpPermissions=everything)
        reason = task.get("stoppedReason", "")
        assert reason.startswith("CannotPullContainerError: ") and reason.endswith(": i/o timeout"), reason
        # The running task, with no restart: the route's removal reaches it within the poll.
        ec2.delete_route(RouteTableId=net["private_rt"], DestinationCidrBlock="0.0.0.0/0")
        assert eventually(lambda: seen_from(t), None) is None, "the route is gone but the task still gets out"
        assert not reaches_host(t), "without its way out the task reaches the host's address"

    @checks.run
    def a_private_task_without_a_way_out_cannot_pull_its_image():
        task = stopped(net["private"])
        reason = task.get("stoppedReason", "")
        assert reason.startswith("CannotPullContainerError: ") and reason.endswith(": i/o timeout"), reason
        assert task["containers"][0].get("reason", "").startswith("CannotPullContainerError: "), task["containers"]
        assert image.split("/", 1)[0] in reason, reason

    @checks.run
    def with_ecr_and_s3_endpoints_it_pulls_and_runs():
        region = ec2.meta.region_name
        # The endpoints' group admits HTTPS from the tasks' group, as AWS's guide has it.
        net["vpce"] = ec2.create_security_group(GroupName="egress-vpce", Description="e2e", VpcId=net["vpc"])["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=net["vpce"], IpPermissions=[https_from_web()])
        net["endpoints"] = [ec2.create_vpc_endpoint(
            VpcId=net["vpc"], ServiceName=f"com.amazonaws.{region}.ecr.{api}", VpcEndpointType="Interface",
            SubnetIds=[net["private"]], SecurityGroupIds=[net["vpce"]])["VpcEndpoint"]["VpcEndpointId"]
            for api in ("api", "dkr")]
        # Each has an interface in the private subnet, as EC2 shows it.
        interfaces = ec2.describe_network_interfaces(Filters=[
            {"Name": "vpc-id", "Values": [net["vpc"]]}, {"Name": "interface-type", "Values": ["vpc_endpoint"]}])
        by_endpoint = {i["Description"].rsplit(" ", 1)[1]: i for i in interfaces["NetworkInterfaces"]}
        assert sorted(by_endpoint) == sorted(net["endpoints"]), interfaces
        for i in by_endpoint.values():
            assert i["SubnetId"] == net["private"] and i["PrivateIpAddress"].startswith("10.0.2."), i
            assert [g["GroupId"] for g in i["Groups"]] == [net["vpce"]], i
        # DnsEntries as AWS lists them: the endpoint's own regional and zonal names (its
        # region's public vpce zone), then the service's private DNS name.
        api = ec2.describe_vpc_endpoints(VpcEndpointIds=[net["endpoints"][0]])["VpcEndpoints"][0]
        names = [d["DnsName"] for d in api["DnsEntries"]]
        own = re.fullmatch(net["endpoints"][0] + r"-([a-z0-9]{8})\.api\.ecr\." + region + r"\.vpce\.amazonaws\.com",
                           names[0])
        assert own and len(names) == 3, api
        assert names[1] == f"{net['endpoints'][0]}-{own.group(1)}-{zone}.api.ecr.{region}.vpce.amazonaws.com", api
        assert names[2] == f"api.ecr.{region}.amazonaws.com", api
        assert api["DnsEntries"][0]["HostedZoneId"] == api["DnsEntries"][1]["HostedZoneId"] != \
            api["DnsEntries"][2]["HostedZoneId"], api
        net["api_names"] = names[:2]
        dkr = ec2.describe_vpc_endpoints(VpcEndpointIds=[net["endpoints"][1]])["VpcEndpoints"][0]
        assert dkr["DnsEntries"][-1]["DnsName"] == f"*.dkr.ecr.{region}.amazonaws.com", dkr
        net["dkr_ip"] = by_endpoint[net["endpoints"][1]]["PrivateIpAddress"]
        net["api_ip"] = by_endpoint[net["endpoints"][0]]["PrivateIpAddress"]
        # The interface endpoints alone do not do: the layers come from S3.
        assert stopped(net["private"])["stoppedReason"].startswith("CannotPullContainerError: ")
        net["endpoints"].append(ec2.create_vpc_endpoint(
            VpcId=net["vpc"], ServiceName=f"com.amazonaws.{region}.s3", VpcEndpointType="Gateway",
            RouteTableIds=[net["private_rt"]])["VpcEndpoint"]["VpcEndpointId"])
        t = net["via_vpce"] = running(net["private"], timing="through the VPC endpoints")
        for _ in range(2):
            running(net["private"], timing="through the VPC endpoints")
        # The endpoints reach AWS's services only: the task still reaches nothing outside.
        assert seen_from(t) is None
        assert not reaches_host(t), "a private subnet without a NAT gateway reaches the host's address"
        # Private DNS: the services' names are the endpoints' interfaces in the VPC.
        assert resolve_in(t, f"api.ecr.{region}.amazonaws.com") == net["api_ip"]
        assert resolve_in(t, f"000000000000.dkr.ecr.{region}.amazonaws.com") == net["dkr_ip"]
        # The registry's zone is a wildcard, as AWS's: any account's registry name.
        assert resolve_in(t, f"123456789012.dkr.ecr.{region}.amazonaws.com") == net["dkr_ip"]
        # The endpoint's own names, regional and zonal (its one interface, in this zone).
        for name in net["api_names"]:
            assert resolve_in(t, name) == net["api_ip"], name
        # What the task's packets reach there is the server (its pull went that way).
        assert answers_on_443(t, net["dkr_ip"]), "the ecr.dkr endpoint's address does not answer"
        assert not answers_on_443(t, "10.0.2.250"), "an address no endpoint has answers"
        # Only 443 there: a host service on every address is not reached at the endpoint's.
        port = listen_everywhere()
        assert from_task(t, f"http://{net['dkr_ip']}:{port}/", timeout=1) is None, "the endpoint answers on " + str(port)

    @checks.run
    def a_task_whose_egress_is_only_https_to_the_endpoints_group_pulls_and_runs():
        # Its own egress rule names the port it dials (443, not the server's it is DNAT'd to)
        # and the endpoints' group (whose members are the endpoints' interfaces).
        g = net["https_only"] = ec2.create_security_group(
            GroupName="egress-https-only", Description="e2e", VpcId=net["vpc"])["GroupId"]
        ec2.revoke_security_group_egress(GroupId=g, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        ec2.authorize_security_group_egress(GroupId=g, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": net["vpce"]}]}])
        ec2.authorize_security_group_ingress(GroupId=net["vpce"], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": g}]}])
        t = running(net["private"], groups=[g])
        assert answers_on_443(t, net["dkr_ip"]), "its egress rule for 443 to the endpoints' group does not let it through"

    @checks.run
    def an_endpoint_in_two_subnets_answers_at_both_addresses():
        # The resolver answers every interface of an endpoint: the node redirects them all.
        ec2.modify_vpc_endpoint(VpcEndpointId=net["endpoints"][1], AddSubnetIds=[net["public"]])
        interfaces = ec2.describe_network_interfaces(Filters=[
            {"Name": "subnet-id", "Values": [net["public"]]}, {"Name": "interface-type", "Values": ["vpc_endpoint"]}])
        [other] = [i["PrivateIpAddress"] for i in interfaces["NetworkInterfaces"]]
        assert eventually(lambda: answers_on_443(net["via_vpce"], other), True) is True, other
        assert answers_on_443(net["via_vpce"], net["dkr_ip"])

    @checks.run
    def without_the_endpoints_group_rule_for_443_the_pull_times_out():
        ec2.revoke_security_group_ingress(GroupId=net["vpce"], IpPermissions=[https_from_web()])
        try:
            # The running task's new connections meet the change within the poll.
            assert eventually(lambda: answers_on_443(net["via_vpce"], net["dkr_ip"]), False) is False
            task = stopped(net["private"])
        finally:
            ec2.authorize_security_group_ingress(GroupId=net["vpce"], IpPermissions=[https_from_web()])
        reason = task.get("stoppedReason", "")
        assert reason.startswith("CannotPullContainerError: ") and reason.endswith(": i/o timeout"), reason
        assert image.split("/", 1)[0] in reason, reason
        assert eventually(lambda: answers_on_443(net["via_vpce"], net["dkr_ip"]), True) is True

    @checks.run
    def its_secrets_come_only_through_an_endpoint_of_their_service():
        region = ec2.meta.region_name
        parameter = server.boto3("ssm").put_parameter(Name="/egress/key", Value="k", Type="SecureString")
        assert parameter["Version"] == 1
        iam = server.boto3("iam")
        role = iam.create_role(RoleName="egress-exec", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]}))["Role"]
        iam.attach_role_policy(RoleName="egress-exec",
                               PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
        iam.put_role_policy(RoleName="egress-exec", PolicyName="key", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": "*"}]}))
        definition = ecs.describe_task_definition(taskDefinition=td)["taskDefinition"]
        container = dict(definition["containerDefinitions"][0], secrets=[
            {"name": "KEY", "valueFrom": f"arn:aws:ssm:{region}:000000000000:parameter/egress/key"}])
        with_secret = ecs.register_task_definition(
            family="vpc-egress-secret", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
            memory="512", executionRoleArn=role["Arn"], containerDefinitions=[container]
        )["taskDefinition"]["taskDefinitionArn"]
        reason = stopped(net["private"], with_secret)["stoppedReason"]
        assert reason.startswith("ResourceInitializationError: unable to pull secrets or registry auth: "), reason
        assert f"ssm.{region}.amazonaws.com:443: i/o timeout" in reason, reason
        # An ssm endpoint with the VPC's default group (no groups given): it admits only its
        # own members, so the task's call times out there.
        ssm = ec2.create_vpc_endpoint(VpcId=net["vpc"], ServiceName=f"com.amazonaws.{region}.ssm",
                                      VpcEndpointType="Interface", SubnetIds=[net["private"]])["VpcEndpoint"]
        net["endpoints"].append(ssm["VpcEndpointId"])
        default = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]},
                                                        {"Name": "group-name", "Values": ["default"]}])
        assert [g["GroupId"] for g in ssm["Groups"]] == [default["SecurityGroups"][0]["GroupId"]], ssm
        reason = stopped(net["private"], with_secret)["stoppedReason"]
        assert reason.startswith("ResourceInitializationError: unable to pull secrets or registry auth: "), reason
        assert f"ssm.{region}.amazonaws.com:443: i/o timeout" in reason, reason
        ec2.modify_vpc_endpoint(VpcEndpointId=ssm["VpcEndpointId"], AddSecurityGroupIds=[net["vpce"]])
        net["with_ssm"] = running(net["private"], definition=with_secret)
        net["secret_definition"] = definition
        net["exec_role"] = role["Arn"]

    def through(task, address, key, service="secretsmanager", op="get_secret_value", **params):
        return call_through_endpoint(task["id"], address, key, service, op, **params)

    @checks.run
    def an_endpoint_serves_its_own_service_under_its_policy():
        region = ec2.meta.region_name
        sm = server.boto3("secretsmanager")
        iam = server.boto3("iam")
        secret = sm.create_secret(Name="egress/db", SecretString="s3cret")["ARN"]
        iam.put_role_policy(RoleName="egress-exec", PolicyName="db", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                                                    "Resource": "*"}]}))
        iam.create_user(UserName="egress-reader")
        iam.put_user_policy(UserName="egress-reader", PolicyName="db", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}]}))
        k = iam.create_access_key(UserName="egress-reader")["AccessKey"]
        key = (k["AccessKeyId"], k["SecretAccessKey"])
        vpce = ec2.create_vpc_endpoint(VpcId=net["vpc"], ServiceName=f"com.amazonaws.{region}.secretsmanager",
                                       VpcEndpointType="Interface", SubnetIds=[net["private"]],
                                       SecurityGroupIds=[net["vpce"]])["VpcEndpoint"]["VpcEndpointId"]
        net["endpoints"].append(vpce)
        net["sm_vpce"] = vpce
        [sm_ip] = [i["PrivateIpAddress"] for i in ec2.describe_network_interfaces(Filters=[
            {"Name": "vpc-id", "Values": [net["vpc"]]}, {"Name": "interface-type", "Values": ["vpc_endpoint"]}]
        )["NetworkInterfaces"] if i["Description"].endswith(vpce)]
        container = dict(net["secret_definition"]["containerDefinitions"][0],
                         secrets=[{"name": "DB", "valueFrom": secret}])
        with_db = ecs.register_task_definition(
            family="vpc-egress-db", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
            memory="512", executionRoleArn=net["exec_role"], containerDefinitions=[container]
        )["taskDefinition"]["taskDefinitionArn"]
        t = net["with_ssm"]
        net["sm_ip"] = sm_ip
        net["sm_key"] = key
        # The default policy (full access): the call through the endpoint is answered.
        got = eventually(lambda: through(t, sm_ip, key, SecretId="egress/db"), "ok", timeout=8)
        assert got == "ok", got
        # Through its own regional name (the Host and the signature's host), as a client
        # configured with the endpoint's DNS name calls it.
        regional = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]["DnsEntries"][0]["DnsName"]
        assert resolve_in(t, regional) == sm_ip, regional
        got = through(t, sm_ip, key, host=regional, SecretId="egress/db")
        assert got == "ok", got
        # Another service through it, or through the ecr.api endpoint: no answer at all.
        got = through(t, sm_ip, key, "ssm", "get_parameters", Names=["/egress/key"])
        assert got == "closed", got
        got = through(t, net["api_ip"], key, SecretId="egress/db")
        assert got == "closed", got
        # Its policy denies GetSecretValue: the task's secret cannot be had, in Fargate's words.
        ec2.modify_vpc_endpoint(VpcEndpointId=vpce, PolicyDocument=json.dumps({"Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
        reason = stopped(net["private"], with_db)["stoppedReason"]
        assert reason.startswith("ResourceInitializationError: unable to pull secrets or registry auth: "), reason
        assert "AccessDeniedException" in reason and "with an explicit deny in a VPC endpoint policy" in reason, reason
        got = through(t, sm_ip, key, "secretsmanager", "describe_secret", SecretId="egress/db")
        assert got == "ok", got
        # A secret that only its endpoint may read: refused from the host, read through it.
        sm.put_resource_policy(SecretId="egress/db", ResourcePolicy=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:SourceVpce": vpce}}}]}))
        reader = server.boto3("secretsmanager", aws_access_key_id=key[0], aws_secret_access_key=key[1])
        expect_client_error(lambda: reader.get_secret_value(SecretId="egress/db"), "AccessDeniedException",
                            "with an explicit deny in a resource-based policy")
        ec2.modify_vpc_endpoint(VpcEndpointId=vpce, ResetPolicy=True)
        got = through(t, sm_ip, key, SecretId="egress/db")
        assert got == "ok", got
        # Reset, the endpoint's policy allows all again: the task gets its secret through it.
        running(net["private"], definition=with_db)

    @checks.run
    def deleting_an_endpoint_ends_the_connections_made_through_it():
        # One kept-alive connection to the secretsmanager endpoint: answered, then the endpoint
        # deleted, the next request on it gets no answer. The node ends the flow (conntrack),
        # so the request never reaches the server: a server that closed it ("closed") would
        # mean the node still DNATs the old connection.
        t, address = net["with_ssm"], net["sm_ip"]
        holder = subprocess.Popen(["ip", "netns", "exec", task_netns(t["id"]), "/usr/bin/python3", "-c", KEEP_ALIVE,
                                   address], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        try:
            first = holder.stdout.readline().strip()
            assert first.startswith("answered "), (first, holder.stderr.read() if holder.poll() is not None else "")
            ec2.delete_vpc_endpoints(VpcEndpointIds=[net["sm_vpce"]])
            net["endpoints"].remove(net["sm_vpce"])
            # The node has let the endpoint go once its interface's local route is gone.
            gone = eventually(lambda: address in sh("ip", "route", "show", "table", "all", "proto", "78").stdout, False)
            assert gone is False, "the deleted endpoint's route stays"
            time.sleep(0.5)
            holder.stdin.write("again\n")
            holder.stdin.flush()
            second = holder.stdout.readline().strip()
            assert second in ("timeout", "reset") or second.startswith("error "), second
            print(f"   the kept-alive connection after the delete: {second}")
            with open(os.path.join(server.data_dir, "server.log")) as log:
                ended = [line for line in log if "connections to a removed endpoint interface ended" in line
                         and f"address={address} " in line]
            assert ended, "the node did not end the endpoint's connections"
        finally:
            holder.kill()
            holder.wait()
        assert not answers_on_443(t, address), "a new connection to the deleted endpoint is answered"

    @checks.run
    def an_endpoint_without_private_dns_answers_by_its_own_name():
        # Private DNS off: the service's name is the public service's, but the endpoint's own
        # vpce name resolves to its interface, and the node routes and DNATs it as any other.
        region = ec2.meta.region_name
        t = net["with_ssm"]
        e = ec2.create_vpc_endpoint(VpcId=net["vpc"], ServiceName=f"com.amazonaws.{region}.secretsmanager",
                                    VpcEndpointType="Interface", SubnetIds=[net["private"]],
                                    SecurityGroupIds=[net["vpce"]], PrivateDnsEnabled=False)["VpcEndpoint"]
        net["endpoints"].append(e["VpcEndpointId"])
        names = [d["DnsName"] for d in e["DnsEntries"]]
        assert len(names) == 2 and all(".vpce.amazonaws.com" in n for n in names), e
        [ip] = [i["PrivateIpAddress"] for i in ec2.describe_network_interfaces(Filters=[
            {"Name": "vpc-id", "Values": [net["vpc"]]}, {"Name": "interface-type", "Values": ["vpc_endpoint"]}]
        )["NetworkInterfaces"] if i["Description"].endswith(e["VpcEndpointId"])]
        assert resolve_in(t, names[0]) == ip, names[0]
        # (ListSecrets: the secret's own policy binds it to the deleted endpoint.)
        got = eventually(lambda: call_through_endpoint(t["id"], ip, net["sm_key"], "secretsmanager",
                                                       "list_secrets", host=names[0]), "ok", timeout=8)
        assert got == "ok", got

    @checks.run
    def cleanup_stops_tasks_and_deletes_what_it_made():
        for arn in made["tasks"]:
            ecs.stop_task(task=arn)
        for arn in made["tasks"]:
            wait_task(server, "default", arn, "STOPPED")
        if net.get("endpoints"):
            ec2.delete_vpc_endpoints(VpcEndpointIds=net["endpoints"])
        if "nat" in net:
            ec2.delete_nat_gateway(NatGatewayId=net["nat"])
        for key in ("eip", "task_eip"):
            if key in net:
                ec2.release_address(AllocationId=net[key])
        ec2.revoke_security_group_ingress(GroupId=net["web"], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        if "https_only" in net:
            ec2.revoke_security_group_ingress(GroupId=net["vpce"], IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": net["https_only"]}]}])
        # In order; a NAT gateway holds its subnet until it is deleted, so DependencyViolation
        # is waited out.
        steps = [("https_only", lambda v: ec2.delete_security_group(GroupId=v)),
                 ("vpce", lambda v: ec2.delete_security_group(GroupId=v)),
                 ("web", lambda v: ec2.delete_security_group(GroupId=v)),
                 ("public_assoc", lambda v: ec2.disassociate_route_table(AssociationId=v)),
                 ("private_assoc", lambda v: ec2.disassociate_route_table(AssociationId=v)),
                 ("public_rt", lambda v: ec2.delete_route_table(RouteTableId=v)),
                 ("private_rt", lambda v: ec2.delete_route_table(RouteTableId=v)),
                 ("public", lambda v: ec2.delete_subnet(SubnetId=v)),
                 ("private", lambda v: ec2.delete_subnet(SubnetId=v))]
        deadline = time.time() + 30
        for key, delete in steps:
            while key in net:
                try:
                    delete(net[key])
                    net.pop(key)
                except ec2.exceptions.ClientError as e:
                    if e.response["Error"]["Code"] != "DependencyViolation" or time.time() > deadline:
                        raise
                    time.sleep(0.5)
        ec2.detach_internet_gateway(InternetGatewayId=net["igw"], VpcId=net["vpc"])
        ec2.delete_internet_gateway(InternetGatewayId=net["igw"])
        ec2.delete_vpc(VpcId=net["vpc"])

    @checks.run
    def prints_the_start_through_the_endpoints_and_the_nat_gateway():
        for what, samples in started.items():
            ms = sorted(round(x * 1000) for x in samples)
            print(f"RunTask -> RUNNING {what}: median {ms[len(ms) // 2]} ms of {ms}, load {os.getloadavg()[0]:.1f}")
        for (what, start, end), samples in pulls.items():
            print(f"   {start} -> {end} {what}: {sorted(round(x * 1000) for x in samples)} ms")

    @checks.run
    def host_left_clean():
        server.stop()
        remove_internet()
        leftovers = wait_clean(before)
        assert not leftovers, leftovers

checks.finish()
