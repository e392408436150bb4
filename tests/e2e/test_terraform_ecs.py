#!/usr/bin/python3
"""Terraform's AWS provider deploys seed 000's ECS modules and seed 002's secrets on wharf,
replayed call for call (tests/iac/tf_replay.py follows terraform-provider-aws's source).

Apply, in the provider's dependency order: ECR repository and lifecycle policy (the test image
pushed to it), the task execution role and its policy attachment, the cluster, the log group,
the task definition (awslogs to that group), an ALB with two ip target groups, a listener and
two listener rules (one with a priority, one at the next free priority), a Fargate service of 1
behind the first target group waited on as wait_for_steady_state does (ListServiceDeployments
createdAt.after, DescribeServiceDeployments until SUCCESSFUL), and seed 002's Secrets Manager
secret and version. curl through the listener reaches the task. A refresh reads back what was
applied (no diff). A change: a new task definition revision (replacement: deregister, register)
rolled out by UpdateService and waited on, new retention, idle timeout, rule priority,
deregistration delay, scan on push, role and secret descriptions; refreshed without diff again.
A revision whose container exits trips the gateway's circuit breaker: the apply fails with the
deployment's reason and the service is back on its old revision (refresh: no diff).
Destroy in reverse order with the provider's waiters (service drained then INACTIVE, the ALB's
interfaces polled away, the secret until deleted); nothing is left, and the host is clean.
"""
import json
import os
import subprocess
import sys
import time


HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "iac"))
from wharf_harness import Checks, WharfServer, default_subnets, free_port, run_on_newest_python  # noqa: E402

# The provider calls APIs newer than Debian's botocore knows (ListServiceDeployments,
# CreateLogGroup's logGroupClass).
run_on_newest_python()
from registry_fixtures import ReferenceRegistry, on_exit, push_oci  # noqa: E402
from task_fixtures import ECR_HOST, prepare, wait_clean  # noqa: E402
import tf_replay as tf  # noqa: E402

checks = Checks()
before, layout = prepare("v1")

LIFECYCLE = {"rules": [
    {"rulePriority": 1, "description": "Keep the deployed image", "selection": {
        "tagStatus": "tagged", "tagPrefixList": ["latest"], "countType": "imageCountMoreThan", "countNumber": 1},
     "action": {"type": "expire"}},
    {"rulePriority": 2, "description": "Keep only the last 2 images", "selection": {
        "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 2}, "action": {"type": "expire"}}]}
ASSUME = {"Version": "2012-10-17", "Statement": [{"Sid": "", "Effect": "Allow", "Action": "sts:AssumeRole",
                                                  "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]}
EXEC_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


def curl(url):
    """curl resolves *.localhost to loopback, as the DNSName needs."""
    p = subprocess.run(["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "5", url],
                       capture_output=True, text=True)
    body, _, status = p.stdout.rpartition("\n")
    return int(status or 0), body.strip()


with WharfServer(agent=True) as server:
    p = tf.Provider(server)
    ec2 = server.boto3("ec2")
    r = {name: cls(p) for name, cls in (
        ("repo", tf.EcrRepository), ("lifecycle", tf.EcrLifecyclePolicy), ("role", tf.IamRole),
        ("attachment", tf.IamRolePolicyAttachment), ("cluster", tf.EcsCluster), ("logs", tf.LogGroup),
        ("taskdef", tf.EcsTaskDefinition), ("lb", tf.LoadBalancer), ("tg_auth", tf.TargetGroup),
        ("tg_app", tf.TargetGroup), ("listener", tf.Listener), ("rule_auth", tf.ListenerRule),
        ("rule_app", tf.ListenerRule), ("service", tf.EcsService), ("secret", tf.Secret),
        ("secret_version", tf.SecretVersion), ("registry_policy", tf.IamRolePolicy),
        ("gw_taskdef", tf.EcsTaskDefinition), ("gw_service", tf.EcsService),
        ("bad_taskdef", tf.EcsTaskDefinition))}
    state, net = {}, {}
    listener_port = free_port()
    # The provider's dependency order (destroy is its reverse).
    order = ["repo", "lifecycle", "role", "attachment", "secret", "secret_version", "registry_policy", "cluster",
             "logs", "taskdef", "gw_taskdef", "lb", "tg_auth", "tg_app", "listener", "rule_auth", "rule_app",
             "bad_taskdef", "service", "gw_service"]
    # Seed 002's image is in a private registry (Docker Hub there) whose credentials a secret holds.
    registry = ReferenceRegistry(basic_user="puller").start()
    on_exit(registry.close)

    def task_definition_config(image, message, family="seed000-app", path="", credentials=None):
        container = {
            "name": "app", "image": image, "essential": True, "stopTimeout": 2, "entryPoint": ["/bin/sh", "-c"],
            "command": [f"mkdir -p /www{path}; echo {message} > /www{path}/index.html; echo started; "
                        "exec httpd -f -p 80 -h /www"],
            "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
            "environment": [{"name": "DB_PORT", "value": "3306"}],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": "/ecs/seed000", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "app"}}}
        if credentials:
            container["repositoryCredentials"] = {"credentialsParameter": credentials}
        return {"family": family, "cpu": "256", "memory": "512", "execution_role_arn": state["role"]["arn"],
                "container_definitions": [container]}

    def refresh_has_no_diff():
        diffs = {}
        for name in order:
            if name in state:
                got = r[name].read(state[name])
                d = tf.refresh_diff(state[name], got)
                if d:
                    diffs[name] = d
        assert not diffs, diffs

    @checks.run
    def network_for_the_stack():
        # The VPC part of seed 000 is test_terraform_vpc.py's; here the default VPC's subnets
        # in two zones and two security groups carry the stack.
        vpc = [v for v in ec2.describe_vpcs()["Vpcs"] if v["IsDefault"]][0]["VpcId"]
        subnets = default_subnets(ec2)
        net.update(vpc=vpc, subnets=[s["SubnetId"] for s in subnets[:2]])
        net["lb_sg"] = ec2.create_security_group(GroupName="seed000-lb", Description="lb", VpcId=vpc)["GroupId"]
        net["app_sg"] = ec2.create_security_group(GroupName="seed000-app", Description="app", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=net["app_sg"], IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": net["lb_sg"]}]}])

    @checks.run
    def apply_builds_the_stack():
        state["repo"] = r["repo"].create({"name": "seed000-app", "force_delete": True, "tags": {"Project": "seed000"}})
        state["lifecycle"] = r["lifecycle"].create({"repository": "seed000-app", "policy": json.dumps(LIFECYCLE)})
        password = server.boto3("ecr").get_authorization_token()["authorizationData"][0]["authorizationToken"]
        import base64
        push_oci(layout, "v1", f"127.0.0.1:{server.port}", "seed000-app", "latest",
                 creds=base64.b64decode(password).decode())
        state["role"] = r["role"].create({"name": "seed000-ecsTaskExecutionRole", "assume_role_policy": ASSUME})
        state["attachment"] = r["attachment"].create({"role": "seed000-ecsTaskExecutionRole",
                                                      "policy_arn": EXEC_POLICY})
        # Seed 002: the registry credentials (aws_secretsmanager_secret and _version, recovery
        # window left at its default of 30 days) and the execution role's inline policy to read them.
        push_oci(layout, "v1", registry.host, "private/gateway", "v1", creds=f"puller:{registry._password}")
        state["secret"] = r["secret"].create({"name": "seed002/dockerhub", "description": "Docker Hub credentials"})
        state["secret_version"] = r["secret_version"].create({
            "secret_id": state["secret"]["arn"],
            "secret_string": json.dumps({"username": "puller", "password": registry._password})})
        assert state["secret_version"]["version_stages"] == ["AWSCURRENT"], state["secret_version"]
        state["registry_policy"] = r["registry_policy"].create({
            "role": "seed000-ecsTaskExecutionRole", "name": "registry-credentials", "policy": {
                "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                                                        "Resource": state["secret"]["arn"]}]}})
        state["cluster"] = r["cluster"].create({"name": "seed000", "tags": {"Project": "seed000"}})
        state["logs"] = r["logs"].create({"name": "/ecs/seed000", "retention_in_days": 7})
        image = f"{ECR_HOST}/seed000-app:latest"
        state["taskdef"] = r["taskdef"].create(task_definition_config(image, "hello-v1"))
        state["gw_taskdef"] = r["gw_taskdef"].create(task_definition_config(
            f"{registry.host}/private/gateway:v1", "gateway", family="seed002-gateway", path="/auth",
            credentials=state["secret"]["arn"]))
        mark = p.mark()
        state["lb"] = r["lb"].create({"name": "seed000-lb", "security_groups": [net["lb_sg"]],
                                      "subnets": net["subnets"], "tags": {"Project": "seed000"}})
        # (repeated polls of a waiter counted once: provisioning lasts a moment, as on AWS)
        calls = [c for i, c in enumerate(p.since(mark)) if i == 0 or c != p.since(mark)[i - 1]]
        assert calls == ["elbv2:DescribeLoadBalancers", "elbv2:CreateLoadBalancer", "elbv2:DescribeLoadBalancers",
                         "elbv2:ModifyLoadBalancerAttributes", "elbv2:DescribeLoadBalancers",
                         "elbv2:DescribeLoadBalancerAttributes", "elbv2:DescribeCapacityReservation",
                         "elbv2:DescribeTags"], p.since(mark)
        hc = {"path": "/", "interval": 5, "timeout": 2, "healthy_threshold": 2, "unhealthy_threshold": 2}
        state["tg_auth"] = r["tg_auth"].create({"name": "seed000-auth", "port": 80, "vpc_id": net["vpc"],
                                                "health_check": hc, "deregistration_delay": 0})
        state["tg_app"] = r["tg_app"].create({"name": "seed000-app", "port": 80, "vpc_id": net["vpc"],
                                              "health_check": hc, "deregistration_delay": 0})
        state["listener"] = r["listener"].create({
            "load_balancer_arn": state["lb"]["arn"], "port": listener_port, "default_actions": [{
                "Type": "fixed-response", "FixedResponseConfig": {
                    "StatusCode": "404", "ContentType": "text/plain", "MessageBody": "no route"}}]})
        state["rule_auth"] = r["rule_auth"].create({
            "listener_arn": state["listener"]["arn"], "priority": 10,
            "actions": [{"Type": "forward", "TargetGroupArn": state["tg_auth"]["arn"]}],
            "conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/auth/*"]}}]})
        state["rule_app"] = r["rule_app"].create({  # no priority: the next free one
            "listener_arn": state["listener"]["arn"],
            "actions": [{"Type": "forward", "TargetGroupArn": state["tg_app"]["arn"]}],
            "conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}]})
        assert state["rule_app"]["priority"] == 11, state["rule_app"]
        mark = p.mark()
        state["service"] = r["service"].create({
            "cluster": "seed000", "name": "app", "task_definition": state["taskdef"]["arn"], "desired_count": 1,
            "subnets": [net["subnets"][0]], "security_groups": [net["app_sg"]],
            "health_check_grace_period_seconds": 0,
            "load_balancers": [{"targetGroupArn": state["tg_app"]["arn"], "containerName": "app",
                                "containerPort": 80}]})
        calls = p.since(mark)
        assert calls[0] == "ecs:CreateService", calls
        assert "ecs:ListServiceDeployments" in calls and calls[-2:] == [
            "ecs:DescribeServiceDeployments", "ecs:DescribeServices"], calls
        state["gw_service"] = r["gw_service"].create({
            "cluster": "seed000", "name": "gateway", "task_definition": state["gw_taskdef"]["arn"],
            "desired_count": 1, "subnets": [net["subnets"][1]], "security_groups": [net["app_sg"]],
            "deployment_circuit_breaker": {"enable": True, "rollback": True},
            "load_balancers": [{"targetGroupArn": state["tg_auth"]["arn"], "containerName": "app",
                                "containerPort": 80}]})

    @checks.run
    def the_service_answers_through_the_listener():
        dns = state["lb"]["dns_name"]
        deadline, got = time.time() + 60, None
        while time.time() < deadline:
            got = curl(f"http://{dns}:{listener_port}/")
            if got == (200, "hello-v1"):
                break
            time.sleep(0.2)
        assert got == (200, "hello-v1"), got
        deadline = time.time() + 60
        while time.time() < deadline and got != (200, "gateway"):
            got = curl(f"http://{dns}:{listener_port}/auth/")
            time.sleep(0.2)
        assert got == (200, "gateway"), got  # seed 002's image, pulled with the secret's credentials
        streams = server.boto3("logs").describe_log_streams(logGroupName="/ecs/seed000")["logStreams"]
        assert streams and streams[0]["logStreamName"].startswith("app/app/"), streams

    @checks.run
    def refresh_reads_back_what_was_applied():
        refresh_has_no_diff()
        assert state["repo"]["tags"] == {"Project": "seed000"} and state["logs"]["retention_in_days"] == 7
        assert state["lb"]["attributes"]["idle_timeout.timeout_seconds"] == "60", state["lb"]
        assert r["role"].read(state["role"])["managed_policy_arns"] == [EXEC_POLICY]
        assert state["service"]["desired_count"] == 1 and state["service"]["deployment_controller"] == "ECS"
        assert not getattr(r["lb"], "dropped_attributes", []), r["lb"].dropped_attributes

    @checks.run
    def a_resource_deleted_outside_is_dropped_by_refresh_and_made_again():
        # resourceGroupRead of an existing resource: NotFound removes it from the state (no
        # retry), and the next apply creates it again.
        server.boto3("logs").delete_log_group(logGroupName="/ecs/seed000")
        try:
            r["logs"].read(state["logs"])
            raise AssertionError("the deleted log group was read back")
        except tf.NotFound:
            pass
        state["logs"] = r["logs"].create({"name": "/ecs/seed000", "retention_in_days": 7})
        assert r["logs"].read(state["logs"]) == state["logs"]

    @checks.run
    def a_change_updates_in_place_and_replaces_the_task_definition():
        state["repo"] = r["repo"].update(state["repo"], {"scan_on_push": True})
        state["lifecycle"] = r["lifecycle"].update(state["lifecycle"], {"policy": json.dumps(
            {"rules": LIFECYCLE["rules"][1:]})})
        state["role"] = r["role"].update(state["role"], {"description": "ECS task execution"})
        state["cluster"] = r["cluster"].update(state["cluster"], {"container_insights": "enabled"})
        state["logs"] = r["logs"].update(state["logs"], {"retention_in_days": 14})
        state["lb"] = r["lb"].update(state["lb"], {"idle_timeout": 120})
        state["tg_app"] = r["tg_app"].update(state["tg_app"], {"deregistration_delay": 1})
        state["rule_auth"] = r["rule_auth"].update(state["rule_auth"], {"priority": 5})
        state["secret"] = r["secret"].update(state["secret"], {"description": "registry credentials"})
        # container_definitions forces a new revision: destroy (deregister), create, then the
        # service's in-place update to it.
        r["taskdef"].delete(state["taskdef"])
        state["taskdef"] = r["taskdef"].create(task_definition_config(f"{ECR_HOST}/seed000-app:latest", "hello-v2"))
        assert state["taskdef"]["revision"] == 2, state["taskdef"]
        mark = p.mark()
        state["service"] = r["service"].update(state["service"], {"task_definition": state["taskdef"]["arn"]})
        assert "ecs:DescribeServiceDeployments" in p.since(mark), p.since(mark)
        assert curl(f"http://{state['lb']['dns_name']}:{listener_port}/") == (200, "hello-v2")
        assert state["lb"]["attributes"]["idle_timeout.timeout_seconds"] == "120"
        assert state["rule_auth"]["priority"] == 5 and state["logs"]["retention_in_days"] == 14
        assert state["cluster"]["setting"] == {"containerInsights": "enabled"}, state["cluster"]
        assert state["repo"]["scan_on_push"] is True and state["role"]["description"] == "ECS task execution"
        refresh_has_no_diff()

    @checks.run
    def a_revision_that_fails_fails_the_apply_and_rolls_back():
        # The gateway has deployment_circuit_breaker { enable = true, rollback = true }: a revision
        # whose container exits trips it, the service deployment ends ROLLBACK_SUCCESSFUL, and
        # the provider's waiter fails the apply with the deployment's statusReason.
        bad = task_definition_config(f"{ECR_HOST}/seed000-app:latest", "broken", family="seed002-broken")
        bad["container_definitions"][0]["command"] = ["exit 1"]
        state["bad_taskdef"] = r["bad_taskdef"].create(bad)
        try:
            r["gw_service"].update(state["gw_service"], {"task_definition": state["bad_taskdef"]["arn"]})
            svc = server.boto3("ecs").describe_services(cluster=state["gw_service"]["cluster"],
                                                        services=[state["gw_service"]["id"]])["services"][0]
            raise AssertionError(f"the failing revision was applied: deployments {svc['deployments']}, "
                                 f"events {[e['message'] for e in svc['events'][:10]]}")
        except tf.DeploymentFailed as e:
            assert str(e), e
        # Rolled back: the gateway runs its old revision, which the state still names.
        refresh_has_no_diff()
        got = curl(f"http://{state['lb']['dns_name']}:{listener_port}/auth/")
        assert got == (200, "gateway"), got

    @checks.run
    def destroy_removes_it_all():
        failures, secret_arn = [], state["secret"]["arn"]
        if "service" not in state and getattr(r["service"], "created", None):
            state["service"] = r["service"].created  # created, never stable: tainted, destroyed too
        for name in reversed(order):
            if name in state:
                try:
                    mark = p.mark()
                    r[name].delete(state.pop(name))
                    if name == "lb":  # deleted, then its interfaces polled until none are left
                        calls = p.since(mark)
                        assert calls[0] == "elbv2:DeleteLoadBalancer" and set(calls[1:]) == {
                            "ec2:DescribeNetworkInterfaces"}, calls
                except Exception as e:  # the others are still destroyed
                    failures.append(f"{name}: {type(e).__name__}: {e}")
        for g in ("app_sg", "lb_sg"):
            if g in net:
                ec2.delete_security_group(GroupId=net.pop(g))
        assert not failures, failures
        ecs, elb = server.boto3("ecs"), server.boto3("elbv2")
        assert elb.describe_load_balancers()["LoadBalancers"] == []
        assert elb.describe_target_groups()["TargetGroups"] == []
        assert server.boto3("ecr").describe_repositories()["repositories"] == []
        assert server.boto3("logs").describe_log_groups(logGroupNamePrefix="/ecs/seed000")["logGroups"] == []
        sm = server.boto3("secretsmanager")
        assert sm.list_secrets()["SecretList"] == []  # scheduled for deletion (30 days): not listed
        assert "DeletedDate" in sm.describe_secret(SecretId=secret_arn), sm.describe_secret(SecretId=secret_arn)
        assert [c["status"] for c in ecs.describe_clusters(clusters=["seed000"])["clusters"]] in ([], ["INACTIVE"])
        assert ecs.list_task_definitions(familyPrefix="seed000-app", status="ACTIVE")["taskDefinitionArns"] == []
        assert ec2.describe_network_interfaces(Filters=[{"Name": "requester-id", "Values": ["amazon-elb"]}])[
            "NetworkInterfaces"] == []

    @checks.run
    def host_left_clean():
        server.stop()
        leftovers = wait_clean(before)
        assert not leftovers, leftovers

checks.finish()
