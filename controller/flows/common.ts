// What the three flows share: Velero's predicates over DataUploads and data-mover pods, the part
// of Reconcile that runs before its phase switch (built-in data mover, finalizer, deletion,
// terminal DataUploads, v1.17's cancel delay), and time arithmetic over RFC 3339 timestamps.
// Facts from pkg/controller/data_upload_controller.go (v1.16.2, v1.17.0, v1.18.1) and
// pkg/util/kube/pod.go IsPodUnrecoverable; the code is ours.
import type { V1Pod } from '@kubernetes/client-node';
import { DATA_UPLOAD_FINALIZER, DEPLOYING_TIMESTAMP_ANNOTATION, SNAPSHOT_TYPE_CSI, type DataUpload } from '../api/dataupload.ts';
import { isTerminal, VELERO_TIMINGS, type Decision, type FlowInput, type OutcomeReason, type PodUpdateDecision, type Step } from './types.ts';

export const NONE: Decision = Object.freeze({ step: Object.freeze({ kind: 'none' as const }) });

export function decision(step: Step): Decision {
  return { step };
}

// ---- messages, as Velero writes them ------------------------------------------------------

export const DELETION_CANCEL_MESSAGE = 'Cancel dataupload because it is being deleted';
export const PREPARE_TIMEOUT_MESSAGE = 'timeout on preparing data upload';
/** deploying: the project's own wording, in Velero's style. */
export const DEPLOY_TIMEOUT_MESSAGE = 'timeout on deploying data mover';

/** findDataUploadForPod's request to cancel, written by the agent of the pod's node. */
export function abnormalPodMessage(pod: V1Pod, unrecoverable: PodUnrecoverable): string {
  return `Cancel dataupload because the exposing pod ${pod.metadata?.namespace}/${pod.metadata?.name} is in abnormal status for reason ${unrecoverable.message}`;
}

// ---- DataUpload predicates ----------------------------------------------------------------

/** datamover.IsBuiltInUploader: other data movers belong to someone else's controller. */
export function isBuiltInDataMover(du: DataUpload): boolean {
  return !du.spec.datamover || du.spec.datamover === 'velero';
}

export function hasFinalizer(du: DataUpload): boolean {
  return du.metadata.finalizers?.includes(DATA_UPLOAD_FINALIZER) ?? false;
}

export function isBeingDeleted(du: DataUpload): boolean {
  return Boolean(du.metadata.deletionTimestamp);
}

/** Velero's errorOut for a snapshot type it has no exposer for (only CSI exists). Terminal
 *  DataUploads are left alone (Velero would fail them again on every reconcile). */
function unsupportedSnapshotType(du: DataUpload): Decision | undefined {
  if (du.spec.snapshotType === SNAPSHOT_TYPE_CSI || isTerminal(du)) return undefined;
  return decision({
    kind: 'fail',
    reason: 'expose-failed',
    message: `not exist type of exposer: ${du.spec.snapshotType} type of snapshot exposer is not exist`,
    exclusive: false,
  });
}

/**
 * The part of Velero's Reconcile before its phase switch, or undefined to go on to the phases.
 *
 * v1.16: the finalizer is added (exclusive update) only while the DataUpload is not being
 * deleted, and the reconcile goes on with the phases (requeueAfterMs 0); a terminal DataUpload's
 * finalizer is removed in the switch's last branch, which only terminal and Canceling reach.
 * v1.17+: every non-terminal DataUpload gets the finalizer and the reconcile ends there; a
 * deleted one gets spec.cancel and the reconcile ends there; a terminal one loses the finalizer;
 * then spec.cancel spotted too long ago forces Canceled (tryCancelDataUpload), in any phase.
 */
export function beforePhaseSwitch(input: FlowInput, velero: '1.16' | '1.17'): Decision | undefined {
  const { du } = input;
  if (!isBuiltInDataMover(du)) return NONE;
  if (velero === '1.16') {
    const unsupported = unsupportedSnapshotType(du);
    if (unsupported) return unsupported;
  }
  if (isTerminal(du)) return hasFinalizer(du) ? decision({ kind: 'remove-finalizer' }) : NONE;
  if (!hasFinalizer(du)) {
    if (velero === '1.17') return decision({ kind: 'add-finalizer' });
    if (!isBeingDeleted(du)) return { step: { kind: 'add-finalizer' }, requeueAfterMs: 0 };
  }
  if (isBeingDeleted(du) && hasFinalizer(du) && !du.spec.cancel) {
    return decision({ kind: 'request-cancel', message: DELETION_CANCEL_MESSAGE, reason: 'deleted' });
  }
  if (velero === '1.17') {
    if (cancelDelayExpired(input)) return decision({ kind: 'cancel', reason: 'canceled' });
    return unsupportedSnapshotType(du);
  }
  return undefined;
}

/**
 * v1.17+: this agent first saw spec.cancel more than cancelDelayOthers ago (cancelDelayInProgress
 * when InProgress). The first sighting only records the time (the runtime does), so it is never
 * expired; the comparison is strict, as Velero's `time.Since(spotted) > delay`.
 */
export function cancelDelayExpired(input: FlowInput): boolean {
  const { du, cancelSpottedAt, now } = input;
  if (!du.spec.cancel || cancelSpottedAt === undefined || isTerminal(du)) return false;
  const delay = du.status?.phase === 'InProgress' ? VELERO_TIMINGS.cancelDelayInProgressMs : VELERO_TIMINGS.cancelDelayOthersMs;
  return now - cancelSpottedAt > delay;
}

/** velero-1.17 and deploying: the cluster-wide count of DataUploads being exposed is at or above
 *  loadConcurrency.prepareQueueLength (Velero's VgdpCounter.IsConstrained; 0 or unset = no cap). */
export function prepareQueueFull(input: FlowInput): boolean {
  const limit = input.config.prepareQueueLength;
  return limit !== undefined && limit > 0 && input.exposeOnGoing >= limit;
}

// ---- the data-mover pod -------------------------------------------------------------------

export function podIsOn(pod: V1Pod | undefined, nodeName: string): boolean {
  return pod?.spec?.nodeName === nodeName;
}

export function podRunningOn(pod: V1Pod | undefined, nodeName: string): boolean {
  return podIsOn(pod, nodeName) && pod?.status?.phase === 'Running';
}

export interface PodUnrecoverable {
  /** Velero's text, e.g. "Pod is in abnormal state [Failed], message [...]". */
  message: string;
  reason: OutcomeReason;
}

/**
 * Velero's kube.IsPodUnrecoverable: the pod is Failed or Unknown, or a container waits with
 * ImagePullBackOff or ErrImageNeverPull (not ErrImagePull, which kubelet retries). v1.18 puts
 * status.message before the containers' termination messages; v1.16 and v1.17.0 do not
 * (`podMessage: false`). The outcome reason is the project's (docs/design.md section 4).
 */
export function podUnrecoverable(pod: V1Pod, opts: { podMessage?: boolean } = {}): PodUnrecoverable | undefined {
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Unknown') {
    let text = opts.podMessage !== false && pod.status?.message ? `${pod.status.message}/` : '';
    for (const c of pod.status?.containerStatuses ?? []) {
      if (c.state?.terminated?.message) text += `${c.state.terminated.message}/`;
    }
    return { message: `Pod is in abnormal state [${phase}], message [${text}]`, reason: podLossReason(pod) };
  }
  for (const c of pod.status?.containerStatuses ?? []) {
    const waiting = c.state?.waiting?.reason;
    if (waiting === 'ImagePullBackOff' || waiting === 'ErrImageNeverPull') {
      return {
        message: `Container ${c.name} in Pod ${pod.metadata?.namespace}/${pod.metadata?.name} is in pull image failed with reason ${waiting}`,
        reason: 'pod-failed',
      };
    }
  }
  return undefined;
}

/** DisruptionTarget reasons: the pod's node went away (podgc, taint eviction of an unreachable
 *  node) or the pod was evicted (kubelet under pressure, the Eviction API, preemption). */
const NODE_LOST_DISRUPTIONS = new Set(['DeletionByPodGC', 'DeletionByTaintManager']);
const EVICTED_DISRUPTIONS = new Set(['TerminationByKubelet', 'EvictionByEvictionAPI', 'PreemptionByScheduler']);

/** The data-mover pod's own deadline for InProgress (podInProgressTimeout) ran out: it exits
 *  with Velero's "error waiting for du: context deadline exceeded". */
const IN_PROGRESS_DEADLINE = /error waiting for du: context deadline exceeded/;

/**
 * Why a data path failed: from the data-mover pod's termination message, and from the pod
 * itself when given (the kubelet evicted it, or its node was lost, while it moved data).
 */
export function dataPathFailureReason(message: string, pod?: V1Pod): OutcomeReason {
  if (IN_PROGRESS_DEADLINE.test(message)) return 'pod-inprogress-timeout';
  const lost = pod ? podLossReason(pod) : undefined;
  return lost === 'pod-evicted' || lost === 'node-lost' ? lost : 'data-path-failed';
}

function podLossReason(pod: V1Pod): OutcomeReason {
  if ((pod.status?.containerStatuses ?? []).some((c) => IN_PROGRESS_DEADLINE.test(c.state?.terminated?.message ?? ''))) {
    return 'pod-inprogress-timeout';
  }
  const disruption = pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget' && c.status === 'True')?.reason;
  if (pod.status?.phase === 'Unknown' || pod.status?.reason === 'NodeLost' || (disruption && NODE_LOST_DISRUPTIONS.has(disruption))) {
    return 'node-lost';
  }
  if (pod.status?.reason === 'Evicted' || (disruption && EVICTED_DISRUPTIONS.has(disruption))) return 'pod-evicted';
  return 'pod-failed';
}

// ---- time ---------------------------------------------------------------------------------

/** ms from an RFC 3339 timestamp to `now`; undefined when the timestamp is absent or unparsable. */
export function msSince(timestamp: string | null | undefined, now: number): number | undefined {
  if (!timestamp) return undefined;
  const at = Date.parse(timestamp);
  return Number.isNaN(at) ? undefined : now - at;
}

/** At least `limitMs` have passed since `timestamp` (Velero's `time.Since(t) >= timeout`); false without a timestamp. */
export function hasElapsed(timestamp: string | null | undefined, now: number, limitMs: number): boolean {
  const elapsed = msSince(timestamp, now);
  return elapsed !== undefined && elapsed >= limitMs;
}

/** deploying: when the DataUpload entered DatamoverDeploying. */
export function deployingTimestamp(du: DataUpload): string | undefined {
  return du.metadata.annotations?.[DEPLOYING_TIMESTAMP_ANNOTATION];
}

// ---- Accepted, shared by the velero flows ---------------------------------------------------

/** The prepare timeout, from acceptedTimestamp (Velero's onPrepareTimeout), or undefined. */
export function prepareTimedOut({ du, now, config }: FlowInput): Decision | undefined {
  if (!hasElapsed(du.status?.acceptedTimestamp, now, config.prepareTimeoutMs)) return undefined;
  return decision({ kind: 'fail', reason: 'prepare-timeout', message: PREPARE_TIMEOUT_MESSAGE, exclusive: true });
}

/**
 * Reconcile's Accepted branch, after what each flow looks at first: PeekExposed (a direct GET of
 * the pod, by every agent) cancels a DataUpload whose pod is unrecoverable, with its own message,
 * which v1.16 words "dataupload" and v1.17+ "du"; then the prepare timeout fails it. Nothing here
 * moves it to Prepared: only findDataUploadForPod does (`podUpdateAccepted`).
 */
export function acceptedInReconcile(input: FlowInput, velero: '1.16' | '1.17'): Decision {
  const { du, pod } = input;
  const broken = pod ? podUnrecoverable(pod, { podMessage: velero !== '1.16' }) : undefined;
  if (pod && broken) {
    const what = velero === '1.16' ? 'dataupload' : 'du';
    return decision({
      kind: 'cancel',
      message: `found a ${what} ${du.metadata.namespace}/${du.metadata.name} with expose error: ${broken.message}. mark it as cancel`,
      reason: broken.reason,
    });
  }
  return prepareTimedOut(input) ?? NONE;
}

const IGNORE_POD: PodUpdateDecision = Object.freeze({ step: NONE.step, enqueue: false });

/**
 * Velero's findDataUploadForPod (data_upload_controller.go, v1.16.2 to v1.18.2), run by the
 * agent of the pod's node on the pod's updates only: nothing unless the DataUpload is Accepted;
 * the pod Running -> Prepared on this node (v1.16: exclusiveUpdateDataUpload; v1.17+:
 * UpdateDataUploadWithRetry, skipped once terminal), then the DataUpload is enqueued; the pod
 * unrecoverable -> spec.cancel with the abnormal-pod message (with retry, skipped if already
 * canceled), then enqueued; otherwise nothing, not even a reconcile.
 */
export function podUpdateAccepted(input: FlowInput, velero: '1.16' | '1.17'): PodUpdateDecision {
  const { du, pod, nodeName } = input;
  if (du.status?.phase !== 'Accepted' || !pod || !podIsOn(pod, nodeName)) return IGNORE_POD;
  if (pod.status?.phase === 'Running') return { step: { kind: 'prepare', node: nodeName, ...(velero === '1.16' ? { exclusive: true } : {}) }, enqueue: true };
  const broken = podUnrecoverable(pod, { podMessage: velero !== '1.16' });
  if (!broken) return IGNORE_POD;
  return { step: { kind: 'request-cancel', message: abnormalPodMessage(pod, broken), reason: broken.reason }, enqueue: true };
}

/** A flow that does nothing on pod updates. */
export function ignorePodUpdate(): PodUpdateDecision {
  return IGNORE_POD;
}
