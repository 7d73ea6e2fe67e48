// Flow `velero-1.16`: the node-agent's DataUpload controller as Velero v1.16.2 ships it, the
// "old flow" of docs/design.md section 2. Facts from pkg/controller/data_upload_controller.go
// (Reconcile, findDataUploadForPod, SetupWithManager's periodic source, AttemptDataUploadResume),
// pkg/exposer/csi_snapshot.go (PeekExposed, GetExposed) and pkg/util/kube/pod.go
// (IsPodUnrecoverable). Accepted -> Prepared is not Reconcile's: findDataUploadForPod does it,
// on an update of the pod, by the agent of the pod's node (common.ts podUpdateAccepted).
import type { DataUpload } from '../api/dataupload.ts';
import { acceptedInReconcile, beforePhaseSwitch, decision, NONE, podIsOn, podUpdateAccepted } from './common.ts';
import type { Decision, Flow, FlowInput, StartAction } from './types.ts';

export const ACCEPTED_AT_START_MESSAGE = 'Dataupload is in Accepted status during the node-agent starting, mark it as cancel';

export const velero116: Flow = {
  name: 'velero-1.16',
  // PeekExposed GETs the pod directly: the agent's own cache holds only its node's pods.
  peeksPod: (du) => du.status?.phase === 'Accepted',
  // v1.16.2: Completed, progress, Failed, Canceled, InProgress and Canceling are client.Patch(MergeFrom).
  statusWrites: 'merge-patch',
  // v1.16.2 data_upload_controller.go Reconcile: r.errorOut(ctx, du, err, "error to expose snapshot", log).
  exposeErrorMessage: 'error to expose snapshot',
  decide: (input) => beforePhaseSwitch(input, '1.16') ?? byPhase(input),
  onPodUpdate: (input) => podUpdateAccepted(input, '1.16'),
  // preparingMonitorFrequency: only Accepted DataUploads are re-checked (the prepare timeout).
  periodic: (du) => du.status?.phase === 'Accepted',
  onStart,
};

function byPhase(input: FlowInput): Decision {
  switch (input.du.status?.phase || 'New') {
    case 'New':
      return newDataUpload();
    case 'Accepted':
      return accepted(input);
    case 'Prepared':
      return prepared(input);
    case 'InProgress':
      return inProgress(input);
    default:
      // Canceling waits for the data path; DatamoverDeploying is not a Velero phase.
      return NONE;
  }
}

/** 1-2. Every agent races the exclusive accept, without the expose-on-going label (v1.17 added
 *  it), then exposes with the pod. spec.cancel is looked at only after a won accept. */
function newDataUpload(): Decision {
  return decision({ kind: 'accept', label: false, pod: true });
}

/** 3-4. Accepted: spec.cancel cancels; an unrecoverable pod (PeekExposed) cancels; the prepare
 *  timeout fails. Prepared comes from findDataUploadForPod (onPodUpdate). */
function accepted(input: FlowInput): Decision {
  if (input.du.spec.cancel) return decision({ kind: 'cancel', reason: 'canceled' });
  return acceptedInReconcile(input, '1.16');
}

/** 5. Prepared -> InProgress where GetExposed finds the pod in this agent's cache (its node).
 *  v1.16 handles spec.cancel here on every agent, not only on status.node. */
function prepared({ du, pod, nodeName, dataPathRunning }: FlowInput): Decision {
  if (du.spec.cancel) return decision({ kind: 'cleanup-and-cancel', reason: 'canceled' });
  if (dataPathRunning) return NONE;
  if (!podIsOn(pod, nodeName)) return NONE;
  return decision({ kind: 'start-data-path' });
}

/** 8. Cancel InProgress: Canceling where the data path runs; Canceled on status.node without one. */
function inProgress({ du, nodeName, dataPathRunning }: FlowInput): Decision {
  if (!du.spec.cancel) return NONE;
  if (dataPathRunning) return decision({ kind: 'canceling' });
  if (du.status?.node === nodeName) return decision({ kind: 'cleanup-and-cancel', reason: 'canceled' });
  return NONE;
}

/** 9. Every agent asks to cancel Accepted DataUploads at its start; InProgress ones on this node resume. */
function onStart(du: DataUpload, nodeName: string): StartAction {
  switch (du.status?.phase) {
    case 'Accepted':
      return { kind: 'request-cancel', message: ACCEPTED_AT_START_MESSAGE, reason: 'node-agent-restart' };
    case 'InProgress':
      return du.status.node === nodeName ? { kind: 'resume-data-path' } : { kind: 'none' };
    default:
      return { kind: 'none' };
  }
}
