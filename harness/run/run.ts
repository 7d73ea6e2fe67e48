// One backup under one flow, on any target: the embedded cluster (targets/embedded.ts), kind or
// any kubeconfig (targets/cluster.ts). The sequence is the same everywhere; a target differs
// only where a cluster really does (its clock, how the workload is made and volumes filled, how
// node-agents get their configuration, which faults it can carry out, its data path's speeds).
//
//  1. connect: the embedded cluster starts, a real one is checked (CRD, StorageClass, snapshots)
//  2. the fault schedule is checked against the cluster's nodes, before anything is created
//  3. the workload: namespaces, ResourceQuotas, PVCs (filled with their bytes on a real cluster)
//  4. the node-agents get the flow's configuration
//  5. the recorder's watches start, then the node-agents, then the backup (the Velero server role)
//  6. the fault executor starts, fed the DataUpload phases the recorder sees
//  7. wait until the backup ends or the deadline; then the grace period for the last cleanups
//  8. the record; the figures, the lower bound, the leftovers, the steady-state checks, the fault
//     log and the attribution of failures to faults, all from the API and the record
//  9. the faults still in effect are undone; the target cleans up (a real cluster's workload,
//     the embedded cluster itself)
import { BACKUP_NAME_LABEL, DATA_UPLOAD_LABEL } from '../../controller/api/dataupload.ts';
import type { Clock } from '../../controller/clock.ts';
import { affinityMatchesNode, concurrencyForNode, loadAffinityFor, parseNodeAgentConfig, type NodeAgentConfig } from '../../controller/config.ts';
import type { Controller } from '../../controller/controller.ts';
import type { FlowName } from '../../controller/flows/types.ts';
import { API_VERBS, ApiCost, KubeIo, type ApiVerb } from '../../controller/kube/io.ts';
import { ClientThrottle, VELERO_SERVER_DEFAULT, veleroServerLimits } from '../../controller/kube/rate-limit.ts';
import { parseBytes, parseCpu } from '../../controller/quantity.ts';
import { validLabelValue, VeleroServer, type BackupOutcome } from '../../controller/server/backup.ts';
import { BackupQueue, type QueuedBackup } from '../../controller/server/backup-queue.ts';
import type { FaultExecutor } from '../chaos/cluster-executor.ts';
import { parseFaults, type Fault } from '../chaos/faults.ts';
import type { FaultRecord } from '../chaos/injector.ts';
import { attributeFailures, steadyStateChecks, type SteadyStateCheck } from '../chaos/steady-state.ts';
import { computeFigures, podActivity, type Figures, type PodActivity, type RunRecord } from '../figures/figures.ts';
import { lowerBounds, type BoundWorkload, type LowerBound } from '../figures/lower-bound.ts';
import { RunRecorder } from '../figures/recorder.ts';
import type { RequestPacer } from '../../controller/kube/io.ts';
import { seededRandom, type Random } from '../random.ts';
import { resolveBehaviour } from '../sim/behaviour.ts';
import { CSI_STORAGE_CLASS } from '../sim/csi.ts';
import type { Experiment, QuotaDecl } from '../scenario/scenario.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import type { WorkTracker } from '../../controller/clock.ts';

export const VELERO_NAMESPACE = 'velero';

/**
 * One flow's run: a scenario's experiment (the workload, the embedded cluster's node pools and
 * storage settings, quotas, deadline, faults) with the flow's node-agent configuration.
 */
export interface RunSpec extends Omit<Experiment, 'nodeAgentConfig'> {
  seed: number;
  flow: FlowName;
  /** The node-agent ConfigMap's JSON document (Velero's format plus `datamoverBench`); the flow is set from `flow`. */
  nodeAgentConfig?: Record<string, unknown>;
  /** The backup's name; its DataUploads carry it as a label (a real cluster may hold other backups'). Default backup-1. */
  backupName?: string;
  /** Called a few times a second of wall time, and once at the end, with how far the run is. */
  onProgress?: (p: RunProgress) => void;
  log?: (line: string) => void;
}

/** A scenario's built experiment as one flow's spec. */
export function experimentSpec(e: Experiment, flow: FlowName, seed: number): RunSpec {
  return { ...e, seed, flow, nodeAgentConfig: e.nodeAgentConfig(flow) };
}

export interface RunProgress {
  /** DataUploads in a terminal phase, of `total` created so far. */
  ended: number;
  total: number;
  /** Scenario seconds (a real cluster's seconds times its time scale). */
  simulatedSeconds: number;
}

export interface PhaseAt {
  phase: string;
  /** Scenario seconds since the run's start. */
  at: number;
}

export interface DataUploadRecord {
  name: string;
  pvc: string;
  phases: PhaseAt[];
  phase: string;
  reason?: string;
}

export type EndedBy = 'done' | 'deadline' | 'stopped' | 'no-timers';

export interface RunResult {
  flow: FlowName;
  endedBy: EndedBy;
  outcome?: BackupOutcome;
  /** The cluster's seconds (simulated on the embedded cluster) from the start to the end of the backup or the deadline; the figures' unit too. */
  simulatedSeconds: number;
  wallSeconds: number;
  /** The process's resident set, sampled 4 times a second of wall time: the most seen. */
  peakRssBytes: number;
  /** Each DataUpload's phases as the recorder saw them. */
  dataUploads: DataUploadRecord[];
  /** Objects the exposer makes, still present after the run. */
  leftovers: Leftovers;
  /** Requests by verb: the node-agents' (sent + modeled), the server role's, the bench's own Events. */
  apiCost: { nodeAgents: ApiCost; server: ApiCost; events: ApiCost };
  /** The node-agents' requests per DataUpload, by verb (sent + modeled). */
  apiRequestsPerDataUpload: Record<ApiVerb, number>;
  /** The faults as they happened (scenario times, nodes chosen, what they did). */
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
  /** The embedded API server's own write log, a check on the recorder's watches (targets/embedded.ts); absent on real clusters. */
  observed?: WriteObservations;
}

/** Seen on every write, as it happens: the embedded API server's write hook. */
export interface WriteObservations {
  /** Most data-mover pods existing at once, cluster-wide, and bound to each node. */
  peakPods: number;
  peakPodsPerNode: Record<string, number>;
  /** Most DataUploads labelled expose-on-going at once (velero-1.17's prepare queue). */
  peakExposeOnGoing: number;
  /** Most DataUploads between Accepted and the start of their data path at once. */
  peakExposed: number;
  /** Each DataUpload's phases as written, with its status message. */
  dataUploads: (DataUploadRecord & { message?: string })[];
}

export interface Leftovers extends Record<string, string[]> {
  pods: string[];
  persistentVolumeClaims: string[];
  volumeSnapshots: string[];
  volumeSnapshotContents: string[];
}

/** The workload as it runs on a target: a real cluster scales sizes and durations down. */
export interface ShapedRun {
  pvcs: { namespace: string; name: string; size: string; bytes: number; storageClass?: string; place?: string }[];
  /** The node-agent ConfigMap document for the flow. */
  nodeAgentConfig: Record<string, unknown>;
  resourceQuotas: QuotaDecl[];
  itemOperationTimeoutMs?: number;
  deadlineSeconds: number;
}

/** How the node-agents run for a flow: in this process (a Controller), or in the cluster. */
export interface NodeAgents {
  /** In this process: its costs, slots and agents (for node-agent-restart). */
  controller?: Controller;
  start(): Promise<void>;
  /** After the figures are taken: the embedded cluster stops them here, a real cluster when its DataUploads are gone. */
  afterRecord(): Promise<void>;
}

/** What a target lists: the read the leftovers are computed from. */
export type ListNames = (apiVersion: string, resource: string, namespace: string | undefined, labelSelector?: string) => Promise<{ name: string; volumeSnapshotNamespace?: string }[]>;

/** A connected cluster, for one run. */
export interface Connected {
  kubeconfig: KubeConfig;
  clock: Clock;
  /** The requests' pacing on the embedded cluster's virtual clock. */
  io: { work?: WorkTracker; pacer?: (random: Random) => RequestPacer };
  /** Scenario seconds per cluster second: 1 on the embedded cluster. */
  timeScale: number;
  /** The nodes a fault may name or choose from. */
  nodes(): Promise<{ name: string; labels: Record<string, string> }[]>;
  /** Refuses, by name, the faults this target does not carry out. */
  checkFaults(faults: Fault[]): void;
  /** The spec's workload and settings as they run here. */
  shape(spec: RunSpec): ShapedRun;
  /** Namespaces, quotas and PVCs (filled on a real cluster); returns the run's start, ms of `clock`. */
  createWorkload(run: ShapedRun): Promise<number>;
  /** The write hook's observations (embedded only), registered before anything runs. */
  observeWrites?(at: () => number): () => WriteObservations;
  nodeAgents(config: NodeAgentConfig, doc: Record<string, unknown>, pacer?: RequestPacer): Promise<NodeAgents>;
  faultExecutor(faults: Fault[], o: { nodes: { name: string; labels: Record<string, string> }[]; random: Random; start: number; expectedDataUploads: number; controller?: Controller; log?: (line: string) => void }): FaultExecutor;
  /** Runs until `done` or the deadline (ms of `clock`). */
  runUntil(done: () => boolean, deadline: number): Promise<EndedBy>;
  /** The grace period for the last cleanups and pod terminations. */
  settle(left: () => Promise<Leftovers>): Promise<void>;
  list: ListNames;
  /** What the lower bound takes from the cluster's data path. */
  dataPath(config: NodeAgentConfig): { nodeBytesPerSecond(node: { name: string; labels: Record<string, string> }): number; podBytesPerSecond: number; podStartSeconds?: number };
  /** Removes what the run made (a real cluster's workload), stops what the target started. */
  close(): Promise<void>;
}

export interface Target {
  readonly name: 'embedded' | 'kind' | 'kubeconfig';
  connect(spec: RunSpec): Promise<Connected>;
}

export async function runFlow(spec: RunSpec, target: Target): Promise<RunResult> {
  const wallStart = performance.now();
  const random = seededRandom(spec.seed);
  // 1. the cluster
  const cluster = await target.connect(spec);
  const { clock, kubeconfig: kc, timeScale } = cluster;
  let progressTimer: NodeJS.Timeout | undefined;
  let chaos: FaultExecutor | undefined;
  let recorder: RunRecorder | undefined;
  try {
    // 2. the fault schedule against the cluster's own nodes
    const nodes = await cluster.nodes();
    const faults = parseFaults(spec.faults, nodes);
    cluster.checkFaults(faults);
    // 3. the workload
    const run = cluster.shape(spec);
    const start = await cluster.createWorkload(run);
    const at = () => (clock.now() - start) / 1000;
    const observed = cluster.observeWrites?.(at);
    // 4. the node-agents' configuration
    const doc = run.nodeAgentConfig;
    const config = parseNodeAgentConfig({ ...doc, datamoverBench: { ...((doc.datamoverBench as object) ?? {}), flow: spec.flow } }, 'the run options');
    const pacer = cluster.io.pacer?.(random.fork('request-order'));
    const agents = await cluster.nodeAgents(config, doc, pacer);
    const serverCost = new ApiCost();
    const serverRandom = random.fork('velero-server');
    const serverLimits = timeScale === 1 ? veleroServerLimits() : veleroServerLimits({ qps: VELERO_SERVER_DEFAULT.qps * timeScale, burst: VELERO_SERVER_DEFAULT.burst });
    const server = new VeleroServer(
      new KubeIo(kc, { who: 'velero-server', clock, work: cluster.io.work, pacer, cost: serverCost, throttle: new ClientThrottle(serverLimits, clock) }),
      clock,
      () => serverRandom.next(),
    );
    const planned = backupSpecs(spec, run, timeScale);
    const backups = new BackupQueue(server, clock, planned, { concurrentBackups: spec.concurrentBackups });
    const backupNames = backups.names().map(validLabelValue);
    // 5. the recorder, the node-agents, the backup
    const bytes = new Map(run.pvcs.map((p) => [`${p.namespace}/${p.name}`, p.bytes]));
    const selector = backupNames.length === 1 ? `${BACKUP_NAME_LABEL}=${backupNames[0]}` : `${BACKUP_NAME_LABEL} in (${backupNames.join(',')})`;
    recorder = new RunRecorder(kc, clock, VELERO_NAMESPACE, (pvc) => bytes.get(pvc) ?? 0, start, selector);
    const rec = recorder;
    let peakRss = process.memoryUsage.rss();
    const progress = () => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      spec.onProgress?.({ ...rec.counts(), simulatedSeconds: Math.round(at() * timeScale) });
    };
    // Wall-clock sampling only reads the run's state; the run never waits on it.
    progressTimer = setInterval(progress, 250);
    // Phases seen before the executor exists are kept for it.
    const early: [string, string][] = [];
    recorder.phaseListeners.add((du, phase) => (chaos ? chaos.observe(du, phase) : early.push([du, phase])));
    await recorder.startWatching();
    spec.log?.('starting the node-agents');
    await agents.start();
    await backups.start();
    // 6. the faults
    chaos = cluster.faultExecutor(faults, { nodes, random: random.fork('chaos'), start, expectedDataUploads: planned.reduce((n, b) => n + b.pvcs.length, 0), controller: agents.controller, log: spec.log });
    for (const [du, phase] of early.splice(0)) chaos.observe(du, phase);
    // 7. until the backup ends, then the grace period
    const endedBy = await cluster.runUntil(() => backups.done(), start + run.deadlineSeconds * 1000);
    const seconds = at();
    progress();
    spec.log?.(`backup ${endedBy} after ${Math.round(seconds * timeScale)} s; the grace period for the last cleanups`);
    const left = () => leftovers(cluster.list);
    await cluster.settle(left);
    // 8. the record and what is computed from it
    const outcome = endedBy === 'done' ? await backups.outcome() : undefined;
    const controller = agents.controller;
    controller?.countParkedRechecks();
    const nodeAgentCost = controller?.cost ?? new ApiCost();
    const { idleResidentMiB, busyResidentMiB } = resolveBehaviour(spec.behaviour).dataPath;
    const record = recorder.record(nodeAgentCost, { idle: idleResidentMiB, busy: busyResidentMiB }, { 'node-agent': nodeAgentCost, 'velero-server': serverCost });
    const slotsHeld = controller?.slotsHeld() ?? {};
    await backups.stop();
    await agents.afterRecord();
    await recorder.stop();
    record.endAt = Math.min(record.endAt, seconds);
    const activity = podActivity(record);
    const bounds = lowerBoundsOf(record, config, cluster.dataPath(config));
    const figures = { ...computeFigures(record, activity), lowerBound: bounds.completed, lowerBoundAll: bounds.all };
    const leftNow = await left();
    const steadyState = steadyStateChecks({ record, leftovers: leftNow, slotsHeld });
    // 9. what is still in effect is undone
    await chaos.stop();
    const faultRecords = chaos.faultRecords();
    const total = nodeAgentCost.total();
    const perDu = {} as Record<ApiVerb, number>;
    for (const v of API_VERBS) perDu[v] = record.dataUploads.length ? total[v] / record.dataUploads.length : 0;
    return {
      flow: spec.flow,
      endedBy,
      outcome,
      simulatedSeconds: seconds,
      wallSeconds: (performance.now() - wallStart) / 1000,
      peakRssBytes: peakRss,
      dataUploads: record.dataUploads.map((d) => ({ name: d.name, pvc: d.pvc, phases: d.phases, phase: d.phases[d.phases.length - 1]?.phase ?? '', reason: d.reason })),
      leftovers: leftNow,
      faults: faultRecords,
      steadyState,
      failuresByFault: Object.fromEntries(attributeFailures(record, faultRecords)),
      apiCost: { nodeAgents: nodeAgentCost, server: serverCost, events: controller?.eventsCost ?? new ApiCost() },
      apiRequestsPerDataUpload: perDu,
      figures,
      record,
      activity,
      ...(observed ? { observed: observed() } : {}),
    };
  } finally {
    clearInterval(progressTimer);
    // An error or an interruption: nothing the schedule did stays done.
    await chaos?.stop();
    await recorder?.stop();
    await cluster.close();
  }
}

/**
 * The run's backups: one of every PVC (named spec.backupName, default backup-1), or the spec's,
 * each of the PVCs in its namespaces (on a real cluster named after the run: <backupName>-<name>),
 * created at its start (scenario seconds; the cluster's are fewer by the time scale).
 */
export function backupSpecs(spec: RunSpec, run: ShapedRun, timeScale: number): QueuedBackup[] {
  const common = { namespace: VELERO_NAMESPACE, itemOperationTimeoutMs: run.itemOperationTimeoutMs };
  if (!spec.backups?.length) return [{ ...common, name: spec.backupName ?? 'backup-1', pvcs: run.pvcs }];
  return spec.backups.map((b) => ({
    ...common,
    name: spec.backupName ? `${spec.backupName}-${b.name}`.slice(0, 63).replace(/-+$/, '') : b.name,
    pvcs: run.pvcs.filter((p) => b.namespaces.includes(p.namespace)),
    startAfterMs: ((b.startAfterSeconds ?? 0) * 1000) / timeScale,
  }));
}

/** The objects the exposer makes, still present in Velero's namespace (VolumeSnapshotContents: those bound to its snapshots). */
async function leftovers(list: ListNames): Promise<Leftovers> {
  const names = async (apiVersion: string, resource: string, labelSelector?: string) => (await list(apiVersion, resource, VELERO_NAMESPACE, labelSelector)).map((o) => o.name).sort();
  const contents = await list('snapshot.storage.k8s.io/v1', 'volumesnapshotcontents', undefined);
  return {
    pods: await names('v1', 'pods', DATA_UPLOAD_LABEL),
    persistentVolumeClaims: await names('v1', 'persistentvolumeclaims'),
    volumeSnapshots: await names('snapshot.storage.k8s.io/v1', 'volumesnapshots'),
    volumeSnapshotContents: contents.filter((c) => c.volumeSnapshotNamespace === VELERO_NAMESPACE).map((c) => c.name),
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
 * loadAffinity and loadConcurrency), each with its data bandwidth on this target; the fastest
 * pod start where the target knows it.
 */
function lowerBoundsOf(record: RunRecord, config: NodeAgentConfig, path: ReturnType<Connected['dataPath']>): { completed: LowerBound; all: LowerBound } {
  return lowerBounds({
    dataUploads: record.dataUploads,
    backupPvcs: record.backupPvcs,
    nodes: record.nodes.map((n) => ({ name: n.name, labels: n.labels, bytesPerSecond: path.nodeBytesPerSecond(n) })),
    podBytesPerSecond: path.podBytesPerSecond,
    ...(path.podStartSeconds !== undefined ? { podStartSeconds: path.podStartSeconds } : {}),
    ...boundSettings(config),
  });
}
