// Faults as data: what a scenario's schedule declares, checked before any run starts. Each
// fault happens at a simulated time (`at`, seconds from the run's start) or when a share of the
// DataUploads has reached a phase (`when`), and, where it applies, is undone after
// `durationSeconds`. Anchors: krkn / Litmus node scenarios and hogs, Chaos Mesh PodChaos, KWOK
// chaos stages, ClusterLoader2's chaos monkey.
//
// A node is named, or chosen from the run's seed: "random" (any node) or "random:<label
// selector>" (say "random:datamover-bench.io/backup-node=true"). Every flow of a run gets the
// same choice, at the same moment.
import { parseLabelSelector } from '../apiserver/selectors.ts';

export const FAULT_KINDS = {
  'node-memory-pressure': 'MemoryPressure=True on a node: NoSchedule taint, kubelet evictions by QoS, until durationSeconds',
  'node-cpu-pressure': 'a node under CPU pressure: its data throughput drops (behaviour.dataPath.cpuPressureFactor), until durationSeconds',
  'node-failure': 'a node stops (kubelet, heartbeats, its node-agent): NotReady, its pods lost after the toleration; back after durationSeconds (or never)',
  'pod-kill': 'deletes `count` data-mover pods chosen from the seed (with `dataUploadPhase`, only pods whose DataUpload is in that phase), with `gracePeriodSeconds` (default 0, as Chaos Mesh pod-kill)',
  'snapshot-failure': 'CSI snapshots fail with probability `rate`, until durationSeconds',
  'backup-pvc-bind-delay': 'a PVC made from a snapshot takes `seconds` to bind, until durationSeconds',
  'api-latency': 'the API server answers `latencyMs` (+ up to `jitterMs`) later, for `verbs`/`resources` (default all), until durationSeconds',
  'api-errors': 'the API server answers `errorCode` (429, 500, 503, 504) with probability `rate`, for `verbs`/`resources`, until durationSeconds',
  'drop-watches': 'the API server closes every open watch (of `resource`, or all); clients re-list',
  'force-gone': 'the API server compacts (of `resource`, or all): watches get 410 Gone and clients re-list',
  'node-agent-restart': 'the node-agent on a node crashes and is restarted after durationSeconds (default 30)',
  'api-load': 'autocannon reads `path` (default: the data-mover pods) over `connections` (default 8) for durationSeconds; its figures go in the results',
} as const;

export type FaultKind = keyof typeof FAULT_KINDS;

const NODE_KINDS = new Set<FaultKind>(['node-memory-pressure', 'node-cpu-pressure', 'node-failure', 'node-agent-restart']);
const API_RULE_KINDS = new Set<FaultKind>(['api-latency', 'api-errors']);
const INSTANT_KINDS = new Set<FaultKind>(['pod-kill', 'drop-watches', 'force-gone']);
const DATA_UPLOAD_PHASES = ['Accepted', 'Prepared', 'DatamoverDeploying', 'InProgress', 'Completed'];

export interface FaultDecl {
  kind: FaultKind;
  /** Optional name for reports; default `<kind>-<index>`. */
  name?: string;
  /** Simulated seconds from the run's start. */
  at?: number;
  /** Instead of `at`: once `fraction` of the workload's DataUploads have reached `phase`. */
  when?: { phase: string; fraction: number };
  /** How long the fault lasts; absent: it is not undone (instant kinds have none). */
  durationSeconds?: number;
  /** Node kinds: a node name, "random" or "random:<label selector>". */
  node?: string;
  /** pod-kill: how many data-mover pods (default 1), and the deletion's grace period (default 0). */
  count?: number;
  gracePeriodSeconds?: number;
  /** pod-kill: only pods whose DataUpload is in this phase (e.g. InProgress: pods moving data); default any. */
  dataUploadPhase?: string;
  /** snapshot-failure, api-errors: probability in [0, 1]. */
  rate?: number;
  /** backup-pvc-bind-delay: seconds to bind. */
  seconds?: number;
  /** api-latency. */
  latencyMs?: number;
  jitterMs?: number;
  /** api-errors. */
  errorCode?: 429 | 500 | 503 | 504;
  /** api-latency, api-errors: which requests (default all). */
  verbs?: string[];
  resources?: string[];
  /** drop-watches, force-gone: one resource (plural, e.g. "datauploads"), or all. */
  resource?: string;
  /** api-load: the path read (a GET, e.g. "/api/v1/pods"), and the connections. */
  path?: string;
  connections?: number;
}

/** A checked fault, its node choice still symbolic (resolved per run from the seed). */
export type Fault = FaultDecl & { name: string; index: number };

export class FaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultError';
  }
}

const KNOWN_FIELDS = new Set(['kind', 'name', 'at', 'when', 'durationSeconds', 'node', 'count', 'rate', 'seconds', 'latencyMs', 'jitterMs', 'errorCode', 'verbs', 'resources', 'resource', 'path', 'connections', 'gracePeriodSeconds', 'dataUploadPhase']);

/**
 * Checks a schedule against the cluster it will run on; the first problem is thrown as a
 * FaultError naming the fault, the field, the value and what is accepted.
 */
export function parseFaults(decls: unknown, nodes: { name: string; labels: Record<string, string> }[]): Fault[] {
  if (decls === undefined) return [];
  if (!Array.isArray(decls)) throw new FaultError(`faults: ${JSON.stringify(decls)} is not accepted: a list of faults`);
  const names = new Set<string>();
  return decls.map((raw, index) => {
    const where = `faults[${index}]`;
    const bad = (field: string, value: unknown, accepted: string): never => {
      throw new FaultError(`${where}.${field}: ${JSON.stringify(value)} is not accepted: ${accepted}`);
    };
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new FaultError(`${where}: ${JSON.stringify(raw)} is not accepted: an object with a kind`);
    const d = raw as Record<string, unknown>;
    for (const k of Object.keys(d)) if (!KNOWN_FIELDS.has(k)) bad(k, d[k], `not a fault field; the fields are ${[...KNOWN_FIELDS].join(', ')}`);
    const kind = d.kind as FaultKind;
    if (typeof kind !== 'string' || !(kind in FAULT_KINDS)) bad('kind', d.kind, `one of ${Object.keys(FAULT_KINDS).join(', ')}`);
    const name = d.name === undefined ? `${kind}-${index}` : String(d.name);
    if (names.has(name)) bad('name', d.name, 'a name no other fault has');
    names.add(name);

    const nonNegative = (field: string, v: unknown, integer = false) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) bad(field, v, `a ${integer ? 'whole ' : ''}number >= 0`);
    };
    if ((d.at === undefined) === (d.when === undefined)) bad(d.at === undefined ? 'at' : 'when', d.at ?? d.when, 'exactly one of at (seconds from the start) or when ({ phase, fraction })');
    if (d.at !== undefined) nonNegative('at', d.at);
    if (d.when !== undefined) {
      const w = d.when as { phase?: unknown; fraction?: unknown };
      if (typeof w !== 'object' || w === null) bad('when', d.when, '{ phase, fraction }');
      if (!DATA_UPLOAD_PHASES.includes(w.phase as string)) bad('when.phase', w.phase, `one of ${DATA_UPLOAD_PHASES.join(', ')}`);
      if (typeof w.fraction !== 'number' || !(w.fraction > 0 && w.fraction <= 1)) bad('when.fraction', w.fraction, 'a number above 0 and at most 1');
    }
    if (d.durationSeconds !== undefined) {
      if (INSTANT_KINDS.has(kind)) bad('durationSeconds', d.durationSeconds, `nothing: ${kind} is instant`);
      nonNegative('durationSeconds', d.durationSeconds);
    }

    if (NODE_KINDS.has(kind)) {
      if (typeof d.node !== 'string' || d.node === '') bad('node', d.node, 'a node name, "random" or "random:<label selector>"');
      checkNodeChoice(d.node as string, nodes, (accepted) => bad('node', d.node, accepted));
    } else if (d.node !== undefined) bad('node', d.node, `nothing: ${kind} does not act on one node`);

    switch (kind) {
      case 'pod-kill':
        if (d.count !== undefined) {
          nonNegative('count', d.count, true);
          if ((d.count as number) < 1) bad('count', d.count, 'a whole number >= 1');
        }
        if (d.gracePeriodSeconds !== undefined) nonNegative('gracePeriodSeconds', d.gracePeriodSeconds, true);
        if (d.dataUploadPhase !== undefined && !DATA_UPLOAD_PHASES.includes(d.dataUploadPhase as string)) bad('dataUploadPhase', d.dataUploadPhase, `one of ${DATA_UPLOAD_PHASES.join(', ')}`);
        break;
      case 'snapshot-failure':
      case 'api-errors':
        if (typeof d.rate !== 'number' || !(d.rate >= 0 && d.rate <= 1)) bad('rate', d.rate, 'a probability from 0 to 1');
        if (kind === 'api-errors' && ![429, 500, 503, 504].includes(d.errorCode as number)) bad('errorCode', d.errorCode, 'one of 429, 500, 503, 504');
        break;
      case 'backup-pvc-bind-delay':
        nonNegative('seconds', d.seconds);
        break;
      case 'api-load':
        if (d.durationSeconds === undefined) bad('durationSeconds', d.durationSeconds, 'seconds > 0: how long the load runs');
        if (d.path !== undefined && (typeof d.path !== 'string' || !/^\/(api|apis)\//.test(d.path))) bad('path', d.path, 'an API path such as /api/v1/pods or /apis/velero.io/v2alpha1/datauploads');
        if (d.connections !== undefined && (!Number.isInteger(d.connections) || (d.connections as number) < 1 || (d.connections as number) > 256)) bad('connections', d.connections, 'a whole number from 1 to 256');
        break;
      case 'api-latency':
        nonNegative('latencyMs', d.latencyMs);
        if (d.jitterMs !== undefined) nonNegative('jitterMs', d.jitterMs);
        break;
    }
    if (API_RULE_KINDS.has(kind)) {
      for (const f of ['verbs', 'resources'] as const) {
        if (d[f] !== undefined && (!Array.isArray(d[f]) || !(d[f] as unknown[]).every((x) => typeof x === 'string' && x))) bad(f, d[f], 'a list of names');
      }
      const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
      for (const v of (d.verbs as string[] | undefined) ?? []) if (!verbs.includes(v)) bad('verbs', d.verbs, `verbs of ${verbs.join(', ')}`);
    }
    for (const f of ['path', 'connections'] as const) if (d[f] !== undefined && kind !== 'api-load') bad(f, d[f], 'nothing: only api-load takes it');
    if (d.gracePeriodSeconds !== undefined && kind !== 'pod-kill') bad('gracePeriodSeconds', d.gracePeriodSeconds, 'nothing: only pod-kill takes it');
    if (d.dataUploadPhase !== undefined && kind !== 'pod-kill') bad('dataUploadPhase', d.dataUploadPhase, 'nothing: only pod-kill takes it');
    if (d.resource !== undefined && (kind !== 'drop-watches' && kind !== 'force-gone')) bad('resource', d.resource, `nothing: only drop-watches and force-gone take a resource`);
    return { ...(d as unknown as FaultDecl), name, index };
  });
}

function checkNodeChoice(choice: string, nodes: { name: string; labels: Record<string, string> }[], bad: (accepted: string) => never): void {
  const names = nodes.map((n) => n.name);
  let candidates: string[];
  try {
    candidates = nodeCandidates(choice, nodes);
  } catch (e) {
    return bad(`a valid label selector after "random:" (${(e as Error).message})`);
  }
  if (choice !== 'random' && !choice.startsWith('random:') && !names.includes(choice)) bad(`a node of the cluster (${names.join(', ')}), "random" or "random:<label selector>"`);
  if (!candidates.length) bad(`a selector some node matches; the nodes are ${names.join(', ')}`);
}

/** The nodes a fault's node choice may pick from, sorted (the seeded pick is then stable). */
export function nodeCandidates(choice: string, nodes: { name: string; labels: Record<string, string> }[]): string[] {
  if (choice === 'random') return nodes.map((n) => n.name).sort();
  if (choice.startsWith('random:')) {
    const selector = parseLabelSelector(choice.slice('random:'.length));
    return nodes.filter((n) => selector(n.labels)).map((n) => n.name).sort();
  }
  return [choice];
}

const PROGRESS_PHASES = ['New', 'Accepted', 'Prepared', 'DatamoverDeploying', 'InProgress', 'Completed'];

/**
 * How far a run's DataUploads have got, for `when` conditions: per phase, how many have reached it
 * or gone past it (a DataUpload that failed or was canceled stays where it had got to).
 */
export class PhaseProgress {
  /** Per DataUpload, the furthest phase (PROGRESS_PHASES index) it has reached. */
  private readonly reached = new Map<string, number>();
  private readonly counts = PROGRESS_PHASES.map(() => 0);

  /** @param expected the DataUploads the workload will create */
  constructor(private readonly expected: number) {}

  /** A DataUpload seen in a phase ("" is New). */
  see(dataUpload: string, phase: string): void {
    const i = PROGRESS_PHASES.indexOf(phase || 'New');
    const before = this.reached.get(dataUpload) ?? -1;
    if (i <= before) return;
    this.reached.set(dataUpload, i);
    for (let k = before + 1; k <= i; k++) this.counts[k]++;
  }

  /** Whether `fraction` of the expected DataUploads have reached `phase`. */
  holds(when: { phase: string; fraction: number }): boolean {
    return this.counts[PROGRESS_PHASES.indexOf(when.phase)] / Math.max(1, this.expected) >= when.fraction;
  }
}

/** The node a fault acts on, chosen from the seed among its candidates: one stream per fault, so the choice does not depend on what other faults drew. */
export function chooseNode(f: Fault, nodes: { name: string; labels: Record<string, string> }[], random: { fork(label: string): { int(min: number, max: number): number } }): string | undefined {
  const candidates = nodeCandidates(f.node!, nodes);
  return candidates[random.fork(`fault/${f.name}`).int(0, candidates.length - 1)];
}

/** Why a fault that never started did not: its `when` never held, or the run ended before its `at`. */
export function neverHappenedDetail(f: Fault): string {
  return f.when ? `did not happen: fewer than ${f.when.fraction * 100}% of the DataUploads reached ${f.when.phase}` : `did not happen: the run ended before ${f.at} s`;
}

/** A fault with its duration as the cluster runs it: divided by the time scale, at least 1 s. */
export function onCluster(f: Fault, timeScale: number): Fault {
  return f.durationSeconds === undefined ? f : { ...f, durationSeconds: Math.max(1, Math.round(f.durationSeconds / timeScale)) };
}
