// Metrics as the CloudWatch console names and draws them: dimensions written
// "Name=Value,Name=Value" (in URLs and forms), the GetMetricData query of a graph, and the
// geometry of a line chart. Pure, so Vitest checks it.
import type { Dimension, MetricDataQuery } from "@aws-sdk/client-cloudwatch";

export function parseDimensions(text: string | undefined): Dimension[] | undefined {
  if (!text || !text.trim()) return [];
  const out: Dimension[] = [];
  for (const part of text.split(",")) {
    const i = part.indexOf("=");
    if (i <= 0) return undefined;
    const name = part.slice(0, i).trim();
    const value = part.slice(i + 1).trim();
    if (!name || !value) return undefined;
    out.push({ Name: name, Value: value });
  }
  return out;
}

export function formatDimensions(ds: Dimension[] | undefined): string {
  return (ds ?? []).map((d) => `${d.Name}=${d.Value}`).join(",");
}

export const STATISTICS = ["Average", "Sum", "Minimum", "Maximum", "SampleCount"];

// One metric's statistic over `periodSeconds` buckets.
export function metricQuery(id: string, namespace: string, metric: string, dimensions: Dimension[], stat: string, periodSeconds: number): MetricDataQuery {
  return {
    Id: id,
    MetricStat: { Metric: { Namespace: namespace, MetricName: metric, Dimensions: dimensions }, Period: periodSeconds, Stat: stat },
    ReturnData: true,
    Label: metric,
  };
}

export interface Point {
  t: number; // ms since the epoch
  v: number;
}

// GetMetricData answers newest first; a chart wants oldest first.
export function toPoints(timestamps: (Date | undefined)[] | undefined, values: number[] | undefined): Point[] {
  const out: Point[] = [];
  (timestamps ?? []).forEach((ts, i) => {
    const v = values?.[i];
    if (ts && v !== undefined && Number.isFinite(v)) out.push({ t: ts.getTime(), v });
  });
  return out.sort((a, b) => a.t - b.t);
}

export interface ChartGeometry {
  width: number;
  height: number;
  yMax: number;
  yTicks: number[];
  path: string; // an SVG path through the points
  dots: { x: number; y: number; p: Point }[];
  x: (t: number) => number;
  y: (v: number) => number;
}

// A "nice" top for the y axis: 1, 2, 2.5 or 5 times a power of ten at or above the largest value.
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

// Lines from `from` to `to` (ms) in a width x height box (inside the axes).
export function chartGeometry(series: Point[][], from: number, to: number, width: number, height: number): ChartGeometry[] {
  const all = series.flat();
  const yMax = niceMax(Math.max(0, ...all.map((p) => p.v)));
  const span = Math.max(1, to - from);
  const x = (t: number) => ((t - from) / span) * width;
  const y = (v: number) => height - (v / yMax) * height;
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * yMax);
  return series.map((points) => {
    const dots = points.map((p) => ({ x: round(x(p.t)), y: round(y(p.v)), p }));
    const path = dots.map((d, i) => `${i ? "L" : "M"}${d.x},${d.y}`).join(" ");
    return { width, height, yMax, yTicks, path, dots, x, y };
  });
}

const round = (n: number) => Math.round(n * 10) / 10;

export function formatValue(v: number): string {
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (Math.abs(v) >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1);
}
