// npm run sweep NAME [-- options]: a scenario's flows at every point of a grid of its parameters,
// all runs side by side; writes the sweep file and its page of heatmaps, prints the frontier.
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fs } from 'zx';
import { FLOW_NAMES } from '../../controller/flows/types.ts';
import { writeSweepReport } from '../../reports/sweep-html.ts';
import { writeIndex } from '../../reports/write.ts';
import { defaultJobs } from '../run/scenario-run.ts';
import { runSweep } from '../run/sweep-run.ts';
import { fileOption, flowsOption, knownScenario, runCommand, scenarioArgument, UsageError, wholeNumber } from './args.ts';
import { loadScenarioFile } from '../scenario/file/load.ts';
import { ScenarioFileError } from '../scenario/file/parse.ts';
import { loadScenarios, REPO_ROOT } from '../scenario/registry.ts';
import type { Scenario } from '../scenario/scenario.ts';
import { expandGrid, frontierTable, parseSweepParams, SweepError, sweepJson } from '../scenario/sweep.ts';

/** Most runs one sweep may ask for (points x flows x seeds). */
const MAX_RUNS = 10_000;

function usage(scenario?: Scenario): string {
  const common = `usage: npm run sweep NAME -- --param NAME=V1,V2,... [--param NAME=V1,V2,...] [options]
       npm run sweep -- --file my-backup.yaml --param NAME=V1,V2,... [options]

Runs the scenario's flows at every point of the grid (every combination of the --param values),
all the runs side by side, and writes reports/out/sweep-NAME/sweep.json and index.html: per flow,
heatmaps of timeouts, idle CPU core-seconds and makespan x lower bound over the first two swept
parameters, and the frontier: the first value of the first parameter at which each flow times out.

options:
  --file FILE         a scenario file (docs/scenario-file.md) instead of NAME
  --param NAME=V1,V2  a scenario parameter and the values to sweep it over (repeat for more
                      axes); given one value, the parameter is fixed at it, not swept
  --seeds N           seeds per point (default 1); each figure is the mean over them. Each
                      point has its own seeds: point i (in grid order, the last --param
                      changing fastest) runs seeds S+i*N .. S+i*N+N-1
  --seed S            the first seed, S above (default 1)
  --flows A,B         flows to run, of ${FLOW_NAMES.join(', ')} (default: the scenario's)
  --jobs N            runs at once, one in this process, the others each in a child process
                      of its own (default: up to twice the CPUs,
                      ${defaultJobs(Infinity)} here); 1 runs them one after another in this process
  --out DIR           where sweep.json and index.html go (default reports/out/sweep-NAME)
  --quiet             no progress lines
  --help              this text, and with NAME the scenario's parameters

A scenario with variants (issue-8316) is swept at its parameters' defaults, without the
variants: sweep the variants' parameter to see them side by side. The embedded cluster only.`;
  if (!scenario) return common;
  const own = scenario.params.map((p) => `  ${p.name.padEnd(26)}${p.description} (default ${JSON.stringify(p.default)})`).join('\n');
  return `${common}\n\n${scenario.name}: ${scenario.summary}\nits parameters:\n${own}`;
}

async function main(argv: string[]): Promise<number> {
  const scenarios = await loadScenarios();
  const { name, rest: args } = scenarioArgument(argv);
  const { file, rest } = fileOption(args);
  if (file !== undefined && name) throw new UsageError(`--file: a scenario file or a scenario name (${name}), not both`);
  if (!name && file === undefined) {
    console.log(usage());
    return rest.includes('--help') ? 0 : 2;
  }
  const scenario = file !== undefined ? await loadScenarioFile(file) : knownScenario(scenarios, name!);
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      param: { type: 'string', multiple: true },
      seeds: { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
      flows: { type: 'string' },
      jobs: { type: 'string' },
      out: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(usage(scenario));
    return 0;
  }
  const { axes, fixed } = parseSweepParams(scenario, values.param ?? []);
  const seedsPerPoint = wholeNumber('seeds', values.seeds, 1, 1000);
  const firstSeed = wholeNumber('seed', values.seed, 0, Number.MAX_SAFE_INTEGER);
  const flows = flowsOption(values.flows, scenario.flows);
  const runs = expandGrid(axes).length * flows.length * seedsPerPoint;
  if (runs > MAX_RUNS) throw new UsageError(`the sweep asks for ${runs} runs (points x flows x seeds), more than ${MAX_RUNS}: fewer values, flows or seeds`);
  const jobs = values.jobs === undefined ? defaultJobs(runs) : wholeNumber('jobs', values.jobs, 1, 64);
  if (scenario.variants?.length && !values.quiet) {
    const variantParams = [...new Set(scenario.variants.flatMap((v) => Object.keys(v.params)))];
    console.log(`${scenario.name}'s variants (${scenario.variants.map((v) => v.name).join(' | ')}) are not run: the sweep uses the parameters' defaults; sweep ${variantParams.join(', ')} to compare them.`);
  }
  const out = resolve(values.out ?? join(REPO_ROOT, 'reports', 'out', `sweep-${scenario.name}`));
  const sweep = await runSweep({ scenario, axes, fixed, flows, firstSeed, seedsPerPoint, jobs, quiet: !!values.quiet });
  await fs.mkdirp(out);
  const sweepFile = join(out, 'sweep.json');
  await fs.writeFile(sweepFile, sweepJson(sweep));
  const page = writeSweepReport(sweepFile);
  writeIndex(join(REPO_ROOT, 'reports', 'out'));
  const [first, second] = axes;
  console.log(`\nWhere each flow starts losing DataUploads: the first ${first.name} with mean failed, canceled or unfinished above 0${second ? `, per ${axes.slice(1).map((a) => a.name).join(' and ')}` : ''}\n`);
  console.log(frontierTable(sweep));
  console.log(`\n${sweep.points.length} points, ${runs} runs in ${sweep.wallSeconds} s`);
  console.log(`sweep:  ${sweepFile}`);
  console.log(`report: ${page}`);
  return 0;
}

runCommand('sweep', () => main(process.argv.slice(2)), [SweepError, ScenarioFileError]);
