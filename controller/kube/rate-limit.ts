// Client-side rate limits, as client-go has them: every request a Velero binary sends first
// takes a token from its client's bucket (k8s.io/client-go/rest request.go tryThrottle, with
// flowcontrol.NewTokenBucketRateLimiter over golang.org/x/time/rate): tokens refill at QPS up to
// Burst; a request without one waits until its token would be there. Reservations are first
// come, first served, and a wait already promised is not given back.
//
// Which requests share a bucket (Velero v1.16.2 to v1.18.2, client-go v0.31 to v0.33,
// controller-runtime v0.19 to v0.21):
// - client-go's rest.RESTClientForConfigAndClient makes a bucket per REST client when the
//   config's QPS is 0 (DefaultQPS 5, DefaultBurst 10, rest/config.go) or above 0; below 0, none.
// - kubernetes.NewForConfigAndClient (clientset.go) shares one bucket across the clientset's
//   group clients only when QPS > 0 is set; with QPS 0 each group client (CoreV1, StorageV1,
//   AppsV1) builds its own 5/10 bucket.
// - controller-runtime's client (client.New -> apiutil.RESTClientForGVK) makes one REST client,
//   so one bucket, per GVK; its informers' list-watch clients are per GVK as well.
//   controller-runtime v0.21 (Velero v1.17+) sets QPS -1 only in config.GetConfig, which Velero
//   does not call: Velero builds its rest.Config with clientcmd (pkg/client/client.go Config,
//   which sets QPS and Burst only when above 0).
import type { Clock } from '../clock.ts';

export interface RateLimit {
  /** Tokens per second; -1: no limit (client-go with QPS < 0). */
  qps: number;
  burst: number;
}

/**
 * What a binary's clients are limited to, and which of its requests share one bucket. `bucketOf`
 * names the bucket of a request by the API group, resource and whether it is an informer's.
 */
export interface ClientLimits {
  role: string;
  limit: RateLimit;
  bucketOf(group: string, resource: string, informer: boolean): string;
}

/** client-go's rest.DefaultQPS and rest.DefaultBurst (rest/config.go, v0.31.3 to v0.33.12). */
export const CLIENT_GO_DEFAULT: RateLimit = { qps: 5, burst: 10 };
/** The Velero server's --client-qps / --client-burst defaults (pkg/cmd/server/config/config.go defaultClientQPS, defaultClientBurst). */
export const VELERO_SERVER_DEFAULT: RateLimit = { qps: 100, burst: 100 };

/**
 * The node-agent (pkg/cmd/cli/nodeagent/server.go, v1.16.2 to v1.18.2): no --client-qps or
 * --client-burst flag, so the factory's config has QPS 0 and every client gets client-go's
 * default. Its DataUpload controller writes DataUploads through the manager's client (a bucket per
 * GVK), reads pods, PVCs, PVs and nodes and creates pods and PVCs through the kube clientset's
 * CoreV1 (one bucket), StorageClasses and VolumeAttachments through StorageV1, the node-agent
 * DaemonSet through AppsV1, VolumeSnapshots and their contents through the CSI snapshot client.
 */
export function nodeAgentLimits(limit: RateLimit = CLIENT_GO_DEFAULT): ClientLimits {
  return { role: 'node-agent', limit, bucketOf: perClient };
}

/**
 * The data-mover pod (`velero data-mover backup`, pkg/cmd/cli/datamover/backup.go): no QPS flag
 * either, so client-go's default, with the node-agent's client layout.
 */
export function dataMoverLimits(): ClientLimits {
  return { role: 'data-mover', limit: CLIENT_GO_DEFAULT, bucketOf: perClient };
}

/**
 * The Velero server (pkg/cmd/server/server.go newServer, --client-qps / --client-burst, default
 * 100 / 100): with QPS set, its kube clientset shares one bucket across groups; the manager's
 * client has one per GVK; the CSI snapshot client its own.
 */
export function veleroServerLimits(limit: RateLimit = VELERO_SERVER_DEFAULT): ClientLimits {
  return {
    role: 'velero-server',
    limit,
    bucketOf: (group, resource, informer) => {
      if (informer) return `informer ${group}/${resource}`;
      if (group === 'velero.io') return `manager ${group}/${resource}`;
      if (group === 'snapshot.storage.k8s.io') return 'snapshot client';
      return 'kube clientset';
    },
  };
}

function perClient(group: string, resource: string, informer: boolean): string {
  if (informer) return `informer ${group}/${resource}`;
  if (group === 'velero.io') return `manager ${group}/${resource}`;
  if (group === 'snapshot.storage.k8s.io') return 'snapshot client';
  return `kube clientset ${group || 'core'}`;
}

/** golang.org/x/time/rate's Limiter as client-go's token bucket uses it (Wait = ReserveN(1)). */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly limit: RateLimit,
    now: number,
  ) {
    this.tokens = limit.burst;
    this.last = now;
  }

  get unlimited(): boolean {
    return this.limit.qps < 0;
  }

  /**
   * Takes `n` tokens at `at` (ms), one request after another: returns each request's wait (ms)
   * summed, and the wait of the last (when all `n` may go). A reservation before the last one
   * is made at the last's time (time does not run backwards in a bucket).
   */
  reserve(at: number, n = 1): { totalMs: number; lastMs: number; waiting: number } {
    if (this.unlimited || n <= 0) return { totalMs: 0, lastMs: 0, waiting: 0 };
    const now = Math.max(at, this.last);
    const { qps, burst } = this.limit;
    this.tokens = Math.min(burst, this.tokens + ((now - this.last) / 1000) * qps);
    this.last = now;
    let totalMs = 0;
    let lastMs = 0;
    let waiting = 0;
    for (let i = 0; i < n; i++) {
      this.tokens -= 1;
      lastMs = (this.tokens >= 0 ? 0 : (-this.tokens / qps) * 1000) + (now - at);
      totalMs += lastMs;
      if (lastMs > 0) waiting++;
    }
    return { totalMs, lastMs, waiting };
  }
}

/** Something that spends tokens on its own schedule (the re-checks of parked DataUploads), settled before each reservation. */
export interface BackgroundDemand {
  /** Spends, in time order, every token it would have spent before `now`. */
  settle(now: number): void;
}

/** Where the waits are summed (ApiCost: per role). */
export interface ThrottleSink {
  throttledMs: number;
  throttled: number;
}

/** The buckets of one binary's clients (one node-agent, the server). */
export class ClientThrottle {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly demands = new Map<string, BackgroundDemand[]>();
  /** The binary's start: every bucket is full then (made on first use, as if made at the start). */
  private readonly startedAt: number;

  constructor(
    readonly limits: ClientLimits,
    private readonly clock: Clock,
  ) {
    this.startedAt = clock.now();
  }

  private bucket(key: string): TokenBucket {
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = new TokenBucket(this.limits.limit, this.startedAt)));
    return b;
  }

  /** Registers demand that spends tokens of `key`'s bucket on its own schedule. */
  addDemand(key: string, demand: BackgroundDemand): void {
    this.demands.set(key, [...(this.demands.get(key) ?? []), demand]);
  }

  /** Settles the background demand on `key` up to now, then reserves `n` tokens now; returns how long until the last may go (ms). */
  reserve(key: string, n: number, sink: ThrottleSink): number {
    const now = this.clock.now();
    this.settle(key, now);
    return this.take(key, now, n, sink);
  }

  /** Background demand spends what it would have spent before `now`. */
  settle(key: string, now: number): void {
    for (const d of this.demands.get(key) ?? []) d.settle(now);
  }

  /** A reservation at `at` (background demand: at <= now); the waits go to `sink`. */
  take(key: string, at: number, n: number, sink: ThrottleSink): number {
    const { totalMs, lastMs, waiting } = this.bucket(key).reserve(at, n);
    sink.throttledMs += totalMs;
    sink.throttled += waiting;
    return lastMs;
  }
}
