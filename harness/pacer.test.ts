import { describe, expect, it } from 'vitest';
import { QuietPacer } from './pacer.ts';
import { seededRandom } from './random.ts';
import { VirtualClock } from './sim/virtual-clock.ts';

/** Ten clients each asking for three turns at once; the order the turns are given in. */
async function grants(seed: number, opts: { busyFor?: number } = {}): Promise<{ order: string[]; at: number[] }> {
  const clock = new VirtualClock();
  const start = clock.now();
  const pacer = new QuietPacer(clock, seededRandom(seed));
  const order: string[] = [];
  const at: number[] = [];
  if (opts.busyFor) {
    clock.begin();
    clock.setTimer(0, () => undefined);
    setTimeout(() => clock.end(), opts.busyFor);
  }
  const clients = Array.from({ length: 10 }, (_, i) => `node-agent/worker-${i}`);
  await Promise.all(
    clients.map(async (who) => {
      for (let n = 0; n < 3; n++) {
        await pacer.turn(who);
        order.push(`${who}#${n}`);
        at.push(clock.now() - start);
      }
    }),
  );
  return { order, at };
}

describe('QuietPacer', () => {
  it('gives turns one at a time in a seeded order: the same seed, the same order; another seed, another', async () => {
    const a = await grants(7);
    expect(a.order).toHaveLength(30);
    expect(await grants(7)).toEqual(a);
    expect((await grants(8)).order).not.toEqual(a.order);
    // Each client's own turns keep their order.
    for (let i = 0; i < 10; i++) {
      const mine = a.order.filter((o) => o.startsWith(`node-agent/worker-${i}#`));
      expect(mine).toEqual([0, 1, 2].map((n) => `node-agent/worker-${i}#${n}`));
    }
  });

  it('gives no turn while anything is busy, and gives them without advancing time (run() need not be active)', async () => {
    const started = Date.now();
    const r = await grants(7, { busyFor: 200 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(new Set(r.at)).toEqual(new Set([0]));
  });
});
