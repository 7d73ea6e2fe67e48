// Go's time.Duration in text, as Velero's flags and the DataUpload's spec.operationTimeout
// carry it: parse "10m", "1h30m", "1.5s", "500ms"; print as Go's Duration.String() does.
const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export class DurationError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
  ) {
    super(`${field}: ${JSON.stringify(value)} is not accepted: use a Go duration such as "30s", "10m", "1h30m" or "500ms"`);
    this.name = 'DurationError';
  }
}

/** Milliseconds of a Go duration string (time.ParseDuration); `field` names it in errors. */
export function parseGoDuration(s: unknown, field: string): number {
  if (typeof s !== 'string') throw new DurationError(field, s);
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let ms = 0;
  let i = 0;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) throw new DurationError(field, s);
    ms += Number(m[1]) * UNITS[m[2]];
    i = re.lastIndex;
  }
  if (s.length === 0) throw new DurationError(field, s);
  return ms;
}

/** Go's Duration.String(): 600000 -> "10m0s", 1500 -> "1.5s", 500 -> "500ms", 0 -> "0s". */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  ms = Math.abs(ms);
  if (ms < 1000) return `${sign}${trim(ms)}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  let out = `${trim(s)}s`;
  if (h > 0 || m > 0) out = `${m}m${out}`;
  if (h > 0) out = `${h}h${out}`;
  return sign + out;
}

function trim(n: number): string {
  return String(Number(n.toFixed(9)));
}
