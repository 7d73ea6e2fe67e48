import { describe, expect, it } from 'vitest';
import { meanCi, pairedBySeed, t95, tCdf } from './stats.ts';

describe('mean and 95% confidence interval', () => {
  it('worked by hand: 2, 4, 6 -> mean 4, s = 2, half-width t(0.975; 2) x 2 / sqrt(3) = 4.302653 x 1.154701 = 4.968', () => {
    expect(meanCi([2, 4, 6])).toEqual({ n: 3, mean: 4, ci95: [-0.968, 8.968] });
  });
  it('one value has no interval; none has nothing', () => {
    expect(meanCi([7])).toEqual({ n: 1, mean: 7, ci95: [7, 7] });
    expect(meanCi([])).toEqual({ n: 0, mean: 0, ci95: [0, 0] });
  });
});

describe("Student's t, exact for every df", () => {
  // Quantiles t(0.975; df) from the standard tables (4 decimals).
  it.each([
    [1, 12.7062],
    [2, 4.3027],
    [5, 2.5706],
    [22, 2.0739],
    [30, 2.0423],
    [31, 2.0395],
    [60, 2.0003],
    [100, 1.984],
    [1000, 1.9623],
  ])('t(0.975; %i) = %f', (df, q) => expect(t95(df)).toBeCloseTo(q, 3));
  it('its CDF: symmetric, 0.5 at 0; df 1 is the Cauchy, P(T <= 1) = 0.75', () => {
    expect(tCdf(0, 7)).toBeCloseTo(0.5, 12);
    expect(tCdf(1, 1)).toBeCloseTo(0.75, 10);
    expect(tCdf(-2, 9) + tCdf(2, 9)).toBeCloseTo(1, 12);
  });
});

describe('paired differences, the seed as the unit', () => {
  const seeds = (...perSeed: [number, [string, number][]][]) => new Map(perSeed.map(([s, kv]) => [s, new Map(kv)]));

  it("each seed's mean over the PVCs both flows have, then t over the seeds", () => {
    const a = seeds([1, [['p1', 10], ['p2', 20], ['p9', 99]]], [2, [['p1', 30]]]);
    const b = seeds([1, [['p1', 8], ['p2', 16]]], [2, [['p1', 29]]]);
    // seed 1: (2 + 4) / 2 = 3; seed 2: 1; mean 2, s = sqrt(2), half-width 12.7062 x 1 = 12.706.
    expect(pairedBySeed(a, b)).toEqual({ n: 2, mean: 2, ci95: [-10.706, 14.706], pairs: 3 });
  });

  it('per-seed effects of +10, -9 and +2 s over 100 PVCs each: the interval contains 0 (pooled, it would not)', () => {
    const pvcs = (effect: number): [string, number][] => Array.from({ length: 100 }, (_, i) => [`p${i}`, 100 + effect + (i % 2 ? 0.5 : -0.5)]);
    const base = Array.from({ length: 100 }, (_, i): [string, number] => [`p${i}`, 100]);
    const r = pairedBySeed(seeds([1, pvcs(10)], [2, pvcs(-9)], [3, pvcs(2)]), seeds([1, base], [2, base], [3, base]));
    // mean 1, s = sqrt((81 + 100 + 1) / 2) = 9.539, half-width 4.3027 x 9.539 / sqrt(3) = 23.697.
    expect(r.n).toBe(3);
    expect(r.pairs).toBe(300);
    expect(r.mean).toBe(1);
    expect(r.ci95[0]).toBeCloseTo(-22.697, 2);
    expect(r.ci95[1]).toBeCloseTo(24.697, 2);
    expect(r.ci95[0]).toBeLessThan(0);
  });
});
