// The selection rule of `npm run advise`, pure: which settings meet the window, which of them
// holds the least idle, and, where none meets it, what limits the flow. A setting meets the window
// when, on every seed, every DataUpload completed (none failed, canceled or unfinished) and the
// makespan (first DataUpload created -> last one ended, docs/design.md section 4) is within it.
// Among those: the least idle CPU core-seconds (mean over the seeds), then idle memory GiB-s,
// then the worst makespan, then the fewest settings changed from the user's, then search order;
// idle within IDLE_TOLERANCE of the least counts as the least, so fewer changes win there.
import type { FlowName } from '../../controller/flows/types.ts';
import type { ParamValues } from '../scenario/scenario.ts';
import type { BoundLimit } from './bound.ts';

/** What advise keeps of one run (harness/scenario/results.ts FlowResult figures). */
export interface RunFigures {
  seed: number;
  dataUploads: number;
  completed: number;
  failed: number;
  canceled: number;
  unfinished: number;
  makespanSeconds: number;
  idleCpuCoreSeconds: number;
  idleMemoryGiBSeconds: number;
  /** The part of idle CPU while pods were Pending (waiting for room on a node). */
  idlePendingCpuCoreSeconds: number;
  outcomesByReason: Record<string, number>;
  /** The run's own lower bound of its whole workload (figures.lowerBoundAll). */
  lowerBoundSeconds: number;
  /** Times the makespan over the bound of the work completed (figures.ratioToLowerBound); null when nothing completed. */
  makespanRatio: number | null;
  timeouts: number;
  endedBy: string;
  steadyStateFailures: number;
  wallSeconds: number;
}

/** The bound of a setting before it runs (bound.ts SettingBound, as advise.json keeps it). */
export interface CandidateBound {
  makespanSeconds: number;
  unlimitedSlotsSeconds: number;
  largestPvcSeconds: number;
  slots: number;
  nodes: string[];
}

/** One setting of the advised parameters for one flow: pruned by its bound, or run on some seeds. */
export interface Candidate {
  flow: FlowName;
  /** The advised settings' values (concurrency, data-mover-nodes, ...). */
  setting: ParamValues;
  /** grid: concurrency x data-mover-nodes at the file's other settings; tuning: the queue and timeout around the best of the grid. */
  stage: 'grid' | 'tuning';
  bound: CandidateBound;
  /** Set when the bound alone rules it out: it was not run. */
  pruned?: BoundLimit;
  /** One per seed run, in seed order. */
  runs: RunFigures[];
  /** How many advised settings differ from the user's. */
  changed: number;
  /** Its place in the search: the last tie-break, so the choice never depends on what ran first. */
  order: number;
}

export function lost(r: Pick<RunFigures, 'failed' | 'canceled' | 'unfinished'>): number {
  return r.failed + r.canceled + r.unfinished;
}

export function meetsWindow(r: RunFigures, windowSeconds: number): boolean {
  return lost(r) === 0 && r.completed === r.dataUploads && r.makespanSeconds <= windowSeconds;
}

/** A candidate's runs on these seeds, or undefined if one of them has not run. */
export function runsOn(c: Candidate, seeds: number[]): RunFigures[] | undefined {
  const runs = seeds.map((s) => c.runs.find((r) => r.seed === s));
  return runs.every((r) => r !== undefined) ? (runs as RunFigures[]) : undefined;
}

export interface Summary {
  meets: boolean;
  /** Worst over the seeds. */
  makespanSeconds: number;
  lost: number;
  /** Means over the seeds. */
  idleCpuCoreSeconds: number;
  idleMemoryGiBSeconds: number;
  idlePendingCpuCoreSeconds: number;
  completed: number;
  dataUploads: number;
}

export function summarize(runs: RunFigures[], windowSeconds: number): Summary {
  const mean = (k: 'idleCpuCoreSeconds' | 'idleMemoryGiBSeconds' | 'idlePendingCpuCoreSeconds') => Math.round((runs.reduce((a, r) => a + r[k], 0) / runs.length) * 10) / 10;
  return {
    meets: runs.every((r) => meetsWindow(r, windowSeconds)),
    makespanSeconds: Math.max(...runs.map((r) => r.makespanSeconds)),
    lost: Math.max(...runs.map(lost)),
    idleCpuCoreSeconds: mean('idleCpuCoreSeconds'),
    idleMemoryGiBSeconds: mean('idleMemoryGiBSeconds'),
    idlePendingCpuCoreSeconds: mean('idlePendingCpuCoreSeconds'),
    completed: Math.min(...runs.map((r) => r.completed)),
    dataUploads: Math.max(...runs.map((r) => r.dataUploads)),
  };
}

/**
 * The order of candidates run on the same seeds: those meeting the window first, by least idle
 * CPU, idle memory, worst makespan; then the others by fewest DataUploads lost, worst makespan
 * (the closest to meeting it first), idle CPU; ties by fewest changes, then search order.
 */
export function compareOn(seeds: number[], windowSeconds: number): (a: Candidate, b: Candidate) => number {
  return (a, b) => {
    const x = summarize(runsOn(a, seeds)!, windowSeconds);
    const y = summarize(runsOn(b, seeds)!, windowSeconds);
    if (x.meets !== y.meets) return x.meets ? -1 : 1;
    const figures = x.meets
      ? [x.idleCpuCoreSeconds - y.idleCpuCoreSeconds, x.idleMemoryGiBSeconds - y.idleMemoryGiBSeconds, x.makespanSeconds - y.makespanSeconds]
      : [x.lost - y.lost, x.makespanSeconds - y.makespanSeconds, x.idleCpuCoreSeconds - y.idleCpuCoreSeconds];
    return figures.find((d) => d !== 0) ?? (a.changed - b.changed || a.order - b.order);
  };
}

/**
 * Idle CPU within this fraction of the least is as good as the least: about what the seed alone
 * moves it by (docs/advise.md), so a setting that changes fewer of the user's is preferred there.
 */
export const IDLE_TOLERANCE = 0.05;

/**
 * The candidates run on every one of these seeds, best first: by compareOn, except that those
 * meeting the window with idle CPU within IDLE_TOLERANCE of the best come first by fewest changes.
 */
export function ranked(candidates: Candidate[], seeds: number[], windowSeconds: number): Candidate[] {
  const order = compareOn(seeds, windowSeconds);
  const sorted = candidates.filter((c) => runsOn(c, seeds)).sort(order);
  const summary = (c: Candidate) => summarize(runsOn(c, seeds)!, windowSeconds);
  const best = sorted[0] && summary(sorted[0]);
  if (!best?.meets) return sorted;
  const near = sorted.filter((c) => summary(c).meets && summary(c).idleCpuCoreSeconds <= best.idleCpuCoreSeconds * (1 + IDLE_TOLERANCE));
  return [...near.sort((a, b) => a.changed - b.changed || order(a, b)), ...sorted.filter((c) => !near.includes(c))];
}

/** The recommendation: the best candidate meeting the window on every seed, if any. */
export function selectRecommendation(candidates: Candidate[], seeds: number[], windowSeconds: number): Candidate | undefined {
  const best = ranked(candidates, seeds, windowSeconds)[0];
  return best && summarize(runsOn(best, seeds)!, windowSeconds).meets ? best : undefined;
}

export type LimitKind = BoundLimit | 'prepare-timeout' | 'storage-quota' | 'item-operation-timeout' | 'deadline' | 'failures' | 'overhead' | 'seeds';

export interface Limit {
  kind: LimitKind;
  /** One sentence a user acts on. */
  text: string;
}

const HOUR = 3600;

export function seconds(s: number): string {
  return `${Math.round(s).toLocaleString('en-US')} s${s >= HOUR ? ` (${(s / HOUR).toFixed(1)} h)` : ''}`;
}

const REASON_LIMITS: [LimitKind, string[]][] = [
  ['prepare-timeout', ['prepare-timeout', 'deploy-timeout']],
  ['storage-quota', ['quota-exceeded']],
  ['item-operation-timeout', ['operation-timeout']],
];

/**
 * Why no setting of this flow meets the window. Every setting pruned: the bound of the one that
 * came closest names it (pvc-size, bandwidth, slots). Otherwise the closest run does: the reason
 * most of its lost DataUploads ended with, the deadline, a seed it fails on, or the flow's own
 * waits when everything completed late.
 */
export function flowLimit(candidates: Candidate[], seeds: number[], windowSeconds: number): { limit: Limit; closest?: Candidate } {
  const [first] = seeds;
  const ran = ranked(candidates, [first], windowSeconds);
  if (!ran.length) {
    const pruned = candidates.filter((c) => c.pruned).sort((a, b) => a.bound.makespanSeconds - b.bound.makespanSeconds || a.order - b.order)[0];
    return { limit: boundText(pruned, windowSeconds) };
  }
  const closest = ran[0];
  const run = runsOn(closest, [first])![0];
  if (meetsWindow(run, windowSeconds)) {
    const failing = closest.runs.filter((r) => !meetsWindow(r, windowSeconds)).map((r) => `seed ${r.seed}: ${lost(r) ? `${lost(r)} DataUploads lost` : `makespan ${seconds(r.makespanSeconds)}`}`);
    return { closest, limit: { kind: 'seeds', text: `the best setting meets the window on seed ${first} but not on every seed (${failing.join('; ')}): the margin is smaller than what the seed moves` } };
  }
  if (lost(run) === 0) {
    const ratio = run.makespanSeconds / Math.max(run.lowerBoundSeconds, 1);
    return {
      closest,
      limit: {
        kind: 'overhead',
        text: `every DataUpload completed, the last after ${seconds(run.makespanSeconds)}, ${seconds(run.makespanSeconds - windowSeconds)} past the window; no flow can beat ${seconds(run.lowerBoundSeconds)} at this setting (${Math.round((100 * run.lowerBoundSeconds) / windowSeconds)}% of the window) and this one took x${ratio.toFixed(2)} of it: what the window leaves over the bound is too little for the flow's own waits (exposing, pod starts, slots handed over)`,
      },
    };
  }
  const reasons = Object.entries(run.outcomesByReason).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const named = reasons.map(([r, n]) => `${r} ${n}`).join(', ');
  if (run.unfinished > 0 && run.unfinished >= (reasons[0]?.[1] ?? 0)) {
    return { closest, limit: { kind: 'deadline', text: `${run.unfinished} DataUploads had not ended when the run stopped at its deadline${named ? ` (and ${named})` : ''}` } };
  }
  const [reason, count] = reasons[0] ?? ['unknown', lost(run)];
  const kind = REASON_LIMITS.find(([, rs]) => rs.includes(reason))?.[0] ?? 'failures';
  return { closest, limit: { kind, text: reasonText(kind, count, lost(run), named, closest.setting) } };
}

function reasonText(kind: LimitKind, count: number, all: number, named: string, setting: ParamValues): string {
  switch (kind) {
    case 'prepare-timeout':
      return `${count} DataUploads failed by the prepare timeout${setting['prepare-timeout'] !== undefined ? ` (${setting['prepare-timeout']}, the longest tried)` : ''}: they waited longer than it to start moving`;
    case 'storage-quota':
      return `${count} DataUploads were refused by the ResourceQuota on Velero's namespace (quota-exceeded): the quota, not a node-agent setting, limits this backup`;
    case 'item-operation-timeout':
      return `${count} DataUploads were canceled by the item operation timeout${setting['item-operation-timeout'] !== undefined ? ` (${setting['item-operation-timeout']})` : ''}`;
    default:
      return `${all} DataUploads did not complete (${named || 'no reason recorded'}): failures no setting advised here prevents`;
  }
}

/** The sentence for a setting the bound rules out. */
export function boundText(c: Pick<Candidate, 'bound' | 'pruned' | 'setting'>, windowSeconds: number): Limit {
  const b = c.bound;
  const nodes = `${b.nodes.length} node${b.nodes.length === 1 ? '' : 's'}`;
  switch (c.pruned) {
    case 'pvc-size':
      return { kind: 'pvc-size', text: `the largest PVC alone takes at least ${seconds(b.largestPvcSeconds)} through one data-mover pod, more than the window ${seconds(windowSeconds)}: no node-agent setting moves one volume faster` };
    case 'bandwidth':
      return { kind: 'bandwidth', text: `even with unlimited slots the ${nodes} data movers may use need at least ${seconds(b.unlimitedSlotsSeconds)} to move the data (their bandwidth), more than the window ${seconds(windowSeconds)}: admit more nodes (loadAffinity)` };
    default:
      return { kind: 'slots', text: `${b.slots} slots on ${nodes} need at least ${seconds(b.makespanSeconds)}, more than the window ${seconds(windowSeconds)}; with unlimited slots ${seconds(b.unlimitedSlotsSeconds)}: raise loadConcurrency` };
  }
}
