// Flow `pipelined`: ours (issue 22; docs/design.md section 2.5.1, docs/proposal.md). deploying's phases (the pod
// is made only once a slot is claimed, so no pod waits idle), with what deploying leaves to
// chance done on purpose:
// - a freed slot is claimed at once: the waiting DataUploads are reconciled when a slot frees
//   on this node, or when a waiting one is claimed anywhere, not at their next 5 s re-check
//   (`claimsOnRelease`);
// - the largest first: of the Prepared DataUploads this node can serve, the one with the largest
//   backup volume takes a freed slot, then the one accepted first (`ordersWaiting`): the longest
//   transfers start early, so the backup's tail is short and volumes are held for less time
//   (large-pvc seed 1: makespan x1.01 of the bound, against x1.06 oldest-first; backup volumes
//   held before their data moves 979,881 GiB-s against 1,960,441);
// - only where the volume attaches: a node-agent claims a DataUpload only if its backup volume
//   can be attached on its node (`readsVolumeTopology`): the backup PV's node affinity, or the
//   source PV's when the class binds with a consumer (the exposer then adds the source volume's
//   topology to the pod). deploying pins the pod wherever it claims and waits out the deploy
//   timeout where the volume cannot follow.
// - look-ahead: when every slot is taken and a running data path's estimated time left (from its
//   progress reports) falls below LOOK_AHEAD_MS, the next in line is claimed ahead (one per node),
//   so its pod is running when the slot frees (`looksAhead`).
// - a slot frees when its data path ends (`freesSlotAtDataEnd`), not after CleanUp and the
//   Completed write as in Velero: the slot bounds data movement, and CleanUp (deleting the pod,
//   waiting for the backup PVC and PV to go, deleting the snapshots) moves no data.
// - a pod lost is run again, once: its pod deleted before the data path ended (a grace-0
//   delete) or evicted (memory pressure), the DataUpload goes back to Prepared, slot freed, its
//   snapshot copy and backup PVC kept, and any agent runs it on a new pod; lost a second time,
//   it is failed at once (pod-failed, pod-evicted), cleaned up and its slot freed (`onPodGone`,
//   `onDataPathFailed`). The other flows fail an evicted one, and wait for the item operation
//   timeout for a deleted one (velero-1.17's forced cancel then leaks the slot).
// - a lost node gives up its DataUploads: when the node a DataUpload is tied to (InProgress,
//   Canceling, DatamoverDeploying: status.node; Accepted: the accepting agent's) has not been
//   Ready for NODE_LOST_MS, another agent fails it (node-lost), or, Accepted with its backup PVC
//   ready, takes it over as Prepared, which names no node (`readsNodeHealth`). The others wait
//   for the node to come back (its agent then cancels what it ran), or for the timeouts.
// - a failed completion write is written again: a 500 on the write that ends a DataUpload is
//   retried until it lands (`retriesEndWrites`); Velero's retries conflicts only, and the
//   DataUpload stays InProgress until the item operation timeout.
// Everything else (finalizer, deletion, the cancel delay, prepareQueueLength, InProgress,
// terminal phases, restarts, a quota refusal's returned claim) is deploying's, so velero-1.17's.
// It reads only what a node-agent can know: its caches, its limiter, PV objects.
import { beforePhaseSwitch, decision, NONE } from './common.ts';
import { byPhase, deploying, onStart, quotaBackoff } from './deploying.ts';
import { RETRIED_ANNOTATION, type DataUpload } from '../api/dataupload.ts';
import { VELERO_TIMINGS, type Decision, type Flow, type FlowInput, type OutcomeReason, type Step } from './types.ts';

/**
 * How long before a slot frees (its data path's estimated end) the next pod is made: a claim's
 * write, the pod's creation, scheduling and start (about 3 s median on the embedded cluster,
 * seconds on a real one). A pod made too early waits idle in its slot-to-be; one made too late
 * leaves the slot empty. large-pvc seed 1: 10 s, idle 2,352 core-s, makespan 10,363 s; 6 s,
 * 1,473 and 10,322; 4 s, 1,077 and 10,343; 2 s, 840 and 10,589; no look-ahead, 830 and 10,449.
 */
export const LOOK_AHEAD_MS = 4000;

/**
 * How long the node a DataUpload is tied to may be other than Ready before it is given up:
 * kube's DefaultTolerationSeconds for the not-ready and unreachable taints (300 s), after which
 * the taint eviction controller deletes that node's pods itself. With the node monitor's grace
 * (50 s), a node lost at t has its DataUploads ended by about t + 6 min.
 */
export const NODE_LOST_MS = 300_000;

export const NODE_LOST_MESSAGE = 'the node it was tied to has not been Ready for 5 minutes';

export const POD_GONE_MESSAGE = 'the data mover pod was deleted before its data path ended';

export const VOLUME_UNREACHABLE_MESSAGE = 'the backup volume can be attached on no node that loadAffinity allows for data movement';

export const pipelined: Flow = {
  name: 'pipelined',
  watchesBackupPvcs: true,
  statusWrites: 'update-with-retry',
  exposeErrorMessage: 'error exposing snapshot',
  claimsOnRelease: true,
  looksAhead: true,
  readsVolumeTopology: true,
  readsNodeHealth: true,
  retriesEndWrites: true,
  freesSlotAtDataEnd: true,
  completesFromEvent: true,
  // Waiting: Prepared, not canceled, not backing off after a quota refusal; the largest goes first.
  ordersWaiting: { order: 'largest-first', waiting: (du, now) => du.status?.phase === 'Prepared' && !du.spec.cancel && !quotaBackoff(du, now) },
  decide: (input) => beforePhaseSwitch(input, '1.17') ?? onLostNode(input) ?? byPhase(input, prepared),
  onPodUpdate: deploying.onPodUpdate,
  onPodGone,
  onDataPathFailed,
  periodic: deploying.periodic,
  onStart,
};

/** Another agent's node, which this DataUpload is tied to, is not Ready: wait NODE_LOST_MS, then
 *  end it there (exclusive: one agent does), or take an Accepted one over when its exposure is
 *  done. The tied node's own agent, if it still runs, is not cut off from the API: it goes on. */
function onLostNode(input: FlowInput): Decision | undefined {
  const { du, nodeName, backupPvc, now } = input;
  const since = input.tiedNodeNotReadySince;
  const phase = du.status?.phase;
  const tied = phase === 'Accepted' ? du.status?.acceptedByNode : du.status?.node;
  if (since === undefined || !tied || tied === nodeName || !TIED_PHASES.has(phase ?? '')) return undefined;
  const lostFor = now - since;
  if (lostFor < NODE_LOST_MS) return { step: NONE.step, requeueAfterMs: NODE_LOST_MS - lostFor };
  const message = `${NODE_LOST_MESSAGE}: ${tied}`;
  if (du.spec.cancel) return decision({ kind: 'cancel', reason: 'node-lost', message });
  if (phase === 'Accepted' && backupPvc) {
    // The snapshot copy and the backup PVC exist: once bound, any agent can carry on from Prepared.
    // Not bound yet: deploying's Accepted (the prepare timeout); the PVC's bind brings it back here.
    return backupPvc.status?.phase === 'Bound' || input.backupPvcWaitsForConsumer ? decision({ kind: 'prepare', exclusive: true }) : undefined;
  }
  return decision({ kind: 'fail', reason: 'node-lost', message, exclusive: true });
}

const TIED_PHASES = new Set(['Accepted', 'DatamoverDeploying', 'InProgress', 'Canceling']);

/** The data-mover pod went before its data path ended (InProgress or Canceling here): run it
 *  again on a new pod, once (`lostForThePod`), else fail it now, cleaning up and freeing the slot,
 *  instead of waiting hours for the item operation timeout. */
function onPodGone(input: FlowInput): Step {
  const { du, nodeName } = input;
  const phase = du.status?.phase;
  if (du.status?.node !== nodeName || (phase !== 'InProgress' && phase !== 'Canceling')) return { kind: 'none' };
  return lostForThePod(du, 'pod-failed', `${POD_GONE_MESSAGE}: ${du.metadata.namespace}/${du.metadata.name}`);
}

/** The data path failed: evicted, its pod is run again once (`lostForThePod`); anything else
 *  (the data, the uploader, the pod's own deadline) fails it, as Velero's OnDataUploadFailed. */
function onDataPathFailed({ du }: FlowInput, failure: { reason: OutcomeReason; message: string }): Step {
  if (failure.reason === 'pod-evicted') return lostForThePod(du, failure.reason, failure.message);
  return { kind: 'fail', reason: failure.reason, message: failure.message, exclusive: false };
}

/** A data path lost for its pod's sake: the snapshot copy and the backup PVC are intact, and the
 *  uploader's repository keeps only complete snapshots, so running it again is safe. Once: a
 *  second loss of the same DataUpload says the cause is not passing, and fails it. Canceled, it
 *  ends as canceled. */
function lostForThePod(du: DataUpload, reason: OutcomeReason, message: string): Step {
  if (du.spec.cancel) return { kind: 'fail', reason, message, exclusive: false };
  if (du.metadata.annotations?.[RETRIED_ANNOTATION]) return { kind: 'fail', reason, message: `${message} (lost a second time)`, exclusive: false };
  return { kind: 'retry', reason, message };
}

/** Prepared -> DatamoverDeploying on a node whose free slot is not owed to an older DataUpload
 *  and where the backup volume attaches. Cancel on any agent. */
function prepared(input: FlowInput): Decision {
  const { du, slots, affinityMatchesNode, now } = input;
  if (du.spec.cancel) return decision({ kind: 'cancel', reason: 'canceled' });
  // No node loadAffinity admits can attach the volume: fail now, with a name, rather than hold the
  // prepare queue until the item operation timeout (the velero flows wait for the prepare timeout).
  if (input.attachableNodes === 0) return decision({ kind: 'fail', reason: 'volume-unreachable', message: VOLUME_UNREACHABLE_MESSAGE, exclusive: true });
  // Never here: another node, where the volume attaches, claims it.
  if (!affinityMatchesNode || input.backupVolumeAttachesHere === false) return NONE;
  const backoff = quotaBackoff(du, now);
  if (backoff) return backoff;
  const free = slots.limit - slots.used;
  const ahead = input.waitingAhead ?? 0;
  if (free > ahead) return decision({ kind: 'claim', podRefusedByQuota: 'return-claim' });
  // Look-ahead: every slot taken, this one next in line, no look-ahead pod yet, and a data path
  // here about to end: make the pod now, so it is running when the slot frees.
  if (free <= 0 && ahead === 0 && (slots.ahead ?? 0) === 0 && slots.soonestEndMs !== undefined) {
    if (slots.soonestEndMs <= LOOK_AHEAD_MS) return decision({ kind: 'claim', podRefusedByQuota: 'return-claim', ahead: true });
    // Look again when it will be time (or at the usual re-check, whichever comes first).
    return { step: { kind: 'none' }, requeueAfterMs: Math.min(VELERO_TIMINGS.requeueMs, slots.soonestEndMs - LOOK_AHEAD_MS) };
  }
  return { step: { kind: 'none' }, requeueAfterMs: VELERO_TIMINGS.requeueMs, waitsFor: 'slot' };
}
