import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../apiserver/types.ts';
import { SNAPSHOT_API_VERSION, type VolumeSnapshot, type VolumeSnapshotContent } from '../../controller/api/snapshot.ts';
import type { BehaviourOverrides } from './behaviour.ts';
import { mutate, resourceInfo, type SimContext } from './context.ts';
import {
  ANN_VOLUME_SNAPSHOT_BEING_DELETED,
  createWorkloadPvc,
  CSI_HOSTPATH_DRIVER,
  CSI_SNAPSHOT_CLASS,
  CSI_STORAGE_CLASS,
  CsiDriver,
  installStorage,
  PRE_PROVISIONED_READY_SECONDS,
  SNAPSHOT_FINALIZERS,
  volumePlace,
} from './csi.ts';
import { createNodes } from './nodes.ts';
import { storageTestCluster, type StorageTestCluster } from './storage-test-cluster.ts';

type Obj = Record<string, any>;

/** Fixed latencies, so that every step happens at an exact virtual time. */
const FIXED: BehaviourOverrides = {
  csi: {
    snapshotReadyBaseSeconds: { kind: 'fixed', value: 4 },
    snapshotReadySecondsPerGiB: 0.5,
    provisionFromSnapshotBaseSeconds: { kind: 'fixed', value: 8 },
    provisionFromSnapshotSecondsPerGiB: 0.25,
    provisionSeconds: { kind: 'fixed', value: 3 },
  },
};

async function storage(behaviour: BehaviourOverrides = FIXED) {
  const sim = await storageTestCluster({ behaviour });
  const ctx = sim.ctx;
  installStorage(ctx);
  const driver = new CsiDriver(ctx);
  driver.start();
  const r = {
    vs: resourceInfo(ctx.api, 'snapshot.storage.k8s.io', 'v1', 'volumesnapshots'),
    vsc: resourceInfo(ctx.api, 'snapshot.storage.k8s.io', 'v1', 'volumesnapshotcontents'),
    pvc: resourceInfo(ctx.api, '', 'v1', 'persistentvolumeclaims'),
    pv: resourceInfo(ctx.api, '', 'v1', 'persistentvolumes'),
  };
  const get = (info: typeof r.vs, ns: string | undefined, name: string): Obj | undefined =>
    ctx.api.table(info).get(ns ? `${ns}/${name}` : name)?.obj as Obj | undefined;
  return {
    sim,
    ctx,
    driver,
    r,
    vs: (ns: string, name: string) => get(r.vs, ns, name) as VolumeSnapshot | undefined,
    vsc: (name: string) => get(r.vsc, undefined, name) as VolumeSnapshotContent | undefined,
    pvc: (ns: string, name: string) => get(r.pvc, ns, name),
    pv: (name: string) => get(r.pv, undefined, name),
  };
}

function snapshotOf(ctx: SimContext, ns: string, name: string, pvc: string): KubeObject {
  const info = resourceInfo(ctx.api, 'snapshot.storage.k8s.io', 'v1', 'volumesnapshots');
  return ctx.api.create(info, ns, {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: 'VolumeSnapshot',
    metadata: { name, namespace: ns },
    spec: { source: { persistentVolumeClaimName: pvc }, volumeSnapshotClassName: CSI_SNAPSHOT_CLASS },
  }).obj;
}

function claimFromSnapshot(ctx: SimContext, ns: string, name: string, snapshot: string, size: string): KubeObject {
  return ctx.api.create(resourceInfo(ctx.api, '', 'v1', 'persistentvolumeclaims'), ns, {
    metadata: { name, namespace: ns },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: CSI_STORAGE_CLASS,
      resources: { requests: { storage: size } },
      dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: snapshot },
    },
  }).obj;
}

const reasons = (sim: StorageTestCluster, name: string) => sim.eventsFor(name).map((e) => `${e.type} ${e.reason}`);

describe('installStorage and createWorkloadPvc', () => {
  it('installs a default StorageClass and VolumeSnapshotClass for the driver, once', async () => {
    const { ctx } = await storage();
    expect(installStorage(ctx)).toEqual({ driver: CSI_HOSTPATH_DRIVER, storageClassName: CSI_STORAGE_CLASS, snapshotClassName: CSI_SNAPSHOT_CLASS });
    const sc = ctx.api.get(resourceInfo(ctx.api, 'storage.k8s.io', 'v1', 'storageclasses'), undefined, CSI_STORAGE_CLASS).obj as Obj;
    expect(sc).toMatchObject({
      provisioner: CSI_HOSTPATH_DRIVER,
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
      metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    });
    const vsClass = ctx.api.get(resourceInfo(ctx.api, 'snapshot.storage.k8s.io', 'v1', 'volumesnapshotclasses'), undefined, CSI_SNAPSHOT_CLASS).obj as Obj;
    expect(vsClass).toMatchObject({
      driver: CSI_HOSTPATH_DRIVER,
      deletionPolicy: 'Delete',
      metadata: { labels: { 'velero.io/csi-volumesnapshot-class': 'true' } },
    });
  });

  it('creates a workload PVC already bound to a CSI PV of its size', async () => {
    const s = await storage();
    const { pvc, pv } = createWorkloadPvc(s.ctx, { namespace: 'app', name: 'data-0', size: '20Gi' });
    expect(pv.metadata.name).toBe(`pvc-${pvc.metadata.uid}`);
    expect(pvc).toMatchObject({
      spec: { volumeName: pv.metadata.name, storageClassName: CSI_STORAGE_CLASS },
      status: { phase: 'Bound', capacity: { storage: '20Gi' } },
      metadata: { annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } },
    });
    expect(pv).toMatchObject({
      spec: {
        capacity: { storage: '20Gi' },
        claimRef: { kind: 'PersistentVolumeClaim', namespace: 'app', name: 'data-0', uid: pvc.metadata.uid },
        csi: { driver: CSI_HOSTPATH_DRIVER },
        persistentVolumeReclaimPolicy: 'Delete',
      },
      status: { phase: 'Bound' },
    });
    expect((pv.spec as Obj).csi.volumeHandle).toMatch(/^[0-9a-f-]{36}$/);
    // The provisioner leaves a pre-bound claim alone.
    await s.sim.runTo(60);
    expect(s.pvc('app', 'data-0')!.spec.volumeName).toBe(pv.metadata.name);
    expect(s.sim.eventsFor('data-0')).toEqual([]);
  });
});

describe('CsiDriver: snapshots', () => {
  it('cuts a snapshot after the base delay and makes it readyToUse after base + perGiB x size', async () => {
    const s = await storage();
    const { pv } = createWorkloadPvc(s.ctx, { namespace: 'app', name: 'data-0', size: '20Gi' });
    const vs = snapshotOf(s.ctx, 'app', 'snap-0', 'data-0');
    const contentName = `snapcontent-${vs.metadata.uid}`;

    await s.sim.runUntil(() => !!s.vs('app', 'snap-0')?.status?.boundVolumeSnapshotContentName, 1);
    expect(s.sim.elapsed()).toBe(0);
    const content = s.vsc(contentName)!;
    expect(content.spec).toMatchObject({
      volumeSnapshotRef: { kind: 'VolumeSnapshot', namespace: 'app', name: 'snap-0', uid: vs.metadata.uid },
      source: { volumeHandle: (pv.spec as Obj).csi.volumeHandle },
      deletionPolicy: 'Delete',
      driver: CSI_HOSTPATH_DRIVER,
      volumeSnapshotClassName: CSI_SNAPSHOT_CLASS,
    });
    expect(content.metadata.finalizers).toEqual([SNAPSHOT_FINALIZERS.contentBound]);
    expect(s.vs('app', 'snap-0')!.metadata.finalizers).toEqual([SNAPSHOT_FINALIZERS.snapshotAsSource, SNAPSHOT_FINALIZERS.snapshotBound]);
    expect(s.pvc('app', 'data-0')!.metadata.finalizers).toEqual([SNAPSHOT_FINALIZERS.pvcAsSource]);

    await s.sim.runUntil(() => !!s.vs('app', 'snap-0')?.status?.creationTime, 60);
    expect(s.sim.elapsed()).toBe(4);
    expect(s.vs('app', 'snap-0')!.status).toMatchObject({ readyToUse: false, restoreSize: '20Gi' });

    await s.sim.runUntil(() => s.vs('app', 'snap-0')?.status?.readyToUse === true, 60);
    expect(s.sim.elapsed()).toBe(4 + 0.5 * 20);
    const ready = s.vsc(contentName)!.status!;
    expect(ready).toMatchObject({ readyToUse: true, restoreSize: 20 * 1024 ** 3 });
    expect(ready.snapshotHandle).toMatch(/^[0-9a-f-]{36}$/);
    expect(ready.creationTime).toBe(Date.UTC(2026, 0, 1, 0, 0, 4) * 1e6);
    expect(reasons(s.sim, 'snap-0')).toEqual(['Normal CreatingSnapshot', 'Normal SnapshotCreated', 'Normal SnapshotReady']);
    // Once no snapshot of it is being cut, the PVC loses its as-source finalizer.
    expect(s.pvc('app', 'data-0')!.metadata.finalizers ?? []).toEqual([]);
  });

  it('injects snapshot failures: status.error on the content and the VolumeSnapshot, never ready', async () => {
    const s = await storage({ csi: { ...FIXED.csi, snapshotFailureRate: 1 } });
    createWorkloadPvc(s.ctx, { namespace: 'app', name: 'data-0', size: '1Gi' });
    const vs = snapshotOf(s.ctx, 'app', 'snap-0', 'data-0');
    await s.sim.runUntil(() => !!s.vs('app', 'snap-0')?.status?.error, 60);
    expect(s.sim.elapsed()).toBe(4);
    const status = s.vs('app', 'snap-0')!.status!;
    expect(status.readyToUse).toBe(false);
    expect(status.error!.message).toMatch(/^Failed to create snapshot: .*simulated snapshot failure/);
    expect(status.error!.time).toBe('2026-01-01T00:00:04Z');
    const contentName = `snapcontent-${vs.metadata.uid}`;
    expect(s.vsc(contentName)!.status!.snapshotHandle).toBeUndefined();
    expect(reasons(s.sim, contentName)).toEqual(['Warning SnapshotCreationFailed']);
    await s.sim.runTo(600);
    expect(s.vs('app', 'snap-0')!.status!.readyToUse).toBe(false);
  });

  it('readies a pre-provisioned content (Velero’s backup copy) and honours deletionPolicy and finalizers on delete', async () => {
    const s = await storage();
    const { api } = s.ctx;
    createWorkloadPvc(s.ctx, { namespace: 'app', name: 'data-0', size: '2Gi' });
    const original = snapshotOf(s.ctx, 'app', 'snap-0', 'data-0');
    const originalContent = `snapcontent-${original.metadata.uid}`;
    await s.sim.runUntil(() => s.vs('app', 'snap-0')?.status?.readyToUse === true, 60);
    const handle = s.vsc(originalContent)!.status!.snapshotHandle!;

    // What Velero's exposer does (pkg/exposer/csi_snapshot.go): a VS bound by name to a VSC
    // carrying the same snapshotHandle, named as the DataUpload, in the velero namespace.
    const at = s.sim.elapsed();
    const backupVs = api.create(s.r.vs, 'velero', {
      metadata: { name: 'du-1', namespace: 'velero' },
      spec: { source: { volumeSnapshotContentName: 'du-1' }, volumeSnapshotClassName: CSI_SNAPSHOT_CLASS },
    }).obj;
    api.create(s.r.vsc, undefined, {
      metadata: { name: 'du-1' },
      spec: {
        volumeSnapshotRef: { name: 'du-1', namespace: 'velero', uid: backupVs.metadata.uid, resourceVersion: backupVs.metadata.resourceVersion },
        source: { snapshotHandle: handle },
        deletionPolicy: 'Delete',
        driver: CSI_HOSTPATH_DRIVER,
        volumeSnapshotClassName: CSI_SNAPSHOT_CLASS,
      },
    });
    await s.sim.runUntil(() => s.vs('velero', 'du-1')?.status?.readyToUse === true, 60);
    expect(s.sim.elapsed()).toBe(at + PRE_PROVISIONED_READY_SECONDS);
    expect(s.vs('velero', 'du-1')!.status).toMatchObject({ boundVolumeSnapshotContentName: 'du-1', restoreSize: '2Gi' });

    // Retain and delete the original VS and VSC: both go, the physical snapshot stays.
    api.patch(s.r.vsc, undefined, originalContent, 'merge', { spec: { deletionPolicy: 'Retain' } });
    api.delete(s.r.vs, 'app', 'snap-0');
    await s.sim.runUntil(() => !s.vs('app', 'snap-0'), 60);
    expect(s.vsc(originalContent)!.metadata.annotations?.[ANN_VOLUME_SNAPSHOT_BEING_DELETED]).toBe('yes');
    api.delete(s.r.vsc, undefined, originalContent);
    await s.sim.runUntil(() => !s.vsc(originalContent), 60);

    // A second copy of the same handle still restores: the storage kept the snapshot.
    const again = api.create(s.r.vs, 'velero', {
      metadata: { name: 'du-2', namespace: 'velero' },
      spec: { source: { volumeSnapshotContentName: 'du-2' } },
    }).obj;
    api.create(s.r.vsc, undefined, {
      metadata: { name: 'du-2' },
      spec: {
        volumeSnapshotRef: { name: 'du-2', namespace: 'velero', uid: again.metadata.uid },
        source: { snapshotHandle: handle },
        deletionPolicy: 'Retain',
        driver: CSI_HOSTPATH_DRIVER,
      },
    });
    await s.sim.runUntil(() => s.vs('velero', 'du-2')?.status?.readyToUse === true, 120);

    // Deleting the backup VS (deletionPolicy Delete) deletes its content, then itself, and the physical snapshot.
    api.delete(s.r.vs, 'velero', 'du-1');
    await s.sim.runUntil(() => !s.vs('velero', 'du-1') && !s.vsc('du-1'), 120);
    const third = api.create(s.r.vs, 'velero', { metadata: { name: 'du-3', namespace: 'velero' }, spec: { source: { volumeSnapshotContentName: 'du-3' } } }).obj;
    api.create(s.r.vsc, undefined, {
      metadata: { name: 'du-3' },
      spec: { volumeSnapshotRef: { name: 'du-3', namespace: 'velero', uid: third.metadata.uid }, source: { snapshotHandle: handle }, deletionPolicy: 'Delete', driver: CSI_HOSTPATH_DRIVER },
    });
    await s.sim.runUntil(() => !!s.vsc('du-3')?.status?.error, 120);
    expect(s.vsc('du-3')!.status!.error!.message).toContain(`snapshot ${handle} not found`);
  });
});

describe('CsiDriver: provisioning', () => {
  it('binds a PVC restored from a snapshot only after the snapshot is ready, after base + perGiB x size', async () => {
    const s = await storage();
    createWorkloadPvc(s.ctx, { namespace: 'app', name: 'data-0', size: '20Gi' });
    snapshotOf(s.ctx, 'app', 'snap-0', 'data-0');
    await s.sim.runTo(1);
    const claim = claimFromSnapshot(s.ctx, 'app', 'restore-0', 'snap-0', '20Gi');
    await s.sim.runTo(13.9);
    expect(s.pvc('app', 'restore-0')!.status.phase).toBe('Pending');
    expect(reasons(s.sim, 'restore-0')).toEqual(['Normal ExternalProvisioning', 'Normal Provisioning', 'Warning ProvisioningFailed']);
    expect(s.sim.eventsFor('restore-0')[2].message).toContain('snapshot snap-0 is not Ready');

    // Snapshot ready at 4 + 0.5 x 20 = 14 s; restore takes 8 + 0.25 x 20 = 13 s more.
    await s.sim.runUntil(() => s.pvc('app', 'restore-0')?.status?.phase === 'Bound', 120);
    expect(s.sim.elapsed()).toBe(14 + 8 + 0.25 * 20);
    const pvName = `pvc-${claim.metadata.uid}`;
    expect(s.pvc('app', 'restore-0')).toMatchObject({
      spec: { volumeName: pvName },
      status: { phase: 'Bound', capacity: { storage: '20Gi' }, accessModes: ['ReadWriteOnce'] },
      metadata: {
        annotations: {
          'pv.kubernetes.io/bind-completed': 'yes',
          'pv.kubernetes.io/bound-by-controller': 'yes',
          'volume.kubernetes.io/storage-provisioner': CSI_HOSTPATH_DRIVER,
        },
      },
    });
    expect(s.pv(pvName)).toMatchObject({
      metadata: { annotations: { 'pv.kubernetes.io/provisioned-by': CSI_HOSTPATH_DRIVER } },
      spec: {
        claimRef: { namespace: 'app', name: 'restore-0', uid: claim.metadata.uid },
        csi: { driver: CSI_HOSTPATH_DRIVER },
        persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: CSI_STORAGE_CLASS,
      },
      status: { phase: 'Bound' },
    });
    expect(reasons(s.sim, 'restore-0').slice(3)).toEqual(['Normal Provisioning', 'Normal ProvisioningSucceeded']);
  });

  it('binds a plain PVC after provisionSeconds, and deletes its PV with the claim', async () => {
    const s = await storage();
    const claim = s.ctx.api.create(s.r.pvc, 'app', {
      metadata: { name: 'scratch', namespace: 'app' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    }).obj;
    await s.sim.runUntil(() => s.pvc('app', 'scratch')?.status?.phase === 'Bound', 60);
    expect(s.sim.elapsed()).toBe(3);
    const pvName = `pvc-${claim.metadata.uid}`;
    expect(s.pv(pvName)?.spec.capacity.storage).toBe('1Gi');
    s.ctx.api.delete(s.r.pvc, 'app', 'scratch');
    await s.sim.runUntil(() => !s.pv(pvName), 60);
  });

  it('keeps a snapshot that a PVC is being restored from until the PVC is bound', async () => {
    const s = await storage();
    createWorkloadPvc(s.ctx, { namespace: 'app', name: 'data-0', size: '4Gi' });
    const vs = snapshotOf(s.ctx, 'app', 'snap-0', 'data-0');
    await s.sim.runUntil(() => s.vs('app', 'snap-0')?.status?.readyToUse === true, 60);
    const readyAt = s.sim.elapsed();
    claimFromSnapshot(s.ctx, 'app', 'restore-0', 'snap-0', '4Gi');
    await s.sim.runTo(readyAt + 1); // The provisioner has started restoring.
    s.ctx.api.delete(s.r.vs, 'app', 'snap-0');
    await s.sim.runTo(readyAt + 2);
    expect(s.vs('app', 'snap-0')!.metadata.deletionTimestamp).toBeDefined();
    expect(reasons(s.sim, 'snap-0')).toContain('Warning SnapshotDeletePending');
    await s.sim.runUntil(() => !s.vs('app', 'snap-0'), 120);
    expect(s.sim.elapsed()).toBe(readyAt + 8 + 0.25 * 4);
    expect(s.pvc('app', 'restore-0')!.status.phase).toBe('Bound');
    // deletionPolicy Delete: the content went with it.
    expect(s.vsc(`snapcontent-${vs.metadata.uid}`)).toBeUndefined();
  });
});

describe('storage topology: where a volume can be attached (PV nodeAffinity)', () => {
  async function topo(topology: 'node-local' | 'zonal') {
    const s = await storage();
    s.ctx.storageTopology = topology;
    createNodes(s.ctx, [{ count: 3, namePrefix: 'n', capacity: { cpu: '4', memory: '16Gi', pods: '110' }, zones: ['zone-a', 'zone-b'] }]);
    return s;
  }
  const term = (key: string, value: string) => ({ required: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator: 'In', values: [value] }] }] } });

  it('node-local: a workload volume lives on one node; a volume restored from its snapshot is made on that node', async () => {
    const s = await topo('node-local');
    const { pv } = createWorkloadPvc(s.ctx, { namespace: 'app', name: 'data-0', size: '2Gi' });
    const at = volumePlace(pv, 'node-local')!;
    expect(['n-1', 'n-2', 'n-3']).toContain(at);
    expect((pv.spec as Obj).nodeAffinity).toEqual(term('kubernetes.io/hostname', at));
    snapshotOf(s.ctx, 'app', 'snap-0', 'data-0');
    await s.sim.runUntil(() => s.vs('app', 'snap-0')?.status?.readyToUse === true, 60);
    claimFromSnapshot(s.ctx, 'app', 'restored', 'snap-0', '2Gi');
    await s.sim.runUntil(() => s.pvc('app', 'restored')?.status?.phase === 'Bound', 60);
    expect(s.pv(s.pvc('app', 'restored')!.spec.volumeName)!.spec.nodeAffinity).toEqual(term('kubernetes.io/hostname', at));
  });

  it('node-local: a claim whose selected node is not its snapshot\'s is never provisioned (ProvisioningFailed); on that node it is', async () => {
    const s = await topo('node-local');
    const { pv } = createWorkloadPvc(s.ctx, { namespace: 'app', name: 'data-0', size: '2Gi' });
    const at = volumePlace(pv, 'node-local')!;
    const other = ['n-1', 'n-2', 'n-3'].find((n) => n !== at)!;
    snapshotOf(s.ctx, 'app', 'snap-0', 'data-0');
    await s.sim.runUntil(() => s.vs('app', 'snap-0')?.status?.readyToUse === true, 60);
    const claim = (name: string, node: string) => {
      const c = claimFromSnapshot(s.ctx, 'app', name, 'snap-0', '2Gi');
      mutate(s.ctx.api, s.r.pvc, 'app', name, (o) => {
        o.metadata.annotations = { ...o.metadata.annotations, 'volume.kubernetes.io/selected-node': node };
      });
      return c;
    };
    claim('elsewhere', other);
    claim('there', at);
    await s.sim.runUntil(() => s.pvc('app', 'there')?.status?.phase === 'Bound', 60);
    await s.sim.runTo(600);
    expect(s.pvc('app', 'elsewhere')!.status.phase).toBe('Pending');
    const failed = s.sim.eventsFor('elsewhere').find((e) => e.reason === 'ProvisioningFailed')!;
    expect(failed.message).toBe(`failed to provision volume with StorageClass "${CSI_STORAGE_CLASS}": rpc error: code = OutOfRange desc = snapshot of app/data-0 is on node ${at}: a volume restored from it can only be created there, not on node ${other}`);
  });

  it('zonal: nodes take the pool\'s zones in turn; a volume goes to its selected node\'s zone, or a zone drawn from the seed', async () => {
    const s = await topo('zonal');
    const nodes = resourceInfo(s.ctx.api, '', 'v1', 'nodes');
    expect(['n-1', 'n-2', 'n-3'].map((n) => (s.ctx.api.get(nodes, undefined, n).obj.metadata.labels ?? {})['topology.kubernetes.io/zone'])).toEqual(['zone-a', 'zone-b', 'zone-a']);
    const { pv } = createWorkloadPvc(s.ctx, { namespace: 'app', name: 'data-0', size: '2Gi' });
    expect(['zone-a', 'zone-b']).toContain(volumePlace(pv, 'zonal'));
    snapshotOf(s.ctx, 'app', 'snap-0', 'data-0');
    await s.sim.runUntil(() => s.vs('app', 'snap-0')?.status?.readyToUse === true, 60);
    claimFromSnapshot(s.ctx, 'app', 'on-n2', 'snap-0', '2Gi');
    mutate(s.ctx.api, s.r.pvc, 'app', 'on-n2', (o) => {
      o.metadata.annotations = { ...o.metadata.annotations, 'volume.kubernetes.io/selected-node': 'n-2' };
    });
    await s.sim.runUntil(() => s.pvc('app', 'on-n2')?.status?.phase === 'Bound', 60);
    expect(s.pv(s.pvc('app', 'on-n2')!.spec.volumeName)!.spec.nodeAffinity).toEqual(term('topology.kubernetes.io/zone', 'zone-b'));
  });

  it('zonal without zones on the nodes is an error naming what to do', async () => {
    const s = await storage();
    s.ctx.storageTopology = 'zonal';
    createNodes(s.ctx, [{ count: 1, namePrefix: 'n', capacity: { cpu: '4', memory: '16Gi', pods: '110' } }]);
    expect(() => createWorkloadPvc(s.ctx, { namespace: 'app', name: 'data-0', size: '2Gi' })).toThrow('storage topology zonal: no node has the label topology.kubernetes.io/zone; give the node pools zones');
  });
});
