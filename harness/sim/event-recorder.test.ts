// The simulated components' Event recorder folds repeats into one Event, as client-go's
// EventCorrelator does, and like it remembers only the last 4096 keys.
import { describe, expect, it } from 'vitest';
import { CORRELATOR_CACHE_ENTRIES, EventRecorder, Lru } from './event-recorder.ts';
import { simTestCluster } from './sim-test-cluster.ts';

describe('Lru', () => {
  it('drops the least recently used key past its size; a read counts as a use', () => {
    const lru = new Lru<number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe(1);
    expect(lru.get('c')).toBe(3);
    expect(lru.length).toBe(2);
  });
});

describe('EventRecorder', () => {
  it('folds a repeat into the Event that counts it, until the correlator has forgotten its key', () => {
    const c = simTestCluster();
    const recorder = new EventRecorder(c.ctx, { component: 'kubelet', host: 'n1' });
    const pod = (i: number) => ({ kind: 'Pod', namespace: 'default', name: `p-${i}` });
    recorder.record(pod(0), 'Normal', 'Pulled', 'image present');
    recorder.record(pod(0), 'Normal', 'Pulled', 'image present');
    expect(c.eventsFor('p-0').map((e) => e.count)).toEqual([2]);
    // As many other keys as the cache holds push p-0's out: its next repeat is a new Event.
    for (let i = 1; i <= CORRELATOR_CACHE_ENTRIES; i++) recorder.record(pod(i), 'Normal', 'Pulled', 'image present');
    recorder.record(pod(0), 'Normal', 'Pulled', 'image present');
    expect(c.eventsFor('p-0').map((e) => e.count)).toEqual([2, 1]);
  });
});
