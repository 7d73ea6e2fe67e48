// The three flows, table by table: the same situations side by side where the flows share them
// (finalizer, deletion, cancel in every phase, restarts, the periodic source), then each flow's
// own transitions, then races and stale observations as one agent sees them.
import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  DATA_UPLOAD_FINALIZER,
  DEPLOYING_TIMESTAMP_ANNOTATION,
  QUOTA_REFUSALS_ANNOTATION,
  RETRIED_ANNOTATION,
  QUOTA_REFUSED_ANNOTATION,
  type DataUpload,
  type DataUploadPhase,
} from '../api/dataupload.ts';
import { FLOWS, flowByName } from './index.ts';
import { NODE_LOST_MESSAGE, NODE_LOST_MS, POD_GONE_MESSAGE, VOLUME_UNREACHABLE_MESSAGE } from './pipelined.ts';
import { FLOW_NAMES, type Decision, type FlowInput, type FlowName, type StartAction, type Step } from './types.ts';

// ---- fixtures -----------------------------------------------------------------------------

const MIN = 60_000;
const T0 = Date.parse('2025-06-01T12:00:00Z');
const A = 'node-a';
const B = 'node-b';
const PREPARE_TIMEOUT = 30 * MIN;
const DEPLOY_TIMEOUT = 10 * MIN;

interface DuOpts {
  phase?: DataUploadPhase | '';
  cancel?: boolean;
  node?: string;
  acceptedByNode?: string;
  acceptedAt?: number;
  deployingAt?: number;
  finalizer?: boolean;
  deleting?: boolean;
  datamover?: string;
  snapshotType?: string;
  /** deploying: a claim returned after a quota refused its pod, this many times, the last at this instant. */
  quotaRefusedAt?: number;
  quotaRefusals?: number;
}

function du(o: DuOpts = {}): DataUpload {
  return {
    metadata: {
      name: 'du-1',
      namespace: 'velero',
      finalizers: o.finalizer === false ? undefined : [DATA_UPLOAD_FINALIZER],
      deletionTimestamp: o.deleting ? new Date(T0 - MIN) : undefined,
      annotations:
        o.deployingAt === undefined && o.quotaRefusedAt === undefined
          ? undefined
          : {
              ...(o.deployingAt === undefined ? {} : { [DEPLOYING_TIMESTAMP_ANNOTATION]: new Date(o.deployingAt).toISOString() }),
              ...(o.quotaRefusedAt === undefined ? {} : { [QUOTA_REFUSED_ANNOTATION]: new Date(o.quotaRefusedAt).toISOString(), [QUOTA_REFUSALS_ANNOTATION]: String(o.quotaRefusals ?? 1) }),
            },
    },
    spec: {
      snapshotType: o.snapshotType ?? 'CSI',
      csiSnapshot: { volumeSnapshot: 'vs-1', storageClass: 'standard' },
      sourcePVC: 'pvc-1',
      sourceNamespace: 'app',
      backupStorageLocation: 'default',
      operationTimeout: '10m0s',
      datamover: o.datamover,
      cancel: o.cancel,
    },
    status: {
      phase: o.phase as DataUploadPhase | undefined,
      node: o.node,
      acceptedByNode: o.acceptedByNode,
      acceptedTimestamp: o.acceptedAt === undefined ? undefined : new Date(o.acceptedAt).toISOString(),
    },
  };
}

function pod(nodeName: string | undefined, status: V1Pod['status']): V1Pod {
  return { metadata: { name: 'du-1', namespace: 'velero' }, spec: { nodeName, containers: [] }, status };
}
const running = (node: string) => pod(node, { phase: 'Running' });
const pending = (node?: string) => pod(node, { phase: 'Pending' });
const evicted = (node: string) =>
  pod(node, { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' });
const imagePullBackOff = (node: string) =>
  pod(node, { phase: 'Pending', containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } }] });
const unknown = (node: string) => pod(node, { phase: 'Unknown' });

function pvc(phase: string): V1PersistentVolumeClaim {
  return { metadata: { name: 'du-1', namespace: 'velero' }, status: { phase } };
}

/** One agent's observation, on node-a by default, as the runtime builds it: spec.cancel is
 *  first spotted now unless said otherwise. */
function input(d: DataUpload, o: Partial<FlowInput> = {}): FlowInput {
  return {
    du: d,
    now: T0,
    nodeName: A,
    dataPathRunning: false,
    slots: { used: 0, limit: 1 },
    exposeOnGoing: 0,
    cancelSpottedAt: d.spec.cancel ? T0 : undefined,
    affinityMatchesNode: true,
    config: { prepareTimeoutMs: PREPARE_TIMEOUT, deployTimeoutMs: DEPLOY_TIMEOUT },
    ...o,
  };
}

const decide = (flow: FlowName, i: FlowInput) => FLOWS[flow].decide(i);

// Expected steps.
const NONE: Step = { kind: 'none' };
const CANCEL: Step = { kind: 'cancel', reason: 'canceled' };
const CLEANUP_CANCEL: Step = { kind: 'cleanup-and-cancel', reason: 'canceled' };
const CANCELING: Step = { kind: 'canceling' };
const START: Step = { kind: 'start-data-path' };
const PREPARE_TIMEOUT_FAIL: Step = { kind: 'fail', reason: 'prepare-timeout', message: 'timeout on preparing data upload', exclusive: true };
const DEPLOY_TIMEOUT_FAIL: Step = { kind: 'fail', reason: 'deploy-timeout', message: 'timeout on deploying data mover', exclusive: true };
const DELETED: Step = { kind: 'request-cancel', message: 'Cancel dataupload because it is being deleted', reason: 'deleted' };
const WAIT_PREPARE_QUEUE: Decision = { step: NONE, requeueAfterMs: 5_000, waitsFor: 'prepare-queue' };
const WAIT_SLOT: Decision = { step: NONE, requeueAfterMs: 5_000, waitsFor: 'slot' };

const asDecision = (e: Step | Decision): Decision => ('step' in e ? e : { step: e });

/** Per flow; pipelined, built on deploying, expects what deploying does unless its own is given. */
type PerFlow<T> = Record<Exclude<FlowName, 'pipelined'>, T> & { pipelined?: T };
const pick = <T,>(per: PerFlow<T>, flow: FlowName): T => (flow === 'pipelined' ? per.pipelined ?? per.deploying : per[flow]);

/** A situation and what each flow decides in it. */
interface Row {
  name: string;
  input: FlowInput;
  expected: PerFlow<Step | Decision>;
}
const same = (e: Step | Decision): PerFlow<Step | Decision> => ({ 'velero-1.16': e, 'velero-1.17': e, deploying: e });

function table(rows: Row[]) {
  const cases = rows.flatMap((r) => FLOW_NAMES.map((flow) => ({ flow, name: r.name, input: r.input, expected: asDecision(pick(r.expected, flow)) })));
  it.each(cases)('$flow: $name', ({ flow, input: i, expected }) => {
    expect(decide(flow, i)).toEqual(expected);
  });
}

// ---- what the flows share -----------------------------------------------------------------

describe('the finalizer, deletion, terminal DataUploads and other data movers', () => {
  table([
    { name: 'a DataUpload for another data mover is not ours', input: input(du({ datamover: 'acme' })), expected: same(NONE) },
    { name: '"velero" is the built-in data mover', input: input(du({ datamover: 'velero', phase: 'New' })), expected: { 'velero-1.16': { kind: 'accept', label: false, pod: true }, 'velero-1.17': { kind: 'accept', label: true, pod: true }, deploying: { kind: 'accept', label: true, pod: false } } },
    {
      name: 'New without the finalizer',
      input: input(du({ phase: 'New', finalizer: false })),
      // v1.16 goes on with the accept in the same reconcile; v1.17 returns after the update.
      expected: { 'velero-1.16': { step: { kind: 'add-finalizer' }, requeueAfterMs: 0 }, 'velero-1.17': { kind: 'add-finalizer' }, deploying: { kind: 'add-finalizer' } },
    },
    {
      name: 'InProgress without the finalizer',
      input: input(du({ phase: 'InProgress', node: A, finalizer: false })),
      expected: { 'velero-1.16': { step: { kind: 'add-finalizer' }, requeueAfterMs: 0 }, 'velero-1.17': { kind: 'add-finalizer' }, deploying: { kind: 'add-finalizer' } },
    },
    {
      name: 'being deleted without the finalizer',
      input: input(du({ phase: 'Accepted', acceptedByNode: A, acceptedAt: T0, finalizer: false, deleting: true })),
      // v1.16 adds the finalizer only to DataUploads not being deleted, and goes on with the phase.
      expected: { 'velero-1.16': NONE, 'velero-1.17': { kind: 'add-finalizer' }, deploying: { kind: 'add-finalizer' } },
    },
    { name: 'New being deleted', input: input(du({ phase: 'New', deleting: true })), expected: same(DELETED) },
    { name: 'Accepted being deleted', input: input(du({ phase: 'Accepted', acceptedByNode: A, acceptedAt: T0, deleting: true })), expected: same(DELETED) },
    { name: 'InProgress being deleted, on another node', input: input(du({ phase: 'InProgress', node: B, deleting: true })), expected: same(DELETED) },
    {
      name: 'being deleted with spec.cancel already set: the phase handles it',
      input: input(du({ phase: 'InProgress', node: A, deleting: true, cancel: true })),
      expected: same(CLEANUP_CANCEL),
    },
    ...(['Completed', 'Failed', 'Canceled'] as const).map((phase) => ({ name: `${phase} with the finalizer`, input: input(du({ phase })), expected: same({ kind: 'remove-finalizer' } as Step) })),
    { name: 'Completed being deleted, with the finalizer', input: input(du({ phase: 'Completed', deleting: true })), expected: same({ kind: 'remove-finalizer' }) },
    { name: 'Completed without the finalizer', input: input(du({ phase: 'Completed', finalizer: false })), expected: same(NONE) },
    {
      name: 'Canceled, spec.cancel spotted long ago: nothing is forced on a terminal DataUpload',
      input: input(du({ phase: 'Canceled', cancel: true, finalizer: false }), { cancelSpottedAt: T0 - 2 * 60 * MIN }),
      expected: same(NONE),
    },
    {
      name: 'a snapshot type with no exposer fails',
      input: input(du({ phase: 'New', snapshotType: 'Native' })),
      expected: same({ kind: 'fail', reason: 'expose-failed', message: 'not exist type of exposer: Native type of snapshot exposer is not exist', exclusive: false }),
    },
    {
      name: 'a snapshot type with no exposer, without the finalizer',
      input: input(du({ phase: 'New', snapshotType: 'Native', finalizer: false })),
      // v1.16 looks up the exposer before the finalizer; v1.17 after.
      expected: {
        'velero-1.16': { kind: 'fail', reason: 'expose-failed', message: 'not exist type of exposer: Native type of snapshot exposer is not exist', exclusive: false },
        'velero-1.17': { kind: 'add-finalizer' },
        deploying: { kind: 'add-finalizer' },
      },
    },
  ]);
});

describe('spec.cancel in every phase', () => {
  const spotted = (ago: number) => ({ cancelSpottedAt: T0 - ago });
  table([
    // First seen now (the runtime records the sighting before deciding): only the phases act.
    {
      name: 'New',
      input: input(du({ phase: 'New', cancel: true })),
      // v1.16 accepts first and cancels after a won accept (the runtime, see the accept step).
      expected: { 'velero-1.16': { kind: 'accept', label: false, pod: true }, 'velero-1.17': CANCEL, deploying: CANCEL },
    },
    { name: 'empty phase', input: input(du({ phase: '', cancel: true })), expected: { 'velero-1.16': { kind: 'accept', label: false, pod: true }, 'velero-1.17': CANCEL, deploying: CANCEL } },
    {
      name: 'Accepted, no pod',
      input: input(du({ phase: 'Accepted', acceptedByNode: A, acceptedAt: T0, cancel: true })),
      expected: { 'velero-1.16': CANCEL, 'velero-1.17': NONE, deploying: NONE },
    },
    {
      name: 'Accepted, pod Running on this node (backup PVC Bound)',
      input: input(du({ phase: 'Accepted', acceptedByNode: A, acceptedAt: T0, cancel: true }), { pod: running(A), backupPvc: pvc('Bound') }),
      // v1.17's Reconcile leaves a canceled Accepted one to findDataUploadForPod (which prepares
      // regardless, on a pod update) or to the cancel delay.
      expected: { 'velero-1.16': CANCEL, 'velero-1.17': NONE, deploying: { kind: 'prepare' } },
    },
    {
      name: 'Prepared on this node',
      input: input(du({ phase: 'Prepared', node: A, cancel: true }), { pod: running(A) }),
      expected: { 'velero-1.16': CLEANUP_CANCEL, 'velero-1.17': CLEANUP_CANCEL, deploying: CANCEL },
    },
    {
      name: 'Prepared on another node',
      input: input(du({ phase: 'Prepared', node: B, cancel: true })),
      // v1.16 handles Prepared + cancel on every agent; v1.17 only on status.node.
      expected: { 'velero-1.16': CLEANUP_CANCEL, 'velero-1.17': NONE, deploying: CANCEL },
    },
    {
      name: 'DatamoverDeploying on this node',
      input: input(du({ phase: 'DatamoverDeploying', node: A, deployingAt: T0, cancel: true }), { pod: pending(A) }),
      expected: { 'velero-1.16': NONE, 'velero-1.17': NONE, deploying: CLEANUP_CANCEL },
    },
    {
      name: 'DatamoverDeploying on another node',
      input: input(du({ phase: 'DatamoverDeploying', node: B, deployingAt: T0, cancel: true })),
      expected: same(NONE),
    },
    {
      name: 'InProgress on this node, data path running here',
      input: input(du({ phase: 'InProgress', node: A, cancel: true }), { dataPathRunning: true }),
      expected: same(CANCELING),
    },
    {
      name: 'InProgress on this node, no data path (lost at a restart)',
      input: input(du({ phase: 'InProgress', node: A, cancel: true })),
      expected: same(CLEANUP_CANCEL),
    },
    { name: 'InProgress on another node', input: input(du({ phase: 'InProgress', node: B, cancel: true })), expected: same(NONE) },
    {
      name: 'InProgress on another node, yet a data path runs here',
      input: input(du({ phase: 'InProgress', node: B, cancel: true }), { dataPathRunning: true }),
      // v1.16 looks at the data path first, v1.17 at status.node first.
      expected: { 'velero-1.16': CANCELING, 'velero-1.17': NONE, deploying: NONE },
    },
    { name: 'Canceling', input: input(du({ phase: 'Canceling', node: A, cancel: true }), { dataPathRunning: true }), expected: same(NONE) },
    {
      name: 'not yet spotted (no sighting recorded)',
      input: input(du({ phase: 'Accepted', acceptedByNode: A, acceptedAt: T0, cancel: true }), { cancelSpottedAt: undefined }),
      expected: { 'velero-1.16': CANCEL, 'velero-1.17': NONE, deploying: NONE },
    },

    // v1.17's cancel delay: spotted more than 5 minutes ago (1 hour when InProgress) -> Canceled, exclusive.
    {
      name: 'Accepted, spotted exactly 5 minutes ago',
      input: input(du({ phase: 'Accepted', acceptedByNode: A, acceptedAt: T0, cancel: true }), spotted(5 * MIN)),
      expected: { 'velero-1.16': CANCEL, 'velero-1.17': NONE, deploying: NONE },
    },
    {
      name: 'Accepted, spotted 5 minutes and 1 ms ago',
      input: input(du({ phase: 'Accepted', acceptedByNode: A, acceptedAt: T0, cancel: true }), spotted(5 * MIN + 1)),
      expected: same(CANCEL),
    },
    {
      name: 'Prepared on another node, spotted 5 minutes and 1 ms ago',
      input: input(du({ phase: 'Prepared', node: B, cancel: true }), spotted(5 * MIN + 1)),
      expected: { 'velero-1.16': CLEANUP_CANCEL, 'velero-1.17': CANCEL, deploying: CANCEL },
    },
    {
      name: 'DatamoverDeploying on another node, spotted 5 minutes and 1 ms ago',
      input: input(du({ phase: 'DatamoverDeploying', node: B, deployingAt: T0, cancel: true }), spotted(5 * MIN + 1)),
      expected: { 'velero-1.16': NONE, 'velero-1.17': CANCEL, deploying: CANCEL },
    },
    {
      name: 'Canceling, spotted 5 minutes and 1 ms ago',
      input: input(du({ phase: 'Canceling', node: B, cancel: true }), spotted(5 * MIN + 1)),
      expected: { 'velero-1.16': NONE, 'velero-1.17': CANCEL, deploying: CANCEL },
    },
    {
      name: 'InProgress on another node, spotted 5 minutes and 1 ms ago',
      input: input(du({ phase: 'InProgress', node: B, cancel: true }), spotted(5 * MIN + 1)),
      expected: same(NONE),
    },
    {
      name: 'InProgress on another node, spotted exactly 1 hour ago',
      input: input(du({ phase: 'InProgress', node: B, cancel: true }), spotted(60 * MIN)),
      expected: same(NONE),
    },
    {
      name: 'InProgress on another node, spotted 1 hour and 1 ms ago',
      input: input(du({ phase: 'InProgress', node: B, cancel: true }), spotted(60 * MIN + 1)),
      expected: { 'velero-1.16': NONE, 'velero-1.17': CANCEL, deploying: CANCEL },
    },
    {
      name: 'InProgress on this node with its data path, spotted 1 hour and 1 ms ago',
      input: input(du({ phase: 'InProgress', node: A, cancel: true }), { dataPathRunning: true, ...spotted(60 * MIN + 1) }),
      expected: { 'velero-1.16': CANCELING, 'velero-1.17': CANCEL, deploying: CANCEL },
    },
  ]);
});

describe('node-agent start (AttemptDataUploadResume)', () => {
  const restartCancel: StartAction = {
    kind: 'request-cancel',
    message: 'Dataupload is in Accepted status during the node-agent starting, mark it as cancel',
    reason: 'node-agent-restart',
  };
  const none: StartAction = { kind: 'none' };
  const resume: StartAction = { kind: 'resume-data-path' };
  const rows: { name: string; du: DataUpload; expected: PerFlow<StartAction> }[] = [
    { name: 'New', du: du({ phase: 'New' }), expected: { 'velero-1.16': none, 'velero-1.17': none, deploying: none } },
    {
      name: 'Accepted by another node',
      du: du({ phase: 'Accepted', acceptedByNode: B, acceptedAt: T0 }),
      // v1.16: every agent asks to cancel every Accepted DataUpload; v1.17 keeps them.
      expected: { 'velero-1.16': restartCancel, 'velero-1.17': none, deploying: none },
    },
    { name: 'Accepted by this node', du: du({ phase: 'Accepted', acceptedByNode: A, acceptedAt: T0 }), expected: { 'velero-1.16': restartCancel, 'velero-1.17': none, deploying: none } },
    { name: 'Prepared on this node', du: du({ phase: 'Prepared', node: A }), expected: { 'velero-1.16': none, 'velero-1.17': none, deploying: none } },
    {
      name: 'DatamoverDeploying on this node',
      du: du({ phase: 'DatamoverDeploying', node: A, deployingAt: T0 }),
      expected: { 'velero-1.16': none, 'velero-1.17': none, deploying: { kind: 'resume-reservation' } },
    },
    { name: 'DatamoverDeploying on another node', du: du({ phase: 'DatamoverDeploying', node: B, deployingAt: T0 }), expected: { 'velero-1.16': none, 'velero-1.17': none, deploying: none } },
    { name: 'InProgress on this node', du: du({ phase: 'InProgress', node: A }), expected: { 'velero-1.16': resume, 'velero-1.17': resume, deploying: resume } },
    { name: 'InProgress on another node', du: du({ phase: 'InProgress', node: B }), expected: { 'velero-1.16': none, 'velero-1.17': none, deploying: none } },
    { name: 'Canceling on this node', du: du({ phase: 'Canceling', node: A }), expected: { 'velero-1.16': none, 'velero-1.17': none, deploying: none } },
    { name: 'Completed on this node', du: du({ phase: 'Completed', node: A }), expected: { 'velero-1.16': none, 'velero-1.17': none, deploying: none } },
  ];
  const cases = rows.flatMap((r) => FLOW_NAMES.map((flow) => ({ flow, name: r.name, du: r.du, expected: pick(r.expected, flow) })));
  it.each(cases)('$flow: $name', ({ flow, du: d, expected }) => {
    expect(FLOWS[flow].onStart(d, A)).toEqual(expected);
  });
});

describe('the periodic source (every minute) and the pod peek', () => {
  const rows: { name: string; du: DataUpload; periodic: PerFlow<boolean> }[] = [
    { name: 'New', du: du({ phase: 'New' }), periodic: { 'velero-1.16': false, 'velero-1.17': false, deploying: false } },
    { name: 'New, canceled', du: du({ phase: 'New', cancel: true }), periodic: { 'velero-1.16': false, 'velero-1.17': true, deploying: true } },
    { name: 'Accepted', du: du({ phase: 'Accepted' }), periodic: { 'velero-1.16': true, 'velero-1.17': true, deploying: true } },
    { name: 'Prepared', du: du({ phase: 'Prepared' }), periodic: { 'velero-1.16': false, 'velero-1.17': false, deploying: false } },
    { name: 'Prepared, canceled', du: du({ phase: 'Prepared', cancel: true }), periodic: { 'velero-1.16': false, 'velero-1.17': true, deploying: true } },
    { name: 'DatamoverDeploying', du: du({ phase: 'DatamoverDeploying' }), periodic: { 'velero-1.16': false, 'velero-1.17': false, deploying: true } },
    { name: 'InProgress', du: du({ phase: 'InProgress' }), periodic: { 'velero-1.16': false, 'velero-1.17': false, deploying: false } },
    { name: 'InProgress, canceled', du: du({ phase: 'InProgress', cancel: true }), periodic: { 'velero-1.16': false, 'velero-1.17': true, deploying: true } },
    { name: 'Canceling, canceled', du: du({ phase: 'Canceling', cancel: true }), periodic: { 'velero-1.16': false, 'velero-1.17': true, deploying: true } },
    { name: 'Completed', du: du({ phase: 'Completed' }), periodic: { 'velero-1.16': false, 'velero-1.17': false, deploying: false } },
    { name: 'Canceled, canceled', du: du({ phase: 'Canceled', cancel: true }), periodic: { 'velero-1.16': false, 'velero-1.17': false, deploying: false } },
    { name: 'Completed, being deleted', du: du({ phase: 'Completed', deleting: true }), periodic: { 'velero-1.16': false, 'velero-1.17': true, deploying: true } },
  ];
  const cases = rows.flatMap((r) => FLOW_NAMES.map((flow) => ({ flow, name: r.name, du: r.du, expected: pick(r.periodic, flow) })));
  it.each(cases)('$flow: $name -> $expected', ({ flow, du: d, expected }) => {
    expect(FLOWS[flow].periodic(d)).toBe(expected);
  });

  it.each([
    { phase: 'New', expected: false },
    { phase: 'Accepted', expected: true },
    { phase: 'Prepared', expected: false },
    { phase: 'InProgress', expected: false },
  ] as const)('velero flows peek at the pod (PeekExposed) in $phase: $expected', ({ phase, expected }) => {
    expect(FLOWS['velero-1.16'].peeksPod?.(du({ phase }))).toBe(expected);
    expect(FLOWS['velero-1.17'].peeksPod?.(du({ phase }))).toBe(expected);
  });

  it('deploying never peeks (no pod before the claim) and watches backup PVCs; the velero flows do not', () => {
    for (const phase of ['Accepted', 'DatamoverDeploying'] as const) expect(FLOWS.deploying.peeksPod?.(du({ phase })) ?? false).toBe(false);
    expect(FLOWS.deploying.watchesBackupPvcs).toBe(true);
    expect(FLOWS['velero-1.16'].watchesBackupPvcs ?? false).toBe(false);
    expect(FLOWS['velero-1.17'].watchesBackupPvcs ?? false).toBe(false);
  });
});

// ---- each flow's own transitions ----------------------------------------------------------

const accepted = (o: DuOpts = {}) => du({ phase: 'Accepted', acceptedByNode: A, acceptedAt: T0 - MIN, ...o });

describe('velero-1.16', () => {
  const peekCancel = (message: string, reason: 'pod-evicted' | 'pod-failed' | 'node-lost'): Step => ({
    kind: 'cancel',
    message: `found a dataupload velero/du-1 with expose error: ${message}. mark it as cancel`,
    reason,
  });
  const rows: { name: string; input: FlowInput; expected: Step | Decision }[] = [
    { name: 'New -> accept without the expose-on-going label, pod included', input: input(du({ phase: 'New' })), expected: { kind: 'accept', label: false, pod: true } },
    { name: 'empty phase is New', input: input(du({ phase: '' })), expected: { kind: 'accept', label: false, pod: true } },
    { name: 'no status at all is New', input: input({ ...du(), status: undefined }), expected: { kind: 'accept', label: false, pod: true } },
    { name: 'New ignores the prepare queue (v1.17 added it)', input: input(du({ phase: 'New' }), { exposeOnGoing: 50, config: { prepareTimeoutMs: PREPARE_TIMEOUT, deployTimeoutMs: DEPLOY_TIMEOUT, prepareQueueLength: 1 } }), expected: { kind: 'accept', label: false, pod: true } },
    { name: 'Accepted, no pod yet', input: input(accepted()), expected: NONE },
    { name: 'Accepted, pod Pending unscheduled', input: input(accepted(), { pod: pending(undefined) }), expected: NONE },
    { name: 'Accepted, pod Pending on this node', input: input(accepted(), { pod: pending(A) }), expected: NONE },
    // Reconcile never prepares: findDataUploadForPod does, on a pod update (the table below).
    { name: 'Accepted, pod Running on this node: Reconcile leaves it (findDataUploadForPod prepares)', input: input(accepted(), { pod: running(A) }), expected: NONE },
    { name: 'Accepted by another node, pod Running on this node: Reconcile leaves it', input: input(accepted({ acceptedByNode: B }), { pod: running(A) }), expected: NONE },
    { name: 'Accepted, pod Running on another node (peeked)', input: input(accepted(), { pod: running(B) }), expected: NONE },
    { name: 'Accepted, pod evicted on this node -> cancel (PeekExposed, on every agent)', input: input(accepted(), { pod: evicted(A) }), expected: peekCancel('Pod is in abnormal state [Failed], message []', 'pod-evicted') },
    { name: 'Accepted, pod evicted on another node -> cancel (PeekExposed)', input: input(accepted(), { pod: evicted(B) }), expected: peekCancel('Pod is in abnormal state [Failed], message []', 'pod-evicted') },
    {
      name: 'Accepted, pod in ImagePullBackOff on another node',
      input: input(accepted(), { pod: imagePullBackOff(B) }),
      expected: peekCancel('Container c in Pod velero/du-1 is in pull image failed with reason ImagePullBackOff', 'pod-failed'),
    },
    { name: 'Accepted, pod Unknown on another node', input: input(accepted(), { pod: unknown(B) }), expected: peekCancel('Pod is in abnormal state [Unknown], message []', 'node-lost') },
    { name: 'Accepted exactly prepareTimeout ago -> Failed', input: input(accepted({ acceptedAt: T0 - PREPARE_TIMEOUT })), expected: PREPARE_TIMEOUT_FAIL },
    { name: 'Accepted 1 ms short of prepareTimeout', input: input(accepted({ acceptedAt: T0 - PREPARE_TIMEOUT + 1 })), expected: NONE },
    { name: 'Accepted by another node, timed out: any agent fails it', input: input(accepted({ acceptedByNode: B, acceptedAt: T0 - PREPARE_TIMEOUT }), { pod: pending(B) }), expected: PREPARE_TIMEOUT_FAIL },
    { name: 'Accepted, timed out, pod Running here: Failed (Reconcile does not prepare)', input: input(accepted({ acceptedAt: T0 - 2 * PREPARE_TIMEOUT }), { pod: running(A) }), expected: PREPARE_TIMEOUT_FAIL },
    {
      name: 'Accepted, timed out, pod unrecoverable elsewhere: canceled (PeekExposed comes first)',
      input: input(accepted({ acceptedAt: T0 - 2 * PREPARE_TIMEOUT }), { pod: evicted(B) }),
      expected: peekCancel('Pod is in abnormal state [Failed], message []', 'pod-evicted'),
    },
    { name: 'Accepted without acceptedTimestamp never times out', input: input(du({ phase: 'Accepted', acceptedByNode: A }), { now: T0 + 100 * PREPARE_TIMEOUT }), expected: NONE },
    { name: 'Prepared here, pod in this node\'s cache -> start the data path', input: input(du({ phase: 'Prepared', node: A }), { pod: running(A) }), expected: START },
    { name: 'Prepared here, data path already running', input: input(du({ phase: 'Prepared', node: A }), { pod: running(A), dataPathRunning: true }), expected: NONE },
    { name: 'Prepared here, pod gone from the cache (GetExposed: nil)', input: input(du({ phase: 'Prepared', node: A })), expected: NONE },
    { name: 'Prepared on another node', input: input(du({ phase: 'Prepared', node: B })), expected: NONE },
    { name: 'Prepared long ago: no timeout in Prepared', input: input(du({ phase: 'Prepared', node: A, acceptedAt: T0 - 10 * PREPARE_TIMEOUT })), expected: NONE },
    { name: 'InProgress here, not canceled', input: input(du({ phase: 'InProgress', node: A }), { dataPathRunning: true }), expected: NONE },
    { name: 'Canceling', input: input(du({ phase: 'Canceling', node: A })), expected: NONE },
    { name: 'DatamoverDeploying is not a v1.16 phase', input: input(du({ phase: 'DatamoverDeploying', node: A, deployingAt: T0 - 10 * DEPLOY_TIMEOUT }), { pod: running(A) }), expected: NONE },
  ];
  it.each(rows)('$name', ({ input: i, expected }) => {
    expect(decide('velero-1.16', i)).toEqual(asDecision(expected));
  });
});

describe('velero-1.17', () => {
  const withQueue = (prepareQueueLength: number | undefined, exposeOnGoing: number) =>
    input(du({ phase: 'New' }), { exposeOnGoing, config: { prepareTimeoutMs: PREPARE_TIMEOUT, deployTimeoutMs: DEPLOY_TIMEOUT, prepareQueueLength } });
  const ACCEPT: Step = { kind: 'accept', label: true, pod: true };
  const peekCancel = (message: string, reason: 'pod-evicted' | 'pod-failed' | 'node-lost'): Step => ({
    kind: 'cancel',
    message: `found a du velero/du-1 with expose error: ${message}. mark it as cancel`,
    reason,
  });
  const EVICTED_TEXT = 'Pod is in abnormal state [Failed], message [The node was low on resource: memory./]';
  const rows: { name: string; input: FlowInput; expected: Step | Decision }[] = [
    { name: 'New -> accept with the expose-on-going label, pod included', input: input(du({ phase: 'New' })), expected: ACCEPT },
    { name: 'New, no prepareQueueLength', input: withQueue(undefined, 500), expected: ACCEPT },
    { name: 'New, prepareQueueLength 0 is no cap', input: withQueue(0, 500), expected: ACCEPT },
    { name: 'New, 2 being exposed of 3', input: withQueue(3, 2), expected: ACCEPT },
    { name: 'New, 3 being exposed of 3 -> wait', input: withQueue(3, 3), expected: WAIT_PREPARE_QUEUE },
    { name: 'New, 4 being exposed of 3 (overshoot) -> wait', input: withQueue(3, 4), expected: WAIT_PREPARE_QUEUE },
    { name: 'New, canceled, queue full: cancel first', input: input(du({ phase: 'New', cancel: true }), { exposeOnGoing: 9, config: { prepareTimeoutMs: PREPARE_TIMEOUT, deployTimeoutMs: DEPLOY_TIMEOUT, prepareQueueLength: 1 } }), expected: CANCEL },
    { name: 'Accepted, no pod yet', input: input(accepted()), expected: NONE },
    { name: 'Accepted, pod Pending on this node', input: input(accepted(), { pod: pending(A) }), expected: NONE },
    { name: 'Accepted, pod Running on this node: Reconcile leaves it (findDataUploadForPod prepares)', input: input(accepted(), { pod: running(A) }), expected: NONE },
    { name: 'Accepted, pod Running on another node (peeked)', input: input(accepted(), { pod: running(B) }), expected: NONE },
    { name: 'Accepted, pod evicted on this node -> cancel (PeekExposed, on every agent)', input: input(accepted(), { pod: evicted(A) }), expected: peekCancel(EVICTED_TEXT, 'pod-evicted') },
    { name: 'Accepted, canceled, pod evicted on this node -> cancel (PeekExposed)', input: input(accepted({ cancel: true }), { pod: evicted(A) }), expected: peekCancel(EVICTED_TEXT, 'pod-evicted') },
    { name: 'Accepted, pod evicted on another node -> cancel (PeekExposed)', input: input(accepted(), { pod: evicted(B) }), expected: peekCancel(EVICTED_TEXT, 'pod-evicted') },
    { name: 'Accepted, pod Unknown on another node', input: input(accepted(), { pod: unknown(B) }), expected: peekCancel('Pod is in abnormal state [Unknown], message []', 'node-lost') },
    {
      name: 'Accepted, pod in ImagePullBackOff on another node',
      input: input(accepted(), { pod: imagePullBackOff(B) }),
      expected: peekCancel('Container c in Pod velero/du-1 is in pull image failed with reason ImagePullBackOff', 'pod-failed'),
    },
    { name: 'Accepted exactly prepareTimeout ago -> Failed', input: input(accepted({ acceptedAt: T0 - PREPARE_TIMEOUT })), expected: PREPARE_TIMEOUT_FAIL },
    { name: 'Accepted 1 ms short of prepareTimeout', input: input(accepted({ acceptedAt: T0 - PREPARE_TIMEOUT + 1 })), expected: NONE },
    { name: 'Accepted, canceled, timed out: the timeout still fails it', input: input(accepted({ acceptedAt: T0 - PREPARE_TIMEOUT, cancel: true })), expected: PREPARE_TIMEOUT_FAIL },
    { name: 'Accepted, timed out, pod Running here: Failed (Reconcile does not prepare)', input: input(accepted({ acceptedAt: T0 - 2 * PREPARE_TIMEOUT }), { pod: running(A) }), expected: PREPARE_TIMEOUT_FAIL },
    { name: 'Accepted without acceptedTimestamp never times out', input: input(du({ phase: 'Accepted', acceptedByNode: A }), { now: T0 + 100 * PREPARE_TIMEOUT }), expected: NONE },
    { name: 'Prepared here -> start the data path', input: input(du({ phase: 'Prepared', node: A }), { pod: running(A) }), expected: START },
    // The runtime's GetExposed then fails it: "no expose result is available for the current node".
    { name: 'Prepared here, pod gone from the cache -> start (GetExposed fails it)', input: input(du({ phase: 'Prepared', node: A })), expected: START },
    { name: 'Prepared here, data path already running', input: input(du({ phase: 'Prepared', node: A }), { pod: running(A), dataPathRunning: true }), expected: NONE },
    { name: 'Prepared on another node', input: input(du({ phase: 'Prepared', node: B }), { pod: running(A) }), expected: NONE },
    { name: 'InProgress here, not canceled', input: input(du({ phase: 'InProgress', node: A }), { dataPathRunning: true }), expected: NONE },
    { name: 'Canceling, not yet overdue', input: input(du({ phase: 'Canceling', node: A, cancel: true }), { cancelSpottedAt: T0 - MIN }), expected: NONE },
    { name: 'DatamoverDeploying is not a Velero phase', input: input(du({ phase: 'DatamoverDeploying', node: A, deployingAt: T0 - 10 * DEPLOY_TIMEOUT }), { pod: running(A) }), expected: NONE },
  ];
  it.each(rows)('$name', ({ input: i, expected }) => {
    expect(decide('velero-1.17', i)).toEqual(asDecision(expected));
  });
});

describe('deploying', () => {
  const prepared = (o: DuOpts = {}) => du({ phase: 'Prepared', acceptedByNode: B, acceptedAt: T0 - MIN, ...o });
  const deployingOn = (node: string, o: DuOpts = {}) => du({ phase: 'DatamoverDeploying', node, acceptedByNode: B, acceptedAt: T0 - 5 * MIN, deployingAt: T0 - MIN, ...o });
  const CLAIM: Step = { kind: 'claim', podRefusedByQuota: 'return-claim' };
  const abnormal = (text: string, reason: 'pod-evicted' | 'pod-failed' | 'node-lost'): Step => ({
    kind: 'cancel',
    message: `Cancel dataupload because the data mover pod velero/du-1 is in abnormal status for reason ${text}`,
    reason,
  });
  const rows: { name: string; input: FlowInput; expected: Step | Decision }[] = [
    { name: 'New -> accept with the label, without the pod', input: input(du({ phase: 'New' })), expected: { kind: 'accept', label: true, pod: false } },
    {
      name: 'New, prepare queue full -> wait',
      input: input(du({ phase: 'New' }), { exposeOnGoing: 2, config: { prepareTimeoutMs: PREPARE_TIMEOUT, deployTimeoutMs: DEPLOY_TIMEOUT, prepareQueueLength: 2 } }),
      expected: WAIT_PREPARE_QUEUE,
    },
    { name: 'Accepted here, backup PVC Bound -> Prepared, no node yet', input: input(accepted(), { backupPvc: pvc('Bound') }), expected: { kind: 'prepare' } },
    { name: 'Accepted here, backup PVC Pending', input: input(accepted(), { backupPvc: pvc('Pending') }), expected: NONE },
    // WaitForFirstConsumer: the claim binds only with the pod, made after the claim.
    { name: 'Accepted here, backup PVC Pending, its class binds with a consumer -> Prepared', input: input(accepted(), { backupPvc: pvc('Pending'), backupPvcWaitsForConsumer: true }), expected: { kind: 'prepare' } },
    { name: 'Accepted here, no backup PVC yet, WaitForFirstConsumer: not before the PVC exists', input: input(accepted(), { backupPvcWaitsForConsumer: true }), expected: NONE },
    { name: 'Accepted by another node, WaitForFirstConsumer PVC', input: input(accepted({ acceptedByNode: B }), { backupPvc: pvc('Pending'), backupPvcWaitsForConsumer: true }), expected: NONE },
    { name: 'Accepted here, backup PVC not seen yet', input: input(accepted()), expected: NONE },
    { name: 'Accepted by another node, backup PVC Bound', input: input(accepted({ acceptedByNode: B }), { backupPvc: pvc('Bound') }), expected: NONE },
    { name: 'Accepted here, a pod is nothing to this flow', input: input(accepted(), { pod: evicted(A) }), expected: NONE },
    { name: 'Accepted exactly prepareTimeout ago -> Failed', input: input(accepted({ acceptedAt: T0 - PREPARE_TIMEOUT }), { backupPvc: pvc('Pending') }), expected: PREPARE_TIMEOUT_FAIL },
    { name: 'Accepted 1 ms short of prepareTimeout', input: input(accepted({ acceptedAt: T0 - PREPARE_TIMEOUT + 1 }), { backupPvc: pvc('Pending') }), expected: NONE },
    { name: 'Accepted by another node, timed out: any agent fails it', input: input(accepted({ acceptedByNode: B, acceptedAt: T0 - PREPARE_TIMEOUT })), expected: PREPARE_TIMEOUT_FAIL },
    { name: 'Accepted here, timed out, PVC just Bound: prepared (progress first)', input: input(accepted({ acceptedAt: T0 - 2 * PREPARE_TIMEOUT }), { backupPvc: pvc('Bound') }), expected: { kind: 'prepare' } },
    { name: 'Prepared, free slot -> claim', input: input(prepared()), expected: CLAIM },
    { name: 'Prepared, 1 of 2 slots used -> claim', input: input(prepared(), { slots: { used: 1, limit: 2 } }), expected: CLAIM },
    { name: 'Prepared, all slots used -> wait for a slot', input: input(prepared(), { slots: { used: 1, limit: 1 } }), expected: WAIT_SLOT },
    { name: 'Prepared, more used than the limit -> wait for a slot', input: input(prepared(), { slots: { used: 3, limit: 2 } }), expected: WAIT_SLOT },
    // Velero's flows get the 5 s requeue race for a freed slot; so does deploying: no order of its
    // own (an input claiming an older one waits, as the runtime once gave it, changes nothing).
    { name: 'Prepared, free slot, older Prepared ones wait: claim all the same (the runtime\'s race)', input: { ...input(prepared()), firstInLine: false } as FlowInput, expected: CLAIM },
    // A claim returned because a quota refused its pod: no agent claims it again before the backoff
    // (5 s after the first refusal, doubling, at most 60 s), then any agent with a free slot does.
    { name: 'Prepared, its pod refused by a quota 2 s ago -> wait the 3 s left', input: input(prepared({ quotaRefusedAt: T0 - 2_000 })), expected: { step: NONE, requeueAfterMs: 3_000 } },
    { name: 'Prepared, its pod refused by a quota 5 s ago -> claim', input: input(prepared({ quotaRefusedAt: T0 - 5_000 })), expected: CLAIM },
    { name: 'Prepared, refused 3 times, the last 19 s ago -> wait 1 s (5 s x 2 x 2)', input: input(prepared({ quotaRefusedAt: T0 - 19_000, quotaRefusals: 3 })), expected: { step: NONE, requeueAfterMs: 1_000 } },
    { name: 'Prepared, refused 3 times, the last 20 s ago -> claim', input: input(prepared({ quotaRefusedAt: T0 - 20_000, quotaRefusals: 3 })), expected: CLAIM },
    { name: 'Prepared, refused 10 times, the last 59 s ago: the backoff stops at 60 s', input: input(prepared({ quotaRefusedAt: T0 - 59_000, quotaRefusals: 10 })), expected: { step: NONE, requeueAfterMs: 1_000 } },
    { name: 'Prepared, refused 10 times, the last 60 s ago -> claim', input: input(prepared({ quotaRefusedAt: T0 - 60_000, quotaRefusals: 10 })), expected: CLAIM },
    { name: 'Prepared, refused 1 s ago and canceled: canceled at once', input: input(prepared({ quotaRefusedAt: T0 - 1_000, cancel: true })), expected: CANCEL },
    { name: 'Prepared, node outside loadAffinity', input: input(prepared(), { affinityMatchesNode: false }), expected: NONE },
    { name: 'Prepared, node outside loadAffinity and full: no wait either', input: input(prepared(), { affinityMatchesNode: false, slots: { used: 1, limit: 1 } }), expected: NONE },
    { name: 'Prepared hours after the accept: waiting is never a failure', input: input(prepared({ acceptedAt: T0 - 10 * PREPARE_TIMEOUT }), { slots: { used: 1, limit: 1 } }), expected: WAIT_SLOT },
    { name: 'Prepared, canceled, no slot and no affinity: canceled anyway', input: input(prepared({ cancel: true }), { affinityMatchesNode: false, slots: { used: 1, limit: 1 } }), expected: CANCEL },
    { name: 'DatamoverDeploying here, pod Running -> start the data path', input: input(deployingOn(A), { pod: running(A) }), expected: START },
    { name: 'DatamoverDeploying here, pod Pending', input: input(deployingOn(A), { pod: pending(A) }), expected: NONE },
    { name: 'DatamoverDeploying here, pod not created yet', input: input(deployingOn(A), {}), expected: NONE },
    { name: 'DatamoverDeploying here, data path already running', input: input(deployingOn(A), { pod: running(A), dataPathRunning: true }), expected: NONE },
    { name: 'DatamoverDeploying here, pod evicted -> canceled', input: input(deployingOn(A), { pod: evicted(A) }), expected: abnormal('Pod is in abnormal state [Failed], message [The node was low on resource: memory./]', 'pod-evicted') },
    { name: 'DatamoverDeploying here, pod in ImagePullBackOff -> canceled', input: input(deployingOn(A), { pod: imagePullBackOff(A) }), expected: abnormal('Container c in Pod velero/du-1 is in pull image failed with reason ImagePullBackOff', 'pod-failed') },
    { name: 'DatamoverDeploying on another node, its pod Running (seen by a direct GET)', input: input(deployingOn(B), { pod: running(B) }), expected: NONE },
    { name: 'DatamoverDeploying on another node, its pod evicted', input: input(deployingOn(B), { pod: evicted(B) }), expected: NONE },
    { name: 'DatamoverDeploying here, exactly deployTimeout ago -> Failed', input: input(deployingOn(A, { deployingAt: T0 - DEPLOY_TIMEOUT }), { pod: pending(A) }), expected: DEPLOY_TIMEOUT_FAIL },
    { name: 'DatamoverDeploying here, 1 ms short of deployTimeout', input: input(deployingOn(A, { deployingAt: T0 - DEPLOY_TIMEOUT + 1 }), { pod: pending(A) }), expected: NONE },
    { name: 'DatamoverDeploying on another node (its agent gone), timed out: any agent fails it', input: input(deployingOn(B, { deployingAt: T0 - DEPLOY_TIMEOUT })), expected: DEPLOY_TIMEOUT_FAIL },
    { name: 'DatamoverDeploying on another node, 1 ms short of deployTimeout', input: input(deployingOn(B, { deployingAt: T0 - DEPLOY_TIMEOUT + 1 })), expected: NONE },
    { name: 'DatamoverDeploying here, timed out, pod just Running: started (progress first)', input: input(deployingOn(A, { deployingAt: T0 - 2 * DEPLOY_TIMEOUT }), { pod: running(A) }), expected: START },
    { name: 'DatamoverDeploying without its timestamp never times out', input: input(du({ phase: 'DatamoverDeploying', node: B }), { now: T0 + 100 * DEPLOY_TIMEOUT }), expected: NONE },
    { name: 'DatamoverDeploying long after the accept: the prepare timeout no longer applies', input: input(deployingOn(A, { acceptedAt: T0 - 10 * PREPARE_TIMEOUT }), { pod: pending(A) }), expected: NONE },
    { name: 'InProgress here, not canceled', input: input(du({ phase: 'InProgress', node: A }), { dataPathRunning: true }), expected: NONE },
  ];
  it.each(rows)('$name', ({ input: i, expected }) => {
    expect(decide('deploying', i)).toEqual(asDecision(expected));
  });
});

// ---- findDataUploadForPod: the pod watch ---------------------------------------------------
//
// Velero v1.16.2 to v1.18.2, pkg/controller/data_upload_controller.go: SetupWithManager watches
// pods with kube.EnqueueRequestsFromMapUpdateFunc(r.findDataUploadForPod) and a predicate that
// passes updates of pods labelled velero.io/data-upload on r.nodeName (creates, deletes and
// generic events return false); findDataUploadForPod acts only on an Accepted DataUpload: the pod
// Running -> prepareDataUpload (Prepared, status.node; v1.16 exclusiveUpdateDataUpload, v1.17+
// UpdateDataUploadWithRetry), then enqueue; the pod unrecoverable -> spec.cancel, then enqueue;
// otherwise nothing. Reconcile itself never moves Accepted to Prepared (the tables above).

describe('pipelined: deploying, plus claim order and volume topology', () => {
  const prepared = (o: DuOpts = {}) => du({ phase: 'Prepared', acceptedByNode: B, acceptedAt: T0 - MIN, ...o });
  const CLAIM: Step = { kind: 'claim', podRefusedByQuota: 'return-claim' };
  const UNREACHABLE: Step = { kind: 'fail', reason: 'volume-unreachable', message: VOLUME_UNREACHABLE_MESSAGE, exclusive: true };
  const CLAIM_AHEAD: Step = { kind: 'claim', podRefusedByQuota: 'return-claim', ahead: true };
  const rows: { name: string; input: FlowInput; expected: Step | Decision }[] = [
    { name: 'Prepared, free slot, volume attaches here -> claim', input: input(prepared(), { backupVolumeAttachesHere: true, attachableNodes: 1 }), expected: CLAIM },
    { name: 'Prepared, free slot, topology not known yet -> claim (as deploying)', input: input(prepared()), expected: CLAIM },
    { name: 'Prepared, free slot, volume attaches elsewhere only -> leave it to that node, no re-check', input: input(prepared(), { backupVolumeAttachesHere: false, attachableNodes: 2 }), expected: NONE },
    { name: 'Prepared, the volume attaches on no node loadAffinity admits -> Failed, volume-unreachable', input: input(prepared(), { backupVolumeAttachesHere: false, attachableNodes: 0 }), expected: UNREACHABLE },
    { name: 'Prepared, node outside loadAffinity, the volume attaches nowhere allowed: any agent fails it', input: input(prepared(), { affinityMatchesNode: false, backupVolumeAttachesHere: false, attachableNodes: 0 }), expected: UNREACHABLE },
    { name: 'Prepared, one free slot, one older waiting this node could serve -> wait', input: input(prepared(), { slots: { used: 1, limit: 2 }, waitingAhead: 1 }), expected: WAIT_SLOT },
    { name: 'Prepared, two free slots, one older waiting -> claim the second', input: input(prepared(), { slots: { used: 0, limit: 2 }, waitingAhead: 1 }), expected: CLAIM },
    { name: 'Prepared, two free slots, two older waiting -> wait', input: input(prepared(), { slots: { used: 0, limit: 2 }, waitingAhead: 2 }), expected: WAIT_SLOT },
    { name: 'Prepared, none older -> claim', input: input(prepared(), { waitingAhead: 0 }), expected: CLAIM },
    { name: 'Prepared, full, none older -> wait for a slot', input: input(prepared(), { slots: { used: 1, limit: 1 }, waitingAhead: 0 }), expected: WAIT_SLOT },
    { name: 'Prepared, canceled, volume elsewhere: canceled anyway', input: input(prepared({ cancel: true }), { backupVolumeAttachesHere: false, attachableNodes: 0 }), expected: CANCEL },
    { name: 'Prepared, refused by a quota 2 s ago: the backoff first', input: input(prepared({ quotaRefusedAt: T0 - 2_000 }), { waitingAhead: 0 }), expected: { step: NONE, requeueAfterMs: 3_000 } },
    // Look-ahead (LOOK_AHEAD_MS 4 s): every slot taken, this one next, a data path here ending soon.
    { name: 'Prepared, full, next in line, a data path ends in 3 s -> claim ahead', input: input(prepared(), { slots: { used: 1, limit: 1, ahead: 0, soonestEndMs: 3_000 }, waitingAhead: 0 }), expected: CLAIM_AHEAD },
    { name: 'Prepared, full, next in line, ends in exactly 4 s -> claim ahead', input: input(prepared(), { slots: { used: 1, limit: 1, ahead: 0, soonestEndMs: 4_000 }, waitingAhead: 0 }), expected: CLAIM_AHEAD },
    { name: 'Prepared, full, next in line, ends in 6 s -> look again in 2 s', input: input(prepared(), { slots: { used: 1, limit: 1, ahead: 0, soonestEndMs: 6_000 }, waitingAhead: 0 }), expected: { step: NONE, requeueAfterMs: 2_000 } },
    { name: 'Prepared, full, next in line, ends in 60 s -> the usual 5 s re-check', input: input(prepared(), { slots: { used: 1, limit: 1, ahead: 0, soonestEndMs: 60_000 }, waitingAhead: 0 }), expected: { step: NONE, requeueAfterMs: 5_000 } },
    { name: 'Prepared, full, a look-ahead pod already made here -> wait for a slot', input: input(prepared(), { slots: { used: 2, limit: 1, ahead: 1, soonestEndMs: 1_000 }, waitingAhead: 0 }), expected: WAIT_SLOT },
    { name: 'Prepared, full, an older one is next -> wait for a slot', input: input(prepared(), { slots: { used: 1, limit: 1, ahead: 0, soonestEndMs: 1_000 }, waitingAhead: 1 }), expected: WAIT_SLOT },
    { name: 'Prepared, full, no estimate yet -> wait for a slot', input: input(prepared(), { slots: { used: 1, limit: 1, ahead: 0 }, waitingAhead: 0 }), expected: WAIT_SLOT },
  ];
  it.each(rows)('$name', ({ input: i, expected }) => {
    expect(decide('pipelined', i)).toEqual(asDecision(expected));
  });

  // A pod lost for its own sake: run again once on a new pod (retry), then fail.
  const retried = (d: DataUpload): DataUpload => ({ ...d, metadata: { ...d.metadata, annotations: { ...d.metadata.annotations, [RETRIED_ANNOTATION]: 'pod-evicted' } } });
  const GONE = `${POD_GONE_MESSAGE}: velero/du-1`;
  it.each([
    { name: 'InProgress here -> run again', d: du({ phase: 'InProgress', node: A }), expected: { kind: 'retry', reason: 'pod-failed', message: GONE } },
    { name: 'InProgress here, run again once already -> Failed', d: retried(du({ phase: 'InProgress', node: A })), expected: { kind: 'fail', reason: 'pod-failed', message: `${GONE} (lost a second time)`, exclusive: false } },
    { name: 'Canceling here -> Failed (it was being canceled)', d: du({ phase: 'Canceling', node: A, cancel: true }), expected: { kind: 'fail', reason: 'pod-failed', message: GONE, exclusive: false } },
    { name: 'InProgress on another node', d: du({ phase: 'InProgress', node: B }), expected: NONE },
    { name: 'Canceled here (a forced cancel\'s CleanUp deletes the pod)', d: du({ phase: 'Canceled', node: A }), expected: NONE },
    { name: 'DatamoverDeploying here', d: du({ phase: 'DatamoverDeploying', node: A, deployingAt: T0 }), expected: NONE },
  ])('a pod gone before its data path ended, $name', ({ d, expected }) => {
    expect(FLOWS.pipelined.onPodGone!(input(d))).toEqual(expected);
  });

  const EVICTED = { reason: 'pod-evicted' as const, message: 'data path backup failed: evicted' };
  it.each([
    { name: 'evicted -> run again', d: du({ phase: 'InProgress', node: A }), failure: EVICTED, expected: { kind: 'retry', ...EVICTED } },
    { name: 'evicted a second time -> Failed', d: retried(du({ phase: 'InProgress', node: A })), failure: EVICTED, expected: { kind: 'fail', reason: 'pod-evicted', message: `${EVICTED.message} (lost a second time)`, exclusive: false } },
    { name: 'evicted while canceled -> Failed', d: du({ phase: 'Canceling', node: A, cancel: true }), failure: EVICTED, expected: { kind: 'fail', ...EVICTED, exclusive: false } },
    { name: 'the uploader failed -> Failed (the data, not the pod)', d: du({ phase: 'InProgress', node: A }), failure: { reason: 'data-path-failed' as const, message: 'm' }, expected: { kind: 'fail', reason: 'data-path-failed', message: 'm', exclusive: false } },
    { name: 'the pod\'s own deadline -> Failed', d: du({ phase: 'InProgress', node: A }), failure: { reason: 'pod-inprogress-timeout' as const, message: 'm' }, expected: { kind: 'fail', reason: 'pod-inprogress-timeout', message: 'm', exclusive: false } },
  ])('a data path failed, $name', ({ d, failure, expected }) => {
    expect(FLOWS.pipelined.onDataPathFailed!(input(d), failure)).toEqual(expected);
  });

  // A lost node (NODE_LOST_MS, 5 min): this agent is on A, the DataUpload tied to B.
  const LOST: Step = { kind: 'fail', reason: 'node-lost', message: `${NODE_LOST_MESSAGE}: ${B}`, exclusive: true };
  const lost = (d: DataUpload, ms: number | undefined, o: Partial<FlowInput> = {}) => input(d, { ...(ms === undefined ? {} : { tiedNodeNotReadySince: T0 - ms }), ...o });
  const lostRows: { name: string; input: FlowInput; expected: Step | Decision }[] = [
    { name: 'InProgress on B, B not Ready for 5 min -> Failed, node-lost', input: lost(du({ phase: 'InProgress', node: B }), NODE_LOST_MS), expected: LOST },
    { name: 'InProgress on B, B not Ready for 2 min -> look again in 3 min', input: lost(du({ phase: 'InProgress', node: B }), 2 * MIN), expected: { step: NONE, requeueAfterMs: 3 * MIN } },
    { name: 'InProgress on B, B just stopped being Ready -> look again in 5 min', input: lost(du({ phase: 'InProgress', node: B }), 0), expected: { step: NONE, requeueAfterMs: NODE_LOST_MS } },
    { name: 'InProgress on B, B Ready -> nothing (as deploying)', input: lost(du({ phase: 'InProgress', node: B }), undefined), expected: NONE },
    { name: 'InProgress here, this node not Ready (this agent runs: it goes on)', input: lost(du({ phase: 'InProgress', node: A }), 10 * MIN), expected: NONE },
    { name: 'DatamoverDeploying on B, B lost, before the deploy timeout -> Failed, node-lost', input: lost(du({ phase: 'DatamoverDeploying', node: B, deployingAt: T0 - 6 * MIN }), 6 * MIN), expected: LOST },
    { name: 'Canceling on B, B lost -> Canceled, node-lost', input: lost(du({ phase: 'Canceling', node: B, cancel: true }), NODE_LOST_MS), expected: { kind: 'cancel', reason: 'node-lost', message: `${NODE_LOST_MESSAGE}: ${B}` } },
    { name: 'Accepted by B, B lost, backup PVC bound -> Prepared here (it names no node)', input: lost(du({ phase: 'Accepted', acceptedByNode: B, acceptedAt: T0 - 7 * MIN }), NODE_LOST_MS, { backupPvc: pvc('Bound') }), expected: { kind: 'prepare', exclusive: true } },
    { name: 'Accepted by B, B lost, backup PVC waits for its consumer -> Prepared here', input: lost(du({ phase: 'Accepted', acceptedByNode: B, acceptedAt: T0 - 7 * MIN }), NODE_LOST_MS, { backupPvc: pvc('Pending'), backupPvcWaitsForConsumer: true }), expected: { kind: 'prepare', exclusive: true } },
    { name: 'Accepted by B, B lost, backup PVC not bound -> wait (the prepare timeout)', input: lost(du({ phase: 'Accepted', acceptedByNode: B, acceptedAt: T0 - 7 * MIN }), NODE_LOST_MS, { backupPvc: pvc('Pending') }), expected: NONE },
    { name: 'Accepted by B, B lost, its prepare timed out -> the prepare timeout', input: lost(du({ phase: 'Accepted', acceptedByNode: B, acceptedAt: T0 - PREPARE_TIMEOUT }), NODE_LOST_MS, { backupPvc: pvc('Pending') }), expected: PREPARE_TIMEOUT_FAIL },
    { name: 'Accepted by B, B lost, no backup PVC (its expose never finished) -> Failed, node-lost', input: lost(du({ phase: 'Accepted', acceptedByNode: B, acceptedAt: T0 - 7 * MIN }), NODE_LOST_MS), expected: LOST },
    { name: 'Prepared (no node), accepted by B, now lost -> claim as usual', input: lost(du({ phase: 'Prepared', acceptedByNode: B, acceptedAt: T0 - MIN }), NODE_LOST_MS), expected: CLAIM },
    { name: 'Completed on B, B lost -> the finalizer goes, as for any terminal one', input: lost(du({ phase: 'Completed', node: B }), NODE_LOST_MS), expected: { kind: 'remove-finalizer' } },
  ];
  it.each(lostRows)('lost node: $name', ({ input: i, expected }) => {
    expect(decide('pipelined', i)).toEqual(asDecision(expected));
  });

  it('declares what it asks of the runtime: claim on release, volume topology, the largest first, look-ahead, node health, retried end writes, the slot freed at data end, completion from the Event', () => {
    const f = FLOWS.pipelined;
    expect([f.claimsOnRelease, f.readsVolumeTopology, f.ordersWaiting?.order, f.looksAhead, f.readsNodeHealth, f.retriesEndWrites, f.freesSlotAtDataEnd, f.completesFromEvent]).toEqual([true, true, 'largest-first', true, true, true, true, true]);
    // What counts as waiting: Prepared, not canceled, not backing off after a quota refusal.
    expect(f.ordersWaiting!.waiting(du({ phase: 'Prepared' }), T0)).toBe(true);
    expect(f.ordersWaiting!.waiting(du({ phase: 'Prepared', cancel: true }), T0)).toBe(false);
    expect(f.ordersWaiting!.waiting(du({ phase: 'Prepared', quotaRefusedAt: T0 - 1_000 }), T0)).toBe(false);
    expect(f.ordersWaiting!.waiting(du({ phase: 'DatamoverDeploying', node: A }), T0)).toBe(false);
    for (const other of ['velero-1.16', 'velero-1.17', 'deploying'] as const) {
      const o = FLOWS[other];
      expect([o.claimsOnRelease, o.readsVolumeTopology, o.ordersWaiting, o.looksAhead, o.onPodGone, o.onDataPathFailed, o.readsNodeHealth, o.retriesEndWrites, o.freesSlotAtDataEnd, o.completesFromEvent]).toEqual(Array(10).fill(undefined));
    }
  });
});

describe('findDataUploadForPod (data_upload_controller.go, v1.16.2 to v1.18.2): a pod update on this node', () => {
  const PREPARE_16 = { step: { kind: 'prepare', node: A, exclusive: true }, enqueue: true };
  const PREPARE_17 = { step: { kind: 'prepare', node: A }, enqueue: true };
  const IGNORE = { step: NONE, enqueue: false };
  const abnormal = (text: string) => ({
    step: { kind: 'request-cancel', message: `Cancel dataupload because the exposing pod velero/du-1 is in abnormal status for reason ${text}`, reason: 'pod-evicted' },
    enqueue: true,
  });
  const EVICTED_16 = 'Pod is in abnormal state [Failed], message []';
  const EVICTED_17 = 'Pod is in abnormal state [Failed], message [The node was low on resource: memory./]';
  const rows: { name: string; input: FlowInput; expected: PerFlow<unknown> }[] = [
    { name: 'Accepted, pod Running here -> Prepared on this node, then reconciled', input: input(accepted(), { pod: running(A) }), expected: { 'velero-1.16': PREPARE_16, 'velero-1.17': PREPARE_17, deploying: IGNORE } },
    { name: 'Accepted by another node, pod Running here -> Prepared here', input: input(accepted({ acceptedByNode: B }), { pod: running(A) }), expected: { 'velero-1.16': PREPARE_16, 'velero-1.17': PREPARE_17, deploying: IGNORE } },
    { name: 'Accepted and canceled, pod Running here -> Prepared regardless', input: input(accepted({ cancel: true }), { pod: running(A) }), expected: { 'velero-1.16': PREPARE_16, 'velero-1.17': PREPARE_17, deploying: IGNORE } },
    { name: 'Accepted, pod Pending here -> nothing, not even a reconcile', input: input(accepted(), { pod: pending(A) }), expected: same(IGNORE) },
    { name: 'Accepted, pod evicted here -> ask to cancel, then reconciled', input: input(accepted(), { pod: evicted(A) }), expected: { 'velero-1.16': abnormal(EVICTED_16), 'velero-1.17': abnormal(EVICTED_17), deploying: IGNORE } },
    { name: 'Accepted, the pod is on another node (the predicate passes this node\'s pods only)', input: input(accepted(), { pod: running(B) }), expected: same(IGNORE) },
    { name: 'Prepared already: nothing', input: input(du({ phase: 'Prepared', node: A }), { pod: running(A) }), expected: same(IGNORE) },
    { name: 'InProgress: nothing (the data-path watcher follows the pod)', input: input(du({ phase: 'InProgress', node: A }), { pod: running(A), dataPathRunning: true }), expected: same(IGNORE) },
    // The proposal keeps the pod watch: its pod exists only from DatamoverDeploying on.
    { name: 'DatamoverDeploying here, pod Running -> reconciled (deploying)', input: input(du({ phase: 'DatamoverDeploying', node: A, deployingAt: T0 }), { pod: running(A) }), expected: { 'velero-1.16': IGNORE, 'velero-1.17': IGNORE, deploying: { step: NONE, enqueue: true } } },
    { name: 'DatamoverDeploying on another node', input: input(du({ phase: 'DatamoverDeploying', node: B, deployingAt: T0 }), { pod: running(A) }), expected: same(IGNORE) },
  ];
  for (const flow of FLOW_NAMES) {
    it.each(rows)(`${flow}: $name`, ({ input: i, expected }) => {
      expect(FLOWS[flow].onPodUpdate(i)).toEqual(pick(expected, flow));
    });
  }
});

// ---- races and stale observations, as one agent sees them --------------------------------
//
// The runtime carries out exclusive steps (accept, claim, cancel, fail with exclusive) with the
// observed resourceVersion, so an agent that decided on a stale object gets a 409 and stops;
// what matters to the flow is that every racer decides an exclusive step, and that the next
// look at the fresh object decides nothing more for the loser.

describe('races and stale observations', () => {
  it.each(FLOW_NAMES)('%s: two agents race the accept; the loser then leaves it to the winner', (flow) => {
    const fresh = du({ phase: 'New' });
    for (const nodeName of [A, B]) expect(decide(flow, input(fresh, { nodeName })).step.kind).toBe('accept');
    const wonByB = du({ phase: 'Accepted', acceptedByNode: B, acceptedAt: T0 });
    expect(decide(flow, input(wonByB, { nodeName: A, pod: pending(B), backupPvc: pvc('Bound') }))).toEqual({ step: NONE });
  });

  it.each(['velero-1.17', 'deploying'] as const)('%s: a stale expose-on-going count lets every agent accept (best effort, as Velero)', (flow) => {
    const config = { prepareTimeoutMs: PREPARE_TIMEOUT, deployTimeoutMs: DEPLOY_TIMEOUT, prepareQueueLength: 2 };
    const decisions = [A, B, 'node-c'].map((nodeName) => decide(flow, input(du({ phase: 'New' }), { nodeName, exposeOnGoing: 1, config })));
    expect(decisions.map((d) => d.step.kind)).toEqual(['accept', 'accept', 'accept']);
  });

  it('deploying: two agents with free slots race the claim; the loser then leaves it to the winner', () => {
    const fresh = du({ phase: 'Prepared', acceptedByNode: A, acceptedAt: T0 });
    for (const nodeName of [A, B]) expect(decide('deploying', input(fresh, { nodeName })).step).toEqual({ kind: 'claim', podRefusedByQuota: 'return-claim' });
    const wonByB = du({ phase: 'DatamoverDeploying', node: B, acceptedByNode: A, acceptedAt: T0, deployingAt: T0 });
    expect(decide('deploying', input(wonByB, { nodeName: A }))).toEqual({ step: NONE });
    expect(decide('deploying', input(wonByB, { nodeName: B, pod: pending(B) }))).toEqual({ step: NONE });
  });

  it.each(FLOW_NAMES)('%s: every agent that sees the prepare timeout decides the same exclusive fail', (flow) => {
    const stale = du({ phase: 'Accepted', acceptedByNode: A, acceptedAt: T0 - PREPARE_TIMEOUT });
    for (const nodeName of [A, B]) expect(decide(flow, input(stale, { nodeName })).step).toEqual(PREPARE_TIMEOUT_FAIL);
  });

  it('deploying: every agent that sees the deploy timeout decides the same exclusive fail', () => {
    const stale = du({ phase: 'DatamoverDeploying', node: 'node-gone', deployingAt: T0 - DEPLOY_TIMEOUT });
    for (const nodeName of [A, B]) expect(decide('deploying', input(stale, { nodeName })).step).toEqual(DEPLOY_TIMEOUT_FAIL);
  });

  it.each(['velero-1.17', 'deploying'] as const)('%s: a stale Prepared after this agent started the data path does not start it twice', (flow) => {
    const phase = flow === 'deploying' ? 'DatamoverDeploying' : 'Prepared';
    expect(decide(flow, input(du({ phase, node: A, deployingAt: T0 }), { pod: running(A), dataPathRunning: true }))).toEqual({ step: NONE });
  });

  it('velero-1.16: the pod\'s agent asks to cancel, then every agent cancels, keeping that message', () => {
    const before = accepted();
    expect(FLOWS['velero-1.16'].onPodUpdate(input(before, { nodeName: A, pod: evicted(A) })).step.kind).toBe('request-cancel');
    const after = accepted({ cancel: true });
    expect(decide('velero-1.16', input(after, { nodeName: A, pod: evicted(A) })).step).toEqual(CANCEL);
    expect(decide('velero-1.16', input(after, { nodeName: B, pod: evicted(A) })).step).toEqual(CANCEL);
  });

  it('velero-1.17: the pod\'s agent asks to cancel, then PeekExposed cancels on every agent', () => {
    const before = accepted();
    expect(FLOWS['velero-1.17'].onPodUpdate(input(before, { nodeName: A, pod: evicted(A) })).step.kind).toBe('request-cancel');
    const after = accepted({ cancel: true });
    for (const nodeName of [A, B]) {
      expect(decide('velero-1.17', input(after, { nodeName, pod: evicted(A) })).step).toMatchObject({ kind: 'cancel', reason: 'pod-evicted' });
    }
  });

  it('velero-1.17: a cancel that lands while Accepted is carried through Prepared on the pod\'s node', () => {
    expect(FLOWS['velero-1.17'].onPodUpdate(input(accepted({ cancel: true }), { pod: running(A) })).step).toEqual({ kind: 'prepare', node: A });
    expect(decide('velero-1.17', input(du({ phase: 'Prepared', node: A, cancel: true }), { pod: running(A) })).step).toEqual(CLEANUP_CANCEL);
  });

  it.each(['velero-1.17', 'deploying'] as const)('%s: a restarted agent spots spec.cancel afresh, so the delay starts again', (flow) => {
    const canceled = accepted({ cancel: true });
    expect(decide(flow, input(canceled, { cancelSpottedAt: T0 - 10 * MIN })).step).toEqual(CANCEL);
    expect(decide(flow, input(canceled, { cancelSpottedAt: T0 })).step).toEqual(NONE);
  });
});

describe('FLOWS and flowByName', () => {
  it.each(FLOW_NAMES)('%s is registered under its own name', (name) => {
    expect(FLOWS[name].name).toBe(name);
    expect(flowByName(name)).toBe(FLOWS[name]);
  });

  it('names the unknown value and what is accepted', () => {
    expect(() => flowByName('velero-1.15')).toThrow('flow "velero-1.15" is not known; accepted: velero-1.16, velero-1.17, deploying');
  });
});
