// Velero's CSI snapshot exposer (pkg/exposer/csi_snapshot.go, v1.18) with the helpers it uses
// (pkg/util/csi/volume_snapshot.go, pkg/util/kube/pvc_pv.go and pod.go): how a DataUpload's
// snapshot is made readable by a data-mover pod, and how everything it made is removed.
// Every wait polls with direct GETs at Velero's interval (2 s, first poll at once), on the given
// Clock. Objects it makes are named as the DataUpload and live in its namespace, except the
// cluster-scoped backup VolumeSnapshotContent.
//
// Not modelled: the node-agent DaemonSet lookup that gives the pod its image, service account
// and log flags (getInheritedPodInfo: one GET per pod, counted as modeled), backupPVC config
// (read-only, other storage class), Windows nodes, volume topology, priority classes.
import type { V1Affinity, V1NodeSelectorRequirement, V1PersistentVolume, V1PersistentVolumeClaim, V1Pod, V1ResourceRequirements } from '@kubernetes/client-node';
import {
  DATA_MOVER_BACKUP_COMMAND,
  DATA_MOVER_FLAG,
  DATA_UPLOAD_API_VERSION,
  DATA_UPLOAD_KIND,
  DATA_UPLOAD_LABEL,
  EXPOSER_POD_GROUP_LABEL,
  SNAPSHOT_EXPOSER_POD_GROUP,
  type DataUpload,
} from './api/dataupload.ts';
import { SNAPSHOT_API_VERSION, type VolumeSnapshot, type VolumeSnapshotContent } from './api/snapshot.ts';
import type { Clock } from './clock.ts';
import { formatGoDuration } from './duration.ts';
import { podUnrecoverable } from './flows/common.ts';
import { isNotFound, type KubeIo, type Obj, type ObjectRef } from './kube/io.ts';

/** Velero's waitInternal in pkg/util/csi and pkg/util/kube. */
export const WAIT_INTERVAL_MS = 2_000;
/** csi_snapshot.go cleanUpTimeout. */
export const CLEANUP_TIMEOUT_MS = 60_000;
/** The node-agent's service account, which the data-mover pod inherits. */
export const NODE_AGENT_SERVICE_ACCOUNT = 'velero';
export const DATA_MOVER_IMAGE = 'velero/velero:v1.18.1';

export interface ExposeParams {
  du: DataUpload;
  sourcePvc: V1PersistentVolumeClaim;
  sourcePv: V1PersistentVolume;
  /** From loadAffinity (nodeAffinityFromLoadAffinity). */
  affinity?: V1Affinity;
  /** podResources; {} is a BestEffort pod. */
  resources: V1ResourceRequirements;
  /** The prepare timeout: bounds the wait for the VolumeSnapshot to be ready. */
  exposeTimeoutMs: number;
  /** spec.operationTimeout: bounds the waits for deletions; passed to the pod as --resource-timeout. */
  operationTimeoutMs: number;
  resourceTimeoutMs: number;
  podInProgressTimeoutMs?: number;
  /** deploying: the node whose slot was reserved; the pod must run there. */
  nodeName?: string;
}

const ref = (resource: string, name: string, namespace?: string, apiVersion = 'v1'): ObjectRef => ({ apiVersion, resource, name, namespace });
const vsRef = (name: string, namespace: string) => ref('volumesnapshots', name, namespace, SNAPSHOT_API_VERSION);
const vscRef = (name: string) => ref('volumesnapshotcontents', name, undefined, SNAPSHOT_API_VERSION);

/** Velero's setupExposeParam reads the source PVC and its PV (direct GETs). */
export async function readExposeSource(io: KubeIo, du: DataUpload): Promise<{ sourcePvc: V1PersistentVolumeClaim; sourcePv: V1PersistentVolume }> {
  const sourcePvc = await io.getObject<V1PersistentVolumeClaim & Obj>(ref('persistentvolumeclaims', du.spec.sourcePVC, du.spec.sourceNamespace)).catch((e) => {
    throw new Error(`failed to get PVC ${du.spec.sourceNamespace}/${du.spec.sourcePVC}: ${(e as Error).message}`);
  });
  const sourcePv = await io.getObject<V1PersistentVolume & Obj>(ref('persistentvolumes', sourcePvc.spec?.volumeName ?? '')).catch((e) => {
    throw new Error(`failed to get source PV ${sourcePvc.spec?.volumeName}: ${(e as Error).message}`);
  });
  return { sourcePvc, sourcePv };
}

export class CsiSnapshotExposer {
  constructor(
    private readonly io: KubeIo,
    private readonly clock: Clock,
  ) {}

  /** Velero's Expose: snapshot ready, backup VS + VSC, source VS/VSC retired, backup PVC, and the pod when `pod`. */
  async expose(p: ExposeParams, opts: { pod: boolean }): Promise<void> {
    const { du } = p;
    const name = du.metadata.name!;
    const ns = du.metadata.namespace!;
    const snapshotName = du.spec.csiSnapshot!.volumeSnapshot;
    const vs = await this.waitVolumeSnapshotReady(snapshotName, du.spec.sourceNamespace, p.exposeTimeoutMs);
    const vsc = await this.io.getObject<VolumeSnapshotContent & Obj>(vscRef(vs.status!.boundVolumeSnapshotContentName!)).catch((e) => {
      throw new Error(`error to get volume snapshot content: ${(e as Error).message}`);
    });
    const backupVs = await this.io.createObject<VolumeSnapshot & Obj>('volumesnapshots', {
      apiVersion: SNAPSHOT_API_VERSION,
      kind: 'VolumeSnapshot',
      metadata: { name, namespace: ns, annotations: vs.metadata.annotations },
      spec: { source: { volumeSnapshotContentName: name }, volumeSnapshotClassName: vs.spec.volumeSnapshotClassName },
    } as VolumeSnapshot & Obj).catch((e) => {
      throw new Error(`error to create backup volume snapshot: ${(e as Error).message}`);
    });
    const undo: (() => Promise<unknown>)[] = [() => this.io.deleteObject(vsRef(name, ns))];
    try {
      await this.io.createObject<VolumeSnapshotContent & Obj>('volumesnapshotcontents', {
        apiVersion: SNAPSHOT_API_VERSION,
        kind: 'VolumeSnapshotContent',
        metadata: { name, annotations: vsc.metadata.annotations, labels: {} },
        spec: {
          volumeSnapshotRef: { name: backupVs.metadata.name, namespace: ns, uid: backupVs.metadata.uid, resourceVersion: backupVs.metadata.resourceVersion },
          source: { snapshotHandle: vsc.status!.snapshotHandle },
          deletionPolicy: 'Delete',
          driver: vsc.spec.driver,
          volumeSnapshotClassName: vsc.spec.volumeSnapshotClassName,
        },
      } as unknown as VolumeSnapshotContent & Obj).catch((e) => {
        throw new Error(`error to create backup volume snapshot content: ${(e as Error).message}`);
      });
      if (vsc.spec.deletionPolicy !== 'Retain') {
        await this.io.mergePatchObject(vscRef(vsc.metadata.name!), { spec: { deletionPolicy: 'Retain' } }).catch((e) => {
          throw new Error(`error to retain volume snapshot content: ${(e as Error).message}`);
        });
      }
      await this.ensureDeleted(vsRef(vs.metadata.name!, du.spec.sourceNamespace), p.operationTimeoutMs, 'VolumeSnapshot');
      await this.ensureDeleted(vscRef(vsc.metadata.name!), p.operationTimeoutMs, 'VolumeSnapshotContent');
      const size = vs.status?.restoreSize && vs.status.restoreSize !== '0' ? vs.status.restoreSize : p.sourcePvc.spec?.resources?.requests?.storage;
      await this.io.createObject<V1PersistentVolumeClaim & Obj>('persistentvolumeclaims', {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name, namespace: ns, ownerReferences: [owner(du)] },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: du.spec.csiSnapshot!.storageClass,
          volumeMode: p.sourcePvc.spec?.volumeMode ?? 'Filesystem',
          dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name },
          resources: { requests: { storage: size! } },
        },
      } as V1PersistentVolumeClaim & Obj).catch((e) => {
        throw new Error(`error to create backup pvc: ${(e as Error).message}`);
      });
      undo.unshift(() => this.deletePvAndPvcIfAny(name, ns, 0));
      if (opts.pod) await this.createPod(p);
    } catch (e) {
      for (const u of undo) await u().catch(() => undefined);
      throw e;
    }
  }

  /** Velero's createBackupPod: the data-mover pod, as Velero makes it. */
  async createPod(p: ExposeParams): Promise<void> {
    const { du } = p;
    const name = du.metadata.name!;
    const uid = du.metadata.uid!;
    this.io.cost.modeled.get++; // getInheritedPodInfo: the node-agent DaemonSet
    const args = [
      `--volume-path=/${uid}`,
      `--volume-mode=${p.sourcePvc.spec?.volumeMode ?? 'Filesystem'}`,
      `${DATA_MOVER_FLAG.dataUpload}=${name}`,
      `${DATA_MOVER_FLAG.resourceTimeout}=${formatGoDuration(p.resourceTimeoutMs)}`,
    ];
    if (p.podInProgressTimeoutMs) args.push(`${DATA_MOVER_FLAG.inProgressTimeout}=${formatGoDuration(p.podInProgressTimeoutMs)}`);
    await this.io
      .createObject<V1Pod & Obj>('pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace: du.metadata.namespace,
          ownerReferences: [owner(du)],
          labels: { [DATA_UPLOAD_LABEL]: name, [EXPOSER_POD_GROUP_LABEL]: SNAPSHOT_EXPOSER_POD_GROUP },
        },
        spec: {
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: { [EXPOSER_POD_GROUP_LABEL]: SNAPSHOT_EXPOSER_POD_GROUP } },
            },
          ],
          os: { name: 'linux' },
          affinity: podAffinity(p.affinity, p.nodeName),
          containers: [
            {
              name: uid,
              image: DATA_MOVER_IMAGE,
              imagePullPolicy: 'Never',
              command: [...DATA_MOVER_BACKUP_COMMAND],
              args,
              volumeMounts: [{ name: uid, mountPath: `/${uid}` }],
              resources: p.resources,
            },
          ],
          serviceAccountName: NODE_AGENT_SERVICE_ACCOUNT,
          terminationGracePeriodSeconds: 0,
          volumes: [{ name: uid, persistentVolumeClaim: { claimName: name } }],
          restartPolicy: 'Never',
          securityContext: { runAsUser: 0 },
        },
      } as V1Pod & Obj)
      .catch((e) => {
        throw new Error(`error to create backup pod: ${(e as Error).message}`);
      });
  }

  /** Velero's PeekExposed on a pod already read: the error when it is unrecoverable. */
  peekExposed(pod: V1Pod | undefined): string | undefined {
    return pod ? podUnrecoverable(pod)?.message : undefined;
  }

  /** Velero's GetExposed: the pod (from this agent's cache) must be on this node; then the backup PVC must be bound. */
  async getExposed(du: DataUpload, nodeName: string, pod: V1Pod | undefined, timeoutMs: number): Promise<{ podName: string; nodeName: string } | undefined> {
    if (!pod || pod.spec?.nodeName !== nodeName) return undefined;
    const name = du.metadata.name!;
    const ns = du.metadata.namespace!;
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      const pvc = await this.io.getObject<V1PersistentVolumeClaim & Obj>(ref('persistentvolumeclaims', name, ns));
      if (pvc.spec?.volumeName) {
        await this.io.getObject(ref('persistentvolumes', pvc.spec.volumeName));
        return { podName: pod.metadata!.name!, nodeName };
      }
      if (this.clock.now() + WAIT_INTERVAL_MS > deadline) throw new Error(`error to wait backup PVC bound, ${name}: error to wait for rediness of PVC`);
      await this.clock.sleep(WAIT_INTERVAL_MS);
    }
  }

  /** Velero's CleanUp: the pod, the backup PVC and its PV, the backup VolumeSnapshot (its content goes with it), the source VolumeSnapshot if still there. */
  async cleanUp(du: DataUpload): Promise<void> {
    const name = du.metadata.name!;
    const ns = du.metadata.namespace!;
    await this.io.deleteObject(ref('pods', name, ns));
    await this.deletePvAndPvcIfAny(name, ns, CLEANUP_TIMEOUT_MS);
    await this.io.deleteObject(vsRef(name, ns));
    if (du.spec.csiSnapshot?.volumeSnapshot) await this.io.deleteObject(vsRef(du.spec.csiSnapshot.volumeSnapshot, du.spec.sourceNamespace));
  }

  private async waitVolumeSnapshotReady(name: string, namespace: string, timeoutMs: number): Promise<VolumeSnapshot & Obj> {
    const deadline = this.clock.now() + timeoutMs;
    const errors = new Set<string>();
    for (;;) {
      const vs = await this.io.getObject<VolumeSnapshot & Obj>(vsRef(name, namespace)).catch((e) => {
        throw new Error(`error wait volume snapshot ready: error to get VolumeSnapshot ${namespace}/${name}: ${(e as Error).message}`);
      });
      if (vs.status?.error?.message) errors.add(vs.status.error.message);
      if (vs.status?.readyToUse) return vs;
      if (this.clock.now() + WAIT_INTERVAL_MS > deadline) {
        throw new Error(`error wait volume snapshot ready: volume snapshot is not ready until timeout, errors: [${[...errors].join(' ')}]`);
      }
      await this.clock.sleep(WAIT_INTERVAL_MS);
    }
  }

  /** Velero's EnsureDeleteVS/VSC/PVC: delete, then poll until it is gone. */
  private async ensureDeleted(r: ObjectRef, timeoutMs: number, kind: string): Promise<void> {
    await this.io.deleteObject(r).catch((e) => {
      throw new Error(`error to delete ${kind.toLowerCase()}: ${(e as Error).message}`);
    });
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      const gone = await this.io.getObject(r).then(
        () => false,
        (e) => {
          if (isNotFound(e)) return true;
          throw e;
        },
      );
      if (gone) return;
      if (this.clock.now() + WAIT_INTERVAL_MS > deadline) throw new Error(`timeout to assure ${kind} ${r.name} is deleted`);
      await this.clock.sleep(WAIT_INTERVAL_MS);
    }
  }

  /** Velero's DeletePVAndPVCIfAny: the PV's reclaim policy set to Delete, the PVC deleted (and waited for), then the PV waited for. */
  private async deletePvAndPvcIfAny(name: string, namespace: string, timeoutMs: number): Promise<void> {
    const pvc = await this.io.getObject<V1PersistentVolumeClaim & Obj>(ref('persistentvolumeclaims', name, namespace)).catch((e) => {
      if (isNotFound(e)) return undefined;
      throw e;
    });
    if (!pvc) return;
    const pvName = pvc.spec?.volumeName;
    if (pvName) {
      const pv = await this.io.getObject<V1PersistentVolume & Obj>(ref('persistentvolumes', pvName)).catch(() => undefined);
      if (pv && pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') {
        await this.io.mergePatchObject(ref('persistentvolumes', pvName), { spec: { persistentVolumeReclaimPolicy: 'Delete' } }).catch(() => undefined);
      }
    }
    if (timeoutMs === 0) {
      await this.io.deleteObject(ref('persistentvolumeclaims', name, namespace));
      return;
    }
    await this.ensureDeleted(ref('persistentvolumeclaims', name, namespace), timeoutMs, 'PVC').catch(() => undefined);
    if (pvName) await this.waitGone(ref('persistentvolumes', pvName), timeoutMs).catch(() => undefined);
  }

  private async waitGone(r: ObjectRef, timeoutMs: number): Promise<void> {
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      const gone = await this.io.getObject(r).then(
        () => false,
        (e) => isNotFound(e),
      );
      if (gone || this.clock.now() + WAIT_INTERVAL_MS > deadline) return;
      await this.clock.sleep(WAIT_INTERVAL_MS);
    }
  }
}

function owner(du: DataUpload) {
  return { apiVersion: DATA_UPLOAD_API_VERSION, kind: DATA_UPLOAD_KIND, name: du.metadata.name!, uid: du.metadata.uid!, controller: true };
}

/** Velero's ToSystemAffinity of the loadAffinity, plus the OS term Velero always adds, plus (deploying) this node. */
function podAffinity(affinity: V1Affinity | undefined, nodeName: string | undefined): V1Affinity {
  const terms = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [{ matchExpressions: [] }];
  const extra: V1NodeSelectorRequirement[] = [{ key: 'kubernetes.io/os', operator: 'NotIn', values: ['windows'] }];
  if (nodeName) extra.push({ key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] });
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: terms.map((t) => ({ ...t, matchExpressions: [...(t.matchExpressions ?? []), ...extra] })),
      },
    },
  };
}
