#!/usr/bin/python3
"""CloudWatch metrics and alarms with boto3 and the aws CLI.

PutMetricData (values and counts, statistic sets, dimensions, units, high resolution, a gzip-
compressed batch of 1,000), GetMetricStatistics with percentiles, ListMetrics with dimension
filters, GetMetricData with metric math and pages, an alarm going OK -> ALARM -> OK as data
arrives (M out of N), its history, SetAlarmState, DescribeAlarmsForMetric, DeleteAlarms,
dashboards (put, get, list by prefix, delete, bodies refused), AWS's errors, and the data surviving a crash of the server. Run by the image's python3
(botocore 1.43: JSON 1.0) and Debian's (botocore 1.29: Query), both protocols are covered,
and the CLI runs as Debian's (Query) and the image's newest (JSON).
"""
import datetime
import http.server
import json
import threading
import time
import urllib.error
import urllib.request

from wharf_harness import NEWEST_AWS, Checks, WharfServer, expect_client_error, free_port

checks = Checks()
UTC = datetime.timezone.utc


def minute_ago(minutes):
    now = datetime.datetime.now(UTC).replace(second=0, microsecond=0)
    return now - datetime.timedelta(minutes=minutes)


class Backend:
    """An HTTP server on 127.0.0.1 answering 200 (or 500 on /fail)."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                body = b"ok"
                self.send_response(500 if self.path == "/fail" else 200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


with WharfServer("--alarm-evaluation-interval", "1", "--metrics-interval", "2") as server:
    cw = server.boto3("cloudwatch")
    T = minute_ago(30)  # a whole minute, half an hour ago

    @checks.run
    def put_and_get_statistics_with_percentiles():
        cw.put_metric_data(Namespace="Shop", MetricData=[
            {"MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": "cart"}],
             "Timestamp": T, "Values": [float(v) for v in range(1, 101)], "Unit": "Milliseconds"},
            {"MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": "cart"}],
             "Timestamp": T + datetime.timedelta(minutes=1), "Value": 500.0, "Unit": "Milliseconds"},
            {"MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": "cart"}],
             "Timestamp": T + datetime.timedelta(minutes=2), "Unit": "Milliseconds",
             "StatisticValues": {"SampleCount": 4, "Sum": 40, "Minimum": 5, "Maximum": 15}},
        ])
        got = cw.get_metric_statistics(Namespace="Shop", MetricName="Latency",
                                       Dimensions=[{"Name": "Service", "Value": "cart"}],
                                       StartTime=T, EndTime=T + datetime.timedelta(minutes=3), Period=60,
                                       Statistics=["SampleCount", "Average", "Sum", "Minimum", "Maximum"])
        points = sorted(got["Datapoints"], key=lambda p: p["Timestamp"])
        assert got["Label"] == "Latency" and len(points) == 3, got
        first = points[0]
        assert first["Timestamp"] == T and first["Unit"] == "Milliseconds", first
        assert (first["SampleCount"], first["Sum"], first["Minimum"], first["Maximum"], first["Average"]) == \
            (100.0, 5050.0, 1.0, 100.0, 50.5), first
        assert points[2]["Average"] == 10.0 and points[2]["SampleCount"] == 4.0, points[2]
        pct = cw.get_metric_statistics(Namespace="Shop", MetricName="Latency",
                                       Dimensions=[{"Name": "Service", "Value": "cart"}],
                                       StartTime=T, EndTime=T + datetime.timedelta(minutes=2), Period=120,
                                       ExtendedStatistics=["p50", "p99", "p100"])["Datapoints"]
        assert len(pct) == 1 and pct[0]["ExtendedStatistics"] == {"p50": 51.0, "p99": 100.0, "p100": 500.0}, pct
        # Another unit, or other dimensions, are other data.
        none = cw.get_metric_statistics(Namespace="Shop", MetricName="Latency", Unit="Seconds",
                                        Dimensions=[{"Name": "Service", "Value": "cart"}], StartTime=T,
                                        EndTime=T + datetime.timedelta(minutes=3), Period=60, Statistics=["Sum"])
        assert none["Datapoints"] == [], none
        assert cw.get_metric_statistics(Namespace="Shop", MetricName="Latency", StartTime=T,
                                        EndTime=T + datetime.timedelta(minutes=3), Period=60,
                                        Statistics=["Sum"])["Datapoints"] == []

    @checks.run
    def the_cli_in_both_protocols():
        start = (T - datetime.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for cli, value in (("/usr/bin/aws", "3"), (NEWEST_AWS, "4")):
            server.aws("cloudwatch", "put-metric-data", "--namespace", "Cli", "--metric-name", "Requests",
                       "--value", value, "--unit", "Count", "--dimensions", "Host=a,Zone=z1",
                       "--timestamp", start, cli=cli)
        for cli in ("/usr/bin/aws", NEWEST_AWS):
            got = server.aws("cloudwatch", "get-metric-statistics", "--namespace", "Cli", "--metric-name", "Requests",
                             "--dimensions", "Name=Zone,Value=z1", "Name=Host,Value=a",
                             "--start-time", start, "--end-time", T.strftime("%Y-%m-%dT%H:%M:%SZ"),
                             "--period", "60", "--statistics", "Sum", "SampleCount", cli=cli)
            assert [(p["Sum"], p["SampleCount"]) for p in got["Datapoints"]] == [(7.0, 2.0)], got
            listed = server.aws("cloudwatch", "list-metrics", "--namespace", "Cli", cli=cli)["Metrics"]
            assert listed == [{"Namespace": "Cli", "MetricName": "Requests",
                               "Dimensions": [{"Name": "Host", "Value": "a"}, {"Name": "Zone", "Value": "z1"}]}], listed
        p = server.aws("cloudwatch", "put-metric-data", "--namespace", "AWS/ECS", "--metric-name", "X", "--value", "1",
                       check=False)
        assert p.returncode != 0 and "InvalidParameterValue" in p.stderr, p.stderr

    @checks.run
    def list_metrics_with_dimension_filters():
        now = datetime.datetime.now(UTC)
        for svc, env in (("api", "prod"), ("api", "dev"), ("web", "prod")):
            cw.put_metric_data(Namespace="Fleet", MetricData=[
                {"MetricName": "CPU", "Timestamp": now, "Value": 1.0,
                 "Dimensions": [{"Name": "Service", "Value": svc}, {"Name": "Env", "Value": env}]}])
        cw.put_metric_data(Namespace="Fleet", MetricData=[{"MetricName": "Memory", "Timestamp": now, "Value": 1.0}])

        def names(**kw):
            return sorted((m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"])))
                          for m in cw.list_metrics(Namespace="Fleet", **kw)["Metrics"])
        assert len(names()) == 4
        assert names(Dimensions=[{"Name": "Env", "Value": "prod"}]) == [
            ("CPU", (("Env", "prod"), ("Service", "api"))), ("CPU", (("Env", "prod"), ("Service", "web")))]
        assert len(names(Dimensions=[{"Name": "Service"}])) == 3
        assert names(MetricName="Memory") == [("Memory", ())]
        assert len(names(RecentlyActive="PT3H")) == 4
        paginator = cw.get_paginator("list_metrics")
        assert sum(len(p["Metrics"]) for p in paginator.paginate(Namespace="Fleet")) == 4

    @checks.run
    def get_metric_data_with_math_and_pages():
        start = minute_ago(20)
        data = []
        for i in range(5):
            at = start + datetime.timedelta(minutes=i)
            data.append({"MetricName": "Hits", "Timestamp": at, "Value": float(10 * (i + 1))})
            data.append({"MetricName": "Misses", "Timestamp": at, "Value": float(i + 1)})
        cw.put_metric_data(Namespace="Cache", MetricData=data)

        def stat(name):
            return {"Metric": {"Namespace": "Cache", "MetricName": name}, "Period": 60, "Stat": "Sum"}
        queries = [{"Id": "hits", "MetricStat": stat("Hits"), "ReturnData": False},
                   {"Id": "misses", "MetricStat": stat("Misses"), "Label": "Cache misses"},
                   {"Id": "ratio", "Expression": "100 * misses / (hits + misses)", "Label": "Miss rate"},
                   {"Id": "total", "Expression": "SUM(METRICS())"}]
        end = start + datetime.timedelta(minutes=5)
        got = cw.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end,
                                 ScanBy="TimestampAscending")
        results = {r["Id"]: r for r in got["MetricDataResults"]}
        assert set(results) == {"misses", "ratio", "total"}, results
        assert results["misses"]["Label"] == "Cache misses" and results["misses"]["StatusCode"] == "Complete"
        assert results["misses"]["Values"] == [1.0, 2.0, 3.0, 4.0, 5.0], results["misses"]
        assert results["misses"]["Timestamps"][0] == start
        assert [round(v, 3) for v in results["ratio"]["Values"]] == [9.091] * 5, results["ratio"]
        assert results["total"]["Values"] == [11.0, 22.0, 33.0, 44.0, 55.0], results["total"]
        newest_first = cw.get_metric_data(MetricDataQueries=queries[:2], StartTime=start, EndTime=end)
        assert newest_first["MetricDataResults"][0]["Values"] == [5.0, 4.0, 3.0, 2.0, 1.0]
        # Pages of 4 points: 15 points in all.
        values, token, pages = [], None, 0
        while True:
            page = cw.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end, MaxDatapoints=4,
                                      ScanBy="TimestampAscending", **({"NextToken": token} if token else {}))
            pages += 1
            values += [(r["Id"], v) for r in page["MetricDataResults"] for v in r["Values"]]
            token = page.get("NextToken")
            if not token:
                break
        assert pages == 4 and len(values) == 15, (pages, values)
        e = expect_client_error(lambda: cw.get_metric_data(
            MetricDataQueries=[{"Id": "bad", "Expression": "nothing + 1"}], StartTime=start, EndTime=end),
            "InvalidParameterValue")
        assert "nothing" in e.response["Error"]["Message"]

    @checks.run
    def a_large_batch_is_gzipped_and_counted():
        at = minute_ago(40)
        batch = [{"MetricName": "Batch", "Timestamp": at, "Value": 1.0,
                  "Dimensions": [{"Name": "Shard", "Value": str(i % 10)}, {"Name": "Pad", "Value": "x" * 40}]}
                 for i in range(1000)]
        cw.put_metric_data(Namespace="Bulk", MetricData=batch)  # > 10 KiB: botocore sends it gzipped
        got = cw.get_metric_statistics(Namespace="Bulk", MetricName="Batch", StartTime=at,
                                       EndTime=at + datetime.timedelta(minutes=1), Period=60, Statistics=["SampleCount"],
                                       Dimensions=[{"Name": "Shard", "Value": "3"}, {"Name": "Pad", "Value": "x" * 40}])
        assert [p["SampleCount"] for p in got["Datapoints"]] == [100.0], got

    @checks.run
    def an_alarm_goes_ok_alarm_ok():
        cw.put_metric_alarm(AlarmName="queue-deep", Namespace="Jobs", MetricName="Depth",
                            Dimensions=[{"Name": "Queue", "Value": "q1"}], Statistic="Maximum", Period=10,
                            EvaluationPeriods=1, Threshold=50, ComparisonOperator="GreaterThanThreshold",
                            TreatMissingData="notBreaching", AlarmDescription="too deep")
        alarm = cw.describe_alarms(AlarmNames=["queue-deep"])["MetricAlarms"][0]
        assert alarm["AlarmArn"] == "arn:aws:cloudwatch:us-east-1:000000000000:alarm:queue-deep", alarm
        assert alarm["DatapointsToAlarm"] == 1 and alarm["AlarmDescription"] == "too deep", alarm

        def wait_for(state, timeout=30, feed=None):
            deadline = time.time() + timeout
            while time.time() < deadline:
                if feed:
                    feed()
                got = cw.describe_alarms(AlarmNames=["queue-deep"])["MetricAlarms"][0]
                if got["StateValue"] == state:
                    return got
                time.sleep(1)
            raise AssertionError(f"alarm not {state}: {got}")

        wait_for("OK")  # no data: not breaching
        deep = wait_for("ALARM", feed=lambda: cw.put_metric_data(Namespace="Jobs", MetricData=[
            {"MetricName": "Depth", "Dimensions": [{"Name": "Queue", "Value": "q1"}], "Value": 80.0,
             "StorageResolution": 1}]))
        assert deep["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [80.0"), deep
        reason = json.loads(deep["StateReasonData"])
        assert reason["threshold"] == 50 and reason["recentDatapoints"] == [80.0], reason
        wait_for("OK", feed=lambda: cw.put_metric_data(Namespace="Jobs", MetricData=[
            {"MetricName": "Depth", "Dimensions": [{"Name": "Queue", "Value": "q1"}], "Value": 3.0,
             "StorageResolution": 1}]))
        history = cw.describe_alarm_history(AlarmName="queue-deep", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
        summaries = [h["HistorySummary"] for h in history]
        assert summaries[:3] == ["Alarm updated from ALARM to OK", "Alarm updated from OK to ALARM",
                                 "Alarm updated from INSUFFICIENT_DATA to OK"], summaries
        created = cw.describe_alarm_history(AlarmName="queue-deep", HistoryItemType="ConfigurationUpdate")
        assert created["AlarmHistoryItems"][0]["HistorySummary"] == 'Alarm "queue-deep" created', created
        for_metric = cw.describe_alarms_for_metric(Namespace="Jobs", MetricName="Depth",
                                                   Dimensions=[{"Name": "Queue", "Value": "q1"}])["MetricAlarms"]
        assert [a["AlarmName"] for a in for_metric] == ["queue-deep"], for_metric
        assert cw.describe_alarms_for_metric(Namespace="Jobs", MetricName="Depth", Period=60)["MetricAlarms"] == []

    @checks.run
    def m_out_of_n_on_metric_math():
        cw.put_metric_alarm(AlarmName="error-rate", EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=10,
                            ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="missing",
                            Metrics=[{"Id": "e", "MetricStat": {"Metric": {"Namespace": "Web", "MetricName": "Errors"},
                                                               "Period": 10, "Stat": "Sum"}, "ReturnData": False},
                                     {"Id": "r", "MetricStat": {"Metric": {"Namespace": "Web", "MetricName": "Requests"},
                                                               "Period": 10, "Stat": "Sum"}, "ReturnData": False},
                                     {"Id": "rate", "Expression": "100 * e / r", "Label": "Error %"}])
        deadline = time.time() + 45
        state = None
        while time.time() < deadline:
            cw.put_metric_data(Namespace="Web", MetricData=[
                {"MetricName": "Errors", "Value": 3.0, "StorageResolution": 1},
                {"MetricName": "Requests", "Value": 10.0, "StorageResolution": 1}])
            state = cw.describe_alarms(AlarmNames=["error-rate"])["MetricAlarms"][0]["StateValue"]
            if state == "ALARM":
                break
            time.sleep(1)
        assert state == "ALARM", state
        alarm = cw.describe_alarms(AlarmNamePrefix="error-", StateValue="ALARM")["MetricAlarms"]
        assert [a["AlarmName"] for a in alarm] == ["error-rate"] and len(alarm[0]["Metrics"]) == 3, alarm
        assert "2 out of the last 3" in alarm[0]["StateReason"] or "3 out of the last 3" in alarm[0]["StateReason"], alarm

    @checks.run
    def set_state_actions_and_delete():
        cw.set_alarm_state(AlarmName="error-rate", StateValue="OK", StateReason="testing",
                           StateReasonData=json.dumps({"why": "test"}))
        got = cw.describe_alarms(AlarmNames=["error-rate"])["MetricAlarms"][0]
        assert got["StateValue"] == "OK" and got["StateReason"] == "testing", got
        cw.disable_alarm_actions(AlarmNames=["error-rate", "not-there"])
        assert cw.describe_alarms(AlarmNames=["error-rate"])["MetricAlarms"][0]["ActionsEnabled"] is False
        cw.enable_alarm_actions(AlarmNames=["error-rate"])
        assert cw.describe_alarms(AlarmNames=["error-rate"])["MetricAlarms"][0]["ActionsEnabled"] is True
        names, token = [], None
        while True:
            page = cw.describe_alarms(MaxRecords=1, **({"NextToken": token} if token else {}))
            names += [a["AlarmName"] for a in page["MetricAlarms"]]
            token = page.get("NextToken")
            if not token:
                break
        assert names == ["error-rate", "queue-deep"], names
        assert cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["MetricAlarms"] == []
        expect_client_error(lambda: cw.delete_alarms(AlarmNames=["error-rate", "nope"]), "ResourceNotFound")
        assert len(cw.describe_alarms()["MetricAlarms"]) == 2  # nothing deleted
        cw.delete_alarms(AlarmNames=["error-rate"])
        assert [a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]] == ["queue-deep"]
        out = server.aws("cloudwatch", "describe-alarms", "--alarm-names", "queue-deep")
        assert out["MetricAlarms"][0]["Namespace"] == "Jobs", out
        out = server.aws("cloudwatch", "describe-alarms", "--alarm-names", "queue-deep", cli=NEWEST_AWS)
        assert out["MetricAlarms"][0]["Threshold"] == 50.0, out

    @checks.run
    def dashboards_round_trip():
        body = json.dumps({"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 6, "height": 6,
                                        "properties": {"metrics": [["E", "x"]], "region": "us-east-1"}}]})
        assert cw.put_dashboard(DashboardName="web-main", DashboardBody=body).get("DashboardValidationMessages", []) == []
        cw.put_dashboard(DashboardName="web_2", DashboardBody='{"widgets": []}')
        cw.put_dashboard(DashboardName="db", DashboardBody='{"widgets": []}')
        got = cw.get_dashboard(DashboardName="web-main")
        assert got["DashboardBody"] == body and got["DashboardName"] == "web-main", got
        assert got["DashboardArn"] == "arn:aws:cloudwatch::000000000000:dashboard/web-main", got
        entries = cw.list_dashboards(DashboardNamePrefix="web")["DashboardEntries"]
        assert [e["DashboardName"] for e in entries] == ["web-main", "web_2"], entries
        assert entries[0]["Size"] == len(body) and "LastModified" in entries[0]
        assert len(cw.list_dashboards()["DashboardEntries"]) == 3
        try:
            cw.put_dashboard(DashboardName="bad", DashboardBody='{"widget": []}')
            raise AssertionError("a body without widgets was taken")
        except cw.exceptions.DashboardInvalidInputError as e:
            assert e.response["Error"]["Code"] == "InvalidParameterInput", e.response
        expect_client_error(lambda: cw.put_dashboard(DashboardName="bad", DashboardBody="[1]"), "InvalidParameterInput")
        expect_client_error(lambda: cw.put_dashboard(DashboardName="bad name", DashboardBody='{"widgets": []}'),
                            "InvalidParameterInput")
        expect_client_error(lambda: cw.get_dashboard(DashboardName="nope"), "ResourceNotFound")
        expect_client_error(lambda: cw.delete_dashboards(DashboardNames=["db", "nope"]), "ResourceNotFound")
        assert len(cw.list_dashboards()["DashboardEntries"]) == 3  # nothing deleted
        cw.delete_dashboards(DashboardNames=["db", "web_2", "web-main"])
        assert cw.list_dashboards()["DashboardEntries"] == []

    @checks.run
    def errors_as_aws():
        now = datetime.datetime.now(UTC)
        expect_client_error(lambda: cw.put_metric_data(Namespace="AWS/EC2", MetricData=[
            {"MetricName": "x", "Value": 1.0}]), "InvalidParameterValue")
        expect_client_error(lambda: cw.put_metric_data(Namespace="E", MetricData=[{"MetricName": "x"}]),
                            "MissingParameter")
        expect_client_error(lambda: cw.put_metric_data(Namespace="E", MetricData=[
            {"MetricName": "x", "Value": 1.0, "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1,
                                                                  "Maximum": 1}}]), "InvalidParameterCombination")
        expect_client_error(lambda: cw.put_metric_data(Namespace="E", MetricData=[
            {"MetricName": "x", "Value": 1.0, "Timestamp": now - datetime.timedelta(days=15)}]),
            "InvalidParameterValue", "two weeks")
        expect_client_error(lambda: cw.put_metric_data(Namespace="E", MetricData=[
            {"MetricName": "x", "Values": [1.0, 2.0], "Counts": [1.0]}]), "InvalidParameterValue")
        expect_client_error(lambda: cw.put_metric_data(Namespace="E", MetricData=[
            {"MetricName": "x", "Value": 1.0, "StorageResolution": 5}]), "InvalidParameterValue")
        expect_client_error(lambda: cw.get_metric_statistics(
            Namespace="E", MetricName="x", StartTime=now - datetime.timedelta(hours=1), EndTime=now, Period=60,
            Statistics=["Sum"], ExtendedStatistics=["p90"]), "InvalidParameterCombination")
        expect_client_error(lambda: cw.get_metric_statistics(
            Namespace="E", MetricName="x", StartTime=now - datetime.timedelta(hours=1), EndTime=now, Period=61,
            Statistics=["Sum"]), "InvalidParameterValue")
        expect_client_error(lambda: cw.get_metric_statistics(
            Namespace="E", MetricName="x", StartTime=now - datetime.timedelta(days=2), EndTime=now, Period=60,
            Statistics=["Sum"]), "InvalidParameterCombination", "1,440")
        expect_client_error(lambda: cw.put_metric_alarm(
            AlarmName="a", Namespace="E", Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
            ComparisonOperator="GreaterThanThreshold"), "MissingParameter")
        expect_client_error(lambda: cw.put_metric_alarm(
            AlarmName="a", Namespace="E", MetricName="x", Statistic="Sum", Period=60, EvaluationPeriods=1,
            Threshold=1, ComparisonOperator="GreaterThanThreshold",
            AlarmActions=["arn:aws:sns:us-east-1:000000000000:t"]), "InvalidParameterValue")
        expect_client_error(lambda: cw.set_alarm_state(AlarmName="nope", StateValue="OK", StateReason="x"),
                            "ResourceNotFound")
        expect_client_error(lambda: cw.describe_alarms(NextToken="garbage"), "InvalidNextToken")

    @checks.run
    def the_load_balancer_publishes_its_metrics():
        elb = server.boto3("elbv2")
        backend = Backend()
        port = free_port()
        lb = elb.create_load_balancer(Name="metered")["LoadBalancers"][0]
        tg = elb.create_target_group(Name="metered-tg", Protocol="HTTP", Port=80, VpcId="vpc-1", TargetType="ip",
                                     HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                     HealthyThresholdCount=2)["TargetGroups"][0]
        listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port,
                                       DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
        elb.create_rule(ListenerArn=listener["Listeners"][0]["ListenerArn"], Priority=1,
                        Conditions=[{"Field": "path-pattern", "Values": ["/missing"]}],
                        Actions=[{"Type": "fixed-response",
                                  "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"}}])
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": backend.port}])
        elb.get_waiter("target_in_service").wait(TargetGroupArn=tg["TargetGroupArn"],
                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        statuses = [get(f"http://127.0.0.1:{port}/") for _ in range(8)] + [get(f"http://127.0.0.1:{port}/fail"),
                                                                           get(f"http://127.0.0.1:{port}/missing")]
        assert statuses == [200] * 8 + [500, 404], statuses
        lb_dim = lb["LoadBalancerArn"].split(":loadbalancer/")[1]
        tg_dim = "targetgroup/" + tg["TargetGroupArn"].split(":targetgroup/")[1]
        start = datetime.datetime.now(UTC) - datetime.timedelta(minutes=5)

        def total(metric, dims, stat="Sum"):
            got = cw.get_metric_statistics(Namespace="AWS/ApplicationELB", MetricName=metric, Dimensions=dims,
                                           StartTime=start, EndTime=start + datetime.timedelta(minutes=10),
                                           Period=600, Statistics=[stat])["Datapoints"]
            return got[0][stat] if got else 0
        lb_dims = [{"Name": "LoadBalancer", "Value": lb_dim}]
        both = lb_dims + [{"Name": "TargetGroup", "Value": tg_dim}]
        deadline = time.time() + 20
        while time.time() < deadline and total("RequestCount", lb_dims) < 10:
            time.sleep(1)
        assert total("RequestCount", lb_dims) == 10
        assert total("RequestCount", both) == 9
        assert total("HTTPCode_Target_2XX_Count", both) == 8 and total("HTTPCode_Target_5XX_Count", lb_dims) == 1
        assert total("HTTPCode_ELB_4XX_Count", lb_dims) == 1
        assert total("RequestCountPerTarget", [{"Name": "TargetGroup", "Value": tg_dim}]) == 9
        assert total("HealthyHostCount", both, "Maximum") == 1 and total("UnHealthyHostCount", both, "Maximum") == 0
        assert 0 <= total("TargetResponseTime", lb_dims, "Average") < 1
        listed = server.aws("cloudwatch", "list-metrics", "--namespace", "AWS/ApplicationELB", "--metric-name",
                            "RequestCount")["Metrics"]
        assert len(listed) == 2, listed
        out = server.aws("cloudwatch", "get-metric-statistics", "--namespace", "AWS/ApplicationELB", "--metric-name",
                         "RequestCount", "--dimensions", f"Name=LoadBalancer,Value={lb_dim}",
                         "--start-time", start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "--end-time", (start + datetime.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "--period", "600", "--statistics", "Sum", cli=NEWEST_AWS)
        assert [p["Sum"] for p in out["Datapoints"]] == [10.0], out

    @checks.run
    def data_survives_a_crash():
        server.kill()
        server.start()
        got = cw.get_metric_statistics(Namespace="Shop", MetricName="Latency",
                                       Dimensions=[{"Name": "Service", "Value": "cart"}],
                                       StartTime=T, EndTime=T + datetime.timedelta(minutes=3), Period=180,
                                       Statistics=["SampleCount"])
        assert [p["SampleCount"] for p in got["Datapoints"]] == [105.0], got
        assert [a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]] == ["queue-deep"]

checks.finish()
