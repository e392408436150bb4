#!/usr/bin/python3
"""Measures ECS blue/green deployments on wharf's local node (see bench/README.md):

  production shift   a FARGATE service of 2 busybox httpd tasks (BLUE_GREEN, bake time 0, no
                     hooks) behind a production listener rule forwarding to the primary (100)
                     and alternate (0) target groups (health check interval 5 s, threshold 2):
                     update-service to v2, a curl loop through production every ~5 ms and a
                     poll of the green target group's health every 50 ms. Figures: green healthy
                     (all targets healthy in the alternate group) -> production answers v2, and
                     the failed requests (errors, non-200) over the whole deployment.
  peer               the same ALB's own rule change, what a hand-made blue/green does: ModifyRule
                     on a second listener's rule, then the time until curl sees the new action.

Not a test: exits non-zero only when a measurement failed. Everything it makes is removed at the
end, also on an error. Run it alone (it refuses to start beside another wharf node).
"""
import argparse
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import BenchError, run_main  # noqa: E402
from task_bench import other_wharf_node  # noqa: E402
from wharf_harness import run_on_newest_python  # noqa: E402

run_on_newest_python()  # the blue/green shapes are newer than Debian's botocore

WEB = "trap 'exit 0' TERM; echo {text} > /www/index.html; httpd -f -p 8080 -h /www & wait"


def get(url, timeout=2):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode().strip()
    except urllib.error.HTTPError as e:
        return e.code, ""
    except (urllib.error.URLError, OSError) as e:
        return 0, repr(e)


class Loop(threading.Thread):
    """Calls `fn` every `period` seconds, recording (time, result), until stopped."""

    def __init__(self, fn, period):
        super().__init__(daemon=True)
        self.fn, self.period, self.out, self.stop = fn, period, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.out.append((time.time(), self.fn()))
            time.sleep(self.period)

    def finish(self):
        self.stop.set()
        self.join()
        return self.out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=2)
    args = parser.parse_args()
    if other_wharf_node():
        raise BenchError("another wharf node runs on this machine: run the benchmark alone")
    from registry_fixtures import install_signal_cleanup
    from task_fixtures import prepare, push_to_wharf, stop_services_and_tasks
    from wharf_harness import NEWEST_AWS, WharfServer, free_port
    install_signal_cleanup()
    _, layout = prepare("v1")
    server = WharfServer(agent=True).start()
    try:
        image = push_to_wharf(server, layout, "v1", "bench/web")
        ecs, elb = server.boto3("ecs"), server.boto3("elbv2")
        subnets = sorted(server.aws("ec2", "describe-subnets", cli=NEWEST_AWS)["Subnets"],
                         key=lambda s: s["AvailabilityZone"])
        lb = elb.create_load_balancer(Name="bench-bg", Subnets=[s["SubnetId"] for s in subnets[:2]])["LoadBalancers"][0]

        def target_group(name):
            arn = elb.create_target_group(Name=name, Protocol="HTTP", Port=8080, VpcId=subnets[0]["VpcId"],
                                          TargetType="ip", HealthCheckPath="/index.html", HealthCheckIntervalSeconds=5,
                                          HealthCheckTimeoutSeconds=2,
                                          HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
            elb.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
                {"Key": "deregistration_delay.timeout_seconds", "Value": "1"}])
            return arn

        blue, green = target_group("bench-blue"), target_group("bench-green")
        port, peer_port = free_port(), free_port()
        listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port,
                                       DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {
                                           "StatusCode": "404"}}])["Listeners"][0]["ListenerArn"]
        rule = elb.create_rule(ListenerArn=listener, Priority=1, Conditions=[{"Field": "path-pattern", "Values": ["/*"]}],
                               Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
                                   {"TargetGroupArn": blue, "Weight": 100},
                                   {"TargetGroupArn": green, "Weight": 0}]}}])["Rules"][0]["RuleArn"]

        def register(text):
            return ecs.register_task_definition(
                family="bench-bg", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
                containerDefinitions=[{"name": "web", "image": image, "essential": True, "stopTimeout": 2,
                                       "entryPoint": ["/bin/sh", "-c"], "command": [WEB.format(text=text)],
                                       "portMappings": [{"containerPort": 8080}]}])["taskDefinition"]["taskDefinitionArn"]

        # The role ECS assumes to change the rule (advancedConfiguration.roleArn).
        iam = server.boto3("iam")
        iam.create_role(RoleName="ecs-lb", AssumeRolePolicyDocument=json.dumps({"Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
        iam.put_role_policy(RoleName="ecs-lb", PolicyName="rules", PolicyDocument=json.dumps({"Statement": [
            {"Effect": "Allow", "Action": ["elasticloadbalancing:DescribeRules", "elasticloadbalancing:ModifyRule"],
             "Resource": "*"}]}))
        v1, v2 = register("v1"), register("v2")
        ecs.create_service(cluster="default", serviceName="bg", taskDefinition=v1, desiredCount=args.tasks,
                           launchType="FARGATE",
                           networkConfiguration={"awsvpcConfiguration": {"subnets": [subnets[0]["SubnetId"]]}},
                           loadBalancers=[{"targetGroupArn": blue, "containerName": "web", "containerPort": 8080,
                                           "advancedConfiguration": {
                                               "alternateTargetGroupArn": green, "productionListenerRule": rule,
                                               "roleArn": "arn:aws:iam::000000000000:role/ecs-lb"}}],
                           deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0})
        url = f"http://127.0.0.1:{port}/index.html"
        deadline = time.time() + 90
        while time.time() < deadline and get(url) != (200, "v1"):
            time.sleep(0.2)
        if get(url) != (200, "v1"):
            raise BenchError("v1 never answered through the load balancer")

        def green_healthy():
            hs = elb.describe_target_health(TargetGroupArn=green)["TargetHealthDescriptions"]
            return sum(h["TargetHealth"]["State"] == "healthy" for h in hs) >= args.tasks

        requests, health = Loop(lambda: get(url), 0.005), Loop(green_healthy, 0.05)
        requests.start()
        health.start()
        started = time.time()
        ecs.update_service(cluster="default", service="bg", taskDefinition=v2)
        deadline = time.time() + 120
        while time.time() < deadline:
            svc = ecs.describe_services(cluster="default", services=["bg"])["services"][0]
            if len(svc["deployments"]) == 1 and svc["deployments"][0]["rolloutState"] == "COMPLETED":
                break
            time.sleep(0.2)
        else:
            raise BenchError("the blue/green deployment did not complete in 120 s")
        done = time.time()
        answers, healthy = requests.finish(), health.finish()
        t_healthy = next((t for t, ok in healthy if ok), None)
        t_shift = next((t for t, (status, text) in answers if text == "v2"), None)
        if t_healthy is None or t_shift is None:
            raise BenchError(f"no green health ({t_healthy}) or no v2 answer ({t_shift})")
        failed = [(status, text) for _, (status, text) in answers if status != 200]
        back = [text for t, (status, text) in answers if t > t_shift and text == "v1"]

        # The peer: the ALB's own rule change, measured the same way.
        peer_listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=peer_port,
                                            DefaultActions=[{"Type": "forward", "TargetGroupArn": green}])
        peer_url = f"http://127.0.0.1:{peer_port}/index.html"
        while get(peer_url)[0] != 200:
            time.sleep(0.05)
        peer = Loop(lambda: get(peer_url), 0.005)
        peer.start()
        t0 = time.time()
        elb.modify_listener(ListenerArn=peer_listener["Listeners"][0]["ListenerArn"],
                            DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}])
        t_peer = None
        while time.time() < t0 + 10 and t_peer is None:
            t_peer = next((t for t, (status, _) in list(peer.out) if t > t0 and status == 503), None)
            time.sleep(0.01)
        peer.finish()

        print(f"blue/green deployment of {args.tasks} tasks (bake 0, no hooks): update -> COMPLETED {done - started:.2f} s")
        print(f"  update -> green healthy      {t_healthy - started:6.2f} s")
        print(f"  green healthy -> production answers v2  {t_shift - t_healthy:6.3f} s")
        print(f"  requests through production {len(answers)}, failed {len(failed)}, v1 after the shift {len(back)}")
        if t_peer is not None:
            print(f"peer: ModifyListener -> the ALB answers the new action  {t_peer - t0:6.3f} s")
            print(f"ratio (shift / peer): {(t_shift - t_healthy) / max(t_peer - t0, 1e-3):.1f}x")
        stop_services_and_tasks(ecs)
    finally:
        server.stop()


if __name__ == "__main__":
    run_main(main)
