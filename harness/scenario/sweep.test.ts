import { describe, expect, it } from 'vitest';
import largePvc from '../../scenarios/large-pvc.ts';
import { madeSweep } from '../test/made-sweep.ts';
import { expandGrid, frontier, frontierTable, meanOf, parseSweepParams, pointSeeds, sweepJson, type SweepFigures } from './sweep.ts';

describe('the sweep grid', () => {
  it('is the cartesian product of the --param values, the last changing fastest; one value fixes a parameter', () => {
    const { axes, fixed } = parseSweepParams(largePvc, ['pvcs=30,60,120', 'concurrency=1,2', 'namespaces=2']);
    expect(axes).toEqual([{ name: 'pvcs', values: [30, 60, 120] }, { name: 'concurrency', values: [1, 2] }]);
    expect(fixed).toEqual({ namespaces: 2 });
    expect(expandGrid(axes)).toEqual([
      { pvcs: 30, concurrency: 1 }, { pvcs: 30, concurrency: 2 },
      { pvcs: 60, concurrency: 1 }, { pvcs: 60, concurrency: 2 },
      { pvcs: 120, concurrency: 1 }, { pvcs: 120, concurrency: 2 },
    ]);
    expect(expandGrid([{ name: 'cpu-request', values: ['500m', '1'] }])).toEqual([{ 'cpu-request': '500m' }, { 'cpu-request': '1' }]);
  });

  it('gives each point its own seeds: point i runs S+i*N .. S+i*N+N-1', () => {
    expect([0, 1, 2].map((i) => pointSeeds(i, 1, 1))).toEqual([[1], [2], [3]]);
    expect([0, 1, 2].map((i) => pointSeeds(i, 5, 3))).toEqual([[5, 6, 7], [8, 9, 10], [11, 12, 13]]);
  });

  it.each([
    [['pvcs'], /--param: "pvcs" is not accepted: NAME=VALUE,VALUE,\.\.\. such as pvcs=30,60,120; large-pvc's parameters are pvcs, median-gib, namespaces/],
    [['=1,2'], /--param: "=1,2" is not accepted/],
    [['frobs=1,2'], /--param: large-pvc has no parameter "frobs": its parameters are pvcs, median-gib, namespaces, nodes, backup-nodes, concurrency, prepare-queue-length, cpu-request, memory-request, prepare-timeout, item-operation-timeout, pod-in-progress-timeout, binding-mode, storage-topology, deadline-hours/],
    [['pvcs=30,0'], /^--param pvcs: "0" is not accepted: a whole number >= 1 and <= 5000$/],
    [['pvcs=30,,60'], /^--param pvcs: "" is not accepted: a whole number >= 1 and <= 5000$/],
    [['median-gib=big'], /^--param median-gib: "big" is not accepted: a number >= 0.01 and <= 10000$/],
    [['pvcs=30,60,30'], /--param pvcs: 30 is given twice: each value once/],
    [['pvcs=30,60', 'pvcs=120'], /--param: pvcs is given twice: give all its values in one --param/],
    [['namespaces=2'], /a sweep needs a --param with two or more values/],
    [[], /a sweep needs a --param with two or more values, such as --param pvcs=a,b,c; for one setting, npm run scenario large-pvc/],
  ])('refuses --param %j, naming the option, the value and what is accepted', (specs, message) => {
    expect(() => parseSweepParams(largePvc, specs)).toThrow(message);
  });

  it('averages each figure over the seeds; a makespan ratio without a bound stays unknown', () => {
    const run = (timeouts: number, makespanRatio: number | null): SweepFigures => ({ timeouts, idleCpuCoreSeconds: timeouts * 100, idleMemoryGiBSeconds: 1, makespanRatio, completed: 10 - timeouts, failed: timeouts, canceled: 0, unfinished: 0, steadyStateFailures: 0 });
    expect(meanOf([run(1, 1.2), run(2, 1.4)])).toEqual({ timeouts: 1.5, idleCpuCoreSeconds: 150, idleMemoryGiBSeconds: 1, makespanRatio: 1.3, completed: 8.5, failed: 1.5, canceled: 0, unfinished: 0, steadyStateFailures: 0 });
    expect(meanOf([run(1, 1.2), run(2, null)]).makespanRatio).toBeNull();
  });
});

describe('the frontier', () => {
  const axes = [{ name: 'pvcs', values: [30, 60, 120] }, { name: 'concurrency', values: [1, 2, 4] }];

  it('is the first value of the first axis with mean timeouts above 0, for each value of the second, per flow', () => {
    // velero-1.16 times out from 60 PVCs per slot; deploying never; velero-1.17 only at one point, off the diagonal.
    const sweep = madeSweep(axes, ['velero-1.16', 'velero-1.17', 'deploying'], (flow, p) =>
      flow === 'velero-1.16' ? (Number(p.pvcs) / Number(p.concurrency) >= 60 ? 3 : 0) : flow === 'velero-1.17' && p.pvcs === 60 && p.concurrency === 4 ? 0.5 : 0,
    );
    expect(frontier(sweep).map((r) => [r.flow, r.at.concurrency, r.firstFailing])).toEqual([
      ['velero-1.16', 1, 60], ['velero-1.16', 2, 120], ['velero-1.16', 4, null],
      ['velero-1.17', 1, null], ['velero-1.17', 2, null], ['velero-1.17', 4, 60],
      ['deploying', 1, null], ['deploying', 2, null], ['deploying', 4, null],
    ]);
    const table = frontierTable(sweep).split('\n');
    expect(table[0]).toMatch(/^flow\s+concurrency\s+first failing pvcs$/);
    expect(table).toContain('velero-1.16            1  60');
    expect(table).toContain('velero-1.16            4  none up to 120');
    expect(table.filter((l) => l.startsWith('deploying')).every((l) => l.endsWith('none up to 120'))).toBe(true);
  });

  it('follows the order the values were given, and the first failing point even if a later one does not fail', () => {
    const sweep = madeSweep([{ name: 'concurrency', values: [4, 2, 1] }], ['velero-1.16'], (_, p) => (p.concurrency === 2 ? 1 : 0));
    expect(frontier(sweep)).toEqual([{ flow: 'velero-1.16', at: {}, firstFailing: 2 }]);
    expect(frontierTable(sweep).split('\n')).toEqual(['flow         first failing concurrency', '-----------  -------------------------', 'velero-1.16  2']);
  });

  it('quotes string values, so a value named "none" reads as one', () => {
    const sweep = madeSweep([{ name: 'pod-in-progress-timeout', values: ['10m', 'none'] }, { name: 'pvcs', values: [3, 10] }], ['velero-1.16'], (_, p) => (p['pod-in-progress-timeout'] === '10m' && p.pvcs === 10 ? 4 : 0));
    expect(frontierTable(sweep).split('\n').slice(2)).toEqual(['velero-1.16     3  none up to "none"', 'velero-1.16    10  "10m"']);
  });

  it('with three axes: one row per value combination of the axes after the first', () => {
    const sweep = madeSweep([...axes, { name: 'backup-nodes', values: [1, 3] }], ['deploying'], (_, p) => (Number(p.pvcs) >= 120 && p['backup-nodes'] === 1 ? 1 : 0));
    const rows = frontier(sweep);
    expect(rows).toHaveLength(6);
    expect(rows.filter((r) => r.at['backup-nodes'] === 1).map((r) => r.firstFailing)).toEqual([120, 120, 120]);
    expect(rows.filter((r) => r.at['backup-nodes'] === 3).map((r) => r.firstFailing)).toEqual([null, null, null]);
  });

  it('the sweep file reads back as written, a run per line', () => {
    const sweep = madeSweep(axes, ['deploying'], () => 0);
    const text = sweepJson(sweep);
    expect(JSON.parse(text)).toEqual(sweep);
    expect(text).toMatch(/^ {6}"params": \{"pvcs":30,"concurrency":1\},$/m);
  });
});
