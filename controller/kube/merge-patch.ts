// A JSON merge patch (RFC 7386) from one object to another, as controller-runtime's
// client.MergeFrom computes it (Velero v1.16's status writes): changed and added keys carry the
// new value, removed keys null; arrays and other values are replaced whole.
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function mergePatchOf(before: unknown, after: unknown): Record<string, unknown> {
  const patch = diff(before as Json, after as Json);
  return patch !== undefined && isObject(patch) ? patch : {};
}

function diff(a: Json | undefined, b: Json | undefined): Json | undefined {
  if (isObject(a) && isObject(b)) {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(a)) if (!(k in b) || b[k] === undefined) if (a[k] !== undefined) out[k] = null;
    for (const k of Object.keys(b)) {
      if (b[k] === undefined) continue;
      const d = diff(a[k], b[k]);
      if (d !== undefined) out[k] = d;
    }
    return Object.keys(out).length ? out : undefined;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  return b === undefined ? null : b;
}

function isObject(v: unknown): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
