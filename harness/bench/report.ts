// The report's speed and size on this machine: large-pvc's results (one run of the scenario,
// three flows) into the HTML report. Targets: under 5 s, under 5 MB.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport } from '../../reports/write.ts';
import { REPO_ROOT } from '../scenario/registry.ts';
import type { Figure } from './apiserver.ts';

export async function benchReport(): Promise<Figure[]> {
  const out = mkdtempSync(join(tmpdir(), 'dmb-bench-report-'));
  try {
    console.log('npm run scenario large-pvc (for its results)');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'harness/cli/scenario.ts'), 'large-pvc', '--quiet', '--out', out], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm run scenario large-pvc: exit ${r.status}\n${r.stderr}`);
    const t0 = performance.now();
    const file = writeReport(join(out, 'results.json'));
    const seconds = (performance.now() - t0) / 1000;
    return [
      { name: 'large-pvc report: generation time', value: seconds, unit: 's', target: { value: 5, better: 'lower' } },
      { name: 'large-pvc report: file size', value: statSync(file).size / 1024 ** 2, unit: 'MiB', target: { value: 5, better: 'lower' } },
    ];
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
