// CloudWatch Logs: log groups (create, delete, retention), a group's streams and an event
// search with a filter pattern, a stream's events followed live.
import { useState } from "react";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import {
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DeleteRetentionPolicyCommand,
  FilteredLogEvent,
  FilterLogEventsCommand,
  LogGroup,
  paginateDescribeLogGroups,
  paginateDescribeLogStreams,
  PutRetentionPolicyCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { useApp, usePolled } from "../../lib/app-context";
import { formatBytes, formatTime } from "../../lib/status";
import { DetailHeader, DetailsPanel, Empty, LoadError, RouteLink } from "../../components/common";
import { DeleteResourceModal } from "../../components/ConfirmDelete";
import { NameModal } from "../../components/NameModal";
import { PolledTable, ResourceTable, useListState } from "../../components/ResourceTable";
import { LogEvents } from "./LogEvents";
import { logsOf } from "../../lib/client-logs";

const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

function retentionLabel(days: number | undefined): string {
  return days ? `${days} day${days === 1 ? "" : "s"}` : "Never expire";
}

export function LogGroups() {
  const { clients, notify, notifyError } = useApp();
  const list = useListState<LogGroup>();
  const groups = usePolled(async () => {
    const out: LogGroup[] = [];
    for await (const p of paginateDescribeLogGroups({ client: logsOf(clients) }, {})) out.push(...(p.logGroups ?? []));
    return out;
  }, [clients]);
  const deleting = list.deleting;
  return (
    <SpaceBetween size="l">
      <LoadError error={groups.error} what="log groups" />
      <ResourceTable
        title="Log groups"
        list={groups}
        state={list}
        trackBy="logGroupName"
        nameOf={(g) => g.logGroupName ?? ""}
        deleteLabel="Delete log group"
        createLabel="Create log group"
        filterText={(g) => g.logGroupName ?? ""}
        filterPlaceholder="Filter log groups"
        emptyTitle="No log groups"
        columnDefinitions={[
          { id: "name", header: "Log group", cell: (g) => <RouteLink to={{ page: "log-group", group: g.logGroupName ?? "" }}>{g.logGroupName}</RouteLink> },
          { id: "retention", header: "Retention", cell: (g) => retentionLabel(g.retentionInDays) },
          { id: "stored", header: "Stored bytes", cell: (g) => formatBytes(g.storedBytes) },
          { id: "created", header: "Creation time", cell: (g) => formatTime(g.creationTime) },
        ]}
      />
      {list.creating && (
        <NameModal
          title="Create log group"
          label="Log group name"
          onClose={() => list.setCreating(false)}
          onSubmit={async (name) => {
            try {
              await logsOf(clients).send(new CreateLogGroupCommand({ logGroupName: name }));
              notify({ type: "success", content: `Log group ${name} has been created.` });
              list.created(groups);
            } catch (e) {
              notifyError(`Log group ${name} could not be created`, e);
            }
          }}
        />
      )}
      {deleting && (
        <DeleteResourceModal
          title="Delete log group"
          kind="Log group"
          name={deleting.logGroupName ?? ""}
          onClose={() => list.setDeleting(undefined)}
          onDelete={() => logsOf(clients).send(new DeleteLogGroupCommand({ logGroupName: deleting.logGroupName }))}
          onDeleted={() => list.deleted(groups)}
        />
      )}
    </SpaceBetween>
  );
}

export function LogGroupDetail({ group }: { group: string }) {
  const { clients, notify, notifyError } = useApp();
  const info = usePolled(async () => {
    for await (const p of paginateDescribeLogGroups({ client: logsOf(clients) }, { logGroupNamePrefix: group })) {
      const g = p.logGroups?.find((x) => x.logGroupName === group);
      if (g) return g;
    }
    throw Object.assign(new Error(`The specified log group does not exist.`), { name: "ResourceNotFoundException" });
  }, [clients, group]);
  const streams = usePolled(async () => {
    const out = [];
    for await (const p of paginateDescribeLogStreams({ client: logsOf(clients) }, { logGroupName: group, orderBy: "LastEventTime", descending: true })) {
      out.push(...(p.logStreams ?? []));
      if (out.length >= 500) break;
    }
    return out;
  }, [clients, group]);
  const [pattern, setPattern] = useState("");
  const [found, setFound] = useState<FilteredLogEvent[] | undefined>();
  const [searching, setSearching] = useState(false);
  const search = async () => {
    setSearching(true);
    try {
      const r = await logsOf(clients).send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: pattern || undefined, limit: 500 }));
      setFound(r.events ?? []);
    } catch (e) {
      notifyError("Events could not be searched", e);
    } finally {
      setSearching(false);
    }
  };
  const setRetention = async (days: number | undefined) => {
    try {
      if (days) await logsOf(clients).send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: days }));
      else await logsOf(clients).send(new DeleteRetentionPolicyCommand({ logGroupName: group }));
      notify({ type: "success", content: `Retention of ${group} is now ${retentionLabel(days)}.` });
      info.reload();
    } catch (e) {
      notifyError("Retention could not be changed", e);
    }
  };
  const g = info.data;
  return (
    <ContentLayout
      header={<DetailHeader crumbs={[["Log groups", { page: "log-groups" }], [group, { page: "log-group", group }]]}>{group}</DetailHeader>}
    >
      <SpaceBetween size="l">
        <LoadError error={info.error} what="the log group" />
        <DetailsPanel
          title="Log group details"
          columns={4}
          items={[
            [
              "Retention",
              <Select
                ariaLabel="Retention"
                selectedOption={{ value: String(g?.retentionInDays ?? 0), label: retentionLabel(g?.retentionInDays) }}
                options={[{ value: "0", label: "Never expire" }, ...RETENTION_DAYS.map((d) => ({ value: String(d), label: retentionLabel(d) }))]}
                onChange={(e) => void setRetention(Number(e.detail.selectedOption.value) || undefined)}
              />,
            ],
            ["Stored bytes", formatBytes(g?.storedBytes)],
            ["Creation time", formatTime(g?.creationTime)],
            ["Metric filters", g ? String(g.metricFilterCount ?? 0) : undefined],
            ["KMS key ID", g?.kmsKeyId],
            ["ARN", g?.arn],
          ]}
        />
        <PolledTable
          list={streams}
          title="Log streams"
          trackBy="logStreamName"
          empty={<Empty title="No log streams" />}
          columnDefinitions={[
            {
              id: "name",
              header: "Log stream",
              cell: (s) => <RouteLink to={{ page: "log-stream", group, stream: s.logStreamName ?? "" }}>{s.logStreamName}</RouteLink>,
            },
            { id: "last", header: "Last event time", cell: (s) => formatTime(s.lastEventTimestamp) },
          ]}
        />
        <Container
          header={
            <Header variant="h2" description="A CloudWatch Logs filter pattern: terms, quoted phrases, -exclusions, or { $.field = value }.">
              Search log group
            </Header>
          }
        >
          <SpaceBetween size="s">
            <form
              onSubmit={(e) => {
                e.preventDefault();
                void search();
              }}
            >
              <SpaceBetween direction="horizontal" size="xs">
                <Input value={pattern} onChange={(e) => setPattern(e.detail.value)} placeholder="Filter events" type="search" ariaLabel="Filter pattern" />
                <Button loading={searching} formAction="submit">
                  Search
                </Button>
              </SpaceBetween>
            </form>
            {found && (
              <Table
                variant="embedded"
                items={found}
                trackBy="eventId"
                empty={<Empty title="No matching events" />}
                columnDefinitions={[
                  { id: "time", header: "Timestamp", cell: (e) => formatTime(e.timestamp) },
                  { id: "stream", header: "Log stream", cell: (e) => e.logStreamName },
                  { id: "message", header: "Message", cell: (e) => <span style={{ fontFamily: "monospace", whiteSpace: "pre-wrap" }}>{e.message}</span> },
                ]}
              />
            )}
          </SpaceBetween>
        </Container>
      </SpaceBetween>
    </ContentLayout>
  );
}

export function LogStreamPage({ group, stream }: { group: string; stream: string }) {
  return (
    <ContentLayout
      header={
        <DetailHeader
          crumbs={[
            ["Log groups", { page: "log-groups" }],
            [group, { page: "log-group", group }],
            [stream, { page: "log-stream", group, stream }],
          ]}
        >
          {stream}
        </DetailHeader>
      }
    >
      <LogEvents group={group} stream={stream} />
    </ContentLayout>
  );
}
