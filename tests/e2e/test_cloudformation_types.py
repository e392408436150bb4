#!/usr/bin/python3
"""CloudFormation resource types of issue 18's leftovers, API only (no containers).

AWS::Logs::LogStream (Ref: the stream name; a new name replaces it) and AWS::Logs::MetricFilter
(Ref: the filter name; its pattern and transformation change in place) are made through
CloudWatch Logs itself and read back with its describe calls, the filter's Dimensions, DefaultValue
and Unit included; a filter whose pattern PutMetricFilter refuses fails the stack with the
message PutMetricFilter gives, and the stack rolls back leaving nothing. Names a Fn::ForEach made
with &{} inside Fn::Sub strings name the streams. ECS capacity providers: FARGATE and FARGATE_SPOT
are described as AWS does, a provider needing an Auto Scaling group or Managed Instances is
refused (the CloudFormation type fails with that reason), and
AWS::ECS::ClusterCapacityProviderAssociations sets and clears a cluster's providers.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import Checks, WharfServer, expect_client_error, run_on_newest_python  # noqa: E402
from stack_fixtures import settled_stack, stack_resource_ids  # noqa: E402

run_on_newest_python()  # DescribeCapacityProviders' cluster and managedInstancesProvider are newer than botocore 1.29
checks = Checks()

LOGS = """
Transform: AWS::LanguageExtensions
Parameters:
  StreamName: {Type: String, Default: first}
  Pattern: {Type: String, Default: '[ip, user, status=5*, size]'}
  Unit: {Type: String, Default: Count}
Resources:
  Group:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: /cfn/types}
  Stream:
    Type: AWS::Logs::LogStream
    Properties: {LogGroupName: !Ref Group, LogStreamName: !Ref StreamName}
  Unnamed:
    Type: AWS::Logs::LogStream
    Properties: {LogGroupName: !Ref Group}
  'Fn::ForEach::Hosts':
    - Host
    - ['web-1.local', 'db.2']
    - 'Host&{Host}':
        Type: AWS::Logs::LogStream
        Properties:
          LogGroupName: !Ref Group
          LogStreamName: !Sub 'host-&{Host}-${Host}'
  Filter:
    Type: AWS::Logs::MetricFilter
    Properties:
      FilterName: errors
      LogGroupName: !Ref Group
      FilterPattern: !Ref Pattern
      MetricTransformations:
        - MetricName: Errors
          MetricNamespace: Cfn/Types
          MetricValue: '1'
          Unit: !Ref Unit
          Dimensions: [{Key: Status, Value: $status}]
  Default:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: !Ref Group
      FilterPattern: ''
      MetricTransformations:
        - {MetricName: Lines, MetricNamespace: Cfn/Types, MetricValue: '1', DefaultValue: 0}
Outputs:
  StreamRef: {Value: !Ref Stream}
  FilterRef: {Value: !Ref Filter}
  DefaultRef: {Value: !Ref Default}
  HostRef: {Value: !Ref Hostweb1local}
"""

BAD_FILTER = """
Resources:
  Group:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: /cfn/bad}
  Stream:
    Type: AWS::Logs::LogStream
    Properties: {LogGroupName: !Ref Group, LogStreamName: s}
  Filter:
    Type: AWS::Logs::MetricFilter
    DependsOn: Stream
    Properties:
      LogGroupName: !Ref Group
      FilterPattern: '{ $.status = '
      MetricTransformations: [{MetricName: M, MetricNamespace: N, MetricValue: '1'}]
"""

CAPACITY = """
Parameters:
  Default: {Type: String, Default: FARGATE}
Resources:
  Cluster:
    Type: AWS::ECS::Cluster
    Properties: {ClusterName: cp-cluster}
  Associations:
    Type: AWS::ECS::ClusterCapacityProviderAssociations
    Properties:
      Cluster: !Ref Cluster
      CapacityProviders: [FARGATE, FARGATE_SPOT]
      DefaultCapacityProviderStrategy:
        - {CapacityProvider: !Ref Default, Base: 1, Weight: 1}
Outputs:
  AssociationsRef: {Value: !Ref Associations}
"""

ASG_PROVIDER = """
Resources:
  Provider:
    Type: AWS::ECS::CapacityProvider
    Properties:
      AutoScalingGroupProvider:
        AutoScalingGroupArn: arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:1:autoScalingGroupName/asg
        ManagedScaling: {Status: ENABLED, TargetCapacity: 100}
"""


with WharfServer() as server:
    cfn = server.boto3("cloudformation")
    logs = server.boto3("logs")
    ecs = server.boto3("ecs")

    def outputs(s):
        return {o["OutputKey"]: o["OutputValue"] for o in s.get("Outputs", [])}

    def failures(name):
        events = cfn.describe_stack_events(StackName=name)["StackEvents"]
        return {e["LogicalResourceId"]: e.get("ResourceStatusReason", "") for e in events
                if e["ResourceStatus"] == "CREATE_FAILED"}

    def streams(group):
        return sorted(s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"])

    def filters(group):
        return {f["filterName"]: f for f in logs.describe_metric_filters(logGroupName=group)["metricFilters"]}

    def print_events():
        for name in ("logs", "bad", "capacity", "asg"):
            try:
                events = cfn.describe_stack_events(StackName=name)["StackEvents"]
            except Exception:  # noqa: BLE001 - the stack may not exist
                continue
            for e in reversed(events):
                print(f"   | {name} {e['LogicalResourceId']} {e['ResourceStatus']} "
                      f"{e.get('ResourceStatusReason', '')}", flush=True)

    checks.diagnostics.append(print_events)

    @checks.run
    def log_streams_and_metric_filters():
        cfn.create_stack(StackName="logs", TemplateBody=LOGS, Capabilities=["CAPABILITY_AUTO_EXPAND"])
        s = settled_stack(cfn, "logs")
        assert s["StackStatus"] == "CREATE_COMPLETE", s
        ids = stack_resource_ids(cfn, "logs")
        out = outputs(s)
        assert out["StreamRef"] == "first" and out["FilterRef"] == "errors", out
        assert out["HostRef"] == "host-web1local-web-1.local", out
        assert ids["Unnamed"].startswith("logs-Unnamed-"), ids
        assert out["DefaultRef"] == ids["Default"] and ids["Default"].startswith("logs-Default-"), ids
        assert streams("/cfn/types") == sorted(["first", ids["Unnamed"], "host-web1local-web-1.local",
                                                "host-db2-db.2"]), streams("/cfn/types")
        f = filters("/cfn/types")
        assert set(f) == {"errors", ids["Default"]}, f
        assert f["errors"]["filterPattern"] == "[ip, user, status=5*, size]", f
        assert f["errors"]["metricTransformations"] == [{
            "metricName": "Errors", "metricNamespace": "Cfn/Types", "metricValue": "1", "unit": "Count",
            "dimensions": {"Status": "$status"}}], f["errors"]
        assert f[ids["Default"]]["metricTransformations"][0]["defaultValue"] == 0.0, f

        # The pattern and unit change in place (the same filter); a new stream name replaces.
        cfn.update_stack(StackName="logs", UsePreviousTemplate=True, Capabilities=["CAPABILITY_AUTO_EXPAND"],
                         Parameters=[{"ParameterKey": "StreamName", "ParameterValue": "second"},
                                     {"ParameterKey": "Pattern", "ParameterValue": "ERROR"},
                                     {"ParameterKey": "Unit", "ParameterValue": "Seconds"}])
        s = settled_stack(cfn, "logs")
        assert s["StackStatus"] == "UPDATE_COMPLETE", s
        assert outputs(s)["StreamRef"] == "second", outputs(s)
        names = streams("/cfn/types")
        assert "second" in names and "first" not in names, names
        f = filters("/cfn/types")
        assert f["errors"]["filterPattern"] == "ERROR", f
        assert f["errors"]["metricTransformations"][0]["unit"] == "Seconds", f
        events = cfn.describe_stack_events(StackName="logs")["StackEvents"]
        updated = {e["LogicalResourceId"] for e in events if e["ResourceStatus"] == "UPDATE_COMPLETE"}
        assert {"Filter", "Stream"} <= updated, updated

        cfn.delete_stack(StackName="logs")
        cfn.get_waiter("stack_delete_complete").wait(StackName="logs", WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        expect_client_error(lambda: logs.describe_metric_filters(logGroupName="/cfn/types"),
                            "ResourceNotFoundException")
        assert logs.describe_log_groups(logGroupNamePrefix="/cfn/")["logGroups"] == []

    @checks.run
    def a_bad_pattern_fails_with_the_apis_message():
        logs.create_log_group(logGroupName="/direct")
        refused = expect_client_error(lambda: logs.put_metric_filter(
            logGroupName="/direct", filterName="f", filterPattern="{ $.status = ",
            metricTransformations=[{"metricName": "M", "metricNamespace": "N", "metricValue": "1"}]),
            "InvalidParameterException")
        message = refused.response["Error"]["Message"]
        logs.delete_log_group(logGroupName="/direct")
        cfn.create_stack(StackName="bad", TemplateBody=BAD_FILTER)
        s = settled_stack(cfn, "bad")
        assert s["StackStatus"] == "ROLLBACK_COMPLETE", s
        reason = failures("bad").get("Filter", "")
        assert message in reason, (message, reason)
        assert logs.describe_log_groups(logGroupNamePrefix="/cfn/bad")["logGroups"] == []
        cfn.delete_stack(StackName="bad")
        cfn.get_waiter("stack_delete_complete").wait(StackName="bad", WaiterConfig={"Delay": 1, "MaxAttempts": 30})

    @checks.run
    def capacity_providers_as_far_as_ecs_has_them():
        arn = "arn:aws:ecs:" + ecs.meta.region_name + ":" + server.boto3("sts").get_caller_identity()["Account"] + \
            ":capacity-provider/"
        described = ecs.describe_capacity_providers(include=["TAGS"])
        assert described["capacityProviders"] == [
            {"capacityProviderArn": arn + "FARGATE", "name": "FARGATE", "status": "ACTIVE", "tags": []},
            {"capacityProviderArn": arn + "FARGATE_SPOT", "name": "FARGATE_SPOT", "status": "ACTIVE", "tags": []},
        ], described
        page = ecs.describe_capacity_providers(maxResults=1)
        assert [p["name"] for p in page["capacityProviders"]] == ["FARGATE"] and "nextToken" in page, page
        rest = ecs.describe_capacity_providers(maxResults=1, nextToken=page["nextToken"])
        assert [p["name"] for p in rest["capacityProviders"]] == ["FARGATE_SPOT"] and "nextToken" not in rest, rest
        some = ecs.describe_capacity_providers(capacityProviders=[arn + "FARGATE_SPOT", "mine"])
        assert [p["name"] for p in some["capacityProviders"]] == ["FARGATE_SPOT"], some
        assert some["failures"] == [{"arn": arn + "mine", "reason": "MISSING"}], some
        expect_client_error(lambda: ecs.create_capacity_provider(name="asg", autoScalingGroupProvider={
            "autoScalingGroupArn": "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:1:"
                                   "autoScalingGroupName/asg"}),
            "UnsupportedFeatureException", "wharf has no EC2 Auto Scaling groups")
        expect_client_error(lambda: ecs.create_capacity_provider(name="managed", managedInstancesProvider={
            "infrastructureRoleArn": "arn:aws:iam::000000000000:role/infra",
            "instanceLaunchTemplate": {"ec2InstanceProfileArn": "arn:aws:iam::000000000000:instance-profile/p",
                                       "networkConfiguration": {"subnets": ["subnet-1"]}}}),
            "UnsupportedFeatureException", "wharf has no ECS Managed Instances")
        expect_client_error(lambda: ecs.create_capacity_provider(name="fargate-mine", autoScalingGroupProvider={
            "autoScalingGroupArn": "x"}), "ClientException", "can't be prefixed")
        expect_client_error(lambda: ecs.delete_capacity_provider(capacityProvider="FARGATE"), "ClientException",
                            "cannot be updated or deleted")
        expect_client_error(lambda: ecs.delete_capacity_provider(capacityProvider="mine"), "ClientException",
                            "does not exist")

        cfn.create_stack(StackName="capacity", TemplateBody=CAPACITY)
        s = settled_stack(cfn, "capacity")
        assert s["StackStatus"] == "CREATE_COMPLETE", s
        assert outputs(s)["AssociationsRef"] == "cp-cluster", outputs(s)
        cluster = ecs.describe_clusters(clusters=["cp-cluster"])["clusters"][0]
        assert cluster["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"], cluster
        assert cluster["defaultCapacityProviderStrategy"] == [
            {"capacityProvider": "FARGATE", "base": 1, "weight": 1}], cluster
        in_cluster = ecs.describe_capacity_providers(cluster="cp-cluster")["capacityProviders"]
        assert [p["name"] for p in in_cluster] == ["FARGATE", "FARGATE_SPOT"], in_cluster
        cfn.update_stack(StackName="capacity", UsePreviousTemplate=True,
                         Parameters=[{"ParameterKey": "Default", "ParameterValue": "FARGATE_SPOT"}])
        s = settled_stack(cfn, "capacity")
        assert s["StackStatus"] == "UPDATE_COMPLETE", s
        cluster = ecs.describe_clusters(clusters=["cp-cluster"])["clusters"][0]
        assert cluster["defaultCapacityProviderStrategy"][0]["capacityProvider"] == "FARGATE_SPOT", cluster
        cfn.delete_stack(StackName="capacity")
        cfn.get_waiter("stack_delete_complete").wait(StackName="capacity",
                                                     WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        assert ecs.describe_clusters(clusters=["cp-cluster"])["clusters"][0]["status"] == "INACTIVE"

        # A provider wharf cannot back fails the stack with ECS's reason.
        cfn.create_stack(StackName="asg", TemplateBody=ASG_PROVIDER)
        s = settled_stack(cfn, "asg")
        assert s["StackStatus"] == "ROLLBACK_COMPLETE", s
        assert "wharf has no EC2 Auto Scaling groups" in failures("asg").get("Provider", ""), failures("asg")
        cfn.delete_stack(StackName="asg")
        cfn.get_waiter("stack_delete_complete").wait(StackName="asg", WaiterConfig={"Delay": 1, "MaxAttempts": 30})

checks.finish()
