import { describe, expect, it } from 'vitest';
import { DEFAULT_VIRTUAL_START, VirtualClock } from './virtual-clock.ts';

describe('VirtualClock', () => {
  it('fires timers in time order, equal times in the order they were set, and jumps straight to them', async () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.setTimer(5_000, () => fired.push(`b@${clock.now() - DEFAULT_VIRTUAL_START}`));
    clock.setTimer(1_000, () => fired.push(`a@${clock.now() - DEFAULT_VIRTUAL_START}`));
    clock.setTimer(5_000, () => fired.push(`c@${clock.now() - DEFAULT_VIRTUAL_START}`));
    const cancelled = clock.setTimer(3_000, () => fired.push('cancelled'));
    cancelled.cancel();
    const t0 = Date.now();
    expect(await clock.run(() => fired.length === 3)).toBe('done');
    expect(fired).toEqual(['a@1000', 'b@5000', 'c@5000']);
    expect(Date.now() - t0).toBeLessThan(1_000); // 5 simulated seconds, no waiting
  });

  it('does not advance while a component is busy, however long the work takes in wall time', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    clock.setTimer(10_000, () => log.push(`timer at ${clock.now() - DEFAULT_VIRTUAL_START}`));
    clock.begin();
    setTimeout(() => {
      log.push(`work done at ${clock.now() - DEFAULT_VIRTUAL_START}`);
      clock.end();
    }, 50);
    await clock.run(() => log.length === 2);
    expect(log).toEqual(['work done at 0', 'timer at 10000']);
  });

  it('counts a tracked promise as work, and sleep() as waiting', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    void clock.track(
      (async () => {
        await new Promise((r) => setTimeout(r, 30));
        log.push(`tracked ${clock.now() - DEFAULT_VIRTUAL_START}`);
      })(),
    );
    void clock.sleep(2_000).then(() => log.push(`slept ${clock.now() - DEFAULT_VIRTUAL_START}`));
    await clock.run(() => log.length === 2);
    expect(log).toEqual(['tracked 0', 'slept 2000']);
  });

  it('waits for idle probes, and stops at a deadline', async () => {
    const clock = new VirtualClock();
    let flushed = false;
    clock.addIdleProbe(() => flushed);
    setTimeout(() => (flushed = true), 30);
    let fired = false;
    clock.setTimer(1_000, () => (fired = true));
    clock.setTimer(60_000, () => undefined);
    expect(await clock.run(() => false, DEFAULT_VIRTUAL_START + 30_000)).toBe('deadline');
    expect(fired).toBe(true);
    expect(clock.now()).toBe(DEFAULT_VIRTUAL_START + 30_000);
  });

  it('refuses an unbalanced end()', () => {
    expect(() => new VirtualClock().end()).toThrow(/without begin/);
  });

  it('serves quiet hooks at idle moments before time moves, in run() and, woken, outside it', async () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    let left = 3;
    clock.addQuietHook(() => {
      if (left === 0) return false;
      left--;
      seen.push(`hook@${clock.now() - DEFAULT_VIRTUAL_START}`);
      return true;
    });
    clock.setTimer(1_000, () => seen.push(`timer@${clock.now() - DEFAULT_VIRTUAL_START}`));
    await clock.run(() => seen.length === 4);
    expect(seen).toEqual(['hook@0', 'hook@0', 'hook@0', 'timer@1000']);
    // Not running: wake() pumps the hooks until none has work.
    left = 2;
    clock.wake();
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.slice(4)).toEqual(['hook@1000', 'hook@1000']);
  });
});

