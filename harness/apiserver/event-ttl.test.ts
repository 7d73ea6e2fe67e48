// Events expire as on kube-apiserver: one TTL after their last write, plus up to the lease
// manager's minute of lease reuse; watches see them go.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.ts';
import { VirtualClock } from '../sim/virtual-clock.ts';
import { startEmbeddedCluster } from '../cluster/embedded.ts';
import { KubeApi } from './api.ts';
import { EventExpiry } from './event-ttl.ts';

function setUp(ttlSeconds?: number) {
  const clock = new VirtualClock();
  const t0 = clock.now();
  const api = new KubeApi({ clock, random: seededRandom(1) });
  api.create(api.lookup('', 'v1', 'namespaces')!, undefined, { metadata: { name: 'velero' } });
  const expiry = new EventExpiry(api, clock, ttlSeconds);
  const events = api.lookup('', 'v1', 'events')!;
  const deleted: string[] = [];
  api.watch(events, 'velero', {}, { send: (type, s) => type === 'DELETED' && deleted.push(`${s.obj.metadata.name}@${(clock.now() - t0) / 1000}`), expire: () => {} });
  const event = (name: string) => api.create(events, 'velero', { apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'velero' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'velero' }, reason: 'R', message: 'm', count: 1 });
  const bump = (name: string) => api.patch(events, 'velero', name, 'merge', { count: 2 });
  const at = (seconds: number) => clock.run(() => false, t0 + seconds * 1000);
  const names = () => api.list(events, 'velero', {}).items.map((s) => s.obj.metadata.name).sort();
  return { clock, api, expiry, event, bump, at, names, deleted };
}

describe('EventExpiry (kube-apiserver --event-ttl)', () => {
  it('deletes an Event one TTL and the lease reuse minute after its write; the watch sees DELETED', async () => {
    const t = setUp();
    t.event('a');
    await t.at(3659);
    expect(t.names()).toEqual(['a']);
    await t.at(3660);
    expect(t.names()).toEqual([]);
    expect(t.deleted).toEqual(['a@3660']);
    expect(t.expiry.expired).toBe(1);
  });

  it('writes within a minute share a lease and go together; a later write gets a new lease', async () => {
    const t = setUp();
    t.event('a');
    await t.at(30);
    t.event('b');
    await t.at(61);
    t.event('c');
    await t.at(4000);
    expect(t.deleted).toEqual(['a@3660', 'b@3660', 'c@3721']);
  });

  it('an update attaches the Event to the lease of its time: it lives one TTL past its last write', async () => {
    const t = setUp();
    t.event('a');
    t.event('b');
    await t.at(3000);
    t.bump('a');
    await t.at(3660);
    expect(t.names()).toEqual(['a']);
    await t.at(7000);
    expect(t.deleted).toEqual(['b@3660', 'a@6660']);
  });

  it('an Event deleted before its lease runs out is not deleted again', async () => {
    const t = setUp();
    t.event('a');
    t.event('b');
    t.api.delete(t.api.lookup('', 'v1', 'events')!, 'velero', 'a');
    await t.at(4000);
    expect(t.deleted).toEqual(['a@0', 'b@3660']);
    expect(t.expiry.expired).toBe(1);
  });

  it('takes another TTL: the reuse period is 5% of it when that is under a minute', async () => {
    const t = setUp(100);
    t.event('a');
    await t.at(3);
    t.event('b');
    await t.at(6);
    t.event('c');
    await t.at(200);
    // 5% of 100 s: leases of 105 s, reused for writes of the first 5 s.
    expect(t.deleted).toEqual(['a@105', 'b@105', 'c@111']);
  });

  it('refuses a TTL that is not a positive number, naming the option', () => {
    const clock = new VirtualClock();
    const api = new KubeApi({ clock, random: seededRandom(1) });
    expect(() => new EventExpiry(api, clock, 0)).toThrow(/eventTtlSeconds: 0 is not accepted: a number of seconds above 0 \(kube-apiserver's --event-ttl; default 3600\)/);
    expect(() => new EventExpiry(api, clock, Number.NaN)).toThrow(/eventTtlSeconds: null is not accepted/);
  });

  it('the embedded cluster expires Events over HTTP too, and stop() leaves no timer behind', async () => {
    const clock = new VirtualClock();
    const t0 = clock.now();
    const cluster = await startEmbeddedCluster({ clock, eventTtlSeconds: 120 });
    try {
      const url = `${cluster.url}/api/v1/namespaces/default/events`;
      const body = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1' }, involvedObject: { kind: 'Pod', name: 'p' }, reason: 'R', message: 'm' };
      const created = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      expect(created.status).toBe(201);
      expect((await fetch(`${url}/e1`)).status).toBe(200);
      // 120 s TTL: 5% is 6 s of reuse.
      await clock.run(() => false, t0 + 126_000);
      expect((await fetch(`${url}/e1`)).status).toBe(404);
      expect(cluster.server.eventExpiry.expired).toBe(1);
    } finally {
      await cluster.stop();
    }
    expect(clock.nextDue()).toBeUndefined();
  });
});
