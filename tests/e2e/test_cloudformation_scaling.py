#!/usr/bin/python3
"""CloudFormation with Application Auto Scaling (issue 18): a stack of an ECS cluster, a FARGATE
task definition of busybox httpd, a service of 1, an AWS::ApplicationAutoScaling::ScalableTarget
on its DesiredCount (with a scheduled action) and an AWS::ApplicationAutoScaling::ScalingPolicy
tracking ECSServiceAverageCPUUtilization. DescribeScalableTargets, DescribeScheduledActions,
DescribeScalingPolicies and CloudWatch's DescribeAlarms (the policy's AlarmHigh and AlarmLow)
show them; the Refs are AWS's (the target's "resource|dimension|namespace", the policy's ARN).
An update changes MaxCapacity, the target value and drops the scheduled action in place. Deleting
the stack leaves no target, policy, alarm, service or task, and the host as it was found.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import Checks, WharfServer  # noqa: E402
from task_fixtures import prepare, push_to_wharf, stop_services_and_tasks, wait_clean  # noqa: E402

checks = Checks()
before, layout = prepare("v1")
DIM = "ecs:service:DesiredCount"

TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Image: {Type: String}
  Subnet: {Type: AWS::EC2::Subnet::Id}
  MaxCapacity: {Type: Number, Default: 3}
  TargetValue: {Type: Number, Default: 50}
  WithSchedule: {Type: String, Default: 'yes'}
Conditions:
  Scheduled: !Equals [!Ref WithSchedule, 'yes']
Resources:
  Cluster:
    Type: AWS::ECS::Cluster
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Cpu: '256'
      Memory: '512'
      NetworkMode: awsvpc
      RequiresCompatibilities: [FARGATE]
      ContainerDefinitions:
        - Name: web
          Image: !Ref Image
          Essential: true
          StopTimeout: 2
          EntryPoint: [/bin/sh, -c]
          Command: ['httpd -f -p 8080 -h /www']
  Service:
    Type: AWS::ECS::Service
    Properties:
      Cluster: !Ref Cluster
      TaskDefinition: !Ref Task
      DesiredCount: 1
      LaunchType: FARGATE
      NetworkConfiguration:
        AwsvpcConfiguration: {Subnets: [!Ref Subnet]}
  Target:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      ServiceNamespace: ecs
      ScalableDimension: ecs:service:DesiredCount
      ResourceId: !Sub 'service/${Cluster}/${Service.Name}'
      MinCapacity: 1
      MaxCapacity: !Ref MaxCapacity
      ScheduledActions: !If
        - Scheduled
        - - ScheduledActionName: nightly
            Schedule: cron(0 3 * * ? *)
            Timezone: Europe/Paris
            EndTime: '2040-01-01T00:00:00Z'
            ScalableTargetAction: {MinCapacity: 1, MaxCapacity: 2}
        - !Ref AWS::NoValue
  Cpu:
    Type: AWS::ApplicationAutoScaling::ScalingPolicy
    Properties:
      PolicyName: cpu50
      PolicyType: TargetTrackingScaling
      ScalingTargetId: !Ref Target
      TargetTrackingScalingPolicyConfiguration:
        TargetValue: !Ref TargetValue
        ScaleInCooldown: 60
        ScaleOutCooldown: 30
        PredefinedMetricSpecification:
          PredefinedMetricType: ECSServiceAverageCPUUtilization
Outputs:
  TargetId: {Value: !Ref Target}
  TargetAttr: {Value: !GetAtt Target.Id}
  PolicyArn: {Value: !Ref Cpu}
  PolicyAttr: {Value: !GetAtt Cpu.Arn}
  ResourceId: {Value: !Sub 'service/${Cluster}/${Service.Name}'}
"""

with WharfServer(agent=True) as server:
    image = push_to_wharf(server, layout, "v1", "app")
    cfn = server.boto3("cloudformation")
    ecs = server.boto3("ecs")
    aas = server.boto3("application-autoscaling")
    cw = server.boto3("cloudwatch")
    subnet = sorted(server.boto3("ec2").describe_subnets()["Subnets"], key=lambda s: s["AvailabilityZone"])[0]["SubnetId"]
    state = {}

    def wait_status(wanted, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            s = cfn.describe_stacks(StackName="scaled")["Stacks"][0]
            if not s["StackStatus"].endswith("_IN_PROGRESS"):
                break
            time.sleep(0.2)
        assert s["StackStatus"] == wanted, s
        return s

    def params(**extra):
        values = {"Image": image, "Subnet": subnet, **extra}
        return [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in values.items()]

    def policy_alarms():
        return sorted(a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]
                      if a["AlarmName"].startswith("TargetTracking-service/"))

    def print_events():
        for e in reversed(cfn.describe_stack_events(StackName="scaled")["StackEvents"]):
            print(f"   | {e['LogicalResourceId']} {e['ResourceStatus']} {e.get('ResourceStatusReason', '')}", flush=True)

    checks.diagnostics.append(print_events)

    @checks.run
    def stack_makes_target_policy_and_alarms():
        cfn.create_stack(StackName="scaled", TemplateBody=TEMPLATE, Parameters=params())
        s = wait_status("CREATE_COMPLETE")
        out = {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}
        resource = out["ResourceId"]
        state["resource"] = resource
        assert out["TargetId"] == f"{resource}|{DIM}|ecs" == out["TargetAttr"], out
        assert out["PolicyArn"] == out["PolicyAttr"], out
        assert out["PolicyArn"].startswith("arn:aws:autoscaling:us-east-1:") and \
            out["PolicyArn"].endswith(f":resource/ecs/{resource}:policyName/cpu50"), out
        targets = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource])["ScalableTargets"]
        assert [(t["MinCapacity"], t["MaxCapacity"], t["ScalableDimension"]) for t in targets] == [(1, 3, DIM)], targets
        actions = aas.describe_scheduled_actions(ServiceNamespace="ecs", ResourceId=resource)["ScheduledActions"]
        assert [(a["ScheduledActionName"], a["Schedule"], a["Timezone"], a["ScalableTargetAction"]["MaxCapacity"])
                for a in actions] == [("nightly", "cron(0 3 * * ? *)", "Europe/Paris", 2)], actions
        assert actions[0]["EndTime"].year == 2040, actions
        policies = aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource)["ScalingPolicies"]
        assert [p["PolicyARN"] for p in policies] == [out["PolicyArn"]], policies
        config = policies[0]["TargetTrackingScalingPolicyConfiguration"]
        assert config["TargetValue"] == 50.0 and config["ScaleInCooldown"] == 60, config
        assert config["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"
        names = sorted(a["AlarmName"] for a in policies[0]["Alarms"])
        assert len(names) == 2 and names == policy_alarms(), (names, policy_alarms())
        assert any("AlarmHigh" in n for n in names) and any("AlarmLow" in n for n in names), names
        high = [a for a in cw.describe_alarms(AlarmNames=names)["MetricAlarms"] if "AlarmHigh" in a["AlarmName"]][0]
        assert high["MetricName"] == "CPUUtilization" and high["Threshold"] == 50.0, high
        state["alarms"] = names

    @checks.run
    def update_changes_capacity_policy_and_schedule_in_place():
        resource = state["resource"]
        cfn.update_stack(StackName="scaled", TemplateBody=TEMPLATE,
                         Parameters=params(MaxCapacity=4, TargetValue=60, WithSchedule="no"))
        wait_status("UPDATE_COMPLETE")
        targets = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource])["ScalableTargets"]
        assert [t["MaxCapacity"] for t in targets] == [4], targets
        assert aas.describe_scheduled_actions(ServiceNamespace="ecs", ResourceId=resource)["ScheduledActions"] == []
        policies = aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource)["ScalingPolicies"]
        assert [p["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] for p in policies] == [60.0], policies
        high = [a for a in cw.describe_alarms()["MetricAlarms"] if a["AlarmName"].startswith("TargetTracking-service/")
                and "AlarmHigh" in a["AlarmName"]]
        assert [a["Threshold"] for a in high] == [60.0], high

    @checks.run
    def delete_stack_leaves_nothing():
        resource = state["resource"]
        cfn.delete_stack(StackName="scaled")
        cfn.get_waiter("stack_delete_complete").wait(StackName="scaled", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        assert aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []
        assert aas.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"] == []
        assert aas.describe_scheduled_actions(ServiceNamespace="ecs")["ScheduledActions"] == []
        assert policy_alarms() == [], policy_alarms()
        cluster = resource.split("/")[1]
        assert ecs.describe_clusters(clusters=[cluster])["clusters"][0]["status"] == "INACTIVE"

    @checks.run
    def host_left_clean():
        try:
            if cfn.describe_stacks(StackName="scaled")["Stacks"][0]["StackStatus"] != "DELETE_COMPLETE":
                cfn.delete_stack(StackName="scaled")
                cfn.get_waiter("stack_delete_complete").wait(StackName="scaled", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        except Exception as e:  # noqa: BLE001 - gone already, or clean up the services below
            if "does not exist" not in str(e):
                print(f"   | delete: {e}", flush=True)
        for cluster in ecs.list_clusters()["clusterArns"]:
            stop_services_and_tasks(ecs, cluster)
        server.stop()
        leftovers = wait_clean(before)
        assert not leftovers, leftovers

checks.finish()
