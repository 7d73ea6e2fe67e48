// The results file (DESIGN.md section 5): the contract between a run, the reports, the gates and
// users' scripts. One JSON document per run; and the terminal table, flows side by side.
import type { FlowName } from '../../controller/flows/types.ts';
import type { DataUploadRecord, Figures } from '../figures/figures.ts';
import type { LowerBound } from '../figures/lower-bound.ts';

export const RESULTS_SCHEMA = 'datamover-bench/results@1';

export interface FlowResult {
  flow: FlowName;
  wallSeconds: number;
  /** How the run ended: "done" (the backup ended) or "deadline" (stopped unfinished). */
  endedBy: string;
  figures: Figures & { lowerBound: LowerBound; ratioToLowerBound: { makespan: number; idleCpuCoreSeconds: number } };
  dataUploads: (Omit<DataUploadRecord, 'createdAt' | 'outcome' | 'reason'> & { outcome: string | null; reason: string | null })[];
}

export interface Results {
  schema: typeof RESULTS_SCHEMA;
  scenario: string;
  seed: number;
  target: string;
  parameters: Record<string, unknown>;
  codeVersion: string;
  createdAt: string;
  flows: FlowResult[];
}

export function ratio(value: number, bound: number): number {
  return bound > 0 ? Math.round((value / bound) * 100) / 100 : value > 0 ? Infinity : 1;
}

/** The side-by-side table: one row per figure, one column per flow. */
export function summaryTable(results: Results): string {
  const flows = results.flows;
  const rows: [string, (f: FlowResult) => string][] = [
    ['DataUploads', (f) => String(f.figures.dataUploads)],
    ['completed', (f) => String(f.figures.completed)],
    ['failed', (f) => String(f.figures.failed)],
    ['canceled', (f) => String(f.figures.canceled)],
    ['unfinished', (f) => String(f.figures.unfinished)],
    ['timeouts', (f) => String(f.figures.timeouts)],
    ['reasons', (f) => Object.entries(f.figures.outcomesByReason).map(([k, v]) => `${k} ${v}`).join(', ') || '-'],
    ['idle CPU core-s (pending)', (f) => `${fmt(f.figures.idleCpuCoreSeconds)} (${fmt(f.figures.idlePendingCpuCoreSeconds)})`],
    ['idle memory GiB-s', (f) => fmt(f.figures.idleMemoryGiBSeconds)],
    ['busy CPU core-s', (f) => fmt(f.figures.busyCpuCoreSeconds)],
    ['makespan s (x lower bound)', (f) => `${fmt(f.figures.makespanSeconds)} (x${f.figures.ratioToLowerBound.makespan})`],
    ['latency p50 / p95 / max s', (f) => `${fmt(f.figures.latencySeconds.p50)} / ${fmt(f.figures.latencySeconds.p95)} / ${fmt(f.figures.latencySeconds.max)}`],
    ['peak pods (max per node)', (f) => `${f.figures.peakDataMoverPods} (${Math.max(0, ...Object.values(f.figures.peakDataMoverPodsPerNode))})`],
    ['API requests / DataUpload', (f) => fmt(Object.values(f.figures.apiRequestsPerDataUpload).reduce((a, b) => a + b, 0))],
    ['wall s', (f) => f.wallSeconds.toFixed(1)],
  ];
  const header = ['', ...flows.map((f) => f.flow)];
  const body = rows.map(([label, cell]) => [label, ...flows.map(cell)]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

function fmt(x: number): string {
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : String(Math.round(x * 10) / 10);
}
