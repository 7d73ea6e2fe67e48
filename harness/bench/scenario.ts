// The scenarios' speed on this machine, timed as a user runs them (`npm run scenario`, a new
// process, default options): `large-pvc` with its four flows (target: under 60 s of wall time
// in all). The runs of thousands of PVCs are the scale benchmark's (harness/bench/scale.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Results } from '../scenario/results.ts';
import type { Figure } from './apiserver.ts';
import { timeCommand } from './command.ts';

export function runScenario(args: string[]): { wall: number; results: Results } {
  return timeCommand('scenario', args, (out, wall) => {
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    for (const f of results.flows) {
      console.log(`  ${f.flow}: ${f.figures.dataUploads} DataUploads, ${f.figures.completed} completed, ${f.simulatedSeconds} s simulated in ${f.wallSeconds} s wall, peak RSS ${f.peakRssMiB} MiB`);
    }
    return { wall, results };
  });
}

export async function benchScenario(): Promise<Figure[]> {
  console.log('npm run scenario large-pvc');
  const large = runScenario(['large-pvc']);
  const simulated = large.results.flows.reduce((a, f) => a + f.simulatedSeconds, 0);
  return [
    { name: 'large-pvc, four flows: wall time of the command', value: large.wall, unit: 's', target: { value: 60, better: 'lower' } },
    { name: 'large-pvc: simulated seconds per wall second', value: simulated / large.wall, unit: 'x' },
    { name: 'peak RSS of one flow run', value: Math.max(...large.results.flows.map((f) => f.peakRssMiB)), unit: 'MiB' },
  ];
}
