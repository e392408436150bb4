"""Starts a real `wharf server` for a test and points the real clients at it.

Each WharfServer gets a private data directory and a free loopback port, and is killed
(and its directory removed) when the `with` block ends, whatever happened inside.
"""
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

WHARF = os.environ.get("WHARF_BIN", os.path.join(os.path.dirname(__file__), "../../build/wharf"))
DEBIAN_AWS = "/usr/bin/aws"
# The image's newest CLI (awscli v1 on botocore 1.43), which knows the newest request keys.
NEWEST_AWS = os.path.expanduser("~/.pyenv/versions/3.11.7/bin/aws")
NEWEST_PYTHON = os.path.expanduser("~/.pyenv/versions/3.11.7/bin/python3")
# On PYTHONPATH, it keeps any sleep of an aws CLI to a second (quick_waiters/sitecustomize.py).
QUICK_WAITERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "quick_waiters")


def run_on_newest_python():
    """Runs this test again on the image's newest Python and boto3 when another started it:
    ctest starts a test by its #! line (Debian's python3, whose botocore 1.29 predates
    operations such as ListServiceDeployments)."""
    if os.path.exists(NEWEST_PYTHON) and os.path.realpath(sys.executable) != os.path.realpath(NEWEST_PYTHON):
        os.execv(NEWEST_PYTHON, [NEWEST_PYTHON] + sys.argv)


# The servers started by this test, so that a failed check can show what they logged.
_started = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_table_name(base, node_data_dir):
    """An agent's nft table name for its data directory (src/agent/network/network.h NodeTableName)."""
    h = 2166136261
    for b in os.path.realpath(node_data_dir).encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return f"{base}_{h:08x}"


class WharfServer:
    def __init__(self, *extra_args, data_dir=None, port=None, agent=False):
        """agent=False runs the server without its local node (tests of the API alone)."""
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="wharf-e2e-")
        self.port = port or free_port()
        self.agent = agent
        self.extra_args = list(extra_args) + ([] if agent else ["--no-local-agent"])
        self.proc = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        if self not in _started:
            _started.append(self)
        self.log = open(os.path.join(self.data_dir, "server.log"), "ab")
        self.proc = subprocess.Popen(
            [WHARF, "server", "--data-dir", self.data_dir, "--listen", f"127.0.0.1:{self.port}"]
            + self.extra_args,
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("wharf exited: " + self.read_log())
            try:
                with urllib.request.urlopen(self.endpoint + "/_wharf/health", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("wharf not ready: " + self.read_log())

    def read_log(self):
        with open(os.path.join(self.data_dir, "server.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def stop(self):
        self.kill(signal.SIGTERM)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.agent:
            self.stop_all_tasks()
        self.kill(signal.SIGTERM if self.agent else signal.SIGKILL)
        if self.agent:
            self.remove_node_leftovers()
        for table in self.lb_tables():  # a killed server's, which it would have removed on SIGTERM
            subprocess.run(["nft", "delete", "table", "ip", table], capture_output=True)
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def lb_tables(self):
        """This server's load balancer public address tables on the host (src/lb/public_addresses.h):
        "wharf_lb_<region>_<FNV-1a of its data directory>". Other tests' servers have their own."""
        h = 2166136261
        for b in os.path.realpath(self.data_dir).encode():
            h = ((h ^ b) * 16777619) & 0xFFFFFFFF
        listed = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout.split("\n")
        return [l.split()[2] for l in listed
                if l.startswith("table ip wharf_lb_") and l.endswith(f"_{h:08x}")]

    def node_table(self, base):
        """The name of one of this server's local node's nft tables ("wharf", "wharf_vpc",
        "wharf_egress"; src/agent/network/network.h NodeTableName): base + "_" + the FNV-1a of
        the node's data directory, so that each agent on a host has its own."""
        return node_table_name(base, os.path.join(self.data_dir, "node"))

    def remove_node_leftovers(self):
        """When the server died before its tasks could be stopped through the API, what its node
        made is removed by hand: containers (runc), then root mounts, so that removing the data
        directory never reaches through a mount and nothing stays mounted."""
        root = os.path.join(self.data_dir, "node", "runtime", "runc")
        listed = subprocess.run(["runc", "--root", root, "list", "-q"], capture_output=True, text=True)
        for cid in listed.stdout.split():
            subprocess.run(["runc", "--root", root, "delete", "--force", cid], capture_output=True)
        with open("/proc/self/mountinfo") as f:
            mounts = [line.split()[4] for line in f if line.split()[4].startswith(self.data_dir + "/")]
        for m in sorted(mounts, reverse=True):
            subprocess.run(["umount", m], capture_output=True)

    def stop_all_tasks(self, timeout=30):
        """Containers outlive their server by design: a test that ends (or fails) with tasks
        running stops them first, so the node removes their namespaces, mounts and cgroups,
        then its bridges when the server stops."""
        if not self.proc or self.proc.poll() is not None:
            return
        try:
            ecs = self.boto3("ecs")
            pending = []
            for cluster in ecs.list_clusters()["clusterArns"]:
                for status in ("RUNNING", "STOPPED"):
                    for arn in ecs.list_tasks(cluster=cluster, desiredStatus=status)["taskArns"]:
                        if status == "RUNNING":
                            ecs.stop_task(cluster=cluster, task=arn, reason="test cleanup")
                        pending.append((cluster, arn))
            deadline = time.time() + timeout
            while pending and time.time() < deadline:
                still = []
                for cluster, arn in pending:
                    task = ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"]
                    if task and task[0]["lastStatus"] != "STOPPED":
                        still.append((cluster, arn))
                pending = still
                if pending:
                    time.sleep(0.2)
        except Exception as e:  # cleanup must not hide the test's own result
            print(f"stop_all_tasks: {type(e).__name__}: {e}", file=sys.stderr)

    # --- clients -------------------------------------------------------------

    def credentials(self):
        creds = {}
        with open(os.path.join(self.data_dir, "credentials")) as f:
            for line in f:
                if "=" in line:
                    k, v = line.split("=", 1)
                    creds[k.strip()] = v.strip()
        return creds["aws_access_key_id"], creds["aws_secret_access_key"]

    def env(self, **overrides):
        env = dict(os.environ)
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
            env.pop(k, None)
        env.update(AWS_SHARED_CREDENTIALS_FILE=os.path.join(self.data_dir, "credentials"),
                   AWS_CONFIG_FILE="/dev/null", AWS_DEFAULT_REGION="us-east-1",
                   AWS_PAGER="", AWS_EC2_METADATA_DISABLED="true")
        env.update(overrides)
        return env

    def aws(self, *args, cli=DEBIAN_AWS, check=True, env=None):
        """Runs the aws CLI; returns parsed JSON output (or the CompletedProcess if check=False)."""
        cmd = [cli, "--endpoint-url", self.endpoint, "--region", "us-east-1", "--output", "json"] + list(args)
        env = dict(env or self.env())
        env["PYTHONPATH"] = QUICK_WAITERS
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
        if not check:
            return p
        if p.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({p.returncode}): {p.stderr}")
        return json.loads(p.stdout) if p.stdout.strip() else {}

    def boto3(self, service, **kwargs):
        import boto3
        quick_boto3_waiters()
        key, secret = self.credentials()
        params = dict(region_name="us-east-1", endpoint_url=self.endpoint,
                      aws_access_key_id=key, aws_secret_access_key=secret)
        params.update(kwargs)
        # A session of its own: boto3's default session is not safe to share across threads.
        return boto3.session.Session().client(service, **params)


WAITER_POLL_SECONDS = 0.2


def quick_boto3_waiters():
    """boto3's waiters poll every 0.2 s instead of every WaiterConfig Delay (tests give 1 s, the
    models 6 to 15 s), over as long a time: the same calls and acceptors, MaxAttempts scaled
    up to keep Delay x MaxAttempts. A state reached just after a poll was seen up to a second
    late by every wait of every test (the aws CLI's are cut to a second by quick_waiters/)."""
    import botocore.waiter
    if getattr(botocore.waiter.Waiter.wait, "quick", False):
        return
    wait = botocore.waiter.Waiter.wait

    def quick(self, **kwargs):
        config = dict(kwargs.get("WaiterConfig") or {})
        delay = config.get("Delay", self.config.delay)
        attempts = config.get("MaxAttempts", self.config.max_attempts)
        if delay > WAITER_POLL_SECONDS:
            config.update(Delay=WAITER_POLL_SECONDS, MaxAttempts=math.ceil(attempts * delay / WAITER_POLL_SECONDS))
        kwargs["WaiterConfig"] = config
        return wait(self, **kwargs)

    quick.quick = True
    botocore.waiter.Waiter.wait = quick


class Checks:
    """Collects named checks and prints a closing 'N passed, N failed' line."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        # Called after a failed check to print what the test knows (CI keeps only the output).
        self.diagnostics = []

    def run(self, fn):
        name = fn.__name__
        started = time.monotonic()
        try:
            fn()
        except Exception as e:  # a failed check must not stop the others
            self.failed += 1
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
            print_server_warnings()
            for diagnose in self.diagnostics:
                try:
                    diagnose()
                except Exception as d:  # a diagnosis must not hide the failure
                    print(f"   | diagnosis failed: {type(d).__name__}: {d}", flush=True)
        else:
            self.passed += 1
            print(f"ok   {name} ({time.monotonic() - started:.1f} s)", flush=True)
        return fn

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


def print_server_warnings(lines=40):
    """After a failed check: the last warnings of each server the test started (CI keeps
    nothing else of a run, and the data directories are removed)."""
    for server in _started:
        try:
            log = server.read_log().splitlines()
        except OSError:
            continue
        worth = [line for line in log if " WARN " in line or " ERROR " in line or "level=warn" in line
                 or "level=error" in line]
        for line in worth[-lines:]:
            print(f"   | {line}", flush=True)


def default_subnets(ec2):
    """The region's default subnets (default-for-az), one per zone, in zone order."""
    return sorted(ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"],
                  key=lambda s: s["AvailabilityZone"])


def wait_for(fn, what, timeout=60, interval=0.1):
    """fn()'s first true value within timeout seconds, polled every interval; an AssertionError
    naming what was awaited when there is none."""
    deadline = time.time() + timeout
    value = fn()
    while not value and time.time() < deadline:
        time.sleep(interval)
        value = fn()
    assert value, f"timed out waiting for {what}"
    return value


def expect_client_error(fn, code, message=None):
    """Calls a boto3 operation and asserts it fails with `code` (and `message` inside)."""
    import botocore.exceptions
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]
        assert got["Code"] == code, f"expected {code}, got {got}"
        if message is not None:
            assert message in got.get("Message", ""), f"expected message {message!r}, got {got}"
        return e
    raise AssertionError(f"expected {code}, but the call succeeded")
