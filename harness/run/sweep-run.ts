// A sweep's runs: every grid point x flow x seed is one flow job, and all of them go through one
// pool (harness/run/pool.ts), so the grid runs side by side in child processes up to --jobs.
// Each run has its own cluster on its own virtual clock: the figures do not depend on --jobs.
// Progress is one line per point (its runs together); the result is the sweep file's document.
import { parseNodeAgentConfig } from '../../controller/config.ts';
import type { FlowName } from '../../controller/flows/types.ts';
import { parseFaults } from '../chaos/faults.ts';
import { ProgressBoard, progressMode } from '../cli/progress.ts';
import type { FlowResult } from '../scenario/results.ts';
import type { ParamValues, Scenario } from '../scenario/scenario.ts';
import { expandGrid, meanOf, pointLabel, pointSeeds, SWEEP_SCHEMA, sweepRunOf, type Sweep, type SweepAxis, type SweepRun } from '../scenario/sweep.ts';
import { faultNodes } from './targets/embedded.ts';
import { scenarioRef, type FlowJob } from './flow-run.ts';
import { runJobs } from './pool.ts';
import { codeVersion } from './scenario-run.ts';

export interface SweepOptions {
  scenario: Scenario;
  axes: SweepAxis[];
  /** Parameters given one value; the others not swept keep their defaults. */
  fixed: ParamValues;
  flows: FlowName[];
  firstSeed: number;
  seedsPerPoint: number;
  /** Runs at once; 1 runs them one after another in this process. */
  jobs: number;
  quiet: boolean;
}

/** The parameters of the sweep that are not swept: defaults, with the fixed ones over them. */
function sweepParameters(scenario: Scenario, axes: SweepAxis[], fixed: ParamValues): ParamValues {
  const swept = new Set(axes.map((a) => a.name));
  return Object.fromEntries(scenario.params.filter((p) => !swept.has(p.name)).map((p) => [p.name, p.name in fixed ? fixed[p.name] : p.default]));
}

export async function runSweep(o: SweepOptions): Promise<Sweep> {
  const { scenario, axes, flows } = o;
  const t0 = performance.now();
  const parameters = sweepParameters(scenario, axes, o.fixed);
  const points = expandGrid(axes).map((swept, i) => ({ swept, params: { ...parameters, ...swept }, seeds: pointSeeds(i, o.firstSeed, o.seedsPerPoint) }));
  // Every point's workload and node-agent configs are checked first, so a bad combination fails before any run.
  const pvcsAt = points.map((pt) => {
    const experiment = scenario.build(pt.params, pt.seeds[0]);
    for (const flow of flows) parseNodeAgentConfig(experiment.nodeAgentConfig(flow), `${scenario.name} at ${pointLabel(pt.swept)}: the node-agent config for ${flow}`);
    parseFaults(experiment.faults, faultNodes(experiment.nodes));
    return experiment.pvcs.length;
  });
  const jobs: (FlowJob & { point: number })[] = points.flatMap((pt, point) => pt.seeds.flatMap((seed) => flows.map((flow) => ({ ...scenarioRef(scenario), params: pt.params, seed, flow, point }))));
  const perPoint = flows.length * o.seedsPerPoint;
  /** A point's jobs: they are consecutive. */
  const jobsOf = (point: number) => Array.from({ length: perPoint }, (_, k) => point * perPoint + k);
  const lastSeed = o.firstSeed + points.length * o.seedsPerPoint - 1;
  if (!o.quiet) {
    console.log(
      `${scenario.name} sweep: ${points.length} points (${axes.map((a) => `${a.name} ${a.values.join(',')}`).join(' x ')}) x ${flows.join(', ')} x ${o.seedsPerPoint} seed${o.seedsPerPoint > 1 ? 's' : ''} each (seeds ${o.firstSeed}..${lastSeed}): ${jobs.length} runs, ${Math.min(o.jobs, jobs.length)} at once`,
    );
  }
  const board = new ProgressBoard(points.map((pt) => pointLabel(pt.swept)), progressMode(o.quiet));
  const state = points.map((_, i) => ({ started: false, left: perPoint, ended: new Map<number, number>(), simulated: 0, total: pvcsAt[i] * perPoint }));
  const runs: SweepRun[] = new Array(jobs.length);
  const progressOf = (point: number) => {
    const s = state[point];
    return { ended: [...s.ended.values()].reduce((a, b) => a + b, 0), total: s.total, simulatedSeconds: s.simulated };
  };
  await runJobs(jobs, {
    parallel: o.jobs,
    onStart: (j) => {
      const s = state[jobs[j].point];
      if (s.started) return;
      s.started = true;
      board.start(jobs[j].point);
    },
    onProgress: (j, p) => {
      const s = state[jobs[j].point];
      s.ended.set(j, p.ended);
      s.simulated = Math.max(s.simulated, p.simulatedSeconds);
      board.update(jobs[j].point, progressOf(jobs[j].point));
    },
    onEnd: (j, r: FlowResult) => {
      const point = jobs[j].point;
      const s = state[point];
      runs[j] = sweepRunOf(jobs[j].seed, r);
      s.ended.set(j, r.figures.dataUploads - r.figures.unfinished);
      s.simulated = Math.max(s.simulated, r.simulatedSeconds);
      if (--s.left) return;
      board.update(point, progressOf(point));
      board.end(point, pointNote(flows, jobsOf(point).map((k) => ({ flow: jobs[k].flow, run: runs[k] }))));
    },
  });
  return {
    schema: SWEEP_SCHEMA,
    scenario: scenario.name,
    target: 'embedded',
    axes,
    parameters,
    fixed: o.fixed,
    flows,
    seeds: { first: o.firstSeed, perPoint: o.seedsPerPoint },
    codeVersion: codeVersion(),
    createdAt: new Date().toISOString(),
    wallSeconds: Math.round((performance.now() - t0) / 100) / 10,
    points: points.map((pt, point) => ({
      params: pt.swept,
      seeds: pt.seeds,
      flows: Object.fromEntries(
        flows.map((flow) => {
          const mine = jobsOf(point).filter((j) => jobs[j].flow === flow).map((j) => runs[j]);
          return [flow, { mean: meanOf(mine), runs: mine }];
        }),
      ),
    })),
  };
}

/** A point's line when its runs have ended: mean timeouts per flow, and runs stopped at the deadline. */
function pointNote(flows: FlowName[], mine: { flow: FlowName; run: SweepRun }[]): string {
  const timeouts = flows.map((flow) => `${flow} ${meanOf(mine.filter((m) => m.flow === flow).map((m) => m.run)).timeouts}`);
  const stopped = mine.filter((m) => m.run.endedBy !== 'done').length;
  return `timeouts: ${timeouts.join(', ')}${stopped ? `; ${stopped} stopped at the deadline` : ''}`;
}
