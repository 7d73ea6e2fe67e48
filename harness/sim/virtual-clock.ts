// The virtual clock: simulated time that advances only when every component is idle, so a
// run's figures depend on its seed, not on machine speed or load.
//
// How idleness is detected
// - Components take part by telling the clock when they are working: `begin()` / `end()`
//   around any piece of work (an API request being served, a reconcile, a queued item), or
//   `track(promise)` for async work. The embedded API server does this for every request.
// - Work waiting on this clock (a timer, `sleep`) is not work: a component ends its busy span
//   before it waits and begins a new one when the timer fires.
// - Watch events travel over connections (in-process ones in scenario runs, loopback sockets
//   for other clients); a write is read in a later turn of the event loop. So the clock only
//   counts the system idle after the busy count has stayed at zero, with no begin/end in
//   between, for `quietTurns` consecutive turns of the event loop (each turn runs the poll
//   phase, where socket reads happen, and the check phase, where in-process bytes arrive), and
//   after every `isIdle` probe registered by a component (e.g. "no watch stream has unflushed
//   bytes", "no in-process bytes on their way") agrees.
// - Then it jumps to the earliest due timer and fires every timer due at that instant, in the
//   order they were set.
// - Quiet hooks (`addQuietHook`) act at those idle moments before time moves: the first hook
//   that has something to do does one thing (the request pacer lets one HTTP request go), and
//   the clock waits for idleness again. Time advances only when no hook has anything left.
//   Hooks are served while run() is active, and otherwise by a pump that `wake()` starts.
import type { Clock, Timer } from '../clock.ts';
import { MinHeap } from '../../controller/min-heap.ts';

interface Entry {
  due: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export interface VirtualClockOptions {
  /** Simulated start time, ms since the epoch. Default 2026-01-01T00:00:00Z. */
  start?: number;
  /** Event-loop turns with nothing happening before the system counts as idle. Default 4. */
  quietTurns?: number;
}

export const DEFAULT_VIRTUAL_START = Date.UTC(2026, 0, 1);

export class VirtualClock implements Clock {
  private current: number;
  private readonly heap = new MinHeap<Entry>(less);
  private seq = 0;
  private busy = 0;
  /** Bumped on every begin/end: a quiet stretch must not see it change. */
  private epoch = 0;
  private readonly quietTurns: number;
  private readonly probes = new Set<() => boolean>();
  private running = false;
  private pumping = false;
  private readonly quietHooks: (() => boolean)[] = [];
  private stopRequested = false;
  /** Timers fired so far (a speed figure for benchmarks). */
  firedTimers = 0;

  constructor(opts: VirtualClockOptions = {}) {
    this.current = opts.start ?? DEFAULT_VIRTUAL_START;
    this.quietTurns = opts.quietTurns ?? 4;
  }

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): Timer {
    const entry: Entry = { due: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.heap.push(entry);
    return { cancel: () => (entry.cancelled = true) };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(ms, resolve));
  }

  /** A component starts working. */
  begin(): void {
    this.busy++;
    this.epoch++;
  }

  /** A component finished a piece of work. */
  end(): void {
    if (this.busy === 0) throw new Error('VirtualClock.end() without begin()');
    this.busy--;
    this.epoch++;
  }

  /** Counts the promise's lifetime as work. */
  track<T>(p: Promise<T>): Promise<T> {
    this.begin();
    return p.finally(() => this.end());
  }

  /** Registers an extra idleness check (true when the component has nothing in flight). */
  addIdleProbe(probe: () => boolean): () => void {
    this.probes.add(probe);
    return () => this.probes.delete(probe);
  }

  /** Registers a hook called at idle moments; it returns true when it did something. */
  addQuietHook(hook: () => boolean): () => void {
    this.quietHooks.push(hook);
    return () => {
      const i = this.quietHooks.indexOf(hook);
      if (i >= 0) this.quietHooks.splice(i, 1);
    };
  }

  /** A hook has work: serve it now if run() is not active (run() serves hooks itself). */
  wake(): void {
    if (this.running || this.pumping) return;
    this.pumping = true;
    void (async () => {
      try {
        for (;;) {
          await this.idle();
          if (this.running || !this.serveQuietHooks()) return;
        }
      } finally {
        this.pumping = false;
      }
    })();
  }

  private serveQuietHooks(): boolean {
    for (const hook of this.quietHooks) if (hook()) return true;
    return false;
  }

  /** Time of the next live timer, or undefined. */
  nextDue(): number | undefined {
    while (this.heap.size && this.heap.peek()!.cancelled) this.heap.pop();
    return this.heap.peek()?.due;
  }

  /** Resolves once the system has been idle for quietTurns event-loop turns. */
  async idle(): Promise<void> {
    let quiet = 0;
    let seen = this.epoch;
    while (quiet < this.quietTurns) {
      await new Promise<void>((r) => setImmediate(r));
      const probesIdle = [...this.probes].every((p) => p());
      if (this.busy === 0 && this.epoch === seen && probesIdle) quiet++;
      else {
        quiet = 0;
        seen = this.epoch;
      }
    }
  }

  /**
   * Advances time while `until()` is false: wait for idleness, jump to the next timer, fire
   * everything due then. Stops when until() holds, when stop() is called, or when simulated
   * time would pass `deadline` (ms since the epoch). Resolves with the reason.
   */
  async run(until: () => boolean, deadline = Infinity): Promise<'done' | 'deadline' | 'stopped' | 'no-timers'> {
    if (this.running) throw new Error('VirtualClock.run() is already running');
    this.running = true;
    this.stopRequested = false;
    try {
      for (;;) {
        await this.idle();
        if (this.serveQuietHooks()) continue;
        if (until()) return 'done';
        if (this.stopRequested) return 'stopped';
        const due = this.nextDue();
        if (due === undefined) return 'no-timers';
        if (due > deadline) {
          this.current = deadline;
          return 'deadline';
        }
        this.current = Math.max(this.current, due);
        while (this.heap.size && this.heap.peek()!.due <= this.current) {
          const e = this.heap.pop()!;
          if (e.cancelled) continue;
          this.firedTimers++;
          e.fn();
        }
      }
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    this.stopRequested = true;
  }
}

// A binary min-heap on (due, seq): equal times fire in the order they were set.
function less(a: Entry, b: Entry): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}
