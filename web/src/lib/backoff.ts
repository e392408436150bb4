// Live updates poll with backoff: quickly while something changes, slower while nothing
// does, and slower still after errors, so an idle console costs wharf almost nothing.

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minMs: 2000, maxMs: 30000, factor: 1.5 };

// The delay before the next poll. `changed`: the last answer differed from the one before,
// which resets to the fastest rate; an unchanged answer or an error stretches the delay.
export function nextDelay(previousMs: number | undefined, outcome: "changed" | "same" | "error", o = DEFAULT_BACKOFF): number {
  if (outcome === "changed" || previousMs === undefined) return o.minMs;
  const factor = outcome === "error" ? o.factor * 2 : o.factor;
  return Math.min(o.maxMs, Math.round(previousMs * factor));
}
