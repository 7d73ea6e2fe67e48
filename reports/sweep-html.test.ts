import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { heatmapsOf } from '../harness/test/heatmap-cells.ts';
import { madeSweep } from '../harness/test/made-sweep.ts';
import { loadSweep, renderSweep, sweepVerdict } from './sweep-html.ts';

const FLOWS = ['velero-1.16', 'velero-1.17', 'deploying'];
const PVCS = { name: 'pvcs', values: [30, 60, 120] };
const CONCURRENCY = { name: 'concurrency', values: [1, 2, 4] };
// velero-1.16 times out from 60 PVCs per slot, velero-1.17 from 120, deploying never.
const timeouts = (flow: string, p: Record<string, unknown>) => {
  const perSlot = Number(p.pvcs) / Number(p.concurrency);
  return flow === 'velero-1.16' ? (perSlot >= 60 ? 12 : 0) : flow === 'velero-1.17' ? (perSlot >= 120 ? 2.5 : 0) : 0;
};

describe('the sweep page', () => {
  it('3 x 3: per flow a heatmap of timeouts, idle CPU and makespan, every cell labelled with its value, the frontier framed', () => {
    const html = renderSweep(madeSweep([PVCS, CONCURRENCY], FLOWS, timeouts));
    const maps = heatmapsOf(html);
    expect(maps.map((m) => `${m.flow} ${m.figure}`)).toEqual(FLOWS.flatMap((f) => ['timeouts', 'idleCpuCoreSeconds', 'makespanRatio'].map((k) => `${f} ${k}`)));
    for (const m of maps) expect(m.cells, `${m.flow} ${m.figure}`).toHaveLength(9);
    // Drawn bottom row first: concurrency 1 at pvcs 30, 60, 120; then concurrency 2, then 4.
    expect(maps[0].cells).toEqual(['0', '12', '12', '0', '0', '12', '0', '0', '0']);
    expect(maps.find((m) => m.flow === 'velero-1.17' && m.figure === 'timeouts')!.cells).toEqual(['0', '0', '2.5', '0', '0', '0', '0', '0', '0']);
    expect(maps.find((m) => m.figure === 'makespanRatio')!.cells.every((c) => c === '×1.10')).toBe(true);
    // Frames: velero-1.16 at (60, 1) and (120, 2); velero-1.17 at (120, 1); on each of the flow's three heatmaps.
    expect(maps.map((m) => m.frames)).toEqual([2, 2, 2, 1, 1, 1, 0, 0, 0]);
    expect(html).toMatch(/<th>first failing pvcs<\/th>/);
    expect(html).toContain('<tr><td>velero-1.16</td><td>1</td><td class="bad">60</td></tr>');
    expect(html).toContain('<tr><td>deploying</td><td>4</td><td class="">none up to 120</td></tr>');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('one swept parameter: a one-row heatmap per figure', () => {
    const maps = heatmapsOf(renderSweep(madeSweep([PVCS], FLOWS, (f, p) => timeouts(f, { ...p, concurrency: 1 }))));
    expect(maps).toHaveLength(9);
    for (const m of maps) expect(m.cells).toHaveLength(3);
    expect(maps[0].cells).toEqual(['0', '12', '12']);
    expect(maps[0].frames).toBe(1);
  });

  it('three swept parameters: a heatmap per value of the third, labelled', () => {
    const html = renderSweep(madeSweep([PVCS, CONCURRENCY, { name: 'backup-nodes', values: [1, 3] }], ['deploying'], () => 0));
    const maps = heatmapsOf(html);
    expect(maps.map((m) => `${m.slice} ${m.figure}`)).toEqual(['backup-nodes=1', 'backup-nodes=3'].flatMap((s) => ['timeouts', 'idleCpuCoreSeconds', 'makespanRatio'].map((k) => `${s} ${k}`)));
    expect(html).toContain('<h3>backup-nodes=1</h3>');
    expect(maps[0].svg).toContain('backup-nodes=1');
    for (const m of maps) expect(m.cells).toHaveLength(9);
  });

  it('the verdict ranks the flows by points where DataUploads were not completed, then idle CPU, and names where each starts', () => {
    const v = sweepVerdict(madeSweep([PVCS, CONCURRENCY], FLOWS, timeouts));
    expect(v.bad).toBe(false);
    expect(v.text).toBe(
      'Best: deploying (every DataUpload completed at all 9 points, 0 idle CPU core-s per point). velero-1.17: DataUploads not completed at 1 of 9 points (first: pvcs=120 concurrency=1), 2.8 idle CPU core-s per point. velero-1.16: DataUploads not completed at 3 of 9 points (first: pvcs=60 concurrency=1; pvcs=120 concurrency=2), 40 idle CPU core-s per point.',
    );
    const broken = madeSweep([PVCS, CONCURRENCY], FLOWS, () => 0);
    broken.points[4].flows['velero-1.16'].mean.steadyStateFailures = 1;
    expect(sweepVerdict(broken)).toMatchObject({ bad: true, text: expect.stringMatching(/Steady-state checks failed: velero-1\.16 at pvcs=60 concurrency=2\.$/) });
  });

  it('failures that are not timeouts count too: a flow that loses DataUploads to a node failure is not the best, and its frontier moves', () => {
    const s = madeSweep([PVCS, CONCURRENCY], FLOWS, timeouts);
    // deploying at pvcs=30, concurrency 2 and 4: no timeout, but 3 DataUploads canceled and 1 unfinished.
    for (const i of [1, 2]) Object.assign(s.points[i].flows['deploying'].mean, { canceled: 3, unfinished: 1, completed: 6 });
    expect(sweepVerdict(s).text).toMatch(/^Best: velero-1\.17 .* deploying: DataUploads not completed at 2 of 9 points \(first: pvcs=30 concurrency=2; pvcs=30 concurrency=4\)/);
    expect(renderSweep(s)).toContain('<tr><td>deploying</td><td>2</td><td class="bad">30</td></tr>');
  });

  it('a file that is not a sweep is refused with what is wrong', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dmb-sweep-html-'));
    const file = path.join(dir, 'sweep.json');
    expect(() => loadSweep(file)).toThrow(`${file}: no such file`);
    writeFileSync(file, '{"schema":"datamover-bench/results@1"}');
    expect(() => loadSweep(file)).toThrow(/not a datamover-bench sweep file: "schema" is "datamover-bench\/results@1", expected "datamover-bench\/sweep@3"/);
    writeFileSync(file, '{"schema":"datamover-bench/sweep@1"}');
    expect(() => loadSweep(file)).toThrow(/written by an older datamover-bench \("schema" is "datamover-bench\/sweep@1": its makespanRatio compared with the whole workload's bound/);
    writeFileSync(file, '{"schema":');
    expect(() => loadSweep(file)).toThrow(/not valid JSON/);
  });
});
