// The same seeded workload twice, once with the other core busy: identical event timelines in
// simulated time. This is what makes a run's figures independent of machine speed and load.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runPodWorkload } from './pod-workload.ts';

const workload = (seed: number) =>
  runPodWorkload({ seed, pods: 50, runSeconds: [5, 120], nodes: [{ count: 3, namePrefix: 'worker', capacity: { cpu: '4', memory: '16Gi', pods: '110' } }] });

describe('determinism of the simulated cluster', () => {
  it('the same seeded 50-pod workload gives the same timeline, with the other core busy', async () => {
    const quiet = await workload(7);
    const hog = spawn(process.execPath, ['-e', 'const end = Date.now() + 60000; while (Date.now() < end) {}'], { stdio: 'ignore' });
    let loaded;
    try {
      loaded = await workload(7);
    } finally {
      hog.kill();
    }
    expect(quiet.outcome).toBe('done');
    // 50 pods, each created, bound, starting, running and succeeded; 24 fit at once (4 CPU / 500m x 3 nodes).
    expect(quiet.timeline.filter((l) => l.endsWith('Succeeded'))).toHaveLength(50);
    expect(quiet.timeline.length).toBeGreaterThan(200);
    expect(loaded.timeline).toEqual(quiet.timeline);
    const other = await workload(8);
    expect(other.timeline).not.toEqual(quiet.timeline);
  });
});
