// What every page needs: the signed-in clients, the flashbar, and navigation.
import { createContext, ReactNode, useCallback, useContext, useEffect, useRef, useState } from "react";
import type { FlashbarProps } from "@cloudscape-design/components/flashbar";
import type { Clients } from "./clients";
import { describeError } from "./errors";
import { formatRoute, Route } from "./routes";
import { nextDelay } from "./backoff";

export interface AppContextValue {
  clients: Clients;
  notify: (item: { type: FlashbarProps.Type; header?: string; content: ReactNode }) => void;
  notifyError: (action: string, e: unknown) => void;
  go: (r: Route) => void;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const v = useContext(AppContext);
  if (!v) throw new Error("useApp outside the signed-in console");
  return v;
}

export function navigate(r: Route): void {
  window.location.hash = formatRoute(r);
}

export function useFlash(): {
  items: FlashbarProps.MessageDefinition[];
  notify: AppContextValue["notify"];
  notifyError: AppContextValue["notifyError"];
} {
  const [items, setItems] = useState<FlashbarProps.MessageDefinition[]>([]);
  const counter = useRef(0);
  const notify = useCallback<AppContextValue["notify"]>((item) => {
    const id = `flash-${++counter.current}`;
    setItems((old) => [
      {
        ...item,
        id,
        dismissible: true,
        dismissLabel: "Dismiss message",
        onDismiss: () => setItems((cur) => cur.filter((i) => i.id !== id)),
      },
      ...old.slice(0, 4),
    ]);
    // Successes fade after a while, as in the AWS console; errors stay until dismissed.
    if (item.type === "success") setTimeout(() => setItems((cur) => cur.filter((i) => i.id !== id)), 10000);
  }, []);
  const notifyError = useCallback<AppContextValue["notifyError"]>(
    (action, e) => {
      const err = describeError(e);
      notify({ type: "error", header: `${action}: ${err.code}`, content: err.message });
    },
    [notify],
  );
  return { items, notify, notifyError };
}

export interface Polled<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

// Loads `fetcher` now and again with backoff (lib/backoff.ts) while the page is shown.
// `intervalMs` 0 loads once. The answer is compared as JSON to tell a change.
export function usePolled<T>(fetcher: () => Promise<T>, deps: unknown[], poll = true): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const [nonce, setNonce] = useState(0);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let delay: number | undefined;
    let last = "";
    setLoading(true);
    const run = async () => {
      let outcome: "changed" | "same" | "error";
      try {
        const value = await fetcherRef.current();
        if (stopped) return;
        const text = JSON.stringify(value);
        outcome = text === last ? "same" : "changed";
        last = text;
        setData(value);
        setError(undefined);
      } catch (e) {
        if (stopped) return;
        outcome = "error";
        setError(e);
      }
      setLoading(false);
      if (!poll) return;
      delay = nextDelay(delay, outcome);
      timer = setTimeout(run, document.hidden ? delay * 4 : delay);
    };
    void run();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, nonce, poll]);

  return { data, error, loading, reload: () => setNonce((n) => n + 1) };
}
