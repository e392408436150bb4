#!/usr/bin/python3
"""CloudWatch over smithy-rpc-v2-cbor, the first protocol the newest model lists.

botocore 1.43 ranks JSON before CBOR, so the test makes the newest boto3 prefer CBOR (as SDKs
that rank it first do) and checks: every call goes to /service/GraniteServiceVersion20100801/
operation/<Op> with smithy-protocol: rpc-v2-cbor and is answered in kind; timestamps come back
as datetimes (tag 1) and numbers as numbers; a gzip-compressed batch of 1,000 data; metric data
read back with GetMetricStatistics and GetMetricData (pages); alarms and their history; errors
with the Query codes (x-amzn-query-error); and, signed by hand, bodies that are not CBOR, bytes
after the item, wrong content type, missing protocol header and unknown operations.
"""
import datetime
import gzip

from wharf_harness import run_on_newest_python

run_on_newest_python()

import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.credentials  # noqa: E402
import botocore.model  # noqa: E402
import urllib3  # noqa: E402

from wharf_harness import Checks, WharfServer, expect_client_error  # noqa: E402

# Prefer CBOR over JSON, as an SDK ranking smithy-rpc-v2-cbor first would.
botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = (
    "smithy-rpc-v2-cbor", "json", "rest-json", "rest-xml", "query", "ec2")

checks = Checks()
UTC = datetime.timezone.utc
PREFIX = "/service/GraniteServiceVersion20100801/operation/"


def minute_ago(minutes):
    now = datetime.datetime.now(UTC).replace(second=0, microsecond=0)
    return now - datetime.timedelta(minutes=minutes)


with WharfServer("--alarm-evaluation-interval", "1") as server:
    cw = server.boto3("cloudwatch")
    sent = []
    cw.meta.events.register("before-send.cloudwatch.*", lambda request, **kw: sent.append(request))
    T = minute_ago(30)

    @checks.run
    def requests_and_answers_are_cbor():
        assert cw.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
        cw.put_metric_data(Namespace="Cbor", MetricData=[
            {"MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": "cart"}],
             "Timestamp": T, "Values": [1.5, 2.5, 100.0], "Counts": [1, 2, 1], "Unit": "Milliseconds"},
            {"MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": "cart"}],
             "Timestamp": T + datetime.timedelta(minutes=1), "Unit": "Milliseconds",
             "StatisticValues": {"SampleCount": 4, "Sum": -40, "Minimum": -15, "Maximum": 5}},
        ])
        request = sent[-1]
        assert request.url.endswith(PREFIX + "PutMetricData"), request.url
        assert request.headers["smithy-protocol"] == b"rpc-v2-cbor" or request.headers["smithy-protocol"] == "rpc-v2-cbor"
        got = cw.get_metric_statistics(Namespace="Cbor", MetricName="Latency",
                                       Dimensions=[{"Name": "Service", "Value": "cart"}],
                                       StartTime=T, EndTime=T + datetime.timedelta(minutes=2), Period=60,
                                       Statistics=["SampleCount", "Sum", "Minimum", "Maximum"])
        meta = got["ResponseMetadata"]["HTTPHeaders"]
        assert meta["smithy-protocol"] == "rpc-v2-cbor" and meta["content-type"] == "application/cbor", meta
        points = sorted(got["Datapoints"], key=lambda p: p["Timestamp"])
        assert [p["Timestamp"] for p in points] == [T, T + datetime.timedelta(minutes=1)], points
        assert (points[0]["SampleCount"], points[0]["Sum"], points[0]["Minimum"], points[0]["Maximum"]) == \
            (4.0, 106.5, 1.5, 100.0), points[0]
        assert (points[1]["Sum"], points[1]["Minimum"]) == (-40.0, -15.0), points[1]
        assert points[0]["Unit"] == "Milliseconds"

    @checks.run
    def a_compressed_batch_and_metric_data_pages():
        data = [{"MetricName": f"M{i % 10}", "Timestamp": T, "Value": float(i),
                 "Dimensions": [{"Name": "Shard", "Value": str(i % 100)}]} for i in range(1000)]
        cw.put_metric_data(Namespace="CborBatch", MetricData=data)
        assert sent[-1].headers.get("Content-Encoding") in ("gzip", b"gzip"), sent[-1].headers
        queries = [{"Id": f"q{i}", "MetricStat": {
            "Metric": {"Namespace": "CborBatch", "MetricName": f"M{i}", "Dimensions": [{"Name": "Shard", "Value": str(i)}]},
            "Period": 60, "Stat": "Sum"}} for i in range(10)]
        queries.append({"Id": "total", "Expression": "SUM([q0, q1, q2])"})
        results, token = [], None
        while True:
            kw = {"NextToken": token} if token else {}
            page = cw.get_metric_data(MetricDataQueries=queries, StartTime=T - datetime.timedelta(minutes=5),
                                      EndTime=T + datetime.timedelta(minutes=5), MaxDatapoints=5, **kw)
            results += page["MetricDataResults"]
            token = page.get("NextToken")
            if not token:
                break
        by_id = {}
        for r in results:
            by_id.setdefault(r["Id"], []).extend(zip(r["Timestamps"], r["Values"]))
        # M1 at Shard 1: the data i = 1, 101, ..., 901 where i % 10 == 1 and i % 100 == 1.
        assert by_id["q1"] == [(T, float(sum(range(1, 1000, 100))))], by_id["q1"]
        assert by_id["total"] == [(T, float(sum(range(0, 1000, 100)) + sum(range(1, 1000, 100)) +
                                         sum(range(2, 1000, 100))))], by_id["total"]

    @checks.run
    def alarms_and_history():
        cw.put_metric_alarm(AlarmName="cbor-high", Namespace="Cbor", MetricName="Latency",
                            Dimensions=[{"Name": "Service", "Value": "cart"}], Statistic="Average", Period=60,
                            EvaluationPeriods=1, Threshold=50.5, ComparisonOperator="GreaterThanThreshold",
                            TreatMissingData="ignore", ActionsEnabled=False)
        cw.set_alarm_state(AlarmName="cbor-high", StateValue="ALARM", StateReason="by hand")
        alarm = cw.describe_alarms(AlarmNames=["cbor-high"])["MetricAlarms"][0]
        assert alarm["StateValue"] == "ALARM" and alarm["Threshold"] == 50.5 and alarm["ActionsEnabled"] is False, alarm
        assert isinstance(alarm["StateUpdatedTimestamp"], datetime.datetime), alarm
        age = datetime.datetime.now(UTC) - alarm["StateUpdatedTimestamp"]
        assert abs(age.total_seconds()) < 60, alarm["StateUpdatedTimestamp"]
        history = cw.describe_alarm_history(AlarmName="cbor-high", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
        assert history and history[0]["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM", history
        cw.delete_alarms(AlarmNames=["cbor-high"])
        assert cw.describe_alarms(AlarmNames=["cbor-high"])["MetricAlarms"] == []

    @checks.run
    def errors_carry_the_query_codes():
        e = expect_client_error(lambda: cw.set_alarm_state(AlarmName="nope", StateValue="OK", StateReason="x"),
                                "ResourceNotFound")
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 404, e.response
        expect_client_error(lambda: cw.get_metric_statistics(
            Namespace="Cbor", MetricName="Latency", StartTime=T, EndTime=T, Period=7, Statistics=["Sum"]),
            "InvalidParameterValue", "multiple of 60")
        expect_client_error(lambda: cw.put_metric_data(Namespace="AWS/ECS", MetricData=[
            {"MetricName": "X", "Value": 1.0}]), "InvalidParameterValue")
        expect_client_error(lambda: cw.list_tags_for_resource(ResourceARN="arn:aws:cloudwatch:us-east-1:000000000000:alarm:x"),
                            "UnknownOperationException")

    def signed_post(path, body, headers):
        key, secret = server.credentials()
        request = botocore.awsrequest.AWSRequest(method="POST", url=server.endpoint + path, data=body, headers=headers)
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), "monitoring", "us-east-1").add_auth(request)
        prepared = request.prepare()
        r = urllib3.PoolManager().request("POST", prepared.url, body=prepared.body, headers=dict(prepared.headers))
        return r

    def cbor_error(r):
        import botocore.parsers
        parsed = botocore.parsers.RpcV2CBORParser().parse(
            {"status_code": r.status, "headers": {k.lower(): v for k, v in r.headers.items()}, "body": r.data}, None)
        return parsed["Error"]["Code"], parsed["Error"]["Message"]

    @checks.run
    def hostile_and_wrong_requests():
        cbor = {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}
        ok = signed_post(PREFIX + "ListMetrics", b"\xa1\x69Namespace\x64Cbor", cbor)  # {"Namespace": "Cbor"}
        assert ok.status == 200 and ok.headers["smithy-protocol"] == "rpc-v2-cbor", (ok.status, ok.data)
        # An indefinite-length map and text: the same request.
        indef = signed_post(PREFIX + "ListMetrics", b"\xbf\x69Namespace\x7f\x62Cb\x62or\xff\xff", cbor)
        assert indef.status == 200 and indef.data == ok.data, (indef.status, indef.data)
        for body, why in ((b"\xa1\x69Namespace", "truncated"), (b"\xa0\x00", "bytes after"),
                          (b"\xc2\x41\x01", "tag 2"), (b"\x9f" * 200, "deeper"), (b"\xa1\x01\x02", "not a text"),
                          (b"\x81\x01", "not a CBOR map"), (b"\xff", "break")):
            r = signed_post(PREFIX + "ListMetrics", body, cbor)
            assert r.status == 400 and r.headers["smithy-protocol"] == "rpc-v2-cbor", (body, r.status, r.data)
            code, message = cbor_error(r)
            assert code == "SerializationException" and why in message, (body, code, message)
        r = signed_post(PREFIX + "ListMetrics", b"{}", {"Content-Type": "application/json", "smithy-protocol": "rpc-v2-cbor"})
        assert r.status == 415, (r.status, r.data)
        r = signed_post(PREFIX + "ListMetrics", b"\xa0", {"Content-Type": "application/cbor"})
        assert r.status == 400 and "smithy-protocol" in cbor_error(r)[1], (r.status, r.data)
        r = signed_post(PREFIX + "PutCompositeAlarmX", b"\xa0", cbor)
        assert r.status == 404 and cbor_error(r)[0] == "UnknownOperationException", (r.status, r.data)
        r = signed_post("/service/Nope/operation/ListMetrics", b"\xa0", cbor)
        assert r.status == 404, (r.status, r.data)
        # A compressed body is read decompressed, as with JSON.
        z = signed_post(PREFIX + "ListMetrics", gzip.compress(b"\xa1\x69Namespace\x64Cbor"),
                        dict(cbor, **{"Content-Encoding": "gzip"}))
        assert z.status == 200 and z.data == ok.data, (z.status, z.data)
        assert server.boto3("cloudwatch").list_metrics(Namespace="Cbor")["Metrics"], "server still answers"

checks.finish()
