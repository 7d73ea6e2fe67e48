// core/v1 Events as client-go's legacy recorder writes them: named <object>.<unix-nanos hex>,
// source and reporting component set, and repeats of the same event (same object, type,
// reason and message) folded into one Event whose count and lastTimestamp grow, as the
// EventCorrelator does, after its spam filter: per source and object, a burst of 25 events, then
// one per 5 minutes. Events are best effort: a failed write is dropped, as in client-go.
import { kubeTime } from '../clock.ts';
import { ApiError } from '../apiserver/errors.ts';
import type { KubeObject } from '../apiserver/types.ts';
import { mutate, resourceInfo, type SimContext } from './context.ts';

export interface EventSource {
  /** "default-scheduler", "kubelet", ... */
  component: string;
  /** The node a kubelet's events come from. */
  host?: string;
}

export interface ObjectReference {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
}

export type EventType = 'Normal' | 'Warning';

const SPAM_BURST = 25;
const SPAM_REFILL_PER_MS = 1 / 300_000;
/** client-go's EventCorrelator keeps its aggregation and spam-filter state in LRU caches of this size. */
export const CORRELATOR_CACHE_ENTRIES = 4096;

/** The reference an event names: pods by uid and resourceVersion, as ObjectReference from the object. */
export function referenceTo(obj: KubeObject): ObjectReference {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind ?? '',
    namespace: obj.metadata.namespace,
    name: obj.metadata.name!,
    uid: obj.metadata.uid,
    resourceVersion: obj.metadata.resourceVersion,
  };
}

export class EventRecorder {
  /** Aggregation key -> namespace/name of the Event that counts it. */
  private readonly seen = new Lru<{ namespace: string; name: string }>(CORRELATOR_CACHE_ENTRIES);
  /** Token buckets of the spam filter, by object. */
  private readonly buckets = new Lru<{ tokens: number; at: number }>(CORRELATOR_CACHE_ENTRIES);

  constructor(
    private readonly ctx: SimContext,
    private readonly source: EventSource,
  ) {}

  record(involved: ObjectReference, type: EventType, reason: string, message: string): void {
    const api = this.ctx.api;
    const info = resourceInfo(api, '', 'v1', 'events');
    if (!this.admit(involved)) return;
    const now = kubeTime(this.ctx.clock.now());
    const key = JSON.stringify([involved.kind, involved.namespace, involved.name, involved.uid, type, reason, message]);
    const known = this.seen.get(key);
    if (known) {
      const bumped = mutate(api, info, known.namespace, known.name, (ev) => {
        ev.count = (ev.count ?? 1) + 1;
        ev.lastTimestamp = now;
      });
      if (bumped) return;
    }
    const written = writeEvent(this.ctx, this.source, involved, type, reason, message);
    if (written) this.seen.set(key, written);
  }

  private admit(involved: ObjectReference): boolean {
    const key = JSON.stringify([involved.kind, involved.namespace, involved.name, involved.uid, involved.apiVersion]);
    const nowMs = this.ctx.clock.now();
    const bucket = this.buckets.get(key) ?? { tokens: SPAM_BURST, at: nowMs };
    bucket.tokens = Math.min(SPAM_BURST, bucket.tokens + (nowMs - bucket.at) * SPAM_REFILL_PER_MS);
    bucket.at = nowMs;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

/** A least-recently-used cache: a Map in order of use, the oldest dropped past `size`. */
export class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly size: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, v: V): void {
    this.map.delete(key);
    this.map.set(key, v);
    if (this.map.size > this.size) this.map.delete(this.map.keys().next().value!);
  }
  get length(): number {
    return this.map.size;
  }
}

/**
 * Creates a new core/v1 Event as client-go's recorder writes it, named <object>.<unix nanoseconds
 * in hex> (stepping past a name already taken in the same instant). Returns where it was written,
 * or undefined when the write was refused (Events are best effort).
 */
export function writeEvent(
  ctx: SimContext,
  source: EventSource,
  involved: ObjectReference,
  type: EventType,
  reason: string,
  message: string,
): { namespace: string; name: string } | undefined {
  const api = ctx.api;
  const info = resourceInfo(api, '', 'v1', 'events');
  const now = kubeTime(ctx.clock.now());
  const namespace = involved.namespace || 'default';
  const table = api.table(info);
  let nanos = BigInt(Math.round(ctx.clock.now() * 1000)) * 1000n;
  while (table.get(`${namespace}/${involved.name}.${nanos.toString(16)}`)) nanos++;
  const name = `${involved.name}.${nanos.toString(16)}`;
  try {
    api.create(info, namespace, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: stripUndefined({ ...involved }),
      reason,
      message,
      type,
      source: stripUndefined({ component: source.component, host: source.host }),
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      eventTime: null,
      reportingComponent: source.component,
      reportingInstance: source.host ?? '',
    });
    return { namespace, name };
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    return undefined;
  }
}

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
