// A line chart in plain SVG: the CloudWatch console's graph (time across, the statistic up,
// one line per metric, a dot per datapoint with its value on hover). Cloudscape's LineChart
// would add its charting code to every page that shows a graph; this is a few hundred bytes.
import { chartGeometry, formatValue, Point } from "../lib/metrics";

export interface Series {
  label: string;
  points: Point[];
}

const COLORS = ["#0972d3", "#e07941", "#067f68", "#9469d6", "#c33d69"];
const W = 560;
const H = 180;
const LEFT = 44;
const BOTTOM = 22;

const clock = (t: number) => new Date(t).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });

export function LineChart({ title, series, from, to, unit }: { title: string; series: Series[]; from: number; to: number; unit?: string }) {
  const geometry = chartGeometry(series.map((s) => s.points), from, to, W - LEFT - 8, H - BOTTOM - 8);
  const g0 = geometry[0] ?? chartGeometry([[]], from, to, W - LEFT - 8, H - BOTTOM - 8)[0];
  const count = series.reduce((n, s) => n + s.points.length, 0);
  const xTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => from + f * (to - from));
  return (
    <figure style={{ margin: 0 }} data-testid="metric-chart" data-points={count}>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`${title}: ${count} datapoints`} style={{ maxWidth: W, fontSize: 10, fontFamily: "inherit" }}>
        <g transform={`translate(${LEFT},8)`}>
          {g0.yTicks.map((v) => (
            <g key={v}>
              <line x1={0} x2={g0.width} y1={g0.y(v)} y2={g0.y(v)} stroke="#e9ebed" />
              <text x={-6} y={g0.y(v) + 3} textAnchor="end" fill="#5f6b7a">
                {formatValue(v)}
              </text>
            </g>
          ))}
          {xTicks.map((t, i) => (
            <text key={t} x={g0.x(t)} y={g0.height + 14} textAnchor={i === 0 ? "start" : i === xTicks.length - 1 ? "end" : "middle"} fill="#5f6b7a">
              {clock(t)}
            </text>
          ))}
          {geometry.map((g, i) => (
            <g key={series[i].label} stroke={COLORS[i % COLORS.length]} fill={COLORS[i % COLORS.length]}>
              <path d={g.path} fill="none" strokeWidth={2} />
              {g.dots.map((d) => (
                <circle key={d.p.t} className="datapoint" cx={d.x} cy={d.y} r={2.5}>
                  <title>{`${series[i].label} ${clock(d.p.t)}: ${formatValue(d.p.v)}${unit ? ` ${unit}` : ""}`}</title>
                </circle>
              ))}
            </g>
          ))}
        </g>
      </svg>
      <figcaption style={{ display: "flex", gap: 16, fontSize: 12 }}>
        {series.map((s, i) => (
          <span key={s.label}>
            <span aria-hidden style={{ display: "inline-block", width: 10, height: 10, marginRight: 4, background: COLORS[i % COLORS.length] }} />
            {s.label}
          </span>
        ))}
        {count === 0 && <span>No datapoints in this period.</span>}
      </figcaption>
    </figure>
  );
}
