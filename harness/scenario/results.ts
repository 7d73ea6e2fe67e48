// The results file (docs/design.md section 5): the contract between a run, the reports, the gates and
// users' scripts. One JSON document per run; and the terminal table, flows side by side.
import type { FlowName } from '../../controller/flows/types.ts';
import { TIMEOUT_REASONS, type BackupPvcRecord, type DataUploadRecord, type Figures, type PodActivity, type PodRecord } from '../figures/figures.ts';
import type { LowerBound } from '../figures/lower-bound.ts';
import type { FaultRecord } from '../chaos/injector.ts';
import type { FaultEnds, SteadyStateCheck } from '../chaos/steady-state.ts';
import { meanCi, pairedBySeed, type MeanCi, type PairedBySeed } from './stats.ts';

export const RESULTS_SCHEMA = 'datamover-bench/results@3';
/**
 * Older schemas and what changed, for the message that refuses them. @2: busy from the data
 * path's own Events on a running pod on a Ready node (was: the DataUpload's InProgress phase),
 * idle stranded, ratios to the bound of the completed work, requests sent and modeled. @3:
 * client-side rate limits (throttleWaitSeconds, throttledRequests), Accepted -> Prepared on pod
 * updates only, slots freed after cleanup, the forced cancel's slot leak, no first-in-line
 * order for deploying, prepareQueueLength for deploying as for velero-1.17.
 */
export const OLDER_RESULTS_SCHEMAS: Record<string, string> = {
  'datamover-bench/results@1': 'its busy and idle figures took the DataUpload\'s InProgress phase for moving data and its ratios compared with the whole workload\'s bound',
  'datamover-bench/results@2': 'its requests took no time (no client-side rate limit) and its flows departed from Velero in the ways docs/design.md section 2.6 listed then',
};

export interface FlowResult {
  flow: FlowName;
  /** The scenario variant (its parameters are under parameters.variants). */
  variant?: string;
  wallSeconds: number;
  /** Simulated seconds from the start to the end of the backup (or the deadline). */
  simulatedSeconds: number;
  /** The run's process: most resident memory seen, MiB (machine facts, like wallSeconds). */
  peakRssMiB: number;
  /**
   * CPU time (user + system) of the run's process while the run went, seconds: a machine fact,
   * steadier than wallSeconds on a shared machine. Absent in results written before it was kept.
   */
  cpuSeconds?: number;
  /** How the run ended: "done" (the backup ended) or "deadline" (stopped unfinished). */
  endedBy: string;
  /**
   * lowerBound: of the work the flow completed, which the ratios compare with (none when it
   * completed nothing; no idle ratio where the idle bound is not known); lowerBoundAll: of every
   * DataUpload it was given.
   */
  figures: Figures & {
    lowerBound: LowerBound;
    lowerBoundAll: LowerBound;
    ratioToLowerBound: { makespan?: number; idleCpuCoreSeconds?: number; backupVolumeGiBSeconds?: number };
    /** How soon what a fault ended was ended (absent in results written before it was kept). */
    faultEnds?: FaultEnds;
  };
  /** The fault schedule as it happened in this run (harness/chaos). */
  faults: FaultRecord[];
  /** After the run: all terminal, nothing leaked, no slot held, every failure explained. */
  steadyState: SteadyStateCheck[];
  /** The data-mover pods as the recorder saw them: lifetimes (seconds from the start), node, requests, and when each moved data or was stranded. */
  pods: (PodRecord & PodActivity)[];
  /** `fault`: the fault a failed or canceled DataUpload is attributed to, if any. */
  dataUploads: (Omit<DataUploadRecord, 'createdAt' | 'outcome' | 'reason'> & { outcome: string | null; reason: string | null; fault: string | null })[];
  /** The backup PVCs as the recorder saw them: created, Bound, deleted (seconds from the start), GiB. */
  backupPvcs: BackupPvcRecord[];
  /** The Velero server's item errors: PVCs that got no DataUpload (a missing StorageClass, a snapshot that failed); absent when none. */
  itemErrors?: string[];
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
  /** With --repeat N: the seeds' figures summarized (the flows above are the first seed's). */
  repeat?: RepeatSummary;
}

/** Figures summarized over seeds (mean and 95% interval), per flow. */
export const REPEATED_FIGURES = [
  'completed',
  'timeouts',
  'idleCpuCoreSeconds',
  'idlePendingCpuCoreSeconds',
  'idleMemoryGiBSeconds',
  'busyCpuCoreSeconds',
  'idleResidentMemoryGiBSeconds',
  'makespanSeconds',
  'peakDataMoverPods',
] as const;

export interface RepeatSummary {
  seeds: number[];
  figures: Record<string, Record<string, MeanCi>>;
  /**
   * Flow a minus flow b, the seed as the unit (each seed's mean over its PVCs, then t over the
   * seeds): seconds created -> Completed, over the PVCs both flows completed (latencyPairsDropped:
   * those one of them did not); and timed out (1) or not (0), over every PVC.
   */
  paired: { a: string; b: string; latencySeconds: PairedBySeed; latencyPairsDropped: number; timedOut: PairedBySeed }[];
}

/** A flow's column name: the flow, and its variant if any ("velero-1.16 / no pod deadline"). */
export function columnOf(f: Pick<FlowResult, 'flow' | 'variant'>): string {
  return f.variant !== undefined ? `${f.flow} / ${f.variant}` : f.flow;
}

export function summarizeRepeats(runs: Results[]): RepeatSummary {
  const flows = runs[0].flows.map(columnOf);
  const figures: RepeatSummary['figures'] = {};
  for (const flow of flows) {
    const per = runs.map((r) => r.flows.find((f) => columnOf(f) === flow)!.figures);
    figures[flow] = Object.fromEntries([
      ...REPEATED_FIGURES.map((k) => [k, meanCi(per.map((f) => f[k] as number))]),
      ['latencyP50Seconds', meanCi(per.map((f) => f.latencySeconds.p50))],
      ['latencyP95Seconds', meanCi(per.map((f) => f.latencySeconds.p95))],
    ]);
  }
  /** seed -> PVC -> the value picked (PVCs it gives none for are left out). */
  const perPvc = (flow: string, pick: (d: FlowResult['dataUploads'][number]) => number | undefined) => {
    const bySeed = new Map<number, Map<string, number>>();
    for (const r of runs) {
      const m = new Map<string, number>();
      for (const d of r.flows.find((f) => columnOf(f) === flow)!.dataUploads) {
        const v = pick(d);
        if (v !== undefined) m.set(d.pvc, v);
      }
      bySeed.set(r.seed, m);
    }
    return bySeed;
  };
  const latency = (d: FlowResult['dataUploads'][number]) => (d.outcome === 'Completed' ? d.phases[d.phases.length - 1].at - d.phases[0].at : undefined);
  const any = () => 0;
  const timedOut = (d: FlowResult['dataUploads'][number]) => (TIMEOUT_REASONS.has(d.reason ?? '') ? 1 : 0);
  const paired: RepeatSummary['paired'] = [];
  for (let i = 0; i < flows.length; i++) {
    for (let j = i + 1; j < flows.length; j++) {
      const [a, b] = [flows[i], flows[j]];
      const latencySeconds = pairedBySeed(perPvc(a, latency), perPvc(b, latency));
      const allPairs = pairedBySeed(perPvc(a, any), perPvc(b, any)).pairs;
      paired.push({ a, b, latencySeconds, latencyPairsDropped: allPairs - latencySeconds.pairs, timedOut: pairedBySeed(perPvc(a, timedOut), perPvc(b, timedOut)) });
    }
  }
  return { seeds: runs.map((r) => r.seed), figures, paired };
}

/** Means with their 95% intervals, flows side by side, then the paired differences. */
export function repeatTable(rep: RepeatSummary): string {
  const flows = Object.keys(rep.figures);
  const cell = (m: MeanCi) => `${fmt(m.mean)} [${fmt(m.ci95[0])}, ${fmt(m.ci95[1])}]`;
  const names = Object.keys(rep.figures[flows[0]]);
  const header = [`mean [95% CI], seeds ${rep.seeds[0]}..${rep.seeds[rep.seeds.length - 1]}`, ...flows];
  const body = names.map((k) => [k, ...flows.map((f) => cell(rep.figures[f][k]))]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const pairs = rep.paired.map(
    (p) =>
      `${p.a} - ${p.b}, per seed (its mean over PVCs), ${p.latencySeconds.n} seeds: latency ${cell(p.latencySeconds)} s (${p.latencySeconds.pairs} PVCs both completed, ${p.latencyPairsDropped} left out); timed out ${cell(p.timedOut)}`,
  );
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), '', ...pairs].join('\n');
}

/** A ratio to the bound of the completed work, or why there is none. */
export function ratioText(r: number | undefined, f: FlowResult): string {
  return r !== undefined ? `x${r}` : `- : ${f.figures.completed} of ${f.figures.dataUploads} completed`;
}

export function sum(perVerb: Record<string, number>): number {
  return Object.values(perVerb).reduce((a, b) => a + b, 0);
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
    ['idle CPU core-s (pending, stranded)', (f) => `${fmt(f.figures.idleCpuCoreSeconds)} (${fmt(f.figures.idlePendingCpuCoreSeconds)}, ${fmt(f.figures.idleStrandedCpuCoreSeconds)})`],
    ['idle memory GiB-s', (f) => fmt(f.figures.idleMemoryGiBSeconds)],
    ['busy CPU core-s', (f) => fmt(f.figures.busyCpuCoreSeconds)],
    ['BestEffort pods: idle resident GiB-s', (f) => (f.figures.bestEffortPods ? `${fmt(f.figures.idleResidentMemoryGiBSeconds)} (${f.figures.bestEffortPods} pods)` : '-')],
    ['makespan s (x bound of completed)', (f) => `${fmt(f.figures.makespanSeconds)} (${ratioText(f.figures.ratioToLowerBound.makespan, f)})`],
    ['lower bound s: completed / all', (f) => `${fmt(f.figures.lowerBound.makespanSeconds)} / ${fmt(f.figures.lowerBoundAll.makespanSeconds)}`],
    ['latency p50 / p95 / max s', (f) => `${fmt(f.figures.latencySeconds.p50)} / ${fmt(f.figures.latencySeconds.p95)} / ${fmt(f.figures.latencySeconds.max)}`],
    ['backup volume GiB-s (before moving, x bound)', (f) => `${fmt(f.figures.backupVolumeGiBSeconds)} (${fmt(f.figures.backupVolumeIdleGiBSeconds)}, ${ratioText(f.figures.ratioToLowerBound.backupVolumeGiBSeconds, f)})`],
    ['peak backup PVCs / GiB / snapshots', (f) => `${f.figures.peakBackupPvcs} / ${fmt(f.figures.peakBackupGiB)} / ${f.figures.peakVolumeSnapshots}`],
    ['peak pods (max per node)', (f) => `${f.figures.peakDataMoverPods} (${Math.max(0, ...Object.values(f.figures.peakDataMoverPodsPerNode))})`],
    ['API requests / DataUpload (modeled)', (f) => `${fmt(sum(f.figures.apiRequestsPerDataUpload))} (${fmt(sum(f.figures.apiRequestsModeledPerDataUpload))})`],
    ['throttled s: node-agents / server', (f) => `${fmt(f.figures.throttleWaitSeconds['node-agent'])} / ${fmt(f.figures.throttleWaitSeconds['velero-server'])}`],
    ['wall s (CPU s)', (f) => `${f.wallSeconds.toFixed(1)}${f.cpuSeconds !== undefined ? ` (${f.cpuSeconds.toFixed(1)})` : ''}`],
  ];
  if (flows.some((f) => f.figures.claimsReturned)) {
    rows.splice(rows.findIndex(([label]) => label === 'reasons') + 1, 0, ['claims returned (pod refused by a quota)', (f) => String(f.figures.claimsReturned ?? 0)]);
  }
  if (flows.some((f) => f.faults?.length)) {
    rows.push(
      ['faults that happened', (f) => `${f.faults.filter((x) => x.startedAt !== null).length} of ${f.faults.length}`],
      ['failed or canceled by a fault', (f) => String(f.dataUploads.filter((d) => d.fault).length)],
      ['after its fault: longest to end s (over 10 min)', (f) => (f.figures.faultEnds ? `${fmt(f.figures.faultEnds.maxSeconds)} (${f.figures.faultEnds.overTenMinutes})` : '-')],
    );
  }
  rows.push(['steady state', (f) => (f.steadyState ?? []).filter((c) => !c.ok).map((c) => `FAIL ${c.name}`).join(', ') || 'ok']);
  const variants = flows.some((f) => f.variant !== undefined);
  const headers = variants ? [['', ...flows.map((f) => f.variant ?? '')], ['', ...flows.map((f) => f.flow)]] : [['', ...flows.map((f) => f.flow)]];
  const body = rows.map(([label, cell]) => [label, ...flows.map(cell)]);
  const widths = headers[0].map((_, i) => Math.max(...[...headers, ...body].map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const notes: string[] = [];
  for (const f of flows) {
    for (const c of f.steadyState ?? []) if (!c.ok) notes.push(`${columnOf(f)}: steady state ${c.name} failed: ${c.detail}`);
  }
  return [...headers.map(line), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), ...notes].join('\n');
}

/** A figure for people: whole numbers with thousands separators from 100 up, one decimal below. */
export function fmt(x: number): string {
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : String(Math.round(x * 10) / 10);
}

/** The faults of each flow's run, as they happened; flows with the same timeline share a block. */
export function faultLog(results: Results): string[] {
  const blocks = new Map<string, string[]>();
  const lines = new Map<string, string[]>();
  for (const f of results.flows) {
    if (!f.faults?.length) continue;
    const text = f.faults.map((x) => {
      const when = x.startedAt === null ? 'never' : `t=${fmt(x.startedAt)} s${x.endedAt !== undefined && x.endedAt !== x.startedAt ? ` to ${fmt(x.endedAt)} s` : ''}`;
      const load = x.load ? ` -> ${x.load.requests.toLocaleString('en-US')} requests, ${fmt(x.load.requestsPerSecond)}/s, p99 ${x.load.latencyMs.p99} ms, ${x.load.errors + x.load.non2xx} errors (wall time)` : '';
      return `  ${when}  ${x.name}: ${x.detail}${load}`;
    });
    const key = text.join('\n');
    if (!blocks.has(key)) blocks.set(key, []);
    blocks.get(key)!.push(columnOf(f));
    lines.set(key, text);
  }
  const out: string[] = [];
  for (const [key, flows] of blocks) out.push(`faults (${flows.join(', ')}):`, ...lines.get(key)!);
  return out;
}
