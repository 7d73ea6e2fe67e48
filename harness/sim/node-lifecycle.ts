// The parts of kube-controller-manager (v1.31) that act on lost nodes and their pods:
//
// - NodeLifecycleController (pkg/controller/nodelifecycle): every 5 s it checks each node's
//   heartbeats (Ready lastHeartbeatTime, the Lease in kube-node-lease); one not seen renewed
//   for behaviour.nodeLifecycle.nodeMonitorGraceSeconds gets Ready, MemoryPressure, DiskPressure
//   and PIDPressure Unknown ("Kubelet stopped posting node status."), its pods Ready False.
//   On the next pass the node is queued for the NoExecute taint node.kubernetes.io/unreachable
//   (not-ready when Ready is False), added at 0.1 nodes/s per zone; a zone in partial disruption
//   (more than 2 and at least 55 % of its nodes not ready) is tainted at 0.01/s above 50 nodes and
//   not at all below, and when every zone is fully disrupted no node is tainted (the controller
//   assumes it is the one cut off). The taints go when the node is Ready again. It also keeps the
//   NoSchedule taints in step with the node conditions (TaintNodesByCondition).
// - TaintEvictionController (pkg/controller/tainteviction): deletes (gracefully) the pods of a
//   node with NoExecute taints they do not tolerate at once, and those that tolerate them for
//   tolerationSeconds (300 s from the DefaultTolerationSeconds admission) when that time has passed,
//   with condition DisruptionTarget DeletionByTaintManager. A dead kubelet never finishes the
//   deletion: the pod stays Terminating, as on a real cluster.
// - PodGarbageCollector (pkg/controller/podgc, gcOrphaned): every 20 s, pods bound to a Node that
//   no longer exists are, after a 40 s quarantine, marked Failed with DisruptionTarget
//   DeletionByPodGC and force-deleted.
//
// The controllers' own periods and rates are kube-controller-manager's defaults, constants here;
// the grace period is declared behaviour. Ticks start when a controller starts, as wait.Until does.
import { ApiError } from '../apiserver/errors.ts';
import type { KubeObject, ResourceInfo } from '../apiserver/types.ts';
import { kubeTime, type Timer } from '../clock.ts';
import { mutate, onChange, resourceInfo, WorkQueue, type SimContext } from './context.ts';
import { EventRecorder, referenceTo } from './event-recorder.ts';
import { tolerates } from './scheduler.ts';

type Obj = Record<string, any>;

/** kube-controller-manager defaults. */
export const NODE_LIFECYCLE_DEFAULTS = {
  /** --node-monitor-period */
  nodeMonitorPeriodSeconds: 5,
  /** --node-startup-grace-period: a node that never posted a Ready condition. */
  nodeStartupGraceSeconds: 60,
  /** --node-eviction-rate, --secondary-node-eviction-rate (nodes per second tainted, per zone) */
  evictionLimiterQPS: 0.1,
  secondaryEvictionLimiterQPS: 0.01,
  /** --large-cluster-size-threshold, --unhealthy-zone-threshold */
  largeClusterThreshold: 50,
  unhealthyZoneThreshold: 0.55,
  /** podgc gcCheckPeriod and quarantineTime */
  podGcPeriodSeconds: 20,
  podGcQuarantineSeconds: 40,
} as const;

export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';
export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const EXCLUDE_DISRUPTION_LABEL = 'node.kubernetes.io/exclude-disruption';

/** Which NoSchedule taint a node condition calls for (nodeConditionToTaintKeyStatusMap). */
const CONDITION_TAINTS: Record<string, Record<string, string>> = {
  Ready: { False: NOT_READY_TAINT, Unknown: UNREACHABLE_TAINT },
  MemoryPressure: { True: 'node.kubernetes.io/memory-pressure' },
  DiskPressure: { True: 'node.kubernetes.io/disk-pressure' },
  NetworkUnavailable: { True: 'node.kubernetes.io/network-unavailable' },
  PIDPressure: { True: 'node.kubernetes.io/pid-pressure' },
};
const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';
const CONDITION_TAINT_KEYS = new Set([...Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m)), UNSCHEDULABLE_TAINT]);

interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

/** Runs the three controllers together, as kube-controller-manager does. */
export class NodeLifecycle {
  readonly nodeLifecycle: NodeLifecycleController;
  readonly taintEviction: TaintEvictionController;
  readonly podGc: PodGarbageCollector;

  constructor(ctx: SimContext) {
    this.nodeLifecycle = new NodeLifecycleController(ctx);
    this.taintEviction = new TaintEvictionController(ctx);
    this.podGc = new PodGarbageCollector(ctx);
  }

  start(): void {
    this.taintEviction.start();
    this.podGc.start();
    this.nodeLifecycle.start();
  }

  stop(): void {
    this.nodeLifecycle.stop();
    this.podGc.stop();
    this.taintEviction.stop();
  }
}

// ---- node lifecycle -----------------------------------------------------------------------

type ZoneState = 'Initial' | 'Normal' | 'PartialDisruption' | 'FullDisruption';

/** flowcontrol's token bucket with burst 1; qps 0 never accepts. */
class TokenBucket {
  private tokens = 1;
  constructor(
    readonly qps: number,
    private at: number,
  ) {}

  private refill(now: number): void {
    this.tokens = Math.min(1, this.tokens + ((now - this.at) / 1000) * this.qps);
    this.at = now;
  }

  tryAccept(now: number): boolean {
    if (this.qps <= 0) return false;
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** When a token will be there, or undefined for never. */
  nextAt(now: number): number | undefined {
    if (this.qps <= 0) return undefined;
    this.refill(now);
    return now + (Math.max(0, 1 - this.tokens) / this.qps) * 1000;
  }
}

/** A zone's NoExecute tainter (RateLimitedTimedQueue): the members stay after tainting, so a node is tainted once. */
interface Zone {
  state: ZoneState;
  queue: string[];
  members: Set<string>;
  limiter: TokenBucket;
}

interface NodeHealth {
  /** When this controller last saw a heartbeat (its own clock, as probeTimestamp). */
  probe: number;
  /** The Ready condition's lastHeartbeatTime last seen, null while the node had no Ready condition. */
  heartbeat: string | null;
  leaseRenew?: number;
}

export class NodeLifecycleController {
  private readonly queue: WorkQueue;
  private readonly nodes: ResourceInfo;
  private readonly pods: ResourceInfo;
  private readonly leases: ResourceInfo | undefined;
  private readonly events: EventRecorder;
  private readonly health = new Map<string, NodeHealth>();
  private readonly known = new Map<string, string>();
  private readonly zones = new Map<string, Zone>();
  private monitorTimer?: Timer;
  private taintTimer?: Timer;
  private subscribed = false;
  private running = false;

  constructor(private readonly ctx: SimContext) {
    this.queue = new WorkQueue(ctx.work);
    this.nodes = resourceInfo(ctx.api, '', 'v1', 'nodes');
    this.pods = resourceInfo(ctx.api, '', 'v1', 'pods');
    this.leases = ctx.api.lookup('coordination.k8s.io', 'v1', 'leases');
    this.events = new EventRecorder(ctx, { component: 'node-controller' });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (!this.subscribed) {
      this.subscribed = true;
      onChange(this.ctx, this.queue, '', 'nodes', (cur) => this.running && cur && this.syncNoScheduleTaints(cur.metadata.name!));
    }
    this.queue.push(() => this.monitor());
  }

  stop(): void {
    this.running = false;
    this.monitorTimer?.cancel();
    this.taintTimer?.cancel();
    this.monitorTimer = this.taintTimer = undefined;
  }

  private now(): number {
    return this.ctx.clock.now();
  }

  private node(name: string): Obj | undefined {
    return this.ctx.api.table(this.nodes).get(name)?.obj as Obj | undefined;
  }

  /** monitorNodeHealth, then the tainting pass that follows it. */
  private monitor(): void {
    if (!this.running) return;
    const table = this.ctx.api.table(this.nodes);
    const names = table.keys();
    const present = new Set(names);
    for (const name of names) {
      const node = this.node(name)!;
      if (!this.zones.has(zoneKey(node))) this.addZone(zoneKey(node));
      if (!this.known.has(name)) {
        this.known.set(name, node.metadata.uid);
        this.recordNode(node, 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`);
        this.markReachable(name);
      }
    }
    for (const [name, uid] of [...this.known]) {
      if (present.has(name)) continue;
      this.known.delete(name);
      this.health.delete(name);
      this.events.record({ apiVersion: 'v1', kind: 'Node', name, uid }, 'Normal', 'RemovingNode', `Node ${name} event: Removing Node ${name} from Controller`);
    }
    const zoneReady = new Map<string, (string | undefined)[]>();
    for (const name of names) {
      const node = this.node(name);
      if (!node) continue;
      const { observed, current } = this.updateHealth(node);
      if (!(EXCLUDE_DISRUPTION_LABEL in (node.metadata.labels ?? {}))) {
        const zone = zoneKey(node);
        zoneReady.set(zone, [...(zoneReady.get(zone) ?? []), current]);
      }
      if (current === undefined) continue;
      this.processTaintBasedEviction(name, observed);
      if (current !== 'True' && observed === 'True') {
        this.recordNode(this.node(name)!, 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
        this.markPodsNotReady(name);
      }
    }
    this.handleDisruption(zoneReady, names);
    this.taintingPass();
    this.monitorTimer = this.ctx.clock.setTimer(NODE_LIFECYCLE_DEFAULTS.nodeMonitorPeriodSeconds * 1000, () => this.monitor());
  }

  /** tryUpdateNodeHealth: the probe time moves when a heartbeat is seen; a node silent for the grace period goes Unknown. */
  private updateHealth(node: Obj): { observed: string; current: string | undefined } {
    const name = node.metadata.name as string;
    const now = this.now();
    const ready = findCondition(node, 'Ready');
    let h = this.health.get(name);
    let grace = this.ctx.behaviour.nodeLifecycle.nodeMonitorGraceSeconds;
    const observed = ready?.status ?? 'Unknown';
    if (!ready) {
      grace = NODE_LIFECYCLE_DEFAULTS.nodeStartupGraceSeconds;
      h ??= { probe: Date.parse(node.metadata.creationTimestamp), heartbeat: null };
    } else if (!h || h.heartbeat !== (ready.lastHeartbeatTime ?? '')) {
      h = { probe: now, heartbeat: ready.lastHeartbeatTime ?? '', leaseRenew: h?.leaseRenew };
    }
    const lease = this.leases && (this.ctx.api.table(this.leases).get(`${NODE_LEASE_NAMESPACE}/${name}`)?.obj as Obj | undefined);
    const renew = lease?.spec?.renewTime ? Date.parse(lease.spec.renewTime) : undefined;
    if (renew !== undefined && (h.leaseRenew === undefined || h.leaseRenew < renew)) {
      h.leaseRenew = renew;
      h.probe = now;
    }
    this.health.set(name, h);
    if (!(now > h.probe + grace * 1000)) return { observed, current: ready?.status };

    const at = kubeTime(now);
    let current: string | undefined;
    const written = mutate(this.ctx.api, this.nodes, undefined, name, (n) => {
      const conditions: Obj[] = ((n.status ??= {}).conditions ??= []);
      for (const type of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) {
        const c = conditions.find((x) => x.type === type);
        if (!c) {
          conditions.push({
            type,
            status: 'Unknown',
            lastHeartbeatTime: n.metadata.creationTimestamp,
            lastTransitionTime: at,
            reason: 'NodeStatusNeverUpdated',
            message: 'Kubelet never posted node status.',
          });
        } else if (c.status !== 'Unknown') {
          c.status = 'Unknown';
          c.reason = 'NodeStatusUnknown';
          c.message = 'Kubelet stopped posting node status.';
          c.lastTransitionTime = at;
        }
      }
      const r = conditions.find((x) => x.type === 'Ready')!;
      current = r.status;
      // Only a change of Ready is written, as the controller compares the Ready condition alone.
      if (ready && JSON.stringify(r) === JSON.stringify(ready)) return false;
    });
    if (written) this.health.set(name, { ...h, heartbeat: findCondition(written as Obj, 'Ready')!.lastHeartbeatTime ?? '' });
    return { observed, current: current ?? ready?.status };
  }

  /** processTaintBaseEviction, on the Ready status seen before this pass's update. */
  private processTaintBasedEviction(name: string, observed: string): void {
    const node = this.node(name);
    if (!node) return;
    if (observed === 'False' || observed === 'Unknown') {
      const [add, remove] = observed === 'False' ? [NOT_READY_TAINT, UNREACHABLE_TAINT] : [UNREACHABLE_TAINT, NOT_READY_TAINT];
      if (hasTaint(node, remove, 'NoExecute')) {
        this.swapTaints(name, [{ key: add, effect: 'NoExecute' }], [{ key: remove, effect: 'NoExecute' }]);
        return;
      }
      const zone = this.zones.get(zoneKey(node))!;
      if (!hasTaint(node, add, 'NoExecute')) removeFromZone(zone, name);
      if (!zone.members.has(name)) {
        zone.members.add(name);
        zone.queue.push(name);
      }
    } else if (observed === 'True') {
      this.markReachable(name);
    }
  }

  /** markNodeAsReachable: both NoExecute taints off, out of the tainting queue. */
  private markReachable(name: string): void {
    const node = this.node(name);
    if (!node) return;
    removeFromZone(this.zones.get(zoneKey(node))!, name);
    if (hasTaint(node, UNREACHABLE_TAINT, 'NoExecute') || hasTaint(node, NOT_READY_TAINT, 'NoExecute')) {
      this.swapTaints(name, [], [{ key: UNREACHABLE_TAINT, effect: 'NoExecute' }, { key: NOT_READY_TAINT, effect: 'NoExecute' }]);
    }
  }

  /** doNoExecuteTaintingPass: each zone taints its queued nodes as fast as its rate limiter allows. */
  private taintingPass(): void {
    this.taintTimer?.cancel();
    this.taintTimer = undefined;
    if (!this.running) return;
    const now = this.now();
    let next: number | undefined;
    for (const key of [...this.zones.keys()].sort()) {
      const zone = this.zones.get(key)!;
      while (zone.queue.length > 0) {
        if (!zone.limiter.tryAccept(now)) {
          const at = zone.limiter.nextAt(now);
          if (at !== undefined) next = Math.min(next ?? Infinity, at);
          break;
        }
        const name = zone.queue.shift()!;
        const node = this.node(name);
        if (!node) {
          zone.members.delete(name);
          continue;
        }
        const ready = findCondition(node, 'Ready')?.status;
        if (ready === 'False') this.swapTaints(name, [{ key: NOT_READY_TAINT, effect: 'NoExecute' }], [{ key: UNREACHABLE_TAINT, effect: 'NoExecute' }]);
        else if (ready === 'Unknown') this.swapTaints(name, [{ key: UNREACHABLE_TAINT, effect: 'NoExecute' }], [{ key: NOT_READY_TAINT, effect: 'NoExecute' }]);
      }
    }
    if (next !== undefined) this.taintTimer = this.ctx.clock.setTimer(next - now, () => this.taintingPass());
  }

  /** handleDisruption: zone states and their tainting rates; all zones fully disrupted stops all tainting. */
  private handleDisruption(zoneReady: Map<string, (string | undefined)[]>, names: string[]): void {
    const d = NODE_LIFECYCLE_DEFAULTS;
    const newStates = new Map<string, ZoneState>();
    let allAreFull = true;
    for (const [zone, statuses] of zoneReady) {
      const readyNodes = statuses.filter((s) => s === 'True').length;
      const notReady = statuses.length - readyNodes;
      const state: ZoneState =
        readyNodes === 0 && notReady > 0 ? 'FullDisruption' : notReady > 2 && notReady / statuses.length >= d.unhealthyZoneThreshold ? 'PartialDisruption' : 'Normal';
      if (state !== 'FullDisruption') allAreFull = false;
      newStates.set(zone, state);
      if (!this.zones.has(zone)) this.addZone(zone);
    }
    let allWereFull = true;
    for (const [zone, z] of [...this.zones]) {
      if (!zoneReady.has(zone)) continue;
      if (z.state !== 'FullDisruption') {
        allWereFull = false;
        break;
      }
    }
    if (allAreFull && allWereFull) return;
    const now = this.now();
    if (allAreFull) {
      // "Controller detected that all Nodes are not-Ready. Entering master disruption mode."
      for (const name of names) this.markReachable(name);
      for (const z of this.zones.values()) {
        this.swapLimiter(z, 0, now);
        z.state = 'FullDisruption';
      }
      return;
    }
    if (allWereFull) {
      for (const name of names) {
        const h = this.health.get(name);
        if (h) this.health.set(name, { ...h, probe: now });
      }
      for (const [zone, z] of this.zones) {
        const state = newStates.get(zone);
        if (!state) continue;
        this.setZoneRate(z, zoneReady.get(zone)!.length, state, now);
        z.state = state;
      }
      return;
    }
    for (const [zone, z] of this.zones) {
      const state = newStates.get(zone);
      if (!state || state === z.state) continue;
      this.setZoneRate(z, zoneReady.get(zone)!.length, state, now);
      z.state = state;
    }
  }

  private addZone(zone: string): void {
    this.zones.set(zone, { state: 'Initial', queue: [], members: new Set(), limiter: new TokenBucket(NODE_LIFECYCLE_DEFAULTS.evictionLimiterQPS, this.now()) });
  }

  private setZoneRate(z: Zone, size: number, state: ZoneState, now: number): void {
    const d = NODE_LIFECYCLE_DEFAULTS;
    const qps = state === 'PartialDisruption' ? (size > d.largeClusterThreshold ? d.secondaryEvictionLimiterQPS : 0) : d.evictionLimiterQPS;
    this.swapLimiter(z, qps, now);
  }

  /** RateLimitedTimedQueue.SwapLimiter: a new bucket, drained when the old one was empty. */
  private swapLimiter(z: Zone, qps: number, now: number): void {
    if (z.limiter.qps === qps) return;
    const wasEmpty = !z.limiter.tryAccept(now);
    const limiter = new TokenBucket(qps, now);
    if (qps > 0 && wasEmpty) limiter.tryAccept(now);
    z.limiter = limiter;
  }

  /** SwapNodeControllerTaint: added taints carry timeAdded now; a taint with the same key and effect is replaced. */
  private swapTaints(name: string, add: Taint[], remove: Taint[]): void {
    const at = kubeTime(this.now());
    mutate(this.ctx.api, this.nodes, undefined, name, (n) => {
      const spec = (n.spec ??= {});
      let taints: Taint[] = spec.taints ?? [];
      const before = JSON.stringify(taints);
      const same = (a: Taint, b: Taint) => a.key === b.key && a.effect === b.effect;
      taints = taints.filter((t) => !remove.some((r) => same(r, t)));
      for (const t of add) {
        if (taints.some((x) => same(x, t))) continue;
        taints.push({ key: t.key, effect: t.effect, timeAdded: at });
      }
      if (JSON.stringify(taints) === before) return false;
      if (taints.length) spec.taints = taints;
      else delete spec.taints;
    });
  }

  /** doNoScheduleTaintingPass: the NoSchedule taints that the node's conditions (and spec.unschedulable) call for. */
  private syncNoScheduleTaints(name: string): void {
    const node = this.node(name);
    if (!node) return;
    const wanted: string[] = [];
    for (const c of node.status?.conditions ?? []) {
      const key = CONDITION_TAINTS[c.type]?.[c.status];
      if (key) wanted.push(key);
    }
    if (node.spec?.unschedulable) wanted.push(UNSCHEDULABLE_TAINT);
    const present = (node.spec?.taints ?? []).filter((t: Taint) => t.effect === 'NoSchedule' && CONDITION_TAINT_KEYS.has(t.key)).map((t: Taint) => t.key);
    const add = wanted.filter((k) => !present.includes(k)).map((key) => ({ key, effect: 'NoSchedule' }));
    const remove = present.filter((k: string) => !wanted.includes(k)).map((key: string) => ({ key, effect: 'NoSchedule' }));
    if (add.length || remove.length) this.swapTaints(name, add, remove);
  }

  /** MarkPodsNotReady: the Ready condition of the node's pods goes False, with a Warning NodeNotReady on each. */
  private markPodsNotReady(node: string): void {
    const table = this.ctx.api.table(this.pods);
    const at = kubeTime(this.now());
    for (const key of table.keys()) {
      const pod = table.get(key)!.obj as Obj;
      if (pod.spec?.nodeName !== node) continue;
      const updated = mutate(this.ctx.api, this.pods, pod.metadata.namespace, pod.metadata.name, (p) => {
        const ready = (p.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready');
        if (!ready || ready.status === 'False') return false;
        ready.status = 'False';
        ready.lastTransitionTime = at;
      });
      if (updated) this.events.record(referenceTo(pod as KubeObject), 'Warning', 'NodeNotReady', 'Node is not ready');
    }
  }

  private recordNode(node: Obj, reason: string, message: string): void {
    this.events.record({ apiVersion: 'v1', kind: 'Node', name: node.metadata.name, uid: node.metadata.uid }, 'Normal', reason, message);
  }
}

// ---- taint-based eviction ------------------------------------------------------------------

interface ScheduledEviction {
  timer?: Timer;
  /** Fired: the key stays so that the pod is not deleted twice (TimedWorkerQueue keeps a nil worker). */
  fired: boolean;
}

export class TaintEvictionController {
  private readonly queue: WorkQueue;
  private readonly nodes: ResourceInfo;
  private readonly pods: ResourceInfo;
  private readonly events: EventRecorder;
  private readonly tainted = new Map<string, Taint[]>();
  private readonly scheduled = new Map<string, ScheduledEviction>();
  private subscribed = false;
  private running = false;

  constructor(private readonly ctx: SimContext) {
    this.queue = new WorkQueue(ctx.work);
    this.nodes = resourceInfo(ctx.api, '', 'v1', 'nodes');
    this.pods = resourceInfo(ctx.api, '', 'v1', 'pods');
    this.events = new EventRecorder(ctx, { component: 'taint-eviction-controller' });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (!this.subscribed) {
      this.subscribed = true;
      onChange(this.ctx, this.queue, '', 'nodes', (cur, prev) => this.running && this.nodeUpdated(cur, prev));
      onChange(this.ctx, this.queue, '', 'pods', (cur, prev) => this.running && this.podUpdated(cur, prev));
    }
    this.queue.push(() => {
      const table = this.ctx.api.table(this.nodes);
      for (const key of table.keys()) this.handleNode(key);
    });
  }

  stop(): void {
    this.running = false;
    for (const s of this.scheduled.values()) s.timer?.cancel();
    this.scheduled.clear();
    this.tainted.clear();
  }

  private nodeUpdated(cur: KubeObject | undefined, prev: KubeObject | undefined): void {
    if (cur && prev && JSON.stringify(noExecute(cur)) === JSON.stringify(noExecute(prev))) return;
    this.handleNode((cur ?? prev)!.metadata.name!);
  }

  private podUpdated(cur: KubeObject | undefined, prev: KubeObject | undefined): void {
    const spec = (o: KubeObject | undefined) => (o?.spec ?? {}) as Obj;
    if (cur && prev && JSON.stringify(spec(cur).tolerations) === JSON.stringify(spec(prev).tolerations) && spec(cur).nodeName === spec(prev).nodeName) return;
    const pod = (cur ?? prev)!;
    this.handlePod(pod.metadata.namespace!, pod.metadata.name!, spec(pod).nodeName);
  }

  private handleNode(name: string): void {
    const node = this.ctx.api.table(this.nodes).get(name)?.obj;
    if (!node) {
      this.tainted.delete(name);
      return;
    }
    const taints = noExecute(node);
    if (taints.length) this.tainted.set(name, taints);
    else this.tainted.delete(name);
    const pods = this.podsOn(name);
    if (!taints.length) {
      for (const pod of pods) this.cancel(podKey(pod));
      return;
    }
    const now = this.ctx.clock.now();
    for (const pod of pods) this.processPod(pod, taints, now);
  }

  private handlePod(namespace: string, name: string, nodeName: string | undefined): void {
    const key = `${namespace}/${name}`;
    const pod = this.ctx.api.table(this.pods).get(key)?.obj as Obj | undefined;
    if (!pod) return this.cancel(key);
    if (!nodeName || pod.spec?.nodeName !== nodeName) return;
    const taints = this.tainted.get(nodeName);
    if (!taints) return;
    this.processPod(pod, taints, this.ctx.clock.now());
  }

  /** processPodOnNode: delete now when a taint is not tolerated, else when the shortest toleration runs out. */
  private processPod(pod: Obj, taints: Taint[], now: number): void {
    const key = podKey(pod);
    const used: Obj[] = [];
    for (const taint of taints) {
      const t = (pod.spec?.tolerations ?? []).find((x: Obj) => tolerates(x, taint));
      if (!t) {
        this.cancel(key);
        this.add(key, now);
        return;
      }
      used.push(t);
    }
    const min = minTolerationSeconds(used);
    if (min < 0) return this.cancel(key);
    // A deletion already scheduled keeps its time (it started earlier, so it is never later).
    const existing = this.scheduled.get(key);
    if (existing && !existing.fired) return;
    this.add(key, now + min * 1000);
  }

  private add(key: string, fireAt: number): void {
    if (this.scheduled.has(key)) return;
    const entry: ScheduledEviction = { fired: false };
    this.scheduled.set(key, entry);
    entry.timer = this.ctx.clock.setTimer(Math.max(0, fireAt - this.ctx.clock.now()), () => {
      entry.timer = undefined;
      entry.fired = true;
      this.deletePod(key);
    });
  }

  private cancel(key: string): void {
    const entry = this.scheduled.get(key);
    if (!entry) return;
    this.scheduled.delete(key);
    if (entry.fired) return;
    entry.timer?.cancel();
    const [namespace, name] = key.split('/');
    this.events.record({ apiVersion: 'v1', kind: 'Pod', namespace, name }, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
  }

  /** addConditionAndDeletePod: DisruptionTarget DeletionByTaintManager, then a plain (graceful) delete. */
  private deletePod(key: string): void {
    const [namespace, name] = key.split('/');
    this.events.record({ apiVersion: 'v1', kind: 'Pod', namespace, name }, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    const condition = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' };
    const now = kubeTime(this.ctx.clock.now());
    mutate(this.ctx.api, this.pods, namespace, name, (p) => {
      const status = (p.status ??= {});
      const next = updateCondition(status.conditions ?? [], condition, now);
      if (!next) return false;
      status.conditions = next;
    });
    try {
      this.ctx.api.delete(this.pods, namespace, name);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
  }

  private podsOn(node: string): Obj[] {
    const table = this.ctx.api.table(this.pods);
    return table.keys().map((k) => table.get(k)!.obj as Obj).filter((p) => p.spec?.nodeName === node);
  }
}

/** getMinTolerationTime: seconds, 0 for a non-positive value, -1 when every used toleration is forever. */
function minTolerationSeconds(tolerations: Obj[]): number {
  if (tolerations.length === 0) return 0;
  let min = Infinity;
  for (const t of tolerations) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    if (t.tolerationSeconds <= 0) return 0;
    min = Math.min(min, t.tolerationSeconds);
  }
  return min === Infinity ? -1 : min;
}

// ---- pod garbage collection ---------------------------------------------------------------

export class PodGarbageCollector {
  private readonly nodes: ResourceInfo;
  private readonly pods: ResourceInfo;
  /** Missing node -> when its quarantine ends. */
  private readonly quarantine = new Map<string, number>();
  private timer?: Timer;
  private running = false;

  constructor(private readonly ctx: SimContext) {
    this.nodes = resourceInfo(ctx.api, '', 'v1', 'nodes');
    this.pods = resourceInfo(ctx.api, '', 'v1', 'pods');
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.timer = this.ctx.clock.setTimer(0, () => this.gc());
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** gcOrphaned: quarantine nodes that pods are bound to but that do not exist; after it, force-delete their pods. */
  private gc(): void {
    if (!this.running) return;
    const now = this.ctx.clock.now();
    const nodeTable = this.ctx.api.table(this.nodes);
    const podTable = this.ctx.api.table(this.pods);
    const pods = podTable.keys().map((k) => podTable.get(k)!.obj as Obj);
    for (const pod of pods) {
      const node = pod.spec?.nodeName;
      if (node && !nodeTable.get(node) && !this.quarantine.has(node)) this.quarantine.set(node, now + NODE_LIFECYCLE_DEFAULTS.podGcQuarantineSeconds * 1000);
    }
    const deleted = new Set<string>();
    for (const [node, until] of [...this.quarantine]) {
      if (until > now) continue;
      this.quarantine.delete(node);
      if (!nodeTable.get(node)) deleted.add(node);
    }
    for (const pod of pods) if (deleted.has(pod.spec?.nodeName)) this.forceDelete(pod);
    this.timer = this.ctx.clock.setTimer(NODE_LIFECYCLE_DEFAULTS.podGcPeriodSeconds * 1000, () => this.gc());
  }

  /** markFailedAndDeletePodWithCondition: Failed with DisruptionTarget DeletionByPodGC, then a delete with grace period 0. */
  private forceDelete(pod: Obj): void {
    const { namespace, name, uid } = pod.metadata;
    const now = kubeTime(this.ctx.clock.now());
    const condition = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' };
    mutate(this.ctx.api, this.pods, namespace, name, (p) => {
      if (p.metadata.uid !== uid) return false;
      const status = (p.status ??= {});
      if (status.phase === 'Succeeded' || status.phase === 'Failed') return false;
      status.phase = 'Failed';
      status.conditions = updateCondition(status.conditions ?? [], condition, now) ?? status.conditions;
    });
    try {
      this.ctx.api.delete(this.pods, namespace, name, { gracePeriodSeconds: 0, preconditions: { uid } });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
  }
}

// ---- helpers ------------------------------------------------------------------------------

/** nodetopology.GetZoneKey: region and zone labels, "" when neither is set. */
function zoneKey(node: Obj): string {
  const labels = node.metadata.labels ?? {};
  const region = labels['topology.kubernetes.io/region'] ?? labels['failure-domain.beta.kubernetes.io/region'] ?? '';
  const zone = labels['topology.kubernetes.io/zone'] ?? labels['failure-domain.beta.kubernetes.io/zone'] ?? '';
  return region === '' && zone === '' ? '' : `${region}:\x00:${zone}`;
}

function findCondition(node: Obj, type: string): Obj | undefined {
  return (node.status?.conditions ?? []).find((c: Obj) => c.type === type);
}

function hasTaint(node: Obj, key: string, effect: string): boolean {
  return (node.spec?.taints ?? []).some((t: Taint) => t.key === key && t.effect === effect);
}

function noExecute(node: KubeObject): Taint[] {
  return (((node.spec as Obj | undefined)?.taints ?? []) as Taint[]).filter((t) => t.effect === 'NoExecute');
}

function removeFromZone(zone: Zone, name: string): void {
  zone.members.delete(name);
  zone.queue = zone.queue.filter((n) => n !== name);
}

function podKey(pod: Obj): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

/** UpdatePodCondition: the new list, or undefined when nothing changes; lastTransitionTime moves with the status. */
function updateCondition(conditions: Obj[], c: Obj, now: string): Obj[] | undefined {
  const prev = conditions.find((x) => x.type === c.type);
  if (prev && prev.status === c.status && prev.reason === c.reason && prev.message === c.message) return undefined;
  const next = { type: c.type, status: c.status, lastProbeTime: null, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now, reason: c.reason, message: c.message };
  return prev ? conditions.map((x) => (x === prev ? next : x)) : [...conditions, next];
}
