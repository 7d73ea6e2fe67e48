import { describe, expect, it } from 'vitest';
import { BENCH_SCHEMA, benchRecord, meets } from './record.ts';

describe('the bench record', () => {
  it('judges a figure against its target in the direction that is better, and not without one', () => {
    expect(meets({ name: 'x', value: 120, unit: 's', target: { value: 120, better: 'lower' } })).toBe(true);
    expect(meets({ name: 'x', value: 121, unit: 's', target: { value: 120, better: 'lower' } })).toBe(false);
    expect(meets({ name: 'x', value: 4999, unit: 'req/s', target: { value: 5000, better: 'higher' } })).toBe(false);
    expect(meets({ name: 'x', value: 5000, unit: 'req/s', target: { value: 5000, better: 'higher' } })).toBe(true);
    expect(meets({ name: 'x', value: 1, unit: 'x' })).toBeUndefined();
  });

  it('keeps every figure with its benchmark, target and verdict, counts the misses, and names the machine', () => {
    const r = benchRecord(
      [
        { bench: 'scale', figures: [{ name: 'wall', value: 98.6, unit: 's', target: { value: 120, better: 'lower' } }, { name: 'rate', value: 1825, unit: '/min' }] },
        { bench: 'apiserver', figures: [{ name: 'RSS', value: 556, unit: 'MB', target: { value: 500, better: 'lower' } }] },
      ],
      { before: 332.4, after: 365.6 },
      'abc1234',
      new Date('2026-11-27T10:00:00Z'),
    );
    expect(r.schema).toBe(BENCH_SCHEMA);
    expect(r.codeVersion).toBe('abc1234');
    expect(r.createdAt).toBe('2026-11-27T10:00:00.000Z');
    expect(r.figures).toEqual([
      { bench: 'scale', name: 'wall', value: 98.6, unit: 's', target: { value: 120, better: 'lower' }, pass: true },
      { bench: 'scale', name: 'rate', value: 1825, unit: '/min' },
      { bench: 'apiserver', name: 'RSS', value: 556, unit: 'MB', target: { value: 500, better: 'lower' }, pass: false },
    ]);
    expect(r.missed).toBe(1);
    expect(r.machine.referenceLoopMs).toEqual({ before: 332, after: 366 });
    expect(r.machine.cpus).toBeGreaterThan(0);
    expect(r.machine.node).toMatch(/^v\d+/);
  });
});
