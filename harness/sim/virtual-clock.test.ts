import { describe, expect, it, vi } from 'vitest';
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

describe('VirtualClock quiet hooks', () => {
  /** A hook with `items` things to do; doing one is work that lasts `wallMs` of real time. */
  function workingHook(clock: VirtualClock, name: string, items: number, log: string[], wallMs = 10) {
    let left = items;
    let busy = 0;
    let maxBusy = 0;
    const hook = () => {
      if (left === 0) return false;
      left--;
      log.push(`${name}@${clock.now() - DEFAULT_VIRTUAL_START}`);
      clock.begin();
      busy++;
      maxBusy = Math.max(maxBusy, busy);
      setTimeout(() => {
        busy--;
        clock.end();
      }, wallMs);
      return true;
    };
    return { hook, left: () => left, maxBusy: () => maxBusy };
  }

  it('are served at idle moments, one thing at a time, in order, before time advances or until() is asked', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const a = workingHook(clock, 'a', 3, log);
    const b = workingHook(clock, 'b', 2, log);
    clock.addQuietHook(a.hook);
    clock.addQuietHook(b.hook);
    clock.setTimer(1_000, () => log.push('timer'));
    expect(await clock.run(() => log.includes('timer'))).toBe('done');
    expect(log).toEqual(['a@0', 'a@0', 'a@0', 'b@0', 'b@0', 'timer']);
    expect(Math.max(a.maxBusy(), b.maxBusy())).toBe(1); // each waited for the previous one's work to end

    // until() already holds: the hooks still go first.
    const c = workingHook(clock, 'c', 2, log);
    clock.addQuietHook(c.hook);
    expect(await clock.run(() => true)).toBe('done');
    expect(c.left()).toBe(0);
  });

  it('stop serving once removed', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const a = workingHook(clock, 'a', 5, log);
    const remove = clock.addQuietHook(a.hook);
    remove();
    clock.setTimer(1_000, () => log.push('timer'));
    await clock.run(() => log.includes('timer'));
    expect(log).toEqual(['timer']);
  });

  it('are served without run() once woken, by one pump however many wakes', async () => {
    const clock = new VirtualClock();
    const h = countingHook(clock, 3);
    await new Promise((r) => setTimeout(r, 30));
    expect(h.calls).toBe(0); // nothing happens until woken
    for (let i = 0; i < 5; i++) clock.wake();
    await vi.waitFor(() => expect(h.left).toBe(0), { timeout: 5_000 });
    await new Promise((r) => setTimeout(r, 30));
    expect(h.calls).toBe(4); // three served, then one look that found nothing: a single pump
  });

  it('are never served by a pump while run() is active', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const a = workingHook(clock, 'a', 6, log, 15);
    clock.addQuietHook(a.hook);
    clock.wake();
    await vi.waitFor(() => expect(log.length).toBeGreaterThanOrEqual(2), { timeout: 5_000 });
    // run() starts while the pump is serving: from now on run() serves, still one at a time.
    clock.setTimer(1_000, () => log.push('timer'));
    expect(await clock.run(() => log.includes('timer'))).toBe('done');
    expect(log).toEqual([...Array(6).fill('a@0'), 'timer']);
    expect(a.maxBusy()).toBe(1);
  });

  it('leave serving to run() once it starts: one look per idle moment, not two', async () => {
    const clock = new VirtualClock();
    const h = countingHook(clock, 6);
    clock.wake();
    clock.setTimer(1_000, () => undefined);
    expect(await clock.run(() => clock.now() > DEFAULT_VIRTUAL_START)).toBe('done');
    expect(h.left).toBe(0);
    // Six served, then one look that found nothing before the timer, one before until() held.
    expect(h.calls).toBe(8);
  });

  it('a pump waits for idleness: work in progress delays the hook', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    clock.begin();
    let served = false;
    clock.addQuietHook(() => {
      if (served) return false;
      served = true;
      log.push('hook');
      return true;
    });
    clock.wake();
    setTimeout(() => {
      log.push('work done');
      clock.end();
    }, 40);
    await vi.waitFor(() => expect(served).toBe(true), { timeout: 5_000 });
    expect(log).toEqual(['work done', 'hook']);
  });
});

/** A quiet hook with `n` things to do, one per call; counts every call, including empty looks. */
function countingHook(clock: VirtualClock, n: number): { calls: number; left: number } {
  const h = { calls: 0, left: n };
  clock.addQuietHook(() => {
    h.calls++;
    if (h.left === 0) return false;
    h.left--;
    return true;
  });
  return h;
}
