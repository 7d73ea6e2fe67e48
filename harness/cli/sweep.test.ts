import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { frontier, SWEEP_SCHEMA, type Sweep } from '../scenario/sweep.ts';
import { heatmapsOf } from '../test/heatmap-cells.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'harness/cli/sweep.ts'), ...args], { encoding: 'utf8', cwd: repoRoot, env: { ...process.env, CI: 'true' } });

// large-pvc made small enough for a test: 2 GiB volumes, one backup node, a 1 min pod deadline
// (so velero-1.16 and 1.17 time out where pods wait for a slot), velero-1.17 with a queue of 2.
const SMALL = ['namespaces=1', 'median-gib=2', 'nodes=2', 'backup-nodes=1', 'pod-in-progress-timeout=1m', 'prepare-queue-length=2'].flatMap((p) => ['--param', p]);

describe('npm run sweep', () => {
  it.each([
    [['no-such', '--param', 'pvcs=1,2'], /^sweep: unknown scenario "no-such": the scenarios are api-degraded, chaos-mix/],
    // One mistake of each kind (every --param mistake is in harness/scenario/sweep.test.ts).
    [['large-pvc', '--param', 'pvcs=4,0'], /^sweep: --param pvcs: "0" is not accepted: a whole number >= 1 and <= 5000\n$/],
    [['large-pvc', '--param', 'pvcs=4,8', '--seeds', '0'], /^sweep: --seeds: "0" is not accepted: a whole number from 1 to 1000\n$/],
    [['large-pvc', '--param', 'pvcs=4,8', '--frobnicate'], /^sweep: Unknown option '--frobnicate'/],
    // A bad value only the scenario's build sees is still refused before any run.
    [['large-pvc', '--param', 'pvcs=4,8', '--param', 'prepare-timeout=5m,soon'], /^sweep: large-pvc at pvcs=4 prepare-timeout=soon: the node-agent config for velero-1\.16: datamoverBench\.prepareTimeout: "soon" is not accepted: a Go duration/],
    [['large-pvc', '--param', 'pvcs=1,2,3,4,5,6,7,8,9,10', '--param', 'concurrency=1,2,3,4,5,6,7,8,9,10', '--seeds', '400'], /^sweep: the sweep asks for 160000 runs \(points x flows x seeds\), more than 10000/],
  ])('refuses %j with exit 2, no stack, and a message naming what is wrong', (args, message) => {
    const r = cli(...args);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('without a scenario: the usage, exit 2; with --help and a scenario: its parameters, exit 0', () => {
    const none = cli();
    expect(none.status).toBe(2);
    expect(none.stdout).toMatch(/^usage: npm run sweep NAME -- --param NAME=V1,V2,\.\.\./);
    const help = cli('issue-8316', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/point i \(in grid order, the last --param\s+changing fastest\) runs seeds S\+i\*N \.\. S\+i\*N\+N-1/);
    expect(help.stdout).toMatch(/^ {2}size-gib {18}size of each PVC/m);
  });

  it('a 3 x 3 grid of large-pvc, four flows: sweep.json with each point on its own seed, the frontier printed, a page of 9 heatmaps of 9 labelled cells', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'dmb-sweep-'));
    const r = cli('large-pvc', '--param', 'pvcs=2,4,6', '--param', 'concurrency=1,2,3', ...SMALL, '--seed', '3', '--jobs', '1', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const sweep = JSON.parse(readFileSync(path.join(out, 'sweep.json'), 'utf8')) as Sweep;
    expect(sweep).toMatchObject({ schema: SWEEP_SCHEMA, scenario: 'large-pvc', axes: [{ name: 'pvcs', values: [2, 4, 6] }, { name: 'concurrency', values: [1, 2, 3] }], fixed: { namespaces: 1, 'backup-nodes': 1 }, flows: ['velero-1.16', 'velero-1.17', 'deploying', 'pipelined'], seeds: { first: 3, perPoint: 1 } });
    expect(sweep.parameters).toMatchObject({ 'median-gib': 2, 'prepare-timeout': '30m' });
    expect(sweep.parameters).not.toHaveProperty('pvcs');
    expect(sweep.points.map((p) => [p.params.pvcs, p.params.concurrency, p.seeds])).toEqual([
      [2, 1, [3]], [2, 2, [4]], [2, 3, [5]], [4, 1, [6]], [4, 2, [7]], [4, 3, [8]], [6, 1, [9]], [6, 2, [10]], [6, 3, [11]],
    ]);
    for (const p of sweep.points) {
      for (const flow of sweep.flows) {
        const { mean, runs } = p.flows[flow];
        expect(runs.map((x) => x.seed)).toEqual(p.seeds);
        for (const x of runs) expect(x.cpuSeconds).toBeGreaterThan(0);
        expect(mean.completed + mean.failed + mean.canceled + mean.unfinished).toBe(p.params.pvcs);
        expect(mean.makespanRatio).toBeGreaterThan(0.3);
      }
    }
    // What the sweep is for: velero-1.16's pods wait for the one slot past their deadline; deploying never times out.
    const rows = frontier(sweep);
    expect(rows.find((x) => x.flow === 'velero-1.16' && x.at.concurrency === 1)!.firstFailing).not.toBeNull();
    expect(rows.filter((x) => x.flow === 'deploying').map((x) => x.firstFailing)).toEqual([null, null, null]);
    expect(rows.filter((x) => x.flow === 'pipelined').map((x) => x.firstFailing)).toEqual([null, null, null]);
    expect(sweep.points.at(-1)!.flows['velero-1.16'].mean.idleCpuCoreSeconds).toBeGreaterThan(sweep.points.at(-1)!.flows['deploying'].mean.idleCpuCoreSeconds);

    // stdout: the progress (a line per point in CI), the frontier table as in the file, the paths.
    expect(r.stdout).toMatch(/^large-pvc sweep: 9 points \(pvcs 2,4,6 x concurrency 1,2,3\) x velero-1\.16, velero-1\.17, deploying, pipelined x 1 seed each \(seeds 3\.\.11\): 36 runs, 1 at once$/m);
    expect(r.stdout).toMatch(/^pvcs=6 concurrency=3 .*DataUploads ended .*timeouts: velero-1\.16 \d+(\.\d+)?, velero-1\.17 \d+(\.\d+)?, deploying 0, pipelined 0$/m);
    expect(r.stdout).toMatch(/^flow +concurrency +first failing pvcs$/m);
    for (const row of rows) {
      expect(r.stdout).toMatch(new RegExp(`^${row.flow.replace(/\./g, '\\.')} +${row.at.concurrency}  ${row.firstFailing ?? 'none up to 6'}$`, 'm'));
    }
    expect(r.stdout).toContain(`sweep:  ${path.join(out, 'sweep.json')}`);
    expect(r.stdout).toContain(`report: ${path.join(out, 'index.html')}`);

    const html = readFileSync(path.join(out, 'index.html'), 'utf8');
    const maps = heatmapsOf(html);
    expect(maps).toHaveLength(12);
    for (const m of maps) {
      expect(m.cells, `${m.flow} ${m.figure}`).toHaveLength(9);
      for (const c of m.cells) expect(c, `${m.flow} ${m.figure}`).toMatch(/^×?[\d,.]+$/);
      expect(m.frames).toBe(rows.filter((x) => x.flow === m.flow && x.firstFailing !== null).length);
    }
    expect(html).toMatch(/<p class="verdict[^"]*" data-verdict>Best: deploying \(every DataUpload completed at all 9 points/);
    expect(statSync(path.join(out, 'sweep.json')).size).toBeLessThan(40_000);
  }, 180_000);

  it('through the pool in child processes: the same means as in this process; with --seeds 2 each point its own two seeds, averaged', () => {
    const run = (jobs: string) => {
      const out = mkdtempSync(path.join(tmpdir(), 'dmb-sweep-pool-'));
      const r = cli('large-pvc', '--param', 'pvcs=3,5', '--param', 'concurrency=1', ...SMALL, '--flows', 'velero-1.16', '--seeds', '2', '--seed', '7', '--jobs', jobs, '--out', out, '--quiet');
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(readFileSync(path.join(out, 'sweep.json'), 'utf8')) as Sweep;
    };
    const pooled = run('2');
    expect(pooled.points.map((p) => p.seeds)).toEqual([[7, 8], [9, 10]]);
    for (const p of pooled.points) {
      const { mean, runs } = p.flows['velero-1.16'];
      expect(runs).toHaveLength(2);
      expect(mean.idleCpuCoreSeconds).toBeCloseTo((runs[0].idleCpuCoreSeconds + runs[1].idleCpuCoreSeconds) / 2, 2);
      expect(mean.timeouts).toBe((runs[0].timeouts + runs[1].timeouts) / 2);
    }
    const here = run('1');
    expect(here.points.map((p) => p.flows['velero-1.16'].mean)).toEqual(pooled.points.map((p) => p.flows['velero-1.16'].mean));
  }, 60_000);
});
