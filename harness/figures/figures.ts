// The figures of docs/design.md section 4, computed from what a run recorded: pure functions of a
// RunRecord, one per figure, so each can be checked against a timeline worked out by hand.
// Times are seconds from the run's start (simulated on the embedded cluster, wall on kind).
import { API_VERBS, type ApiVerb } from '../../controller/kube/io.ts';
import { intersect, normalize, subtract, total, type Interval } from './intervals.ts';

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

/** The data path's own record: Data-Path-* Events whose involvedObject is the DataUpload. */
export const DATA_PATH_START = 'Data-Path-Started';
export const DATA_PATH_ENDS = ['Data-Path-Completed', 'Data-Path-Failed', 'Data-Path-Canceled'] as const;

export interface DataPathEventRecord {
  dataUpload: string;
  /** Data-Path-Started, or the end of a data path: Data-Path-Completed, -Failed, -Canceled. */
  reason: string;
  at: number;
}

/** A backup PVC (the exposer's, in Velero's namespace, restored from the backup VolumeSnapshot). */
export interface BackupPvcRecord {
  /** The claim's name: its DataUpload's. */
  name: string;
  createdAt: number;
  /** When it was first Bound: from then its volume is provisioned; absent: never bound. */
  boundAt?: number;
  deletedAt?: number;
  /** Its requested storage, GiB (the source PVC's size). */
  gib: number;
}

/** A VolumeSnapshot, in any namespace (the server's of each source PVC, the exposer's backup copy). */
export interface VolumeSnapshotRecord {
  namespace: string;
  name: string;
  createdAt: number;
  deletedAt?: number;
}

export interface NodeRecord {
  name: string;
  labels: Record<string, string>;
  /** The Ready condition each time it changed (True: ready), the first when the node was first seen. */
  ready: { ready: boolean; at: number }[];
}

export interface RunRecord {
  /** The end of the observation window: every interval is cut there. */
  endAt: number;
  dataUploads: DataUploadRecord[];
  pods: PodRecord[];
  /** Data-path starts and ends, in the order seen. */
  dataPathEvents: DataPathEventRecord[];
  /** The nodes as the API showed them: labels and Ready. A node not recorded counts as Ready. */
  nodes: NodeRecord[];
  /** Backup PVCs in Velero's namespace, and VolumeSnapshots cluster-wide. */
  backupPvcs: BackupPvcRecord[];
  volumeSnapshots: VolumeSnapshotRecord[];
  /** The node-agents' requests by verb: sent, and modeled (counted as Velero sends them, answered otherwise). */
  apiRequests: { sent: Record<ApiVerb, number>; modeled: Record<ApiVerb, number> };
  /**
   * Per role (the node-agents, summed; the Velero server), the time its requests waited for a
   * token of their client's bucket (client-go's rate limiter), seconds, and how many waited.
   */
  throttle: Record<ThrottleRole, { waitSeconds: number; requests: number }>;
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
  /** DatamoverDeploying -> Prepared: claims given back (deploying, when a ResourceQuota refused the data-mover pod). */
  claimsReturned: number;
  idleCpuCoreSeconds: number;
  idleMemoryGiBSeconds: number;
  idlePendingCpuCoreSeconds: number;
  idlePendingMemoryGiBSeconds: number;
  idleBoundCpuCoreSeconds: number;
  idleBoundMemoryGiBSeconds: number;
  /** Idle while the DataUpload says InProgress (or Canceling) but its pod cannot move data: not running, or its node not Ready. */
  idleStrandedCpuCoreSeconds: number;
  idleStrandedMemoryGiBSeconds: number;
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
  /** Sent plus modeled, by verb, per DataUpload; and the two parts. */
  apiRequestsPerDataUpload: Record<ApiVerb, number>;
  apiRequestsSentPerDataUpload: Record<ApiVerb, number>;
  apiRequestsModeledPerDataUpload: Record<ApiVerb, number>;
  /** Backup volumes provisioned (Bound to deleted, or the end), GiB x seconds; the part before their data path started (or, never started, all of it). */
  backupVolumeGiBSeconds: number;
  backupVolumeIdleGiBSeconds: number;
  /** Most backup PVCs existing at once; most backup GiB provisioned at once; most VolumeSnapshots at once, cluster-wide. */
  peakBackupPvcs: number;
  peakBackupGiB: number;
  peakVolumeSnapshots: number;
  /** Seconds requests waited for a client-side rate-limit token, per role (section 4.7). */
  throttleWaitSeconds: Record<ThrottleRole, number>;
  /** Requests that waited for a token, per role. */
  throttledRequests: Record<ThrottleRole, number>;
}

export const THROTTLE_ROLES = ['node-agent', 'velero-server'] as const;
export type ThrottleRole = (typeof THROTTLE_ROLES)[number];

export interface Quantiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Outcomes and reasons. */
export function outcomes(r: RunRecord): Pick<Figures, 'dataUploads' | 'completed' | 'failed' | 'canceled' | 'unfinished' | 'timeouts' | 'outcomesByReason' | 'claimsReturned'> {
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
    claimsReturned: r.dataUploads.reduce((n, d) => n + d.phases.filter((p, i) => i > 0 && p.phase === 'Prepared' && d.phases[i - 1].phase === 'DatamoverDeploying').length, 0),
  };
}

/** A pod's life as the figures divide it: when its data moved, and when it was stranded. */
export interface PodActivity {
  /** Its data path reporting (Data-Path-Started, no end yet), its container running, its node Ready. */
  moving: Interval[];
  /** Bound and not moving while its DataUpload is InProgress or Canceling, with the container not running or the node not Ready. */
  stranded: Interval[];
}

const CLAIMS_MOVING = new Set(['InProgress', 'Canceling']);

/** The instants a pod exists within the observation window: [createdAt, deletedAt or endAt). */
export function lifeOf(pod: PodRecord, endAt: number): Interval {
  return [pod.createdAt, Math.min(pod.deletedAt ?? endAt, endAt)];
}

/** When a DataUpload's data path ran, by its own Events: each Started to the next end (or endAt). */
export function dataPathIntervals(events: readonly DataPathEventRecord[], endAt: number): Interval[] {
  const out: Interval[] = [];
  let open: number | undefined;
  for (const e of events) {
    if (e.reason === DATA_PATH_START) open ??= e.at;
    else if (open !== undefined) {
      out.push([open, e.at]);
      open = undefined;
    }
  }
  if (open !== undefined) out.push([open, endAt]);
  return normalize(out);
}

/** When a node was Ready; before its first record, as at its first record. */
export function readyIntervals(node: NodeRecord, endAt: number): Interval[] {
  const out: Interval[] = [];
  node.ready.forEach((r, i) => {
    if (r.ready) out.push([i === 0 ? -Infinity : r.at, node.ready[i + 1]?.at ?? endAt]);
  });
  return normalize(out);
}

/** When a DataUpload's phase said its data was moving: InProgress and Canceling. */
function claimedIntervals(du: DataUploadRecord, endAt: number): Interval[] {
  return normalize(du.phases.flatMap((p, i) => (CLAIMS_MOVING.has(p.phase) ? [[p.at, du.phases[i + 1]?.at ?? endAt] as Interval] : [])));
}

/**
 * Each pod's moving and stranded instants (docs/design.md section 4.3), in the order of r.pods.
 * Moving: the DataUpload's data path has started and not ended (its own Events), the pod's
 * container is running, and its node is Ready, all as the API showed them.
 */
export function podActivity(r: RunRecord): PodActivity[] {
  const dus = new Map(r.dataUploads.map((d) => [d.name, d]));
  const paths = new Map<string, DataPathEventRecord[]>();
  for (const e of r.dataPathEvents) {
    let list = paths.get(e.dataUpload);
    if (!list) paths.set(e.dataUpload, (list = []));
    list.push(e);
  }
  const ready = new Map(r.nodes.map((n) => [n.name, readyIntervals(n, r.endAt)]));
  return r.pods.map((pod) => {
    const life = lifeOf(pod, r.endAt);
    if (life[1] <= life[0]) return { moving: [], stranded: [] };
    const running: Interval[] = pod.runningAt === undefined ? [] : normalize([[pod.runningAt, pod.stoppedAt ?? r.endAt]]);
    const nodeReady = (pod.node !== undefined && ready.get(pod.node)) || [[-Infinity, Infinity] as Interval];
    const able = intersect(intersect(normalize([life]), running), nodeReady);
    const moving = intersect(able, dataPathIntervals(paths.get(pod.dataUpload) ?? [], r.endAt));
    const du = dus.get(pod.dataUpload);
    const bound = normalize([[pod.scheduledAt ?? life[1], life[1]]]);
    const stranded = du ? subtract(intersect(bound, claimedIntervals(du, r.endAt)), able) : [];
    return { moving, stranded };
  });
}

/**
 * Idle and busy resource-seconds: over each data-mover pod's life, its requests integrated while
 * its data moves (busy) or not (idle); idle split into pending (not yet bound to a node),
 * stranded (its DataUpload InProgress but the pod unable to move data) and bound (the rest).
 */
export function resourceSeconds(r: RunRecord, activity = podActivity(r)): { idlePending: ResourceSeconds; idleBound: ResourceSeconds; idleStranded: ResourceSeconds; busy: ResourceSeconds } {
  const acc = { idlePending: zeroRs(), idleBound: zeroRs(), idleStranded: zeroRs(), busy: zeroRs() };
  r.pods.forEach((pod, i) => {
    const [from, to] = lifeOf(pod, r.endAt);
    if (to <= from) return;
    const { moving, stranded } = activity[i];
    const bound = Math.min(pod.scheduledAt ?? to, to);
    const busy = total(moving);
    const pending = total(subtract([[from, Math.max(from, bound)]], moving));
    const strandedSeconds = total(stranded);
    add(acc.idlePending, pod, pending);
    add(acc.idleStranded, pod, strandedSeconds);
    add(acc.idleBound, pod, to - from - pending - strandedSeconds - busy);
    add(acc.busy, pod, busy);
  });
  return acc;
}

/**
 * BestEffort pods reserve nothing, so their idle cost is the memory they hold: from the
 * container's start to its stop (or the pod's deletion), the idle resident size while its data
 * does not move, the busy one while it does.
 */
export function residentMemorySeconds(r: RunRecord, activity = podActivity(r)): { bestEffortPods: number; idle: number; busy: number } {
  const out = { bestEffortPods: 0, idle: 0, busy: 0 };
  r.pods.forEach((pod, i) => {
    if (pod.cpuCores > 0 || pod.memoryGiB > 0) return;
    out.bestEffortPods++;
    if (pod.runningAt === undefined || !r.residentMiB) return;
    const end = Math.min(pod.stoppedAt ?? Infinity, pod.deletedAt ?? Infinity, r.endAt);
    const running = Math.max(0, end - pod.runningAt);
    const busy = total(intersect(normalize([[pod.runningAt, end]]), activity[i].moving));
    out.idle += ((running - busy) * r.residentMiB.idle) / 1024;
    out.busy += (busy * r.residentMiB.busy) / 1024;
  });
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

/** The most data-mover pods existing at once in the observation window, cluster-wide, and bound to each node. */
/** The most at once of [at, change] steps; at equal times, departures first (one replaced at the same instant is not counted twice). */
function peak(events: [number, number][]): number {
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of events) max = Math.max(max, (cur += d));
  return max;
}

export function peakPods(r: RunRecord): { peakDataMoverPods: number; peakDataMoverPodsPerNode: Record<string, number> } {
  const all: [number, number][] = [];
  const perNode = new Map<string, [number, number][]>();
  for (const p of r.pods) {
    const [from, end] = lifeOf(p, r.endAt);
    if (end <= from) continue;
    all.push([from, 1], [end, -1]);
    if (p.node && p.scheduledAt !== undefined) {
      let list = perNode.get(p.node);
      if (!list) perNode.set(p.node, (list = []));
      list.push([p.scheduledAt, 1], [end, -1]);
    }
  }
  return { peakDataMoverPods: peak(all), peakDataMoverPodsPerNode: Object.fromEntries([...perNode].sort().map(([n, e]) => [n, peak(e)])) };
}

export function apiRequestsPerDataUpload(r: RunRecord): Pick<Figures, 'apiRequestsPerDataUpload' | 'apiRequestsSentPerDataUpload' | 'apiRequestsModeledPerDataUpload'> {
  const n = r.dataUploads.length || 1;
  const per = (count: (v: ApiVerb) => number) => Object.fromEntries(API_VERBS.map((v) => [v, round(count(v) / n)])) as Record<ApiVerb, number>;
  const { sent, modeled } = r.apiRequests;
  return {
    apiRequestsPerDataUpload: per((v) => sent[v] + modeled[v]),
    apiRequestsSentPerDataUpload: per((v) => sent[v]),
    apiRequestsModeledPerDataUpload: per((v) => modeled[v]),
  };
}

export function computeFigures(r: RunRecord, activity = podActivity(r)): Figures {
  const rs = resourceSeconds(r, activity);
  const resident = residentMemorySeconds(r, activity);
  return {
    ...outcomes(r),
    idleCpuCoreSeconds: round(rs.idlePending.cpuCoreSeconds + rs.idleBound.cpuCoreSeconds + rs.idleStranded.cpuCoreSeconds),
    idleMemoryGiBSeconds: round(rs.idlePending.memoryGiBSeconds + rs.idleBound.memoryGiBSeconds + rs.idleStranded.memoryGiBSeconds),
    idlePendingCpuCoreSeconds: round(rs.idlePending.cpuCoreSeconds),
    idlePendingMemoryGiBSeconds: round(rs.idlePending.memoryGiBSeconds),
    idleBoundCpuCoreSeconds: round(rs.idleBound.cpuCoreSeconds),
    idleBoundMemoryGiBSeconds: round(rs.idleBound.memoryGiBSeconds),
    idleStrandedCpuCoreSeconds: round(rs.idleStranded.cpuCoreSeconds),
    idleStrandedMemoryGiBSeconds: round(rs.idleStranded.memoryGiBSeconds),
    busyCpuCoreSeconds: round(rs.busy.cpuCoreSeconds),
    busyMemoryGiBSeconds: round(rs.busy.memoryGiBSeconds),
    bestEffortPods: resident.bestEffortPods,
    idleResidentMemoryGiBSeconds: round(resident.idle),
    busyResidentMemoryGiBSeconds: round(resident.busy),
    makespanSeconds: round(makespan(r)),
    ...latencies(r),
    ...peakPods(r),
    ...apiRequestsPerDataUpload(r),
    ...throttleFigures(r),
    ...storageHeld(r),
  };
}

/** What the flows hold besides pods: backup volumes and VolumeSnapshots (docs/design.md section 4.5). */
export function storageHeld(r: RunRecord): Pick<Figures, 'backupVolumeGiBSeconds' | 'backupVolumeIdleGiBSeconds' | 'peakBackupPvcs' | 'peakBackupGiB' | 'peakVolumeSnapshots'> {
  const started = new Map<string, number>();
  for (const e of r.dataPathEvents) if (e.reason === DATA_PATH_START && !started.has(e.dataUpload)) started.set(e.dataUpload, e.at);
  let all = 0;
  let idle = 0;
  const pvcs: [number, number][] = [];
  const gib: [number, number][] = [];
  for (const p of r.backupPvcs) {
    const gone = Math.min(p.deletedAt ?? r.endAt, r.endAt);
    if (p.createdAt < gone) pvcs.push([p.createdAt, 1], [gone, -1]);
    if (p.boundAt === undefined || p.boundAt >= gone) continue;
    all += p.gib * (gone - p.boundAt);
    idle += p.gib * (Math.min(gone, Math.max(p.boundAt, started.get(p.name) ?? gone)) - p.boundAt);
    gib.push([p.boundAt, p.gib], [gone, -p.gib]);
  }
  const snaps: [number, number][] = [];
  for (const v of r.volumeSnapshots) {
    const gone = Math.min(v.deletedAt ?? r.endAt, r.endAt);
    if (v.createdAt < gone) snaps.push([v.createdAt, 1], [gone, -1]);
  }
  return { backupVolumeGiBSeconds: round(all), backupVolumeIdleGiBSeconds: round(idle), peakBackupPvcs: peak(pvcs), peakBackupGiB: round(peak(gib)), peakVolumeSnapshots: peak(snaps) };
}

export function throttleFigures(r: RunRecord): Pick<Figures, 'throttleWaitSeconds' | 'throttledRequests'> {
  const role = (f: (t: RunRecord['throttle'][ThrottleRole]) => number) =>
    Object.fromEntries(THROTTLE_ROLES.map((k) => [k, round(f(r.throttle[k]))])) as Record<ThrottleRole, number>;
  return { throttleWaitSeconds: role((t) => t.waitSeconds), throttledRequests: role((t) => t.requests) };
}

/** Nearest-rank quantiles (p-th: the smallest value with at least p% of values at or below it). */
export function quantiles(values: number[]): Quantiles {
  if (!values.length) return { p50: 0, p95: 0, p99: 0, max: 0 };
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => round(s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]);
  return { p50: q(50), p95: q(95), p99: q(99), max: round(s[s.length - 1]) };
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
