// The report's speed and size on this machine: large-pvc's results (one run of the scenario,
// four flows) into the HTML report. Targets: under 5 s, under 5 MB.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { writeReport } from '../../reports/write.ts';
import type { Figure } from './apiserver.ts';
import { timeCommand } from './command.ts';

export async function benchReport(): Promise<Figure[]> {
  console.log('npm run scenario large-pvc (for its results)');
  return timeCommand('scenario', ['large-pvc'], (out) => {
    const t0 = performance.now();
    const file = writeReport(join(out, 'results.json'));
    const seconds = (performance.now() - t0) / 1000;
    return [
      { name: 'large-pvc report: generation time', value: seconds, unit: 's', target: { value: 5, better: 'lower' } },
      { name: 'large-pvc report: file size', value: statSync(file).size / 1024 ** 2, unit: 'MiB', target: { value: 5, better: 'lower' } },
    ];
  });
}
