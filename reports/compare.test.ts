import { describe, expect, it } from 'vitest';
import type { FlowResult, Results } from '../harness/scenario/results.ts';
import { compareRuns } from './compare.ts';

const run = (idle: number, timeouts: number, extra: FlowResult[] = []) =>
  ({
    scenario: 'large-pvc',
    seed: 1,
    codeVersion: 'v',
    flows: [{ flow: 'deploying', figures: { idleCpuCoreSeconds: idle, timeouts, latencySeconds: {} }, steadyState: [] }, ...extra],
  }) as unknown as Results;

describe('npm run compare', () => {
  it('puts two runs side by side with the change of each figure', () => {
    const text = compareRuns(run(100, 0), run(120, 2, [{ flow: 'velero-1.16', figures: {}, steadyState: [] } as unknown as FlowResult]), ['a.json', 'b.json']);
    expect(text).toMatch(/^A: a\.json \(large-pvc, seed 1, code v\)\nB: b\.json/);
    expect(text).toMatch(/idleCpuCoreSeconds\s+100\s+120\s+\+20\s+\+20%/);
    expect(text).toMatch(/timeouts\s+0\s+2\s+\+2\s*\n/);
    expect(text).toMatch(/velero-1\.16 \(only in B\)/);
  });
});
