// The scenarios' speed on this machine, timed as a user runs them (`npm run scenario`, a new
// process, default options): `large-pvc` with its three flows (target: under 60 s of wall time
// in all). The runs of thousands of PVCs are the scale benchmark's (harness/bench/scale.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../scenario/registry.ts';
import type { Results } from '../scenario/results.ts';
import type { Figure } from './apiserver.ts';

export function runScenario(args: string[]): { wall: number; results: Results } {
  const out = mkdtempSync(join(tmpdir(), 'dmb-bench-'));
  try {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'harness/cli/scenario.ts'), ...args, '--quiet', '--out', out], { cwd: REPO_ROOT, encoding: 'utf8' });
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`npm run scenario ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    for (const f of results.flows) {
      console.log(`  ${f.flow}: ${f.figures.dataUploads} DataUploads, ${f.figures.completed} completed, ${f.simulatedSeconds} s simulated in ${f.wallSeconds} s wall, peak RSS ${f.peakRssMiB} MiB`);
    }
    return { wall, results };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export async function benchScenario(): Promise<Figure[]> {
  console.log('npm run scenario large-pvc');
  const large = runScenario(['large-pvc']);
  const simulated = large.results.flows.reduce((a, f) => a + f.simulatedSeconds, 0);
  return [
    { name: 'large-pvc, three flows: wall time of the command', value: large.wall, unit: 's', target: { value: 60, better: 'lower' } },
    { name: 'large-pvc: simulated seconds per wall second', value: simulated / large.wall, unit: 'x' },
    { name: 'peak RSS of one flow run', value: Math.max(...large.results.flows.map((f) => f.peakRssMiB)), unit: 'MiB' },
  ];
}
