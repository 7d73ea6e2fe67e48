import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.ts';
import { ApiFaults, type RequestInfo } from './faults.ts';

const list: RequestInfo = { verb: 'list', group: '', resource: 'pods', namespace: 'velero' };

function faults(): ApiFaults {
  const f = new ApiFaults(seededRandom(7));
  f.addRule({ latencyMs: 200, jitterMs: 300 });
  f.addRule({ verbs: ['list'], errorCode: 500, errorRate: 0.5 });
  return f;
}

describe('ApiFaults', () => {
  it('draws latency and errors for matching requests from the seeded generator', () => {
    const a = faults();
    const b = faults();
    const plans = Array.from({ length: 20 }, () => a.plan(list));
    expect(Array.from({ length: 20 }, () => b.plan(list))).toEqual(plans);
    for (const p of plans) expect(p.delayMs).toBeGreaterThanOrEqual(200);
    expect(new Set(plans.map((p) => p.delayMs)).size).toBeGreaterThan(1);
    expect(plans.some((p) => p.error) && plans.some((p) => !p.error)).toBe(true);
  });

  it('leaves the run\'s draws where they were however many background-load requests come between', () => {
    const quiet = faults();
    const loaded = faults();
    const expected = Array.from({ length: 20 }, () => quiet.plan(list));
    const got: ReturnType<ApiFaults['plan']>[] = [];
    for (let i = 0; i < 20; i++) {
      // The load gets faults too (it is slowed like any client), from its own draws.
      for (let j = 0; j < i % 4; j++) expect(loaded.plan({ ...list, background: true }).delayMs).toBeGreaterThanOrEqual(200);
      got.push(loaded.plan(list));
    }
    expect(got).toEqual(expected);
  });
});
