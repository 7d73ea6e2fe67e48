// One backup on the embedded cluster under one flow: the simulated cluster on a virtual clock,
// the workload's PVCs, the reference controller (a node-agent per node, over HTTP, paced) and
// the Velero server role; runs until the backup has ended (or a deadline), then a grace period
// for the last cleanups, and reports what happened.
//
// The observations here come from the API server's write hook (exact and cheap, for tests and
// for checking the controller); the figures of the scenarios are computed by collectors fed by
// watches, as on any cluster.
import {
  DATA_UPLOAD_GROUP,
  DATA_UPLOAD_LABEL,
  DATA_UPLOAD_PLURAL,
  EXPOSE_ON_GOING_LABEL,
  OUTCOME_REASON_ANNOTATION,
  type DataUpload,
} from '../../controller/api/dataupload.ts';
import { parseNodeAgentConfig } from '../../controller/config.ts';
import { Controller } from '../../controller/controller.ts';
import type { FlowName } from '../../controller/flows/types.ts';
import { API_VERBS, ApiCost, KubeIo, type ApiVerb } from '../../controller/kube/io.ts';
import { ClientThrottle, veleroServerLimits } from '../../controller/kube/rate-limit.ts';
import { VeleroServer, type BackupOutcome } from '../../controller/server/backup.ts';
import type { KubeObject, ResourceInfo } from '../apiserver/types.ts';
import { startEmbeddedCluster } from '../cluster/embedded.ts';
import { computeFigures, podActivity, TERMINAL, type Figures, type PodActivity, type RunRecord } from '../figures/figures.ts';
import { lowerBounds, type BoundWorkload, type LowerBound } from '../figures/lower-bound.ts';
import { RunRecorder } from '../figures/recorder.ts';
import { QuietPacer } from '../pacer.ts';
import { seededRandom } from '../random.ts';
import { resolveBehaviour, type BehaviourOverrides } from '../sim/behaviour.ts';
import { minimumOf } from '../sim/distribution.ts';
import { affinityMatchesNode, concurrencyForNode, loadAffinityFor, type NodeAgentConfig } from '../../controller/config.ts';
import { parseBytes, parseCpu } from '../../controller/quantity.ts';
import { resourceInfo } from '../sim/context.ts';
import { createWorkloadPvc, CSI_STORAGE_CLASS } from '../sim/csi.ts';
import type { NodePoolDecl } from '../sim/nodes.ts';

/** The nodes a fault may name or select, with the hostname label every kubelet adds. */
export function faultNodes(pools: NodePoolDecl[]): { name: string; labels: Record<string, string> }[] {
  return expandNodePools(pools).map((n) => ({ name: n.name, labels: { ...n.labels, 'kubernetes.io/hostname': n.name } }));
}
import { VirtualClock } from '../sim/virtual-clock.ts';
import type { QuotaDecl } from '../scenario/scenario.ts';
import type { StorageTopology } from '../sim/context.ts';
import { parseFaults, type FaultDecl } from '../chaos/faults.ts';
import { ChaosInjector, type FaultRecord } from '../chaos/injector.ts';
import { attributeFailures, steadyStateChecks, type SteadyStateCheck } from '../chaos/steady-state.ts';
import { expandNodePools } from '../sim/nodes.ts';

export const VELERO_NAMESPACE = 'velero';

export interface BackupRunOptions {
  seed: number;
  flow: FlowName;
  nodes: NodePoolDecl[];
  pvcs: { namespace: string; name: string; size: string }[];
  /** The node-agent ConfigMap's JSON document (Velero's format plus `datamoverBench`); the flow is set from `flow`. */
  nodeAgentConfig?: Record<string, unknown>;
  behaviour?: BehaviourOverrides;
  /** The StorageClass's binding mode (default Immediate). */
  volumeBindingMode?: 'Immediate' | 'WaitForFirstConsumer';
  /** Where volumes can be attached from (embedded cluster; default none). */
  storageTopology?: StorageTopology;
  /** ResourceQuotas on Velero's namespace, made before the controller starts. */
  resourceQuotas?: QuotaDecl[];
  /** Simulated seconds after which the run stops, ended or not. */
  deadlineSeconds: number;
  itemOperationTimeoutMs?: number;
  /** The fault schedule (harness/chaos/faults.ts), checked against the nodes before the run starts. */
  faults?: FaultDecl[];
  /** Called a few times a second of wall time, and once at the end, with how far the run is. */
  onProgress?: (p: RunProgress) => void;
  /** Called on every DataUpload write: to check what the controller writes. */
  onDataUploadWrite?: (du: DataUpload) => void;
  log?: (line: string) => void;
}

export interface RunProgress {
  /** DataUploads in a terminal phase, of `total` created so far. */
  ended: number;
  total: number;
  simulatedSeconds: number;
}

const TERMINAL_PHASES = new Set<string>(TERMINAL);

export interface PhaseAt {
  phase: string;
  /** Simulated seconds since the run's start. */
  at: number;
}

export interface DataUploadRecord {
  name: string;
  pvc: string;
  phases: PhaseAt[];
  phase: string;
  reason?: string;
  message?: string;
}

export interface BackupRunResult {
  flow: FlowName;
  endedBy: 'done' | 'deadline' | 'stopped' | 'no-timers';
  outcome?: BackupOutcome;
  simulatedSeconds: number;
  wallSeconds: number;
  /** The process's resident set, sampled 4 times a second of wall time: the most seen. */
  peakRssBytes: number;
  dataUploads: DataUploadRecord[];
  /** Most data-mover pods existing at once, cluster-wide, and bound to each node. */
  peakPods: number;
  peakPodsPerNode: Record<string, number>;
  /** Most DataUploads labelled expose-on-going at once (velero-1.17's prepare queue). */
  peakExposeOnGoing: number;
  /** Most DataUploads between Accepted and the start of their data path at once (being exposed or exposed and waiting). */
  peakExposed: number;
  /** Objects the exposer makes, still present after the run. */
  leftovers: { pods: string[]; persistentVolumeClaims: string[]; volumeSnapshots: string[]; volumeSnapshotContents: string[] };
  /** Requests by verb: the node-agents' (sent + modeled), the server role's, the bench's own Events. */
  apiCost: { nodeAgents: ApiCost; server: ApiCost; events: ApiCost };
  /** The node-agents' requests per DataUpload, by verb (sent + modeled). */
  apiRequestsPerDataUpload: Record<ApiVerb, number>;
  /** The faults as they happened (simulated times, nodes chosen, what they did). */
  faults: FaultRecord[];
  /** Steady-state checks after the run: all terminal, nothing leaked, no slot held, every failure explained. */
  steadyState: SteadyStateCheck[];
  /** Failed or canceled DataUploads attributed to a fault: DataUpload name -> fault name. */
  failuresByFault: Record<string, string>;
  /** docs/design.md section 4's figures, from what the recorder's watches saw; the bound of the completed work, and of all. */
  figures: Figures & { lowerBound: LowerBound; lowerBoundAll: LowerBound };
  /** What the recorder saw, per DataUpload and per data-mover pod. */
  record: RunRecord;
  /** Each recorded pod's moving and stranded instants, in the order of record.pods. */
  activity: PodActivity[];
}

const EXPOSED_PHASES = new Set(['Accepted', 'Prepared', 'DatamoverDeploying']);

export async function runBackup(opts: BackupRunOptions): Promise<BackupRunResult> {
  const wallStart = performance.now();
  const faults = parseFaults(opts.faults, faultNodes(opts.nodes));
  const clock = new VirtualClock();
  const start = clock.now();
  const at = () => (clock.now() - start) / 1000;
  const random = seededRandom(opts.seed);
  const cluster = await startEmbeddedCluster({ clock, seed: opts.seed, simulation: { nodes: opts.nodes, behaviour: opts.behaviour, volumeBindingMode: opts.volumeBindingMode, storageTopology: opts.storageTopology } });
  const api = cluster.server.api;
  const ctx = cluster.simulation!.ctx;
  let progressTimer: NodeJS.Timeout | undefined;
  let peakRss = process.memoryUsage.rss();
  try {
    const namespaces = resourceInfo(api, '', 'v1', 'namespaces');
    for (const ns of new Set([VELERO_NAMESPACE, ...opts.pvcs.map((p) => p.namespace)])) api.create(namespaces, undefined, { metadata: { name: ns } });
    for (const p of opts.pvcs) createWorkloadPvc(ctx, { namespace: p.namespace, name: p.name, size: p.size });
    const quotas = resourceInfo(api, '', 'v1', 'resourcequotas');
    for (const q of opts.resourceQuotas ?? []) api.create(quotas, VELERO_NAMESPACE, { metadata: { name: q.name }, spec: { hard: q.hard } });
    // The quota controller fills status before anything is admitted against it.
    cluster.server.controllers.drain();

    const observer = observe(api, at, opts.onDataUploadWrite);
    const progress = () => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      opts.onProgress?.({ ended: observer.ended(), total: observer.total(), simulatedSeconds: Math.round(at()) });
    };
    // Wall-clock sampling only reads the run's state; the run never waits on it.
    progressTimer = setInterval(progress, 250);
    const kc = cluster.inProcessKubeConfig();
    const pacer = new QuietPacer(clock, random.fork('request-order'));
    const doc = opts.nodeAgentConfig ?? {};
    const config = parseNodeAgentConfig(
      { ...doc, datamoverBench: { ...((doc.datamoverBench as object) ?? {}), flow: opts.flow } },
      'the run options',
    );
    const controller = new Controller({ kubeconfig: kc, namespace: VELERO_NAMESPACE, config, clock, work: clock, pacer, modelPodPeeks: true, log: opts.log });
    const serverCost = new ApiCost();
    const serverRandom = random.fork('velero-server');
    const server = new VeleroServer(new KubeIo(kc, { who: 'velero-server', clock, work: clock, pacer, cost: serverCost, throttle: new ClientThrottle(veleroServerLimits(), clock) }), clock, () => serverRandom.next());

    opts.log?.('starting the controller');
    // Not tracked as work: every request holds the clock itself, and a tracked start would keep
    // the cluster from ever being quiet, so the pacer would never let its requests go.
    const bytes = new Map(opts.pvcs.map((p) => [`${p.namespace}/${p.name}`, parseBytes(p.size)]));
    const recorder = new RunRecorder(kc, clock, VELERO_NAMESPACE, (pvc) => bytes.get(pvc) ?? 0, start);
    await recorder.startWatching();
    await controller.start();
    opts.log?.('controller started');
    const backup = await server.startBackup({ name: 'backup-1', namespace: VELERO_NAMESPACE, pvcs: opts.pvcs, itemOperationTimeoutMs: opts.itemOperationTimeoutMs });
    const chaos = new ChaosInjector(
      { clock, start, api, server: cluster.server, sim: cluster.simulation!, controller, random: random.fork('chaos'), expectedDataUploads: opts.pvcs.length, namespace: VELERO_NAMESPACE, log: opts.log },
      faults,
    );
    const endedBy = await clock.run(() => backup.done(), start + opts.deadlineSeconds * 1000);
    const simulatedSeconds = at();
    progress();
    // The last cleanups (an exclusive cancel cleans up after its write) and pod terminations.
    await clock.run(() => false, clock.now() + 120_000);
    const outcome = endedBy === 'done' ? await backup.outcome : undefined;
    const { idleResidentMiB, busyResidentMiB } = resolveBehaviour(opts.behaviour).dataPath;
    controller.countParkedRechecks();
    const record = recorder.record(controller.cost, { idle: idleResidentMiB, busy: busyResidentMiB }, { 'node-agent': controller.cost, 'velero-server': serverCost });
    const slotsHeld = controller.slotsHeld();
    await backup.stop();
    await controller.stop();
    await recorder.stop();
    record.endAt = Math.min(record.endAt, simulatedSeconds);
    const activity = podActivity(record);
    const bounds = lowerBoundsFor(opts, config, record);
    const figures = { ...computeFigures(record, activity), lowerBound: bounds.completed, lowerBoundAll: bounds.all };

    const left = leftovers(api);
    const steadyState = steadyStateChecks({ record, leftovers: left, slotsHeld });
    await chaos.finish();
    const faultRecords = [...chaos.records, ...chaos.neverHappened()];
    const failuresByFault = Object.fromEntries(attributeFailures(record, faultRecords));
    const dataUploads = observer.records();
    const cost = controller.cost;
    const perDu = {} as Record<ApiVerb, number>;
    const total = cost.total();
    for (const v of API_VERBS) perDu[v] = dataUploads.length ? total[v] / dataUploads.length : 0;
    return {
      flow: opts.flow,
      endedBy,
      outcome,
      simulatedSeconds,
      wallSeconds: (performance.now() - wallStart) / 1000,
      peakRssBytes: peakRss,
      dataUploads,
      peakPods: observer.peakPods,
      peakPodsPerNode: observer.peakPodsPerNode,
      peakExposeOnGoing: observer.peakLabelled,
      peakExposed: observer.peakExposed,
      leftovers: left,
      faults: faultRecords,
      steadyState,
      failuresByFault,
      apiCost: { nodeAgents: cost, server: serverCost, events: controller.eventsCost },
      apiRequestsPerDataUpload: perDu,
      figures,
      record,
      activity,
    };
  } finally {
    clearInterval(progressTimer);
    await cluster.stop();
  }
}

function observe(api: import('../apiserver/api.ts').KubeApi, at: () => number, onDataUploadWrite?: (du: DataUpload) => void) {
  const phases = new Map<string, DataUploadRecord>();
  const pods = new Map<string, string | undefined>();
  const labelled = new Set<string>();
  const exposed = new Set<string>();
  const perNode = new Map<string, number>();
  const state = { peakPods: 0, peakPodsPerNode: {} as Record<string, number>, peakLabelled: 0, peakExposed: 0 };
  api.onWrite((info: ResourceInfo, cur, prev) => {
    if (info.group === DATA_UPLOAD_GROUP && info.resource === DATA_UPLOAD_PLURAL) {
      const du = (cur?.obj ?? prev?.obj) as unknown as DataUpload;
      const name = du.metadata.name!;
      if (cur) onDataUploadWrite?.(cur.obj as unknown as DataUpload);
      let rec = phases.get(name);
      if (!rec) phases.set(name, (rec = { name, pvc: du.spec.sourcePVC, phases: [], phase: '' }));
      const phase = du.status?.phase || 'New';
      if (cur && phase !== rec.phase) {
        rec.phases.push({ phase, at: at() });
        rec.phase = phase;
      }
      rec.reason = du.metadata.annotations?.[OUTCOME_REASON_ANNOTATION];
      rec.message = du.status?.message;
      if (cur && du.metadata.labels?.[EXPOSE_ON_GOING_LABEL] === 'true') labelled.add(name);
      else labelled.delete(name);
      if (cur && EXPOSED_PHASES.has(phase)) exposed.add(name);
      else exposed.delete(name);
      state.peakLabelled = Math.max(state.peakLabelled, labelled.size);
      state.peakExposed = Math.max(state.peakExposed, exposed.size);
    }
    if (info.group === '' && info.resource === 'pods') {
      const pod = (cur?.obj ?? prev?.obj) as KubeObject & { spec?: { nodeName?: string } };
      if (!pod.metadata.labels?.[DATA_UPLOAD_LABEL]) return;
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      const before = pods.get(key);
      if (before) perNode.set(before, (perNode.get(before) ?? 1) - 1);
      if (cur) {
        const node = pod.spec?.nodeName;
        pods.set(key, node);
        if (node) {
          const n = (perNode.get(node) ?? 0) + 1;
          perNode.set(node, n);
          state.peakPodsPerNode[node] = Math.max(state.peakPodsPerNode[node] ?? 0, n);
        }
      } else pods.delete(key);
      state.peakPods = Math.max(state.peakPods, pods.size);
    }
  });
  return {
    get peakPods() {
      return state.peakPods;
    },
    get peakPodsPerNode() {
      return state.peakPodsPerNode;
    },
    get peakLabelled() {
      return state.peakLabelled;
    },
    get peakExposed() {
      return state.peakExposed;
    },
    records: () => [...phases.values()].sort((a, b) => a.name.localeCompare(b.name)),
    total: () => phases.size,
    ended: () => {
      let n = 0;
      for (const r of phases.values()) if (TERMINAL_PHASES.has(r.phase)) n++;
      return n;
    },
  };
}

function leftovers(api: import('../apiserver/api.ts').KubeApi): BackupRunResult['leftovers'] {
  const names = (group: string, version: string, resource: string) =>
    api
      .list(resourceInfo(api, group, version, resource), VELERO_NAMESPACE, {})
      .items.map((o) => o.obj.metadata.name!)
      .sort();
  const vsc = api
    .list(resourceInfo(api, 'snapshot.storage.k8s.io', 'v1', 'volumesnapshotcontents'), undefined, {})
    .items.filter((o) => (o.obj as { spec?: { volumeSnapshotRef?: { namespace?: string } } }).spec?.volumeSnapshotRef?.namespace === VELERO_NAMESPACE)
    .map((o) => o.obj.metadata.name!);
  return {
    pods: names('', 'v1', 'pods'),
    persistentVolumeClaims: names('', 'v1', 'persistentvolumeclaims'),
    volumeSnapshots: names('snapshot.storage.k8s.io', 'v1', 'volumesnapshots'),
    volumeSnapshotContents: vsc,
  };
}

/** What the lower bound takes from a node-agent ConfigMap, for every target: where pods may run, slots, requests. */
export function boundSettings(config: NodeAgentConfig): Pick<BoundWorkload, 'admits' | 'slots' | 'podRequests'> {
  const r = config.podResources;
  return {
    admits: (labels) => affinityMatchesNode(loadAffinityFor(config, CSI_STORAGE_CLASS), labels),
    slots: (labels) => concurrencyForNode(config, labels),
    podRequests: { cpuCores: r.cpuRequest ? parseCpu(r.cpuRequest) / 1000 : 0, memoryGiB: r.memoryRequest ? parseBytes(r.memoryRequest) / 1024 ** 3 : 0 },
  };
}

/**
 * The lower bounds of the recorded work: the nodes as the API showed them (their labels, for
 * loadAffinity and loadConcurrency), each with its pool's data bandwidth; the fastest pod start.
 */
function lowerBoundsFor(opts: BackupRunOptions, config: NodeAgentConfig, record: RunRecord): { completed: LowerBound; all: LowerBound } {
  const behaviour = resolveBehaviour(opts.behaviour);
  const MiB = 1024 * 1024;
  const bandwidth = new Map(expandNodePools(opts.nodes).map((n) => [n.name, (n.dataMiBps ?? behaviour.dataPath.nodeMiBps) * MiB]));
  return lowerBounds({
    dataUploads: record.dataUploads,
    backupPvcs: record.backupPvcs,
    nodes: record.nodes.map((n) => ({ name: n.name, labels: n.labels, bytesPerSecond: bandwidth.get(n.name) ?? behaviour.dataPath.nodeMiBps * MiB })),
    podBytesPerSecond: behaviour.dataPath.perPodMiBps * MiB,
    podStartSeconds: minimumOf(behaviour.scheduler.bindSeconds) + minimumOf(behaviour.kubelet.podStartSeconds),
    ...boundSettings(config),
  });
}
