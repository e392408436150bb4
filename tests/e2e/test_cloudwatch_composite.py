#!/usr/bin/python3
"""CloudWatch composite alarms and alarm actions, with Debian's boto3 (Query) and the newest
aws CLI (JSON).

Two metric alarms held in a state by SetAlarmState ("ignore" missing data keeps it) are the
children of a composite alarm `ALARM(cpu) AND NOT ALARM("mem")`, itself the child of another
composite; each follows its children within an evaluation interval (1 s here), with the reason
naming the child that changed. DescribeAlarms' AlarmTypes (metric alarms only by default),
ChildrenOfAlarmName and ParentsOfAlarmName, the composite history, the suppressor fields, and
the errors: rules outside the language, missing children, cycles, actions wharf cannot run
(on composite and metric alarms), a metric alarm over a composite's name.
"""
import time

from wharf_harness import NEWEST_AWS, Checks, WharfServer, expect_client_error

checks = Checks()

with WharfServer("--alarm-evaluation-interval", "1") as server:
    cw = server.boto3("cloudwatch")
    arn = "arn:aws:cloudwatch:us-east-1:000000000000:alarm:"

    def metric_alarm(name, **extra):
        cw.put_metric_alarm(AlarmName=name, Namespace="App", MetricName=name, Statistic="Average", Period=60,
                            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
                            TreatMissingData="ignore", **extra)

    def composite(name):
        got = cw.describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
        return got[0] if got else None

    def wait_state(name, state, timeout=6):
        deadline = time.time() + timeout
        while time.time() < deadline:
            alarm = composite(name)
            if alarm and alarm["StateValue"] == state:
                return alarm
            time.sleep(0.2)
        raise AssertionError(f"{name} not {state}: {composite(name)}")

    def print_alarms():
        got = cw.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        for a in got["MetricAlarms"] + got["CompositeAlarms"]:
            print(f"   | {a['AlarmName']} {a['StateValue']} {a.get('StateReason')}", flush=True)

    checks.diagnostics.append(print_alarms)

    @checks.run
    def composite_follows_its_children():
        for name in ("cpu", "mem"):
            metric_alarm(name)
            cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="start")
        cw.put_composite_alarm(AlarmName="svc", AlarmRule='ALARM(cpu) AND NOT ALARM("mem")',
                               AlarmDescription="cpu high unless memory is")
        cw.put_composite_alarm(AlarmName="top", AlarmRule=f"ALARM(svc) OR (ALARM({arn}mem) AND FALSE)")
        wait_state("svc", "OK")
        wait_state("top", "OK")
        cw.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="hot")
        svc = wait_state("svc", "ALARM")
        assert svc["StateReason"].startswith(arn + "cpu transitioned to ALARM at "), svc["StateReason"]
        assert svc["AlarmRule"] == 'ALARM(cpu) AND NOT ALARM("mem")' and svc["AlarmArn"] == arn + "svc", svc
        assert svc["AlarmDescription"] == "cpu high unless memory is" and svc["ActionsEnabled"] is True, svc
        assert "triggeringAlarms" in svc["StateReasonData"], svc
        wait_state("top", "ALARM")  # a composite of a composite
        cw.set_alarm_state(AlarmName="mem", StateValue="ALARM", StateReason="full")
        wait_state("svc", "OK")
        wait_state("top", "OK")

    @checks.run
    def describe_by_type_children_and_parents():
        default = cw.describe_alarms()
        assert sorted(a["AlarmName"] for a in default["MetricAlarms"]) == ["cpu", "mem"], default
        assert default["CompositeAlarms"] == [], default
        both = cw.describe_alarms(AlarmTypes=["CompositeAlarm", "MetricAlarm"], MaxRecords=3)
        assert len(both["MetricAlarms"]) == 2 and [a["AlarmName"] for a in both["CompositeAlarms"]] == ["svc"], both
        rest = cw.describe_alarms(AlarmTypes=["CompositeAlarm", "MetricAlarm"], NextToken=both["NextToken"])
        assert [a["AlarmName"] for a in rest["CompositeAlarms"]] == ["top"] and rest["MetricAlarms"] == [], rest
        children = cw.describe_alarms(ChildrenOfAlarmName="svc")
        assert sorted(a["AlarmName"] for a in children["MetricAlarms"]) == ["cpu", "mem"], children
        assert set(children["MetricAlarms"][0]) == {"AlarmName", "AlarmArn", "StateValue", "StateUpdatedTimestamp"}
        parents = cw.describe_alarms(ParentsOfAlarmName="mem")
        assert sorted(a["AlarmName"] for a in parents["CompositeAlarms"]) == ["svc", "top"], parents
        expect_client_error(lambda: cw.describe_alarms(ChildrenOfAlarmName="svc", StateValue="OK"), "InvalidParameterValue")
        by_cli = server.aws("cloudwatch", "describe-alarms", "--alarm-types", "CompositeAlarm",
                            "--state-value", "OK", cli=NEWEST_AWS)
        assert sorted(a["AlarmName"] for a in by_cli["CompositeAlarms"]) == ["svc", "top"], by_cli
        history = cw.describe_alarm_history(AlarmName="svc", AlarmTypes=["CompositeAlarm"],
                                            HistoryItemType="StateUpdate")["AlarmHistoryItems"]
        assert [h["HistorySummary"] for h in history][:3] == [
            "Alarm updated from ALARM to OK", "Alarm updated from OK to ALARM",
            "Alarm updated from INSUFFICIENT_DATA to OK"], history
        assert all(h["AlarmType"] == "CompositeAlarm" for h in history), history
        assert cw.describe_alarm_history(AlarmName="svc")["AlarmHistoryItems"] == []  # metric alarms only by default

    @checks.run
    def suppressor_and_actions_enabled():
        cw.put_composite_alarm(AlarmName="svc", AlarmRule="ALARM(cpu) AND NOT ALARM(mem)", ActionsSuppressor="mem",
                               ActionsSuppressorWaitPeriod=60, ActionsSuppressorExtensionPeriod=30)
        svc = composite("svc")
        assert (svc["ActionsSuppressor"], svc["ActionsSuppressorWaitPeriod"], svc["ActionsSuppressorExtensionPeriod"]) \
            == ("mem", 60, 30), svc
        assert svc["StateValue"] == "OK", svc  # an update keeps the state
        cw.disable_alarm_actions(AlarmNames=["svc", "cpu"])
        assert composite("svc")["ActionsEnabled"] is False
        assert cw.describe_alarms(AlarmNames=["cpu"])["MetricAlarms"][0]["ActionsEnabled"] is False
        cw.enable_alarm_actions(AlarmNames=["svc", "cpu"])
        assert composite("svc")["ActionsEnabled"] is True

    @checks.run
    def errors():
        for rule, message in (("ALARM(cpu) XOR OK(mem)", "character 12"), ("alarm(cpu)", "character 1"),
                              ("ALARM(cpu", "expected )"), ("(" * 70 + "TRUE" + ")" * 70, "nested too deeply")):
            expect_client_error(lambda: cw.put_composite_alarm(AlarmName="bad", AlarmRule=rule),
                                "InvalidParameterValue", message)
        expect_client_error(lambda: cw.put_composite_alarm(AlarmName="bad", AlarmRule="ALARM(nope)"),
                            "InvalidParameterValue", "do not exist: nope")
        expect_client_error(lambda: cw.put_composite_alarm(AlarmName="svc", AlarmRule="ALARM(top)"),
                            "InvalidParameterValue", "cycle")
        expect_client_error(lambda: cw.put_composite_alarm(AlarmName="bad", AlarmRule="ALARM(cpu)",
                                                           AlarmActions=["arn:aws:sns:us-east-1:000000000000:t"]),
                            "InvalidParameterValue", "AlarmActions")
        expect_client_error(lambda: cw.put_composite_alarm(AlarmName="bad", AlarmRule="ALARM(cpu)", ActionsSuppressor="mem"),
                            "InvalidParameterCombination")
        expect_client_error(lambda: metric_alarm("svc"), "InvalidParameterValue", "composite alarm")
        expect_client_error(lambda: cw.put_composite_alarm(AlarmName="cpu", AlarmRule="TRUE"),
                            "InvalidParameterValue", "metric alarm")
        # Metric alarms' actions: Application Auto Scaling policies only (no SNS, no EC2 actions).
        for action in ("arn:aws:sns:us-east-1:000000000000:topic", "arn:aws:automate:us-east-1:ec2:stop",
                       "arn:aws:swf:us-east-1:000000000000:action/actions/AWS_EC2.InstanceId.Reboot/1.0"):
            expect_client_error(lambda: metric_alarm("acted", AlarmActions=[action]), "InvalidParameterValue",
                                "Application Auto Scaling")
        assert cw.describe_alarms(AlarmNames=["bad", "acted"], AlarmTypes=["MetricAlarm", "CompositeAlarm"]) \
            ["MetricAlarms"] == []

    @checks.run
    def delete_composites_and_children():
        cw.delete_alarms(AlarmNames=["top", "svc", "cpu", "mem"])
        got = cw.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        assert got["MetricAlarms"] == [] and got["CompositeAlarms"] == [], got

checks.finish()
