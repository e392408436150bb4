#!/usr/bin/python3
"""Tasks that really run: the aws CLI drives RunTask/StopTask against a wharf server whose local
node pulls from wharf's own registry and runs busybox containers under runc.

Covers bridge mode with a dynamic host port (curl 127.0.0.1:<hostPort>), awsvpc on FARGATE
(curl the task's private IP, which its security group admits from the VPC's CIDR), an essential container's exit code and stop code, an image that
cannot be pulled, the two-container pattern in both network modes (localhost / link alias,
started in dependsOn order), container instances, ListTasks filters, and that the host is left
as it was found.
"""
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import NEWEST_AWS, Checks, WharfServer, free_port  # noqa: E402
from task_fixtures import prepare, push_to_wharf, wait_clean, wait_task  # noqa: E402

checks = Checks()
before, layout = prepare("v1")

HTTPD = "httpd -f -p 8080 -h /www"


def register(server, family, containers, network_mode="bridge", fargate=False, **extra):
    args = ["ecs", "register-task-definition", "--family", family, "--network-mode", network_mode,
            "--container-definitions", json.dumps(containers)]
    if fargate:
        args += ["--requires-compatibilities", "FARGATE", "--cpu", "256", "--memory", "512"]
    return server.aws(*args)["taskDefinition"]["taskDefinitionArn"]


def http_get(url, timeout=2):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


with WharfServer(agent=True) as server:
    image = push_to_wharf(server, layout, "v1", "app")

    @checks.run
    def node_registered_as_container_instance():
        arns = server.aws("ecs", "list-container-instances", "--cluster", "default")["containerInstanceArns"]
        assert len(arns) == 1, arns
        ci = server.aws("ecs", "describe-container-instances", "--cluster", "default",
                        "--container-instances", arns[0])["containerInstances"][0]
        assert ci["status"] == "ACTIVE" and ci["agentConnected"], ci
        cpu = {r["name"]: r for r in ci["registeredResources"]}["CPU"]["integerValue"]
        assert cpu == 1024 * os.cpu_count(), cpu
        names = {a["name"] for a in ci["attributes"]}
        assert {"ecs.os-type", "ecs.availability-zone", "ecs.capability.task-eni"} <= names, names

    @checks.run
    def bridge_task_with_dynamic_host_port():
        td = register(server, "web-bridge", [{
            "name": "web", "image": image, "memory": 64, "essential": True,
            "entryPoint": ["/bin/sh", "-c"], "command": [HTTPD], "stopTimeout": 2,
            "portMappings": [{"containerPort": 8080, "hostPort": 0}]}])
        started = time.time()
        task = server.aws("ecs", "run-task", "--cluster", "default", "--task-definition", td)["tasks"][0]
        assert task["lastStatus"] == "PENDING" and task["desiredStatus"] == "RUNNING", task
        task = wait_task(server, "default", task["taskArn"], "RUNNING")
        print(f"     run-task to RUNNING (first pull included): {time.time() - started:.2f}s")
        assert task["lastStatus"] == "RUNNING", task
        binding = task["containers"][0]["networkBindings"][0]
        assert 49153 <= binding["hostPort"] <= 65535 and binding["containerPort"] == 8080, binding
        assert "hello from a wharf task" in http_get(f"http://127.0.0.1:{binding['hostPort']}/index.html")
        for field in ("pullStartedAt", "pullStoppedAt", "startedAt", "createdAt"):
            assert field in task, field
        listed = server.aws("ecs", "list-tasks", "--cluster", "default", "--family", "web-bridge")["taskArns"]
        assert listed == [task["taskArn"]], listed
        server.aws("ecs", "stop-task", "--cluster", "default", "--task", task["taskArn"], "--reason", "done here")
        task = wait_task(server, "default", task["taskArn"], "STOPPED")
        assert task["stopCode"] == "UserInitiated" and task["stoppedReason"] == "done here", task
        assert task["containers"][0]["exitCode"] in (143, 137, 0), task["containers"][0]
        assert "stoppedAt" in task and "stoppingAt" in task, task
        assert server.aws("ecs", "list-tasks", "--cluster", "default", "--family", "web-bridge")["taskArns"] == []
        stopped = server.aws("ecs", "list-tasks", "--cluster", "default", "--desired-status", "STOPPED")["taskArns"]
        assert task["taskArn"] in stopped

    @checks.run
    def essential_container_exit_stops_the_task():
        td = register(server, "exits", [{"name": "main", "image": image, "memory": 32,
                                         "entryPoint": ["/bin/sh", "-c"], "command": ["echo bye; exit 3"]}])
        arn = server.aws("ecs", "run-task", "--task-definition", td)["tasks"][0]["taskArn"]
        task = wait_task(server, "default", arn, "STOPPED")
        assert task["lastStatus"] == "STOPPED", task
        assert task["stopCode"] == "EssentialContainerExited", task
        assert task["stoppedReason"] == "Essential container in task exited", task
        assert task["containers"][0]["exitCode"] == 3, task["containers"][0]

    @checks.run
    def overrides_user_readonly_root_and_environment():
        td = register(server, "checker", [{"name": "main", "image": image, "memory": 32, "user": "nobody",
                                           "readonlyRootFilesystem": True, "workingDirectory": "/www",
                                           "environment": [{"name": "FOO", "value": "from-definition"}],
                                           "entryPoint": ["/bin/sh", "-c"], "command": ["exit 4"]}])
        script = ('[ "$FOO" = from-override ] && [ "$(id -u)" = 65534 ] && [ "$(pwd)" = /www ] && '
                  '! touch /x 2>/dev/null && [ -n "$ECS_CONTAINER_METADATA_URI_V4" ] && exit 0; exit 5')
        overrides = {"containerOverrides": [{"name": "main", "command": [script],
                                             "environment": [{"name": "FOO", "value": "from-override"}]}]}
        arn = server.aws("ecs", "run-task", "--task-definition", td, "--overrides",
                         json.dumps(overrides))["tasks"][0]["taskArn"]
        task = wait_task(server, "default", arn, "STOPPED")
        assert task["containers"][0].get("exitCode") == 0, task["containers"][0]
        assert task["overrides"]["containerOverrides"][0]["name"] == "main", task["overrides"]

    @checks.run
    def image_that_cannot_be_pulled():
        td = register(server, "nopull", [{"name": "main", "memory": 32,
                                          "image": image.replace(":v1", ":does-not-exist")}])
        arn = server.aws("ecs", "run-task", "--task-definition", td)["tasks"][0]["taskArn"]
        task = wait_task(server, "default", arn, "STOPPED")
        assert task["stopCode"] == "TaskFailedToStart", task
        reason = task["containers"][0].get("reason", "")
        assert reason.startswith("CannotPullContainerError"), task["containers"][0]
        assert "exitCode" not in task["containers"][0], task["containers"][0]

    @checks.run
    def two_containers_bridge_links_and_depends_on():
        td = register(server, "pair-bridge", [
            {"name": "web", "image": image, "memory": 32, "essential": True,
             "entryPoint": ["/bin/sh", "-c"], "command": [HTTPD], "stopTimeout": 2},
            {"name": "client", "image": image, "memory": 32, "essential": False, "links": ["web:backend"],
             "dependsOn": [{"containerName": "web", "condition": "START"}],
             "entryPoint": ["/bin/sh", "-c"],
             "command": ["for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O- http://backend:8080/index.html "
                         "| grep -q 'wharf task' && exit 0; sleep 0.2; done; exit 7"]}])
        arn = server.aws("ecs", "run-task", "--task-definition", td)["tasks"][0]["taskArn"]
        deadline = time.time() + 30
        while time.time() < deadline:
            task = server.aws("ecs", "describe-tasks", "--tasks", arn)["tasks"][0]
            client = [c for c in task["containers"] if c["name"] == "client"][0]
            if "exitCode" in client or task["lastStatus"] == "STOPPED":
                break
            time.sleep(0.2)
        assert client.get("exitCode") == 0, task
        assert task["lastStatus"] == "RUNNING", task  # a non-essential exit leaves the task running
        server.aws("ecs", "stop-task", "--task", arn)
        wait_task(server, "default", arn, "STOPPED")

    subnets = server.aws("ec2", "describe-subnets", cli=NEWEST_AWS)["Subnets"]
    subnet = sorted(subnets, key=lambda s: s["AvailabilityZone"])[0]["SubnetId"]
    network = json.dumps({"awsvpcConfiguration": {"subnets": [subnet]}})

    @checks.run
    def awsvpc_fargate_task_reachable_at_its_ip():
        td = register(server, "web-vpc", [{"name": "web", "image": image, "entryPoint": ["/bin/sh", "-c"],
                                           "command": [HTTPD], "stopTimeout": 2, "portMappings": [{"containerPort": 8080}]}],
                      network_mode="awsvpc", fargate=True)
        # The host is outside the task's security groups, as any client is on AWS: it connects
        # from its address on the subnet's bridge (the gateway, inside the VPC's CIDR), which the
        # VPC's default group does not admit. A group admitting the VPC's CIDR on 8080 does.
        vpc = server.aws("ec2", "describe-vpcs", cli=NEWEST_AWS)["Vpcs"][0]
        group = server.aws("ec2", "create-security-group", "--group-name", "web-from-vpc", "--description",
                           "httpd from the VPC", "--vpc-id", vpc["VpcId"], cli=NEWEST_AWS)["GroupId"]
        server.aws("ec2", "authorize-security-group-ingress", "--group-id", group, "--protocol", "tcp",
                   "--port", "8080", "--cidr", vpc["CidrBlock"], cli=NEWEST_AWS)
        with_group = json.dumps({"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}})
        task = server.aws("ecs", "run-task", "--launch-type", "FARGATE", "--task-definition", td,
                          "--network-configuration", with_group)["tasks"][0]
        assert task["lastStatus"] == "PROVISIONING", task
        eni = task["attachments"][0]
        assert eni["type"] == "ElasticNetworkInterface", eni
        details = {d["name"]: d["value"] for d in eni["details"]}
        assert details["subnetId"] == subnet and details["macAddress"].count(":") == 5, details
        task = wait_task(server, "default", task["taskArn"], "RUNNING")
        assert task["lastStatus"] == "RUNNING", task
        assert task["attachments"][0]["status"] == "ATTACHED", task["attachments"]
        ip = details["privateIPv4Address"]
        assert "hello from a wharf task" in http_get(f"http://{ip}:8080/index.html")
        assert task["launchType"] == "FARGATE" and "containerInstanceArn" not in task, task
        task_id = task["taskArn"].rsplit("/", 1)[1]
        with open(f"/sys/fs/cgroup/memory/wharf/{task_id}/memory.limit_in_bytes") as f:
            assert int(f.read()) == 512 << 20  # the Fargate task size is a hard limit
        server.aws("ecs", "stop-task", "--task", task["taskArn"])
        task = wait_task(server, "default", task["taskArn"], "STOPPED")
        assert task["attachments"][0]["status"] == "DELETED", task["attachments"]
        assert task["containers"][0]["exitCode"] in (143, 137, 0), task["containers"][0]
        server.aws("ec2", "delete-security-group", "--group-id", group, cli=NEWEST_AWS)

    @checks.run
    def two_containers_awsvpc_share_localhost():
        td = register(server, "pair-vpc", [
            {"name": "web", "image": image, "essential": True, "entryPoint": ["/bin/sh", "-c"], "command": [HTTPD], "stopTimeout": 2},
            {"name": "client", "image": image, "essential": True,
             "dependsOn": [{"containerName": "web", "condition": "START"}], "entryPoint": ["/bin/sh", "-c"],
             "command": ["for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O- http://localhost:8080/index.html "
                         "| grep -q 'wharf task' && exit 0; sleep 0.2; done; exit 7"]}],
            network_mode="awsvpc", fargate=True)
        arn = server.aws("ecs", "run-task", "--launch-type", "FARGATE", "--task-definition", td,
                         "--network-configuration", network)["tasks"][0]["taskArn"]
        task = wait_task(server, "default", arn, "STOPPED")
        client = [c for c in task["containers"] if c["name"] == "client"][0]
        assert client.get("exitCode") == 0, task
        assert task["stopCode"] == "EssentialContainerExited", task

    @checks.run
    def health_check_healthy_dependency_and_metadata_endpoint():
        check = {"command": ["CMD-SHELL", "wget -q -O- http://localhost:8080/index.html || exit 1"],
                 "interval": 5, "timeout": 2, "retries": 2}
        td = register(server, "health-vpc", [
            {"name": "web", "image": image, "essential": True, "entryPoint": ["/bin/sh", "-c"],
             "command": [HTTPD], "stopTimeout": 2, "healthCheck": check},
            {"name": "probe", "image": image, "essential": False,
             "dependsOn": [{"containerName": "web", "condition": "HEALTHY"}], "entryPoint": ["/bin/sh", "-c"],
             "command": ["wget -q -O- $ECS_CONTAINER_METADATA_URI_V4/task > /tmp/task.json && "
                         "grep -q '\"TaskARN\"' /tmp/task.json && "
                         "wget -q -O- $ECS_CONTAINER_METADATA_URI_V4 | grep -q '\"Name\":\"probe\"' && exit 0; exit 9"]}],
            network_mode="awsvpc", fargate=True)
        out = server.aws("ecs", "run-task", "--launch-type", "FARGATE", "--task-definition", td,
                         "--network-configuration", network)
        assert out["tasks"], out
        arn = out["tasks"][0]["taskArn"]
        deadline = time.time() + 40
        while time.time() < deadline:
            task = server.aws("ecs", "describe-tasks", "--tasks", arn)["tasks"][0]
            probe = [c for c in task["containers"] if c["name"] == "probe"][0]
            if "exitCode" in probe or task["lastStatus"] == "STOPPED":
                break
            time.sleep(0.2)
        web = [c for c in task["containers"] if c["name"] == "web"][0]
        assert web.get("healthStatus") == "HEALTHY", web
        assert task.get("healthStatus") == "HEALTHY", task
        assert probe.get("exitCode") == 0, task  # started only once web was HEALTHY, read its metadata
        server.aws("ecs", "stop-task", "--task", arn)
        wait_task(server, "default", arn, "STOPPED")

    @checks.run
    def fargate_needs_network_configuration():
        td = register(server, "web-vpc2", [{"name": "web", "image": image}], network_mode="awsvpc", fargate=True)
        p = server.aws("ecs", "run-task", "--launch-type", "FARGATE", "--task-definition", td, check=False)
        assert p.returncode != 0 and "InvalidParameterException" in p.stderr, p.stderr
        assert "Network Configuration must be provided" in p.stderr, p.stderr

    @checks.run
    def placement_failure_reports_resource():
        td = register(server, "huge", [{"name": "main", "image": image, "memory": 10_000_000}])
        out = server.aws("ecs", "run-task", "--task-definition", td)
        assert out["tasks"] == [] and out["failures"][0]["reason"] == "RESOURCE:MEMORY", out

    @checks.run
    def host_mode_task_uses_the_node_network():
        port = free_port()
        td = register(server, "web-host", [{"name": "web", "image": image, "memory": 32, "stopTimeout": 2,
                                            "entryPoint": ["/bin/sh", "-c"], "command": [f"httpd -f -p {port} -h /www"],
                                            "portMappings": [{"containerPort": port, "hostPort": port}]}],
                      network_mode="host")
        arn = server.aws("ecs", "run-task", "--task-definition", td)["tasks"][0]["taskArn"]
        task = wait_task(server, "default", arn, "RUNNING")
        assert task["lastStatus"] == "RUNNING", task
        assert "wharf task" in http_get(f"http://127.0.0.1:{port}/index.html")
        # The port is the instance's now: a second copy does not fit.
        out = server.aws("ecs", "run-task", "--task-definition", td)
        assert out["tasks"] == [] and out["failures"][0]["reason"] == "RESOURCE:PORTS", out
        server.aws("ecs", "stop-task", "--task", arn)
        wait_task(server, "default", arn, "STOPPED")

    @checks.run
    def draining_start_task_constraints_and_deregistration():
        ci = server.aws("ecs", "list-container-instances")["containerInstanceArns"][0]
        td = register(server, "sleeper", [{"name": "main", "image": image, "memory": 16, "stopTimeout": 1,
                                           "entryPoint": ["/bin/sh", "-c"], "command": ["sleep 600"]}])
        out = server.aws("ecs", "run-task", "--task-definition", td, "--placement-constraints",
                         "type=memberOf,expression=attribute:ecs.instance-type == t2.micro")
        assert out["tasks"] == [] and out["failures"][0]["reason"].startswith("MemberOf"), out
        server.aws("ecs", "update-container-instances-state", "--container-instances", ci, "--status", "DRAINING")
        p = server.aws("ecs", "run-task", "--task-definition", td, check=False)
        assert p.returncode != 0 and "No Container Instances were found" in p.stderr, p.stderr
        assert server.aws("ecs", "list-container-instances", "--status", "DRAINING")["containerInstanceArns"] == [ci]
        server.aws("ecs", "update-container-instances-state", "--container-instances", ci, "--status", "ACTIVE")
        arn = server.aws("ecs", "start-task", "--task-definition", td, "--container-instances", ci,
                         "--started-by", "tester")["tasks"][0]["taskArn"]
        task = wait_task(server, "default", arn, "RUNNING")
        assert task["containerInstanceArn"] == ci and task["startedBy"] == "tester", task
        assert server.aws("ecs", "list-tasks", "--started-by", "tester")["taskArns"] == [arn]
        desc = server.aws("ecs", "describe-container-instances", "--container-instances", ci)["containerInstances"][0]
        remaining = {r["name"]: r for r in desc["remainingResources"]}["MEMORY"]["integerValue"]
        registered = {r["name"]: r for r in desc["registeredResources"]}["MEMORY"]["integerValue"]
        assert registered - remaining >= 16 and desc["runningTasksCount"] >= 1, desc
        p = server.aws("ecs", "deregister-container-instance", "--container-instance", ci, check=False)
        assert p.returncode != 0 and "InvalidParameterException" in p.stderr, p.stderr
        server.aws("ecs", "stop-task", "--task", arn)
        wait_task(server, "default", arn, "STOPPED")

    @checks.run
    def host_left_clean():
        server.stop()  # a node with no task left takes its bridges and rules down
        leftovers = wait_clean(before)
        assert not leftovers, leftovers

checks.finish()
