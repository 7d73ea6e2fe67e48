// The chaos scenarios end to end on the embedded cluster (smaller than their defaults), as a
// user runs them: figures, faults and steady-state checks per flow; the same seed, the same figures.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Results } from '../scenario/results.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
function scenario(name: string, ...args: string[]): { stdout: string; results: Results } {
  const out = mkdtempSync(path.join(tmpdir(), `dmb-${name}-`));
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'harness/cli/scenario.ts'), name, '--out', out, '--quiet', ...args], {
    encoding: 'utf8',
    cwd: repoRoot,
    env: { ...process.env, CI: 'true' },
  });
  expect(r.status, r.stderr).toBe(0);
  return { stdout: r.stdout, results: JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as Results };
}

describe('chaos scenarios', () => {
  it.each(['node-pressure', 'node-failure', 'api-degraded', 'controller-restart', 'chaos-mix'])('%s runs every flow with its faults and steady-state checks', (name) => {
    const { stdout, results } = scenario(name, '--pvcs', '12', '--namespaces', '3');
    expect(results.flows.map((f) => f.flow)).toEqual(['velero-1.16', 'velero-1.17', 'deploying', 'pipelined']);
    for (const f of results.flows) {
      expect(f.figures.dataUploads).toBe(12);
      expect(f.faults.length).toBeGreaterThan(0);
      expect(f.faults.some((x) => x.startedAt !== null)).toBe(true);
      expect(f.steadyState.map((c) => c.name)).toEqual(['all-terminal', 'nothing-leaked', 'no-slot-held', 'failures-explained']);
    }
    expect(stdout).toMatch(/faults that happened/);
    expect(stdout).toMatch(/steady state/);
  }, 120_000);

  it('the same seed gives the same faults and figures', () => {
    const a = scenario('chaos-mix', '--pvcs', '12', '--namespaces', '3', '--seed', '4').results;
    const b = scenario('chaos-mix', '--pvcs', '12', '--namespaces', '3', '--seed', '4', '--jobs', '1').results;
    expect(b.flows.map((f) => [f.figures, f.faults, f.steadyState])).toEqual(a.flows.map((f) => [f.figures, f.faults, f.steadyState]));
  }, 180_000);
});
