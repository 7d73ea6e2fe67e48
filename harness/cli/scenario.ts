// npm run scenario NAME [-- options]: run a scenario's flows on one seeded workload, print the
// figures side by side and write the results file.
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fs } from 'zx';
import { FLOW_NAMES } from '../../controller/flows/types.ts';
import { writeIndex, writeReport } from '../../reports/write.ts';
import { parseFaults } from '../chaos/faults.ts';
import { checkFaultsForTarget, faultPlan } from '../chaos/kind-actions.ts';
import { faultNodes } from '../run/targets/embedded.ts';
import { ClusterRunError, KIND_SCALE } from '../run/targets/cluster.ts';
import { fileOption, flowsOption, knownScenario, runCommand, scenarioArgument, UsageError, wholeNumber } from './args.ts';
import { CLUSTER_OPTIONS, CLUSTER_USAGE, clusterTargetOf, scaleOption, TargetError } from './cluster-target.ts';
import { defaultJobs, runSeeds } from '../run/scenario-run.ts';
import { loadScenarios, REPO_ROOT } from '../scenario/registry.ts';
import { columnOf, faultLog, repeatTable, summarizeRepeats, summaryTable, type Results } from '../scenario/results.ts';
import { parseParam, type ParamValues, type Scenario } from '../scenario/scenario.ts';
import { loadScenarioFile } from '../scenario/file/load.ts';
import { ScenarioFileError } from '../scenario/file/parse.ts';
import { evaluateGates, type GateDecl } from '../../reports/gates.ts';

const repoRoot = REPO_ROOT;


function usage(scenario?: Scenario): string {
  const common = `usage: npm run scenario NAME [-- options]
       npm run scenario -- --file my-backup.yaml [options]
       npm run scenario -- --list

options:
  --file FILE         a scenario file (YAML or JSON: docs/scenario-file.md) instead of NAME;
                      npm run capture writes one from a live cluster
  --seed N            the seed of every random choice (default 1)
  --flows A,B         flows to run, of ${FLOW_NAMES.join(', ')} (default: the scenario's)
${CLUSTER_USAGE}
  --out DIR           where results.json goes (default reports/out/NAME)
  --repeat N          run seeds seed..seed+N-1: each figure's mean with a 95% confidence
                      interval, and paired per-PVC differences between the flows
  --jobs N            flow runs at once, one in this process and the others each in a child
                      process of its own (default: up to twice the
                      CPUs, ${defaultJobs(Infinity)} here, fewer if memory is short: about 1 GiB each);
                      1 runs them one after another in this process
  --dry-run           kind, kubeconfig: print the fault plan (times, nodes, commands) and stop
  --quiet             no progress lines
  --help              this text, and with NAME the scenario's own options`;
  if (!scenario) return common;
  const own = scenario.params.map((p) => `  --${p.name.padEnd(24)}${p.description} (default ${JSON.stringify(p.default)})`).join('\n');
  return `${common}\n\n${scenario.name}: ${scenario.summary}\n${own}`;
}

async function main(argv: string[]): Promise<number> {
  const scenarios = await loadScenarios();
  const { name, rest: args } = scenarioArgument(argv);
  const { file, rest } = fileOption(args);
  if (file !== undefined && name) throw new UsageError(`--file: a scenario file or a scenario name (${name}), not both`);
  if (rest.includes('--list')) {
    const width = Math.max(...[...scenarios.keys()].map((n) => n.length)) + 2;
    for (const s of scenarios.values()) console.log(`${s.name.padEnd(width)}${s.summary}`);
    return 0;
  }
  if (!name && file === undefined) {
    console.log(usage());
    return rest.includes('--help') ? 0 : 2;
  }
  const scenario = file !== undefined ? await loadScenarioFile(file) : knownScenario(scenarios, name!);
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      seed: { type: 'string', default: '1' },
      flows: { type: 'string' },
      out: { type: 'string' },
      repeat: { type: 'string', default: '1' },
      jobs: { type: 'string' },
      quiet: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean' },
      ...CLUSTER_OPTIONS,
      ...Object.fromEntries(scenario.params.map((p) => [p.name, { type: p.type === 'boolean' ? ('boolean' as const) : ('string' as const) }])),
    },
  });
  if (values.help) {
    console.log(usage(scenario));
    return 0;
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed: ${JSON.stringify(values.seed)} is not accepted: a whole number >= 0`);
  const flows = flowsOption(values.flows as string | undefined, scenario.flows);
  const params: ParamValues = {};
  const given = new Set<string>();
  for (const p of scenario.params) {
    const raw = (values as Record<string, string | boolean | undefined>)[p.name];
    if (raw !== undefined) given.add(p.name);
    params[p.name] = raw === undefined ? p.default : parseParam(p, raw);
  }
  // A variant's parameter set on the command line: one run with that value, no variants.
  const variantParamGiven = scenario.variants?.some((v) => Object.keys(v.params).some((k) => given.has(k)));
  const variants = variantParamGiven ? undefined : scenario.variants;
  if (values.target === 'kind' || values.target === 'kubeconfig') {
    for (const v of variants ?? [{ name: '', params: {} }]) {
      const experiment = scenario.build({ ...params, ...v.params }, seed);
      const faults = parseFaults(experiment.faults, faultNodes(experiment.nodes));
      // The schedule's faults must have an action there; say which do not before anything else.
      checkFaultsForTarget(faults, values.target as 'kind' | 'kubeconfig');
      if (values['dry-run']) {
        if (v.name) console.log(`${scenario.name} / ${v.name}:`);
        const plan = faults.length ? faultPlan(faults, { target: values.target as 'kind' | 'kubeconfig', timeScale: scaleOption(values, 'time-scale', KIND_SCALE.time) }) : ['no faults'];
        console.log(plan.join('\n'));
        continue;
      }
    }
  }
  if (values['dry-run']) {
    if (values.target !== 'kind' && values.target !== 'kubeconfig') throw new UsageError('--dry-run: only with --target kind or kubeconfig (on the embedded cluster a run is the dry run)');
    return 0;
  }
  // After the scenario's own checks, which need no cluster: the cluster the options name.
  const cluster = clusterTargetOf(values.target as string, values);
  const repeat = wholeNumber('repeat', String(values.repeat), 1, 1000);
  const out = resolve(values.out ? String(values.out) : join(repoRoot, 'reports', 'out', scenario.name));
  const jobsAtOnce = values.jobs === undefined ? defaultJobs(flows.length * repeat * (scenario.variants?.length ?? 1)) : wholeNumber('jobs', String(values.jobs), 1, 64);
  const seeds = Array.from({ length: repeat }, (_, i) => seed + i);
  const runs = await runSeeds({ scenario, params, variants: variants?.length ? variants : undefined, seeds, flows, target: String(values.target), jobs: jobsAtOnce, quiet: !!values.quiet, cluster });
  const results: Results = repeat > 1 ? { ...runs[0], repeat: summarizeRepeats(runs) } : runs[0];
  await fs.mkdirp(out);
  const resultsFile = join(out, 'results.json');
  await fs.writeFile(resultsFile, JSON.stringify(results, null, 2) + '\n');
  if (repeat > 1) {
    for (const r of runs) await fs.writeFile(join(out, `results-seed-${r.seed}.json`), JSON.stringify(r, null, 2) + '\n');
    console.log(`\n${repeatTable(results.repeat!)}\n`);
  } else {
    console.log(`\n${summaryTable(results)}\n`);
    if (cluster) console.log(`Times are wall seconds on ${values.target}, in a run scaled down: durations / ${cluster.scale.time}, sizes / ${cluster.scale.size}.\n`);
    const faults = faultLog(results);
    if (faults.length) console.log(`${faults.join('\n')}\n`);
    // PVCs Velero could not back up are no DataUpload of any figure: said here, or they are silently gone.
    for (const r of results.flows.filter((f) => f.itemErrors?.length)) {
      console.log(`${columnOf(r)}: ${r.itemErrors!.length} PVC(s) got no DataUpload (Velero's item errors): ${r.itemErrors!.slice(0, 3).join('; ')}${r.itemErrors!.length > 3 ? '; ...' : ''}`);
    }
  }
  if (repeat === 1) for (const line of scenario.explain?.(results.flows.map((r) => ({ flow: r.flow, variant: r.variant, ...r.figures }))) ?? []) console.log(line);
  console.log(`results: ${resultsFile}`);
  const report = writeReport(resultsFile);
  writeIndex(join(repoRoot, 'reports', 'out'));
  console.log(`report:  ${report}`);
  // A scenario file's own gates (no baseline): a CI job fails on them.
  if (scenario.file && scenario.gate?.gates.length && repeat === 1) {
    // A gate on a flow --flows left out is not checked (said so), rather than failed.
    const ran = new Set(results.flows.map(columnOf));
    const onRun = (g: GateDecl) => ran.has(g.flow) && (typeof g.value !== 'object' || ran.has(g.value.flow ?? g.flow));
    const gates = evaluateGates(results, scenario.gate.gates.filter(onRun));
    const skipped = scenario.gate.gates.filter((g) => !onRun(g));
    console.log(`\ngates of ${scenario.file}:\n${gates.map((g) => g.line).join('\n')}`);
    if (skipped.length) console.log(`not checked, their flows not run (--flows): ${skipped.map((g) => `${g.flow} ${g.figure}`).join(', ')}`);
    const failed = gates.filter((g) => !g.ok).length;
    if (failed) {
      console.log(`${failed} of ${gates.length} gates failed`);
      return 1;
    }
  }
  return 0;
}

runCommand('scenario', () => main(process.argv.slice(2)), [ClusterRunError, TargetError, ScenarioFileError]);
