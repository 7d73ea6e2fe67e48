// The request classes: each a generator that makes hostile or malformed requests from the
// seeded Random (one seed drives every choice; each class draws from its own fork, so adding a
// class or changing one does not shift the others). Generators aim at the seeded objects of
// fixture.ts. A request's `expect` says what kube-apiserver would do where that is clear and
// matters (a name of ".." is refused, never resolved to another object); everything else is held
// to the checks every request gets (runner.ts).
import type { Random } from '../../random.ts';
import { EXISTING, NEW_NAMES, PATHS, validObject, type Target } from './fixture.ts';
import type { FuzzRequest } from './request.ts';

export interface FuzzClass {
  name: string;
  describe: string;
  /** Requests the test sends of this class. */
  count: number;
  generate(rng: Random): FuzzRequest;
}

// ---- helpers -------------------------------------------------------------------------------

export const pick = <T>(rng: Random, xs: readonly T[]): T => xs[rng.int(0, xs.length - 1)];
const chance = (rng: Random, p: number): boolean => rng.next() < p;
const TARGETS: Target[] = ['configmaps', 'pods', 'namespaces', 'datauploads'];
const JSON_CT = { 'Content-Type': 'application/json' };
const PATCH_CT = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
} as const;

const text = (s: string): Buffer => Buffer.from(s, 'utf8');
/** encodeURIComponent, but a lone surrogate becomes U+FFFD's bytes instead of throwing. */
const percentEncode = (s: string): string => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), 'utf8');
const withDryRun = (query: string | undefined, dry: boolean): string | undefined => (dry ? (query ? `${query}&dryRun=All` : 'dryRun=All') : query);

function objectPath(target: Target, name: string): string {
  return `${PATHS[target]}/${name}`;
}

function existing(rng: Random, target: Target): string {
  // The namespace "default" holds the other targets: deleting it is left to the classes that mean to.
  const names = target === 'namespaces' ? ['fuzz', 'velero'] : EXISTING[target];
  return pick(rng, names);
}

// ---- 1. expensive patches ------------------------------------------------------------------

/**
 * `[{"op":"add","path":"/zz","value":[["x"*len]]}]` and n copies of /zz onto its own end: the
 * value doubles with each, so the patch is a few kilobytes and the result 2^n values. Written
 * with Python's json.dumps separators (", " and ": ") and a final newline, as the reproduction
 * was sent with curl: 2,296 bytes for n = 26 and len = 1000.
 */
export function doublingPatch(n: number, len = 1000): string {
  const ops = [`{"op": "add", "path": "/zz", "value": [["${'x'.repeat(len)}"]]}`];
  for (let i = 0; i < n; i++) ops.push('{"op": "copy", "from": "/zz", "path": "/zz/-"}');
  return `[${ops.join(', ')}]\n`;
}

/** {"a":{"a":...1}} (objects) or [[[...1]]] (arrays), depth levels deep. */
export function nested(depth: number, kind: 'object' | 'array', leaf = '1'): string {
  return kind === 'object' ? '{"a":'.repeat(depth) + leaf + '}'.repeat(depth) : '['.repeat(depth) + leaf + ']'.repeat(depth);
}

function doublingSize(rng: Random): number {
  // Mostly cheap; a fixed server refuses the big ones quickly, a broken one dies on the first.
  const r = rng.next();
  if (r < 0.7) return rng.int(0, 12);
  if (r < 0.9) return rng.int(13, 17);
  return rng.int(18, 30);
}

const patchCost: FuzzClass = {
  name: 'patch-cost',
  describe: 'expensive JSON patches (self-doubling copies, many operations), deep and wide merge and strategic patches',
  count: 300,
  generate(rng) {
    const target = pick(rng, ['configmaps', 'configmaps', 'configmaps', 'pods', 'datauploads'] as const);
    const name = existing(rng, target);
    const dry = chance(rng, 0.5);
    const path = objectPath(target, name);
    const query = withDryRun(undefined, dry);
    // 0-2 doubling, 3-4 many operations, 5 deep JSON patch, 6 deep merge/strategic, 7 wide (half as often), 8-9 strategic lists.
    let variant = rng.int(0, 9);
    if (variant === 7 && chance(rng, 0.5)) variant = 8;
    if (variant <= 2) {
      const n = doublingSize(rng);
      const len = pick(rng, [1, 100, 1000, 1000]);
      return { label: `json-patch-doubling n=${n} len=${len}`, method: 'PATCH', path, query, headers: { 'Content-Type': PATCH_CT.json }, body: text(doublingPatch(n, len)), dryRun: dry };
    }
    if (variant <= 4) {
      // Many cheap operations: kube-apiserver caps a JSON patch at 10,000.
      const ops = pick(rng, [100, 1000, 10_000, 10_001, 30_000]);
      const op = pick(rng, [
        '{"op":"test","path":"/metadata/name","value":"' + name + '"}',
        '{"op":"add","path":"/metadata/labels/fz","value":"v"}',
        '{"op":"copy","from":"/metadata/name","path":"/metadata/labels/fz"}',
      ]);
      return { label: `json-patch-many-ops ops=${ops}`, method: 'PATCH', path, query, headers: { 'Content-Type': PATCH_CT.json }, body: text(`[${Array(ops).fill(op).join(',')}]`), dryRun: dry };
    }
    if (variant === 5) {
      // A deep value added by a JSON patch.
      const depth = pick(rng, [100, 1000, 5000, 10_000, 20_000]);
      const kind = pick(rng, ['object', 'array'] as const);
      const where = pick(rng, ['/zz', '/metadata/annotations/zz', '/spec/zz', '/data/zz']);
      return { label: `json-patch-deep depth=${depth} ${kind} at ${where}`, method: 'PATCH', path, query, headers: { 'Content-Type': PATCH_CT.json }, body: text(`[{"op":"add","path":"${where}","value":${nested(depth, kind)}}]`), dryRun: dry };
    }
    if (variant === 6) {
      const depth = pick(rng, [100, 1000, 5000, 10_000, 20_000, 50_000]);
      const kind = pick(rng, ['object', 'array'] as const);
      const field = pick(rng, ['zz', 'metadata', 'spec', 'data']);
      const type = target === 'pods' && chance(rng, 0.5) ? 'strategic' : 'merge';
      return { label: `${type}-patch-deep depth=${depth} ${kind} in ${field}`, method: 'PATCH', path, query, headers: { 'Content-Type': PATCH_CT[type] }, body: text(`{"${field}":${nested(depth, kind)}}`), dryRun: dry };
    }
    if (variant === 7) {
      // Wide: many keys (a ConfigMap's data is capped at 1 MiB by validation). Dry runs only: a
      // stored megabyte would stay in the watch history of every later write.
      const keys = pick(rng, [1000, 5000, 10_000]);
      const data: Record<string, string> = {};
      for (let i = 0; i < keys; i++) data[`k${i}`] = 'v'.repeat(rng.int(1, 30));
      const field = target === 'configmaps' ? 'data' : 'metadata';
      const body = field === 'data' ? { data } : { metadata: { annotations: data } };
      return { label: `merge-patch-wide keys=${keys} in ${field}`, method: 'PATCH', path, query: 'dryRun=All', headers: { 'Content-Type': PATCH_CT.merge }, body: json(body), dryRun: true };
    }
    // Strategic merge on pods: long lists merged by key, and the directives.
    const n = pick(rng, [100, 1000, 5000, 20_000]);
    const directive = pick(rng, ['containers', 'setElementOrder', 'deleteFromPrimitiveList', 'retainKeys', 'env'] as const);
    let body: unknown;
    if (directive === 'containers') body = { spec: { containers: Array.from({ length: n }, (_, i) => ({ name: `c${i % (n / 2)}`, image: 'busybox' })) } };
    else if (directive === 'setElementOrder') body = { spec: { '$setElementOrder/containers': Array.from({ length: n }, (_, i) => ({ name: `c${i}` })) } };
    else if (directive === 'deleteFromPrimitiveList') body = { metadata: { '$deleteFromPrimitiveList/finalizers': Array.from({ length: n }, (_, i) => `f${i}`) } };
    else if (directive === 'retainKeys') body = { spec: { $retainKeys: Array.from({ length: n }, (_, i) => `k${i}`) } };
    else body = { spec: { containers: [{ name: 'c', env: Array.from({ length: n }, (_, i) => ({ name: `E${i % 50}`, value: 'v', $patch: i % 7 === 0 ? 'delete' : undefined })) }] } };
    const podPath = objectPath('pods', existing(rng, 'pods'));
    return { label: `strategic-patch-${directive} n=${n}`, method: 'PATCH', path: podPath, query, headers: { 'Content-Type': PATCH_CT.strategic }, body: json(body), dryRun: dry };
  },
};

// ---- 2. dot segments and odd names ---------------------------------------------------------

/** Names that are dot segments (resolved by URL normalisation to the parent), alone or after a real name. */
export function dotNames(real: string, other: string): string[] {
  return [
    '.', '..', '%2e%2e', '%2E%2E', '%2e', '%2E', '.%2e', '%2e.', '%2E.',
    `${real}/..`, `${real}/.`, `${real}/%2e%2e`, `${real}/%2E`, `${real}/./`, `${real}/../`,
    `${real}/../${other}`, `x/../${real}`, `./${real}`, `../${real}`, `%2e/${real}`,
    `${real}/status/..`, `${real}/..%2f`, `..%2f${real}`, `${real}/.%2E`,
  ];
}

function bodyFor(rng: Random, target: Target, name: string): Buffer {
  const v = rng.int(0, 2);
  // No kind or name: whatever the path resolves to, the body fits it (the harm is then visible).
  if (v === 0) return json({ metadata: { labels: { fuzzed: 'yes' } } });
  if (v === 1) return json(validObject(target, name));
  return json({ metadata: { name, labels: { fuzzed: 'yes' } } });
}

const dotSegments: FuzzClass = {
  name: 'dot-segments',
  describe: 'names ".", "..", "%2e%2e", "%2E", "cm1/..", "cm1/." and relatives in GET/PUT/PATCH/DELETE paths of configmaps, pods, namespaces, datauploads',
  count: 300,
  generate(rng) {
    const target = pick(rng, TARGETS);
    const real = existing(rng, target);
    const other = pick(rng, EXISTING[target].filter((n) => n !== real).concat(['default']));
    const odd = pick(rng, dotNames(real, other));
    const method = pick(rng, ['GET', 'PUT', 'PATCH', 'DELETE', 'DELETE', 'POST']);
    // Sometimes the odd segment is the namespace instead: /api/v1/namespaces/%2e%2e/configmaps/cm1.
    const inNamespace = target !== 'namespaces' && chance(rng, 0.2);
    let path: string;
    if (inNamespace) {
      const parts = PATHS[target].split('/');
      const nsAt = parts.indexOf('namespaces') + 1;
      parts[nsAt] = pick(rng, ['.', '..', '%2e%2e', '%2E', `${parts[nsAt]}/..`]);
      path = `${parts.join('/')}/${real}`;
    } else path = objectPath(target, odd);
    const dry = chance(rng, 0.25);
    const query = withDryRun(undefined, dry);
    const headers: Record<string, string> = { ...JSON_CT };
    let body: Buffer | undefined;
    if (method === 'PUT' || method === 'POST') body = bodyFor(rng, target, real);
    if (method === 'PATCH') {
      headers['Content-Type'] = PATCH_CT.merge;
      body = json({ metadata: { labels: { fuzzed: 'yes' } } });
    }
    if (method === 'DELETE' && chance(rng, 0.3)) body = json({ propagationPolicy: 'Background' });
    return { label: `dot-segment ${method} ${inNamespace ? 'namespace ' : ''}${odd}`, method, path, query, headers, body, expect: 'refused', dryRun: dry };
  },
};

// ---- 3. malformed DeleteOptions and deletecollection ---------------------------------------

/** DeleteOptions bodies kube-apiserver refuses (wrong JSON types, unsupported values, an empty uid precondition, which never matches). */
export const MALFORMED_DELETE_BODIES = [
  '{"dryRun":"All"}', '{"dryRun":true}', '{"dryRun":["Bogus"]}', '{"dryRun":["All","Bogus"]}', '{"dryRun":"all"}', '{"dryRun":{"All":true}}',
  '[]', '[{"dryRun":["All"]}]', '123', '"x"', 'true', '{', '{"dryRun":["All"]',
  '{"preconditions":{"uid":""}}', '{"preconditions":{"uid":5}}', '{"preconditions":"x"}', '{"preconditions":{"resourceVersion":""}}', '{"preconditions":{"resourceVersion":1}}',
  '{"gracePeriodSeconds":"abc"}', '{"gracePeriodSeconds":1.5}', '{"gracePeriodSeconds":-99999999999999999999}', '{"gracePeriodSeconds":"0"}', '{"gracePeriodSeconds":[0]}',
  '{"propagationPolicy":5}', '{"propagationPolicy":"orphan"}', '{"propagationPolicy":"Bogus"}', '{"propagationPolicy":["Background"]}',
  '{"orphanDependents":"yes"}', '{"orphanDependents":1}', '{"orphanDependents":true,"propagationPolicy":"Background"}',
];

/** Accepted DeleteOptions: the delete goes ahead (or, with dryRun, changes nothing). */
const VALID_DELETE_BODIES: { body: string; dryRun?: boolean }[] = [
  { body: 'null' }, { body: '{}' }, { body: '{"dryRun":[]}' }, { body: '{"gracePeriodSeconds":null}' },
  { body: '{"dryRun":["All"]}', dryRun: true }, { body: '{"dryRun":["All"],"gracePeriodSeconds":0}', dryRun: true },
  { body: '{"kind":"DeleteOptions","apiVersion":"v1","dryRun":["All"],"propagationPolicy":"Foreground"}', dryRun: true },
];

/**
 * Query parameters kube-apiserver refuses: gracePeriodSeconds is parsed as an int64, dryRun
 * accepts only "All", propagationPolicy three values. (Not orphanDependents: a query boolean is
 * false only when absent, "0" or "false"; "yes" and "maybe" orphan. That is the booleans class.)
 */
const MALFORMED_DELETE_QUERIES = [
  'gracePeriodSeconds=-99999999999999999999', 'gracePeriodSeconds=99999999999999999999', 'gracePeriodSeconds=abc', 'gracePeriodSeconds=1.5',
  'gracePeriodSeconds=1e3', 'gracePeriodSeconds=0x10', 'gracePeriodSeconds=%201',
  'propagationPolicy=orphan', 'propagationPolicy=Bogus', 'dryRun=all', 'dryRun=true', 'dryRun=All&dryRun=Bogus',
];

const deleteOptions: FuzzClass = {
  name: 'delete-options',
  describe: 'malformed DeleteOptions bodies and query parameters on DELETE, eviction options, deletecollection where it is not served, DELETE on subresources',
  count: 300,
  generate(rng) {
    const v = rng.int(0, 9);
    if (v === 0) {
      // deletecollection on namespaces, which do not serve it (405 in kube-apiserver), dry run or not.
      const dry = chance(rng, 0.5);
      const q = pick(rng, [undefined, 'labelSelector=app%3Dfuzz', 'fieldSelector=metadata.name%3Dfuzz', 'labelSelector=']);
      return { label: 'deletecollection namespaces', method: 'DELETE', path: PATHS.namespaces, query: withDryRun(q, dry), expect: 'refused', dryRun: dry };
    }
    if (v === 1) {
      // DELETE on a subresource: status, binding, eviction and finalize serve no delete.
      const [path, sub] = pick(rng, [
        [objectPath('pods', existing(rng, 'pods')), 'status'],
        [objectPath('pods', existing(rng, 'pods')), 'binding'],
        [objectPath('pods', existing(rng, 'pods')), 'eviction'],
        [objectPath('namespaces', existing(rng, 'namespaces')), 'status'],
        [objectPath('namespaces', existing(rng, 'namespaces')), 'finalize'],
      ] as const);
      return { label: `delete subresource ${sub}`, method: 'DELETE', path: `${path}/${sub}`, expect: 'refused' };
    }
    if (v === 2) {
      // An eviction's DeleteOptions.
      const body = pick(rng, MALFORMED_DELETE_BODIES.filter((b) => b.startsWith('{"') && !b.endsWith(']')));
      const pod = existing(rng, 'pods');
      return {
        label: `eviction deleteOptions ${body}`,
        method: 'POST',
        path: `${objectPath('pods', pod)}/eviction`,
        headers: JSON_CT,
        body: text(`{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"${pod}"},"deleteOptions":${body}}`),
        expect: 'unchanged',
      };
    }
    const target = pick(rng, ['configmaps', 'configmaps', 'pods', 'datauploads', 'namespaces'] as const);
    const path = objectPath(target, existing(rng, target));
    const contentType = pick(rng, ['application/json', 'application/json', 'application/json', 'text/plain', 'application/yaml']);
    if (v <= 6) {
      const body = pick(rng, MALFORMED_DELETE_BODIES);
      const dry = chance(rng, 0.2);
      return { label: `delete body ${body}`, method: 'DELETE', path, query: withDryRun(undefined, dry), headers: { 'Content-Type': contentType }, body: text(body), expect: 'unchanged', dryRun: dry };
    }
    if (v <= 8) {
      const query = pick(rng, MALFORMED_DELETE_QUERIES);
      const body = chance(rng, 0.3) ? text(pick(rng, MALFORMED_DELETE_BODIES)) : undefined;
      return { label: `delete query ${query}${body ? ` body ${body}` : ''}`, method: 'DELETE', path, query, headers: { 'Content-Type': contentType }, body, expect: 'unchanged' };
    }
    const valid = pick(rng, VALID_DELETE_BODIES);
    return { label: `delete valid body ${valid.body}`, method: 'DELETE', path, headers: JSON_CT, body: text(valid.body), dryRun: valid.dryRun };
  },
};

// ---- 4. boolean spellings ------------------------------------------------------------------

const BOOLS = ['True', 'TRUE', '1', 'yes', 'true', 't', 'T', 'False', 'FALSE', '0', 'no', 'tRuE', '', 'on', 'y', '2', '-1'];

const booleans: FuzzClass = {
  name: 'booleans',
  describe: 'watch=True/TRUE/1/yes, orphanDependents=True, allowWatchBookmarks=True, sendInitialEvents=True and other spellings: no 5xx',
  count: 250,
  generate(rng) {
    const b = pick(rng, BOOLS);
    const target = pick(rng, TARGETS);
    const v = rng.int(0, 5);
    if (v === 0) return { label: `watch=${b}`, method: 'GET', path: PATHS[target], query: `watch=${b}` };
    if (v === 1) return { label: `allowWatchBookmarks=${b}`, method: 'GET', path: PATHS[target], query: `watch=true&allowWatchBookmarks=${b}` };
    if (v === 2) {
      const match = pick(rng, ['', '&resourceVersionMatch=NotOlderThan', '&resourceVersionMatch=NotOlderThan&resourceVersion=0']);
      return { label: `sendInitialEvents=${b}${match}`, method: 'GET', path: PATHS[target], query: `watch=${pick(rng, ['true', '1', 'True'])}&sendInitialEvents=${b}&allowWatchBookmarks=true${match}` };
    }
    if (v === 3) {
      // Mostly dry runs: an orphaning delete that is obeyed is fine, but it spends the fixture.
      const dry = chance(rng, 0.7);
      return { label: `orphanDependents=${b}`, method: 'DELETE', path: objectPath(target, existing(rng, target)), query: withDryRun(`orphanDependents=${b}`, dry), dryRun: dry };
    }
    if (v === 4) {
      const param = pick(rng, ['pretty', 'allowWatchBookmarks', 'includeUninitialized', 'exact', 'export']);
      const name = chance(rng, 0.5) ? `/${existing(rng, target)}` : '';
      return { label: `${param}=${b} on GET`, method: 'GET', path: PATHS[target] + name, query: `${param}=${b}` };
    }
    const name = existing(rng, target);
    return { label: `watch=${b} on a named object`, method: 'GET', path: objectPath(target, name), query: `watch=${b}` };
  },
};

// ---- 5. watch abuse ------------------------------------------------------------------------

const TIMEOUTS = ['abc', '-5', '1e99', '99999999999999999999', '0', '1', '', '1.5', 'NaN', 'Infinity', '-0', '0x10', '9007199254740993', '2147483648', '-99999999999999999999', '%20'];
const WATCH_RVS = [undefined, '0', 'abc', '-1', '1', '99999999999999', '1e3', ''];

const watches: FuzzClass = {
  name: 'watches',
  describe: 'watches opened and abandoned (socket destroyed), timeoutSeconds=abc/-5/1e99/huge, odd resourceVersions, half-sent watch requests',
  count: 200,
  generate(rng) {
    const target = pick(rng, TARGETS);
    const collection = PATHS[target];
    const path = pick(rng, [
      collection,
      collection,
      collection.replace(/^(\/api\/v1|\/apis\/[^/]+\/[^/]+)\//, '$1/watch/'),
      '/api/v1/configmaps',
      '/apis/velero.io/v2alpha1/datauploads',
    ]);
    const params = [`watch=${pick(rng, ['true', '1', 'true'])}`];
    if (chance(rng, 0.7)) params.push(`timeoutSeconds=${pick(rng, TIMEOUTS)}`);
    const rv = pick(rng, WATCH_RVS);
    if (rv !== undefined) params.push(`resourceVersion=${rv}`);
    if (chance(rng, 0.3)) params.push('allowWatchBookmarks=true');
    if (chance(rng, 0.2)) params.push('sendInitialEvents=true&resourceVersionMatch=NotOlderThan');
    if (chance(rng, 0.2)) params.push(pick(rng, ['labelSelector=app%3Dfuzz', 'fieldSelector=metadata.name%3Dcm1', 'labelSelector=a%20in%20(', 'fieldSelector=spec.bogus%3D1']));
    const query = params.join('&');
    const headers: Record<string, string> = chance(rng, 0.2) ? { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } : {};
    const mode = rng.int(0, 5);
    if (mode === 0) {
      // The request line and headers, then the socket closes before any answer is read.
      return { label: `watch abandoned before the answer ${query}`, method: 'GET', path, query, raw: text(`GET ${path}?${query} HTTP/1.1\r\nHost: x\r\n\r\n`), rawAbandon: true };
    }
    if (mode === 1) {
      // Half a request: the headers never end.
      return { label: `watch request cut off ${query}`, method: 'GET', path, query, raw: text(`GET ${path}?${query} HTTP/1.1\r\nHost: x\r\nAccept: appl`), rawAbandon: true };
    }
    return { label: `watch ${query}`, method: 'GET', path, query, headers };
  },
};

// ---- 6. garbage ----------------------------------------------------------------------------

const BAD_ESCAPES = ['%ff', '%', '%zz', '%c0%ae%c0%ae', '%e2%82', '%2', '%G0', '%%', '%00', '%ed%a0%80', 'a%'];
const INVALID_DATA_KEYS = ['a b', '../x', '', '.', '..', 'x'.repeat(300), 'a/b', 'ü', 'a:b', '\n'];
/**
 * How kube-apiserver answers each kind of bad metadata: 'always' refused (a value validation
 * rejects: an invalid finalizer, a reference without a uid), 'builtin' refused for built-in kinds
 * only (a JSON type error: their ObjectMeta is decoded strictly, while a custom resource's
 * malformed metadata fields are dropped, as apiextensions-apiserver's coercion does), or not
 * at all (null decodes as "").
 */
type Refusal = 'always' | 'builtin' | undefined;
const INVALID_FINALIZERS: [unknown, Refusal][] = [['bad finalizer', 'always'], ['', 'always'], ['a/b/c', 'always'], ['-x', 'always'], [`example.com/${'x'.repeat(64)}`, 'always'], ['Example.COM/x/', 'always'], [null, 'always'], [5, 'builtin']];
const INVALID_ANNOTATION_KEYS = ['a b', '/x', 'a/', 'x'.repeat(64), '', 'Example.COM_/x', 'a/b/c', '-x'];
const INVALID_LABELS: [string, unknown, Refusal][] = [['a', 'a b', 'always'], ['a', 'x'.repeat(64), 'always'], ['a b', 'v', 'always'], ['', 'v', 'always'], ['a/b/c', 'v', 'always'], ['a', 5, 'builtin'], ['a', true, 'builtin'], ['a', {}, 'builtin']];
const NON_BASE64: unknown[] = ['!!!', 'abc', 'a===', '=', '5', 5, 'YWJj\n'];
const BAD_METADATA: [unknown, Refusal][] = [
  [{ name: 5 }, 'builtin'], [{ name: true }, 'builtin'], [{ name: {} }, 'builtin'], [{ name: [] }, 'builtin'], [{ name: null }, undefined],
  [{ name: 'x', namespace: 5 }, 'builtin'], [{ name: 'x', labels: 'x' }, 'builtin'], [{ name: 'x', labels: [] }, 'builtin'], [{ name: 'x', annotations: 5 }, 'builtin'],
  [{ name: 'x', generateName: 5 }, 'builtin'], [{ name: 'x', resourceVersion: 5 }, 'builtin'], [{ name: 'x', uid: 5 }, 'builtin'], [{ name: 'x', finalizers: 'x' }, 'builtin'],
  [{ name: 'x', creationTimestamp: 5 }, 'builtin'], [5, 'builtin'], ['x', 'builtin'], [[], 'builtin'],
];
const BAD_OWNER_REFS: [unknown, Refusal][] = [
  [{}, 'builtin'], ['x', 'builtin'], [5, 'builtin'], [[5], 'builtin'], [[{ uid: 5 }], 'builtin'], [[{ apiVersion: 'v1', kind: 'ConfigMap', name: 'cm1', uid: 'u', controller: 'yes' }], 'builtin'],
  [[null], 'always'], [[{}], 'always'], [[{ apiVersion: 'v1', kind: 'ConfigMap', name: 'cm1' }], 'always'],
];

function garbageObject(rng: Random, target: Target, nameFor: (t: Target) => string): { target: Target; body: Record<string, any>; label: string; expect?: 'refused' } {
  const name = nameFor(target);
  const base = validObject(target, name) as Record<string, any>;
  const meta = (extra: object) => ({ ...base, metadata: { ...base.metadata, ...extra } });
  const refused = (r: Refusal): 'refused' | undefined => (r === 'always' || (r === 'builtin' && target !== 'datauploads') ? 'refused' : undefined);
  const v = rng.int(0, 8);
  if (v === 0) return { target, body: meta({ labels: { a: null } }), label: 'null label value' };
  if (v === 1) {
    const [value, r] = pick(rng, [[null, undefined], [5, 'builtin'], [[], 'builtin']] as [unknown, Refusal][]);
    return { target, body: meta({ annotations: { 'fuzz/a': value } }), label: `annotation value ${JSON.stringify(value)}`, expect: refused(r) };
  }
  if (v === 2) {
    const [refs, r] = pick(rng, BAD_OWNER_REFS);
    return { target, body: meta({ ownerReferences: refs }), label: `ownerReferences ${JSON.stringify(refs)}`, expect: refused(r) };
  }
  if (v === 3) {
    let [m, r] = pick(rng, BAD_METADATA);
    if (m && typeof m === 'object' && !Array.isArray(m) && (m as Record<string, unknown>).name === 'x') m = { ...m, name };
    return { target, body: { ...base, metadata: m }, label: `metadata ${JSON.stringify(m)}`, expect: refused(r) };
  }
  if (v === 4) {
    const [f, r] = pick(rng, INVALID_FINALIZERS);
    return { target, body: meta({ finalizers: [f] }), label: `finalizer ${JSON.stringify(f)}`, expect: refused(r) };
  }
  if (v === 5) {
    const k = pick(rng, INVALID_ANNOTATION_KEYS);
    return { target, body: meta({ annotations: { [k]: 'v' } }), label: `annotation key ${JSON.stringify(k.length > 20 ? `${k.slice(0, 10)}...(${k.length})` : k)}`, expect: 'refused' };
  }
  if (v === 6) {
    const [k, val, r] = pick(rng, INVALID_LABELS);
    return { target, body: meta({ labels: { [k]: val } }), label: `label ${JSON.stringify(k.slice(0, 20))}=${JSON.stringify(typeof val === 'string' ? val.slice(0, 20) : val)}`, expect: refused(r) };
  }
  // ConfigMap data: invalid keys, non-string values, non-base64 binaryData.
  const cm = validObject('configmaps', nameFor('configmaps')) as Record<string, any>;
  const w = rng.int(0, 3);
  if (w === 0) {
    const k = pick(rng, INVALID_DATA_KEYS);
    return { target: 'configmaps', body: { ...cm, data: { [k]: 'v' } }, label: `configmap data key ${JSON.stringify(k.slice(0, 20))}`, expect: 'refused' };
  }
  if (w === 1) {
    const bad = pick(rng, NON_BASE64);
    return { target: 'configmaps', body: { ...cm, binaryData: { bin: bad } }, label: `binaryData ${JSON.stringify(bad)}`, expect: 'refused' };
  }
  if (w === 2) {
    const val = pick(rng, [5, true, {}, [], null]);
    return { target: 'configmaps', body: { ...cm, data: { k: val } }, label: `configmap data value ${JSON.stringify(val)}`, expect: val === null ? undefined : 'refused' };
  }
  return { target: 'configmaps', body: { ...cm, data: { same: 'a' }, binaryData: { same: 'YQ==' } }, label: 'configmap key in data and binaryData', expect: 'refused' };
}

function randomBytes(rng: Random, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(0, 255);
  return b;
}

const garbage: FuzzClass = {
  name: 'garbage',
  describe: 'deep JSON, bad percent-encoding, null labels, ownerReferences {}, name 5, invalid keys/finalizers/annotations/binaryData, bad JSON-patch operations, wrong apiVersion, oversized bodies, wrong content types, huge selectors and limits, random bytes',
  count: 350,
  generate(rng) {
    const target = pick(rng, TARGETS);
    const name = existing(rng, target);
    const v = rng.int(0, 13);
    if (v === 0) {
      // Deep JSON as a whole body, or inside a field.
      const depth = pick(rng, [1000, 5000, 5000, 10_000, 100_000]);
      const kind = pick(rng, ['object', 'array'] as const);
      const method = pick(rng, ['POST', 'PUT', 'PATCH']);
      const deep = nested(depth, kind);
      const bodyText = pick(rng, [deep, `{"metadata":{"name":"fz-a","labels":${deep}}}`, `{"metadata":{"name":"${name}"},"data":${deep}}`, `{"metadata":{"name":"${name}"},"spec":${deep}}`]);
      const ct = method === 'PATCH' ? pick(rng, Object.values(PATCH_CT)) : 'application/json';
      const path = method === 'POST' ? PATHS[target] : objectPath(target, name);
      const dry = chance(rng, 0.5);
      return { label: `deep json depth=${depth} ${kind} ${method} ${ct}`, method, path, query: withDryRun(undefined, dry), headers: { 'Content-Type': ct }, body: text(bodyText), dryRun: dry };
    }
    if (v === 1) {
      // Bad percent-encoding in the name, namespace, resource, group or version.
      const esc = pick(rng, BAD_ESCAPES);
      const method = pick(rng, ['GET', 'DELETE', 'PUT', 'PATCH']);
      const where = rng.int(0, 3);
      let path: string;
      if (where === 0) path = objectPath(target, chance(rng, 0.5) ? esc : `${name}${esc}`);
      else if (where === 1) path = `/api/v1/namespaces/${esc}/configmaps/cm1`;
      else if (where === 2) path = `/api/v1/namespaces/default/${esc}/cm1`;
      else path = `/apis/${esc}/v2alpha1/namespaces/velero/datauploads/du1`;
      const headers = { 'Content-Type': method === 'PATCH' ? PATCH_CT.merge : 'application/json' };
      const body = method === 'PUT' || method === 'PATCH' ? json({ metadata: { labels: { fuzzed: 'yes' } } }) : undefined;
      return { label: `bad escape ${esc} ${method}`, method, path, headers, body, expect: 'refused' };
    }
    if (v <= 4) {
      // Ill-typed or invalid metadata and ConfigMap data, created or updated.
      const create = chance(rng, 0.5);
      const urlName = new Map<Target, string>();
      const nameFor = (t: Target) => {
        if (!urlName.has(t)) urlName.set(t, create ? pick(rng, NEW_NAMES) : existing(rng, t));
        return urlName.get(t)!;
      };
      const g = garbageObject(rng, target, nameFor);
      const t = g.target;
      const path = create ? PATHS[t] : objectPath(t, nameFor(t));
      const dry = chance(rng, 0.3);
      return { label: `${create ? 'POST' : 'PUT'} ${t}: ${g.label}`, method: create ? 'POST' : 'PUT', path, query: withDryRun(undefined, dry), headers: JSON_CT, body: json(g.body), expect: g.expect, dryRun: dry };
    }
    if (v === 5) {
      // Invalid JSON-patch operations.
      const ops = pick(rng, [
        [{ op: 'add', path: 'metadata/labels/x', value: 'v' }],
        [{ op: 'add', path: '/metadata/labels/x' }],
        [{ op: 'copy', from: '/metadata/nope/deeper', path: '/metadata/labels/x' }],
        [{ op: 'copy', from: '/nope', path: '/metadata/name' }],
        [{ op: 'frobnicate', path: '/metadata' }],
        [{ path: '/metadata/labels/x', value: 'v' }],
        [{ op: 5, path: '/x' }],
        [{ op: 'add', path: 5, value: 'v' }],
        [{ op: 'move', from: '/metadata', path: '/metadata/labels/x' }],
        [{ op: 'remove', path: '/' }],
        [{ op: 'remove', path: '' }],
        [{ op: 'replace', path: '', value: 5 }],
        [{ op: 'replace', path: '', value: { metadata: { name: 'other' } } }],
        [{ op: 'add', path: '/metadata/labels/~2', value: 'v' }],
        [{ op: 'add', path: '/metadata/-', value: 'v' }],
        [{ op: 'test', path: '/metadata/name' }],
        [{ op: 'add', path: '/metadata/finalizers', value: ['a'] }, { op: 'add', path: '/metadata/finalizers/99', value: 'b' }],
        [{ op: 'add', path: '/metadata/finalizers', value: [] }, { op: 'add', path: '/metadata/finalizers/-1', value: 'b' }],
        [{ op: 'add', path: '/metadata/name', value: 5 }],
        [{ op: 'add', path: '/metadata/labels', value: { a: null } }],
        [{ op: 'add', path: '/metadata/ownerReferences', value: {} }],
        [{ op: 'replace', path: '/metadata/uid', value: 'other' }],
        [{ op: 'remove', path: '/metadata/name' }],
        [{ op: 'add', path: '/metadata/namespace', value: 'fuzz' }],
        [null],
        5,
        {},
      ]);
      const dry = chance(rng, 0.3);
      return { label: `json-patch ops ${JSON.stringify(ops).slice(0, 100)}`, method: 'PATCH', path: objectPath(target, name), query: withDryRun(undefined, dry), headers: { 'Content-Type': PATCH_CT.json }, body: json(ops), dryRun: dry };
    }
    if (v === 6) {
      // An apiVersion or kind other than the path's.
      const [apiVersion, kind] = pick(rng, [['velero.io/v1', 'DataUpload'], ['velero.io/v9', 'DataUpload'], ['velero.io', 'DataUpload'], ['v1', 'DataUpload'], ['velero.io/v2alpha1', 'DataDownload'], ['velero.io/v2alpha1', 'ConfigMap'], ['velero.io/v1/extra', 'DataUpload']]);
      const put = chance(rng, 0.5);
      const body = { ...validObject('datauploads', put ? 'du1' : pick(rng, NEW_NAMES)), apiVersion, kind };
      const dry = chance(rng, 0.3);
      return { label: `dataupload ${put ? 'PUT' : 'POST'} apiVersion=${apiVersion} kind=${kind}`, method: put ? 'PUT' : 'POST', path: put ? objectPath('datauploads', 'du1') : PATHS.datauploads, query: withDryRun(undefined, dry), headers: JSON_CT, body: json(body), expect: 'refused', dryRun: dry };
    }
    if (v === 7) {
      // Oversized bodies (3 MiB is the limit), and a declared length far above what is sent.
      const over = chance(rng, 0.5);
      if (over) {
        const size = 3 * 1024 * 1024 + rng.int(1, 100_000);
        const body = Buffer.alloc(size, 'x');
        Buffer.from('{"metadata":{"name":"big"},"data":{"k":"').copy(body, 0);
        Buffer.from('"}}').copy(body, size - 3);
        return { label: `oversized body ${size} bytes`, method: pick(rng, ['POST', 'PUT']), path: PATHS.configmaps + (chance(rng, 0.5) ? '/cm1' : ''), headers: JSON_CT, body, expect: 'refused' };
      }
      const declared = pick(rng, [4 * 1024 * 1024, 1e12, 100]);
      return { label: `declared Content-Length ${declared}, short body`, method: 'POST', path: PATHS.configmaps, raw: text(`POST ${PATHS.configmaps} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n{"metadata":`), rawAbandon: chance(rng, 0.5), budgetMs: 150 };
    }
    if (v === 8) {
      // Content types the server does not decode as JSON, and YAML alias bombs.
      const ct = pick(rng, ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/cbor', 'application/vnd.kubernetes.protobuf', 'application/json; charset=utf-16', 'application/yaml', 'image/png', 'application/json-patch+json', 'application/merge-patch+json']);
      const method = pick(rng, ['POST', 'PUT', 'PATCH']);
      const bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nmetadata: {name: fz-a}\n';
      const bodyText = ct === 'application/yaml' && chance(rng, 0.5) ? bomb : JSON.stringify(validObject(target, method === 'POST' ? pick(rng, NEW_NAMES) : name));
      const path = method === 'POST' ? PATHS[target] : objectPath(target, name);
      const refusedTypes = ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'image/png'];
      const dry = chance(rng, 0.3);
      return { label: `content type ${ct} ${method}${bodyText === bomb ? ' (yaml alias bomb)' : ''}`, method, path, query: withDryRun(undefined, dry), headers: { 'Content-Type': ct }, body: text(bodyText), expect: refusedTypes.includes(ct) ? 'refused' : undefined, dryRun: dry };
    }
    if (v === 9) {
      // Huge selectors (node:http caps the request line and headers at 16 KiB), huge limits, bad continue tokens.
      const n = rng.int(10, 1800);
      const sel = pick(rng, [
        `a in (${Array.from({ length: n }, (_, i) => `v${i}`).join(',')})`,
        Array.from({ length: n }, (_, i) => `k${i}=v`).join(','),
        Array.from({ length: n }, (_, i) => `!k${i}`).join(','),
        `a notin (${Array.from({ length: n }, (_, i) => `v${i}`).join(',')})`,
        '('.repeat(n),
        `a=${'x'.repeat(n * 5)}`,
        Array.from({ length: n }, () => 'a,').join(''),
      ]);
      const param = pick(rng, ['labelSelector', 'labelSelector', 'fieldSelector']);
      const extra = pick(rng, ['', '&watch=true', '&limit=1']);
      return { label: `huge ${param} ${sel.length} chars${extra}`, method: 'GET', path: pick(rng, [PATHS[target], '/api/v1/configmaps']), query: `${param}=${encodeURIComponent(sel)}${extra}` };
    }
    if (v === 10) {
      const limit = pick(rng, ['99999999999999999999', '1e9', '-1', '1.5', '0', '2147483648', 'abc', '9'.repeat(400), '', '%00']);
      const cont = pick(rng, [undefined, 'abc', Buffer.from('{"v":"meta.k8s.io/v1","rv":-1,"start":""}').toString('base64url'), Buffer.from('{"v":"meta.k8s.io/v1","rv":1e300,"start":"\\u0000"}').toString('base64url'), Buffer.from('{"v":"meta.k8s.io/v1","rv":1.5,"start":"a"}').toString('base64url'), '%ff']);
      return { label: `limit=${limit.slice(0, 20)} continue=${cont ?? ''}`, method: 'GET', path: PATHS[target], query: `limit=${limit}${cont === undefined ? '' : `&continue=${cont}`}` };
    }
    if (v === 11) {
      // Random bytes as a body.
      const ct = pick(rng, ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json']);
      const method = ct.includes('patch') ? 'PATCH' : pick(rng, ['POST', 'PUT', 'DELETE']);
      let body = randomBytes(rng, rng.int(1, 4096));
      // A protobuf body begins with the magic bytes k8s\0; then garbage.
      if (ct.includes('protobuf') && chance(rng, 0.7)) body = Buffer.concat([Buffer.from('k8s\0'), body]);
      const path = method === 'POST' ? PATHS[target] : objectPath(target, name);
      return { label: `random bytes ${body.length} as ${ct} ${method}`, method, path, query: 'dryRun=All', headers: { 'Content-Type': ct }, body, dryRun: true };
    }
    if (v === 12) {
      // A subresource's verbs it does not serve: binding and eviction are create-only.
      const pod = existing(rng, 'pods');
      const sub = pick(rng, ['binding', 'eviction']);
      const method = pick(rng, ['PUT', 'PATCH']);
      const body = method === 'PUT' ? json({ ...validObject('pods', pod), spec: { ...(validObject('pods', pod).spec as object), nodeName: 'worker-9' } }) : json({ metadata: { labels: { fuzzed: 'yes' } } });
      return { label: `${method} pods/${sub}`, method, path: `${objectPath('pods', pod)}/${sub}`, headers: { 'Content-Type': method === 'PATCH' ? PATCH_CT.merge : 'application/json' }, body, expect: 'refused' };
    }
    // Random bytes as a whole request.
    const raw = pick(rng, [
      randomBytes(rng, rng.int(1, 512)),
      text(`${pick(rng, ['GET', 'DELETE', 'FOO', 'G\u0000T'])} ${pick(rng, ['/api/v1/namespaces/default/configmaps/%ff', '*', '//', 'http://x/api', '/api/v1/namespaces/default/configmaps/cm1 /x'])} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
      text(`GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nzz\r\n`),
      text(`PATCH ${PATHS.configmaps}/cm1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/merge-patch+json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nffffffffff\r\n{}\r\n0\r\n\r\n`),
    ]);
    // No answer is owed to most of these: a short wait, then the liveness check decides.
    return { label: `raw bytes ${raw.length}`, method: '-', path: '-', raw, budgetMs: 150 };
  },
};

// ---- 7. mutations of valid requests --------------------------------------------------------

const UNICODE = ['\u0000', '\u0001', '\ud800', '\udfff', '\ufeff', '\u202e', '\u2028', '\u{1d54f}', 'é', '\uffff', '\u200b', 'İ', 'ß', 'e\u0301', '%2e%2e', '/', '..'];

function template(rng: Random): FuzzRequest & { value?: unknown } {
  const name = pick(rng, NEW_NAMES);
  const t = rng.int(0, 11);
  switch (t) {
    case 0:
      return { label: 'POST configmap', method: 'POST', path: PATHS.configmaps, headers: JSON_CT, value: validObject('configmaps', name) };
    case 1:
      return { label: 'PUT configmap', method: 'PUT', path: objectPath('configmaps', 'cm1'), headers: JSON_CT, value: { ...validObject('configmaps', 'cm1'), data: { a: 'b' } } };
    case 2:
      return { label: 'merge-patch configmap', method: 'PATCH', path: objectPath('configmaps', 'victim'), headers: { 'Content-Type': PATCH_CT.merge }, value: { metadata: { labels: { a: 'b' }, annotations: { 'fuzz/x': 'y' } }, data: { k: 'v' } } };
    case 3:
      return { label: 'strategic-patch pod', method: 'PATCH', path: objectPath('pods', 'p1'), headers: { 'Content-Type': PATCH_CT.strategic }, value: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.37' }] } } };
    case 4:
      return { label: 'json-patch configmap', method: 'PATCH', path: objectPath('configmaps', 'cm1'), headers: { 'Content-Type': PATCH_CT.json }, value: [{ op: 'add', path: '/data/k2', value: 'v' }, { op: 'replace', path: '/metadata/labels', value: { a: 'b' } }] };
    case 5:
      return { label: 'POST dataupload', method: 'POST', path: PATHS.datauploads, headers: JSON_CT, value: validObject('datauploads', name) };
    case 6:
      return { label: 'PUT dataupload', method: 'PUT', path: objectPath('datauploads', 'du1'), headers: JSON_CT, value: { ...validObject('datauploads', 'du1'), status: { phase: 'Accepted' } } };
    case 7:
      return { label: 'POST pod', method: 'POST', path: PATHS.pods, headers: JSON_CT, value: validObject('pods', name) };
    case 8:
      return { label: 'DELETE configmap with options', method: 'DELETE', path: objectPath('configmaps', name), headers: JSON_CT, value: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, propagationPolicy: 'Background', preconditions: { resourceVersion: '1' } } };
    case 9:
      return { label: 'POST namespace', method: 'POST', path: PATHS.namespaces, headers: JSON_CT, value: validObject('namespaces', name) };
    case 10:
      // A dry run by the query (kube-apiserver carries it into the eviction's delete), whatever the mutated body says.
      return { label: 'POST eviction', method: 'POST', path: `${objectPath('pods', 'p2')}/eviction`, query: 'dryRun=All', headers: JSON_CT, value: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p2' }, deleteOptions: { dryRun: ['All'] } }, dryRun: true };
    default:
      return { label: 'GET list', method: 'GET', path: PATHS.configmaps, query: 'labelSelector=app%3Dfuzz&limit=1&resourceVersion=0' };
  }
}

function randomValue(rng: Random, not: unknown): unknown {
  const choices: unknown[] = [0, -1, 1.5, 1e308, -9007199254740993, '', 'x', 'True', true, false, null, [], {}, [null], { a: null }, 'x'.repeat(rng.int(100, 5000)), pick(rng, UNICODE)];
  let v = pick(rng, choices);
  for (let i = 0; i < 3 && JSON.stringify(v) === JSON.stringify(not); i++) v = pick(rng, choices);
  return v;
}

/** Every (parent, key) in a JSON value, the root's parent undefined. */
function slots(v: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []): typeof out {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([v, i]), slots(x, out)));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) out.push([v as Record<string, unknown>, k]), slots((v as Record<string, unknown>)[k], out);
  return out;
}

function mutateValue(rng: Random, root: unknown): { value: unknown; what: string } {
  const all = slots(root);
  if (all.length === 0) return { value: randomValue(rng, root), what: 'replaced the body' };
  const [parent, key] = pick(rng, all);
  const cur = (parent as Record<string | number, unknown>)[key];
  const m = rng.int(0, 5);
  const at = String(key);
  if (m <= 1) {
    (parent as Record<string | number, unknown>)[key] = randomValue(rng, cur);
    return { value: root, what: `${at}: ${JSON.stringify(cur)?.slice(0, 30)} -> ${JSON.stringify((parent as Record<string | number, unknown>)[key])?.slice(0, 30)}` };
  }
  if (m === 2) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
    return { value: root, what: `deleted ${at}` };
  }
  if (m === 3 && typeof cur === 'string') {
    const pos = rng.int(0, cur.length);
    const u = pick(rng, UNICODE);
    (parent as Record<string | number, unknown>)[key] = cur.slice(0, pos) + u + cur.slice(pos);
    return { value: root, what: `inserted ${JSON.stringify(u)} into ${at}` };
  }
  if (m === 4 && !Array.isArray(parent)) {
    const u = pick(rng, UNICODE);
    const k = `${at}${u}`;
    parent[k] = cur;
    delete parent[at];
    return { value: root, what: `renamed ${at} to ${JSON.stringify(k)}` };
  }
  (parent as Record<string | number, unknown>)[key] = [cur, cur];
  return { value: root, what: `wrapped ${at} in an array` };
}

function mutateText(rng: Random, s: string): { text: string; what: string } {
  const m = rng.int(0, 3);
  if (m === 0) {
    const at = rng.int(0, s.length);
    return { text: s.slice(0, at), what: `truncated at ${at}` };
  }
  if (m === 1) {
    const at = rng.int(0, s.length);
    const c = String.fromCharCode(rng.int(0, 255));
    return { text: s.slice(0, at) + c + s.slice(at), what: `inserted byte ${c.charCodeAt(0)} at ${at}` };
  }
  if (m === 2) {
    // A duplicate key: JSON.parse keeps the last, Go's decoder the last too; strict decoding refuses.
    const i = s.indexOf('"metadata":{');
    if (i >= 0) return { text: s.replace('"metadata":{', '"metadata":{"name":"dup-1",'), what: 'duplicate metadata.name' };
  }
  return { text: s.replace(/"/g, (q) => (rng.next() < 0.02 ? "'" : q)), what: 'some quotes made single' };
}

const mutations: FuzzClass = {
  name: 'mutations',
  describe: 'valid requests with one to three random mutations: a field of another type, a field deleted, unicode inserted, keys renamed, bytes changed',
  count: 300,
  generate(rng) {
    const t = template(rng);
    const whats: string[] = [];
    let query = t.query;
    let bodyText: string | undefined;
    if (t.value !== undefined) {
      let v: unknown = structuredClone(t.value);
      for (let i = rng.int(1, 3); i > 0; i--) {
        const r = mutateValue(rng, v);
        v = r.value;
        whats.push(r.what);
      }
      bodyText = JSON.stringify(v);
      if (chance(rng, 0.15)) {
        const r = mutateText(rng, bodyText);
        bodyText = r.text;
        whats.push(r.what);
      }
    } else if (query) {
      const params = query.split('&');
      const i = rng.int(0, params.length - 1);
      const [k] = params[i].split('=');
      params[i] = `${k}=${percentEncode(String(randomValue(rng, undefined)))}`;
      query = params.join('&');
      whats.push(`query ${k} changed`);
    }
    const dry = t.dryRun || chance(rng, 0.3);
    if (dry && !t.dryRun) query = withDryRun(query, true);
    return { label: `${t.label}: ${whats.join('; ')}`, method: t.method, path: t.path, query, headers: t.headers, body: bodyText === undefined ? undefined : text(bodyText), dryRun: dry };
  },
};

export const FUZZ_CLASSES: FuzzClass[] = [patchCost, dotSegments, deleteOptions, booleans, watches, garbage, mutations];
