// A scenario run: every flow (and variant) on every seed's workload, each on a fresh embedded
// cluster, side by side in child processes; one Results per seed. The scenario and gate
// commands share it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, freemem } from 'node:os';
import { join } from 'node:path';
import { parseNodeAgentConfig } from '../../controller/config.ts';
import type { FlowName } from '../../controller/flows/types.ts';
import { parseFaults } from '../chaos/faults.ts';
import { ProgressBoard, progressMode } from '../cli/progress.ts';
import { REPO_ROOT } from '../scenario/registry.ts';
import { columnOf, RESULTS_SCHEMA, type Results } from '../scenario/results.ts';
import type { ParamValues, Scenario, Variant } from '../scenario/scenario.ts';
import { scaleExperiment } from './targets/cluster.ts';
import { faultNodes } from './targets/embedded.ts';
import { scenarioRef, type ClusterTarget, type FlowJob } from './flow-run.ts';
import { runJobs } from './pool.ts';

const repoRoot = REPO_ROOT;

/**
 * Runs at once by default. The runs alternate between computing and waiting on their own
 * sockets, so more runs than CPUs still shortens the wall time (3 on 2 CPUs: large-pvc 46 s
 * against 57 s with 2); each takes up to about 1 GiB with 1,000 PVCs.
 */
export function defaultJobs(jobs: number): number {
  return Math.max(1, Math.min(jobs, 2 * availableParallelism(), Math.floor(freemem() / 1024 ** 3)));
}

export function codeVersion(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty', '--tags'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version;
  }
}

export interface SeedRuns {
  scenario: Scenario;
  params: ParamValues;
  variants?: Variant[];
  seeds: number[];
  flows: FlowName[];
  target: string;
  jobs: number;
  quiet: boolean;
  /** A real cluster (target kind or kubeconfig): the flows run there one after another. */
  cluster?: ClusterTarget;
}

/** Every flow on every seed's workload, each on a fresh embedded cluster; one Results per seed. */
export async function runSeeds(o: SeedRuns): Promise<Results[]> {
  const { scenario, params, seeds, flows } = o;
  const settings: { variant?: string; params: ParamValues; flows: FlowName[] }[] = o.variants
    ? o.variants.map((v) => ({ variant: v.name, params: { ...params, ...v.params }, flows: flows.filter((f) => !v.flows || v.flows.includes(f)) }))
    : [{ params, flows }];
  const cluster = o.cluster ? { cluster: o.cluster } : {};
  const jobs: FlowJob[] = seeds.flatMap((seed) => settings.flatMap(({ flows: its, ...s }) => its.map((flow) => ({ ...scenarioRef(scenario), ...s, seed, flow, ...cluster }))));
  // One cluster: its flows take turns, in this process.
  const parallel = o.cluster ? 1 : o.jobs;
  // Every setting's node-agent config is checked here, so a bad value fails before any run.
  for (const st of settings) {
    const experiment = scenario.build(st.params, seeds[0]);
    for (const flow of st.flows) parseNodeAgentConfig(experiment.nodeAgentConfig(flow), `${scenario.name}'s node-agent config for ${flow}`);
    parseFaults(experiment.faults, faultNodes(experiment.nodes));
  }
  const pvcs = scenario.build(params, seeds[0]).pvcs.length;
  if (!o.quiet) console.log(`${scenario.name}: ${pvcs} PVCs, ${flows.join(', ')}${o.variants ? `; ${o.variants.map((v) => v.name).join(' | ')}` : ''}; seed${seeds.length > 1 ? `s ${seeds[0]}..${seeds[seeds.length - 1]}` : ` ${seeds[0]}`}; ${o.cluster ? `on ${o.target}, one at a time, durations / ${o.cluster.scale.time}, sizes / ${o.cluster.scale.size}` : `${Math.min(parallel, jobs.length)} at once`}`);
  const board = new ProgressBoard(jobs.map((j) => `${columnOf(j)}${seeds.length > 1 ? ` seed ${j.seed}` : ''}`), progressMode(!!o.quiet), undefined, o.cluster ? 'equivalent' : 'simulated');
  const results = await runJobs(jobs, {
    parallel,
    onStart: (i) => board.start(i),
    onProgress: (i, p) => board.update(i, p),
    onEnd: (i, r) => board.end(i, r.endedBy === 'done' ? '' : `(stopped: ${r.endedBy})`),
  });
  const version = codeVersion();
  return seeds.map((seed) => {
    const experiment = scenario.build(params, seed);
    // Each setting's workload built once for its node-agent configs, not once per flow.
    const nodeAgentConfig = Object.fromEntries(
      settings.flatMap((st) => {
        const built = scenario.build(st.params, seed);
        return st.flows.map((flow) => [columnOf({ flow, variant: st.variant }), o.cluster ? scaleExperiment(built, flow, o.cluster.scale).nodeAgentConfig : built.nodeAgentConfig(flow)]);
      }),
    );
    return {
      schema: RESULTS_SCHEMA,
      scenario: scenario.name,
      seed,
      target: o.target,
      parameters: {
        ...params,
        flows,
        ...(o.variants ? { variants: o.variants } : {}),
        nodes: experiment.nodes,
        deadlineSeconds: experiment.deadlineSeconds,
        nodeAgentConfig,
        ...(o.cluster ? { clusterScale: o.cluster.scale, nodeAgents: o.cluster.nodeAgents } : {}),
      },
      codeVersion: version,
      createdAt: new Date().toISOString(),
      flows: results.filter((_, i) => jobs[i].seed === seed),
    };
  });
}

