#!/usr/bin/python3
"""The Application Load Balancer end to end, with the aws CLI and real backends on loopback:
the flow of seed 001 (load balancer, ip target group on the health path /alive, listener,
targets), curl through the DNSName in rotation, a target failing its check leaving and coming
back, path rules for two services (seed 000), weighted forward, redirect, fixed-response."""
import http.server
import json
import subprocess
import threading
import time
import urllib.request

from wharf_harness import Checks, WharfServer, free_port

checks = Checks()


class Backend:
    """An HTTP server on 127.0.0.1 that names itself; /alive answers 200, or 503 when failing."""

    def __init__(self, name):
        self.name = name
        self.failing = False
        backend = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                status = 503 if self.path == "/alive" and backend.failing else 200
                body = json.dumps({"name": backend.name, "path": self.path,
                                   "xff": self.headers.get("X-Forwarded-For"),
                                   "trace": self.headers.get("X-Amzn-Trace-Id")}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def curl(url):
    """curl resolves *.localhost to loopback, as the DNSName needs."""
    p = subprocess.run(["curl", "-s", "-i", "--max-time", "5", url], capture_output=True)
    head, _, body = p.stdout.decode(errors="replace").partition("\r\n\r\n")
    status = int(head.split()[1]) if head.startswith("HTTP/") else 0
    headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in head.split("\r\n")[1:])}
    return status, headers, body


backends = [Backend("task-1"), Backend("task-2"), Backend("users"), Backend("orders")]
try:
    with WharfServer() as server:
        elb = server.boto3("elbv2")
        listener_port = free_port()
        state = {}

        @checks.run
        def seed001_flow_with_the_cli():
            lb = server.aws("elbv2", "create-load-balancer", "--name", "alba-digi-load-balancer",
                            "--scheme", "internet-facing")["LoadBalancers"][0]
            server.aws("elbv2", "wait", "load-balancer-available", "--load-balancer-arns", lb["LoadBalancerArn"])
            tg = server.aws("elbv2", "create-target-group", "--name", "alba-digi-target-group", "--protocol", "HTTP",
                            "--port", "5050", "--vpc-id", "vpc-1", "--target-type", "ip",
                            "--health-check-path", "/alive", "--health-check-interval-seconds", "5",
                            "--health-check-timeout-seconds", "2", "--healthy-threshold-count", "2",
                            "--unhealthy-threshold-count", "2")["TargetGroups"][0]
            server.aws("elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol", "HTTP",
                       "--port", str(listener_port), "--default-actions",
                       f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")
            server.aws("elbv2", "register-targets", "--target-group-arn", tg["TargetGroupArn"], "--targets",
                       f"Id=127.0.0.1,Port={backends[0].port}", f"Id=127.0.0.1,Port={backends[1].port}")
            server.aws("elbv2", "wait", "target-in-service", "--target-group-arn", tg["TargetGroupArn"])
            state.update(lb=lb, tg=tg)
            replies = [curl(f"http://{lb['DNSName']}:{listener_port}/alive") for _ in range(20)]
            assert all(r[0] == 200 for r in replies), replies
            names = [json.loads(r[2])["name"] for r in replies]
            # Round robin runs per event loop, and each new connection may land on another
            # loop: both targets take turns, not in a strict alternation.
            assert names.count("task-1") >= 5 and names.count("task-2") >= 5, names
            assert lb["DNSName"].endswith(".us-east-1.elb.localhost"), lb["DNSName"]

        @checks.run
        def headers_added_as_alb_does():
            status, headers, body = curl(f"http://{state['lb']['DNSName']}:{listener_port}/whoami")
            seen = json.loads(body)
            assert seen["xff"] == "127.0.0.1" and seen["trace"].startswith("Root=1-"), seen

        @checks.run
        def failing_target_leaves_rotation_and_returns():
            tg_arn = state["tg"]["TargetGroupArn"]
            backends[1].failing = True
            deadline = time.time() + 5 * 2 + 6  # interval x threshold, with slack
            health = None
            while time.time() < deadline:
                health = elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
                if any(h["TargetHealth"]["State"] == "unhealthy" for h in health):
                    break
                time.sleep(0.5)
            bad = [h for h in health if h["Target"]["Port"] == backends[1].port][0]["TargetHealth"]
            assert bad["State"] == "unhealthy" and bad["Reason"] == "Target.ResponseCodeMismatch", bad
            names = {json.loads(curl(f"http://{state['lb']['DNSName']}:{listener_port}/")[2])["name"] for _ in range(6)}
            assert names == {"task-1"}, names
            backends[1].failing = False
            server.aws("elbv2", "wait", "target-in-service", "--target-group-arn", tg_arn)
            names = {json.loads(curl(f"http://{state['lb']['DNSName']}:{listener_port}/")[2])["name"] for _ in range(6)}
            assert names == {"task-1", "task-2"}, names

        @checks.run
        def two_services_behind_path_rules_weights_redirect_fixed_response():
            listener = elb.describe_listeners(LoadBalancerArn=state["lb"]["LoadBalancerArn"])["Listeners"][0]
            groups = {}
            for name in ("users", "orders"):
                tg = elb.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=80, VpcId="vpc-1",
                                             TargetType="ip", HealthCheckPath="/alive",
                                             HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                             HealthyThresholdCount=2)["TargetGroups"][0]
                backend = backends[2] if name == "users" else backends[3]
                elb.register_targets(TargetGroupArn=tg["TargetGroupArn"],
                                     Targets=[{"Id": "127.0.0.1", "Port": backend.port}])
                groups[name] = tg["TargetGroupArn"]
            elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=10,
                            Conditions=[{"Field": "path-pattern", "Values": ["/users*"]}],
                            Actions=[{"Type": "forward", "TargetGroupArn": groups["users"]}])
            elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=20,
                            Conditions=[{"Field": "path-pattern", "Values": ["/orders*"]}],
                            Actions=[{"Type": "forward", "TargetGroupArn": groups["orders"]}])
            elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=30,
                            Conditions=[{"Field": "path-pattern", "Values": ["/split"]}],
                            Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
                                {"TargetGroupArn": groups["users"], "Weight": 3},
                                {"TargetGroupArn": groups["orders"], "Weight": 1}]}}])
            elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=40,
                            Conditions=[{"Field": "path-pattern", "Values": ["/old/*"]}],
                            Actions=[{"Type": "redirect", "RedirectConfig": {
                                "Path": "/new/#{path}", "StatusCode": "HTTP_301"}}])
            elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=50,
                            Conditions=[{"Field": "path-pattern", "Values": ["/maintenance"]}],
                            Actions=[{"Type": "fixed-response", "FixedResponseConfig": {
                                "StatusCode": "503", "ContentType": "text/plain", "MessageBody": "back soon"}}])
            for arn in groups.values():
                server.aws("elbv2", "wait", "target-in-service", "--target-group-arn", arn)
            base = f"http://{state['lb']['DNSName']}:{listener_port}"
            for _ in range(4):
                assert json.loads(curl(base + "/users/1")[2])["name"] == "users"
                assert json.loads(curl(base + "/orders/1")[2])["name"] == "orders"
                assert json.loads(curl(base + "/")[2])["name"].startswith("task-")
            counts = {"users": 0, "orders": 0}
            for _ in range(200):
                counts[json.loads(curl(base + "/split")[2])["name"]] += 1
            assert 120 <= counts["users"] <= 180, counts
            status, headers, _ = curl(base + "/old/page?x=1")
            assert status == 301 and headers["location"].endswith(f":{listener_port}/new/old/page?x=1"), headers
            status, headers, body = curl(base + "/maintenance")
            assert status == 503 and body == "back soon" and headers["content-type"].startswith("text/plain")

        @checks.run
        def empty_target_group_answers_503():
            tg = elb.create_target_group(Name="empty-tg", Protocol="HTTP", Port=80, VpcId="vpc-1",
                                         TargetType="ip")["TargetGroups"][0]
            listener = elb.describe_listeners(LoadBalancerArn=state["lb"]["LoadBalancerArn"])["Listeners"][0]
            elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=60,
                            Conditions=[{"Field": "path-pattern", "Values": ["/empty"]}],
                            Actions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
            deadline = time.time() + 5
            status = 0
            while time.time() < deadline:
                status = curl(f"http://{state['lb']['DNSName']}:{listener_port}/empty")[0]
                if status == 503:
                    break
                time.sleep(0.2)
            assert status == 503, status

        @checks.run
        def deleting_the_load_balancer_closes_its_port():
            for l in elb.describe_listeners(LoadBalancerArn=state["lb"]["LoadBalancerArn"])["Listeners"]:
                elb.delete_listener(ListenerArn=l["ListenerArn"])
            elb.delete_load_balancer(LoadBalancerArn=state["lb"]["LoadBalancerArn"])
            status, _, _ = curl(f"http://127.0.0.1:{listener_port}/")
            assert status == 0, status
finally:
    for b in backends:
        b.close()

checks.finish()
