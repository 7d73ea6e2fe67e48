import { afterEach, describe, expect, it, vi } from 'vitest';
import { Limiter } from '../../controller/node-agent/limiter.ts';
import type { RunRecord } from '../figures/figures.ts';
import { runEmbedded } from '../run/targets/embedded.ts';
import type { FaultRecord } from './injector.ts';
import { attributeFailures, faultEnds, steadyStateChecks } from './steady-state.ts';

const zero = { get: 0, list: 0, watch: 0, create: 0, update: 0, patch: 0, delete: 0 };
const du = (name: string, node: string | undefined, end: [string, number] | undefined, reason?: string) => ({
  name, namespace: 'velero', pvc: `app/${name}`, bytes: 1, createdAt: 0, node,
  outcome: end?.[0] as 'Completed' | 'Failed' | 'Canceled' | undefined, reason,
  phases: [{ phase: 'New', at: 0 }, ...(end ? [{ phase: end[0], at: end[1] }] : [])],
});

describe('steady-state checks', () => {
  const record: RunRecord = {
    endAt: 5000,
    dataUploads: [du('a', 'n1', ['Completed', 100]), du('b', 'n2', ['Failed', 700], 'node-lost'), du('c', undefined, ['Failed', 4000], 'prepare-timeout'), du('d', 'n1', ['Canceled', 300], 'pod-failed')],
    pods: [{ name: 'd', dataUpload: 'd', createdAt: 1, node: 'n1', scheduledAt: 2, cpuCores: 1, memoryGiB: 1 }],
    dataPathEvents: [],
    nodes: [],
    apiRequests: { sent: zero, modeled: zero },
    throttle: { 'node-agent': { waitSeconds: 0, requests: 0 }, 'velero-server': { waitSeconds: 0, requests: 0 } },
    backupPvcs: [],
    volumeSnapshots: [],
  };

  it('pass on a clean end, and name what is wrong otherwise', () => {
    expect(steadyStateChecks({ record, leftovers: { pods: [] }, slotsHeld: { n1: [] } }).every((c) => c.ok)).toBe(true);
    const bad = steadyStateChecks({
      record: { ...record, dataUploads: [...record.dataUploads, du('e', 'n1', undefined), du('f', 'n1', ['Failed', 9], 'unknown')] },
      leftovers: { pods: ['e'], volumeSnapshots: [] },
      slotsHeld: { n1: ['e'], n2: [], n3: ['a'] },
    });
    expect(bad.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)).toEqual([
      'all-terminal: 1 DataUpload(s) not terminal: e (New)',
      'nothing-leaked: pods: e',
      // e has not ended: it still waits; a ended Completed: a leak.
      'no-slot-held: n1 holds e; n3 holds a (Completed: a data path never closed, its slot leaked)',
      'failures-explained: no reason recorded for f',
    ]);
  });

  it('attribute a failure to the latest fault on its node (or its pod’s) in the window; a flow’s own timeout to none', () => {
    const faults: FaultRecord[] = [
      { name: 'pressure', kind: 'node-memory-pressure', node: 'n2', startedAt: 100, endedAt: 200, detail: '' },
      { name: 'failure', kind: 'node-failure', node: 'n2', startedAt: 500, endedAt: 900, detail: '' },
      { name: 'kill', kind: 'pod-kill', startedAt: 250, endedAt: 250, detail: '', dataUploads: ['d'] },
      { name: 'never', kind: 'pod-kill', startedAt: null, detail: '' },
    ];
    expect(Object.fromEntries(attributeFailures(record, faults))).toEqual({ b: 'failure', d: 'kill' });
    // Canceled by a node-agent's start: the fault that restarted it, whatever the node.
    const restarted = { ...record, dataUploads: [du('e', undefined, ['Canceled', 905], 'node-agent-restart'), du('f', undefined, ['Canceled', 4000], 'node-agent-restart')] };
    expect(Object.fromEntries(attributeFailures(restarted, faults))).toEqual({ e: 'failure' });
    // Stuck in Prepared from 150 on n2 until the item operation timeout at 14,550: the node failure at 500 stuck it.
    const stuck = { ...record, dataUploads: [{ ...du('g', 'n2', ['Canceled', 14550], 'operation-timeout'), phases: [{ phase: 'New', at: 0 }, { phase: 'Prepared', at: 150 }, { phase: 'Canceled', at: 14550 }] }] };
    expect(Object.fromEntries(attributeFailures(stuck, faults))).toEqual({ g: 'failure' });
    // Failed by the prepare timeout after 30 min in Accepted, its pod on n2: the node failure at
    // 500 (its node-agent down while the pod turned Running) stuck it; with no fault on n2, none.
    const accepted = { ...record, pods: [], dataUploads: [{ ...du('h', 'n2', ['Failed', 2300], 'prepare-timeout'), phases: [{ phase: 'New', at: 0 }, { phase: 'Accepted', at: 480 }, { phase: 'Failed', at: 2280 }] }] };
    expect(Object.fromEntries(attributeFailures(accepted, faults))).toEqual({ h: 'failure' });
    expect(Object.fromEntries(attributeFailures(accepted, faults.filter((f) => f.node !== 'n2')))).toEqual({});
  });

  it('time each attributed end from its fault\'s start: the longest, and those over ten minutes', () => {
    const faults: FaultRecord[] = [
      { name: 'failure', kind: 'node-failure', node: 'n2', startedAt: 500, endedAt: 900, detail: '' },
      { name: 'kill', kind: 'pod-kill', startedAt: 250, endedAt: 250, detail: '', dataUploads: ['d'] },
    ];
    // b failed at 700 (200 s after the failure at 500), d canceled at 300 (50 s after the kill), g
    // at 14,550 (14,050 s after the failure); a completed and c is attributed to nothing.
    const g = { ...du('g', 'n2', ['Canceled', 14550], 'operation-timeout'), phases: [{ phase: 'New', at: 0 }, { phase: 'Prepared', at: 150 }, { phase: 'Canceled', at: 14550 }] };
    const attributed = { b: 'failure', d: 'kill', g: 'failure' };
    expect(faultEnds({ ...record, dataUploads: [...record.dataUploads, g] }, faults, attributed)).toEqual({ dataUploads: 3, maxSeconds: 14050, overTenMinutes: 1 });
    expect(faultEnds(record, faults, {})).toEqual({ dataUploads: 0, maxSeconds: 0, overTenMinutes: 0 });
  });
});

describe('a broken controller is caught', () => {
  afterEach(() => vi.restoreAllMocks());

  const run = (log?: (line: string) => void) =>
    runEmbedded({
      seed: 5,
      flow: 'deploying',
      nodes: [{ count: 2, namePrefix: 'worker', capacity: { cpu: '4', memory: '16Gi', pods: '110' } }],
      pvcs: Array.from({ length: 4 }, (_, i) => ({ namespace: 'app', name: `data-${i}`, size: '2Gi' })),
      nodeAgentConfig: { loadConcurrency: { globalConfig: 1 }, podResources: { cpuRequest: '1', cpuLimit: '0', memoryRequest: '1Gi', memoryLimit: '0' } },
      deadlineSeconds: 3600,
      faults: [{ kind: 'node-failure', node: 'worker-1', at: 40, durationSeconds: 600 }],
      log,
    });

  it('a healthy controller through a node failure passes every check', async () => {
    const r = await run();
    // worker-2 finishes the work while worker-1 is down (the run may end before the failure is undone).
    expect(r.faults).toMatchObject([{ kind: 'node-failure', node: 'worker-1', startedAt: 40 }]);
    expect(r.figures.completed).toBe(4);
    expect(r.steadyState.filter((c) => !c.ok)).toEqual([]);
  }, 60_000);

  it('one that never releases a slot after a node failure fails no-slot-held, naming the nodes and the ended DataUploads', async () => {
    let broken = false;
    const release = Limiter.prototype.release;
    vi.spyOn(Limiter.prototype, 'release').mockImplementation(function (this: Limiter, key: string) {
      if (!broken) release.call(this, key);
    });
    const r = await run((line) => {
      if (/fault node-failure/.test(line)) broken = true;
    });
    const slots = r.steadyState.find((c) => c.name === 'no-slot-held')!;
    expect(slots.ok).toBe(false);
    // Both nodes ran a data path after the failure began and never gave its slot back.
    expect(slots.detail).toMatch(/worker-1 holds \S+ \(Completed: a data path never closed, its slot leaked\); worker-2 holds \S+ \(Completed/);
  }, 60_000);
});
