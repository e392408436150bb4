#!/usr/bin/python3
"""A node of another region: `wharf agent --region eu-west-1` joins eu-west-1's cluster (and
not us-east-1's), runs eu-west-1's tasks, pulls an image from us-east-1's repository by its
us-east-1 ECR name (a cross-region pull, as on AWS) and ships its awslogs to the region its
awslogs-region option names. Its awsvpc tasks get their VPC's resolver on the node (base + 2),
answering from the names the server sends in the agent feed: a Cloud Map private namespace's
records (gone once deregistered), the tasks' hostnames (ip-...eu-west-1.compute.internal) and
PTR names. Runs a separate agent process against a server without a local node, and leaves
the host as it found it."""
import ipaddress
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import Checks, WharfServer, wait_for  # noqa: E402
from registry_fixtures import on_exit  # noqa: E402
from task_fixtures import AgentProcess, prepare, push_to_wharf, wait_clean  # noqa: E402

checks = Checks()
before, layout = prepare("v1")
EU = "eu-west-1"




with WharfServer() as server:
    node_dir = tempfile.mkdtemp(prefix="wharf-e2e-node-")
    on_exit(lambda: subprocess.run(["rm", "-rf", node_dir]))
    ecs_eu, ecs_home = server.boto3("ecs", region_name=EU), server.boto3("ecs")
    ecs_eu.create_cluster(clusterName="default")
    ecs_home.create_cluster(clusterName="default")
    image = push_to_wharf(server, layout, "v1", "app")  # us-east-1's repository only
    assert ".dkr.ecr.us-east-1.amazonaws.com/" in image, image
    agent = AgentProcess(server, node_dir, "--region", EU).start()
    task = {}

    def stop_eu_tasks():
        # A check that failed with its task running: the task is stopped through the API while
        # the server and agent still run, so the node removes what it made.
        try:
            for arn in ecs_eu.list_tasks()["taskArns"]:
                ecs_eu.stop_task(task=arn, reason="test cleanup")
            wait_for(lambda: not ecs_eu.list_tasks()["taskArns"], "tasks stopped", timeout=30)
        except Exception as e:  # cleanup must not hide the test's own result
            print(f"stop_eu_tasks: {type(e).__name__}: {e}", file=sys.stderr)

    @checks.run
    def the_node_joins_its_regions_cluster():
        arns = wait_for(lambda: ecs_eu.list_container_instances()["containerInstanceArns"], "registration")
        assert len(arns) == 1 and arns[0].startswith("arn:aws:ecs:eu-west-1:"), arns
        # Connected once its first poll arrives, a moment after it registered (AWS: once the
        # agent's websocket is up).
        ci = wait_for(lambda: [c for c in ecs_eu.describe_container_instances(containerInstances=arns)[
            "containerInstances"] if c["agentConnected"] is True], "agent connected")[0]
        assert ci["containerInstanceArn"] == arns[0], ci
        assert ecs_home.list_container_instances()["containerInstanceArns"] == []

    @checks.run
    def it_runs_a_task_pulled_across_regions_with_logs_in_us_east_1():
        td = ecs_eu.register_task_definition(family="web", containerDefinitions=[{
            "name": "web", "image": image, "memory": 32, "entryPoint": ["/bin/sh", "-c"],
            "command": ["echo hello-from-eu; httpd -f -p 8080 -h /www"], "stopTimeout": 2,
            "portMappings": [{"containerPort": 8080, "hostPort": 0}],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": "/ecs/eu-web", "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": "ecs", "awslogs-create-group": "true"}}}])["taskDefinition"]
        arn = ecs_eu.run_task(taskDefinition=td["taskDefinitionArn"])["tasks"][0]["taskArn"]
        assert arn.startswith("arn:aws:ecs:eu-west-1:"), arn
        task["arn"] = arn

        def running():
            t = ecs_eu.describe_tasks(tasks=[arn])["tasks"][0]
            assert t["lastStatus"] != "STOPPED", t
            return t if t["lastStatus"] == "RUNNING" else None
        t = wait_for(running, "RUNNING")
        port = t["containers"][0]["networkBindings"][0]["hostPort"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=3) as r:
            assert "wharf task" in r.read().decode()
        logs = server.boto3("logs")  # us-east-1, as awslogs-region says
        stream = "ecs/web/" + arn.rsplit("/", 1)[1]
        events = wait_for(lambda: logs.get_log_events(logGroupName="/ecs/eu-web", logStreamName=stream)["events"]
                          if logs.describe_log_groups(logGroupNamePrefix="/ecs/eu-web")["logGroups"] else None,
                          "log events", timeout=30)
        assert events[0]["message"] == "hello-from-eu", events
        assert server.boto3("logs", region_name=EU).describe_log_groups()["logGroups"] == []

    @checks.run
    def its_awsvpc_tasks_get_the_vpc_resolver_from_the_feed():
        sd, ec2 = server.boto3("servicediscovery", region_name=EU), server.boto3("ec2", region_name=EU)
        vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
        resolver = str(ipaddress.ip_network(vpc["CidrBlock"]).network_address + 2)
        subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"][0]
        op = sd.create_private_dns_namespace(Name="remote", Vpc=vpc["VpcId"])["OperationId"]
        wait_for(lambda: sd.get_operation(OperationId=op)["Operation"]["Status"] == "SUCCESS", "namespace")
        task["ns"] = sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
        task["db"] = sd.create_service(Name="db", NamespaceId=task["ns"],
                                       DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 10}]})["Service"]["Id"]
        sd.register_instance(ServiceId=task["db"], InstanceId="db-1", Attributes={"AWS_INSTANCE_IPV4": "192.0.2.77"})
        td = ecs_eu.register_task_definition(family="client", networkMode="awsvpc", containerDefinitions=[{
            "name": "c", "image": image, "memory": 32, "command": ["sleep", "3609"], "stopTimeout": 2}])["taskDefinition"]
        arn = ecs_eu.run_task(taskDefinition=td["taskDefinitionArn"], networkConfiguration={
            "awsvpcConfiguration": {"subnets": [subnet["SubnetId"]]}})["tasks"][0]["taskArn"]
        task["client"] = arn
        ecs_eu.get_waiter("tasks_running").wait(tasks=[arn], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        details = {d["name"]: d["value"] for a in ecs_eu.describe_tasks(tasks=[arn])["tasks"][0]["attachments"]
                   for d in a["details"]}
        ip = details["privateIPv4Address"]
        assert details["privateDnsName"] == f"ip-{ip.replace('.', '-')}.{EU}.compute.internal", details
        pid = wait_for(lambda: (subprocess.run(["pgrep", "-f", "^sleep 3609$"], capture_output=True, text=True)
                                .stdout.split() or [None])[0], "the client's sleep")
        resolv = subprocess.run(["nsenter", "-t", pid, "-m", "--", "cat", "/etc/resolv.conf"],
                                capture_output=True, text=True).stdout.strip()
        assert resolv == f"nameserver {resolver}", resolv

        def ask(name, qtype):
            q = struct.pack(">HHHHHH", 0x5151, 0x0100, 1, 0, 0, 0)
            q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", qtype, 1)
            client = ("import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(3); "
                      f"s.sendto(bytes.fromhex('{q.hex()}'),('{resolver}',53)); print(s.recv(4096).hex())")
            out = subprocess.run(["nsenter", "-t", pid, "-n", "--", "python3", "-c", client],
                                 capture_output=True, text=True, timeout=20)
            assert out.returncode == 0, out.stderr
            p = bytes.fromhex(out.stdout.strip())
            flags, ancount = struct.unpack(">H", p[2:4])[0], struct.unpack(">H", p[6:8])[0]
            rdata = p[len(q) + 12:] if ancount else b""  # one answer, its owner a 2-byte pointer
            return flags & 0xf, bool(flags & 0x0400), rdata

        wait_for(lambda: ask("db.remote", 1)[0] == 0, "db.remote on the node's resolver", timeout=10)
        rcode, aa, rdata = ask("db.remote", 1)
        assert (rcode, aa, socket.inet_ntoa(rdata)) == (0, True, "192.0.2.77"), (rcode, aa, rdata)
        rcode, aa, rdata = ask(details["privateDnsName"], 1)
        assert (rcode, aa, socket.inet_ntoa(rdata)) == (0, True, ip), (rcode, aa, rdata)
        rcode, aa, rdata = ask(".".join(reversed(ip.split("."))) + ".in-addr.arpa", 12)
        assert rcode == 0 and aa and details["privateDnsName"].split(".")[0].encode() in rdata, rdata
        sd.deregister_instance(ServiceId=task["db"], InstanceId="db-1")
        wait_for(lambda: ask("db.remote", 1)[0] == 3, "db.remote gone from the node's resolver", timeout=10)
        ecs_eu.stop_task(task=arn, reason="test done")
        wait_for(lambda: ecs_eu.describe_tasks(tasks=[arn])["tasks"][0]["lastStatus"] == "STOPPED", "STOPPED")
        sd.delete_service(Id=task["db"])
        sd.delete_namespace(Id=task["ns"])

    @checks.run
    def stopping_it_cleans_the_node():
        ecs_eu.stop_task(task=task["arn"], reason="test done")
        wait_for(lambda: ecs_eu.describe_tasks(tasks=[task["arn"]])["tasks"][0]["lastStatus"] == "STOPPED", "STOPPED")
        agent.kill(signal.SIGTERM)
        leftovers = wait_clean(before)
        assert not leftovers, leftovers

    stop_eu_tasks()  # what a failed check left running
    agent.kill(signal.SIGTERM)

checks.finish()
