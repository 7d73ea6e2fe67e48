// npm run advise -- --file my-backup.yaml [options]: the settings a user controls, searched over
// the embedded cluster; per flow the one that ends every DataUpload inside the window with the
// least idle, or what limits it; the node-agent ConfigMap to apply and the flags beside it.
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fs } from 'zx';
import { parseGoDuration } from '../../controller/duration.ts';
import { FLOW_NAMES } from '../../controller/flows/types.ts';
import { writeAdviceReport } from '../../reports/advise-html.ts';
import { adviceDocument, adviceText, ADVICE_SCHEMA } from '../advise/advice.ts';
import { advisedSettings, build, ITEM_OPERATION_TIMEOUT, type AdviseContext } from '../advise/candidates.ts';
import { boundNodes, settingBound } from '../advise/bound.ts';
import { poolBatch } from '../advise/run-batch.ts';
import { search } from '../advise/search.ts';
import { seconds } from '../advise/select.ts';
import { parseFaults } from '../chaos/faults.ts';
import { defaultJobs, codeVersion } from '../run/scenario-run.ts';
import { faultNodes } from '../run/targets/embedded.ts';
import { loadScenarioFile } from '../scenario/file/load.ts';
import { ScenarioFileError } from '../scenario/file/parse.ts';
import { loadScenarios, REPO_ROOT } from '../scenario/registry.ts';
import { parseParam, type ParamValues, type Scenario } from '../scenario/scenario.ts';
import { flowsOption, knownScenario, runCommand, scenarioArgument, UsageError, wholeNumber } from './args.ts';

/** Seeds by default: the recommendation must hold on each (docs/advise.md says why 3). */
const DEFAULT_SEEDS = 3;

function usage(): string {
  return `usage: npm run advise -- --file my-backup.yaml [options]
       npm run advise NAME [-- options]          (a shipped scenario, such as large-pvc)

Searches the settings you control over the embedded cluster, and recommends per flow the one
that ends every DataUpload inside the window with the least idle CPU (then memory, then time),
or says that none does and what limits it (bandwidth, slots, one large volume, the prepare
timeout, a quota...). Prints the node-agent ConfigMap for kubectl apply -f -, and the flags that
are not in it. Searched: loadConcurrency.globalConfig and where data movers run (a grid, each
point pruned without running when its lower bound exceeds the window), then prepareQueueLength
and the prepare timeout around each flow's best; the item operation timeout is set to at least
the window; pod requests are kept as yours. docs/advise.md has the details.

options:
  --file PATH         the scenario file (npm run capture writes one from your cluster)
  --window D          every DataUpload must end within D of the first one's creation, a Go
                      duration such as 6h or 90m (default: the file's item operation timeout)
  --seeds N           seeds the recommendation must hold on (default ${DEFAULT_SEEDS}): the first searches,
                      the others confirm
  --seed S            the first seed (default 1); seeds S..S+N-1
  --flows A,B         flows to advise, of ${FLOW_NAMES.join(', ')} (default: the file's)
  --param NAME=VALUE  a parameter of the scenario at this value; an advised setting given so is
                      held there, not searched (repeat for more)
  --jobs N            runs at once, one in this process and the others each in a child process
                      (default: up to twice the CPUs, ${defaultJobs(Infinity)} here); the advice does not depend on it
  --out DIR           where advise.json, the page and the ConfigMaps go (default reports/out/advise-NAME)
  --quiet             no progress lines
  --help              this text`;
}

/** --param NAME=VALUE, each checked against the scenario's declaration. */
function paramOptions(scenario: Scenario, specs: string[]): ParamValues {
  const out: ParamValues = {};
  const names = scenario.params.map((p) => p.name).join(', ');
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const name = spec.slice(0, Math.max(eq, 0));
    const decl = scenario.params.find((p) => p.name === name);
    if (eq <= 0 || !decl) throw new UsageError(`--param: ${JSON.stringify(spec)} is not accepted: NAME=VALUE with NAME one of ${names}`);
    if (name in out) throw new UsageError(`--param: ${name} is given twice: give it once`);
    out[name] = parseParam({ ...decl, name: `param ${name}` }, spec.slice(eq + 1));
  }
  return out;
}

function windowOption(raw: string | undefined, scenario: Scenario, base: ParamValues): number {
  const fallback = base[ITEM_OPERATION_TIMEOUT] ?? '4h';
  const text = raw ?? String(fallback);
  let ms: number;
  try {
    ms = parseGoDuration(text, '--window');
  } catch {
    ms = NaN;
  }
  if (!(ms > 0)) throw new UsageError(`--window: ${JSON.stringify(text)} is not accepted: a Go duration above 0, such as 6h or 90m${raw === undefined ? ` (the default, ${scenario.name}'s item-operation-timeout)` : ''}`);
  return ms / 1000;
}

const OPTIONS = {
  file: { type: 'string' },
  window: { type: 'string' },
  seeds: { type: 'string', default: String(DEFAULT_SEEDS) },
  seed: { type: 'string', default: '1' },
  flows: { type: 'string' },
  param: { type: 'string', multiple: true },
  jobs: { type: 'string' },
  out: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

/** The options, or a UsageError that lists them. */
function options(args: string[]) {
  try {
    return parseArgs({ args, strict: true, options: OPTIONS }).values;
  } catch (e) {
    throw new UsageError(`${(e as Error).message}; the options are ${Object.keys(OPTIONS).map((o) => `--${o}`).join(', ')} (npm run advise -- --help)`);
  }
}

async function main(argv: string[]): Promise<number> {
  const { name, rest } = scenarioArgument(argv);
  const values = options(rest);
  if (values.help) {
    console.log(usage());
    return 0;
  }
  if (name && values.file) throw new UsageError(`--file: give a scenario file or a shipped scenario's name (${name}), not both`);
  if (!name && !values.file) {
    console.log(usage());
    return 2;
  }
  const scenario = values.file ? await loadScenarioFile(values.file) : knownScenario(await loadScenarios(), name!);
  if (!advisedSettings(scenario).length) throw new UsageError(`${scenario.name} has none of the settings advise searches (concurrency, data-mover-nodes, prepare-queue-length, prepare-timeout, item-operation-timeout)`);
  const held = paramOptions(scenario, values.param ?? []);
  const base: ParamValues = { ...Object.fromEntries(scenario.params.map((p) => [p.name, p.default])), ...held };
  const seedCount = wholeNumber('seeds', values.seeds, 1, 20);
  const first = wholeNumber('seed', values.seed, 0, Number.MAX_SAFE_INTEGER - seedCount);
  const ctx: AdviseContext = {
    scenario,
    base,
    held: new Set(Object.keys(held)),
    flows: flowsOption(values.flows, scenario.flows),
    windowSeconds: windowOption(values.window, scenario, base),
    seeds: Array.from({ length: seedCount }, (_, i) => first + i),
  };
  // The user's own setting is checked before anything runs: a bad value fails here, not in a child.
  const experiment = build(ctx, {});
  parseFaults(experiment.faults, faultNodes(experiment.nodes));
  for (const flow of ctx.flows) {
    if (!settingBound(experiment, flow).nodes.length) {
      const nodes = boundNodes(experiment).map((n) => `${n.name} {${Object.entries(n.labels).filter(([k]) => !k.startsWith('kubernetes.io/')).map(([k, v]) => `${k}=${v}`).join(', ')}}`);
      throw new UsageError(`${flow}'s loadAffinity admits none of the nodes (${nodes.join('; ')}): no DataUpload could move; give data-mover-nodes a selector of these labels, or all`);
    }
  }
  const jobs = values.jobs === undefined ? defaultJobs(Infinity) : wholeNumber('jobs', values.jobs, 1, 64);
  const out = resolve(values.out ?? join(REPO_ROOT, 'reports', 'out', `advise-${scenario.name}`));
  const quiet = !!values.quiet;
  if (!quiet) console.log(`advise ${scenario.name}: ${experiment.pvcs.length} PVCs, ${ctx.flows.join(', ')}; every DataUpload within ${seconds(ctx.windowSeconds)} on seeds ${ctx.seeds.join(', ')}`);

  const t0 = performance.now();
  const result = await search(ctx, poolBatch({ jobs, quiet, windowSeconds: ctx.windowSeconds }));
  const advice = adviceDocument(ctx, result, { ...(scenario.file ? { file: scenario.file } : {}), codeVersion: codeVersion(), createdAt: new Date().toISOString(), wallSeconds: Math.round((performance.now() - t0) / 100) / 10 });

  await fs.mkdirp(out);
  const file = join(out, 'advise.json');
  await fs.writeFile(file, JSON.stringify(advice, null, 1) + '\n');
  for (const f of advice.advice) await fs.writeFile(join(out, `node-agent-config-${f.flow}.yaml`), f.applied.configMap);
  const page = writeAdviceReport(file);
  console.log(`\n${adviceText(advice)}`);
  console.log(`\n${advice.runs} runs in ${advice.wallSeconds} s (${ADVICE_SCHEMA})`);
  console.log(`advice: ${file}`);
  console.log(`page:   ${page}`);
  if (advice.printed) console.log(`apply:  kubectl apply -f ${join(out, `node-agent-config-${advice.printed.flow}.yaml`)}`);
  return 0;
}

runCommand('advise', () => main(process.argv.slice(2)), [ScenarioFileError]);
