#!/usr/bin/python3
"""Clusters, tags and account settings with the real aws CLI and boto3."""
from wharf_harness import NEWEST_AWS, Checks, WharfServer, expect_client_error

checks = Checks()
ARN = "arn:aws:ecs:us-east-1:000000000000:cluster/"

with WharfServer() as server:
    ecs = server.boto3("ecs")

    @checks.run
    def create_describe_list_with_the_cli():
        out = server.aws("ecs", "create-cluster", "--cluster-name", "alba-digi-cluster",
                         "--tags", "key=Name,value=alba-digi-cluster")
        c = out["cluster"]
        assert c["clusterArn"] == ARN + "alba-digi-cluster" and c["status"] == "ACTIVE"
        assert c["tags"] == [{"key": "Name", "value": "alba-digi-cluster"}]
        assert server.aws("ecs", "list-clusters")["clusterArns"] == [ARN + "alba-digi-cluster"]
        d = server.aws("ecs", "describe-clusters", "--clusters", "alba-digi-cluster")["clusters"][0]
        assert "tags" not in d and "settings" not in d, d
        d = server.aws("ecs", "describe-clusters", "--clusters", ARN + "alba-digi-cluster",
                       "--include", "TAGS", "SETTINGS")["clusters"][0]
        assert d["tags"] == c["tags"] and d["settings"] == [{"name": "containerInsights", "value": "disabled"}]
        assert d["registeredContainerInstancesCount"] == 0 and d["activeServicesCount"] == 0

    @checks.run
    def create_is_idempotent_and_default_name():
        again = ecs.create_cluster(clusterName="alba-digi-cluster")["cluster"]
        assert again["clusterArn"] == ARN + "alba-digi-cluster"
        assert ecs.create_cluster()["cluster"]["clusterName"] == "default"
        assert ecs.describe_clusters()["clusters"][0]["clusterName"] == "default"

    @checks.run
    def missing_clusters_are_failures_not_errors():
        out = ecs.describe_clusters(clusters=["nope"])
        assert out["clusters"] == [] and out["failures"] == [{"arn": ARN + "nope", "reason": "MISSING"}]
        expect_client_error(lambda: ecs.delete_cluster(cluster="nope"), "ClusterNotFoundException",
                            "Cluster not found.")
        expect_client_error(lambda: ecs.update_cluster_settings(
            cluster="nope", settings=[{"name": "containerInsights", "value": "enabled"}]),
            "ClusterNotFoundException")

    @checks.run
    def settings_and_capacity_providers():
        c = ecs.update_cluster_settings(cluster="alba-digi-cluster",
                                        settings=[{"name": "containerInsights", "value": "enabled"}])["cluster"]
        d = ecs.describe_clusters(clusters=["alba-digi-cluster"], include=["SETTINGS"])["clusters"][0]
        assert d["settings"] == [{"name": "containerInsights", "value": "enabled"}], d
        c = ecs.put_cluster_capacity_providers(
            cluster="alba-digi-cluster", capacityProviders=["FARGATE", "FARGATE_SPOT"],
            defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1, "base": 1}])["cluster"]
        assert c["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
        assert c["defaultCapacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}]
        expect_client_error(lambda: ecs.put_cluster_capacity_providers(
            cluster="alba-digi-cluster", capacityProviders=["my-asg"], defaultCapacityProviderStrategy=[]),
            "InvalidParameterException", "capacity provider was not found")
        expect_client_error(lambda: ecs.put_cluster_capacity_providers(
            cluster="alba-digi-cluster", capacityProviders=["FARGATE"],
            defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}]),
            "InvalidParameterException")
        c = ecs.update_cluster(cluster="alba-digi-cluster", configuration={
            "executeCommandConfiguration": {"logging": "DEFAULT"}})["cluster"]
        d = ecs.describe_clusters(clusters=["alba-digi-cluster"], include=["CONFIGURATIONS"])["clusters"][0]
        assert d["configuration"] == {"executeCommandConfiguration": {"logging": "DEFAULT"}}, d

    @checks.run
    def list_clusters_pages():
        for i in range(5):
            ecs.create_cluster(clusterName=f"page-{i}")
        everything = ecs.list_clusters()["clusterArns"]
        assert everything == sorted(everything) and len(everything) == 7, everything
        paged, token = [], None
        while True:
            page = ecs.list_clusters(maxResults=3, **({"nextToken": token} if token else {}))
            paged += page["clusterArns"]
            token = page.get("nextToken")
            if not token:
                break
        assert paged == everything
        pages = list(ecs.get_paginator("list_clusters").paginate(PaginationConfig={"PageSize": 2}))
        assert sum(len(p["clusterArns"]) for p in pages) == 7 and len(pages) == 4

    @checks.run
    def delete_makes_inactive_and_unlisted():
        c = ecs.delete_cluster(cluster="page-0")["cluster"]
        assert c["status"] == "INACTIVE"
        assert ARN + "page-0" not in ecs.list_clusters()["clusterArns"]
        assert ecs.describe_clusters(clusters=["page-0"])["clusters"][0]["status"] == "INACTIVE"
        assert ecs.delete_cluster(cluster="page-0")["cluster"]["status"] == "INACTIVE"
        assert ecs.create_cluster(clusterName="page-0")["cluster"]["status"] == "ACTIVE"

    @checks.run
    def invalid_cluster_name():
        expect_client_error(lambda: ecs.create_cluster(clusterName="has space"), "InvalidParameterException")

    @checks.run
    def cluster_tags():
        arn = ARN + "page-1"
        ecs.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
        ecs.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "3"}])
        assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [
            {"key": "a", "value": "3"}, {"key": "b", "value": "2"}]
        ecs.untag_resource(resourceArn=arn, tagKeys=["a"])
        assert server.aws("ecs", "list-tags-for-resource", "--resource-arn", arn)["tags"] == [{"key": "b", "value": "2"}]
        expect_client_error(lambda: ecs.tag_resource(resourceArn=ARN + "ghost", tags=[{"key": "a", "value": "1"}]),
                            "ClusterNotFoundException")
        expect_client_error(lambda: ecs.list_tags_for_resource(resourceArn="arn:aws:s3:::bucket"),
                            "InvalidParameterException", "The ARN provided is invalid.")
        expect_client_error(lambda: ecs.tag_resource(resourceArn=arn, tags=[{"key": "aws:x", "value": "1"}]),
                            "InvalidParameterException")

    @checks.run
    def account_settings():
        root = "arn:aws:iam::000000000000:root"
        assert ecs.list_account_settings()["settings"] == []
        effective = [s for page in ecs.get_paginator("list_account_settings").paginate(effectiveSettings=True)
                     for s in page["settings"]]
        names = {s["name"]: s["value"] for s in effective}
        assert names["taskLongArnFormat"] == "enabled" and names["containerInsights"] == "disabled", names
        s = ecs.put_account_setting(name="containerInsights", value="enabled")["setting"]
        # Debian's boto3 predates the "type" member; the newest CLI shows it.
        assert s == {"name": "containerInsights", "value": "enabled", "principalArn": root}, s
        newest = server.aws("ecs", "list-account-settings", "--name", "containerInsights", cli=NEWEST_AWS)
        assert newest["settings"][0]["type"] == "user", newest
        listed = ecs.list_account_settings(name="containerInsights")["settings"]
        assert [x["value"] for x in listed] == ["enabled"]
        d = ecs.put_account_setting_default(name="awsvpcTrunking", value="enabled")["setting"]
        assert d["principalArn"] == root
        # New clusters take the account's containerInsights setting.
        c = ecs.create_cluster(clusterName="insightful")["cluster"]
        assert c["settings"] == [{"name": "containerInsights", "value": "enabled"}], c["settings"]
        expect_client_error(lambda: ecs.put_account_setting(name="taskLongArnFormat", value="maybe"),
                            "InvalidParameterException")
        expect_client_error(lambda: ecs.put_account_setting(name="guardDutyActivate", value="on"),
                            "InvalidParameterException")
        gone = ecs.delete_account_setting(name="containerInsights")["setting"]
        assert gone["value"] == "enabled"
        assert ecs.list_account_settings(name="containerInsights")["settings"] == []
        pages = list(ecs.get_paginator("list_account_settings").paginate(
            effectiveSettings=True, PaginationConfig={"PageSize": 4}))
        assert sum(len(p["settings"]) for p in pages) == len(effective) and len(pages) == 3

    @checks.run
    def state_survives_restart():
        server.stop()
        server.start()
        assert ARN + "alba-digi-cluster" in ecs.list_clusters()["clusterArns"]
        assert ecs.list_account_settings(name="awsvpcTrunking", principalArn="arn:aws:iam::000000000000:root")[
            "settings"][0]["value"] == "enabled"

checks.finish()
