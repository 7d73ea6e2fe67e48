// The sweep command's speed on this machine, timed as a user runs it (`npm run sweep`, a new
// process, default --jobs): a 3 x 3 grid of large-pvc, pvcs 30, 60, 120 x concurrency 1, 2, 4,
// three flows, 27 runs of 30 to 120 PVCs. Target: under 5 minutes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../scenario/registry.ts';
import type { Sweep } from '../scenario/sweep.ts';
import type { Figure } from './apiserver.ts';

const ARGS = ['large-pvc', '--param', 'pvcs=30,60,120', '--param', 'concurrency=1,2,4'];

export async function benchSweep(): Promise<Figure[]> {
  const out = mkdtempSync(join(tmpdir(), 'dmb-bench-sweep-'));
  try {
    console.log(`npm run sweep ${ARGS[0]} -- ${ARGS.slice(1).join(' ')}`);
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'harness/cli/sweep.ts'), ...ARGS, '--quiet', '--out', out], { cwd: REPO_ROOT, encoding: 'utf8' });
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`npm run sweep ${ARGS.join(' ')}: exit ${r.status}\n${r.stderr}`);
    const sweep = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as Sweep;
    let runWall = 0;
    for (const p of sweep.points) {
      const runs = Object.values(p.flows).flatMap((f) => f.runs);
      runWall += runs.reduce((a, x) => a + x.wallSeconds, 0);
      console.log(`  ${Object.entries(p.params).map(([k, v]) => `${k}=${v}`).join(' ')}: timeouts ${sweep.flows.map((f) => `${f} ${p.flows[f].mean.timeouts}`).join(', ')}; ${runs.length} runs, ${runs.reduce((a, x) => a + x.wallSeconds, 0).toFixed(1)} s of run wall time`);
    }
    const runs = sweep.points.length * sweep.flows.length * sweep.seeds.perPoint;
    return [
      { name: '3x3 sweep of large-pvc, 30-120 PVCs: wall time', value: wall, unit: 's', target: { value: 300, better: 'lower' } },
      { name: `runs finished per minute (${runs} runs)`, value: (runs / wall) * 60, unit: '/min' },
      { name: "runs' own wall time per wall second (side by side)", value: runWall / wall, unit: 'x' },
    ];
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
