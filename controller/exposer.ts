// Velero's CSI snapshot exposer (pkg/exposer/csi_snapshot.go, v1.18) with the helpers it calls
// (pkg/util/csi/volume_snapshot.go, pkg/util/kube/pvc_pv.go and pod.go): how a DataUpload's
// snapshot is made readable by a data-mover pod, and how everything it made is removed. Facts
// from Velero; the code is ours. It acts on the API through KubeIo only and waits on its Clock.
//
// The objects it makes are named as the DataUpload and live in its namespace (Velero's), except
// the cluster-scoped backup VolumeSnapshotContent. Every wait is Velero's
// wait.PollUntilContextTimeout: a direct GET at once, then one every 2 s strictly before the
// deadline; a timeout is reported at the deadline.
//
// Requests Velero sends whose answer is fixed here are counted in ApiCost.modeled rather than
// sent: setupExposeParam's look-ups besides the source PVC and PV (VolumeAttachments LIST,
// StorageClass GET, Nodes LIST, four node-agent DaemonSet GETs), getInheritedPodInfo's
// DaemonSet GET per pod, PeekExposed's pod GET. The pod inherits what the DaemonSet of a default
// `velero install --use-node-agent` gives it (image, service account, env, host-pods,
// host-plugins and scratch volumes).
//
// v1.18 reads the volume topology first (GetVolumeTopology: a StorageClass GET per Expose, and
// the source PV's for a WaitForFirstConsumer class); v1.16 and v1.17 did not.
//
// Not modelled: the backupPVC config (read-only claims, another storage class), podLabels,
// podAnnotations, priorityClassName, Windows nodes, DiagnoseExpose.
import type {
  V1Affinity,
  V1Container,
  V1EnvVar,
  V1NodeSelector,
  V1NodeSelectorRequirement,
  V1NodeSelectorTerm,
  V1OwnerReference,
  V1PersistentVolume,
  V1PersistentVolumeClaim,
  V1Pod,
  V1ResourceRequirements,
  V1StorageClass,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
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
import {
  SNAPSHOT_API_VERSION,
  SNAPSHOT_GROUP,
  VOLUME_SNAPSHOT_CONTENT_PLURAL,
  VOLUME_SNAPSHOT_PLURAL,
  type VolumeSnapshot,
  type VolumeSnapshotContent,
} from './api/snapshot.ts';
import type { Clock } from './clock.ts';
import { formatGoDuration } from './duration.ts';
import { podUnrecoverable } from './flows/common.ts';
import { errorMessage, isNotFound, isQuotaRefusal, type KubeIo, type Obj, type ObjectRef } from './kube/io.ts';
import { parseQuantity } from './quantity.ts';

/** waitInternal of pkg/util/csi and pkg/util/kube. */
export const WAIT_INTERVAL_MS = 2_000;
/** csi_snapshot.go cleanUpTimeout: CleanUp's wait for the backup PVC and PV to go. */
export const CLEANUP_TIMEOUT_MS = 60_000;
/** The node-agent's service account, which the data-mover pod inherits. */
export const NODE_AGENT_SERVICE_ACCOUNT = 'velero';
/** The node-agent's image, which the data-mover pod inherits. */
export const DATA_MOVER_IMAGE = 'velero/velero:v1.18.1';

/**
 * What the data-mover pod inherits from the node-agent (Velero's getInheritedPodInfo reads the
 * node-agent DaemonSet): its image, and env beyond the defaults. On kind the node-agent passes
 * the project's image and DATA_MOVER_THROUGHPUT; elsewhere Velero's image, nothing more.
 */
export interface InheritedPodInfo {
  image: string;
  env: V1EnvVar[];
}
export const VELERO_POD_INFO: InheritedPodInfo = { image: DATA_MOVER_IMAGE, env: [] };
/** Copied from the source content to the backup one (distributed snapshotting). */
export const VSC_MANAGED_BY_LABEL = 'snapshot.storage.kubernetes.io/managed-by';

export interface ExposeParams {
  /** The accepted DataUpload; its namespace is Velero's. */
  du: DataUpload;
  sourcePvc: V1PersistentVolumeClaim;
  sourcePv: V1PersistentVolume;
  /** From loadAffinity (nodeAffinityFromLoadAffinity); its terms' requirements go into the pod's. */
  affinity?: V1Affinity;
  /** podResources; {} is a BestEffort pod. */
  resources: V1ResourceRequirements;
  /** The prepare timeout: bounds the wait for the VolumeSnapshot to be ready. */
  exposeTimeoutMs: number;
  /** spec.operationTimeout: bounds the waits for deletions and GetExposed's wait for the claim;
   *  also the pod's --resource-timeout, as Velero passes it. */
  operationTimeoutMs: number;
  /** @deprecated Not used: Velero passes spec.operationTimeout as the pod's --resource-timeout
   *  (the node-agent's own --resource-timeout serves PodVolumeBackups, not data movers). */
  resourceTimeoutMs?: number;
  /** Ours: passed to the pod as --in-progress-timeout when set. */
  podInProgressTimeoutMs?: number;
  /** deploying: the node whose slot was reserved; the pod must run there. */
  nodeName?: string;
}

/** The step of Expose or GetExposed that failed, so callers need not parse messages. */
export type ExposeStep =
  | 'volume-topology'
  | 'snapshot-ready'
  | 'snapshot-content'
  | 'backup-snapshot'
  | 'backup-snapshot-content'
  | 'retain-snapshot-content'
  | 'delete-snapshot'
  | 'delete-snapshot-content'
  | 'backup-pvc'
  | 'backup-pod'
  | 'backup-pvc-bound'
  | 'backup-volume';

/** An error of Expose or GetExposed, its message worded as Velero's wrapped errors. */
export class ExposeError extends Error {
  constructor(
    readonly step: ExposeStep,
    message: string,
    /** The wait ran out (rather than a request failing). */
    readonly timedOut = false,
    /** The request was refused by a ResourceQuota (403 "exceeded quota: ..."). */
    readonly refusedByQuota = false,
  ) {
    super(message);
    this.name = 'ExposeError';
  }
}

export interface ExposeSource {
  sourcePvc: V1PersistentVolumeClaim;
  sourcePv: V1PersistentVolume;
}

export interface Exposed {
  podName: string;
  nodeName: string;
  /** The pod's spec.os.name; Velero refuses a result without one ("unsupported ambiguous node OS"). */
  nodeOS?: string;
}

const ref = (resource: string, name: string, namespace?: string, apiVersion = 'v1'): ObjectRef => ({ apiVersion, resource, name, namespace });
const vsRef = (name: string, namespace: string) => ref(VOLUME_SNAPSHOT_PLURAL, name, namespace, SNAPSHOT_API_VERSION);
const vscRef = (name: string) => ref(VOLUME_SNAPSHOT_CONTENT_PLURAL, name, undefined, SNAPSHOT_API_VERSION);
const pvcRef = (name: string, namespace: string) => ref('persistentvolumeclaims', name, namespace);
const pvRef = (name: string) => ref('persistentvolumes', name);

const TIMEOUT = Symbol('timeout');
const list = (items: readonly string[] | undefined) => `[${(items ?? []).join(' ')}]`;

/**
 * Velero's setupExposeParam: the source PVC and its PV, read with the node-agent's client.
 * Velero's client is controller-runtime's cached one (the first read starts cluster-wide PVC
 * and PV informers); here they are direct GETs. Its other look-ups (the PVC's attaching node
 * and OS, the node-agent DaemonSet's third-party labels, annotations and tolerations) are
 * counted as modeled: they always answer linux and nothing here.
 */
export async function readExposeSource(io: KubeIo, du: DataUpload): Promise<ExposeSource> {
  const { sourceNamespace, sourcePVC } = du.spec;
  const sourcePvc = await io.getObject<V1PersistentVolumeClaim & Obj>(pvcRef(sourcePVC, sourceNamespace)).catch((e) => {
    throw new Error(`failed to get PVC ${sourceNamespace}/${sourcePVC}: ${errorMessage(e)}`);
  });
  const pvName = sourcePvc.spec?.volumeName ?? '';
  const sourcePv = await io.getObject<V1PersistentVolume & Obj>(pvRef(pvName)).catch((e) => {
    throw new Error(`failed to get source PV ${pvName}: ${errorMessage(e)}`);
  });
  // GetPVCAttachingNodeOS (VolumeAttachments LIST and StorageClass GET, none for a Block
  // claim; no attachment here, so no Node GET), HasNodeWithOS (Nodes LIST), DaemonSet GETs for
  // ThirdPartyLabels (1), ThirdPartyAnnotations (1) and ThirdPartyTolerations (2).
  const block = sourcePvc.spec?.volumeMode === 'Block';
  if (!block) {
    await io.model('list', { apiVersion: 'storage.k8s.io/v1', resource: 'volumeattachments' });
    await io.model('get', { apiVersion: 'storage.k8s.io/v1', resource: 'storageclasses' });
  }
  await io.model('list', { apiVersion: 'v1', resource: 'nodes' });
  await io.model('get', { apiVersion: 'apps/v1', resource: 'daemonsets' }, 4);
  return { sourcePvc, sourcePv };
}

export class CsiSnapshotExposer {
  constructor(
    private readonly io: KubeIo,
    private readonly clock: Clock,
    /** Where the warnings Velero logs and goes on from (cleanup, undo) are written. */
    private readonly log: (line: string) => void = () => undefined,
    private readonly inherited: InheritedPodInfo = VELERO_POD_INFO,
  ) {}

  /**
   * Velero's Expose, in its order: the volume topology, the VolumeSnapshot ready (polled up to
   * exposeTimeoutMs), its content, the backup VolumeSnapshot and pre-provisioned
   * VolumeSnapshotContent on the same snapshot handle, the source content retained, the source
   * VolumeSnapshot and content deleted and waited for, the backup PVC from the backup
   * VolumeSnapshot, then the data-mover pod when `opts.pod`. On an error after the backup
   * VolumeSnapshot exists, the backup PVC and VolumeSnapshot are deleted again, as Velero's
   * defers do (the backup content, deletionPolicy Delete, goes with its VolumeSnapshot).
   */
  async expose(p: ExposeParams, opts: { pod: boolean }): Promise<void> {
    const { du } = p;
    const name = du.metadata.name!;
    const ns = du.metadata.namespace!;
    const snapshot = du.spec.csiSnapshot?.volumeSnapshot ?? '';
    const topology = await this.volumeTopology(p);
    const vs = await this.waitVolumeSnapshotReady(snapshot, du.spec.sourceNamespace, p.exposeTimeoutMs);
    const vsc = await this.contentOf(vs);
    const backupVs = await this.io
      .createObject<VolumeSnapshot & Obj>(VOLUME_SNAPSHOT_PLURAL, {
        apiVersion: SNAPSHOT_API_VERSION,
        kind: 'VolumeSnapshot',
        // No ownerReference: the backup PVC refers to it and must go first.
        metadata: { name, namespace: ns, annotations: vs.metadata.annotations },
        spec: { source: { volumeSnapshotContentName: name }, volumeSnapshotClassName: vs.spec.volumeSnapshotClassName },
      })
      .catch((e) => {
        throw new ExposeError('backup-snapshot', `error to create backup volume snapshot: ${errorMessage(e)}`, false, isQuotaRefusal(e));
      });
    const undo: (() => Promise<void>)[] = [() => this.deleteVolumeSnapshotIfAny(name, ns)];
    try {
      await this.createBackupContent(name, vsc, backupVs);
      await this.retain(vsc);
      await this.ensureDeleteVolumeSnapshot(vs.metadata.name!, du.spec.sourceNamespace, p.operationTimeoutMs);
      await this.ensureDeleteVolumeSnapshotContent(vsc.metadata.name!, p.operationTimeoutMs);
      const restoreSize = vs.status?.restoreSize;
      const size = restoreSize && parseQuantity(restoreSize, 'status.restoreSize') !== 0 ? restoreSize : p.sourcePvc.spec?.resources?.requests?.storage;
      await this.io
        .createObject<V1PersistentVolumeClaim & Obj>('persistentvolumeclaims', {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name, namespace: ns, ownerReferences: [owner(du)] },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: du.spec.csiSnapshot?.storageClass,
            volumeMode: volumeMode(p),
            dataSource: { apiGroup: SNAPSHOT_GROUP, kind: 'VolumeSnapshot', name },
            resources: { requests: { storage: size ?? '0' } },
          },
        })
        .catch((e) => {
          throw new ExposeError('backup-pvc', `error to create backup pvc: error to create pvc: ${errorMessage(e)}`, false, isQuotaRefusal(e));
        });
      undo.push(() => this.deletePvAndPvcIfAny(name, ns, 0));
      if (opts.pod) await this.createBackupPod(p, topology);
    } catch (e) {
      for (const u of undo.reverse()) await u();
      throw e;
    }
  }

  /** The data-mover pod alone, as Velero's createBackupPod makes it (deploying creates it once a
   *  slot is reserved, pinned to p.nodeName). Reads the volume topology first, as Expose does. */
  async createPod(p: ExposeParams): Promise<void> {
    await this.createBackupPod(p, await this.volumeTopology(p));
  }

  /**
   * Velero's PeekExposed on the pod as read: the error text when the pod is unrecoverable, else
   * undefined. Velero reads the pod with a direct GET on every reconcile of an Accepted
   * DataUpload, by every node-agent: that GET is counted as modeled here, once per call.
   * `podMessage: false` gives v1.16/v1.17's text (without the pod's status.message).
   */
  peekExposed(du: DataUpload, pod: V1Pod | undefined, opts: { podMessage?: boolean } = {}): string | undefined {
    this.io.cost.modeled.get++;
    if (!pod || pod.metadata?.name !== du.metadata.name) return undefined;
    return podUnrecoverable(pod, opts)?.message;
  }

  /**
   * Velero's GetExposed: the pod, from the node-agent's cache of this node's pods, must be on
   * nodeName (else undefined, no request); then WaitPVCBound (GETs of the backup PVC every 2 s
   * up to timeoutMs, then one GET of its PV), then the pod must mount the backup volume.
   */
  async getExposed(du: DataUpload, nodeName: string, pod: V1Pod | undefined, timeoutMs: number): Promise<Exposed | undefined> {
    if (!pod || pod.metadata?.name !== du.metadata.name || pod.spec?.nodeName !== nodeName) return undefined;
    const name = du.metadata.name!;
    const ns = du.metadata.namespace!;
    const fail = (step: ExposeStep, why: string, timedOut = false) => new ExposeError(step, `error to wait backup PVC bound, ${name}: ${why}`, timedOut);
    const bound = await this.poll(timeoutMs, async () => {
      const pvc = await this.io.getObject<V1PersistentVolumeClaim & Obj>(pvcRef(name, ns)).catch((e) => {
        throw fail('backup-pvc-bound', `error to wait for rediness of PVC: error to get pvc ${ns}/${name}: ${errorMessage(e)}`);
      });
      return pvc.spec?.volumeName || undefined;
    });
    if (bound === TIMEOUT) throw fail('backup-pvc-bound', 'error to wait for rediness of PVC: context deadline exceeded', true);
    await this.io.getObject(pvRef(bound)).catch((e) => {
      throw fail('backup-pvc-bound', `error to get PV: ${errorMessage(e)}`);
    });
    if (!(pod.spec?.volumes ?? []).some((v) => v.name === du.metadata.uid)) {
      throw new ExposeError('backup-volume', `backup pod ${name} doesn't have the expected backup volume`);
    }
    return { podName: name, nodeName, nodeOS: pod.spec?.os?.name };
  }

  /**
   * Velero's CleanUp, each step "if any" and never failing (problems are logged): delete the pod;
   * DeletePVAndPVCIfAny for the backup PVC (its PV's reclaim policy set to Delete, the claim
   * deleted, both waited for up to a minute); delete the backup VolumeSnapshot (the snapshot
   * controller deletes its content, deletionPolicy Delete, and the physical snapshot); delete
   * the source VolumeSnapshot, in case Expose stopped before it did.
   */
  async cleanUp(du: DataUpload): Promise<void> {
    const name = du.metadata.name!;
    const ns = du.metadata.namespace!;
    await this.io.deleteObject(ref('pods', name, ns)).catch((e) => this.log(`Failed to delete pod ${ns}/${name}: ${errorMessage(e)}`));
    await this.deletePvAndPvcIfAny(name, ns, CLEANUP_TIMEOUT_MS);
    await this.deleteVolumeSnapshotIfAny(name, ns);
    const source = du.spec.csiSnapshot?.volumeSnapshot;
    if (source) await this.deleteVolumeSnapshotIfAny(source, du.spec.sourceNamespace);
  }

  /** The data-mover pod alone, deleted at once (grace 0: it no longer runs a data path), so a new
   *  one of the same name can be made; the backup PVC and snapshot stay. Not found is no error. */
  async deletePod(du: DataUpload): Promise<void> {
    const name = du.metadata.name!;
    const ns = du.metadata.namespace!;
    await this.io.deleteObject(ref('pods', name, ns), { gracePeriodSeconds: 0 }).catch((e) => this.log(`Failed to delete pod ${ns}/${name}: ${errorMessage(e)}`));
  }

  // ---- Expose's steps ------------------------------------------------------------------------

  /** kube.GetVolumeTopology: for a WaitForFirstConsumer class, the source PV's node affinity. */
  private async volumeTopology(p: ExposeParams): Promise<V1NodeSelector | undefined> {
    const pvName = p.sourcePv.metadata?.name ?? '';
    const scName = p.du.spec.csiSnapshot?.storageClass ?? '';
    const fail = (why: string) => new ExposeError('volume-topology', `error getting volume topology for PV ${pvName}, storage class ${scName}: ${why}`);
    if (!pvName || !scName) throw fail(`invalid parameter, pv ${pvName}, sc ${scName}`);
    const sc = await this.io.getObject<V1StorageClass & Obj>(ref('storageclasses', scName, undefined, 'storage.k8s.io/v1')).catch((e) => {
      throw fail(`error getting storage class ${scName}: ${errorMessage(e)}`);
    });
    if (sc.volumeBindingMode !== 'WaitForFirstConsumer') return undefined;
    const pv = await this.io.getObject<V1PersistentVolume & Obj>(pvRef(pvName)).catch((e) => {
      throw fail(`error getting PV ${pvName}: ${errorMessage(e)}`);
    });
    return pv.spec?.nodeAffinity?.required;
  }

  /** csi.WaitVolumeSnapshotReady: readyToUse, collecting status.error messages meanwhile. */
  private async waitVolumeSnapshotReady(name: string, namespace: string, timeoutMs: number): Promise<VolumeSnapshot & Obj> {
    if (!name) throw new ExposeError('snapshot-ready', `error wait volume snapshot ready: error to get VolumeSnapshot ${namespace}/: resource name may not be empty`);
    const errors = new Set<string>();
    const ready = await this.poll(timeoutMs, async () => {
      const vs = await this.io.getObject<VolumeSnapshot & Obj>(vsRef(name, namespace)).catch((e) => {
        throw new ExposeError('snapshot-ready', `error wait volume snapshot ready: error to get VolumeSnapshot ${namespace}/${name}: ${errorMessage(e)}`);
      });
      if (vs.status?.error) errors.add(vs.status.error.message ?? '');
      return vs.status?.readyToUse ? vs : undefined;
    });
    if (ready !== TIMEOUT) return ready;
    // Velero prints the messages as a sorted set.
    throw new ExposeError('snapshot-ready', `error wait volume snapshot ready: volume snapshot is not ready until timeout, errors: ${list([...errors].sort())}`, true);
  }

  /** csi.GetVolumeSnapshotContentForVolumeSnapshot. */
  private async contentOf(vs: VolumeSnapshot): Promise<VolumeSnapshotContent & Obj> {
    const contentName = vs.status?.boundVolumeSnapshotContentName;
    if (!contentName) throw new ExposeError('snapshot-content', `error to get volume snapshot content: invalid snapshot info in volume snapshot ${vs.metadata.name}`);
    return this.io.getObject<VolumeSnapshotContent & Obj>(vscRef(contentName)).catch((e) => {
      throw new ExposeError('snapshot-content', `error to get volume snapshot content: error getting volume snapshot content from API: ${errorMessage(e)}`);
    });
  }

  /** createBackupVSC: pre-provisioned (snapshotHandle), bound by name and uid to the backup VolumeSnapshot. */
  private async createBackupContent(name: string, vsc: VolumeSnapshotContent, backupVs: VolumeSnapshot): Promise<void> {
    const managedBy = vsc.metadata.labels?.[VSC_MANAGED_BY_LABEL];
    await this.io
      .createObject<VolumeSnapshotContent & Obj>(VOLUME_SNAPSHOT_CONTENT_PLURAL, {
        apiVersion: SNAPSHOT_API_VERSION,
        kind: 'VolumeSnapshotContent',
        metadata: { name, annotations: vsc.metadata.annotations, labels: managedBy !== undefined ? { [VSC_MANAGED_BY_LABEL]: managedBy } : {} },
        spec: {
          volumeSnapshotRef: {
            name: backupVs.metadata.name,
            namespace: backupVs.metadata.namespace,
            uid: backupVs.metadata.uid,
            resourceVersion: backupVs.metadata.resourceVersion,
          },
          source: { snapshotHandle: vsc.status?.snapshotHandle },
          deletionPolicy: 'Delete',
          driver: vsc.spec.driver,
          volumeSnapshotClassName: vsc.spec.volumeSnapshotClassName,
        },
      })
      .catch((e) => {
        throw new ExposeError('backup-snapshot-content', `error to create backup volume snapshot content: ${errorMessage(e)}`, false, isQuotaRefusal(e));
      });
  }

  /** csi.RetainVSC: a merge patch of deletionPolicy, unless it is Retain already. */
  private async retain(vsc: VolumeSnapshotContent): Promise<void> {
    if (vsc.spec.deletionPolicy === 'Retain') return;
    await this.io.mergePatchObject(vscRef(vsc.metadata.name!), { spec: { deletionPolicy: 'Retain' } }).catch((e) => {
      throw new ExposeError('retain-snapshot-content', `error to retain volume snapshot content: error patching VSC: ${errorMessage(e)}`);
    });
  }

  /** csi.EnsureDeleteVS: a missing VolumeSnapshot is an error here (unlike its content). */
  private async ensureDeleteVolumeSnapshot(name: string, namespace: string, timeoutMs: number): Promise<void> {
    const fail = (why: string, timedOut = false) => new ExposeError('delete-snapshot', `error to delete volume snapshot: ${why}`, timedOut);
    const deleted = await this.io.deleteObject(vsRef(name, namespace)).catch((e) => {
      throw fail(`error to delete volume snapshot: ${errorMessage(e)}`);
    });
    if (!deleted) throw fail(`error to delete volume snapshot: ${VOLUME_SNAPSHOT_PLURAL}.${SNAPSHOT_GROUP} "${name}" not found`);
    const gone = await this.waitGone(vsRef(name, namespace), timeoutMs, (e) => fail(`error to assure VolumeSnapshot is deleted, ${name}: error to get VolumeSnapshot ${name}: ${errorMessage(e)}`));
    if (gone !== true) throw fail(`timeout to assure VolumeSnapshot ${name} is deleted, finalizers in VS ${list(gone.metadata?.finalizers)}`, true);
  }

  /** csi.EnsureDeleteVSC. */
  private async ensureDeleteVolumeSnapshotContent(name: string, timeoutMs: number): Promise<void> {
    const fail = (why: string, timedOut = false) => new ExposeError('delete-snapshot-content', `error to delete volume snapshot content: ${why}`, timedOut);
    await this.io.deleteObject(vscRef(name)).catch((e) => {
      throw fail(`error to delete volume snapshot content: ${errorMessage(e)}`);
    });
    const gone = await this.waitGone(vscRef(name), timeoutMs, (e) => fail(`error to assure VolumeSnapshotContent is deleted, ${name}: error to get VolumeSnapshotContent ${name}: ${errorMessage(e)}`));
    if (gone !== true) throw fail(`timeout to assure VolumeSnapshotContent ${name} is deleted, finalizers in VSC ${list(gone.metadata?.finalizers)}`, true);
  }

  /** createBackupPod. */
  private async createBackupPod(p: ExposeParams, topology: V1NodeSelector | undefined): Promise<void> {
    await this.io.model('get', { apiVersion: 'apps/v1', resource: 'daemonsets' }); // getInheritedPodInfo: the node-agent DaemonSet
    await this.io.createObject<V1Pod & Obj>('pods', backupPod(p, topology, this.inherited)).catch((e) => {
      throw new ExposeError('backup-pod', `error to create backup pod: ${errorMessage(e)}`, false, isQuotaRefusal(e));
    });
  }

  // ---- deleting ------------------------------------------------------------------------------

  /** csi.DeleteVolumeSnapshotIfAny. */
  private async deleteVolumeSnapshotIfAny(name: string, namespace: string): Promise<void> {
    await this.io.deleteObject(vsRef(name, namespace)).catch((e) => this.log(`Failed to delete volume snapshot ${namespace}/${name}: ${errorMessage(e)}`));
  }

  /**
   * kube.DeletePVAndPVCIfAny: read the claim (gone: done); set its PV's reclaim policy to
   * Delete; delete the claim and, with a timeout, wait for the claim and then the PV to go.
   * Failures are logged, never thrown.
   */
  private async deletePvAndPvcIfAny(name: string, namespace: string, timeoutMs: number): Promise<void> {
    const pvc = await this.io.getObject<V1PersistentVolumeClaim & Obj>(pvcRef(name, namespace)).catch((e) => {
      if (!isNotFound(e)) this.log(`failed to get pvc ${namespace}/${name} with err ${errorMessage(e)}`);
      return undefined;
    });
    if (!pvc) return;
    const pvName = pvc.spec?.volumeName ?? '';
    if (!pvName) {
      this.log(`failed to delete PV, for related PVC ${namespace}/${name} has no bind volume name`);
    } else {
      const pv = await this.io.getObject<V1PersistentVolume & Obj>(pvRef(pvName)).catch((e) => {
        this.log(`failed to delete PV ${pvName} with err ${errorMessage(e)}`);
        return undefined;
      });
      if (pv && pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') {
        await this.io.mergePatchObject(pvRef(pvName), { spec: { persistentVolumeReclaimPolicy: 'Delete' } }).catch((e) => {
          this.log(`failed to set reclaim policy of PV ${pvName} to delete with err error patching PV: ${errorMessage(e)}`);
        });
      }
    }
    await this.ensureDeletePvc(name, namespace, timeoutMs).catch((e: Error) => this.log(`failed to delete pvc ${namespace}/${name} with err ${e.message}`));
    await this.ensurePvDeleted(pvName, timeoutMs).catch((e: Error) => this.log(`pv ${pvName} was not removed with err ${e.message}`));
  }

  /** kube.EnsureDeletePVC: delete, then (timeout > 0) wait for the claim to go. */
  private async ensureDeletePvc(name: string, namespace: string, timeoutMs: number): Promise<void> {
    const deleted = await this.io.deleteObject(pvcRef(name, namespace)).catch((e) => {
      throw new Error(`error to delete pvc ${name}: ${errorMessage(e)}`);
    });
    if (!deleted) throw new Error(`error to delete pvc ${name}: persistentvolumeclaims "${name}" not found`);
    if (timeoutMs === 0) return;
    const gone = await this.waitGone(pvcRef(name, namespace), timeoutMs, (e) => new Error(`error to ensure pvc deleted for ${name}: error to get pvc ${name}: ${errorMessage(e)}`));
    if (gone !== true) throw new Error(`timeout to assure pvc ${name} is deleted, finalizers in pvc ${list(gone.metadata?.finalizers)}`);
  }

  /** kube.EnsurePVDeleted: (timeout > 0) wait for the PV to go. */
  private async ensurePvDeleted(pvName: string, timeoutMs: number): Promise<void> {
    if (timeoutMs === 0) return;
    // client-go refuses an empty name before sending anything.
    if (!pvName) throw new Error('error to ensure pv is deleted for : error to get pv : resource name may not be empty');
    const gone = await this.waitGone(pvRef(pvName), timeoutMs, (e) => new Error(`error to ensure pv is deleted for ${pvName}: error to get pv ${pvName}: ${errorMessage(e)}`));
    if (gone !== true) throw new Error(`timeout to assure pv ${pvName} is deleted`);
  }

  // ---- waiting -------------------------------------------------------------------------------

  /**
   * wait.PollUntilContextTimeout(2 s, immediate): `check` at once, then every 2 s strictly
   * before the deadline, until it returns a value; TIMEOUT at the deadline. An error thrown by
   * `check` ends the wait.
   */
  private async poll<T>(timeoutMs: number, check: () => Promise<T | undefined>): Promise<T | typeof TIMEOUT> {
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      const left = deadline - this.clock.now();
      if (left <= WAIT_INTERVAL_MS) {
        if (left > 0) await this.clock.sleep(left);
        return TIMEOUT;
      }
      await this.clock.sleep(WAIT_INTERVAL_MS);
    }
  }

  /** Polls GETs until the object is gone: true, or at the deadline the object as last read. */
  private async waitGone(r: ObjectRef, timeoutMs: number, failed: (e: unknown) => Error): Promise<true | Obj> {
    let last: Obj = {};
    const gone = await this.poll(timeoutMs, async () => {
      try {
        last = await this.io.getObject<Obj>(r);
        return undefined;
      } catch (e) {
        if (isNotFound(e)) return true as const;
        throw failed(e);
      }
    });
    return gone === TIMEOUT ? last : true;
  }
}

// ---- the objects -------------------------------------------------------------------------------

function owner(du: DataUpload): V1OwnerReference {
  return { apiVersion: DATA_UPLOAD_API_VERSION, kind: DATA_UPLOAD_KIND, name: du.metadata.name!, uid: du.metadata.uid!, controller: true };
}

/** getVolumeModeByAccessMode of setupExposeParam's access mode: Block for a Block source claim. */
function volumeMode(p: ExposeParams): 'Filesystem' | 'Block' {
  return p.sourcePvc.spec?.volumeMode === 'Block' ? 'Block' : 'Filesystem';
}

/** What the data-mover pod inherits from a default node-agent DaemonSet (pkg/install/daemonset.go). */
const INHERITED_VOLUMES: V1Volume[] = [
  { name: 'host-pods', hostPath: { path: '/var/lib/kubelet/pods' } },
  { name: 'host-plugins', hostPath: { path: '/var/lib/kubelet/plugins' } },
  { name: 'scratch', emptyDir: {} },
];
const INHERITED_MOUNTS: V1VolumeMount[] = [
  { name: 'host-pods', mountPath: '/host_pods', mountPropagation: 'HostToContainer' },
  { name: 'host-plugins', mountPath: '/var/lib/kubelet/plugins', mountPropagation: 'HostToContainer' },
  { name: 'scratch', mountPath: '/scratch' },
];
const INHERITED_ENV: V1EnvVar[] = [
  { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
  { name: 'VELERO_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
  { name: 'VELERO_SCRATCH_DIR', value: '/scratch' },
];

/** createBackupPod's pod: named as the DataUpload, its uid naming the container and the backup volume. */
function backupPod(p: ExposeParams, topology: V1NodeSelector | undefined, inherited: InheritedPodInfo): V1Pod & Obj {
  const { du } = p;
  const name = du.metadata.name!;
  const uid = du.metadata.uid!;
  const mode = volumeMode(p);
  const volumePath = `/${uid}`;
  const args = [
    `${DATA_MOVER_FLAG.volumePath}=${volumePath}`,
    `${DATA_MOVER_FLAG.volumeMode}=${mode}`,
    `${DATA_MOVER_FLAG.dataUpload}=${name}`,
    `${DATA_MOVER_FLAG.resourceTimeout}=${formatGoDuration(p.operationTimeoutMs)}`,
  ];
  if (p.podInProgressTimeoutMs) args.push(`${DATA_MOVER_FLAG.inProgressTimeout}=${formatGoDuration(p.podInProgressTimeoutMs)}`);
  const container: V1Container = {
    name: uid,
    image: inherited.image,
    imagePullPolicy: 'IfNotPresent',
    command: [...DATA_MOVER_BACKUP_COMMAND],
    args,
    volumeMounts: mode === 'Block' ? [...INHERITED_MOUNTS] : [{ name: uid, mountPath: volumePath }, ...INHERITED_MOUNTS],
    ...(mode === 'Block' ? { volumeDevices: [{ name: uid, devicePath: volumePath }] } : {}),
    env: [...INHERITED_ENV, ...inherited.env],
    resources: p.resources,
  };
  return {
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
      affinity: podAffinity(p.affinity, topology, p.nodeName),
      containers: [container],
      serviceAccountName: NODE_AGENT_SERVICE_ACCOUNT,
      terminationGracePeriodSeconds: 0,
      volumes: [{ name: uid, persistentVolumeClaim: { claimName: name } }, ...INHERITED_VOLUMES],
      restartPolicy: 'Never',
      securityContext: { runAsUser: 0 },
    },
  };
}

/**
 * kube.ToSystemAffinity: the loadAffinity's requirements plus the one Velero adds for Linux
 * (kubernetes.io/os NotIn windows) go into every term: the volume topology's terms if any, else
 * one. Ours, for deploying: kubernetes.io/hostname In [nodeName] joins them, so the scheduler
 * still places the pod (and counts it) but only on the node whose slot was reserved.
 */
function podAffinity(loadAffinity: V1Affinity | undefined, topology: V1NodeSelector | undefined, nodeName: string | undefined): V1Affinity {
  const required: V1NodeSelectorRequirement[] = [{ key: 'kubernetes.io/os', operator: 'NotIn', values: ['windows'] }];
  if (nodeName) required.push({ key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] });
  const loadTerms: V1NodeSelectorTerm[] = loadAffinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [{}];
  const baseTerms: V1NodeSelectorTerm[] = topology?.nodeSelectorTerms?.length ? topology.nodeSelectorTerms : [{}];
  const terms = baseTerms.flatMap((base) =>
    loadTerms.map((load) => ({
      ...base,
      matchExpressions: [...(base.matchExpressions ?? []), ...(load.matchExpressions ?? []), ...required],
    })),
  );
  return { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } };
}
