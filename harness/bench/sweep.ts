// The sweep command's speed on this machine, timed as a user runs it (`npm run sweep`, a new
// process, default --jobs): a 3 x 3 grid of large-pvc, pvcs 30, 60, 120 x concurrency 1, 2, 4,
// four flows, 27 runs of 30 to 120 PVCs. Target: under 5 minutes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pointLabel, type Sweep } from '../scenario/sweep.ts';
import type { Figure } from './apiserver.ts';
import { timeCommand } from './command.ts';

const ARGS = ['large-pvc', '--param', 'pvcs=30,60,120', '--param', 'concurrency=1,2,4'];

export async function benchSweep(): Promise<Figure[]> {
  console.log(`npm run sweep ${ARGS[0]} -- ${ARGS.slice(1).join(' ')}`);
  return timeCommand('sweep', ARGS, (out, wall) => {
    const sweep = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as Sweep;
    let runWall = 0;
    for (const p of sweep.points) {
      const runs = Object.values(p.flows).flatMap((f) => f.runs);
      const pointWall = runs.reduce((a, x) => a + x.wallSeconds, 0);
      runWall += pointWall;
      console.log(`  ${pointLabel(p.params)}: timeouts ${sweep.flows.map((f) => `${f} ${p.flows[f].mean.timeouts}`).join(', ')}; ${runs.length} runs, ${pointWall.toFixed(1)} s of run wall time`);
    }
    const runs = sweep.points.length * sweep.flows.length * sweep.seeds.perPoint;
    return [
      { name: '3x3 sweep of large-pvc, 30-120 PVCs: wall time', value: wall, unit: 's', target: { value: 300, better: 'lower' } },
      { name: `runs finished per minute (${runs} runs)`, value: (runs / wall) * 60, unit: '/min' },
      { name: "runs' own wall time per wall second (side by side)", value: runWall / wall, unit: 'x' },
    ];
  });
}
