// Events expire, as on kube-apiserver: every write of an Event attaches it to an etcd lease of
// --event-ttl (default 1 h), and when the lease runs out etcd deletes the Event, which every
// watch sees as DELETED. kube-apiserver's lease manager (storage/etcd3/lease_manager.go) does not
// grant a lease per write: it grants one with the TTL plus a reuse period of min(60 s, 5% of the
// TTL) and attaches every write of that period to it. So an Event goes between one TTL and one
// TTL plus a minute after its last write, together with the others of its lease.
//
// Without this, a run of thousands of DataUploads keeps every Event it ever wrote, in the store
// and in each node-agent's cache, which no real cluster does.
import type { Clock, Timer } from '../../controller/clock.ts';
import type { KubeApi } from './api.ts';
import { groupResource } from './registry.ts';
import type { ResourceInfo } from './types.ts';

/** kube-apiserver's --event-ttl default. */
export const DEFAULT_EVENT_TTL_SECONDS = 3600;

const LEASE_REUSE_MAX_SECONDS = 60;
const LEASE_REUSE_FRACTION = 0.05;

interface Lease {
  expiresAt: number;
  /** namespace/name of the Events whose last write was attached to this lease. */
  keys: Set<string>;
  timer: Timer;
}

export class EventExpiry {
  private current?: Lease;
  private readonly leaseOf = new Map<string, Lease>();
  private readonly leases = new Set<Lease>();
  private readonly reuseMs: number;
  private readonly info: ResourceInfo;
  /** Events deleted by expiry so far. */
  expired = 0;

  constructor(
    private readonly api: KubeApi,
    private readonly clock: Clock,
    private readonly ttlSeconds: number = DEFAULT_EVENT_TTL_SECONDS,
  ) {
    if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
      throw new Error(`eventTtlSeconds: ${JSON.stringify(ttlSeconds)} is not accepted: a number of seconds above 0 (kube-apiserver's --event-ttl; default ${DEFAULT_EVENT_TTL_SECONDS})`);
    }
    this.reuseMs = Math.floor(Math.min(LEASE_REUSE_MAX_SECONDS, LEASE_REUSE_FRACTION * ttlSeconds)) * 1000;
    this.info = api.lookup('', 'v1', 'events')!;
    api.onWrite((info, cur, prev) => {
      if (groupResource(info.group, info.resource) !== '/events') return;
      const key = (cur ?? prev)!.key;
      this.detach(key);
      if (cur) this.attach(key);
    });
  }

  /** Cancels every pending expiry (the server is stopping). */
  stop(): void {
    for (const l of this.leases) l.timer.cancel();
    this.leases.clear();
    this.leaseOf.clear();
    this.current = undefined;
  }

  private attach(key: string): void {
    const now = this.clock.now();
    const ttlMs = this.ttlSeconds * 1000;
    const l = this.current;
    // The lease manager's test: the lease outlives this write's TTL, by no more than the reuse period.
    const reusable = l && now + ttlMs < l.expiresAt && now + ttlMs + this.reuseMs > l.expiresAt;
    const lease = reusable ? l! : this.grant(now + ttlMs + this.reuseMs);
    lease.keys.add(key);
    this.leaseOf.set(key, lease);
  }

  private detach(key: string): void {
    const lease = this.leaseOf.get(key);
    if (!lease) return;
    lease.keys.delete(key);
    this.leaseOf.delete(key);
  }

  private grant(expiresAt: number): Lease {
    const lease: Lease = { expiresAt, keys: new Set(), timer: undefined as unknown as Timer };
    lease.timer = this.clock.setTimer(expiresAt - this.clock.now(), () => this.expire(lease));
    this.leases.add(lease);
    this.current = lease;
    return lease;
  }

  private expire(lease: Lease): void {
    this.leases.delete(lease);
    if (this.current === lease) this.current = undefined;
    for (const key of [...lease.keys]) {
      const slash = key.indexOf('/');
      this.api.delete(this.info, key.slice(0, slash), key.slice(slash + 1));
      this.expired++;
    }
  }
}
