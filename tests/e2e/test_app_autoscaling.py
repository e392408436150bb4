#!/usr/bin/python3
"""Application Auto Scaling driving a real ECS service behind a real load balancer, with
CloudWatch's own alarms: busybox httpd on awsvpc FARGATE behind an ALB on loopback.

A target tracking policy on ALBRequestCountPerTarget (target 50) makes its AlarmHigh and
AlarmLow (seen in DescribeAlarms with AWS's names, thresholds and datapoints); a bounded load
through the listener scales the service out within the AlarmHigh's 3 periods, and once the
load falls to a trickle the AlarmLow's 15 periods scale it back in. The server runs with
1-second metric publication, alarm evaluation and target tracking periods (AWS: 60 s), so
the whole test takes about a minute. Then step scaling on an alarm set by SetAlarmState, a
scheduled action (at(...) in a time zone) raising min and max, the activities with AWS's
descriptions and causes, `aws cloudwatch get-metric-statistics` for the ALB's RequestCount,
CPU target tracking scaling out a service whose container is a busy loop, the alarm
history's Action items and Disable/EnableAlarmActions holding and releasing a policy,
tags, the API's errors, and that the host is left as it was found.
"""
import datetime
import http.client
import os
import sys
import threading
import time
import zoneinfo

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import NEWEST_AWS, Checks, WharfServer, expect_client_error, \
    run_on_newest_python  # noqa: E402

run_on_newest_python()  # GetPredictiveScalingForecast is newer than Debian's botocore
from task_fixtures import assert_host_left_clean, load_balanced_http, prepare, push_to_wharf  # noqa: E402

checks = Checks()
before, layout = prepare("v1")
UTC = datetime.timezone.utc
HTTPD = "httpd -f -p 8080 -h /www"
DIM = "ecs:service:DesiredCount"
RESOURCE = "service/default/web"


class Load:
    """Requests through the listener at about `rate` a second, on one kept-alive connection
    per thread, until stopped."""

    def __init__(self, port, rate, threads=2):
        self.port, self.rate, self.sent, self.failed = port, rate, 0, 0
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(rate / threads,), daemon=True) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def run(self, rate):
        conn = None
        next_at = time.time()
        while not self.stopping.is_set():
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/index.html")
                response = conn.getresponse()
                response.read()
                self.sent += 1
                self.failed += response.status != 200
            except (OSError, http.client.HTTPException):
                self.failed += 1
                conn = None
            next_at += 1.0 / rate
            time.sleep(max(0.0, next_at - time.time()))

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join()


with WharfServer("--metrics-interval", "1", "--alarm-evaluation-interval", "1", "--target-tracking-period", "1",
                 agent=True) as server:
    image = push_to_wharf(server, layout, "v1", "app")
    ecs = server.boto3("ecs")
    elb = server.boto3("elbv2")
    cw = server.boto3("cloudwatch")
    aas = server.boto3("application-autoscaling")
    subnets = server.aws("ec2", "describe-subnets", cli=NEWEST_AWS)["Subnets"]
    subnet = sorted(subnets, key=lambda s: s["AvailabilityZone"])[0]["SubnetId"]
    td = ecs.register_task_definition(
        family="web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "web", "image": image, "essential": True, "stopTimeout": 2,
                               "entryPoint": ["/bin/sh", "-c"], "command": [HTTPD],
                               "portMappings": [{"containerPort": 8080}]}])["taskDefinition"]["taskDefinitionArn"]
    lb, tg_arn, port = load_balanced_http(elb, subnets, "scaled", deregistration_delay=1)
    lb_dim = lb["LoadBalancerArn"].split(":loadbalancer/")[1]
    tg_dim = "targetgroup/" + tg_arn.split(":targetgroup/")[1]
    ecs.create_service(cluster="default", serviceName="web", taskDefinition=td, desiredCount=1, launchType="FARGATE",
                       networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet]}},
                       loadBalancers=[{"targetGroupArn": tg_arn, "containerName": "web", "containerPort": 8080}])
    started = datetime.datetime.now(UTC) - datetime.timedelta(minutes=1)

    def desired():
        return ecs.describe_services(cluster="default", services=["web"])["services"][0]["desiredCount"]

    def wait_for(what, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = what()
            if got:
                return got
            time.sleep(0.2)
        return what()

    def healthy():
        hs = elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
        return len([h for h in hs if h["TargetHealth"]["State"] == "healthy"])

    def activities():
        return aas.describe_scaling_activities(ServiceNamespace="ecs", ResourceId=RESOURCE)["ScalingActivities"]

    def print_state():
        print(f"   | desired {desired()} healthy {healthy()}", flush=True)
        for a in cw.describe_alarms()["MetricAlarms"]:
            print(f"   | alarm {a['AlarmName']} {a['StateValue']} {a['StateReason']}", flush=True)
        for a in activities()[:6]:
            print(f"   | activity {a['Description']} / {a['Cause']}", flush=True)

    checks.diagnostics.append(print_state)
    assert wait_for(lambda: healthy() == 1, 60), "the service's first task never became a healthy target"
    target_arn = aas.register_scalable_target(
        ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIM, MinCapacity=1, MaxCapacity=3,
        Tags={"team": "web"})["ScalableTargetARN"]
    policy = aas.put_scaling_policy(
        PolicyName="requests", ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIM,
        PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 50.0, "ScaleOutCooldown": 60, "ScaleInCooldown": 5,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ALBRequestCountPerTarget",
                                              "ResourceLabel": f"{lb_dim}/{tg_dim}"}})
    policy_arn = policy["PolicyARN"]

    @checks.run
    def target_tracking_makes_its_alarms():
        assert policy_arn.startswith("arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:"), policy_arn
        assert policy_arn.endswith(":resource/ecs/service/default/web:policyName/requests"), policy_arn
        names = [a["AlarmName"] for a in policy["Alarms"]]
        assert len(names) == 2 and names[0].startswith("TargetTracking-service/default/web-AlarmHigh-"), names
        assert names[1].startswith("TargetTracking-service/default/web-AlarmLow-"), names
        alarms = {a["AlarmName"]: a for a in cw.describe_alarms(AlarmNames=names)["MetricAlarms"]}
        high, low = alarms[names[0]], alarms[names[1]]
        for a in (high, low):
            assert a["Namespace"] == "AWS/ApplicationELB" and a["MetricName"] == "RequestCountPerTarget", a
            assert a["Dimensions"] == [{"Name": "TargetGroup", "Value": tg_dim}] and a["Statistic"] == "Sum", a
            assert a["AlarmActions"] == [policy_arn] and a["Period"] == 1, a
            assert a["AlarmDescription"].startswith("DO NOT EDIT OR DELETE. For TargetTrackingScaling policy "), a
        assert (high["Threshold"], high["EvaluationPeriods"], high["DatapointsToAlarm"]) == (50.0, 3, 3), high
        assert high["ComparisonOperator"] == "GreaterThanThreshold", high
        assert (low["Threshold"], low["EvaluationPeriods"], low["DatapointsToAlarm"]) == (45.0, 15, 15), low
        assert low["ComparisonOperator"] == "LessThanThreshold", low
        described = aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=RESOURCE)["ScalingPolicies"]
        assert [p["PolicyName"] for p in described] == ["requests"], described
        assert [a["AlarmName"] for a in described[0]["Alarms"]] == names, described
        target = aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
        assert [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in target] == [(RESOURCE, 1, 3)], target
        assert target[0]["ScalableTargetARN"] == target_arn and target[0]["SuspendedState"] == {
            "DynamicScalingInSuspended": False, "DynamicScalingOutSuspended": False,
            "ScheduledScalingSuspended": False}, target

    @checks.run
    def load_through_the_alb_scales_out_then_in():
        load = Load(port, 120)
        try:
            t0 = time.time()
            assert wait_for(lambda: desired() >= 2, 25), f"no scale-out after {load.sent} requests"
            print(f"     scaled out to {desired()} after {time.time() - t0:.1f}s of load", flush=True)
        finally:
            load.stop()
        out = activities()[0]
        assert out["Description"] in ("Setting desired count to 2.", "Setting desired count to 3."), out
        assert out["Cause"].startswith("monitor alarm TargetTracking-service/default/web-AlarmHigh-"), out
        assert out["Cause"].endswith(" in state ALARM triggered policy requests"), out
        assert out["StatusCode"] == "Successful" and "Change successfully fulfilled by ecs." in out["StatusMessage"], out
        wait_for(lambda: healthy() == desired(), 40)
        trickle = Load(port, 4, threads=1)
        try:
            t0 = time.time()
            assert wait_for(lambda: desired() == 1, 45), "no scale-in after the load fell"
            print(f"     scaled in after {time.time() - t0:.1f}s of trickle", flush=True)
        finally:
            trickle.stop()
        scaled_in = activities()[0]
        assert scaled_in["Description"] == "Setting desired count to 1.", scaled_in
        assert scaled_in["Cause"].startswith("monitor alarm TargetTracking-service/default/web-AlarmLow-"), scaled_in
        print(f"     {load.sent + trickle.sent} requests, {load.failed + trickle.failed} failed", flush=True)
        assert load.failed + trickle.failed <= (load.sent + trickle.sent) // 50, (load.failed, trickle.failed)

    @checks.run
    def get_metric_statistics_returns_the_albs_request_count():
        out = server.aws("cloudwatch", "get-metric-statistics", "--namespace", "AWS/ApplicationELB",
                         "--metric-name", "RequestCount", "--dimensions", f"Name=LoadBalancer,Value={lb_dim}",
                         "--start-time", started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "--end-time", (started + datetime.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "--period", "1800", "--statistics", "Sum", cli=NEWEST_AWS)
        assert len(out["Datapoints"]) == 1 and out["Datapoints"][0]["Sum"] >= 300, out

    @checks.run
    def step_scaling_on_an_alarm_set_by_hand():
        step = aas.put_scaling_policy(
            PolicyName="backlog", ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIM,
            PolicyType="StepScaling", StepScalingPolicyConfiguration={
                "AdjustmentType": "ChangeInCapacity", "Cooldown": 60, "MetricAggregationType": "Average",
                "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]})["PolicyARN"]
        # Without data an "ignore" alarm keeps the state SetAlarmState gives it.
        cw.put_metric_alarm(AlarmName="backlog-high", Namespace="Shop", MetricName="Backlog", Statistic="Average",
                            Period=60, EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanThreshold",
                            TreatMissingData="ignore", AlarmActions=[step])
        listed = aas.describe_scaling_policies(ServiceNamespace="ecs", PolicyNames=["backlog"])["ScalingPolicies"]
        assert [a["AlarmName"] for a in listed[0]["Alarms"]] == ["backlog-high"], listed
        before_count = desired()
        # With its actions disabled the alarm's ALARM does nothing.
        cw.disable_alarm_actions(AlarmNames=["backlog-high"])
        cw.set_alarm_state(AlarmName="backlog-high", StateValue="ALARM", StateReason="actions disabled")
        time.sleep(2.5)
        assert desired() == before_count, desired()
        cw.enable_alarm_actions(AlarmNames=["backlog-high"])
        assert wait_for(lambda: desired() == before_count + 1, 10), desired()
        # The alarm's history records the action it took.
        acted = cw.describe_alarm_history(AlarmName="backlog-high", HistoryItemType="Action")["AlarmHistoryItems"]
        assert [h["HistorySummary"] for h in acted] == [f"Successfully executed action {step}"], acted
        time.sleep(3)  # the cooldown holds while the alarm stays in ALARM
        assert desired() == before_count + 1, desired()
        cw.set_alarm_state(AlarmName="backlog-high", StateValue="OK", StateReason="done")
        latest = activities()[0]
        assert latest["Description"] == f"Setting desired count to {before_count + 1}.", latest
        assert latest["Cause"] == "monitor alarm backlog-high in state ALARM triggered policy backlog", latest

    @checks.run
    def cpu_target_tracking_scales_a_busy_service_out():
        burn_td = ecs.register_task_definition(
            family="burn", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "burn", "image": image, "essential": True, "stopTimeout": 2,
                                   "entryPoint": ["/bin/sh", "-c"], "command": ["while :; do :; done"]}],
        )["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(cluster="default", serviceName="burn", taskDefinition=burn_td, desiredCount=1,
                           launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet]}})
        burn = "service/default/burn"
        try:
            aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=burn, ScalableDimension=DIM,
                                         MinCapacity=1, MaxCapacity=2)
            cpu = aas.put_scaling_policy(
                PolicyName="cpu", ServiceNamespace="ecs", ResourceId=burn, ScalableDimension=DIM,
                PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration={
                    "TargetValue": 50.0, "ScaleOutCooldown": 60, "ScaleInCooldown": 60,
                    "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}})
            high = [a["AlarmName"] for a in cpu["Alarms"] if "AlarmHigh" in a["AlarmName"]][0]
            alarm = cw.describe_alarms(AlarmNames=[high])["MetricAlarms"][0]
            assert (alarm["Namespace"], alarm["MetricName"], alarm["Threshold"]) == \
                ("AWS/ECS", "CPUUtilization", 50.0), alarm

            def burn_count():
                return ecs.describe_services(cluster="default", services=["burn"])["services"][0]["desiredCount"]
            t0 = time.time()
            assert wait_for(lambda: burn_count() == 2, 40), (burn_count(), cw.describe_alarms(AlarmNames=[high]))
            print(f"     busy service scaled out to 2 {time.time() - t0:.1f}s after its policy was put", flush=True)
            latest = aas.describe_scaling_activities(ServiceNamespace="ecs", ResourceId=burn)["ScalingActivities"][0]
            assert latest["Description"] == "Setting desired count to 2." and high in latest["Cause"], latest
            stats = cw.get_metric_statistics(
                Namespace="AWS/ECS", MetricName="CPUUtilization", Statistics=["Average"], Period=60,
                Dimensions=[{"Name": "ClusterName", "Value": "default"}, {"Name": "ServiceName", "Value": "burn"}],
                StartTime=started, EndTime=datetime.datetime.now(UTC) + datetime.timedelta(minutes=1))["Datapoints"]
            assert stats and max(p["Average"] for p in stats) > 50, stats
        finally:
            ecs.delete_service(cluster="default", service="burn", force=True)
            for arn in ecs.list_tasks(cluster="default", serviceName="burn")["taskArns"]:
                ecs.stop_task(cluster="default", task=arn)
            aas.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=burn, ScalableDimension=DIM)

    @checks.run
    def scheduled_action_raises_min_and_max():
        paris = zoneinfo.ZoneInfo("Europe/Paris")
        when = (datetime.datetime.now(paris) + datetime.timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%S")
        aas.put_scheduled_action(ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIM,
                                 ScheduledActionName="grow", Schedule=f"at({when})", Timezone="Europe/Paris",
                                 ScalableTargetAction={"MinCapacity": 3, "MaxCapacity": 4})
        aas.put_scheduled_action(ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIM,
                                 ScheduledActionName="weekday-mornings", Schedule="cron(0 9 ? * MON-FRI *)",
                                 ScalableTargetAction={"MinCapacity": 2})
        listed = aas.describe_scheduled_actions(ServiceNamespace="ecs", ResourceId=RESOURCE)["ScheduledActions"]
        assert sorted(a["ScheduledActionName"] for a in listed) == ["grow", "weekday-mornings"], listed
        grow = [a for a in listed if a["ScheduledActionName"] == "grow"][0]
        assert grow["Schedule"] == f"at({when})" and grow["Timezone"] == "Europe/Paris", grow
        assert ":scheduledAction:" in grow["ScheduledActionARN"], grow

        def bounds():
            t = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[RESOURCE])["ScalableTargets"][0]
            return (t["MinCapacity"], t["MaxCapacity"])
        assert wait_for(lambda: bounds() == (3, 4), 15), bounds()
        assert wait_for(lambda: desired() == 3, 5), desired()
        texts = [(a["Description"], a["Cause"]) for a in activities()[:2]]
        assert ("Setting min capacity to 3 and max capacity to 4", "scheduled action name grow was triggered") in texts, texts
        assert ("Setting desired count to 3.", "minimum capacity was set to 3") in texts, texts
        aas.delete_scheduled_action(ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIM,
                                    ScheduledActionName="grow")
        expect_client_error(lambda: aas.delete_scheduled_action(
            ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIM, ScheduledActionName="grow"),
            "ObjectNotFoundException")

    @checks.run
    def tags_errors_and_deletion():
        assert aas.list_tags_for_resource(ResourceARN=target_arn)["Tags"] == {"team": "web"}
        aas.tag_resource(ResourceARN=target_arn, Tags={"env": "test"})
        aas.untag_resource(ResourceARN=target_arn, TagKeys=["team"])
        assert aas.list_tags_for_resource(ResourceARN=target_arn)["Tags"] == {"env": "test"}
        expect_client_error(lambda: aas.register_scalable_target(
            ServiceNamespace="dynamodb", ResourceId="table/t", ScalableDimension="dynamodb:table:ReadCapacityUnits",
            MinCapacity=1, MaxCapacity=2), "ValidationException")
        expect_client_error(lambda: aas.register_scalable_target(
            ServiceNamespace="ecs", ResourceId="service/default/nope", ScalableDimension=DIM, MinCapacity=1,
            MaxCapacity=2), "ValidationException")
        expect_client_error(lambda: aas.register_scalable_target(
            ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIM, MinCapacity=5, MaxCapacity=2),
            "ValidationException")
        expect_client_error(lambda: aas.put_scheduled_action(
            ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIM, ScheduledActionName="bad",
            Schedule="cron(0 9 * * * *)"), "ValidationException")
        expect_client_error(lambda: aas.get_predictive_scaling_forecast(
            ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIM, PolicyName="requests",
            StartTime=datetime.datetime.now(UTC), EndTime=datetime.datetime.now(UTC) + datetime.timedelta(hours=1)),
            "ValidationException", "Predictive scaling")
        alarm_names = [a["AlarmName"] for a in policy["Alarms"]]
        aas.delete_scaling_policy(PolicyName="requests", ServiceNamespace="ecs", ResourceId=RESOURCE,
                                  ScalableDimension=DIM)
        assert cw.describe_alarms(AlarmNames=alarm_names)["MetricAlarms"] == []
        expect_client_error(lambda: aas.delete_scaling_policy(
            PolicyName="requests", ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIM),
            "ObjectNotFoundException")
        aas.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIM)
        assert aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []
        assert aas.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"] == []
        assert aas.describe_scheduled_actions(ServiceNamespace="ecs")["ScheduledActions"] == []
        cw.delete_alarms(AlarmNames=["backlog-high"])

    @checks.run
    def host_left_clean():
        assert_host_left_clean(server, ecs, before)

checks.finish()
