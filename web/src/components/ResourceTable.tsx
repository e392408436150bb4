// The full-page list every resource page shows: a polled list, single selection, a sticky
// header with the count, a refresh button and the page's own actions, a text filter.
import type { ReactNode } from "react";
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table, { type TableProps } from "@cloudscape-design/components/table";
import TextFilter from "@cloudscape-design/components/text-filter";
import type { Polled } from "../lib/app-context";
import { Empty } from "./common";

export interface ResourceTableProps<T> {
  title: string; // "Log groups"
  list: Polled<T[]>;
  items: T[]; // the list after the filter
  trackBy: keyof T & string;
  nameOf: (item: T) => string;
  selected: T[];
  onSelect: (items: T[]) => void;
  actions: ReactNode; // the buttons beside Refresh
  filter: string;
  onFilter: (text: string) => void;
  filterPlaceholder: string;
  emptyTitle: string;
  columnDefinitions: TableProps.ColumnDefinition<T>[];
}

export function ResourceTable<T>(p: ResourceTableProps<T>) {
  return (
    <Table
      variant="full-page"
      loading={p.list.loading && !p.list.data}
      items={p.items}
      trackBy={p.trackBy}
      selectionType="single"
      selectedItems={p.selected}
      onSelectionChange={(e) => p.onSelect(e.detail.selectedItems)}
      ariaLabels={{ itemSelectionLabel: (_, item) => p.nameOf(item), selectionGroupLabel: p.title, allItemsSelectionLabel: () => "all" }}
      header={
        <Header
          variant="awsui-h1-sticky"
          counter={p.list.data ? `(${p.list.data.length})` : undefined}
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Button iconName="refresh" ariaLabel="Refresh" onClick={p.list.reload} />
              {p.actions}
            </SpaceBetween>
          }
        >
          {p.title}
        </Header>
      }
      filter={<TextFilter filteringText={p.filter} filteringPlaceholder={p.filterPlaceholder} onChange={(e) => p.onFilter(e.detail.filteringText)} />}
      empty={<Empty title={p.emptyTitle} />}
      columnDefinitions={p.columnDefinitions}
    />
  );
}
