// The re-checks of parked DataUploads (node-agent.ts, "Waiting without spinning"). Velero
// requeues a DataUpload that waits for a slot every 5 s, and each re-check sends GetExposed's
// GETs (the backup PVC and its PV) through the kube clientset, whose token bucket every other
// request of the node-agent's CoreV1 client shares. The runtime skips those re-checks, but they
// must still cost what they cost in Velero: the ledger keeps, per parked DataUpload, when its
// next re-check is due, and spends its tokens in time order before any other request takes one
// (and when the DataUpload is resumed). A re-check that waits for its tokens delays the next by
// its wait, as Velero's requeue is counted from the end of the reconcile; so above about a dozen
// waiting DataUploads per node at client-go's 5 QPS the re-checks fall behind, as Velero's do.
import type { ApiVerb, KubeIo } from '../kube/io.ts';
import { MinHeap } from '../min-heap.ts';

/** What one skipped re-check would send: requests by verb to one resource. */
export interface RecheckCost {
  ref: { apiVersion: string; resource: string };
  requests: Partial<Record<ApiVerb, number>>;
}

interface Entry {
  name: string;
  /** ms: when the next re-check is due. */
  due: number;
  seq: number;
  cost: RecheckCost;
  gone: boolean;
}

export class RecheckLedger {
  /** Entries with a cost, by due time (then seq). */
  private readonly heap = new MinHeap<Entry>(before);
  private readonly entries = new Map<string, Entry>();
  /** Cost-free waits (re-checks that read only caches): when they were parked. */
  private readonly free = new Map<string, number>();
  private seq = 0;

  constructor(
    private readonly io: KubeIo,
    private readonly periodMs: number,
  ) {}

  /** Parks `name` at `since`; its first re-check is due a period later. */
  park(name: string, since: number, cost?: RecheckCost): void {
    this.remove(name);
    if (!cost || Object.values(cost.requests).every((n) => !n)) {
      this.free.set(name, since);
      return;
    }
    const e: Entry = { name, due: since + this.periodMs, seq: this.seq++, cost, gone: false };
    this.entries.set(name, e);
    this.heap.push(e);
  }

  has(name: string): boolean {
    return this.entries.has(name) || this.free.has(name);
  }

  /** Takes `name` out; returns when its next re-check is due (ms), at or after `now`; undefined if it was not parked. */
  unpark(name: string, now: number): number | undefined {
    const since = this.free.get(name);
    if (since !== undefined) {
      this.free.delete(name);
      return since + Math.max(1, Math.ceil((now - since) / this.periodMs)) * this.periodMs;
    }
    const e = this.entries.get(name);
    if (!e) return undefined;
    this.settle(now);
    this.remove(name);
    return e.due;
  }

  /** Forgets `name` (its DataUpload is gone). */
  remove(name: string): void {
    this.free.delete(name);
    const e = this.entries.get(name);
    if (e) {
      e.gone = true;
      this.entries.delete(name);
    }
  }

  /** The parked names: cost-free ones first, each group in parking order. */
  names(): string[] {
    return [...this.free.keys(), ...this.entries.keys()];
  }

  /**
   * Carries out, in time order, every re-check due before `now`: its requests are counted as
   * modeled and take their tokens at their due time; the next is due a period after the tokens
   * were there.
   */
  settle(now: number): void {
    for (;;) {
      const e = this.heap.peek();
      if (!e || e.due >= now) return;
      this.heap.pop();
      if (e.gone) continue;
      let wait = 0;
      for (const [verb, n] of Object.entries(e.cost.requests) as [ApiVerb, number][]) {
        if (n) wait = Math.max(wait, this.io.modelAt(verb, e.cost.ref, e.due, n));
      }
      e.due += wait + this.periodMs;
      e.seq = this.seq++;
      this.heap.push(e);
    }
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}
