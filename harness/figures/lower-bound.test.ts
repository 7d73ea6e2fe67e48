import { describe, expect, it } from 'vitest';
import { lowerBound, lowerBounds, ratiosToLowerBound, type BoundWorkload } from './lower-bound.ts';

const MiB = 1024 * 1024;
const req = { cpuCores: 1, memoryGiB: 1 };

describe('lowerBound, small cases solved by hand', () => {
  it('10 x 20 GiB through one slot at 100 MiB/s, pods start in 5 s: 5 + 2048 s; idle 10 x 5 core-seconds', () => {
    const lb = lowerBound({
      dataUploads: Array.from({ length: 10 }, () => ({ bytes: 20 * 1024 * MiB, createdAt: 0 })),
      nodes: [{ slots: 1, bytesPerSecond: 250 * MiB }],
      podBytesPerSecond: 100 * MiB,
      podStartSeconds: 5,
      podRequests: req,
    });
    // Backup volumes: each 20 GiB held at least 20 x 1024 / 100 = 204.8 s: 10 x 4096 GiB-s.
    expect(lb).toEqual({ dataUploads: 10, makespanSeconds: 5 + 2048, idleCpuCoreSeconds: 50, idleMemoryGiBSeconds: 50, backupVolumeGiBSeconds: 40_960 });
  });

  it('node bandwidth caps concurrent slots: 3 slots of 100 MiB/s on a 250 MiB/s node move 250 MiB/s', () => {
    const lb = lowerBound({
      dataUploads: Array.from({ length: 5 }, () => ({ bytes: 1000 * MiB, createdAt: 0 })),
      nodes: [{ slots: 3, bytesPerSecond: 250 * MiB }],
      podBytesPerSecond: 100 * MiB,
      podStartSeconds: 0,
      podRequests: req,
    });
    expect(lb.makespanSeconds).toBe(5000 / 250);
  });

  it('a DataUpload created late bounds the makespan when the nodes have room', () => {
    const lb = lowerBound({
      dataUploads: [
        { bytes: 100 * MiB, createdAt: 0 },
        { bytes: 500 * MiB, createdAt: 60 },
      ],
      nodes: [{ slots: 2, bytesPerSecond: 1000 * MiB }, { slots: 2, bytesPerSecond: 1000 * MiB }],
      podBytesPerSecond: 100 * MiB,
      podStartSeconds: 2,
      podRequests: req,
    });
    // throughput: 2 + 600/400 = 3.5 s; the latest: 60 + 2 + 5 = 67 s.
    expect(lb.makespanSeconds).toBe(67);
  });

  it('no DataUploads, no bound', () => {
    expect(lowerBound({ dataUploads: [], nodes: [{ slots: 1, bytesPerSecond: 1 }], podBytesPerSecond: 1, podStartSeconds: 1, podRequests: req })).toEqual({
      dataUploads: 0,
      makespanSeconds: 0,
      idleCpuCoreSeconds: 0,
      idleMemoryGiBSeconds: 0,
      backupVolumeGiBSeconds: 0,
    });
  });
});

describe('the bound of the completed work, and of all', () => {
  // Three DataUploads of 1000 MiB created at 0, 10 and 20 on a node of 1 slot at 100 MiB/s, pods
  // starting in 2 s; the first two completed, the third failed. Nodes as recorded: only
  // pool=backup is admitted.
  const w: BoundWorkload = {
    dataUploads: [
      { bytes: 1000 * MiB, createdAt: 0, outcome: 'Completed' },
      { bytes: 1000 * MiB, createdAt: 10, outcome: 'Completed' },
      { bytes: 1000 * MiB, createdAt: 20, outcome: 'Failed' },
    ],
    nodes: [
      { name: 'a', labels: { pool: 'backup' }, bytesPerSecond: 250 * MiB },
      { name: 'b', labels: { pool: 'apps' }, bytesPerSecond: 250 * MiB },
    ],
    admits: (labels) => labels.pool === 'backup',
    slots: () => 1,
    podBytesPerSecond: 100 * MiB,
    podStartSeconds: 2,
    podRequests: req,
  };

  it('completed: 2 + 2000/100 = 22 s, 2 x 2 core-s; all: 2 + 3000/100 = 32 s, 3 x 2', () => {
    // Backup volumes: 1000/1024 GiB each for 10 s: 9.765625 GiB-s each.
    expect(lowerBounds(w)).toEqual({
      completed: { dataUploads: 2, makespanSeconds: 22, idleCpuCoreSeconds: 4, idleMemoryGiBSeconds: 4, backupVolumeGiBSeconds: 19.531 },
      all: { dataUploads: 3, makespanSeconds: 32, idleCpuCoreSeconds: 6, idleMemoryGiBSeconds: 6, backupVolumeGiBSeconds: 29.297 },
    });
  });

  it('a backup volume is as large as its recorded backup PVC asked', () => {
    const named = { ...w, dataUploads: w.dataUploads.map((d, i) => ({ ...d, name: `du-${i}` })), backupPvcs: [{ name: 'du-0', gib: 2 }] };
    // du-0: 2 GiB x 10 s; du-1: 1000/1024 GiB x 10 s.
    expect(lowerBounds(named).completed.backupVolumeGiBSeconds).toBe(29.766);
  });

  it('the latest completed DataUpload counts from the run\'s first creation, not its own first', () => {
    const late = { ...w, dataUploads: [{ ...w.dataUploads[0], outcome: 'Failed' }, { ...w.dataUploads[1], createdAt: 100 }] };
    // completed: the one created at 100: 100 - 0 + 2 + 10 = 112 s.
    expect(lowerBounds(late).completed.makespanSeconds).toBe(112);
  });

  it('no pod start latency known (a real cluster): no idle bound', () => {
    expect(lowerBounds({ ...w, podStartSeconds: undefined }).completed).toEqual({ dataUploads: 2, makespanSeconds: 20, backupVolumeGiBSeconds: 19.531 });
  });

  it('no node admitted: an error naming the nodes and their labels, never a bound of 0', () => {
    expect(() => lowerBounds({ ...w, admits: () => false })).toThrow('no lower bound: loadAffinity admits none of the 2 nodes the run recorded (a {pool=backup}; b {pool=apps})');
  });

  it('ratios to the completed work; none for a flow that completed nothing; none for idle without its bound', () => {
    const bound = lowerBounds(w).completed;
    expect(ratiosToLowerBound({ completed: 2, makespanSeconds: 44, idleCpuCoreSeconds: 10 }, bound)).toEqual({ makespan: 2, idleCpuCoreSeconds: 2.5 });
    expect(ratiosToLowerBound({ completed: 0, makespanSeconds: 44, idleCpuCoreSeconds: 10 }, bound)).toEqual({});
    expect(ratiosToLowerBound({ completed: 2, makespanSeconds: 44, idleCpuCoreSeconds: 10 }, { dataUploads: 2, makespanSeconds: 22, backupVolumeGiBSeconds: 0 })).toEqual({ makespan: 2 });
    expect(ratiosToLowerBound({ completed: 2, makespanSeconds: 44, idleCpuCoreSeconds: 10, backupVolumeGiBSeconds: 39.062 }, bound)).toEqual({ makespan: 2, idleCpuCoreSeconds: 2.5, backupVolumeGiBSeconds: 2 });
    // BestEffort: no requests, so bound and figure are both 0.
    expect(ratiosToLowerBound({ completed: 2, makespanSeconds: 22, idleCpuCoreSeconds: 0 }, { ...bound, idleCpuCoreSeconds: 0 })).toEqual({ makespan: 1, idleCpuCoreSeconds: 1 });
  });

  it('a figure below its bound, or a bound of 0 under a figure, is a defect: an error, not a ratio', () => {
    const bound = lowerBounds(w).completed;
    expect(() => ratiosToLowerBound({ completed: 2, makespanSeconds: 21, idleCpuCoreSeconds: 10 }, bound)).toThrow('makespan seconds 21 is below its lower bound 22: the bound does not hold (a defect of the bench)');
    expect(() => ratiosToLowerBound({ completed: 2, makespanSeconds: 30, idleCpuCoreSeconds: 10 }, { ...bound, idleCpuCoreSeconds: 0 })).toThrow(
      "the lower bound of idle CPU core-seconds is 0 while the run's figure is 10: the bound's inputs are wrong",
    );
  });
});
