// Go's time.Duration in text, as Velero's flags and the DataUpload's spec.operationTimeout carry
// it: parse as time.ParseDuration does, print as Duration.String() does, so a value read from
// Velero and written back looks the same. Arithmetic is in whole nanoseconds, as in Go; the
// public unit is milliseconds, the project's unit of time.

const NS_PER_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu; Go accepts both
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_NS = (1n << 63n) - 1n; // time.Duration is an int64 of nanoseconds
const ACCEPTED = 'a Go duration: numbers with units ns, us, ms, s, m, h, such as "30s", "10m", "1h30m", "1.5s" or "500ms"';

export class DurationError extends Error {
  readonly accepted = ACCEPTED;
  constructor(
    readonly field: string,
    readonly value: unknown,
  ) {
    super(`${field}: ${JSON.stringify(value) ?? String(value)} is not accepted: use ${ACCEPTED}`);
    this.name = 'DurationError';
  }
}

/** Milliseconds of a Go duration string (time.ParseDuration); `field` names it in errors. */
export function parseGoDuration(s: unknown, field: string): number {
  if (typeof s !== 'string') throw new DurationError(field, s);
  const signed = /^([+-]?)(.*)$/s.exec(s)!;
  const body = signed[2];
  if (body === '0') return 0; // Go's one unitless form
  if (body === '') throw new DurationError(field, s);
  // A number (digits before or after the point) then a unit, repeated: "1h30m", "1.5s", ".5s", "1.s".
  const part = /(\d*)(?:\.(\d*))?([^\d.]*)/y;
  let ns = 0n;
  for (let i = 0; i < body.length; i = part.lastIndex) {
    part.lastIndex = i;
    const [, whole, frac = '', unit] = part.exec(body)!;
    if ((whole === '' && frac === '') || !Object.hasOwn(NS_PER_UNIT, unit)) throw new DurationError(field, s);
    const perUnit = NS_PER_UNIT[unit];
    ns += BigInt(whole || '0') * perUnit;
    // Go truncates a fraction below a nanosecond.
    if (frac) ns += (BigInt(frac) * perUnit) / 10n ** BigInt(frac.length);
    if (ns > MAX_NS) throw new DurationError(field, s);
  }
  return (signed[1] === '-' ? -1 : 1) * nsToMs(ns);
}

/** Go's Duration.String(): 600000 -> "10m0s", 14400000 -> "4h0m0s", 1500 -> "1.5s", 500 -> "500ms", 0 -> "0s". */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`formatGoDuration: ${ms} is not a duration`);
  const total = BigInt(Math.round(ms * 1e6));
  const sign = total < 0n ? '-' : '';
  let ns = total < 0n ? -total : total;
  if (ns === 0n) return '0s';
  if (ns < 1_000n) return `${sign}${ns}ns`;
  if (ns < 1_000_000n) return `${sign}${decimal(ns, 3)}µs`;
  if (ns < 1_000_000_000n) return `${sign}${decimal(ns, 6)}ms`;
  let out = `${decimal(ns % 60_000_000_000n, 9)}s`;
  ns /= 60_000_000_000n;
  if (ns > 0n) {
    out = `${ns % 60n}m${out}`;
    ns /= 60n;
    if (ns > 0n) out = `${ns}h${out}`;
  }
  return sign + out;
}

/** n / 10^digits in decimal, trailing zeros of the fraction dropped: (1500000, 6) -> "1.5". */
function decimal(n: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const frac = (n % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  return `${n / scale}${frac ? `.${frac}` : ''}`;
}

function nsToMs(ns: bigint): number {
  return Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
}
