// The DataUpload type, defined once, next to the CRD it matches (crds/velero.io_datauploads.yaml).
// Field names and optionality follow Velero v1.18 (pkg/apis/velero/v2alpha1/data_upload_types.go).
// Objects travel as JSON, so timestamps are RFC 3339 strings and durations Go duration strings.
import type { V1ObjectMeta } from '@kubernetes/client-node';

export const DATA_UPLOAD_GROUP = 'velero.io';
export const DATA_UPLOAD_VERSION = 'v2alpha1';
export const DATA_UPLOAD_API_VERSION = `${DATA_UPLOAD_GROUP}/${DATA_UPLOAD_VERSION}` as const;
export const DATA_UPLOAD_PLURAL = 'datauploads';
export const DATA_UPLOAD_KIND = 'DataUpload';
export const DATA_UPLOAD_LIST_KIND = 'DataUploadList';

/** Velero's phases plus DatamoverDeploying, in lifecycle order; the CRD's status.phase enum. */
export const DATA_UPLOAD_PHASES = [
  'New',
  'Accepted',
  'Prepared',
  'DatamoverDeploying',
  'InProgress',
  'Canceling',
  'Canceled',
  'Completed',
  'Failed',
] as const;
export type DataUploadPhase = (typeof DATA_UPLOAD_PHASES)[number];

export const NODE_OS_VALUES = ['auto', 'linux', 'windows'] as const;
export type NodeOS = (typeof NODE_OS_VALUES)[number];

/** The only snapshot type Velero defines. */
export const SNAPSHOT_TYPE_CSI = 'CSI';

export interface CSISnapshotSpec {
  /** Name of the VolumeSnapshot, in spec.sourceNamespace. */
  volumeSnapshot: string;
  /** StorageClass of the source PVC. */
  storageClass: string;
  snapshotClass?: string;
  driver?: string;
}

export interface DataUploadSpec {
  snapshotType: string;
  csiSnapshot?: CSISnapshotSpec | null;
  sourcePVC: string;
  /** "" or "velero" selects the built-in data mover. */
  datamover?: string;
  backupStorageLocation: string;
  sourceNamespace: string;
  dataMoverConfig?: Record<string, string> | null;
  /** The only field the Velero server writes after creation. */
  cancel?: boolean;
  /** Go duration string, e.g. "10m0s". */
  operationTimeout: string;
}

export interface DataUploadProgress {
  totalBytes?: number;
  bytesDone?: number;
}

export interface DataUploadStatus {
  phase?: DataUploadPhase;
  path?: string;
  snapshotID?: string;
  dataMoverResult?: Record<string, string> | null;
  message?: string;
  startTimestamp?: string | null;
  completionTimestamp?: string | null;
  progress?: DataUploadProgress;
  incrementalBytes?: number;
  /** Node where the data path runs (the data-mover pod's node). */
  node?: string;
  nodeOS?: NodeOS;
  /** Node whose node-agent accepted and prepares the DataUpload. */
  acceptedByNode?: string;
  acceptedTimestamp?: string | null;
}

export interface DataUpload {
  apiVersion?: typeof DATA_UPLOAD_API_VERSION;
  kind?: typeof DATA_UPLOAD_KIND;
  metadata: V1ObjectMeta;
  spec: DataUploadSpec;
  status?: DataUploadStatus;
}

export interface DataUploadList {
  apiVersion?: typeof DATA_UPLOAD_API_VERSION;
  kind?: typeof DATA_UPLOAD_LIST_KIND;
  metadata?: { resourceVersion?: string; continue?: string };
  items: DataUpload[];
}

// Labels, annotations and finalizers, as Velero spells them.

/** On a DataUpload while it is being exposed (Accepted..Prepared); counted by prepareQueueLength.
 *  Velero: pkg/exposer/types.go ExposeOnGoingLabel. */
export const EXPOSE_ON_GOING_LABEL = 'velero.io/expose-on-going';
/** On the data-mover pod; value: the DataUpload's name. Velero: DataUploadLabel. */
export const DATA_UPLOAD_LABEL = 'velero.io/data-upload';
/** On the DataUpload, set by the Velero server: "du-<backup uid>.<pvc uid>". */
export const ASYNC_OPERATION_ID_LABEL = 'velero.io/async-operation-id';
export const ASYNC_OPERATION_ID_PREFIX_DATA_UPLOAD = 'du-';
/** On the DataUpload: uid of the source PVC. */
export const PVC_UID_LABEL = 'velero.io/pvc-uid';
/** On the DataUpload: the owning Backup. */
export const BACKUP_NAME_LABEL = 'velero.io/backup-name';
export const BACKUP_UID_LABEL = 'velero.io/backup-uid';
/** On the data-mover pod; the topology spread constraint selects on it. */
export const EXPOSER_POD_GROUP_LABEL = 'velero.io/exposer-pod-group';
export const SNAPSHOT_EXPOSER_POD_GROUP = 'snapshot-exposer';
/** The data-mover pod: named as its DataUpload, in the DataUpload's namespace, running this
 *  command with `--data-upload=<name>`, `--volume-path=/<DataUpload uid>`, `--volume-mode`,
 *  `--resource-timeout` (Velero: pkg/exposer/csi_snapshot.go createBackupPod,
 *  pkg/cmd/cli/datamover/backup.go). */
export const DATA_MOVER_BACKUP_COMMAND = ['/velero', 'data-mover', 'backup'] as const;
export const DATA_MOVER_FLAG = {
  dataUpload: '--data-upload',
  volumePath: '--volume-path',
  volumeMode: '--volume-mode',
  resourceTimeout: '--resource-timeout',
  /** Ours: the pod's deadline for InProgress (podInProgressTimeout), when the node-agent sets one. */
  inProgressTimeout: '--in-progress-timeout',
} as const;
/** Ours: the env var that throttles the real data mover (controller/data-mover/), bytes per
 *  second as a quantity such as "6Mi"; the node-agent passes it to the data-mover pods. */
export const DATA_MOVER_THROUGHPUT_ENV = 'DATA_MOVER_THROUGHPUT';
/** Added by the node-agent so it can clean up before a DataUpload disappears. */
export const DATA_UPLOAD_FINALIZER = 'velero.io/data-upload-download-finalizer';

// The data path: the data-mover pod reports through Events whose involvedObject is the
// DataUpload (Velero: pkg/datapath/micro_service_watcher.go).

export const DATA_PATH_EVENT_REASON = {
  Started: 'Data-Path-Started',
  Progress: 'Data-Path-Progress',
  Completed: 'Data-Path-Completed',
  Failed: 'Data-Path-Failed',
  Canceled: 'Data-Path-Canceled',
  Canceling: 'Data-Path-Canceling',
  Stopped: 'Data-Path-Stopped',
} as const;
export type DataPathEventReason = (typeof DATA_PATH_EVENT_REASON)[keyof typeof DATA_PATH_EVENT_REASON];

/** Message of a Data-Path-Progress event. Note `doneBytes`, unlike status.progress.bytesDone
 *  (Velero: pkg/uploader/types.go Progress). */
export interface DataPathProgress {
  totalBytes?: number;
  doneBytes?: number;
}

/** Message of a Data-Path-Completed event for a backup (Velero: pkg/datapath/types.go BackupResult). */
export interface DataPathBackupResult {
  snapshotID: string;
  emptySnapshot: boolean;
  source?: { byPath: string; volumeMode: string };
  totalBytes?: number;
  incrementalBytes?: number;
}

// The project's own metadata on a DataUpload (annotations, not schema: the CRD adds only the
// DatamoverDeploying phase).

/** deploying: when the DataUpload entered DatamoverDeploying (RFC 3339); the deploy timeout runs from it. */
export const DEPLOYING_TIMESTAMP_ANNOTATION = 'datamover-bench.io/deploying-timestamp';
/** deploying: when a claim was returned because a ResourceQuota refused its data-mover pod (RFC 3339). */
export const QUOTA_REFUSED_ANNOTATION = 'datamover-bench.io/quota-refused-timestamp';
/** deploying: how many times a ResourceQuota refused this DataUpload's data-mover pod. */
export const QUOTA_REFUSALS_ANNOTATION = 'datamover-bench.io/quota-refusals';
/** pipelined: the data path was lost once for its pod's sake (the reason: pod-failed, pod-evicted) and the DataUpload given back to Prepared; a second loss fails it. */
export const RETRIED_ANNOTATION = 'datamover-bench.io/retried-after';
/** Written with a Failed or Canceled phase: the outcome reason of docs/design.md section 4 (e.g. prepare-timeout). */
export const OUTCOME_REASON_ANNOTATION = 'datamover-bench.io/outcome-reason';
