// For tests: a sweep with made-up figures over a grid, `timeouts(flow, point)` deciding each
// point's mean timeouts (and from them the other figures), one seed per point.
import type { ParamValues } from '../scenario/scenario.ts';
import { expandGrid, SWEEP_SCHEMA, type Sweep, type SweepAxis, type SweepFigures } from '../scenario/sweep.ts';

export function madeSweep(axes: SweepAxis[], flows: string[], timeouts: (flow: string, p: ParamValues) => number): Sweep {
  const figures = (t: number): SweepFigures => ({ timeouts: t, idleCpuCoreSeconds: 10 * t, idleMemoryGiBSeconds: 10 * t, makespanRatio: 1.1, completed: 10 - t, failed: t, canceled: 0, unfinished: 0, steadyStateFailures: 0 });
  return {
    schema: SWEEP_SCHEMA,
    scenario: 'large-pvc',
    target: 'embedded',
    axes,
    parameters: { namespaces: 2 },
    fixed: { namespaces: 2 },
    flows: flows as Sweep['flows'],
    seeds: { first: 1, perPoint: 1 },
    codeVersion: 'test',
    createdAt: '2026-01-01T00:00:00.000Z',
    wallSeconds: 1,
    points: expandGrid(axes).map((params, i) => ({
      params,
      seeds: [i + 1],
      flows: Object.fromEntries(flows.map((f) => [f, { mean: figures(timeouts(f, params)), runs: [] }])),
    })),
  };
}
