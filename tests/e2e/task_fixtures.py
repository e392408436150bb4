"""What the task tests share: a small busybox image pushed to wharf's own registry, waiting
for task states, a `wharf agent` process (a second machine's node), and a record of the
host's networking and mounts to prove a test left nothing behind."""
import base64
import glob
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time

from registry_fixtures import BUSYBOX, install_signal_cleanup, oci_manifest, on_exit, push_oci, umoci
import wharf_harness
from wharf_harness import WHARF

ACCOUNT = "000000000000"
ECR_HOST = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"


def prepare(tag="v1"):
    """The common start of a task test: cleanup on signals and at exit (node networks
    included), the host's state before, and the app image built at <tmp>/layout:tag.
    Returns (before, layout)."""
    install_signal_cleanup()
    on_exit(remove_node_networks)
    before = host_state()
    layout = os.path.join(tempfile.mkdtemp(prefix="wharf-e2e-image-"), "layout")
    on_exit(lambda: shutil.rmtree(os.path.dirname(layout), ignore_errors=True))
    build_app_image(layout, tag)
    return before, layout


class AgentProcess:
    """`wharf agent` against `server` with its admin key, state in `data_dir`; killed with
    SIGKILL at exit if still running (its containers stay, as a node's do). `binary`: another
    wharf build than WHARF_BIN (an older agent whose containers a newer one adopts)."""

    def __init__(self, server, data_dir, *extra_args, binary=None):
        self.server, self.data_dir, self.extra_args, self.proc = server, data_dir, list(extra_args), None
        self.binary = binary or WHARF

    def start(self):
        key, secret = self.server.credentials()
        self.log = open(os.path.join(self.data_dir, "agent.log"), "ab")
        self.proc = subprocess.Popen([self.binary, "agent", "--server", self.server.endpoint, "--data-dir", self.data_dir,
                                      "--access-key-id", key, "--secret-access-key", secret] + self.extra_args,
                                     stdout=self.log, stderr=self.log)
        on_exit(self.kill)
        return self

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)


def build_app_image(layout, tag="latest"):
    """One layer: busybox with every applet linked under /bin (sh, httpd, wget, grep, ...)."""
    if not os.path.exists(os.path.join(layout, "oci-layout")):
        umoci("init", "--layout", layout)
    umoci("new", "--image", f"{layout}:{tag}")
    work = tempfile.mkdtemp(prefix="wharf-app-")
    try:
        bundle = os.path.join(work, "bundle")
        umoci("unpack", "--image", f"{layout}:{tag}", bundle)
        rootfs = os.path.join(bundle, "rootfs")
        for d in ("bin", "etc", "tmp", "www"):
            os.makedirs(os.path.join(rootfs, d), exist_ok=True)
        shutil.copy2(BUSYBOX, os.path.join(rootfs, "bin", "busybox"))
        applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True).stdout.split()
        for name in applets:
            if name != "busybox":
                os.symlink("busybox", os.path.join(rootfs, "bin", name))
        with open(os.path.join(rootfs, "www", "index.html"), "w") as f:
            f.write("hello from a wharf task\n")
        with open(os.path.join(rootfs, "etc", "passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n")
        with open(os.path.join(rootfs, "etc", "group"), "w") as f:
            f.write("root:x:0:\nnogroup:x:65534:\n")
        umoci("repack", "--image", f"{layout}:{tag}", bundle)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    umoci("config", "--image", f"{layout}:{tag}", "--config.cmd", "/bin/sh")
    return oci_manifest(layout, tag)[0]


def push_to_wharf(server, layout, tag, repo):
    """Creates the ECR repository and pushes layout:tag to it; returns the ECR image URI.
    boto3, not the aws CLI (two runs of it cost every task test some 2 s): `aws ecr
    get-login-password` is what GetAuthorizationToken's token decodes to, and test_registry and
    test_cloudformation_ec2_bridge log in with the CLI's."""
    ecr = server.boto3("ecr")
    ecr.create_repository(repositoryName=repo)
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    user, password = base64.b64decode(token).decode().split(":", 1)
    push_oci(layout, tag, f"127.0.0.1:{server.port}", repo, tag, creds=f"{user}:{password}")
    return f"{ECR_HOST}/{repo}:{tag}"


def wait_task(server, cluster, task_arn, status, timeout=60):
    """Polls DescribeTasks until lastStatus is `status` (or STOPPED); returns the task (boto3's
    view: timestamps are datetimes). Polled with boto3, not the aws CLI: a CLI run costs some
    0.6 s of CPU, so a wait noticed the change a second late and took a core from whatever ran
    beside the test."""
    ecs = _ecs_clients.get(server) or _ecs_clients.setdefault(server, server.boto3("ecs"))
    deadline = time.time() + timeout
    task = None
    while time.time() < deadline:
        task = ecs.describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"][0]
        if task["lastStatus"] == status or task["lastStatus"] == "STOPPED":
            return task
        time.sleep(0.1)
    raise AssertionError(f"task never reached {status}: {task}")


def task_netns(task_id, timeout=30):
    """The name of an awsvpc task's network namespace (`ip netns exec <it>`): its agent's
    wharf-<8 hex of the data dir>-<task id> (src/agent/network/network.h NodeNetnsPrefix), or
    wharf-<task id> when an older agent made it. Waits for it (a task just run has none yet)."""
    deadline = time.time() + timeout
    while True:
        names = os.listdir("/run/netns") if os.path.isdir("/run/netns") else []
        found = [n for n in names if re.fullmatch(r"wharf-([0-9a-f]{8}-)?" + re.escape(task_id), n)]
        if found or time.time() > deadline:
            break
        time.sleep(0.05)
    assert len(found) == 1, f"task {task_id}: namespaces {found}"
    return found[0]


_ecs_clients = {}  # server -> its boto3 ECS client, for wait_task


def host_state():
    """What a task could leave on the host: namespaces, links, mounts, iptables rules."""
    def out(*cmd):
        return subprocess.run(cmd, capture_output=True, text=True).stdout

    netns = sorted(n.split()[0] for n in out("ip", "netns", "list").splitlines() if n.startswith("wharf-"))
    def ours(line):  # veths on someone else's bridge (another program's) are not ours to count
        master = line.split(" master ")[1].split()[0] if " master " in line else ""
        return not master or master == "wharf0" or master.startswith("wh-")

    links = sorted(l.split(":")[1].strip().split("@")[0] for l in out("ip", "-o", "link").splitlines()
                   if l.split(":")[1].strip().startswith(("veth", "wv")) and ours(l))  # wv: a VPC ENI's port
    mounts = sorted(l.split()[4] for l in open("/proc/self/mountinfo") if "/wharf-e2e-" in l.split()[4])
    # portmap's shared chains (CNI-HOSTPORT-*) stay by design once made; per-task rules must go.
    rules = sorted(l for l in (out("iptables-save", "-t", "nat") + out("iptables-save", "-t", "filter")).splitlines()
                   if l.startswith("-A") and ("CNI" in l or "wharf" in l or "wh-" in l) and not _shared_rule(l))
    bridges = sorted(n for n in (l.split(":")[1].strip().split("@")[0] for l in out("ip", "-o", "link").splitlines())
                     if n == "wharf0" or n.startswith("wh-"))
    cgroups = sorted(d for d in glob.glob("/sys/fs/cgroup/*/wharf/*") if os.path.isdir(d))
    # Every agent's tables (security groups, VPC marks and zones, egress: src/agent/network,
    # named per agent), and this test's servers' load balancers' public addresses.
    lb_tables = {"table ip " + t for server in wharf_harness._started for t in server.lb_tables()}
    tables = sorted(l.strip() for l in out("nft", "list", "tables").splitlines()
                    if NODE_TABLE.match(l.strip()) or l.strip() in lb_tables)
    # A VPC subnet's routing rule (src/agent/network/network.h: iif <bridge> lookup <VPC table>).
    # and the host's replies into a VPC (fwmark 0x76......).
    ip_rules = sorted(l.strip() for l in out("ip", "rule").splitlines()
                      if " iif wh-" in l or " fwmark 0x76" in l)
    # The local routes of internal load balancers' interfaces (proto 77) and of interface
    # endpoints' (proto 78) in the VPCs' routing tables.
    local_routes = sorted(l.strip() for proto in ("77", "78")
                          for l in out("ip", "route", "show", "table", "all", "proto", proto).splitlines())
    return {"netns": netns, "veths": links, "mounts": mounts, "rules": rules, "bridges": bridges, "cgroups": cgroups,
            "nft": tables, "ip_rules": ip_rules, "local_routes": local_routes}


# An agent's nft tables (src/agent/network/network.h NodeTableName), and the fixed names older
# agents used.
NODE_TABLE = re.compile(r"^table (inet wharf|inet wharf_vpc|ip wharf_egress|bridge wharf_egress)(_[0-9a-f]{8})?$")


def _shared_rule(rule):
    shared = rule.split()[1].startswith("CNI-HOSTPORT-") or "-j CNI-HOSTPORT-" in rule
    return shared and "CNI-DN-" not in rule


def remove_node_networks():
    """Deletes the bridges and rules wharf nodes make (wharf0 and wh-<subnet>), as a test's
    last cleanup step, so the machine is as the test found it."""
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout.splitlines()
    for l in links:
        name = l.split(":")[1].strip().split("@")[0]
        if name == "wharf0" or name.startswith("wh-"):
            subprocess.run(["ip", "link", "del", name], capture_output=True)
    for l in subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout.splitlines():
        if NODE_TABLE.match(l.strip()):
            subprocess.run(["nft", "delete"] + l.split()[:3], capture_output=True)
    for table in (t for server in wharf_harness._started for t in server.lb_tables()):
        subprocess.run(["nft", "delete", "table", "ip", table], capture_output=True)
    for l in subprocess.run(["ip", "rule"], capture_output=True, text=True).stdout.splitlines():
        words = l.replace("[detached]", "").split()
        if "fwmark" in words and words[words.index("fwmark") + 1].startswith("0x76") and "lookup" in words:
            subprocess.run(["ip", "rule", "del", "pref", words[0].rstrip(":"), "fwmark", words[words.index("fwmark") + 1],
                            "lookup", words[words.index("lookup") + 1]], capture_output=True)
        elif "iif" in words and words[words.index("iif") + 1].startswith("wh-"):
            # lookup <VPC table>, lookup main suppress_ifgroup (the way out), unreachable (the fence)
            subprocess.run(["ip", "rule", "del", "pref", words[0].rstrip(":"), "iif", words[words.index("iif") + 1]],
                           capture_output=True)
            table = words[words.index("lookup") + 1] if "lookup" in words else "main"
            if table != "main":
                subprocess.run(["ip", "route", "flush", "table", table], capture_output=True)
    for table in ("nat", "filter"):
        rules = subprocess.run(["iptables-save", "-t", table], capture_output=True, text=True).stdout.splitlines()
        for r in rules:
            if r.startswith("-A") and ("wharf" in r or "wh-" in r):
                subprocess.run(["iptables", "-t", table, "-D"] + shlex.split(r)[1:], capture_output=True)
    # portmap's shared chains, when no task rule is left in them.
    nat = subprocess.run(["iptables-save", "-t", "nat"], capture_output=True, text=True).stdout.splitlines()
    if not any("CNI-DN-" in r for r in nat):
        for r in nat:
            if r.startswith("-A") and "-j CNI-HOSTPORT-" in r:
                subprocess.run(["iptables", "-t", "nat", "-D"] + shlex.split(r)[1:], capture_output=True)
        for chain in ("CNI-HOSTPORT-SETMARK", "CNI-HOSTPORT-MASQ", "CNI-HOSTPORT-DNAT"):
            subprocess.run(["iptables", "-t", "nat", "-F", chain], capture_output=True)
            subprocess.run(["iptables", "-t", "nat", "-X", chain], capture_output=True)


def left_behind(before):
    """What the host has now that it did not have before (another program's leftovers that
    vanish meanwhile are not ours to judge)."""
    now = host_state()
    return {k: sorted(set(v) - set(before.get(k, []))) for k, v in now.items() if set(v) - set(before.get(k, []))}


def wait_clean(before, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline and left_behind(before):
        time.sleep(0.2)
    return left_behind(before)


def assert_host_left_clean(server, ecs, before):
    """A test's last check: its services and tasks stopped (whatever failed before: the node's
    containers would outlive the server), then the server, and nothing the node made is left."""
    stop_services_and_tasks(ecs)
    server.stop()
    leftovers = wait_clean(before)
    assert not leftovers, leftovers


def stop_services_and_tasks(ecs, cluster="default", timeout=60):
    """Deletes every service of the cluster and stops every task, waiting until all are
    STOPPED: the node's containers would outlive the server otherwise."""
    for arn in ecs.list_services(cluster=cluster)["serviceArns"]:
        ecs.delete_service(cluster=cluster, service=arn, force=True)
    deadline = time.time() + timeout
    while time.time() < deadline and ecs.list_services(cluster=cluster)["serviceArns"]:
        time.sleep(0.2)
    for arn in ecs.list_tasks(cluster=cluster)["taskArns"]:
        ecs.stop_task(cluster=cluster, task=arn)

    def all_stopped():
        arns = ecs.list_tasks(cluster=cluster, desiredStatus="STOPPED")["taskArns"]
        tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []
        return all(t["lastStatus"] == "STOPPED" for t in tasks)

    deadline = time.time() + 30
    while time.time() < deadline and not all_stopped():
        time.sleep(0.2)


def load_balanced_http(elb, subnets, name, deregistration_delay):
    """An ALB in the first two subnets forwarding a listener on a free loopback port to an ip
    target group on port 8080 whose health check (GET /index.html every 5 s, 2 to change)
    settles quickly. Returns (load balancer, target group ARN, listener port)."""
    from wharf_harness import free_port
    lb = elb.create_load_balancer(Name=f"{name}-lb", Subnets=[s["SubnetId"] for s in subnets[:2]])["LoadBalancers"][0]
    tg_arn = elb.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=8080, VpcId=subnets[0]["VpcId"],
                                     TargetType="ip", HealthCheckPath="/index.html", HealthCheckIntervalSeconds=5,
                                     HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2,
                                     UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=tg_arn, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": str(deregistration_delay)}])
    port = free_port()
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])
    return lb, tg_arn, port


def ecr_endpoints(ec2, vpc, subnet):
    """ECR's interface endpoints (ecr.api, ecr.dkr) in `subnet` and S3's gateway endpoint on the
    VPC's main route table: what a FARGATE task in a VPC with no way out needs to pull its image
    (docs/ARCHITECTURE.md, "Image pulls through the task's network"). Returns the endpoints' ids,
    for ec2.delete_vpc_endpoints(VpcEndpointIds=...) before the subnet is deleted. Turns on the
    VPC's DNS support and hostnames, which interface endpoints' private DNS needs (as on AWS)."""
    region = ec2.meta.region_name
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                              {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    # The endpoints' group must admit HTTPS from the tasks (wharf checks it, as AWS does): the
    # VPC's default group, with a rule for its CIDR (it goes with the VPC).
    default = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                    {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
    cidr = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["CidrBlock"]
    try:
        ec2.authorize_security_group_ingress(GroupId=default["GroupId"], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": cidr}]}])
    except ec2.exceptions.ClientError as e:
        if e.response["Error"]["Code"] != "InvalidPermission.Duplicate":
            raise
    ids = [ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{region}.ecr.{api}",
                                   VpcEndpointType="Interface", SubnetIds=[subnet],
                                   SecurityGroupIds=[default["GroupId"]])["VpcEndpoint"]["VpcEndpointId"]
           for api in ("api", "dkr")]
    ids.append(ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{region}.s3", VpcEndpointType="Gateway",
                                       RouteTableIds=[main["RouteTableId"]])["VpcEndpoint"]["VpcEndpointId"])
    return ids


_CALL = """
import json, socket, sys, boto3, botocore.config, botocore.exceptions
address, key, secret, service, op, params, host = sys.argv[1:]
if host:  # the client names `host` (its Host header, its signature's), and reaches `address`
    resolve = socket.getaddrinfo
    socket.getaddrinfo = lambda name, *a, **k: resolve(address if name == host else name, *a, **k)
client = boto3.client(service, region_name="us-east-1", endpoint_url=f"http://{host or address}:443",
                      aws_access_key_id=key, aws_secret_access_key=secret,
                      config=botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=5))
try:
    getattr(client, op)(**json.loads(params))
    print("ok")
except botocore.exceptions.ClientError as e:
    print(e.response["Error"]["Code"] + ": " + e.response["Error"]["Message"])
except botocore.exceptions.ConnectionClosedError:
    print("closed")
"""


def call_through_endpoint(task_id, address, key, service, op, host="", **params):
    """A call signed with `key` (id, secret) made from task `task_id`'s network namespace to an
    interface endpoint's `address` on 443, naming `host` if given (as a client given one of the
    endpoint's DNS names does): "ok", "<code>: <message>", or "closed" when the connection ends
    unanswered (what else went wrong: the traceback)."""
    p = subprocess.run(["ip", "netns", "exec", task_netns(task_id), "/usr/bin/python3", "-c", _CALL, address,
                        key[0], key[1], service, op, json.dumps(params), host],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20)
    return p.stdout.strip() or p.stderr.strip()
