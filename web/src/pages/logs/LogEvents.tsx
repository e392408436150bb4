// A log stream's events, followed live: GetLogEvents from the head, then from the forward
// token once a second while "Follow" is on (the AWS console's live tail refreshes as often).
import { useEffect, useRef, useState } from "react";
import Box from "@cloudscape-design/components/box";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Toggle from "@cloudscape-design/components/toggle";
import { GetLogEventsCommand, OutputLogEvent } from "@aws-sdk/client-cloudwatch-logs";
import { useApp } from "../../lib/app-context";
import { describeError } from "../../lib/errors";
import { formatTime } from "../../lib/status";
import { logsOf } from "../../lib/client-logs";

const MAX_EVENTS = 5000;

export function LogEvents({ group, stream, follow: followAtStart = true, title }: { group: string; stream: string; follow?: boolean; title?: string }) {
  const { clients } = useApp();
  const [events, setEvents] = useState<OutputLogEvent[]>([]);
  const [follow, setFollow] = useState(followAtStart);
  const [error, setError] = useState<string | undefined>();
  const token = useRef<string | undefined>(undefined);

  useEffect(() => {
    token.current = undefined;
    setEvents([]);
  }, [group, stream]);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        // Read every page there is now, then wait for more.
        for (;;) {
          const r = await logsOf(clients).send(
            new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true, nextToken: token.current }),
          );
          if (stopped) return;
          const got = r.events ?? [];
          if (got.length) setEvents((old) => [...old, ...got].slice(-MAX_EVENTS));
          const same = r.nextForwardToken === token.current;
          token.current = r.nextForwardToken;
          setError(undefined);
          if (same || !got.length) break;
        }
      } catch (e) {
        if (stopped) return;
        const err = describeError(e);
        // The stream appears with the container's first line.
        setError(err.code === "ResourceNotFoundException" ? `No log stream ${stream} in ${group} yet.` : `${err.code}: ${err.message}`);
      }
      if (follow && !stopped) timer = setTimeout(run, 1000);
    };
    void run();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [clients, group, stream, follow]);

  return (
    <Container
      header={
        <Header
          variant="h2"
          description={`${group} / ${stream}`}
          counter={`(${events.length})`}
          actions={
            <Toggle checked={follow} onChange={(e) => setFollow(e.detail.checked)}>
              Follow
            </Toggle>
          }
        >
          {title ?? "Log events"}
        </Header>
      }
    >
      <SpaceBetween size="s">
        {error && <Box color="text-status-inactive">{error}</Box>}
        {!error && !events.length && <Box color="text-status-inactive">No events yet.</Box>}
        <div role="log" aria-live="polite" data-testid="log-events" style={{ maxHeight: 480, overflowY: "auto" }}>
          <table style={{ borderCollapse: "collapse", width: "100%", fontFamily: "monospace", fontSize: 13 }}>
            <tbody>
              {events.map((e, i) => (
                <tr key={i} style={{ borderBottom: "1px solid #e9ebed" }}>
                  <td style={{ whiteSpace: "nowrap", verticalAlign: "top", paddingRight: 16, color: "#5f6b7a", width: "1%" }}>{formatTime(e.timestamp)}</td>
                  <td style={{ whiteSpace: "pre-wrap", wordBreak: "break-all" }}>{e.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </SpaceBetween>
    </Container>
  );
}
