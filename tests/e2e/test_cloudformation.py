#!/usr/bin/python3
"""CloudFormation stacks (issue 18 part 2), driven by `aws cloudformation deploy` and boto3.

Seed 001's deployment as one template (YAML, short-form tags): a cluster, a log group, a
FARGATE task definition of busybox httpd, a target group checking /alive, an application load
balancer with its listener on a free port, a service of 2 tasks behind it. `aws cloudformation
deploy` makes it through a change set and waits; the outputs give the listener's URL, and an
HTTP GET through the load balancer answers. DescribeStackEvents, DescribeStackResources and
ListStackResources tell what happened; a deploy of the same template has no changes. A change
of the image text updates the stack: the task definition is replaced and the service rolls to
it. ValidateTemplate answers the parameters and refuses a cycle and an unknown reference in
AWS's words. A stack with a failing resource rolls back (ROLLBACK_COMPLETE) and leaves nothing;
an unsupported resource type fails with a clear reason. delete-stack removes everything, and the
host is left as it was found.
"""
import os
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import NEWEST_AWS, Checks, WharfServer, expect_client_error, free_port  # noqa: E402
from task_fixtures import prepare, push_to_wharf, wait_clean  # noqa: E402

checks = Checks()
before, layout = prepare("v1")

TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Description: seed 001 - a Fargate service of 2 behind an application load balancer
Parameters:
  Image:
    Type: String
  ListenerPort:
    Type: Number
  Message:
    Type: String
    Default: hello v1
  Subnets:
    Type: List<AWS::EC2::Subnet::Id>
  VpcId:
    Type: AWS::EC2::VPC::Id
Resources:
  Cluster:
    Type: AWS::ECS::Cluster
    Properties:
      ClusterName: !Sub '${AWS::StackName}-cluster'
      Tags:
        - Key: Name
          Value: alba-digi-cluster
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub '/ecs/${AWS::StackName}'
      RetentionInDays: 7
  ExecutionRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Service: ecs-tasks.amazonaws.com}
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: !Sub '${AWS::StackName}-task'
      ExecutionRoleArn: !GetAtt ExecutionRole.Arn
      Cpu: '256'
      Memory: '512'
      NetworkMode: awsvpc
      RequiresCompatibilities: [FARGATE]
      ContainerDefinitions:
        - Name: api
          Image: !Ref Image
          Essential: true
          StopTimeout: 2
          EntryPoint: [/bin/sh, -c]
          Command:
            - !Sub 'echo ${Message} > /www/alive && httpd -f -p 5050 -h /www'
          PortMappings:
            - ContainerPort: 5050
              Protocol: tcp
          LogConfiguration:
            LogDriver: awslogs
            Options:
              awslogs-group: !Ref Logs
              awslogs-region: !Ref AWS::Region
              awslogs-stream-prefix: api
  TargetGroup:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      Protocol: HTTP
      Port: 5050
      TargetType: ip
      VpcId: !Ref VpcId
      HealthCheckPath: /alive
      HealthCheckIntervalSeconds: 5
      HealthCheckTimeoutSeconds: 2
      HealthyThresholdCount: 2
      TargetGroupAttributes:
        - Key: deregistration_delay.timeout_seconds
          Value: '2'
  LoadBalancer:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Scheme: internet-facing
      Subnets: !Ref Subnets
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref LoadBalancer
      Port: !Ref ListenerPort
      Protocol: HTTP
      DefaultActions:
        - Type: forward
          TargetGroupArn: !Ref TargetGroup
  Service:
    Type: AWS::ECS::Service
    DependsOn: Listener
    Properties:
      Cluster: !Ref Cluster
      TaskDefinition: !Ref Task
      DesiredCount: 2
      LaunchType: FARGATE
      NetworkConfiguration:
        AwsvpcConfiguration:
          Subnets: [!Select [0, !Ref Subnets]]
      LoadBalancers:
        - ContainerName: api
          ContainerPort: 5050
          TargetGroupArn: !Ref TargetGroup
Outputs:
  ClusterArn:
    Value: !GetAtt Cluster.Arn
  ListenerUrl:
    Description: the service through the load balancer
    Value: !Join ['', ['http://127.0.0.1:', !Ref ListenerPort, '/alive']]
    Export:
      Name: !Sub '${AWS::StackName}-url'
  LoadBalancerDns:
    Value: !GetAtt LoadBalancer.DNSName
"""

FAILING = """
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: cfn-rollback-logs
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: made, then rolled back
  Broken:
    Type: AWS::ECS::TaskDefinition
    DependsOn: [Logs, Group]
    Properties:
      ContainerDefinitions:
        - Name: x
          Image: busybox
          Memory: not-a-number
"""

UNSUPPORTED = """
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
  Bucket:
    Type: AWS::S3::Bucket
    DependsOn: Logs
"""


def http_get(url, timeout=2):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode()


def write(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    f.write(text)
    f.close()
    return f.name


with WharfServer(agent=True) as server:
    image = push_to_wharf(server, layout, "v1", "app")
    cfn = server.boto3("cloudformation")
    ecs = server.boto3("ecs")
    elb = server.boto3("elbv2")
    logs = server.boto3("logs")
    ec2 = server.boto3("ec2")
    subnets = sorted(ec2.describe_subnets()["Subnets"], key=lambda s: s["AvailabilityZone"])
    port = free_port()
    template = write(TEMPLATE)
    state = {}

    def deploy(path, stack, *overrides, check=True):
        args = ["cloudformation", "deploy", "--template-file", path, "--stack-name", stack,
                "--capabilities", "CAPABILITY_IAM"]
        if overrides:
            args += ["--parameter-overrides", *overrides]
        p = server.aws(*args, cli=NEWEST_AWS, check=False)
        if check and p.returncode != 0:
            raise AssertionError(f"deploy failed ({p.returncode}): {p.stdout} {p.stderr}")
        return p

    def seed_overrides(message="hello v1"):
        return (f"Image={image}", f"ListenerPort={port}", f"Message={message}",
                f"Subnets={subnets[0]['SubnetId']},{subnets[1]['SubnetId']}", f"VpcId={subnets[0]['VpcId']}")

    def stack(name):
        return cfn.describe_stacks(StackName=name)["Stacks"][0]

    def outputs(name):
        return {o["OutputKey"]: o["OutputValue"] for o in stack(name).get("Outputs", [])}

    def wait_status(name, wanted, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            s = stack(name)
            if not s["StackStatus"].endswith("_IN_PROGRESS"):
                break
            time.sleep(0.2)
        assert s["StackStatus"] == wanted, s
        return s

    def print_events():
        for name in ("seed", "rolls-back", "unsupported"):
            try:
                events = cfn.describe_stack_events(StackName=name)["StackEvents"]
            except Exception:  # noqa: BLE001 - the stack may not exist
                continue
            for e in reversed(events):
                print(f"   | {name} {e['LogicalResourceId']} {e['ResourceStatus']} {e.get('ResourceStatusReason', '')}",
                      flush=True)

    checks.diagnostics.append(print_events)

    @checks.run
    def validate_template_answers_parameters_and_refuses_bad_templates():
        out = cfn.validate_template(TemplateBody=TEMPLATE)
        assert [p["ParameterKey"] for p in out["Parameters"]] == ["Image", "ListenerPort", "Message", "Subnets",
                                                                  "VpcId"], out
        assert out["Description"].startswith("seed 001"), out
        cycle = ('{"Resources": {"A": {"Type": "AWS::Logs::LogGroup", "DependsOn": "B"},'
                 ' "B": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": {"Ref": "A"}}}}}')
        expect_client_error(lambda: cfn.validate_template(TemplateBody=cycle), "ValidationError",
                            "Circular dependency between resources: [A, B]")
        expect_client_error(lambda: cfn.validate_template(TemplateBody="Resources:\n  A:\n    Type: AWS::Logs::LogGroup\n"
                                                                       "    Properties:\n      X: !Ref Nowhere\n"),
                            "ValidationError", "Unresolved resource dependencies [Nowhere] in the Resources block")
        expect_client_error(lambda: cfn.describe_stacks(StackName="nope"), "ValidationError",
                            "Stack with id nope does not exist")

    @checks.run
    def deploy_makes_the_seed_001_stack_and_the_load_balancer_answers():
        started = time.time()
        p = deploy(template, "seed", *seed_overrides())
        state["deploy_seconds"] = time.time() - started
        assert "Successfully created/updated stack - seed" in p.stdout, p.stdout
        s = stack("seed")
        assert s["StackStatus"] == "CREATE_COMPLETE", s
        out = outputs("seed")
        assert out["ListenerUrl"] == f"http://127.0.0.1:{port}/alive", out
        assert out["ClusterArn"].endswith(":cluster/seed-cluster"), out
        assert out["LoadBalancerDns"].endswith(".elb.localhost"), out
        status, body = http_get(out["ListenerUrl"])
        assert status == 200 and body.strip() == "hello v1", (status, body)
        svc = ecs.describe_services(cluster="seed-cluster", services=[
            cfn.describe_stack_resource(StackName="seed", LogicalResourceId="Service")["StackResourceDetail"][
                "PhysicalResourceId"]])["services"][0]
        assert svc["runningCount"] == 2 and svc["launchType"] == "FARGATE", svc
        assert logs.describe_log_groups(logGroupNamePrefix="/ecs/seed")["logGroups"][0]["retentionInDays"] == 7
        exports = cfn.list_exports()["Exports"]
        assert [(e["Name"], e["Value"]) for e in exports] == [("seed-url", out["ListenerUrl"])], exports
        role = cfn.describe_stack_resource(StackName="seed", LogicalResourceId="ExecutionRole")["StackResourceDetail"]
        assert role["PhysicalResourceId"].startswith("seed-ExecutionRole-"), role
        print(f"   seed 001 stack: deploy to CREATE_COMPLETE in {state['deploy_seconds']:.1f} s", flush=True)

    @checks.run
    def events_and_resources_tell_what_happened():
        events = cfn.describe_stack_events(StackName="seed")["StackEvents"]
        first, last = events[-1], events[0]
        assert (first["LogicalResourceId"], first["ResourceStatus"]) == ("seed", "REVIEW_IN_PROGRESS"), first
        assert (last["LogicalResourceId"], last["ResourceStatus"]) == ("seed", "CREATE_COMPLETE"), last
        began = [e["Timestamp"] for e in events if e["LogicalResourceId"] == "seed" and e["ResourceStatus"] == "CREATE_IN_PROGRESS"][0]
        own = (last["Timestamp"] - began).total_seconds()
        print(f"   seed 001 stack: CREATE_IN_PROGRESS to CREATE_COMPLETE in {own:.1f} s by its events", flush=True)
        order = [e["LogicalResourceId"] for e in reversed(events) if e["ResourceStatus"] == "CREATE_COMPLETE"]
        assert order.index("LoadBalancer") < order.index("Listener") < order.index("Service"), order
        assert order.index("Task") < order.index("Service") and order.index("Logs") < order.index("Task"), order
        resources = cfn.describe_stack_resources(StackName="seed")["StackResources"]
        assert sorted(r["LogicalResourceId"] for r in resources) == sorted(
            ["Cluster", "Logs", "ExecutionRole", "Task", "TargetGroup", "LoadBalancer", "Listener", "Service"]), resources
        assert all(r["ResourceStatus"] == "CREATE_COMPLETE" for r in resources), resources
        summaries = cfn.list_stack_resources(StackName="seed")["StackResourceSummaries"]
        tg = [r for r in summaries if r["LogicalResourceId"] == "TargetGroup"][0]["PhysicalResourceId"]
        assert elb.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0]["HealthCheckPath"] == "/alive"
        assert "!Ref Image" in cfn.get_template(StackName="seed")["TemplateBody"]

    @checks.run
    def the_same_deploy_again_has_no_changes():
        p = deploy(template, "seed", *seed_overrides(), check=False)
        assert p.returncode != 0 and "No changes to deploy" in (p.stdout + p.stderr), (p.stdout, p.stderr)
        assert stack("seed")["StackStatus"] == "CREATE_COMPLETE"
        # The CLI names its change sets by the second and leaves the empty one (FAILED), as on
        # AWS: the next deploy must not start within the same second.
        time.sleep(1.1)

    @checks.run
    def an_update_replaces_the_task_definition_and_rolls_the_service():
        old_task = cfn.describe_stack_resource(StackName="seed", LogicalResourceId="Task")["StackResourceDetail"][
            "PhysicalResourceId"]
        deploy(template, "seed", *seed_overrides("hello v2"))
        s = stack("seed")
        assert s["StackStatus"] == "UPDATE_COMPLETE", s
        new_task = cfn.describe_stack_resource(StackName="seed", LogicalResourceId="Task")["StackResourceDetail"][
            "PhysicalResourceId"]
        assert new_task != old_task and new_task.endswith(":2"), (old_task, new_task)
        assert ecs.describe_task_definition(taskDefinition=old_task)["taskDefinition"]["status"] == "INACTIVE"
        bodies = {http_get(outputs("seed")["ListenerUrl"])[1].strip() for _ in range(6)}
        assert bodies == {"hello v2"}, bodies

    @checks.run
    def a_failing_resource_rolls_the_stack_back_leaving_nothing():
        cfn.create_stack(StackName="rolls-back", TemplateBody=FAILING)
        s = wait_status("rolls-back", "ROLLBACK_COMPLETE")
        assert s["StackStatusReason"].startswith("The following resource(s) failed to create: [Broken]"), s
        events = cfn.describe_stack_events(StackName="rolls-back")["StackEvents"]
        failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
        assert [e["LogicalResourceId"] for e in failed] == ["Broken"], failed
        assert "Memory" in failed[0]["ResourceStatusReason"], failed
        deleted = {e["LogicalResourceId"] for e in events if e["ResourceStatus"] == "DELETE_COMPLETE"}
        assert {"Logs", "Group"} <= deleted, events
        assert logs.describe_log_groups(logGroupNamePrefix="cfn-rollback")["logGroups"] == []
        assert not [g for g in ec2.describe_security_groups()["SecurityGroups"]
                    if g["GroupName"].startswith("rolls-back-")]
        cfn.delete_stack(StackName="rolls-back")
        cfn.get_waiter("stack_delete_complete").wait(StackName="rolls-back", WaiterConfig={"Delay": 1, "MaxAttempts": 30})

    @checks.run
    def an_unsupported_type_fails_with_a_clear_reason():
        cfn.create_stack(StackName="unsupported", TemplateBody=UNSUPPORTED)
        wait_status("unsupported", "ROLLBACK_COMPLETE")
        events = cfn.describe_stack_events(StackName="unsupported")["StackEvents"]
        failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"][0]
        assert failed["ResourceStatusReason"] == "Resource type AWS::S3::Bucket is not supported by wharf", failed
        expect_client_error(lambda: cfn.create_stack(StackName="unsupported", TemplateBody=UNSUPPORTED),
                            "AlreadyExistsException", "Stack [unsupported] already exists")
        cfn.delete_stack(StackName="unsupported")
        cfn.get_waiter("stack_delete_complete").wait(StackName="unsupported", WaiterConfig={"Delay": 1, "MaxAttempts": 30})

    @checks.run
    def delete_stack_removes_everything():
        stack_id = stack("seed")["StackId"]
        server.aws("cloudformation", "delete-stack", "--stack-name", "seed", cli=NEWEST_AWS)
        server.aws("cloudformation", "wait", "stack-delete-complete", "--stack-name", "seed", cli=NEWEST_AWS)
        assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
        expect_client_error(lambda: cfn.describe_stacks(StackName="seed"), "ValidationError",
                            "Stack with id seed does not exist")
        assert ecs.describe_clusters(clusters=["seed-cluster"])["clusters"][0]["status"] == "INACTIVE"
        assert elb.describe_load_balancers()["LoadBalancers"] == []
        assert elb.describe_target_groups()["TargetGroups"] == []
        assert logs.describe_log_groups(logGroupNamePrefix="/ecs/seed")["logGroups"] == []
        assert cfn.list_exports()["Exports"] == []
        listed = {s["StackName"]: s["StackStatus"] for s in cfn.list_stacks()["StackSummaries"]}
        assert listed == {"seed": "DELETE_COMPLETE", "rolls-back": "DELETE_COMPLETE",
                          "unsupported": "DELETE_COMPLETE"}, listed

    @checks.run
    def host_left_clean():
        # Whatever failed above: no stack, service or task is left when the server stops.
        for s in cfn.list_stacks()["StackSummaries"]:
            if s["StackStatus"] != "DELETE_COMPLETE":
                try:
                    cfn.delete_stack(StackName=s["StackName"])
                    cfn.get_waiter("stack_delete_complete").wait(StackName=s["StackName"],
                                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 120})
                except Exception as e:  # noqa: BLE001 - clean up what remains below
                    print(f"   | delete {s['StackName']}: {e}", flush=True)
        for cluster in ecs.list_clusters()["clusterArns"]:
            for arn in ecs.list_services(cluster=cluster)["serviceArns"]:
                ecs.delete_service(cluster=cluster, service=arn, force=True)
            for arn in ecs.list_tasks(cluster=cluster)["taskArns"]:
                ecs.stop_task(cluster=cluster, task=arn)
        deadline = time.time() + 30
        while time.time() < deadline and any(ecs.list_tasks(cluster=c)["taskArns"] for c in ecs.list_clusters()["clusterArns"]):
            time.sleep(0.2)
        server.stop()
        os.unlink(template)
        leftovers = wait_clean(before)
        assert not leftovers, leftovers

checks.finish()
