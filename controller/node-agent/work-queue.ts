// controller-runtime's work queue, on our Clock: a key is queued at most once; a key added
// while it is being processed is processed again afterwards; delayed adds keep the earliest
// time per key (RequeueAfter); failures back off per key, 5 ms doubling to 1000 s (client-go's
// default item rate limiter).
//
// Queued keys are not counted as work for a virtual clock, on purpose: the one worker hands a
// key over without leaving the event loop's turn, and while it processes another key it is
// either sending a request (counted by KubeIo) or waiting on the clock (a timer). Counting queued
// keys would deadlock the request pacer, which gives turns only when nothing is busy.
import type { Clock, Timer } from '../clock.ts';

const BACKOFF_BASE_MS = 5;
const BACKOFF_MAX_MS = 1000 * 1000;

export class WorkQueue {
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<string, { due: number; timer: Timer }>();
  private readonly failures = new Map<string, number>();
  private waiter?: (key: string | undefined) => void;
  private shutDown = false;

  constructor(private readonly clock: Clock) {}

  add(key: string): void {
    if (this.shutDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      this.take(key);
      w(key);
    } else this.ready.push(key);
  }

  /** Adds the key after ms; of several pending delays for one key the earliest stands. */
  addAfter(key: string, ms: number): void {
    if (this.shutDown) return;
    if (ms <= 0) return this.add(key);
    const due = this.clock.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.due <= due) return;
    pending?.timer.cancel();
    const timer = this.clock.setTimer(ms, () => {
      this.delayed.delete(key);
      this.add(key);
    });
    this.delayed.set(key, { due, timer });
  }

  /** Requeues after a failure, backing off per key. */
  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.addAfter(key, Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** n));
  }

  /** The key succeeded: its backoff starts over. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key to process (undefined once shut down); pair with done(key). */
  get(): Promise<string | undefined> {
    if (this.shutDown) return Promise.resolve(undefined);
    const key = this.ready.shift();
    if (key !== undefined) {
      this.take(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => (this.waiter = resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  get length(): number {
    return this.ready.length;
  }

  shutdown(): void {
    this.shutDown = true;
    for (const { timer } of this.delayed.values()) timer.cancel();
    this.delayed.clear();
    this.ready.length = 0;
    this.queued.clear();
    this.waiter?.(undefined);
    this.waiter = undefined;
  }

  private take(key: string): void {
    this.queued.delete(key);
    this.processing.add(key);
  }
}
