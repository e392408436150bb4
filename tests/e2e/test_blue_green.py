#!/usr/bin/python3
"""ECS's native blue/green deployments (deploymentConfiguration.strategy BLUE_GREEN) with real
tasks behind a real ALB.

A FARGATE service answering v1 sits behind a production listener rule and a test listener rule
(a header condition), each forwarding to the primary target group (weight 100) and the alternate
one (weight 0). An update to v2 starts green in the alternate target group; paused by a PAUSE
lifecycle hook after the test traffic shift, the test rule answers v2 while production still
answers v1; ContinueServiceDeployment lets it shift production (curl then sees v2, without a
failed request), bake (0 min) and clean up: blue's tasks are gone, the deployment is
SUCCESSFUL with the lifecycle stages seen in order, and the rules forward to the other target
group now. A v3 paused the same way is rolled back (ContinueServiceDeployment ROLLBACK):
production answers v2 throughout, v3's tasks stop, ROLLBACK_SUCCESSFUL; a revision whose tasks exit
trips the circuit breaker and rolls back the same way, as does a deployment whose
advancedConfiguration.roleArn (the role ECS assumes as ecs.amazonaws.com) may not ModifyRule: the
service event gives IAM's AccessDenied for the role's session. Lambda hooks, a missing
advancedConfiguration or bake time, and an alternate target group the rule does not forward to
are refused; what Terraform sets round-trips through DescribeServices. The host is left clean.
"""
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import NEWEST_AWS, Checks, WharfServer, expect_client_error, run_on_newest_python  # noqa: E402

run_on_newest_python()  # ContinueServiceDeployment and the blue/green shapes are newer than Debian's botocore
from task_fixtures import assert_host_left_clean, load_balanced_http, prepare, push_to_wharf  # noqa: E402

checks = Checks()
before, layout = prepare("v1")

HTTPD = "httpd -f -p 8080 -h /www"
STAGES = ["RECONCILE_SERVICE", "PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
          "POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"]


def http_get(url, headers=None, timeout=2):
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read().decode().strip()


with WharfServer(agent=True) as server:
    image = push_to_wharf(server, layout, "v1", "app")
    ecs = server.boto3("ecs")
    elb = server.boto3("elbv2")
    subnets = server.aws("ec2", "describe-subnets", cli=NEWEST_AWS)["Subnets"]
    subnet = sorted(subnets, key=lambda s: s["AvailabilityZone"])[0]["SubnetId"]
    network = {"awsvpcConfiguration": {"subnets": [subnet]}}

    def register(version):
        command = f"echo {version} > /www/index.html && {HTTPD}"
        return ecs.register_task_definition(
            family="bg", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "web", "image": image, "essential": True, "stopTimeout": 2,
                                   "entryPoint": ["/bin/sh", "-c"], "command": [command],
                                   "portMappings": [{"containerPort": 8080}]}])["taskDefinition"]["taskDefinitionArn"]

    td = {v: register(v) for v in ("v1", "v2", "v3")}
    td["bad"] = ecs.register_task_definition(
        family="bg", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "web", "image": image, "essential": True, "entryPoint": ["/bin/sh", "-c"],
                               "command": ["exit 3"], "portMappings": [{"containerPort": 8080}]}]
    )["taskDefinition"]["taskDefinitionArn"]
    lb, blue_tg, port = load_balanced_http(elb, subnets, "bg", deregistration_delay=1)
    green_tg = elb.create_target_group(Name="bg-alt", Protocol="HTTP", Port=8080, VpcId=subnets[0]["VpcId"],
                                       TargetType="ip", HealthCheckPath="/index.html", HealthCheckIntervalSeconds=5,
                                       HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2,
                                       UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=green_tg, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "1"}])
    listener = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]["ListenerArn"]
    both = {"TargetGroups": [{"TargetGroupArn": blue_tg, "Weight": 100}, {"TargetGroupArn": green_tg, "Weight": 0}]}
    test_rule = elb.create_rule(ListenerArn=listener, Priority=5,
                                Conditions=[{"Field": "http-header", "HttpHeaderConfig": {
                                    "HttpHeaderName": "X-Test", "Values": ["1"]}}],
                                Actions=[{"Type": "forward", "ForwardConfig": both}])["Rules"][0]["RuleArn"]
    prod_rule = elb.create_rule(ListenerArn=listener, Priority=10,
                                Conditions=[{"Field": "path-pattern", "Values": ["/*"]}],
                                Actions=[{"Type": "forward", "ForwardConfig": both}])["Rules"][0]["RuleArn"]
    only_blue_rule = elb.create_rule(ListenerArn=listener, Priority=20,
                                     Conditions=[{"Field": "path-pattern", "Values": ["/only-blue"]}],
                                     Actions=[{"Type": "forward", "TargetGroupArn": blue_tg}])["Rules"][0]["RuleArn"]
    url = f"http://127.0.0.1:{port}/index.html"
    # The role ECS assumes (as ecs.amazonaws.com) to change the listener rules.
    iam = server.boto3("iam")
    role = iam.create_role(RoleName="ecsInfrastructureRoleForLoadBalancers", AssumeRolePolicyDocument=json.dumps(
        {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"},
                        "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]

    def allow_on_rules(actions):
        iam.put_role_policy(RoleName="ecsInfrastructureRoleForLoadBalancers", PolicyName="rules",
                            PolicyDocument=json.dumps({"Statement": [
                                {"Effect": "Allow", "Action": actions, "Resource": "*"}]}))

    allow_on_rules(["elasticloadbalancing:DescribeRules", "elasticloadbalancing:ModifyRule"])
    advanced = {"alternateTargetGroupArn": green_tg, "productionListenerRule": prod_rule,
                "testListenerRule": test_rule, "roleArn": role}
    pause = [{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]
    config = {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0, "lifecycleHooks": pause,
              "deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    load_balancers = [{"targetGroupArn": blue_tg, "containerName": "web", "containerPort": 8080,
                       "advancedConfiguration": advanced}]

    def describe():
        return ecs.describe_services(cluster="default", services=["bg"])["services"][0]

    def latest_deployment():
        arn = ecs.list_service_deployments(cluster="default", service="bg")["serviceDeployments"][0]["serviceDeploymentArn"]
        return ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]

    def follow(until, timeout=60):
        """Polls the latest service deployment until `until(d)`; returns it and the stages seen."""
        seen, deadline = [], time.time() + timeout
        while time.time() < deadline:
            d = latest_deployment()
            if d.get("lifecycleStage") and (not seen or seen[-1] != d["lifecycleStage"]):
                seen.append(d["lifecycleStage"])
            if until(d):
                return d, seen
            time.sleep(0.1)
        raise AssertionError(f"deployment never got there: {d} (stages {seen})")

    def awaiting_hook(d):
        return [h for h in d.get("lifecycleHookDetails", []) if h["status"] == "AWAITING_ACTION"]

    def forward_weights(rule_arn):
        rule = elb.describe_rules(RuleArns=[rule_arn])["Rules"][0]
        return {t["TargetGroupArn"]: t["Weight"] for t in rule["Actions"][0]["ForwardConfig"]["TargetGroups"]}

    def task_definitions_running():
        arns = ecs.list_tasks(cluster="default", serviceName="bg")["taskArns"]
        tasks = ecs.describe_tasks(cluster="default", tasks=arns)["tasks"] if arns else []
        return sorted(t["taskDefinitionArn"] for t in tasks if t["desiredStatus"] == "RUNNING")

    @checks.run
    def refused_configurations():
        base = dict(cluster="default", taskDefinition=td["v1"], desiredCount=1, launchType="FARGATE",
                    networkConfiguration=network)
        lambda_hook = [{"hookTargetArn": "arn:aws:lambda:us-east-1:000000000000:function:check",
                        "roleArn": role, "lifecycleStages": ["POST_SCALE_UP"]}]
        expect_client_error(lambda: ecs.create_service(serviceName="x", loadBalancers=load_balancers, **base,
                                                       deploymentConfiguration={**config, "lifecycleHooks": lambda_hook}),
                            "InvalidParameterException", "Lambda")
        expect_client_error(lambda: ecs.create_service(
            serviceName="x", **base, deploymentConfiguration=config,
            loadBalancers=[{k: v for k, v in load_balancers[0].items() if k != "advancedConfiguration"}]),
            "InvalidParameterException", "advancedConfiguration")
        expect_client_error(lambda: ecs.create_service(
            serviceName="x", **base, loadBalancers=load_balancers,
            deploymentConfiguration={k: v for k, v in config.items() if k != "bakeTimeInMinutes"}),
            "InvalidParameterException", "bakeTimeInMinutes")
        expect_client_error(lambda: ecs.create_service(
            serviceName="x", **base, deploymentConfiguration=config,
            loadBalancers=[{**load_balancers[0], "advancedConfiguration": {**advanced, "productionListenerRule": only_blue_rule}}]),
            "InvalidParameterException", "is not attached to it")
        expect_client_error(lambda: ecs.create_service(
            serviceName="x", **base, loadBalancers=load_balancers,
            deploymentConfiguration={**config, "strategy": "CANARY"}), "InvalidParameterException", "CANARY")
        assert ecs.list_services(cluster="default")["serviceArns"] == []

    @checks.run
    def v1_serves_production_and_terraform_fields_round_trip():
        ecs.create_service(cluster="default", serviceName="bg", taskDefinition=td["v1"], desiredCount=1,
                           launchType="FARGATE", networkConfiguration=network, loadBalancers=load_balancers,
                           deploymentConfiguration=config)
        follow(lambda d: d["status"] == "SUCCESSFUL")
        assert http_get(url) == (200, "v1")
        svc = describe()
        got = svc["deploymentConfiguration"]
        assert got["strategy"] == "BLUE_GREEN" and got["bakeTimeInMinutes"] == 0, got
        assert got["lifecycleHooks"] == pause, got
        assert svc["loadBalancers"] == load_balancers, svc["loadBalancers"]

    @checks.run
    def update_shifts_test_then_production_traffic_to_green():
        ecs.update_service(cluster="default", service="bg", taskDefinition=td["v2"])
        d, seen = follow(awaiting_hook)
        assert d["status"] == "IN_PROGRESS" and d["lifecycleStage"] == "POST_TEST_TRAFFIC_SHIFT", d
        # Paused after the test traffic shift: the test rule answers green, production blue.
        assert http_get(url, {"X-Test": "1"}) == (200, "v2")
        assert http_get(url) == (200, "v1")
        target = d["targetServiceRevision"]
        assert target["requestedTestTrafficWeight"] == 100 and target["requestedProductionTrafficWeight"] == 0, d
        assert d["sourceServiceRevisions"][0]["requestedProductionTrafficWeight"] == 100, d
        assert sorted(task_definitions_running()) == sorted([td["v1"], td["v2"]])
        revision = ecs.describe_service_revisions(serviceRevisionArns=[target["arn"]])["serviceRevisions"][0]
        assert revision["loadBalancers"] == load_balancers, revision
        assert revision["resolvedConfiguration"]["loadBalancers"] == [
            {"targetGroupArn": green_tg, "productionListenerRule": prod_rule}], revision

        answers, errors, stop = [], [], threading.Event()

        def production_loop():
            while not stop.is_set():
                try:
                    answers.append(http_get(url)[1])
                except (urllib.error.URLError, OSError) as e:
                    errors.append(repr(e))
                time.sleep(0.02)

        loop = threading.Thread(target=production_loop)
        loop.start()
        try:
            hook = awaiting_hook(d)[0]["hookId"]
            ecs.continue_service_deployment(serviceDeploymentArn=d["serviceDeploymentArn"], hookId=hook,
                                            action="CONTINUE")
            d, more = follow(lambda d: d["status"] == "SUCCESSFUL")
        finally:
            stop.set()
            loop.join()
        seen += [s for s in more if s != seen[-1]]
        assert not errors, errors[:5]
        assert "v2" in answers and answers[answers.index("v2"):].count("v1") == 0, answers
        assert seen == sorted(seen, key=STAGES.index), seen  # in ECS's order
        for stage in ("POST_TEST_TRAFFIC_SHIFT", "CLEAN_UP"):
            assert stage in seen, seen
        assert d["lifecycleStage"] == "CLEAN_UP", d
        assert http_get(url) == (200, "v2")
        # Blue is gone; the alternate target group is production's now, for the next deployment.
        deadline = time.time() + 20
        while time.time() < deadline and task_definitions_running() != [td["v2"]]:
            time.sleep(0.2)
        assert task_definitions_running() == [td["v2"]]
        assert forward_weights(prod_rule) == {blue_tg: 0, green_tg: 100}
        assert forward_weights(test_rule) == {blue_tg: 0, green_tg: 100}
        svc = describe()
        assert svc["loadBalancers"] == load_balancers, svc  # as given: the roles swap underneath
        assert len(svc["deployments"]) == 1 and svc["deployments"][0]["rolloutState"] == "COMPLETED", svc

    @checks.run
    def rollback_from_a_paused_hook_keeps_production_on_blue():
        ecs.update_service(cluster="default", service="bg", taskDefinition=td["v3"])
        d, _ = follow(awaiting_hook)
        assert http_get(url, {"X-Test": "1"}) == (200, "v3")
        assert http_get(url) == (200, "v2")
        # v3 went into the primary target group this time (v2's tasks are in the alternate).
        assert forward_weights(test_rule) == {blue_tg: 100, green_tg: 0}
        ecs.continue_service_deployment(serviceDeploymentArn=d["serviceDeploymentArn"],
                                        hookId=awaiting_hook(d)[0]["hookId"], action="ROLLBACK")
        d, _ = follow(lambda d: d["status"] in ("ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED", "STOPPED"))
        assert d["status"] == "ROLLBACK_SUCCESSFUL", d
        assert http_get(url) == (200, "v2") and http_get(url, {"X-Test": "1"}) == (200, "v2")
        deadline = time.time() + 20
        while time.time() < deadline and task_definitions_running() != [td["v2"]]:
            time.sleep(0.2)
        assert task_definitions_running() == [td["v2"]]
        assert describe()["taskDefinition"] == td["v2"]
        expect_client_error(lambda: ecs.continue_service_deployment(serviceDeploymentArn=d["serviceDeploymentArn"],
                                                                    hookId="nope"), "InvalidParameterException")

    @checks.run
    def failing_green_trips_the_circuit_breaker_and_production_stays_on_blue():
        ecs.update_service(cluster="default", service="bg", taskDefinition=td["bad"])
        answers = []
        deadline = time.time() + 60
        while time.time() < deadline:
            answers.append(http_get(url))
            d = latest_deployment()
            if d["status"] in ("ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED", "STOPPED"):
                break
            time.sleep(0.1)
        assert d["status"] == "ROLLBACK_SUCCESSFUL", d
        assert d["deploymentCircuitBreaker"]["status"] == "TRIGGERED" or d["rollback"], d
        assert set(answers) == {(200, "v2")}, set(answers)
        assert describe()["taskDefinition"] == td["v2"]
        assert task_definitions_running() == [td["v2"]]

    @checks.run
    def a_role_that_may_not_change_the_rules_fails_the_deployment():
        allow_on_rules(["elasticloadbalancing:DescribeRules"])  # reads the rules, cannot change them
        try:
            ecs.update_service(cluster="default", service="bg", taskDefinition=td["v3"])
            d, _ = follow(lambda d: d["status"] in ("ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED", "STOPPED"), timeout=30)
            assert d["status"] == "ROLLBACK_SUCCESSFUL", d
            denied = ("User: arn:aws:sts::000000000000:assumed-role/ecsInfrastructureRoleForLoadBalancers/"
                      "ECSNetworkingWithELB is not authorized to perform: elasticloadbalancing:ModifyRule")
            events = [e["message"] for e in describe()["events"]]
            assert any("deployment failed: " + denied in m for m in events), events[:5]
            assert http_get(url) == (200, "v2")
            assert describe()["taskDefinition"] == td["v2"]
            assert task_definitions_running() == [td["v2"]]
        finally:
            allow_on_rules(["elasticloadbalancing:DescribeRules", "elasticloadbalancing:ModifyRule"])

    @checks.run
    def host_left_clean():
        assert_host_left_clean(server, ecs, before)

checks.finish()
