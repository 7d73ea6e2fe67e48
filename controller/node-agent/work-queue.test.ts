import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../harness/sim/virtual-clock.ts';
import { DataPathWatcher, EVENT_WAIT_TIMEOUT_MS } from './data-path.ts';
import { Limiter } from './limiter.ts';
import { WorkQueue } from './work-queue.ts';

describe('WorkQueue (controller-runtime semantics)', () => {
  it('queues a key once, and again after processing when it was added meanwhile', async () => {
    const clock = new VirtualClock();
    const q = new WorkQueue(clock);
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    q.add('a'); // while processing: dirty
    expect(q.length).toBe(1);
    q.done('a');
    expect(await q.get()).toBe('b');
    q.done('b');
    expect(await q.get()).toBe('a');
  });

  it('keeps the earliest of several delayed adds of one key', async () => {
    const clock = new VirtualClock();
    const q = new WorkQueue(clock);
    const start = clock.now();
    q.addAfter('a', 5000);
    q.addAfter('a', 60000);
    q.addAfter('a', 1000);
    let at = -1;
    void q.get().then(() => (at = clock.now() - start));
    await clock.run(() => at >= 0, start + 100_000);
    expect(at).toBe(1000);
  });

  it('backs off failures 5 ms doubling, and forgets on success', async () => {
    const clock = new VirtualClock();
    const q = new WorkQueue(clock);
    const start = clock.now();
    const times: number[] = [];
    const worker = (async () => {
      q.addRateLimited('a');
      for (;;) {
        const key = await q.get();
        times.push(clock.now() - start);
        q.done(key!);
        if (times.length === 4) {
          q.forget('a');
          q.addRateLimited('a');
        } else if (times.length < 6) q.addRateLimited('a');
        else return;
      }
    })();
    await clock.run(() => times.length === 6, start + 10_000);
    await worker;
    expect(times).toEqual([5, 15, 35, 75, 80, 90]);
  });
});

describe('Limiter (Velero’s per-node data-path limit)', () => {
  it('refuses past the limit, lets a reservation become running, bypasses the limit on resume, and tells on release', () => {
    const l = new Limiter(1);
    let released = 0;
    l.onRelease(() => released++);
    expect(l.reserve('a')).toBe(true);
    expect(l.start('b')).toBe(false);
    expect(l.start('a')).toBe(true);
    expect(l.used).toBe(1);
    expect(l.start('c', { resume: true })).toBe(true);
    expect(l.used).toBe(2);
    l.release('a');
    l.release('a');
    expect(released).toBe(1);
    expect(l.used).toBe(1);
  });
});

describe('DataPathWatcher (Velero’s micro-service watcher)', () => {
  const pod = (phase: string, message = '') => ({ metadata: { name: 'du' }, status: { phase, containerStatuses: [{ name: 'c', state: { terminated: { message } } }] } }) as never;
  const event = (reason: string, message = '') => ({ reason, message, involvedObject: { name: 'du' } }) as never;

  it('reports progress, then the result once the pod succeeded and Started/Stopped were seen', () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    const w = new DataPathWatcher('du', clock, {
      onProgress: (p) => seen.push(`progress ${p.doneBytes}/${p.totalBytes}`),
      onCompleted: (r) => seen.push(`completed ${r?.snapshotID}`),
      onCancelled: () => seen.push('cancelled'),
      onFailed: (m) => seen.push(`failed ${m}`),
    });
    w.onEvent(event('Data-Path-Started'));
    w.onEvent(event('Data-Path-Progress', '{"totalBytes":10,"doneBytes":4}'));
    w.onPod(pod('Running'));
    w.onPod(pod('Succeeded', '{"snapshotID":"s1","totalBytes":10}'));
    expect(seen).toEqual(['progress 4/10']);
    w.onEvent(event('Data-Path-Stopped'));
    expect(seen).toEqual(['progress 4/10', 'progress 10/10', 'completed s1']);
  });

  it('waits at most a minute for the events after the pod failed, then tells canceled from failed by the message', async () => {
    for (const [message, expected] of [
      ['... data path is canceled', 'cancelled'],
      ['error waiting for du: context deadline exceeded', 'failed error waiting for du: context deadline exceeded'],
    ]) {
      const clock = new VirtualClock();
      const start = clock.now();
      const seen: string[] = [];
      const w = new DataPathWatcher('du', clock, {
        onProgress: () => {},
        onCompleted: () => seen.push('completed'),
        onCancelled: () => seen.push('cancelled'),
        onFailed: (m) => seen.push(`failed ${m}`),
      });
      w.onPod(pod('Failed', message));
      await clock.run(() => seen.length > 0, start + 120_000);
      expect(seen).toEqual([expected]);
      expect(clock.now() - start).toBe(EVENT_WAIT_TIMEOUT_MS);
    }
  });
});
