// A generated report in a real browser, with the network blocked: every chart is drawn with
// data, nothing is logged as an error, nothing is fetched; a screenshot goes to reports/out.
// The same for a sweep's page of heatmaps.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFlowJob } from '../harness/run/flow-run.ts';
import { runSweep } from '../harness/run/sweep-run.ts';
import { RESULTS_SCHEMA, type Results } from '../harness/scenario/results.ts';
import { parseSweepParams } from '../harness/scenario/sweep.ts';
import largePvc from '../scenarios/large-pvc.ts';
import { openOffline } from './browser.ts';
import { renderReport } from './html.ts';
import { renderSweep } from './sweep-html.ts';

const OUT = path.resolve(import.meta.dirname, 'out', 'browser-test');

describe('the report in chromium', () => {
  it('renders every chart with data, offline, without console errors', async () => {
    // A small chaos run, so the fault windows are drawn too.
    const params = { pvcs: 6, namespaces: 2, 'median-gib': 5, nodes: 4, 'backup-nodes': 2, concurrency: 1, 'prepare-queue-length': 2, 'cpu-request': '1', 'memory-request': '1Gi', 'prepare-timeout': '30m', 'item-operation-timeout': '4h', 'pod-in-progress-timeout': 'none', 'deadline-hours': 12 };
    const flows = [];
    for (const flow of ['velero-1.16', 'deploying'] as const) flows.push(await runFlowJob({ scenario: 'node-pressure', params, seed: 2, flow }));
    const results: Results = { schema: RESULTS_SCHEMA, scenario: 'node-pressure', seed: 2, target: 'embedded', parameters: params, codeVersion: 'browser-test', createdAt: new Date().toISOString(), flows };
    mkdirSync(OUT, { recursive: true });
    const file = path.join(OUT, 'index.html');
    writeFileSync(file, renderReport(results));

    const { browser, page, errors, fetched } = await openOffline(file, 1000);
    try {
      const charts = await page.$$eval('figure[data-chart]', (figs) =>
        figs.map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          return { chart: f.getAttribute('data-chart'), width: box?.width ?? 0, height: box?.height ?? 0, paths: svg?.querySelectorAll('path').length ?? 0, texts: [...(svg?.querySelectorAll('text') ?? [])].map((t) => t.textContent) };
        }),
      );
      expect(charts.map((c) => c.chart).sort()).toEqual(['backup-volumes', 'gantt', 'gantt', 'latency-cdf', 'outcomes', 'pods-per-node', 'pods-per-node', 'resources', 'resources']);
      for (const c of charts) {
        expect(c.width, c.chart!).toBeGreaterThan(300);
        expect(c.height, c.chart!).toBeGreaterThan(100);
        expect(c.paths, c.chart!).toBeGreaterThan(5);
      }
      // Fault windows are marked on the resources chart.
      expect(charts.filter((c) => c.chart === 'resources').some((c) => c.texts.some((t) => /node-memory-pressure/.test(t ?? '')))).toBe(true);
      expect(await page.textContent('[data-verdict]')).toMatch(/^Best: /);
      await page.screenshot({ path: path.join(OUT, 'report.png'), fullPage: true });
      expect(errors).toEqual([]);
      expect(fetched).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('the sweep page of a 3 x 3 grid: every flow x 3 heatmaps, each with 9 cells showing their value, offline, without console errors', async () => {
    // A real sweep, small enough to take seconds in this process: 9 points x every flow, 2 to 6 PVCs of 2 GiB.
    const { axes, fixed } = parseSweepParams(largePvc, ['pvcs=2,4,6', 'concurrency=1,2,3', 'namespaces=1', 'median-gib=2', 'nodes=2', 'backup-nodes=1', 'pod-in-progress-timeout=1m']);
    const sweep = await runSweep({ scenario: largePvc, axes, fixed, flows: largePvc.flows, firstSeed: 1, seedsPerPoint: 1, jobs: 1, quiet: true });
    mkdirSync(OUT, { recursive: true });
    const file = path.join(OUT, 'sweep.html');
    writeFileSync(file, renderSweep(sweep));

    const { browser, page, errors, fetched } = await openOffline(file, 1250);
    try {
      // Each heatmap as drawn: its cells (the heatmap series' shapes) and the label drawn inside each.
      const maps = await page.$$eval('figure[data-chart="heatmap"]', (figs) =>
        figs.map((f) => {
          const svg = f.querySelector('svg')!;
          const box = svg.getBoundingClientRect();
          const labels = [...svg.querySelectorAll('text')].map((t) => {
            const b = t.getBoundingClientRect();
            return { x: b.x + b.width / 2, y: b.y + b.height / 2, text: t.textContent ?? '' };
          });
          const cells = [...svg.querySelectorAll('path[ecmeta_series_index="0"]')].map((p) => {
            const b = p.getBoundingClientRect();
            const inside = labels.filter((l) => l.x > b.left && l.x < b.right && l.y > b.top && l.y < b.bottom).map((l) => l.text);
            return { width: b.width, height: b.height, fill: p.getAttribute('fill'), label: inside.join(' ') };
          });
          return { flow: f.getAttribute('data-flow'), figure: f.getAttribute('data-figure'), width: box.width, height: box.height, cells };
        }),
      );
      expect(maps.map((m) => `${m.flow} ${m.figure}`)).toEqual(largePvc.flows.flatMap((flow) => ['timeouts', 'idleCpuCoreSeconds', 'makespanRatio'].map((k) => `${flow} ${k}`)));
      for (const m of maps) {
        const what = `${m.flow} ${m.figure}`;
        expect(m.width, what).toBeGreaterThan(250);
        expect(m.cells, what).toHaveLength(9);
        for (const c of m.cells) {
          expect(c.width * c.height, what).toBeGreaterThan(500);
          expect(c.fill, what).toMatch(/^rgb/);
          expect(c.label, what).toMatch(/^×?[\d,.]+$/);
        }
      }
      expect(await page.textContent('[data-verdict]')).toMatch(/^Best: /);
      // The frontier: a row per flow and concurrency.
      expect(await page.$$eval('table[data-frontier] tbody tr', (rows) => rows.length)).toBe(largePvc.flows.length * 3);
      await page.screenshot({ path: path.join(OUT, 'sweep.png'), fullPage: true });
      expect(errors).toEqual([]);
      expect(fetched).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
