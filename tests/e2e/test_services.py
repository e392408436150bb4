#!/usr/bin/python3
"""ECS services with real tasks behind a real load balancer: busybox httpd on awsvpc FARGATE,
an application load balancer in front, the aws CLI and boto3 driving the service API.

Covers create-service and `aws ecs wait services-stable`, traffic through the listener;
scaling 2 -> 4 -> 0 -> 2; a stopped task and a task whose container was killed replaced; a
rolling update of 4 tasks under steady load (failed requests and connection errors counted); a
server restarted in the middle of a deployment; a revision whose container exits at once
tripping the circuit breaker and rolling back; a failing service without it throttled; a
bridge-mode service whose targets are its node and dynamic host ports, scaled 2 -> 10 -> 0; a
DAEMON service; update-service moving the tasks to another target group; delete-service; the
API's errors; and that the host is left as it was found.
"""
import http.client
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import NEWEST_AWS, Checks, WharfServer, expect_client_error, free_port  # noqa: E402
from task_fixtures import assert_host_left_clean, load_balanced_http, prepare, push_to_wharf  # noqa: E402

checks = Checks()
before, layout = prepare("v1")

HTTPD = "httpd -f -p 8080 -h /www"


def http_get(url, timeout=2):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode()


with WharfServer(agent=True) as server:
    image = push_to_wharf(server, layout, "v1", "app")
    ecs = server.boto3("ecs")
    elb = server.boto3("elbv2")
    subnets = server.aws("ec2", "describe-subnets", cli=NEWEST_AWS)["Subnets"]
    subnet = sorted(subnets, key=lambda s: s["AvailabilityZone"])[0]["SubnetId"]
    network = {"awsvpcConfiguration": {"subnets": [subnet]}}

    def register(family, command):
        return ecs.register_task_definition(
            family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "web", "image": image, "essential": True, "stopTimeout": 2,
                                   "entryPoint": ["/bin/sh", "-c"], "command": [command],
                                   "portMappings": [{"containerPort": 8080}]}])["taskDefinition"]["taskDefinitionArn"]

    td_v1 = register("web", HTTPD)
    td_v2 = register("web", "echo hello v2 > /www/index.html && " + HTTPD)
    td_bad = register("web", "exit 3")

    lb, tg_arn, listener_port = load_balanced_http(elb, subnets, "svc", deregistration_delay=2)
    url = f"http://127.0.0.1:{listener_port}/index.html"

    def describe():
        return ecs.describe_services(cluster="default", services=["web"])["services"][0]

    def wait_stable(timeout=120):
        ecs.get_waiter("services_stable").wait(cluster="default", services=["web"],
                                               WaiterConfig={"Delay": 1, "MaxAttempts": timeout})
        return describe()

    def running_tasks():
        arns = ecs.list_tasks(cluster="default", serviceName="web")["taskArns"]
        return ecs.describe_tasks(cluster="default", tasks=arns)["tasks"] if arns else []

    def healthy_targets():
        hs = elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
        return sorted(h["Target"]["Id"] for h in hs if h["TargetHealth"]["State"] == "healthy")

    def wait_healthy(n, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline and len(healthy_targets()) != n:
            time.sleep(0.2)
        return healthy_targets()

    def wait_completed(timeout=60):
        """services-stable counts tasks only; the rollout completes once the targets are healthy."""
        deadline = time.time() + timeout
        svc = describe()
        while time.time() < deadline and svc["deployments"][0]["rolloutState"] != "COMPLETED":
            time.sleep(0.2)
            svc = describe()
        return svc

    def print_tasks():
        """Every task of the service with its states, and what the server logged about the
        unfinished ones (a task stuck short of RUNNING or STOPPED is what a hang looks like)."""
        arns = ecs.list_tasks(cluster="default", serviceName="web", desiredStatus="RUNNING")["taskArns"]
        arns += ecs.list_tasks(cluster="default", serviceName="web", desiredStatus="STOPPED")["taskArns"][:20]
        tasks = [t for i in range(0, len(arns), 100)
                 for t in ecs.describe_tasks(cluster="default", tasks=arns[i:i + 100])["tasks"]]
        log = server.read_log().splitlines()
        for t in tasks:
            tid = t["taskArn"].rsplit("/", 1)[1]
            print(f"   | task {tid} {t['lastStatus']}/{t['desiredStatus']} {t.get('startedBy')} "
                  f"{t.get('stoppedReason', '')}", flush=True)
            if t["lastStatus"] not in ("RUNNING", "STOPPED"):
                for line in [line for line in log if tid in line][-15:]:
                    print(f"   |   {line}", flush=True)

    checks.diagnostics.append(print_tasks)

    def messages():
        return [e["message"] for e in describe()["events"]]

    @checks.run
    def create_service_behind_load_balancer_and_wait_stable():
        started = time.time()
        svc = ecs.create_service(
            cluster="default", serviceName="web", taskDefinition=td_v1, desiredCount=2, launchType="FARGATE",
            networkConfiguration=network, healthCheckGracePeriodSeconds=30,
            tags=[{"key": "team", "value": "web"}], propagateTags="SERVICE", enableECSManagedTags=True,
            loadBalancers=[{"targetGroupArn": tg_arn, "containerName": "web", "containerPort": 8080}],
            deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True},
                                     "maximumPercent": 200, "minimumHealthyPercent": 100})["service"]
        assert svc["status"] == "ACTIVE" and svc["desiredCount"] == 2, svc
        assert len(svc["deployments"]) == 1 and svc["deployments"][0]["rolloutState"] == "IN_PROGRESS", svc
        server.aws("ecs", "wait", "services-stable", "--cluster", "default", "--services", "web")
        print(f"     create-service to stable: {time.time() - started:.1f}s")
        svc = wait_completed()  # the waiter counts tasks; the rollout completes once targets are healthy
        assert svc["runningCount"] == 2 and svc["pendingCount"] == 0, svc
        dep = svc["deployments"][0]
        assert dep["status"] == "PRIMARY" and dep["rolloutState"] == "COMPLETED" and dep["runningCount"] == 2, dep
        msgs = [e["message"] for e in svc["events"]]
        assert msgs[0] == "(service web) has reached a steady state.", msgs
        assert any(m.startswith("(service web) has started 2 tasks: (task ") for m in msgs), msgs
        assert any(m.startswith("(service web) registered ") and m.endswith(f"targets in (target-group {tg_arn})")
                   for m in msgs), msgs
        tasks = running_tasks()
        assert len(tasks) == 2 and all(t["group"] == "service:web" for t in tasks), tasks
        assert all(t["startedBy"] == dep["id"] and dep["id"].startswith("ecs-svc/") for t in tasks), tasks
        tagged = ecs.describe_tasks(cluster="default", tasks=[tasks[0]["taskArn"]], include=["TAGS"])["tasks"][0]
        tags = {t["key"]: t["value"] for t in tagged["tags"]}
        assert tags == {"team": "web", "aws:ecs:serviceName": "web", "aws:ecs:clusterName": "default"}, tags
        ips = sorted(t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in tasks)
        assert healthy_targets() == ips, (healthy_targets(), ips)
        for _ in range(6):
            status, body = http_get(url)
            assert status == 200 and "hello from a wharf task" in body, body
        assert ecs.list_services(cluster="default")["serviceArns"] == [svc["serviceArn"]]
        cluster = ecs.describe_clusters(clusters=["default"])["clusters"][0]
        assert cluster["activeServicesCount"] == 1, cluster

    @checks.run
    def scale_2_to_4_to_0_and_back():
        ecs.update_service(cluster="default", service="web", desiredCount=4)
        svc = wait_stable()
        assert svc["runningCount"] == 4 and len(wait_healthy(4)) == 4, (svc["runningCount"], healthy_targets())
        ecs.update_service(cluster="default", service="web", desiredCount=0)
        svc = wait_stable()
        assert svc["runningCount"] == 0 and running_tasks() == [], svc
        assert any(m.startswith("(service web) has stopped ") for m in messages())
        stopped = ecs.list_tasks(cluster="default", serviceName="web", desiredStatus="STOPPED")["taskArns"]
        task = ecs.describe_tasks(cluster="default", tasks=stopped[:1])["tasks"][0]
        assert task["stopCode"] == "ServiceSchedulerInitiated", task
        assert task["stoppedReason"].startswith("Scaling activity initiated by (deployment ecs-svc/"), task
        ecs.update_service(cluster="default", service="web", desiredCount=2)
        wait_stable()
        assert len(wait_healthy(2)) == 2, healthy_targets()

    def wait_replaced(victim):
        deadline = time.time() + 60
        while time.time() < deadline:
            arns = [t["taskArn"] for t in running_tasks() if t["lastStatus"] == "RUNNING"]
            if len(arns) == 2 and victim not in arns:
                return
            time.sleep(0.2)
        raise AssertionError(f"the task {victim} was not replaced")

    @checks.run
    def stopped_task_is_replaced():
        victim = running_tasks()[0]["taskArn"]
        ecs.stop_task(cluster="default", task=victim, reason="chaos")
        wait_replaced(victim)
        wait_stable()
        status, _ = http_get(url)
        assert status == 200

    @checks.run
    def killed_container_is_replaced():
        victim = running_tasks()[0]["taskArn"]
        runc_root = os.path.join(server.data_dir, "node", "runtime", "runc")
        container = victim.rsplit("/", 1)[1] + "-web"
        subprocess.run(["runc", "--root", runc_root, "kill", container, "KILL"], check=True)
        wait_replaced(victim)
        task = ecs.describe_tasks(cluster="default", tasks=[victim])["tasks"][0]
        assert task["stopCode"] == "EssentialContainerExited" and task["containers"][0]["exitCode"] == 137, task
        wait_stable()
        assert len(wait_healthy(2)) == 2, healthy_targets()

    @checks.run
    def rolling_update_under_steady_load():
        # A 4-task service (8 at the peak of the update: 200%), as the issue asks.
        ecs.update_service(cluster="default", service="web", desiredCount=4)
        wait_stable()
        assert len(wait_healthy(4)) == 4, healthy_targets()
        # Four clients, each on its own keep-alive connection through the listener, a few
        # hundred requests a second in all. A reset or refused connection counts apart from an
        # answer other than 200.
        counts = {"ok": 0, "failed": 0, "connection errors": 0, "v2": 0}
        errors = {}  # what failed, so a failure says why
        stop = threading.Event()
        lock = threading.Lock()

        def load():
            conn = http.client.HTTPConnection("127.0.0.1", listener_port, timeout=5)
            while not stop.is_set():
                try:
                    conn.request("GET", "/index.html")
                    r = conn.getresponse()
                    body = r.read().decode()
                    with lock:
                        counts["ok" if r.status == 200 else "failed"] += 1
                        counts["v2"] += "hello v2" in body
                    if r.status != 200:
                        kind = f"{time.time() - t0:.0f}s HTTP {r.status}"
                        errors[kind] = errors.get(kind, 0) + 1
                except (OSError, http.client.HTTPException) as e:
                    with lock:
                        counts["connection errors"] += 1
                        kind = f"{time.time() - t0:.0f}s {type(e).__name__}: {e}"
                        errors[kind] = errors.get(kind, 0) + 1
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", listener_port, timeout=5)
                time.sleep(0.01)
            conn.close()

        t0 = time.time()
        threads = [threading.Thread(target=load) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1)
            old = describe()["deployments"][0]["id"]
            ecs.update_service(cluster="default", service="web", taskDefinition=td_v2)
            svc = describe()
            assert len(svc["deployments"]) == 2 and svc["deployments"][1]["id"] == old, svc["deployments"]
            svc = wait_stable(180)
            time.sleep(1)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        elapsed = time.time() - t0
        total = counts["ok"] + counts["failed"] + counts["connection errors"]
        print(f"     rolling update: {total} requests in {elapsed:.1f} s ({total / elapsed:.0f}/s): "
              f"{counts['ok']} answered 200, {counts['failed']} failed, {counts['connection errors']} connection errors")
        assert svc["taskDefinition"] == td_v2 and svc["deployments"][0]["taskDefinition"] == td_v2, svc
        assert all(t["taskDefinitionArn"] == td_v2 for t in running_tasks())
        assert counts["v2"] > 0 and counts["failed"] == 0 and counts["connection errors"] == 0, (
            counts, errors, messages()[:12])
        assert any(m.startswith("(service web) deregistered ") for m in messages()), messages()
        assert len(running_tasks()) == 4
        ecs.update_service(cluster="default", service="web", desiredCount=2)
        wait_stable()

    @checks.run
    def server_restart_mid_deployment_carries_on():
        ecs.update_service(cluster="default", service="web", forceNewDeployment=True)
        new = describe()["deployments"][0]["id"]
        deadline = time.time() + 60
        while time.time() < deadline and not any(t["startedBy"] == new and t["lastStatus"] == "RUNNING"
                                                 for t in running_tasks()):
            time.sleep(0.2)
        assert len(describe()["deployments"]) == 2, describe()["deployments"]
        server.stop()  # the node's containers keep running; the restarted node adopts them
        server.start()
        wait_stable(120)
        # A task the node was starting when it stopped may come back broken (see the report of
        # the services issue); the controller replaces it once the grace period has passed.
        svc = wait_completed(120)
        assert svc["deployments"][0]["id"] == new and svc["deployments"][0]["rolloutState"] == "COMPLETED", svc
        tasks = running_tasks()
        assert len(tasks) == 2 and all(t["startedBy"] == new for t in tasks), tasks
        assert len(wait_healthy(2)) == 2, healthy_targets()
        status, body = http_get(url)
        assert status == 200 and "hello v2" in body, body

    @checks.run
    def failing_revision_trips_circuit_breaker_and_rolls_back():
        ecs.update_service(cluster="default", service="web", taskDefinition=td_bad, desiredCount=1)
        deadline = time.time() + 120
        failed = None
        while time.time() < deadline:
            svc = describe()
            failed = next((d for d in svc["deployments"] if d["rolloutState"] == "FAILED"), failed)
            if any(m.endswith(") deployment failed: tasks failed to start.") for m in messages()):
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the circuit breaker never tripped: {describe()}")
        if failed is not None:  # it leaves the list once its tasks are gone
            assert failed["taskDefinition"] == td_bad and failed["failedTasks"] >= 3, failed
        wait_stable(120)
        svc = wait_completed()
        assert svc["taskDefinition"] == td_v2 and svc["deployments"][0]["taskDefinition"] == td_v2, svc
        assert svc["deployments"][0]["rolloutState"] == "COMPLETED", svc["deployments"]
        msgs = [e["message"] for e in svc["events"]]
        assert any(m.startswith("(service web) (deployment ecs-svc/") and
                   m.endswith(") deployment failed: tasks failed to start.") for m in msgs), msgs
        status, body = http_get(url)
        assert status == 200 and "hello v2" in body, body

    @checks.run
    def failing_tasks_without_circuit_breaker_are_throttled():
        ecs.create_service(cluster="default", serviceName="flaky", taskDefinition=td_bad, desiredCount=1,
                           launchType="FARGATE", networkConfiguration=network)

        def flaky():
            return ecs.describe_services(cluster="default", services=["flaky"])["services"][0]

        def stopped():
            return len(ecs.list_tasks(cluster="default", serviceName="flaky", desiredStatus="STOPPED")["taskArns"])

        deadline = time.time() + 60
        while time.time() < deadline and not any(
                e["message"] == "(service flaky) is unable to consistently start tasks successfully."
                for e in flaky()["events"]):
            time.sleep(0.2)
        assert time.time() < deadline, [e["message"] for e in flaky()["events"]]
        first = stopped()
        assert first >= 3, first
        time.sleep(4)  # the first wait is 5 s: at most the one task already started may fail meanwhile
        assert stopped() <= first + 1, (first, stopped())
        ecs.delete_service(cluster="default", service="flaky", force=True)
        ecs.get_waiter("services_inactive").wait(cluster="default", services=["flaky"],
                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 60})

    @checks.run
    def api_errors_as_aws():
        expect_client_error(lambda: ecs.create_service(
            cluster="default", serviceName="cd", taskDefinition=td_v1, desiredCount=1, launchType="FARGATE",
            networkConfiguration=network, deploymentController={"type": "CODE_DEPLOY"}),
            "InvalidParameterException", "CODE_DEPLOY")
        loose = elb.create_target_group(Name="svc-loose-tg", Protocol="HTTP", Port=8080, VpcId=subnets[0]["VpcId"],
                                        TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        expect_client_error(lambda: ecs.create_service(
            cluster="default", serviceName="loose", taskDefinition=td_v1, desiredCount=1, launchType="FARGATE",
            networkConfiguration=network,
            loadBalancers=[{"targetGroupArn": loose, "containerName": "web", "containerPort": 8080}]),
            "InvalidParameterException", "does not have an associated load balancer")
        expect_client_error(lambda: ecs.update_service(cluster="default", service="nope", desiredCount=1),
                            "ServiceNotFoundException")
        missing = ecs.describe_services(cluster="default", services=["nope"])["failures"]
        assert missing[0]["reason"] == "MISSING", missing
        expect_client_error(lambda: ecs.create_service(
            cluster="default", serviceName="web", taskDefinition=td_v1, desiredCount=1, launchType="FARGATE",
            networkConfiguration=network), "InvalidParameterException", "not idempotent")
        expect_client_error(lambda: ecs.delete_service(cluster="default", service="web"),
                            "InvalidParameterException", "The service cannot be stopped while it is scaled above 0.")

    @checks.run
    def bridge_service_registers_host_ports_and_scales_2_to_10_to_0():
        td = ecs.register_task_definition(
            family="web-bridge", networkMode="bridge",
            containerDefinitions=[{"name": "web", "image": image, "essential": True, "stopTimeout": 2, "memory": 64,
                                   "entryPoint": ["/bin/sh", "-c"], "command": [HTTPD],
                                   "portMappings": [{"containerPort": 8080, "hostPort": 0}]}])["taskDefinition"]
        tg2 = elb.create_target_group(Name="svc-bridge-tg", Protocol="HTTP", Port=8080, VpcId=subnets[0]["VpcId"],
                                      TargetType="instance", HealthCheckPath="/index.html",
                                      HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                      HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
        elb.modify_target_group_attributes(TargetGroupArn=tg2, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": "1"}])
        port2 = free_port()
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port2,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg2}])
        ecs.create_service(cluster="default", serviceName="web-bridge", taskDefinition=td["taskDefinitionArn"],
                           desiredCount=2, launchType="EC2",
                           loadBalancers=[{"targetGroupArn": tg2, "containerName": "web", "containerPort": 8080}])
        def stable_with_healthy_host_ports(count):
            """Waits for `count` running tasks and a healthy target at each one's host port."""
            ecs.get_waiter("services_stable").wait(cluster="default", services=["web-bridge"],
                                                   WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            svc = ecs.describe_services(cluster="default", services=["web-bridge"])["services"][0]
            assert svc["runningCount"] == count and svc["pendingCount"] == 0, svc
            arns = ecs.list_tasks(cluster="default", serviceName="web-bridge")["taskArns"]
            tasks = ecs.describe_tasks(cluster="default", tasks=arns)["tasks"]
            ports = sorted(t["containers"][0]["networkBindings"][0]["hostPort"] for t in tasks)
            assert len(set(ports)) == count, ports
            deadline = time.time() + 60
            while time.time() < deadline:
                hs = elb.describe_target_health(TargetGroupArn=tg2)["TargetHealthDescriptions"]
                if sorted(h["Target"]["Port"] for h in hs if h["TargetHealth"]["State"] == "healthy") == ports:
                    return hs
                time.sleep(0.2)
            events = ecs.describe_services(cluster="default", services=["web-bridge"])["services"][0]["events"]
            raise AssertionError(f"targets {hs} never healthy at the {count} host ports {ports}; "
                                 f"events {[e['message'] for e in events][:10]}")

        hs = stable_with_healthy_host_ports(2)
        # As ECS registers them: the node's EC2 instance id and the task's host port.
        arns = ecs.list_container_instances(cluster="default")["containerInstanceArns"]
        node = ecs.describe_container_instances(cluster="default", containerInstances=arns)["containerInstances"][0]
        assert node["ec2InstanceId"].startswith("i-") and all(h["Target"]["Id"] == node["ec2InstanceId"]
                                                              for h in hs), (node["ec2InstanceId"], hs)
        status, body = http_get(f"http://127.0.0.1:{port2}/index.html")
        assert status == 200 and "hello from a wharf task" in body, body

        # 2 -> 10 -> 0 (EC2 tasks without a cpu reservation: ten EC2 tasks of 0.25 vCPU would
        # not fit on a 2-core container instance).
        ecs.update_service(cluster="default", service="web-bridge", desiredCount=10)
        stable_with_healthy_host_ports(10)
        for _ in range(20):
            status, _ = http_get(f"http://127.0.0.1:{port2}/index.html")
            assert status == 200
        ecs.update_service(cluster="default", service="web-bridge", desiredCount=0)
        ecs.get_waiter("services_stable").wait(cluster="default", services=["web-bridge"],
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        svc = ecs.describe_services(cluster="default", services=["web-bridge"])["services"][0]
        assert svc["runningCount"] == 0 and ecs.list_tasks(
            cluster="default", serviceName="web-bridge")["taskArns"] == [], svc
        # Deregistration completes as soon as nothing is in flight, so the tasks may stop
        # before the 1 s delay ends; DescribeTargetHealth says draining until it does (as AWS).
        deadline = time.time() + 10
        while (hs := elb.describe_target_health(TargetGroupArn=tg2)["TargetHealthDescriptions"]) and \
                time.time() < deadline:
            assert all(h["TargetHealth"]["State"] == "draining" for h in hs), hs
            time.sleep(0.2)
        assert hs == [], hs
        status = None
        try:
            http_get(f"http://127.0.0.1:{port2}/index.html")
        except urllib.error.HTTPError as e:
            status = e.code
        assert status == 503, status  # no registered target
        ecs.delete_service(cluster="default", service="web-bridge", force=True)
        ecs.get_waiter("services_inactive").wait(cluster="default", services=["web-bridge"],
                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 60})

    @checks.run
    def daemon_service_runs_one_task_per_instance():
        td = ecs.register_task_definition(
            family="daemon", networkMode="bridge",
            containerDefinitions=[{"name": "agent", "image": image, "essential": True, "stopTimeout": 2, "memory": 32,
                                   "entryPoint": ["/bin/sh", "-c"], "command": ["sleep 600"]}])["taskDefinition"]
        expect_client_error(lambda: ecs.create_service(
            cluster="default", serviceName="daemon", taskDefinition=td["taskDefinitionArn"],
            schedulingStrategy="DAEMON", launchType="FARGATE"), "InvalidParameterException", "EC2")
        ecs.create_service(cluster="default", serviceName="daemon", taskDefinition=td["taskDefinitionArn"],
                           schedulingStrategy="DAEMON")
        ecs.get_waiter("services_stable").wait(cluster="default", services=["daemon"],
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        svc = ecs.describe_services(cluster="default", services=["daemon"])["services"][0]
        instances = ecs.list_container_instances(cluster="default")["containerInstanceArns"]
        assert svc["schedulingStrategy"] == "DAEMON" and svc["desiredCount"] == len(instances) == 1, svc
        arns = ecs.list_tasks(cluster="default", serviceName="daemon")["taskArns"]
        tasks = ecs.describe_tasks(cluster="default", tasks=arns)["tasks"]
        assert [t["containerInstanceArn"] for t in tasks] == instances, tasks
        listed = ecs.list_services(cluster="default", schedulingStrategy="DAEMON")["serviceArns"]
        assert listed == [svc["serviceArn"]], listed
        expect_client_error(lambda: ecs.update_service(cluster="default", service="daemon", desiredCount=3),
                            "InvalidParameterException", "DAEMON")
        ecs.delete_service(cluster="default", service="daemon")  # no need to scale a daemon to 0
        ecs.get_waiter("services_inactive").wait(cluster="default", services=["daemon"],
                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 60})

    @checks.run
    def update_service_moves_tasks_to_another_target_group():
        tg_b = elb.create_target_group(Name="svc-tg-b", Protocol="HTTP", Port=8080, VpcId=subnets[0]["VpcId"],
                                       TargetType="ip", HealthCheckPath="/index.html", HealthCheckIntervalSeconds=5,
                                       HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2)["TargetGroups"][0]
        elb.modify_target_group_attributes(TargetGroupArn=tg_b["TargetGroupArn"], Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": "2"}])
        port_b = free_port()
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port_b,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_b["TargetGroupArn"]}])
        old_ips = sorted(t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in running_tasks())
        svc = ecs.update_service(cluster="default", service="web", loadBalancers=[
            {"targetGroupArn": tg_b["TargetGroupArn"], "containerName": "web", "containerPort": 8080}])["service"]
        assert len(svc["deployments"]) == 2, svc["deployments"]
        assert all("_loadBalancers" not in d for d in svc["deployments"]), svc["deployments"]
        svc = wait_completed(90)
        assert svc["deployments"][0]["rolloutState"] == "COMPLETED", svc["deployments"]
        wait_stable()
        new_ips = sorted(t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in running_tasks())
        deadline = time.time() + 30
        while time.time() < deadline:
            in_b = elb.describe_target_health(TargetGroupArn=tg_b["TargetGroupArn"])["TargetHealthDescriptions"]
            in_a = elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
            healthy_b = sorted(h["Target"]["Id"] for h in in_b if h["TargetHealth"]["State"] == "healthy")
            if healthy_b == new_ips and in_a == []:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"target groups after the move: a {in_a}, b {in_b}, tasks {new_ips} (were {old_ips})")
        status, body = http_get(f"http://127.0.0.1:{port_b}/index.html")
        assert status == 200, body
        assert describe()["loadBalancers"][0]["targetGroupArn"] == tg_b["TargetGroupArn"]

    @checks.run
    def delete_service_stops_its_tasks():
        svc = ecs.delete_service(cluster="default", service="web", force=True)["service"]
        assert svc["status"] == "DRAINING", svc
        ecs.get_waiter("services_inactive").wait(cluster="default", services=["web"],
                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        assert running_tasks() == []
        assert ecs.list_services(cluster="default")["serviceArns"] == []
        expect_client_error(lambda: ecs.update_service(cluster="default", service="web", desiredCount=1),
                            "ServiceNotActiveException")
        cluster = ecs.describe_clusters(clusters=["default"])["clusters"][0]
        assert cluster["activeServicesCount"] == 0, cluster

    @checks.run
    def host_left_clean():
        assert_host_left_clean(server, ecs, before)

checks.finish()
