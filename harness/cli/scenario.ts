// npm run scenario NAME [-- options]: run a scenario's flows on one seeded workload, print the
// figures side by side and write the results file.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chalk, fs } from 'zx';
import { FLOW_NAMES, type FlowName } from '../../controller/flows/types.ts';
import { runBackup } from '../run/backup-run.ts';
import { ratio, repeatTable, RESULTS_SCHEMA, summarizeRepeats, summaryTable, type FlowResult, type Results } from '../scenario/results.ts';
import { ParamError, parseParam, type ParamValues, type Scenario } from '../scenario/scenario.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const scenariosDir = join(repoRoot, 'scenarios');
const TARGETS = ['embedded', 'kind', 'kubeconfig'];

class UsageError extends Error {}

async function loadScenarios(): Promise<Map<string, Scenario>> {
  const out = new Map<string, Scenario>();
  for (const f of readdirSync(scenariosDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort()) {
    const mod = (await import(pathToFileURL(join(scenariosDir, f)).href)) as { default: Scenario };
    out.set(mod.default.name, mod.default);
  }
  return out;
}

function usage(scenario?: Scenario): string {
  const common = `usage: npm run scenario NAME [-- options]
       npm run scenario -- --list

options:
  --seed N            the seed of every random choice (default 1)
  --flows A,B         flows to run, of ${FLOW_NAMES.join(', ')} (default: the scenario's)
  --target T          embedded (default); kind and kubeconfig arrive with the kind issue
  --out DIR           where results.json goes (default reports/out/NAME)
  --repeat N          run seeds seed..seed+N-1: each figure's mean with a 95% confidence
                      interval, and paired per-PVC differences between the flows
  --quiet             no progress lines
  --help              this text, and with NAME the scenario's own options`;
  if (!scenario) return common;
  const own = scenario.params.map((p) => `  --${p.name.padEnd(24)}${p.description} (default ${JSON.stringify(p.default)})`).join('\n');
  return `${common}\n\n${scenario.name}: ${scenario.summary}\n${own}`;
}

function codeVersion(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty', '--tags'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return JSON.parse(fs.readFileSync(join(repoRoot, 'package.json'), 'utf8')).version;
  }
}

async function main(argv: string[]): Promise<number> {
  const scenarios = await loadScenarios();
  const name = argv[0] && !argv[0].startsWith('-') ? argv[0] : undefined;
  const rest = name ? argv.slice(1) : argv;
  if (rest.includes('--list')) {
    for (const s of scenarios.values()) console.log(`${s.name.padEnd(14)}${s.summary}`);
    return 0;
  }
  if (!name) {
    console.log(usage());
    return rest.includes('--help') ? 0 : 2;
  }
  const scenario = scenarios.get(name);
  if (!scenario) throw new UsageError(`unknown scenario "${name}": the scenarios are ${[...scenarios.keys()].join(', ')} (npm run scenario -- --list)`);
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      seed: { type: 'string', default: '1' },
      flows: { type: 'string' },
      target: { type: 'string', default: 'embedded' },
      out: { type: 'string' },
      repeat: { type: 'string', default: '1' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean' },
      ...Object.fromEntries(scenario.params.map((p) => [p.name, { type: p.type === 'boolean' ? ('boolean' as const) : ('string' as const) }])),
    },
  });
  if (values.help) {
    console.log(usage(scenario));
    return 0;
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed: ${JSON.stringify(values.seed)} is not accepted: a whole number >= 0`);
  if (!TARGETS.includes(values.target as string)) throw new UsageError(`--target: ${JSON.stringify(values.target)} is not accepted: one of ${TARGETS.join(', ')}`);
  if (values.target !== 'embedded') throw new UsageError(`--target ${values.target}: not available yet; it arrives with the kind issue. Use --target embedded.`);
  const flows = (values.flows ? String(values.flows).split(',') : scenario.flows) as FlowName[];
  for (const f of flows) if (!FLOW_NAMES.includes(f)) throw new UsageError(`--flows: "${f}" is not accepted: the flows are ${FLOW_NAMES.join(', ')}`);
  const params: ParamValues = {};
  for (const p of scenario.params) {
    const raw = (values as Record<string, string | boolean | undefined>)[p.name];
    params[p.name] = raw === undefined ? p.default : parseParam(p, raw);
  }
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 1000) throw new UsageError(`--repeat: ${JSON.stringify(values.repeat)} is not accepted: a whole number from 1 to 1000`);
  const out = resolve(values.out ? String(values.out) : join(repoRoot, 'reports', 'out', scenario.name));
  const tty = process.stdout.isTTY && !values.quiet && !process.env.CI;
  const runs: Results[] = [];
  for (let i = 0; i < repeat; i++) {
    runs.push(await runSeed({ scenario, params, seed: seed + i, flows, target: String(values.target), quiet: !!values.quiet, tty }));
  }
  const results: Results = repeat > 1 ? { ...runs[0], repeat: summarizeRepeats(runs) } : runs[0];
  await fs.mkdirp(out);
  const file = join(out, 'results.json');
  await fs.writeFile(file, JSON.stringify(results, null, 2) + '\n');
  if (repeat > 1) {
    for (const r of runs) await fs.writeFile(join(out, `results-seed-${r.seed}.json`), JSON.stringify(r, null, 2) + '\n');
    console.log(`\n${repeatTable(results.repeat!)}\n`);
  } else console.log(`\n${summaryTable(results)}\n`);
  if (repeat === 1) for (const line of scenario.explain?.(results.flows.map((r) => ({ flow: r.flow, ...r.figures }))) ?? []) console.log(line);
  console.log(`results: ${file}`);
  return 0;
}

interface SeedRun {
  scenario: Scenario;
  params: ParamValues;
  seed: number;
  flows: FlowName[];
  target: string;
  quiet: boolean;
  tty: boolean;
}

/** Every flow on the seed's workload, each on a fresh embedded cluster. */
async function runSeed(o: SeedRun): Promise<Results> {
  const { scenario, params, seed, flows, tty } = o;
  const experiment = scenario.build(params, seed);

  const flowResults: FlowResult[] = [];
  for (const flow of flows) {
    if (!o.quiet) process.stdout.write(chalk.bold(`${flow}: `) + `${experiment.pvcs.length} PVCs, seed ${seed} ...${tty ? '' : '\n'}`);
    const r = await runBackup({
      seed,
      flow,
      nodes: experiment.nodes,
      pvcs: experiment.pvcs,
      nodeAgentConfig: experiment.nodeAgentConfig(flow),
      behaviour: experiment.behaviour,
      deadlineSeconds: experiment.deadlineSeconds,
      itemOperationTimeoutMs: experiment.itemOperationTimeoutMs,
    });
    if (tty) process.stdout.write(` ${r.figures.completed + r.figures.failed + r.figures.canceled}/${r.figures.dataUploads} ended, ${Math.round(r.simulatedSeconds)} s simulated, ${r.wallSeconds.toFixed(1)} s wall\n`);
    const f = r.figures;
    flowResults.push({
      flow,
      wallSeconds: Math.round(r.wallSeconds * 10) / 10,
      endedBy: r.endedBy,
      figures: {
        ...f,
        ratioToLowerBound: { makespan: ratio(f.makespanSeconds, f.lowerBound.makespanSeconds), idleCpuCoreSeconds: ratio(f.idleCpuCoreSeconds, f.lowerBound.idleCpuCoreSeconds) },
      },
      dataUploads: r.record.dataUploads.map(({ createdAt: _createdAt, outcome, reason, ...d }) => ({ ...d, outcome: outcome ?? null, reason: reason ?? null })),
    });
  }
  return {
    schema: RESULTS_SCHEMA,
    scenario: scenario.name,
    seed,
    target: o.target,
    parameters: { ...params, flows, nodes: experiment.nodes, deadlineSeconds: experiment.deadlineSeconds, nodeAgentConfig: Object.fromEntries(flows.map((fl) => [fl, experiment.nodeAgentConfig(fl)])) },
    codeVersion: codeVersion(),
    createdAt: new Date().toISOString(),
    flows: flowResults,
  };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    const known = e instanceof UsageError || e instanceof ParamError || (e as Error).name === 'ConfigError' || String((e as { code?: string }).code ?? '').startsWith('ERR_PARSE_ARGS');
    console.error(`scenario: ${(e as Error).message}`);
    if (!known) console.error((e as Error).stack);
    process.exit(known ? 2 : 1);
  },
);
