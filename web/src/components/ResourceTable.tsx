// The full-page list every resource page shows: a polled list, single selection, a sticky
// header with the count, a refresh button, the page's own actions, its Delete and Create
// buttons, and a text filter.
import { type ReactNode, useState } from "react";
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table, { type TableProps } from "@cloudscape-design/components/table";
import TextFilter from "@cloudscape-design/components/text-filter";
import type { Polled } from "../lib/app-context";
import { counterOf, Empty } from "./common";

// What a list page keeps between polls: its filter, its selection and which of its
// create/delete modals is open.
export interface ListState<T> {
  filter: string;
  setFilter: (text: string) => void;
  selected: T[];
  setSelected: (items: T[]) => void;
  creating: boolean;
  setCreating: (on: boolean) => void;
  deleting: T | undefined;
  setDeleting: (item: T | undefined) => void;
  // After a create or a delete the list is read again; a deleted item is no longer selected.
  created: (list: Polled<T[]>) => void;
  deleted: (list: Polled<T[]>) => void;
}

export function useListState<T>(): ListState<T> {
  const [filter, setFilter] = useState("");
  const [selected, setSelected] = useState<T[]>([]);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<T | undefined>();
  const created = (list: Polled<T[]>) => {
    setCreating(false);
    list.reload();
  };
  const deleted = (list: Polled<T[]>) => {
    setSelected([]);
    list.reload();
  };
  return { filter, setFilter, selected, setSelected, creating, setCreating, deleting, setDeleting, created, deleted };
}

export interface ResourceTableProps<T> {
  title: string; // "Log groups"
  description?: ReactNode; // under the title
  loadingText?: string;
  list: Polled<T[]>;
  state: ListState<T>;
  trackBy: keyof T & string;
  nameOf: (item: T) => string;
  actions?: ReactNode; // buttons before Delete and Create
  deleteLabel?: string; // "Delete log group": opens state.deleting on the selected item
  createLabel?: string; // "Create log group": sets state.creating
  // The text the filter searches in; without it the page has no filter.
  filterText?: (item: T) => string;
  filterPlaceholder?: string;
  emptyTitle: string;
  emptyDescription?: ReactNode;
  columnDefinitions: TableProps.ColumnDefinition<T>[];
}

export function ResourceTable<T>(p: ResourceTableProps<T>) {
  const s = p.state;
  const all = p.list.data ?? [];
  const filterText = p.filterText;
  const items = filterText ? all.filter((item) => filterText(item).includes(s.filter)) : all;
  return (
    <Table
      variant="full-page"
      loading={p.list.loading && !p.list.data}
      loadingText={p.loadingText}
      items={items}
      trackBy={p.trackBy}
      selectionType="single"
      selectedItems={s.selected}
      onSelectionChange={(e) => s.setSelected(e.detail.selectedItems)}
      ariaLabels={{ itemSelectionLabel: (_, item) => p.nameOf(item), selectionGroupLabel: p.title, allItemsSelectionLabel: () => "all" }}
      header={
        <Header
          variant="awsui-h1-sticky"
          counter={counterOf(p.list.data)}
          description={p.description}
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Button iconName="refresh" ariaLabel="Refresh" onClick={p.list.reload} />
              {p.actions}
              {p.deleteLabel && (
                <Button disabled={s.selected.length !== 1} onClick={() => s.setDeleting(s.selected[0])}>
                  {p.deleteLabel}
                </Button>
              )}
              {p.createLabel && (
                <Button variant="primary" onClick={() => s.setCreating(true)}>
                  {p.createLabel}
                </Button>
              )}
            </SpaceBetween>
          }
        >
          {p.title}
        </Header>
      }
      filter={filterText && <TextFilter filteringText={s.filter} filteringPlaceholder={p.filterPlaceholder} onChange={(e) => s.setFilter(e.detail.filteringText)} />}
      empty={<Empty title={p.emptyTitle}>{p.emptyDescription}</Empty>}
      columnDefinitions={p.columnDefinitions}
    />
  );
}

// A detail page's table of a polled list, titled with the list's count.
export function PolledTable<T>({ list, title, ...table }: { list: Polled<T[] | undefined>; title: ReactNode } & Omit<TableProps<T>, "items" | "loading" | "header">) {
  return <Table {...table} loading={list.loading && !list.data} items={list.data ?? []} header={<Header counter={counterOf(list.data)}>{title}</Header>} />;
}
