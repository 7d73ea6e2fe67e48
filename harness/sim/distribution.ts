// Seeded distributions for declared behaviour (latencies, sizes, throughputs).
// A distribution is data, so a scenario can override it without code.
import type { Random } from '../random.ts';

export type Distribution =
  | { kind: 'fixed'; value: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'normal'; mean: number; stddev: number; min?: number; max?: number }
  | { kind: 'lognormal'; median: number; sigma: number; min?: number; max?: number }
  | { kind: 'exponential'; mean: number; min?: number; max?: number };

const clamp = (v: number, min = -Infinity, max = Infinity) => Math.min(max, Math.max(min, v));

/** Standard normal by Box-Muller (one draw per call keeps streams easy to reason about). */
function gaussian(rng: Random): number {
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function sample(d: Distribution, rng: Random): number {
  switch (d.kind) {
    case 'fixed':
      return d.value;
    case 'uniform':
      return d.min + rng.next() * (d.max - d.min);
    case 'normal':
      return clamp(d.mean + d.stddev * gaussian(rng), d.min, d.max);
    case 'lognormal':
      return clamp(d.median * Math.exp(d.sigma * gaussian(rng)), d.min, d.max);
    case 'exponential':
      return clamp(-d.mean * Math.log(1 - rng.next()), d.min, d.max);
  }
}

/** Checks a declared distribution; returns problems as "field: value is not accepted: why". */
export function checkDistribution(field: string, d: unknown): string[] {
  const bad = (why: string) => [`${field}: ${JSON.stringify(d)} is not accepted: ${why}`];
  if (typeof d !== 'object' || d === null) return bad('expected a distribution object such as {"kind":"fixed","value":1}');
  const x = d as Record<string, unknown>;
  const nums = (...keys: string[]) => keys.every((k) => typeof x[k] === 'number' && Number.isFinite(x[k]));
  const optional = (...keys: string[]) => keys.every((k) => x[k] === undefined || (typeof x[k] === 'number' && Number.isFinite(x[k])));
  switch (x.kind) {
    case 'fixed':
      return nums('value') && (x.value as number) >= 0 ? [] : bad('fixed needs value >= 0');
    case 'uniform':
      return nums('min', 'max') && (x.min as number) >= 0 && (x.max as number) >= (x.min as number) ? [] : bad('uniform needs 0 <= min <= max');
    case 'normal':
      return nums('mean', 'stddev') && (x.stddev as number) >= 0 && optional('min', 'max') ? [] : bad('normal needs mean and stddev >= 0');
    case 'lognormal':
      return nums('median', 'sigma') && (x.median as number) > 0 && (x.sigma as number) >= 0 && optional('min', 'max') ? [] : bad('lognormal needs median > 0 and sigma >= 0');
    case 'exponential':
      return nums('mean') && (x.mean as number) > 0 && optional('min', 'max') ? [] : bad('exponential needs mean > 0');
    default:
      return bad('kind must be one of fixed, uniform, normal, lognormal, exponential');
  }
}

/** The smallest value a distribution can give (0 when it has no floor). */
export function minimumOf(d: Distribution): number {
  switch (d.kind) {
    case 'fixed':
      return d.value;
    case 'uniform':
      return d.min;
    default:
      return Math.max(0, d.min ?? 0);
  }
}
