#!/usr/bin/python3
"""A node agent killed with SIGKILL leaves its containers running; the restarted agent adopts
them, reports their true state and starts no duplicate. Runs a separate `wharf agent` process
against a server without a local node, as a second machine would.

WHARF_AGENT_BEFORE=<an older wharf binary> runs the first agent from that build, so that the
restarted one adopts containers an older agent made (e.g. under conmon, before wharf-monitor).
An agent killed with no task left leaves the bridge tasks' bridge (wharf0); the next agent takes
it down when it stops idle."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import Checks, WharfServer, node_table_name  # noqa: E402
from registry_fixtures import on_exit  # noqa: E402
from task_fixtures import AgentProcess, prepare, push_to_wharf, wait_clean, wait_task  # noqa: E402

checks = Checks()
before, layout = prepare("v1")


def runc_containers(root):
    p = subprocess.run(["runc", "--root", root, "list", "--format", "json"], capture_output=True, text=True)
    return json.loads(p.stdout or "null") or []


def http_get(url):
    with urllib.request.urlopen(url, timeout=2) as r:
        return r.read().decode()


with WharfServer() as server:
    node_dir = tempfile.mkdtemp(prefix="wharf-e2e-node-")
    on_exit(lambda: subprocess.run(["rm", "-rf", node_dir]))
    server.aws("ecs", "create-cluster", "--cluster-name", "default")
    image = push_to_wharf(server, layout, "v1", "app")
    agent = AgentProcess(server, node_dir, binary=os.environ.get("WHARF_AGENT_BEFORE")).start()
    deadline = time.time() + 10
    while time.time() < deadline and not server.aws("ecs", "list-container-instances")["containerInstanceArns"]:
        time.sleep(0.1)
    runc_root = os.path.join(node_dir, "runtime", "runc")
    first_instances = server.aws("ecs", "list-container-instances")["containerInstanceArns"]

    td = server.aws("ecs", "register-task-definition", "--family", "web", "--container-definitions", json.dumps([{
        "name": "web", "image": image, "memory": 32, "entryPoint": ["/bin/sh", "-c"],
        "command": ["httpd -f -p 8080 -h /www"], "stopTimeout": 2, "portMappings": [{"containerPort": 8080, "hostPort": 0}]}])
    )["taskDefinition"]["taskDefinitionArn"]
    arn = server.aws("ecs", "run-task", "--task-definition", td)["tasks"][0]["taskArn"]
    task = wait_task(server, "default", arn, "RUNNING")
    port = task["containers"][0]["networkBindings"][0]["hostPort"]

    @checks.run
    def containers_outlive_a_killed_agent():
        agent.kill()
        assert "wharf task" in http_get(f"http://127.0.0.1:{port}/index.html")
        running = [c for c in runc_containers(runc_root) if c["status"] == "running"]
        assert len(running) == 1, running

    def task_namespaces():
        """The task's container's named network namespace(s): an agent's wharf-<8 hex>-<id>, or
        an older agent's wharf-<id>."""
        return sorted(n for n in os.listdir("/run/netns") if arn.rsplit("/", 1)[1] in n)

    first_namespaces = []  # the task's, as its first agent named it

    @checks.run
    def another_agent_on_the_host_leaves_this_ones_namespaces():
        # An agent with another data dir (a second node on the host) sweeps only namespaces of its
        # own: the killed agent's task keeps its namespace for the restarted one to adopt.
        names = task_namespaces()
        assert len(names) == 1, names
        first_namespaces[:] = names
        print(f"  the task's namespace: {names[0]}")
        other_dir = tempfile.mkdtemp(prefix="wharf-e2e-node-")
        on_exit(lambda: subprocess.run(["rm", "-rf", other_dir]))
        # A namespace of the other agent's own without a record (what a kill between its making
        # and its record leaves): its sweep removes it, which says the sweep has run.
        own_stray = "wharf-" + node_table_name("x", other_dir).split("_")[1] + "-stray"
        subprocess.run(["ip", "netns", "add", own_stray], check=True)
        on_exit(lambda: subprocess.run(["ip", "netns", "del", own_stray], capture_output=True))
        other = AgentProcess(server, other_dir).start()
        try:
            deadline = time.time() + 15
            while time.time() < deadline and os.path.exists("/run/netns/" + own_stray):
                time.sleep(0.1)
            assert not os.path.exists("/run/netns/" + own_stray), "the other agent never swept its own namespace"
            assert task_namespaces() == names, (names, task_namespaces())
        finally:
            other.kill()
            for instance in server.aws("ecs", "list-container-instances")["containerInstanceArns"]:
                if instance not in first_instances:
                    server.aws("ecs", "deregister-container-instance", "--container-instance", instance, "--force")

    @checks.run
    def restarted_agent_adopts_without_duplicates():
        global agent
        agent = AgentProcess(server, node_dir).start()
        time.sleep(2)
        assert len(runc_containers(runc_root)) == 1, runc_containers(runc_root)
        t = server.aws("ecs", "describe-tasks", "--tasks", arn)["tasks"][0]
        assert t["lastStatus"] == "RUNNING", t
        assert len(server.aws("ecs", "list-container-instances")["containerInstanceArns"]) == 1
        assert "wharf task" in http_get(f"http://127.0.0.1:{port}/index.html")
        # Adopted with the namespace its runc spec names, even one an older agent named its way.
        assert task_namespaces() == first_namespaces, (task_namespaces(), first_namespaces)

    @checks.run
    def exit_while_agent_down_is_reported():
        agent.kill()
        pid = [c for c in runc_containers(runc_root)][0]["pid"]
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        globals()["agent"] = AgentProcess(server, node_dir).start()
        t = wait_task(server, "default", arn, "STOPPED", timeout=30)
        assert t["lastStatus"] == "STOPPED" and t["stopCode"] == "EssentialContainerExited", t
        assert t["containers"][0]["exitCode"] == 137, t["containers"][0]
        assert runc_containers(runc_root) == []

    @checks.run
    def an_adopted_vpc_tasks_table_comes_back_when_someone_deletes_it():
        # The restarted agent sets an adopted task's VPC subnet up again as an attach would: its
        # part of the VPC table is known (so the table comes back once deleted), and IPv6 goes
        # off on its bridge (turned on here, as a bridge an older agent made had it), and the
        # port an older agent left with CNI's name gets its fenced one.
        subnet = sorted(server.aws("ec2", "describe-subnets")["Subnets"],
                        key=lambda s: s["AvailabilityZone"])[0]["SubnetId"]
        vpc_td = server.aws("ecs", "register-task-definition", "--family", "vpc", "--network-mode", "awsvpc",
                            "--container-definitions", json.dumps([{
                                "name": "main", "image": image, "memory": 32, "stopTimeout": 1,
                                "entryPoint": ["/bin/sh", "-c"], "command": ["sleep 600"]}])
                            )["taskDefinition"]["taskDefinitionArn"]
        vpc_arn = server.aws("ecs", "run-task", "--task-definition", vpc_td, "--network-configuration",
                             json.dumps({"awsvpcConfiguration": {"subnets": [subnet]}}))["tasks"][0]["taskArn"]
        assert wait_task(server, "default", vpc_arn, "RUNNING")["lastStatus"] == "RUNNING"
        try:
            bridge, table = "wh-" + subnet[-12:], node_table_name("wharf_vpc", node_dir)
            ipv6_off = f"/proc/sys/net/ipv6/conf/{bridge}/disable_ipv6"
            agent.kill()
            with open(ipv6_off, "w") as f:
                f.write("0\n")
            # What an agent before the ports' fence left (egress.h "ports"): CNI's name on the
            # ENI's port and in its record, a port that learns MACs, a bridge that learns them
            # from link-local frames.
            record_path = os.path.join(node_dir, "network", "attachments", vpc_arn.rsplit("/", 1)[1] + ".json")
            with open(record_path) as f:
                record = json.load(f)
            host = [i for i in record["result"]["interfaces"] if "sandbox" not in i and i["name"] != bridge][0]
            port, older = host["name"], "vethe2e%05d" % (os.getpid() % 100000)
            assert port.startswith("wv"), port
            for line in (f"link set dev {port} down", f"link set dev {port} name {older}",
                         f"link set dev {older} type bridge_slave learning on", f"link set dev {older} up",
                         f"link set dev {bridge} type bridge no_linklocal_learn 0"):
                subprocess.run(["ip"] + line.split(), check=True, capture_output=True)
            host["name"] = older
            with open(record_path, "w") as f:
                json.dump(record, f)
            globals()["agent"] = AgentProcess(server, node_dir).start()
            adopted = "task adopted\" task=" + vpc_arn.rsplit("/", 1)[1]
            deadline = time.time() + 15
            while time.time() < deadline and adopted not in open(os.path.join(node_dir, "agent.log")).read():
                time.sleep(0.1)
            time.sleep(1)  # the runner sets its subnet up right after
            with open(ipv6_off) as f:
                assert f.read().strip() == "1", "IPv6 left on on an adopted task's bridge"
            link = subprocess.run(["ip", "-d", "link", "show", "dev", port], capture_output=True, text=True)
            assert link.returncode == 0 and "learning off" in link.stdout, f"the adopted port not renamed: {link}"
            assert "no_linklocal_learn 1" in subprocess.run(["ip", "-d", "link", "show", "dev", bridge],
                                                            capture_output=True, text=True).stdout
            with open(record_path) as f:
                text = f.read()
            assert port in text and older not in text, "the record names the old port"

            def present():
                return subprocess.run(["nft", "list", "table", "inet", table], capture_output=True).returncode == 0

            assert present(), table
            subprocess.run(["nft", "delete", "table", "inet", table], check=True, capture_output=True)
            start = time.time()
            while time.time() < start + 5 and not present():
                time.sleep(0.02)
            took = time.time() - start
            assert present(), "the VPC table of an adopted task's bridge is not written again"
            print(f"  the VPC table written again {took * 1000:.0f} ms after its deletion")
        finally:  # even when a check fails: the host is left clean
            server.aws("ecs", "stop-task", "--task", vpc_arn)
            wait_task(server, "default", vpc_arn, "STOPPED")
            # Idle, it removes what it set up (the VPC bridge, its rules and tables); a later
            # run would not know them.
            agent.kill(signal.SIGTERM)

    def register_awslogs(family, script, **container):
        """A task definition of one container running `script`, its output to /ecs/<family>."""
        return server.aws("ecs", "register-task-definition", "--family", family, "--container-definitions",
                          json.dumps([{
                              "name": "main", "image": image, "memory": 32, **container,
                              "entryPoint": ["/bin/sh", "-c"], "command": [script],
                              "logConfiguration": {"logDriver": "awslogs", "options": {
                                  "awslogs-group": "/ecs/" + family, "awslogs-region": "us-east-1",
                                  "awslogs-stream-prefix": "ecs", "awslogs-create-group": "true"}}}])
                          )["taskDefinition"]["taskDefinitionArn"]

    @checks.run
    def awslogs_lines_arrive_exactly_once_across_an_agent_kill():
        agent.kill()
        globals()["agent"] = AgentProcess(server, node_dir).start()
        printer = register_awslogs("printer", "i=0; while [ $i -lt 400 ]; do echo line-$i; i=$((i+1)); "
                                              "usleep 10000; done; sleep 600", stopTimeout=1)
        task_arn = server.aws("ecs", "run-task", "--task-definition", printer)["tasks"][0]["taskArn"]
        wait_task(server, "default", task_arn, "RUNNING")
        time.sleep(1.5)
        agent.kill()  # while the task prints
        time.sleep(1)
        globals()["agent"] = AgentProcess(server, node_dir).start()
        stream = "ecs/main/" + task_arn.rsplit("/", 1)[1]
        logs = server.boto3("logs")
        deadline = time.time() + 30
        messages = []
        while time.time() < deadline:
            messages = [e["message"] for page in logs.get_paginator("filter_log_events").paginate(
                logGroupName="/ecs/printer", logStreamNames=[stream]) for e in page["events"]]
            if len(messages) >= 400:
                break
            time.sleep(0.2)
        assert messages == [f"line-{i}" for i in range(400)], (len(messages), messages[:3], messages[-3:])
        tail = subprocess.run(["/usr/bin/aws", "--endpoint-url", server.endpoint, "--region", "us-east-1", "logs",
                               "tail", "/ecs/printer", "--since", "10m"], capture_output=True, text=True,
                              env=server.env(), timeout=60)
        assert "line-399" in tail.stdout, tail.stderr
        server.aws("ecs", "stop-task", "--task", task_arn)
        wait_task(server, "default", task_arn, "STOPPED")

    @checks.run
    def awslogs_ships_a_last_line_without_newline_once_stopped():
        # Docker's awslogs driver sends it; the k8s-file log holds it as a partial record.
        family = register_awslogs("tail", "echo first; printf last")
        task_arn = server.aws("ecs", "run-task", "--task-definition", family)["tasks"][0]["taskArn"]
        wait_task(server, "default", task_arn, "STOPPED")
        stream = "ecs/main/" + task_arn.rsplit("/", 1)[1]
        logs = server.boto3("logs")
        deadline = time.time() + 15
        messages = []
        while time.time() < deadline:
            messages = [e["message"] for e in logs.get_log_events(
                logGroupName="/ecs/tail", logStreamName=stream, startFromHead=True)["events"]]
            if len(messages) >= 2:
                break
            time.sleep(0.2)
        assert messages == ["first", "last"], messages

    @checks.run
    def a_bridge_a_killed_agent_left_is_taken_down_by_the_next():
        # Killed with no task left (as when killed while taking its bridges down, or stopped
        # while a task's teardown was under way), an agent leaves wharf0 and its rules. The
        # next one, with no task there, knows them from its data dir (network/subnets/) and
        # takes them down when it stops idle; before, nothing ever did.
        assert os.path.exists("/sys/class/net/wharf0"), "the bridge tasks' bridge is not there to leave"
        agent.kill()
        assert os.path.exists("/sys/class/net/wharf0")
        log = os.path.join(node_dir, "agent.log")
        ready_before = open(log).read().count("msg=ready")
        globals()["agent"] = AgentProcess(server, node_dir).start()
        deadline = time.time() + 15
        while time.time() < deadline and open(log).read().count("msg=ready") == ready_before:
            time.sleep(0.1)
        agent.kill(signal.SIGTERM)
        leftovers = wait_clean(before)
        assert not leftovers, leftovers

    @checks.run
    def host_left_clean():
        agent.kill(signal.SIGTERM)
        leftovers = wait_clean(before)
        assert not leftovers, leftovers

checks.finish()
