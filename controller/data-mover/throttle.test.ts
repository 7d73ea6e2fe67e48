// The throttle paces reads on the clock it is given: exactly bytes / rate of sleep on a stepped
// clock, at least that much wall time on the wall clock.
import { describe, expect, it } from 'vitest';
import { WallClock } from '../clock.ts';
import { SteppingClock } from './test-cluster.ts';
import { chunkBytes, Throttle } from './throttle.ts';

describe('Throttle', () => {
  it.each([
    { rate: 1000, chunk: 50, chunks: 100 },
    { rate: 64 * 1024 * 1024, chunk: 1024 * 1024, chunks: 32 },
    { rate: 3000, chunk: 7, chunks: 1000 },
  ])('on a stepped clock, $chunks reads of $chunk bytes at $rate B/s sleep (chunks x chunk) / rate seconds in all', async ({ rate, chunk, chunks }) => {
    const clock = new SteppingClock(0);
    const throttle = new Throttle(rate, clock);
    for (let i = 0; i < chunks; i++) await throttle.pass(chunk);
    const expectedMs = ((chunks * chunk) / rate) * 1000;
    expect(clock.slept).toBeCloseTo(expectedMs, 6);
    expect(clock.now()).toBeCloseTo(expectedMs, 6);
  });

  it('does not bank idle time: after a pause the next bytes still wait their share', async () => {
    const clock = new SteppingClock(0);
    const throttle = new Throttle(1000, clock);
    await throttle.pass(500);
    expect(clock.now()).toBe(500);
    await clock.sleep(10_000); // the reader was busy elsewhere
    const before = clock.slept;
    await throttle.pass(200);
    expect(clock.slept - before).toBeCloseTo(200, 6);
  });

  it('on the wall clock, 6000 bytes at 20000 B/s take at least 300 ms', async () => {
    const clock = new WallClock();
    const throttle = new Throttle(20_000, clock);
    const started = clock.now();
    for (let i = 0; i < 6; i++) await throttle.pass(1000);
    const elapsed = clock.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(3000);
  });

  it('refuses a rate that is not > 0', () => {
    for (const rate of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => new Throttle(rate, new WallClock())).toThrow(/bytes per second/);
  });

  it('reads in chunks of 50 ms at the rate, between 1 byte and 1 MiB', () => {
    expect(chunkBytes(undefined)).toBe(1024 * 1024);
    expect(chunkBytes(1000)).toBe(50);
    expect(chunkBytes(10)).toBe(1);
    expect(chunkBytes(1024 * 1024 * 1024)).toBe(1024 * 1024);
  });
});
