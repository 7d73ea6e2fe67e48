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

  it('a look-ahead reservation: one per node, only when every slot is taken, and it starts only in a free slot', () => {
    const l = new Limiter(1);
    expect(l.reserve('early', { ahead: true })).toBe(false); // a slot is free: a plain claim, not a look-ahead
    l.start('moving');
    expect(l.reserve('next', { ahead: true })).toBe(true);
    expect([l.used, l.aheadCount, l.reserve('third', { ahead: true })]).toEqual([2, 1, false]);
    // Its pod runs before the slot frees: the start must wait (ConcurrentLimitExceed).
    expect(l.start('next')).toBe(false);
    expect(l.reserve('plain')).toBe(false);
    l.release('moving');
    expect(l.start('next')).toBe(true);
    expect([l.used, l.aheadCount, l.held()]).toEqual([1, 0, ['next']]);
    // Released before it started (its DataUpload ended): nothing is left.
    l.reserve('again', { ahead: true });
    l.releaseReservation('again');
    expect([l.used, l.aheadCount]).toEqual([1, 0]);
  });
});
