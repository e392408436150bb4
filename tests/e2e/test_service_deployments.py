#!/usr/bin/python3
"""ECS service deployments as Terraform's wait_for_steady_state and the console read them:
ListServiceDeployments, DescribeServiceDeployments, DescribeServiceRevisions and
StopServiceDeployment, with real tasks.

A service is created and its service deployment goes IN_PROGRESS -> SUCCESSFUL, found the way
terraform-provider-aws finds it (createdAt.after the call, the target revision ARN ending in the
PRIMARY deployment's digits); a revision whose container never becomes healthy is stopped with a
rollback and the service returns to the first revision (ROLLBACK_SUCCESSFUL); a good revision
then succeeds and the history lists all three, newest first; the API's errors. Also task
scale-in protection (a protected task outlives a scale-in until unprotected) and custom
attributes of container instances. The host is left as it was found.
"""
import os
import sys
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import NEWEST_AWS, Checks, WharfServer, expect_client_error, run_on_newest_python  # noqa: E402

run_on_newest_python()  # the service deployment operations are newer than Debian's botocore
from task_fixtures import assert_host_left_clean, prepare, push_to_wharf  # noqa: E402

checks = Checks()
before, layout = prepare("v1")

with WharfServer(agent=True) as server:
    image = push_to_wharf(server, layout, "v1", "app")
    ecs = server.boto3("ecs")
    subnets = server.aws("ec2", "describe-subnets", cli=NEWEST_AWS)["Subnets"]
    network = {"awsvpcConfiguration": {"subnets": [sorted(subnets, key=lambda s: s["AvailabilityZone"])[0]["SubnetId"]]}}

    def register(command, health=None):
        container = {"name": "app", "image": image, "essential": True, "stopTimeout": 2,
                     "entryPoint": ["/bin/sh", "-c"], "command": [command]}
        if health:
            container["healthCheck"] = health
        return ecs.register_task_definition(
            family="deploy", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[container])["taskDefinition"]["taskDefinitionArn"]

    td_v1 = register("sleep 3600")
    # Never healthy while its start period lasts: the deployment stays IN_PROGRESS.
    td_stuck = register("sleep 3600", {"command": ["CMD-SHELL", "exit 1"], "interval": 30, "startPeriod": 120,
                                       "retries": 10, "timeout": 5})
    td_v2 = register("sleep 3599")

    def primary():
        return ecs.describe_services(cluster="default", services=["web"])["services"][0]["deployments"][0]

    def deployments(**kw):
        return ecs.list_service_deployments(cluster="default", service="web", **kw)["serviceDeployments"]

    def wait_status(arn, wanted, timeout=90):
        deadline = time.time() + timeout
        while time.time() < deadline:
            d = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
            if d["status"] in wanted:
                return d
            time.sleep(0.2)
        raise AssertionError(f"{arn} never became {wanted}: {d}")

    first = {}

    @checks.run
    def created_service_deployment_found_as_terraform_finds_it():
        operation_time = datetime.now(timezone.utc) - timedelta(seconds=1)
        ecs.create_service(cluster="default", serviceName="web", taskDefinition=td_v1, desiredCount=1,
                           launchType="FARGATE", networkConfiguration=network,
                           deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
        digits = primary()["id"].split("/")[1]
        found = [d for d in deployments(createdAt={"after": operation_time})
                 if d["targetServiceRevisionArn"].endswith("/" + digits)]
        assert len(found) == 1, deployments()
        assert found[0]["status"] in ("PENDING", "IN_PROGRESS", "SUCCESSFUL"), found
        assert found[0]["serviceDeploymentArn"].startswith(
            "arn:aws:ecs:us-east-1:000000000000:service-deployment/default/web/"), found
        d = wait_status(found[0]["serviceDeploymentArn"], {"SUCCESSFUL"})
        assert d["targetServiceRevision"]["runningTaskCount"] == 1, d
        assert d["finishedAt"] >= d["createdAt"] and d["sourceServiceRevisions"] == [], d
        assert d["deploymentCircuitBreaker"]["status"] == "MONITORING_COMPLETE", d
        rev = ecs.describe_service_revisions(serviceRevisionArns=[found[0]["targetServiceRevisionArn"]])
        assert rev["failures"] == [], rev
        rev = rev["serviceRevisions"][0]
        assert rev["taskDefinition"] == td_v1 and rev["launchType"] == "FARGATE", rev
        assert rev["containerImages"] == [{"containerName": "app", "image": image}], rev
        svc = ecs.describe_services(cluster="default", services=["web"])["services"][0]
        assert svc["currentServiceDeployment"] == d["serviceDeploymentArn"], svc
        first.update(d)

    @checks.run
    def stopped_deployment_rolls_back_to_the_previous_revision():
        ecs.update_service(cluster="default", service="web", taskDefinition=td_stuck)
        arn = deployments()[0]["serviceDeploymentArn"]
        assert arn != first["serviceDeploymentArn"]
        d = wait_status(arn, {"IN_PROGRESS"})
        assert [s["arn"] for s in d["sourceServiceRevisions"]] == [first["targetServiceRevision"]["arn"]], d
        assert ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")["serviceDeploymentArn"] == arn
        d = wait_status(arn, {"ROLLBACK_SUCCESSFUL"}, timeout=120)
        assert d["rollback"]["serviceRevisionArn"] == first["targetServiceRevision"]["arn"], d
        assert primary()["taskDefinition"] == td_v1, primary()
        expect_client_error(lambda: ecs.stop_service_deployment(serviceDeploymentArn=arn), "ConflictException")

    @checks.run
    def history_lists_every_deployment_newest_first():
        ecs.update_service(cluster="default", service="web", taskDefinition=td_v2)
        latest = deployments()[0]
        wait_status(latest["serviceDeploymentArn"], {"SUCCESSFUL"})
        statuses = [d["status"] for d in deployments()]
        assert statuses == ["SUCCESSFUL", "ROLLBACK_SUCCESSFUL", "SUCCESSFUL"], statuses
        assert [d["status"] for d in deployments(status=["ROLLBACK_SUCCESSFUL"])] == ["ROLLBACK_SUCCESSFUL"]
        page = ecs.list_service_deployments(cluster="default", service="web", maxResults=2)
        assert len(page["serviceDeployments"]) == 2 and page["nextToken"], page
        rest = ecs.list_service_deployments(cluster="default", service="web", nextToken=page["nextToken"])
        assert [d["status"] for d in rest["serviceDeployments"]] == ["SUCCESSFUL"], rest
        # The aws CLI reads the same.
        out = server.aws("ecs", "list-service-deployments", "--service", "web", cli=NEWEST_AWS)
        assert len(out["serviceDeployments"]) == 3, out

    @checks.run
    def api_errors_as_aws():
        expect_client_error(lambda: ecs.list_service_deployments(cluster="default", service="nope"),
                            "ServiceNotFoundException")
        expect_client_error(lambda: ecs.list_service_deployments(cluster="nope", service="web"),
                            "ClusterNotFoundException")
        latest = deployments()[0]["serviceDeploymentArn"]
        expect_client_error(lambda: ecs.stop_service_deployment(serviceDeploymentArn=latest, stopType="ABORT"),
                            "InvalidParameterException")
        expect_client_error(lambda: ecs.stop_service_deployment(serviceDeploymentArn=latest), "ConflictException")
        expect_client_error(lambda: ecs.stop_service_deployment(
            serviceDeploymentArn="arn:aws:ecs:us-east-1:000000000000:service-deployment/default/web/nope"),
            "ServiceDeploymentNotFoundException")
        missing = "arn:aws:ecs:us-east-1:000000000000:service-deployment/default/web/missing"
        out = ecs.describe_service_deployments(serviceDeploymentArns=[missing])
        assert out["serviceDeployments"] == [] and out["failures"] == [{"arn": missing, "reason": "MISSING"}], out
        expect_client_error(lambda: ecs.describe_service_revisions(serviceRevisionArns=[]),
                            "InvalidParameterException")

    def service_tasks():
        arns = ecs.list_tasks(cluster="default", serviceName="web", desiredStatus="RUNNING")["taskArns"]
        return ecs.describe_tasks(cluster="default", tasks=arns)["tasks"] if arns else []

    def wait_running(n, timeout=90):
        deadline = time.time() + timeout
        while time.time() < deadline:
            tasks = service_tasks()
            if len(tasks) == n and all(t["lastStatus"] == "RUNNING" for t in tasks):
                return tasks
            time.sleep(0.2)
        raise AssertionError(f"never {n} running tasks: {service_tasks()}")

    @checks.run
    def protected_tasks_survive_scale_in_until_unprotected():
        ecs.update_service(cluster="default", service="web", desiredCount=2)
        a, b = [t["taskArn"] for t in wait_running(2)]
        out = ecs.update_task_protection(cluster="default", tasks=[a, b], protectionEnabled=True, expiresInMinutes=5)
        assert out["failures"] == [] and len(out["protectedTasks"]) == 2, out
        expires = out["protectedTasks"][0]["expirationDate"].timestamp()
        assert 280 < expires - time.time() <= 301, out
        ecs.update_service(cluster="default", service="web", desiredCount=1)
        time.sleep(8)
        assert len(wait_running(2, timeout=1)) == 2, "a protected task was stopped by the scale-in"
        got = ecs.get_task_protection(cluster="default", tasks=[a])["protectedTasks"]
        assert got[0]["taskArn"] == a and got[0]["protectionEnabled"] is True, got
        out = ecs.update_task_protection(cluster="default", tasks=[b], protectionEnabled=False)
        assert out["protectedTasks"][0]["protectionEnabled"] is False, out
        assert [t["taskArn"] for t in wait_running(1, timeout=60)] == [a]
        missing = "arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef"
        out = ecs.get_task_protection(cluster="default", tasks=[missing])
        assert out["failures"] == [{"arn": missing, "reason": "MISSING"}], out
        expect_client_error(lambda: ecs.update_task_protection(cluster="default", tasks=[a], protectionEnabled=True,
                                                               expiresInMinutes=2881), "InvalidParameterException")
        ecs.update_task_protection(cluster="default", tasks=[a], protectionEnabled=False)

    @checks.run
    def custom_attributes_on_container_instances():
        arn = ecs.list_container_instances(cluster="default")["containerInstanceArns"][0]
        out = ecs.put_attributes(cluster="default", attributes=[{"name": "stack", "value": "prod", "targetId": arn}])
        assert out["attributes"] == [{"name": "stack", "value": "prod", "targetType": "container-instance",
                                      "targetId": arn}], out
        listed = ecs.list_attributes(cluster="default", targetType="container-instance", attributeName="stack")
        assert listed["attributes"] == out["attributes"], listed
        everything = ecs.list_attributes(cluster="default", targetType="container-instance")["attributes"]
        assert any(a["name"] == "ecs.os-type" for a in everything), everything
        ci = ecs.describe_container_instances(cluster="default", containerInstances=[arn])["containerInstances"][0]
        assert {"name": "stack", "value": "prod"} in ci["attributes"], ci["attributes"]
        expect_client_error(lambda: ecs.put_attributes(cluster="default", attributes=[
            {"name": "ecs.os-type", "value": "windows", "targetId": arn}]), "InvalidParameterException")
        expect_client_error(lambda: ecs.put_attributes(cluster="default", attributes=[
            {"name": "x", "value": "y", "targetId": arn.rsplit("/", 1)[0] + "/nope"}]), "TargetNotFoundException")
        ecs.delete_attributes(cluster="default", attributes=[{"name": "stack", "targetId": arn}])
        listed = ecs.list_attributes(cluster="default", targetType="container-instance", attributeName="stack")
        assert listed["attributes"] == [], listed

    @checks.run
    def host_left_clean():
        assert_host_left_clean(server, ecs, before)

checks.finish()
