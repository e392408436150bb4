import { describe, expect, it } from "vitest";
import { alarmCondition, checkAlarm, NEW_ALARM, toPutMetricAlarm } from "./alarms";

describe("alarms", () => {
  it("makes PutMetricAlarm's input", () => {
    expect(toPutMetricAlarm({ ...NEW_ALARM, name: "cpu-high", dimensions: "ClusterName=c,ServiceName=web", evaluationPeriods: "3" })).toEqual({
      AlarmName: "cpu-high",
      Namespace: "AWS/ECS",
      MetricName: "CPUUtilization",
      Dimensions: [
        { Name: "ClusterName", Value: "c" },
        { Name: "ServiceName", Value: "web" },
      ],
      Statistic: "Average",
      Period: 60,
      Threshold: 80,
      ComparisonOperator: "GreaterThanThreshold",
      EvaluationPeriods: 3,
    });
  });

  it("checks the form", () => {
    expect(checkAlarm({ ...NEW_ALARM, name: "x" })).toEqual({});
    const e = checkAlarm({ ...NEW_ALARM, name: "", period: "45", threshold: "high", dimensions: "ClusterName", evaluationPeriods: "0" });
    expect(Object.keys(e).sort()).toEqual(["dimensions", "evaluationPeriods", "name", "period", "threshold"]);
  });

  it("writes the condition as the alarm list does", () => {
    expect(alarmCondition({ MetricName: "CPUUtilization", ComparisonOperator: "GreaterThanThreshold", Threshold: 80, Period: 60, EvaluationPeriods: 1 })).toBe(
      "CPUUtilization > 80 for 1 datapoint within 1 minute",
    );
    expect(alarmCondition({ MetricName: "RequestCount", ComparisonOperator: "LessThanThreshold", Threshold: 1, Period: 300, EvaluationPeriods: 3, DatapointsToAlarm: 2 })).toBe(
      "RequestCount < 1 for 2 datapoints within 15 minutes",
    );
  });
});
