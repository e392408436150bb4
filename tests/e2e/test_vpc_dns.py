#!/usr/bin/python3
"""The DNS resolver of a VPC (its base address + 2, AWS's "Amazon-provided DNS server"),
asked from inside real awsvpc tasks.

Seed 003's flow: a private DNS namespace `local` in the default VPC (10.213.0.0/16, given, so the
resolver is 10.213.0.2), a Cloud Map service `api` (A and SRV, MULTIVALUE, custom health),
an ECS service of 3 FARGATE tasks with serviceRegistries. From another task of the VPC (its
network and mount namespaces entered with nsenter, as `ecs execute-command` would):
resolv.conf names 10.213.0.2; busybox `nslookup api.local` returns the 3 task addresses;
`-type=srv` the 3 SRV records whose targets resolve to the tasks; a missing name in the zone
is NXDOMAIN; a name outside is forwarded to the upstream (a resolver this test runs on
loopback, given with --dns-upstream: there is no internet here). A second VPC with the same
CIDR, its client in a subnet that does not hold 10.213.0.2, gets its own namespace's names at
that address and the default VPC's forwarded (and the other way round); an internal load
balancer's DNSName resolves to its interface addresses, an internet-facing one's to its public
addresses, inside its VPC too, as AWS's DNS answers it. With a service of 10 instances: at
most 8 A answers; SRV over UDP without EDNS is truncated (TC, no records), over TCP and with
EDNS 4096 it is whole; a garbage packet gets FORMERR and the resolver keeps answering.
A TCP client's forwarded query whose upstream UDP answer is truncated is asked again over TCP.
Task hostnames (ip-10-213-x-y.ec2.internal) and PTR names of the VPC's addresses are answered
while enableDnsHostnames is on (NXDOMAIN for an address no interface has), forwarded when it
is off; with enableDnsSupport off the resolver does not answer; DescribeNetworkInterfaces and
the task's attachment show the private DNS name. Scaled to 1, one address. Everything made is
removed and the host left as it was found.
"""
import os
import socket
import struct
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import Checks, WharfServer, wait_for  # noqa: E402
from task_fixtures import ecr_endpoints, prepare, push_to_wharf, stop_services_and_tasks, wait_clean  # noqa: E402

checks = Checks()
before, layout = prepare("v1")
HTTPD = "mkdir -p /www && echo ok > /www/index.html && httpd -f -p 8080 -h /www"
RESOLVER = "10.213.0.2"  # the default VPC's (--vpc-cidr 10.213.0.0/16) base + 2




# ---- A small DNS client and upstream (the test's own reading of RFC 1035) ----------------

def query(name, qtype, qid=0x4242, edns=None):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1 if edns else 0)
    q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", qtype, 1)
    if edns:
        q += b"\0" + struct.pack(">HHIH", 41, edns, 0, 0)
    return q


def read_name(p, pos):
    labels, jumped, end = [], False, pos
    while True:
        n = p[pos]
        if n & 0xc0 == 0xc0:
            if not jumped:
                end = pos + 2
            jumped, pos = True, struct.unpack(">H", p[pos:pos + 2])[0] & 0x3fff
            continue
        if n == 0:
            return ".".join(labels), (end if jumped else pos + 1)
        labels.append(p[pos + 1:pos + 1 + n].decode())
        pos += 1 + n


def parse(p):
    qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", p[:12])
    pos = 12
    for _ in range(qd):
        _, pos = read_name(p, pos)
        pos += 4
    records = []
    for _ in range(an + ns + ar):
        name, pos = read_name(p, pos)
        rtype, _, ttl, rdlen = struct.unpack(">HHIH", p[pos:pos + 10])
        pos += 10
        records.append((name, rtype, ttl, p[pos:pos + rdlen]))
        pos += rdlen
    return {"id": qid, "tc": bool(flags & 0x0200), "aa": bool(flags & 0x0400), "rcode": flags & 0xf,
            "answers": [r for r in records if r[1] != 41], "opt": any(r[1] == 41 for r in records)}


class Upstream:
    """The host's resolver as far as the VPC resolver knows: UDP and TCP on 127.0.0.1, answering
    upstream.test with 192.0.2.44, big.test with 40 addresses (over UDP only TC and no
    records: too big), anything else with NXDOMAIN. `asked` lists names, "/tcp" marking TCP."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen(16)
        self.tcp.settimeout(0.2)
        self.asked = []
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()
        self.tcp_thread = threading.Thread(target=self.serve_tcp, daemon=True)
        self.tcp_thread.start()

    def answer(self, data, over_tcp):
        name, pos = read_name(data, 12)
        qtype = struct.unpack(">H", data[pos:pos + 2])[0]
        self.asked.append(name + ("/tcp" if over_tcp else ""))
        question, qid = data[12:pos + 4], struct.unpack(">H", data[:2])[0]
        if name == "upstream.test" and qtype == 1:
            head = struct.pack(">HHHHHH", qid, 0x8180, 1, 1, 0, 0)
            return head + question + b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 30, 4) + socket.inet_aton("192.0.2.44")
        if name == "big.test" and qtype == 1:
            if not over_tcp:
                return struct.pack(">HHHHHH", qid, 0x8380, 1, 0, 0, 0) + question  # TC
            records = b"".join(b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 30, 4) + socket.inet_aton(f"192.0.2.{n}")
                               for n in range(1, 41))
            return struct.pack(">HHHHHH", qid, 0x8180, 1, 40, 0, 0) + question + records
        return struct.pack(">HHHHHH", qid, 0x8183, 1, 0, 0, 0) + question

    def serve(self):
        while not self.stop:
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            self.sock.sendto(self.answer(data, False), peer)

    def serve_tcp(self):
        while not self.stop:
            try:
                conn, _ = self.tcp.accept()
            except socket.timeout:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    buf = b""
                    while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
                        chunk = conn.recv(65535)
                        if not chunk:
                            break
                        buf += chunk
                    if len(buf) >= 2:
                        out = self.answer(buf[2:], True)
                        conn.sendall(struct.pack(">H", len(out)) + out)
                except OSError:
                    pass

    def close(self):
        self.stop = True
        self.thread.join()
        self.tcp_thread.join()
        self.sock.close()
        self.tcp.close()


# A DNS exchange run with the host's python3 inside a task's network namespace (nsenter -n:
# the task's network, the host's files), so raw packets reach the resolver as the task's.
NETNS_CLIENT = r"""
import socket, struct, sys
server, mode, packet = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
if mode == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
    s.sendto(packet, (server, 53)); print(s.recv(65535).hex())
else:
    s = socket.create_connection((server, 53), timeout=3)
    s.sendall(struct.pack(">H", len(packet)) + packet)
    buf = b""
    while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
        chunk = s.recv(65535)
        if not chunk: break
        buf += chunk
    print(buf[2:].hex())
"""


upstream = Upstream()
# The default VPC's CIDR given (the default is AWS's 172.31.0.0/16 where the host allows it):
# the names and addresses below are written for it.
with WharfServer("--dns-upstream", f"127.0.0.1:{upstream.port}", "--vpc-cidr", "10.213.0.0/16", agent=True) as server:
    sd = server.boto3("servicediscovery")
    ecs = server.boto3("ecs")
    elb = server.boto3("elbv2")
    subnets = sorted(server.boto3("ec2").describe_subnets()["Subnets"], key=lambda s: s["AvailabilityZone"])
    subnet = subnets[0]
    vpc_id = subnet["VpcId"]
    network = {"awsvpcConfiguration": {"subnets": [subnet["SubnetId"]]}}
    state = {}

    def wait_operation(operation_id):
        return wait_for(lambda: sd.get_operation(OperationId=operation_id)["Operation"]["Status"] == "SUCCESS"
                        and sd.get_operation(OperationId=operation_id)["Operation"], f"operation {operation_id}", 10)

    def client_pid(marker="3607"):
        out = subprocess.run(["pgrep", "-f", f"^sleep {marker}$"], capture_output=True, text=True).stdout.split()
        return out[0] if out else None

    def in_task(*argv, pid=None):
        """argv run in the client task's mount and network namespaces (its /bin, its resolv.conf)."""
        return subprocess.run(["nsenter", "-t", pid or state["client_pid"], "-m", "-n", "--"] + list(argv),
                              capture_output=True, text=True, timeout=20)

    def exchange(packet, mode="udp", pid=None):
        out = subprocess.run(["nsenter", "-t", pid or state["client_pid"], "-n", "--", "python3", "-c", NETNS_CLIENT,
                              RESOLVER, mode, packet.hex()], capture_output=True, text=True, timeout=20)
        assert out.returncode == 0, out.stderr
        return bytes.fromhex(out.stdout.strip())

    def nslookup_addresses(name):
        out = in_task("nslookup", name)
        lines = out.stdout.splitlines()
        # busybox prints the server first ("Address:\t10.213.0.2:53"), then one
        # "Address: <ip>" per answer after "Name:".
        start = next((i for i, line in enumerate(lines) if line.startswith("Name:")), len(lines))
        return sorted(line.split()[-1] for line in lines[start:] if line.startswith("Address"))

    @checks.run
    def seed_003_service_registers_three_tasks():
        op = wait_operation(sd.create_private_dns_namespace(Name="local", Vpc=vpc_id)["OperationId"])
        state["ns"] = op["Targets"]["NAMESPACE"]
        api = sd.create_service(Name="api", NamespaceId=state["ns"], HealthCheckCustomConfig={"FailureThreshold": 1},
                                DnsConfig={"RoutingPolicy": "MULTIVALUE", "DnsRecords": [
                                    {"Type": "A", "TTL": 10}, {"Type": "SRV", "TTL": 10}]})["Service"]
        state["api"] = api["Id"]
        image = push_to_wharf(server, layout, "v1", "app")
        state["image"] = image
        td = ecs.register_task_definition(
            family="api", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "web", "image": image, "essential": True, "stopTimeout": 2,
                                   "entryPoint": ["/bin/sh", "-c"], "command": [HTTPD],
                                   "portMappings": [{"containerPort": 8080}]}])["taskDefinition"]
        ecs.create_service(cluster="default", serviceName="api", taskDefinition=td["taskDefinitionArn"],
                           desiredCount=3, launchType="FARGATE", networkConfiguration=network,
                           serviceRegistries=[{"registryArn": api["Arn"], "containerName": "web",
                                               "containerPort": 8080}])
        ecs.get_waiter("services_stable").wait(cluster="default", services=["api"],
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        wait_for(lambda: len(sd.list_instances(ServiceId=api["Id"])["Instances"]) == 3, "3 instances")
        tasks = ecs.describe_tasks(cluster="default",
                                   tasks=ecs.list_tasks(cluster="default", serviceName="api")["taskArns"])["tasks"]
        state["ips"] = {t["taskArn"].split("/")[-1]: [d["value"] for a in t["attachments"] for d in a["details"]
                                                     if d["name"] == "privateIPv4Address"][0] for t in tasks}
        assert len(state["ips"]) == 3, state["ips"]

    @checks.run
    def a_client_task_in_the_vpc_names_the_vpc_resolver():
        client = ecs.register_task_definition(
            family="client", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "c", "image": state["image"], "essential": True, "stopTimeout": 2,
                                   "command": ["sleep", "3607"]}])["taskDefinition"]
        arn = ecs.run_task(cluster="default", taskDefinition=client["taskDefinitionArn"], launchType="FARGATE",
                           networkConfiguration=network)["tasks"][0]["taskArn"]
        state["client"] = arn
        ecs.get_waiter("tasks_running").wait(cluster="default", tasks=[arn], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        state["client_pid"] = wait_for(client_pid, "the client's sleep")
        resolv = in_task("cat", "/etc/resolv.conf")
        assert resolv.stdout.strip() == f"nameserver {RESOLVER}", resolv

    @checks.run
    def nslookup_returns_the_three_addresses():
        got = wait_for(lambda: nslookup_addresses("api.local") == sorted(state["ips"].values()) or None,
                       "3 addresses", timeout=15)
        assert got, nslookup_addresses("api.local")
        answer = parse(exchange(query("api.local", 1)))
        assert answer["aa"] and answer["rcode"] == 0, answer
        assert all(ttl == 10 for _, _, ttl, _ in answer["answers"]), answer

    @checks.run
    def srv_records_point_at_the_tasks():
        out = in_task("nslookup", "-type=srv", "api.local")
        srv = sorted(line.split("service = ")[1] for line in out.stdout.splitlines() if "service = " in line)
        want = sorted(f"1 1 8080 {task_id}.api.local" for task_id in state["ips"])
        assert srv == want, (srv, want, out.stdout, out.stderr)
        task_id, ip = next(iter(state["ips"].items()))
        assert nslookup_addresses(f"{task_id}.api.local") == [ip]

    @checks.run
    def other_names_in_the_zone_do_not_exist_and_the_rest_is_forwarded():
        missing = parse(exchange(query("nope.local", 1)))
        assert missing["rcode"] == 3 and missing["aa"], missing  # NXDOMAIN, never forwarded
        nodata = parse(exchange(query("api.local", 28)))  # AAAA: the name exists, no such record
        assert nodata["rcode"] == 0 and not nodata["answers"], nodata
        assert "nope.local" not in upstream.asked and "api.local" not in upstream.asked, upstream.asked
        assert nslookup_addresses("upstream.test") == ["192.0.2.44"], in_task("nslookup", "upstream.test").stdout
        forwarded = parse(exchange(query("upstream.test", 1, qid=0x1234)))
        assert forwarded["id"] == 0x1234 and not forwarded["aa"], forwarded
        assert parse(exchange(query("elsewhere.test", 1)))["rcode"] == 3
        assert "upstream.test" in upstream.asked

    @checks.run
    def a_truncated_upstream_answer_is_asked_again_over_tcp_for_a_tcp_client():
        tcp = parse(exchange(query("big.test", 1), mode="tcp"))
        assert not tcp["tc"] and tcp["rcode"] == 0 and len(tcp["answers"]) == 40, tcp
        assert "big.test" in upstream.asked and "big.test/tcp" in upstream.asked, upstream.asked
        udp = parse(exchange(query("big.test", 1)))  # a UDP client gets TC and asks again itself
        assert udp["tc"] and not udp["answers"], udp

    @checks.run
    def task_hostnames_and_reverse_names_while_dns_hostnames_is_on():
        ec2 = server.boto3("ec2")
        task_id, ip = sorted(state["ips"].items())[0]
        name = "ip-" + ip.replace(".", "-") + ".ec2.internal"  # us-east-1's domain
        task = ecs.describe_tasks(cluster="default", tasks=[task_id])["tasks"][0]
        details = {d["name"]: d["value"] for a in task["attachments"] for d in a["details"]}
        assert details["privateDnsName"] == name, details
        eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[details["networkInterfaceId"]])["NetworkInterfaces"][0]
        assert eni["PrivateDnsName"] == name and eni["PrivateIpAddresses"][0]["PrivateDnsName"] == name, eni
        assert nslookup_addresses(name) == [ip], in_task("nslookup", name).stdout
        reverse = ".".join(reversed(ip.split("."))) + ".in-addr.arpa"
        ptr = parse(exchange(query(reverse, 12)))
        assert ptr["aa"] and len(ptr["answers"]) == 1 and read_name(ptr["answers"][0][3], 0)[0] == name, ptr
        nobody = parse(exchange(query("250.250.213.10.in-addr.arpa", 12)))  # in the VPC, no interface
        assert nobody["aa"] and nobody["rcode"] == 3, nobody
        assert name not in upstream.asked and reverse not in upstream.asked, upstream.asked
        try:
            ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": False})
            off = parse(exchange(query(name, 1)))  # not the VPC's: forwarded, as AWS
            assert off["rcode"] == 3 and not off["aa"] and name in upstream.asked, off
            assert parse(exchange(query("api.local", 1)))["answers"]  # Cloud Map still answered
            ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": False})
            silent = subprocess.run(["nsenter", "-t", state["client_pid"], "-n", "--", "python3", "-c", NETNS_CLIENT,
                                     RESOLVER, "udp", query("api.local", 1).hex()], capture_output=True, text=True,
                                    timeout=20)
            assert silent.returncode != 0 and "timed out" in silent.stderr, silent  # no answer at all
        finally:
            ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
            ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
        assert [socket.inet_ntoa(r[3]) for r in parse(exchange(query(name, 1)))["answers"]] == [ip]

    @checks.run
    def another_vpc_with_the_same_cidr_has_its_own_names_at_the_same_address():
        # 10.213.0.0/16 again, its subnet 10.213.1.0/24 not holding 10.213.0.2: the client
        # reaches the resolver through its gateway, and the bridge it comes in by names the VPC.
        ec2 = server.boto3("ec2")
        vpc2 = ec2.create_vpc(CidrBlock="10.213.0.0/16")["Vpc"]["VpcId"]
        state["vpc2"] = vpc2
        state["subnet2"] = ec2.create_subnet(VpcId=vpc2, CidrBlock="10.213.1.0/24",
                                             AvailabilityZone=subnet["AvailabilityZone"])["Subnet"]["SubnetId"]
        state["endpoints"] = ecr_endpoints(ec2, vpc2, state["subnet2"])  # its tasks' only way to their image
        op = wait_operation(sd.create_private_dns_namespace(Name="other", Vpc=vpc2)["OperationId"])
        state["ns2"] = op["Targets"]["NAMESPACE"]
        state["api2"] = sd.create_service(Name="api", NamespaceId=state["ns2"], DnsConfig={
            "DnsRecords": [{"Type": "A", "TTL": 10}]})["Service"]["Id"]
        wait_operation(sd.register_instance(ServiceId=state["api2"], InstanceId="i-1",
                                            Attributes={"AWS_INSTANCE_IPV4": "10.213.1.77"})["OperationId"])
        arn = ecs.run_task(cluster="default", taskDefinition="client", launchType="FARGATE",
                           overrides={"containerOverrides": [{"name": "c", "command": ["sleep", "3608"]}]},
                           networkConfiguration={"awsvpcConfiguration": {"subnets": [state["subnet2"]]}}
                           )["tasks"][0]["taskArn"]
        ecs.get_waiter("tasks_running").wait(cluster="default", tasks=[arn], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        pid2 = wait_for(lambda: client_pid("3608"), "the second client's sleep")
        assert in_task("cat", "/etc/resolv.conf", pid=pid2).stdout.strip() == f"nameserver {RESOLVER}"
        mine = parse(exchange(query("api.other", 1), pid=pid2))
        assert mine["aa"] and [socket.inet_ntoa(r[3]) for r in mine["answers"]] == ["10.213.1.77"], mine
        theirs = parse(exchange(query("api.local", 1), pid=pid2))  # the default VPC's zone: forwarded
        assert theirs["rcode"] == 3 and not theirs["aa"], theirs
        back = parse(exchange(query("api.other", 1)))  # and from the default VPC, the other way round
        assert back["rcode"] == 3 and not back["aa"], back
        assert len(parse(exchange(query("api.local", 1)))["answers"]) == 3

    @checks.run
    def a_load_balancer_resolves_to_its_interfaces_or_public_addresses():
        lb = elb.create_load_balancer(Name="inside", Scheme="internal",
                                      Subnets=[s["SubnetId"] for s in subnets[:2]])["LoadBalancers"][0]
        state["lb"] = lb["LoadBalancerArn"]
        description = f"ELB app/inside/{lb['LoadBalancerArn'].split('/')[-1]}"
        enis = server.boto3("ec2").describe_network_interfaces()["NetworkInterfaces"]
        want = sorted(e["PrivateIpAddress"] for e in enis if e.get("Description") == description)
        assert len(want) == 2, enis
        answer = parse(exchange(query(lb["DNSName"], 1)))
        got = sorted(socket.inet_ntoa(rdata) for _, _, _, rdata in answer["answers"])
        assert got == want, (got, want, lb["DNSName"])
        facing = elb.create_load_balancer(Name="outside",
                                          Subnets=[s["SubnetId"] for s in subnets[:2]])["LoadBalancers"][0]
        state["lb2"] = facing["LoadBalancerArn"]
        description = f"ELB app/outside/{facing['LoadBalancerArn'].split('/')[-1]}"
        enis = server.boto3("ec2").describe_network_interfaces()["NetworkInterfaces"]
        publics = sorted(e["Association"]["PublicIp"] for e in enis if e.get("Description") == description)
        assert len(publics) == 2, enis
        answer = parse(exchange(query(facing["DNSName"], 1)))
        got = sorted(socket.inet_ntoa(rdata) for _, _, _, rdata in answer["answers"])
        assert got == publics, (got, publics, facing["DNSName"])

    @checks.run
    def truncation_tcp_fallback_and_edns():
        big = sd.create_service(Name="big", NamespaceId=state["ns"], DnsConfig={
            "RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 5}, {"Type": "SRV", "TTL": 5}]})["Service"]
        state["big"] = big["Id"]
        for n in range(10):
            sd.register_instance(ServiceId=big["Id"], InstanceId=f"instance-{n:02d}-with-a-rather-long-identifier",
                                 Attributes={"AWS_INSTANCE_IPV4": f"10.213.9.{n + 10}", "AWS_INSTANCE_PORT": "80"})
        wait_for(lambda: len(sd.list_instances(ServiceId=big["Id"])["Instances"]) == 10, "10 instances")
        a = parse(exchange(query("big.local", 1)))
        assert len(a["answers"]) == 8 and not a["tc"], a  # MULTIVALUE: at most 8
        udp = parse(exchange(query("big.local", 33)))
        assert udp["tc"] and not udp["answers"], udp  # 8 SRV records do not fit in 512 bytes
        tcp = parse(exchange(query("big.local", 33), mode="tcp"))
        assert not tcp["tc"] and len(tcp["answers"]) == 8, tcp
        edns = parse(exchange(query("big.local", 33, edns=4096)))
        assert not edns["tc"] and len(edns["answers"]) == 8 and edns["opt"], edns
        formerr = parse(exchange(b"\x77\x77\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x3f\x01"))
        assert formerr["id"] == 0x7777 and formerr["rcode"] == 1, formerr
        assert parse(exchange(query("api.local", 1)))["rcode"] == 0  # still answering

    @checks.run
    def scaled_to_one_one_address():
        ecs.update_service(cluster="default", service="api", desiredCount=1)
        got = wait_for(lambda: len(nslookup_addresses("api.local")) == 1 and nslookup_addresses("api.local"),
                       "one address", timeout=60)
        task_ids = [a.split("/")[-1] for a in ecs.list_tasks(cluster="default", serviceName="api",
                                                             desiredStatus="RUNNING")["taskArns"]]
        assert got == [state["ips"][t] for t in task_ids if t in state["ips"]], (got, task_ids)

    @checks.run
    def clean_up_and_leave_the_host_clean():
        try:
            stop_services_and_tasks(ecs)
            for lb in ("lb", "lb2"):
                if lb in state:
                    elb.delete_load_balancer(LoadBalancerArn=state[lb])
            for service in ("big", "api", "api2"):
                if service not in state:
                    continue
                for i in sd.list_instances(ServiceId=state[service])["Instances"]:
                    sd.deregister_instance(ServiceId=state[service], InstanceId=i["Id"])
                wait_for(lambda: not sd.list_instances(ServiceId=state[service])["Instances"], f"{service} emptied")
                sd.delete_service(Id=state[service])
            for ns in ("ns", "ns2"):
                if ns in state:
                    wait_operation(sd.delete_namespace(Id=state[ns])["OperationId"])
            assert not sd.list_namespaces()["Namespaces"]
            if state.get("endpoints"):
                server.boto3("ec2").delete_vpc_endpoints(VpcEndpointIds=state["endpoints"])
            if "subnet2" in state:
                server.boto3("ec2").delete_subnet(SubnetId=state["subnet2"])
            if "vpc2" in state:
                server.boto3("ec2").delete_vpc(VpcId=state["vpc2"])
        finally:
            server.stop()
        leftovers = wait_clean(before)
        assert not leftovers, leftovers

upstream.close()
checks.finish()
