// The embedded cluster's storage: a CSI driver in the spirit of csi-driver-host-path with its
// sidecars, acting on the API as the real ones do, with the latencies of behaviour.csi.
//
// Roles (upstream component in brackets)
// - snapshot controller [kubernetes-csi/external-snapshotter, common controller]: a dynamic
//   VolumeSnapshot (source.persistentVolumeClaimName) gets a VolumeSnapshotContent
//   "snapcontent-<VS uid>"; a pre-provisioned one (source.volumeSnapshotContentName, as Velero's
//   exposer creates for its backup copy) binds the named content; VolumeSnapshot status mirrors
//   its content's; finalizers and deletion as upstream (see deleteSnapshot / the content sync).
// - snapshotter sidecar [csi-snapshotter]: cuts the snapshot after snapshotReadyBaseSeconds
//   (content status: snapshotHandle, creationTime, restoreSize, readyToUse false), then marks it
//   readyToUse after snapshotReadySecondsPerGiB x size more, as drivers that upload snapshots
//   lazily do; with probability snapshotFailureRate the cut fails instead (status.error, never
//   retried). A pre-provisioned content is looked up by its snapshotHandle and is ready after
//   PRE_PROVISIONED_READY_SECONDS. Deleting a content with deletionPolicy Delete deletes the
//   physical snapshot.
// - provisioner [external-provisioner] and the PV controller [kube-controller-manager]: a
//   PVC of a StorageClass of this driver gets a PV "pvc-<PVC uid>" and is bound, after
//   provisionSeconds, or, from a readyToUse VolumeSnapshot, after
//   provisionFromSnapshotBaseSeconds + provisionFromSnapshotSecondsPerGiB x size. A deleted
//   PVC's PV is deleted (reclaimPolicy Delete, after volumeDeleteSeconds) or Released (Retain).
//
// Simplifications, on purpose
// - No kubernetes.io/pvc-protection or pv-protection finalizers (admission plugins and
//   kube-controller-manager controllers, not CSI); PVCs and PVs go away when deleted.
// - No volumesnapshot-being-created annotation: a CreateSnapshot call here is instantaneous.
// - A failed provisioning attempt (snapshot not ready) is retried when the snapshot changes,
//   not on external-provisioner's exponential backoff.
// - Every component emits the Events upstream emits for these steps, once per step.
import type { KubeObject, ResourceInfo } from '../apiserver/types.ts';
import type { Timer } from '../clock.ts';
import { kubeTime } from '../clock.ts';
import { randomUuid, type Random } from '../random.ts';
import { SNAPSHOT_GROUP, SNAPSHOT_VERSION, type VolumeSnapshot, type VolumeSnapshotContent } from '../../controller/api/snapshot.ts';
import { mutate, onChange, resourceInfo, WorkQueue, type SimContext, type StorageTopology } from './context.ts';
import { sample } from './distribution.ts';
import { EventRecorder, referenceTo, type EventType } from './event-recorder.ts';
import { ZONE_LABEL } from './nodes.ts';
import { formatBytes, parseBytes, type Quantity } from './quantity.ts';

export const CSI_HOSTPATH_DRIVER = 'hostpath.csi.k8s.io';
export const CSI_STORAGE_CLASS = 'csi-hostpath-sc';
export const CSI_SNAPSHOT_CLASS = 'csi-hostpath-snapclass';
/** A pre-provisioned content (known snapshotHandle) -> readyToUse: one ListSnapshots call of the sidecar. */
export const PRE_PROVISIONED_READY_SECONDS = 0.5;

const GiB = 1024 ** 3;

/** external-snapshotter pkg/utils/util.go. */
export const SNAPSHOT_FINALIZERS = {
  contentBound: 'snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection',
  snapshotBound: 'snapshot.storage.kubernetes.io/volumesnapshot-bound-protection',
  snapshotAsSource: 'snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection',
  pvcAsSource: 'snapshot.storage.kubernetes.io/pvc-as-source-protection',
} as const;
export const ANN_VOLUME_SNAPSHOT_BEING_DELETED = 'snapshot.storage.kubernetes.io/volumesnapshot-being-deleted';
export const ANN_DEFAULT_SNAPSHOT_CLASS = 'snapshot.storage.kubernetes.io/is-default-class';
export const ANN_DEFAULT_STORAGE_CLASS = 'storageclass.kubernetes.io/is-default-class';
/** Velero picks the VolumeSnapshotClass of a driver by this label (Velero docs, CSI snapshot support). */
export const VELERO_SNAPSHOT_CLASS_LABEL = 'velero.io/csi-volumesnapshot-class';

/** PV / PVC annotations the provisioner and the PV controller write. */
const ANN = {
  provisionedBy: 'pv.kubernetes.io/provisioned-by',
  bindCompleted: 'pv.kubernetes.io/bind-completed',
  boundByController: 'pv.kubernetes.io/bound-by-controller',
  storageProvisioner: 'volume.kubernetes.io/storage-provisioner',
  betaStorageProvisioner: 'volume.beta.kubernetes.io/storage-provisioner',
  selectedNode: 'volume.kubernetes.io/selected-node',
} as const;

type Obj = Record<string, any>;

interface Infos {
  pvc: ResourceInfo;
  pv: ResourceInfo;
  storageClass: ResourceInfo;
  vs: ResourceInfo;
  vsc: ResourceInfo;
  vsClass: ResourceInfo;
}

function infos(ctx: SimContext): Infos {
  const api = ctx.api;
  return {
    pvc: resourceInfo(api, '', 'v1', 'persistentvolumeclaims'),
    pv: resourceInfo(api, '', 'v1', 'persistentvolumes'),
    storageClass: resourceInfo(api, 'storage.k8s.io', 'v1', 'storageclasses'),
    vs: resourceInfo(api, SNAPSHOT_GROUP, SNAPSHOT_VERSION, 'volumesnapshots'),
    vsc: resourceInfo(api, SNAPSHOT_GROUP, SNAPSHOT_VERSION, 'volumesnapshotcontents'),
    vsClass: resourceInfo(api, SNAPSHOT_GROUP, SNAPSHOT_VERSION, 'volumesnapshotclasses'),
  };
}

function live(ctx: SimContext, info: ResourceInfo, namespace: string | undefined, name: string): Obj | undefined {
  return ctx.api.table(info).get(info.namespaced ? `${namespace}/${name}` : name)?.obj as Obj | undefined;
}

// ---- installation ----------------------------------------------------------------------------

export interface StorageOptions {
  driver?: string;
  storageClassName?: string;
  snapshotClassName?: string;
  /** Default Immediate, as csi-driver-host-path's example class. */
  volumeBindingMode?: 'Immediate' | 'WaitForFirstConsumer';
  reclaimPolicy?: 'Delete' | 'Retain';
  snapshotDeletionPolicy?: 'Delete' | 'Retain';
}

export interface InstalledStorage {
  driver: string;
  storageClassName: string;
  snapshotClassName: string;
}

/** Creates the driver's default StorageClass and default VolumeSnapshotClass (existing ones are kept). */
export function installStorage(ctx: SimContext, opts: StorageOptions = {}): InstalledStorage {
  const i = infos(ctx);
  const driver = opts.driver ?? CSI_HOSTPATH_DRIVER;
  const storageClassName = opts.storageClassName ?? CSI_STORAGE_CLASS;
  const snapshotClassName = opts.snapshotClassName ?? CSI_SNAPSHOT_CLASS;
  if (!live(ctx, i.storageClass, undefined, storageClassName)) {
    ctx.api.create(i.storageClass, undefined, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: storageClassName, annotations: { [ANN_DEFAULT_STORAGE_CLASS]: 'true' } },
      provisioner: driver,
      reclaimPolicy: opts.reclaimPolicy ?? 'Delete',
      volumeBindingMode: opts.volumeBindingMode ?? 'Immediate',
      allowVolumeExpansion: true,
    });
  }
  if (!live(ctx, i.vsClass, undefined, snapshotClassName)) {
    ctx.api.create(i.vsClass, undefined, {
      apiVersion: `${SNAPSHOT_GROUP}/${SNAPSHOT_VERSION}`,
      kind: 'VolumeSnapshotClass',
      metadata: {
        name: snapshotClassName,
        annotations: { [ANN_DEFAULT_SNAPSHOT_CLASS]: 'true' },
        labels: { [VELERO_SNAPSHOT_CLASS_LABEL]: 'true' },
      },
      driver,
      deletionPolicy: opts.snapshotDeletionPolicy ?? 'Delete',
    });
  }
  return { driver, storageClassName, snapshotClassName };
}

/** Another StorageClass of the driver, not the default (a scenario file may declare several). */
export function installStorageClass(ctx: SimContext, name: string, volumeBindingMode: 'Immediate' | 'WaitForFirstConsumer' = 'Immediate', driver = CSI_HOSTPATH_DRIVER): void {
  const i = infos(ctx);
  if (live(ctx, i.storageClass, undefined, name)) return;
  ctx.api.create(i.storageClass, undefined, {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name },
    provisioner: driver,
    reclaimPolicy: 'Delete',
    volumeBindingMode,
    allowVolumeExpansion: true,
  });
}

export interface WorkloadPvcOptions {
  namespace: string;
  name: string;
  /** A quantity ("20Gi") or bytes. */
  size: Quantity;
  storageClassName?: string;
  driver?: string;
  labels?: Record<string, string>;
  accessModes?: string[];
  /** Where the volume lives under a storage topology: its node (node-local) or zone (zonal), as a captured cluster's PV says; default drawn from the seed. */
  place?: string;
}

/**
 * A workload's PVC, already provisioned and bound, as if the provisioner had served it long
 * ago: PV "pvc-<PVC uid>" with a CSI volume handle and claimRef, PVC Bound with its capacity.
 */
export function createWorkloadPvc(ctx: SimContext, opts: WorkloadPvcOptions): { pvc: KubeObject; pv: KubeObject } {
  const i = infos(ctx);
  const driver = opts.driver ?? CSI_HOSTPATH_DRIVER;
  const storageClassName = opts.storageClassName ?? CSI_STORAGE_CLASS;
  const accessModes = opts.accessModes ?? ['ReadWriteOnce'];
  const capacity = formatBytes(parseBytes(opts.size, `workload PVC ${opts.namespace}/${opts.name} size`));
  const topology = ctx.storageTopology ?? 'none';
  // Provisioned long ago for an application pod on some node: where it lives is drawn from the seed
  // (first, so a topology the nodes cannot serve leaves nothing half made).
  const place = topology === 'none' ? undefined : opts.place !== undefined ? checkPlace(ctx, topology, opts.place) : drawPlace(ctx, topology, `${opts.namespace}/${opts.name}`);
  const created = ctx.api.create(i.pvc, opts.namespace, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: opts.name, namespace: opts.namespace, ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: { accessModes, resources: { requests: { storage: capacity } }, storageClassName, volumeMode: 'Filesystem' },
  }).obj;
  const pvName = `pvc-${created.metadata.uid}`;
  const volumeHandle = randomUuid(ctx.random.fork(`csi/volume/${opts.namespace}/${opts.name}`));
  const pvBody = persistentVolume(pvName, driver, volumeHandle, capacity, created, storageClassName, 'Delete');
  if (topology !== 'none') pvBody.spec.nodeAffinity = volumeNodeAffinity(topology, place!);
  const pvCreated = ctx.api.create(i.pv, undefined, pvBody);
  const pv = mutate(ctx.api, i.pv, undefined, pvName, (o) => {
    o.status = { phase: 'Bound' };
  }) ?? pvCreated.obj;
  const pvc = mutate(ctx.api, i.pvc, opts.namespace, opts.name, (o) => bindClaim(o, pvName, driver, capacity))!;
  return { pvc, pv };
}

// ---- storage topology ------------------------------------------------------------------------

/** The node label a volume's node affinity names, per topology (csi-driver-host-path's own key is topology.hostpath.csi/node; the hostname label is what local volumes use). */
const TOPOLOGY_KEY = { 'node-local': 'kubernetes.io/hostname', zonal: ZONE_LABEL } as const;

/** A PV's spec.nodeAffinity for a volume at one node or zone. */
function volumeNodeAffinity(topology: Exclude<StorageTopology, 'none'>, value: string): Obj {
  return { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: TOPOLOGY_KEY[topology], operator: 'In', values: [value] }] }] } };
}

/** The node or zone a PV's node affinity names under the topology, if any. */
export function volumePlace(pv: Obj | undefined, topology: StorageTopology): string | undefined {
  if (!pv || topology === 'none') return undefined;
  for (const t of (pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? []) as Obj[]) {
    for (const e of (t.matchExpressions ?? []) as Obj[]) if (e.key === TOPOLOGY_KEY[topology] && e.operator === 'In') return e.values?.[0];
  }
  return undefined;
}

/** A node (node-local) or zone (zonal) drawn from the seed, among the cluster's nodes in name order. */
function drawPlace(ctx: SimContext, topology: Exclude<StorageTopology, 'none'>, streamKey: string): string {
  const places = placesOf(ctx, topology);
  return places[Math.floor(ctx.random.fork(`csi/topology/${streamKey}`).next() * places.length)];
}

/** A volume's given place, if the cluster has it. */
function checkPlace(ctx: SimContext, topology: Exclude<StorageTopology, 'none'>, place: string): string {
  const places = placesOf(ctx, topology);
  if (!places.includes(place)) throw new Error(`storage topology ${topology}: a volume in ${JSON.stringify(place)}, which no node is${topology === 'zonal' ? ' in' : ''} (${places.join(', ')})`);
  return place;
}

/** The nodes (node-local) or zones (zonal) a volume can live in, sorted. */
function placesOf(ctx: SimContext, topology: Exclude<StorageTopology, 'none'>): string[] {
  const nodes = [...ctx.api.table(resourceInfo(ctx.api, '', 'v1', 'nodes')).objects.values()].map((n) => n.obj).sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  const places = topology === 'node-local' ? nodes.map((n) => n.metadata.name!) : [...new Set(nodes.map((n) => n.metadata.labels?.[ZONE_LABEL]).filter((z): z is string => Boolean(z)))].sort();
  if (!places.length) {
    throw new Error(topology === 'zonal' ? `storage topology zonal: no node has the label ${ZONE_LABEL}; give the node pools zones` : 'storage topology node-local: the cluster has no nodes');
  }
  return places;
}

function persistentVolume(
  name: string,
  driver: string,
  volumeHandle: string,
  capacity: string,
  claim: KubeObject,
  storageClassName: string,
  reclaimPolicy: string,
): Obj {
  const spec = claim.spec as Obj;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { [ANN.provisionedBy]: driver } },
    spec: {
      accessModes: spec.accessModes,
      capacity: { storage: capacity },
      claimRef: {
        kind: 'PersistentVolumeClaim',
        namespace: claim.metadata.namespace,
        name: claim.metadata.name,
        uid: claim.metadata.uid,
        apiVersion: 'v1',
        resourceVersion: claim.metadata.resourceVersion,
      },
      csi: { driver, volumeHandle },
      persistentVolumeReclaimPolicy: reclaimPolicy,
      storageClassName,
      volumeMode: spec.volumeMode ?? 'Filesystem',
    },
  };
}

/** What the PV controller writes on a claim it binds. */
function bindClaim(o: Obj, pvName: string, driver: string, capacity: string): void {
  o.metadata.annotations = {
    ...o.metadata.annotations,
    [ANN.bindCompleted]: 'yes',
    [ANN.boundByController]: 'yes',
    [ANN.storageProvisioner]: driver,
    [ANN.betaStorageProvisioner]: driver,
  };
  o.spec.volumeName = pvName;
  o.status = { phase: 'Bound', accessModes: o.spec.accessModes, capacity: { storage: capacity } };
}

// ---- the driver --------------------------------------------------------------------------------

/** A snapshot on the simulated storage, by handle. */
interface PhysicalSnapshot {
  bytes: number;
  /** Nanoseconds since the epoch. */
  createdNs: number;
  /** "namespace/name" of the PVC it was cut from: keys the random draws of what is restored from it. */
  sourcePvc: string;
}

const key = (namespace: string | undefined, name: string) => (namespace ? `${namespace}/${name}` : name);

export interface CsiDriverOptions {
  driver?: string;
}

export class CsiDriver {
  readonly driver: string;
  private readonly queue: WorkQueue;
  private readonly random: Random;
  private i!: Infos;
  private started = false;
  private stopped = false;
  /** Pending delayed steps by "step/uid". */
  private readonly timers = new Map<string, Timer>();
  /** Syncs queued but not yet run, by "kind:key". */
  private readonly queued = new Set<string>();
  private readonly snapshots = new Map<string, PhysicalSnapshot>();
  /** How many times a random stream was asked for, by key (a PVC snapshotted twice draws twice). */
  private readonly draws = new Map<string, number>();
  /** VolumeSnapshot names by "namespace/PVC" they snapshot (PVC changes re-sync them). */
  private readonly snapshotsOfPvc = new Map<string, Set<string>>();
  /** PVC names by "namespace/VolumeSnapshot" they are restored from (snapshot changes re-sync them). */
  private readonly claimsFromSnapshot = new Map<string, Set<string>>();
  /** One-time events already emitted, by "reason/uid". */
  private readonly told = new Set<string>();
  private readonly snapshotController: EventRecorder;
  private readonly snapshotter: EventRecorder;
  private readonly provisioner: EventRecorder;
  private readonly pvController: EventRecorder;
  private readonly provisionerIdentity: string;

  constructor(
    private readonly ctx: SimContext,
    opts: CsiDriverOptions = {},
  ) {
    this.driver = opts.driver ?? CSI_HOSTPATH_DRIVER;
    this.queue = new WorkQueue(ctx.work);
    this.random = ctx.random.fork('csi');
    const id = randomUuid(this.random.fork('identity'));
    this.provisionerIdentity = `${this.driver}_csi-hostpathplugin-0_${id}`;
    this.snapshotController = new EventRecorder(ctx, { component: 'snapshot-controller' });
    this.snapshotter = new EventRecorder(ctx, { component: `csi-snapshotter ${this.driver}` });
    this.provisioner = new EventRecorder(ctx, { component: this.provisionerIdentity });
    this.pvController = new EventRecorder(ctx, { component: 'persistentvolume-controller' });
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.i = infos(this.ctx);
    const ctx = this.ctx;
    onChange(ctx, this.queue, SNAPSHOT_GROUP, 'volumesnapshots', (cur, prev) => {
      const vs = (cur ?? prev) as unknown as VolumeSnapshot;
      const ns = vs.metadata.namespace!;
      const claim = vs.spec?.source?.persistentVolumeClaimName;
      if (!cur && claim) {
        // Gone: its PVC may lose the as-source finalizer now.
        this.index(this.snapshotsOfPvc, key(ns, claim), vs.metadata.name!, false);
        this.releaseSourceClaim(ns, claim, undefined);
      }
      this.enqueue('vs', key(ns, vs.metadata.name!));
      const content = vs.status?.boundVolumeSnapshotContentName;
      if (content) this.enqueue('vsc', content);
      for (const pvc of this.claimsFromSnapshot.get(key(ns, vs.metadata.name!)) ?? []) this.enqueue('pvc', key(ns, pvc));
    });
    onChange(ctx, this.queue, SNAPSHOT_GROUP, 'volumesnapshotcontents', (cur, prev) => {
      const content = (cur ?? prev) as unknown as VolumeSnapshotContent;
      this.enqueue('vsc', content.metadata.name!);
      const ref = content.spec.volumeSnapshotRef;
      if (ref?.name && ref.namespace) this.enqueue('vs', key(ref.namespace, ref.name));
    });
    onChange(ctx, this.queue, '', 'persistentvolumeclaims', (cur, prev) => {
      const pvc = (cur ?? prev) as Obj;
      const ns = pvc.metadata.namespace;
      if (!cur) this.reclaim(pvc);
      else this.enqueue('pvc', key(ns, pvc.metadata.name));
      for (const vs of this.snapshotsOfPvc.get(key(ns, pvc.metadata.name)) ?? []) this.enqueue('vs', key(ns, vs));
      const ds = restoreSource(pvc);
      if (ds) this.enqueue('vs', key(ns, ds));
    });
    // Level-based start: what exists already is synced as if it had just changed.
    for (const s of this.ctx.api.table(this.i.vsc).objects.values()) {
      const c = s.obj as unknown as VolumeSnapshotContent;
      const handle = c.status?.snapshotHandle;
      if (handle && c.spec.source.volumeHandle) {
        this.snapshots.set(handle, {
          bytes: c.status?.restoreSize ?? 0,
          createdNs: c.status?.creationTime ?? 0,
          sourcePvc: this.sourcePvcOf(c) ?? c.metadata.name!,
        });
      }
      this.enqueue('vsc', c.metadata.name!);
    }
    for (const s of this.ctx.api.table(this.i.vs).objects.values()) this.enqueue('vs', s.key);
    for (const s of this.ctx.api.table(this.i.pvc).objects.values()) this.enqueue('pvc', s.key);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }

  // ---- plumbing ------------------------------------------------------------------------------

  private enqueue(kind: 'vs' | 'vsc' | 'pvc', k: string): void {
    const id = `${kind}:${k}`;
    if (this.stopped || this.queued.has(id)) return;
    this.queued.add(id);
    this.queue.push(() => {
      this.queued.delete(id);
      if (this.stopped) return;
      if (kind === 'vs') this.syncSnapshot(k);
      else if (kind === 'vsc') this.syncContent(k);
      else this.syncClaim(k);
    });
  }

  /** Runs fn after seconds of virtual time, once per id (a pending step is not scheduled twice). */
  private after(id: string, seconds: number, fn: () => void): void {
    if (this.timers.has(id)) return;
    this.timers.set(
      id,
      this.ctx.clock.setTimer(seconds * 1000, () => {
        this.timers.delete(id);
        if (!this.stopped) fn();
      }),
    );
  }

  /** A random stream per subject, so that a PVC's snapshot gets the same draws whatever else the run does. */
  private stream(subject: string): Random {
    const n = this.draws.get(subject) ?? 0;
    this.draws.set(subject, n + 1);
    return this.random.fork(`${subject}#${n}`);
  }

  private emit(recorder: EventRecorder, obj: unknown, type: EventType, reason: string, message: string): void {
    recorder.record(referenceTo(obj as KubeObject), type, reason, message);
  }

  private once(reason: string, uid: string | undefined, emit: () => void): void {
    const id = `${reason}/${uid}`;
    if (this.told.has(id)) return;
    this.told.add(id);
    emit();
  }

  private index(map: Map<string, Set<string>>, k: string, name: string, present: boolean): void {
    let set = map.get(k);
    if (present) {
      if (!set) map.set(k, (set = new Set()));
      set.add(name);
    } else if (set) {
      set.delete(name);
      if (set.size === 0) map.delete(k);
    }
  }

  /** Removes finalizers through an update, so that an object being deleted goes away when none are left. */
  private dropFinalizers(info: ResourceInfo, obj: Obj, drop: string[]): void {
    const finalizers: string[] = obj.metadata.finalizers ?? [];
    if (!finalizers.some((f) => drop.includes(f))) return;
    this.ctx.api.update(info, obj.metadata.namespace, obj.metadata.name, {
      ...obj,
      metadata: { ...obj.metadata, finalizers: finalizers.filter((f) => !drop.includes(f)) },
    });
  }

  private addFinalizers(info: ResourceInfo, obj: Obj, add: string[]): void {
    mutate(this.ctx.api, info, obj.metadata.namespace, obj.metadata.name, (o) => {
      const missing = add.filter((f) => !(o.metadata.finalizers ?? []).includes(f));
      if (missing.length === 0 || o.metadata.deletionTimestamp) return false;
      o.metadata.finalizers = [...(o.metadata.finalizers ?? []), ...missing];
    });
  }

  // ---- snapshot controller: VolumeSnapshots --------------------------------------------------

  private syncSnapshot(k: string): void {
    const [ns, name] = k.split('/');
    const vs = live(this.ctx, this.i.vs, ns, name) as VolumeSnapshot | undefined;
    if (!vs) return;
    const source = vs.spec.source ?? {};
    if (source.persistentVolumeClaimName) this.index(this.snapshotsOfPvc, key(ns, source.persistentVolumeClaimName), name, true);
    // As upstream, at the start of every sync: the PVC loses its as-source finalizer once no snapshot of it is being cut.
    if (source.persistentVolumeClaimName) this.releaseSourceClaim(ns, source.persistentVolumeClaimName, vs.metadata.deletionTimestamp ? name : undefined);
    if (vs.metadata.deletionTimestamp) return this.deleteSnapshot(vs);
    if (!source.persistentVolumeClaimName === !source.volumeSnapshotContentName) {
      return this.snapshotError(vs, 'SnapshotValidationError', 'Exactly one of PersistentVolumeClaimName and VolumeSnapshotContentName should be specified');
    }
    if (source.volumeSnapshotContentName) this.syncPreProvisionedSnapshot(vs, source.volumeSnapshotContentName);
    else this.syncDynamicSnapshot(vs, source.persistentVolumeClaimName!);
  }

  private syncDynamicSnapshot(vs: VolumeSnapshot, claimName: string): void {
    const ns = vs.metadata.namespace!;
    const contentName = `snapcontent-${vs.metadata.uid}`;
    let content = live(this.ctx, this.i.vsc, undefined, contentName) as VolumeSnapshotContent | undefined;
    if (!content) {
      if (vs.status?.boundVolumeSnapshotContentName) {
        return this.snapshotError(vs, 'SnapshotContentMissing', 'VolumeSnapshotContent is missing');
      }
      content = this.createContent(vs, claimName, contentName);
      if (!content) return;
    }
    const ref = content.spec.volumeSnapshotRef;
    if (!content.spec.source.volumeHandle) {
      return this.snapshotError(vs, 'SnapshotContentMismatch', `VolumeSnapshotContent ${contentName} is pre-provisioned while expecting a dynamically provisioned one`);
    }
    if (ref.name !== vs.metadata.name || ref.namespace !== ns || ref.uid !== vs.metadata.uid) {
      return this.snapshotError(vs, 'SnapshotContentMisbound', `VolumeSnapshotContent [${contentName}] is bound to a different snapshot`);
    }
    this.bindSnapshot(vs, content);
  }

  /** The snapshot controller's createSnapshotContent: PVC finalizer, class, PV, then the content. */
  private createContent(vs: VolumeSnapshot, claimName: string, contentName: string): VolumeSnapshotContent | undefined {
    const ns = vs.metadata.namespace!;
    const name = vs.metadata.name!;
    const failed = (message: string) => {
      this.snapshotError(vs, 'SnapshotContentCreationFailed', `Failed to create snapshot content with error ${message}`);
      return undefined;
    };
    const pvc = live(this.ctx, this.i.pvc, ns, claimName);
    if (!pvc) return failed(`snapshot controller failed to update ${name} on API server: cannot get claim from snapshot`);
    if (pvc.metadata.deletionTimestamp) {
      return failed(`snapshot controller failed to update ${claimName} on API server: cannot add finalizer on claim because it is being deleted`);
    }
    const input = (why: string) => failed(`failed to get input parameters to create snapshot ${name}: "${why}"`);
    const pv = pvc.spec.volumeName ? live(this.ctx, this.i.pv, undefined, pvc.spec.volumeName) : undefined;
    if (!pvc.spec.volumeName || pvc.status?.phase !== 'Bound') {
      return input(`the PVC ${claimName} is not yet bound to a PV, will not attempt to take a snapshot`);
    }
    if (!pv) return input(`persistentvolume "${pvc.spec.volumeName}" not found`);
    let className = vs.spec.volumeSnapshotClassName;
    if (!className) {
      // The snapshot controller sets the driver's default class on the VolumeSnapshot's spec.
      className = this.defaultSnapshotClass(pv.spec.csi?.driver);
      if (!className) return failed(`cannot find default snapshot class`);
      const picked = className;
      mutate(this.ctx.api, this.i.vs, ns, name, (o) => {
        o.spec.volumeSnapshotClassName = picked;
      });
    }
    const cls = live(this.ctx, this.i.vsClass, undefined, className);
    if (!cls) return input(`volumesnapshotclass.snapshot.storage.k8s.io "${className}" not found`);
    if (!pv.spec.csi) return failed(`cannot find CSI PersistentVolumeSource for volume ${pv.metadata.name}`);
    if (!(pvc.metadata.finalizers ?? []).includes(SNAPSHOT_FINALIZERS.pvcAsSource)) {
      this.addFinalizers(this.i.pvc, pvc, [SNAPSHOT_FINALIZERS.pvcAsSource]);
    }
    const current = live(this.ctx, this.i.vs, ns, name)!;
    const content = this.ctx.api.create(this.i.vsc, undefined, {
      apiVersion: `${SNAPSHOT_GROUP}/${SNAPSHOT_VERSION}`,
      kind: 'VolumeSnapshotContent',
      metadata: { name: contentName },
      spec: {
        volumeSnapshotRef: {
          kind: 'VolumeSnapshot',
          namespace: ns,
          name,
          uid: current.metadata.uid,
          apiVersion: `${SNAPSHOT_GROUP}/${SNAPSHOT_VERSION}`,
          resourceVersion: current.metadata.resourceVersion,
        },
        source: { volumeHandle: pv.spec.csi.volumeHandle },
        volumeSnapshotClassName: className,
        deletionPolicy: cls.deletionPolicy,
        driver: cls.driver,
        sourceVolumeMode: pv.spec.volumeMode ?? 'Filesystem',
      },
    }).obj as unknown as VolumeSnapshotContent;
    this.emit(this.snapshotController, current as KubeObject, 'Normal', 'CreatingSnapshot', `Waiting for a snapshot ${ns}/${name} to be created by the CSI driver.`);
    return content;
  }

  private defaultSnapshotClass(driver: string | undefined): string | undefined {
    for (const s of this.ctx.api.table(this.i.vsClass).objects.values()) {
      const c = s.obj as Obj;
      if (c.driver === driver && c.metadata.annotations?.[ANN_DEFAULT_SNAPSHOT_CLASS] === 'true') return c.metadata.name;
    }
    return undefined;
  }

  private syncPreProvisionedSnapshot(vs: VolumeSnapshot, contentName: string): void {
    const content = live(this.ctx, this.i.vsc, undefined, contentName) as VolumeSnapshotContent | undefined;
    if (!content) return this.snapshotError(vs, 'SnapshotContentMissing', 'VolumeSnapshotContent is missing');
    if (!content.spec.source.snapshotHandle) {
      return this.snapshotError(vs, 'SnapshotContentMismatch', 'VolumeSnapshotContent is dynamically provisioned while expecting a pre-provisioned one');
    }
    const ref = content.spec.volumeSnapshotRef;
    if (ref.name !== vs.metadata.name || ref.namespace !== vs.metadata.namespace || (ref.uid && ref.uid !== vs.metadata.uid)) {
      return this.snapshotError(vs, 'SnapshotContentMisbound', `VolumeSnapshotContent [${contentName}] is bound to a different snapshot`);
    }
    if (!ref.uid) {
      mutate(this.ctx.api, this.i.vsc, undefined, contentName, (o) => {
        o.spec.volumeSnapshotRef.uid = vs.metadata.uid;
      });
    }
    this.bindSnapshot(vs, live(this.ctx, this.i.vsc, undefined, contentName) as VolumeSnapshotContent);
  }

  /** Finalizers on a bound snapshot, then its status from its content's (updateSnapshotStatus upstream). */
  private bindSnapshot(vs: VolumeSnapshot, content: VolumeSnapshotContent): void {
    const wanted: string[] = [SNAPSHOT_FINALIZERS.snapshotAsSource];
    if (content.spec.deletionPolicy === 'Delete') wanted.push(SNAPSHOT_FINALIZERS.snapshotBound);
    this.addFinalizers(this.i.vs, vs as unknown as Obj, wanted);
    const before = (live(this.ctx, this.i.vs, vs.metadata.namespace, vs.metadata.name!) as VolumeSnapshot).status ?? {};
    const cs = content.status ?? {};
    const next: NonNullable<VolumeSnapshot['status']> = { ...before };
    next.boundVolumeSnapshotContentName ??= content.metadata.name!;
    if (!next.creationTime && cs.creationTime) next.creationTime = kubeTime(cs.creationTime / 1e6);
    next.readyToUse = cs.readyToUse ?? false;
    if ((!next.restoreSize || next.restoreSize === '0') && cs.restoreSize !== undefined) next.restoreSize = formatBytes(cs.restoreSize);
    if (cs.error) next.error = cs.error;
    else delete next.error;
    if (JSON.stringify(next) === JSON.stringify(before)) return;
    const updated = mutate(this.ctx.api, this.i.vs, vs.metadata.namespace, vs.metadata.name!, (o) => {
      o.status = next;
    });
    if (!updated) return;
    const ref = `${vs.metadata.namespace}/${vs.metadata.name}`;
    if (!before.creationTime && next.creationTime) {
      this.emit(this.snapshotController, updated, 'Normal', 'SnapshotCreated', `Snapshot ${ref} was successfully created by the CSI driver.`);
    }
    if (!before.readyToUse && next.readyToUse) {
      this.emit(this.snapshotController, updated, 'Normal', 'SnapshotReady', `Snapshot ${ref} is ready to use.`);
    }
  }

  /** updateSnapshotErrorStatusWithEvent: status.error (and readyToUse false) plus a Warning, unless the same error is set. */
  private snapshotError(vs: VolumeSnapshot, reason: string, message: string): void {
    if (vs.status?.error?.message === message) return;
    const updated = mutate(this.ctx.api, this.i.vs, vs.metadata.namespace, vs.metadata.name!, (o) => {
      o.status = { ...o.status, error: { message, time: kubeTime(this.ctx.clock.now()) }, readyToUse: false };
    });
    if (updated) this.emit(this.snapshotController, updated, 'Warning', reason, message);
  }

  /** checkandRemovePVCFinalizer: drop the PVC's as-source finalizer once none of its snapshots is still being cut. */
  private releaseSourceClaim(ns: string, claimName: string, skip: string | undefined): void {
    const pvc = live(this.ctx, this.i.pvc, ns, claimName);
    if (!pvc || !(pvc.metadata.finalizers ?? []).includes(SNAPSHOT_FINALIZERS.pvcAsSource)) return;
    for (const name of this.snapshotsOfPvc.get(key(ns, claimName)) ?? []) {
      if (name === skip) continue;
      const other = live(this.ctx, this.i.vs, ns, name) as VolumeSnapshot | undefined;
      if (other?.spec.source.persistentVolumeClaimName === claimName && !other.status?.readyToUse) return;
    }
    this.dropFinalizers(this.i.pvc, pvc, [SNAPSHOT_FINALIZERS.pvcAsSource]);
  }

  /**
   * processSnapshotWithDeletionTimestamp: a snapshot a Pending PVC is restored from waits; a
   * bound content is marked being-deleted and, with deletionPolicy Delete, deleted, the
   * snapshot keeping its bound finalizer until the content is gone; otherwise both finalizers go.
   */
  private deleteSnapshot(vs: VolumeSnapshot): void {
    const ns = vs.metadata.namespace!;
    const fins = vs.metadata.finalizers ?? [];
    if (!fins.includes(SNAPSHOT_FINALIZERS.snapshotAsSource) && !fins.includes(SNAPSHOT_FINALIZERS.snapshotBound)) return;
    const contentName = vs.status?.boundVolumeSnapshotContentName ??
      (vs.spec.source.persistentVolumeClaimName ? `snapcontent-${vs.metadata.uid}` : undefined);
    let content = contentName ? (live(this.ctx, this.i.vsc, undefined, contentName) as VolumeSnapshotContent | undefined) : undefined;
    const ref = content?.spec.volumeSnapshotRef;
    if (ref && (ref.name !== vs.metadata.name || ref.namespace !== ns || ref.uid !== vs.metadata.uid)) content = undefined;
    if (content && this.restoring(vs)) {
      this.once('SnapshotDeletePending', vs.metadata.uid, () =>
        this.emit(this.snapshotController, vs as unknown as KubeObject, 'Warning', 'SnapshotDeletePending', 'Snapshot is being used to restore a PVC'));
      return;
    }
    const deleteContent = !!content && content.spec.deletionPolicy === 'Delete';
    if (content) {
      const name = content.metadata.name!;
      if (!content.metadata.annotations?.[ANN_VOLUME_SNAPSHOT_BEING_DELETED]) {
        mutate(this.ctx.api, this.i.vsc, undefined, name, (o) => {
          o.metadata.annotations = { ...o.metadata.annotations, [ANN_VOLUME_SNAPSHOT_BEING_DELETED]: 'yes' };
        });
      }
      if (deleteContent && !content.metadata.deletionTimestamp) {
        try {
          this.ctx.api.delete(this.i.vsc, undefined, name);
        } catch {
          // Gone meanwhile.
        }
      }
    }
    const drop: string[] = [SNAPSHOT_FINALIZERS.snapshotAsSource];
    if (!deleteContent) drop.push(SNAPSHOT_FINALIZERS.snapshotBound);
    this.dropFinalizers(this.i.vs, live(this.ctx, this.i.vs, ns, vs.metadata.name!)!, drop);
  }

  /** isVolumeBeingCreatedFromSnapshot: a Pending PVC has this snapshot as its dataSource. */
  private restoring(vs: VolumeSnapshot): boolean {
    const ns = vs.metadata.namespace!;
    for (const name of this.claimsFromSnapshot.get(key(ns, vs.metadata.name!)) ?? []) {
      const pvc = live(this.ctx, this.i.pvc, ns, name);
      if (pvc && restoreSource(pvc) === vs.metadata.name && pvc.status?.phase === 'Pending') return true;
    }
    return false;
  }

  // ---- snapshot controller and sidecar: VolumeSnapshotContents --------------------------------

  private syncContent(name: string): void {
    const content = live(this.ctx, this.i.vsc, undefined, name) as VolumeSnapshotContent | undefined;
    if (!content) return;
    const meta = content.metadata;
    const ref = content.spec.volumeSnapshotRef ?? {};
    if (meta.deletionTimestamp) {
      // The sidecar deletes a content whose snapshot is being deleted, or an unbound pre-provisioned one.
      const unboundPreProvisioned = !!content.spec.source.snapshotHandle && !ref.uid;
      if (!unboundPreProvisioned && !meta.annotations?.[ANN_VOLUME_SNAPSHOT_BEING_DELETED]) return;
      const handle = content.status?.snapshotHandle;
      if (content.spec.deletionPolicy === 'Delete' && handle) this.snapshots.delete(handle);
      this.dropFinalizers(this.i.vsc, content as unknown as Obj, [SNAPSHOT_FINALIZERS.contentBound]);
      return;
    }
    if (ref.uid) this.addFinalizers(this.i.vsc, content as unknown as Obj, [SNAPSHOT_FINALIZERS.contentBound]);
    if (content.spec.driver !== this.driver) return;
    if (content.spec.source.volumeHandle && !content.status) this.cutSnapshot(content);
    else if (content.spec.source.snapshotHandle && !content.status?.readyToUse && !content.status?.error) {
      this.after(`list/${meta.uid}`, PRE_PROVISIONED_READY_SECONDS, () => this.listSnapshot(name, meta.uid!));
    }
  }

  /** "namespace/PVC" a dynamic content's snapshot is cut from. */
  private sourcePvcOf(content: VolumeSnapshotContent): string | undefined {
    const ref = content.spec.volumeSnapshotRef;
    const vs = ref?.name ? (live(this.ctx, this.i.vs, ref.namespace, ref.name) as VolumeSnapshot | undefined) : undefined;
    const pvc = vs?.spec.source.persistentVolumeClaimName;
    return pvc ? key(ref.namespace, pvc) : undefined;
  }

  /** The sidecar's CreateSnapshot: cut after the base delay, readyToUse after the per-GiB delay, or fail. */
  private cutSnapshot(content: VolumeSnapshotContent): void {
    const uid = content.metadata.uid!;
    if (this.timers.has(`cut/${uid}`) || this.timers.has(`ready/${uid}`)) return;
    const name = content.metadata.name!;
    const csi = this.ctx.behaviour.csi;
    const sourcePvc = this.sourcePvcOf(content) ?? name;
    const rng = this.stream(`snapshot/${sourcePvc}`);
    const base = sample(csi.snapshotReadyBaseSeconds, rng);
    const fails = rng.next() < csi.snapshotFailureRate;
    const handle = randomUuid(rng);
    const bytes = this.volumeBytes(sourcePvc);
    const upload = csi.snapshotReadySecondsPerGiB * (bytes / GiB);
    this.after(`cut/${uid}`, base, () => {
      const current = live(this.ctx, this.i.vsc, undefined, name) as VolumeSnapshotContent | undefined;
      if (!current || current.metadata.uid !== uid || current.status) return;
      const now = this.ctx.clock.now();
      if (fails) {
        const message = `Failed to create snapshot: failed to take snapshot of the volume ${content.spec.source.volumeHandle}: ` +
          `"rpc error: code = Internal desc = simulated snapshot failure (behaviour.csi.snapshotFailureRate)"`;
        const updated = mutate(this.ctx.api, this.i.vsc, undefined, name, (o) => {
          o.status = { readyToUse: false, error: { message, time: kubeTime(now) } };
        });
        if (updated) this.emit(this.snapshotter, updated, 'Warning', 'SnapshotCreationFailed', message);
        return;
      }
      const createdNs = Math.round(now) * 1e6;
      this.snapshots.set(handle, { bytes, createdNs, sourcePvc });
      mutate(this.ctx.api, this.i.vsc, undefined, name, (o) => {
        o.status = { snapshotHandle: handle, creationTime: createdNs, readyToUse: upload === 0, restoreSize: bytes };
      });
      if (upload > 0) {
        this.after(`ready/${uid}`, upload, () => {
          mutate(this.ctx.api, this.i.vsc, undefined, name, (o) => {
            if (o.metadata.uid !== uid || !o.status?.snapshotHandle || o.status.readyToUse) return false;
            o.status.readyToUse = true;
          });
        });
      }
    });
  }

  /** Size of the volume behind "namespace/PVC": its PV's capacity, else the claim's. */
  private volumeBytes(claimKey: string): number {
    const [ns, name] = claimKey.split('/');
    const pvc = name ? live(this.ctx, this.i.pvc, ns, name) : undefined;
    const pv = pvc?.spec.volumeName ? live(this.ctx, this.i.pv, undefined, pvc.spec.volumeName) : undefined;
    const q = pv?.spec.capacity?.storage ?? pvc?.status?.capacity?.storage ?? pvc?.spec.resources?.requests?.storage;
    return q === undefined ? 0 : parseBytes(q, `capacity of ${claimKey}`);
  }

  /** The sidecar's ListSnapshots for a pre-provisioned content: ready when the storage knows the handle. */
  private listSnapshot(name: string, uid: string): void {
    const content = live(this.ctx, this.i.vsc, undefined, name) as VolumeSnapshotContent | undefined;
    if (!content || content.metadata.uid !== uid || content.status?.readyToUse) return;
    const handle = content.spec.source.snapshotHandle!;
    const snap = this.snapshots.get(handle);
    if (!snap) {
      const message = `Failed to check and update snapshot content: failed to list snapshot for content ${name}: ` +
        `"rpc error: code = NotFound desc = snapshot ${handle} not found"`;
      const updated = mutate(this.ctx.api, this.i.vsc, undefined, name, (o) => {
        o.status = { ...o.status, readyToUse: false, error: { message, time: kubeTime(this.ctx.clock.now()) } };
      });
      if (updated) this.emit(this.snapshotter, updated, 'Warning', 'SnapshotContentCheckandUpdateFailed', message);
      return;
    }
    mutate(this.ctx.api, this.i.vsc, undefined, name, (o) => {
      o.status = { snapshotHandle: handle, creationTime: snap.createdNs, readyToUse: true, restoreSize: snap.bytes };
    });
  }

  // ---- provisioner and PV controller: PersistentVolumeClaims -----------------------------------

  private syncClaim(k: string): void {
    const [ns, name] = k.split('/');
    const pvc = live(this.ctx, this.i.pvc, ns, name);
    if (!pvc) return;
    const fromSnapshot = restoreSource(pvc);
    if (fromSnapshot) this.index(this.claimsFromSnapshot, key(ns, fromSnapshot), name, pvc.status?.phase === 'Pending');
    if (pvc.metadata.deletionTimestamp || pvc.spec.volumeName || pvc.status?.phase !== 'Pending') return;
    const className = pvc.spec.storageClassName ?? this.defaultStorageClass();
    const sc = className ? live(this.ctx, this.i.storageClass, undefined, className) : undefined;
    if (!sc || sc.provisioner !== this.driver) return;
    const uid = pvc.metadata.uid;
    this.once('ExternalProvisioning', uid, () =>
      this.emit(this.pvController, pvc as KubeObject, 'Normal', 'ExternalProvisioning',
        `Waiting for a volume to be created either by the external provisioner '${this.driver}' or manually by the system administrator. ` +
          'If volume creation is delayed, please verify that the provisioner is running and correctly registered.'));
    if (sc.volumeBindingMode === 'WaitForFirstConsumer' && !pvc.metadata.annotations?.[ANN.selectedNode]) {
      this.once('WaitForFirstConsumer', uid, () =>
        this.emit(this.pvController, pvc as KubeObject, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding'));
      return;
    }
    const ds = pvc.spec.dataSourceRef ?? pvc.spec.dataSource;
    if (ds && !fromSnapshot) return; // Clones and populators are not simulated.
    if (fromSnapshot) {
      const why = this.notRestorable(ns, fromSnapshot);
      if (why) {
        this.once(`ProvisioningFailed/${why}`, uid, () => {
          this.emit(this.provisioner, pvc as KubeObject, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${ns}/${name}"`);
          this.emit(this.provisioner, pvc as KubeObject, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${className}": ${why}`);
        });
        return;
      }
    }
    if (this.timers.has(`provision/${uid}`)) return;
    const place = this.placeVolume(pvc, fromSnapshot);
    if ('error' in place) {
      this.once(`ProvisioningFailed/${place.error}`, uid, () => {
        this.emit(this.provisioner, pvc as KubeObject, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${ns}/${name}"`);
        this.emit(this.provisioner, pvc as KubeObject, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${className}": ${place.error}`);
      });
      return;
    }
    this.emit(this.provisioner, pvc as KubeObject, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${ns}/${name}"`);
    const csi = this.ctx.behaviour.csi;
    const bytes = parseBytes(pvc.spec.resources?.requests?.storage ?? 0, `PVC ${k} spec.resources.requests.storage`);
    const seconds = fromSnapshot
      ? sample(csi.provisionFromSnapshotBaseSeconds, this.stream(`restore/${this.restoredPvc(ns, fromSnapshot) ?? k}`)) +
        csi.provisionFromSnapshotSecondsPerGiB * (bytes / GiB)
      : sample(csi.provisionSeconds, this.stream(`provision/${k}`));
    this.after(`provision/${uid}`, seconds, () => this.provision(ns, name, uid, className!, bytes, place.value));
  }

  /**
   * Where a new volume goes under the cluster's storage topology. node-local: on the selected
   * node (WaitForFirstConsumer), else where its snapshot lives (a snapshot stays on its volume's
   * node, as csi-driver-host-path keeps it), else a node drawn from the seed; a snapshot on
   * another node than the selected one cannot be restored there. zonal: the selected node's
   * zone, else a zone drawn from the seed (snapshots are regional).
   */
  private placeVolume(pvc: Obj, fromSnapshot: string | undefined): { value?: string } | { error: string } {
    const topology = this.ctx.storageTopology ?? 'none';
    if (topology === 'none') return {};
    const ns = pvc.metadata.namespace as string;
    const selected = pvc.metadata.annotations?.[ANN.selectedNode] as string | undefined;
    const streamKey = `${ns}/${pvc.metadata.name}`;
    if (topology === 'node-local') {
      const source = fromSnapshot ? this.restoredPvc(ns, fromSnapshot) : undefined;
      const [sourceNs, sourceName] = source?.split('/') ?? [];
      const sourcePvc = source ? live(this.ctx, this.i.pvc, sourceNs, sourceName) : undefined;
      const at = volumePlace(sourcePvc?.spec?.volumeName ? live(this.ctx, this.i.pv, undefined, sourcePvc.spec.volumeName) : undefined, topology);
      if (selected && at && selected !== at) {
        return { error: `rpc error: code = OutOfRange desc = snapshot of ${source} is on node ${at}: a volume restored from it can only be created there, not on node ${selected}` };
      }
      return selected ?? at ? { value: selected ?? at } : this.drawn(topology, streamKey);
    }
    if (selected) {
      const node = live(this.ctx, resourceInfo(this.ctx.api, '', 'v1', 'nodes'), undefined, selected);
      const zone = node?.metadata.labels?.[ZONE_LABEL] as string | undefined;
      if (!zone) return { error: `rpc error: code = InvalidArgument desc = node ${selected} has no ${ZONE_LABEL} label` };
      return { value: zone };
    }
    return this.drawn(topology, streamKey);
  }

  private drawn(topology: Exclude<StorageTopology, 'none'>, streamKey: string): { value: string } | { error: string } {
    try {
      return { value: drawPlace(this.ctx, topology, streamKey) };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }

  private defaultStorageClass(): string | undefined {
    for (const s of this.ctx.api.table(this.i.storageClass).objects.values()) {
      if ((s.obj.metadata.annotations ?? {})[ANN_DEFAULT_STORAGE_CLASS] === 'true') return s.obj.metadata.name;
    }
    return undefined;
  }

  /** Why a volume cannot be restored from the snapshot now (external-provisioner's messages), or undefined. */
  private notRestorable(ns: string, snapshot: string): string | undefined {
    const vs = live(this.ctx, this.i.vs, ns, snapshot) as VolumeSnapshot | undefined;
    if (!vs) return `error getting handle for DataSource Type VolumeSnapshot by Name ${snapshot}: error getting snapshot ${snapshot} from api server: volumesnapshots.snapshot.storage.k8s.io "${snapshot}" not found`;
    if (vs.metadata.deletionTimestamp) return `error getting handle for DataSource Type VolumeSnapshot by Name ${snapshot}: snapshot ${snapshot} is currently being deleted`;
    if (!vs.status?.readyToUse) return `error getting handle for DataSource Type VolumeSnapshot by Name ${snapshot}: snapshot ${snapshot} is not Ready`;
    return undefined;
  }

  /** The workload PVC a snapshot was originally cut from (through its content's handle), to key restore draws. */
  private restoredPvc(ns: string, snapshot: string): string | undefined {
    const vs = live(this.ctx, this.i.vs, ns, snapshot) as VolumeSnapshot | undefined;
    const contentName = vs?.status?.boundVolumeSnapshotContentName;
    const content = contentName ? (live(this.ctx, this.i.vsc, undefined, contentName) as VolumeSnapshotContent | undefined) : undefined;
    const handle = content?.status?.snapshotHandle ?? content?.spec.source.snapshotHandle;
    return handle ? this.snapshots.get(handle)?.sourcePvc : undefined;
  }

  private provision(ns: string, name: string, uid: string, className: string, bytes: number, place?: string): void {
    const pvc = live(this.ctx, this.i.pvc, ns, name);
    if (!pvc || pvc.metadata.uid !== uid || pvc.spec.volumeName || pvc.metadata.deletionTimestamp) return;
    // A CreateVolume in flight completes although its snapshot is being deleted meanwhile (the
    // snapshot's as-source finalizer waits for it); only a snapshot gone altogether stops it.
    const fromSnapshot = restoreSource(pvc);
    if (fromSnapshot && !live(this.ctx, this.i.vs, ns, fromSnapshot)) {
      this.enqueue('pvc', key(ns, name));
      return;
    }
    const sc = live(this.ctx, this.i.storageClass, undefined, className);
    const pvName = `pvc-${uid}`;
    const capacity = formatBytes(bytes);
    const volumeHandle = randomUuid(this.stream(`volume/${ns}/${name}`));
    const pv = persistentVolume(pvName, this.driver, volumeHandle, capacity, pvc as KubeObject, className, sc?.reclaimPolicy ?? 'Delete');
    pv.spec.csi.volumeAttributes = { 'storage.kubernetes.io/csiProvisionerIdentity': this.provisionerIdentity };
    const topology = this.ctx.storageTopology ?? 'none';
    if (place !== undefined && topology !== 'none') pv.spec.nodeAffinity = volumeNodeAffinity(topology, place);
    try {
      this.ctx.api.create(this.i.pv, undefined, pv);
    } catch {
      return; // A PV of that name exists: provisioned before.
    }
    mutate(this.ctx.api, this.i.pv, undefined, pvName, (o) => {
      o.status = { phase: 'Bound' };
    });
    const bound = mutate(this.ctx.api, this.i.pvc, ns, name, (o) => bindClaim(o, pvName, this.driver, capacity));
    if (bound) this.emit(this.provisioner, bound, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${pvName}`);
  }

  /** A claim is gone: its PV is deleted by the provisioner (reclaimPolicy Delete) or Released by the PV controller. */
  private reclaim(pvc: Obj): void {
    const pvName = pvc.spec?.volumeName;
    if (!pvName || this.stopped) return;
    this.queue.push(() => {
      if (this.stopped) return;
      const pv = live(this.ctx, this.i.pv, undefined, pvName);
      if (!pv || pv.spec.claimRef?.uid !== pvc.metadata.uid) return;
      if (pv.spec.persistentVolumeReclaimPolicy === 'Delete' && pv.spec.csi?.driver === this.driver) {
        const seconds = sample(this.ctx.behaviour.csi.volumeDeleteSeconds, this.stream(`delete/${pvName}`));
        this.after(`delete/${pvName}`, seconds, () => {
          try {
            this.ctx.api.delete(this.i.pv, undefined, pvName);
          } catch {
            // Gone meanwhile.
          }
        });
        return;
      }
      mutate(this.ctx.api, this.i.pv, undefined, pvName, (o) => {
        if (o.status?.phase === 'Released') return false;
        o.status = { ...o.status, phase: 'Released' };
      });
    });
  }
}

/** The VolumeSnapshot a PVC is restored from, when its dataSource is one. */
function restoreSource(pvc: Obj): string | undefined {
  const ds = pvc.spec?.dataSourceRef ?? pvc.spec?.dataSource;
  return ds && ds.kind === 'VolumeSnapshot' && ds.apiGroup === SNAPSHOT_GROUP ? ds.name : undefined;
}
