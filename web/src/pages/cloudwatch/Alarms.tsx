// CloudWatch alarms: the list with their state, a simple alarm on one metric (statistic,
// period, threshold, comparison, evaluation periods), delete.
import { useState } from "react";
import Button from "@cloudscape-design/components/button";
import FormField from "@cloudscape-design/components/form-field";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import { DeleteAlarmsCommand, MetricAlarm, paginateDescribeAlarms, PutMetricAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { useApp, usePolled } from "../../lib/app-context";
import { cloudwatchOf } from "../../lib/cloudwatch";
import { formatTime } from "../../lib/status";
import { alarmCondition, checkAlarm, COMPARISONS, NEW_ALARM, toPutMetricAlarm, AlarmDraft } from "../../lib/alarms";
import { formatDimensions, STATISTICS } from "../../lib/metrics";
import { ActionModal, LoadError, RouteLink } from "../../components/common";
import { DeleteResourceModal } from "../../components/ConfirmDelete";
import { ResourceTable, useListState } from "../../components/ResourceTable";
import { InputField } from "../../components/forms";
import { useAction } from "../../lib/actions";

// The console's words and colours for an alarm's state.
function AlarmState({ value }: { value: string | undefined }) {
  if (value === "ALARM") return <StatusIndicator type="error">In alarm</StatusIndicator>;
  if (value === "OK") return <StatusIndicator type="success">OK</StatusIndicator>;
  return <StatusIndicator type="info">Insufficient data</StatusIndicator>;
}

export function Alarms() {
  const { clients } = useApp();
  const cw = cloudwatchOf(clients);
  const list = useListState<MetricAlarm>();
  const alarms = usePolled(async () => {
    const out: MetricAlarm[] = [];
    for await (const p of paginateDescribeAlarms({ client: cw }, { AlarmTypes: ["MetricAlarm"] })) out.push(...(p.MetricAlarms ?? []));
    return out;
  }, [clients]);
  const deleting = list.deleting;
  return (
    <SpaceBetween size="l">
      <LoadError error={alarms.error} what="alarms" />
      <ResourceTable
        title="Alarms"
        list={alarms}
        state={list}
        trackBy="AlarmName"
        nameOf={(a) => a.AlarmName ?? ""}
        deleteLabel="Delete"
        createLabel="Create alarm"
        filterText={(a) => `${a.AlarmName} ${a.MetricName} ${a.Namespace}`}
        filterPlaceholder="Search alarms"
        emptyTitle="No alarms"
        columnDefinitions={[
          { id: "name", header: "Name", cell: (a) => a.AlarmName },
          { id: "state", header: "State", cell: (a) => <AlarmState value={a.StateValue} /> },
          { id: "updated", header: "Last state update", cell: (a) => formatTime(a.StateUpdatedTimestamp) },
          { id: "conditions", header: "Conditions", cell: (a) => alarmCondition(a) },
          {
            id: "metric",
            header: "Metric",
            cell: (a) => (
              <RouteLink to={{ page: "metrics", namespace: a.Namespace, metric: a.MetricName, dimensions: formatDimensions(a.Dimensions) }}>{`${a.Namespace} ${a.MetricName}`}</RouteLink>
            ),
          },
          { id: "actions", header: "Actions", cell: (a) => (a.ActionsEnabled ? "Actions enabled" : "No actions") },
        ]}
      />
      {list.creating && (
        <CreateAlarmModal
          onClose={() => list.setCreating(false)}
          onCreated={() => list.created(alarms)}
        />
      )}
      {deleting && (
        <DeleteResourceModal
          title="Delete alarm"
          kind="Alarm"
          name={deleting.AlarmName ?? ""}
          deletedMessage={`Successfully deleted alarm ${deleting.AlarmName}.`}
          onClose={() => list.setDeleting(undefined)}
          onDelete={() => cw.send(new DeleteAlarmsCommand({ AlarmNames: [deleting.AlarmName ?? ""] }))}
          onDeleted={() => list.deleted(alarms)}
        />
      )}
    </SpaceBetween>
  );
}

function CreateAlarmModal({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const { clients, notify } = useApp();
  const [d, setD] = useState<AlarmDraft>(NEW_ALARM);
  const [submitted, setSubmitted] = useState(false);
  const [busy, run] = useAction();
  const errors = submitted ? checkAlarm(d) : {};
  const opt = (v: string) => ({ value: v, label: v });
  const field = (k: keyof AlarmDraft, label: string, description?: string) => (
    <InputField label={label} description={description} errorText={errors[k]} value={d[k]} onChange={(entered) => setD({ ...d, [k]: entered })} controlId={`alarm-${k}`} />
  );
  const create = async () => {
    setSubmitted(true);
    if (Object.keys(checkAlarm(d)).length) return;
    await run(`Alarm ${d.name} could not be created`, async () => {
      await cloudwatchOf(clients).send(new PutMetricAlarmCommand(toPutMetricAlarm(d)));
      notify({ type: "success", content: `Successfully created alarm ${d.name}.` });
      onCreated();
    });
  };
  return (
    <ActionModal
      header="Create alarm"
      onClose={onClose}
      actions={
        <Button variant="primary" loading={busy} onClick={() => void create()}>Create alarm</Button>
      }
    >
      <SpaceBetween size="m">
        {field("name", "Alarm name")}
        {field("namespace", "Namespace", "AWS/ECS, AWS/ApplicationELB or your own")}
        {field("metric", "Metric name")}
        {field("dimensions", "Dimensions", "Name=Value, comma-separated: ClusterName=demo,ServiceName=web")}
        <SpaceBetween direction="horizontal" size="s">
          <FormField label="Statistic">
            <Select selectedOption={opt(d.statistic)} options={STATISTICS.map(opt)} onChange={(e) => setD({ ...d, statistic: e.detail.selectedOption.value ?? "Average" })} ariaLabel="Statistic" />
          </FormField>
          {field("period", "Period (seconds)")}
        </SpaceBetween>
        <SpaceBetween direction="horizontal" size="s">
          <FormField label="Whenever the metric is">
            <Select
              selectedOption={COMPARISONS.find((c) => c.value === d.comparison) ?? COMPARISONS[0]}
              options={COMPARISONS}
              onChange={(e) => setD({ ...d, comparison: e.detail.selectedOption.value ?? COMPARISONS[0].value })}
              ariaLabel="Comparison"
            />
          </FormField>
          {field("threshold", "than")}
          {field("evaluationPeriods", "for (periods)")}
        </SpaceBetween>
      </SpaceBetween>
    </ActionModal>
  );
}
