import { describe, expect, it } from "vitest";
import { renderToStaticMarkup } from "react-dom/server";
import { LineChart } from "./LineChart";

describe("LineChart", () => {
  it("draws a line and a dot per datapoint, with its value on hover", () => {
    const html = renderToStaticMarkup(
      <LineChart
        title="CPU utilization"
        unit="%"
        from={0}
        to={120_000}
        series={[{ label: "CPUUtilization Average", points: [{ t: 0, v: 10 }, { t: 60_000, v: 40 }, { t: 120_000, v: 20 }] }]}
      />,
    );
    expect(html).toContain('data-points="3"');
    expect(html.match(/<circle/g)).toHaveLength(3);
    expect(html).toMatch(/<path d="M0,[\d.]+ L[\d.]+,[\d.]+ L[\d.]+,[\d.]+"/);
    expect(html).toContain("40 %</title>");
    expect(html).toContain('aria-label="CPU utilization: 3 datapoints"');
  });

  it("says when there is nothing to draw", () => {
    const html = renderToStaticMarkup(<LineChart title="Memory" from={0} to={1} series={[{ label: "MemoryUtilization", points: [] }]} />);
    expect(html).toContain("No datapoints in this period.");
    expect(html).not.toContain("<circle");
  });
});
