import { describe, expect, it } from 'vitest';
import { computeFigures, podActivity, quantiles, type RunRecord } from './figures.ts';

const zero = { get: 0, list: 0, watch: 0, create: 0, update: 0, patch: 0, delete: 0 };

// Three DataUploads on one node, worked out by hand:
// a: pod created 1, bound 3, running 10, data moves 11-111, pod deleted 112 (1 core, 1 GiB)
// b: pod created 6, bound 16, running 20, waits for the slot, data moves 111-211, pod deleted 212 (1 core, 2 GiB)
// c: pod created 8, never scheduled, prepare timeout at 1808, pod deleted 1809 (1 core, 1 GiB)
const record: RunRecord = {
  endAt: 1900,
  dataUploads: [
    { name: 'a', namespace: 'velero', pvc: 'app/a', bytes: 10, createdAt: 0, outcome: 'Completed', phases: [{ phase: 'New', at: 0 }, { phase: 'Accepted', at: 1 }, { phase: 'Prepared', at: 11 }, { phase: 'InProgress', at: 11 }, { phase: 'Completed', at: 111 }] },
    { name: 'b', namespace: 'velero', pvc: 'app/b', bytes: 10, createdAt: 5, outcome: 'Completed', phases: [{ phase: 'New', at: 5 }, { phase: 'Accepted', at: 6 }, { phase: 'Prepared', at: 16 }, { phase: 'InProgress', at: 111 }, { phase: 'Completed', at: 211 }] },
    { name: 'c', namespace: 'velero', pvc: 'app/c', bytes: 10, createdAt: 7, outcome: 'Failed', reason: 'prepare-timeout', phases: [{ phase: 'New', at: 7 }, { phase: 'Accepted', at: 8 }, { phase: 'Failed', at: 1808 }] },
  ],
  pods: [
    { name: 'a', dataUpload: 'a', createdAt: 1, scheduledAt: 3, node: 'n1', runningAt: 10, deletedAt: 112, cpuCores: 1, memoryGiB: 1 },
    { name: 'b', dataUpload: 'b', createdAt: 6, scheduledAt: 16, node: 'n1', runningAt: 20, deletedAt: 212, cpuCores: 1, memoryGiB: 2 },
    { name: 'c', dataUpload: 'c', createdAt: 8, deletedAt: 1809, cpuCores: 1, memoryGiB: 1 },
  ],
  dataPathEvents: [
    { dataUpload: 'a', reason: 'Data-Path-Started', at: 11 },
    { dataUpload: 'a', reason: 'Data-Path-Completed', at: 111 },
    { dataUpload: 'b', reason: 'Data-Path-Started', at: 111 },
    { dataUpload: 'b', reason: 'Data-Path-Completed', at: 211 },
  ],
  nodes: [{ name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' }, ready: [{ ready: true, at: 0 }] }],
  apiRequests: { sent: { ...zero, get: 18, update: 12 }, modeled: { ...zero, get: 12 } },
  throttle: { 'node-agent': { waitSeconds: 12.5, requests: 4 }, 'velero-server': { waitSeconds: 0.25, requests: 1 } },
  // Backup PVCs: a (2 GiB) bound 9, deleted 112; b (4 GiB) bound 14, deleted 213; c (1 GiB)
  // created 8, never bound, deleted 1809. VolumeSnapshots: the three sources 0-10, 5-15, 7-17,
  // the backup copies of a (2-112) and b (6-213), and one left at the end (1800-).
  backupPvcs: [
    { name: 'a', createdAt: 2, boundAt: 9, deletedAt: 112, gib: 2 },
    { name: 'b', createdAt: 7, boundAt: 14, deletedAt: 213, gib: 4 },
    { name: 'c', createdAt: 8, deletedAt: 1809, gib: 1 },
  ],
  volumeSnapshots: [
    { namespace: 'app', name: 'a', createdAt: 0, deletedAt: 10 },
    { namespace: 'velero', name: 'a', createdAt: 2, deletedAt: 112 },
    { namespace: 'app', name: 'b', createdAt: 5, deletedAt: 15 },
    { namespace: 'velero', name: 'b', createdAt: 6, deletedAt: 213 },
    { namespace: 'app', name: 'c', createdAt: 7, deletedAt: 17 },
    { namespace: 'velero', name: 'left', createdAt: 1800 },
  ],
};

describe('figures from a hand-worked timeline', () => {
  const f = computeFigures(record);

  it('backup volumes held: GiB-seconds from Bound, the part before the data path started, and the peaks', () => {
    // a: 2 GiB x (112 - 9) = 206, of which 2 x (11 - 9) = 4 before its data path started at 11;
    // b: 4 x (213 - 14) = 796, 4 x (111 - 14) = 388 before; c never bound: nothing.
    expect(f.backupVolumeGiBSeconds).toBe(206 + 796);
    expect(f.backupVolumeIdleGiBSeconds).toBe(4 + 388);
    // PVCs: a, b and c all exist from 8 to 112. GiB: 2 + 4 from 14 to 112. Snapshots: at 7 the
    // sources a, b, c and the copies of a and b (5); a's source goes at 10.
    expect([f.peakBackupPvcs, f.peakBackupGiB, f.peakVolumeSnapshots]).toEqual([3, 6, 5]);
  });

  it('outcomes, reasons and timeouts', () => {
    expect(f).toMatchObject({ dataUploads: 3, completed: 2, failed: 1, canceled: 0, unfinished: 0, timeouts: 1, outcomesByReason: { 'prepare-timeout': 1 }, claimsReturned: 0 });
  });

  it('claims returned: each DatamoverDeploying -> Prepared, and nothing else', () => {
    const phases = (...names: string[]) => names.map((phase, at) => ({ phase, at }));
    const returned = computeFigures({
      ...record,
      dataUploads: [
        // Twice refused by a quota, then claimed for good: 2.
        { ...record.dataUploads[0], phases: phases('New', 'Accepted', 'Prepared', 'DatamoverDeploying', 'Prepared', 'DatamoverDeploying', 'Prepared', 'DatamoverDeploying', 'InProgress', 'Completed') },
        // Prepared after Accepted, Failed from DatamoverDeploying: none.
        { ...record.dataUploads[1], phases: phases('New', 'Accepted', 'Prepared', 'DatamoverDeploying', 'Failed') },
        record.dataUploads[2],
      ],
    });
    expect(returned.claimsReturned).toBe(2);
  });

  it('idle resource-seconds split pending / bound, and busy', () => {
    // pending: a 2 s, b 10 s, c 1801 s; bound idle: a 9 s, b 96 s; busy: a 100 s, b 100 s; none stranded.
    expect(f.idleStrandedCpuCoreSeconds).toBe(0);
    expect(f.idlePendingCpuCoreSeconds).toBe(2 + 10 + 1801);
    expect(f.idlePendingMemoryGiBSeconds).toBe(2 + 20 + 1801);
    expect(f.idleBoundCpuCoreSeconds).toBe(9 + 96);
    expect(f.idleBoundMemoryGiBSeconds).toBe(9 + 192);
    expect(f.idleCpuCoreSeconds).toBe(1813 + 105);
    expect(f.busyCpuCoreSeconds).toBe(200);
    expect(f.busyMemoryGiBSeconds).toBe(300);
  });

  it('makespan, latency and time per phase', () => {
    expect(f.makespanSeconds).toBe(1808);
    expect(f.latencySeconds).toEqual({ p50: 206, p95: 1801, p99: 1801, max: 1801 });
    expect(f.phaseSeconds.Prepared).toEqual({ p50: 0, p95: 95, p99: 95, max: 95 });
    expect(f.phaseSeconds.Accepted).toEqual({ p50: 10, p95: 1800, p99: 1800, max: 1800 });
    expect(f.phaseSeconds.InProgress).toEqual({ p50: 100, p95: 100, p99: 100, max: 100 });
  });

  it('peak pods cluster-wide and per node, and API requests per DataUpload', () => {
    expect(f.peakDataMoverPods).toBe(3);
    expect(f.peakDataMoverPodsPerNode).toEqual({ n1: 2 });
    // 18 GETs sent and 12 modeled, 12 updates sent, over 3 DataUploads.
    expect(f.apiRequestsPerDataUpload).toMatchObject({ get: 10, update: 4, patch: 0 });
    expect(f.apiRequestsSentPerDataUpload).toMatchObject({ get: 6, update: 4, patch: 0 });
    expect(f.apiRequestsModeledPerDataUpload).toMatchObject({ get: 4, update: 0 });
  });

  it('a pod replaced at the same instant is not counted twice', () => {
    const r: RunRecord = { ...record, pods: [{ ...record.pods[0], deletedAt: 50 }, { ...record.pods[1], createdAt: 50, scheduledAt: 50 }] };
    expect(computeFigures(r).peakDataMoverPods).toBe(1);
  });

  it('an unfinished DataUpload counts to the end of the run', () => {
    const r: RunRecord = { ...record, dataUploads: [{ ...record.dataUploads[2], outcome: undefined, reason: undefined, phases: record.dataUploads[2].phases.slice(0, 2) }] };
    const g = computeFigures(r);
    expect(g.unfinished).toBe(1);
    expect(g.makespanSeconds).toBe(1900 - 7);
  });
});

describe('busy means the data moves: the data path reports, its pod runs, its node is Ready', () => {
  // Velero issue-like node failure, by hand. DataUpload x: pod created 30, bound 31, running 40,
  // InProgress at 41, Data-Path-Started at 42, never ends; its node n2 goes NotReady at 56 (the
  // node died); the pod is deleted at 410 (evicted); the DataUpload is canceled at 956.
  // y: a normal DataUpload whose data path ends at 200, its DataUpload Completed at 203 and its
  // pod deleted at 204. z: InProgress at 300, its container fails at 350, the pod stays until 900.
  const r: RunRecord = {
    endAt: 1000,
    dataUploads: [
      { name: 'x', namespace: 'velero', pvc: 'app/x', bytes: 10, createdAt: 0, outcome: 'Canceled', reason: 'node-lost', phases: [{ phase: 'New', at: 0 }, { phase: 'Accepted', at: 30 }, { phase: 'Prepared', at: 40 }, { phase: 'InProgress', at: 41 }, { phase: 'Canceled', at: 956 }] },
      { name: 'y', namespace: 'velero', pvc: 'app/y', bytes: 10, createdAt: 0, outcome: 'Completed', phases: [{ phase: 'New', at: 0 }, { phase: 'Accepted', at: 90 }, { phase: 'InProgress', at: 100 }, { phase: 'Completed', at: 203 }] },
      { name: 'z', namespace: 'velero', pvc: 'app/z', bytes: 10, createdAt: 0, outcome: 'Canceled', reason: 'operation-timeout', phases: [{ phase: 'New', at: 0 }, { phase: 'InProgress', at: 300 }, { phase: 'Canceled', at: 950 }] },
    ],
    pods: [
      { name: 'x', dataUpload: 'x', createdAt: 30, scheduledAt: 31, node: 'n2', runningAt: 40, deletedAt: 410, cpuCores: 1, memoryGiB: 1 },
      { name: 'y', dataUpload: 'y', createdAt: 90, scheduledAt: 90, node: 'n1', runningAt: 95, stoppedAt: 201, deletedAt: 204, cpuCores: 1, memoryGiB: 1 },
      { name: 'z', dataUpload: 'z', createdAt: 290, scheduledAt: 290, node: 'n1', runningAt: 295, stoppedAt: 350, deletedAt: 900, cpuCores: 2, memoryGiB: 1 },
    ],
    dataPathEvents: [
      { dataUpload: 'x', reason: 'Data-Path-Started', at: 42 },
      { dataUpload: 'y', reason: 'Data-Path-Started', at: 101 },
      { dataUpload: 'y', reason: 'Data-Path-Completed', at: 200 },
      { dataUpload: 'z', reason: 'Data-Path-Started', at: 301 },
    ],
    nodes: [
      { name: 'n1', labels: {}, ready: [{ ready: true, at: 0 }] },
      { name: 'n2', labels: {}, ready: [{ ready: true, at: 0 }, { ready: false, at: 56 }] },
    ],
    apiRequests: { sent: zero, modeled: zero },
    throttle: { 'node-agent': { waitSeconds: 0, requests: 0 }, 'velero-server': { waitSeconds: 0, requests: 0 } },
    backupPvcs: [],
    volumeSnapshots: [],
  };

  it('each pod: moving while all three hold, stranded while InProgress and its pod or node cannot move data', () => {
    expect(podActivity(r)).toEqual([
      { moving: [[42, 56]], stranded: [[56, 410]] },
      // y: 200-201 (data path ended, container finishing) and 201-203 (stopped, DataUpload not yet Completed: stranded).
      { moving: [[101, 200]], stranded: [[201, 203]] },
      // z: the container failed at 350; InProgress until 950 but the pod goes at 900.
      { moving: [[301, 350]], stranded: [[350, 900]] },
    ]);
  });

  it('a dead node counts its pod idle (stranded), not busy', () => {
    const f = computeFigures(r);
    // busy: x 14, y 99, z 49 x 2 cores; stranded: x 354, y 2, z 550 x 2 cores.
    expect(f.busyCpuCoreSeconds).toBe(14 + 99 + 98);
    expect(f.idleStrandedCpuCoreSeconds).toBe(354 + 2 + 1100);
    expect(f.idleStrandedMemoryGiBSeconds).toBe(354 + 2 + 550);
    // pending: x 1; bound idle: x 31-42 = 11, y 90-101, 200-201 and 203-204 = 13, z 290-301 = 11 x 2 cores.
    expect(f.idlePendingCpuCoreSeconds).toBe(1);
    expect(f.idleBoundCpuCoreSeconds).toBe(11 + 13 + 22);
    expect(f.idleCpuCoreSeconds).toBe(1 + 46 + 1456);
  });

  it('a node that comes back Ready: its pod moves again while the data path still runs', () => {
    const back: RunRecord = { ...r, nodes: [r.nodes[0], { ...r.nodes[1], ready: [...r.nodes[1].ready, { ready: true, at: 100 }] }] };
    expect(podActivity(back)[0]).toEqual({ moving: [[42, 56], [100, 410]], stranded: [[56, 100]] });
  });

  it('the observation window cuts every pod: one made after its end holds nothing, none gets negative time', () => {
    const late: RunRecord = {
      ...r,
      endAt: 400,
      pods: [...r.pods, { name: 'w', dataUpload: 'y', createdAt: 405, scheduledAt: 406, node: 'n1', deletedAt: 420, cpuCores: 1, memoryGiB: 1 }],
    };
    const f = computeFigures(late);
    // x: life 30-400 -> stranded 56-400 = 344; z: life 290-400 -> stranded 350-400 = 50 x 2; w nothing.
    expect(f.idleStrandedCpuCoreSeconds).toBe(344 + 2 + 100);
    expect(f.idlePendingCpuCoreSeconds).toBe(1);
    expect(f.peakDataMoverPods).toBe(2);
  });
});

describe('BestEffort pods: resident memory instead of requests', () => {
  // d: BestEffort pod created 0, bound 2, container running 5, data moves 100-200, container
  //    stops 201, pod deleted 260. e: BestEffort pod that never ran (deleted 30).
  // Resident: 50 MiB waiting, 400 MiB moving.
  const r: RunRecord = {
    endAt: 300,
    residentMiB: { idle: 50, busy: 400 },
    dataUploads: [
      { name: 'd', namespace: 'velero', pvc: 'app/d', bytes: 10, createdAt: 0, outcome: 'Completed', phases: [{ phase: 'New', at: 0 }, { phase: 'Accepted', at: 1 }, { phase: 'Prepared', at: 6 }, { phase: 'InProgress', at: 100 }, { phase: 'Completed', at: 200 }] },
      { name: 'e', namespace: 'velero', pvc: 'app/e', bytes: 10, createdAt: 0, outcome: 'Failed', reason: 'prepare-timeout', phases: [{ phase: 'New', at: 0 }, { phase: 'Failed', at: 29 }] },
    ],
    pods: [
      { name: 'd', dataUpload: 'd', createdAt: 0, scheduledAt: 2, node: 'n1', runningAt: 5, stoppedAt: 201, deletedAt: 260, cpuCores: 0, memoryGiB: 0 },
      { name: 'e', dataUpload: 'e', createdAt: 0, deletedAt: 30, cpuCores: 0, memoryGiB: 0 },
    ],
    dataPathEvents: [
      { dataUpload: 'd', reason: 'Data-Path-Started', at: 100 },
      { dataUpload: 'd', reason: 'Data-Path-Completed', at: 200 },
    ],
    nodes: [],
    apiRequests: { sent: zero, modeled: zero },
    throttle: { 'node-agent': { waitSeconds: 0, requests: 0 }, 'velero-server': { waitSeconds: 0, requests: 0 } },
    backupPvcs: [],
    volumeSnapshots: [],
  };

  it('integrates the idle size while running and idle, the busy size while moving', () => {
    const f = computeFigures(r);
    expect(f.bestEffortPods).toBe(2);
    // idle: (201 - 5) - 100 = 96 s x 50 MiB; busy: 100 s x 400 MiB.
    expect(f.idleResidentMemoryGiBSeconds).toBe(round3((96 * 50) / 1024));
    expect(f.busyResidentMemoryGiBSeconds).toBe(round3((100 * 400) / 1024));
    expect(f.idleCpuCoreSeconds).toBe(0);
  });

  it('pods with requests are not BestEffort, and no resident model gives 0', () => {
    expect(computeFigures(record).bestEffortPods).toBe(0);
    expect(computeFigures({ ...r, residentMiB: undefined }).idleResidentMemoryGiBSeconds).toBe(0);
  });
});

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

describe('quantiles (nearest rank)', () => {
  it.each([
    [[], { p50: 0, p95: 0, p99: 0, max: 0 }],
    [[5], { p50: 5, p95: 5, p99: 5, max: 5 }],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { p50: 5, p95: 10, p99: 10, max: 10 }],
  ])('%j', (values, q) => expect(quantiles(values)).toEqual(q));
});
