// The CSI snapshot exposer against the embedded cluster with its simulated snapshot controller,
// CSI driver, scheduler and kubelets, on a virtual clock: what Velero's exposer leaves behind,
// when, and at what API cost.
import { KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { kubeconfigFor, startEmbeddedCluster, type EmbeddedCluster } from '../harness/cluster/embedded.ts';
import type { BehaviourOverrides } from '../harness/sim/behaviour.ts';
import { resourceInfo } from '../harness/sim/context.ts';
import { createWorkloadPvc, CSI_HOSTPATH_DRIVER, CSI_SNAPSHOT_CLASS, CSI_STORAGE_CLASS } from '../harness/sim/csi.ts';
import type { NodePoolDecl } from '../harness/sim/nodes.ts';
import { DEFAULT_VIRTUAL_START, VirtualClock } from '../harness/sim/virtual-clock.ts';
import { DATA_UPLOAD_API_VERSION, type DataUpload } from './api/dataupload.ts';
import { SNAPSHOT_API_VERSION, type VolumeSnapshot, type VolumeSnapshotContent } from './api/snapshot.ts';
import { nodeAffinityFromLoadAffinity } from './config.ts';
import { CsiSnapshotExposer, DATA_MOVER_IMAGE, ExposeError, readExposeSource, type ExposeParams, type InheritedPodInfo } from './exposer.ts';
import { API_VERBS, KubeIo, type ApiVerb } from './kube/io.ts';

type Obj = Record<string, any>;

/** Fixed latencies: the source snapshot of 4 GiB is ready 3 + 0.5 x 4 = 5 s after it is taken;
 *  a claim restored from a ready snapshot binds 8 + 0.25 x 4 = 9 s after it asks. */
const FIXED: BehaviourOverrides = {
  csi: {
    snapshotReadyBaseSeconds: { kind: 'fixed', value: 3 },
    snapshotReadySecondsPerGiB: 0.5,
    provisionFromSnapshotBaseSeconds: { kind: 'fixed', value: 8 },
    provisionFromSnapshotSecondsPerGiB: 0.25,
    provisionSeconds: { kind: 'fixed', value: 2 },
    volumeDeleteSeconds: { kind: 'fixed', value: 3 },
  },
  scheduler: { bindSeconds: { kind: 'fixed', value: 0.1 } },
  kubelet: { podStartSeconds: { kind: 'fixed', value: 1 } },
};

const NODES: NodePoolDecl[] = [
  { count: 2, namePrefix: 'worker', capacity: { cpu: '4', memory: '16Gi', pods: '110' } },
  { count: 1, namePrefix: 'mover', labels: { 'example.com/data-mover': 'yes' }, capacity: { cpu: '4', memory: '16Gi', pods: '110' } },
];

const TEN_MINUTES = 600_000;

let cluster: EmbeddedCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function setup(opts: { behaviour?: BehaviourOverrides; storageClassName?: string; inherited?: InheritedPodInfo } = {}) {
  const clock = new VirtualClock();
  cluster = await startEmbeddedCluster({ clock, seed: 5, simulation: { nodes: NODES, behaviour: opts.behaviour ?? FIXED } });
  const api = cluster.server.api;
  const ctx = cluster.simulation!.ctx;
  const info = {
    ns: resourceInfo(api, '', 'v1', 'namespaces'),
    pod: resourceInfo(api, '', 'v1', 'pods'),
    pvc: resourceInfo(api, '', 'v1', 'persistentvolumeclaims'),
    pv: resourceInfo(api, '', 'v1', 'persistentvolumes'),
    sc: resourceInfo(api, 'storage.k8s.io', 'v1', 'storageclasses'),
    vs: resourceInfo(api, 'snapshot.storage.k8s.io', 'v1', 'volumesnapshots'),
    vsc: resourceInfo(api, 'snapshot.storage.k8s.io', 'v1', 'volumesnapshotcontents'),
    du: resourceInfo(api, 'velero.io', 'v2alpha1', 'datauploads'),
  };
  for (const name of ['velero', 'app']) api.create(info.ns, undefined, { metadata: { name } });
  const storageClassName = opts.storageClassName ?? CSI_STORAGE_CLASS;
  const source = createWorkloadPvc(ctx, { namespace: 'app', name: 'data-0', size: '4Gi', storageClassName });
  // What the Velero server makes: a VolumeSnapshot of the PVC, then the DataUpload.
  api.create(info.vs, 'app', {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: 'VolumeSnapshot',
    metadata: { name: 'velero-data-0-abcde', namespace: 'app' },
    spec: { source: { persistentVolumeClaimName: 'data-0' }, volumeSnapshotClassName: CSI_SNAPSHOT_CLASS },
  });
  api.create(info.du, 'velero', {
    apiVersion: DATA_UPLOAD_API_VERSION,
    kind: 'DataUpload',
    metadata: { name: 'backup-1-xk2p9', namespace: 'velero' },
    spec: {
      snapshotType: 'CSI',
      csiSnapshot: { volumeSnapshot: 'velero-data-0-abcde', storageClass: storageClassName, snapshotClass: CSI_SNAPSHOT_CLASS, driver: CSI_HOSTPATH_DRIVER },
      sourcePVC: 'data-0',
      sourceNamespace: 'app',
      backupStorageLocation: 'default',
      operationTimeout: '10m0s',
    },
  });
  const du = api.get(info.du, 'velero', 'backup-1-xk2p9').obj as unknown as DataUpload;
  const kc = new KubeConfig();
  kc.loadFromString(cluster.kubeconfig);
  const io = new KubeIo(kc, { who: 'node-agent/worker-1', clock, work: clock });
  const logged: string[] = [];
  const exposer = new CsiSnapshotExposer(io, clock, (line) => logged.push(line), opts.inherited);

  const get = (i: (typeof info)[keyof typeof info], ns: string | undefined, name: string) =>
    api.table(i).get(ns ? `${ns}/${name}` : name)?.obj as Obj | undefined;
  const keys = (i: (typeof info)[keyof typeof info]) => [...api.table(i).objects.keys()].sort();
  const elapsed = () => (clock.now() - DEFAULT_VIRTUAL_START) / 1000;

  /** Drives virtual time while `p` runs; resolves or rejects as it does. */
  async function settle<T>(p: Promise<T>, withinSeconds = 3600): Promise<T> {
    let done = false;
    const watched = p.finally(() => (done = true));
    watched.catch(() => undefined);
    await clock.run(() => done, clock.now() + withinSeconds * 1000);
    if (!done) throw new Error(`still running after ${withinSeconds} s of virtual time`);
    return watched;
  }

  /** Advances virtual time until check() holds. */
  async function until(check: () => boolean, withinSeconds = 3600): Promise<void> {
    await clock.run(check, clock.now() + withinSeconds * 1000);
    if (!check()) throw new Error(`condition not met within ${withinSeconds} s of virtual time`);
  }

  /** Requests sent (or modeled) by verb since `before`, zeros left out. */
  function since(before: Record<ApiVerb, number>, now: Record<ApiVerb, number> = io.cost.sent): Partial<Record<ApiVerb, number>> {
    const d: Partial<Record<ApiVerb, number>> = {};
    for (const v of API_VERBS) if (now[v] !== before[v]) d[v] = now[v] - before[v];
    return d;
  }

  async function params(extra: Partial<ExposeParams> = {}): Promise<ExposeParams> {
    const { sourcePvc, sourcePv } = await settle(readExposeSource(io, du));
    return { du, sourcePvc, sourcePv, resources: {}, exposeTimeoutMs: 1_800_000, operationTimeoutMs: TEN_MINUTES, ...extra };
  }

  const sourceSnapshot = () => get(info.vs, 'app', 'velero-data-0-abcde') as VolumeSnapshot | undefined;

  return { clock, api, ctx, info, du, io, exposer, logged, source, get, keys, elapsed, settle, until, since, params, sourceSnapshot };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** Waits until the source snapshot is readyToUse; returns its content's name and snapshot handle. */
async function sourceReady(t: Setup): Promise<{ content: string; handle: string }> {
  await t.until(() => t.sourceSnapshot()?.status?.readyToUse === true);
  const content = t.sourceSnapshot()!.status!.boundVolumeSnapshotContentName!;
  const handle = (t.get(t.info.vsc, undefined, content) as VolumeSnapshotContent).status!.snapshotHandle!;
  return { content, handle };
}

describe('readExposeSource', () => {
  it('GETs the source PVC and its PV, and counts setupExposeParam’s other look-ups as modeled', async () => {
    const t = await setup();
    const { sourcePvc, sourcePv } = await t.settle(readExposeSource(t.io, t.du));
    expect(sourcePvc.metadata?.name).toBe('data-0');
    expect(sourcePv.metadata?.name).toBe(t.source.pv.metadata.name);
    expect(t.io.cost.sent).toMatchObject({ get: 2, list: 0 });
    expect(t.io.cost.modeled).toMatchObject({ get: 5, list: 2 });
  });

  it('names the PVC it could not read, as Velero does', async () => {
    const t = await setup();
    const missing = { ...t.du, spec: { ...t.du.spec, sourcePVC: 'gone' } };
    await expect(t.settle(readExposeSource(t.io, missing))).rejects.toThrow('failed to get PVC app/gone: persistentvolumeclaims "gone" not found');
  });
});

describe('CsiSnapshotExposer.expose', () => {
  it('leaves exactly the backup VolumeSnapshot, content, PVC and pod; the source ones are gone, the snapshot itself kept', async () => {
    const t = await setup();
    const { content: sourceContent, handle } = await sourceReady(t);
    const p = await t.params();
    const sent = { ...t.io.cost.sent };
    const modeled = { ...t.io.cost.modeled };
    const startedAt = t.elapsed();
    await t.settle(t.exposer.expose(p, { pod: true }));

    // One expose of a ready snapshot: StorageClass, VolumeSnapshot, its content, then one GET
    // each to see the source VolumeSnapshot and content gone; the node-agent DaemonSet modeled.
    expect(t.since(sent)).toEqual({ get: 5, create: 4, patch: 1, delete: 2 });
    expect(t.since(modeled, t.io.cost.modeled)).toEqual({ get: 1 });
    expect(t.elapsed()).toBe(startedAt);

    const name = 'backup-1-xk2p9';
    expect(t.keys(t.info.vs)).toEqual([`velero/${name}`]);
    expect(t.keys(t.info.vsc)).toEqual([name]);
    expect(t.keys(t.info.pvc)).toEqual(['app/data-0', `velero/${name}`]);
    expect(t.keys(t.info.pod)).toEqual([`velero/${name}`]);
    expect(t.get(t.info.vsc, undefined, sourceContent)).toBeUndefined();

    const backupVs = t.get(t.info.vs, 'velero', name) as VolumeSnapshot;
    expect(backupVs.metadata.ownerReferences).toBeUndefined();
    expect(backupVs.spec).toEqual({ source: { volumeSnapshotContentName: name }, volumeSnapshotClassName: CSI_SNAPSHOT_CLASS });
    const backupVsc = t.get(t.info.vsc, undefined, name) as VolumeSnapshotContent;
    expect(backupVsc.spec).toMatchObject({
      volumeSnapshotRef: { name, namespace: 'velero', uid: backupVs.metadata.uid },
      source: { snapshotHandle: handle },
      deletionPolicy: 'Delete',
      driver: CSI_HOSTPATH_DRIVER,
      volumeSnapshotClassName: CSI_SNAPSHOT_CLASS,
    });
    const pvc = t.get(t.info.pvc, 'velero', name)!;
    expect(pvc.metadata.ownerReferences).toEqual([{ apiVersion: DATA_UPLOAD_API_VERSION, kind: 'DataUpload', name, uid: t.du.metadata.uid, controller: true }]);
    expect(pvc.spec).toMatchObject({
      accessModes: ['ReadWriteOnce'],
      storageClassName: CSI_STORAGE_CLASS,
      volumeMode: 'Filesystem',
      dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name },
      resources: { requests: { storage: '4Gi' } },
    });

    // The physical snapshot was retained: the copy on its handle gets ready (0.5 s: the
    // sidecar finds the handle) and a volume is restored from it (9 s after that).
    await t.until(() => t.get(t.info.pvc, 'velero', name)?.status?.phase === 'Bound');
    expect(t.get(t.info.vs, 'velero', name)!.status).toMatchObject({ readyToUse: true, restoreSize: '4Gi', boundVolumeSnapshotContentName: name });
    expect(t.elapsed()).toBe(startedAt + 0.5 + 9);
    expect(t.keys(t.info.pv)).toEqual([t.source.pv.metadata.name, `pvc-${pvc.metadata.uid}`].sort());
  });

  it('makes the data-mover pod Velero’s createBackupPod makes, which the scheduler places by loadAffinity', async () => {
    const t = await setup();
    await sourceReady(t);
    const affinity = nodeAffinityFromLoadAffinity({ nodeSelector: { matchLabels: { 'example.com/data-mover': 'yes' } } });
    const resources = { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '2Gi' } };
    const p = await t.params({ affinity, resources, podInProgressTimeoutMs: TEN_MINUTES, operationTimeoutMs: 15 * 60_000 });
    await t.settle(t.exposer.expose(p, { pod: true }));
    const name = 'backup-1-xk2p9';
    const uid = t.du.metadata.uid!;
    const pod = t.get(t.info.pod, 'velero', name) as V1Pod;
    expect(pod.metadata).toMatchObject({
      name,
      namespace: 'velero',
      ownerReferences: [{ apiVersion: DATA_UPLOAD_API_VERSION, kind: 'DataUpload', name, uid, controller: true }],
      labels: { 'velero.io/data-upload': name, 'velero.io/exposer-pod-group': 'snapshot-exposer' },
    });
    expect(pod.spec).toMatchObject({
      restartPolicy: 'Never',
      serviceAccountName: 'velero',
      terminationGracePeriodSeconds: 0,
      os: { name: 'linux' },
      securityContext: { runAsUser: 0 },
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'kubernetes.io/hostname',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: { 'velero.io/exposer-pod-group': 'snapshot-exposer' } },
        },
      ],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: 'example.com/data-mover', operator: 'In', values: ['yes'] },
                  { key: 'kubernetes.io/os', operator: 'NotIn', values: ['windows'] },
                ],
              },
            ],
          },
        },
      },
    });
    expect(pod.spec!.volumes![0]).toEqual({ name: uid, persistentVolumeClaim: { claimName: name } });
    expect(pod.spec!.volumes!.map((v) => v.name)).toEqual([uid, 'host-pods', 'host-plugins', 'scratch']);
    const c = pod.spec!.containers[0];
    expect(pod.spec!.containers).toHaveLength(1);
    expect(c).toMatchObject({ name: uid, image: DATA_MOVER_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['/velero', 'data-mover', 'backup'], resources });
    expect(c.args).toEqual([`--volume-path=/${uid}`, '--volume-mode=Filesystem', `--data-upload=${name}`, '--resource-timeout=15m0s', '--in-progress-timeout=10m0s']);
    expect(c.volumeMounts![0]).toEqual({ name: uid, mountPath: `/${uid}` });
    expect(c.env!.map((e) => e.name)).toEqual(['NODE_NAME', 'VELERO_NAMESPACE', 'VELERO_SCRATCH_DIR']);

    await t.until(() => t.get(t.info.pod, 'velero', name)?.status?.phase === 'Running');
    const running = t.get(t.info.pod, 'velero', name) as V1Pod;
    expect(running.spec!.nodeName).toBe('mover-1');
    expect(running.status!.qosClass).toBe('Burstable');
  });

  it('without the pod (deploying), then createPod pins it to the reserved node, a BestEffort pod', async () => {
    const t = await setup();
    await sourceReady(t);
    const p = await t.params();
    await t.settle(t.exposer.expose(p, { pod: false }));
    const name = 'backup-1-xk2p9';
    expect(t.keys(t.info.pod)).toEqual([]);
    expect(t.get(t.info.pvc, 'velero', name)).toBeDefined();
    expect(t.get(t.info.vs, 'velero', name)).toBeDefined();

    const sent = { ...t.io.cost.sent };
    await t.settle(t.exposer.createPod({ ...p, nodeName: 'worker-2' }));
    expect(t.since(sent)).toEqual({ get: 1, create: 1 }); // the StorageClass (volume topology), the pod
    const pod = t.get(t.info.pod, 'velero', name) as V1Pod;
    expect(pod.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms).toEqual([
      {
        matchExpressions: [
          { key: 'kubernetes.io/os', operator: 'NotIn', values: ['windows'] },
          { key: 'kubernetes.io/hostname', operator: 'In', values: ['worker-2'] },
        ],
      },
    ]);
    expect(pod.spec!.nodeName).toBeUndefined(); // left to the scheduler
    await t.until(() => t.get(t.info.pod, 'velero', name)?.status?.phase === 'Running');
    const running = t.get(t.info.pod, 'velero', name) as V1Pod;
    expect(running.spec!.nodeName).toBe('worker-2');
    expect(running.status!.qosClass).toBe('BestEffort');
  });

  it("gives the pod the node-agent's image and extra env when told (kind: the project's image, the throughput)", async () => {
    const t = await setup({ inherited: { image: 'datamover-bench:dev', env: [{ name: 'DATA_MOVER_THROUGHPUT', value: '6Mi' }] } });
    await sourceReady(t);
    const p = await t.params();
    await t.settle(t.exposer.expose(p, { pod: true }));
    const c = (t.get(t.info.pod, 'velero', 'backup-1-xk2p9') as V1Pod).spec!.containers[0];
    expect(c.image).toBe('datamover-bench:dev');
    expect(c.command).toEqual(['/velero', 'data-mover', 'backup']);
    expect(c.env!.map((e) => [e.name, e.value])).toEqual([['NODE_NAME', undefined], ['VELERO_NAMESPACE', undefined], ['VELERO_SCRATCH_DIR', '/scratch'], ['DATA_MOVER_THROUGHPUT', '6Mi']]);
  });

  it('waits for a snapshot not yet ready, polling every 2 s as the readiness delay says', async () => {
    const t = await setup();
    const p = await t.params();
    const sent = { ...t.io.cost.sent };
    const startedAt = t.elapsed();
    await t.settle(t.exposer.expose(p, { pod: true }));
    // Ready 5 s after it was taken: polls at 0, 2, 4 see it not ready, the one at 6 s ready.
    expect(t.elapsed()).toBe(startedAt + 6);
    expect(t.since(sent)).toEqual({ get: 5 + 3, create: 4, patch: 1, delete: 2 });
  });

  it('fails at the expose timeout with Velero’s message, having made nothing', async () => {
    const t = await setup({ behaviour: { ...FIXED, csi: { ...FIXED.csi, snapshotReadySecondsPerGiB: 100 } } });
    const p = await t.params({ exposeTimeoutMs: 9_000 });
    const sent = { ...t.io.cost.sent };
    const startedAt = t.elapsed();
    const e = await t.settle(t.exposer.expose(p, { pod: true })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ExposeError);
    expect(e).toMatchObject({
      step: 'snapshot-ready',
      timedOut: true,
      message: 'error wait volume snapshot ready: volume snapshot is not ready until timeout, errors: []',
    });
    expect(t.elapsed()).toBe(startedAt + 9);
    expect(t.since(sent)).toEqual({ get: 1 + 5 }); // StorageClass; polls at 0, 2, 4, 6, 8
    expect(t.keys(t.info.vs)).toEqual(['app/velero-data-0-abcde']);
    expect(t.keys(t.info.pvc)).toEqual(['app/data-0']);
    expect(t.keys(t.info.pod)).toEqual([]);
  });

  it('reports the snapshot’s errors when it failed, at the timeout, as Velero does', async () => {
    const t = await setup({ behaviour: { ...FIXED, csi: { ...FIXED.csi, snapshotFailureRate: 1 } } });
    const p = await t.params({ exposeTimeoutMs: 60_000 });
    const e = await t.settle(t.exposer.expose(p, { pod: true })).catch((x: unknown) => x);
    expect(e).toMatchObject({ step: 'snapshot-ready', timedOut: true });
    expect((e as Error).message).toMatch(
      /^error wait volume snapshot ready: volume snapshot is not ready until timeout, errors: \[Failed to create snapshot: failed to take snapshot of the volume [0-9a-f-]{36}: "rpc error: code = Internal desc = simulated snapshot failure \(behaviour.csi.snapshotFailureRate\)"\]$/,
    );
    expect(t.sourceSnapshot()!.status!.error).toBeDefined();
  });

  it('fails at once when the VolumeSnapshot does not exist', async () => {
    const t = await setup();
    const p = await t.params();
    const du = { ...t.du, spec: { ...t.du.spec, csiSnapshot: { ...t.du.spec.csiSnapshot!, volumeSnapshot: 'missing' } } };
    const e = await t.settle(t.exposer.expose({ ...p, du }, { pod: true })).catch((x: unknown) => x);
    expect((e as Error).message).toBe(
      'error wait volume snapshot ready: error to get VolumeSnapshot app/missing: volumesnapshots.snapshot.storage.k8s.io "missing" not found',
    );
  });

  it('undoes what it made when the pod cannot be created, as Velero’s defers do', async () => {
    const t = await setup();
    await sourceReady(t);
    const name = 'backup-1-xk2p9';
    t.api.create(t.info.pod, 'velero', { metadata: { name, namespace: 'velero' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const p = await t.params();
    const e = await t.settle(t.exposer.expose(p, { pod: true })).catch((x: unknown) => x);
    expect(e).toMatchObject({ step: 'backup-pod', message: `error to create backup pod: pods "${name}" already exists` });
    // The backup PVC and VolumeSnapshot are deleted; the content (deletionPolicy Delete) goes with
    // its VolumeSnapshot. The source ones were deleted before: nothing is left of the snapshot.
    await t.until(() => !t.get(t.info.vs, 'velero', name) && !t.get(t.info.vsc, undefined, name), 60);
    expect(t.keys(t.info.vs)).toEqual([]);
    expect(t.keys(t.info.vsc)).toEqual([]);
    expect(t.keys(t.info.pvc)).toEqual(['app/data-0']);
    expect(t.logged).toEqual([`failed to delete PV, for related PVC velero/${name} has no bind volume name`]);
  });

  it('for a WaitForFirstConsumer class, puts the source PV’s node affinity into the pod’s terms', async () => {
    const t = await setup({ storageClassName: 'local-wffc' });
    t.api.create(t.info.sc, undefined, {
      metadata: { name: 'local-wffc' },
      provisioner: CSI_HOSTPATH_DRIVER,
      volumeBindingMode: 'WaitForFirstConsumer',
    });
    const pvName = t.source.pv.metadata.name!;
    const zone = { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['worker-1', 'mover-1'] }] }] };
    t.api.patch(t.info.pv, undefined, pvName, 'merge', { spec: { nodeAffinity: { required: zone } } });
    await sourceReady(t);
    const affinity = nodeAffinityFromLoadAffinity({ nodeSelector: { matchLabels: { 'example.com/data-mover': 'yes' } } });
    const p = await t.params({ affinity });
    const sent = { ...t.io.cost.sent };
    await t.settle(t.exposer.expose(p, { pod: true }));
    expect(t.since(sent)).toMatchObject({ get: 6 }); // the source PV read again for its topology
    const pod = t.get(t.info.pod, 'velero', 'backup-1-xk2p9') as V1Pod;
    expect(pod.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms).toEqual([
      {
        matchExpressions: [
          { key: 'kubernetes.io/hostname', operator: 'In', values: ['worker-1', 'mover-1'] },
          { key: 'example.com/data-mover', operator: 'In', values: ['yes'] },
          { key: 'kubernetes.io/os', operator: 'NotIn', values: ['windows'] },
        ],
      },
    ]);
  });
});

describe('CsiSnapshotExposer.getExposed', () => {
  it('is undefined on another node, without a request; on the pod’s node it waits for the backup PVC to bind', async () => {
    const t = await setup();
    await sourceReady(t);
    await t.settle(t.exposer.expose(await t.params(), { pod: true }));
    const name = 'backup-1-xk2p9';
    // The scheduler places the pod only once its claim is bound (VolumeBinding); to see
    // GetExposed wait for the claim, hand it the pod as if it were already on a node.
    const node = 'worker-1';
    const pod = { ...t.get(t.info.pod, 'velero', name), spec: { ...t.get(t.info.pod, 'velero', name)!.spec, nodeName: node } } as V1Pod;
    const other = ['worker-1', 'worker-2', 'mover-1'].find((n) => n !== node)!;
    expect(t.get(t.info.pvc, 'velero', name)!.spec.volumeName).toBeUndefined();

    const sent = { ...t.io.cost.sent };
    expect(await t.settle(t.exposer.getExposed(t.du, other, pod, TEN_MINUTES))).toBeUndefined();
    expect(await t.settle(t.exposer.getExposed(t.du, node, undefined, TEN_MINUTES))).toBeUndefined();
    expect(t.since(sent)).toEqual({});

    const startedAt = t.elapsed();
    const exposed = await t.settle(t.exposer.getExposed(t.du, node, pod, TEN_MINUTES));
    expect(exposed).toEqual({ podName: name, nodeName: node, nodeOS: 'linux' });
    // The claim binds 9.5 s after the expose: GETs of the claim at 0, 2, ..., 10 s from the
    // call, the last one sees it bound; then one of its PV.
    expect(t.elapsed() - startedAt).toBe(10);
    expect(t.get(t.info.pvc, 'velero', name)!.spec.volumeName).toBeDefined();
    expect(t.since(sent)).toEqual({ get: 6 + 1 });
  });

  it('fails with Velero’s message when the backup PVC does not bind in time', async () => {
    const t = await setup();
    await sourceReady(t);
    await t.settle(t.exposer.expose(await t.params(), { pod: true }));
    const name = 'backup-1-xk2p9';
    const pod = { ...t.get(t.info.pod, 'velero', name), spec: { ...t.get(t.info.pod, 'velero', name)!.spec, nodeName: 'worker-1' } } as V1Pod;
    const e = await t.settle(t.exposer.getExposed(t.du, 'worker-1', pod, 3_000)).catch((x: unknown) => x);
    expect(e).toMatchObject({ step: 'backup-pvc-bound', timedOut: true, message: `error to wait backup PVC bound, ${name}: error to wait for rediness of PVC: context deadline exceeded` });
  });
});

describe('CsiSnapshotExposer.cleanUp', () => {
  it('removes the pod, the backup PVC and its PV, the backup VolumeSnapshot and content; again, it finds nothing', async () => {
    const t = await setup();
    await sourceReady(t);
    await t.settle(t.exposer.expose(await t.params(), { pod: true }));
    const name = 'backup-1-xk2p9';
    await t.until(() => t.get(t.info.pvc, 'velero', name)?.status?.phase === 'Bound' && t.get(t.info.pod, 'velero', name)?.status?.phase === 'Running');
    const backupPv = t.get(t.info.pvc, 'velero', name)!.spec.volumeName;

    const sent = { ...t.io.cost.sent };
    await t.settle(t.exposer.cleanUp(t.du));
    // Pod; the claim and its PV read, the claim deleted and seen gone, the PV read every 2 s
    // until gone (the driver deletes it 3 s after its claim: at 0 and 2 s it is there, at 4 s
    // not: 3 GETs); the backup and the (already deleted) source VolumeSnapshot.
    expect(t.since(sent)).toEqual({ get: 6, delete: 4 });
    expect(t.get(t.info.pvc, 'velero', name)).toBeUndefined();
    expect(t.get(t.info.pv, undefined, backupPv)).toBeUndefined();
    await t.until(() => !t.get(t.info.pod, 'velero', name) && !t.get(t.info.vsc, undefined, name), 120);
    expect(t.keys(t.info.pod)).toEqual([]);
    expect(t.keys(t.info.vs)).toEqual([]);
    expect(t.keys(t.info.vsc)).toEqual([]);
    expect(t.keys(t.info.pvc)).toEqual(['app/data-0']);
    expect(t.keys(t.info.pv)).toEqual([t.source.pv.metadata.name]);
    expect(t.logged).toEqual([]);

    const again = { ...t.io.cost.sent };
    await t.settle(t.exposer.cleanUp(t.du));
    expect(t.since(again)).toEqual({ get: 1, delete: 3 });
  });

  it('after an expose stopped early, deletes the source VolumeSnapshot too', async () => {
    const t = await setup({ behaviour: { ...FIXED, csi: { ...FIXED.csi, snapshotReadySecondsPerGiB: 100 } } });
    await t.settle(t.exposer.expose(await t.params({ exposeTimeoutMs: 4_000 }), { pod: true })).catch(() => undefined);
    expect(t.sourceSnapshot()).toBeDefined();
    await t.settle(t.exposer.cleanUp(t.du));
    await t.until(() => !t.sourceSnapshot(), 60);
    expect(t.keys(t.info.vs)).toEqual([]);
  });
});

describe('CsiSnapshotExposer.peekExposed', () => {
  const clock = new VirtualClock();
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigFor('http://127.0.0.1:9'));
  const io = new KubeIo(kc, { who: 'test', clock });
  const exposer = new CsiSnapshotExposer(io, clock);
  const du = { metadata: { name: 'du-1', namespace: 'velero', uid: 'u-1' }, spec: {} } as unknown as DataUpload;
  const pod = (status: Obj, name = 'du-1'): V1Pod => ({ metadata: { name, namespace: 'velero' }, spec: { containers: [] }, status }) as V1Pod;

  it.each([
    {
      name: 'a data mover that failed',
      status: { phase: 'Failed', containerStatuses: [{ name: 'u-1', state: { terminated: { exitCode: 1, message: 'Failed to run data path service for DataUpload du-1: error waiting for du: context deadline exceeded' } } }] },
      expected: 'Pod is in abnormal state [Failed], message [Failed to run data path service for DataUpload du-1: error waiting for du: context deadline exceeded/]',
    },
    {
      name: 'an evicted pod',
      status: {
        phase: 'Failed',
        reason: 'Evicted',
        message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available 51200Ki. ',
        containerStatuses: [{ name: 'u-1', state: { terminated: { exitCode: 137, reason: 'Error' } } }],
      },
      expected: 'Pod is in abnormal state [Failed], message [The node was low on resource: memory. Threshold quantity: 100Mi, available 51200Ki. /]',
    },
    { name: 'a pod on a lost node', status: { phase: 'Unknown' }, expected: 'Pod is in abnormal state [Unknown], message []' },
    {
      name: 'an image that may not be pulled',
      status: { phase: 'Pending', containerStatuses: [{ name: 'u-1', state: { waiting: { reason: 'ErrImageNeverPull' } } }] },
      expected: 'Container u-1 in Pod velero/du-1 is in pull image failed with reason ErrImageNeverPull',
    },
    { name: 'a running pod', status: { phase: 'Running' }, expected: undefined },
    { name: 'a pending pod', status: { phase: 'Pending' }, expected: undefined },
  ])('$name', ({ status, expected }) => {
    expect(exposer.peekExposed(du, pod(status))).toBe(expected);
  });

  it('without the pod’s own message for v1.16/v1.17; nothing for no pod or another DataUpload’s; one modeled GET per call', () => {
    const before = io.cost.modeled.get;
    const evicted = pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. ' });
    expect(exposer.peekExposed(du, evicted, { podMessage: false })).toBe('Pod is in abnormal state [Failed], message []');
    expect(exposer.peekExposed(du, undefined)).toBeUndefined();
    expect(exposer.peekExposed(du, pod({ phase: 'Failed' }, 'du-2'))).toBeUndefined();
    expect(io.cost.modeled.get - before).toBe(3);
    expect(io.cost.sent.get).toBe(0);
  });
});
