// A sweep's page (reports/out/sweep-NAME/index.html): one self-contained HTML file, inline CSS
// and SVG heatmaps, no script, no network. A verdict line; the frontier (where each flow starts
// timing out); per flow a heatmap of timeouts, idle CPU core-seconds and makespan x lower bound
// over the first two swept parameters (one per value combination of the others), the frontier
// cells framed; every point's means; the parameters not swept. Reads sweep files only.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fmt } from '../harness/scenario/results.ts';
import { expandGrid, frontier, frontierText, notCompleted, pointAt, pointLabel, OLDER_SWEEP_SCHEMAS, SWEEP_SCHEMA, type Sweep, type SweepFigures } from '../harness/scenario/sweep.ts';
import { readSchemaFile } from './files.ts';
import { CSS, esc } from './page.ts';
import { heatmapChart, type HeatmapCell } from './sweep-charts.ts';

const SWEEP_CSS = `${CSS}
body { max-width: 1200px; }
.frontier { width: auto; min-width: 50%; }
td { white-space: nowrap; }
.row { display: flex; flex-wrap: wrap; gap: 8px 24px; }
figure { margin: 6px 0 12px; }
`;


/** The heatmaps' figures: what a cell shows, and its colours (low to high). */
export const HEATMAP_FIGURES: { key: keyof SweepFigures; title: string; text: (v: number) => string; colors: string[]; fromZero: boolean }[] = [
  { key: 'timeouts', title: 'timeouts', text: fmt, colors: ['#f4f8f4', '#f4a3a8', '#e0555c'], fromZero: true },
  { key: 'idleCpuCoreSeconds', title: 'idle CPU core-seconds', text: fmt, colors: ['#f7f7f7', '#f6c85f', '#ef8a3c'], fromZero: true },
  // A ratio near 1 is the good end: the scale spans the values seen.
  { key: 'makespanRatio', title: 'makespan × lower bound', text: (v) => `×${v.toFixed(2)}`, colors: ['#f7f7f7', '#b3d3ec', '#5b9bd5'], fromZero: false },
];

/** One line a colleague reads first: the flows from best (fewest points losing DataUploads, then least idle CPU), and any failed check. */
export function sweepVerdict(s: Sweep): { text: string; bad: boolean } {
  const n = s.points.length;
  const rows = frontier(s);
  const byFlow = s.flows.map((flow) => {
    const failing = s.points.filter((p) => notCompleted(p.flows[flow].mean) > 0).length;
    const idle = s.points.reduce((a, p) => a + p.flows[flow].mean.idleCpuCoreSeconds, 0) / n;
    const first = rows.filter((r) => r.flow === flow && r.firstFailing !== null).map((r) => pointLabel({ [s.axes[0].name]: r.firstFailing!, ...r.at }));
    return { flow, failing, idle, first };
  });
  byFlow.sort((a, b) => a.failing - b.failing || a.idle - b.idle);
  const says = (f: (typeof byFlow)[number]) =>
    `${f.failing ? `DataUploads not completed at ${f.failing} of ${n} points (first: ${f.first.slice(0, 3).join('; ')}${f.first.length > 3 ? '; ...' : ''})` : `every DataUpload completed at all ${n} points`}, ${fmt(f.idle)} idle CPU core-s per point`;
  const parts = [`Best: ${byFlow[0].flow} (${says(byFlow[0])}).`, ...byFlow.slice(1).map((f) => `${f.flow}: ${says(f)}.`)];
  const failedChecks = s.points.flatMap((p) => s.flows.filter((flow) => p.flows[flow].mean.steadyStateFailures > 0).map((flow) => `${flow} at ${pointLabel(p.params)}`));
  if (failedChecks.length) parts.push(`Steady-state checks failed: ${failedChecks.slice(0, 5).join('; ')}${failedChecks.length > 5 ? `; and ${failedChecks.length - 5} more` : ''}.`);
  return { text: parts.join(' '), bad: failedChecks.length > 0 };
}

function frontierHtml(s: Sweep): string {
  const [first, ...rest] = s.axes;
  const last = first.values[first.values.length - 1];
  const body = frontier(s)
    .map((r) => `<tr><td>${esc(r.flow)}</td>${rest.map((a) => `<td>${esc(r.at[a.name])}</td>`).join('')}<td class="${r.firstFailing === null ? '' : 'bad'}">${esc(frontierText(r.firstFailing, last))}</td></tr>`)
    .join('');
  return `<table class="frontier" data-frontier><thead><tr><th>flow</th>${rest.map((a) => `<th>${esc(a.name)}</th>`).join('')}<th>first failing ${esc(first.name)}</th></tr></thead><tbody>${body}</tbody></table>`;
}

function heatmaps(s: Sweep): string {
  const [xAxis, yAxis, ...sliceAxes] = s.axes;
  const slices = expandGrid(sliceAxes);
  const rows = frontier(s);
  const ranges = new Map(
    HEATMAP_FIGURES.map((f) => {
      const vs = s.points.flatMap((p) => s.flows.map((flow) => p.flows[flow].mean[f.key])).filter((v): v is number => v !== null);
      const lo = f.fromZero || !vs.length ? 0 : Math.min(...vs);
      return [f.key, [lo, Math.max(lo, ...vs)] as [number, number]];
    }),
  );
  const seeds = s.seeds.perPoint > 1 ? `mean of ${s.seeds.perPoint} seeds per point` : 'one seed per point';
  return s.flows
    .map((flow) => {
      const blocks = slices.map((slice) => {
        const framed = new Set(rows.filter((r) => r.flow === flow && r.firstFailing !== null && sliceAxes.every((a) => r.at[a.name] === slice[a.name])).map((r) => `${r.firstFailing}|${yAxis ? r.at[yAxis.name] : ''}`));
        const figures = HEATMAP_FIGURES.map((f) => {
          const cells: HeatmapCell[] = [];
          for (const [y, yv] of (yAxis?.values ?? ['']).entries()) {
            for (const [x, xv] of xAxis.values.entries()) {
              const point = pointAt(s, { ...slice, [xAxis.name]: xv, ...(yAxis ? { [yAxis.name]: yv } : {}) });
              const v = point?.flows[flow].mean[f.key] ?? null;
              cells.push({ x, y, value: v, text: v === null ? '–' : f.text(v), framed: framed.has(`${xv}|${yv}`) });
            }
          }
          const svg = heatmapChart({
            title: `${flow}: ${f.title}`,
            subtitle: [pointLabel(slice), seeds].filter(Boolean).join(' · '),
            x: { name: xAxis.name, values: xAxis.values.map(String) },
            y: yAxis && { name: yAxis.name, values: yAxis.values.map(String) },
            cells,
            range: ranges.get(f.key)!,
            colors: f.colors,
          });
          return `<figure data-chart="heatmap" data-flow="${esc(flow)}" data-figure="${f.key}" data-slice="${esc(pointLabel(slice))}">${svg}</figure>`;
        });
        return `${slices.length > 1 ? `<h3>${esc(pointLabel(slice))}</h3>` : ''}<div class="row">${figures.join('')}</div>`;
      });
      return `<h2>${esc(flow)}</h2>\n${blocks.join('\n')}`;
    })
    .join('\n');
}

function pointsTable(s: Sweep): string {
  const cols: [string, (m: SweepFigures) => string][] = [
    ['timeouts', (m) => fmt(m.timeouts)],
    ['idle CPU core-s', (m) => fmt(m.idleCpuCoreSeconds)],
    ['idle memory GiB-s', (m) => fmt(m.idleMemoryGiBSeconds)],
    ['makespan × bound', (m) => (m.makespanRatio === null ? '–' : `×${m.makespanRatio.toFixed(2)}`)],
    ['completed', (m) => fmt(m.completed)],
    ['failed / canceled / unfinished', (m) => `${fmt(m.failed)} / ${fmt(m.canceled)} / ${fmt(m.unfinished)}`],
    ['steady-state failures', (m) => fmt(m.steadyStateFailures)],
  ];
  const body = s.points
    .flatMap((p) => s.flows.map((flow, i) => `<tr>${i === 0 ? `<td rowspan="${s.flows.length}">${esc(pointLabel(p.params))}<br><small class="meta">seed${p.seeds.length > 1 ? `s ${p.seeds[0]}..${p.seeds[p.seeds.length - 1]}` : ` ${p.seeds[0]}`}</small></td>` : ''}<td style="text-align:left">${esc(flow)}</td>${cols.map(([, c]) => `<td>${c(p.flows[flow].mean)}</td>`).join('')}</tr>`))
    .join('');
  return `<table><thead><tr><th>point</th><th style="text-align:left">flow</th>${cols.map(([n]) => `<th>${esc(n)}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table>`;
}

export function renderSweep(s: Sweep): string {
  const v = sweepVerdict(s);
  const [first, second] = s.axes;
  const runs = s.points.length * s.flows.length * s.seeds.perPoint;
  const lastSeed = s.seeds.first + s.points.length * s.seeds.perPoint - 1;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(s.scenario)} sweep: datamover-bench</title><style>${SWEEP_CSS}</style></head>
<body>
<h1>${esc(s.scenario)} sweep</h1>
<p class="meta">${s.axes.map((a) => `${esc(a.name)} ${esc(a.values.join(', '))}`).join(' × ')} · ${s.points.length} points × ${s.flows.length} flows × ${s.seeds.perPoint} seed${s.seeds.perPoint > 1 ? 's' : ''} = ${runs} runs (seeds ${s.seeds.first}..${lastSeed}, each point its own) · target ${esc(s.target)} · code ${esc(s.codeVersion)} · ${esc(s.createdAt)} · ${fmt(s.wallSeconds)} s wall</p>
<p class="verdict${v.bad ? ' bad' : ''}" data-verdict>${esc(v.text)}</p>
<h2>Where each flow starts timing out</h2>
<p class="meta">The first ${esc(first.name)}, in the order swept, at which a flow loses DataUploads (mean failed, canceled or unfinished above 0; timeouts are among them)${second ? `, for each ${esc(second.name)}` : ''}${s.axes.length > 2 ? ' and value of the other swept parameters' : ''}.</p>
${frontierHtml(s)}
<p class="meta">Each cell: the figure's ${s.seeds.perPoint > 1 ? `mean over the point's ${s.seeds.perPoint} seeds` : "value on the point's seed"}. Framed: the frontier above. Times are simulated; idle: a data-mover pod's requests while its DataUpload does not move data; × lower bound: the makespan over what no flow can beat for the work it completed (none where it completed nothing). Colours share one scale per figure across the flows.</p>
${heatmaps(s)}
<h2>Every point</h2>
${pointsTable(s)}
<h2>Parameters not swept</h2>
<table><tbody>${Object.entries(s.parameters).map(([k, val]) => `<tr><td>${esc(k)}</td><td>${esc(val)}${k in s.fixed ? ' <small class="meta">(given)</small>' : ''}</td></tr>`).join('')}</tbody></table>
</body></html>
`;
}

export class SweepFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SweepFileError';
  }
}

/** A sweep file, checked: it exists, is JSON, and is a datamover-bench sweep. */
export function loadSweep(file: string): Sweep {
  const doc = readSchemaFile(file, { kind: 'sweep', writer: 'sweep', schema: SWEEP_SCHEMA, older: OLDER_SWEEP_SCHEMAS, fail: (m) => new SweepFileError(m) }) as Partial<Sweep>;
  if (!Array.isArray(doc.axes) || !doc.axes.length || !Array.isArray(doc.points) || !Array.isArray(doc.flows)) throw new SweepFileError(`${file}: "axes", "flows" and "points" must be lists`);
  return doc as Sweep;
}

/** Writes the page of one sweep file beside it; returns the page's path. */
export function writeSweepReport(sweepFile: string): string {
  const out = join(dirname(sweepFile), 'index.html');
  writeFileSync(out, renderSweep(loadSweep(sweepFile)));
  return out;
}
