// One backup under one flow on a real cluster (kind, or any kubeconfig), on the wall clock: the
// same workload, controller, Velero server role, recorder and figures as on the embedded
// cluster, with the sizes and durations scaled down so a run fits in minutes (ClusterScale).
//
// What it does, in order:
// 1. checks the cluster: the DataUpload CRD, the StorageClass, the VolumeSnapshotClass;
// 2. removes what an earlier run of ours left (namespaces labelled WORKLOAD_LABEL), creates the
//    workload's namespaces and PVCs, and fills each volume with its scaled size of random bytes
//    (one short pod per PVC, then deleted);
// 3. starts the node-agents with the flow's configuration: in-cluster (writes the node-agent
//    ConfigMap and restarts the DaemonSet's pods, which read it at start) or local (in this
//    process, against the same API, as `npm run controller -- node-agent` does);
// 4. runs the backup (the Velero server role, from this process), records it through watches
//    until it ends or the scaled deadline passes, waits for the last cleanups;
// 5. reports figures and steady-state checks, then deletes the workload's namespaces and the
//    backup's DataUploads, so the next flow starts from the same state.
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import {
  BACKUP_NAME_LABEL,
  DATA_UPLOAD_GROUP,
  DATA_UPLOAD_LABEL,
  DATA_UPLOAD_PLURAL,
  DATA_UPLOAD_VERSION,
} from '../../controller/api/dataupload.ts';
import { WallClock } from '../../controller/clock.ts';
import { concurrencyForNode, parseNodeAgentConfig, type NodeAgentConfig } from '../../controller/config.ts';
import { Controller } from '../../controller/controller.ts';
import { formatGoDuration } from '../../controller/duration.ts';
import type { FlowName } from '../../controller/flows/types.ts';
import { API_VERBS, ApiCost, errorMessage, KubeIo, statusOf, type ApiVerb } from '../../controller/kube/io.ts';
import { ClientThrottle, VELERO_SERVER_DEFAULT, veleroServerLimits } from '../../controller/kube/rate-limit.ts';
import { formatBytes, parseBytes } from '../../controller/quantity.ts';
import { VeleroServer } from '../../controller/server/backup.ts';
import { parseFaults, type Fault } from '../chaos/faults.ts';
import { ShellFaultExecutor, undoInterrupted } from '../chaos/shell-executor.ts';
import { attributeFailures, steadyStateChecks } from '../chaos/steady-state.ts';
import { seededRandom } from '../random.ts';
import { computeFigures, podActivity, type RunRecord } from '../figures/figures.ts';
import { lowerBounds, type LowerBound } from '../figures/lower-bound.ts';
import { RunRecorder } from '../figures/recorder.ts';
import type { Experiment } from '../scenario/scenario.ts';
import { resolveBehaviour } from '../sim/behaviour.ts';
import { CSI_SNAPSHOT_CLASS, CSI_STORAGE_CLASS, VELERO_SNAPSHOT_CLASS_LABEL } from '../sim/csi.ts';
import { RUN_SECONDS_ANNOTATION } from '../sim/programs.ts';
import type { BackupRunResult, RunProgress } from './backup-run.ts';
import { boundSettings, VELERO_NAMESPACE } from './backup-run.ts';

const MiB = 1024 * 1024;
/** On the namespaces a run creates: the next run deletes what is left of them. */
export const WORKLOAD_LABEL = 'datamover-bench.io/workload';
/** The node-agent DaemonSet of kind/manifests/node-agent.yaml. */
export const NODE_AGENT_DAEMONSET = 'node-agent';
export const NODE_AGENT_SELECTOR = 'app.kubernetes.io/name=node-agent';
export const NODE_AGENT_CONFIG_MAP = 'node-agent-config';
export const KIND_IMAGE = 'datamover-bench:dev';

/**
 * How a scenario shrinks to fit a real cluster. Durations (the prepare, deploy and item
 * operation timeouts, the pod deadline, the run's deadline) are divided by `time`; volume sizes
 * by `size`; the real data mover is throttled to the simulation's per-pod throughput x time /
 * size, so a volume takes 1/time of its simulated transfer time. What is not scaled: pod start,
 * snapshot and provisioning latencies (the cluster's own), and the node's shared bandwidth.
 */
export interface ClusterScale {
  time: number;
  size: number;
}
// 30: a large-pvc volume (20 GiB, 205 s at 100 MiB/s) moves in about 7 s, against a real pod
// start of a few seconds that is not scaled; 60 made that overhead as long as the transfer.
export const KIND_SCALE: ClusterScale = { time: 30, size: 1024 };

export class ClusterRunError extends Error {}

export interface ClusterRunOptions {
  kubeconfig: KubeConfig;
  flow: FlowName;
  experiment: Experiment;
  scale: ClusterScale;
  /** in-cluster: the DaemonSet of kind/manifests; local: node-agents in this process. */
  nodeAgents: 'in-cluster' | 'local';
  /** The image of the fill pods and of the data-mover pods (local node-agents). */
  image?: string;
  storageClass?: string;
  /** A distinct name per run: the backup, and the label that tells its DataUploads apart. */
  backupName: string;
  /** kind: the scenario's faults are carried out with docker and kubectl (ShellFaultExecutor). Default kubeconfig: none are. */
  target?: 'kind' | 'kubeconfig';
  /** The seed of the fault schedule's node choices. Default 1. */
  seed?: number;
  onProgress?: (p: RunProgress) => void;
  log?: (line: string) => void;
}

/** The experiment as it runs on a real cluster: sizes, durations and throughput scaled. */
export function scaleExperiment(e: Experiment, flow: FlowName, scale: ClusterScale) {
  // The embedded cluster's storage settings: a real cluster's are its StorageClass's and driver's.
  if (e.volumeBindingMode === 'WaitForFirstConsumer') {
    throw new ClusterRunError('--binding-mode WaitForFirstConsumer sets the embedded cluster\'s StorageClass; on a real cluster the binding mode is that of --storage-class (kubectl get storageclass): leave --binding-mode at Immediate');
  }
  if (e.storageTopology && e.storageTopology !== 'none') {
    throw new ClusterRunError(`--storage-topology ${e.storageTopology} places the embedded cluster's volumes; on a real cluster the CSI driver decides (csi-driver-host-path on kind is node-local): leave --storage-topology at none`);
  }
  for (const [k, v] of Object.entries(scale)) {
    if (!(Number.isFinite(v) && v >= 1)) throw new ClusterRunError(`scale.${k}: ${v} is not accepted: a number of 1 or more`);
  }
  const pvcs = e.pvcs.map((p) => {
    const bytes = Math.max(MiB, Math.round(parseBytes(p.size) / scale.size));
    return { ...p, bytes, size: `${Math.ceil(bytes / MiB)}Mi` };
  });
  const doc = e.nodeAgentConfig(flow);
  const parsed = parseNodeAgentConfig({ ...doc, datamoverBench: { ...((doc.datamoverBench as object) ?? {}), flow } }, `the ${flow} configuration`);
  const scaled = (ms: number) => formatGoDuration(Math.max(1000, Math.round(ms / scale.time)));
  const perPodMiBps = resolveBehaviour(e.behaviour).dataPath.perPodMiBps;
  const throughputKi = Math.max(1, Math.round((perPodMiBps * 1024 * scale.time) / scale.size));
  const nodeAgentConfig = {
    ...doc,
    datamoverBench: {
      flow,
      prepareTimeout: scaled(parsed.prepareTimeoutMs),
      deployTimeout: scaled(parsed.deployTimeoutMs),
      ...(parsed.podInProgressTimeoutMs ? { podInProgressTimeout: scaled(parsed.podInProgressTimeoutMs) } : {}),
      dataMoverThroughput: `${throughputKi}Ki`,
      // Requests per scaled second: time runs scale.time times faster, so tokens do too.
      clientQPS: scaledQps(parsed.clientLimit.qps, scale),
      clientBurst: parsed.clientLimit.burst,
    },
  };
  // Storage limits shrink with the volumes; counts, CPU and memory stay (the pods are as configured).
  const resourceQuotas = (e.resourceQuotas ?? []).map((q) => ({
    name: q.name,
    hard: Object.fromEntries(
      Object.entries(q.hard).map(([k, v]) => [k, k === 'requests.storage' || k.endsWith('.storageclass.storage.k8s.io/requests.storage') ? formatBytes(Math.ceil(parseBytes(v, `quota ${q.name} ${k}`) / scale.size)) : v]),
    ),
  }));
  return {
    pvcs,
    nodeAgentConfig,
    resourceQuotas,
    config: parseNodeAgentConfig(nodeAgentConfig, `the scaled ${flow} configuration`),
    itemOperationTimeoutMs: Math.round((e.itemOperationTimeoutMs ?? 4 * 3600_000) / scale.time),
    deadlineSeconds: e.deadlineSeconds / scale.time,
    podBytesPerSecond: throughputKi * 1024,
  };
}

/** A client QPS on the scaled clock: time runs `scale.time` times faster, so do the tokens (-1, no limit, stays). */
export function scaledQps(qps: number, scale: ClusterScale): number {
  return qps < 0 ? qps : qps * scale.time;
}

export async function runBackupOnCluster(opts: ClusterRunOptions): Promise<BackupRunResult> {
  const wallStart = performance.now();
  const log = opts.log ?? (() => undefined);
  const kc = opts.kubeconfig;
  const clock = new WallClock();
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const image = opts.image ?? KIND_IMAGE;
  const storageClass = opts.storageClass ?? CSI_STORAGE_CLASS;
  const run = scaleExperiment(opts.experiment, opts.flow, opts.scale);

  await checkCluster(kc, storageClass);
  // The fault schedule against the cluster's own nodes, before anything is created.
  const schedule = await faultSchedule(core, opts);
  await deleteWorkloadNamespaces(core, log);
  const namespaces = [...new Set(run.pvcs.map((p) => p.namespace))];
  await ensureNamespace(core, VELERO_NAMESPACE, {});
  for (const ns of namespaces) await ensureNamespace(core, ns, { [WORKLOAD_LABEL]: 'true' });
  await applyQuotas(core, run.resourceQuotas, log);
  log(`filling ${run.pvcs.length} volumes (${Math.round(run.pvcs.reduce((s, p) => s + p.bytes, 0) / MiB)} MiB)`);
  await fillVolumes(core, run.pvcs, storageClass, image, log);

  const start = clock.now();
  const cost = new ApiCost();
  const eventsCost = new ApiCost();
  let controller: Controller | undefined;
  if (opts.nodeAgents === 'in-cluster') {
    await restartNodeAgents(kc, run.nodeAgentConfig, log);
  } else {
    await refuseInClusterAgents(core);
    controller = new Controller({ kubeconfig: kc, namespace: VELERO_NAMESPACE, config: run.config, clock, dataMoverPod: { image, env: [] }, log });
    await controller.start();
  }
  const bytes = new Map(run.pvcs.map((p) => [`${p.namespace}/${p.name}`, p.bytes]));
  const recorder = new RunRecorder(kc, clock, VELERO_NAMESPACE, (pvc) => bytes.get(pvc) ?? 0, start, `${BACKUP_NAME_LABEL}=${opts.backupName}`);
  const chaos = schedule && faultExecutor(schedule, opts, run.pvcs.length, clock, start, log);
  if (chaos) recorder.phaseListeners.add((du, phase) => chaos.executor.observe(du, phase));
  const serverCost = new ApiCost();
  const server = new VeleroServer(new KubeIo(kc, { who: 'velero-server', clock, cost: serverCost, throttle: new ClientThrottle(veleroServerLimits({ qps: scaledQps(VELERO_SERVER_DEFAULT.qps, opts.scale), burst: VELERO_SERVER_DEFAULT.burst }), clock) }), clock);
  let progressTimer: NodeJS.Timeout | undefined;
  let peakRss = process.memoryUsage.rss();
  const at = () => (clock.now() - start) / 1000;
  try {
    await recorder.startWatching();
    const backup = await server.startBackup({ name: opts.backupName, namespace: VELERO_NAMESPACE, pvcs: run.pvcs, itemOperationTimeoutMs: run.itemOperationTimeoutMs });
    const progress = () => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      // In the scenario's own time: the run's seconds times the time scale.
      opts.onProgress?.({ ...recorder.counts(), simulatedSeconds: Math.round(at() * opts.scale.time) });
    };
    progressTimer = setInterval(progress, 1000);
    const deadline = start + run.deadlineSeconds * 1000;
    while (!backup.done() && clock.now() < deadline) await clock.sleep(500);
    const endedBy = backup.done() ? 'done' : 'deadline';
    const seconds = at();
    progress();
    log(`backup ${endedBy} after ${Math.round(seconds)} s; waiting for the last cleanups`);
    // What the schedule still has in effect is undone before the figures are taken.
    await chaos?.executor.stop();
    await waitForCleanups(kc, clock, 120_000);
    const outcome = endedBy === 'done' ? await backup.outcome : undefined;
    const behaviour = resolveBehaviour(opts.experiment.behaviour).dataPath;
    controller?.countParkedRechecks();
    const record = recorder.record(controller?.cost ?? cost, { idle: behaviour.idleResidentMiB, busy: behaviour.busyResidentMiB }, { 'node-agent': controller?.cost ?? cost, 'velero-server': serverCost });
    record.endAt = Math.min(record.endAt, seconds);
    const slotsHeld = controller?.slotsHeld() ?? {};
    await backup.stop();
    const left = await leftovers(kc);
    const activity = podActivity(record);
    const computed = computeFigures(record, activity);
    const bounds = lowerBoundsOnCluster(run.config, record, run.podBytesPerSecond);
    const figures = { ...computed, lowerBound: bounds.completed, lowerBoundAll: bounds.all };
    const faultRecords = chaos ? [...chaos.executor.records, ...chaos.executor.neverHappened()] : [];
    const nodeAgentCost = controller?.cost ?? cost;
    const total = nodeAgentCost.total();
    const perDu = {} as Record<ApiVerb, number>;
    for (const v of API_VERBS) perDu[v] = record.dataUploads.length ? total[v] / record.dataUploads.length : 0;
    return {
      flow: opts.flow,
      endedBy,
      outcome,
      simulatedSeconds: seconds,
      wallSeconds: (performance.now() - wallStart) / 1000,
      peakRssBytes: peakRss,
      dataUploads: record.dataUploads.map((d) => ({ name: d.name, pvc: d.pvc, phases: d.phases, phase: d.phases[d.phases.length - 1]?.phase ?? '', reason: d.reason })),
      peakPods: computed.peakDataMoverPods,
      peakPodsPerNode: computed.peakDataMoverPodsPerNode,
      peakExposeOnGoing: 0,
      peakExposed: 0,
      leftovers: left,
      faults: faultRecords,
      steadyState: steadyStateChecks({ record, leftovers: left, slotsHeld }),
      failuresByFault: Object.fromEntries(attributeFailures(record, faultRecords)),
      apiCost: { nodeAgents: nodeAgentCost, server: serverCost, events: controller?.eventsCost ?? eventsCost },
      apiRequestsPerDataUpload: perDu,
      figures,
      record,
      activity,
    };
  } finally {
    clearInterval(progressTimer);
    // An error or an interruption: nothing the schedule did stays done.
    await chaos?.executor.stop();
    chaos?.release();
    await recorder.stop();
    // DataUploads carry the node-agents' finalizer: delete them while the node-agents run.
    await custom
      .deleteCollectionNamespacedCustomObject({ group: DATA_UPLOAD_GROUP, version: DATA_UPLOAD_VERSION, namespace: VELERO_NAMESPACE, plural: DATA_UPLOAD_PLURAL, labelSelector: `${BACKUP_NAME_LABEL}=${opts.backupName}` })
      .catch((e) => log(`deleting the DataUploads: ${errorMessage(e)}`));
    await deleteWorkloadNamespaces(core, log);
    await removeQuotas(core, run.resourceQuotas, log);
    await controller?.stop();
  }
}

/**
 * The run's fault schedule on a real cluster, checked against the cluster's own nodes: on kind it
 * is carried out by commands (ShellFaultExecutor); elsewhere it is refused (the CLI refuses
 * first, naming the faults).
 */
async function faultSchedule(core: CoreV1Api, opts: ClusterRunOptions) {
  const decls = opts.experiment.faults ?? [];
  if (!decls.length) return undefined;
  if (opts.target !== 'kind') throw new ClusterRunError(`the scenario injects faults (${decls.map((f) => f.kind).join(', ')}): on --target kubeconfig they are not carried out yet; use --target kind or embedded`);
  const nodes = (await core.listNode()).items.map((n) => ({ name: n.metadata!.name!, labels: n.metadata?.labels ?? {} }));
  try {
    return { faults: parseFaults(decls, nodes), nodes };
  } catch (e) {
    throw new ClusterRunError(`the fault schedule on this cluster: ${(e as Error).message}`);
  }
}

/** The schedule carried out from the run's start; an interruption (Ctrl-C) undoes what is in effect. */
function faultExecutor(schedule: { faults: Fault[]; nodes: { name: string; labels: Record<string, string> }[] }, opts: ClusterRunOptions, expectedDataUploads: number, clock: WallClock, start: number, log: (line: string) => void) {
  const executor = new ShellFaultExecutor({ ...schedule, random: seededRandom(opts.seed ?? 1).fork('chaos'), timeScale: opts.scale.time, expectedDataUploads, clock, start, log });
  return { executor, release: undoInterrupted(executor) };
}

/** The scenario's ResourceQuotas on Velero's namespace, labelled as ours (one left by an earlier run is replaced). */
async function applyQuotas(core: CoreV1Api, quotas: { name: string; hard: Record<string, string> }[], log: (line: string) => void): Promise<void> {
  for (const q of quotas) {
    await core.deleteNamespacedResourceQuota({ name: q.name, namespace: VELERO_NAMESPACE }).catch((e) => {
      if (statusOf(e) !== 404) throw e;
    });
    await core.createNamespacedResourceQuota({ namespace: VELERO_NAMESPACE, body: { metadata: { name: q.name, labels: { [WORKLOAD_LABEL]: 'true' } }, spec: { hard: q.hard } } });
    log(`ResourceQuota ${VELERO_NAMESPACE}/${q.name}: ${Object.entries(q.hard).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  }
}

async function removeQuotas(core: CoreV1Api, quotas: { name: string }[], log: (line: string) => void): Promise<void> {
  for (const q of quotas) {
    await core.deleteNamespacedResourceQuota({ name: q.name, namespace: VELERO_NAMESPACE }).catch((e) => {
      if (statusOf(e) !== 404) log(`deleting ResourceQuota ${q.name}: ${errorMessage(e)}`);
    });
  }
}

// ---- the cluster ------------------------------------------------------------------------------

/** What the run needs before it starts, each missing piece named with how to get it. */
async function checkCluster(kc: KubeConfig, storageClass: string): Promise<void> {
  const io = new KubeIo(kc, { who: 'check', clock: new WallClock() });
  const need = async (what: string, fix: string, read: () => Promise<unknown>) => {
    try {
      await read();
    } catch (e) {
      throw new ClusterRunError(`${what}: ${statusOf(e) === 404 ? 'not found' : errorMessage(e)}. ${fix}`);
    }
  };
  const server = kc.getCurrentCluster()?.server;
  await need(`the cluster at ${server}`, 'Is it running, and is the kubeconfig\'s current context the one you mean?', () => kc.makeApiClient(CoreV1Api).listNamespace({ limit: 1 }));
  await need('the DataUpload CRD (velero.io/v2alpha1)', 'npm run kind:up installs it; elsewhere: kubectl apply -f controller/api/crds/velero.io_datauploads.yaml', () =>
    io.listObjects(`${DATA_UPLOAD_GROUP}/${DATA_UPLOAD_VERSION}`, DATA_UPLOAD_PLURAL, VELERO_NAMESPACE),
  );
  await need(`the StorageClass ${storageClass}`, 'npm run kind:up installs csi-driver-host-path and kind/manifests/storage.yaml; elsewhere pass --storage-class', () =>
    io.getObject({ apiVersion: 'storage.k8s.io/v1', resource: 'storageclasses', name: storageClass }),
  );
  const classes = await io.listObjects<{ metadata: { labels?: Record<string, string> } } & import('../../controller/kube/io.ts').Obj>('snapshot.storage.k8s.io/v1', 'volumesnapshotclasses').catch((e) => {
    throw new ClusterRunError(`the VolumeSnapshot API: ${errorMessage(e)}. npm run kind:up installs the external-snapshotter CRDs`);
  });
  if (!classes.items.some((c) => c.metadata.labels?.[VELERO_SNAPSHOT_CLASS_LABEL] === 'true')) {
    throw new ClusterRunError(`no VolumeSnapshotClass labelled ${VELERO_SNAPSHOT_CLASS_LABEL}=true (Velero picks the class by it). kind/manifests/storage.yaml has one (${CSI_SNAPSHOT_CLASS})`);
  }
}

async function ensureNamespace(core: CoreV1Api, name: string, labels: Record<string, string>): Promise<void> {
  try {
    await core.createNamespace({ body: { metadata: { name, labels } } });
  } catch (e) {
    if (statusOf(e) !== 409) throw e;
  }
}

/** Deletes the namespaces an earlier run left and waits until they are gone (PVCs, snapshots and all). */
async function deleteWorkloadNamespaces(core: CoreV1Api, log: (line: string) => void): Promise<void> {
  const left = (await core.listNamespace({ labelSelector: `${WORKLOAD_LABEL}=true` })).items.map((n) => n.metadata!.name!);
  if (!left.length) return;
  log(`deleting ${left.length} workload namespace(s)`);
  for (const name of left) await core.deleteNamespace({ name }).catch((e) => (statusOf(e) === 404 ? undefined : Promise.reject(e)));
  const deadline = Date.now() + 300_000;
  while ((await core.listNamespace({ labelSelector: `${WORKLOAD_LABEL}=true` })).items.length) {
    if (Date.now() > deadline) throw new ClusterRunError(`workload namespaces still terminating after 5 minutes: ${left.join(', ')}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** The workload's PVCs, each filled with its bytes by a pod that exits when done. */
async function fillVolumes(core: CoreV1Api, pvcs: { namespace: string; name: string; size: string; bytes: number }[], storageClass: string, image: string, log: (line: string) => void): Promise<void> {
  for (const p of pvcs) {
    await core.createNamespacedPersistentVolumeClaim({
      namespace: p.namespace,
      body: { metadata: { name: p.name }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: storageClass, resources: { requests: { storage: p.size } } } },
    });
    await core.createNamespacedPod({ namespace: p.namespace, body: fillPod(p, image) });
  }
  const deadline = Date.now() + 600_000;
  for (;;) {
    const pods = (await core.listPodForAllNamespaces({ labelSelector: FILL_LABEL })).items;
    const failed = pods.filter((pod) => pod.status?.phase === 'Failed');
    if (failed.length) throw new ClusterRunError(`filling volumes: pod ${failed[0].metadata!.namespace}/${failed[0].metadata!.name} failed: ${failed[0].status?.message ?? failed[0].status?.containerStatuses?.[0]?.state?.terminated?.reason ?? 'see kubectl describe'}`);
    const done = pods.filter((pod) => pod.status?.phase === 'Succeeded').length;
    if (done === pvcs.length) break;
    if (Date.now() > deadline) throw new ClusterRunError(`filling volumes: ${done} of ${pvcs.length} done after 10 minutes (kubectl get pods -A -l ${FILL_LABEL})`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  for (const ns of new Set(pvcs.map((p) => p.namespace))) await core.deleteCollectionNamespacedPod({ namespace: ns, labelSelector: FILL_LABEL, gracePeriodSeconds: 0 });
  log('volumes filled');
}

const FILL_LABEL = 'datamover-bench.io/fill=true';

function fillPod(p: { name: string; bytes: number }, image: string): V1Pod {
  return {
    metadata: {
      name: `fill-${p.name}`.slice(0, 63).replace(/-+$/, ''),
      labels: { 'datamover-bench.io/fill': 'true' },
      // The embedded cluster's kubelets run no images: they run the pod for this long.
      annotations: { [RUN_SECONDS_ANNOTATION]: '1' },
    },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: 'fill',
          image,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', `head -c ${p.bytes} /dev/urandom > /data/fill && sync`],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: p.name } }],
    },
  };
}

/** Writes the flow's configuration and restarts the node-agents, which read it at start; waits until one runs on every node it should. */
async function restartNodeAgents(kc: KubeConfig, config: Record<string, unknown>, log: (line: string) => void): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const body = { metadata: { name: NODE_AGENT_CONFIG_MAP, namespace: VELERO_NAMESPACE }, data: { 'node-agent-config.json': JSON.stringify(config, null, 2) } };
  await core.replaceNamespacedConfigMap({ name: NODE_AGENT_CONFIG_MAP, namespace: VELERO_NAMESPACE, body }).catch((e) => {
    if (statusOf(e) === 404) return core.createNamespacedConfigMap({ namespace: VELERO_NAMESPACE, body });
    throw e;
  });
  const ds = await apps.readNamespacedDaemonSet({ name: NODE_AGENT_DAEMONSET, namespace: VELERO_NAMESPACE }).catch((e) => {
    throw new ClusterRunError(`the node-agent DaemonSet (${VELERO_NAMESPACE}/${NODE_AGENT_DAEMONSET}): ${errorMessage(e)}. npm run kind:up deploys it; or use --node-agents local`);
  });
  const restartedAt = Date.now();
  await core.deleteCollectionNamespacedPod({ namespace: VELERO_NAMESPACE, labelSelector: NODE_AGENT_SELECTOR });
  const deadline = restartedAt + 180_000;
  for (;;) {
    const want = (await apps.readNamespacedDaemonSet({ name: NODE_AGENT_DAEMONSET, namespace: VELERO_NAMESPACE })).status?.desiredNumberScheduled ?? ds.status?.desiredNumberScheduled ?? 0;
    const pods = (await core.listNamespacedPod({ namespace: VELERO_NAMESPACE, labelSelector: NODE_AGENT_SELECTOR })).items;
    const fresh = pods.filter((p) => !p.metadata?.deletionTimestamp && new Date(p.metadata!.creationTimestamp!).getTime() >= restartedAt - 1000 && p.status?.containerStatuses?.every((c) => c.ready));
    if (want > 0 && fresh.length >= want) break;
    if (Date.now() > deadline) throw new ClusterRunError(`node-agents: ${fresh.length} of ${want} running 3 minutes after the restart (kubectl -n ${VELERO_NAMESPACE} get pods -l ${NODE_AGENT_SELECTOR})`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  log('node-agents restarted with the flow\'s configuration');
}

/** Local node-agents next to running in-cluster ones would both serve every DataUpload. */
async function refuseInClusterAgents(core: CoreV1Api): Promise<void> {
  const running = (await core.listNamespacedPod({ namespace: VELERO_NAMESPACE, labelSelector: NODE_AGENT_SELECTOR })).items.filter((p) => p.status?.phase === 'Running');
  if (running.length) {
    throw new ClusterRunError(`${running.length} node-agent pod(s) run in ${VELERO_NAMESPACE} (the DaemonSet): local node-agents would serve the same DataUploads. Use --node-agents in-cluster, or kubectl -n ${VELERO_NAMESPACE} delete daemonset ${NODE_AGENT_DAEMONSET}`);
  }
}

/** Waits (at most `ms`) until no data-mover pod, backup PVC or VolumeSnapshot is left in Velero's namespace. */
async function waitForCleanups(kc: KubeConfig, clock: WallClock, ms: number): Promise<void> {
  const deadline = clock.now() + ms;
  while (clock.now() < deadline) {
    const left = await leftovers(kc);
    if (!left.pods.length && !left.persistentVolumeClaims.length && !left.volumeSnapshots.length) return;
    await clock.sleep(1000);
  }
}

async function leftovers(kc: KubeConfig): Promise<BackupRunResult['leftovers']> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const names = (items: { metadata?: { name?: string } }[]) => items.map((o) => o.metadata!.name!).sort();
  const snapshots = (await custom.listNamespacedCustomObject({ group: 'snapshot.storage.k8s.io', version: 'v1', namespace: VELERO_NAMESPACE, plural: 'volumesnapshots' })) as { items: { metadata?: { name?: string } }[] };
  const contents = (await custom.listClusterCustomObject({ group: 'snapshot.storage.k8s.io', version: 'v1', plural: 'volumesnapshotcontents' })) as {
    items: { metadata?: { name?: string }; spec?: { volumeSnapshotRef?: { namespace?: string } } }[];
  };
  return {
    pods: names((await core.listNamespacedPod({ namespace: VELERO_NAMESPACE, labelSelector: DATA_UPLOAD_LABEL })).items),
    persistentVolumeClaims: names((await core.listNamespacedPersistentVolumeClaim({ namespace: VELERO_NAMESPACE })).items),
    volumeSnapshots: names(snapshots.items),
    volumeSnapshotContents: names(contents.items.filter((c) => c.spec?.volumeSnapshotRef?.namespace === VELERO_NAMESPACE)),
  };
}

/**
 * The lower bounds on the cluster's nodes as the run recorded them: those loadAffinity admits,
 * each pod at the throttled throughput. The pod start latency is the cluster's own and not
 * known, so there is no idle bound.
 */
function lowerBoundsOnCluster(config: NodeAgentConfig, record: RunRecord, podBytesPerSecond: number): { completed: LowerBound; all: LowerBound } {
  return lowerBounds({
    dataUploads: record.dataUploads,
    backupPvcs: record.backupPvcs,
    nodes: record.nodes.map((n) => ({ name: n.name, labels: n.labels, bytesPerSecond: concurrencyForNode(config, n.labels) * podBytesPerSecond })),
    podBytesPerSecond,
    ...boundSettings(config),
  });
}
