// A graph of metrics over the last `minutes`: one GetMetricData call for all of them, again
// with backoff while the page is open.
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import Spinner from "@cloudscape-design/components/spinner";
import { GetMetricDataCommand, type Dimension } from "@aws-sdk/client-cloudwatch";
import { useApp, usePolled } from "../lib/app-context";
import { cloudwatchOf } from "../lib/cloudwatch";
import { metricQuery, toPoints } from "../lib/metrics";
import { LoadError } from "./common";
import { LineChart, Series } from "./LineChart";

export interface GraphedMetric {
  namespace: string;
  metric: string;
  dimensions: Dimension[];
  stat: string;
  label?: string;
}

export function MetricGraph({ title, metrics, minutes = 60, period = 60, unit }: { title: string; metrics: GraphedMetric[]; minutes?: number; period?: number; unit?: string }) {
  const { clients } = useApp();
  const key = JSON.stringify(metrics);
  const data = usePolled(async () => {
    // Whole minutes: an unchanged graph answers the same, and polling slows down (lib/backoff.ts).
    const to = Math.ceil(Date.now() / 60_000) * 60_000;
    const from = to - minutes * 60_000;
    const r = await cloudwatchOf(clients).send(
      new GetMetricDataCommand({
        StartTime: new Date(from),
        EndTime: new Date(to),
        MetricDataQueries: metrics.map((m, i) => ({ ...metricQuery(`m${i}`, m.namespace, m.metric, m.dimensions, m.stat, period), Label: m.label ?? m.metric })),
      }),
    );
    const series: Series[] = metrics.map((m, i) => {
      const result = r.MetricDataResults?.find((x) => x.Id === `m${i}`);
      return { label: m.label ?? m.metric, points: toPoints(result?.Timestamps, result?.Values) };
    });
    return { from, to, series };
  }, [clients, key, minutes, period]);
  return (
    <Container header={<Header variant="h2" description={`${metrics.map((m) => m.stat).filter((s, i, a) => a.indexOf(s) === i).join(", ")}, ${period / 60} minute period, last ${minutes >= 60 ? `${minutes / 60} hour${minutes === 60 ? "" : "s"}` : `${minutes} minutes`}`}>{title}</Header>}>
      <LoadError error={data.error} what="the metric data" />
      {data.data ? <LineChart title={title} series={data.data.series} from={data.data.from} to={data.data.to} unit={unit} /> : !data.error && <Spinner />}
    </Container>
  );
}
