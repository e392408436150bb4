// Small pieces every page uses.
import { ReactNode } from "react";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import BreadcrumbGroup from "@cloudscape-design/components/breadcrumb-group";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import Header, { type HeaderProps } from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import Modal, { type ModalProps } from "@cloudscape-design/components/modal";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Tabs, { type TabsProps } from "@cloudscape-design/components/tabs";
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

// A detail page's panel of label/value pairs under its h2 title.
export function DetailsPanel({ title, ...details }: { title: string; columns?: number; items: [string, ReactNode][] }) {
  return (
    <Container header={<Header variant="h2">{title}</Header>}>
      <Details {...details} />
    </Container>
  );
}

// A dialog as the console's create/edit/delete dialogs are: open while it is shown, closed by
// Cancel or dismissal, its own buttons (actions) after Cancel at the bottom right.
export function ActionModal({ header, size, onClose, actions, children }: { header: ReactNode; size?: ModalProps.Size; onClose: () => void; actions: ReactNode; children: ReactNode }) {
  return (
    <Modal visible size={size} onDismiss={onClose} header={header} footer={<ModalFooter onCancel={onClose}>{actions}</ModalFooter>}>
      {children}
    </Modal>
  );
}

function ModalFooter({ onCancel, children }: { onCancel: () => void; children: ReactNode }) {
  return (
    <Box float="right">
      <SpaceBetween direction="horizontal" size="xs">
        <Button variant="link" onClick={onCancel}>
          Cancel
        </Button>
        {children}
      </SpaceBetween>
    </Box>
  );
}

// A detail page's header: the breadcrumbs from the list down to this page, then its title
// (children) with the page's description and actions.
export function DetailHeader({ crumbs, children, ...header }: { crumbs: [string, Route][]; children: ReactNode } & Omit<HeaderProps, "variant" | "children">) {
  return (
    <SpaceBetween size="m">
      <BreadcrumbGroup items={crumbs.map(([text, to]) => ({ text, href: formatRoute(to) }))} />
      <Header variant="h1" {...header}>
        {children}
      </Header>
    </SpaceBetween>
  );
}

// "(n)" beside a table's title once its list has loaded.
export function counterOf(list: { length: number } | undefined): string | undefined {
  return list ? `(${list.length})` : undefined;
}

// A detail page's tabs, the chosen one kept in the page's route (#/…?tab=) so that a reload
// or a shared link opens the same tab.
export function RouteTabs({ activeTabId, route, tabs }: { activeTabId: string; route: (tab: string) => Route; tabs: TabsProps.Tab[] }) {
  return <Tabs activeTabId={activeTabId} onChange={(e) => (window.location.hash = formatRoute(route(e.detail.activeTabId)))} tabs={tabs} />;
}
