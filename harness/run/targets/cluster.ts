// A real cluster as a run's target: kind (`npm run kind:up`) or any kubeconfig, on the wall clock,
// with the scenario's sizes and durations scaled down so a run fits in minutes (ClusterScale).
// Where it differs from the embedded cluster:
// - connect checks the cluster: the DataUpload CRD, the StorageClass, the VolumeSnapshotClass;
// - the workload: what an earlier run of ours left (namespaces labelled WORKLOAD_LABEL) is
//   removed, then the namespaces and PVCs are made and each volume is filled with its scaled
//   size of random bytes (one short pod per PVC, then deleted);
// - the node-agents: in-cluster (the node-agent ConfigMap is written and the DaemonSet's pods
//   restarted, as they read it at start) or local (in this process, against the same API, as
//   `npm run controller -- node-agent` does);
// - faults: kind's by command and API request, any cluster's by API request
//   (harness/chaos/kind-actions.ts, api-actions.ts), undone at the end and on Ctrl-C;
// - the grace period ends as soon as nothing the exposer makes is left (at most 2 minutes);
// - close deletes the workload's namespaces and the backup's DataUploads, so the next flow
//   starts from the same state.
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import {
  BACKUP_NAME_LABEL,
  DATA_UPLOAD_GROUP,
  DATA_UPLOAD_PLURAL,
  DATA_UPLOAD_VERSION,
} from '../../../controller/api/dataupload.ts';
import { WallClock } from '../../../controller/clock.ts';
import { concurrencyForNode, parseNodeAgentConfig } from '../../../controller/config.ts';
import { Controller } from '../../../controller/controller.ts';
import { formatGoDuration } from '../../../controller/duration.ts';
import type { FlowName } from '../../../controller/flows/types.ts';
import { errorMessage, KubeIo, statusOf } from '../../../controller/kube/io.ts';
import { formatBytes, parseBytes } from '../../../controller/quantity.ts';
import { ClusterFaultExecutor, undoInterrupted, type FaultExecutor } from '../../chaos/cluster-executor.ts';
import { NODE_AGENT_POD_SELECTOR } from '../../chaos/api-actions.ts';
import { checkFaultsForTarget, targetActions } from '../../chaos/kind-actions.ts';
import type { Experiment } from '../../scenario/scenario.ts';
import { resolveBehaviour } from '../../sim/behaviour.ts';
import { CSI_SNAPSHOT_CLASS, CSI_STORAGE_CLASS, VELERO_SNAPSHOT_CLASS_LABEL } from '../../sim/csi.ts';
import { RUN_SECONDS_ANNOTATION } from '../../sim/programs.ts';
import { VELERO_NAMESPACE, type Connected, type RunSpec, type ShapedRun, type Target } from '../run.ts';

const MiB = 1024 * 1024;
/** On the namespaces a run creates: the next run deletes what is left of them. */
export const WORKLOAD_LABEL = 'datamover-bench.io/workload';
/** The node-agent DaemonSet of kind/manifests/node-agent.yaml. */
export const NODE_AGENT_DAEMONSET = 'node-agent';
/** The node-agent pods of kind/manifests/node-agent.yaml: the fault actions' selector too. */
export const NODE_AGENT_SELECTOR = NODE_AGENT_POD_SELECTOR;
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

export interface ClusterTargetOptions {
  kubeconfig: KubeConfig;
  scale: ClusterScale;
  /** in-cluster: the DaemonSet of kind/manifests; local: node-agents in this process. */
  nodeAgents: 'in-cluster' | 'local';
  /** The image of the fill pods and of the data-mover pods (local node-agents). */
  image?: string;
  storageClass?: string;
  /** Runs the fault actions' commands (kind); default bash. */
  run?: import('../../chaos/cluster-executor.ts').RunCommand;
}

/** kind: node faults by docker and kubectl, pod-kill by API request. */
export function kindTarget(o: ClusterTargetOptions): Target {
  return { name: 'kind', connect: (spec) => connectCluster('kind', spec, o) };
}

/** Any cluster: the faults an API can carry out. */
export function kubeconfigTarget(o: ClusterTargetOptions): Target {
  return { name: 'kubeconfig', connect: (spec) => connectCluster('kubeconfig', spec, o) };
}

/** The experiment as it runs on a real cluster: sizes, durations and throughput scaled. */
export function scaleExperiment(e: Experiment, flow: FlowName, scale: ClusterScale) {
  return scaleSpec({ ...e, nodeAgentConfig: e.nodeAgentConfig(flow) }, flow, scale);
}

/** A run's spec as it runs on a real cluster: sizes, durations and throughput scaled. */
export function scaleSpec(e: Pick<RunSpec, 'pvcs' | 'behaviour' | 'volumeBindingMode' | 'storageTopology' | 'resourceQuotas' | 'itemOperationTimeoutMs' | 'deadlineSeconds' | 'nodeAgentConfig'>, flow: FlowName, scale: ClusterScale) {
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
  const doc = e.nodeAgentConfig ?? {};
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

async function connectCluster(name: 'kind' | 'kubeconfig', spec: RunSpec, o: ClusterTargetOptions): Promise<Connected> {
  const log = spec.log ?? (() => undefined);
  const kc = o.kubeconfig;
  const clock = new WallClock();
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const image = o.image ?? KIND_IMAGE;
  const storageClass = o.storageClass ?? CSI_STORAGE_CLASS;
  const backupName = spec.backupName ?? 'backup-1';
  await checkCluster(kc, storageClass);
  let shaped: ReturnType<typeof scaleSpec> | undefined;
  let made = false;
  let controller: Controller | undefined;
  let releaseInterrupt: (() => void) | undefined;
  // The leftovers' reads: polled every second through the grace period.
  const io = new KubeIo(kc, { who: 'leftovers', clock });
  return {
    kubeconfig: kc,
    clock,
    io: {},
    timeScale: o.scale.time,
    nodes: async () => (await core.listNode()).items.map((n) => ({ name: n.metadata!.name!, labels: n.metadata?.labels ?? {} })),
    checkFaults: (faults) => checkFaultsForTarget(faults, name),
    shape: (s) => (shaped = scaleSpec(s, spec.flow, o.scale)),
    async createWorkload(run: ShapedRun) {
      made = true;
      await deleteWorkloadNamespaces(core, log);
      await ensureNamespace(core, VELERO_NAMESPACE, {});
      for (const ns of new Set(run.pvcs.map((p) => p.namespace))) await ensureNamespace(core, ns, { [WORKLOAD_LABEL]: 'true' });
      await applyQuotas(core, run.resourceQuotas, log);
      log(`filling ${run.pvcs.length} volumes (${Math.round(run.pvcs.reduce((t, p) => t + p.bytes, 0) / MiB)} MiB)`);
      await fillVolumes(core, run.pvcs, storageClass, image, log);
      return clock.now();
    },
    async nodeAgents(config, doc) {
      if (o.nodeAgents === 'in-cluster') {
        await restartNodeAgents(kc, doc, log);
        return { start: async () => undefined, afterRecord: async () => undefined };
      }
      await refuseInClusterAgents(core);
      const c = (controller = new Controller({ kubeconfig: kc, namespace: VELERO_NAMESPACE, config, clock, dataMoverPod: { image, env: [] }, log }));
      // Stopped at close, after the DataUploads: they carry the node-agents' finalizer.
      return { controller: c, start: () => c.start(), afterRecord: async () => undefined };
    },
    faultExecutor(faults, x) {
      const local = x.controller && {
        has: (node: string) => x.controller!.agents.has(node),
        kill: (node: string) => x.controller!.killAgent(node),
        start: async (node: string) => void (await x.controller!.startAgent(node)),
      };
      const actions = targetActions(name, { kubeconfig: kc, namespace: VELERO_NAMESPACE, random: x.random, localAgents: local, run: o.run });
      const executor: FaultExecutor = new ClusterFaultExecutor({ faults, actions, target: name, nodes: x.nodes, random: x.random, timeScale: o.scale.time, expectedDataUploads: x.expectedDataUploads, clock, start: x.start, log });
      // An interruption (Ctrl-C) undoes what is in effect before the process exits.
      if (faults.length) releaseInterrupt = undoInterrupted(executor);
      return executor;
    },
    async runUntil(done, deadline) {
      while (!done() && clock.now() < deadline) await clock.sleep(500);
      return done() ? 'done' : 'deadline';
    },
    // Until no data-mover pod, backup PVC or VolumeSnapshot is left, at most 2 minutes.
    async settle(left) {
      const deadline = clock.now() + 120_000;
      while (clock.now() < deadline) {
        const l = await left();
        if (!l.pods.length && !l.persistentVolumeClaims.length && !l.volumeSnapshots.length) return;
        await clock.sleep(1000);
      }
    },
    list: async (apiVersion, resource, namespace, labelSelector) => {
      const items = (await io.listObjects<{ metadata: { name?: string }; spec?: { volumeSnapshotRef?: { namespace?: string } } } & import('../../../controller/kube/io.ts').Obj>(apiVersion, resource, namespace, labelSelector)).items;
      return items.map((i) => ({ name: i.metadata.name!, volumeSnapshotNamespace: i.spec?.volumeSnapshotRef?.namespace }));
    },
    // Each pod at the throttled throughput; a node's bandwidth is its slots' (not the cluster's own,
    // which is not known); the pod start latency is the cluster's own and not known: no idle bound.
    dataPath: (config) => {
      const podBytesPerSecond = shaped!.podBytesPerSecond;
      return { nodeBytesPerSecond: (n) => concurrencyForNode(config, n.labels) * podBytesPerSecond, podBytesPerSecond };
    },
    async close() {
      releaseInterrupt?.();
      if (!made) return;
      // DataUploads carry the node-agents' finalizer: delete them while the node-agents run.
      await custom
        .deleteCollectionNamespacedCustomObject({ group: DATA_UPLOAD_GROUP, version: DATA_UPLOAD_VERSION, namespace: VELERO_NAMESPACE, plural: DATA_UPLOAD_PLURAL, labelSelector: `${BACKUP_NAME_LABEL}=${backupName}` })
        .catch((e) => log(`deleting the DataUploads: ${errorMessage(e)}`));
      await deleteWorkloadNamespaces(core, log);
      await removeQuotas(core, shaped?.resourceQuotas ?? [], log);
      await controller?.stop();
    },
  };
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
  const classes = await io.listObjects<{ metadata: { labels?: Record<string, string> } } & import('../../../controller/kube/io.ts').Obj>('snapshot.storage.k8s.io/v1', 'volumesnapshotclasses').catch((e) => {
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
