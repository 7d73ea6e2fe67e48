// The contract between a flow (a pure state machine over one DataUpload) and the node-agent
// runtime that feeds it observations and carries out its decisions through the Kubernetes API.
//
// A flow is called for one DataUpload whenever the runtime reconciles it (a watch event of the
// DataUpload or its data-mover pod or backup PVC, the periodic re-check, a requeue). It reads
// only its input and returns one Step and, optionally, when to look again. It never does I/O
// and never reads a clock: `now` is in the input. The runtime owns watching, queueing, retries,
// conflicts, the data-path watchers and the per-node concurrency limiter.
import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import type { DataUpload } from '../api/dataupload.ts';

export const FLOW_NAMES = ['velero-1.16', 'velero-1.17', 'deploying', 'pipelined'] as const;
export type FlowName = (typeof FLOW_NAMES)[number];

/** Velero's timings (pkg/controller/data_upload_controller.go, v1.16 to v1.18). */
export const VELERO_TIMINGS = {
  /** RequeueAfter for "concurrency limited", "constrained by prepareQueueLength", failed InProgress update. */
  requeueMs: 5_000,
  /** preparingMonitorFrequency: the periodic enqueue of DataUploads the flow's `periodic` selects. */
  periodicMs: 60_000,
  /** Default of the node-agent's --data-mover-prepare-timeout. */
  prepareTimeoutMs: 30 * 60_000,
  /** v1.17+: spec.cancel seen but not handled after this long (InProgress: cancelDelayInProgress) -> force Canceled. */
  cancelDelayOthersMs: 5 * 60_000,
  cancelDelayInProgressMs: 60 * 60_000,
  /** UpdateDataUploadWithRetry polls every second until its update lands. */
  updateRetryMs: 1_000,
} as const;

/** Why a DataUpload ended Failed or Canceled (docs/design.md section 4). The runtime writes it into
 *  OUTCOME_REASON_ANNOTATION with the terminal phase, so collectors need not parse messages. */
export type OutcomeReason =
  | 'prepare-timeout'
  | 'deploy-timeout'
  | 'pod-inprogress-timeout'
  | 'operation-timeout'
  | 'pod-evicted'
  | 'node-lost'
  | 'pod-failed'
  | 'snapshot-failed'
  | 'expose-failed'
  | 'quota-exceeded'
  | 'volume-unreachable'
  | 'data-path-failed'
  | 'canceled'
  | 'node-agent-restart'
  | 'deleted';

/** Settings a flow reads. Durations in ms. */
export interface FlowConfig {
  prepareTimeoutMs: number;
  /** deploying only: DatamoverDeploying -> InProgress must happen within this. */
  deployTimeoutMs: number;
  /** velero-1.17 (and deploying, which keeps it): cluster-wide cap on DataUploads being exposed; undefined = no cap. */
  prepareQueueLength?: number;
}

/** What the runtime observed for one DataUpload, at one instant, from one node-agent. */
export interface FlowInput {
  du: DataUpload;
  /** ms since the epoch, from the node-agent's clock. */
  now: number;
  /** This node-agent's node. */
  nodeName: string;
  /**
   * The data-mover pod (named as the DataUpload, in its namespace): from this agent's cache,
   * which holds only pods on its node (Velero's node-agent caches pods by spec.nodeName), or,
   * when the flow `peeksPod`, from a direct GET.
   */
  pod?: V1Pod;
  /** The backup PVC (named as the DataUpload, in its namespace), if this agent's cache has it. */
  backupPvc?: V1PersistentVolumeClaim;
  /** The backup PVC is not Bound and its StorageClass binds it only with a pod (volumeBindingMode WaitForFirstConsumer). */
  backupPvcWaitsForConsumer?: boolean;
  /** This agent runs (watches) a data path for this DataUpload: Velero's dataPathMgr.GetAsyncBR(du) != nil. */
  dataPathRunning: boolean;
  /**
   * This node's limiter: data paths running + slots reserved (deploying), against loadConcurrency
   * for this node. For a flow that `looksAhead`: `ahead`, look-ahead reservations waiting for a
   * slot, and `soonestEndMs`, the least estimated time left of a running data path here (from its
   * last two progress reports), when there is one.
   */
  slots: { used: number; limit: number; ahead?: number; soonestEndMs?: number };
  /** Cluster-wide count of DataUploads labelled velero.io/expose-on-going=true, from the cache. */
  exposeOnGoing: number;
  /** v1.17+: when this agent first saw spec.cancel on this DataUpload (ms), if it has. */
  cancelSpottedAt?: number;
  /** loadAffinity (for the DataUpload's storage class) admits this node, or there is none. */
  affinityMatchesNode: boolean;
  /**
   * For flows that read volume topology (`readsVolumeTopology`): whether the backup volume can be
   * attached on this node, from the node affinity of the backup PVC's PV when it is bound, or of
   * the source PV when the class binds with a consumer (the exposer then pins the pod to the
   * source volume's topology); undefined when neither is known yet or the PV has no affinity.
   */
  backupVolumeAttachesHere?: boolean;
  /** With `readsVolumeTopology`: how many nodes loadAffinity admits where the backup volume can be attached (undefined: not known yet). */
  attachableNodes?: number;
  /**
   * For flows that order the waiting (`ordersWaiting`): Prepared DataUploads this node could
   * claim (loadAffinity, topology, not backing off) accepted before this one (ties by name).
   */
  waitingAhead?: number;
  /**
   * For flows that read node health (`readsNodeHealth`): when (ms) the node this DataUpload is
   * tied to (status.node; while Accepted, acceptedByNode) stopped being Ready, from its Ready
   * condition's lastTransitionTime in this agent's Node cache; absent when that node is Ready,
   * not known, or there is none.
   */
  tiedNodeNotReadySince?: number;
  config: FlowConfig;
}

/**
 * What to do. Each step names one piece of Velero's reconcile; the runtime performs it with
 * Velero's write discipline:
 * - "exclusive": one Update with the observed resourceVersion; a 409 Conflict means someone
 *   else acted first, and the step ends there (Velero's exclusiveUpdateDataUpload).
 * - "with retry": GET, apply, Update, retried every second on conflict (UpdateDataUploadWithRetry);
 *   the change is skipped when the fresh object shows it is no longer wanted.
 */
export type Step =
  | { kind: 'none' }
  /** With retry: add velero.io/data-upload-download-finalizer. */
  | { kind: 'add-finalizer' }
  /** With retry: remove the finalizer (terminal DataUploads). */
  | { kind: 'remove-finalizer' }
  /** With retry: spec.cancel = true and status.message (deletion, unrecoverable pod, restart). */
  | { kind: 'request-cancel'; message: string; reason: OutcomeReason }
  /**
   * Exclusive: New -> Accepted (acceptedByNode, acceptedTimestamp; label expose-on-going when
   * `label`). On success, when the accepted object has spec.cancel (velero-1.16 accepts before
   * it looks at cancel): clean up and -> Canceled. Otherwise expose in the same reconcile: wait
   * for the VolumeSnapshot, backup VS + VSC, backup PVC, and the data-mover pod when `pod`
   * (deploying creates it later). An expose error fails the DataUpload (errorOut).
   */
  | { kind: 'accept'; label: boolean; pod: boolean }
  /**
   * Accepted -> Prepared; status.node = `node` when given. With retry, skipped if terminal
   * (v1.17+ UpdateDataUploadWithRetry); `exclusive`: one Update, a 409 ends it (v1.16
   * exclusiveUpdateDataUpload).
   */
  | { kind: 'prepare'; node?: string; exclusive?: boolean }
  /**
   * deploying. Exclusive: Prepared -> DatamoverDeploying, status.node = this node, annotation
   * DEPLOYING_TIMESTAMP_ANNOTATION = now; on success reserve a slot and create the data-mover pod
   * pinned to this node. When a ResourceQuota refuses the pod: `fail` it (pod-failed, as any
   * other refused create), or `return-claim`: give the slot back and, exclusive, DatamoverDeploying
   * -> Prepared with QUOTA_REFUSED_ANNOTATION = now and QUOTA_REFUSALS_ANNOTATION counted up
   * (status.node and the deploying timestamp removed). `ahead`: every slot is taken; the claim
   * reserves a look-ahead slot (one per node), and its data path starts when a slot frees.
   */
  | { kind: 'claim'; podRefusedByQuota: 'fail' | 'return-claim'; ahead?: boolean }
  /**
   * Start the data path on this node, in Velero's order: GetExposed (the data-mover pod must be
   * on this node; wait for the backup PVC to be bound: direct GETs of the PVC and its PV), then
   * the limiter (velero flows: full -> requeue 5 s, waiting for a slot; deploying: the slot
   * reserved at claim becomes a running one), then with retry -> InProgress, startTimestamp,
   * label removed. When the fresh object is terminal, close the data path instead. A failed
   * update closes it and requeues 5 s.
   */
  | { kind: 'start-data-path' }
  /** Exclusive: -> Canceled (timestamps, label removed), then clean up (Velero's tryCancel...). */
  | { kind: 'cancel'; message?: string; reason: OutcomeReason }
  /** Clean up, then -> Canceled (Velero's OnDataUploadCancelled; Prepared, or InProgress without a data path here). */
  | { kind: 'cleanup-and-cancel'; reason: OutcomeReason }
  /** With retry (skipped if terminal): InProgress -> Canceling; the data-mover pod sees spec.cancel and stops. */
  | { kind: 'canceling' }
  /**
   * -> Failed with `message`, and clean up. `exclusive`: an exclusive update first, then clean up
   * (Velero's onPrepareTimeout); otherwise clean up first, then patch (Velero's errorOut).
   */
  | { kind: 'fail'; reason: OutcomeReason; message: string; exclusive: boolean }
  /**
   * The data path was lost for its pod's sake, not its data's (the pod deleted or evicted before
   * it ended): close the data path, delete what is left of the pod (grace 0), free the slot and,
   * with retry (skipped if terminal or canceled, which then cleans up and cancels), InProgress ->
   * Prepared with RETRIED_ANNOTATION = `reason` and `message` (status.node, startTimestamp,
   * progress and the deploying timestamp removed). The snapshot copy and the backup PVC stay:
   * any agent with a free slot runs it again on a new pod.
   */
  | { kind: 'retry'; reason: OutcomeReason; message: string };

/**
 * What Velero's findDataUploadForPod does on an update of a data-mover pod on this agent's node
 * (the pod watch's predicate passes updates of labelled pods on r.nodeName only; creates,
 * deletes and generic events are filtered out): a step carried out in the event handler, then,
 * when `enqueue`, the DataUpload is reconciled.
 */
export interface PodUpdateDecision {
  step: Step;
  enqueue: boolean;
}

export interface Decision {
  step: Step;
  /** Look at this DataUpload again after this long (controller-runtime's RequeueAfter). */
  requeueAfterMs?: number;
  /**
   * The requeue only waits for a free slot (deploying) or for the prepare queue to shrink
   * (velero-1.17): nothing but a change of the limiter, of the expose-on-going count or of this
   * DataUpload can change the decision, and the re-checks read only caches. The runtime may then
   * skip the idle re-checks and resume on the same 5 s grid after such a change.
   */
  waitsFor?: 'slot' | 'prepare-queue';
}

/** What a node-agent does, at its start, for each DataUpload it finds (Velero's AttemptDataUploadResume). */
export type StartAction =
  | { kind: 'none' }
  /** Re-attach the data path of an InProgress DataUpload on this node (bypasses the limit); if that fails, request cancel. */
  | { kind: 'resume-data-path' }
  /** deploying: re-reserve the slot of a DatamoverDeploying DataUpload claimed by this node. */
  | { kind: 'resume-reservation' }
  | { kind: 'request-cancel'; message: string; reason: OutcomeReason };

export interface Flow {
  name: FlowName;
  /** The flow reads the backup PVC (deploying: Accepted -> Prepared when it binds), so the runtime watches PVCs. */
  watchesBackupPvcs?: boolean;
  /**
   * Velero's PeekExposed: in this phase the runtime GETs the data-mover pod directly (the
   * node-agent's own cache holds only its node's pods) and passes it as `pod`.
   */
  peeksPod?(du: DataUpload): boolean;
  /**
   * A DataUpload waiting for a slot (`waitsFor: 'slot'`) is reconciled as soon as a slot frees on
   * this node or a waiting one is claimed anywhere, instead of at its next 5 s re-check.
   */
  claimsOnRelease?: boolean;
  /** The runtime fills `slots.ahead` and `slots.soonestEndMs` (progress reports of this node's data paths). */
  looksAhead?: boolean;
  /**
   * The runtime fills `tiedNodeNotReadySince` (from a watch of Nodes), and reconciles the DataUploads
   * tied to a node when its Ready condition stops being True.
   */
  readsNodeHealth?: boolean;
  /**
   * A terminal status write (Completed after the data path, Failed or Canceled after cleanup)
   * that fails with an error other than a conflict is tried again (1 s, doubling to 30 s) for as
   * long as the agent runs. Velero's UpdateDataUploadWithRetry retries conflicts only; any other
   * error ends it, and the DataUpload stays InProgress until the item operation timeout.
   */
  retriesEndWrites?: boolean;
  /**
   * A data path that completed frees its slot when it ends, before CleanUp and the Completed
   * write: the slot bounds data movement, and CleanUp moves no data. Velero frees it last
   * (OnDataUploadCompleted's `defer r.dataPathMgr.RemoveAsyncBR`), after CleanUp has deleted the
   * pod, waited for the backup PVC and PV to go, and deleted the snapshots.
   */
  freesSlotAtDataEnd?: boolean;
  /**
   * At its start, a node-agent that finds an InProgress DataUpload of its node whose data-mover
   * pod is gone, with the data mover's Data-Path-Completed Event for it (its BackupResult),
   * completes it from that Event (CleanUp, then Completed with the result): the agent stopped
   * between the data path's end and its Completed write. Velero's AttemptDataUploadResume finds
   * no pod and cancels it, and the data moved is thrown away.
   */
  completesFromEvent?: boolean;
  /** The runtime fills `backupVolumeAttachesHere` (one GET per PV, cached: node affinity is immutable) and `attachableNodes` (from a watch of Nodes), on a node loadAffinity admits for the DataUpload. */
  readsVolumeTopology?: boolean;
  /**
   * The runtime fills `waitingAhead`: the DataUploads the flow says are `waiting` (in the cache)
   * that this node could serve (loadAffinity, and where the flow reads topology, the volume
   * attaching here), counted when they go before this one: accepted earlier (oldest-first), or
   * with a larger backup volume (largest-first, from the backup PVC's request; then oldest);
   * ties by name.
   */
  ordersWaiting?: { order: 'oldest-first' | 'largest-first'; waiting(du: DataUpload, now: number): boolean };
  /** One reconcile's decision. */
  decide(input: FlowInput): Decision;
  /**
   * How the runtime writes the status of this flow's DataUploads (InProgress, Canceling,
   * progress, terminal phases): v1.16 a JSON merge patch (client.MergeFrom), with no look at the
   * phase; v1.17+ UpdateDataUploadWithRetry, skipped once the DataUpload is terminal.
   */
  statusWrites: 'merge-patch' | 'update-with-retry';
  /**
   * What errorOut prefixes an Expose error with in status.message: v1.16 "error to expose
   * snapshot", v1.17+ "error exposing snapshot" (data_upload_controller.go, Reconcile's New branch).
   */
  exposeErrorMessage: string;
  /** A data-mover pod on this agent's node was updated (`input.pod` is the new object). */
  onPodUpdate(input: FlowInput): PodUpdateDecision;
  /**
   * A data-mover pod whose data path runs here was deleted before it ended (a grace-0 delete, a
   * lost node's pods removed): Velero's watcher never learns of it, and the DataUpload waits for
   * the item operation timeout. A flow that has this decides a step instead (`input.pod` absent).
   */
  onPodGone?(input: FlowInput): Step;
  /**
   * This agent's data path for the DataUpload failed (the watcher saw its pod end without a
   * result): what to do instead of Velero's OnDataUploadFailed, which cleans up and fails it
   * (`{ kind: 'fail', exclusive: false }`, what the runtime does when a flow has no such hook).
   */
  onDataPathFailed?(input: FlowInput, failure: { reason: OutcomeReason; message: string }): Step;
  /** Which DataUploads the periodic source (every VELERO_TIMINGS.periodicMs) enqueues. */
  periodic(du: DataUpload): boolean;
  /** The node-agent start: what to do for a DataUpload found in the cluster. */
  onStart(du: DataUpload, nodeName: string): StartAction;
}

/** Completed, Failed, Canceled. */
export function isTerminal(du: DataUpload): boolean {
  const p = du.status?.phase;
  return p === 'Completed' || p === 'Failed' || p === 'Canceled';
}
