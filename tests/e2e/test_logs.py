#!/usr/bin/python3
"""CloudWatch Logs with the real aws CLI v2 (/usr/bin/aws) and boto3: groups, streams,
put/get/filter, token paging to the end, `aws logs tail` (with --follow, as a subprocess),
retention, tags, errors, metric filters feeding CloudWatch (GetMetricStatistics; describe, paging,
TestMetricFilter, the 100-per-group limit), and events surviving a SIGKILL of the server."""
import hashlib
import os
import subprocess
import threading
import time

from wharf_harness import NEWEST_AWS, Checks, WharfServer, expect_client_error

checks = Checks()
GROUP = "/ecs/alba-digi"


def now_ms():
    return int(time.time() * 1000)


with WharfServer() as server:
    logs = server.boto3("logs")

    @checks.run
    def groups_with_the_cli():
        server.aws("logs", "create-log-group", "--log-group-name", GROUP, "--tags", "team=web")
        server.aws("logs", "create-log-group", "--log-group-name", "/ecs/other")
        server.aws("logs", "create-log-group", "--log-group-name", "plain")
        groups = server.aws("logs", "describe-log-groups", "--log-group-name-prefix", "/ecs/")["logGroups"]
        assert [g["logGroupName"] for g in groups] == ["/ecs/alba-digi", "/ecs/other"], groups
        g = groups[0]
        assert g["arn"] == "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/alba-digi:*", g
        assert g["storedBytes"] == 0 and g["metricFilterCount"] == 0 and "retentionInDays" not in g
        assert abs(g["creationTime"] - now_ms()) < 60000
        pattern = server.aws("logs", "describe-log-groups", "--log-group-name-pattern", "alba")["logGroups"]
        assert [p["logGroupName"] for p in pattern] == [GROUP]
        # Pagination: one group per page, all three in the end (the CLI follows nextToken).
        page = logs.describe_log_groups(limit=1)
        assert len(page["logGroups"]) == 1 and "nextToken" in page
        names = [g["logGroupName"] for p in logs.get_paginator("describe_log_groups").paginate(PaginationConfig={"PageSize": 1}) for g in p["logGroups"]]
        assert names == ["/ecs/alba-digi", "/ecs/other", "plain"], names
        assert logs.list_tags_log_group(logGroupName=GROUP)["tags"] == {"team": "web"}

    @checks.run
    def group_errors():
        expect_client_error(lambda: logs.create_log_group(logGroupName=GROUP), "ResourceAlreadyExistsException")
        expect_client_error(lambda: logs.delete_log_group(logGroupName="nope"), "ResourceNotFoundException",
                            "The specified log group does not exist.")
        # A key that does not exist (test_kms_at_rest.py has groups with real keys).
        expect_client_error(lambda: logs.create_log_group(logGroupName="k", kmsKeyId="arn:aws:kms:us-east-1:0:key/x"),
                            "AccessDeniedException", "The specified KMS key does not exist")
        # Debian's boto3 does not know logGroupClass yet; the newest CLI does.
        p = server.aws("logs", "create-log-group", "--log-group-name", "k", "--log-group-class", "INFREQUENT_ACCESS",
                       cli=NEWEST_AWS, check=False)
        assert p.returncode != 0 and "InvalidParameterException" in p.stderr and "logGroupClass" in p.stderr, p.stderr
        expect_client_error(lambda: logs.create_log_group(logGroupName="bad name!"), "InvalidParameterException")
        expect_client_error(lambda: logs.put_retention_policy(logGroupName=GROUP, retentionInDays=2),
                            "InvalidParameterException", "retentionInDays")
        expect_client_error(lambda: logs.create_log_stream(logGroupName="nope", logStreamName="s"),
                            "ResourceNotFoundException", "The specified log group does not exist.")

    @checks.run
    def streams_put_get():
        logs.create_log_stream(logGroupName=GROUP, logStreamName="web/web/aaa")
        logs.create_log_stream(logGroupName=GROUP, logStreamName="web/web/bbb")
        expect_client_error(lambda: logs.create_log_stream(logGroupName=GROUP, logStreamName="web/web/aaa"),
                            "ResourceAlreadyExistsException")
        t = now_ms() - 10000
        out = logs.put_log_events(logGroupName=GROUP, logStreamName="web/web/aaa", logEvents=[
            {"timestamp": t + i, "message": f"GET /index.html 200 line {i}"} for i in range(25)])
        assert "nextSequenceToken" in out and "rejectedLogEventsInfo" not in out, out
        # sequenceToken is accepted and ignored, as AWS does now.
        logs.put_log_events(logGroupName=GROUP, logStreamName="web/web/bbb", sequenceToken="whatever", logEvents=[
            {"timestamp": t + 5, "message": "ERROR something broke"},
            {"timestamp": t + 30, "message": '{"level": "error", "latency": 250}'}])
        got = logs.get_log_events(logGroupName=GROUP, logStreamName="web/web/aaa", startFromHead=True)
        assert [e["message"] for e in got["events"]] == [f"GET /index.html 200 line {i}" for i in range(25)]
        assert got["events"][0]["timestamp"] == t and got["events"][0]["ingestionTime"] >= t
        assert got["nextForwardToken"].startswith("f/") and got["nextBackwardToken"].startswith("b/")
        s = {x["logStreamName"]: x for x in logs.describe_log_streams(logGroupName=GROUP)["logStreams"]}
        assert s["web/web/aaa"]["firstEventTimestamp"] == t and s["web/web/aaa"]["lastEventTimestamp"] == t + 24
        assert s["web/web/aaa"]["arn"] == "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/alba-digi:log-stream:web/web/aaa"
        assert "lastIngestionTime" in s["web/web/aaa"] and s["web/web/aaa"]["storedBytes"] == 0
        by_time = logs.describe_log_streams(logGroupName=GROUP, orderBy="LastEventTime", descending=True)["logStreams"]
        assert [x["logStreamName"] for x in by_time] == ["web/web/bbb", "web/web/aaa"]
        expect_client_error(lambda: logs.describe_log_streams(logGroupName=GROUP, orderBy="LastEventTime",
                                                              logStreamNamePrefix="web"), "InvalidParameterException")
        cli = server.aws("logs", "get-log-events", "--log-group-name", GROUP, "--log-stream-name", "web/web/bbb")
        assert [e["message"] for e in cli["events"]][0] == "ERROR something broke"

    @checks.run
    def tokens_page_to_the_end():
        # Forward from the head, 10 at a time: 10, 10, 5, then nothing and the same token.
        seen, token, pages = [], None, 0
        while True:
            kw = {"nextToken": token} if token else {"startFromHead": True}
            got = logs.get_log_events(logGroupName=GROUP, logStreamName="web/web/aaa", limit=10, **kw)
            pages += 1
            seen += [e["message"] for e in got["events"]]
            if got["nextForwardToken"] == token:
                assert got["events"] == []
                break
            token = got["nextForwardToken"]
            assert pages < 10
        assert seen == [f"GET /index.html 200 line {i}" for i in range(25)] and pages == 4
        # Backward from the end: the latest 10, then the 10 before, ...
        got = logs.get_log_events(logGroupName=GROUP, logStreamName="web/web/aaa", limit=10)
        assert [e["message"][-2:] for e in got["events"]] == [f"{i:2d}" for i in range(15, 25)]
        back = logs.get_log_events(logGroupName=GROUP, logStreamName="web/web/aaa", limit=10,
                                   nextToken=got["nextBackwardToken"])
        assert [e["message"].split()[-1] for e in back["events"]] == [str(i) for i in range(5, 15)]
        # A new event shows up behind the forward token of a read that had reached the end.
        logs.put_log_events(logGroupName=GROUP, logStreamName="web/web/aaa",
                            logEvents=[{"timestamp": now_ms(), "message": "late arrival"}])
        more = logs.get_log_events(logGroupName=GROUP, logStreamName="web/web/aaa", nextToken=token)
        assert [e["message"] for e in more["events"]] == ["late arrival"]
        expect_client_error(lambda: logs.get_log_events(logGroupName=GROUP, logStreamName="web/web/aaa",
                                                        nextToken="f/garbage"), "InvalidParameterException")

    @checks.run
    def filter_events():
        def messages(**kw):
            return [e["message"] for p in logs.get_paginator("filter_log_events").paginate(logGroupName=GROUP, **kw)
                    for e in p["events"]]
        _a, _b = messages(filterPattern="ERROR"), ["ERROR something broke"]
        assert _a == _b, (_a, _b)
        _a, _b = messages(filterPattern='"line 2"')[:2], ["GET /index.html 200 line 2", "GET /index.html 200 line 20"]
        assert _a == _b, (_a, _b)
        _a, _b = messages(filterPattern='{ $.level = "error" }'), ['{"level": "error", "latency": 250}']
        assert _a == _b, (_a, _b)
        _a, _b = messages(filterPattern="{ $.latency > 100 }"), ['{"level": "error", "latency": 250}']
        assert _a == _b, (_a, _b)
        _a, _b = set(messages(filterPattern="?broke ?arrival")), {"ERROR something broke", "late arrival"}
        assert _a == _b, (_a, _b)
        _a, _b = len(messages(filterPattern="GET -late")), 25
        assert _a == _b, (_a, _b)
        _a, _b = len(messages(logStreamNames=["web/web/bbb"])), 2
        assert _a == _b, (_a, _b)
        _a, _b = len(messages(logStreamNamePrefix="web/web/a")), 26
        assert _a == _b, (_a, _b)
        # Interleaved by time across streams: bbb's event at t+5 sits between aaa's t+4 and t+5.
        all_events = [e for p in logs.get_paginator("filter_log_events").paginate(logGroupName=GROUP) for e in p["events"]]
        _a, _b = [e["timestamp"] for e in all_events], sorted(e["timestamp"] for e in all_events)
        assert _a == _b, (_a, _b)
        assert all_events[5]["logStreamName"] in ("web/web/aaa", "web/web/bbb")
        assert len({e["eventId"] for e in all_events}) == len(all_events) == 28, all_events
        # Paging with a small limit reaches the same events.
        paged = [e["eventId"] for p in logs.get_paginator("filter_log_events").paginate(
            logGroupName=GROUP, PaginationConfig={"PageSize": 3}) for e in p["events"]]
        _a, _b = paged, [e["eventId"] for e in all_events]
        assert _a == _b, (_a, _b)
        t0 = all_events[0]["timestamp"]
        _a, _b = len(messages(startTime=t0 + 10, endTime=t0 + 20)), 11
        assert _a == _b, (_a, _b)
        expect_client_error(lambda: logs.filter_log_events(logGroupName=GROUP, filterPattern="{ $.a = "),
                            "InvalidParameterException")
        cli = server.aws("logs", "filter-log-events", "--log-group-name", GROUP, "--filter-pattern", "broke")
        _a, _b = [e["message"] for e in cli["events"]], ["ERROR something broke"]
        assert _a == _b, (_a, _b)

    @checks.run
    def filter_pages_past_the_limit_in_one_stream():
        logs = server.boto3("logs")
        logs.create_log_group(logGroupName="/big")
        logs.create_log_stream(logGroupName="/big", logStreamName="s")
        base = now_ms() - 60_000
        for part in range(2):  # 12,000 events: more than one page of FilterLogEvents' 10,000
            logs.put_log_events(logGroupName="/big", logStreamName="s", logEvents=[
                {"timestamp": base + part * 6000 + i, "message": f"e{part * 6000 + i}"} for i in range(6000)])
        got = [e["message"] for page in logs.get_paginator("filter_log_events").paginate(logGroupName="/big")
               for e in page["events"]]
        assert got == [f"e{i}" for i in range(12000)], (len(got), got[-2:])

    @checks.run
    def put_batch_rules():
        t = now_ms()
        expect_client_error(lambda: logs.put_log_events(logGroupName=GROUP, logStreamName="web/web/aaa", logEvents=[
            {"timestamp": t, "message": "b"}, {"timestamp": t - 1, "message": "a"}]),
            "InvalidParameterException", "chronological order")
        expect_client_error(lambda: logs.put_log_events(logGroupName=GROUP, logStreamName="nope", logEvents=[
            {"timestamp": t, "message": "x"}]), "ResourceNotFoundException", "The specified log stream does not exist.")
        out = logs.put_log_events(logGroupName=GROUP, logStreamName="web/web/bbb", logEvents=[
            {"timestamp": t - 15 * 86400000, "message": "too old"},
            {"timestamp": t - 15 * 86400000 + 1000, "message": "too old"}])
        assert out["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1}, out
        out = logs.put_log_events(logGroupName=GROUP, logStreamName="web/web/bbb", logEvents=[
            {"timestamp": t, "message": "fine"}, {"timestamp": t + 3 * 3600000, "message": "too new"}])
        assert out["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}, out
        big = "x" * 1048576
        expect_client_error(lambda: logs.put_log_events(logGroupName=GROUP, logStreamName="web/web/bbb", logEvents=[
            {"timestamp": t, "message": big}]), "InvalidParameterException", "Upload too large")

    @checks.run
    def tail_with_the_cli():
        out = subprocess.run(["/usr/bin/aws", "--endpoint-url", server.endpoint, "--region", "us-east-1",
                              "logs", "tail", GROUP, "--since", "10m", "--format", "short"],
                             capture_output=True, text=True, env=server.env(), timeout=60)
        assert out.returncode == 0, out.stderr
        assert "ERROR something broke" in out.stdout and "late arrival" in out.stdout, out.stdout

    @checks.run
    def tail_follow_sees_new_lines():
        proc = subprocess.Popen(["/usr/bin/aws", "--endpoint-url", server.endpoint, "--region", "us-east-1",
                                 "logs", "tail", GROUP, "--follow", "--since", "1m", "--format", "short"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=server.env())
        lines = []
        reader = threading.Thread(target=lambda: [lines.append(l) for l in proc.stdout], daemon=True)
        reader.start()
        try:
            time.sleep(2)  # the first poll has run
            put_at = time.time()
            logs.put_log_events(logGroupName=GROUP, logStreamName="web/web/aaa",
                                logEvents=[{"timestamp": now_ms(), "message": "followed line"}])
            # The CLI v2 polls FilterLogEvents every 5 s (its _TIME_TO_SLEEP), so a new line
            # shows within one poll interval.
            while time.time() - put_at < 8 and not any("followed line" in l for l in lines):
                time.sleep(0.05)
            seen_after = time.time() - put_at
            assert any("followed line" in l for l in lines), (lines, proc.poll())
            print(f"     tail --follow saw the line {seen_after:.2f} s after it was put")
        finally:
            proc.kill()
            proc.wait()

    @checks.run
    def retention_hides_old_events():
        logs.create_log_group(logGroupName="retained")
        logs.create_log_stream(logGroupName="retained", logStreamName="s")
        t = now_ms()
        logs.put_log_events(logGroupName="retained", logStreamName="s", logEvents=[
            {"timestamp": t - 3 * 86400000, "message": "three days old"}])
        logs.put_log_events(logGroupName="retained", logStreamName="s", logEvents=[
            {"timestamp": t, "message": "fresh"}])
        group_dir = os.path.join(server.data_dir, "logs", hashlib.sha256(b"retained").hexdigest()[:20])
        segments = [os.path.join(r, f) for r, _, fs in os.walk(group_dir) for f in fs if f.endswith(".seg")]
        assert len(segments) == 2, segments  # a batch a day later than the segment starts another
        logs.put_retention_policy(logGroupName="retained", retentionInDays=1)
        g = logs.describe_log_groups(logGroupNamePrefix="retained")["logGroups"][0]
        assert g["retentionInDays"] == 1
        got = logs.get_log_events(logGroupName="retained", logStreamName="s", startFromHead=True)
        assert [e["message"] for e in got["events"]] == ["fresh"], got["events"]
        filtered = logs.filter_log_events(logGroupName="retained")["events"]
        assert [e["message"] for e in filtered] == ["fresh"], filtered
        # Events older than the retention are refused as expired.
        out = logs.put_log_events(logGroupName="retained", logStreamName="s", logEvents=[
            {"timestamp": t - 2 * 86400000, "message": "expired"}])
        assert out["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 0}, out
        # The sweeper deletes the old segment file, soon after the policy changed.
        deadline = time.time() + 5
        while time.time() < deadline and all(os.path.exists(p) for p in segments):
            time.sleep(0.05)
        assert [os.path.exists(p) for p in segments] == [True, False] or \
            [os.path.exists(p) for p in segments] == [False, True], segments
        logs.delete_retention_policy(logGroupName="retained")
        assert "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix="retained")["logGroups"][0]

    @checks.run
    def tags_by_arn():
        arn = "arn:aws:logs:us-east-1:000000000000:log-group:" + GROUP
        logs.tag_resource(resourceArn=arn, tags={"env": "prod"})
        assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "web", "env": "prod"}
        logs.untag_resource(resourceArn=arn, tagKeys=["team"])
        logs.tag_log_group(logGroupName=GROUP, tags={"owner": "me"})
        logs.untag_log_group(logGroupName=GROUP, tags=["env"])
        assert logs.list_tags_log_group(logGroupName=GROUP)["tags"] == {"owner": "me"}
        expect_client_error(lambda: logs.list_tags_for_resource(resourceArn=arn + "-nope"), "ResourceNotFoundException")

    @checks.run
    def delete_stream_and_group():
        logs.delete_log_stream(logGroupName=GROUP, logStreamName="web/web/bbb")
        expect_client_error(lambda: logs.get_log_events(logGroupName=GROUP, logStreamName="web/web/bbb"),
                            "ResourceNotFoundException")
        logs.create_log_stream(logGroupName=GROUP, logStreamName="web/web/bbb")
        assert logs.get_log_events(logGroupName=GROUP, logStreamName="web/web/bbb")["events"] == []
        logs.delete_log_group(logGroupName="/ecs/other")
        assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/ecs/")["logGroups"]] == [GROUP]

    @checks.run
    def metric_filters_feed_cloudwatch():
        cw = server.boto3("cloudwatch")
        logs.create_log_group(logGroupName="mf")
        logs.create_log_stream(logGroupName="mf", logStreamName="s")
        logs.put_metric_filter(logGroupName="mf", filterName="errors", filterPattern="ERROR", metricTransformations=[
            {"metricName": "Errors", "metricNamespace": "MF", "metricValue": "1", "defaultValue": 0, "unit": "Count"}])
        logs.put_metric_filter(logGroupName="mf", filterName="bytes", filterPattern="[ip, status = 2*, bytes]",
                               metricTransformations=[{"metricName": "Bytes", "metricNamespace": "MF",
                                                       "metricValue": "$bytes", "dimensions": {"Status": "$status"}}])
        logs.put_metric_filter(logGroupName="mf", filterName="latency", filterPattern="{ $.latency > 0 }",
                               metricTransformations=[{"metricName": "Latency", "metricNamespace": "MF",
                                                       "metricValue": "$.latency", "unit": "Milliseconds"}])
        t = now_ms()
        logs.put_log_events(logGroupName="mf", logStreamName="s", logEvents=[
            {"timestamp": t, "message": "ERROR disk full"},
            {"timestamp": t + 1, "message": "10.0.0.1 200 1500"},
            {"timestamp": t + 2, "message": "10.0.0.2 200 500"},
            {"timestamp": t + 3, "message": "10.0.0.3 500 999"},
            {"timestamp": t + 4, "message": '{"latency": 12.5}'},
            {"timestamp": t + 5, "message": "ERROR again"}])

        def stats(name, dims=(), unit=None):
            kw = {"Unit": unit} if unit else {}
            points = cw.get_metric_statistics(Namespace="MF", MetricName=name, Dimensions=list(dims),
                                              StartTime=t / 1000 - 600, EndTime=t / 1000 + 600, Period=3600,
                                              Statistics=["Sum", "SampleCount", "Maximum"], **kw)["Datapoints"]
            assert len(points) == 1, points
            return points[0]
        errors = stats("Errors")
        assert errors["Sum"] == 2 and errors["SampleCount"] == 6 and errors["Unit"] == "Count", errors
        sent = stats("Bytes", [{"Name": "Status", "Value": "200"}])
        assert sent["Sum"] == 2000 and sent["SampleCount"] == 2, sent
        assert stats("Latency")["Maximum"] == 12.5
        described = logs.describe_metric_filters(logGroupName="mf")["metricFilters"]
        assert [f["filterName"] for f in described] == ["bytes", "errors", "latency"], described
        assert described[1]["metricTransformations"][0]["defaultValue"] == 0 and described[1]["logGroupName"] == "mf"
        page = logs.describe_metric_filters(logGroupName="mf", limit=2)
        rest = logs.describe_metric_filters(logGroupName="mf", limit=2, nextToken=page["nextToken"])
        assert [f["filterName"] for f in page["metricFilters"] + rest["metricFilters"]] == ["bytes", "errors", "latency"]
        assert "nextToken" not in rest
        by_metric = logs.describe_metric_filters(metricName="Latency", metricNamespace="MF")["metricFilters"]
        assert [f["filterName"] for f in by_metric] == ["latency"], by_metric
        assert logs.describe_log_groups(logGroupNamePrefix="mf")["logGroups"][0]["metricFilterCount"] == 3
        tested = logs.test_metric_filter(filterPattern="[ip, status, bytes]",
                                         logEventMessages=["1.2.3.4 200 10", "too many fields here x"])["matches"]
        assert tested == [{"eventNumber": 1, "eventMessage": "1.2.3.4 200 10",
                           "extractedValues": {"$ip": "1.2.3.4", "$status": "200", "$bytes": "10"}}], tested
        expect_client_error(lambda: logs.put_metric_filter(
            logGroupName="nope", filterName="f", filterPattern="", metricTransformations=[
                {"metricName": "M", "metricNamespace": "N", "metricValue": "1"}]), "ResourceNotFoundException")
        expect_client_error(lambda: logs.put_metric_filter(
            logGroupName="mf", filterName="f", filterPattern="{ $.a = ", metricTransformations=[
                {"metricName": "M", "metricNamespace": "N", "metricValue": "1"}]), "InvalidParameterException")
        expect_client_error(lambda: logs.put_metric_filter(
            logGroupName="mf", filterName="f", filterPattern="", metricTransformations=[
                {"metricName": "M", "metricNamespace": "N", "metricValue": "1", "defaultValue": 0,
                 "dimensions": {"D": "$d"}}]), "InvalidParameterException")
        expect_client_error(lambda: logs.delete_metric_filter(logGroupName="mf", filterName="nope"),
                            "ResourceNotFoundException")
        for i in range(97):
            logs.put_metric_filter(logGroupName="mf", filterName=f"f{i}", filterPattern="", metricTransformations=[
                {"metricName": "M", "metricNamespace": "N", "metricValue": "1"}])
        expect_client_error(lambda: logs.put_metric_filter(
            logGroupName="mf", filterName="one-too-many", filterPattern="", metricTransformations=[
                {"metricName": "M", "metricNamespace": "N", "metricValue": "1"}]), "LimitExceededException")
        logs.delete_metric_filter(logGroupName="mf", filterName="errors")
        assert len([f for p in logs.get_paginator("describe_metric_filters").paginate(logGroupName="mf")
                    for f in p["metricFilters"]]) == 99
        logs.delete_log_group(logGroupName="mf")
        assert logs.describe_metric_filters(metricName="M", metricNamespace="N")["metricFilters"] == []

    @checks.run
    def acknowledged_events_survive_sigkill():
        logs.create_log_stream(logGroupName=GROUP, logStreamName="crash")
        acked = []
        t = now_ms()
        for b in range(20):
            logs.put_log_events(logGroupName=GROUP, logStreamName="crash", logEvents=[
                {"timestamp": t + b * 100 + i, "message": f"batch {b} event {i}"} for i in range(100)])
            acked.append(b)
        server.kill()
        server.start()
        fresh = server.boto3("logs")
        got = [e["message"] for p in fresh.get_paginator("filter_log_events").paginate(
            logGroupName=GROUP, logStreamNames=["crash"]) for e in p["events"]]
        assert len(got) == 2000 and got[0] == "batch 0 event 0" and got[-1] == "batch 19 event 99", len(got)

checks.finish()
