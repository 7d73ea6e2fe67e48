// Flow `velero-1.17`: the node-agent's DataUpload controller as Velero v1.17.0 to v1.18.1 ship it
// (the two agree on every decision here; v1.18 only adds status.message to IsPodUnrecoverable's
// text, which this flow follows). Facts from pkg/controller/data_upload_controller.go (Reconcile,
// findDataUploadForPod, SetupWithManager's periodic source, AttemptDataUploadResume),
// pkg/exposer/vgdp_counter.go (IsConstrained: loadConcurrency.prepareQueueLength),
// pkg/exposer/csi_snapshot.go (PeekExposed, GetExposed) and pkg/util/kube/pod.go.
// Finalizer, deletion, terminal DataUploads and the cancel delay: common.ts beforePhaseSwitch.
import type { DataUpload } from '../api/dataupload.ts';
import { acceptedInReconcile, beforePhaseSwitch, decision, NONE, podUpdateAccepted, prepareQueueFull } from './common.ts';
import { isTerminal, VELERO_TIMINGS, type Decision, type Flow, type FlowInput, type StartAction } from './types.ts';

export const velero117: Flow = {
  name: 'velero-1.17',
  // PeekExposed GETs the pod directly: the agent's own cache holds only its node's pods.
  peeksPod: (du) => du.status?.phase === 'Accepted',
  // v1.17.0+: those writes are UpdateDataUploadWithRetry, each skipped once the DataUpload is terminal.
  statusWrites: 'update-with-retry',
  // v1.17.2 / v1.18.1 data_upload_controller.go Reconcile: r.errorOut(ctx, du, err, "error exposing snapshot", log).
  exposeErrorMessage: 'error exposing snapshot',
  decide: (input) => beforePhaseSwitch(input, '1.17') ?? byPhase(input),
  onPodUpdate: (input) => podUpdateAccepted(input, '1.17'),
  periodic,
  // Accepted and Prepared survive a restart; only this node's data paths need resuming.
  onStart: resumeInProgress,
};

function byPhase(input: FlowInput): Decision {
  switch (input.du.status?.phase || 'New') {
    case 'New':
      return newDataUpload(input, { pod: true });
    case 'Accepted':
      return accepted(input);
    case 'Prepared':
      return prepared(input);
    case 'InProgress':
      return inProgress(input);
    default:
      // Canceling waits for the data path (or the cancel delay); DatamoverDeploying is not a Velero phase.
      return NONE;
  }
}

/**
 * New: cancel before anything is exposed; while prepareQueueLength DataUploads are being exposed
 * cluster-wide, wait (requeue 5 s; every agent decides alone from its cache, so the cap can be
 * overshot by up to the number of agents); else race the exclusive accept, labelled
 * expose-on-going, and expose (with the data-mover pod when `pod`).
 */
export function newDataUpload(input: FlowInput, { pod }: { pod: boolean }): Decision {
  if (input.du.spec.cancel) return decision({ kind: 'cancel', reason: 'canceled' });
  if (prepareQueueFull(input)) return { step: { kind: 'none' }, requeueAfterMs: VELERO_TIMINGS.requeueMs, waitsFor: 'prepare-queue' };
  return decision({ kind: 'accept', label: true, pod });
}

/** Accepted: an unrecoverable pod (PeekExposed) cancels; the prepare timeout fails. spec.cancel
 *  is not looked at here: findDataUploadForPod still prepares (the cancel then lands in
 *  Prepared), and a stuck one ends by the cancel delay. */
function accepted(input: FlowInput): Decision {
  return acceptedInReconcile(input, '1.17');
}

/** Prepared -> InProgress, only on status.node. The runtime's GetExposed fails the DataUpload
 *  when the pod is not in this agent's cache ("no expose result is available for the current node"). */
function prepared({ du, nodeName, dataPathRunning }: FlowInput): Decision {
  if (du.status?.node !== nodeName) return NONE;
  if (du.spec.cancel) return decision({ kind: 'cleanup-and-cancel', reason: 'canceled' });
  if (dataPathRunning) return NONE;
  return decision({ kind: 'start-data-path' });
}

/** Cancel InProgress, only on status.node: Canceling when the data path runs here, else Canceled. */
export function inProgress({ du, nodeName, dataPathRunning }: FlowInput): Decision {
  if (!du.spec.cancel || du.status?.node !== nodeName) return NONE;
  return decision(dataPathRunning ? { kind: 'canceling' } : { kind: 'cleanup-and-cancel', reason: 'canceled' });
}

/** The periodic source: Accepted (the prepare timeout), canceled but not terminal (the cancel
 *  delay), and terminal ones being deleted (the finalizer). */
export function periodic(du: DataUpload): boolean {
  const terminal = isTerminal(du);
  return du.status?.phase === 'Accepted' || (Boolean(du.spec.cancel) && !terminal) || (terminal && Boolean(du.metadata.deletionTimestamp));
}

export function resumeInProgress(du: DataUpload, nodeName: string): StartAction {
  return du.status?.phase === 'InProgress' && du.status.node === nodeName ? { kind: 'resume-data-path' } : { kind: 'none' };
}
