// One run's results as one self-contained HTML page (inline CSS, charts as inline SVG, no
// script, no network), and the index of all runs. Reads on a laptop screen and in print.
import type { FlowResult, Results } from '../harness/scenario/results.ts';
import { columnOf, fmt, ratioText, repeatTable, sum } from '../harness/scenario/results.ts';
import { CSS, esc } from './page.ts';
import { sweepVerdict } from './sweep-html.ts';
import { notCompleted, type Sweep } from '../harness/scenario/sweep.ts';
import { backupVolumeChart, ganttChart, latencyCdfChart, outcomesChart, podsPerNodeChart, repeatChart, resourcesChart } from './charts.ts';



/** One line a colleague reads first: which flow did best on timeouts and idle resources, and any failed check. */
export function verdict(r: Results): { text: string; bad: boolean } {
  const flows = r.flows;
  const failedChecks = flows.flatMap((f) => (f.steadyState ?? []).filter((c) => !c.ok).map((c) => `${columnOf(f)}: ${c.name}`));
  // Ranked by DataUploads not completed (failed, canceled or unfinished), then by idle.
  const key = (f: FlowResult) => [notCompleted(f.figures), f.figures.idleCpuCoreSeconds + f.figures.idleResidentMemoryGiBSeconds];
  const best = [...flows].sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1])[0];
  const says = (f: FlowResult) => `${f.figures.completed} of ${f.figures.dataUploads} completed, ${f.figures.timeouts} timeouts, ${fmt(f.figures.idleCpuCoreSeconds)} idle CPU core-s`;
  const parts = [`Best: ${columnOf(best)} (${says(best)}).`];
  for (const f of flows) if (f !== best) parts.push(`${columnOf(f)}: ${says(f)}.`);
  if (failedChecks.length) parts.push(`Steady-state checks failed: ${failedChecks.join('; ')}.`);
  return { text: parts.join(' '), bad: failedChecks.length > 0 };
}

/** "get 27.4, list 4.1, ...": the verbs with requests. */
const perVerb = (counts: Record<string, number>) => Object.entries(counts).filter(([, v]) => v).map(([k, v]) => `${k} ${fmt(v)}`).join(', ');

const ROWS: [string, (f: FlowResult) => string][] = [
  ['DataUploads', (f) => fmt(f.figures.dataUploads)],
  ['completed', (f) => fmt(f.figures.completed)],
  ['failed / canceled / unfinished', (f) => `${f.figures.failed} / ${f.figures.canceled} / ${f.figures.unfinished}`],
  ['timeouts', (f) => fmt(f.figures.timeouts)],
  ['failures by reason', (f) => Object.entries(f.figures.outcomesByReason).map(([k, v]) => `${esc(k)} ${v}`).join('<br>') || '–'],
  ['idle CPU (core-s): pending + bound + stranded', (f) => `${fmt(f.figures.idleCpuCoreSeconds)}<br><small>${fmt(f.figures.idlePendingCpuCoreSeconds)} + ${fmt(f.figures.idleBoundCpuCoreSeconds)} + ${fmt(f.figures.idleStrandedCpuCoreSeconds)}</small>`],
  ['idle memory (GiB-s)', (f) => fmt(f.figures.idleMemoryGiBSeconds)],
  ['busy CPU (core-s)', (f) => fmt(f.figures.busyCpuCoreSeconds)],
  ['BestEffort pods: idle resident memory (GiB-s)', (f) => (f.figures.bestEffortPods ? `${fmt(f.figures.idleResidentMemoryGiBSeconds)} (${f.figures.bestEffortPods} pods)` : '–')],
  ['makespan (s), × bound of the completed work', (f) => `${fmt(f.figures.makespanSeconds)} <small>${esc(ratioText(f.figures.ratioToLowerBound.makespan, f))}</small>`],
  ['lower bound (s): completed / all', (f) => `${fmt(f.figures.lowerBound.makespanSeconds)} / ${fmt(f.figures.lowerBoundAll.makespanSeconds)}<br><small>${f.figures.completed} of ${f.figures.dataUploads} completed</small>`],
  ['idle CPU × bound of the completed work', (f) => (f.figures.ratioToLowerBound.idleCpuCoreSeconds !== undefined ? `×${fmt(f.figures.ratioToLowerBound.idleCpuCoreSeconds)}` : '–')],
  ['latency p50 / p95 / p99 / max (s)', (f) => ['p50', 'p95', 'p99', 'max'].map((q) => fmt(f.figures.latencySeconds[q as 'p50'])).join(' / ')],
  ['backup volumes (GiB-s): before data moves, × bound of the completed work', (f) => `${fmt(f.figures.backupVolumeGiBSeconds)}<br><small>${fmt(f.figures.backupVolumeIdleGiBSeconds)} before moving${f.figures.ratioToLowerBound.backupVolumeGiBSeconds !== undefined ? ` · ×${fmt(f.figures.ratioToLowerBound.backupVolumeGiBSeconds)}` : ''}</small>`],
  ['peak backup PVCs / GiB / VolumeSnapshots', (f) => `${f.figures.peakBackupPvcs} / ${fmt(f.figures.peakBackupGiB)} / ${f.figures.peakVolumeSnapshots}`],
  ['peak data-mover pods (max per node)', (f) => `${f.figures.peakDataMoverPods} (${Math.max(0, ...Object.values(f.figures.peakDataMoverPodsPerNode))})`],
  ['API requests per DataUpload: sent + modeled', (f) => `${fmt(sum(f.figures.apiRequestsPerDataUpload))}<br><small>${fmt(sum(f.figures.apiRequestsSentPerDataUpload))} + ${fmt(sum(f.figures.apiRequestsModeledPerDataUpload))}</small><br><small>${perVerb(f.figures.apiRequestsSentPerDataUpload)}</small><br><small>modeled: ${perVerb(f.figures.apiRequestsModeledPerDataUpload) || 'none'}</small>`],
  ['waited for a client rate-limit token (s): node-agents / server', (f) => `${fmt(f.figures.throttleWaitSeconds['node-agent'])} / ${fmt(f.figures.throttleWaitSeconds['velero-server'])}<br><small>${fmt(f.figures.throttledRequests['node-agent'])} / ${fmt(f.figures.throttledRequests['velero-server'])} requests waited</small>`],
  ['steady state', (f) => (f.steadyState ?? []).map((c) => `<span class="${c.ok ? 'ok' : 'bad'}">${c.ok ? '✓' : '✗'} ${esc(c.name)}</span>`).join('<br>')],
  ['wall time (s), CPU time (s)', (f) => `${fmt(f.wallSeconds)}${f.cpuSeconds !== undefined ? ` <small>CPU ${fmt(f.cpuSeconds)}</small>` : ''}`],
];

/** Shown when a flow gave claims back (deploying under a ResourceQuota). */
const CLAIMS_RETURNED_ROW: [string, (f: FlowResult) => string] = ['claims returned (data-mover pod refused by a quota)', (f) => fmt(f.figures.claimsReturned ?? 0)];

function withRowAfter<T extends [string, unknown]>(rows: T[], after: string, row: T): T[] {
  const i = rows.findIndex(([label]) => label === after);
  return [...rows.slice(0, i + 1), row, ...rows.slice(i + 1)];
}

export function renderReport(r: Results): string {
  const v = verdict(r);
  const endOf = (f: FlowResult) => Math.max(f.simulatedSeconds ?? 0, ...f.dataUploads.map((d) => d.phases[d.phases.length - 1]?.at ?? 0));
  const params = Object.entries(r.parameters).filter(([k]) => !['nodeAgentConfig', 'nodes', 'variants'].includes(k));
  const rows = r.flows.some((f) => f.figures.claimsReturned) ? withRowAfter(ROWS, 'failures by reason', CLAIMS_RETURNED_ROW) : ROWS;
  const flowTable = `<table><thead><tr><th></th>${r.flows.map((f) => `<th>${esc(columnOf(f))}</th>`).join('')}</tr></thead><tbody>${rows.map(
    ([name, cell]) => `<tr><td>${esc(name)}</td>${r.flows.map((f) => `<td>${cell(f)}</td>`).join('')}</tr>`,
  ).join('')}</tbody></table>`;
  const perFlow = r.flows
    .map((f) => {
      const end = endOf(f);
      const faults = f.faults?.length
        ? `<h3>Faults</h3><table><thead><tr><th>fault</th><th>start (s)</th><th>end (s)</th><th>what it did</th></tr></thead><tbody>${f.faults
            .map((x) => `<tr><td>${esc(x.name)}</td><td>${x.startedAt === null ? 'never' : fmt(x.startedAt)}</td><td>${x.endedAt === undefined ? '' : fmt(x.endedAt)}</td><td style="text-align:left">${esc(x.detail)}${x.load ? ` — ${fmt(x.load.requests)} requests, ${fmt(x.load.requestsPerSecond)}/s, p99 ${x.load.latencyMs.p99} ms (wall)` : ''}</td></tr>`)
            .join('')}</tbody></table>`
        : '';
      return `<h2>${esc(columnOf(f))}</h2>
<figure data-chart="gantt">${ganttChart(f, end)}</figure>
<figure data-chart="resources">${resourcesChart(f, end)}</figure>
<figure data-chart="pods-per-node">${podsPerNodeChart(f, end)}</figure>
${faults}`;
    })
    .join('\n');
  const repeat = r.repeat
    ? `<h2>Over seeds ${r.repeat.seeds[0]}..${r.repeat.seeds[r.repeat.seeds.length - 1]}</h2>
<figure data-chart="repeat-timeouts">${repeatChart(r.repeat, 'timeouts', 'Timeouts', 'DataUploads')}</figure>
<figure data-chart="repeat-idle">${repeatChart(r.repeat, 'idleCpuCoreSeconds', 'Idle CPU', 'core-seconds')}</figure>
<figure data-chart="repeat-makespan">${repeatChart(r.repeat, 'makespanSeconds', 'Makespan', 'seconds')}</figure>
<p class="meta">Means with 95% confidence intervals, and paired differences between flows, each seed a unit (the first seed's run is shown below).</p><pre>${esc(repeatTable(r.repeat))}</pre>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(r.scenario)}, seed ${r.seed}: datamover-bench</title><style>${CSS}</style></head>
<body>
<h1>${esc(r.scenario)}</h1>
<p class="meta">seed ${r.seed} · target ${esc(r.target)} · code ${esc(r.codeVersion)} · ${esc(r.createdAt)} · ${r.flows.length} flow runs</p>
<p class="verdict${v.bad ? ' bad' : ''}" data-verdict>${esc(v.text)}</p>
<h2>Flows side by side</h2>
${flowTable}
<p class="meta">${timesNote(r)} Idle: a data-mover pod's requests while its data does not move (moving: its data path reporting, its container running, its node Ready); stranded: idle while its DataUpload is InProgress but the pod or its node cannot move data. × bound: the flow's figure over what no flow can beat for the work it completed.</p>
<figure data-chart="outcomes">${outcomesChart(r.flows)}</figure>
<figure data-chart="latency-cdf">${latencyCdfChart(r.flows)}</figure>
<figure data-chart="backup-volumes">${backupVolumeChart(r.flows, endOf)}</figure>
${repeat}
${perFlow}
<h2>Parameters</h2>
<table><tbody>${params.map(([k, val]) => `<tr><td>${esc(k)}</td><td>${esc(typeof val === 'object' ? JSON.stringify(val) : val)}</td></tr>`).join('')}</tbody></table>
<details><summary>node pools and node-agent configuration</summary><pre>${esc(JSON.stringify({ nodes: r.parameters.nodes, nodeAgentConfig: r.parameters.nodeAgentConfig, variants: r.parameters.variants }, null, 2))}</pre></details>
</body></html>
`;
}

export interface IndexEntry {
  /** Link, relative to the index. */
  href: string;
  results: Results;
}

export function renderIndex(entries: IndexEntry[], sweeps: { href: string; sweep: Sweep }[] = []): string {
  const rows = entries
    .map(({ href, results: r }) => {
      const cells = r.flows.map((f) => `${esc(columnOf(f))}: ${f.figures.timeouts} timeouts, ${fmt(f.figures.idleCpuCoreSeconds)} idle core-s`).join('<br>');
      return `<tr><td><a href="${esc(href)}">${esc(r.scenario)}</a></td><td>${esc(r.target)}</td><td>${r.seed}${r.repeat ? ` (+${r.repeat.seeds.length - 1})` : ''}</td><td>${esc(r.createdAt)}</td><td>${esc(r.codeVersion)}</td><td style="text-align:left">${cells}</td></tr>`;
    })
    .join('');
  const sweepRows = sweeps
    .map(({ href, sweep: s }) => {
      const grid = s.axes.map((a) => `${esc(a.name)} ${a.values.map(esc).join(', ')}`).join(' × ');
      return `<tr><td><a href="${esc(href)}">${esc(s.scenario)}</a></td><td>${grid}</td><td>${s.points.length}</td><td>${esc(s.createdAt)}</td><td>${esc(s.codeVersion)}</td><td style="text-align:left">${esc(sweepVerdict(s).text)}</td></tr>`;
    })
    .join('');
  const sweepTable = sweeps.length
    ? `<h2>Sweeps</h2>
<table><thead><tr><th>scenario</th><th>grid</th><th>points</th><th>when</th><th>code</th><th>verdict</th></tr></thead><tbody>${sweepRows}</tbody></table>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>datamover-bench runs</title><style>${CSS}</style></head>
<body><h1>datamover-bench runs</h1>
<table><thead><tr><th>scenario</th><th>target</th><th>seed</th><th>when</th><th>code</th><th>flows</th></tr></thead><tbody>${rows}</tbody></table>
${sweepTable}
</body></html>
`;
}

/** What the run's seconds are: simulated on the embedded cluster; wall seconds of a scaled-down run on a real one. */
function timesNote(r: Results): string {
  const scale = r.parameters.clusterScale as { time: number; size: number } | undefined;
  if (!scale) return 'Times are simulated seconds.';
  return `Times are wall seconds on ${esc(r.target)}, in a run scaled down: durations / ${scale.time}, volume sizes / ${scale.size} (multiply times by ${scale.time} to compare with the embedded cluster).`;
}
