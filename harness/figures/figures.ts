// The figures of docs/design.md section 4, computed from what a run recorded: pure functions of a
// RunRecord, one per figure, so each can be checked against a timeline worked out by hand.
// Times are seconds from the run's start (simulated on the embedded cluster, wall on kind).
import { API_VERBS, type ApiVerb } from '../../controller/kube/io.ts';

export const TERMINAL = ['Completed', 'Failed', 'Canceled'] as const;
export type Outcome = (typeof TERMINAL)[number];
/** Reasons that are timeouts (the `timeouts` figure counts these). */
export const TIMEOUT_REASONS = new Set(['prepare-timeout', 'deploy-timeout', 'pod-inprogress-timeout', 'operation-timeout']);

export interface PhaseAt {
  phase: string;
  at: number;
}

export interface DataUploadRecord {
  name: string;
  namespace: string;
  pvc: string;
  bytes: number;
  /** The node the data moved on (status.node), if it got that far. */
  node?: string;
  createdAt: number;
  /** Phase changes in order, the first one at creation ("New"). */
  phases: PhaseAt[];
  outcome?: Outcome;
  reason?: string;
}

export interface PodRecord {
  name: string;
  dataUpload: string;
  createdAt: number;
  /** When it was bound to a node (spec.nodeName set); absent: never scheduled. */
  scheduledAt?: number;
  node?: string;
  /** When it disappeared from the API; absent: still there at the end. */
  deletedAt?: number;
  /** When the container started running, and when it stopped (pod Succeeded or Failed). */
  runningAt?: number;
  stoppedAt?: number;
  cpuCores: number;
  memoryGiB: number;
}

export interface RunRecord {
  /** The end of the observation (when the run stopped watching). */
  endAt: number;
  dataUploads: DataUploadRecord[];
  pods: PodRecord[];
  /** The node-agents' requests by verb (sent + modeled). */
  apiRequests: Record<ApiVerb, number>;
  /**
   * The data mover's resident memory, MiB, while its container waits and while it moves data:
   * what a BestEffort pod (no requests) holds instead of a reservation. On the embedded cluster
   * these are the simulation's own values (behaviour.dataPath); absent, the figure is 0.
   */
  residentMiB?: { idle: number; busy: number };
}

export interface ResourceSeconds {
  cpuCoreSeconds: number;
  memoryGiBSeconds: number;
}

export interface Figures {
  dataUploads: number;
  completed: number;
  failed: number;
  canceled: number;
  /** Not terminal when the run ended. */
  unfinished: number;
  timeouts: number;
  outcomesByReason: Record<string, number>;
  idleCpuCoreSeconds: number;
  idleMemoryGiBSeconds: number;
  idlePendingCpuCoreSeconds: number;
  idlePendingMemoryGiBSeconds: number;
  idleBoundCpuCoreSeconds: number;
  idleBoundMemoryGiBSeconds: number;
  busyCpuCoreSeconds: number;
  busyMemoryGiBSeconds: number;
  /** Data-mover pods with no CPU or memory request (BestEffort). */
  bestEffortPods: number;
  /** BestEffort pods' resident memory integrated while running and idle, and while moving data. */
  idleResidentMemoryGiBSeconds: number;
  busyResidentMemoryGiBSeconds: number;
  makespanSeconds: number;
  latencySeconds: Quantiles;
  phaseSeconds: Record<string, Quantiles>;
  peakDataMoverPods: number;
  peakDataMoverPodsPerNode: Record<string, number>;
  apiRequestsPerDataUpload: Record<ApiVerb, number>;
}

export interface Quantiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Outcomes and reasons. */
export function outcomes(r: RunRecord): Pick<Figures, 'dataUploads' | 'completed' | 'failed' | 'canceled' | 'unfinished' | 'timeouts' | 'outcomesByReason'> {
  const count = (o: Outcome) => r.dataUploads.filter((d) => d.outcome === o).length;
  const byReason: Record<string, number> = {};
  for (const d of r.dataUploads) if (d.outcome && d.outcome !== 'Completed') byReason[d.reason ?? 'unknown'] = (byReason[d.reason ?? 'unknown'] ?? 0) + 1;
  return {
    dataUploads: r.dataUploads.length,
    completed: count('Completed'),
    failed: count('Failed'),
    canceled: count('Canceled'),
    unfinished: r.dataUploads.filter((d) => !d.outcome).length,
    timeouts: r.dataUploads.filter((d) => d.outcome && d.outcome !== 'Completed' && TIMEOUT_REASONS.has(d.reason ?? '')).length,
    outcomesByReason: byReason,
  };
}

/** When the DataUpload's data moved: from InProgress to the next phase (Canceling or terminal). */
export function movingInterval(du: DataUploadRecord, endAt: number): [number, number] | undefined {
  const i = du.phases.findIndex((p) => p.phase === 'InProgress');
  if (i < 0) return undefined;
  return [du.phases[i].at, du.phases[i + 1]?.at ?? endAt];
}

/**
 * Idle and busy resource-seconds: over each data-mover pod's lifetime, its requests integrated
 * while its DataUpload moves data (busy) or not (idle); idle split into pending (not yet bound
 * to a node) and bound (reserving a node's allocatable).
 */
export function resourceSeconds(r: RunRecord): { idlePending: ResourceSeconds; idleBound: ResourceSeconds; busy: ResourceSeconds } {
  const byName = new Map(r.dataUploads.map((d) => [d.name, d]));
  const acc = { idlePending: zeroRs(), idleBound: zeroRs(), busy: zeroRs() };
  for (const pod of r.pods) {
    const end = pod.deletedAt ?? r.endAt;
    const bound = pod.scheduledAt ?? end;
    const du = byName.get(pod.dataUpload);
    const moving = du ? movingInterval(du, r.endAt) : undefined;
    const busy = moving ? overlap([pod.createdAt, end], moving) : 0;
    const pendingBusy = moving ? overlap([pod.createdAt, bound], moving) : 0;
    const pending = bound - pod.createdAt - pendingBusy;
    const boundIdle = end - bound - (busy - pendingBusy);
    add(acc.idlePending, pod, pending);
    add(acc.idleBound, pod, boundIdle);
    add(acc.busy, pod, busy);
  }
  return acc;
}

/**
 * BestEffort pods reserve nothing, so their idle cost is the memory they hold: from the
 * container's start to its stop (or the pod's deletion), the idle resident size while the
 * DataUpload does not move data, the busy one while it does.
 */
export function residentMemorySeconds(r: RunRecord): { bestEffortPods: number; idle: number; busy: number } {
  const byName = new Map(r.dataUploads.map((d) => [d.name, d]));
  const out = { bestEffortPods: 0, idle: 0, busy: 0 };
  for (const pod of r.pods) {
    if (pod.cpuCores > 0 || pod.memoryGiB > 0) continue;
    out.bestEffortPods++;
    if (pod.runningAt === undefined || !r.residentMiB) continue;
    const end = Math.min(pod.stoppedAt ?? Infinity, pod.deletedAt ?? Infinity, r.endAt);
    const du = byName.get(pod.dataUpload);
    const moving = du ? movingInterval(du, r.endAt) : undefined;
    const running = Math.max(0, end - pod.runningAt);
    const busy = moving ? overlap([pod.runningAt, end], moving) : 0;
    out.idle += ((running - busy) * r.residentMiB.idle) / 1024;
    out.busy += (busy * r.residentMiB.busy) / 1024;
  }
  return out;
}

/** First DataUpload created -> last DataUpload terminal (to the end of the run if some never ended). */
export function makespan(r: RunRecord): number {
  if (!r.dataUploads.length) return 0;
  const first = Math.min(...r.dataUploads.map((d) => d.createdAt));
  const last = Math.max(...r.dataUploads.map((d) => (d.outcome ? d.phases[d.phases.length - 1].at : r.endAt)));
  return last - first;
}

/** Created -> terminal per ended DataUpload, and the time spent in each phase. */
export function latencies(r: RunRecord): { latencySeconds: Quantiles; phaseSeconds: Record<string, Quantiles> } {
  const total: number[] = [];
  const perPhase = new Map<string, number[]>();
  for (const d of r.dataUploads) {
    if (d.outcome) total.push(d.phases[d.phases.length - 1].at - d.createdAt);
    for (let i = 0; i < d.phases.length; i++) {
      const p = d.phases[i];
      if ((TERMINAL as readonly string[]).includes(p.phase)) continue;
      const until = d.phases[i + 1]?.at ?? r.endAt;
      let list = perPhase.get(p.phase);
      if (!list) perPhase.set(p.phase, (list = []));
      list.push(until - p.at);
    }
  }
  return { latencySeconds: quantiles(total), phaseSeconds: Object.fromEntries([...perPhase].map(([k, v]) => [k, quantiles(v)])) };
}

/** The most data-mover pods existing at once, cluster-wide, and bound to each node. */
export function peakPods(r: RunRecord): { peakDataMoverPods: number; peakDataMoverPodsPerNode: Record<string, number> } {
  const peak = (events: [number, number][]) => {
    // At equal times, departures first: a pod replaced at the same instant is not counted twice.
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let cur = 0;
    let max = 0;
    for (const [, d] of events) max = Math.max(max, (cur += d));
    return max;
  };
  const all: [number, number][] = [];
  const perNode = new Map<string, [number, number][]>();
  for (const p of r.pods) {
    const end = p.deletedAt ?? Infinity;
    all.push([p.createdAt, 1], [end, -1]);
    if (p.node && p.scheduledAt !== undefined) {
      let list = perNode.get(p.node);
      if (!list) perNode.set(p.node, (list = []));
      list.push([p.scheduledAt, 1], [end, -1]);
    }
  }
  return { peakDataMoverPods: peak(all), peakDataMoverPodsPerNode: Object.fromEntries([...perNode].sort().map(([n, e]) => [n, peak(e)])) };
}

export function apiRequestsPerDataUpload(r: RunRecord): Record<ApiVerb, number> {
  const n = r.dataUploads.length || 1;
  return Object.fromEntries(API_VERBS.map((v) => [v, round(r.apiRequests[v] / n)])) as Record<ApiVerb, number>;
}

export function computeFigures(r: RunRecord): Figures {
  const rs = resourceSeconds(r);
  const resident = residentMemorySeconds(r);
  return {
    ...outcomes(r),
    idleCpuCoreSeconds: round(rs.idlePending.cpuCoreSeconds + rs.idleBound.cpuCoreSeconds),
    idleMemoryGiBSeconds: round(rs.idlePending.memoryGiBSeconds + rs.idleBound.memoryGiBSeconds),
    idlePendingCpuCoreSeconds: round(rs.idlePending.cpuCoreSeconds),
    idlePendingMemoryGiBSeconds: round(rs.idlePending.memoryGiBSeconds),
    idleBoundCpuCoreSeconds: round(rs.idleBound.cpuCoreSeconds),
    idleBoundMemoryGiBSeconds: round(rs.idleBound.memoryGiBSeconds),
    busyCpuCoreSeconds: round(rs.busy.cpuCoreSeconds),
    busyMemoryGiBSeconds: round(rs.busy.memoryGiBSeconds),
    bestEffortPods: resident.bestEffortPods,
    idleResidentMemoryGiBSeconds: round(resident.idle),
    busyResidentMemoryGiBSeconds: round(resident.busy),
    makespanSeconds: round(makespan(r)),
    ...latencies(r),
    ...peakPods(r),
    apiRequestsPerDataUpload: apiRequestsPerDataUpload(r),
  };
}

/** Nearest-rank quantiles (p-th: the smallest value with at least p% of values at or below it). */
export function quantiles(values: number[]): Quantiles {
  if (!values.length) return { p50: 0, p95: 0, p99: 0, max: 0 };
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => round(s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]);
  return { p50: q(50), p95: q(95), p99: q(99), max: round(s[s.length - 1]) };
}

function overlap([a0, a1]: [number, number], [b0, b1]: [number, number]): number {
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}

function zeroRs(): ResourceSeconds {
  return { cpuCoreSeconds: 0, memoryGiBSeconds: 0 };
}

function add(acc: ResourceSeconds, pod: PodRecord, seconds: number): void {
  acc.cpuCoreSeconds += pod.cpuCores * seconds;
  acc.memoryGiBSeconds += pod.memoryGiB * seconds;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
