// The re-checks of parked DataUploads: Velero requeues a DataUpload that waits for a slot every
// 5 s (data_upload_controller.go Reconcile, Prepared branch: ConcurrentLimitExceed ->
// RequeueAfter 5 s, v1.16.2 to v1.18.2), and each re-check's GetExposed GETs the backup PVC and
// its PV through the kube clientset (pkg/exposer/csi_snapshot.go GetExposed), whose CoreV1 bucket
// (client-go's 5 QPS / burst 10) every other core request of the node-agent shares.
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Clock, Timer } from '../clock.ts';
import { KubeIo } from '../kube/io.ts';
import { ClientThrottle, nodeAgentLimits, type RateLimit } from '../kube/rate-limit.ts';
import { RecheckLedger, type RecheckCost } from './recheck-ledger.ts';

const GET_EXPOSED: RecheckCost = { ref: { apiVersion: 'v1', resource: 'persistentvolumeclaims' }, requests: { get: 2 } };

class FixedClock implements Clock {
  constructor(public t = 0) {}
  now(): number {
    return this.t;
  }
  setTimer(): Timer {
    return { cancel() {} };
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
  }
}

function setup(limit?: RateLimit) {
  const clock = new FixedClock();
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: 'c', server: 'http://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
  const io = new KubeIo(kc, { who: 't', clock, ...(limit ? { throttle: new ClientThrottle(nodeAgentLimits(limit), clock) } : {}) });
  const ledger = new RecheckLedger(io, 5000);
  io.addDemand(GET_EXPOSED.ref, ledger);
  return { clock, io, ledger };
}

describe('the re-check ledger', () => {
  // Parked `everyMs` apart from 0; by 60 s each has re-checks due at +5, +10, ..., +55 s (11 of
  // them, 2 GETs each) as long as it was parked before 5 s.
  const rows: { name: string; limit?: RateLimit; parked: number; everyMs: number; untilMs: number; gets: number }[] = [
    { name: 'unlimited: every re-check on its 5 s grid', parked: 3, everyMs: 0, untilMs: 60_000, gets: 3 * 11 * 2 },
    // 2 GETs every 500 ms against 2.5 tokens made in 500 ms: none waits.
    { name: '10 waiting, 500 ms apart, at 5 QPS: 4 GETs/s, under the limit, all on time', limit: { qps: 5, burst: 10 }, parked: 10, everyMs: 500, untilMs: 60_000, gets: 10 * 11 * 2 },
  ];
  it.each(rows)('$name', ({ limit, parked, everyMs, untilMs, gets }) => {
    const { clock, io, ledger } = setup(limit);
    for (let i = 0; i < parked; i++) ledger.park(`du-${i}`, i * everyMs, GET_EXPOSED);
    clock.t = untilMs;
    ledger.settle(untilMs);
    expect(io.cost.modeled.get).toBe(gets);
    expect(io.cost.throttledMs).toBe(0);
  });

  it('30 waiting at 5 QPS ask 12 GETs/s: the re-checks fall behind, and the bucket bounds what goes out', () => {
    const { clock, io, ledger } = setup({ qps: 5, burst: 10 });
    for (let i = 0; i < 30; i++) ledger.park(`du-${i}`, 0, GET_EXPOSED);
    clock.t = 60_000;
    ledger.settle(60_000);
    // By hand: the first re-checks are due at 5 s; from then on demand exceeds supply, so every
    // token the bucket makes is spent: the 10 it holds plus 5/s for 55 s = 285 are spent by 60 s,
    // and a re-check due before 60 s may still wait past it, one per DataUpload at most (its
    // next is due 5 s after its tokens came): at most 285 + 30 x 2 = 345. Unthrottled: 660.
    expect(io.cost.modeled.get).toBeGreaterThanOrEqual(284);
    expect(io.cost.modeled.get).toBeLessThanOrEqual(345);
    expect(io.cost.throttled).toBeGreaterThan(0);
  });

  it('resumes a DataUpload at its next re-check: the 5 s grid, pushed later by the waits its re-checks had', () => {
    const { ledger } = setup({ qps: 1, burst: 2 });
    // One re-check per 5 s of 2 GETs at 1 QPS: due 5 s (tokens 2 + 5 refilled, capped at 2: none
    // waits), then 10 s (tokens 2), ...: all on time.
    ledger.park('a', 0, GET_EXPOSED);
    expect(ledger.unpark('a', 12_000)).toBe(15_000);
    // Three parked together need 6 tokens per 5 s of a bucket that gives 5: each round lags.
    const { ledger: l2, io } = setup({ qps: 1, burst: 2 });
    for (const n of ['a', 'b', 'c']) l2.park(n, 0, GET_EXPOSED);
    const due = l2.unpark('c', 40_000)!;
    expect(due).toBeGreaterThan(40_000);
    expect(due % 5000).not.toBe(0);
    expect(io.cost.throttledMs).toBeGreaterThan(0);
  });

  it('a cost-free wait (the caches only) keeps the plain 5 s grid and counts nothing', () => {
    const { ledger, io } = setup({ qps: 5, burst: 10 });
    ledger.park('a', 1000);
    expect(ledger.unpark('a', 1000)).toBe(6000);
    ledger.park('b', 1000);
    expect(ledger.unpark('b', 11_000)).toBe(11_000);
    ledger.park('c', 1000);
    expect(ledger.unpark('c', 11_001)).toBe(16_000);
    expect(io.cost.modeled.get).toBe(0);
  });

  it('the waiting DataUpload whose re-check comes first after a slot frees is the one that looks first, whatever its age', () => {
    const { ledger } = setup();
    ledger.park('older', 1000); // re-checks at 6, 11, 16 s
    ledger.park('younger', 3000); // re-checks at 8, 13, 18 s
    const at = 12_000; // a slot frees
    expect([ledger.unpark('older', at), ledger.unpark('younger', at)]).toEqual([16_000, 13_000]);
  });

  it('other requests of the same bucket spend after the re-checks due before them', async () => {
    const { clock, io, ledger } = setup({ qps: 5, burst: 10 });
    for (let i = 0; i < 5; i++) ledger.park(`du-${i}`, 0, GET_EXPOSED);
    clock.t = 5001;
    // The 5 re-checks due at 5 s took the 10 tokens; this pod GET waits for the next.
    await io.model('get', { apiVersion: 'v1', resource: 'pods' });
    // At 5 s the five re-checks took the 10 tokens; 1 ms later 0.005 is back: (1 - 0.005) / 5 QPS = 199 ms.
    expect(clock.t).toBeCloseTo(5200, 6);
    expect(ledger.names()).toHaveLength(5);
    ledger.remove('du-0');
    expect(ledger.has('du-0')).toBe(false);
  });
});
