// What the runtime does as Velero's node-agent does it, end to end on the embedded cluster, flow
// by flow: the data path's slot freed only after CleanUp and the status write, the forced
// cancel's slot leak, Accepted -> Prepared only on a pod update heard by the pod's node-agent,
// and client-side rate limits that make requests wait. Each table names the Velero tag, file and
// function it follows. (The decisions themselves: controller/flows/flows.test.ts; the token
// bucket and the re-check ledger: controller/kube/rate-limit.test.ts and
// controller/node-agent/recheck-ledger.test.ts.)
import { describe, expect, it } from 'vitest';
import { FLOW_NAMES, type FlowName } from '../../controller/flows/types.ts';
import { FLOWS } from '../../controller/flows/index.ts';
import type { FaultDecl } from '../chaos/faults.ts';
import { runEmbedded } from './targets/embedded.ts';
import type { RunResult } from './run.ts';

const NODES = [{ count: 3, namePrefix: 'worker', capacity: { cpu: '8', memory: '32Gi', pods: '110' } }];
const ON_WORKER_1 = [{ nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'worker-1' } } }];
const PODS = { cpuRequest: '500m', cpuLimit: '0', memoryRequest: '512Mi', memoryLimit: '0' };

function run(flow: FlowName, o: { pvcs: number; size: string; faults?: FaultDecl[]; itemOperationTimeoutMs?: number; deadlineSeconds?: number; prepareQueueLength?: number }): Promise<RunResult> {
  return runEmbedded({
    seed: 3,
    flow,
    nodes: NODES,
    pvcs: Array.from({ length: o.pvcs }, (_, i) => ({ namespace: 'app', name: `data-${i}`, size: o.size })),
    nodeAgentConfig: {
      loadConcurrency: { globalConfig: 1, ...(o.prepareQueueLength && flow !== 'velero-1.16' ? { prepareQueueLength: o.prepareQueueLength } : {}) },
      loadAffinity: ON_WORKER_1,
      podResources: PODS,
    },
    deadlineSeconds: o.deadlineSeconds ?? 4 * 3600,
    itemOperationTimeoutMs: o.itemOperationTimeoutMs,
    faults: o.faults,
  });
}

/**
 * When each DataUpload held worker-1's slot, as the record shows it: from the phase that takes the
 * slot to its terminal phase. pipelined's look-ahead claim (DatamoverDeploying while every slot is
 * taken) holds a reservation beyond the slots, by its design: its slot is taken at InProgress.
 */
function slotHolds(r: RunResult): [string, number, number][] {
  const holds: [string, number, number][] = [];
  const takes = r.flow === 'pipelined' ? ['InProgress'] : ['InProgress', 'DatamoverDeploying'];
  for (const d of r.record.dataUploads) {
    const from = d.phases.find((p) => takes.includes(p.phase))?.at;
    const to = d.phases.find((p) => p.phase === 'Completed' || p.phase === 'Failed' || p.phase === 'Canceled')?.at;
    if (from !== undefined && to !== undefined) holds.push([d.name, from, to]);
  }
  return holds.sort((a, b) => a[1] - b[1]);
}

describe('the slot is freed after CleanUp and the status write (v1.16.2 to v1.18.2 data_upload_controller.go OnDataUploadCompleted / OnDataUploadFailed / OnDataUploadCancelled: defer r.dataPathMgr.RemoveAsyncBR)', () => {
  // With one slot on worker-1, the next DataUpload may take it only once the last one is
  // terminal: CleanUp (pod, backup PVC and PV, waited for up to a minute, snapshots) and then
  // the terminal write come first, so no two hold the slot at once, ends included.
  // pipelined frees the slot when its data path ends, on purpose (freesSlotAtDataEnd, design 2.5.1;
  // harness/run/storage.test.ts tests that it does).
  it.each(FLOW_NAMES.filter((f) => !FLOWS[f].freesSlotAtDataEnd))('%s: one slot, six DataUploads: none starts before the one before it is terminal', async (flow) => {
    const r = await run(flow, { pvcs: 6, size: '3Gi' });
    expect(r.record.dataUploads.filter((d) => d.outcome === 'Completed')).toHaveLength(6);
    const holds = slotHolds(r);
    expect(holds).toHaveLength(6);
    for (let i = 1; i < holds.length; i++) {
      const [prev, , ended] = holds[i - 1];
      const [next, started] = holds[i];
      expect(started, `${next} took the slot at ${started} s, ${prev} ended at ${ended} s`).toBeGreaterThanOrEqual(ended);
    }
  }, 120_000);
});

describe('the forced cancel keeps the data path\'s slot (v1.17.0+ data_upload_controller.go tryCancelDataUpload: an exclusive update to Canceled and cleanUp, no RemoveAsyncBR)', () => {
  // A data-mover pod deleted with grace 0 while it moves data never reaches Succeeded or Failed,
  // so the data-path watcher (pkg/datapath/micro_service_watcher.go) never calls back. The item
  // operation timeout (here 10 min) asks for cancel; the DataUpload goes Canceling; v1.17+ cancels
  // it outright 5 min later (cancelDelayOthers) and the slot stays with the lost data path until
  // the node-agent restarts. v1.16 has no forced cancel: the DataUpload stays Canceling.
  const kill: FaultDecl[] = [{ kind: 'pod-kill', count: 1, dataUploadPhase: 'InProgress', when: { phase: 'InProgress', fraction: 0.25 } }];
  const rows: { flow: FlowName; outcome: string | undefined; slot: RegExp; allTerminal: boolean }[] = [
    { flow: 'velero-1.16', outcome: undefined, slot: /^worker-1 holds backup-1-\w+$/, allTerminal: false },
    { flow: 'velero-1.17', outcome: 'Canceled', slot: /^worker-1 holds backup-1-\w+ \(Canceled: a data path never closed, its slot leaked\)$/, allTerminal: true },
    { flow: 'deploying', outcome: 'Canceled', slot: /^worker-1 holds backup-1-\w+ \(Canceled: a data path never closed, its slot leaked\)$/, allTerminal: true },
  ];
  it.each(rows)('$flow: the killed pod\'s DataUpload ends $outcome and no-slot-held names the slot', async ({ flow, outcome, slot, allTerminal }) => {
    const r = await run(flow, { pvcs: 4, size: '20Gi', faults: kill, itemOperationTimeoutMs: 10 * 60_000, deadlineSeconds: 2 * 3600 });
    const killed = r.faults.find((f) => f.kind === 'pod-kill')!.dataUploads!;
    expect(killed).toHaveLength(1);
    const du = r.record.dataUploads.find((d) => d.name === killed[0])!;
    expect(du.outcome).toBe(outcome);
    if (outcome) expect(du.phases.map((p) => p.phase).slice(-2)).toEqual(['Canceling', 'Canceled']);
    const check = r.steadyState.find((c) => c.name === 'no-slot-held')!;
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(slot);
    expect(check.detail).toContain(killed[0]);
    expect(r.steadyState.find((c) => c.name === 'all-terminal')!.ok).toBe(allTerminal);
  }, 120_000);
});

describe('Accepted -> Prepared only on a pod update heard by the pod\'s node-agent (v1.16.2 to v1.18.2 data_upload_controller.go SetupWithManager pod predicate, findDataUploadForPod)', () => {
  // worker-1's node-agent is down from 10 s to 70 s while the first data-mover pods, all pinned
  // to worker-1, start. A pod that turned Running meanwhile gets no later update: its
  // DataUpload stays Accepted. velero-1.17 keeps Accepted ones across the restart, so they fail
  // at the prepare timeout (30 min); velero-1.16's restarted node-agent cancels every Accepted
  // one; deploying makes no pod before DatamoverDeploying, so nothing waits on a pod update.
  const crash: FaultDecl[] = [{ kind: 'node-agent-restart', node: 'worker-1', at: 10, durationSeconds: 60 }];
  const phaseAt = (d: RunResult['record']['dataUploads'][number], t: number) => [...d.phases].reverse().find((p) => p.at <= t)?.phase;
  it('velero-1.17: every DataUpload whose pod turned Running on worker-1 while its agent was down fails at the prepare timeout; no other does', async () => {
    const r = await run('velero-1.17', { pvcs: 6, size: '2Gi', faults: crash, prepareQueueLength: 4 });
    const unheard = r.record.pods.filter((p) => p.node === 'worker-1' && p.runningAt !== undefined && p.runningAt >= 10 && p.runningAt < 70).map((p) => p.dataUpload).sort();
    expect(unheard.length).toBeGreaterThanOrEqual(1);
    const failed = r.record.dataUploads.filter((d) => d.reason === 'prepare-timeout');
    expect(failed.map((d) => d.name).sort()).toEqual(unheard);
    expect(r.figures.outcomesByReason).toEqual({ 'prepare-timeout': unheard.length });
    for (const d of failed) {
      // Accepted for the whole prepare timeout (30 min from acceptedTimestamp; the periodic re-check every minute).
      expect(d.phases.map((p) => p.phase)).toEqual(['New', 'Accepted', 'Failed']);
      const waited = d.phases[2].at - d.phases[1].at;
      expect(waited).toBeGreaterThanOrEqual(30 * 60 - 1);
      expect(waited).toBeLessThan(30 * 60 + 61);
    }
    // The rest completed: the restart itself canceled nothing.
    expect(r.figures.completed).toBe(6 - unheard.length);
  }, 120_000);

  it('velero-1.16: the restarted agent cancels every DataUpload Accepted when it starts (AttemptDataUploadResume); the rest complete', async () => {
    const r = await run('velero-1.16', { pvcs: 6, size: '2Gi', faults: crash });
    const acceptedAtStart = r.record.dataUploads.filter((d) => phaseAt(d, 69.999) === 'Accepted').map((d) => d.name).sort();
    expect(acceptedAtStart.length).toBeGreaterThanOrEqual(1);
    expect(r.record.dataUploads.filter((d) => d.reason === 'node-agent-restart').map((d) => d.name).sort()).toEqual(acceptedAtStart);
    expect(r.figures.outcomesByReason).toEqual({ 'node-agent-restart': acceptedAtStart.length });
  }, 120_000);

  it('deploying: no pod exists before DatamoverDeploying, so the crash fails nothing', async () => {
    const r = await run('deploying', { pvcs: 6, size: '2Gi', faults: crash, prepareQueueLength: 4 });
    expect(r.figures.outcomesByReason).toEqual({});
    expect(r.figures.completed).toBe(6);
  }, 120_000);
});

describe('client-side rate limits (client-go rest DefaultQPS 5 / DefaultBurst 10 for the node-agent; the server\'s --client-qps / --client-burst 100 / 100)', () => {
  it('velero-1.16, whose every node-agent GETs every Accepted pod on every reconcile, waits for tokens; a limit of -1 (none) makes it wait for none', async () => {
    const base = { seed: 3, flow: 'velero-1.16' as const, nodes: NODES, pvcs: Array.from({ length: 20 }, (_, i) => ({ namespace: 'app', name: `data-${i}`, size: '2Gi' })), deadlineSeconds: 4 * 3600 };
    const limited = await runEmbedded({ ...base, nodeAgentConfig: { loadAffinity: ON_WORKER_1, podResources: PODS } });
    const unlimited = await runEmbedded({ ...base, nodeAgentConfig: { loadAffinity: ON_WORKER_1, podResources: PODS, datamoverBench: { clientQPS: -1 } } });
    expect(limited.figures.throttleWaitSeconds['node-agent']).toBeGreaterThan(0);
    expect(limited.figures.throttledRequests['node-agent']).toBeGreaterThan(0);
    expect(unlimited.figures.throttleWaitSeconds['node-agent']).toBe(0);
    expect(unlimited.figures.throttledRequests['node-agent']).toBe(0);
    // The server sends far less than 100 per second here.
    expect(limited.figures.throttleWaitSeconds['velero-server']).toBe(0);
  }, 120_000);
});
