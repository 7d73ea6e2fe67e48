// Client-side rate limits as client-go has them (docs/design.md section 2.2): the token bucket
// (k8s.io/client-go/rest request.go tryThrottle -> flowcontrol.NewTokenBucketRateLimiter ->
// golang.org/x/time/rate Limiter.Wait), which requests share a bucket in each Velero binary, and
// KubeIo making every request, sent or modeled, wait for its token on the run's clock.
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { startEmbeddedCluster } from '../../harness/cluster/embedded.ts';
import type { Clock, Timer } from '../clock.ts';
import { defaultNodeAgentConfig } from '../config.ts';
import { KubeIo } from './io.ts';
import { CLIENT_GO_DEFAULT, ClientThrottle, dataMoverLimits, nodeAgentLimits, TokenBucket, VELERO_SERVER_DEFAULT, veleroServerLimits, type RateLimit } from './rate-limit.ts';

/** A clock that only moves when someone sleeps on it: each sleep jumps to its end. */
class SteppingClock implements Clock {
  t = 0;
  readonly slept: number[] = [];
  now(): number {
    return this.t;
  }
  setTimer(ms: number, fn: () => void): Timer {
    const h = setTimeout(fn, 0);
    this.t += Math.max(0, ms);
    return { cancel: () => clearTimeout(h) };
  }
  async sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    this.t += Math.max(0, ms);
  }
}

describe('the token bucket (golang.org/x/time/rate, as client-go v0.31.3 to v0.33.12 flowcontrol uses it)', () => {
  // Each call: reserve n tokens at `at` ms; expected: the wait of the last, in ms.
  const rows: { name: string; limit: RateLimit; calls: [at: number, n: number][]; waits: number[] }[] = [
    { name: 'a full bucket lets burst requests go at once', limit: CLIENT_GO_DEFAULT, calls: [[0, 10]], waits: [0] },
    { name: 'the 11th request at once waits 1/QPS (200 ms at 5 QPS)', limit: CLIENT_GO_DEFAULT, calls: [[0, 10], [0, 1]], waits: [0, 200] },
    { name: 'reservations queue: the 12th waits 400 ms', limit: CLIENT_GO_DEFAULT, calls: [[0, 11], [0, 1]], waits: [200, 400] },
    { name: 'tokens come back at QPS: 1 s after emptying, 5 go at once', limit: CLIENT_GO_DEFAULT, calls: [[0, 10], [1000, 5], [1000, 1]], waits: [0, 0, 200] },
    { name: 'an idle bucket refills to burst, not beyond', limit: CLIENT_GO_DEFAULT, calls: [[0, 10], [60_000, 10], [60_000, 1]], waits: [0, 0, 200] },
    { name: 'a debt is paid back before new tokens: 20 at once, then one 2 s later', limit: CLIENT_GO_DEFAULT, calls: [[0, 20], [2000, 1]], waits: [2000, 200] },
    { name: "the server's 100 QPS / burst 100", limit: VELERO_SERVER_DEFAULT, calls: [[0, 100], [0, 1], [500, 50]], waits: [0, 10, 10] },
    { name: 'QPS -1: no limiter at all (client-go: rateLimiter nil)', limit: { qps: -1, burst: 10 }, calls: [[0, 1000]], waits: [0] },
    { name: 'a reservation stamped before the last one is made at the last one\'s time', limit: { qps: 1, burst: 1 }, calls: [[1000, 1], [500, 1]], waits: [0, 1500] },
  ];
  it.each(rows)('$name', ({ limit, calls, waits }) => {
    const b = new TokenBucket(limit, 0);
    expect(calls.map(([at, n]) => b.reserve(at, n).lastMs)).toEqual(waits);
  });

  it('sums each request\'s own wait and counts those that waited', () => {
    const b = new TokenBucket(CLIENT_GO_DEFAULT, 0);
    // 13 at once: the 11th waits 200, the 12th 400, the 13th 600.
    expect(b.reserve(0, 13)).toEqual({ totalMs: 1200, lastMs: 600, waiting: 3 });
  });
});

describe('which requests share a bucket (client-go and controller-runtime, as Velero v1.16.2 to v1.18.2 builds its clients)', () => {
  const agent = nodeAgentLimits();
  const server = veleroServerLimits();
  // [group, resource, informer, node-agent bucket, server bucket]
  const rows: [string, string, boolean, string, string][] = [
    // The manager's client: one REST client, so one bucket, per GVK (apiutil.RESTClientForGVK).
    ['velero.io', 'datauploads', false, 'manager velero.io/datauploads', 'manager velero.io/datauploads'],
    // The kube clientset with QPS 0 (node-agent): each group client its own bucket; with QPS set
    // (server), one bucket shared by the clientset (kubernetes.NewForConfigAndClient).
    ['', 'pods', false, 'kube clientset core', 'kube clientset'],
    ['', 'persistentvolumeclaims', false, 'kube clientset core', 'kube clientset'],
    ['', 'persistentvolumes', false, 'kube clientset core', 'kube clientset'],
    ['storage.k8s.io', 'storageclasses', false, 'kube clientset storage.k8s.io', 'kube clientset'],
    ['apps', 'daemonsets', false, 'kube clientset apps', 'kube clientset'],
    // The CSI snapshot client (snapshotv1client.NewForConfig).
    ['snapshot.storage.k8s.io', 'volumesnapshots', false, 'snapshot client', 'snapshot client'],
    ['snapshot.storage.k8s.io', 'volumesnapshotcontents', false, 'snapshot client', 'snapshot client'],
    // Informers list through list-watch clients of their own, per GVK.
    ['velero.io', 'datauploads', true, 'informer velero.io/datauploads', 'informer velero.io/datauploads'],
    ['', 'pods', true, 'informer /pods', 'informer /pods'],
  ];
  it.each(rows)('%s/%s (informer %s): node-agent %s, server %s', (group, resource, informer, agentBucket, serverBucket) => {
    expect(agent.bucketOf(group, resource, informer)).toBe(agentBucket);
    expect(server.bucketOf(group, resource, informer)).toBe(serverBucket);
  });

  it('each role has the QPS and burst its Velero binary really gets', () => {
    // pkg/cmd/cli/nodeagent/server.go has no --client-qps/--client-burst; pkg/client/client.go
    // Config sets them only when > 0; so client-go's rest.DefaultQPS 5, DefaultBurst 10.
    expect(agent.limit).toEqual({ qps: 5, burst: 10 });
    expect(defaultNodeAgentConfig().clientLimit).toEqual({ qps: 5, burst: 10 });
    // The data mover (pkg/cmd/cli/datamover): no QPS flag either.
    expect(dataMoverLimits().limit).toEqual({ qps: 5, burst: 10 });
    // pkg/cmd/server/config/config.go: defaultClientQPS 100, defaultClientBurst 100.
    expect(server.limit).toEqual({ qps: 100, burst: 100 });
  });
});

describe('KubeIo waits for its tokens on the clock', () => {
  const unreachable = () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [{ name: 'c', server: 'http://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
    return kc;
  };

  it('modeled requests take tokens: 12 GETs on one bucket, the 11th and 12th wait 200 ms each', async () => {
    const clock = new SteppingClock();
    const io = new KubeIo(unreachable(), { who: 't', clock, throttle: new ClientThrottle(nodeAgentLimits(), clock) });
    for (let i = 0; i < 12; i++) await io.model('get', { apiVersion: 'apps/v1', resource: 'daemonsets' });
    expect(clock.slept).toEqual([200, 200]);
    expect(io.cost.modeled.get).toBe(12);
    expect([io.cost.throttledMs, io.cost.throttled]).toEqual([400, 2]);
  });

  it('buckets are apart: 10 pod GETs and 10 DaemonSet GETs at once wait for nothing', async () => {
    const clock = new SteppingClock();
    const io = new KubeIo(unreachable(), { who: 't', clock, throttle: new ClientThrottle(nodeAgentLimits(), clock) });
    await io.model('get', { apiVersion: 'v1', resource: 'pods' }, 10);
    await io.model('get', { apiVersion: 'apps/v1', resource: 'daemonsets' }, 10);
    expect(clock.slept).toEqual([]);
  });

  it('without a throttle (the bench\'s own clients) nothing waits', async () => {
    const clock = new SteppingClock();
    const io = new KubeIo(unreachable(), { who: 't', clock });
    await io.model('get', { apiVersion: 'v1', resource: 'pods' }, 1000);
    expect(clock.slept).toEqual([]);
    expect(io.cost.throttledMs).toBe(0);
  });

  it('sent requests wait too: 14 GETs of a node through the API, 4 of them throttled', async () => {
    const cluster = await startEmbeddedCluster({ simulation: { nodes: [{ count: 1, namePrefix: 'w', capacity: { cpu: '4', memory: '8Gi', pods: '110' } }] } });
    try {
      const kc = new KubeConfig();
      kc.loadFromString(cluster.kubeconfig);
      const clock = new SteppingClock();
      const io = new KubeIo(kc, { who: 't', clock, throttle: new ClientThrottle(nodeAgentLimits(), clock) });
      for (let i = 0; i < 14; i++) await io.getObject({ apiVersion: 'v1', resource: 'nodes', name: 'w-1' });
      expect(io.cost.sent.get).toBe(14);
      expect(clock.slept).toEqual([200, 200, 200, 200]);
      expect(io.cost.throttled).toBe(4);
    } finally {
      await cluster.stop();
    }
  });
});
