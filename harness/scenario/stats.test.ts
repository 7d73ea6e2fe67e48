import { describe, expect, it } from 'vitest';
import { meanCi, pairedDifference, t95 } from './stats.ts';

describe('mean and 95% confidence interval', () => {
  it('worked by hand: 2, 4, 6 -> mean 4, s = 2, half-width t(2) x 2 / sqrt(3) = 4.969', () => {
    expect(meanCi([2, 4, 6])).toEqual({ n: 3, mean: 4, ci95: [-0.969, 8.969] });
  });
  it('one value has no interval; none has nothing', () => {
    expect(meanCi([7])).toEqual({ n: 1, mean: 7, ci95: [7, 7] });
    expect(meanCi([])).toEqual({ n: 0, mean: 0, ci95: [0, 0] });
  });
  it('t quantiles: tabulated, between (the safe side), and the normal past 30', () => {
    expect(t95(1)).toBe(12.706);
    expect(t95(22)).toBe(2.086);
    expect(t95(100)).toBe(1.96);
  });
});

describe('paired differences', () => {
  it('pairs by key and ignores what only one side has', () => {
    const a = new Map([['s1/p1', 10], ['s1/p2', 20], ['s2/p1', 30], ['s2/p9', 99]]);
    const b = new Map([['s1/p1', 8], ['s1/p2', 18], ['s2/p1', 28]]);
    expect(pairedDifference(a, b)).toEqual({ n: 3, mean: 2, ci95: [2, 2] });
  });
});
