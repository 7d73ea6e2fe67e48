// The per-node concurrency limiter (Velero's pkg/datapath/manager.go: len(m.tracker) against
// the node's loadConcurrency; a resumed data path bypasses it), with deploying's reservations.
import { describe, expect, it } from 'vitest';
import { Limiter } from './limiter.ts';

describe('Limiter', () => {
  it('counts running data paths and reservations against the limit; a resume bypasses it', () => {
    const l = new Limiter(2);
    expect([l.start('a'), l.reserve('b'), l.start('c')]).toEqual([true, true, false]);
    expect(l.start('c', { resume: true })).toBe(true);
    expect([l.used, l.held()]).toEqual([3, ['a', 'b', 'c']]);
  });

  it('a reservation becomes the running data path, taking no second slot, and goes back to a reservation when the start fails', () => {
    const l = new Limiter(1);
    expect(l.reserve('a')).toBe(true);
    expect(l.isReserved('a')).toBe(true);
    expect(l.start('a')).toBe(true);
    expect([l.used, l.isReserved('a')]).toEqual([1, false]);
    expect(l.reserve('a', { back: true })).toBe(true);
    expect([l.used, l.isReserved('a'), l.reserve('b')]).toEqual([1, true, false]);
  });

  it('releaseReservation ends a reservation (its DataUpload ended elsewhere) but never a running data path', () => {
    const l = new Limiter(2);
    const freed: number[] = [];
    l.onRelease(() => freed.push(l.used));
    l.reserve('claimed');
    l.start('moving');
    l.releaseReservation('moving');
    l.releaseReservation('never-held');
    expect(freed).toEqual([]);
    l.releaseReservation('claimed');
    expect(freed).toEqual([1]);
    expect(l.held()).toEqual(['moving']);
  });
});
