// Figures over repeated runs (seeds seed..seed+N-1): each figure's mean with a 95% confidence
// interval (Student's t), and paired per-PVC differences between two flows on the same seeds.
export interface MeanCi {
  n: number;
  mean: number;
  /** 95% confidence interval of the mean; equal to the mean when n < 2. */
  ci95: [number, number];
}

/** Two-sided 95% quantiles of Student's t by degrees of freedom; past 30, the normal's. */
const T95: Record<number, number> = { 1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.16, 14: 2.145, 15: 2.131, 16: 2.12, 17: 2.11, 18: 2.101, 19: 2.093, 20: 2.086, 25: 2.06, 30: 2.042 };

export function t95(df: number): number {
  if (df <= 0) return NaN;
  if (T95[df]) return T95[df];
  if (df > 30) return 1.96;
  // Between tabulated values: the next smaller tabulated df (a slightly wider, safe interval).
  const below = Object.keys(T95).map(Number).filter((d) => d <= df).sort((a, b) => b - a)[0];
  return T95[below];
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

/**
 * Paired differences: for every key present in both maps (a PVC, on one seed), a - b; their
 * mean and 95% interval. Pairing removes the workload's own variation from the comparison.
 */
export function pairedDifference(a: Map<string, number>, b: Map<string, number>): MeanCi {
  const diffs: number[] = [];
  for (const [k, va] of a) {
    const vb = b.get(k);
    if (vb !== undefined) diffs.push(va - vb);
  }
  return meanCi(diffs);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
