// The staged search on the synthetic scenario (fixtures.ts, bounds worked out in bound.test.ts),
// with a made-up runner in place of the simulation, so what is run, what is pruned and what is
// chosen can be checked exactly.
import { describe, expect, it } from 'vitest';
import type { FlowJob } from '../run/flow-run.ts';
import type { FlowResult } from '../scenario/results.ts';
import { defaults, SYNTHETIC } from './fixtures.ts';
import type { AdviseContext } from './candidates.ts';
import { gridAxes, startingSetting, tuningSettings } from './candidates.ts';
import { search, type RunBatch } from './search.ts';

interface Made {
  makespan: number;
  idle: number;
  lostTo?: string;
}

/** A runner whose figures are `physics(job)`; it records every job it was given, stage by stage. */
function fakeRunner(physics: (j: FlowJob) => Made): { run: RunBatch; stages: { title: string; jobs: FlowJob[] }[] } {
  const stages: { title: string; jobs: FlowJob[] }[] = [];
  const run: RunBatch = async (title, jobs) => {
    stages.push({ title, jobs });
    return jobs.map((j) => {
      const m = physics(j);
      const lostN = m.lostTo ? 2 : 0;
      return {
        flow: j.flow,
        wallSeconds: 0,
        simulatedSeconds: m.makespan,
        peakRssMiB: 0,
        endedBy: 'done',
        figures: {
          dataUploads: 7,
          completed: 7 - lostN,
          failed: lostN,
          canceled: 0,
          unfinished: 0,
          timeouts: lostN,
          outcomesByReason: m.lostTo ? { [m.lostTo]: lostN } : {},
          makespanSeconds: m.makespan,
          idleCpuCoreSeconds: m.idle,
          idleMemoryGiBSeconds: m.idle,
          idlePendingCpuCoreSeconds: 0,
          lowerBoundAll: { makespanSeconds: 410 },
          ratioToLowerBound: {},
        },
        steadyState: [],
      } as unknown as FlowResult;
    });
  };
  return { run, stages };
}

const ctx = (o: Partial<AdviseContext> = {}): AdviseContext => ({ scenario: SYNTHETIC, base: defaults(SYNTHETIC), held: new Set(), flows: ['velero-1.16', 'velero-1.17'], windowSeconds: 480, seeds: [1, 2], ...o });
const settingOf = (j: FlowJob) => `${j.flow} c=${j.params.concurrency} ${j.params['data-mover-nodes']} q=${j.params['prepare-queue-length']} t=${j.params['prepare-timeout']} seed ${j.seed}`;

describe('the staged search', () => {
  it('the grid: concurrency 1 to the value that fills the nodes, and each different set of nodes', () => {
    const c = ctx();
    // role=backup admits what configured does: dropped.
    expect(gridAxes(c, startingSetting(c))).toEqual([
      { name: 'concurrency', values: [1, 2] },
      { name: 'data-mover-nodes', values: ['configured', 'all', 'role=app'] },
    ]);
    // The item operation timeout (4h) is longer than the window: kept.
    expect(startingSetting(c)['item-operation-timeout']).toBe('4h');
    expect(startingSetting(ctx({ windowSeconds: 5 * 3600 }))['item-operation-timeout']).toBe('5h');
  });

  it('window 480 s: of the 6 grid points only concurrency 2 on all nodes is run; the queue is tuned for velero-1.17 only, halved while the smallest wins; the best is confirmed on seed 2', async () => {
    // idle grows with the queue: the smallest queue tried (3, half of 6 slots) holds least, then 1 (half of 3).
    const { run, stages } = fakeRunner((j) => ({ makespan: 450, idle: 100 + 10 * Number(j.params['prepare-queue-length']) }));
    const r = await search(ctx(), run);
    expect(stages.map((s) => s.jobs.map(settingOf))).toEqual([
      ['velero-1.16 c=2 all q=4 t=30m seed 1', 'velero-1.17 c=2 all q=4 t=30m seed 1'],
      // velero-1.16 has no prepareQueueLength: its tuning would run the same, and is not tried.
      ['velero-1.17 c=2 all q=3 t=30m seed 1', 'velero-1.17 c=2 all q=6 t=30m seed 1', 'velero-1.17 c=2 all q=12 t=30m seed 1'],
      ['velero-1.17 c=2 all q=1 t=30m seed 1'],
      ['velero-1.16 c=2 all q=4 t=30m seed 2', 'velero-1.17 c=2 all q=1 t=30m seed 2'],
    ]);
    const [v16, v17] = r.flows;
    expect(v16.recommended?.setting).toMatchObject({ concurrency: 2, 'data-mover-nodes': 'all' });
    expect(v16.notApplicable).toEqual(['prepare-queue-length']);
    expect(v17.recommended?.setting).toMatchObject({ concurrency: 2, 'data-mover-nodes': 'all', 'prepare-queue-length': 1 });
    expect(v17.recommended?.summary).toMatchObject({ makespanSeconds: 450, idleCpuCoreSeconds: 110, completed: 7, dataUploads: 7 });
    expect(v17.counts).toEqual({ settings: 10, run: 5, pruned: 5, runs: 6 });
    expect(r.candidates.filter((c) => c.flow === 'velero-1.17' && c.pruned).map((c) => [c.setting.concurrency, c.setting['data-mover-nodes'], c.pruned])).toEqual([
      [1, 'configured', 'bandwidth'],
      [1, 'all', 'slots'],
      [1, 'role=app', 'bandwidth'],
      [2, 'configured', 'bandwidth'],
      [2, 'role=app', 'bandwidth'],
    ]);
  });

  it('the queue is halved once past its best, then no more: idle least at 3', async () => {
    const { run, stages } = fakeRunner((j) => ({ makespan: 450, idle: 100 + 10 * Math.abs(Number(j.params['prepare-queue-length']) - 3) }));
    const r = await search(ctx({ flows: ['velero-1.17'] }), run);
    expect(stages.map((s) => s.jobs.map(settingOf))).toEqual([
      ['velero-1.17 c=2 all q=4 t=30m seed 1'],
      ['velero-1.17 c=2 all q=3 t=30m seed 1', 'velero-1.17 c=2 all q=6 t=30m seed 1', 'velero-1.17 c=2 all q=12 t=30m seed 1'],
      ['velero-1.17 c=2 all q=1 t=30m seed 1'],
      ['velero-1.17 c=2 all q=3 t=30m seed 2'],
    ]);
    expect(r.flows[0].recommended?.setting['prepare-queue-length']).toBe(3);
  });

  it('window 400 s: nothing runs, and the limit is the largest PVC', async () => {
    const { run, stages } = fakeRunner(() => ({ makespan: 0, idle: 0 }));
    const r = await search(ctx({ windowSeconds: 400 }), run);
    expect(stages.flatMap((s) => s.jobs)).toEqual([]);
    expect(r.flows.map((f) => f.limit?.kind)).toEqual(['pvc-size', 'pvc-size']);
  });

  it('DataUploads failed by the prepare timeout: it is tried at the window, with each queue; the one that holds is recommended', async () => {
    const w = 2 * 3600;
    const { run, stages } = fakeRunner((j) => (j.params['prepare-timeout'] === '30m' ? { makespan: 500, idle: 50, lostTo: 'prepare-timeout' } : { makespan: 460, idle: 200 }));
    const r = await search(ctx({ flows: ['velero-1.16'], windowSeconds: w }), run);
    // Window 2 h: every grid point may meet it and runs. All tie; the two best are those that change
    // least (the user's own, then the first in grid order), each tuned with the raised timeout
    // only: velero-1.16 has no queue.
    expect(stages[0].jobs).toHaveLength(6);
    expect(stages[1].jobs.map(settingOf)).toEqual(['velero-1.16 c=1 configured q=4 t=2h seed 1', 'velero-1.16 c=1 all q=4 t=2h seed 1']);
    // Both hold with the same figures: the one that changes only the timeout.
    expect(r.flows[0].recommended?.setting).toMatchObject({ concurrency: 1, 'data-mover-nodes': 'configured', 'prepare-timeout': '2h' });
  });

  it('the best on seed 1 fails seed 2: the next best is confirmed', async () => {
    // Window 600 s: of the grid, concurrency 2 on configured (bound 510 s) and on all nodes (410 s)
    // run. All holds less idle, but is late on seed 2.
    const { run, stages } = fakeRunner((j) => ({ makespan: j.seed === 2 && j.params['data-mover-nodes'] === 'all' ? 700 : 560, idle: j.params['data-mover-nodes'] === 'all' ? 5 : 10 }));
    const r = await search(ctx({ flows: ['velero-1.16'], windowSeconds: 600 }), run);
    expect(stages.slice(1).map((s) => s.jobs.map(settingOf))).toEqual([['velero-1.16 c=2 all q=4 t=30m seed 2'], ['velero-1.16 c=2 configured q=4 t=30m seed 2']]);
    expect(r.flows[0].recommended?.setting).toMatchObject({ concurrency: 2, 'data-mover-nodes': 'configured' });
  });

  it('a setting given with --param is held: not on the grid, not tuned', () => {
    const c = ctx({ held: new Set(['concurrency', 'prepare-queue-length']), base: { ...defaults(SYNTHETIC), concurrency: 2 } });
    expect(gridAxes(c, startingSetting(c))).toEqual([{ name: 'data-mover-nodes', values: ['configured', 'all', 'role=app'] }]);
    expect(tuningSettings(c, 'velero-1.17', startingSetting(c), 4, false)).toEqual([]);
  });
});
