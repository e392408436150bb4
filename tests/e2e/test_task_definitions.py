#!/usr/bin/python3
"""Task definitions with the real aws CLI and boto3: the seeds' definitions register
unchanged and describe back with what AWS adds; revisions, listing, deregistration and
deletion behave as on AWS; invalid definitions get AWS's error and message."""
import copy
import json
import os

from wharf_harness import NEWEST_AWS, Checks, WharfServer, expect_client_error

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
checks = Checks()


def load(name):
    with open(os.path.join(DATA, name)) as f:
        return json.load(f)


def assert_subset(expected, actual, path="taskDefinition"):
    """Everything the user sent comes back with the same value."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: {actual!r} is not an object"
        for k, v in expected.items():
            assert k in actual, f"{path}.{k} missing from {sorted(actual)}"
            assert_subset(v, actual[k], f"{path}.{k}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{path}: {actual!r}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            assert_subset(e, a, f"{path}[{i}]")
    else:
        assert expected == actual, f"{path}: sent {expected!r}, got {actual!r}"


def assert_aws_additions(td, family, revision, compatibilities):
    assert td["taskDefinitionArn"] == f"arn:aws:ecs:us-east-1:000000000000:task-definition/{family}:{revision}"
    assert td["revision"] == revision and td["status"] == "ACTIVE"
    assert td["compatibilities"] == compatibilities, td["compatibilities"]
    assert td["registeredBy"] == "arn:aws:iam::000000000000:root"
    assert "registeredAt" in td and isinstance(td["requiresAttributes"], list)
    for c in td["containerDefinitions"]:
        for k in ("portMappings", "environment", "mountPoints", "volumesFrom"):
            assert isinstance(c[k], list), (c["name"], k)
        assert "essential" in c


with WharfServer() as server:
    anexo2_path = os.path.join(DATA, "seed004-anexo2-ec2-bridge.json")
    anexo3_path = os.path.join(DATA, "seed004-anexo3-fargate-awsvpc.json")
    ecs = server.boto3("ecs")

    @checks.run
    def seed_anexo2_registers_unchanged_with_the_cli():
        out = server.aws("ecs", "register-task-definition", "--cli-input-json", "file://" + anexo2_path)
        td = out["taskDefinition"]
        assert_subset(load("seed004-anexo2-ec2-bridge.json"), td)
        assert_aws_additions(td, "wordpress-task", 1, ["EXTERNAL", "EC2"])
        described = server.aws("ecs", "describe-task-definition", "--task-definition", "wordpress-task")
        assert described["taskDefinition"] == td
        names = {a["name"] for a in td["requiresAttributes"]}
        assert "com.amazonaws.ecs.capability.task-iam-role" in names
        assert "com.amazonaws.ecs.capability.ecr-auth" in names

    @checks.run
    def seed_anexo3_registers_unchanged_with_the_newest_cli():
        assert os.path.exists(NEWEST_AWS), f"{NEWEST_AWS} is missing: it sends enableFaultInjection"
        out = server.aws("ecs", "register-task-definition", "--cli-input-json", "file://" + anexo3_path,
                         cli=NEWEST_AWS)
        td = out["taskDefinition"]
        assert_subset(load("seed004-anexo3-fargate-awsvpc.json"), td)
        assert td["enableFaultInjection"] is False
        assert_aws_additions(td, "wordpress-fargate-task", 1, ["EC2", "FARGATE"])
        names = {a["name"] for a in td["requiresAttributes"]}
        assert "ecs.capability.task-eni" in names

    @checks.run
    def seed_anexo3_registers_with_debian_boto3():
        request = load("seed004-anexo3-fargate-awsvpc.json")
        request.pop("enableFaultInjection")  # Debian's botocore 1.29 predates it
        td = ecs.register_task_definition(**request)["taskDefinition"]
        assert_subset(request, td)
        assert td["revision"] == 2

    @checks.run
    def seed001_task_registers_with_units_normalised():
        td = ecs.register_task_definition(**load("seed001-alba-digi-task.json"))["taskDefinition"]
        assert td["cpu"] == "1024" and td["memory"] == "3072", (td["cpu"], td["memory"])
        pm = td["containerDefinitions"][0]["portMappings"][0]
        assert pm == {"containerPort": 5050, "hostPort": 5050, "protocol": "tcp"}, pm
        assert td["compatibilities"] == ["EC2", "FARGATE"]

    @checks.run
    def awsvpc_fills_host_port_bridge_keeps_dynamic():
        td = ecs.register_task_definition(
            family="ports", networkMode="awsvpc", memory="512",
            containerDefinitions=[{"name": "web", "image": "busybox", "portMappings": [{"containerPort": 80}]}],
        )["taskDefinition"]
        assert td["containerDefinitions"][0]["portMappings"][0]["hostPort"] == 80
        td = ecs.register_task_definition(
            family="ports", memory="512",
            containerDefinitions=[{"name": "web", "image": "busybox", "portMappings": [{"containerPort": 80}]}],
        )["taskDefinition"]
        assert td["containerDefinitions"][0]["portMappings"][0]["hostPort"] == 0

    @checks.run
    def revisions_are_never_reused():
        request = {"family": "revs", "containerDefinitions": [{"name": "a", "image": "busybox", "memory": 64}]}
        for expected in (1, 2, 3):
            assert ecs.register_task_definition(**request)["taskDefinition"]["revision"] == expected
        assert ecs.describe_task_definition(taskDefinition="revs")["taskDefinition"]["revision"] == 3
        ecs.deregister_task_definition(taskDefinition="revs:3")
        assert ecs.describe_task_definition(taskDefinition="revs")["taskDefinition"]["revision"] == 2
        inactive = ecs.describe_task_definition(taskDefinition="revs:3")["taskDefinition"]
        assert inactive["status"] == "INACTIVE" and "deregisteredAt" in inactive
        # DeleteTaskDefinitions is newer than Debian's boto3: the image's newest CLI sends it.
        out = server.aws("ecs", "delete-task-definitions", "--task-definitions", "revs:3", "revs:2", "revs:99",
                         cli=NEWEST_AWS)
        assert [t["revision"] for t in out["taskDefinitions"]] == [3]
        assert out["taskDefinitions"][0]["status"] == "DELETE_IN_PROGRESS"
        assert len(out["failures"]) == 2, out["failures"]
        assert "ACTIVE" in out["failures"][0]["reason"]
        expect_client_error(lambda: ecs.describe_task_definition(taskDefinition="revs:3"),
                            "ClientException", "Unable to describe task definition.")
        assert ecs.register_task_definition(**request)["taskDefinition"]["revision"] == 4

    @checks.run
    def listing_sorts_filters_and_pages():
        arns = ecs.list_task_definitions(familyPrefix="revs")["taskDefinitionArns"]
        assert [a.rsplit(":", 1)[1] for a in arns] == ["1", "2", "4"], arns
        arns = ecs.list_task_definitions(familyPrefix="revs", sort="DESC")["taskDefinitionArns"]
        assert [a.rsplit(":", 1)[1] for a in arns] == ["4", "2", "1"], arns
        assert ecs.list_task_definitions(familyPrefix="revs", status="INACTIVE")["taskDefinitionArns"] == []
        everything = ecs.list_task_definitions()["taskDefinitionArns"]
        paged, token = [], None
        while True:
            kw = {"maxResults": 2}
            if token:
                kw["nextToken"] = token
            page = ecs.list_task_definitions(**kw)
            paged += page["taskDefinitionArns"]
            token = page.get("nextToken")
            if not token:
                break
        assert paged == everything and len(everything) >= 8, (paged, everything)
        families = ecs.list_task_definition_families()["families"]
        assert families == sorted(families) and "wordpress-task" in families, families
        assert ecs.list_task_definition_families(familyPrefix="word")["families"] == [
            "wordpress-fargate-task", "wordpress-task"]
        cli_all = server.aws("ecs", "list-task-definitions", "--max-items", "3")
        assert len(cli_all["taskDefinitionArns"]) == 3 and "NextToken" in cli_all

    @checks.run
    def tags_on_task_definitions():
        td = ecs.register_task_definition(
            family="tagged", containerDefinitions=[{"name": "a", "image": "busybox", "memory": 64}],
            tags=[{"key": "team", "value": "blue"}])["taskDefinition"]
        got = ecs.describe_task_definition(taskDefinition="tagged", include=["TAGS"])
        assert got["tags"] == [{"key": "team", "value": "blue"}]
        assert "tags" not in ecs.describe_task_definition(taskDefinition="tagged")
        ecs.tag_resource(resourceArn=td["taskDefinitionArn"], tags=[{"key": "env", "value": "dev"}])
        ecs.untag_resource(resourceArn=td["taskDefinitionArn"], tagKeys=["team"])
        assert ecs.list_tags_for_resource(resourceArn=td["taskDefinitionArn"])["tags"] == [
            {"key": "env", "value": "dev"}]

    def base():
        return {"family": "bad", "containerDefinitions": [{"name": "web", "image": "busybox", "memory": 128}]}

    def fargate():
        return {"family": "bad", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc",
                "cpu": "256", "memory": "512",
                "containerDefinitions": [{"name": "web", "image": "busybox"}]}

    def with_change(make, change):
        request = make()
        change(request)
        return request

    INVALID = [
        ("fargate_needs_awsvpc", with_change(fargate, lambda r: r.update(networkMode="bridge")),
         "ClientException", "Fargate only supports network mode \u2018awsvpc\u2019."),
        ("fargate_needs_task_cpu", with_change(fargate, lambda r: r.pop("cpu")),
         "ClientException", "Fargate requires that 'cpu' be defined at the task level."),
        ("fargate_size_must_exist", with_change(fargate, lambda r: r.update(cpu="1024", memory="1024")),
         "ClientException", "No Fargate configuration exists for given values: 1024 CPU, 1024 memory."),
        ("fargate_awslogs_needs_execution_role", with_change(fargate, lambda r: r["containerDefinitions"][0].update(
            logConfiguration={"logDriver": "awslogs", "options": {"awslogs-group": "g"}})),
         "ClientException", "execution role ARN to support log driver awslogs"),
        ("container_needs_memory", with_change(base, lambda r: r["containerDefinitions"][0].pop("memory")),
         "ClientException", "At least one of 'memory' or 'memoryReservation' must be specified."),
        ("reservation_above_memory", with_change(base, lambda r: r["containerDefinitions"][0].update(
            memoryReservation=256)), "ClientException", "memoryReservation"),
        ("container_memory_above_task", with_change(base, lambda r: r.update(memory="64")),
         "ClientException", "The 'memory' setting for container 'web' is greater than for the task."),
        ("needs_an_essential_container", with_change(base, lambda r: r["containerDefinitions"][0].update(
            essential=False)), "ClientException", "Task definition doesn't have any essential container."),
        ("names_unique", with_change(base, lambda r: r["containerDefinitions"].append(
            dict(r["containerDefinitions"][0]))), "ClientException",
         "Container names must be unique within a Task Definition."),
        ("depends_on_real_container", with_change(base, lambda r: r["containerDefinitions"][0].update(
            dependsOn=[{"containerName": "db", "condition": "START"}])), "ClientException", "'db'"),
        ("links_to_real_container", with_change(base, lambda r: r["containerDefinitions"][0].update(
            links=["db:db"])), "ClientException", "'db'"),
        ("no_links_in_awsvpc", with_change(base, lambda r: (r.update(networkMode="awsvpc"),
                                                             r["containerDefinitions"].append(
                                                                 {"name": "db", "image": "x", "memory": 64}),
                                                             r["containerDefinitions"][0].update(links=["db"]))),
         "ClientException", "Links are not supported when networkMode=awsvpc."),
        ("awsvpc_ports_match", with_change(base, lambda r: (r.update(networkMode="awsvpc"),
                                                             r["containerDefinitions"][0].update(portMappings=[
                                                                 {"containerPort": 80, "hostPort": 8080}]))),
         "ClientException", "When networkMode=awsvpc, the host ports and container ports in port mappings must match."),
        ("family_characters", with_change(base, lambda r: r.update(family="no spaces")),
         "ClientException", "Family contains invalid characters."),
        ("bad_task_cpu", with_change(base, lambda r: r.update(cpu="lots")),
         "ClientException", "Invalid 'cpu' setting for task."),
        ("unknown_network_mode", with_change(base, lambda r: r.update(networkMode="mesh")),
         "InvalidParameterException", "networkMode"),
    ]

    for name, request, code, message in INVALID:
        def check(request=request, code=code, message=message):
            expect_client_error(lambda: ecs.register_task_definition(**request), code, message)
        check.__name__ = "refuses_" + name
        checks.run(check)

    @checks.run
    def refused_definitions_change_nothing():
        assert "bad" not in ecs.list_task_definition_families(status="ALL")["families"]

    @checks.run
    def invalid_definition_via_cli_prints_aws_error():
        p = server.aws("ecs", "register-task-definition", "--family", "x", "--requires-compatibilities", "FARGATE",
                       "--network-mode", "bridge", "--cpu", "256", "--memory", "512",
                       "--container-definitions", '[{"name":"a","image":"b"}]', check=False)
        assert p.returncode != 0
        assert "An error occurred (ClientException) when calling the RegisterTaskDefinition operation: " \
               "Fargate only supports network mode" in p.stderr, p.stderr

checks.finish()
