import { describe, expect, it } from 'vitest';
import { formatBytes, formatCpu, parseBytes, parseCount, parseCpu, parseQuantity, QuantityError } from './quantity.ts';

describe('parseCpu', () => {
  it.each([
    ['500m', 500],
    ['2', 2000],
    [2, 2000],
    ['0.5', 500],
    [0.25, 250],
    ['1.1', 1100],
    ['1e3', 1_000_000],
    ['1k', 1_000_000],
    ['100u', 1], // rounds up to a whole millicore, as MilliValue() does
    ['.5', 500],
  ])('%s -> %i millicores', (q, want) => {
    expect(parseCpu(q)).toBe(want);
  });
});

describe('parseBytes', () => {
  it.each([
    ['1Gi', 1024 ** 3],
    ['1G', 1e9],
    ['128Mi', 128 * 1024 ** 2],
    ['1.5Gi', 1.5 * 1024 ** 3],
    ['16284Mi', 16284 * 1024 ** 2],
    ['1e3', 1000],
    ['0.1Gi', 107374183], // 107374182.4, rounded up
    [1024, 1024],
    ['2Ti', 2 * 1024 ** 4],
  ])('%s -> %i bytes', (q, want) => {
    expect(parseBytes(q)).toBe(want);
  });
});

describe('parseQuantity and parseCount', () => {
  it('gives base units, fractions included', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('1Ki')).toBe(1024);
    expect(parseCount('110')).toBe(110);
    expect(parseCount(250)).toBe(250);
  });

  it('refuses a fractional count, naming the field', () => {
    expect(() => parseCount('1.5', 'capacity.pods')).toThrow('capacity.pods: "1.5" is not accepted: use a whole number');
  });
});

describe('bad quantities', () => {
  it.each(['abc', '1GB', '', '1 Gi', '--1', 'Gi', '1.2.3', '1Gii'])('rejects %j naming the value and the accepted forms', (q) => {
    let err: unknown;
    try {
      parseBytes(q, 'nodePools[0].capacity.memory');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QuantityError);
    expect((err as Error).message).toBe(
      `nodePools[0].capacity.memory: ${JSON.stringify(q)} is not a Kubernetes quantity: use a number with an optional suffix ` +
        '(m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei) or exponent, e.g. 500m, 2, 0.5, 1Gi, 1G, 1e3',
    );
  });

  it('rejects non-finite numbers', () => {
    expect(() => parseCpu(Number.NaN, 'cpu')).toThrow(QuantityError);
    expect(() => parseCpu(Infinity, 'cpu')).toThrow(/cpu: Infinity is not a Kubernetes quantity/);
  });
});

describe('formatting', () => {
  it.each([
    [2000, '2'],
    [1500, '1500m'],
    [100, '100m'],
    [0, '0'],
  ])('cpu %i -> %s', (m, want) => expect(formatCpu(m)).toBe(want));

  it.each([
    [1024 ** 3 * 16, '16Gi'],
    [16284 * 1024 ** 2, '16284Mi'],
    [1e9, '1G'],
    [30e9, '30G'], // also 29296875Ki: the shorter form wins
    [1500, '1500'],
    [1536, '1536'], // 1.5Ki: neither a binary nor a decimal suffix is exact
    [0, '0'],
  ])('bytes %i -> %s', (b, want) => expect(formatBytes(b)).toBe(want));

  it('round-trips through parse', () => {
    for (const q of ['16Gi', '1G', '250Mi', '7']) expect(formatBytes(parseBytes(q))).toBe(q);
    for (const q of ['2', '500m', '3900m']) expect(formatCpu(parseCpu(q))).toBe(q);
  });
});
