#!/usr/bin/python3
"""AWS Cloud Map (servicediscovery) with boto3 and the aws CLI, and ECS services registering
their tasks in it.

Covers namespaces (HTTP, private DNS in the default VPC, public DNS) through GetOperation and
ListOperations; services with DNS records and custom health checks; register, get, list,
discover (and its revision), health status, custom health updates, service attributes, tags,
pagination and filters; Cloud Map's errors. Then seed 003's flow: a private DNS namespace
`local`, a service `api` (A and SRV, MULTIVALUE, custom health), an ECS service of 3 awsvpc
tasks with serviceRegistries: DiscoverInstances returns the 3 with the attributes ECS sets;
scaled to 1, one; a task that StopTask stops is gone when StopTask answers (before its
SIGTERM); ListServicesByNamespace; Service Connect refused; delete-service deregisters
everything; the host is left as it was found.

DiscoverInstances is a data-plane call botocore sends to "data-" + the endpoint's host: the
clients here turn that host prefix off (the server is reached by IP address), and one check
resolves data-localhost to show the front door answers it there.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from botocore.config import Config  # noqa: E402
from wharf_harness import NEWEST_AWS, Checks, WharfServer, expect_client_error, wait_for  # noqa: E402
from task_fixtures import assert_host_left_clean, prepare, push_to_wharf  # noqa: E402

checks = Checks()
before, layout = prepare("v1")
HTTPD = "mkdir -p /www && echo ok > /www/index.html && httpd -f -p 8080 -h /www"




def wait_operation(sd, operation_id):
    def done():
        op = sd.get_operation(OperationId=operation_id)["Operation"]
        return op if op["Status"] == "SUCCESS" else None
    return wait_for(done, f"operation {operation_id}", timeout=10)


with WharfServer(agent=True) as server:
    sd = server.boto3("servicediscovery")
    data = server.boto3("servicediscovery", config=Config(inject_host_prefix=False))
    ecs = server.boto3("ecs")
    subnets = server.aws("ec2", "describe-subnets", cli=NEWEST_AWS)["Subnets"]
    subnet = sorted(subnets, key=lambda s: s["AvailabilityZone"])[0]
    vpc_id = subnet["VpcId"]
    cli_env = server.env(AWS_DISABLE_HOST_PREFIX_INJECTION="true")
    state = {}

    @checks.run
    def http_namespace_through_its_operation():
        op_id = sd.create_http_namespace(Name="apps", CreatorRequestId="req-1", Description="d",
                                         Tags=[{"Key": "team", "Value": "a"}])["OperationId"]
        first = sd.get_operation(OperationId=op_id)["Operation"]
        assert first["Type"] == "CREATE_NAMESPACE" and first["Status"] in ("SUBMITTED", "SUCCESS"), first
        op = wait_operation(sd, op_id)
        ns_id = op["Targets"]["NAMESPACE"]
        ns = sd.get_namespace(Id=ns_id)["Namespace"]
        assert ns["Name"] == "apps" and ns["Type"] == "HTTP" and ns["ServiceCount"] == 0, ns
        assert ns["Properties"]["HttpProperties"]["HttpName"] == "apps", ns
        assert ns["Arn"] == f"arn:aws:servicediscovery:us-east-1:000000000000:namespace/{ns_id}", ns
        # The same request again is the same operation; another one is refused.
        again = sd.create_http_namespace(Name="apps", CreatorRequestId="req-1")["OperationId"]
        assert again == op_id, (again, op_id)
        expect_client_error(lambda: sd.create_http_namespace(Name="apps"), "NamespaceAlreadyExists")
        tags = sd.list_tags_for_resource(ResourceARN=ns["Arn"])["Tags"]
        assert tags == [{"Key": "team", "Value": "a"}], tags
        state["http_ns"] = ns_id

    @checks.run
    def dns_namespaces():
        op = wait_operation(sd, sd.create_private_dns_namespace(
            Name="local", Vpc=vpc_id, Properties={"DnsProperties": {"SOA": {"TTL": 60}}})["OperationId"])
        ns = sd.get_namespace(Id=op["Targets"]["NAMESPACE"])["Namespace"]
        assert ns["Type"] == "DNS_PRIVATE", ns
        assert ns["Properties"]["DnsProperties"]["SOA"]["TTL"] == 60, ns
        assert ns["Properties"]["DnsProperties"]["HostedZoneId"].startswith("Z"), ns
        state["local"] = ns["Id"]
        expect_client_error(lambda: sd.create_private_dns_namespace(Name="other.internal", Vpc="vpc-0000000000"),
                            "InvalidInput")
        pub = wait_operation(sd, sd.create_public_dns_namespace(Name="example.com")["OperationId"])
        state["public"] = pub["Targets"]["NAMESPACE"]
        upd = sd.update_private_dns_namespace(Id=ns["Id"], Namespace={
            "Description": "private", "Properties": {"DnsProperties": {"SOA": {"TTL": 30}}}})["OperationId"]
        assert wait_operation(sd, upd)["Type"] == "UPDATE_NAMESPACE"
        ns = sd.get_namespace(Id=ns["Id"])["Namespace"]
        assert ns["Description"] == "private" and ns["Properties"]["DnsProperties"]["SOA"]["TTL"] == 30, ns
        expect_client_error(lambda: sd.update_http_namespace(Id=ns["Id"], Namespace={"Description": "x"}),
                            "InvalidInput")

    @checks.run
    def list_namespaces_filters_and_pages():
        types = lambda f: sorted(n["Type"] for n in sd.list_namespaces(Filters=f)["Namespaces"])  # noqa: E731
        assert types([]) == ["DNS_PRIVATE", "DNS_PUBLIC", "HTTP"], types([])
        assert types([{"Name": "TYPE", "Values": ["HTTP"], "Condition": "EQ"}]) == ["HTTP"]
        assert types([{"Name": "TYPE", "Values": ["HTTP", "DNS_PUBLIC"], "Condition": "IN"}]) == ["DNS_PUBLIC", "HTTP"]
        assert types([{"Name": "NAME", "Values": ["lo"], "Condition": "BEGINS_WITH"}]) == ["DNS_PRIVATE"]
        page = sd.list_namespaces(MaxResults=2)
        rest = sd.list_namespaces(MaxResults=2, NextToken=page["NextToken"])
        assert len(page["Namespaces"]) == 2 and len(rest["Namespaces"]) == 1 and "NextToken" not in rest
        paged = [n["Id"] for p in sd.get_paginator("list_namespaces").paginate(PaginationConfig={"PageSize": 1})
                 for n in p["Namespaces"]]
        assert len(paged) == 3, paged
        ops = sd.list_operations(Filters=[{"Name": "TYPE", "Values": ["CREATE_NAMESPACE"], "Condition": "EQ"}])
        assert len(ops["Operations"]) == 3, ops

    @checks.run
    def services_and_their_rules():
        expect_client_error(lambda: sd.create_service(Name="x", NamespaceId=state["http_ns"],
                                                      DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 10}]}),
                            "InvalidInput")
        expect_client_error(lambda: sd.create_service(Name="x", NamespaceId="ns-doesnotexist00"), "NamespaceNotFound")
        expect_client_error(lambda: sd.create_service(Name="x", NamespaceId=state["local"], DnsConfig={
            "DnsRecords": [{"Type": "CNAME", "TTL": 10}]}), "InvalidInput")
        expect_client_error(lambda: sd.create_service(Name="x", NamespaceId=state["public"], HealthCheckConfig={
            "Type": "HTTP", "ResourcePath": "/"}), "InvalidInput")
        web = sd.create_service(Name="web", NamespaceId=state["http_ns"], HealthCheckCustomConfig={})["Service"]
        assert web["Type"] == "HTTP" and web["InstanceCount"] == 0, web
        expect_client_error(lambda: sd.create_service(Name="web", NamespaceId=state["http_ns"]), "ServiceAlreadyExists")
        state["web"] = web["Id"]
        # Service attributes are newer than Debian's botocore: the newest CLI.
        server.aws("servicediscovery", "update-service-attributes", "--service-id", web["Id"],
                   "--attributes", "owner=me,tier=1", cli=NEWEST_AWS)
        server.aws("servicediscovery", "delete-service-attributes", "--service-id", web["Id"],
                   "--attributes", "tier", cli=NEWEST_AWS)
        attrs = server.aws("servicediscovery", "get-service-attributes", "--service-id", web["Id"],
                           cli=NEWEST_AWS)["ServiceAttributes"]
        assert attrs["Attributes"] == {"owner": "me"} and attrs["ServiceArn"] == web["Arn"], attrs
        sd.tag_resource(ResourceARN=web["Arn"], Tags=[{"Key": "k", "Value": "v"}, {"Key": "k2", "Value": "v2"}])
        sd.untag_resource(ResourceARN=web["Arn"], TagKeys=["k2"])
        assert sd.list_tags_for_resource(ResourceARN=web["Arn"])["Tags"] == [{"Key": "k", "Value": "v"}]
        op = wait_operation(sd, sd.update_service(Id=web["Id"], Service={"Description": "the web"})["OperationId"])
        assert op["Type"] == "UPDATE_SERVICE" and op["Targets"]["SERVICE"] == web["Id"], op
        listed = sd.list_services(Filters=[{"Name": "NAMESPACE_ID", "Values": [state["http_ns"]]}])["Services"]
        assert [s["Name"] for s in listed] == ["web"] and listed[0]["Description"] == "the web", listed

    @checks.run
    def instances_health_and_discovery():
        web = state["web"]
        ops = [sd.register_instance(ServiceId=web, InstanceId=f"i-{n}",
                                    Attributes={"AWS_INSTANCE_IPV4": f"10.9.0.{n}", "stage": "prod" if n < 3 else "dev"}
                                    )["OperationId"] for n in range(1, 5)]
        for op in ops:
            assert wait_operation(sd, op)["Type"] == "REGISTER_INSTANCE"
        rev = server.aws("servicediscovery", "discover-instances-revision", "--namespace-name", "apps",
                         "--service-name", "web", cli=NEWEST_AWS, env=cli_env)["InstancesRevision"]
        got = data.discover_instances(NamespaceName="apps", ServiceName="web")["Instances"]
        assert sorted(i["InstanceId"] for i in got) == ["i-1", "i-2", "i-3", "i-4"], got
        assert all(i["HealthStatus"] == "HEALTHY" and i["NamespaceName"] == "apps" for i in got), got
        sd.update_instance_custom_health_status(ServiceId=web, InstanceId="i-2", Status="UNHEALTHY")
        health = sd.get_instances_health_status(ServiceId=web)["Status"]
        assert health == {"i-1": "HEALTHY", "i-2": "UNHEALTHY", "i-3": "HEALTHY", "i-4": "HEALTHY"}, health
        prod = data.discover_instances(NamespaceName="apps", ServiceName="web", QueryParameters={"stage": "prod"})
        assert [i["InstanceId"] for i in prod["Instances"]] == ["i-1"], prod
        # Debian's botocore predates InstancesRevision in the answer: the newest CLI reads it.
        rev_after = server.aws("servicediscovery", "discover-instances-revision", "--namespace-name", "apps",
                               "--service-name", "web", cli=NEWEST_AWS, env=cli_env)["InstancesRevision"]
        assert rev_after > rev, (rev_after, rev)
        assert prod.get("InstancesRevision", rev_after) == rev_after, prod
        every = data.discover_instances(NamespaceName="apps", ServiceName="web", HealthStatus="ALL", MaxResults=3)
        assert len(every["Instances"]) == 3, every
        inst = sd.get_instance(ServiceId=web, InstanceId="i-1")["Instance"]
        assert inst["Attributes"]["AWS_INSTANCE_IPV4"] == "10.9.0.1", inst
        page = sd.list_instances(ServiceId=web, MaxResults=3)
        assert len(page["Instances"]) == 3 and "NextToken" in page, page
        assert sd.get_service(Id=web)["Service"]["InstanceCount"] == 4
        # The aws CLI, host prefix off.
        out = server.aws("servicediscovery", "discover-instances", "--namespace-name", "apps", "--service-name", "web",
                         "--query-parameters", "stage=dev", cli=NEWEST_AWS, env=cli_env)
        assert [i["InstanceId"] for i in out["Instances"]] == ["i-3", "i-4"], out
        dereg = sd.deregister_instance(ServiceId=web, InstanceId="i-4")["OperationId"]
        assert wait_operation(sd, dereg)["Type"] == "DEREGISTER_INSTANCE"
        expect_client_error(lambda: sd.get_instance(ServiceId=web, InstanceId="i-4"), "InstanceNotFound")
        expect_client_error(lambda: sd.deregister_instance(ServiceId=web, InstanceId="i-4"), "InstanceNotFound")

    @checks.run
    def discovery_under_its_data_plane_host():
        # botocore's own addressing: the model's host prefix "data-" before the endpoint's host
        # (data-servicediscovery.<region>.amazonaws.com on AWS, data-localhost here). The name
        # is made to resolve to the server; the front door answers whatever the Host.
        import socket
        real = socket.getaddrinfo

        def resolve(host, *args, **kwargs):
            return real("127.0.0.1" if host == "data-localhost" else host, *args, **kwargs)
        socket.getaddrinfo = resolve
        try:
            prefixed = server.boto3("servicediscovery", endpoint_url=server.endpoint.replace("127.0.0.1", "localhost"))
            got = prefixed.discover_instances(NamespaceName="apps", ServiceName="web", HealthStatus="ALL")["Instances"]
        finally:
            socket.getaddrinfo = real
        assert sorted(i["InstanceId"] for i in got) == ["i-1", "i-2", "i-3"], got

    @checks.run
    def errors_as_cloud_map_gives_them():
        expect_client_error(lambda: sd.get_namespace(Id="ns-nope"), "NamespaceNotFound")
        expect_client_error(lambda: sd.get_service(Id="srv-nope"), "ServiceNotFound")
        expect_client_error(lambda: sd.get_operation(OperationId="nope"), "OperationNotFound")
        expect_client_error(lambda: data.discover_instances(NamespaceName="nope", ServiceName="web"), "NamespaceNotFound")
        expect_client_error(lambda: data.discover_instances(NamespaceName="apps", ServiceName="nope"), "ServiceNotFound")
        expect_client_error(lambda: sd.delete_service(Id=state["web"]), "ResourceInUse")
        expect_client_error(lambda: sd.delete_namespace(Id=state["http_ns"]), "ResourceInUse")
        plain = sd.create_service(Name="plain", NamespaceId=state["http_ns"])["Service"]
        sd.register_instance(ServiceId=plain["Id"], InstanceId="p", Attributes={"a": "b"})
        expect_client_error(lambda: sd.update_instance_custom_health_status(
            ServiceId=plain["Id"], InstanceId="p", Status="HEALTHY"), "CustomHealthNotFound")
        expect_client_error(lambda: sd.register_instance(ServiceId=plain["Id"], InstanceId="q", Attributes={}),
                            "InvalidInput")
        expect_client_error(lambda: sd.list_namespaces(NextToken="garbage"), "InvalidInput")
        sd.deregister_instance(ServiceId=plain["Id"], InstanceId="p")
        sd.delete_service(Id=plain["Id"])

    @checks.run
    def ecs_service_registers_its_tasks():
        image = push_to_wharf(server, layout, "v1", "app")
        td = ecs.register_task_definition(
            family="api", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "web", "image": image, "essential": True, "stopTimeout": 2,
                                   "entryPoint": ["/bin/sh", "-c"], "command": [HTTPD],
                                   "portMappings": [{"containerPort": 8080}]}])["taskDefinition"]
        api = sd.create_service(Name="api", NamespaceId=state["local"], HealthCheckCustomConfig={"FailureThreshold": 1},
                                DnsConfig={"RoutingPolicy": "MULTIVALUE", "DnsRecords": [
                                    {"Type": "A", "TTL": 10}, {"Type": "SRV", "TTL": 10}]})["Service"]
        state["api"] = api["Id"]
        network = {"awsvpcConfiguration": {"subnets": [subnet["SubnetId"]]}}
        # ECS's checks: the registry must exist; an SRV record needs a port.
        expect_client_error(lambda: ecs.create_service(
            cluster="default", serviceName="bad", taskDefinition=td["taskDefinitionArn"], desiredCount=1,
            launchType="FARGATE", networkConfiguration=network,
            serviceRegistries=[{"registryArn": api["Arn"] + "x"}]), "InvalidParameterException")
        expect_client_error(lambda: ecs.create_service(
            cluster="default", serviceName="bad", taskDefinition=td["taskDefinitionArn"], desiredCount=1,
            launchType="FARGATE", networkConfiguration=network,
            serviceRegistries=[{"registryArn": api["Arn"]}]), "InvalidParameterException", "SRV")
        expect_client_error(lambda: ecs.create_service(
            cluster="default", serviceName="bad", taskDefinition=td["taskDefinitionArn"], desiredCount=1,
            launchType="FARGATE", networkConfiguration=network,
            serviceConnectConfiguration={"enabled": True, "namespace": "local"}),
            "InvalidParameterException", "Service Connect")
        registries = [{"registryArn": api["Arn"], "containerName": "web", "containerPort": 8080}]
        svc = ecs.create_service(cluster="default", serviceName="api", taskDefinition=td["taskDefinitionArn"],
                                 desiredCount=3, launchType="FARGATE", networkConfiguration=network,
                                 serviceRegistries=registries)["service"]
        assert svc["serviceRegistries"] == registries, svc
        ecs.get_waiter("services_stable").wait(cluster="default", services=["api"],
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        assert ecs.describe_services(cluster="default", services=["api"])["services"][0]["serviceRegistries"] == registries

        def discovered(n):
            got = data.discover_instances(NamespaceName="local", ServiceName="api")["Instances"]
            return got if len(got) == n else None
        got = wait_for(lambda: discovered(3), "3 instances")
        arns = ecs.list_tasks(cluster="default", serviceName="api")["taskArns"]
        tasks = ecs.describe_tasks(cluster="default", tasks=arns)["tasks"]
        ips = {t["taskArn"].split("/")[-1]: [d["value"] for a in t["attachments"] for d in a["details"]
                                            if d["name"] == "privateIPv4Address"][0] for t in tasks}
        assert sorted(i["InstanceId"] for i in got) == sorted(ips), (got, ips)
        for i in got:
            a = i["Attributes"]
            assert a["AWS_INSTANCE_IPV4"] == ips[i["InstanceId"]], i
            assert a["AWS_INSTANCE_PORT"] == "8080", i
            assert a["ECS_CLUSTER_NAME"] == "default" and a["ECS_SERVICE_NAME"] == "api", i
            assert a["ECS_TASK_DEFINITION_FAMILY"] == "api" and a["REGION"] == "us-east-1", i
            assert a["AVAILABILITY_ZONE"] == subnet["AvailabilityZone"], i
            assert i["HealthStatus"] == "HEALTHY", i
        listed = ecs.list_services_by_namespace(namespace="local")["serviceArns"]
        assert listed == [svc["serviceArn"]], listed

    @checks.run
    def scaling_down_deregisters():
        ecs.update_service(cluster="default", service="api", desiredCount=1)
        got = wait_for(lambda: len(data.discover_instances(NamespaceName="local", ServiceName="api")["Instances"]) == 1
                       and data.discover_instances(NamespaceName="local", ServiceName="api")["Instances"],
                       "1 instance")
        assert len(got) == 1, got

    @checks.run
    def a_stopping_task_is_gone_before_its_sigterm():
        arns = ecs.list_tasks(cluster="default", serviceName="api", desiredStatus="RUNNING")["taskArns"]
        wait_for(lambda: len(ecs.list_tasks(cluster="default", serviceName="api")["taskArns"]) == 1, "one task")
        arns = ecs.list_tasks(cluster="default", serviceName="api")["taskArns"]
        task_id = arns[0].split("/")[-1]
        assert [i["InstanceId"] for i in data.discover_instances(NamespaceName="local", ServiceName="api")["Instances"]] \
            == [task_id]
        stopped = ecs.stop_task(cluster="default", task=arns[0])["task"]
        # StopTask's commit removed the instance: no answer names the task from here on.
        ids = [i["InstanceId"] for i in data.discover_instances(NamespaceName="local", ServiceName="api",
                                                                HealthStatus="ALL")["Instances"]]
        assert task_id not in ids, (ids, stopped["lastStatus"])
        # The service replaces it, and the replacement registers.
        wait_for(lambda: [i for i in data.discover_instances(NamespaceName="local", ServiceName="api")["Instances"]
                          if i["InstanceId"] != task_id], "the replacement registered")

    @checks.run
    def delete_service_deregisters_everything():
        ecs.delete_service(cluster="default", service="api", force=True)
        ecs.get_waiter("services_inactive").wait(cluster="default", services=["api"],
                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        wait_for(lambda: sd.list_instances(ServiceId=state["api"])["Instances"] == [], "no instances")
        sd.delete_service(Id=state["api"])
        for ns in (state["local"], state["public"]):
            wait_operation(sd, sd.delete_namespace(Id=ns)["OperationId"])
        sd.deregister_instance(ServiceId=state["web"], InstanceId="i-1")
        for n in (2, 3):
            sd.deregister_instance(ServiceId=state["web"], InstanceId=f"i-{n}")
        sd.delete_service(Id=state["web"])
        wait_operation(sd, sd.delete_namespace(Id=state["http_ns"])["OperationId"])
        assert sd.list_namespaces()["Namespaces"] == []
        expect_client_error(lambda: ecs.list_services_by_namespace(namespace="local"), "NamespaceNotFoundException")

    @checks.run
    def host_left_clean():
        assert_host_left_clean(server, ecs, before)

checks.finish()
