#!/usr/bin/python3
"""The web console in a real browser: Debian's chromium, driven headless by playwright-core,
signs in to a real wharf at /console/ and works through the console's pages by clicks
(tests/e2e/console/basics.mjs and pages.mjs). Seed 001 by clicks, which needs the node that runs
tasks, is test_console_seed001.py: this one, a server without its node, runs beside the
container tests."""
import socket
import datetime
import json
import time
import urllib.error
import urllib.request

from console_browser import artifacts_dir, run_browser, skip_without_chromium
from wharf_harness import Checks, WharfServer, expect_client_error, free_port

skip_without_chromium()
ARTIFACTS = artifacts_dir("console")
checks = Checks()


with WharfServer() as server:
    @checks.run
    def the_console_is_served_beside_the_api():
        with urllib.request.urlopen(server.endpoint + "/console/") as r:
            page = r.read().decode()
            assert r.headers["Content-Type"] == "text/html; charset=utf-8", r.headers
            assert "connect-src 'self'" in r.headers["Content-Security-Policy"], r.headers
        assert '<div id="root">' in page and "/console/assets/" in page, page
        asset = page.split('src="', 1)[1].split('"', 1)[0]
        req = urllib.request.Request(server.endpoint + asset, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req) as r:
            assert r.headers["Content-Encoding"] == "gzip" and "immutable" in r.headers["Cache-Control"], r.headers
        # /console is never taken for an API request, and nothing outside the build is served.
        for path in ("/console/../credentials", "/console/%2e%2e/credentials", "/console/.vite/manifest.json"):
            try:
                urllib.request.urlopen(server.endpoint + path)
                raise AssertionError(f"{path} was served")
            except urllib.error.HTTPError as e:
                assert e.code == 404, (path, e.code)

    @checks.run
    def a_client_that_leaves_mid_answer_does_not_stop_wharf():
        # A browser leaving a page closes its connections while files are still being sent.
        with urllib.request.urlopen(server.endpoint + "/console/") as r:
            page = r.read().decode()
        asset = page.split('src="', 1)[1].split('"', 1)[0]
        for _ in range(5):
            conn = socket.create_connection(("127.0.0.1", server.port))
            conn.sendall(f"GET {asset} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            conn.recv(100)  # the answer has begun; leave without reading the rest
            conn.close()
        time.sleep(0.5)
        assert server.proc.poll() is None, f"wharf exited with {server.proc.poll()}"
        with urllib.request.urlopen(server.endpoint + "/_wharf/health") as r:
            assert r.status == 200

    started = time.time()
    run_browser(checks, server, "basics.mjs", ARTIFACTS)
    print(f"   | browser checks took {time.time() - started:.1f} s; screenshots in {ARTIFACTS}", flush=True)

    # An IAM user who signs in with a password, a load balancer whose listener gets rules,
    # and an hour of a custom metric, for pages.mjs.
    USER, PASSWORD, ACCOUNT = "console-e2e-user", "Console-e2e-pass1", "000000000000"
    RESET_USER, NEW_PASSWORD, ALIAS = "console-e2e-reset", "Chosen-at-sign-in-2", "console-e2e-account"
    iam, elbv2, ec2, cw = (server.boto3(s) for s in ("iam", "elbv2", "ec2", "cloudwatch"))
    iam.create_user(UserName=USER)
    iam.attach_user_policy(UserName=USER, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.create_login_profile(UserName=USER, Password=PASSWORD)

    def signin(body):
        req = urllib.request.Request(server.endpoint + "/_wharf/signin", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    @checks.run
    def the_signin_endpoint_trades_a_password_for_the_users_session_credentials():
        status, body = signin({"account": ACCOUNT, "userName": USER, "password": PASSWORD})
        assert status == 200, body
        c = body["credentials"]
        sts = server.boto3("sts", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                           aws_session_token=c["SessionToken"])
        assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{USER}"
        assert 11 * 3600 < c["Expiration"] - time.time() <= 12 * 3600, c["Expiration"]
        # The session has the user's permissions, no more: without its policy it may do nothing.
        iam.detach_user_policy(UserName=USER, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        try:
            ecs = server.boto3("ecs", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                               aws_session_token=c["SessionToken"])
            deadline = time.time() + 5  # the authorizer sees the detachment through its watch
            while True:
                try:
                    expect_client_error(lambda: ecs.list_clusters(), "AccessDeniedException")
                    break
                except AssertionError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.1)
        finally:
            iam.attach_user_policy(UserName=USER, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        incorrect = "Your authentication information is incorrect. Please try again."
        for wrong in ({"account": ACCOUNT, "userName": USER, "password": "wrong-password"},
                      {"account": "111111111111", "userName": USER, "password": PASSWORD},
                      {"account": ACCOUNT, "userName": "nobody", "password": PASSWORD}):
            assert signin(wrong) == (401, {"code": "AuthenticationFailed", "message": incorrect}), wrong
        assert signin({"account": ACCOUNT, "userName": USER})[0] == 400
        iam.create_user(UserName=RESET_USER)
        iam.attach_user_policy(UserName=RESET_USER, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
        iam.create_login_profile(UserName=RESET_USER, Password=PASSWORD, PasswordResetRequired=True)
        status, body = signin({"account": ACCOUNT, "userName": RESET_USER, "password": PASSWORD})
        assert (status, body["code"]) == (403, "PasswordResetRequired"), body
        # pages.mjs has the user choose a new password, which the account's policy lets it do.
        iam.update_account_password_policy(MinimumPasswordLength=10, AllowUsersToChangePassword=True)
        iam.create_account_alias(AccountAlias=ALIAS)

    vpc = next(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v["IsDefault"])
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]]
    tg = elbv2.create_target_group(Name="console-e2e-tg", Protocol="HTTP", Port=8080, VpcId=vpc,
                                   TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    lb = elbv2.create_load_balancer(Name="console-e2e-alb", Subnets=subnets[:2],
                                    Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
    lb_port = free_port()
    elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=lb_port,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    # A service scaled by Application Auto Scaling and a log group sealed by a KMS key with a
    # metric filter, for pages.mjs to find on their pages (a server without its node: the
    # service's tasks never start, which its scaling does not need).
    ecs, aas, logs, kms = (server.boto3(s) for s in ("ecs", "application-autoscaling", "logs", "kms"))
    ecs.create_cluster(clusterName="console-e2e-cluster")
    ecs.register_task_definition(family="console-e2e-td", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
                                 cpu="256", memory="512", containerDefinitions=[{"name": "web", "image": "busybox"}])
    ecs.create_service(cluster="console-e2e-cluster", serviceName="console-e2e-svc", taskDefinition="console-e2e-td",
                       desiredCount=0, launchType="FARGATE",
                       networkConfiguration={"awsvpcConfiguration": {"subnets": subnets[:1]}})
    scaled = dict(ServiceNamespace="ecs", ResourceId="service/console-e2e-cluster/console-e2e-svc",
                  ScalableDimension="ecs:service:DesiredCount")
    aas.register_scalable_target(MinCapacity=1, MaxCapacity=6, **scaled)
    aas.put_scaling_policy(PolicyName="console-e2e-cpu", PolicyType="TargetTrackingScaling", **scaled,
                           TargetTrackingScalingPolicyConfiguration={
                               "TargetValue": 50.0,
                               "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}})
    aas.put_scheduled_action(ScheduledActionName="console-e2e-night", Schedule="cron(0 22 * * ? *)",
                             ScalableTargetAction={"MinCapacity": 0, "MaxCapacity": 1}, **scaled)
    log_key = kms.create_key()["KeyMetadata"]["Arn"]
    logs.create_log_group(logGroupName="/console-e2e/sealed", kmsKeyId=log_key)
    logs.put_metric_filter(logGroupName="/console-e2e/sealed", filterName="errors", filterPattern="ERROR",
                           metricTransformations=[{"metricName": "Errors", "metricNamespace": "ConsoleE2E",
                                                   "metricValue": "1"}])
    now = datetime.datetime.now(datetime.timezone.utc)
    cw.put_metric_data(Namespace="ConsoleE2E", MetricData=[
        {"MetricName": "Requests", "Dimensions": [{"Name": "Service", "Value": "web"}],
         "Timestamp": now - datetime.timedelta(minutes=5 * i + 1), "Value": 10.0 * i + 5} for i in range(6)])
    try:
        started = time.time()
        run_browser(checks, server, "pages.mjs", ARTIFACTS,
                    extra={"IAM_USER": USER, "IAM_PASSWORD": PASSWORD, "ACCOUNT": ACCOUNT, "LB_NAME": "console-e2e-alb",
                           "LB_PORT": str(lb_port), "TG_NAME": "console-e2e-tg", "METRIC_NAMESPACE": "ConsoleE2E",
                           "RESET_USER": RESET_USER, "NEW_PASSWORD": NEW_PASSWORD, "ACCOUNT_ALIAS": ALIAS,
                           "LOG_KEY": log_key})
        print(f"   | EC2, listener rule, CloudWatch and sign-in pages took {time.time() - started:.1f} s", flush=True)
    finally:
        elbv2.delete_load_balancer(LoadBalancerArn=lb)
        elbv2.delete_target_group(TargetGroupArn=tg)

checks.finish()
