// The store, object by object, before and after a request: what changed, and whether what is
// stored now is something kube-apiserver could ever have stored (string names and labels, an
// ownerReferences array, ...). Runs where the ApiServer is (the fuzz target's child process).
import type { KubeApi } from '../api.ts';
import { FIXTURE_KEYS } from './fixture.ts';

export interface Snapshot {
  rv: number;
  /** "group/resource|namespace/name" -> the object's JSON, serialised afresh (an object changed in place shows too). */
  objects: Map<string, string>;
}

export interface ObjectChange {
  key: string;
  change: 'added' | 'removed' | 'changed';
  /** For changed objects, the first fields that differ: `metadata.labels.a: "x" -> "y"`. */
  fields?: string[];
}

export interface StoreDiff {
  rvBefore: number;
  rvAfter: number;
  changes: ObjectChange[];
  /** Objects added or changed that no real API server would store, with why. */
  invalid: { key: string; problems: string[] }[];
  /** A seeded object was removed or is being deleted: later requests need a fresh server. */
  fixtureDamaged: boolean;
}

export function takeSnapshot(api: KubeApi): Snapshot {
  const objects = new Map<string, string>();
  for (const table of api.store.allTables()) {
    for (const [key, s] of table.objects) {
      let json: string;
      try {
        json = JSON.stringify(s.obj);
      } catch (e) {
        json = `<not serialisable: ${(e as Error).message}>`;
      }
      objects.set(`${table.groupResource}|${key}`, json);
    }
  }
  return { rv: api.store.currentRv, objects };
}

export function diffSnapshots(before: Snapshot, after: Snapshot): StoreDiff {
  const changes: ObjectChange[] = [];
  const invalid: StoreDiff['invalid'] = [];
  for (const [key, json] of after.objects) {
    const old = before.objects.get(key);
    if (old === json) continue;
    changes.push(old === undefined ? { key, change: 'added' } : { key, change: 'changed', fields: fieldDiff(parse(old), parse(json)) });
    const problems = objectProblems(key, json);
    if (problems.length) invalid.push({ key, problems });
  }
  for (const key of before.objects.keys()) if (!after.objects.has(key)) changes.push({ key, change: 'removed' });
  const fixtureDamaged = FIXTURE_KEYS.some((k) => {
    const json = after.objects.get(k);
    return json === undefined || /"deletionTimestamp":/.test(json);
  });
  return { rvBefore: before.rv, rvAfter: after.rv, changes, invalid, fixtureDamaged };
}

function parse(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}

const show = (v: unknown): string => {
  const s = v === undefined ? 'absent' : JSON.stringify(v) ?? String(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
};

/** Up to 8 leaf paths where a and b differ. */
export function fieldDiff(a: unknown, b: unknown, max = 8): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, path: string) => {
    if (out.length >= max) return;
    const bothObjects = x !== null && y !== null && typeof x === 'object' && typeof y === 'object' && Array.isArray(x) === Array.isArray(y);
    if (bothObjects) {
      const keys = new Set([...Object.keys(x as object), ...Object.keys(y as object)]);
      for (const k of keys) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      return;
    }
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push(`${path || '(whole object)'}: ${show(x)} -> ${show(y)}`);
  };
  walk(a, b, '');
  return out;
}

const isStringMap = (v: unknown): boolean =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every((x) => typeof x === 'string');

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** Why a stored object could not have come out of kube-apiserver (its ObjectMeta and, for ConfigMaps, data are typed and validated there). */
export function objectProblems(key: string, json: string): string[] {
  const obj = parse(json) as Record<string, any>;
  if (obj === null || typeof obj !== 'object') return [`not an object: ${json.slice(0, 80)}`];
  const problems: string[] = [];
  const meta = obj.metadata;
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return ['metadata is not an object'];
  if (typeof meta.name !== 'string' || meta.name === '') problems.push(`metadata.name is ${show(meta.name)}, not a non-empty string`);
  else if (meta.name === '.' || meta.name === '..' || meta.name.includes('/') || meta.name.includes('%')) problems.push(`metadata.name ${show(meta.name)} cannot be a path segment`);
  if (meta.namespace !== undefined && typeof meta.namespace !== 'string') problems.push(`metadata.namespace is ${show(meta.namespace)}`);
  for (const f of ['uid', 'resourceVersion', 'creationTimestamp', 'generateName']) {
    if (meta[f] !== undefined && typeof meta[f] !== 'string') problems.push(`metadata.${f} is ${show(meta[f])}, not a string`);
  }
  // int64 fields: the server's own decoder refuses anything else, so such an object breaks every later write of it.
  for (const f of ['generation', 'deletionGracePeriodSeconds']) {
    if (meta[f] !== undefined && meta[f] !== null && !Number.isSafeInteger(meta[f])) problems.push(`metadata.${f} is ${show(meta[f])}, not an integer`);
  }
  if (meta.deletionTimestamp !== undefined && meta.deletionTimestamp !== null && (typeof meta.deletionTimestamp !== 'string' || Number.isNaN(Date.parse(meta.deletionTimestamp)))) {
    problems.push(`metadata.deletionTimestamp is ${show(meta.deletionTimestamp)}, not a time`);
  }
  for (const f of ['labels', 'annotations']) {
    if (meta[f] !== undefined && meta[f] !== null && !isStringMap(meta[f])) problems.push(`metadata.${f} is ${show(meta[f])}, not a map of strings`);
  }
  if (meta.finalizers !== undefined && meta.finalizers !== null && !(Array.isArray(meta.finalizers) && meta.finalizers.every((f: unknown) => typeof f === 'string' && f !== ''))) {
    problems.push(`metadata.finalizers is ${show(meta.finalizers)}, not a list of names`);
  }
  if (meta.ownerReferences !== undefined && meta.ownerReferences !== null) {
    const refs = meta.ownerReferences;
    const ok = Array.isArray(refs) && refs.every((r: any) => r && typeof r === 'object' && ['apiVersion', 'kind', 'name', 'uid'].every((k) => typeof r[k] === 'string'));
    if (!ok) problems.push(`metadata.ownerReferences is ${show(refs)}, not a list of references`);
  }
  if (key.startsWith('/configmaps|')) {
    for (const f of ['data', 'binaryData']) {
      const m = obj[f];
      if (m === undefined || m === null) continue;
      if (!isStringMap(m)) {
        problems.push(`${f} is ${show(m)}, not a map of strings`);
        continue;
      }
      for (const [k, v] of Object.entries(m as Record<string, string>)) {
        if (!CONFIG_KEY.test(k) || k === '.' || k === '..' || k.length > 253) problems.push(`${f} key ${show(k)} is not a valid config key`);
        if (f === 'binaryData' && !BASE64.test(v)) problems.push(`binaryData.${k} is not base64`);
      }
    }
  }
  return problems;
}
