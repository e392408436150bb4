#!/usr/bin/python3
"""Every region: the region of a request is its credential scope's.

One server serving us-east-1 (home) and eu-west-1: clusters, default VPCs, repositories, log
groups and load balancers of one region are not seen from the other and carry their own ARNs;
a registry login of eu-west-1 pushes into eu-west-1's repository; both regions' load balancers
answer at once on the one data plane, and a listener port one region holds is refused to the
other; a region the server does not serve is refused as AWS refuses it; after a kill -9 and a
restart eu-west-1's records are there and its load balancer answers again without a request
to that region first.
"""
import os
import tempfile
import time
import urllib.request

from wharf_harness import Checks, WharfServer, expect_client_error, free_port
from registry_fixtures import build_busybox_image, push_oci

checks = Checks()
EU = "eu-west-1"


def http_get(port, path="/"):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def eventually(fn, timeout=10):
    deadline = time.time() + timeout
    while True:
        try:
            return fn()
        except AssertionError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)


def fixed(text):
    return [{"Type": "fixed-response",
             "FixedResponseConfig": {"StatusCode": "200", "ContentType": "text/plain", "MessageBody": text}}]


with WharfServer("--dev", "--regions", "us-east-1,eu-west-1") as server:
    home = {s: server.boto3(s) for s in ("ecs", "ec2", "ecr", "logs", "elbv2", "sts")}
    eu = {s: server.boto3(s, region_name=EU) for s in ("ecs", "ec2", "ecr", "logs", "elbv2", "sts")}
    ports = {"home": free_port(), "eu": free_port()}
    made = {}

    @checks.run
    def clusters_are_per_region():
        a = home["ecs"].create_cluster(clusterName="shared-name")["cluster"]
        b = eu["ecs"].create_cluster(clusterName="shared-name")["cluster"]
        assert a["clusterArn"] == "arn:aws:ecs:us-east-1:000000000000:cluster/shared-name", a
        assert b["clusterArn"] == "arn:aws:ecs:eu-west-1:000000000000:cluster/shared-name", b
        eu["ecs"].create_cluster(clusterName="only-in-eu")
        assert home["ecs"].list_clusters()["clusterArns"] == [a["clusterArn"]]
        assert sorted(eu["ecs"].list_clusters()["clusterArns"]) == [
            "arn:aws:ecs:eu-west-1:000000000000:cluster/only-in-eu", b["clusterArn"]]
        got = home["ecs"].describe_clusters(clusters=["only-in-eu"])
        assert got["clusters"] == [] and got["failures"][0]["reason"] == "MISSING", got
        # The aws CLI picks the region from --region.
        listed = server.aws("ecs", "list-clusters", "--region", EU)["clusterArns"]
        assert len(listed) == 2 and all(":eu-west-1:" in arn for arn in listed), listed

    @checks.run
    def each_region_has_its_own_default_vpc():
        vpcs = {}
        for name, c in (("home", home), ("eu", eu)):
            found = c["ec2"].describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
            assert len(found) == 1, found
            vpcs[name] = found[0]["VpcId"]
        assert vpcs["home"] != vpcs["eu"], vpcs
        zones = sorted(s["AvailabilityZone"] for s in eu["ec2"].describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [vpcs["eu"]]}])["Subnets"])
        assert zones == ["eu-west-1a", "eu-west-1b", "eu-west-1c"], zones
        # A VPC made in one region is not found in the other.
        vpc = eu["ec2"].create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
        expect_client_error(lambda: home["ec2"].describe_vpcs(VpcIds=[vpc]), "InvalidVpcID.NotFound")
        eu["ec2"].delete_vpc(VpcId=vpc)

    @checks.run
    def log_groups_are_per_region():
        eu["logs"].create_log_group(logGroupName="/ecs/app")
        assert home["logs"].describe_log_groups()["logGroups"] == []
        group = eu["logs"].describe_log_groups()["logGroups"][0]
        assert group["arn"].startswith("arn:aws:logs:eu-west-1:000000000000:log-group:/ecs/app"), group
        home["logs"].create_log_group(logGroupName="/ecs/app")  # the same name, another region

    @checks.run
    def a_push_with_an_eu_login_lands_in_eu():
        home["ecr"].create_repository(repositoryName="app")
        repo = eu["ecr"].create_repository(repositoryName="app")["repository"]
        assert repo["repositoryArn"] == "arn:aws:ecr:eu-west-1:000000000000:repository/app", repo
        password = server.aws("ecr", "get-login-password", "--region", EU, check=False).stdout.strip()
        assert password, "no eu-west-1 login password"
        layout = os.path.join(tempfile.mkdtemp(prefix="wharf-regions-"), "img")
        digest = build_busybox_image(layout, message="eu")
        push_oci(layout, "latest", f"127.0.0.1:{server.port}", "app", "v1", creds=f"AWS:{password}")
        images = eu["ecr"].describe_images(repositoryName="app")["imageDetails"]
        assert [(i["imageDigest"], i["imageTags"]) for i in images] == [(digest, ["v1"])], images
        assert home["ecr"].describe_images(repositoryName="app")["imageDetails"] == []

    @checks.run
    def both_regions_load_balancers_answer():
        for name, c in (("home", home), ("eu", eu)):
            lb = c["elbv2"].create_load_balancer(Name="web")["LoadBalancers"][0]
            assert f":{'us-east-1' if name == 'home' else EU}:" in lb["LoadBalancerArn"], lb
            c["elbv2"].create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP",
                                       Port=ports[name], DefaultActions=fixed(f"hello from {name}"))
            made[name] = lb["LoadBalancerArn"]
        for name in ("home", "eu"):
            eventually(lambda: (lambda got: None if got == (200, f"hello from {name}") else
                                (_ for _ in ()).throw(AssertionError(got)))(http_get(ports[name])))
        # The port eu-west-1's listener holds is not free for us-east-1.
        e = expect_client_error(lambda: home["elbv2"].create_listener(
            LoadBalancerArn=made["home"], Protocol="HTTP", Port=ports["eu"], DefaultActions=fixed("x")),
            "InvalidConfigurationRequest", "eu-west-1")
        assert home["elbv2"].describe_listeners(LoadBalancerArn=made["home"])["Listeners"][0]["Port"] == ports["home"]

    @checks.run
    def global_sts_answers_in_every_region():
        a = home["sts"].get_caller_identity()
        b = eu["sts"].get_caller_identity()
        assert a["Arn"] == b["Arn"] == "arn:aws:iam::000000000000:root", (a, b)

    @checks.run
    def describe_regions_lists_the_served_ones():
        for c in (home, eu):
            regions = c["ec2"].describe_regions()["Regions"]
            assert sorted(r["RegionName"] for r in regions) == ["eu-west-1", "us-east-1"], regions
        listed = server.aws("ec2", "describe-regions", "--region", EU, "--query", "Regions[].Endpoint")
        assert sorted(listed) == ["ec2.eu-west-1.amazonaws.com", "ec2.us-east-1.amazonaws.com"], listed

    @checks.run
    def an_unserved_region_is_refused():
        ecs = server.boto3("ecs", region_name="ap-south-1")
        expect_client_error(ecs.list_clusters, "InvalidSignatureException", "valid region")
        ec2 = server.boto3("ec2", region_name="ap-south-1")
        expect_client_error(ec2.describe_vpcs, "AuthFailure")

    @checks.run
    def a_restart_brings_every_region_back():
        server.kill()
        server.log.close()
        server.start()
        # Before any eu-west-1 request: its load balancer is served again.
        eventually(lambda: (lambda got: None if got == (200, "hello from eu") else
                            (_ for _ in ()).throw(AssertionError(got)))(http_get(ports["eu"])))
        c = server.boto3("ecs", region_name=EU)
        assert len(c.list_clusters()["clusterArns"]) == 2
        assert len(server.boto3("ecs").list_clusters()["clusterArns"]) == 1

checks.finish()
