// npm run compare A.json B.json: two runs side by side, flow by flow, with the change of each
// figure (B - A, and in percent), for comparing commits or settings.
import { columnOf, type Results } from '../harness/scenario/results.ts';
import { figureOf } from './gates.ts';

export const COMPARED_FIGURES = [
  'completed',
  'failed',
  'canceled',
  'unfinished',
  'timeouts',
  'idleCpuCoreSeconds',
  'idlePendingCpuCoreSeconds',
  'idleBoundCpuCoreSeconds',
  'idleStrandedCpuCoreSeconds',
  'idleMemoryGiBSeconds',
  'idleResidentMemoryGiBSeconds',
  'busyCpuCoreSeconds',
  'makespanSeconds',
  'ratioToLowerBound.makespan',
  'latencySeconds.p50',
  'latencySeconds.p95',
  'latencySeconds.max',
  'peakDataMoverPods',
  'steadyStateFailures',
];

function fmt(x: number | undefined): string {
  if (x === undefined) return '–';
  return Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : String(Math.round(x * 100) / 100);
}

export function compareRuns(a: Results, b: Results, labels: [string, string]): string {
  const out: string[] = [`A: ${labels[0]} (${a.scenario}, seed ${a.seed}, code ${a.codeVersion})`, `B: ${labels[1]} (${b.scenario}, seed ${b.seed}, code ${b.codeVersion})`];
  if (a.scenario !== b.scenario) out.push(`note: different scenarios (${a.scenario} / ${b.scenario})`);
  if (a.seed !== b.seed) out.push(`note: different seeds (${a.seed} / ${b.seed}): the workloads differ`);
  const flows = [...new Set([...a.flows.map(columnOf), ...b.flows.map(columnOf)])];
  for (const name of flows) {
    const fa = a.flows.find((f) => columnOf(f) === name);
    const fb = b.flows.find((f) => columnOf(f) === name);
    out.push('', `${name}${!fa ? ' (only in B)' : !fb ? ' (only in A)' : ''}`);
    const rows = COMPARED_FIGURES.map((fig) => {
      const va = fa ? figureOf(fa, fig) : undefined;
      const vb = fb ? figureOf(fb, fig) : undefined;
      const d = va !== undefined && vb !== undefined ? vb - va : undefined;
      const pct = d !== undefined && va ? `${d > 0 ? '+' : ''}${Math.round((d / va) * 1000) / 10}%` : d === 0 ? '0%' : '';
      return [fig, fmt(va), fmt(vb), d === undefined ? '' : `${d > 0 ? '+' : ''}${fmt(d)}`, pct];
    });
    const header = ['figure', 'A', 'B', 'B - A', 'change'];
    const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i].length)));
    const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    out.push(line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line));
  }
  return out.join('\n');
}
