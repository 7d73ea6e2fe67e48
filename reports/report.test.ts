import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runFlowJob } from '../harness/run/flow-run.ts';
import { RESULTS_SCHEMA, summarizeRepeats, type Results } from '../harness/scenario/results.ts';
import { renderIndex, renderReport, verdict } from './html.ts';
import { madeSweep } from '../harness/test/made-sweep.ts';
import { sweepVerdict } from './sweep-html.ts';
import { loadResults, ResultsFileError, writeIndex } from './write.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');

let results: Results;
beforeAll(async () => {
  const params = { pvcs: 4, 'size-gib': 2, 'pod-in-progress-timeout': 'none', 'cpu-request': '1', 'memory-request': '1Gi', 'prepare-queue-length': 2 };
  const flows = await Promise.all((['velero-1.16', 'deploying'] as const).map((flow) => runFlowJob({ scenario: 'issue-8316', params, seed: 3, flow })));
  results = { schema: RESULTS_SCHEMA, scenario: 'issue-8316', seed: 3, target: 'embedded', parameters: params, codeVersion: 'test', createdAt: '2026-11-27T00:00:00Z', flows };
}, 60_000);

describe('the HTML report', () => {
  it('is self-contained: no script, no external reference', () => {
    const html = renderReport(results);
    expect(html).not.toMatch(/<script/i);
    expect(html.replace(/xmlns(:xlink)?="http:\/\/www\.w3\.org\/[^"]+"/g, '')).not.toMatch(/https?:\/\//);
  });

  it('has the verdict, the flows side by side, and every chart rendered with data and units', () => {
    const html = renderReport(results);
    expect(html).toMatch(/data-verdict>Best: (deploying|velero-1\.16)/);
    expect(html).toMatch(/<th>velero-1\.16<\/th><th>deploying<\/th>/);
    for (const chart of ['outcomes', 'latency-cdf', 'gantt', 'resources', 'pods-per-node']) {
      const figures = [...html.matchAll(new RegExp(`<figure data-chart="${chart}"><svg[^]*?</svg></figure>`, 'g'))].map((m) => m[0]);
      expect(figures.length, chart).toBeGreaterThan(0);
      // Data drawn: paths beyond the axes.
      for (const f of figures) expect((f.match(/<path/g) ?? []).length, chart).toBeGreaterThan(5);
    }
    for (const unit of ['simulated time (s)', 'CPU (cores)', 'pods', 'latency (s)', 'DataUploads ended (%)', 'DataUploads']) expect(html).toContain(unit);
  });

  it('shows the claims returned row only when a flow gave a claim back (deploying under a quota)', () => {
    expect(renderReport(results)).not.toContain('claims returned');
    const withReturns: Results = { ...results, flows: results.flows.map((f) => (f.flow === 'deploying' ? { ...f, figures: { ...f.figures, claimsReturned: 7 } } : f)) };
    expect(renderReport(withReturns)).toMatch(/<tr><td>claims returned \(data-mover pod refused by a quota\)<\/td><td>0<\/td><td>7<\/td><\/tr>/);
  });

  it('the verdict names the best flow and flags failed steady-state checks', () => {
    const bad = structuredClone(results);
    bad.flows[1].steadyState[2] = { name: 'no-slot-held', ok: false, detail: 'n1 holds x' };
    expect(verdict(bad)).toMatchObject({ bad: true, text: expect.stringContaining('Steady-state checks failed: deploying: no-slot-held') });
    expect(verdict(results).bad).toBe(false);
  });

  it('the verdict ranks by DataUploads not completed, whatever the reason, before idle', () => {
    // deploying (less idle) loses one DataUpload to a canceled pod, no timeout: it is not the best.
    const r = structuredClone(results);
    const [v16, dep] = r.flows;
    Object.assign(v16.figures, { dataUploads: 4, completed: 4, failed: 0, canceled: 0, unfinished: 0, timeouts: 0, idleCpuCoreSeconds: 500 });
    Object.assign(dep.figures, { dataUploads: 4, completed: 3, failed: 0, canceled: 1, unfinished: 0, timeouts: 0, idleCpuCoreSeconds: 10 });
    expect(verdict(r).text).toBe('Best: velero-1.16 (4 of 4 completed, 0 timeouts, 500 idle CPU core-s). deploying: 3 of 4 completed, 0 timeouts, 10 idle CPU core-s.');
  });

  it('with --repeat: means with their 95% intervals as charts, and the paired differences', () => {
    const other = structuredClone(results);
    other.seed = 4;
    other.flows[0].figures.idleCpuCoreSeconds *= 1.5;
    const html = renderReport({ ...results, repeat: summarizeRepeats([results, other]) });
    for (const chart of ['repeat-timeouts', 'repeat-idle', 'repeat-makespan']) {
      const fig = new RegExp(`<figure data-chart="${chart}"><svg[^]*?</svg></figure>`).exec(html)?.[0];
      expect(fig, chart).toBeDefined();
      expect((fig!.match(/<path/g) ?? []).length, chart).toBeGreaterThan(4);
    }
    expect(html).toMatch(/Idle CPU: mean over seeds 3\.\.4, 95% interval/);
    expect(html).toMatch(/velero-1\.16 - deploying, per seed \(its mean over PVCs\), 2 seeds: latency/);
  });

  it('writes the index even where reports/out does not exist yet (a fresh clone)', () => {
    const root = path.join(mkdtempSync(path.join(tmpdir(), 'dmb-index-')), 'out');
    expect(writeIndex(root)).toMatchObject({ file: path.join(root, 'index.html'), skipped: [] });
  });

  it('the index links every run, with its target', () => {
    const html = renderIndex([{ href: 'issue-8316/index.html', results }]);
    expect(html).toMatch(/<a href="issue-8316\/index\.html">issue-8316<\/a><\/td><td>embedded<\/td>/);
    expect(html).not.toContain('<h2>Sweeps</h2>');
  });

  it('the index lists the sweeps found beside the runs: grid, points and verdict', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'dmb-index-sweep-'));
    const sweep = madeSweep([{ name: 'pvcs', values: [30, 60, 120] }, { name: 'concurrency', values: [1, 2, 4] }], ['velero-1.16', 'deploying'], (f, p) => (f === 'velero-1.16' && Number(p.pvcs) >= 60 ? 3 : 0));
    mkdirSync(path.join(root, 'sweep-large-pvc'));
    writeFileSync(path.join(root, 'sweep-large-pvc', 'sweep.json'), JSON.stringify(sweep));
    mkdirSync(path.join(root, 'sweep-broken'));
    writeFileSync(path.join(root, 'sweep-broken', 'sweep.json'), '{');
    const { file, skipped } = writeIndex(root);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('<h2>Sweeps</h2>');
    expect(html).toMatch(/<a href="sweep-large-pvc\/index\.html">large-pvc<\/a><\/td><td>pvcs 30, 60, 120 × concurrency 1, 2, 4<\/td><td>9<\/td>/);
    expect(html).toContain(sweepVerdict(sweep).text);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toContain('sweep-broken');
  });
});

describe('results files', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dmb-report-'));
  const file = (name: string, text: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it.each([
    [path.join(dir, 'missing.json'), /missing\.json: no such file/],
    [file('corrupt.json', '{"schema": "datamover-bench/results@1", "flows": ['), /corrupt\.json: not valid JSON .*interrupted/],
    [file('other.json', '{"hello": 1}'), /other\.json: not a datamover-bench results file: "schema" is undefined, expected "datamover-bench\/results@3"/],
    [
      file('old.json', '{"schema": "datamover-bench/results@1", "flows": []}'),
      /old\.json: written by an older datamover-bench \("schema" is "datamover-bench\/results@1": its busy and idle figures took the DataUpload's InProgress phase for moving data .*\); this version reads "datamover-bench\/results@3": make it again with this version/,
    ],
    [file('noflows.json', JSON.stringify({ schema: RESULTS_SCHEMA, flows: [{}] })), /"flows" must be a list of flow results/],
  ])('%s gets a clear error', (f, message) => {
    expect(() => loadResults(f)).toThrow(ResultsFileError);
    expect(() => loadResults(f)).toThrow(message);
  });

  it('npm run report on a corrupt file: the message, exit 2, no stack trace', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'reports/cli.ts'), file('bad.json', 'nope')], { encoding: 'utf8', cwd: repoRoot });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^report: .*bad\.json: not valid JSON/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
