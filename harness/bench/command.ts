// Runs one of the project's commands as a user runs it (a new process, --quiet, its output in a
// temporary folder) and times it; the benchmark reads what it wrote before the folder goes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../scenario/registry.ts';

export function timeCommand<T>(command: 'scenario' | 'sweep', args: string[], read: (out: string, wallSeconds: number) => T): T {
  const out = mkdtempSync(join(tmpdir(), `dmb-bench-${command}-`));
  try {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, `harness/cli/${command}.ts`), ...args, '--quiet', '--out', out], { cwd: REPO_ROOT, encoding: 'utf8' });
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`npm run ${command} ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    return read(out, wall);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
