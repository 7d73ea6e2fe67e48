// The embedded cluster's kube-scheduler (default-scheduler profile, the parts that matter here).
//
// Queue: pending pods in priority order, then in the order they were first seen. A pod that
// fits nowhere gets PodScheduled=False/Unschedulable with kube-scheduler's message and a
// FailedScheduling event, and waits until the cluster changes in a way that can make room (an
// assigned pod deleted or finished, a node added or changed); then it is retried once its
// backoff (1 s doubling to 10 s per attempt) has passed. No polling.
//
// PreFilter VolumeBinding: a pod whose PVC is missing or unbound (Immediate binding) fits no node
// until the claim binds. Filters, in the default plugin order, stopping at a node's first
// failing plugin: NodeUnschedulable, TaintToleration (NoSchedule/NoExecute; a not-ready node counts as
// tainted node.kubernetes.io/not-ready, as TaintNodesByCondition makes it), NodeAffinity
// (nodeSelector + required node affinity), NodeResourcesFit (requests of the node's
// non-terminal pods, pods limit), PodTopologySpread (DoNotSchedule constraints).
// Scores, with the default weights: TaintToleration 3 (PreferNoSchedule), NodeAffinity 2
// (preferred terms), NodeResourcesFit 1 (LeastAllocated), PodTopologySpread 2 (ScheduleAnyway
// constraints). Ties go to a node drawn from the scheduler's seeded stream.
// VolumeBinding's Filter: a bound claim's PV with a nodeAffinity admits only the nodes it
// matches ("node(s) had volume node affinity conflict").
// Not modelled: preemption (the message says what kube-scheduler says when it finds no
// victims), inter-pod affinity, volume attach limits, host ports,
// BalancedAllocation, ImageLocality.
//
// Binding goes through the Binding subresource's semantics (KubeApi.bindPod) after
// behaviour.scheduler.bindSeconds; the pod counts against its node (is "assumed") meanwhile.
import type { V1Toleration as Toleration } from '@kubernetes/client-node';
import { kubeTime, type Timer } from '../clock.ts';
import { ApiError } from '../apiserver/errors.ts';
import { labelSelectorMatcher, type Labels } from '../apiserver/selectors.ts';
import { matchesNodeSelector } from '../../controller/label-selector.ts';
import type { KubeObject } from '../apiserver/types.ts';
import type { Random } from '../random.ts';
import { mutate, onChange, resourceInfo, WorkQueue, type SimContext } from './context.ts';
import { sample } from './distribution.ts';
import { EventRecorder, referenceTo } from './event-recorder.ts';
import { CONDITION_TAINTS, type Taint } from './nodes.ts';

/** kube-scheduler's annotation of a WaitForFirstConsumer claim, and its bind timeout (--bind-timeout-seconds 600). */
const SELECTED_NODE = 'volume.kubernetes.io/selected-node';
const BIND_TIMEOUT_MS = 600_000;
import { parseBytes, parseCount, parseCpu, QuantityError } from './quantity.ts';

type Obj = Record<string, any>;

export const SCHEDULER_NAME = 'default-scheduler';

const MAX_NODE_SCORE = 100;
/** Scoring weights of the default profile. */
const WEIGHTS = { taintToleration: 3, nodeAffinity: 2, leastAllocated: 1, topologySpread: 2 };
/** What a container without a request counts as when scoring (DefaultMilliCPURequest, DefaultMemoryRequest). */
const NON_ZERO_CPU = 100;
const NON_ZERO_MEMORY = 200 * 1024 ** 2;
const INITIAL_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 10_000;

// ---- pod requests --------------------------------------------------------------------------

export interface Requests {
  /** millicores */
  cpu: number;
  /** bytes */
  memory: number;
  /** ephemeral-storage bytes */
  storage: number;
}

const ZERO: Requests = { cpu: 0, memory: 0, storage: 0 };
const add = (a: Requests, b: Requests): Requests => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory, storage: a.storage + b.storage });
const max = (a: Requests, b: Requests): Requests => ({ cpu: Math.max(a.cpu, b.cpu), memory: Math.max(a.memory, b.memory), storage: Math.max(a.storage, b.storage) });

function resourceList(list: Obj | undefined, field: string, nonZero: boolean): Requests {
  const r = list ?? {};
  return {
    cpu: r.cpu !== undefined ? parseCpu(r.cpu, `${field}.cpu`) : nonZero ? NON_ZERO_CPU : 0,
    memory: r.memory !== undefined ? parseBytes(r.memory, `${field}.memory`) : nonZero ? NON_ZERO_MEMORY : 0,
    storage: r['ephemeral-storage'] !== undefined ? parseBytes(r['ephemeral-storage'], `${field}.ephemeral-storage`) : 0,
  };
}

/**
 * A pod's requests as NodeResourcesFit counts them: containers summed; init containers run one
 * at a time, so each is a floor (plus the restartable sidecars started before it, which keep
 * running beside the containers); plus spec.overhead. With nonZero, containers that request no
 * cpu/memory count as 100m/200Mi, as the scheduler's scoring does.
 * Throws QuantityError naming the field when a request is not a quantity.
 */
export function podRequests(spec: Obj, nonZero = false): Requests {
  let containers = ZERO;
  (spec.containers ?? []).forEach((c: Obj, i: number) => {
    containers = add(containers, resourceList(c.resources?.requests, `spec.containers[${i}].resources.requests`, nonZero));
  });
  let sidecars = ZERO;
  let initPeak = ZERO;
  (spec.initContainers ?? []).forEach((c: Obj, i: number) => {
    const r = resourceList(c.resources?.requests, `spec.initContainers[${i}].resources.requests`, nonZero);
    if (c.restartPolicy === 'Always') {
      sidecars = add(sidecars, r);
      initPeak = max(initPeak, sidecars);
    } else initPeak = max(initPeak, add(sidecars, r));
  });
  const overhead = spec.overhead ? resourceList(spec.overhead, 'spec.overhead', false) : ZERO;
  return add(max(add(containers, sidecars), initPeak), overhead);
}

// ---- node view -----------------------------------------------------------------------------

interface NodeInfo {
  name: string;
  labels: Record<string, string>;
  /** spec.taints plus the condition taints the node lifecycle controller would add. */
  taints: Taint[];
  unschedulable: boolean;
  allocatable: { cpu: number; memory: number; storage: number; pods: number };
  requested: Requests;
  nonZeroRequested: Requests;
  /** Non-terminal pods bound (or being bound) to the node. */
  pods: KubeObject[];
}

/** A node's taints as the scheduler sees them: spec.taints, plus the NoSchedule taint its conditions call for (a node without a Ready condition is not ready). */
function effectiveTaints(node: KubeObject): Taint[] {
  const taints: Taint[] = [...(((node.spec as Obj)?.taints ?? []) as Taint[])];
  const conditions: Obj[] = (node.status as Obj)?.conditions ?? [];
  const statusOf = (type: string) => conditions.find((c) => c.type === type)?.status ?? (type === 'Ready' ? 'False' : undefined);
  for (const ct of CONDITION_TAINTS) {
    if (statusOf(ct.type) !== ct.status) continue;
    if (!taints.some((t) => t.key === ct.key && t.effect === 'NoSchedule')) taints.push({ key: ct.key, effect: 'NoSchedule' });
  }
  return taints;
}

function quantityOr(parse: (q: string, f: string) => number, q: unknown, field: string): number {
  if (q === undefined) return 0;
  try {
    return parse(String(q), field);
  } catch (e) {
    if (e instanceof QuantityError) return 0;
    throw e;
  }
}

function nodeInfo(node: KubeObject): NodeInfo {
  const alloc: Obj = (node.status as Obj)?.allocatable ?? {};
  return {
    name: node.metadata.name!,
    labels: node.metadata.labels ?? {},
    taints: effectiveTaints(node),
    unschedulable: !!(node.spec as Obj)?.unschedulable,
    allocatable: {
      cpu: quantityOr(parseCpu, alloc.cpu, 'cpu'),
      memory: quantityOr(parseBytes, alloc.memory, 'memory'),
      storage: quantityOr(parseBytes, alloc['ephemeral-storage'], 'ephemeral-storage'),
      pods: quantityOr(parseCount, alloc.pods, 'pods'),
    },
    requested: ZERO,
    nonZeroRequested: ZERO,
    pods: [],
  };
}

const isTerminal = (pod: KubeObject) => ['Succeeded', 'Failed'].includes((pod.status as Obj)?.phase);

// ---- matching ------------------------------------------------------------------------------

/** v1.Toleration.ToleratesTaint. */
export function tolerates(t: Toleration, taint: { key: string; value?: string; effect: string }): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  const op = t.operator || 'Equal';
  if (op === 'Exists') return true;
  if (op === 'Equal') return (t.value ?? '') === (taint.value ?? '');
  return false;
}

/** A NodeSelectorTerm: expressions and fields ANDed; an empty term matches nothing (the controller's matcher, one term). */
function termMatches(term: Obj | undefined, node: NodeInfo): boolean {
  return term !== undefined && matchesNodeSelector({ nodeSelectorTerms: [term] }, node);
}

/** nodeSelector and requiredDuringSchedulingIgnoredDuringExecution (terms ORed). */
function matchesRequiredAffinity(spec: Obj, node: NodeInfo): boolean {
  for (const [k, v] of Object.entries((spec.nodeSelector ?? {}) as Record<string, string>)) if (node.labels[k] !== v) return false;
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return ((required.nodeSelectorTerms ?? []) as Obj[]).some((t) => termMatches(t, node));
}

/** Whether a Node object satisfies a pod spec's nodeSelector and required node affinity. */
export function nodeMatchesRequiredAffinity(spec: Obj, node: KubeObject): boolean {
  return matchesRequiredAffinity(spec, nodeInfo(node));
}

function preferredAffinityScore(spec: Obj, node: NodeInfo): number {
  let score = 0;
  for (const p of (spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) as Obj[]) {
    if (p.weight && termMatches(p.preference, node)) score += p.weight;
  }
  return score;
}

// ---- topology spread -----------------------------------------------------------------------

interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  minDomains: number;
  selects: (labels: Labels) => boolean;
  honorAffinity: boolean;
  honorTaints: boolean;
}

function spreadConstraints(pod: KubeObject, when: 'DoNotSchedule' | 'ScheduleAnyway'): SpreadConstraint[] {
  const spec = pod.spec as Obj;
  const podLabels = pod.metadata.labels ?? {};
  return ((spec.topologySpreadConstraints ?? []) as Obj[])
    .filter((c) => c.whenUnsatisfiable === when)
    .map((c) => {
      let selector: (labels: Labels) => boolean;
      try {
        selector = labelSelectorMatcher(c.labelSelector);
      } catch {
        selector = () => false;
      }
      // matchLabelKeys: the pod's own values of those keys join the selector.
      const keys: string[] = (c.matchLabelKeys ?? []).filter((k: string) => Object.hasOwn(podLabels, k));
      return {
        maxSkew: c.maxSkew ?? 1,
        topologyKey: c.topologyKey,
        minDomains: c.minDomains ?? 1,
        selects: (labels: Labels) => selector(labels) && keys.every((k) => labels?.[k] === podLabels[k]),
        honorAffinity: c.nodeAffinityPolicy !== 'Ignore',
        honorTaints: c.nodeTaintsPolicy === 'Honor',
      };
    });
}

function countMatching(node: NodeInfo, c: SpreadConstraint, namespace: string | undefined): number {
  let n = 0;
  for (const p of node.pods) {
    if (p.metadata.namespace === namespace && !p.metadata.deletionTimestamp && c.selects(p.metadata.labels)) n++;
  }
  return n;
}

/** Whether node's pods count toward c's domains (node inclusion policies). */
function countsToward(c: SpreadConstraint, spec: Obj, node: NodeInfo, tolerations: Toleration[]): boolean {
  if (c.honorAffinity && !matchesRequiredAffinity(spec, node)) return false;
  if (c.honorTaints && node.taints.some((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerations.some((tol) => tolerates(tol, t)))) return false;
  return true;
}

const hasKeys = (node: NodeInfo, cs: SpreadConstraint[]) => cs.every((c) => Object.hasOwn(node.labels, c.topologyKey));

/** Matching pods per domain for each constraint, over every node that counts. */
function domainCounts(cs: SpreadConstraint[], pod: KubeObject, nodes: NodeInfo[], domainsFrom?: NodeInfo[]): Map<string, number>[] {
  const spec = pod.spec as Obj;
  const tolerations: Toleration[] = spec.tolerations ?? [];
  return cs.map((c) => {
    const counts = new Map<string, number>();
    // Soft constraints only consider domains present among the feasible nodes.
    if (domainsFrom) for (const n of domainsFrom) if (hasKeys(n, cs)) counts.set(n.labels[c.topologyKey], 0);
    for (const node of nodes) {
      if (!hasKeys(node, cs) || !countsToward(c, spec, node, tolerations)) continue;
      const value = node.labels[c.topologyKey];
      if (domainsFrom && !counts.has(value)) continue;
      counts.set(value, (counts.get(value) ?? 0) + countMatching(node, c, pod.metadata.namespace));
    }
    return counts;
  });
}

// ---- scheduling one pod --------------------------------------------------------------------

interface NodeFailure {
  reasons: string[];
  /** Unschedulable (preemption might help) rather than UnschedulableAndUnresolvable. */
  resolvable: boolean;
}

type Decision = { node: string } | { message: string };

function filterNode(
  pod: KubeObject,
  req: Requests,
  node: NodeInfo,
  hard: { cs: SpreadConstraint[]; counts: Map<string, number>[]; min: number[] },
  volumeAffinities: Obj[],
): NodeFailure | undefined {
  const spec = pod.spec as Obj;
  const tolerations: Toleration[] = spec.tolerations ?? [];
  const unresolvable = (reason: string): NodeFailure => ({ reasons: [reason], resolvable: false });

  if (node.unschedulable && !tolerations.some((t) => tolerates(t, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }))) {
    return unresolvable('node(s) were unschedulable');
  }
  const taint = node.taints.find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerations.some((tol) => tolerates(tol, t)));
  if (taint) return unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
  if (!matchesRequiredAffinity(spec, node)) return unresolvable("node(s) didn't match Pod's node affinity/selector");

  const insufficient: string[] = [];
  if (node.pods.length + 1 > node.allocatable.pods) insufficient.push('Too many pods');
  if (req.cpu || req.memory || req.storage) {
    if (node.allocatable.cpu < req.cpu + node.requested.cpu) insufficient.push('Insufficient cpu');
    if (node.allocatable.memory < req.memory + node.requested.memory) insufficient.push('Insufficient memory');
    if (node.allocatable.storage < req.storage + node.requested.storage) insufficient.push('Insufficient ephemeral-storage');
  }
  if (insufficient.length) return { reasons: insufficient, resolvable: true };
  // VolumeBinding: the PV of every bound claim must be reachable from the node (its nodeAffinity).
  if (volumeAffinities.some((required) => !((required.nodeSelectorTerms ?? []) as Obj[]).some((t) => termMatches(t, node)))) {
    return unresolvable('node(s) had volume node affinity conflict');
  }

  for (let i = 0; i < hard.cs.length; i++) {
    const c = hard.cs[i];
    if (!Object.hasOwn(node.labels, c.topologyKey)) return unresolvable("node(s) didn't match pod topology spread constraints (missing required label)");
    const self = c.selects(pod.metadata.labels) ? 1 : 0;
    const skew = (hard.counts[i].get(node.labels[c.topologyKey]) ?? 0) + self - hard.min[i];
    if (skew > c.maxSkew) return { reasons: ["node(s) didn't match pod topology spread constraints"], resolvable: true };
  }
  return undefined;
}

/** kube-scheduler's FitError message, with DefaultPreemption's post-filter message (no lower-priority victims exist here). */
export function unschedulableMessage(total: number, failures: NodeFailure[], preemptionPolicy: string | undefined): string {
  const histogram = (counts: Map<string, number>) => [...counts].map(([reason, n]) => `${n} ${reason}`).sort().join(', ');
  const reasons = new Map<string, number>();
  for (const f of failures) for (const r of f.reasons) reasons.set(r, (reasons.get(r) ?? 0) + 1);
  let message = `0/${total} nodes are available: ${histogram(reasons)}.`;
  if (preemptionPolicy === 'Never') return `${message} preemption: not eligible due to preemptionPolicy=Never..`;
  const resolvable = failures.filter((f) => f.resolvable).length;
  const preemption = new Map<string, number>();
  if (resolvable) preemption.set('No preemption victims found for incoming pod', resolvable);
  if (total - resolvable) preemption.set('Preemption is not helpful for scheduling', total - resolvable);
  message += ` preemption: 0/${total} nodes are available: ${histogram(preemption)}.`;
  return message;
}

function normalize(scores: number[], reverse: boolean): number[] {
  const top = Math.max(0, ...scores);
  if (top === 0) return scores.map(() => (reverse ? MAX_NODE_SCORE : 0));
  return scores.map((s) => {
    const n = Math.floor((MAX_NODE_SCORE * s) / top);
    return reverse ? MAX_NODE_SCORE - n : n;
  });
}

function leastAllocated(node: NodeInfo, pod: Requests): number {
  const one = (requested: number, allocatable: number) =>
    allocatable === 0 || requested > allocatable ? 0 : Math.floor(((allocatable - requested) * MAX_NODE_SCORE) / allocatable);
  return Math.floor(
    (one(node.nonZeroRequested.cpu + pod.cpu, node.allocatable.cpu) + one(node.nonZeroRequested.memory + pod.memory, node.allocatable.memory)) / 2,
  );
}

function spreadScores(pod: KubeObject, feasible: NodeInfo[], all: NodeInfo[]): number[] {
  const cs = spreadConstraints(pod, 'ScheduleAnyway');
  if (!cs.length) return feasible.map(() => 0);
  const counted = feasible.filter((n) => hasKeys(n, cs));
  const counts = domainCounts(cs, pod, all, counted);
  const weights = cs.map((c, i) => Math.log((c.topologyKey === 'kubernetes.io/hostname' ? counted.length : counts[i].size) + 2));
  const raw = feasible.map((node) => {
    if (!hasKeys(node, cs)) return -1;
    let score = 0;
    cs.forEach((c, i) => {
      const cnt = c.topologyKey === 'kubernetes.io/hostname' ? countMatching(node, c, pod.metadata.namespace) : counts[i].get(node.labels[c.topologyKey]) ?? 0;
      score += cnt * weights[i] + (c.maxSkew - 1);
    });
    return Math.round(score);
  });
  const valid = raw.filter((s) => s >= 0);
  const lo = Math.min(...valid);
  const hi = Math.max(0, ...valid);
  return raw.map((s) => (s < 0 ? 0 : hi === 0 ? MAX_NODE_SCORE : Math.floor((MAX_NODE_SCORE * (hi + lo - s)) / hi)));
}

/** Filter and score every node for pod; the chosen node, or kube-scheduler's message for why none fits. */
function decide(pod: KubeObject, nodes: NodeInfo[], rng: Random, volumeAffinities: Obj[] = []): Decision {
  if (!nodes.length) return { message: 'no nodes available to schedule pods' };
  const spec = pod.spec as Obj;
  let req: Requests;
  let nonZero: Requests;
  try {
    req = podRequests(spec);
    nonZero = podRequests(spec, true);
  } catch (e) {
    if (e instanceof QuantityError) return { message: e.message };
    throw e;
  }
  const hardCs = spreadConstraints(pod, 'DoNotSchedule');
  const hardCounts = domainCounts(hardCs, pod, nodes);
  const hard = {
    cs: hardCs,
    counts: hardCounts,
    min: hardCs.map((c, i) => (hardCounts[i].size < c.minDomains ? 0 : Math.min(...hardCounts[i].values()))),
  };
  const feasible: NodeInfo[] = [];
  const failures: NodeFailure[] = [];
  for (const node of nodes) {
    const failure = filterNode(pod, req, node, hard, volumeAffinities);
    if (failure) failures.push(failure);
    else feasible.push(node);
  }
  if (!feasible.length) return { message: unschedulableMessage(nodes.length, failures, spec.preemptionPolicy) };
  if (feasible.length === 1) return { node: feasible[0].name };

  const tolerations: Toleration[] = spec.tolerations ?? [];
  const preferTolerations = tolerations.filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
  const taintScores = normalize(
    feasible.map((n) => n.taints.filter((t) => t.effect === 'PreferNoSchedule' && !preferTolerations.some((tol) => tolerates(tol, t))).length),
    true,
  );
  const affinityScores = normalize(feasible.map((n) => preferredAffinityScore(spec, n)), false);
  const spread = spreadScores(pod, feasible, nodes);
  const totals = feasible.map(
    (n, i) =>
      WEIGHTS.taintToleration * taintScores[i] +
      WEIGHTS.nodeAffinity * affinityScores[i] +
      WEIGHTS.leastAllocated * leastAllocated(n, nonZero) +
      WEIGHTS.topologySpread * spread[i],
  );
  const best = Math.max(...totals);
  const top = feasible.filter((_, i) => totals[i] === best);
  return { node: top.length === 1 ? top[0].name : top[rng.int(0, top.length - 1)].name };
}

// ---- the scheduler -------------------------------------------------------------------------

interface QueuedPod {
  key: string;
  seq: number;
  state: 'active' | 'unschedulable' | 'backoff' | 'binding';
  attempts: number;
  lastAttempt: number;
  timer?: Timer;
}

export class Scheduler {
  private readonly queue: WorkQueue;
  private readonly rng: Random;
  private readonly events: EventRecorder;
  private readonly pending = new Map<string, QueuedPod>();
  /** Pods decided on but not yet bound: they count against their node. */
  private readonly assumed = new Map<string, { node: string; uid: string }>();
  private readonly requestCache = new WeakMap<KubeObject, { req: Requests; nonZero: Requests }>();
  private seq = 0;
  private subscribed = false;
  private running = false;
  private cycleQueued = false;

  constructor(private readonly ctx: SimContext) {
    this.queue = new WorkQueue(ctx.work);
    this.rng = ctx.random.fork('scheduler');
    this.events = new EventRecorder(ctx, { component: SCHEDULER_NAME });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (!this.subscribed) {
      this.subscribed = true;
      onChange(this.ctx, this.queue, '', 'pods', (cur, prev) => this.onPod(cur, prev));
      onChange(this.ctx, this.queue, '', 'nodes', (cur, prev) => this.onNode(cur, prev));
      // VolumeBinding: a claim that binds may let a waiting pod in.
      onChange(this.ctx, this.queue, '', 'persistentvolumeclaims', (cur, prev) => {
        if (this.running && cur && (cur.status as Obj)?.phase === 'Bound' && (prev?.status as Obj)?.phase !== 'Bound') this.moveAllToActive();
      });
    }
    const existing = [...this.ctx.api.table(this.podsInfo()).objects.values()]
      .map((s) => s.obj)
      .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || key(a).localeCompare(key(b)));
    for (const pod of existing) if (isOurs(pod)) this.enqueue(key(pod));
    this.kick();
  }

  stop(): void {
    this.running = false;
    for (const q of this.pending.values()) q.timer?.cancel();
    this.pending.clear();
    this.assumed.clear();
  }

  private podsInfo() {
    return resourceInfo(this.ctx.api, '', 'v1', 'pods');
  }

  private enqueue(k: string): void {
    if (!this.pending.has(k)) this.pending.set(k, { key: k, seq: this.seq++, state: 'active', attempts: 0, lastAttempt: 0 });
  }

  private onPod(cur: KubeObject | undefined, prev: KubeObject | undefined): void {
    if (!this.running) return;
    const obj = cur ?? prev!;
    const k = key(obj);
    if (cur && isOurs(cur)) {
      const q = this.pending.get(k);
      if (!q) {
        this.enqueue(k);
        this.kick();
      } else if (q.state === 'unschedulable' && prev && schedulingInputs(prev) !== schedulingInputs(cur)) {
        this.activate(q);
      }
    } else {
      const q = this.pending.get(k);
      if (q && q.state !== 'binding') {
        q.timer?.cancel();
        this.pending.delete(k);
      }
    }
    // An assigned pod that goes away or finishes frees room on its node.
    if (occupies(prev) && !occupies(cur)) this.moveAllToActive();
  }

  private onNode(cur: KubeObject | undefined, prev: KubeObject | undefined): void {
    if (!this.running || !cur) return;
    if (!prev || nodeInputs(prev) !== nodeInputs(cur)) this.moveAllToActive();
  }

  /** Unschedulable pods go back to the active queue, each once its backoff has passed. */
  private moveAllToActive(): void {
    for (const q of this.pending.values()) if (q.state === 'unschedulable') this.activate(q);
  }

  private activate(q: QueuedPod): void {
    const backoff = Math.min(INITIAL_BACKOFF_MS * 2 ** Math.max(0, q.attempts - 1), MAX_BACKOFF_MS);
    const wait = q.lastAttempt + backoff - this.ctx.clock.now();
    if (wait <= 0) {
      q.state = 'active';
      this.kick();
      return;
    }
    q.state = 'backoff';
    q.timer = this.ctx.clock.setTimer(wait, () => {
      q.timer = undefined;
      if (this.pending.get(q.key) !== q || q.state !== 'backoff') return;
      q.state = 'active';
      this.kick();
    });
  }

  private kick(): void {
    if (this.cycleQueued) return;
    this.cycleQueued = true;
    this.queue.push(() => {
      this.cycleQueued = false;
      this.scheduleActive();
    });
  }

  /** One pass over the active queue against one snapshot of the cluster, updated as pods are placed. */
  private scheduleActive(): void {
    if (!this.running) return;
    const pods = this.ctx.api.table(this.podsInfo());
    const active = [...this.pending.values()]
      .filter((q) => q.state === 'active')
      .map((q) => ({ q, pod: pods.get(q.key)?.obj }))
      .sort((a, b) => priority(b.pod) - priority(a.pod) || a.q.seq - b.q.seq);
    if (!active.length) return;
    const nodes = this.snapshot();
    const byName = new Map(nodes.map((n) => [n.name, n]));
    for (const { q, pod } of active) {
      if (!pod || !isOurs(pod)) {
        this.pending.delete(q.key);
        continue;
      }
      q.attempts++;
      q.lastAttempt = this.ctx.clock.now();
      const decision = this.unboundClaims(pod, nodes.length) ?? decide(pod, nodes, this.rng, this.volumeAffinities(pod));
      if ('node' in decision) {
        this.place(byName.get(decision.node)!, pod);
        this.assume(q, pod, decision.node);
      } else {
        q.state = 'unschedulable';
        this.reportUnschedulable(pod, decision.message);
      }
    }
  }

  /**
   * kube-scheduler's VolumeBinding PreFilter: a pod whose PVC is missing, or not yet bound with an
   * Immediate binding mode, fits no node until the claim binds (WaitForFirstConsumer claims pass:
   * they are bound for the chosen node before the pod is, `claimsBound`).
   */
  private unboundClaims(pod: KubeObject, total: number): { message: string } | undefined {
    const volumes = ((pod.spec as Obj)?.volumes ?? []) as Obj[];
    const pvcs = resourceInfo(this.ctx.api, '', 'v1', 'persistentvolumeclaims');
    const classes = resourceInfo(this.ctx.api, 'storage.k8s.io', 'v1', 'storageclasses');
    for (const v of volumes) {
      const claim = v.persistentVolumeClaim?.claimName as string | undefined;
      if (!claim) continue;
      const pvc = this.ctx.api.table(pvcs).get(`${pod.metadata.namespace}/${claim}`)?.obj as Obj | undefined;
      if (!pvc) return { message: `0/${total} nodes are available: persistentvolumeclaim "${claim}" not found. preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.` };
      if (pvc.status?.phase === 'Bound') continue;
      const sc = this.ctx.api.table(classes).get(pvc.spec?.storageClassName ?? '')?.obj as Obj | undefined;
      if (sc?.volumeBindingMode === 'WaitForFirstConsumer') continue;
      return { message: `0/${total} nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.` };
    }
    return undefined;
  }

  /** The required node affinity of the PV of each bound claim of the pod (VolumeBinding's Filter reads them). */
  private volumeAffinities(pod: KubeObject): Obj[] {
    const out: Obj[] = [];
    const pvcs = this.ctx.api.table(resourceInfo(this.ctx.api, '', 'v1', 'persistentvolumeclaims'));
    const pvs = this.ctx.api.table(resourceInfo(this.ctx.api, '', 'v1', 'persistentvolumes'));
    for (const v of ((pod.spec as Obj)?.volumes ?? []) as Obj[]) {
      const claim = v.persistentVolumeClaim?.claimName as string | undefined;
      const pvName = claim ? ((pvcs.get(`${pod.metadata.namespace}/${claim}`)?.obj.spec as Obj)?.volumeName as string | undefined) : undefined;
      const required = pvName ? (pvs.get(pvName)?.obj.spec as Obj)?.nodeAffinity?.required : undefined;
      if (required) out.push(required);
    }
    return out;
  }

  private snapshot(): NodeInfo[] {
    const nodes = [...this.ctx.api.table(resourceInfo(this.ctx.api, '', 'v1', 'nodes')).objects.values()]
      .map((s) => nodeInfo(s.obj))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const byName = new Map(nodes.map((n) => [n.name, n]));
    const pods = this.ctx.api.table(this.podsInfo());
    for (const s of pods.objects.values()) {
      const nodeName = (s.obj.spec as Obj)?.nodeName;
      if (!nodeName || isTerminal(s.obj)) continue;
      const node = byName.get(nodeName);
      if (node) this.place(node, s.obj);
    }
    for (const [k, a] of this.assumed) {
      const live = pods.get(k)?.obj;
      const node = byName.get(a.node);
      if (live && node && live.metadata.uid === a.uid && !(live.spec as Obj)?.nodeName) this.place(node, live);
    }
    return nodes;
  }

  private place(node: NodeInfo, pod: KubeObject): void {
    const r = this.requests(pod);
    node.requested = add(node.requested, r.req);
    node.nonZeroRequested = add(node.nonZeroRequested, r.nonZero);
    node.pods.push(pod);
  }

  private requests(pod: KubeObject): { req: Requests; nonZero: Requests } {
    let r = this.requestCache.get(pod);
    if (!r) {
      const spec = (pod.spec ?? {}) as Obj;
      try {
        r = { req: podRequests(spec), nonZero: podRequests(spec, true) };
      } catch (e) {
        if (!(e instanceof QuantityError)) throw e;
        r = { req: ZERO, nonZero: ZERO };
      }
      this.requestCache.set(pod, r);
    }
    return r;
  }

  private assume(q: QueuedPod, pod: KubeObject, node: string): void {
    q.state = 'binding';
    const uid = pod.metadata.uid!;
    this.assumed.set(q.key, { node, uid });
    const seconds = sample(this.ctx.behaviour.scheduler.bindSeconds, this.rng);
    q.timer = this.ctx.clock.setTimer(seconds * 1000, () => this.bind(q, pod, node, uid));
  }

  /**
   * kube-scheduler's VolumeBinding PreBind: a WaitForFirstConsumer claim of the pod gets the
   * annotation volume.kubernetes.io/selected-node = the chosen node, and the pod is bound only
   * once its claims are Bound (polled every second, up to the bind timeout of 600 s; then the pod
   * goes back to the queue). The provisioner provisions on seeing the annotation.
   */
  private claimsBound(pod: KubeObject, node: string): boolean {
    const volumes = ((pod.spec as Obj)?.volumes ?? []) as Obj[];
    const pvcs = resourceInfo(this.ctx.api, '', 'v1', 'persistentvolumeclaims');
    let bound = true;
    for (const v of volumes) {
      const claim = v.persistentVolumeClaim?.claimName as string | undefined;
      if (!claim) continue;
      const pvc = this.ctx.api.table(pvcs).get(`${pod.metadata.namespace}/${claim}`)?.obj as Obj | undefined;
      if (!pvc || pvc.status?.phase === 'Bound') continue;
      bound = false;
      if (!pvc.metadata?.annotations?.[SELECTED_NODE]) {
        mutate(this.ctx.api, pvcs, pod.metadata.namespace, claim, (o) => {
          o.metadata.annotations = { ...o.metadata.annotations, [SELECTED_NODE]: node };
        });
      }
    }
    return bound;
  }

  private bind(q: QueuedPod, pod: KubeObject, node: string, uid: string, waitedMs = 0): void {
    if (!this.running || this.pending.get(q.key) !== q) return;
    if (!this.claimsBound(pod, node)) {
      if (waitedMs < BIND_TIMEOUT_MS) {
        q.timer = this.ctx.clock.setTimer(1000, () => this.bind(q, pod, node, uid, waitedMs + 1000));
        return;
      }
      this.assumed.delete(q.key);
      this.pending.delete(q.key);
      this.enqueue(q.key);
      this.moveAllToActive();
      this.kick();
      return;
    }
    this.assumed.delete(q.key);
    const { namespace, name } = pod.metadata;
    try {
      const bound = this.ctx.api.bindPod(namespace!, name!, node, uid);
      this.pending.delete(q.key);
      this.events.record(referenceTo(bound.obj), 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${node}`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      // Gone, deleting or bound by someone else: the room it held is free again.
      this.pending.delete(q.key);
      const live = this.ctx.api.table(this.podsInfo()).get(q.key)?.obj;
      if (live && isOurs(live)) this.enqueue(q.key);
      this.moveAllToActive();
      this.kick();
    }
  }

  private reportUnschedulable(pod: KubeObject, message: string): void {
    const { namespace, name } = pod.metadata;
    const now = kubeTime(this.ctx.clock.now());
    // Most attempts find the pod as the last one left it: nothing to write, so nothing to copy.
    const live = this.ctx.api.table(this.podsInfo()).get(key(pod))?.obj;
    const last = ((live?.status as Obj | undefined)?.conditions as Obj[] | undefined)?.find((x) => x.type === 'PodScheduled');
    const unchanged = last?.status === 'False' && last.reason === 'Unschedulable' && last.message === message;
    const updated = unchanged ? undefined : mutate(this.ctx.api, this.podsInfo(), namespace, name!, (p) => {
      const status = (p.status ??= {});
      const conditions: Obj[] = (status.conditions ??= []);
      const c = conditions.find((x) => x.type === 'PodScheduled');
      const next = { type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: c?.status === 'False' ? c.lastTransitionTime : now, reason: 'Unschedulable', message };
      if (c) conditions[conditions.indexOf(c)] = next;
      else conditions.push(next);
    });
    this.events.record(referenceTo(updated ?? pod), 'Warning', 'FailedScheduling', message);
  }
}

function key(pod: KubeObject): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

function priority(pod: KubeObject | undefined): number {
  return ((pod?.spec as Obj)?.priority as number | undefined) ?? 0;
}

/** A pod this scheduler must place: its scheduler, no node yet, not deleting, not finished. */
function isOurs(pod: KubeObject): boolean {
  const spec = (pod.spec ?? {}) as Obj;
  return (spec.schedulerName ?? SCHEDULER_NAME) === SCHEDULER_NAME && !spec.nodeName && !pod.metadata.deletionTimestamp && !isTerminal(pod);
}

/** A pod holding room on a node. */
function occupies(pod: KubeObject | undefined): boolean {
  return !!pod && !!(pod.spec as Obj)?.nodeName && !isTerminal(pod);
}

/** What can change a pending pod's placement (its own status writes cannot). */
function schedulingInputs(pod: KubeObject): string {
  return JSON.stringify([pod.spec, pod.metadata.labels]);
}

/** What about a node the filters read (heartbeats do not change it). */
function nodeInputs(node: KubeObject): string {
  const spec = (node.spec ?? {}) as Obj;
  const status = (node.status ?? {}) as Obj;
  return JSON.stringify([
    node.metadata.labels,
    spec.taints,
    spec.unschedulable,
    status.allocatable,
    ((status.conditions ?? []) as Obj[]).map((c) => [c.type, c.status]),
  ]);
}
