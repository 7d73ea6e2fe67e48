// npm run kind:down [-- --dry-run] [--name NAME]: deletes the kind target's cluster.
import { DOWN_HELP, downPlan, dryRunLines, OptionError, parseDownArgs, type DownOptions } from './plan.ts';
import { EXIT, runSteps, zxExec } from './run.ts';

async function main(args: string[]): Promise<number> {
  let opts: DownOptions | 'help';
  try {
    opts = parseDownArgs(args);
  } catch (e) {
    if (!(e instanceof OptionError)) throw e;
    console.error(`${e.message}\n(npm run kind:down -- --help)`);
    return EXIT.badOption;
  }
  if (opts === 'help') {
    process.stdout.write(DOWN_HELP);
    return EXIT.ok;
  }
  if (opts.dryRun) {
    for (const line of dryRunLines(downPlan(opts))) console.log(line);
    return EXIT.ok;
  }
  return runSteps('kind:down', downPlan(opts), { exec: zxExec, out: (l) => console.log(l), err: (l) => console.error(l) });
}

process.exitCode = await main(process.argv.slice(2));
