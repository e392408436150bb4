import { describe, expect, it } from "vitest";
import { DEFAULT_BACKOFF, nextDelay } from "./backoff";

describe("nextDelay", () => {
  it("starts and resets at the fastest rate", () => {
    expect(nextDelay(undefined, "same")).toBe(DEFAULT_BACKOFF.minMs);
    expect(nextDelay(20000, "changed")).toBe(DEFAULT_BACKOFF.minMs);
  });

  it("slows down while nothing changes, up to the ceiling", () => {
    let d = nextDelay(undefined, "same");
    const seen = [d];
    for (let i = 0; i < 20; i++) seen.push((d = nextDelay(d, "same")));
    expect(seen[1]).toBe(3000);
    expect(seen.at(-1)).toBe(DEFAULT_BACKOFF.maxMs);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
  });

  it("backs off faster after an error", () => {
    expect(nextDelay(2000, "error")).toBe(6000);
  });
});
