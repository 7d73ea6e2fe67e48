// Figures over repeated runs (seeds seed..seed+N-1): each figure's mean with a 95% confidence
// interval (Student's t), and paired differences between two flows on the same seeds, with the
// seed as the unit: the PVCs of one run share one queue, so they are not independent samples.
export interface MeanCi {
  n: number;
  mean: number;
  /** 95% confidence interval of the mean; equal to the mean when n < 2. */
  ci95: [number, number];
}

/** ln Γ(x), Lanczos (g = 7, n = 9): 15 significant digits for x > 0. */
function lnGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The regularized incomplete beta function I_x(a, b), by its continued fraction (Lentz). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x)) / a;
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 0;
  for (let i = 0; i <= 400; i++) {
    const m = Math.floor(i / 2);
    const num = i === 0 ? 1 : i % 2 === 0 ? (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)) : -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    d = 1 / d;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    const cd = c * d;
    f *= cd;
    if (Math.abs(1 - cd) < 1e-15) break;
  }
  return front * (f - 1);
}

/** P(T <= t) for Student's t with df degrees of freedom. */
export function tCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The two-sided 95% quantile of Student's t, t(0.975; df), exact for every df (bisection on the CDF). */
export function t95(df: number): number {
  if (!(df > 0)) return NaN;
  let lo = 0;
  let hi = 1e3;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < 0.975) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export function meanCi(values: number[]): MeanCi {
  const n = values.length;
  if (n === 0) return { n, mean: 0, ci95: [0, 0] };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean: round(mean), ci95: [round(mean), round(mean)] };
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  const half = t95(n - 1) * Math.sqrt(variance / n);
  return { n, mean: round(mean), ci95: [round(mean - half), round(mean + half)] };
}

export interface PairedBySeed extends MeanCi {
  /** PVC pairs (present in both flows) over all seeds; `n` is the number of seeds with one. */
  pairs: number;
}

/**
 * Paired differences with the seed as the unit: per seed, the mean over its PVCs (present in both
 * flows) of a - b; then the mean of those per-seed means with a 95% interval from t(n - 1) over
 * the seeds. Pairing removes the workload's own variation from the comparison.
 */
export function pairedBySeed(a: Map<number, Map<string, number>>, b: Map<number, Map<string, number>>): PairedBySeed {
  const perSeed: number[] = [];
  let pairs = 0;
  for (const [seed, am] of a) {
    const bm = b.get(seed);
    if (!bm) continue;
    const diffs: number[] = [];
    for (const [k, va] of am) {
      const vb = bm.get(k);
      if (vb !== undefined) diffs.push(va - vb);
    }
    if (!diffs.length) continue;
    pairs += diffs.length;
    perSeed.push(diffs.reduce((s, d) => s + d, 0) / diffs.length);
  }
  return { ...meanCi(perSeed), pairs };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
