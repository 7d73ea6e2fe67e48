import { describe, expect, it } from 'vitest';
import { lowerBound } from './lower-bound.ts';

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
    expect(lb).toEqual({ makespanSeconds: 5 + 2048, idleCpuCoreSeconds: 50, idleMemoryGiBSeconds: 50 });
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
      makespanSeconds: 0,
      idleCpuCoreSeconds: 0,
      idleMemoryGiBSeconds: 0,
    });
  });
});
