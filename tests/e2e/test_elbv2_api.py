#!/usr/bin/python3
"""The ELBv2 API (the Application Load Balancer's control plane) with the real aws CLI and boto3.

The seed flow (001): load balancer alba-digi-load-balancer, target group alba-digi-target-group
(ip, port 5050, health check path /alive) and a listener forwarding to it -- on a free port,
not 80. Then rules and priorities, errors, attributes, tags, and a busy port refused.
"""
import socket

from wharf_harness import Checks, WharfServer, default_subnets, expect_client_error, free_port

checks = Checks()
ARN = "arn:aws:elasticloadbalancing:us-east-1:000000000000:"

with WharfServer() as server:
    elbv2 = server.boto3("elbv2")
    seed = {}
    # The load balancer's subnets and group: the default VPC's (they must exist, in one VPC).
    ec2 = server.boto3("ec2")
    zones = default_subnets(ec2)
    subnet_a, subnet_b = zones[0]["SubnetId"], zones[1]["SubnetId"]
    default_sg = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]},
                                                       {"Name": "vpc-id", "Values": [zones[0]["VpcId"]]}]
                                              )["SecurityGroups"][0]["GroupId"]

    def attributes(items):
        return {a["Key"]: a["Value"] for a in items}

    @checks.run
    def seed_flow_with_the_cli():
        lb = server.aws("elbv2", "create-load-balancer", "--name", "alba-digi-load-balancer",
                        "--scheme", "internet-facing", "--type", "application", "--ip-address-type", "ipv4",
                        "--subnets", subnet_a, subnet_b, "--security-groups", default_sg,
                        "--tags", "Key=Name,Value=alba-digi-load-balancer")["LoadBalancers"][0]
        assert lb["LoadBalancerArn"].startswith(ARN + "loadbalancer/app/alba-digi-load-balancer/"), lb
        assert len(lb["LoadBalancerArn"].rsplit("/", 1)[1]) == 16
        assert lb["State"]["Code"] == "provisioning", lb
        assert lb["DNSName"].startswith("alba-digi-load-balancer-"), lb
        assert lb["DNSName"].endswith(".us-east-1.elb.localhost"), lb
        assert lb["Scheme"] == "internet-facing" and lb["Type"] == "application" and lb["CanonicalHostedZoneId"]
        assert [z["ZoneName"] for z in lb["AvailabilityZones"]] == ["us-east-1a", "us-east-1b"], lb
        assert [z["SubnetId"] for z in lb["AvailabilityZones"]] == [subnet_a, subnet_b]
        assert lb["SecurityGroups"] == [default_sg] and lb["VpcId"] == zones[0]["VpcId"], lb
        tg = server.aws("elbv2", "create-target-group", "--name", "alba-digi-target-group",
                        "--protocol", "HTTP", "--port", "5050", "--vpc-id", "vpc-0d4",
                        "--target-type", "ip", "--health-check-protocol", "HTTP",
                        "--health-check-path", "/alive")["TargetGroups"][0]
        assert tg["TargetGroupArn"].startswith(ARN + "targetgroup/alba-digi-target-group/"), tg
        assert (tg["HealthCheckPath"], tg["HealthCheckIntervalSeconds"], tg["HealthCheckTimeoutSeconds"],
                tg["HealthyThresholdCount"], tg["UnhealthyThresholdCount"], tg["HealthCheckPort"],
                tg["Matcher"]) == ("/alive", 30, 5, 5, 2, "traffic-port", {"HttpCode": "200"}), tg
        assert tg["TargetType"] == "ip" and tg["Port"] == 5050 and tg["VpcId"] == "vpc-0d4"
        port = free_port()
        listener = server.aws("elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"],
                              "--protocol", "HTTP", "--port", str(port), "--default-actions",
                              f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")["Listeners"][0]
        assert listener["Port"] == port and listener["Protocol"] == "HTTP"
        assert listener["DefaultActions"][0]["TargetGroupArn"] == tg["TargetGroupArn"], listener
        assert listener["ListenerArn"].startswith(ARN + "listener/app/alba-digi-load-balancer/")
        seed.update(lb=lb["LoadBalancerArn"], tg=tg["TargetGroupArn"], listener=listener["ListenerArn"], port=port)
        # The port is bound as soon as the listener exists.
        with socket.socket() as s:
            s.settimeout(2)
            s.connect(("127.0.0.1", port))

    @checks.run
    def wait_load_balancer_available():
        server.aws("elbv2", "wait", "load-balancer-available", "--load-balancer-arns", seed["lb"])
        lb = elbv2.describe_load_balancers(Names=["alba-digi-load-balancer"])["LoadBalancers"][0]
        assert lb["State"]["Code"] == "active", lb

    @checks.run
    def describe_target_groups_and_listeners():
        by_lb = elbv2.describe_target_groups(LoadBalancerArn=seed["lb"])["TargetGroups"]
        assert [t["TargetGroupArn"] for t in by_lb] == [seed["tg"]], by_lb
        assert by_lb[0]["LoadBalancerArns"] == [seed["lb"]]
        assert elbv2.describe_target_groups(TargetGroupArns=[seed["tg"]])["TargetGroups"][0]["HealthCheckPath"] == "/alive"
        listeners = server.aws("elbv2", "describe-listeners", "--load-balancer-arn", seed["lb"])["Listeners"]
        assert [l["ListenerArn"] for l in listeners] == [seed["listener"]]
        default = elbv2.describe_rules(ListenerArn=seed["listener"])["Rules"]
        assert len(default) == 1 and default[0]["IsDefault"] and default[0]["Priority"] == "default", default

    @checks.run
    def targets_register_health_and_drain():
        elbv2.register_targets(TargetGroupArn=seed["tg"], Targets=[{"Id": "127.0.0.1", "Port": 5050},
                                                                    {"Id": "127.0.0.2"}])
        health = elbv2.describe_target_health(TargetGroupArn=seed["tg"])["TargetHealthDescriptions"]
        assert sorted(h["Target"]["Id"] for h in health) == ["127.0.0.1", "127.0.0.2"], health
        assert all(h["Target"]["Port"] == 5050 for h in health)
        assert all(h["TargetHealth"]["State"] in ("initial", "healthy", "unhealthy") for h in health), health
        elbv2.deregister_targets(TargetGroupArn=seed["tg"], Targets=[{"Id": "127.0.0.2"}])
        health = elbv2.describe_target_health(TargetGroupArn=seed["tg"], Targets=[{"Id": "127.0.0.2"}])
        state = health["TargetHealthDescriptions"][0]["TargetHealth"]
        assert state["State"] == "draining" and state["Reason"] == "Target.DeregistrationInProgress", state
        expect_client_error(lambda: elbv2.register_targets(TargetGroupArn=seed["tg"], Targets=[{"Id": "not-an-ip"}]),
                            "InvalidTarget")

    @checks.run
    def unused_targets_are_reported_unused():
        tg = elbv2.create_target_group(Name="spare", Protocol="HTTP", Port=8080, VpcId="vpc-0d4",
                                       TargetType="ip")["TargetGroups"][0]
        elbv2.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "10.0.0.9"}])
        h = elbv2.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"][0]
        assert h["TargetHealth"]["State"] == "unused" and h["TargetHealth"]["Reason"] == "Target.NotInUse", h
        seed["spare"] = tg["TargetGroupArn"]

    @checks.run
    def rules_and_priorities():
        listener = seed["listener"]
        api = elbv2.create_rule(ListenerArn=listener, Priority=10,
                                Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
                                Actions=[{"Type": "forward", "TargetGroupArn": seed["tg"]}])["Rules"][0]
        assert api["Priority"] == "10" and not api["IsDefault"], api
        assert api["Conditions"][0]["Values"] == ["/api/*"], api
        host = server.aws("elbv2", "create-rule", "--listener-arn", listener, "--priority", "20",
                          "--conditions", "Field=host-header,Values=api.example.com",
                          "--actions", "Type=fixed-response,FixedResponseConfig={StatusCode=404,ContentType=text/plain,MessageBody=nope}"
                          )["Rules"][0]
        expect_client_error(lambda: elbv2.create_rule(
            ListenerArn=listener, Priority=10, Conditions=[{"Field": "host-header", "Values": ["x.example"]}],
            Actions=[{"Type": "forward", "TargetGroupArn": seed["tg"]}]), "PriorityInUse")
        expect_client_error(lambda: elbv2.create_rule(
            ListenerArn=listener, Priority=30, Conditions=[
                {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/a", "/b", "/c"]}},
                {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET", "POST", "PUT"]}}],
            Actions=[{"Type": "forward", "TargetGroupArn": seed["tg"]}]), "ValidationError")
        header = elbv2.create_rule(
            ListenerArn=listener, Priority=30,
            Conditions=[{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Env", "Values": ["blue"]}},
                        {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "v", "Value": "2"}]}},
                        {"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}}],
            Actions=[{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443",
                                                             "StatusCode": "HTTP_302"}}])["Rules"][0]
        redirect = header["Actions"][0]["RedirectConfig"]
        assert redirect == {"Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/#{path}",
                            "Query": "#{query}", "StatusCode": "HTTP_302"}, redirect
        expect_client_error(lambda: elbv2.set_rule_priorities(RulePriorities=[
            {"RuleArn": api["RuleArn"], "Priority": 20}]), "PriorityInUse")
        swapped = elbv2.set_rule_priorities(RulePriorities=[{"RuleArn": api["RuleArn"], "Priority": 20},
                                                            {"RuleArn": host["RuleArn"], "Priority": 10}])["Rules"]
        assert sorted(r["Priority"] for r in swapped) == ["10", "20"], swapped
        rules = server.aws("elbv2", "describe-rules", "--listener-arn", listener)["Rules"]
        assert [r["Priority"] for r in rules] == ["10", "20", "30", "default"], rules
        assert rules[0]["RuleArn"] == host["RuleArn"]
        modified = elbv2.modify_rule(RuleArn=api["RuleArn"],
                                     Conditions=[{"Field": "path-pattern", "Values": ["/v2/*"]}])["Rules"][0]
        assert modified["Conditions"][0]["Values"] == ["/v2/*"] and modified["Priority"] == "20"
        expect_client_error(lambda: elbv2.delete_rule(RuleArn=rules[-1]["RuleArn"]), "OperationNotPermitted")
        elbv2.delete_rule(RuleArn=header["RuleArn"])
        expect_client_error(lambda: elbv2.delete_rule(RuleArn=header["RuleArn"]), "RuleNotFound")
        expect_client_error(lambda: elbv2.describe_rules(RuleArns=[header["RuleArn"]]), "RuleNotFound")

    @checks.run
    def duplicates_and_not_found():
        expect_client_error(lambda: elbv2.create_load_balancer(Name="alba-digi-load-balancer", Scheme="internal"),
                            "DuplicateLoadBalancerName")
        expect_client_error(lambda: elbv2.create_target_group(
            Name="alba-digi-target-group", Protocol="HTTP", Port=8080, VpcId="vpc-0d4", TargetType="ip"),
            "DuplicateTargetGroupName")
        expect_client_error(lambda: elbv2.create_listener(
            LoadBalancerArn=seed["lb"], Protocol="HTTP", Port=seed["port"],
            DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}]),
            "DuplicateListener")
        expect_client_error(lambda: elbv2.describe_load_balancers(Names=["ghost"]), "LoadBalancerNotFound")
        expect_client_error(lambda: elbv2.describe_load_balancers(
            LoadBalancerArns=[ARN + "loadbalancer/app/ghost/0123456789abcdef"]), "LoadBalancerNotFound")
        expect_client_error(lambda: elbv2.describe_target_groups(Names=["ghost"]), "TargetGroupNotFound")
        expect_client_error(lambda: elbv2.describe_listeners(
            ListenerArns=[ARN + "listener/app/ghost/0123456789abcdef/0123456789abcdef"]), "ListenerNotFound")
        expect_client_error(lambda: elbv2.create_listener(
            LoadBalancerArn=seed["lb"], Protocol="HTTP", Port=free_port(),
            DefaultActions=[{"Type": "forward", "TargetGroupArn": ARN + "targetgroup/ghost/0123456789abcdef"}]),
            "TargetGroupNotFound")
        expect_client_error(lambda: elbv2.delete_target_group(TargetGroupArn=seed["tg"]), "ResourceInUse")
        expect_client_error(lambda: elbv2.create_load_balancer(Name="nlb", Type="network"),
                            "InvalidConfigurationRequest", "application")
        expect_client_error(lambda: elbv2.create_target_group(Name="fn", TargetType="lambda"),
                            "InvalidConfigurationRequest")
        expect_client_error(lambda: elbv2.create_load_balancer(Name="bad_name"), "ValidationError")

    @checks.run
    def load_balancer_attributes():
        attrs = attributes(elbv2.describe_load_balancer_attributes(LoadBalancerArn=seed["lb"])["Attributes"])
        assert attrs["idle_timeout.timeout_seconds"] == "60", attrs
        assert attrs["deletion_protection.enabled"] == "false"
        assert attrs["routing.http.drop_invalid_header_fields.enabled"] == "false"
        assert attrs["routing.http.desync_mitigation_mode"] == "defensive"
        changed = attributes(server.aws("elbv2", "modify-load-balancer-attributes", "--load-balancer-arn", seed["lb"],
                                        "--attributes", "Key=idle_timeout.timeout_seconds,Value=120",
                                        "Key=deletion_protection.enabled,Value=true")["Attributes"])
        assert changed["idle_timeout.timeout_seconds"] == "120", changed
        expect_client_error(lambda: elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=seed["lb"], Attributes=[{"Key": "no.such.key", "Value": "1"}]), "ValidationError")
        expect_client_error(lambda: elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=seed["lb"], Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "0"}]),
            "InvalidConfigurationRequest")
        expect_client_error(lambda: elbv2.delete_load_balancer(LoadBalancerArn=seed["lb"]), "OperationNotPermitted")
        elbv2.modify_load_balancer_attributes(LoadBalancerArn=seed["lb"], Attributes=[
            {"Key": "deletion_protection.enabled", "Value": "false"}])

    @checks.run
    def target_group_attributes_and_health_check():
        attrs = attributes(elbv2.describe_target_group_attributes(TargetGroupArn=seed["tg"])["Attributes"])
        assert (attrs["deregistration_delay.timeout_seconds"], attrs["slow_start.duration_seconds"],
                attrs["stickiness.enabled"], attrs["stickiness.type"], attrs["stickiness.lb_cookie.duration_seconds"],
                attrs["load_balancing.algorithm.type"]) == ("300", "0", "false", "lb_cookie", "86400", "round_robin"), attrs
        changed = attributes(elbv2.modify_target_group_attributes(TargetGroupArn=seed["tg"], Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": "5"},
            {"Key": "load_balancing.algorithm.type", "Value": "least_outstanding_requests"}])["Attributes"])
        assert changed["deregistration_delay.timeout_seconds"] == "5", changed
        expect_client_error(lambda: elbv2.modify_target_group_attributes(TargetGroupArn=seed["tg"], Attributes=[
            {"Key": "load_balancing.algorithm.type", "Value": "random"}]), "InvalidConfigurationRequest")
        tg = elbv2.modify_target_group(TargetGroupArn=seed["tg"], HealthCheckIntervalSeconds=10,
                                       HealthCheckTimeoutSeconds=3, Matcher={"HttpCode": "200-299"})["TargetGroups"][0]
        assert (tg["HealthCheckIntervalSeconds"], tg["HealthCheckTimeoutSeconds"], tg["Matcher"]["HttpCode"],
                tg["HealthCheckPath"]) == (10, 3, "200-299", "/alive"), tg
        expect_client_error(lambda: elbv2.modify_target_group(TargetGroupArn=seed["tg"], HealthCheckTimeoutSeconds=20),
                            "InvalidConfigurationRequest")

    @checks.run
    def tags():
        elbv2.add_tags(ResourceArns=[seed["lb"], seed["tg"]], Tags=[{"Key": "env", "Value": "dev"}])
        elbv2.remove_tags(ResourceArns=[seed["lb"]], TagKeys=["Name"])
        described = {d["ResourceArn"]: d["Tags"] for d in
                     server.aws("elbv2", "describe-tags", "--resource-arns", seed["lb"], seed["tg"])["TagDescriptions"]}
        assert described[seed["lb"]] == [{"Key": "env", "Value": "dev"}], described
        assert described[seed["tg"]] == [{"Key": "env", "Value": "dev"}], described
        expect_client_error(lambda: elbv2.add_tags(ResourceArns=[seed["lb"]], Tags=[
            {"Key": f"k{i}", "Value": "v"} for i in range(51)]), "TooManyTags")
        expect_client_error(lambda: elbv2.describe_tags(
            ResourceArns=[ARN + "loadbalancer/app/ghost/0123456789abcdef"]), "LoadBalancerNotFound")

    @checks.run
    def a_busy_port_is_refused():
        with socket.socket() as busy:
            busy.bind(("0.0.0.0", 0))
            busy.listen()
            port = busy.getsockname()[1]
            e = expect_client_error(lambda: elbv2.create_listener(
                LoadBalancerArn=seed["lb"], Protocol="HTTP", Port=port,
                DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}]),
                "InvalidConfigurationRequest")
            assert str(port) in e.response["Error"]["Message"], e.response
        listeners = elbv2.describe_listeners(LoadBalancerArn=seed["lb"])["Listeners"]
        assert [l["Port"] for l in listeners] == [seed["port"]], listeners

    @checks.run
    def pagination():
        for i in range(3):
            elbv2.create_load_balancer(Name=f"page-{i}")
        pages = list(elbv2.get_paginator("describe_load_balancers").paginate(PaginationConfig={"PageSize": 2}))
        names = [lb["LoadBalancerName"] for p in pages for lb in p["LoadBalancers"]]
        assert len(pages) == 2 and sorted(names) == sorted(["alba-digi-load-balancer", "page-0", "page-1", "page-2"]), names

    @checks.run
    def delete_everything():
        elbv2.delete_load_balancer(LoadBalancerArn=seed["lb"])
        elbv2.delete_load_balancer(LoadBalancerArn=seed["lb"])  # gone already: still succeeds
        expect_client_error(lambda: elbv2.describe_listeners(ListenerArns=[seed["listener"]]), "ListenerNotFound")
        # Its listener's port is free again.
        with socket.socket() as s:
            s.bind(("0.0.0.0", seed["port"]))
        assert elbv2.describe_target_groups(TargetGroupArns=[seed["tg"]])["TargetGroups"][0]["LoadBalancerArns"] == []
        elbv2.delete_target_group(TargetGroupArn=seed["tg"])
        expect_client_error(lambda: elbv2.describe_target_groups(TargetGroupArns=[seed["tg"]]), "TargetGroupNotFound")

checks.finish()
