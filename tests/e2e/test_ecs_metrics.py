#!/usr/bin/python3
"""AWS/ECS metrics from real tasks: a FARGATE service whose container spins a busy loop
reports CPUUtilization (and MemoryUtilization) per ClusterName and ServiceName within a few
usage intervals (--metrics-interval 2), read with boto3 and the aws CLI; with the cluster's
containerInsights setting enabled, ECS/ContainerInsights CpuUtilized/CpuReserved and
MemoryUtilized/MemoryReserved per service and task family too; the host is left clean."""
import datetime
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import NEWEST_AWS, Checks, WharfServer  # noqa: E402
from task_fixtures import assert_host_left_clean, prepare, push_to_wharf  # noqa: E402

checks = Checks()
before, layout = prepare("v1")
UTC = datetime.timezone.utc

with WharfServer("--metrics-interval", "2", agent=True) as server:
    image = push_to_wharf(server, layout, "v1", "app")
    ecs = server.boto3("ecs")
    cw = server.boto3("cloudwatch")
    subnets = server.aws("ec2", "describe-subnets", cli=NEWEST_AWS)["Subnets"]
    subnet = sorted(subnets, key=lambda s: s["AvailabilityZone"])[0]["SubnetId"]

    @checks.run
    def a_busy_service_reports_its_cpu():
        td = ecs.register_task_definition(
            family="busy", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "spin", "image": image, "essential": True, "stopTimeout": 2,
                                   "entryPoint": ["/bin/sh", "-c"], "command": ["while :; do :; done"]}])
        ecs.update_cluster_settings(cluster="default", settings=[{"name": "containerInsights", "value": "enabled"}])
        ecs.create_service(cluster="default", serviceName="busy", desiredCount=1, launchType="FARGATE",
                           taskDefinition=td["taskDefinition"]["taskDefinitionArn"],
                           networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet]}})
        start = datetime.datetime.now(UTC) - datetime.timedelta(minutes=2)
        dims = [{"Name": "ClusterName", "Value": "default"}, {"Name": "ServiceName", "Value": "busy"}]

        def stat(metric, dimensions, statistic="Maximum"):
            got = cw.get_metric_statistics(Namespace="AWS/ECS", MetricName=metric, Dimensions=dimensions,
                                           StartTime=start, EndTime=start + datetime.timedelta(minutes=10),
                                           Period=600, Statistics=[statistic])["Datapoints"]
            return got[0][statistic] if got else None
        deadline = time.time() + 90
        while time.time() < deadline and (stat("CPUUtilization", dims) or 0) < 50:
            time.sleep(1)
        # A busy loop takes a whole core when it can: far past its 256 units (25 %).
        assert stat("CPUUtilization", dims) >= 50, stat("CPUUtilization", dims)
        memory = stat("MemoryUtilization", dims)
        assert memory is not None and 0 <= memory < 100, memory
        assert stat("CPUUtilization", [{"Name": "ClusterName", "Value": "default"}]) >= 50
        listed = server.aws("cloudwatch", "list-metrics", "--namespace", "AWS/ECS", "--dimensions",
                            "Name=ServiceName,Value=busy")["Metrics"]
        assert sorted(m["MetricName"] for m in listed) == ["CPUUtilization", "MemoryUtilization"], listed
        point = cw.get_metric_statistics(Namespace="AWS/ECS", MetricName="CPUUtilization", Dimensions=dims,
                                         StartTime=start, EndTime=start + datetime.timedelta(minutes=10), Period=600,
                                         Statistics=["Average"])["Datapoints"][0]
        assert point["Unit"] == "Percent", point

        def insight(metric, dimensions, statistic="Maximum"):
            got = cw.get_metric_statistics(Namespace="ECS/ContainerInsights", MetricName=metric, Dimensions=dimensions,
                                           StartTime=start, EndTime=start + datetime.timedelta(minutes=10),
                                           Period=600, Statistics=[statistic])["Datapoints"]
            return got[0][statistic] if got else None
        family = [{"Name": "ClusterName", "Value": "default"}, {"Name": "TaskDefinitionFamily", "Value": "busy"}]
        assert insight("CpuReserved", dims) == 256.0 and insight("MemoryReserved", family) == 512.0, \
            (insight("CpuReserved", dims), insight("MemoryReserved", family))
        assert insight("CpuUtilized", dims) >= 128, insight("CpuUtilized", dims)  # 50 % of 256 units
        used = insight("MemoryUtilized", [{"Name": "ClusterName", "Value": "default"}])
        assert used is not None and 0 <= used < 512, used

    @checks.run
    def host_left_clean():
        assert_host_left_clean(server, ecs, before)

checks.finish()
