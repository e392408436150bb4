// An action a user starts from a button (create, delete, save): busy while it runs, so that its
// button shows a spinner and is not pressed twice, whether the action succeeds or throws.
import { useState } from "react";
import { useApp } from "./app-context";

export function useBusy(): [busy: boolean, whileBusy: (action: () => Promise<void>) => Promise<void>] {
  const [busy, setBusy] = useState(false);
  const whileBusy = async (action: () => Promise<void>) => {
    setBusy(true);
    try {
      await action();
    } finally {
      setBusy(false);
    }
  };
  return [busy, whileBusy];
}

// The same, with the action's failure said in a flash: "<failure>: <AWS's code and message>".
export function useAction(): [busy: boolean, run: (failure: string, action: () => Promise<void>) => Promise<void>] {
  const { notifyError } = useApp();
  const [busy, whileBusy] = useBusy();
  const run = (failure: string, action: () => Promise<void>) =>
    whileBusy(async () => {
      try {
        await action();
      } catch (e) {
        notifyError(failure, e);
      }
    });
  return [busy, run];
}
