// The Velero server's part of a backup with snapshotMoveData, as the CSI PVC backup item action
// (pkg/backup/actions/csi/pvc_action.go) and the backup operations controller
// (pkg/controller/backup_operations_controller.go) do it, v1.18:
// - PVCs are backed up one after another (one item block worker): per PVC a VolumeSnapshot
//   "velero-<pvc>-xxxxx" in the PVC's namespace (the VolumeSnapshotClass of the PVC's driver
//   labelled velero.io/csi-volumesnapshot-class), then WaitUntilVSCHandleIsReady (polls every
//   5 s, up to csiSnapshotTimeout), then a DataUpload "<backup>-xxxxx" in Velero's namespace with
//   an empty phase, operationTimeout = csiSnapshotTimeout (10m).
// - Every 10 s the item operations are checked: a DataUpload Completed completes its operation,
//   Failed or Canceled fails it; one older than itemOperationTimeout (4h) is canceled (merge patch
//   spec.cancel=true) and its operation failed ("Asynchronous action timed out").
// - The backup is Completed when every operation completed, else PartiallyFailed.
// The Velero server's plugin client is not cached, so each progress check is a LIST of the
// DataUpload by its operation id; those are counted as modeled requests while the progress is
// read from a watch here (a run of hours would otherwise send hundreds of thousands of LISTs).
import type { V1PersistentVolumeClaim, V1StorageClass } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import {
  ASYNC_OPERATION_ID_LABEL,
  ASYNC_OPERATION_ID_PREFIX_DATA_UPLOAD,
  BACKUP_NAME_LABEL,
  BACKUP_UID_LABEL,
  DATA_UPLOAD_API_VERSION,
  DATA_UPLOAD_KIND,
  DATA_UPLOAD_PLURAL,
  PVC_UID_LABEL,
  SNAPSHOT_TYPE_CSI,
  type DataUpload,
} from '../api/dataupload.ts';
import { SNAPSHOT_GROUP, SNAPSHOT_VERSION, type VolumeSnapshot, type VolumeSnapshotContent } from '../api/snapshot.ts';
import type { Clock, Timer } from '../clock.ts';
import { formatGoDuration } from '../duration.ts';
import { isTerminal } from '../flows/types.ts';
import type { KubeIo, Obj, WatchedCache } from '../kube/io.ts';

const SNAPSHOT_API_VERSION = `${SNAPSHOT_GROUP}/${SNAPSHOT_VERSION}`;
/** Velero picks the VolumeSnapshotClass of a driver by this label. */
const VELERO_SNAPSHOT_CLASS_LABEL = 'velero.io/csi-volumesnapshot-class';
/** backup_operations_controller defaultBackupOperationsFrequency. */
export const ITEM_OPERATIONS_SYNC_MS = 10_000;
/** WaitUntilVSCHandleIsReady's poll interval. */
export const VSC_HANDLE_POLL_MS = 5_000;

export interface BackupSpec {
  name: string;
  /** Velero's namespace. */
  namespace: string;
  pvcs: { namespace: string; name: string }[];
  /** backup.spec.csiSnapshotTimeout, default 10m; becomes the DataUploads' operationTimeout. */
  csiSnapshotTimeoutMs?: number;
  /** backup.spec.itemOperationTimeout, default 4h. */
  itemOperationTimeoutMs?: number;
  storageLocation?: string;
}

export interface BackupOutcome {
  phase: 'Completed' | 'PartiallyFailed' | 'Failed';
  dataUploads: { name: string; namespace: string; pvc: string; phase: string; message?: string; canceledByServer: boolean }[];
  /** PVCs whose snapshot never got a handle (no DataUpload was made for them). */
  errors: string[];
  startedAt: number;
  endedAt: number;
}

export interface RunningBackup {
  /** The DataUploads made so far. */
  dataUploads(): DataUpload[];
  /** Every PVC handled, every item operation ended and every DataUpload terminal. */
  done(): boolean;
  outcome: Promise<BackupOutcome>;
  stop(): Promise<void>;
}

interface Operation {
  id: string;
  du: string;
  pvc: string;
  created: number;
  state: 'running' | 'completed' | 'failed';
  canceledByServer: boolean;
}

export class VeleroServer {
  constructor(
    private readonly io: KubeIo,
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {}

  async startBackup(spec: BackupSpec): Promise<RunningBackup> {
    const backup = new Backup(this.io, this.clock, spec, uuid(this.random));
    await backup.start();
    return backup;
  }
}

class Backup implements RunningBackup {
  private readonly ops: Operation[] = [];
  private readonly errors: string[] = [];
  private cache!: WatchedCache<DataUpload & Obj>;
  private itemsDone = false;
  private timer?: Timer;
  private stopped = false;
  private finished = false;
  private readonly startedAt: number;
  private resolve!: (o: BackupOutcome) => void;
  readonly outcome: Promise<BackupOutcome>;

  constructor(
    private readonly io: KubeIo,
    private readonly clock: Clock,
    private readonly spec: BackupSpec,
    private readonly uid: string,
  ) {
    this.startedAt = clock.now();
    this.outcome = new Promise((r) => (this.resolve = r));
  }

  async start(): Promise<void> {
    this.cache = this.io.watch<DataUpload & Obj>(DATA_UPLOAD_API_VERSION, DATA_UPLOAD_PLURAL, this.spec.namespace, `${BACKUP_NAME_LABEL}=${this.spec.name}`);
    await this.cache.start();
    this.schedule();
    void this.backUpItems().catch((e) => this.errors.push(`backing up items: ${(e as Error).message}`)).finally(() => (this.itemsDone = true));
  }

  dataUploads(): DataUpload[] {
    return [...this.cache.list(this.spec.namespace)];
  }

  done(): boolean {
    return this.finished && this.ops.every((o) => {
      const du = this.cache.get(o.du, this.spec.namespace);
      return !du || isTerminal(du);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.cache.stop();
  }

  /** The item action, PVC after PVC. */
  private async backUpItems(): Promise<void> {
    const csiSnapshotTimeoutMs = this.spec.csiSnapshotTimeoutMs ?? 10 * 60_000;
    const byNamespace = new Map<string, Map<string, V1PersistentVolumeClaim>>();
    for (const ns of new Set(this.spec.pvcs.map((p) => p.namespace))) {
      const list = await this.io.listObjects<V1PersistentVolumeClaim & Obj>('v1', 'persistentvolumeclaims', ns);
      byNamespace.set(ns, new Map(list.items.map((p) => [p.metadata!.name!, p])));
    }
    for (const ref of this.spec.pvcs) {
      if (this.stopped) return;
      const pvc = byNamespace.get(ref.namespace)?.get(ref.name);
      if (!pvc) {
        this.errors.push(`PVC ${ref.namespace}/${ref.name} not found`);
        continue;
      }
      try {
        await this.backUpPvc(pvc, csiSnapshotTimeoutMs);
      } catch (e) {
        this.errors.push(`PVC ${ref.namespace}/${ref.name}: ${(e as Error).message}`);
      }
    }
  }

  private async backUpPvc(pvc: V1PersistentVolumeClaim, csiSnapshotTimeoutMs: number): Promise<void> {
    const { io } = this;
    const sc = await io.getObject<V1StorageClass & Obj>({ apiVersion: 'storage.k8s.io/v1', resource: 'storageclasses', name: pvc.spec!.storageClassName! });
    const classes = await io.listObjects<Obj>(SNAPSHOT_API_VERSION, 'volumesnapshotclasses');
    const vsClass =
      classes.items.find((c) => c.driver === sc.provisioner && c.metadata?.labels?.[VELERO_SNAPSHOT_CLASS_LABEL] === 'true') ??
      classes.items.find((c) => c.driver === sc.provisioner);
    if (!vsClass) throw new Error(`failed to get VolumeSnapshotClass for StorageClass ${sc.metadata!.name}: no class for driver ${sc.provisioner}`);
    const vs = await io.createObject<VolumeSnapshot & Obj>('volumesnapshots', {
      apiVersion: SNAPSHOT_API_VERSION,
      kind: 'VolumeSnapshot',
      metadata: {
        generateName: `velero-${pvc.metadata!.name}-`,
        namespace: pvc.metadata!.namespace,
        labels: { ...pvc.metadata!.labels, [BACKUP_NAME_LABEL]: this.spec.name },
      },
      spec: { source: { persistentVolumeClaimName: pvc.metadata!.name }, volumeSnapshotClassName: vsClass.metadata!.name },
    } as VolumeSnapshot & Obj);
    const vsc = await this.waitUntilVscHandleIsReady(vs, csiSnapshotTimeoutMs);
    const id = `${ASYNC_OPERATION_ID_PREFIX_DATA_UPLOAD}${this.uid}.${pvc.metadata!.uid}`;
    const du = await io.createObject<DataUpload & Obj>(DATA_UPLOAD_PLURAL, {
      apiVersion: DATA_UPLOAD_API_VERSION,
      kind: DATA_UPLOAD_KIND,
      metadata: {
        generateName: `${this.spec.name}-`,
        namespace: this.spec.namespace,
        ownerReferences: [{ apiVersion: 'velero.io/v1', kind: 'Backup', name: this.spec.name, uid: this.uid, controller: true }],
        labels: {
          [BACKUP_NAME_LABEL]: this.spec.name,
          [BACKUP_UID_LABEL]: this.uid,
          [PVC_UID_LABEL]: pvc.metadata!.uid!,
          [ASYNC_OPERATION_ID_LABEL]: validLabelValue(id),
        },
      },
      spec: {
        snapshotType: SNAPSHOT_TYPE_CSI,
        csiSnapshot: {
          volumeSnapshot: vs.metadata.name!,
          storageClass: pvc.spec!.storageClassName!,
          driver: vsc.spec.driver,
          snapshotClass: vs.spec.volumeSnapshotClassName ?? undefined,
        },
        sourcePVC: pvc.metadata!.name!,
        datamover: '',
        backupStorageLocation: this.spec.storageLocation ?? 'default',
        sourceNamespace: pvc.metadata!.namespace!,
        operationTimeout: formatGoDuration(csiSnapshotTimeoutMs),
      },
    } as DataUpload & Obj);
    this.ops.push({ id, du: du.metadata.name!, pvc: `${pvc.metadata!.namespace}/${pvc.metadata!.name}`, created: this.clock.now(), state: 'running', canceledByServer: false });
  }

  private async waitUntilVscHandleIsReady(vs: VolumeSnapshot & Obj, timeoutMs: number): Promise<VolumeSnapshotContent> {
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      const cur = await this.io.getObject<VolumeSnapshot & Obj>({ apiVersion: SNAPSHOT_API_VERSION, resource: 'volumesnapshots', namespace: vs.metadata.namespace, name: vs.metadata.name! });
      const contentName = cur.status?.boundVolumeSnapshotContentName;
      if (contentName) {
        const vsc = await this.io.getObject<VolumeSnapshotContent & Obj>({ apiVersion: SNAPSHOT_API_VERSION, resource: 'volumesnapshotcontents', name: contentName });
        if (vsc.status?.snapshotHandle) return vsc;
        if (vsc.status?.error?.message && this.clock.now() + VSC_HANDLE_POLL_MS > deadline) throw new Error(`CSI got timed out with error: ${vsc.status.error.message}`);
      }
      if (this.clock.now() + VSC_HANDLE_POLL_MS > deadline) {
        await this.io.deleteObject({ apiVersion: SNAPSHOT_API_VERSION, resource: 'volumesnapshots', namespace: vs.metadata.namespace, name: vs.metadata.name! });
        throw new Error(`timed out awaiting reconciliation of volumesnapshot ${vs.metadata.namespace}/${vs.metadata.name}`);
      }
      await this.clock.sleep(VSC_HANDLE_POLL_MS);
      if (this.stopped) throw new Error('backup stopped');
    }
  }

  private schedule(): void {
    this.timer = this.clock.setTimer(ITEM_OPERATIONS_SYNC_MS, () => {
      if (this.stopped) return;
      void this.syncOperations().finally(() => {
        if (!this.finished) this.schedule();
      });
    });
  }

  /** The backup operations controller's pass: progress, timeouts, the backup's end. */
  private async syncOperations(): Promise<void> {
    const timeout = this.spec.itemOperationTimeoutMs ?? 4 * 3_600_000;
    const now = this.clock.now();
    for (const op of this.ops) {
      if (op.state !== 'running') continue;
      this.io.cost.modeled.list++;
      const du = this.cache.get(op.du, this.spec.namespace);
      if (du && isTerminal(du)) {
        op.state = du.status?.phase === 'Completed' ? 'completed' : 'failed';
        continue;
      }
      if (op.created + timeout < now) {
        op.state = 'failed';
        op.canceledByServer = true;
        await this.io.mergePatchObject({ apiVersion: DATA_UPLOAD_API_VERSION, resource: DATA_UPLOAD_PLURAL, namespace: this.spec.namespace, name: op.du }, { spec: { cancel: true } });
      }
    }
    if (this.itemsDone && !this.finished && this.ops.every((o) => o.state !== 'running')) {
      this.finished = true;
      this.resolve(this.summary());
    }
  }

  private summary(): BackupOutcome {
    const failed = this.errors.length > 0 || this.ops.some((o) => o.state === 'failed');
    return {
      phase: this.ops.length === 0 && this.errors.length ? 'Failed' : failed ? 'PartiallyFailed' : 'Completed',
      dataUploads: this.ops.map((o) => {
        const du = this.cache.get(o.du, this.spec.namespace);
        return {
          name: o.du,
          namespace: this.spec.namespace,
          pvc: o.pvc,
          phase: du?.status?.phase ?? 'New',
          message: du?.status?.message,
          canceledByServer: o.canceledByServer,
        };
      }),
      errors: [...this.errors],
      startedAt: this.startedAt,
      endedAt: this.clock.now(),
    };
  }
}

/** Velero's label.GetValidName: over 63 characters, the first 57 and 6 hex digits of the SHA-256. */
export function validLabelValue(value: string): string {
  if (value.length <= 63) return value;
  return value.slice(0, 57) + createHash('sha256').update(value).digest('hex').slice(0, 6);
}

function uuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
