// The page of `npm run advise` (reports/out/advise-NAME/index.html): one self-contained HTML file,
// as the sweep page is, with its heatmaps (reports/sweep-charts.ts). Per flow the verdict; the
// ConfigMap to apply and the flags; the map searched, per flow a heatmap over the grid of each of
// the makespan against the window, the DataUploads lost and the idle CPU, pruned points labelled
// with their bound and the chosen one framed; every setting tried, seed by seed. Reads advise files only.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ADVICE_SCHEMA, settingText, type Advice } from '../harness/advise/advice.ts';
import { flagLines } from '../harness/advise/configmap.ts';
import { lost, meetsWindow, seconds, type Candidate } from '../harness/advise/select.ts';
import { fmt } from '../harness/scenario/results.ts';
import { expandGrid, pointLabel } from '../harness/scenario/sweep.ts';
import { readSchemaFile } from './files.ts';
import { CSS, esc } from './page.ts';
import { heatmapChart, type HeatmapCell } from './sweep-charts.ts';
import { HEATMAP_FIGURES } from './sweep-html.ts';

const ADVICE_CSS = `${CSS}
body { max-width: 1200px; }
td { white-space: nowrap; }
.row { display: flex; flex-wrap: wrap; gap: 8px 24px; }
figure { margin: 6px 0 12px; }
`;

const colorsOf = (key: string) => HEATMAP_FIGURES.find((f) => f.key === key)!.colors;

/** What a grid cell shows, per figure: its colour value and label, from the flow's grid candidate there. */
const MAP_FIGURES: { key: string; title: string; colors: string[]; cell: (c: Candidate, window: number) => { value: number | null; text: string } }[] = [
  {
    key: 'makespan',
    title: 'makespan, worst seed run (pruned: its lower bound)',
    // Green up to the window, red past it: the colour is the makespan over the window, capped at 2.
    colors: ['#e3f1e3', '#f7f7f7', '#f4a3a8', '#e0555c'],
    cell: (c, w) => {
      const worst = Math.max(...c.runs.map((r) => r.makespanSeconds));
      if (c.pruned || !c.runs.length) return { value: Math.min(2, c.bound.makespanSeconds / w), text: `≥${hours(c.bound.makespanSeconds)}` };
      return { value: Math.min(2, worst / w), text: hours(worst) };
    },
  },
  {
    key: 'lost',
    title: 'DataUploads lost (failed, canceled, unfinished)',
    colors: colorsOf('timeouts'),
    cell: (c) => (c.runs.length ? { value: Math.max(...c.runs.map(lost)), text: fmt(Math.max(...c.runs.map(lost))) } : { value: null, text: 'pruned' }),
  },
  {
    key: 'idle',
    title: 'idle CPU core-seconds',
    colors: colorsOf('idleCpuCoreSeconds'),
    cell: (c) => {
      if (!c.runs.length) return { value: null, text: 'pruned' };
      const idle = c.runs.reduce((a, r) => a + r.idleCpuCoreSeconds, 0) / c.runs.length;
      return { value: idle, text: fmt(idle) };
    },
  },
];

/** A cell's duration: 124s, 42m, 3.1h. */
function hours(s: number): string {
  if (s < 600) return `${Math.round(s)}s`;
  return s < 3600 ? `${Math.round(s / 60)}m` : `${(s / 3600).toFixed(1)}h`;
}

function chosenOf(a: Advice, flow: string) {
  const f = a.advice.find((x) => x.flow === flow)!;
  return f.recommended ?? f.closest;
}

function heatmaps(a: Advice): string {
  const [xAxis, yAxis, ...slices] = a.axes;
  if (!xAxis) return '<p class="meta">Every grid setting was held with --param: there is no grid to draw.</p>';
  const grid = a.candidates.filter((c) => c.stage === 'grid');
  const ranges = new Map(
    MAP_FIGURES.map((f) => {
      const vs = grid.map((c) => f.cell(c, a.windowSeconds).value).filter((v): v is number => v !== null);
      return [f.key, f.key === 'makespan' ? ([0, 2] as [number, number]) : ([0, Math.max(0, ...vs)] as [number, number])];
    }),
  );
  return a.flows
    .map((flow) => {
      const chosen = chosenOf(a, flow);
      const blocks = expandGrid(slices).map((slice) => {
        const figures = MAP_FIGURES.map((f) => {
          const cells: HeatmapCell[] = [];
          for (const [y, yv] of (yAxis?.values ?? ['']).entries()) {
            for (const [x, xv] of xAxis.values.entries()) {
              const at = { ...slice, [xAxis.name]: xv, ...(yAxis ? { [yAxis.name]: yv } : {}) };
              const c = grid.find((g) => g.flow === flow && Object.entries(at).every(([k, v]) => g.setting[k] === v));
              const shown = c ? f.cell(c, a.windowSeconds) : { value: null, text: '–' };
              const framed = !!chosen && Object.entries(at).every(([k, v]) => chosen.setting[k] === v);
              cells.push({ x, y, value: shown.value, text: shown.text, framed });
            }
          }
          const svg = heatmapChart({
            title: `${flow}: ${f.title}`,
            subtitle: [pointLabel(slice), `seed ${a.seeds[0]}; framed: the setting chosen`].filter(Boolean).join(' · '),
            x: { name: xAxis.name, values: xAxis.values.map(String) },
            y: yAxis && { name: yAxis.name, values: yAxis.values.map(String) },
            cells,
            range: ranges.get(f.key)!,
            colors: f.colors,
          });
          return `<figure data-chart="heatmap" data-flow="${esc(flow)}" data-figure="${f.key}" data-slice="${esc(pointLabel(slice))}">${svg}</figure>`;
        });
        return `${slices.length ? `<h3>${esc(pointLabel(slice))}</h3>` : ''}<div class="row">${figures.join('')}</div>`;
      });
      return `<h3>${esc(flow)}</h3>\n${blocks.join('\n')}`;
    })
    .join('\n');
}

function candidatesTable(a: Advice): string {
  const rows = a.candidates.map((c) => {
    const runs = c.runs.length
      ? c.runs.map((r) => `<span class="${meetsWindow(r, a.windowSeconds) ? 'ok' : 'bad'}">seed ${r.seed}: ${r.completed}/${r.dataUploads}, ${esc(seconds(r.makespanSeconds))}, idle ${fmt(r.idleCpuCoreSeconds)}</span>`).join('<br>')
      : `<span class="meta">pruned: ${esc(c.pruned ?? '')}</span>`;
    return `<tr><td>${esc(c.flow)}</td><td style="text-align:left">${esc(pointLabel(c.setting))}</td><td>${esc(c.stage)}</td><td>${esc(seconds(c.bound.makespanSeconds))}<br><small class="meta">${c.bound.slots} slots on ${c.bound.nodes.length} nodes</small></td><td style="text-align:left">${runs}</td></tr>`;
  });
  return `<table data-candidates><thead><tr><th>flow</th><th style="text-align:left">setting</th><th>stage</th><th>lower bound</th><th style="text-align:left">runs: completed, makespan, idle CPU core-s</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function renderAdvice(a: Advice): string {
  const verdicts = a.advice.map((f) => {
    const c = f.recommended ?? f.closest;
    const says = f.recommended ? `meets the window with ${settingText(a, f.recommended.setting, f.notApplicable)}: makespan ${seconds(f.recommended.summary.makespanSeconds)} (worst of ${f.recommended.seeds.length} seeds), idle CPU ${fmt(f.recommended.summary.idleCpuCoreSeconds)} core-s.` : `none meets the window. ${f.limit!.kind}: ${f.limit!.text}.${c ? ` Closest: ${settingText(a, c.setting, f.notApplicable)}.` : ''}`;
    return `<p class="verdict${f.recommended ? '' : ' bad'}" data-verdict="${esc(f.flow)}"><b>${esc(f.flow)}</b> ${esc(says)} <small class="meta">${f.counts.run} settings run, ${f.counts.pruned} pruned.</small></p>`;
  });
  const printed = a.advice.find((f) => f.flow === a.printed?.flow);
  const others = a.advice.filter((f) => f !== printed);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(a.scenario)} advice: datamover-bench</title><style>${ADVICE_CSS}</style></head>
<body>
<h1>${esc(a.scenario)}: advice</h1>
<p class="meta">every DataUpload within ${esc(seconds(a.windowSeconds))} on seeds ${esc(a.seeds.join(', '))} · ${esc(a.flows.join(', '))} · ${a.runs} runs · target ${esc(a.target)} · code ${esc(a.codeVersion)} · ${esc(a.createdAt)} · ${fmt(a.wallSeconds)} s wall${a.file ? ` · ${esc(a.file)}` : ''}</p>
${verdicts.join('\n')}
${printed && a.printed ? `<h2>The node-agent ConfigMap: ${esc(a.printed.heading)}</h2>
<p class="meta">${esc(printed.requestsNote)}.</p>
<pre data-configmap="${esc(printed.flow)}">${esc(printed.applied.configMap)}</pre>
<p>The flags that are not in the ConfigMap:</p>
<pre>${esc(flagLines(printed.applied).join('\n'))}</pre>` : ''}
${others.map((f) => `<details><summary>${esc(f.flow)}'s ConfigMap</summary><pre data-configmap="${esc(f.flow)}">${esc(f.applied.configMap)}</pre><pre>${esc(flagLines(f.applied).join('\n'))}</pre></details>`).join('\n')}
<h2>The map searched</h2>
<p class="meta">The grid (${esc(a.axes.map((x) => `${x.name} ${x.values.join(', ')}`).join(' × ') || 'none')}) at your other settings, on seed ${a.seeds[0]}. A point whose lower bound (what no flow can beat) exceeds the window is pruned, not run: its cell shows the bound. Makespan is green within the window, red past it. The settings tuned around the best points and the confirming seeds are in the table below.</p>
${heatmaps(a)}
<h2>Every setting</h2>
${candidatesTable(a)}
<h2>Your parameters</h2>
<table><tbody>${Object.entries(a.parameters).map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}${a.held.includes(k) ? ' <small class="meta">(given, held)</small>' : ''}</td></tr>`).join('')}</tbody></table>
</body></html>
`;
}

export class AdviceFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdviceFileError';
  }
}

export function loadAdvice(file: string): Advice {
  const doc = readSchemaFile(file, { kind: 'advice', writer: 'advise', schema: ADVICE_SCHEMA, older: {}, fail: (m) => new AdviceFileError(m) }) as Partial<Advice>;
  if (!Array.isArray(doc.advice) || !Array.isArray(doc.candidates) || !Array.isArray(doc.axes)) throw new AdviceFileError(`${file}: "advice", "candidates" and "axes" must be lists`);
  return doc as Advice;
}

/** Writes the page of one advice file beside it; returns the page's path. */
export function writeAdviceReport(adviceFile: string): string {
  const out = join(dirname(adviceFile), 'index.html');
  writeFileSync(out, renderAdvice(loadAdvice(adviceFile)));
  return out;
}
