#!/usr/bin/python3
"""Measures ECS services on wharf's local node (see bench/README.md):

  rolling update   a FARGATE service of 4 busybox httpd tasks behind a load balancer (ip target
                   group, health check interval 5 s, healthy threshold 2, deregistration delay 0,
                   rolling 100/200): update-service to a new revision, then the time until the
                   service is steady again (one deployment, COMPLETED, 4 running), beside the
                   floor the health check sets (interval x healthy threshold), and the phases:
                   new tasks RUNNING, new targets healthy, old tasks stopped.
  scale 0 -> 50    an EC2 bridge-mode service (dynamic host ports, instance targets, same health
                   check) scaled from 0 to 50: time to 50 RUNNING and to 50 healthy targets,
                   beside docker starting 50 of the same containers one after the other (Debian's
                   dockerd, private root; skipped with --no-docker or when docker.io is missing).

The containers stop at once on SIGTERM (a shell trap), so a stop is not a stopTimeout wait.
Not a test: exits non-zero only when a measurement failed, never because an aim was missed.
Everything it makes is removed when it ends, also on an error, Ctrl-C or SIGTERM. Run it alone:
it refuses to start beside another wharf node (they would share the node bridge).
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import BenchError, run_main  # noqa: E402
from task_bench import DockerBench, other_wharf_node  # noqa: E402

INTERVAL, THRESHOLD = 5, 2
WEB = "trap 'exit 0' TERM; echo {text} > /www/index.html; httpd -f -p 8080 -h /www & wait"


class ServiceBench:
    def __init__(self, layout):
        from wharf_harness import NEWEST_AWS, WharfServer, free_port
        from task_fixtures import push_to_wharf
        self.server = WharfServer(agent=True).start()
        self.image = push_to_wharf(self.server, layout, "v1", "bench/web")
        self.ecs, self.elb = self.server.boto3("ecs"), self.server.boto3("elbv2")
        subnets = self.server.aws("ec2", "describe-subnets", cli=NEWEST_AWS)["Subnets"]
        self.subnets = sorted(subnets, key=lambda s: s["AvailabilityZone"])
        self.lb = self.elb.create_load_balancer(
            Name="bench-lb", Subnets=[s["SubnetId"] for s in self.subnets[:2]])["LoadBalancers"][0]
        self.free_port = free_port

    def target_group(self, name, target_type):
        tg = self.elb.create_target_group(
            Name=name, Protocol="HTTP", Port=8080, VpcId=self.subnets[0]["VpcId"], TargetType=target_type,
            HealthCheckPath="/index.html", HealthCheckIntervalSeconds=INTERVAL, HealthCheckTimeoutSeconds=2,
            HealthyThresholdCount=THRESHOLD)["TargetGroups"][0]["TargetGroupArn"]
        self.elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": "0"}])
        self.elb.create_listener(LoadBalancerArn=self.lb["LoadBalancerArn"], Protocol="HTTP",
                                 Port=self.free_port(), DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        return tg

    def register(self, family, text, **kw):
        container = {"name": "web", "image": self.image, "essential": True, "stopTimeout": 2,
                     "entryPoint": ["/bin/sh", "-c"], "command": [WEB.format(text=text)],
                     "portMappings": [{"containerPort": 8080, **({"hostPort": 0} if "bridge" in family else {})}]}
        if "bridge" in family:
            container["memoryReservation"] = 16
            return self.ecs.register_task_definition(family=family, networkMode="bridge",
                                                     containerDefinitions=[container], **kw)
        return self.ecs.register_task_definition(
            family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[container], **kw)

    def service(self, name):
        return self.ecs.describe_services(cluster="default", services=[name])["services"][0]

    def healthy(self, tg):
        hs = self.elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
        return {(h["Target"]["Id"], h["Target"].get("Port")) for h in hs if h["TargetHealth"]["State"] == "healthy"}

    def tasks(self, service):
        arns = self.ecs.list_tasks(cluster="default", serviceName=service)["taskArns"]
        out = []
        for i in range(0, len(arns), 100):
            out += self.ecs.describe_tasks(cluster="default", tasks=arns[i:i + 100])["tasks"]
        return out

    def wait(self, what, done, timeout, interval=0.1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = done()
            if value:
                return value
            time.sleep(interval)
        raise BenchError(f"{what}: not after {timeout} s")

    def steady(self, name, count):
        svc = self.service(name)
        deps = svc["deployments"]
        return (len(deps) == 1 and deps[0]["rolloutState"] == "COMPLETED" and svc["runningCount"] == count
                and svc["pendingCount"] == 0)

    def rolling_updates(self, rounds):
        tg = self.target_group("bench-roll", "ip")
        defs = [self.register("bench-roll", f"v{i}")["taskDefinition"]["taskDefinitionArn"] for i in range(2)]
        self.ecs.create_service(
            cluster="default", serviceName="roll", taskDefinition=defs[0], desiredCount=4, launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": [self.subnets[0]["SubnetId"]]}},
            loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 8080}],
            deploymentConfiguration={"maximumPercent": 200, "minimumHealthyPercent": 100})
        self.wait("the first deployment", lambda: self.steady("roll", 4), 120)
        results = []
        for r in range(rounds):
            old = {t["taskArn"] for t in self.tasks("roll")}
            t0 = time.monotonic()
            self.ecs.update_service(cluster="default", service="roll", taskDefinition=defs[(r + 1) % 2])
            marks = {}
            while "steady" not in marks:
                if time.monotonic() - t0 > 180:
                    raise BenchError(f"rolling update {r}: not steady after 180 s")
                now = time.monotonic() - t0
                tasks = self.tasks("roll")
                new = [t for t in tasks if t["taskArn"] not in old]
                if "running" not in marks and sum(t["lastStatus"] == "RUNNING" for t in new) == 4:
                    marks["running"] = now
                ips = {t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]
                       for t in new if t["containers"][0].get("networkInterfaces")}
                if "healthy" not in marks and len(ips) == 4 and ips <= {ip for ip, _ in self.healthy(tg)}:
                    marks["healthy"] = now
                if "old stopped" not in marks and not any(t["taskArn"] in old for t in tasks):
                    marks["old stopped"] = now
                if self.steady("roll", 4):
                    marks["steady"] = time.monotonic() - t0
                time.sleep(0.1)
            results.append(marks)
            print(f"  round {r + 1}: " + ", ".join(f"{k} {v:.1f}s" for k, v in marks.items()), flush=True)
        self.ecs.update_service(cluster="default", service="roll", desiredCount=0)
        self.wait("roll scaled to 0", lambda: self.steady("roll", 0), 120)
        self.ecs.delete_service(cluster="default", service="roll")
        return results

    def scale_out(self, count):
        tg = self.target_group("bench-scale", "instance")
        td = self.register("bench-bridge", "scaled")["taskDefinition"]["taskDefinitionArn"]
        self.ecs.create_service(cluster="default", serviceName="scale", taskDefinition=td, desiredCount=0,
                                launchType="EC2",
                                loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 8080}])
        self.wait("an empty service", lambda: self.steady("scale", 0), 60)
        t0 = time.monotonic()
        self.ecs.update_service(cluster="default", service="scale", desiredCount=count)
        marks = {}
        while len(marks) < 3:
            if time.monotonic() - t0 > 300:
                raise BenchError(f"scale to {count}: only {marks} after 300 s")
            now = time.monotonic() - t0
            if "running" not in marks and self.service("scale")["runningCount"] == count:
                marks["running"] = now
            if "healthy" not in marks and len(self.healthy(tg)) == count:
                marks["healthy"] = now
            if "steady" not in marks and self.steady("scale", count):
                marks["steady"] = now
            time.sleep(0.1)
        self.ecs.update_service(cluster="default", service="scale", desiredCount=0)
        self.wait("scale back to 0", lambda: self.steady("scale", 0), 180)
        self.ecs.delete_service(cluster="default", service="scale")
        return marks

    def close(self):
        from task_fixtures import remove_node_networks
        self.server.__exit__(None, None, None)
        remove_node_networks()


def docker_scale(work, layout, count):
    """docker run -d of `count` of the same containers one after the other, until all run."""
    d = DockerBench(work, layout)
    try:
        cmd = ["/bin/sh", "-c", WEB.format(text="docker")]
        t0 = time.monotonic()
        for i in range(count):
            d.d.docker("run", "-d", "--network", "wbench", "-p", "127.0.0.1::8080", "--name", f"wscale-{i}",
                       "bench/app:v1", *cmd)
        for i in range(count):
            while d.d.docker("inspect", "-f", "{{.State.Running}}", f"wscale-{i}").stdout.strip() != "true":
                time.sleep(0.01)
        return time.monotonic() - t0
    finally:
        d.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3, help="rolling updates measured (default 3)")
    ap.add_argument("--tasks", type=int, default=50, help="scale the second service from 0 to this (default 50)")
    ap.add_argument("--no-docker", action="store_true", help="leave docker out of the scale-out comparison")
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    args = ap.parse_args()
    os.environ.setdefault("WHARF_BIN", os.path.join(args.build_dir, "wharf"))
    import registry_fixtures as rf  # after WHARF_BIN: wharf_harness reads it at import
    from task_fixtures import build_app_image
    rf.install_signal_cleanup()
    other = other_wharf_node()
    if other:
        raise BenchError(f"another wharf node runs on this machine ({other}); run the bench alone")
    work = tempfile.mkdtemp(prefix="wharf-servicebench-")
    layout = os.path.join(work, "layout")
    bench = None
    docker_s = None
    load = os.getloadavg()[0]
    try:
        build_app_image(layout, "v1")
        bench = ServiceBench(layout)
        print(f"rolling update of 4 tasks, {args.rounds} rounds ...", flush=True)
        rolls = bench.rolling_updates(args.rounds)
        print(f"scale 0 -> {args.tasks} ...", flush=True)
        scale = bench.scale_out(args.tasks)
        bench.close()
        bench = None
        if not args.no_docker and shutil.which("dockerd"):
            print(f"docker: {args.tasks} containers ...", flush=True)
            docker_s = docker_scale(work, layout, args.tasks)
    finally:
        if bench:
            bench.close()
        shutil.rmtree(work, ignore_errors=True)

    floor = INTERVAL * THRESHOLD
    print(f"\n{os.cpu_count()} cores, 1-minute load average before the run: {load:.2f}")
    print(f"\nrolling update, 4 tasks, 100/200, health check every {INTERVAL} s, healthy after {THRESHOLD}: "
          f"floor {floor} s (interval x threshold)")
    print(f"{'':<22}{'median s':>10}{'min s':>8}{'max s':>8}")
    for k in ("running", "healthy", "old stopped", "steady"):
        xs = [r[k] for r in rolls if k in r]
        if xs:
            print(f"{'update -> ' + k:<22}{statistics.median(xs):>10.2f}{min(xs):>8.2f}{max(xs):>8.2f}")
    steady = statistics.median(r["steady"] for r in rolls)
    earliest = statistics.median(r["running"] for r in rolls) + INTERVAL * (THRESHOLD - 1)
    print(f"steady - floor: {steady - floor:+.2f} s (aim: within 2 s)")
    print(f"steady - earliest possible (new tasks running + {THRESHOLD - 1} more interval, the first check "
          f"passing at once): {steady - earliest:+.2f} s")
    print(f"\nscale 0 -> {args.tasks}, one node, EC2 bridge tasks behind instance targets")
    for k, v in scale.items():
        print(f"{'update -> ' + k:<22}{v:>10.2f}")
    if docker_s is not None:
        print(f"{'docker run -d x' + str(args.tasks):<22}{docker_s:>10.2f}   "
              f"(wharf running / docker: {scale['running'] / docker_s:.2f}x)")


if __name__ == "__main__":
    run_main(main)
