#!/usr/bin/python3
"""Security groups enforced on awsvpc tasks, driven with boto3 (docs/SECURITY_GROUPS.md).

Real busybox httpd tasks on FARGATE: a task in one group reaches a task in another only once
that group admits the first on the port, and times out again within about a second of the
revoke (rules reach running tasks through the assignment feed) while a connection it admitted
before carries on, as AWS's connection tracking does, unless the flow is one AWS leaves untracked
(a 0.0.0.0/0 rule, all egress): that one stops at the revoke; members of the VPC's default
group reach each other; a task forging an admitted member's address as its source (TCP and
UDP, through a raw socket) gets nothing to the target, on its subnet or routed to another,
while the member's own packets arrive with its address (not the gateway's), and tasks of one subnet have no IPv6
link-local between them; a group whose egress is revoked cannot connect out; a load balancer
in its own group (sg-alb) has healthy targets while their group admits sg-alb, unhealthy ones
(and an error instead of the page) once that rule is revoked, healthy again when it comes
back. Connections are made from inside a task's network namespace (`ip netns exec`), so they
leave from the task's own address. The test stops its tasks, deletes what it made and checks
that the host is left as it was found (the node's nft table included).
"""
import json
import os
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import Checks, WharfServer, free_port  # noqa: E402
from task_fixtures import prepare, push_to_wharf, task_netns, wait_clean, wait_task  # noqa: E402

checks = Checks()
before, layout = prepare("v1")

HTTPD = "httpd -f -p 8080 -h /www"
FIGURES = {}


def connect(task, ip, port=8080, timeout=1):
    """From inside `task`'s network namespace: (connected, seconds). A dropped SYN is a
    timeout (nc -w); a refused one would fail at once."""
    start = time.time()
    p = subprocess.run(["ip", "netns", "exec", task_netns(task["id"]), "timeout", str(timeout + 2), "busybox", "nc",
                        "-w", str(timeout), ip, str(port)], stdin=subprocess.DEVNULL, capture_output=True)
    return p.returncode == 0, time.time() - start


def ping(task, ip):
    return subprocess.run(["ip", "netns", "exec", task_netns(task["id"]), "busybox", "ping", "-c1", "-W1", ip],
                          capture_output=True).returncode == 0


def reachable(task, ip, port=8080):
    """Connects within a quarter of a second (an admitted connect takes a millisecond or
    two), so that a rule change is timed to that."""
    return subprocess.run(["ip", "netns", "exec", task_netns(task["id"]), "timeout", "0.25", "busybox", "nc",
                           "-w", "1", ip, str(port)], stdin=subprocess.DEVNULL, capture_output=True).returncode == 0


def dropped(task, ip, port=8080):
    ok, seconds = connect(task, ip, port)
    return not ok and seconds >= 0.9


def until(want, probe, timeout=5.0):
    """Seconds until probe() == want (probing back to back), or None."""
    start = time.time()
    while time.time() - start < timeout:
        t = time.time()
        if probe() == want:
            return t - start
    return None


def hold_open(task, ip, port=8080):
    """A connection from inside `task`'s namespace, left open: (the nc process, established).
    Established is what the task's namespace says (ss) a moment after the connect."""
    p = subprocess.Popen(["ip", "netns", "exec", task_netns(task["id"]), "busybox", "nc", ip, str(port)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    for _ in range(20):
        time.sleep(0.05)
        ss = subprocess.run(["ip", "netns", "exec", task_netns(task["id"]), "ss", "-Htn", "state", "established",
                             "dst", f"{ip}:{port}"], capture_output=True, text=True).stdout
        if ss.strip():
            return p, True
    return p, False


def first_line_over(p, timeout=3.0):
    """Sends a request on the held connection; the first line of the answer, or b"" at `timeout`."""
    p.stdin.write(b"GET /index.html HTTP/1.0\r\n\r\n")
    p.stdin.flush()
    ready, _, _ = select.select([p.stdout], [], [], timeout)
    return p.stdout.readline() if ready else b""


# A task with NET_RAW (Docker's default capabilities) sends what it likes: an IPv4 packet with
# any source address, here a UDP datagram or a TCP SYN, through a raw socket.
FORGE = """
import socket, struct, sys
src, dst, proto, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def csum(b):
    b += b"\\0" * (len(b) % 2)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
S, D = socket.inet_aton(src), socket.inet_aton(dst)
if proto == "udp":
    l4 = struct.pack("!HHHH", 40000, port, 12, 0) + b"ping"
    l4 = l4[:6] + struct.pack("!H", csum(S + D + struct.pack("!BBH", 0, 17, len(l4)) + l4)) + l4[8:]
    number = 17
else:
    l4 = struct.pack("!HHIIBBHHH", 40001, port, 1, 0, 5 << 4, 2, 64240, 0, 0)
    l4 = l4[:16] + struct.pack("!H", csum(S + D + struct.pack("!BBH", 0, 6, len(l4)) + l4)) + l4[18:]
    number = 6
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, number, 0, S, D)
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for _ in range(3):
    s.sendto(ip + l4, (dst, 0))
"""


def forge(task, source, ip, proto, port):
    subprocess.run(["ip", "netns", "exec", task_netns(task["id"]), "/usr/bin/python3", "-c", FORGE, source, ip, proto,
                    str(port)], check=True, capture_output=True)


# What a target takes in from `source`'s address on the forger's ports (40000 UDP, 40001 TCP):
# counters of a table in its namespace (gone with it), so no other traffic counts. By address
# and port, not MAC: a routed packet comes with the gateway's.
def count_forged(task, source):
    script = ("table ip forged {\n counter udp_in {}\n counter tcp_in {}\n chain input {\n"
              "  type filter hook input priority -400; policy accept;\n"
              f"  ip saddr {source} udp sport 40000 counter name udp_in\n"
              f"  ip saddr {source} tcp sport 40001 counter name tcp_in\n }}\n}}\n")
    subprocess.run(["ip", "netns", "exec", task_netns(task["id"]), "nft", "-f", "-"], input=script, text=True,
                   check=True, capture_output=True)


def received(task):
    """The forged ports' packets the task's namespace has taken in (count_forged)."""
    counts = {}
    for proto in ("udp", "tcp"):
        out = subprocess.run(["ip", "netns", "exec", task_netns(task["id"]), "nft", "list", "counter", "ip", "forged",
                              proto + "_in"], capture_output=True, text=True, check=True).stdout.split()
        counts[proto] = int(out[out.index("packets") + 1])
    return counts


def mac_of(ip):
    return "02:77:" + ":".join(f"{int(b):02x}" for b in ip.split("."))


# An LLDP frame (01:80:c2:00:00:0e: a link-local group, which passes none of the bridge's
# hooks) from the task's eth0 with the source MAC given.
LLDP = """
import socket, sys
mac = bytes.fromhex(sys.argv[1].replace(":", ""))
tlvs = b"\\x02\\x07\\x04" + mac + b"\\x04\\x02\\x07\\x31\\x06\\x02\\x00\\x78\\x00\\x00"
frame = bytes.fromhex("0180c200000e") + mac + b"\\x88\\xcc" + tlvs
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
for _ in range(3):
    s.send(frame.ljust(60, b"\\0"))
"""


def host_port(task):
    """The host side of the task's veth (its ENI's port)."""
    index = subprocess.run(["ip", "netns", "exec", task_netns(task["id"]), "cat", "/sys/class/net/eth0/iflink"],
                           capture_output=True, text=True, check=True).stdout.strip()
    for line in subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout.splitlines():
        if line.split(":")[0] == index:
            return line.split(":")[1].strip().split("@")[0]
    raise AssertionError(f"no host link {index} for {task['id']}")


def fdb_ports(mac):
    """The ports the bridges send `mac` to (bridge fdb show)."""
    return [l.split()[2] for l in subprocess.run(["bridge", "fdb", "show"], capture_output=True, text=True,
                                                 check=True).stdout.splitlines() if l.startswith(mac + " dev ")]


def link_local(task):
    out = subprocess.run(["ip", "-n", task_netns(task["id"]), "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link"],
                         capture_output=True, text=True).stdout.split()
    return out[out.index("inet6") + 1].split("/")[0] if "inet6" in out else None


def tcp_from(group, port=8080):
    return [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "UserIdGroupPairs": [{"GroupId": group}]}]


with WharfServer(agent=True) as server:
    image = push_to_wharf(server, layout, "v1", "app")
    ec2 = server.boto3("ec2")
    ecs = server.boto3("ecs")
    elb = server.boto3("elbv2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]
    subnets = sorted(ec2.describe_subnets()["Subnets"], key=lambda s: s["AvailabilityZone"])
    subnet = subnets[0]["SubnetId"]
    default_group = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]["GroupId"]
    groups = {name: ec2.create_security_group(GroupName=name, Description=f"e2e {name}", VpcId=vpc["VpcId"])["GroupId"]
              for name in ("test-a", "test-b", "test-alb")}
    sg_a, sg_b, sg_alb = groups["test-a"], groups["test-b"], groups["test-alb"]
    td = ecs.register_task_definition(
        family="sg-web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "web", "image": image, "essential": True, "stopTimeout": 2,
                               "entryPoint": ["/bin/sh", "-c"], "command": [HTTPD],
                               "portMappings": [{"containerPort": 8080}]}])["taskDefinition"]["taskDefinitionArn"]
    tasks = []

    def run_together(*group_lists, subnet=subnet):
        """One task per list of security groups ([]: none given), all started before any is
        waited for (one by one, each start's wait added to the test's time)."""
        arns = []
        for security_groups in group_lists:
            vpc_config = {"subnets": [subnet]}
            if security_groups:
                vpc_config["securityGroups"] = list(security_groups)
            arns.append(ecs.run_task(launchType="FARGATE", taskDefinition=td,
                                     networkConfiguration={"awsvpcConfiguration": vpc_config})["tasks"][0]["taskArn"])
            tasks.append({"arn": arns[-1], "id": arns[-1].rsplit("/", 1)[1]})  # stopped at cleanup even if a wait fails
        started = []
        for t in tasks[len(tasks) - len(arns):]:
            task = wait_task(server, "default", t["arn"], "RUNNING")
            assert task["lastStatus"] == "RUNNING", task
            details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
            t["ip"] = details["privateIPv4Address"]
            started.append(t)
        return started

    def run(*security_groups, subnet=subnet):
        return run_together(list(security_groups), subnet=subnet)[0]

    state = {}

    @checks.run
    def a_reaches_b_once_b_admits_a_and_not_after_the_revoke():
        a, b = run_together([sg_a], [sg_b])
        state.update(a=a, b=b)
        assert dropped(a, b["ip"]), "sg-b admits nothing yet"
        ec2.authorize_security_group_ingress(GroupId=sg_b, IpPermissions=tcp_from(sg_a))
        took = until(True, lambda: reachable(a, b["ip"]))
        assert took is not None and took < 1.0, f"authorize reached the task after {took} s"
        FIGURES["authorize_s"] = round(took, 3)
        held, established = hold_open(a, b["ip"])
        try:
            assert established, "a's connection to b was not established while the rule admitted it"
            ec2.revoke_security_group_ingress(GroupId=sg_b, IpPermissions=tcp_from(sg_a))
            took = until(False, lambda: reachable(a, b["ip"]))
            assert took is not None and took < 1.0, f"revoke reached the task after {took} s"
            FIGURES["revoke_s"] = round(took, 3)
            assert dropped(a, b["ip"]), "the revoked rule still admits a"
            # As on AWS, a revoke leaves the tracked connections the rule admitted alone: the
            # one held open still carries a request (original direction) and its answer.
            line = first_line_over(held)
            assert line.startswith(b"HTTP/") and b" 200" in line, f"the held connection was cut: {line!r}"
        finally:
            held.kill()
            held.wait()

    @checks.run
    def an_untracked_flow_stops_at_once_when_its_rule_is_revoked():
        # sg-b admits tcp 8080 from 0.0.0.0/0 and, as a new group does, all egress to
        # 0.0.0.0/0: on AWS that flow is not tracked at b, so revoking the rule stops it at
        # once, open connections too (docs/SECURITY_GROUPS.md "Untracked flows").
        a, b = state["a"], state["b"]
        anywhere = [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        ec2.authorize_security_group_ingress(GroupId=sg_b, IpPermissions=anywhere)
        assert until(True, lambda: reachable(a, b["ip"])) is not None
        before_revoke, established1 = hold_open(a, b["ip"])
        after_revoke, established2 = hold_open(a, b["ip"])
        try:
            assert established1 and established2, "a's connections to b were not established"
            # Every packet of it walks b's rules, which admit it while the rule is there.
            line = first_line_over(before_revoke)
            assert line.startswith(b"HTTP/") and b" 200" in line, f"the untracked connection carried nothing: {line!r}"
            ec2.revoke_security_group_ingress(GroupId=sg_b, IpPermissions=anywhere)
            assert until(False, lambda: reachable(a, b["ip"])) is not None
            line = first_line_over(after_revoke, timeout=2.0)
            assert line == b"", f"the untracked connection carried on after the revoke: {line!r}"
        finally:
            for p in (before_revoke, after_revoke):
                p.kill()
                p.wait()

    @checks.run
    def a_new_member_is_admitted_by_its_group():
        a, b = state["a"], state["b"]
        ec2.authorize_security_group_ingress(GroupId=sg_b, IpPermissions=tcp_from(sg_a))
        assert until(True, lambda: reachable(a, b["ip"])) is not None
        # A task starting in sg-a is in the member set within a second of running.
        c = run(sg_a)
        took = until(True, lambda: reachable(c, b["ip"]))
        assert took is not None and took < 1.0, f"the new member got in after {took} s"
        FIGURES["new_member_s"] = round(took, 3)
        # Stopping it takes its address out again (the next task may get it).
        ecs.stop_task(task=c["arn"])
        wait_task(server, "default", c["arn"], "STOPPED")
        tasks.remove(c)

    @checks.run
    def default_group_members_reach_each_other_and_no_one_else():
        c, d = run_together([], [])  # no groups: the VPC's default group, as on AWS
        assert reachable(c, d["ip"]) and reachable(d, c["ip"])
        assert ping(c, d["ip"])  # protocol -1: everything
        assert dropped(state["a"], d["ip"]), "sg-a is not a member of default"
        assert dropped(c, state["b"]["ip"]), "sg-b admits only sg-a"
        state.update(c=c, d=d)

    @checks.run
    def a_source_forged_as_an_admitted_member_does_not_get_in():
        # AWS's source/destination check: a packet whose source is not its ENI's address is
        # dropped, so sg-b's rule for sg-a admits a's packets only, not c's forged as a's.
        a, b, c = state["a"], state["b"], state["c"]
        ec2.authorize_security_group_ingress(GroupId=sg_b, IpPermissions=[
            {"IpProtocol": "udp", "FromPort": 8081, "ToPort": 8081, "UserIdGroupPairs": [{"GroupId": sg_a}]}])
        time.sleep(1)  # the rule reaches the node (a second, a_reaches_b...)
        # b on a's bridge (bridged), e on another subnet of the VPC (routed).
        e = run(sg_b, subnet=subnets[1]["SubnetId"]) if len(subnets) > 1 else None
        for target in (b, e):
            if target is not None:
                count_forged(target, a["ip"])
        # At e, a's packets come routed through the host: they keep a's address (a VPC's
        # subnets see each other's, host_rules.h), so the same counters count them there.
        for target, proto, port in ((b, "tcp", 8080), (b, "udp", 8081), (e, "tcp", 8080), (e, "udp", 8081)):
            if target is None:
                continue
            name = "b" if target is b else "e"

            def own_arrives():  # a's own address: admitted
                seen = received(target)[proto]
                forge(a, a["ip"], target["ip"], proto, port)
                time.sleep(0.2)
                return received(target)[proto] > seen

            took = until(True, own_arrives, timeout=5.0)
            assert took is not None, f"{proto} from a's own address did not arrive at {name}"
            if took > 0.5:
                print(f"  {proto} from a's own address arrived at {name} after {took:.1f} s")
            seen = received(target)[proto]
            forge(c, a["ip"], target["ip"], proto, port)  # c, forging a's address
            time.sleep(0.3)
            assert received(target)[proto] == seen, f"{proto} forged as a's address arrived at {name}"
        # Nor a's MAC: a link-local frame (LLDP) passes none of the bridge's hooks, and a
        # bridge that learned its source would send a's traffic to c's port.
        a_port, c_port = host_port(a), host_port(c)
        assert fdb_ports(mac_of(a["ip"])) == [a_port], (fdb_ports(mac_of(a["ip"])), a_port)
        subprocess.run(["ip", "netns", "exec", task_netns(c["id"]), "/usr/bin/python3", "-c", LLDP, mac_of(a["ip"])],
                       check=True, capture_output=True)
        time.sleep(0.1)
        ports = fdb_ports(mac_of(a["ip"]))
        assert c_port not in ports and a_port in ports, f"a's MAC on {ports}, c's port {c_port}, a's {a_port}"
        assert reachable(a, b["ip"]), "a's replies went elsewhere"
        if e:
            ecs.stop_task(task=e["arn"])
            wait_task(server, "default", e["arn"], "STOPPED")
            tasks.remove(e)
        ec2.revoke_security_group_ingress(GroupId=sg_b, IpPermissions=[
            {"IpProtocol": "udp", "FromPort": 8081, "ToPort": 8081, "UserIdGroupPairs": [{"GroupId": sg_a}]}])

    @checks.run
    def tasks_on_one_subnet_have_no_ipv6_between_them():
        # The subnet has no IPv6 CIDR: no IPv6 at all, link-local neither (which no IPv4 rule sees).
        c, d = state["c"], state["d"]
        address = link_local(d)
        assert address, "the task's namespace has no IPv6 link-local address: the check would prove nothing"
        p = subprocess.run(["ip", "netns", "exec", task_netns(c["id"]), "curl", "-s", "-o", "/dev/null", "--max-time", "1",
                            "-g", f"http://[{address}%eth0]:8080/"], stdin=subprocess.DEVNULL, capture_output=True)
        assert p.returncode == 28, f"over IPv6 link-local: curl {p.returncode}"  # a timeout

    @checks.run
    def egress_revoked_cannot_connect_out():
        a, b = state["a"], state["b"]
        everything = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        assert reachable(a, b["ip"])
        ec2.revoke_security_group_egress(GroupId=sg_a, IpPermissions=everything)
        assert until(False, lambda: reachable(a, b["ip"])) is not None
        assert dropped(a, b["ip"]) and dropped(a, state["d"]["ip"])
        ec2.authorize_security_group_egress(GroupId=sg_a, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": sg_b}]}])
        assert until(True, lambda: reachable(a, b["ip"])) is not None  # out to sg-b only
        assert not ping(a, b["ip"])
        ec2.authorize_security_group_egress(GroupId=sg_a, IpPermissions=everything)

    @checks.run
    def load_balancer_in_sg_alb_reaches_targets_only_while_admitted():
        b = state["b"]
        lb = elb.create_load_balancer(Name="sg-lb", Subnets=[s["SubnetId"] for s in subnets[:2]],
                                      SecurityGroups=[sg_alb])["LoadBalancers"][0]
        state["lb"] = lb["LoadBalancerArn"]
        assert lb["SecurityGroups"] == [sg_alb], lb
        tg = elb.create_target_group(Name="sg-tg", Protocol="HTTP", Port=8080, VpcId=vpc["VpcId"], TargetType="ip",
                                     HealthCheckPath="/index.html", HealthCheckIntervalSeconds=5,
                                     HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2,
                                     UnhealthyThresholdCount=2)["TargetGroups"][0]
        tg_arn = state["tg"] = tg["TargetGroupArn"]
        port = free_port()
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])
        elb.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": b["ip"], "Port": 8080}])
        url = f"http://127.0.0.1:{port}/index.html"

        def health():
            return elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"][0]["TargetHealth"]

        def wait_health(want, timeout=40):
            deadline = time.time() + timeout
            h = health()
            while time.time() < deadline and h["State"] != want:
                time.sleep(0.2)
                h = health()
            return h

        def get(max_time=4):
            p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", str(max_time),
                                url], capture_output=True, text=True)
            return int(p.stdout or 0)

        # sg-b admits sg-a only: the load balancer's checks time out.
        h = wait_health("unhealthy")
        assert h["State"] == "unhealthy" and h.get("Reason") == "Target.Timeout", h
        ec2.authorize_security_group_ingress(GroupId=sg_b, IpPermissions=tcp_from(sg_alb))
        h = wait_health("healthy")
        assert h["State"] == "healthy", h
        assert get() == 200
        ec2.revoke_security_group_ingress(GroupId=sg_b, IpPermissions=tcp_from(sg_alb))
        # Connections the load balancer holds are tracked and carry on, as on AWS; its health
        # checks' new connections are dropped, so the target turns unhealthy.
        start = time.time()
        h = wait_health("unhealthy")
        FIGURES["alb_revoke_unhealthy_s"] = round(time.time() - start, 1)
        assert h["State"] == "unhealthy" and h.get("Reason") == "Target.Timeout", h
        status = get()
        assert status in (0, 502, 503, 504), status  # every target unhealthy: fail open, and time out
        FIGURES["alb_status_when_revoked"] = status
        ec2.authorize_security_group_ingress(GroupId=sg_b, IpPermissions=tcp_from(sg_alb))
        assert wait_health("healthy")["State"] == "healthy"
        assert get() == 200
        # SetSecurityGroups takes the load balancer out of sg-alb: its new connections (health
        # checks) are dropped, the target turns unhealthy; back in: served.
        elb.set_security_groups(LoadBalancerArn=state["lb"], SecurityGroups=[default_group])
        h = wait_health("unhealthy")
        assert h["State"] == "unhealthy" and h.get("Reason") == "Target.Timeout", h
        out = elb.set_security_groups(LoadBalancerArn=state["lb"], SecurityGroups=[sg_alb])
        assert out["SecurityGroupIds"] == [sg_alb], out
        assert until(True, lambda: get(1) == 200, timeout=5) is not None
        # Only the load balancer's connections carry its mark: the host itself is still outside.
        assert subprocess.run(["curl", "-s", "--max-time", "2", f"http://{b['ip']}:8080/index.html"],
                              capture_output=True).returncode != 0

    @checks.run
    def cleanup_stops_tasks_and_deletes_what_it_made():
        if "lb" in state:
            elb.delete_load_balancer(LoadBalancerArn=state["lb"])
        if "tg" in state:
            elb.delete_target_group(TargetGroupArn=state["tg"])
        for t in list(tasks):
            ecs.stop_task(task=t["arn"])
        for t in list(tasks):
            wait_task(server, "default", t["arn"], "STOPPED")
        tasks.clear()
        # The table holds no ENI any more: the node removed it. (10 s from the last STOPPED seen:
        # the 5 s this allowed were some 9 while each wait_task above ran the aws CLI.)
        stopped = time.time()
        deadline = stopped + 10
        while time.time() < deadline and subprocess.run(["nft", "list", "table", "inet", server.node_table("wharf")],
                                                        capture_output=True).returncode == 0:
            time.sleep(0.2)
        print(f"     the node's table went {time.time() - stopped:.1f} s after its tasks stopped", flush=True)
        assert subprocess.run(["nft", "list", "table", "inet", server.node_table("wharf")], capture_output=True).returncode != 0
        # Rules naming another test group go first (DeleteSecurityGroup refuses a referenced group).
        for g in ec2.describe_security_groups(GroupIds=[sg_a, sg_b, sg_alb])["SecurityGroups"]:
            if g["IpPermissions"]:
                ec2.revoke_security_group_ingress(GroupId=g["GroupId"], IpPermissions=g["IpPermissions"])
            if g["IpPermissionsEgress"]:
                ec2.revoke_security_group_egress(GroupId=g["GroupId"], IpPermissions=g["IpPermissionsEgress"])
        for g in (sg_b, sg_a, sg_alb):
            ec2.delete_security_group(GroupId=g)
        assert default_group  # untouched

    @checks.run
    def host_left_clean():
        server.stop()
        leftovers = wait_clean(before)
        assert not leftovers, leftovers

print("figures: " + json.dumps(FIGURES))
checks.finish()
