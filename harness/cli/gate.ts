// npm run gate [-- --update-baseline] [--jobs N]: runs every scenario that declares gates, at
// its gate size, evaluates the gates against the committed baselines (reports/baselines/), prints
// a pass/fail line per gate, writes JUnit XML to reports/out/gate/junit.xml, and exits 1 on any
// failure. --update-baseline rewrites the baselines from this run, after a deliberate change.
// On a real cluster (--target kind|kubeconfig) the baselines, made on the embedded cluster, do
// not apply: only the absolute gates are evaluated (no timeouts, steady state), the others are
// listed as skipped, and so are scenarios with faults the target does not carry out.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { baselineOf, evaluateGates, junitXml, readBaseline, writeBaseline, type GateResult } from '../../reports/gates.ts';
import type { ClusterTarget } from '../run/flow-run.ts';
import { parseFaults } from '../chaos/faults.ts';
import { CARRIED_OUT } from '../chaos/kind-actions.ts';
import { defaultJobs, runSeeds } from '../run/scenario-run.ts';
import { faultNodes } from '../run/targets/embedded.ts';
import type { Scenario } from '../scenario/scenario.ts';
import { wholeNumber } from './args.ts';
import { CLUSTER_OPTIONS, CLUSTER_USAGE, clusterTargetOf } from './cluster-target.ts';
import { loadScenarios, REPO_ROOT } from '../scenario/registry.ts';

export const BASELINES = join(REPO_ROOT, 'reports', 'baselines');
const OUT = join(REPO_ROOT, 'reports', 'out', 'gate');

export async function runGates(opts: {
  update: boolean;
  jobs?: number;
  only?: string[];
  quiet?: boolean;
  log?: (line: string) => void;
  /** A real cluster: absolute gates only, scenarios whose faults it carries out only. */
  cluster?: { target: string; at: ClusterTarget };
}): Promise<{ ok: boolean; lines: string[]; junit: string }> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const all = [...(await loadScenarios()).values()].filter((s) => s.gate);
  for (const name of opts.only ?? []) if (!all.some((s) => s.name === name)) throw new Error(`--only: "${name}" is not accepted: the scenarios with gates are ${all.map((s) => s.name).join(', ')}`);
  if (opts.cluster && opts.update) throw new Error('--update-baseline: baselines come from the embedded cluster only; drop --target');
  let scenarios = all.filter((s) => !opts.only || opts.only.includes(s.name));
  const paramsOf = (scenario: Scenario) => ({ ...Object.fromEntries(scenario.params.map((p) => [p.name, p.default])), ...scenario.gate!.params });
  if (opts.cluster) {
    // Faults the target carries out run there (kind: node failure and pressure, node-agent
    // restarts, pod kills); a scenario with any other is skipped, naming them.
    const target = opts.cluster.at.target;
    const refused = new Map<Scenario, string[]>();
    for (const s of scenarios) {
      const e = s.build(paramsOf(s), 1);
      const not = parseFaults(e.faults, faultNodes(e.nodes)).filter((f) => !CARRIED_OUT[target].has(f.kind));
      if (not.length) refused.set(s, not.map((f) => `${f.name} (${f.kind})`));
    }
    for (const [s, names] of refused) log(`skip ${s.name}: --target ${target} does not carry out ${names.join(', ')}`);
    scenarios = scenarios.filter((s) => !refused.has(s));
  }
  const suites: { scenario: string; results: GateResult[]; seconds: number }[] = [];
  const lines: string[] = [];
  for (const scenario of scenarios) {
    const t0 = performance.now();
    const params = paramsOf(scenario);
    const njobs = scenario.variants ? scenario.variants.reduce((n, v) => n + (v.flows ?? scenario.flows).filter((f) => scenario.flows.includes(f)).length, 0) : scenario.flows.length;
    const [results] = await runSeeds({
      scenario,
      params,
      variants: scenario.variants,
      seeds: [1],
      flows: scenario.flows,
      target: opts.cluster?.target ?? 'embedded',
      jobs: opts.jobs ?? defaultJobs(njobs),
      quiet: opts.quiet ?? true,
      cluster: opts.cluster?.at,
    });
    const file = join(BASELINES, `${scenario.name}.json`);
    if (opts.update) {
      writeBaseline(file, baselineOf(results, scenario.gate!.gates));
      log(`${scenario.name}: baseline written to ${file}`);
    }
    let gates = scenario.gate!.gates;
    if (opts.cluster) {
      for (const g of gates.filter((g) => g.baseline)) log(`skip ${scenario.name}: ${g.flow} ${g.figure}: its limit comes from the embedded cluster's baseline`);
      gates = gates.filter((g) => !g.baseline);
    }
    const evaluated = evaluateGates(results, gates, opts.cluster ? undefined : readBaseline(file));
    for (const r of evaluated) {
      lines.push(r.line);
      log(r.line);
    }
    suites.push({ scenario: scenario.name, results: evaluated, seconds: (performance.now() - t0) / 1000 });
  }
  const junit = junitXml(suites);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'junit.xml'), junit);
  const failed = suites.flatMap((s) => s.results).filter((r) => !r.ok).length;
  log(failed ? `${failed} gate(s) failed (JUnit: ${join(OUT, 'junit.xml')})` : `all ${lines.length} gates pass (JUnit: ${join(OUT, 'junit.xml')})`);
  return { ok: failed === 0, lines, junit };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const usage = `usage: npm run gate [-- --update-baseline] [--jobs N] [--only SCENARIO,...] [--target T ...]

  --update-baseline   rewrite reports/baselines/ from this run (embedded cluster only)
  --jobs N            flow runs at once on the embedded cluster
  --only A,B          these scenarios only (default: every scenario with gates)
${CLUSTER_USAGE}
                      On a real cluster only the absolute gates are evaluated.`;
  let values: Record<string, unknown>;
  let cluster: ClusterTarget | undefined;
  try {
    values = parseArgs({ args: process.argv.slice(2), options: { 'update-baseline': { type: 'boolean' }, jobs: { type: 'string' }, only: { type: 'string' }, help: { type: 'boolean' }, ...CLUSTER_OPTIONS }, strict: true }).values;
    cluster = clusterTargetOf(String(values.target), values);
  } catch (e) {
    console.error(`gate: ${(e as Error).message}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  let jobs: number | undefined;
  try {
    jobs = values.jobs === undefined ? undefined : wholeNumber('jobs', String(values.jobs), 1, 64);
  } catch (e) {
    console.error(`gate: ${(e as Error).message}`);
    process.exit(2);
  }
  const t0 = performance.now();
  const only = values.only === undefined ? undefined : String(values.only).split(',');
  runGates({ update: !!values['update-baseline'], jobs, only, cluster: cluster && { target: String(values.target), at: cluster } }).then(
    (r) => {
      console.log(`(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      process.exit(r.ok ? 0 : 1);
    },
    (e) => {
      console.error(`gate: ${(e as Error).message}`);
      process.exit(2);
    },
  );
}
