import { describe, expect, it } from 'vitest';
import { DurationError, formatGoDuration, parseGoDuration } from './duration.ts';

describe('parseGoDuration reads what Go’s time.ParseDuration reads', () => {
  it.each([
    ['10m', 600_000],
    ['10m0s', 600_000],
    ['1h30m', 5_400_000],
    ['4h0m0s', 14_400_000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['.5s', 500],
    ['1.s', 1000],
    ['0', 0],
    ['-0', 0],
    ['0s', 0],
    ['-1m', -60_000],
    ['+1m', 60_000],
    ['1m30s500ms', 90_500],
    ['250us', 0.25],
    ['250µs', 0.25],
    ['250μs', 0.25],
    ['1500ns', 0.0015],
    ['1.0000000001s', 1000], // below a nanosecond: truncated, as Go does
  ])('%s -> %d ms', (text, ms) => expect(parseGoDuration(text, 'f')).toBe(ms));

  it.each([
    ['', 'empty'],
    ['10', 'a number without a unit'],
    ['1m30', 'a trailing number without a unit'],
    ['5d', 'an unknown unit'],
    ['1e3s', 'an exponent'],
    ['ten minutes', 'words'],
    [' 10m', 'leading space'],
    ['10m ', 'trailing space'],
    ['.s', 'a point without digits'],
    ['1.5.5s', 'two points'],
    ['-', 'a sign alone'],
    ['3000000h', 'more than time.Duration holds'],
    [600, 'a number'],
    [null, 'null'],
  ])('refuses %j (%s), naming the field and the value', (value, _why) => {
    let err: unknown;
    try {
      parseGoDuration(value, 'datamoverBench.prepareTimeout');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DurationError);
    expect((err as DurationError).field).toBe('datamoverBench.prepareTimeout');
    expect((err as Error).message).toBe(`datamoverBench.prepareTimeout: ${JSON.stringify(value)} is not accepted: use ${(err as DurationError).accepted}`);
    expect((err as DurationError).accepted).toContain('"1h30m"');
  });
});

describe('formatGoDuration prints what Go’s Duration.String() prints', () => {
  it.each([
    [600_000, '10m0s'],
    [14_400_000, '4h0m0s'],
    [3_600_000, '1h0m0s'],
    [5_400_500, '1h30m0.5s'],
    [61_000, '1m1s'],
    [1500, '1.5s'],
    [1000, '1s'],
    [500, '500ms'],
    [1.5, '1.5ms'],
    [0.25, '250µs'],
    [0.0001, '100ns'],
    [0, '0s'],
    [-60_000, '-1m0s'],
  ])('%d ms -> %s', (ms, text) => expect(formatGoDuration(ms)).toBe(text));

  it.each(['10m', '1h30m', '90s', '0.5s', '36h'])('a DataUpload’s %s comes back in Go’s canonical form, same value', (text) => {
    const ms = parseGoDuration(text, 'spec.operationTimeout');
    expect(parseGoDuration(formatGoDuration(ms), 'spec.operationTimeout')).toBe(ms);
  });
});
