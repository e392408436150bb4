#!/usr/bin/python3
"""Each VPC an isolated L3 network on the node (issue 13, part 3), driven with boto3.

Two VPCs with one CIDR (10.0.0.0/16, a subnet 10.0.1.0/24 in each) each run an awsvpc task,
and both tasks get the same private address. Every task's group admits port 8080 from the
whole 10.0.0.0/16, so only the node's routing keeps the VPCs apart: a connection from the
second VPC to that address lands on its own task (each task serves its VPC's name), a task
of the first VPC reaches neither an address that exists only in the second VPC's subnet nor
the second VPC's other subnet, while tasks of the second VPC reach each other across its two
subnets (the VPC's own table joins them). Each task pings its gateway and reads its own task
metadata through it (the same address in both VPCs). An internal load balancer in each VPC (an
internet-facing one is refused: no internet gateway), each with a target group holding that same
address, is healthy and answers its own VPC's tasks with its own VPC's task, and neither the
other VPC nor the host.
Connections from tasks are made inside their network namespaces (`ip netns exec`). The test
stops its tasks, deletes what it made and checks the host is left as it was found (bridges,
ip rules, the nft table).
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import Checks, WharfServer, expect_client_error, free_port  # noqa: E402
from task_fixtures import (call_through_endpoint, ecr_endpoints, prepare, push_to_wharf, task_netns,  # noqa: E402
                           wait_clean, wait_task)

checks = Checks()
before, layout = prepare("v1")

# Writes its VPC's name and its own task metadata (fetched through the gateway) where httpd serves.
SERVE = ('echo "$WHO" > /www/who.txt; '
         'wget -q -O /www/meta.json "$ECS_CONTAINER_METADATA_URI_V4/task" || echo failed > /www/meta.json; '
         'exec httpd -f -p 8080 -h /www')


def in_task(task, *argv, timeout=4):
    return subprocess.run(["ip", "netns", "exec", task_netns(task["id"]), "timeout", str(timeout)] + list(argv),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True)


def fetch(task, ip, path="who.txt"):
    """From inside `task`: the body at http://ip:8080/path, or None."""
    p = in_task(task, "curl", "-sf", "--max-time", "2", f"http://{ip}:8080/{path}")
    if p.returncode != 0:
        print(f"fetch {ip}/{path} from {task['ip']}: {p.returncode} {p.stderr.strip()}")
        return None
    return p.stdout.strip()


# From a fixed local port: connects, holds the connection for `hold` seconds (so that the other
# VPC's twin is open at the same time), then asks for who.txt; prints the body (or the error).
HELD = """
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[2])))
s.settimeout(4)
try:
    s.connect((sys.argv[1], 8080))
    time.sleep(float(sys.argv[3]))
    s.sendall(b"GET /who.txt HTTP/1.0\\r\\n\\r\\n")
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    print(data.split(b"\\r\\n\\r\\n", 1)[-1].decode().strip())
except OSError as e:
    print("error", e)
"""


def held_connection(task, ip, port, hold):
    return subprocess.Popen(["ip", "netns", "exec", task_netns(task["id"]), "/usr/bin/python3", "-c", HELD, ip,
                             str(port), str(hold)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)


def connects(task, ip):
    return in_task(task, "busybox", "nc", "-w", "1", ip, "8080", timeout=3).returncode == 0


with WharfServer(agent=True) as server:
    image = push_to_wharf(server, layout, "v1", "app")
    ec2 = server.boto3("ec2")
    ecs = server.boto3("ecs")
    elb = server.boto3("elbv2")
    zones = sorted(z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"])[:2]
    made = {"vpcs": [], "subnets": [], "groups": [], "lbs": [], "tgs": [], "endpoints": []}
    tasks = []
    td = ecs.register_task_definition(
        family="vpc-iso", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "web", "image": image, "essential": True, "stopTimeout": 2,
                               "entryPoint": ["/bin/sh", "-c"], "command": [SERVE],
                               "portMappings": [{"containerPort": 8080}]}])["taskDefinition"]["taskDefinitionArn"]

    def make_vpc(name, second_cidr):
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        made["vpcs"].append(vpc)
        subnets = []
        for cidr, zone in (("10.0.1.0/24", zones[0]), (second_cidr, zones[1])):
            s = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
            made["subnets"].append(s)
            subnets.append(s)
        # No way out, as the test means: its tasks pull through ECR's and S3's endpoints.
        made["endpoints"] += ecr_endpoints(ec2, vpc, subnets[0])
        lb_group = ec2.create_security_group(GroupName=f"{name}-lb", Description="e2e", VpcId=vpc)["GroupId"]
        web = ec2.create_security_group(GroupName=f"{name}-web", Description="e2e", VpcId=vpc)["GroupId"]
        made["groups"] += [web, lb_group]
        ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.0.0.0/16"}],
             "UserIdGroupPairs": [{"GroupId": lb_group}]}])
        return {"name": name, "id": vpc, "subnets": subnets, "web": web, "lb": lb_group}

    def run(vpc, subnet_index=0):
        arn = ecs.run_task(launchType="FARGATE", taskDefinition=td, overrides={"containerOverrides": [
            {"name": "web", "environment": [{"name": "WHO", "value": vpc["name"]}]}]},
            networkConfiguration={"awsvpcConfiguration": {"subnets": [vpc["subnets"][subnet_index]],
                                                          "securityGroups": [vpc["web"]]}})["tasks"][0]["taskArn"]
        tasks.append(arn)
        return arn

    def running(arn):
        task = wait_task(server, "default", arn, "RUNNING")
        assert task["lastStatus"] == "RUNNING", task
        details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
        return {"arn": arn, "id": arn.rsplit("/", 1)[1], "ip": details["privateIPv4Address"]}

    state = {}

    @checks.run
    def two_vpcs_with_one_cidr_give_their_tasks_one_address():
        one, two = make_vpc("vpc1", "10.0.3.0/24"), make_vpc("vpc2", "10.0.2.0/24")
        a_arn, b_arn = run(one), run(two)  # started side by side
        a, b = running(a_arn), running(b_arn)
        assert a["ip"] == b["ip"] and a["ip"].startswith("10.0.1."), (a, b)
        c_arn, d_arn = run(two, 1), run(two)  # vpc2's other subnet; a second address in 10.0.1.0/24
        c, d = running(c_arn), running(d_arn)
        assert c["ip"].startswith("10.0.2.") and d["ip"].startswith("10.0.1.") and d["ip"] != b["ip"], (c, d)
        state.update(one=one, two=two, a=a, b=b, c=c, d=d)

    @checks.run
    def each_vpc_reaches_its_own_subnets_and_nothing_of_the_other():
        a, b, c, d = (state[k] for k in "abcd")
        assert fetch(a, a["ip"]) == "vpc1"
        # The shared address, from vpc2's tasks, is vpc2's task: on the same bridge and routed.
        assert fetch(d, b["ip"]) == "vpc2"
        assert fetch(c, b["ip"]) == "vpc2"
        assert fetch(b, c["ip"]) == "vpc2"  # vpc2's two subnets are joined
        # The gateway answers both VPCs' tasks at the one address: the host's replies go back
        # through the bridge each came in by (the VPC's table, by the connection's mark).
        for k in "abcd":
            assert in_task(state[k], "busybox", "ping", "-c1", "-W2", "10.0.1.1" if k != "c" else "10.0.2.1"
                           ).returncode == 0, k
        # vpc1 has no 10.0.2.0/24 and no task at d's address: both are out of its reach, though
        # every group admits 10.0.0.0/16.
        assert not connects(a, c["ip"])
        assert not connects(a, d["ip"])
        assert not connects(c, "10.0.3.10")  # vpc1's second subnet, from vpc2
        # Nothing outside the VPC either: no route leads out of a VPC without a gateway (asked
        # of the kernel's routing, so that no packet is sent anywhere).
        bridge = "wh-" + state["one"]["subnets"][0][-12:]
        route = subprocess.run(["ip", "route", "get", "192.0.2.77", "from", a["ip"], "iif", bridge],
                               capture_output=True, text=True)
        assert route.returncode != 0, (route.stdout, route.stderr)

    @checks.run
    def the_same_connection_in_both_vpcs_at_once_is_two_connections():
        # A client in each VPC at one address (vpc1's next task takes d's), each connecting to
        # its VPC's task at the shared address from the same port: the very same addresses and
        # ports, both open at once. Each VPC's connections are tracked in its own conntrack
        # zone, so both are answered by their own VPC...
        a, b, d = state["a"], state["b"], state["d"]
        f = state["f"] = running(run(state["one"]))
        assert f["ip"] == d["ip"], (f, d)
        for port in (41234, 41235):  # twice: the second pair while the first pair's entries linger
            first = held_connection(d, b["ip"], port, 2)
            time.sleep(0.3)
            second = held_connection(f, a["ip"], port, 1.5)
            got = (first.communicate(timeout=15)[0].strip(), second.communicate(timeout=15)[0].strip())
            assert got == ("vpc2", "vpc1"), (port, got)
        # ... and one VPC's connection never opens the way for its twin in the other: with vpc1's
        # group no longer admitting its VPC's CIDR, f's connection to a times out while d's to
        # b, the same addresses and ports, is open. (In one shared conntrack table f's SYN would
        # be taken for d's connection, established, and pass a's group without a look.)
        web1 = state["one"]["web"]
        cidr_rule = [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]
        ec2.revoke_security_group_ingress(GroupId=web1, IpPermissions=cidr_rule)
        try:
            deadline = time.time() + 5
            while time.time() < deadline and connects(f, a["ip"]):
                time.sleep(0.1)
            assert not connects(f, a["ip"]), "vpc1's group still admits f"
            assert fetch(d, b["ip"]) == "vpc2"
            first = held_connection(d, b["ip"], 41236, 3)
            time.sleep(0.5)
            second = held_connection(f, a["ip"], 41236, 0)
            got = (first.communicate(timeout=15)[0].strip(), second.communicate(timeout=15)[0].strip())
            assert got[0] == "vpc2" and got[1].startswith("error"), got
        finally:
            ec2.authorize_security_group_ingress(GroupId=web1, IpPermissions=cidr_rule)
        deadline = time.time() + 5
        while time.time() < deadline and not connects(f, a["ip"]):
            time.sleep(0.1)
        assert connects(f, a["ip"])

    @checks.run
    def each_vpc_s_endpoint_at_the_shared_address_is_its_own():
        # Both VPCs' ecr.api endpoints have one address: the server tells them apart by the
        # VPC the connection came from, so vpc1's endpoint policy binds vpc1's task only.
        a, b = state["a"], state["b"]
        api1, api2 = made["endpoints"][0], made["endpoints"][3]
        address = {}
        for i in ec2.describe_network_interfaces(Filters=[{"Name": "interface-type", "Values": ["vpc_endpoint"]}])[
                "NetworkInterfaces"]:
            address[i["Description"].rsplit(" ", 1)[1]] = i["PrivateIpAddress"]
        assert address[api1] == address[api2], address
        ec2.modify_vpc_endpoint(VpcEndpointId=api1, PolicyDocument=json.dumps({"Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "ecr:DescribeRepositories", "Resource": "*"},
            {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}))
        try:
            key = server.credentials()
            denied = call_through_endpoint(a["id"], address[api1], key, "ecr", "describe_repositories")
            assert denied.startswith("AccessDeniedException: ") and "in a VPC endpoint policy" in denied, denied
            assert call_through_endpoint(b["id"], address[api2], key, "ecr", "describe_repositories") == "ok"
        finally:
            ec2.modify_vpc_endpoint(VpcEndpointId=api1, ResetPolicy=True)

    @checks.run
    def each_task_reads_its_own_metadata_through_its_gateway():
        for k in "abcd":
            t = state[k]
            body = fetch(t, t["ip"], "meta.json")
            assert body and body != "failed", (k, body)
            assert json.loads(body)["TaskARN"] == t["arn"], (k, body)

    @checks.run
    def a_load_balancer_in_each_vpc_reaches_its_own_task_at_the_shared_address():
        # Internal (neither VPC has an internet gateway): each is reached only from inside its
        # own VPC, at its interface addresses.
        ports, addresses = {}, {}
        for vpc, task in ((state["one"], state["a"]), (state["two"], state["b"])):
            expect_client_error(lambda: elb.create_load_balancer(Name=f"iso-{vpc['name']}", Subnets=vpc["subnets"]),
                                "InvalidSubnet", "has no internet gateway")
            lb = elb.create_load_balancer(Name=f"iso-{vpc['name']}", Subnets=vpc["subnets"], Scheme="internal",
                                          SecurityGroups=[vpc["lb"]])["LoadBalancers"][0]["LoadBalancerArn"]
            made["lbs"].append(lb)
            enis = ec2.describe_network_interfaces(Filters=[
                {"Name": "description", "Values": ["ELB " + lb.split(":loadbalancer/")[1]]}])["NetworkInterfaces"]
            # Its interface in the VPC's second subnet: the tasks (in the first) reach it through
            # their gateway.
            addresses[vpc["name"]] = [e["PrivateIpAddress"] for e in enis if e["SubnetId"] == vpc["subnets"][1]][0]
            addresses[vpc["name"] + "-shared"] = [e["PrivateIpAddress"] for e in enis
                                                  if e["SubnetId"] == vpc["subnets"][0]][0]  # in 10.0.1.0/24
            tg = elb.create_target_group(Name=f"iso-{vpc['name']}", Protocol="HTTP", Port=8080, VpcId=vpc["id"],
                                         TargetType="ip", HealthCheckPath="/who.txt", HealthCheckIntervalSeconds=5,
                                         HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2)
            tg = tg["TargetGroups"][0]["TargetGroupArn"]
            made["tgs"].append(tg)
            port = ports[vpc["name"]] = free_port()
            elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=port,
                                DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
            ec2.authorize_security_group_ingress(GroupId=vpc["lb"], IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
            elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": task["ip"], "Port": 8080}])
        deadline = time.time() + 25
        healthy = set()
        while time.time() < deadline and len(healthy) < 2:
            for tg in made["tgs"]:
                h = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"][0]["TargetHealth"]
                if h["State"] == "healthy":
                    healthy.add(tg)
            time.sleep(0.2)
        assert len(healthy) == 2, [elb.describe_target_health(TargetGroupArn=t)["TargetHealthDescriptions"]
                                   for t in made["tgs"]]
        # Turn about, so that a pooled connection to the shared address would be offered to the
        # other load balancer's request: each still reaches its own VPC. From inside: a in vpc1,
        # b in vpc2 (the two tasks at the shared address).
        client = {"vpc1": state["a"], "vpc2": state["b"]}
        for _ in range(2):
            for name, port in ports.items():
                p = in_task(client[name], "curl", "-s", "--max-time", "3", f"http://{addresses[name]}:{port}/who.txt")
                assert p.stdout.strip() == name, (name, p.stdout, p.stderr)
        # Neither VPC reaches the other's load balancer: vpc2's port at vpc2's own interface
        # address from vpc1's side of the shared CIDR, and the other way round; nor the host.
        for name, other in (("vpc1", "vpc2"), ("vpc2", "vpc1")):
            p = in_task(client[name], "curl", "-s", "--max-time", "1", f"http://{addresses[name]}:{ports[other]}/who.txt")
            assert p.returncode != 0 and p.stdout == "", (name, other, p.returncode, p.stdout)
            p = subprocess.run(["curl", "-s", "--max-time", "1", f"http://127.0.0.1:{ports[name]}/who.txt"],
                               capture_output=True, text=True)
            assert p.returncode != 0 and p.stdout == "", (name, p.returncode, p.stdout)
        # vpc1's load balancer's address in the shared 10.0.1.0/24, from vpc2's other subnet, is
        # an address of vpc2 (routed there), never vpc1's load balancer.
        shared = addresses["vpc1-shared"]
        p = in_task(state["c"], "curl", "-s", "--max-time", "1", f"http://{shared}:{ports['vpc1']}/who.txt")
        assert p.returncode != 0 and p.stdout == "", (shared, p.returncode, p.stdout)

    @checks.run
    def a_vpc_with_an_internet_gateway_route_reaches_outside():
        # vpc2 gets an internet gateway and the route to it: its next task's subnet is routed
        # out through the host (asked of the kernel's routing: nothing is sent), vpc1 still not.
        two = state["two"]
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        made["igws"] = [(igw, two["id"])]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=two["id"])
        main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [two["id"]]},
                                                  {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
        ec2.create_route(RouteTableId=main["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        e = running(run(two))
        def routes_out(task, vpc):
            bridge = "wh-" + vpc["subnets"][0][-12:]
            return subprocess.run(["ip", "route", "get", "192.0.2.77", "from", task["ip"], "iif", bridge],
                                  capture_output=True, text=True).returncode == 0
        assert routes_out(e, two), "vpc2 has an internet gateway route but its task cannot route out"
        assert not routes_out(state["a"], state["one"]), "vpc1 has no gateway but its task routes out"

    @checks.run
    def cleanup_stops_tasks_and_deletes_what_it_made():
        for lb in made["lbs"]:
            elb.delete_load_balancer(LoadBalancerArn=lb)
        for tg in made["tgs"]:
            elb.delete_target_group(TargetGroupArn=tg)
        for arn in tasks:
            ecs.stop_task(task=arn)
        for arn in tasks:
            wait_task(server, "default", arn, "STOPPED")
        for g in made["groups"]:
            perms = ec2.describe_security_groups(GroupIds=[g])["SecurityGroups"][0]["IpPermissions"]
            if perms:
                ec2.revoke_security_group_ingress(GroupId=g, IpPermissions=perms)
        for g in made["groups"]:
            ec2.delete_security_group(GroupId=g)
        for igw, vpc in made.get("igws", []):
            ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
            ec2.delete_internet_gateway(InternetGatewayId=igw)
        if made["endpoints"]:
            ec2.delete_vpc_endpoints(VpcEndpointIds=made["endpoints"])
        for s in made["subnets"]:
            ec2.delete_subnet(SubnetId=s)
        for v in made["vpcs"]:
            ec2.delete_vpc(VpcId=v)

    @checks.run
    def host_left_clean():
        server.stop()
        leftovers = wait_clean(before)
        assert not leftovers, leftovers

checks.finish()
