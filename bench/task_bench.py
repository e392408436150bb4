#!/usr/bin/python3
"""Measures RunTask-to-RUNNING on wharf's local node beside plain runc with a CNI namespace and
beside docker run, for one cached busybox image, and wharf's memory per running task
(see bench/README.md).

  wharf bridge   boto3 RunTask (EC2, networkMode bridge) -> DescribeTasks says RUNNING
  wharf awsvpc   the same, FARGATE on the default VPC's first subnet
  wharf awsvpc+ip (target awsvpc-public) the same with assignPublicIp ENABLED: the task's ENI
                 is attached before its pull, whose manifest request goes through the task's
                 own namespace and the node's egress table (docs/ARCHITECTURE.md)
  runc+CNI       ip netns add; CNI bridge ADD (host-local IPAM, a private /24 on a bridge of
                 its own, the plugin config wharf uses); runc run -d; runc state says running
  runc+CNI+sec   (target runc-seccomp) the same with the seccomp profile wharf's tasks get
                 (Docker's default, taken from a wharf task's spec): what runc itself costs more
  docker         Debian's dockerd (private data/exec root and socket, no iptables, a user
                 network on a bridge of its own): docker run -d -> docker inspect Running

Each path starts --tasks containers one at a time (p50/p95); each container is removed (wharf:
StopTask, waited for STOPPED) before the next starts, untimed. The image is pulled/loaded once
before timing. Memory: --mem-tasks wharf tasks running at once, (server RSS - RSS with none)/N
and the per-container monitors' RSS per task (wharf-monitor; conmon in builds before it). --timeline K: K more tasks of each wharf target with the kernel's
sched_process_fork/exec/exit events traced (a private tracefs instance, no ptrace),
printed as a median timeline of the programs wharf runs, beside the server's own task timestamps.

Everything it makes (servers, daemons, namespaces, bridges, containers, temp dirs, /run/netns if
it made it) is removed when it ends, also on an error, Ctrl-C or SIGTERM. Not a test: exits
non-zero only when a measurement failed, never because an aim was missed.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import BenchError, run_main  # noqa: E402

RUNC = "/usr/sbin/runc"
CNI_PATH = "/usr/lib/cni"
SLEEPER = ["/bin/sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]  # stops at once on SIGTERM
TAG = "v1"
PID = os.getpid()
NET_A = f"10.253.{PID % 250}"  # runc + CNI
NET_B = f"10.254.{PID % 250}"  # docker


def sh(*cmd, check=True, input=None, env=None, timeout=120):
    p = subprocess.run(cmd, input=input, capture_output=True, text=True, env=env, timeout=timeout)
    if check and p.returncode != 0:
        raise BenchError(f"{' '.join(cmd[:4])} ... exited {p.returncode}: {(p.stderr or p.stdout).strip()[-800:]}")
    return p


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(q / 100 * len(xs) + 0.5)) - 1))]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def pss_kib(pid):
    """Proportional set size: shared pages (glib, libc) split among the processes mapping them."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        return int(re.search(r"^Pss:\s+(\d+)", f.read(), re.M).group(1))


# The per-container monitor's name: wharf's own, or Debian's in builds before it (to compare).
MONITORS = ("wharf-monitor", "conmon")


def procs_named(comm, needle):
    """Pids of live processes called `comm` whose command line mentions `needle`."""
    out = []
    for d in os.listdir("/proc"):
        try:
            with open(f"/proc/{d}/comm") as f:
                if f.read().strip() != comm:
                    continue
            with open(f"/proc/{d}/cmdline", "rb") as f:
                if needle.encode() in f.read():
                    out.append(int(d))
        except (OSError, ValueError):
            pass
    return out


# --- wharf ------------------------------------------------------------------------------------

def other_wharf_node():
    """Another wharf node on this machine shares the node bridge wharf0 (and its 10.214/16) with
    ours, and takes it down when it goes idle: the bench must run alone."""
    for d in os.listdir("/proc"):
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        if os.path.basename(argv[0]) == "wharf" and len(argv) > 1 and (
                argv[1] == "agent" or (argv[1] == "server" and "--no-local-agent" not in argv)):
            return f"pid {d}: {' '.join(argv)[:120]}"
    if os.path.exists("/sys/class/net/wharf0"):
        return "the bridge wharf0 exists"
    return None


class SignedPoller:
    """DescribeTasks for one task, signed once and sent again on one kept-alive connection.

    boto3 builds, signs and parses every call in Python: ~1.3 ms of CPU per DescribeTasks, 18.5 ms
    of the two cores in each 73 ms RunTask -> RUNNING window at 5 ms polls (start17's perf
    record), while runc create waits for a core. The server does the same work for these requests
    (SigV4 check, authorization, the handler); only the client's share is gone. A SigV4 signature
    may be sent again within its 5 minutes, as AWS allows."""

    TARGET = "AmazonEC2ContainerServiceV20141113.DescribeTasks"

    def __init__(self, server):
        import http.client
        import urllib.parse
        from botocore.credentials import Credentials
        self.credentials = Credentials(*server.credentials())
        self.url = server.endpoint.rstrip("/") + "/"
        u = urllib.parse.urlsplit(self.url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port)
        self.signed = {}  # task ARN -> (body, headers)

    def _request(self, arn):
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        body = json.dumps({"cluster": "default", "tasks": [arn]})
        req = AWSRequest(method="POST", url=self.url, data=body, headers={
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": self.TARGET})
        SigV4Auth(self.credentials, "ecs", "us-east-1").add_auth(req)
        return body, dict(req.headers.items())

    def describe_task(self, arn):
        if arn not in self.signed:
            self.signed = {arn: self._request(arn)}
        body, headers = self.signed[arn]
        self.conn.request("POST", "/", body, headers)
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise BenchError(f"DescribeTasks: HTTP {resp.status}: {data[:200]!r}")
        task = json.loads(data)["tasks"][0]
        for key, value in list(task.items()):  # epoch seconds as datetimes, as botocore gives them
            if key.endswith("At") and isinstance(value, (int, float)):
                task[key] = datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
        return task


class WharfBench:
    def __init__(self, args, layout):
        from wharf_harness import NEWEST_AWS, WharfServer
        from task_fixtures import push_to_wharf
        self.seccomp = None
        self.server = WharfServer(agent=True).start()
        s = self.server
        image = push_to_wharf(s, layout, TAG, "bench/app")
        self.ecs = s.boto3("ecs")
        self.poller = SignedPoller(s) if args.poller == "signed" else None
        container = {"name": "main", "image": image, "essential": True, "entryPoint": SLEEPER[:2],
                     "command": SLEEPER[2:], "stopTimeout": 1}
        self.defs = {
            "bridge": self.ecs.register_task_definition(
                family="bench-bridge", networkMode="bridge",
                containerDefinitions=[dict(container, memory=32)])["taskDefinition"]["taskDefinitionArn"],
            "awsvpc": self.ecs.register_task_definition(
                family="bench-vpc", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
                memory="512", containerDefinitions=[container])["taskDefinition"]["taskDefinitionArn"]}
        subnets = s.aws("ec2", "describe-subnets", cli=NEWEST_AWS)["Subnets"]
        self.subnet = sorted(subnets, key=lambda x: x["AvailabilityZone"])[0]["SubnetId"]
        self.defs["awsvpc-public"] = self.defs["awsvpc"]

    def run(self, mode):
        kw = {"cluster": "default", "taskDefinition": self.defs[mode]}
        if mode.startswith("awsvpc"):
            public = "ENABLED" if mode == "awsvpc-public" else "DISABLED"
            kw.update(launchType="FARGATE", networkConfiguration={
                "awsvpcConfiguration": {"subnets": [self.subnet], "assignPublicIp": public}})
        else:
            kw["launchType"] = "EC2"
        t0 = time.perf_counter()
        out = self.ecs.run_task(**kw)
        if not out["tasks"]:
            raise BenchError(f"RunTask placed nothing: {out['failures']}")
        arn = out["tasks"][0]["taskArn"]
        task = self.wait(arn, "RUNNING", interval=0.005)
        elapsed = time.perf_counter() - t0
        if self.seccomp is None:  # wharf's seccomp profile (Docker's), for the runc-seccomp peer
            spec = os.path.join(self.server.data_dir, "node", "tasks", arn.rsplit("/", 1)[1], "containers", "main",
                                "config.json")
            try:
                with open(spec) as f:
                    self.seccomp = json.load(f)["linux"].get("seccomp")
            except (OSError, ValueError, KeyError):
                pass
        return elapsed, task

    def wait(self, arn, status, interval, timeout=60):
        deadline = time.monotonic() + timeout
        describe = self.poller.describe_task if self.poller else (
            lambda a: self.ecs.describe_tasks(cluster="default", tasks=[a])["tasks"][0])
        while time.monotonic() < deadline:
            task = describe(arn)
            if task["lastStatus"] == status:
                return task
            if task["lastStatus"] == "STOPPED":
                raise BenchError(f"task stopped: {task.get('stoppedReason')} {task['containers']}")
            time.sleep(interval)
        raise BenchError(f"task {arn} not {status} after {timeout} s")

    def stop(self, arn):
        self.ecs.stop_task(cluster="default", task=arn)
        self.wait(arn, "STOPPED", interval=0.02)

    def close(self):
        from task_fixtures import remove_node_networks
        self.server.stop()  # an idle node takes its bridges and rules down
        self.server.__exit__(None, None, None)
        remove_node_networks()


def phases(task):
    """Server timestamps of one task, in ms from createdAt."""
    c = task["createdAt"].timestamp()
    return {k: (task[k].timestamp() - c) * 1000 for k in ("pullStartedAt", "pullStoppedAt", "startedAt") if k in task}


# --- runc + CNI -------------------------------------------------------------------------------

class RuncBench:
    def __init__(self, work, layout, seccomp=None):
        self.work = work
        self.root = os.path.join(work, "runc-root")
        bundle = os.path.join(work, "bundle")
        sh("umoci", "unpack", "--image", f"{layout}:{TAG}", bundle)
        os.remove(os.path.join(bundle, "config.json"))
        sh(RUNC, "spec", "--bundle", bundle)
        with open(os.path.join(bundle, "config.json")) as f:
            spec = json.load(f)
        spec["process"].update(args=SLEEPER, terminal=False)
        spec["root"]["path"] = os.path.join(bundle, "rootfs")
        if seccomp:
            spec["linux"]["seccomp"] = seccomp
        self.spec, self.bundle = spec, bundle
        self.bridge = f"wbr{PID % 100000}"
        self.conf = json.dumps({
            "cniVersion": "1.0.0", "name": f"wbench-{PID}", "type": "bridge", "bridge": self.bridge,
            "isGateway": True, "ipMasq": False, "hairpinMode": True,
            "ipam": {"type": "host-local", "ranges": [[{"subnet": f"{NET_A}.0/24", "gateway": f"{NET_A}.1"}]],
                     "routes": [{"dst": "0.0.0.0/0"}], "dataDir": os.path.join(work, "ipam")}})
        self.netns_dir_existed = os.path.isdir("/run/netns")
        self.live = []
        self.phases = []  # (ip netns add, CNI ADD, runc run -d + runc state) per run

    def cni(self, command, cid, netns):
        env = dict(os.environ, CNI_COMMAND=command, CNI_CONTAINERID=cid, CNI_NETNS=netns,
                   CNI_IFNAME="eth0", CNI_PATH=CNI_PATH)
        return sh(f"{CNI_PATH}/bridge", input=self.conf, env=env)

    def run_one(self, i):
        cid, ns = f"wbench-{PID}-{i}", f"wbench-{PID}-{i}"
        bundle = os.path.join(self.work, f"b{i}")
        os.makedirs(bundle)
        spec = json.loads(json.dumps(self.spec))
        for n in spec["linux"]["namespaces"]:
            if n["type"] == "network":
                n["path"] = f"/run/netns/{ns}"
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(spec, f)
        self.live.append((cid, ns))
        t0 = time.perf_counter()
        sh("ip", "netns", "add", ns)
        t1 = time.perf_counter()
        self.cni("ADD", cid, f"/run/netns/{ns}")
        t2 = time.perf_counter()
        with open(os.path.join(bundle, "runc.err"), "w+b") as err:  # not a pipe: the container keeps it
            p = subprocess.run([RUNC, "--root", self.root, "run", "-d", "--bundle", bundle, cid],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
            if p.returncode != 0:
                err.seek(0)
                raise BenchError(f"runc run: {err.read().decode()[-500:]}")
        while json.loads(sh(RUNC, "--root", self.root, "state", cid).stdout)["status"] != "running":
            pass
        elapsed = time.perf_counter() - t0
        self.phases.append((t1 - t0, t2 - t1, elapsed - (t2 - t0)))
        self.remove(cid, ns)
        shutil.rmtree(bundle, ignore_errors=True)
        return elapsed

    def remove(self, cid, ns):
        sh(RUNC, "--root", self.root, "delete", "-f", cid, check=False)
        if os.path.exists(f"/run/netns/{ns}"):
            self.cni("DEL", cid, f"/run/netns/{ns}")
            sh("ip", "netns", "del", ns, check=False)
        if (cid, ns) in self.live:
            self.live.remove((cid, ns))

    def close(self):
        for cid, ns in list(self.live):
            try:
                self.remove(cid, ns)
            except BenchError as e:
                print(f"cleanup: {e}", file=sys.stderr)
                sh("ip", "netns", "del", ns, check=False)
        sh("ip", "link", "del", self.bridge, check=False)
        if not self.netns_dir_existed and os.path.isdir("/run/netns") and not os.listdir("/run/netns"):
            sh("umount", "/run/netns", check=False)  # ip netns add made it a mount point of its own
            os.rmdir("/run/netns")


# --- docker -----------------------------------------------------------------------------------

class DockerBench:
    def __init__(self, work, layout):
        import registry_fixtures as rf
        self.d = rf.Dockerd().start()
        archive = os.path.join(work, "image.tar")
        sh("skopeo", "copy", "-q", f"oci:{layout}:{TAG}", f"docker-archive:{archive}:bench/app:{TAG}")
        self.d.docker("load", "-i", archive)
        os.remove(archive)
        self.bridge = f"wbd{PID % 100000}"
        self.returned = []  # until `docker run -d` returned (then one `docker inspect` more)
        self.d.docker("network", "create", "--driver", "bridge", "--subnet", f"{NET_B}.0/24",
                      "-o", f"com.docker.network.bridge.name={self.bridge}", "wbench")

    def run_one(self, i):
        name = f"wbench-{i}"
        t0 = time.perf_counter()
        self.d.docker("run", "-d", "--network", "wbench", "--name", name, f"bench/app:{TAG}", *SLEEPER)
        self.returned.append(time.perf_counter() - t0)
        while self.d.docker("inspect", "-f", "{{.State.Running}}", name).stdout.strip() != "true":
            pass
        elapsed = time.perf_counter() - t0
        self.d.docker("rm", "-f", name)
        return elapsed

    def close(self):
        for args in (("rm", "-f", *self.d.docker("ps", "-aq", check=False).stdout.split()),
                     ("network", "rm", "wbench")):
            self.d.docker(*args, check=False)
        self.d.stop()
        sh("ip", "link", "del", self.bridge, check=False)


# --- a timeline of one task, from the kernel's sched events ----------------------------------

# tracefs's own mount point, or the older one under debugfs (where this machine has it).
TRACEFS = next((d for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing") if os.path.isdir(f"{d}/instances")),
               "/sys/kernel/tracing")
EVENT = re.compile(r"-(\d+)\s+\[\d+\].*?\s([0-9.]+): (sched_process_\w+): (.*)")


def timeline(wharf, mode, k):
    """Runs k tasks with sched_process_fork/exec/exit traced in a private tracefs instance (no
    ptrace: the programs run at full speed). For every program wharf's threads start (and their
    descendants), ms from the RunTask call to its exec and to its exit; medians over k tasks."""
    inst = f"{TRACEFS}/instances/wbench-{PID}"
    os.mkdir(inst)
    try:
        for f, v in (("trace_clock", "mono"), ("buffer_size_kb", "8192")):
            with open(f"{inst}/{f}", "w") as fh:
                fh.write(v)
        for ev in ("fork", "exec", "exit"):
            with open(f"{inst}/events/sched/sched_process_{ev}/enable", "w") as fh:
                fh.write("1")
        windows = []
        for _ in range(k):
            t0 = time.monotonic()
            elapsed, task = wharf.run(mode)
            windows.append((t0, t0 + elapsed, task))
            wharf.stop(task["taskArn"])
        with open(f"{inst}/trace") as fh:
            lines = fh.read().splitlines()
    finally:
        for ev in ("fork", "exec", "exit"):
            try:
                with open(f"{inst}/events/sched/sched_process_{ev}/enable", "w") as fh:
                    fh.write("0")
            except OSError:
                pass
        os.rmdir(inst)
    ours = {int(t) for t in os.listdir(f"/proc/{wharf.server.proc.pid}/task")}
    parent, label, alive, events = {}, {}, set(), []
    for line in lines:
        m = EVENT.search(line)
        if not m:
            continue
        tid, t, kind, rest = int(m.group(1)), float(m.group(2)), m.group(3), m.group(4)
        f = dict(x.split("=", 1) for x in rest.split() if "=" in x)
        if kind == "sched_process_fork" and int(f["pid"]) in ours:
            ours.add(int(f["child_pid"]))
            parent[int(f["child_pid"])] = int(f["pid"])
        elif kind == "sched_process_exec" and tid in ours:
            name = os.path.basename(f["filename"])
            up = parent.get(tid)
            while up is not None and up not in label:
                up = parent.get(up)
            above = label.get(up, "")
            fn = f["filename"]
            if fn == "/proc/self/exe" or re.match(r"/(proc/self|dev)/fd/\d+$", fn):
                # runc's child re-executing runc: `runc init`, then (runc 1.1) its memfd copy
                name = "runc init" if fn == "/proc/self/exe" else "runc init (cloned binary)"
            elif name == "runc":
                name = "runc create" if above in MONITORS else "runc"
            elif above.startswith("runc init"):
                name = f"container {name}"
            label[tid] = name
            alive.add(tid)
            events.append((t, name, "exec"))
        elif kind == "sched_process_exit" and tid in alive:
            alive.discard(tid)
            events.append((t, label[tid], "exit"))
    per = {}
    for t0, t1, task in windows:
        seen = {}
        for t, name, what in events:
            if t0 <= t <= t1:
                n = seen[(name, what)] = seen.get((name, what), 0) + 1
                key = f"{name} {what}" + (f" #{n}" if n > 1 else "")
                per.setdefault(key, []).append((t - t0) * 1000)
        per.setdefault("RUNNING seen by the client", []).append((t1 - t0) * 1000)
        created = task["createdAt"].timestamp() - time.time() + time.monotonic()  # epoch -> mono
        for f in ("createdAt", "pullStartedAt", "pullStoppedAt", "startedAt"):
            if f in task:
                at = task[f].timestamp() - task["createdAt"].timestamp() + created
                per.setdefault(f"server {f}", []).append((at - t0) * 1000)
    return {key: (statistics.median(v), len(v)) for key, v in per.items()}


# --- main -------------------------------------------------------------------------------------

def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    p.add_argument("--poller", choices=("signed", "boto3"), default="signed",
                   help="how RUNNING is polled every 5 ms: one signed request sent again (default) or boto3")
    p.add_argument("--tasks", type=int, default=50, help="containers started per path")
    p.add_argument("--mem-tasks", type=int, default=20, help="wharf tasks running at once for memory (0: skip)")
    p.add_argument("--timeline", type=int, default=10,
                   help="K more wharf tasks per wharf target traced (sched events) for a timeline (0: skip)")
    p.add_argument("--targets", default="bridge,awsvpc,runc,docker",
                   help="of bridge, awsvpc, awsvpc-public, runc, runc-seccomp (runc+CNI with wharf's seccomp profile), docker")
    return p.parse_args()


def main():
    args = parse_args()
    os.environ.setdefault("WHARF_BIN", os.path.join(args.build_dir, "wharf"))
    import registry_fixtures as rf  # after WHARF_BIN: wharf_harness reads it at import
    from task_fixtures import build_app_image
    targets = args.targets.split(",")
    rf.install_signal_cleanup()
    load = os.getloadavg()[0]
    work = tempfile.mkdtemp(prefix="wharf-taskbench-")
    layout = os.path.join(work, "layout")
    parts, times, extra = [], {}, {}
    try:
        print("building the busybox image ...", flush=True)
        build_app_image(layout, TAG)
        if {"bridge", "awsvpc", "awsvpc-public"} & set(targets):
            other = other_wharf_node()
            if other:
                raise BenchError(f"another wharf node runs on this machine ({other}); run the bench alone")
            wharf = WharfBench(args, layout)
            parts.append(wharf)
            ph = {}
            for mode in [m for m in ("bridge", "awsvpc", "awsvpc-public") if m in targets]:
                print(f"wharf {mode}: first task pulls the image, then {args.tasks} timed ...", flush=True)
                _, task = wharf.run(mode)
                wharf.stop(task["taskArn"])
                times[mode], ph[mode] = [], []
                for _ in range(args.tasks):
                    t, task = wharf.run(mode)
                    times[mode].append(t)
                    ph[mode].append(phases(task))
                    wharf.stop(task["taskArn"])
            extra["phases"] = ph
            if args.mem_tasks and "bridge" in targets:
                print(f"wharf memory: {args.mem_tasks} tasks at once ...", flush=True)
                pid = wharf.server.proc.pid
                time.sleep(2)
                base = rss_kib(pid)
                arns = [wharf.run("bridge")[1]["taskArn"] for _ in range(args.mem_tasks)]
                time.sleep(2)
                full = rss_kib(pid)
                monitors = [p for m in MONITORS for p in procs_named(m, wharf.server.data_dir)]
                monitor = sum(rss_kib(p) for p in monitors)
                extra["mem"] = (base, full, monitor, len(monitors), sum(pss_kib(p) for p in monitors))
                for a in arns:
                    wharf.ecs.stop_task(cluster="default", task=a)
                for a in arns:
                    wharf.wait(a, "STOPPED", interval=0.1)
            for mode in [m for m in ("bridge", "awsvpc") if m in targets and args.timeline]:
                print(f"wharf {mode}: {args.timeline} tasks traced ...", flush=True)
                extra.setdefault("timeline", {})[mode] = timeline(wharf, mode, args.timeline)
        for name, cls in (("runc", RuncBench), ("runc-seccomp", RuncBench), ("docker", DockerBench)):
            if name in targets:
                print(f"{name}: {args.tasks} containers ...", flush=True)
                if name == "runc-seccomp":
                    seccomp = next((p.seccomp for p in parts if isinstance(p, WharfBench)), None)
                    if not seccomp:
                        raise BenchError("runc-seccomp needs a wharf target first (it takes wharf's seccomp profile)")
                    os.makedirs(os.path.join(work, "seccomp"), exist_ok=True)
                    b = cls(os.path.join(work, "seccomp"), layout, seccomp)
                else:
                    b = cls(work, layout)
                parts.append(b)
                b.run_one(-1)  # warm: page cache, bridge made
                times[name] = [b.run_one(i) for i in range(args.tasks)]
                if name.startswith("runc"):
                    extra[f"{name}_phases"] = b.phases[1:]
                if name == "docker":
                    extra["docker_run"] = b.returned[1:]
    finally:
        for b in reversed(parts):
            try:
                b.close()
            except Exception as e:  # cleanup goes on
                print(f"cleanup: {type(e).__name__}: {e}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)
    report(args, times, extra, load)


def report(args, times, extra, load):
    labels = {"bridge": "wharf bridge", "awsvpc": "wharf awsvpc", "awsvpc-public": "wharf awsvpc+ip", "runc": "runc+CNI", "runc-seccomp": "runc+CNI+sec",
              "docker": "docker run"}
    p = {k: (pct(v, 50) * 1000, pct(v, 95) * 1000) for k, v in times.items()}
    print(f"\nstart to running, {args.tasks} containers one at a time, {os.cpu_count()} cores, "
          f"1-minute load average before the run: {load:.2f}\n")
    print(f"{'':<14}{'p50 ms':>9}{'p95 ms':>9}{'/ runc p50':>12}{'/ docker p50':>14}")
    for k in ("bridge", "awsvpc", "awsvpc-public", "runc", "runc-seccomp", "docker"):
        if k not in p:
            continue
        r = lambda o: f"{p[k][0] / p[o][0]:.2f}" if o in p and o != k and k.startswith(("bridge", "awsvpc")) else "-"
        print(f"{labels[k]:<14}{p[k][0]:>9.1f}{p[k][1]:>9.1f}{r('runc'):>12}{r('docker'):>14}")
    for name in ("runc", "runc-seccomp"):
        if f"{name}_phases" not in extra:
            continue
        m = [statistics.median(x[i] for x in extra[f"{name}_phases"]) * 1000 for i in range(3)]
        print(f"  {labels[name]} medians: ip netns add {m[0]:.1f} ms, CNI bridge ADD {m[1]:.1f} ms, "
              f"runc run -d + runc state {m[2]:.1f} ms")
    if "runc-seccomp" in p:
        print("  runc+CNI+sec: the same with wharf's seccomp profile (Docker's default), which wharf's tasks get")
    if "docker_run" in extra:
        print(f"  docker: `docker run -d` alone returned after {pct(extra['docker_run'], 50) * 1000:.1f} ms (p50); "
              f"the rest is one `docker inspect`")
    for mode, rows in extra.get("phases", {}).items():
        med = lambda key: statistics.median(r[key] for r in rows if key in r)
        print(f"  {mode} server timestamps, median ms after createdAt: pullStarted {med('pullStartedAt'):.1f}, "
              f"pullStopped {med('pullStoppedAt'):.1f}, startedAt {med('startedAt'):.1f}")
    if "mem" in extra:
        base, full, monitor, n, pss = extra["mem"]
        per = (full - base) / args.mem_tasks
        print(f"\nwharf server RSS {base / 1024:.1f} MiB idle, {full / 1024:.1f} MiB with {args.mem_tasks} tasks: "
              f"{per:.0f} KiB per task; container monitors: {n}, {monitor / max(n, 1):.0f} KiB RSS "
              f"({pss / max(n, 1):.0f} KiB PSS) each")
    for mode, tl in extra.get("timeline", {}).items():
        print(f"\ntimeline of a wharf {mode} task, ms after the RunTask call, median of {args.timeline} "
              f"(programs wharf and its children ran; [n] = in how many tasks):")
        for key, (ms, n) in sorted(tl.items(), key=lambda x: x[1][0]):
            print(f"  {ms:>8.1f}  {key}" + (f"  [{n}]" if n != args.timeline else ""))
    print("\naims")
    if "bridge" in p:
        b = p["bridge"][0]
        print(f"  {'p50 under 150 ms (bridge)':<44}{b:.0f} ms   {'met' if b < 150 else 'NOT MET'}")
        if "runc" in p:
            ratio = b / p["runc"][0]
            print(f"  {'within 1.5x of runc+CNI':<44}{ratio:.2f}x   {'met' if ratio <= 1.5 else 'NOT MET'}")
    if "mem" in extra:
        per = (extra["mem"][1] - extra["mem"][0]) / args.mem_tasks
        print(f"  {'under 2 MiB of wharf memory per task':<44}{per / 1024:.2f} MiB   {'met' if per < 2048 else 'NOT MET'}")


if __name__ == "__main__":
    run_main(main)
