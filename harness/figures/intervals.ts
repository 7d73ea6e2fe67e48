// Sets of instants as sorted, disjoint half-open intervals [from, to): what the figures take
// unions, intersections and differences of (a pod's life, its container running, its node Ready,
// its DataUpload's data path reporting).
export type Interval = [number, number];

/** Sorted, merged, without empty intervals. */
export function normalize(list: readonly Interval[]): Interval[] {
  const sorted = list.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: Interval[] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

export function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const from = Math.max(a[i][0], b[j][0]);
    const to = Math.min(a[i][1], b[j][1]);
    if (to > from) out.push([from, to]);
    if (a[i][1] < b[j][1]) i++;
    else j++;
  }
  return out;
}

/** The instants of a that are not in b. */
export function subtract(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const [from, to] of a) {
    let start = from;
    for (const [bf, bt] of b) {
      if (bt <= start) continue;
      if (bf >= to) break;
      if (bf > start) out.push([start, bf]);
      start = Math.max(start, bt);
      if (start >= to) break;
    }
    if (start < to) out.push([start, to]);
  }
  return out;
}

export function total(list: readonly Interval[]): number {
  return list.reduce((s, [a, b]) => s + (b - a), 0);
}

/** Whether t is in the set. */
export function contains(list: readonly Interval[], t: number): boolean {
  return list.some(([a, b]) => t >= a && t < b);
}
