#!/usr/bin/python3
"""Seed 004's WordPress + MariaDB task on the EC2 launch type with bridge networking, deployed
as a CloudFormation stack (tests/e2e/data/seed004-wordpress-ec2.yaml) with `aws cloudformation
deploy`.

The stack makes the cluster, the two-container task definition of the seed's Anexo 2 (the
wordpress container linked to mariadb, its port 80 on a host port) and an EC2 service of one
task. The container instance is a wharf node outside the stack, as the seed's EC2 instance is:
`wharf agent --cluster <the stack's cluster>` (ECS_CLUSTER), started once the stack has made the
cluster; the service places its task when the instance registers. The stand-in wordpress serves
its page only after fetching from mariadb through the link, so a GET on the host port answering
with mariadb's text proves the containers talked. Deleting the stack while the instance is still
registered fails on the cluster (DELETE_FAILED, AWS's reason and events); once the instance is
gone (its agent stopped and deregistered, as terminating the EC2 instance does) the delete
completes and nothing is left: no cluster, the task definition inactive, the host as found.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import NEWEST_AWS, QUICK_WAITERS, Checks, WharfServer, free_port, wait_for  # noqa: E402
from registry_fixtures import on_exit, push_oci  # noqa: E402
from task_fixtures import AgentProcess, prepare, push_to_wharf, wait_clean  # noqa: E402

checks = Checks()
before, layout = prepare("v1")
TEMPLATE = os.path.join(os.path.dirname(__file__), "data", "seed004-wordpress-ec2.yaml")
STACK, CLUSTER = "wordpress", "wordpress-cluster"


def check(fn):
    """checks.run, printing how long the check took."""
    def timed():
        started = time.time()
        try:
            fn()
        finally:
            print(f"   {fn.__name__}: {time.time() - started:.1f} s", flush=True)
    timed.__name__ = fn.__name__
    return checks.run(timed)




def wordpress_page(outputs):
    """The stack's WordPress URL's page, None while nothing answers there."""
    try:
        with urllib.request.urlopen(outputs["WordPressURL"], timeout=2) as r:
            return r.read().decode()
    except OSError:
        return None


with WharfServer() as server:
    node_dir = tempfile.mkdtemp(prefix="wharf-e2e-node-")
    on_exit(lambda: subprocess.run(["rm", "-rf", node_dir]))
    mariadb = push_to_wharf(server, layout, "v1", "mariadb")
    wordpress = push_to_wharf(server, layout, "v1", "wordpress")
    cfn, ecs = server.boto3("cloudformation"), server.boto3("ecs")
    port = free_port()
    agent = AgentProcess(server, node_dir, "--cluster", CLUSTER)

    def stack():
        return cfn.describe_stacks(StackName=STACK)["Stacks"][0]

    def settled():
        s = stack()
        return s if not s["StackStatus"].endswith("_IN_PROGRESS") else None

    def print_events():
        try:
            for e in cfn.describe_stack_events(StackName=STACK)["StackEvents"]:
                print(f"  {e['LogicalResourceId']} {e['ResourceStatus']} {e.get('ResourceStatusReason', '')}")
        except Exception as e:  # noqa: BLE001 - the stack may be gone
            print(f"  no events: {e}")
    checks.diagnostics.append(print_events)

    def all_stopped():
        """Whether every task of the cluster has really stopped (not merely been told to)."""
        arns = ecs.list_tasks(cluster=CLUSTER)["taskArns"] + \
            ecs.list_tasks(cluster=CLUSTER, desiredStatus="STOPPED")["taskArns"]
        return all(t["lastStatus"] == "STOPPED" for t in ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]) \
            if arns else True

    def cleanup():
        # What a failed check left: the service's tasks stopped while the node still runs (an
        # agent stopped first would leave their containers running, as a node's do).
        if agent.proc is None or agent.proc.poll() is not None:
            return
        try:
            for arn in ecs.list_services(cluster=CLUSTER)["serviceArns"]:
                ecs.delete_service(cluster=CLUSTER, service=arn, force=True)
            for arn in ecs.list_tasks(cluster=CLUSTER)["taskArns"]:
                ecs.stop_task(cluster=CLUSTER, task=arn)
            wait_for(all_stopped, "tasks stopped", timeout=30)
        except Exception as e:  # noqa: BLE001 - cleanup must not hide the test's own result
            print(f"cleanup: {type(e).__name__}: {e}", file=sys.stderr)

    @check
    def deploy_runs_wordpress_reaching_mariadb_on_the_host_port():
        deploy = subprocess.Popen(
            [NEWEST_AWS, "--endpoint-url", server.endpoint, "--region", "us-east-1", "cloudformation", "deploy",
             "--template-file", TEMPLATE, "--stack-name", STACK, "--parameter-overrides",
             f"ClusterName={CLUSTER}", f"MariadbImage={mariadb}", f"WordpressImage={wordpress}", f"HostPort={port}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=server.env(PYTHONPATH=QUICK_WAITERS))
        on_exit(lambda: deploy.poll() is None and deploy.kill())
        # The EC2 instance boots once its cluster exists and joins it.
        wait_for(lambda: any(c["status"] == "ACTIVE" for c in ecs.describe_clusters(clusters=[CLUSTER])["clusters"]),
                 "the stack's cluster")
        agent.start()
        out, _ = deploy.communicate(timeout=50)
        assert deploy.returncode == 0, out
        s = stack()
        assert s["StackStatus"] == "CREATE_COMPLETE", s
        at = {e["ResourceStatus"]: e["Timestamp"] for e in cfn.describe_stack_events(StackName=STACK)["StackEvents"]
              if e["LogicalResourceId"] == STACK}
        print(f"   seed 004 stack: CREATE_IN_PROGRESS to CREATE_COMPLETE in "
              f"{(at['CREATE_COMPLETE'] - at['CREATE_IN_PROGRESS']).total_seconds():.1f} s by its events "
              "(the instance joined once the cluster existed; the CLI's waiter polls every second here)", flush=True)
        outputs = {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}
        assert outputs["WordPressURL"] == f"http://127.0.0.1:{port}/", outputs
        assert outputs["ServiceName"] == "wordpress-service", outputs

        svc = ecs.describe_services(cluster=CLUSTER, services=["wordpress-service"])["services"][0]
        assert svc["launchType"] == "EC2" and svc["runningCount"] == 1, svc
        task = ecs.describe_tasks(cluster=CLUSTER, tasks=ecs.list_tasks(cluster=CLUSTER)["taskArns"])["tasks"][0]
        instances = ecs.list_container_instances(cluster=CLUSTER)["containerInstanceArns"]
        assert task["launchType"] == "EC2" and task["containerInstanceArn"] == instances[0], (task, instances)
        td = ecs.describe_task_definition(taskDefinition=outputs["TaskDefinitionArn"])["taskDefinition"]
        assert td["networkMode"] == "bridge" and td["requiresCompatibilities"] == ["EC2"], td
        wp = [c for c in td["containerDefinitions"] if c["name"] == "wordpress"][0]
        assert wp["links"] == ["mariadb:mariadb"] and wp["portMappings"][0]["hostPort"] == port, wp
        bindings = {c["name"]: c.get("networkBindings", []) for c in task["containers"]}
        assert [b["hostPort"] for b in bindings["wordpress"]] == [port], bindings
        assert bindings["mariadb"] and bindings["mariadb"][0]["hostPort"] != 0, bindings  # an ephemeral port

        body = wait_for(lambda: wordpress_page(outputs), "wordpress answering on its host port", timeout=15)
        assert body.strip() == "wordpress connected to mariadb:3306: database wordpress for user wordpress", body

    @check
    def a_new_image_rolls_the_service():
        # The same bytes under a new tag: the task definition is replaced, the service rolls to it.
        password = subprocess.run([NEWEST_AWS, "--endpoint-url", server.endpoint, "--region", "us-east-1", "ecr",
                                   "get-login-password"], capture_output=True, text=True, env=server.env(),
                                  check=True).stdout.strip()
        push_oci(layout, "v1", f"127.0.0.1:{server.port}", "wordpress", "v2", creds=f"AWS:{password}")
        wordpress2 = wordpress.replace(":v1", ":v2")
        before = ecs.describe_services(cluster=CLUSTER, services=["wordpress-service"])["services"][0]
        # UpdateStack itself (`deploy` would poll only every 30 s): the new image, the rest as before.
        cfn.update_stack(StackName=STACK, UsePreviousTemplate=True, Parameters=[
            {"ParameterKey": "WordpressImage", "ParameterValue": wordpress2},
            {"ParameterKey": "MariadbImage", "UsePreviousValue": True},
            {"ParameterKey": "ClusterName", "UsePreviousValue": True},
            {"ParameterKey": "HostPort", "UsePreviousValue": True}])
        s = wait_for(settled, "the update", timeout=40)
        assert s["StackStatus"] == "UPDATE_COMPLETE", s
        svc = ecs.describe_services(cluster=CLUSTER, services=["wordpress-service"])["services"][0]
        assert svc["taskDefinition"] != before["taskDefinition"], svc
        assert svc["runningCount"] == 1 and len(svc["deployments"]) == 1, svc
        task = ecs.describe_tasks(cluster=CLUSTER, tasks=ecs.list_tasks(cluster=CLUSTER)["taskArns"])["tasks"][0]
        images = {c["name"]: c["image"] for c in task["containers"]}
        assert images == {"wordpress": wordpress2, "mariadb": mariadb}, images
        old = ecs.describe_task_definition(taskDefinition=before["taskDefinition"])["taskDefinition"]
        assert old["status"] == "INACTIVE", old["status"]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}

        body = wait_for(lambda: wordpress_page(outputs), "the new wordpress answering", timeout=15)
        assert "database wordpress" in body, body

    @check
    def delete_fails_on_the_cluster_while_its_instance_is_registered():
        cfn.delete_stack(StackName=STACK)
        s = wait_for(settled, "the delete to settle", timeout=40)
        assert s["StackStatus"] == "DELETE_FAILED", s
        events = cfn.describe_stack_events(StackName=STACK)["StackEvents"]
        failed = {e["LogicalResourceId"]: e.get("ResourceStatusReason", "")
                  for e in events if e["ResourceStatus"] == "DELETE_FAILED"}
        assert sorted(failed) == ["Cluster", STACK], failed
        assert "Container Instances are active or draining" in failed["Cluster"], failed
        assert failed[STACK] == "The following resource(s) failed to delete: [Cluster]. ", failed
        gone = {e["LogicalResourceId"] for e in events if e["ResourceStatus"] == "DELETE_COMPLETE"}
        assert gone == {"Service", "TaskDefinition"}, gone
        resources = {r["LogicalResourceId"]: r["ResourceStatus"]
                     for r in cfn.describe_stack_resources(StackName=STACK)["StackResources"]}
        assert resources == {"Cluster": "DELETE_FAILED", "Service": "DELETE_COMPLETE",
                             "TaskDefinition": "DELETE_COMPLETE"}, resources
        # The service was deleted once drained: its task has stopped, not merely been told to.
        stopped = ecs.list_tasks(cluster=CLUSTER, desiredStatus="STOPPED")["taskArns"]
        tasks = ecs.describe_tasks(cluster=CLUSTER, tasks=stopped)["tasks"] if stopped else []
        assert ecs.list_tasks(cluster=CLUSTER)["taskArns"] == [] and tasks, tasks
        assert all(t["lastStatus"] == "STOPPED" for t in tasks), [(t["taskArn"], t["lastStatus"]) for t in tasks]

    @check
    def delete_after_the_instance_is_gone_leaves_nothing():
        # Terminating the EC2 instance: its agent stops, the instance leaves the cluster.
        cleanup()
        agent.kill(signal.SIGTERM)
        for arn in ecs.list_container_instances(cluster=CLUSTER)["containerInstanceArns"]:
            ecs.deregister_container_instance(cluster=CLUSTER, containerInstance=arn, force=True)
        cfn.delete_stack(StackName=STACK)
        wait_for(lambda: not cfn.list_stacks(StackStatusFilter=["DELETE_IN_PROGRESS", "DELETE_FAILED"])
                 ["StackSummaries"], "the delete", timeout=30)
        summaries = cfn.list_stacks()["StackSummaries"]
        assert [x["StackStatus"] for x in summaries if x["StackName"] == STACK] == ["DELETE_COMPLETE"], summaries
        assert [c["status"] for c in ecs.describe_clusters(clusters=[CLUSTER])["clusters"]] in ([], ["INACTIVE"])
        assert ecs.list_task_definitions(familyPrefix="wordpress-task", status="ACTIVE")["taskDefinitionArns"] == []
        leftovers = wait_clean(before)
        assert not leftovers, leftovers

    cleanup()
    agent.kill(signal.SIGTERM)

checks.finish()
