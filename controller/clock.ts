// The one source of time for the controller and the embedded cluster.
// The controller, the API server and the simulated components never read Date directly: they
// are given a Clock. The wall clock serves real clusters; the virtual clock
// (harness/sim/virtual-clock.ts) advances only when every component is idle, and learns what
// is idle through WorkTracker.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls fn once, ms milliseconds from now (by this clock). */
  setTimer(ms: number, fn: () => void): Timer;
  /** Resolves ms milliseconds from now (by this clock). */
  sleep(ms: number): Promise<void>;
}

export class WallClock implements Clock {
  now(): number {
    return Date.now();
  }
  setTimer(ms: number, fn: () => void): Timer {
    const handle = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(handle) };
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
  }
}

/** RFC 3339 timestamp with second precision, as Kubernetes writes metav1.Time. */
export function kubeTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  // Called for every write of a run, mostly within the same second: the last answer is kept.
  if (second !== lastKubeTime.second) {
    lastKubeTime.second = second;
    lastKubeTime.text = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
  }
  return lastKubeTime.text;
}
const lastKubeTime = { second: Number.NaN, text: '' };

/** RFC 3339 with microseconds, as Kubernetes writes metav1.MicroTime (events, leases). */
export function kubeMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Told when a component starts and ends a piece of work, so a virtual clock knows when all is idle. */
export interface WorkTracker {
  begin(): void;
  end(): void;
}

export const NO_TRACKING: WorkTracker = { begin() {}, end() {} };

/**
 * Sent by a client that holds a WorkTracker's work while its request is in flight (KubeIo on
 * the virtual clock). A server that deliberately waits on the clock before answering (an
 * injected latency) releases that hold meanwhile, or the clock could never advance to the end
 * of the wait.
 */
export const HOLDS_CLOCK_HEADER = 'x-datamover-bench-holds-clock';

/**
 * Marks a request as background load (the api-load fault's autocannon): the server serves it
 * without counting it as work, so on the virtual clock the load costs wall time but does not
 * hold or change the simulated timeline.
 */
export const LOAD_HEADER = 'x-datamover-bench-load';
