// The selection rule, on made-up runs: which settings meet the window on every seed, which one
// holds the least idle, how ties break, and what "none meets the window" names as the limit.
import { describe, expect, it } from 'vitest';
import { flowLimit, selectRecommendation, type Candidate, type RunFigures } from './select.ts';

const WINDOW = 1000;

function run(seed: number, o: Partial<RunFigures> = {}): RunFigures {
  return {
    seed,
    dataUploads: 10,
    completed: 10,
    failed: 0,
    canceled: 0,
    unfinished: 0,
    makespanSeconds: 900,
    idleCpuCoreSeconds: 100,
    idleMemoryGiBSeconds: 100,
    idlePendingCpuCoreSeconds: 0,
    outcomesByReason: {},
    lowerBoundSeconds: 800,
    makespanRatio: 1.1,
    timeouts: 0,
    endedBy: 'done',
    steadyStateFailures: 0,
    wallSeconds: 1,
    ...o,
  };
}

let order = 0;
function candidate(name: string, runs: RunFigures[], o: Partial<Candidate> = {}): Candidate {
  return {
    flow: 'velero-1.17',
    setting: { name },
    stage: 'grid',
    bound: { makespanSeconds: 800, unlimitedSlotsSeconds: 700, largestPvcSeconds: 100, slots: 4, nodes: ['a', 'b'] },
    runs,
    changed: 1,
    order: order++,
    ...o,
  };
}

const pick = (cs: Candidate[], seeds = [1, 2]) => selectRecommendation(cs, seeds, WINDOW)?.setting.name;

describe('the selection rule', () => {
  it('only a setting that meets the window on every seed: one late seed or one lost DataUpload rules it out, whatever its idle', () => {
    const holds = candidate('holds', [run(1), run(2)]);
    const lateOnSeed2 = candidate('late on seed 2', [run(1, { idleCpuCoreSeconds: 10 }), run(2, { makespanSeconds: 1000.5, idleCpuCoreSeconds: 10 })]);
    const lostOne = candidate('lost one', [run(1, { completed: 9, failed: 1, idleCpuCoreSeconds: 5 }), run(2, { idleCpuCoreSeconds: 5 })]);
    const unfinished = candidate('unfinished', [run(1, { completed: 9, unfinished: 1, idleCpuCoreSeconds: 5 }), run(2, { idleCpuCoreSeconds: 5 })]);
    expect(pick([lateOnSeed2, lostOne, unfinished, holds])).toBe('holds');
    // Exactly the window meets it.
    expect(pick([candidate('at the window', [run(1, { makespanSeconds: 1000 }), run(2, { makespanSeconds: 1000 })])])).toBe('at the window');
  });

  it('a setting not yet run on every seed is not recommended', () => {
    expect(pick([candidate('seed 1 only', [run(1, { idleCpuCoreSeconds: 1 })])])).toBeUndefined();
    expect(pick([candidate('seed 1 only', [run(1, { idleCpuCoreSeconds: 1 })]), candidate('both', [run(1), run(2)])])).toBe('both');
  });

  it('the least idle CPU, as the mean over the seeds, wins', () => {
    // 150 and 40 (mean 95) beats 100 and 100.
    expect(pick([candidate('steady', [run(1), run(2)]), candidate('mean 95', [run(1, { idleCpuCoreSeconds: 150 }), run(2, { idleCpuCoreSeconds: 40 })])])).toBe('mean 95');
  });

  it('ties: idle memory, then the worst makespan, then fewer settings changed, then search order', () => {
    const same = (name: string, o: Partial<RunFigures> = {}, c: Partial<Candidate> = {}) => candidate(name, [run(1, o), run(2, o)], c);
    expect(pick([same('more memory', { idleMemoryGiBSeconds: 120 }), same('less memory', { idleMemoryGiBSeconds: 80 })])).toBe('less memory');
    expect(pick([same('slower', { makespanSeconds: 950 }), same('faster', { makespanSeconds: 920 })])).toBe('faster');
    expect(pick([same('three changed', {}, { changed: 3 }), same('one changed', {}, { changed: 1 })])).toBe('one changed');
    expect(pick([same('first', {}, { order: 1 }), same('second', {}, { order: 2 })])).toBe('first');
    expect(pick([same('second', {}, { order: 2 }), same('first', {}, { order: 1 })])).toBe('first');
  });

  it('idle within 5% of the least is as good: the setting that changes fewer of yours wins there, and only there', () => {
    const idle = (name: string, x: number, changed: number) => candidate(name, [run(1, { idleCpuCoreSeconds: x }), run(2, { idleCpuCoreSeconds: x })], { changed });
    expect(pick([idle('least, 3 changed', 100, 3), idle('4.9% more, 1 changed', 104.9, 1)])).toBe('4.9% more, 1 changed');
    expect(pick([idle('least, 3 changed', 100, 3), idle('5.1% more, 1 changed', 105.1, 1)])).toBe('least, 3 changed');
    // Late on a seed is never "as good".
    expect(pick([idle('least, 3 changed', 100, 3), candidate('late, 0 changed', [run(1, { idleCpuCoreSeconds: 100 }), run(2, { makespanSeconds: 1001 })], { changed: 0 })])).toBe('least, 3 changed');
  });

  it('none meets: no recommendation', () => {
    expect(pick([candidate('late', [run(1, { makespanSeconds: 1200 }), run(2, { makespanSeconds: 1100 })])])).toBeUndefined();
  });
});

describe('"none meets the window" names the limit', () => {
  const pruned = (name: string, limit: Candidate['pruned'], bound: Partial<Candidate['bound']>) =>
    candidate(name, [], { pruned: limit, bound: { makespanSeconds: 2000, unlimitedSlotsSeconds: 1500, largestPvcSeconds: 100, slots: 2, nodes: ['a', 'b'], ...bound } });

  it('every setting pruned: the bound of the one that came closest says bandwidth, slots or one volume', () => {
    const { limit, closest } = flowLimit([pruned('far', 'bandwidth', { makespanSeconds: 3000, unlimitedSlotsSeconds: 2500 }), pruned('near', 'bandwidth', { makespanSeconds: 1500, unlimitedSlotsSeconds: 1200 })], [1], WINDOW);
    expect(closest).toBeUndefined();
    expect(limit.kind).toBe('bandwidth');
    expect(limit.text).toContain('even with unlimited slots the 2 nodes data movers may use need at least 1,200 s');
    expect(limit.text).toContain('admit more nodes');
    expect(flowLimit([pruned('slots', 'slots', { makespanSeconds: 1500, unlimitedSlotsSeconds: 900 })], [1], WINDOW).limit.text).toMatch(/^2 slots on 2 nodes need at least 1,500 s, more than the window 1,000 s; with unlimited slots 900 s: raise loadConcurrency$/);
    expect(flowLimit([pruned('volume', 'pvc-size', { largestPvcSeconds: 4000 })], [1], WINDOW).limit).toMatchObject({ kind: 'pvc-size', text: expect.stringContaining('the largest PVC alone takes at least 4,000 s (1.1 h)') });
  });

  it('the prepare timeout: the reason most of the closest run\'s lost DataUploads ended with', () => {
    const timedOut = candidate('timed out', [run(1, { completed: 6, failed: 4, timeouts: 4, outcomesByReason: { 'prepare-timeout': 3, 'pod-failed': 1 } })], { setting: { name: 'timed out', 'prepare-timeout': '4h' } });
    const worse = candidate('worse', [run(1, { completed: 2, failed: 8, outcomesByReason: { 'node-lost': 8 } })]);
    const { limit, closest } = flowLimit([worse, timedOut], [1], WINDOW);
    expect(closest?.setting.name).toBe('timed out');
    expect(limit).toEqual({ kind: 'prepare-timeout', text: '3 DataUploads failed by the prepare timeout (4h, the longest tried): they waited longer than it to start moving' });
  });

  it('a ResourceQuota, the item operation timeout, other failures, the deadline', () => {
    const one = (o: Partial<RunFigures>) => flowLimit([candidate('x', [run(1, { completed: 7, ...o })])], [1], WINDOW).limit.kind;
    expect(one({ failed: 3, outcomesByReason: { 'quota-exceeded': 3 } })).toBe('storage-quota');
    expect(one({ canceled: 3, outcomesByReason: { 'operation-timeout': 3 } })).toBe('item-operation-timeout');
    expect(one({ failed: 3, outcomesByReason: { 'node-lost': 2, 'pod-evicted': 1 } })).toBe('failures');
    expect(one({ unfinished: 3, endedBy: 'deadline' })).toBe('deadline');
  });

  it('every DataUpload completed, but late: the flow\'s own waits, with its distance to the bound', () => {
    const { limit } = flowLimit([candidate('late', [run(1, { makespanSeconds: 1300, lowerBoundSeconds: 650 })])], [1], WINDOW);
    expect(limit.kind).toBe('overhead');
    expect(limit.text).toContain('the last after 1,300 s, 300 s past the window; no flow can beat 650 s at this setting (65% of the window) and this one took x2.00 of it');
  });

  it('meets it on the first seed, not on another: the seeds', () => {
    const { limit } = flowLimit([candidate('fragile', [run(1), run(2, { makespanSeconds: 1010 }), run(3)])], [1, 2, 3], WINDOW);
    expect(limit).toMatchObject({ kind: 'seeds', text: expect.stringContaining('seed 2: makespan 1,010 s') });
  });
});
