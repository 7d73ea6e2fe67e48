// npm run gate [-- --update-baseline] [--jobs N]: runs every scenario that declares gates, at
// its gate size, evaluates the gates against the committed baselines (reports/baselines/), prints
// a pass/fail line per gate, writes JUnit XML to reports/out/gate/junit.xml, and exits 1 on any
// failure. --update-baseline rewrites the baselines from this run, after a deliberate change.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { baselineOf, evaluateGates, junitXml, readBaseline, writeBaseline, type GateResult } from '../../reports/gates.ts';
import { defaultJobs, runSeeds } from '../run/scenario-run.ts';
import { loadScenarios, REPO_ROOT } from '../scenario/registry.ts';

export const BASELINES = join(REPO_ROOT, 'reports', 'baselines');
const OUT = join(REPO_ROOT, 'reports', 'out', 'gate');

export async function runGates(opts: { update: boolean; jobs?: number; only?: string[]; quiet?: boolean; log?: (line: string) => void }): Promise<{ ok: boolean; lines: string[]; junit: string }> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const scenarios = [...(await loadScenarios()).values()].filter((s) => s.gate && (!opts.only || opts.only.includes(s.name)));
  const suites: { scenario: string; results: GateResult[]; seconds: number }[] = [];
  const lines: string[] = [];
  for (const scenario of scenarios) {
    const t0 = performance.now();
    const params = { ...Object.fromEntries(scenario.params.map((p) => [p.name, p.default])), ...scenario.gate!.params };
    const njobs = scenario.flows.length * (scenario.variants?.length ?? 1);
    const [results] = await runSeeds({ scenario, params, variants: scenario.variants, seeds: [1], flows: scenario.flows, target: 'embedded', jobs: opts.jobs ?? defaultJobs(njobs), quiet: opts.quiet ?? true });
    const file = join(BASELINES, `${scenario.name}.json`);
    if (opts.update) {
      writeBaseline(file, baselineOf(results, scenario.gate!.gates));
      log(`${scenario.name}: baseline written to ${file}`);
    }
    const evaluated = evaluateGates(results, scenario.gate!.gates, readBaseline(file));
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
  const { values } = parseArgs({ args: process.argv.slice(2), options: { 'update-baseline': { type: 'boolean' }, jobs: { type: 'string' }, help: { type: 'boolean' } }, strict: true });
  if (values.help) {
    console.log('usage: npm run gate [-- --update-baseline] [--jobs N]');
    process.exit(0);
  }
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1 && jobs <= 64)) {
    console.error(`gate: --jobs: ${JSON.stringify(values.jobs)} is not accepted: a whole number from 1 to 64`);
    process.exit(2);
  }
  const t0 = performance.now();
  runGates({ update: !!values['update-baseline'], jobs }).then(
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
