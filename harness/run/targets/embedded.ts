// The embedded cluster as a run's target: a fresh simulated cluster on a virtual clock, per run.
// Where it differs from a real cluster: time is simulated (a run's figures do not depend on the
// machine), the node-agents run in this process with their requests paced by the cluster's
// quietness, volumes have their sizes without bytes being written, every fault kind runs (the
// simulation has seams a real cluster lacks: harness/chaos/injector.ts), and the API server's
// write hook is a second, exact witness of what the watches recorded.
import {
  DATA_UPLOAD_GROUP,
  DATA_UPLOAD_LABEL,
  DATA_UPLOAD_PLURAL,
  EXPOSE_ON_GOING_LABEL,
  OUTCOME_REASON_ANNOTATION,
  type DataUpload,
} from '../../../controller/api/dataupload.ts';
import { Controller } from '../../../controller/controller.ts';
import { parseBytes } from '../../../controller/quantity.ts';
import type { KubeApi } from '../../apiserver/api.ts';
import type { KubeObject, ResourceInfo } from '../../apiserver/types.ts';
import { ChaosInjector } from '../../chaos/injector.ts';
import { startEmbeddedCluster } from '../../cluster/embedded.ts';
import { QuietPacer } from '../../pacer.ts';
import { resolveBehaviour } from '../../sim/behaviour.ts';
import { resourceInfo } from '../../sim/context.ts';
import { createWorkloadPvc } from '../../sim/csi.ts';
import { minimumOf } from '../../sim/distribution.ts';
import { expandNodePools, type NodePoolDecl } from '../../sim/nodes.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { runFlow, VELERO_NAMESPACE, type Connected, type DataUploadRecord, type RunResult, type RunSpec, type Target, type WriteObservations } from '../run.ts';

/** The nodes a fault may name or select, with the hostname label every kubelet adds. */
export function faultNodes(pools: NodePoolDecl[]): { name: string; labels: Record<string, string> }[] {
  return expandNodePools(pools).map((n) => ({ name: n.name, labels: { ...n.labels, 'kubernetes.io/hostname': n.name } }));
}

/** What the lower bound takes from the embedded cluster's data path: each node's pool bandwidth (else the cluster's), the per-pod cap, the fastest pod start the simulation can draw. */
export function embeddedDataPath(pools: NodePoolDecl[], overrides: RunSpec['behaviour']): ReturnType<Connected['dataPath']> {
  const { dataPath, scheduler, kubelet } = resolveBehaviour(overrides);
  const MiB = 1024 * 1024;
  const bandwidth = new Map(expandNodePools(pools).map((n) => [n.name, (n.dataMiBps ?? dataPath.nodeMiBps) * MiB]));
  return {
    nodeBytesPerSecond: (n) => bandwidth.get(n.name) ?? dataPath.nodeMiBps * MiB,
    podBytesPerSecond: dataPath.perPodMiBps * MiB,
    podStartSeconds: minimumOf(scheduler.bindSeconds) + minimumOf(kubelet.podStartSeconds),
  };
}

export interface EmbeddedTargetOptions {
  /** Called on every DataUpload write: to check what the controller writes. */
  onDataUploadWrite?: (du: DataUpload) => void;
}

export function embeddedTarget(o: EmbeddedTargetOptions = {}): Target {
  return { name: 'embedded', connect: (spec) => connectEmbedded(spec, o) };
}

async function connectEmbedded(spec: RunSpec, o: EmbeddedTargetOptions): Promise<Connected> {
  const clock = new VirtualClock();
  const start = clock.now();
  const cluster = await startEmbeddedCluster({
    clock,
    seed: spec.seed,
    simulation: { nodes: spec.nodes, behaviour: spec.behaviour, volumeBindingMode: spec.volumeBindingMode, storageClasses: spec.storageClasses, storageTopology: spec.storageTopology },
  });
  const api = cluster.server.api;
  const ctx = cluster.simulation!.ctx;
  const kubeconfig = cluster.inProcessKubeConfig();
  return {
    kubeconfig,
    clock,
    io: { work: clock, pacer: (random) => new QuietPacer(clock, random) },
    timeScale: 1,
    // The pools as declared: a fault is checked before the nodes exist.
    nodes: async () => faultNodes(spec.nodes),
    checkFaults: () => undefined,
    shape: (s) => ({
      pvcs: s.pvcs.map((p) => ({ ...p, bytes: parseBytes(p.size) })),
      nodeAgentConfig: s.nodeAgentConfig ?? {},
      resourceQuotas: s.resourceQuotas ?? [],
      itemOperationTimeoutMs: s.itemOperationTimeoutMs,
      deadlineSeconds: s.deadlineSeconds,
    }),
    async createWorkload(run) {
      const namespaces = resourceInfo(api, '', 'v1', 'namespaces');
      for (const ns of new Set([VELERO_NAMESPACE, ...run.pvcs.map((p) => p.namespace)])) api.create(namespaces, undefined, { metadata: { name: ns } });
      for (const p of run.pvcs) createWorkloadPvc(ctx, { namespace: p.namespace, name: p.name, size: p.size, storageClassName: p.storageClass ?? spec.storageClasses?.[0]?.name, place: p.place });
      const quotas = resourceInfo(api, '', 'v1', 'resourcequotas');
      for (const q of run.resourceQuotas) api.create(quotas, VELERO_NAMESPACE, { metadata: { name: q.name }, spec: { hard: q.hard } });
      // The quota controller fills status before anything is admitted against it.
      cluster.server.controllers.drain();
      return start;
    },
    observeWrites: (at) => observeWrites(api, at, o.onDataUploadWrite),
    async nodeAgents(config, _doc, pacer) {
      const controller = new Controller({ kubeconfig, namespace: VELERO_NAMESPACE, config, clock, work: clock, pacer, modelPodPeeks: true, log: spec.log });
      // Not tracked as work: every request holds the clock itself, and a tracked start would keep
      // the cluster from ever being quiet, so the pacer would never let its requests go.
      return { controller, start: () => controller.start(), afterRecord: () => controller.stop() };
    },
    faultExecutor: (faults, x) =>
      new ChaosInjector(
        { clock, start: x.start, api, server: cluster.server, sim: cluster.simulation!, controller: x.controller!, random: x.random, expectedDataUploads: x.expectedDataUploads, namespace: VELERO_NAMESPACE, log: x.log },
        faults,
      ),
    runUntil: (done, deadline) => clock.run(done, deadline),
    // The last cleanups (an exclusive cancel cleans up after its write) and pod terminations.
    settle: async () => {
      await clock.run(() => false, clock.now() + 120_000);
    },
    // The store itself: the clock is stopped now, and a request could wait on it (an api-latency fault still in effect).
    list: async (apiVersion, resource, namespace, labelSelector) => {
      const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
      return api.list(resourceInfo(api, group, version, resource), namespace, labelSelector ? { labelSelector } : {}).items.map((s) => ({
        name: s.obj.metadata.name!,
        volumeSnapshotNamespace: (s.obj as { spec?: { volumeSnapshotRef?: { namespace?: string } } }).spec?.volumeSnapshotRef?.namespace,
      }));
    },
    dataPath: () => embeddedDataPath(spec.nodes, spec.behaviour),
    close: () => cluster.stop(),
  };
}

const EXPOSED_PHASES = new Set(['Accepted', 'Prepared', 'DatamoverDeploying']);

/** Every DataUpload and data-mover pod write, the moment it is stored. */
function observeWrites(api: KubeApi, at: () => number, onDataUploadWrite?: (du: DataUpload) => void): () => WriteObservations {
  const phases = new Map<string, DataUploadRecord & { message?: string }>();
  const pods = new Map<string, string | undefined>();
  const labelled = new Set<string>();
  const exposed = new Set<string>();
  const perNode = new Map<string, number>();
  const state = { peakPods: 0, peakPodsPerNode: {} as Record<string, number>, peakExposeOnGoing: 0, peakExposed: 0 };
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
      state.peakExposeOnGoing = Math.max(state.peakExposeOnGoing, labelled.size);
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
  return () => ({ ...state, dataUploads: [...phases.values()].sort((a, b) => a.name.localeCompare(b.name)) });
}


/** runFlow on a fresh embedded cluster: what the tests and the benchmarks call. */
export function runEmbedded(spec: RunSpec, o: EmbeddedTargetOptions = {}): Promise<RunResult> {
  return runFlow(spec, embeddedTarget(o));
}
