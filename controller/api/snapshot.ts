// CSI snapshot objects (snapshot.storage.k8s.io/v1), matching snapshot.storage.k8s.io.yaml here and
// kubernetes-csi/external-snapshotter v8. Only what the harness and controller touch is typed
// strictly; the shapes are upstream's.
import type { V1ObjectMeta, V1ObjectReference } from '@kubernetes/client-node';

export const SNAPSHOT_GROUP = 'snapshot.storage.k8s.io';
export const SNAPSHOT_VERSION = 'v1';
export const SNAPSHOT_API_VERSION = `${SNAPSHOT_GROUP}/${SNAPSHOT_VERSION}` as const;
export const VOLUME_SNAPSHOT_PLURAL = 'volumesnapshots';
export const VOLUME_SNAPSHOT_CONTENT_PLURAL = 'volumesnapshotcontents';
export const VOLUME_SNAPSHOT_CLASS_PLURAL = 'volumesnapshotclasses';

export type DeletionPolicy = 'Delete' | 'Retain';

export interface VolumeSnapshotError {
  message?: string;
  /** RFC 3339. */
  time?: string;
}

export interface VolumeSnapshot {
  apiVersion?: typeof SNAPSHOT_API_VERSION;
  kind?: 'VolumeSnapshot';
  metadata: V1ObjectMeta;
  spec: {
    /** Exactly one of the two: snapshot a PVC, or bind a pre-provisioned content. */
    source: { persistentVolumeClaimName?: string; volumeSnapshotContentName?: string };
    volumeSnapshotClassName?: string;
  };
  status?: {
    boundVolumeSnapshotContentName?: string;
    /** RFC 3339. */
    creationTime?: string;
    error?: VolumeSnapshotError;
    readyToUse?: boolean;
    /** A resource quantity, e.g. "20Gi". */
    restoreSize?: string;
    volumeGroupSnapshotName?: string;
  };
}

export interface VolumeSnapshotContent {
  apiVersion?: typeof SNAPSHOT_API_VERSION;
  kind?: 'VolumeSnapshotContent';
  metadata: V1ObjectMeta;
  spec: {
    deletionPolicy: DeletionPolicy;
    driver: string;
    /** Exactly one of the two: volumeHandle (dynamic) or snapshotHandle (pre-provisioned). */
    source: { volumeHandle?: string; snapshotHandle?: string };
    /** A PersistentVolumeMode: Filesystem or Block. */
    sourceVolumeMode?: string;
    volumeSnapshotClassName?: string;
    /** The bound VolumeSnapshot; name and namespace are set. */
    volumeSnapshotRef: V1ObjectReference;
  };
  status?: {
    /** Nanoseconds since the Unix epoch. */
    creationTime?: number;
    error?: VolumeSnapshotError;
    readyToUse?: boolean;
    /** Bytes. */
    restoreSize?: number;
    snapshotHandle?: string;
    volumeGroupSnapshotHandle?: string;
  };
}

/** Fields are at the top level: a VolumeSnapshotClass has no spec. */
export interface VolumeSnapshotClass {
  apiVersion?: typeof SNAPSHOT_API_VERSION;
  kind?: 'VolumeSnapshotClass';
  metadata: V1ObjectMeta;
  driver: string;
  deletionPolicy: DeletionPolicy;
  parameters?: Record<string, string>;
}
