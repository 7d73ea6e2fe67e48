// Pacing of the bytes a data mover reads: at most `bytesPerSecond` on average, measured on the
// Clock it is given, so a test on a stepped clock sees exactly how long the reads slept.
import type { Clock } from '../clock.ts';

/** The most bytes read between two looks at the throttle (and at a cancel): 1 MiB, or 50 ms at the throttled rate. */
export function chunkBytes(bytesPerSecond: number | undefined): number {
  const MiB = 1024 * 1024;
  if (bytesPerSecond === undefined) return MiB;
  return Math.max(1, Math.min(MiB, Math.floor(bytesPerSecond / 20)));
}

export class Throttle {
  /** When the bytes passed so far are paid for, in the clock's milliseconds. */
  private due?: number;

  constructor(
    readonly bytesPerSecond: number,
    private readonly clock: Clock,
  ) {
    if (!(Number.isFinite(bytesPerSecond) && bytesPerSecond > 0)) throw new RangeError(`Throttle: ${bytesPerSecond} bytes per second is not a rate: use a number > 0`);
  }

  /**
   * Counts `bytes` just read and waits until they fit the rate. Time spent idle is not banked:
   * a reader that fell behind goes on at the rate, without a burst, so any run of reads lasts
   * at least its bytes / bytesPerSecond.
   */
  async pass(bytes: number): Promise<void> {
    const now = this.clock.now();
    this.due = Math.max(this.due ?? now, now) + (bytes * 1000) / this.bytesPerSecond;
    // A timer may fire a little early by another clock's reckoning (libuv's cached loop time);
    // only this clock's word counts.
    for (let left = this.due - this.clock.now(); left > 0; left = this.due - this.clock.now()) await this.clock.sleep(left);
  }
}
