#!/usr/bin/python3
"""Seed 001's numbers on one node: a FARGATE service of 2 tasks of 1 vCPU / 3 GB
(cpu "1024", memory "3072"), deployment 100 % / 200 %, updated to a new revision.

On a 2-core node the update's peak (4 tasks, 4,096 CPU units) is twice the node's 2,048: it
completes because FARGATE tasks are placed against the node's overcommitted pool
(--fargate-overcommit, default 4), while the container instance's EC2 accounting
(remainingResources) does not see them. Past the pool, RunTask answers Fargate's "Capacity is
unavailable at this time". Real busybox containers; the host is left as it was found.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import NEWEST_AWS, Checks, WharfServer  # noqa: E402
from task_fixtures import prepare, push_to_wharf, wait_clean  # noqa: E402

checks = Checks()
before, layout = prepare("v1")

CLUSTER = "alba-digi-cluster"
SERVICE = "alba-digi-service"
CAPACITY_UNAVAILABLE = ("Capacity is unavailable at this time. Please try again later or in a different "
                        "availability zone")

with WharfServer(agent=True) as server:
    image = push_to_wharf(server, layout, "v1", "alba-digi-api-rest")
    ecs = server.boto3("ecs")
    subnets = server.aws("ec2", "describe-subnets", cli=NEWEST_AWS)["Subnets"]
    subnet = sorted(subnets, key=lambda s: s["AvailabilityZone"])[0]["SubnetId"]
    network = {"awsvpcConfiguration": {"subnets": [subnet]}}
    node_ci = ecs.list_container_instances(cluster="default")["containerInstanceArns"][0]

    def node():
        return ecs.describe_container_instances(cluster="default", containerInstances=[node_ci])["containerInstances"][0]

    def resources(ci, which):
        return {r["name"]: r.get("integerValue") for r in ci[which] if r["name"] in ("CPU", "MEMORY")}

    registered = resources(node(), "registeredResources")
    print(f"     node: {registered['CPU']} CPU units, {registered['MEMORY']} MiB")

    def register(family, cpu, memory, command):
        """Seed 001's task definition: one container, 2 GB soft limit, 1,024 units, port 5050."""
        return ecs.register_task_definition(
            family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu=cpu, memory=memory,
            containerDefinitions=[{"name": "alba-digi-api-rest", "image": image, "essential": True,
                                   "cpu": 1024, "memoryReservation": 2048, "stopTimeout": 2,
                                   "entryPoint": ["/bin/sh", "-c"], "command": [command],
                                   "portMappings": [{"containerPort": 5050, "hostPort": 5050,
                                                     "protocol": "tcp"}]}])["taskDefinition"]["taskDefinitionArn"]

    td_v1 = register("alba-digi-task", "1024", "3072", "httpd -f -p 5050 -h /www")
    td_v2 = register("alba-digi-task", "1024", "3072", "echo v2 > /www/alive && httpd -f -p 5050 -h /www")

    def describe():
        return ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]

    def tasks():
        arns = ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE)["taskArns"]
        return ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"] if arns else []

    def wait_rolled_out(td, timeout=120):
        """Steady: one deployment, COMPLETED, 2 running tasks of `td` and nothing else."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            svc = describe()
            running = tasks()
            if (len(svc["deployments"]) == 1 and svc["deployments"][0]["rolloutState"] == "COMPLETED"
                    and svc["runningCount"] == 2 and svc["pendingCount"] == 0 and len(running) == 2
                    and all(t["lastStatus"] == "RUNNING" and t["taskDefinitionArn"] == td for t in running)):
                return svc, running
            time.sleep(0.2)
        raise AssertionError(f"not rolled out to {td}: {describe()['deployments']}, "
                             f"events {[e['message'] for e in describe()['events']][:8]}")

    @checks.run
    def create_fargate_service_of_two_1vcpu_3gb_tasks():
        ecs.create_cluster(clusterName=CLUSTER, capacityProviders=["FARGATE"],
                           tags=[{"key": "Name", "value": CLUSTER}])
        started = time.time()
        ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition=td_v1, desiredCount=2,
                           launchType="FARGATE", networkConfiguration=network,
                           deploymentConfiguration={"minimumHealthyPercent": 100, "maximumPercent": 200})
        svc, running = wait_rolled_out(td_v1)
        print(f"     create-service to steady: {time.time() - started:.1f}s")
        assert all(t["launchType"] == "FARGATE" and t["cpu"] == "1024" and t["memory"] == "3072"
                   for t in running), running
        # The node's EC2 accounting does not see FARGATE tasks, as on AWS.
        ci = node()
        assert resources(ci, "remainingResources") == registered, (resources(ci, "remainingResources"), registered)
        assert ci["runningTasksCount"] == 0 and ci["pendingTasksCount"] == 0, ci

    @checks.run
    def rolling_update_at_200_percent_completes():
        old = {t["taskArn"] for t in tasks()}
        started = time.time()
        ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=td_v2)
        svc, running = wait_rolled_out(td_v2)
        print(f"     update-service to steady (2 new tasks running): {time.time() - started:.1f}s")
        assert svc["taskDefinition"] == td_v2 and svc["deployments"][0]["taskDefinition"] == td_v2, svc
        assert not old & {t["taskArn"] for t in running}, (old, running)
        msgs = [e["message"] for e in svc["events"]]
        assert not any("unable to place" in m for m in msgs), msgs
        assert msgs[0] == f"(service {SERVICE}) has reached a steady state.", msgs

    @checks.run
    def past_the_overcommitted_pool_capacity_is_unavailable():
        # The largest Fargate size: 16 vCPU, 120 GB. It exceeds a 4x pool unless the node has
        # more than 4 cores and 30 GB of memory; then there is nothing to refuse cheaply.
        pool = {k: 4 * v for k, v in registered.items()}
        reserved = {"CPU": 2 * 1024, "MEMORY": 2 * 3072}
        if 16384 <= pool["CPU"] - reserved["CPU"] and 122880 <= pool["MEMORY"] - reserved["MEMORY"]:
            print(f"     skipped: a 16 vCPU / 120 GB task fits this node's pool {pool}")
            return
        huge = ecs.register_task_definition(
            family="alba-digi-huge", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="16384",
            memory="122880", containerDefinitions=[{"name": "main", "image": image, "essential": True,
                                                    "command": ["true"]}])["taskDefinition"]["taskDefinitionArn"]
        out = ecs.run_task(cluster=CLUSTER, taskDefinition=huge, launchType="FARGATE", networkConfiguration=network)
        assert out["tasks"] == [] and out["failures"] == [{"reason": CAPACITY_UNAVAILABLE}], out

    @checks.run
    def delete_service_and_cluster():
        ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=0)
        ecs.delete_service(cluster=CLUSTER, service=SERVICE, force=True)
        ecs.get_waiter("services_inactive").wait(cluster=CLUSTER, services=[SERVICE],
                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 60})

        def all_stopped():  # their containers gone, not only asked to stop
            arns = ecs.list_tasks(cluster=CLUSTER, desiredStatus="STOPPED")["taskArns"]
            stopped = ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"] if arns else []
            return not ecs.list_tasks(cluster=CLUSTER)["taskArns"] and all(
                t["lastStatus"] == "STOPPED" for t in stopped)

        deadline = time.time() + 30
        while time.time() < deadline and not all_stopped():
            time.sleep(0.2)
        assert all_stopped()
        ecs.delete_cluster(cluster=CLUSTER)

    @checks.run
    def host_left_clean():
        server.stop_all_tasks()
        server.stop()
        leftovers = wait_clean(before)
        assert not leftovers, leftovers

checks.finish()
