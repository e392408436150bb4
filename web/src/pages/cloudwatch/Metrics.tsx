// CloudWatch metrics: the namespaces, a namespace's metrics with their dimensions, and a
// metric's graph over the last hour (GetMetricData) with a choice of statistic and period.
import { useState } from "react";
import BreadcrumbGroup from "@cloudscape-design/components/breadcrumb-group";
import ContentLayout from "@cloudscape-design/components/content-layout";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import TextFilter from "@cloudscape-design/components/text-filter";
import { Metric, paginateListMetrics } from "@aws-sdk/client-cloudwatch";
import { useApp, usePolled } from "../../lib/app-context";
import { cloudwatchOf } from "../../lib/cloudwatch";
import { formatRoute } from "../../lib/routes";
import { formatDimensions, parseDimensions, STATISTICS } from "../../lib/metrics";
import { counterOf, Empty, LoadError, RouteLink } from "../../components/common";
import { MetricGraph } from "../../components/MetricGraph";

const PERIODS = [
  { value: "60", label: "1 minute" },
  { value: "300", label: "5 minutes" },
  { value: "900", label: "15 minutes" },
];
const RANGES = [
  { value: "60", label: "1 hour" },
  { value: "180", label: "3 hours" },
  { value: "720", label: "12 hours" },
];

export function Metrics({ namespace, metric, dimensions }: { namespace?: string; metric?: string; dimensions?: string }) {
  const { clients } = useApp();
  const [filter, setFilter] = useState("");
  const metrics = usePolled(async () => {
    const out: Metric[] = [];
    for await (const p of paginateListMetrics({ client: cloudwatchOf(clients) }, namespace ? { Namespace: namespace } : {})) out.push(...(p.Metrics ?? []));
    return out;
  }, [clients, namespace]);

  const crumbs = [{ text: "Metrics", href: formatRoute({ page: "metrics" }) }];
  if (namespace) crumbs.push({ text: namespace, href: formatRoute({ page: "metrics", namespace }) });
  if (metric) crumbs.push({ text: metric, href: formatRoute({ page: "metrics", namespace, metric, dimensions }) });

  return (
    <ContentLayout
      header={
        <SpaceBetween size="m">
          <BreadcrumbGroup items={crumbs} />
          <Header variant="h1" description="Metrics published by wharf's services (AWS/ECS, AWS/ApplicationELB) and by PutMetricData.">
            {metric ?? namespace ?? "Metrics"}
          </Header>
        </SpaceBetween>
      }
    >
      <SpaceBetween size="l">
        <LoadError error={metrics.error} what="metrics" />
        {namespace && metric ? (
          <Graph namespace={namespace} metric={metric} dimensions={dimensions ?? ""} />
        ) : namespace ? (
          <Table
            variant="container"
            loading={metrics.loading && !metrics.data}
            items={(metrics.data ?? []).filter((m) => `${m.MetricName} ${formatDimensions(m.Dimensions)}`.includes(filter))}
            header={<Header counter={counterOf(metrics.data)}>{`${namespace} metrics`}</Header>}
            filter={<TextFilter filteringText={filter} filteringPlaceholder="Search for any metric or dimension" onChange={(e) => setFilter(e.detail.filteringText)} />}
            empty={<Empty title="No metrics" />}
            columnDefinitions={[
              {
                id: "name",
                header: "Metric name",
                cell: (m) => <RouteLink to={{ page: "metrics", namespace, metric: m.MetricName, dimensions: formatDimensions(m.Dimensions) }}>{m.MetricName}</RouteLink>,
              },
              ...dimensionColumns(metrics.data ?? []),
            ]}
          />
        ) : (
          <Table
            variant="container"
            loading={metrics.loading && !metrics.data}
            items={namespaces(metrics.data ?? [])}
            header={<Header counter={metrics.data ? `(${namespaces(metrics.data).length})` : undefined}>Namespaces</Header>}
            empty={<Empty title="No metrics yet">Metrics appear once a service runs tasks or a load balancer takes requests.</Empty>}
            columnDefinitions={[
              { id: "ns", header: "Namespace", cell: (n) => <RouteLink to={{ page: "metrics", namespace: n.name }}>{n.name}</RouteLink> },
              { id: "count", header: "Metrics", cell: (n) => n.count },
            ]}
          />
        )}
      </SpaceBetween>
    </ContentLayout>
  );
}

function namespaces(ms: Metric[]): { name: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const m of ms) counts.set(m.Namespace ?? "", (counts.get(m.Namespace ?? "") ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([name, count]) => ({ name, count }));
}

// One column per dimension name found, as the console's metric table shows them.
function dimensionColumns(ms: Metric[]) {
  const names = [...new Set(ms.flatMap((m) => (m.Dimensions ?? []).map((d) => d.Name ?? "")))].sort();
  return names.map((n) => ({ id: `dim-${n}`, header: n, cell: (m: Metric) => m.Dimensions?.find((d) => d.Name === n)?.Value ?? "-" }));
}

function Graph({ namespace, metric, dimensions }: { namespace: string; metric: string; dimensions: string }) {
  const [stat, setStat] = useState("Average");
  const [period, setPeriod] = useState("60");
  const [range, setRange] = useState("60");
  const dims = parseDimensions(dimensions) ?? [];
  const opt = (v: string) => ({ value: v, label: v });
  return (
    <SpaceBetween size="l">
      <SpaceBetween direction="horizontal" size="l">
        <FormField label="Statistic">
          <Select selectedOption={opt(stat)} options={STATISTICS.map(opt)} onChange={(e) => setStat(e.detail.selectedOption.value ?? "Average")} ariaLabel="Statistic" />
        </FormField>
        <FormField label="Period">
          <Select selectedOption={PERIODS.find((p) => p.value === period) ?? PERIODS[0]} options={PERIODS} onChange={(e) => setPeriod(e.detail.selectedOption.value ?? "60")} ariaLabel="Period" />
        </FormField>
        <FormField label="Time range">
          <Select selectedOption={RANGES.find((p) => p.value === range) ?? RANGES[0]} options={RANGES} onChange={(e) => setRange(e.detail.selectedOption.value ?? "60")} ariaLabel="Time range" />
        </FormField>
      </SpaceBetween>
      <MetricGraph
        title={`${metric}${dims.length ? ` (${dims.map((d) => d.Value).join(", ")})` : ""}`}
        metrics={[{ namespace, metric, dimensions: dims, stat }]}
        period={Number(period)}
        minutes={Number(range)}
      />
    </SpaceBetween>
  );
}
