import { describe, expect, it } from "vitest";
import { chartGeometry, formatDimensions, metricQuery, niceMax, parseDimensions, toPoints } from "./metrics";

describe("metrics", () => {
  it("reads and writes dimensions as Name=Value pairs", () => {
    const ds = parseDimensions("ClusterName=c, ServiceName=web");
    expect(ds).toEqual([
      { Name: "ClusterName", Value: "c" },
      { Name: "ServiceName", Value: "web" },
    ]);
    expect(formatDimensions(ds)).toBe("ClusterName=c,ServiceName=web");
    expect(parseDimensions("")).toEqual([]);
    expect(parseDimensions("ClusterName")).toBeUndefined();
    expect(parseDimensions("=x")).toBeUndefined();
  });

  it("asks GetMetricData for one statistic of one metric", () => {
    expect(metricQuery("m0", "AWS/ECS", "CPUUtilization", [{ Name: "ClusterName", Value: "c" }], "Average", 60)).toEqual({
      Id: "m0",
      MetricStat: { Metric: { Namespace: "AWS/ECS", MetricName: "CPUUtilization", Dimensions: [{ Name: "ClusterName", Value: "c" }] }, Period: 60, Stat: "Average" },
      ReturnData: true,
      Label: "CPUUtilization",
    });
  });

  it("orders points oldest first", () => {
    expect(toPoints([new Date(2000), new Date(1000)], [2, 1])).toEqual([
      { t: 1000, v: 1 },
      { t: 2000, v: 2 },
    ]);
  });

  it("rounds the y axis up to a nice value", () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(37)).toBe(50);
    expect(niceMax(100)).toBe(100);
    expect(niceMax(0.3)).toBeCloseTo(0.5);
    expect(niceMax(2.2)).toBe(2.5);
  });

  it("places points inside the box", () => {
    const [g] = chartGeometry([[{ t: 0, v: 0 }, { t: 50, v: 25 }, { t: 100, v: 50 }]], 0, 100, 200, 100);
    expect(g.yMax).toBe(50);
    expect(g.path).toBe("M0,100 L100,50 L200,0");
    expect(g.dots).toHaveLength(3);
  });
});
