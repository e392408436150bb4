#!/usr/bin/python3
"""Security groups enforced on awsvpc tasks, driven with boto3 (docs/SECURITY_GROUPS.md).

Real busybox httpd tasks on FARGATE: a task in one group reaches a task in another only once
that group admits the first on the port, and times out again within about a second of the
revoke (rules reach running tasks through the assignment feed) while a connection it admitted
before carries on, as AWS's connection tracking does, unless the flow is one AWS leaves untracked
(a 0.0.0.0/0 rule, all egress): that one stops at the revoke; members of the VPC's default
group reach each other; a group whose egress is revoked cannot connect out; a load balancer
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

    def run(*security_groups):
        vpc_config = {"subnets": [subnet]}
        if security_groups:
            vpc_config["securityGroups"] = list(security_groups)
        arn = ecs.run_task(launchType="FARGATE", taskDefinition=td,
                           networkConfiguration={"awsvpcConfiguration": vpc_config})["tasks"][0]["taskArn"]
        task = wait_task(server, "default", arn, "RUNNING")
        assert task["lastStatus"] == "RUNNING", task
        details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
        t = {"arn": arn, "id": arn.rsplit("/", 1)[1], "ip": details["privateIPv4Address"]}
        tasks.append(t)
        return t

    state = {}

    @checks.run
    def a_reaches_b_once_b_admits_a_and_not_after_the_revoke():
        a, b = run(sg_a), run(sg_b)
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
        c, d = run(), run()  # no groups: the VPC's default group, as on AWS
        assert reachable(c, d["ip"]) and reachable(d, c["ip"])
        assert ping(c, d["ip"])  # protocol -1: everything
        assert dropped(state["a"], d["ip"]), "sg-a is not a member of default"
        assert dropped(c, state["b"]["ip"]), "sg-b admits only sg-a"
        state.update(c=c, d=d)

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
                time.sleep(0.5)
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
        # The table holds no ENI any more: the node removed it.
        deadline = time.time() + 5
        while time.time() < deadline and subprocess.run(["nft", "list", "table", "inet", server.node_table("wharf")],
                                                        capture_output=True).returncode == 0:
            time.sleep(0.2)
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
