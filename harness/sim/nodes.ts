// The embedded cluster's nodes: declared as pools, registered as a kubelet registers its Node,
// kept alive by per-node heartbeats (the node Lease and the node status), and given node
// conditions with the taints the node lifecycle controller adds for them.
//
// What runs pods on a node is the kubelet component (kubelet.ts); this file is only the Node
// object's life: registration, heartbeats, conditions. The chaos work stops a node's heartbeats
// to kill its kubelet (stopHeartbeat) and flips conditions to put it under pressure.
import { kubeMicroTime, kubeTime, type Timer } from '../clock.ts';
import type { KubeApi } from '../apiserver/api.ts';
import { validateDns1123Subdomain, validateLabelValue, validateQualifiedName } from '../apiserver/names.ts';
import type { KubeObject } from '../apiserver/types.ts';
import type { Random } from '../random.ts';
import { mutate, resourceInfo, type SimContext } from './context.ts';
import { EventRecorder } from './event-recorder.ts';
import { NODE_ANNOTATIONS } from './programs.ts';
import { formatBytes, formatCpu, parseBytes, parseCount, parseCpu, QuantityError, type Quantity } from './quantity.ts';

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
  /** Set by the node lifecycle controller on the NoExecute taints it adds. */
  timeAdded?: string;
}

export interface NodeResources {
  cpu: Quantity;
  memory: Quantity;
  pods: Quantity;
  'ephemeral-storage'?: Quantity;
}

/** One node, fully resolved: what createNodes registers. */
export interface NodeDecl {
  name: string;
  /** Declared labels; the kubelet's own (hostname, os, arch, instance type) are added on registration. */
  labels: Record<string, string>;
  taints: Taint[];
  capacity: { cpu: string; memory: string; pods: string; 'ephemeral-storage': string };
  allocatable: { cpu: string; memory: string; pods: string; 'ephemeral-storage': string };
  /** Data bandwidth of this node in MiB/s (behaviour.dataPath.nodeMiBps when absent). */
  dataMiBps?: number;
  /** node.kubernetes.io/instance-type. */
  instanceType?: string;
}

/**
 * A group of identical nodes, as a scenario declares them: `count` nodes named
 * `<namePrefix>-1` ... `<namePrefix>-<count>`, or exactly the nodes in `names`.
 */
export interface NodePoolDecl {
  count?: number;
  namePrefix?: string;
  names?: string[];
  labels?: Record<string, string>;
  taints?: Taint[];
  capacity: NodeResources;
  /**
   * Defaults to capacity minus a small reserve: cpu - 100m and memory - 100Mi (kube-reserved
   * plus the kubelet's default hard eviction threshold memory.available<100Mi, which the kubelet
   * subtracts from allocatable), ephemeral-storage - 10% (nodefs.available<10%), pods unchanged.
   */
  allocatable?: Partial<NodeResources>;
  dataMiBps?: number;
  instanceType?: string;
  /** Zones the pool's nodes are spread over, in turn: node i gets topology.kubernetes.io/zone = zones[i % zones.length]. */
  zones?: string[];
}

/** The well-known label of a node's zone (and of a zonal volume's node affinity). */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

export class NodePoolError extends Error {}

/** The reserve subtracted from capacity when allocatable is not declared (see NodePoolDecl.allocatable). */
export const DEFAULT_RESERVE = { cpuMillis: 100, memoryBytes: 100 * 1024 ** 2, ephemeralStorageFraction: 0.1 };
/** The kubelet reports ephemeral-storage capacity; a pool that does not declare it gets this disk. */
export const DEFAULT_EPHEMERAL_STORAGE = '100Gi';

const POOL_FIELDS = ['count', 'namePrefix', 'names', 'labels', 'taints', 'capacity', 'allocatable', 'dataMiBps', 'instanceType', 'zones'];
const RESOURCE_FIELDS = ['cpu', 'memory', 'pods', 'ephemeral-storage'];
const EFFECTS: TaintEffect[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

type Parsed = { cpu: number; memory: number; pods: number; 'ephemeral-storage': number };

/** Expands pools into nodes; throws NodePoolError naming every bad field, its value and what is accepted. */
export function expandNodePools(pools: NodePoolDecl[]): NodeDecl[] {
  const problems: string[] = [];
  const out: NodeDecl[] = [];
  const seen = new Map<string, string>();
  if (!Array.isArray(pools)) throw new NodePoolError(`nodePools: ${JSON.stringify(pools)} is not accepted: use a list of node pools`);
  pools.forEach((pool, i) => {
    const at = `nodePools[${i}]`;
    const bad = (field: string, value: unknown, accepted: string) =>
      problems.push(`${at}.${field}: ${JSON.stringify(value)} is not accepted: ${accepted}`);
    if (typeof pool !== 'object' || pool === null) {
      problems.push(`${at}: ${JSON.stringify(pool)} is not accepted: use an object with ${POOL_FIELDS.join(', ')}`);
      return;
    }
    for (const k of Object.keys(pool)) {
      if (!POOL_FIELDS.includes(k)) problems.push(`${at}.${k}: unknown field; accepted: ${POOL_FIELDS.join(', ')}`);
    }

    const names = poolNames(pool, bad, (msg) => problems.push(`${at}: ${msg}`));
    for (const name of names) {
      const errs = validateDns1123Subdomain(name);
      if (errs.length) bad('names', name, errs.join('; '));
      const other = seen.get(name);
      if (other) problems.push(`${at}: node name ${JSON.stringify(name)} is already declared by ${other}`);
      seen.set(name, at);
    }

    const labels = pool.labels ?? {};
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) bad('labels', labels, 'use a map of label keys to string values');
    else {
      for (const [k, v] of Object.entries(labels)) {
        for (const e of validateQualifiedName(k)) bad('labels', k, `label key ${e}`);
        if (typeof v !== 'string') bad(`labels[${k}]`, v, 'use a string value');
        else for (const e of validateLabelValue(v)) bad(`labels[${k}]`, v, e);
      }
    }

    const taints = pool.taints ?? [];
    if (!Array.isArray(taints)) bad('taints', taints, 'use a list of {key, value?, effect}');
    else {
      taints.forEach((t, j) => {
        if (typeof t?.key !== 'string') return bad(`taints[${j}].key`, t?.key, 'use a label key such as dedicated or example.com/role');
        for (const e of validateQualifiedName(t.key)) bad(`taints[${j}].key`, t.key, `taint key ${e}`);
        if (t.value !== undefined) {
          if (typeof t.value !== 'string') bad(`taints[${j}].value`, t.value, 'use a string');
          else for (const e of validateLabelValue(t.value)) bad(`taints[${j}].value`, t.value, e);
        }
        if (!EFFECTS.includes(t.effect)) bad(`taints[${j}].effect`, t.effect, `use one of ${EFFECTS.join(', ')}`);
      });
    }

    const missing = (field: string, accepted: string) => problems.push(`${at}.${field}: required; ${accepted}`);
    const capacity = parseResources(pool.capacity, 'capacity', true, bad, missing) as Parsed | undefined; // required: all present when ok
    const allocatable = capacity && parseResources(pool.allocatable ?? {}, 'allocatable', false, bad);
    let resolvedAllocatable: Parsed | undefined;
    if (capacity && allocatable) {
      resolvedAllocatable = {
        cpu: allocatable.cpu ?? Math.max(0, capacity.cpu - DEFAULT_RESERVE.cpuMillis),
        memory: allocatable.memory ?? Math.max(0, capacity.memory - DEFAULT_RESERVE.memoryBytes),
        pods: allocatable.pods ?? capacity.pods,
        'ephemeral-storage':
          allocatable['ephemeral-storage'] ?? Math.floor(capacity['ephemeral-storage'] * (1 - DEFAULT_RESERVE.ephemeralStorageFraction)),
      };
      for (const r of RESOURCE_FIELDS as (keyof Parsed)[]) {
        if (resolvedAllocatable[r] > capacity[r]) {
          bad(`allocatable.${r}`, pool.allocatable?.[r], `allocatable cannot exceed capacity (${formatResource(r, capacity[r])})`);
        }
      }
    }

    if (pool.dataMiBps !== undefined && !(typeof pool.dataMiBps === 'number' && Number.isFinite(pool.dataMiBps) && pool.dataMiBps > 0)) {
      bad('dataMiBps', pool.dataMiBps, 'use a number of MiB/s > 0');
    }
    if (pool.instanceType !== undefined) {
      if (typeof pool.instanceType !== 'string') bad('instanceType', pool.instanceType, 'use a string such as m5.2xlarge');
      else for (const e of validateLabelValue(pool.instanceType)) bad('instanceType', pool.instanceType, e);
    }

    const zones = pool.zones;
    if (zones !== undefined) {
      if (!Array.isArray(zones) || zones.length === 0 || zones.some((z) => typeof z !== 'string')) bad('zones', zones, 'use a non-empty list of zone names such as ["zone-a", "zone-b"]');
      else for (const z of zones) for (const e of validateLabelValue(z)) bad('zones', z, e);
      if (typeof labels === 'object' && labels !== null && ZONE_LABEL in labels) problems.push(`${at}: give zones or the label ${ZONE_LABEL}, not both`);
    }

    if (!capacity || !resolvedAllocatable) return;
    for (const [n, name] of names.entries()) {
      out.push({
        name,
        labels: { ...(labels as Record<string, string>), ...(Array.isArray(zones) && zones.length ? { [ZONE_LABEL]: zones[n % zones.length] } : {}) },
        taints: Array.isArray(taints) ? taints.map((t) => ({ ...t })) : [],
        capacity: formatResources(capacity),
        allocatable: formatResources(resolvedAllocatable),
        ...(pool.dataMiBps !== undefined ? { dataMiBps: pool.dataMiBps } : {}),
        ...(pool.instanceType !== undefined ? { instanceType: pool.instanceType } : {}),
      });
    }
  });
  if (problems.length) throw new NodePoolError(problems.join('\n'));
  return out;
}

function poolNames(pool: NodePoolDecl, bad: (f: string, v: unknown, a: string) => void, problem: (msg: string) => void): string[] {
  const { count, namePrefix, names } = pool;
  if (count !== undefined && !(Number.isInteger(count) && count > 0)) {
    bad('count', count, 'use a whole number > 0');
    return [];
  }
  if (names !== undefined) {
    if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string')) {
      bad('names', names, 'use a non-empty list of node names');
      return [];
    }
    if (namePrefix !== undefined) problem('give namePrefix (with count) or names, not both');
    if (count !== undefined && count !== names.length) bad('count', count, `count must equal the number of names (${names.length}) or be left out`);
    return names;
  }
  if (namePrefix === undefined || count === undefined) {
    problem('give count and namePrefix (nodes <namePrefix>-1 ... <namePrefix>-<count>), or names');
    return [];
  }
  if (typeof namePrefix !== 'string' || namePrefix === '') {
    bad('namePrefix', namePrefix, 'use a non-empty string such as worker');
    return [];
  }
  return Array.from({ length: count }, (_, i) => `${namePrefix}-${i + 1}`);
}

function parseResources(
  decl: unknown,
  field: 'capacity' | 'allocatable',
  required: boolean,
  bad: (f: string, v: unknown, a: string) => void,
  missing: (f: string, a: string) => void = () => {},
): Partial<Parsed> | undefined {
  if (typeof decl !== 'object' || decl === null || Array.isArray(decl)) {
    bad(field, decl, 'use an object such as {cpu: "4", memory: "16Gi", pods: 110}');
    return undefined;
  }
  const d = decl as Record<string, Quantity | undefined>;
  const out: Partial<Parsed> = {};
  let ok = true;
  for (const k of Object.keys(d)) if (!RESOURCE_FIELDS.includes(k)) bad(`${field}.${k}`, d[k], `unknown resource; accepted: ${RESOURCE_FIELDS.join(', ')}`);
  const accepted = (r: keyof Parsed) => (r === 'pods' ? 'use a whole number of pods' : 'use a Kubernetes quantity such as 500m, 2, 16Gi, 1G or 1e3');
  const take = (r: keyof Parsed, parse: (q: Quantity, f: string) => number) => {
    const v = d[r];
    if (v === undefined) {
      if (required && r !== 'ephemeral-storage') {
        missing(`${field}.${r}`, accepted(r));
        ok = false;
      }
      return;
    }
    try {
      const n = parse(v, `${field}.${r}`);
      if (n < 0 || (required && n === 0 && r !== 'ephemeral-storage')) {
        bad(`${field}.${r}`, v, `use a quantity ${required ? '> 0' : '>= 0'}`);
        ok = false;
      } else out[r] = n;
    } catch (e) {
      if (!(e instanceof QuantityError)) throw e;
      bad(`${field}.${r}`, v, accepted(r));
      ok = false;
    }
  };
  take('cpu', parseCpu);
  take('memory', parseBytes);
  take('pods', parseCount);
  take('ephemeral-storage', parseBytes);
  if (required && out['ephemeral-storage'] === undefined && ok) out['ephemeral-storage'] = parseBytes(DEFAULT_EPHEMERAL_STORAGE);
  return ok ? out : undefined;
}

function formatResource(r: keyof Parsed, v: number): string {
  return r === 'cpu' ? formatCpu(v) : r === 'pods' ? String(v) : formatBytes(v);
}

function formatResources(p: Partial<Parsed>): NodeDecl['capacity'] {
  return {
    cpu: formatCpu(p.cpu!),
    memory: formatBytes(p.memory!),
    pods: String(p.pods!),
    'ephemeral-storage': formatBytes(p['ephemeral-storage']!),
  };
}

// ---- registration -------------------------------------------------------------------------

export const KUBELET_VERSION = 'v1.31.0';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** kubelet nodeLeaseDurationSeconds default. */
const LEASE_DURATION_SECONDS = 40;

/** The Node object a kubelet registers for decl (Ready, no pressure), with seeded identity. */
export function nodeObject(decl: NodeDecl, index: number, subnet: number, rng: Random, nowMs: number): KubeObject {
  const now = kubeTime(nowMs);
  const host = index + 2;
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': decl.name,
    'kubernetes.io/os': 'linux',
    ...(decl.instanceType ? { 'node.kubernetes.io/instance-type': decl.instanceType, 'beta.kubernetes.io/instance-type': decl.instanceType } : {}),
    ...decl.labels,
  };
  const annotations: Record<string, string> = {
    'node.alpha.kubernetes.io/ttl': '0',
    'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
    ...(decl.dataMiBps !== undefined ? { [NODE_ANNOTATIONS.dataMiBps]: String(decl.dataMiBps) } : {}),
  };
  const hex = (n: number) => Array.from({ length: n }, () => rng.int(0, 15).toString(16)).join('');
  const uuid = () => `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
  const resources = (r: NodeDecl['capacity']) => ({
    cpu: r.cpu,
    'ephemeral-storage': r['ephemeral-storage'],
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: r.memory,
    pods: r.pods,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: decl.name, labels, annotations },
    spec: decl.taints.length ? { taints: decl.taints.map((t) => ({ ...t })) } : {},
    status: {
      capacity: resources(decl.capacity),
      allocatable: resources(decl.allocatable),
      conditions: KUBELET_CONDITIONS.map((type) => kubeletCondition(type, type === 'Ready' ? 'True' : 'False', now, now)),
      addresses: [
        { type: 'InternalIP', address: `10.${subnet}.${Math.floor(host / 256)}.${host % 256}` },
        { type: 'Hostname', address: decl.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: hex(32),
        systemUUID: uuid(),
        bootID: uuid(),
        kernelVersion: '6.8.0-1015-aws',
        osImage: 'Ubuntu 24.04.1 LTS',
        containerRuntimeVersion: 'containerd://1.7.22',
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: KUBELET_VERSION,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

/**
 * Registers the declared nodes (Node + Lease in kube-node-lease) and starts their heartbeats.
 * Returns the resolved nodes. Throws NodePoolError on a bad declaration, before creating anything.
 */
export function createNodes(ctx: SimContext, pools: NodePoolDecl[]): NodeDecl[] {
  const decls = expandNodePools(pools);
  const rng = ctx.random.fork('nodes');
  const subnet = rng.int(0, 255);
  const nodes = resourceInfo(ctx.api, '', 'v1', 'nodes');
  const namespaces = resourceInfo(ctx.api, '', 'v1', 'namespaces');
  if (!ctx.api.table(namespaces).get(NODE_LEASE_NAMESPACE)) ctx.api.create(namespaces, undefined, { metadata: { name: NODE_LEASE_NAMESPACE } });
  const beats = heartbeats(ctx);
  decls.forEach((decl, i) => {
    ctx.api.create(nodes, undefined, nodeObject(decl, i, subnet, rng, ctx.clock.now()));
    beats.register(decl.name, rng.next(), rng.next());
  });
  return decls;
}

// ---- heartbeats ---------------------------------------------------------------------------

export type NodeConditionType = 'Ready' | 'MemoryPressure' | 'DiskPressure' | 'PIDPressure';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** The conditions the kubelet owns, in the order it writes them (Ready last). */
const KUBELET_CONDITIONS: NodeConditionType[] = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'];

/** The kubelet's reasons and messages (pkg/kubelet/nodestatus/setters.go) and its node event reasons. */
const KUBELET_WORDING: Record<NodeConditionType, Record<'True' | 'False', { reason: string; message: string; event: string }>> = {
  Ready: {
    True: { reason: 'KubeletReady', message: 'kubelet is posting ready status', event: 'NodeReady' },
    False: { reason: 'KubeletNotReady', message: 'container runtime is down', event: 'NodeNotReady' },
  },
  MemoryPressure: {
    True: { reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available', event: 'NodeHasInsufficientMemory' },
    False: { reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', event: 'NodeHasSufficientMemory' },
  },
  DiskPressure: {
    True: { reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure', event: 'NodeHasDiskPressure' },
    False: { reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure', event: 'NodeHasNoDiskPressure' },
  },
  PIDPressure: {
    True: { reason: 'KubeletHasInsufficientPID', message: 'kubelet has insufficient PID available', event: 'NodeHasInsufficientPID' },
    False: { reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available', event: 'NodeHasSufficientPID' },
  },
};

/** What the node lifecycle controller writes when the kubelet stops posting status. */
const UNKNOWN_WORDING = { reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' };

function kubeletCondition(type: NodeConditionType, status: 'True' | 'False', heartbeat: string, transition: string) {
  const { reason, message } = KUBELET_WORDING[type][status];
  return { type, status, lastHeartbeatTime: heartbeat, lastTransitionTime: transition, reason, message };
}

/**
 * The NoSchedule taints the node lifecycle controller keeps in step with conditions
 * (TaintNodesByCondition). The NoExecute taints of taint-based eviction are node-lifecycle.ts's:
 * it adds them on its own schedule, rate limit and disruption rules, so they are left alone here.
 */
export const CONDITION_TAINTS: { type: NodeConditionType; status: ConditionStatus; key: string; effects: TaintEffect[] }[] = [
  { type: 'Ready', status: 'False', key: 'node.kubernetes.io/not-ready', effects: ['NoSchedule'] },
  { type: 'Ready', status: 'Unknown', key: 'node.kubernetes.io/unreachable', effects: ['NoSchedule'] },
  { type: 'MemoryPressure', status: 'True', key: 'node.kubernetes.io/memory-pressure', effects: ['NoSchedule'] },
  { type: 'DiskPressure', status: 'True', key: 'node.kubernetes.io/disk-pressure', effects: ['NoSchedule'] },
  { type: 'PIDPressure', status: 'True', key: 'node.kubernetes.io/pid-pressure', effects: ['NoSchedule'] },
];

/** Makes node.spec.taints carry exactly the condition taints its conditions call for (other taints untouched). */
function syncConditionTaints(node: Record<string, any>, nowMs: number): void {
  const conditions: { type: string; status: string }[] = node.status?.conditions ?? [];
  const statusOf = (type: string) => conditions.find((c) => c.type === type)?.status;
  const spec = (node.spec ??= {});
  const managed = new Set(CONDITION_TAINTS.map((t) => t.key));
  const current: Taint[] = spec.taints ?? [];
  const wanted = CONDITION_TAINTS.filter((t) => statusOf(t.type) === t.status);
  const next: Taint[] = current.filter(
    (t) => !managed.has(t.key) || t.effect !== 'NoSchedule' || wanted.some((w) => w.key === t.key && w.effects.includes(t.effect)),
  );
  for (const w of wanted) {
    for (const effect of w.effects) {
      if (!next.some((t) => t.key === w.key && t.effect === effect)) {
        next.push(effect === 'NoExecute' ? { key: w.key, effect, timeAdded: kubeTime(nowMs) } : { key: w.key, effect });
      }
    }
  }
  if (next.length) spec.taints = next;
  else delete spec.taints;
}

interface Beat {
  running: boolean;
  lease?: Timer;
  status?: Timer;
  /** What the kubelet itself observes: it writes these back whenever it posts status. */
  view: Record<NodeConditionType, 'True' | 'False'>;
}

/**
 * Per node, what keeps a Node alive: the Lease renewed every behaviour.kubelet.leaseRenewSeconds
 * and the node status (every condition's lastHeartbeatTime) posted every
 * nodeStatusReportSeconds. Stopping a node's heartbeat is killing its kubelet.
 */
export class NodeHeartbeats {
  private readonly beats = new Map<string, Beat>();
  private readonly kubeletEvents = new Map<string, EventRecorder>();
  private readonly nodeController: EventRecorder;

  constructor(private readonly ctx: SimContext) {
    this.nodeController = new EventRecorder(ctx, { component: 'node-controller' });
  }

  /** Starts heartbeats for a just-registered node; its first renewals land at the given fractions of their intervals, so nodes do not beat in step. */
  register(name: string, leasePhase = 0, statusPhase = 0): void {
    if (this.beats.has(name)) return;
    this.beats.set(name, { running: false, view: { Ready: 'True', MemoryPressure: 'False', DiskPressure: 'False', PIDPressure: 'False' } });
    this.ensureLease(name);
    const k = this.ctx.behaviour.kubelet;
    this.run(name, k.leaseRenewSeconds * leasePhase, k.nodeStatusReportSeconds * statusPhase);
  }

  running(name: string): boolean {
    return this.beats.get(name)?.running ?? false;
  }

  /** The kubelet restarts: it renews its Lease and posts its status now, then keeps doing so. */
  start(name: string): void {
    const beat = this.known(name);
    if (beat.running) return;
    const k = this.ctx.behaviour.kubelet;
    if (!this.renewLease(name) || !this.postStatus(name)) return this.forget(name);
    this.run(name, k.leaseRenewSeconds, k.nodeStatusReportSeconds);
  }

  private run(name: string, firstLeaseSeconds: number, firstStatusSeconds: number): void {
    this.beats.get(name)!.running = true;
    this.schedule(name, 'lease', firstLeaseSeconds);
    this.schedule(name, 'status', firstStatusSeconds);
  }

  private known(name: string): Beat {
    const beat = this.beats.get(name);
    if (!beat) {
      throw new Error(`node ${JSON.stringify(name)} has no kubelet heartbeat: nodes with one are ${[...this.beats.keys()].join(', ') || 'none'}`);
    }
    return beat;
  }

  /** The kubelet dies: no more Lease renewals or status posts until start(). */
  stop(name: string): void {
    const beat = this.known(name);
    beat.running = false;
    beat.lease?.cancel();
    beat.status?.cancel();
  }

  stopAll(): void {
    for (const name of this.beats.keys()) this.stop(name);
  }

  /**
   * Sets a node condition as the kubelet reports it (True/False, with the kubelet's reason and
   * message) or as the node lifecycle controller does (Unknown), and the matching taints.
   */
  setCondition(name: string, type: NodeConditionType, status: ConditionStatus, override: { reason?: string; message?: string } = {}): KubeObject | undefined {
    const beat = this.beats.get(name);
    if (beat && status !== 'Unknown') beat.view[type] = status;
    const nowMs = this.ctx.clock.now();
    const now = kubeTime(nowMs);
    let changed = false;
    const node = mutate(this.ctx.api, resourceInfo(this.ctx.api, '', 'v1', 'nodes'), undefined, name, (n) => {
      const conditions: Record<string, any>[] = ((n.status ??= {}).conditions ??= []);
      let c = conditions.find((x) => x.type === type);
      if (!c) conditions.push((c = { type }));
      const wording = status === 'Unknown' ? UNKNOWN_WORDING : KUBELET_WORDING[type][status];
      changed = c.status !== status;
      if (changed) c.lastTransitionTime = now;
      c.status = status;
      c.reason = override.reason ?? wording.reason;
      c.message = override.message ?? wording.message;
      // The kubelet's post is a heartbeat; the controller's Unknown keeps the last one it saw.
      if (status !== 'Unknown' || !c.lastHeartbeatTime) c.lastHeartbeatTime = now;
      syncConditionTaints(n, nowMs);
    });
    if (node && changed) {
      if (status === 'Unknown') {
        if (type === 'Ready') this.nodeController.record(nodeRef(node), 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
      } else {
        const event = KUBELET_WORDING[type][status].event;
        this.kubeletRecorder(name).record({ kind: 'Node', name, uid: name }, 'Normal', event, `Node ${name} status is now: ${event}`);
      }
    }
    return node;
  }

  private kubeletRecorder(name: string): EventRecorder {
    let r = this.kubeletEvents.get(name);
    if (!r) this.kubeletEvents.set(name, (r = new EventRecorder(this.ctx, { component: 'kubelet', host: name })));
    return r;
  }

  private schedule(name: string, what: 'lease' | 'status', seconds: number): void {
    const beat = this.beats.get(name)!;
    const k = this.ctx.behaviour.kubelet;
    const interval = what === 'lease' ? k.leaseRenewSeconds : k.nodeStatusReportSeconds;
    if (!(interval > 0)) return; // an interval of 0 turns this heartbeat off
    const timer = this.ctx.clock.setTimer(seconds * 1000, () => {
      if (!beat.running) return;
      const alive = what === 'lease' ? this.renewLease(name) : this.postStatus(name);
      if (alive) this.schedule(name, what, interval);
      else this.forget(name);
    });
    if (what === 'lease') beat.lease = timer;
    else beat.status = timer;
  }

  /** A deleted Node is not re-registered by its kubelet here: its heartbeats end. */
  private forget(name: string): void {
    const beat = this.beats.get(name);
    beat?.lease?.cancel();
    beat?.status?.cancel();
    this.beats.delete(name);
  }

  private nodeExists(name: string): KubeObject | undefined {
    return this.ctx.api.table(resourceInfo(this.ctx.api, '', 'v1', 'nodes')).get(name)?.obj;
  }

  private ensureLease(name: string): void {
    const node = this.nodeExists(name);
    if (!node) return;
    const leases = resourceInfo(this.ctx.api, 'coordination.k8s.io', 'v1', 'leases');
    if (this.ctx.api.table(leases).get(`${NODE_LEASE_NAMESPACE}/${name}`)) return;
    this.ctx.api.create(leases, NODE_LEASE_NAMESPACE, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        namespace: NODE_LEASE_NAMESPACE,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid! }],
      },
      spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: kubeMicroTime(this.ctx.clock.now()) },
    });
  }

  /** Returns false when the node is gone. */
  private renewLease(name: string): boolean {
    if (!this.nodeExists(name)) return false;
    const leases = resourceInfo(this.ctx.api, 'coordination.k8s.io', 'v1', 'leases');
    const renewed = mutate(this.ctx.api, leases, NODE_LEASE_NAMESPACE, name, (l) => {
      l.spec = { ...l.spec, renewTime: kubeMicroTime(this.ctx.clock.now()) };
    });
    if (!renewed) this.ensureLease(name);
    return true;
  }

  /** The kubelet's periodic status post: its own view of every condition, with a fresh heartbeat. Returns false when the node is gone. */
  private postStatus(name: string): boolean {
    const beat = this.beats.get(name)!;
    const nowMs = this.ctx.clock.now();
    const now = kubeTime(nowMs);
    const transitions: [NodeConditionType, 'True' | 'False'][] = [];
    const node = mutate(this.ctx.api, resourceInfo(this.ctx.api, '', 'v1', 'nodes'), undefined, name, (n) => {
      const conditions: Record<string, any>[] = ((n.status ??= {}).conditions ??= []);
      for (const type of KUBELET_CONDITIONS) {
        const want = beat.view[type];
        const i = conditions.findIndex((x) => x.type === type);
        const c = i >= 0 ? conditions[i] : undefined;
        if (!c || c.status !== want) {
          const fresh = kubeletCondition(type, want, now, now);
          if (c) conditions[i] = fresh;
          else conditions.push(fresh);
          transitions.push([type, want]);
        } else c.lastHeartbeatTime = now;
      }
      syncConditionTaints(n, nowMs);
    });
    if (!node) return false;
    for (const [type, status] of transitions) {
      const event = KUBELET_WORDING[type][status].event;
      this.kubeletRecorder(name).record({ kind: 'Node', name, uid: name }, 'Normal', event, `Node ${name} status is now: ${event}`);
    }
    return true;
  }
}

function nodeRef(node: KubeObject) {
  return { apiVersion: 'v1', kind: 'Node', name: node.metadata.name!, uid: node.metadata.uid };
}

const registry = new WeakMap<KubeApi, NodeHeartbeats>();

/** The heartbeats of ctx's cluster (one per API). */
export function heartbeats(ctx: SimContext): NodeHeartbeats {
  let h = registry.get(ctx.api);
  if (!h) registry.set(ctx.api, (h = new NodeHeartbeats(ctx)));
  return h;
}

/** Kills node's kubelet as far as the control plane can tell: its Lease and status stop being renewed. */
export function stopHeartbeat(ctx: SimContext, node: string): void {
  heartbeats(ctx).stop(node);
}

/** Restarts node's kubelet: it renews its Lease and re-posts its own view of the conditions at once. */
export function startHeartbeat(ctx: SimContext, node: string): void {
  heartbeats(ctx).start(node);
}

/**
 * Sets a node condition with the kubelet's reason and message (True/False) or the node lifecycle
 * controller's (Unknown), and the taints that follow from it, e.g. MemoryPressure True ->
 * KubeletHasInsufficientMemory + node.kubernetes.io/memory-pressure:NoSchedule. A True/False
 * value is also what the node's kubelet keeps reporting from then on.
 */
export function setNodeCondition(
  ctx: SimContext,
  node: string,
  type: NodeConditionType,
  status: ConditionStatus,
  override?: { reason?: string; message?: string },
): KubeObject | undefined {
  return heartbeats(ctx).setCondition(node, type, status, override);
}
