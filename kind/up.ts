// npm run kind:up [-- --dry-run] [--name NAME] [--skip-image] [--kwok N]: creates the kind
// target (UP_HELP says what, in which order). The steps are upPlan's; --dry-run prints them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CLUSTER_NAME, dryRunLines, OptionError, parseUpArgs, UP_HELP, upPlan, type UpOptions } from './plan.ts';
import { EXIT, runSteps, zxExec } from './run.ts';

const WORK_DIR_PREFIX = join(tmpdir(), 'datamover-bench-kind-');

async function main(args: string[]): Promise<number> {
  let opts: UpOptions | 'help';
  try {
    opts = parseUpArgs(args);
  } catch (e) {
    if (!(e instanceof OptionError)) throw e;
    console.error(`${e.message}\n(npm run kind:up -- --help)`);
    return EXIT.badOption;
  }
  if (opts === 'help') {
    process.stdout.write(UP_HELP);
    return EXIT.ok;
  }
  if (opts.dryRun) {
    // The real run's work directory comes from mkdtemp; XXXXXX stands for its random part.
    for (const line of dryRunLines(upPlan(opts, `${WORK_DIR_PREFIX}XXXXXX`))) console.log(line);
    return EXIT.ok;
  }
  const workDir = mkdtempSync(WORK_DIR_PREFIX);
  try {
    const code = await runSteps('kind:up', upPlan(opts, workDir), { exec: zxExec, out: (l) => console.log(l), err: (l) => console.error(l) });
    if (code === EXIT.stepFailed) {
      console.error(`Fix it and run npm run kind:up again (it reuses the cluster and re-applies the rest), or remove the cluster: npm run kind:down${opts.name === DEFAULT_CLUSTER_NAME ? '' : ` -- --name ${opts.name}`}`);
    }
    if (code === EXIT.ok) console.log(`kind cluster ${opts.name} is ready: kubectl context kind-${opts.name}`);
    return code;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

process.exitCode = await main(process.argv.slice(2));
