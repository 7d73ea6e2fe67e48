// Flow `deploying`: the proposal of docs/design.md section 2, built on velero-1.17 (finalizer,
// deletion, the cancel delay, prepareQueueLength, InProgress, terminal, restarts). It differs
// where the pod is made: Accepted -> Prepared exposes only the snapshot copy and the backup PVC;
// an agent with a free slot claims the Prepared DataUpload (DatamoverDeploying), reserving the
// slot, and only then creates the data-mover pod, pinned to its node. Which waiting DataUpload
// gets a freed slot is the runtime's, as for the velero flows: each re-checks every 5 s and the
// first to look claims it. The proposal gives no order; an ordered queue is another flow's design.
import { QUOTA_REFUSALS_ANNOTATION, QUOTA_REFUSED_ANNOTATION, type DataUpload } from '../api/dataupload.ts';
import {
  beforePhaseSwitch,
  decision,
  DEPLOY_TIMEOUT_MESSAGE,
  deployingTimestamp,
  hasElapsed,
  NONE,
  podIsOn,
  podRunningOn,
  podUnrecoverable,
  prepareTimedOut,
} from './common.ts';
import { VELERO_TIMINGS, type Decision, type Flow, type FlowInput, type StartAction } from './types.ts';
import { inProgress, newDataUpload, periodic as velero117Periodic, resumeInProgress } from './velero-1.17.ts';

export const deploying: Flow = {
  name: 'deploying',
  // Accepted -> Prepared when the backup PVC binds. No pod to peek at: it exists only from
  // DatamoverDeploying on, pinned to status.node, whose agent caches it.
  watchesBackupPvcs: true,
  // velero-1.17's.
  statusWrites: 'update-with-retry',
  exposeErrorMessage: 'error exposing snapshot',
  decide: (input) => beforePhaseSwitch(input, '1.17') ?? byPhase(input),
  // The proposal keeps Velero's pod watch (updates of pods on this node): its pod exists only from
  // DatamoverDeploying on, and an update of it brings the DataUpload to the reconcile, which
  // starts the data path when it runs (or cancels when it is unrecoverable).
  onPodUpdate: (input) => ({ step: NONE.step, enqueue: input.du.status?.phase === 'DatamoverDeploying' && input.du.status.node === input.nodeName }),
  // velero-1.17's, plus DatamoverDeploying (the deploy timeout, on any agent).
  periodic: (du) => velero117Periodic(du) || du.status?.phase === 'DatamoverDeploying',
  onStart,
};

/** deploying's phases; `whenPrepared` decides the claim (pipelined brings its own). */
export function byPhase(input: FlowInput, whenPrepared: (input: FlowInput) => Decision = prepared): Decision {
  switch (input.du.status?.phase || 'New') {
    case 'New':
      return newDataUpload(input, { pod: false });
    case 'Accepted':
      return accepted(input);
    case 'Prepared':
      return whenPrepared(input);
    case 'DatamoverDeploying':
      return datamoverDeploying(input);
    case 'InProgress':
      return inProgress(input);
    default:
      return NONE;
  }
}

/** Accepted -> Prepared on the accepting agent once the backup PVC is bound; no node yet (it
 *  is chosen at the claim). With a WaitForFirstConsumer StorageClass the claim binds only with a
 *  pod, which this flow makes after the claim: Prepared is then the snapshot copy and the PVC
 *  made, and the volume is provisioned on the claiming node when its pod is scheduled (the
 *  proposal's reading for that case). The prepare timeout still covers it; cancel as velero-1.17. */
export function accepted(input: FlowInput): Decision {
  const { du, backupPvc, nodeName } = input;
  const ready = backupPvc?.status?.phase === 'Bound' || (backupPvc !== undefined && input.backupPvcWaitsForConsumer === true);
  if (du.status?.acceptedByNode === nodeName && ready) return decision({ kind: 'prepare' });
  return prepareTimedOut(input) ?? NONE;
}

/** Prepared -> DatamoverDeploying: any agent whose node matches loadAffinity and has a free slot
 *  claims it. Without a free slot, wait: that is never a failure. Cancel on any agent, as there
 *  is no pod and no node yet.
 *  A ResourceQuota that refuses the data-mover pod is one more limit, not a failure: the claim
 *  must not hold a slot it cannot fill, so it is returned (slot freed, back to Prepared, the
 *  refusal's time and count in annotations), and no agent claims that DataUpload again for
 *  quotaBackoffMs(count). The proposal is silent on this; it is this flow's reading. */
function prepared({ du, slots, affinityMatchesNode, now }: FlowInput): Decision {
  if (du.spec.cancel) return decision({ kind: 'cancel', reason: 'canceled' });
  if (!affinityMatchesNode) return NONE;
  const backoff = quotaBackoff(du, now);
  if (backoff) return backoff;
  if (slots.used >= slots.limit) return { step: { kind: 'none' }, requeueAfterMs: VELERO_TIMINGS.requeueMs, waitsFor: 'slot' };
  return decision({ kind: 'claim', podRefusedByQuota: 'return-claim' });
}

/** A claim returned after a quota refusal waits out its backoff before any agent claims it again. */
export function quotaBackoff(du: DataUpload, now: number): Decision | undefined {
  const refused = Date.parse(du.metadata.annotations?.[QUOTA_REFUSED_ANNOTATION] ?? '');
  if (!Number.isFinite(refused)) return undefined;
  const until = refused + quotaBackoffMs(Number(du.metadata.annotations?.[QUOTA_REFUSALS_ANNOTATION] ?? 1));
  return now < until ? { step: { kind: 'none' }, requeueAfterMs: until - now } : undefined;
}

/** After the n-th refusal by a quota: Velero's requeue period (5 s), doubling, at most the periodic re-check's 60 s. */
export function quotaBackoffMs(refusals: number): number {
  const n = Number.isFinite(refusals) && refusals >= 1 ? Math.floor(refusals) : 1;
  return Math.min(VELERO_TIMINGS.periodicMs, VELERO_TIMINGS.requeueMs * 2 ** Math.min(n - 1, 10));
}

/** DatamoverDeploying -> InProgress when the pod runs on status.node (the claiming agent's
 *  reserved slot becomes a running one). The deploy timeout is checked by every agent, so the
 *  claim of a node whose agent is gone still ends. */
export function datamoverDeploying({ du, pod, nodeName, now, config, dataPathRunning }: FlowInput): Decision {
  if (du.status?.node === nodeName) {
    if (du.spec.cancel) return decision({ kind: 'cleanup-and-cancel', reason: 'canceled' });
    if (dataPathRunning) return NONE;
    if (podRunningOn(pod, nodeName)) return decision({ kind: 'start-data-path' });
    const broken = pod && podIsOn(pod, nodeName) ? podUnrecoverable(pod) : undefined;
    if (pod && broken) {
      return decision({
        kind: 'cancel',
        message: `Cancel dataupload because the data mover pod ${pod.metadata?.namespace}/${pod.metadata?.name} is in abnormal status for reason ${broken.message}`,
        reason: broken.reason,
      });
    }
  }
  if (hasElapsed(deployingTimestamp(du), now, config.deployTimeoutMs)) {
    return decision({ kind: 'fail', reason: 'deploy-timeout', message: DEPLOY_TIMEOUT_MESSAGE, exclusive: true });
  }
  return NONE;
}

/** InProgress on this node: resume the data path. DatamoverDeploying on this node: re-reserve its slot. */
export function onStart(du: DataUpload, nodeName: string): StartAction {
  if (du.status?.phase === 'DatamoverDeploying' && du.status.node === nodeName) return { kind: 'resume-reservation' };
  return resumeInProgress(du, nodeName);
}
