// npm run advise end to end on a scenario file small enough for a test: 6 PVCs of 2 GiB, one
// backup node and one app node (250 MiB/s each, 100 MiB/s per data mover), deploying only,
// concurrency 1 on the backup node, a window of 100 s, 2 seeds. The search runs in this process
// (--jobs 1) and through the command with --jobs 2: the advice is the same.
// Bounds (L = 1.02 s, 12288 MiB): one node at concurrency 1, 1.02 + 12288/100 = 123.9 s > 100 s
// (pruned: slots); at 2, 62.5 s; both nodes at 1, 62.5 s.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfigMapData } from '../../controller/config.ts';
import { heatmapsOf } from '../test/heatmap-cells.ts';
import { loadScenarioFile } from '../scenario/file/load.ts';
import { adviceDocument, type Advice } from './advice.ts';
import type { AdviseContext } from './candidates.ts';
import { poolBatch } from './run-batch.ts';
import { search } from './search.ts';
import { meetsWindow, ranked, type RunFigures } from './select.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const WINDOW = 100;

const FILE = `apiVersion: datamover-bench.io/v1alpha1
kind: Scenario
metadata: { name: advise-e2e }
flows: [deploying]
nodes:
  - { name: backup, count: 1, capacity: { cpu: "8", memory: 32Gi, pods: "110" }, labels: { role: backup } }
  - { name: app, count: 1, capacity: { cpu: "8", memory: 32Gi, pods: "110" }, labels: { role: app } }
pvcs:
${Array.from({ length: 6 }, (_, i) => `  - { namespace: apps, name: data-${i}, size: 2Gi }`).join('\n')}
nodeAgentConfig:
  loadConcurrency: { globalConfig: 1 }
  loadAffinity: [ { nodeSelector: { matchLabels: { role: backup } } } ]
  podResources: { cpuRequest: "1", cpuLimit: "0", memoryRequest: 1Gi, memoryLimit: "0" }
nodeAgent: { prepareTimeout: 30m }
server: { itemOperationTimeout: 4h }
`;

describe('npm run advise on a small scenario file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dmb-advise-'));
  const file = path.join(dir, 'small.yaml');
  writeFileSync(file, FILE);
  let advice: Advice;

  beforeAll(async () => {
    const scenario = await loadScenarioFile(file);
    const ctx: AdviseContext = { scenario, base: Object.fromEntries(scenario.params.map((p) => [p.name, p.default])), held: new Set(), flows: ['deploying'], windowSeconds: WINDOW, seeds: [1, 2] };
    const r = await search(ctx, poolBatch({ jobs: 1, quiet: true, windowSeconds: WINDOW }));
    advice = adviceDocument(ctx, r, { codeVersion: 'test', createdAt: '', wallSeconds: 0 });
  }, 120_000);

  it('the grid: concurrency 1-3 (3 x 100 MiB/s fills 250 MiB/s) on configured, all and role=app; one node at concurrency 1 is pruned, not run', () => {
    expect(advice.axes).toEqual([
      { name: 'concurrency', values: [1, 2, 3] },
      { name: 'data-mover-nodes', values: ['configured', 'all', 'role=app'] },
    ]);
    const pruned = advice.candidates.filter((c) => c.pruned);
    expect(pruned.map((c) => [c.setting.concurrency, c.setting['data-mover-nodes'], c.pruned, c.bound.makespanSeconds])).toEqual([
      [1, 'configured', 'slots', 123.9],
      [1, 'role=app', 'slots', 123.9],
    ]);
    for (const c of pruned) expect(c.runs).toEqual([]);
    // Every run's own bound is at least the one the search pruned with.
    for (const c of advice.candidates) for (const r of c.runs) expect(r.lowerBoundSeconds).toBeGreaterThanOrEqual(c.bound.makespanSeconds - 0.001);
  });

  it('the recommendation meets the window on both seeds; what ranked above it on seed 1 failed seed 2', () => {
    const f = advice.advice[0];
    expect(f.recommended, JSON.stringify(f.limit)).toBeDefined();
    const chosen = advice.candidates.find((c) => JSON.stringify(c.setting) === JSON.stringify(f.recommended!.setting))!;
    expect(chosen.runs.map((r) => r.seed)).toEqual([1, 2]);
    for (const r of chosen.runs) expect(meetsWindow(r, WINDOW)).toBe(true);
    expect(ranked(advice.candidates, [1, 2], WINDOW)[0]).toBe(chosen);
    const onSeed1 = ranked(advice.candidates, [1], WINDOW);
    for (const c of onSeed1.slice(0, onSeed1.indexOf(chosen))) {
      expect(c.runs.find((r) => r.seed === 2), JSON.stringify(c.setting)).toSatisfy((r: RunFigures | undefined) => r !== undefined && !meetsWindow(r, WINDOW));
    }
    const config = parseConfigMapData((parse(f.applied.configMap) as { data: Record<string, string> }).data, 'advice');
    expect(config.loadConcurrency.globalConfig).toBe(f.recommended!.setting.concurrency);
  });

  it('the command with --jobs 2 writes the same advice, prints the ConfigMap and writes the page', () => {
    const out = path.join(dir, 'out');
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'harness/cli/advise.ts'), '--file', file, '--window', '100s', '--seeds', '2', '--jobs', '2', '--out', out], { encoding: 'utf8', cwd: repoRoot, env: { ...process.env, CI: 'true' } });
    expect(r.status, r.stderr).toBe(0);
    const written = JSON.parse(readFileSync(path.join(out, 'advise.json'), 'utf8')) as Advice;
    const strip = (a: Advice) => ({ advice: a.advice, candidates: a.candidates.map((c) => ({ ...c, runs: c.runs.map(({ wallSeconds: _w, ...x }) => x) })) });
    expect(strip(written)).toEqual(strip(advice));
    expect(r.stdout).toMatch(/^deploying {2}meets the window: concurrency \d \(yours 1\)/m);
    expect(r.stdout).toContain('The node-agent ConfigMap for deploying, which Velero does not ship');
    expect(r.stdout).toMatch(/^---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n {2}name: node-agent-config\n {2}namespace: velero\ndata:\n {2}node-agent-config\.json: \|-\n/m);
    expect(r.stdout).toContain('--data-mover-prepare-timeout=30m');
    expect(r.stdout).toContain('--item-operation-timeout=4h');
    const page = readFileSync(path.join(out, 'index.html'), 'utf8');
    expect(page).toContain('data-verdict="deploying"');
    const maps = heatmapsOf(page);
    expect(maps.map((m) => m.figure)).toEqual(['makespan', 'lost', 'idle']);
    // Rows configured, all, role=app; columns concurrency 1-3: the two pruned cells show their bound.
    const makespan = maps[0].cells;
    expect(makespan.filter((c) => c === '≥124s')).toHaveLength(2);
    expect(maps[1].cells.filter((c) => c === 'pruned')).toHaveLength(2);
    // The chosen setting is framed, where it is on the grid.
    for (const m of maps) expect(m.frames).toBe(1);
  }, 120_000);
});
