// Small pieces every page uses.
import { ReactNode } from "react";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Link from "@cloudscape-design/components/link";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import { describeError } from "../lib/errors";
import { indicatorFor, stateLabel } from "../lib/status";
import { formatRoute, Route } from "../lib/routes";

// A state as the AWS console shows it: an indicator and AWS's word for it.
export function State({ value }: { value: string | undefined }) {
  return <StatusIndicator type={indicatorFor(value)}>{stateLabel(value)}</StatusIndicator>;
}

// A load that failed, with the service's code and message.
export function LoadError({ error, what }: { error: unknown; what: string }) {
  if (!error) return null;
  const e = describeError(error);
  return (
    <Alert type="error" header={`Could not load ${what}: ${e.code}`}>
      {e.message}
    </Alert>
  );
}

export function RouteLink({ to, children }: { to: Route; children: ReactNode }) {
  return <Link href={formatRoute(to)}>{children}</Link>;
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Box textAlign="center" color="inherit">
      <b>{title}</b>
      {children && <Box padding={{ bottom: "s" }} variant="p" color="inherit">{children}</Box>}
    </Box>
  );
}

// Label/value pairs in columns, as the console's detail panels show them.
export function Details({ columns = 3, items }: { columns?: number; items: [string, ReactNode][] }) {
  return (
    <ColumnLayout columns={columns} variant="text-grid">
      {items.map(([label, value]) => (
        <div key={label}>
          <Box variant="awsui-key-label">{label}</Box>
          <div>{value === undefined || value === null || value === "" ? "-" : value}</div>
        </div>
      ))}
    </ColumnLayout>
  );
}
