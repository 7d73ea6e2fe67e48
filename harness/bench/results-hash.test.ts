import { describe, expect, it } from 'vitest';
import { figuresOnly, resultsHash } from './results-hash.ts';

const results = (over: Record<string, unknown> = {}) => ({
  schema: 'datamover-bench/results@3',
  codeVersion: 'abc123',
  createdAt: '2026-12-07T00:00:00Z',
  flows: [{ flow: 'deploying', wallSeconds: 12.5, cpuSeconds: 3.1, peakRssMiB: 300, simulatedSeconds: 900, figures: { completed: 10 }, faults: [{ name: 'api-load-0', load: { requests: 5 }, startedAt: 1 }], ...over }],
});

describe('resultsHash', () => {
  it('drops what the machine decides, at any depth, and keeps every figure', () => {
    expect(figuresOnly(results())).toEqual({ schema: 'datamover-bench/results@3', flows: [{ flow: 'deploying', simulatedSeconds: 900, figures: { completed: 10 }, faults: [{ name: 'api-load-0', startedAt: 1 }] }] });
  });

  it('is the same for another machine, commit or date, and differs when a figure does', () => {
    const a = resultsHash(results());
    expect(resultsHash({ ...results({ wallSeconds: 99, cpuSeconds: 50, peakRssMiB: 900 }), codeVersion: 'def456', createdAt: '2027-01-01T00:00:00Z' })).toBe(a);
    expect(resultsHash(results({ figures: { completed: 9 } }))).not.toBe(a);
    expect(resultsHash(results({ simulatedSeconds: 901 }))).not.toBe(a);
  });
});
