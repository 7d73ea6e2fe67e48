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
import { FAULT_KIND, FAULT_KIND_DEFS, type FaultKind } from './kinds/index.ts';
import { DATA_UPLOAD_PHASES } from './kinds/types.ts';

/** Each kind and what it does (harness/chaos/kinds/, one file each). */
export const FAULT_KINDS: Record<FaultKind, string> = Object.fromEntries(FAULT_KIND_DEFS.map((d) => [d.kind, d.summary])) as Record<FaultKind, string>;
export type { FaultKind };

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

/** The fields every fault may have; the others are its kind's (FaultKindDef.fields). */
const COMMON_FIELDS = ['kind', 'name', 'at', 'when', 'durationSeconds', 'node'];
const KNOWN_FIELDS = new Set([...COMMON_FIELDS, ...FAULT_KIND_DEFS.flatMap((d) => (d.fields ?? []) as string[])]);
/** The kinds that take a field, for the message refusing it elsewhere. */
const TAKEN_BY = (field: string) => FAULT_KIND_DEFS.filter((d) => ((d.fields ?? []) as string[]).includes(field)).map((d) => d.kind);

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
    const def = FAULT_KIND[kind];
    if (d.durationSeconds !== undefined) {
      if (def.instant) bad('durationSeconds', d.durationSeconds, `nothing: ${kind} is instant`);
      nonNegative('durationSeconds', d.durationSeconds);
    }

    if (def.node) {
      if (typeof d.node !== 'string' || d.node === '') bad('node', d.node, 'a node name, "random" or "random:<label selector>"');
      checkNodeChoice(d.node as string, nodes, (accepted) => bad('node', d.node, accepted));
    } else if (d.node !== undefined) bad('node', d.node, `nothing: ${kind} does not act on one node`);
    for (const field of Object.keys(d)) {
      if (COMMON_FIELDS.includes(field) || ((def.fields ?? []) as string[]).includes(field)) continue;
      const takers = TAKEN_BY(field);
      bad(field, d[field], `nothing: only ${takers.join(' and ')} take${takers.length === 1 ? 's' : ''} it`);
    }
    def.check?.(d, bad, nonNegative);
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
