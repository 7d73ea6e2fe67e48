// Kubernetes resource quantities ("500m", "2", "1Gi", "1G", "1e3", "0.5") as numbers, and back.
// Parsing is exact (a decimal mantissa times a power of ten or of 1024), so "1.1" cpu is 1100
// millicores, not 1101; like resource.Quantity's MilliValue() and Value(), fractions of the
// target unit round up.

export class QuantityError extends Error {}

export type Quantity = string | number;

const BINARY: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const FORM = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** Parsed quantities by their text: a run parses the same few ("1", "1Gi", "250m") thousands of times. */
const parsed = new Map<string, Readonly<{ num: bigint; den: bigint }>>();

/** The value as the fraction num/den (den > 0). */
function exact(value: Quantity, field: string): Readonly<{ num: bigint; den: bigint }> {
  if (typeof value === 'string') {
    const known = parsed.get(value);
    if (known) return known;
    const r = Object.freeze(parseExact(value, field));
    if (parsed.size >= 4096) parsed.clear();
    parsed.set(value, r);
    return r;
  }
  return parseExact(value, field);
}

function parseExact(value: Quantity, field: string): { num: bigint; den: bigint } {
  const text = typeof value === 'number' ? numberText(value, field) : typeof value === 'string' ? value.trim() : undefined;
  const m = text === undefined ? null : FORM.exec(text);
  if (!m) {
    throw new QuantityError(
      `${field}: ${JSON.stringify(value)} is not a Kubernetes quantity: use a number with an optional suffix ` +
        '(m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei) or exponent, e.g. 500m, 2, 0.5, 1Gi, 1G, 1e3',
    );
  }
  const [, sign, digits, suffix = ''] = m;
  const [whole, frac = ''] = digits.split('.');
  let num = BigInt((whole || '0') + frac) * (sign === '-' ? -1n : 1n);
  let den = 10n ** BigInt(frac.length);
  let exp = 0;
  if (suffix in BINARY) num *= BINARY[suffix];
  else if (suffix in DECIMAL) exp = DECIMAL[suffix];
  else exp = Number(suffix.slice(1));
  if (exp >= 0) num *= 10n ** BigInt(exp);
  else den *= 10n ** BigInt(-exp);
  return { num, den };
}

function numberText(n: number, field: string): string {
  if (!Number.isFinite(n)) throw new QuantityError(`${field}: ${n} is not a Kubernetes quantity: use a finite number or a string such as 500m or 1Gi`);
  // Numbers print as decimals or exponents ("1e-7"), both forms the grammar accepts.
  return String(n);
}

function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den !== 0n && num > 0n ? q + 1n : q;
}

/** The value in base units (cores, bytes, pods): "500m" -> 0.5, "1Ki" -> 1024. */
export function parseQuantity(value: Quantity, field = 'quantity'): number {
  const { num, den } = exact(value, field);
  return Number(num) / Number(den);
}

/** CPU in millicores, rounded up: "500m" -> 500, "2" -> 2000, "0.1" -> 100. */
export function parseCpu(value: Quantity, field = 'cpu'): number {
  const { num, den } = exact(value, field);
  return Number(ceilDiv(num * 1000n, den));
}

/** Memory or storage in bytes, rounded up: "1Gi" -> 1073741824, "1G" -> 1e9. */
export function parseBytes(value: Quantity, field = 'memory'): number {
  const { num, den } = exact(value, field);
  return Number(ceilDiv(num, den));
}

/** A whole count (pods): "110" -> 110; a fraction is an error. */
export function parseCount(value: Quantity, field = 'pods'): number {
  const { num, den } = exact(value, field);
  if (num % den !== 0n) throw new QuantityError(`${field}: ${JSON.stringify(value)} is not accepted: use a whole number`);
  return Number(num / den);
}

/** Millicores as Kubernetes prints them: 2000 -> "2", 1500 -> "1500m". */
export function formatCpu(millicores: number): string {
  const m = Math.ceil(millicores);
  return m % 1000 === 0 ? String(m / 1000) : `${m}m`;
}

const BINARY_DESC = Object.entries(BINARY).reverse();
const DECIMAL_DESC: [string, bigint][] = [['E', 10n ** 18n], ['P', 10n ** 15n], ['T', 10n ** 12n], ['G', 10n ** 9n], ['M', 10n ** 6n], ['k', 1000n]];

/**
 * Bytes in the shortest exact form, binary suffixes winning ties, so a value keeps the form it
 * was probably declared in: 17179869184 -> "16Gi", 30e9 -> "30G", 1500 -> "1500".
 */
export function formatBytes(bytes: number): string {
  const b = BigInt(Math.ceil(bytes));
  if (b === 0n) return '0';
  const first = (table: [string, bigint][]) => {
    const hit = table.find(([, factor]) => b % factor === 0n);
    return hit ? `${b / hit[1]}${hit[0]}` : undefined;
  };
  const forms = [first(BINARY_DESC), first(DECIMAL_DESC), String(b)].filter((f): f is string => f !== undefined);
  const digits = (f: string) => f.replace(/\D+$/, '').length;
  return forms.reduce((best, f) => (digits(f) < digits(best) ? f : best));
}

/** The value in nano units, rounded up (resource.Quantity's precision): "500m" -> 500000000n. */
export function parseNanos(value: Quantity, field = 'quantity'): bigint {
  const { num, den } = exact(value, field);
  return ceilDiv(num * 1_000_000_000n, den);
}

/** True when the quantity is written with a binary suffix (Ki ... Ei): resource.Quantity's BinarySI format. */
export function isBinaryForm(value: Quantity): boolean {
  return typeof value === 'string' && /(Ki|Mi|Gi|Ti|Pi|Ei)$/.test(value.trim());
}
