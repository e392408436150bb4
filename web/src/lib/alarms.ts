// A simple CloudWatch alarm as the console's form makes one: one metric, a statistic over a
// period, a threshold and a comparison for N periods. Pure, so Vitest checks it.
import type { ComparisonOperator, MetricAlarm, PutMetricAlarmCommandInput, Statistic } from "@aws-sdk/client-cloudwatch";
import { parseDimensions } from "./metrics";

export interface AlarmDraft {
  name: string;
  namespace: string;
  metric: string;
  dimensions: string;
  statistic: string;
  period: string;
  comparison: string;
  threshold: string;
  evaluationPeriods: string;
}

export const NEW_ALARM: AlarmDraft = {
  name: "",
  namespace: "AWS/ECS",
  metric: "CPUUtilization",
  dimensions: "",
  statistic: "Average",
  period: "60",
  comparison: "GreaterThanThreshold",
  threshold: "80",
  evaluationPeriods: "1",
};

export const COMPARISONS = [
  { value: "GreaterThanThreshold", label: "Greater", symbol: ">" },
  { value: "GreaterThanOrEqualToThreshold", label: "Greater/Equal", symbol: ">=" },
  { value: "LessThanOrEqualToThreshold", label: "Lower/Equal", symbol: "<=" },
  { value: "LessThanThreshold", label: "Lower", symbol: "<" },
];

export function checkAlarm(d: AlarmDraft): Partial<Record<keyof AlarmDraft, string>> {
  const e: Partial<Record<keyof AlarmDraft, string>> = {};
  if (!d.name.trim() || d.name.length > 255) e.name = "Enter a name of up to 255 characters.";
  if (!d.namespace.trim()) e.namespace = "Enter a namespace.";
  if (!d.metric.trim()) e.metric = "Enter a metric name.";
  if (parseDimensions(d.dimensions) === undefined) e.dimensions = "Write dimensions as Name=Value pairs separated by commas.";
  const period = Number(d.period);
  // CloudWatch: 10, 20, 30 or a multiple of 60 seconds.
  if (!Number.isInteger(period) || !([10, 20, 30].includes(period) || (period >= 60 && period % 60 === 0))) e.period = "10, 20, 30 or a multiple of 60.";
  if (d.threshold.trim() === "" || !Number.isFinite(Number(d.threshold))) e.threshold = "Enter a number.";
  const n = Number(d.evaluationPeriods);
  if (!Number.isInteger(n) || n < 1) e.evaluationPeriods = "At least 1.";
  return e;
}

export function toPutMetricAlarm(d: AlarmDraft): PutMetricAlarmCommandInput {
  return {
    AlarmName: d.name.trim(),
    Namespace: d.namespace.trim(),
    MetricName: d.metric.trim(),
    Dimensions: parseDimensions(d.dimensions) ?? [],
    Statistic: d.statistic as Statistic,
    Period: Number(d.period),
    Threshold: Number(d.threshold),
    ComparisonOperator: d.comparison as ComparisonOperator,
    EvaluationPeriods: Number(d.evaluationPeriods),
  };
}

// "CPUUtilization > 80 for 1 datapoints within 1 minute", as the alarm list writes it.
export function alarmCondition(a: MetricAlarm): string {
  const symbol = COMPARISONS.find((c) => c.value === a.ComparisonOperator)?.symbol ?? a.ComparisonOperator ?? "";
  const periods = a.EvaluationPeriods ?? 1;
  const seconds = (a.Period ?? 60) * periods;
  const within = seconds % 60 === 0 ? `${seconds / 60} minute${seconds === 60 ? "" : "s"}` : `${seconds} seconds`;
  const datapoints = a.DatapointsToAlarm ?? periods;
  return `${a.MetricName ?? "(metric math)"} ${symbol} ${a.Threshold} for ${datapoints} datapoint${datapoints === 1 ? "" : "s"} within ${within}`;
}
