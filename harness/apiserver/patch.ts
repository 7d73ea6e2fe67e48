// The three PATCH bodies kube-apiserver accepts besides server-side apply: JSON patch (RFC 6902, as
// gopkg.in/evanphx/json-patch.v4 applies it), JSON merge patch (RFC 7386, same library) and
// strategic merge patch (k8s.io/apimachinery pkg/util/strategicpatch, server side). Error messages
// are theirs, so kubectl prints what it would print against a real cluster.

export class PatchError extends Error {
  override name = 'PatchError';
  constructor(
    message: string,
    public code: 400 | 409 | 413 | 422 = 422,
  ) {
    super(message);
  }
}

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
const hasOwn = (o: object, k: string): boolean => Object.hasOwn(o, k);
const valueKind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * Nesting a request body may have. Go's JSON decoder stops at 10,000 ("exceeded max depth"); the
 * server's recursive walks (copy, compare, patch, schema) stop well short of that on Node's stack,
 * so bodies and patch results deeper than this are a 400 here.
 */
export const MAX_JSON_DEPTH = 1000;

/** Throws a 400 when a decoded value nests deeper than MAX_JSON_DEPTH; looks without recursing. */
export function checkDepth<T>(v: T): T {
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length) {
    const [x, depth] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) throw new DepthError();
    for (const child of Array.isArray(x) ? x : Object.values(x)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return v;
}

export class DepthError extends Error {
  override name = 'DepthError';
  constructor() {
    super(`exceeded max depth: the body nests more than ${MAX_JSON_DEPTH} levels`);
  }
}

/**
 * Deep copy of a decoded JSON value (plain objects, arrays, primitives); several times faster
 * than structuredClone for request-sized objects.
 */
export function cloneJson<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(cloneJson) as T;
  const out: JsonObject = {};
  for (const k of Object.keys(v)) {
    const child = cloneJson((v as JsonObject)[k]);
    setKey(out, k, child);
  }
  return out as T;
}

/**
 * Whether two decoded JSON values are equal as JSON: the same members whatever their order, as
 * the API server compares objects (Go encodes maps with sorted keys and structs in field order).
 * A member whose value is undefined counts as absent, as JSON.stringify leaves it out.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as JsonObject;
  const y = b as JsonObject;
  let members = 0;
  for (const k of Object.keys(x)) {
    if (x[k] === undefined) continue;
    members++;
    if (!hasOwn(y, k) || !jsonEqual(x[k], y[k])) return false;
  }
  for (const k of Object.keys(y)) if (y[k] !== undefined) members--;
  return members === 0;
}

/** obj[key] = value, where a "__proto__" key is data, not the prototype. */
function setKey(obj: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** The JSON type name Go's encoding/json uses in "cannot unmarshal X into ..." errors. */
/** A JSON value's kind as Go's decoder names it in its errors ("cannot unmarshal array into ..."). */
export function jsonTypeName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  switch (typeof v) {
    case 'object':
      return 'object';
    case 'boolean':
      return 'bool';
    case 'number':
      return 'number';
    default:
      return 'string';
  }
}

/** Go's %v of a decoded JSON value: map[k:v ...] with sorted keys, [a b], <nil>. */
function goFormat(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  if (isObject(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goFormat(v[k])}`).join(' ')}]`;
  }
  return String(v);
}

/** reflect.TypeOf(x).String() for a value decoded by the apiserver (integers stay int64). */
function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '%!s(<nil>)';
  if (Array.isArray(v)) return '[]interface {}';
  if (isObject(v)) return 'map[string]interface {}';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return typeof v === 'boolean' ? 'bool' : 'string';
}

// ---------------------------------------------------------------------------------------------
// JSON patch (RFC 6902)

/** An error carrying one of the library's messages, before the operation wraps it. */
class OpError extends Error {}

const MISSING = 'missing value';
const INVALID_INDEX = 'invalid index referenced';

const wrap = (msg: string, err: unknown): OpError => new OpError(`${msg}: ${err instanceof Error ? err.message : String(err)}`);

/** strconv.Atoi. */
function atoi(key: string): number {
  if (!/^[+-]?[0-9]+$/.test(key)) throw new OpError(`strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`);
  return Number(key);
}

function invalidIndex(idx: number): OpError {
  return new OpError(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
}

/** Negative indices count from the end, as the library allows by default. */
function arrayIndex(key: string, length: number): number {
  const idx = atoi(key);
  if (idx >= length || idx < -length) throw invalidIndex(idx);
  return idx < 0 ? idx + length : idx;
}

type Container = JsonObject | unknown[];

/** A missing object key reads as undefined without error; JSON null reads the same as missing. */
function containerGet(c: Container, key: string): unknown {
  if (Array.isArray(c)) return c[arrayIndex(key, c.length)];
  return hasOwn(c, key) ? c[key] : undefined;
}

function containerAdd(c: Container, key: string, val: unknown): void {
  if (!Array.isArray(c)) {
    setKey(c, key, val);
    return;
  }
  if (key === '-') {
    c.push(val);
    return;
  }
  let idx: number;
  try {
    idx = atoi(key);
  } catch (err) {
    throw wrap(`value was not a proper array index: '${key}'`, err);
  }
  const size = c.length + 1;
  if (idx >= size || idx < -size) throw invalidIndex(idx);
  c.splice(idx < 0 ? idx + size : idx, 0, val);
}

function containerRemove(c: Container, key: string): void {
  if (Array.isArray(c)) {
    c.splice(arrayIndex(key, c.length), 1);
    return;
  }
  if (!hasOwn(c, key)) throw new OpError(`Unable to remove nonexistent key: ${key}: ${MISSING}`);
  delete c[key];
}

const decodePatchKey = (k: string): string => k.replace(/~1/g, '/').replace(/~0/g, '~');

/** The container holding the last path segment, or undefined when any parent is missing. */
function findObject(root: Container, path: string): { c: Container; key: string } | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let cur: Container = root;
  for (let i = 1; i < split.length - 1; i++) {
    let next: unknown;
    try {
      next = containerGet(cur, decodePatchKey(split[i]));
    } catch {
      return undefined;
    }
    if (next === null || typeof next !== 'object') return undefined;
    cur = next as Container;
  }
  return { c: cur, key: decodePatchKey(split[split.length - 1]) };
}

/** Operation.Path()/From(): the error text depends on which of the two went wrong. */
function opString(op: JsonObject, field: 'path' | 'from'): string {
  const v = op[field];
  if (v === undefined || v === null) {
    throw new OpError(field === 'path' ? `operation missing path field: ${MISSING}` : `operation, missing from field: ${MISSING}`);
  }
  if (typeof v !== 'string') throw new OpError(`json: cannot unmarshal ${jsonTypeName(v)} into Go value of type string`);
  return v;
}

/** An operation's value, copied so the result never shares structure with the request. */
function opValue(op: JsonObject): unknown {
  return cloneJson(op.value ?? null);
}

/**
 * The bounds kube-apiserver puts on a JSON patch: at most 10,000 operations (maxJSONPatchOperations
 * in k8s.io/apiserver pkg/endpoints/handlers/patch.go, a 413), and copies adding at most
 * JSONPatchMaxCopyBytes, 3 MiB by default (the library's AccumulatedCopySizeLimit, a 422).
 */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;
export const JSON_PATCH_MAX_COPY_BYTES = 3 * 1024 * 1024;

function applyOperation(root: Container, op: JsonObject, copied: { bytes: number }): void {
  const kind = typeof op.op === 'string' ? op.op : 'unknown';
  switch (kind) {
    case 'add': {
      let path: string;
      try {
        path = opString(op, 'path');
      } catch {
        throw new OpError(`add operation failed to decode path: ${MISSING}`);
      }
      const target = findObject(root, path);
      if (!target) throw new OpError(`add operation does not apply: doc is missing path: "${path}": ${MISSING}`);
      try {
        containerAdd(target.c, target.key, opValue(op));
      } catch (err) {
        throw wrap(`error in add for path: '${path}'`, err);
      }
      return;
    }
    case 'remove': {
      let path: string;
      try {
        path = opString(op, 'path');
      } catch {
        throw new OpError(`remove operation failed to decode path: ${MISSING}`);
      }
      const target = findObject(root, path);
      if (!target) throw new OpError(`remove operation does not apply: doc is missing path: "${path}": ${MISSING}`);
      try {
        containerRemove(target.c, target.key);
      } catch (err) {
        throw wrap(`error in remove for path: '${path}'`, err);
      }
      return;
    }
    case 'replace': {
      let path: string;
      try {
        path = opString(op, 'path');
      } catch (err) {
        throw wrap('replace operation failed to decode path', err);
      }
      const target = findObject(root, path);
      if (!target) throw new OpError(`replace operation does not apply: doc is missing path: ${path}: ${MISSING}`);
      // Like the library kube vendors, replacing a missing object key sets it; a bad array index fails.
      if (Array.isArray(target.c)) {
        let idx: number;
        try {
          idx = arrayIndex(target.key, target.c.length);
        } catch {
          throw new OpError(`replace operation does not apply: doc is missing key: ${path}: ${MISSING}`);
        }
        target.c[idx] = opValue(op);
      } else {
        setKey(target.c, target.key, opValue(op));
      }
      return;
    }
    case 'move': {
      let from: string;
      try {
        from = opString(op, 'from');
      } catch (err) {
        throw wrap('move operation failed to decode from', err);
      }
      const source = findObject(root, from);
      if (!source) throw new OpError(`move operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
      let val: unknown;
      try {
        val = containerGet(source.c, source.key);
        containerRemove(source.c, source.key);
      } catch (err) {
        throw wrap(`error in move for path: '${source.key}'`, err);
      }
      let path: string;
      try {
        path = opString(op, 'path');
      } catch (err) {
        throw wrap('move operation failed to decode path', err);
      }
      const dest = findObject(root, path);
      if (!dest) throw new OpError(`move operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
      try {
        containerAdd(dest.c, dest.key, val ?? null);
      } catch (err) {
        throw wrap(`error in move for path: '${path}'`, err);
      }
      return;
    }
    case 'copy': {
      let from: string;
      try {
        from = opString(op, 'from');
      } catch (err) {
        throw wrap('copy operation failed to decode from', err);
      }
      const source = findObject(root, from);
      if (!source) throw new OpError(`copy operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
      let val: unknown;
      try {
        val = containerGet(source.c, source.key);
      } catch (err) {
        throw wrap(`error in copy for from: '${from}'`, err);
      }
      let path: string;
      try {
        path = opString(op, 'path');
      } catch {
        throw new OpError(`copy operation failed to decode path: ${MISSING}`);
      }
      const dest = findObject(root, path);
      if (!dest) throw new OpError(`copy operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
      // The library's deepCopy measures the copy as its JSON encoding and stops the patch once the
      // copies together pass the limit, before the copy is made.
      copied.bytes += Buffer.byteLength(JSON.stringify(val ?? null));
      if (copied.bytes > JSON_PATCH_MAX_COPY_BYTES) {
        throw new OpError(`Unable to complete the copy, the accumulated size increase of copy is ${copied.bytes}, exceeding the limit ${JSON_PATCH_MAX_COPY_BYTES}`);
      }
      try {
        // The library copies a missing source as null rather than failing.
        containerAdd(dest.c, dest.key, cloneJson(val ?? null));
      } catch (err) {
        throw wrap('error while adding value during copy', err);
      }
      return;
    }
    case 'test': {
      let path: string;
      try {
        path = opString(op, 'path');
      } catch (err) {
        throw wrap('test operation failed to decode path', err);
      }
      const target = findObject(root, path);
      if (!target) throw new OpError(`test operation does not apply: is missing path: ${path}: ${MISSING}`);
      let val: unknown;
      try {
        val = containerGet(target.c, target.key);
      } catch (err) {
        throw wrap(`error in test for path: '${path}'`, err);
      }
      const want = op.value ?? null;
      const ok = val === undefined || val === null ? want === null : hasOwn(op, 'value') && jsonEqual(val, want);
      if (!ok) throw new OpError(`testing value ${path} failed: test failed`);
      return;
    }
    default:
      throw new OpError(`Unexpected kind: ${kind}`);
  }
}

/** RFC 6902 JSON patch (add/remove/replace/move/copy/test, "-" index, ~0 ~1 escapes). Returns a new document; input untouched. Failed 'test' or a missing path throws PatchError with kube-like messages. */
export function applyJsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) {
    throw new PatchError(`json: cannot unmarshal ${jsonTypeName(ops)} into Go value of type jsonpatch.Patch`, 400);
  }
  for (const op of ops) {
    if (op !== null && !isObject(op)) {
      throw new PatchError(`json: cannot unmarshal ${jsonTypeName(op)} into Go value of type jsonpatch.Operation`, 400);
    }
  }
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new PatchError(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`, 413);
  }
  if (doc === null || typeof doc !== 'object') throw new PatchError('invalid JSON document', 400);
  const root = cloneJson(doc) as Container;
  const copied = { bytes: 0 };
  for (const op of ops as (JsonObject | null)[]) {
    try {
      applyOperation(root, op ?? {}, copied);
    } catch (err) {
      // kube-apiserver answers a patch that does not apply with 422 and the library's message.
      if (err instanceof OpError) throw new PatchError(err.message, 422);
      throw err;
    }
  }
  return root;
}

// ---------------------------------------------------------------------------------------------
// JSON merge patch (RFC 7386)

/** Nulls inside a value that is added whole mean nothing; drop them (arrays keep theirs). */
function pruneNulls(v: unknown): void {
  if (Array.isArray(v)) {
    for (const e of v) if (e !== null) pruneNulls(e);
  } else if (isObject(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null) delete v[k];
      else pruneNulls(v[k]);
    }
  }
}

function mergeDocs(doc: JsonObject, patch: JsonObject): void {
  for (const k of Object.keys(patch)) {
    const pv = patch[k];
    if (pv === null) {
      delete doc[k];
      continue;
    }
    const cur = hasOwn(doc, k) ? doc[k] : null;
    if (!isObject(cur)) {
      // Also when the key is absent or null.
      pruneNulls(pv);
      setKey(doc, k, pv);
    } else if (isObject(pv)) {
      mergeDocs(cur, pv);
    } else {
      setKey(doc, k, pv);
    }
  }
}

/** RFC 7386 JSON merge patch (null deletes, arrays replaced). Returns a new document. */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (patch === null || (!isObject(patch) && !Array.isArray(patch))) throw new PatchError('Invalid JSON Patch', 400);
  if (doc === null) throw new PatchError('Invalid JSON Document', 400);
  const p = cloneJson(patch);
  if (!isObject(p) || !isObject(doc)) {
    pruneNulls(p);
    return p;
  }
  const result = cloneJson(doc);
  mergeDocs(result, p);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch: metadata

/**
 * The patchStrategy / patchMergeKey struct tags of the Go types behind the kinds this server
 * serves (k8s.io/api core/v1, apps/v1, rbac/v1, storage/v1 and coordination/v1, apimachinery's ObjectMeta), per struct and JSON
 * field. `of` names the struct of a nested object or list element where that struct has tagged
 * fields itself. A list without a patchStrategy is replaced wholesale, a map is merged: neither
 * needs an entry. Lists whose tags belong to alpha features past 1.33 are left out.
 */
const STRUCT_TAGS: Record<string, Record<string, { patchStrategy?: string; patchMergeKey?: string; of?: string }>> = {
  ObjectMeta: {
    finalizers: { patchStrategy: 'merge' },
    ownerReferences: { patchStrategy: 'merge', patchMergeKey: 'uid' },
  },

  Pod: { metadata: { of: 'ObjectMeta' }, spec: { of: 'PodSpec' }, status: { of: 'PodStatus' } },
  PodSpec: {
    volumes: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
    initContainers: { patchStrategy: 'merge', patchMergeKey: 'name', of: 'Container' },
    containers: { patchStrategy: 'merge', patchMergeKey: 'name', of: 'Container' },
    // EphemeralContainerCommon repeats Container's tags.
    ephemeralContainers: { patchStrategy: 'merge', patchMergeKey: 'name', of: 'Container' },
    imagePullSecrets: { patchStrategy: 'merge', patchMergeKey: 'name' },
    hostAliases: { patchStrategy: 'merge', patchMergeKey: 'ip' },
    // listMapKeys are topologyKey and whenUnsatisfiable; the patch merge key is topologyKey alone.
    topologySpreadConstraints: { patchStrategy: 'merge', patchMergeKey: 'topologyKey' },
    schedulingGates: { patchStrategy: 'merge', patchMergeKey: 'name' },
    resourceClaims: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
    // tolerations and readinessGates carry no patchStrategy: replaced wholesale.
  },
  Container: {
    ports: { patchStrategy: 'merge', patchMergeKey: 'containerPort' },
    env: { patchStrategy: 'merge', patchMergeKey: 'name' },
    volumeMounts: { patchStrategy: 'merge', patchMergeKey: 'mountPath' },
    volumeDevices: { patchStrategy: 'merge', patchMergeKey: 'devicePath' },
  },
  PodStatus: {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type' },
    hostIPs: { patchStrategy: 'merge', patchMergeKey: 'ip' },
    podIPs: { patchStrategy: 'merge', patchMergeKey: 'ip' },
    resourceClaimStatuses: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
    // containerStatuses and friends carry no patchStrategy: replaced wholesale.
  },

  Node: { metadata: { of: 'ObjectMeta' }, spec: { of: 'NodeSpec' }, status: { of: 'NodeStatus' } },
  NodeSpec: {
    podCIDRs: { patchStrategy: 'merge' },
    // taints carries no patchStrategy: replaced wholesale.
  },
  NodeStatus: {
    conditions: { patchStrategy: 'merge', patchMergeKey: 'type' },
    addresses: { patchStrategy: 'merge', patchMergeKey: 'type' },
  },

  Namespace: { metadata: { of: 'ObjectMeta' }, status: { of: 'NamespaceStatus' } },
  NamespaceStatus: { conditions: { patchStrategy: 'merge', patchMergeKey: 'type' } },

  PersistentVolumeClaim: { metadata: { of: 'ObjectMeta' }, status: { of: 'PersistentVolumeClaimStatus' } },
  PersistentVolumeClaimStatus: { conditions: { patchStrategy: 'merge', patchMergeKey: 'type' } },
  // PersistentVolumeStatus has no conditions and PersistentVolumeSpec no tagged lists.
  PersistentVolume: { metadata: { of: 'ObjectMeta' } },

  ServiceAccount: {
    metadata: { of: 'ObjectMeta' },
    secrets: { patchStrategy: 'merge', patchMergeKey: 'name' },
    // imagePullSecrets carries no patchStrategy here, unlike PodSpec's.
  },
  ConfigMap: { metadata: { of: 'ObjectMeta' } },
  Event: { metadata: { of: 'ObjectMeta' } },
  Lease: { metadata: { of: 'ObjectMeta' } },
  StorageClass: { metadata: { of: 'ObjectMeta' } },
  CustomResourceDefinition: { metadata: { of: 'ObjectMeta' } },

  // apps/v1: the pod template merges as a Pod's metadata and spec do. DeploymentSpec.strategy is
  // retainKeys, which needs no metadata server side.
  PodTemplateSpec: { metadata: { of: 'ObjectMeta' }, spec: { of: 'PodSpec' } },
  DaemonSet: { metadata: { of: 'ObjectMeta' }, spec: { of: 'DaemonSetSpec' }, status: { of: 'DaemonSetStatus' } },
  DaemonSetSpec: { template: { of: 'PodTemplateSpec' } },
  DaemonSetStatus: { conditions: { patchStrategy: 'merge', patchMergeKey: 'type' } },
  Deployment: { metadata: { of: 'ObjectMeta' }, spec: { of: 'DeploymentSpec' }, status: { of: 'DeploymentStatus' } },
  DeploymentSpec: { template: { of: 'PodTemplateSpec' } },
  DeploymentStatus: { conditions: { patchStrategy: 'merge', patchMergeKey: 'type' } },

  // rbac/v1: rules and subjects carry no patchStrategy: replaced wholesale.
  ClusterRole: { metadata: { of: 'ObjectMeta' } },
  ClusterRoleBinding: { metadata: { of: 'ObjectMeta' } },
  Role: { metadata: { of: 'ObjectMeta' } },
  RoleBinding: { metadata: { of: 'ObjectMeta' } },
};

/** Kinds whose Go type is a top-level entry of STRUCT_TAGS. */
const KINDS = new Set([
  'Pod', 'Node', 'Namespace', 'PersistentVolumeClaim', 'PersistentVolume', 'ServiceAccount', 'ConfigMap', 'Event', 'Lease',
  'StorageClass', 'CustomResourceDefinition', 'DaemonSet', 'Deployment', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding',
]);

interface FieldMeta {
  /** patchStrategy includes "merge" (retainKeys needs no metadata on the server side). */
  merge: boolean;
  mergeKey: string;
  of?: string;
}

const PATCH_META = new Map<string, Map<string, FieldMeta>>(
  Object.entries(STRUCT_TAGS).map(([struct, fields]) => [
    struct,
    new Map(
      Object.entries(fields).map(([field, tag]) => [
        field,
        { merge: (tag.patchStrategy ?? '').split(',').includes('merge'), mergeKey: tag.patchMergeKey ?? '', of: tag.of },
      ]),
    ),
  ]),
);

const NO_META: FieldMeta = { merge: false, mergeKey: '' };

function lookupMeta(struct: string | undefined, field: string): FieldMeta {
  return (struct !== undefined && PATCH_META.get(struct)?.get(field)) || NO_META;
}

/** True for kinds this server knows strategic-merge metadata for. */
export function supportsStrategicMerge(kind: string): boolean {
  return KINDS.has(kind);
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch: the merge (strategicpatch.StrategicMergeMapPatch, server side)

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER = '$setElementOrder';

const errBadArgType = (expected: string, actual: unknown): PatchError =>
  new PatchError(`expected a ${expected}, but received a ${goTypeName(actual)}`);
const errNoMergeKey = (m: unknown, key: string): PatchError =>
  new PatchError(`map: ${goFormat(m)} does not contain declared merge key: ${key}`);
const errBadPatchType = (t: unknown, m: unknown): PatchError => new PatchError(`unknown patch type: ${goFormat(t)} in map: ${goFormat(m)}`);
const MAP_TYPE = 'map[string]interface {}';
const SLICE_TYPE = '[]interface {}';

function isDirectiveKey(k: string): boolean {
  return (
    k.charCodeAt(0) === 36 /* $ */ &&
    (k === DIRECTIVE ||
      k === RETAIN_KEYS ||
      k.startsWith(`${SET_ELEMENT_ORDER}/`) ||
      k.startsWith(`${DELETE_FROM_PRIMITIVE_LIST}/`))
  );
}

/**
 * A patch value taken whole (its field was absent or of another type): nulls in it are dropped
 * and so are maps carrying $patch (removeDirectives). Leftover directive keys are dropped too,
 * as decoding into the Go type would.
 */
function cleanNewValue(v: unknown): { value: unknown; keep: boolean } {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const e of v) {
      const r = cleanNewValue(e);
      if (r.keep) out.push(r.value);
    }
    return { value: out, keep: true };
  }
  if (isObject(v)) {
    if (hasOwn(v, DIRECTIVE)) return { value: undefined, keep: false };
    for (const k of Object.keys(v)) {
      if (v[k] === null || isDirectiveKey(k)) {
        delete v[k];
        continue;
      }
      const r = cleanNewValue(v[k]);
      if (r.keep) v[k] = r.value;
      else delete v[k];
    }
  }
  return { value: v, keep: true };
}

/** A patch value the merge passes through as is: only the directive keys go, as decoding drops them. */
function dropDirectiveKeys(v: unknown): unknown {
  if (Array.isArray(v)) {
    for (const e of v) dropDirectiveKeys(e);
  } else if (isObject(v)) {
    for (const k of Object.keys(v)) {
      if (isDirectiveKey(k)) delete v[k];
      else dropDirectiveKeys(v[k]);
    }
  }
  return v;
}

function setNewValue(target: JsonObject, key: string, v: unknown): void {
  const r = cleanNewValue(v);
  if (r.keep) setKey(target, key, r.value);
  else delete target[key];
}

/** "$setElementOrder/containers" -> "containers". */
function extractKey(s: string, prefix: string): string {
  const slash = s.indexOf('/');
  if (slash < 0 || s.slice(0, slash) !== prefix) {
    throw new PatchError(
      prefix === DELETE_FROM_PRIMITIVE_LIST ? 'invalid patch format of primitive list' : 'invalid patch format of setElementOrder list',
      400,
    );
  }
  return s.slice(slash + 1);
}

type ElementKind = 'map' | 'scalar';

/** sliceElementType: every element of every list has one type, and it is not a list. */
function sliceElementKind(...lists: unknown[][]): ElementKind {
  let first: string | undefined;
  for (const list of lists) {
    for (const v of list) {
      const t = valueKind(v);
      if (first === undefined) {
        if (t === 'array') throw new PatchError('lists of lists are not supported', 422);
        first = t;
      } else if (t !== first) {
        throw new PatchError(`list element types are not identical: ${goFormat(lists)}`);
      }
    }
  }
  if (first === undefined) throw new PatchError('no elements in any of the given slices');
  return first === 'object' ? 'map' : 'scalar';
}

/** What an element is ordered and matched by: its merge key value, or itself for scalars. */
const identity = (item: unknown, mergeKey: string, kind: ElementKind): unknown =>
  kind === 'map' ? (isObject(item) ? item[mergeKey] : undefined) : item;

function firstIndex(list: unknown[], mergeKey: string, kind: ElementKind): Map<unknown, number> {
  const idx = new Map<unknown, number>();
  list.forEach((item, i) => {
    const id = identity(item, mergeKey, kind);
    if (!idx.has(id)) idx.set(id, i);
  });
  return idx;
}

function requireMergeKeys(mergeKey: string, ...lists: unknown[][]): void {
  for (const list of lists) {
    for (const item of list) {
      if (!isObject(item)) throw errBadArgType(MAP_TYPE, item);
      if (!hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    }
  }
}

/** Splits off the {$patch: delete} items; every item must be a map. */
function extractToDeleteItems(list: unknown[]): [unknown[], unknown[]] {
  const keep: unknown[] = [];
  const del: unknown[] = [];
  for (const v of list) {
    if (!isObject(v)) throw errBadArgType(MAP_TYPE, v);
    (v[DIRECTIVE] === 'delete' ? del : keep).push(v);
  }
  return [keep, del];
}

/**
 * normalizeSliceOrder: a stable sort by position in `order`. Upstream's comparator calls an item
 * absent from `order` "less" than anything; with such items a plain insertion sort reproduces it
 * (Go's stable sort is an insertion sort up to 20 items).
 */
function normalizeSliceOrder(toSort: unknown[], order: unknown[], mergeKey: string, kind: ElementKind): unknown[] {
  let items = toSort;
  let toDelete: unknown[] = [];
  if (kind === 'map') {
    requireMergeKeys(mergeKey, toSort, order);
    [items, toDelete] = extractToDeleteItems(toSort);
  }
  const idx = firstIndex(order, mergeKey, kind);
  const ranked = items.map((item) => ({ item, rank: idx.get(identity(item, mergeKey, kind)) ?? -1 }));
  if (ranked.every((r) => r.rank >= 0)) {
    ranked.sort((a, b) => a.rank - b.rank);
  } else {
    const less = (a: { rank: number }, b: { rank: number }): boolean => (a.rank >= 0 && b.rank >= 0 ? a.rank < b.rank : true);
    for (let i = 1; i < ranked.length; i++) {
      for (let j = i; j > 0 && less(ranked[j], ranked[j - 1]); j--) [ranked[j], ranked[j - 1]] = [ranked[j - 1], ranked[j]];
    }
  }
  const sorted = ranked.map((r) => r.item);
  return toDelete.length ? sorted.concat(toDelete) : sorted;
}

/**
 * mergeSortedSlice: interleave server-only items (left) into the patch's items (right), taking a
 * server item first only when both appear in the live list and it came earlier there.
 */
function mergeSortedSlice(left: unknown[], right: unknown[], serverOrder: unknown[], mergeKey: string, kind: ElementKind): unknown[] {
  const idx = firstIndex(serverOrder, mergeKey, kind);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    const li = idx.get(identity(left[i], mergeKey, kind));
    const ri = idx.get(identity(right[j], mergeKey, kind));
    if (li !== undefined && ri !== undefined && li < ri) out.push(left[i++]);
    else out.push(right[j++]);
  }
  while (i < left.length) out.push(left[i++]);
  while (j < right.length) out.push(right[j++]);
  return out;
}

function normalizeElementOrder(
  patch: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
  kind: ElementKind,
): unknown[] {
  const p = normalizeSliceOrder(patch, patchOrder, mergeKey, kind);
  const s = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(s, p, serverOrder, mergeKey, kind);
}

/** Items of `list` that appear in `by` (by merge key, or value for scalars), and the rest. */
function partition(list: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  let present: Set<unknown>;
  if (mergeKey) {
    by.forEach((v, i) => {
      if (!isObject(v)) throw new PatchError(`value for key ${i} is not a map`);
    });
    present = new Set(by.filter((v) => hasOwn(v as JsonObject, mergeKey)).map((v) => (v as JsonObject)[mergeKey]));
    requireMergeKeys(mergeKey, list);
  } else {
    present = new Set(by);
  }
  const inBy: unknown[] = [];
  const rest: unknown[] = [];
  for (const v of list) (present.has(mergeKey ? (v as JsonObject)[mergeKey] : v) ? inBy : rest).push(v);
  return [inBy, rest];
}

function mergeKeyValueEqual(left: unknown, right: unknown, mergeKey: string): boolean {
  if (!mergeKey) return left === right;
  if (!isObject(left)) throw errBadArgType(MAP_TYPE, left);
  if (!isObject(right)) throw errBadArgType(MAP_TYPE, right);
  if (!hasOwn(left, mergeKey)) throw errNoMergeKey(left, mergeKey);
  if (!hasOwn(right, mergeKey)) throw errNoMergeKey(right, mergeKey);
  return left[mergeKey] === right[mergeKey];
}

/** The patch list's items must appear in $setElementOrder, in the same relative order. */
function validatePatchWithSetOrderList(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items = mergeKey ? extractToDeleteItems(patchList)[0] : patchList;
  let p = 0;
  let s = 0;
  while (p < items.length && s < order.length) {
    const item = items[p];
    if (isObject(item) && hasOwn(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (mergeKeyValueEqual(item, order[s], mergeKey)) p++;
    s++;
  }
  if (p < items.length && s >= order.length) {
    throw new PatchError(
      `The order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goFormat(order)}\n`,
    );
  }
}

/** $retainKeys: drop every field of the live map that the list does not name. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!hasOwn(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw new PatchError('invalid patch format of retainKeys', 400);
  const keep = new Set(list);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!keep.has(k)) throw new PatchError('invalid patch format of retainKeys', 400);
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/**
 * $setElementOrder/<field>: merge that list now, then order it: the directive's order for the
 * items it names, the live order for server-only items.
 */
function applySetElementOrder(original: JsonObject, patch: JsonObject, struct: string | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw errBadArgType(SLICE_TYPE, order);
    const field = extractKey(key, SET_ELEMENT_ORDER);
    const foundOriginal = hasOwn(original, field);
    const foundPatch = hasOwn(patch, field);
    const originalList = original[field];
    const patchList = patch[field];
    if (foundOriginal && !Array.isArray(originalList)) throw errBadArgType(SLICE_TYPE, originalList);
    if (foundPatch && !Array.isArray(patchList)) throw errBadArgType(SLICE_TYPE, patchList);
    let liveItems = (originalList ?? []) as unknown[];
    const patchItems = (patchList ?? []) as unknown[];
    const meta = lookupMeta(struct, field);
    validatePatchWithSetOrderList(patchItems, order, meta.mergeKey);

    let merged: unknown[];
    if (foundOriginal && foundPatch) {
      const r = mergeSliceHandler(liveItems, patchItems, meta, false);
      merged = r.merged;
      liveItems = r.originalAfter;
    } else if (foundOriginal) {
      merged = liveItems;
    } else if (foundPatch) {
      merged = cleanNewValue(patchItems).value as unknown[];
    } else {
      continue;
    }

    const [named, serverOnly] = partition(merged, order, meta.mergeKey);
    const kind = sliceElementKind(liveItems, patchItems);
    original[field] = normalizeElementOrder(named, serverOnly, order, liveItems, meta.mergeKey, kind);
    delete patch[field];
  }
}

/**
 * A merged list, and what the caller's view of the live list holds afterwards: upstream deletes
 * and appends list items in place on the live list's backing array, and $setElementOrder then
 * orders server-only items by that mutated view. Replaying it keeps the resulting order identical.
 */
interface SliceMerge {
  merged: unknown[];
  originalAfter: unknown[];
}

function mergeSliceHandler(original: unknown[], patch: unknown[], meta: FieldMeta, isDeleteList: boolean): SliceMerge {
  if (meta.merge || isDeleteList) return mergeSlice(original, patch, meta, isDeleteList);
  return { merged: dropDirectiveKeys(patch) as unknown[], originalAfter: original };
}

function mergeSlice(original: unknown[], patch: unknown[], meta: FieldMeta, isDeleteList: boolean): SliceMerge {
  if (original.length === 0 && patch.length === 0) return { merged: original, originalAfter: original };
  const kind = sliceElementKind(original, patch);
  const { mergeKey } = meta;
  if (kind !== 'map') {
    if (isDeleteList) {
      const del = new Set(patch);
      return { merged: original.filter((v) => !del.has(v)), originalAfter: original };
    }
    const merged = [...new Set([...original, ...patch])];
    const [inPatch, serverOnly] = partition(merged, patch, '');
    return { merged: normalizeElementOrder(inPatch, serverOnly, patch, original, '', kind), originalAfter: original };
  }
  if (!mergeKey) throw new PatchError(`cannot merge lists without merge key for ${meta.of ?? 'this list'}`);
  const backing = original.slice();
  const { base, rest } = mergeSliceWithSpecialElements(backing, patch, mergeKey);
  const merged = mergeSliceWithoutSpecialElements(base, rest, mergeKey, meta.of, backing);
  const [inPatch, serverOnly] = partition(merged, rest, mergeKey);
  return { merged: normalizeElementOrder(inPatch, serverOnly, rest, base, mergeKey, kind), originalAfter: backing };
}

/**
 * List items carrying $patch: delete remove live items by merge key (shifting `backing` in place,
 * as Go's append(s[:k], s[k+1:]...) does); $patch: replace drops the live list altogether.
 */
function mergeSliceWithSpecialElements(backing: unknown[], patch: unknown[], mergeKey: string): { base: unknown[]; rest: unknown[] } {
  const plain: unknown[] = [];
  let replace = false;
  let len = backing.length;
  for (const v of patch) {
    const item = v as JsonObject;
    if (!hasOwn(item, DIRECTIVE)) {
      plain.push(v);
      continue;
    }
    switch (item[DIRECTIVE]) {
      case 'delete': {
        if (!hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
        const gone = item[mergeKey];
        for (let k = 0; k < len; ) {
          const e = backing[k];
          if (isObject(e) && hasOwn(e, mergeKey) && e[mergeKey] === gone) {
            backing.copyWithin(k, k + 1, len);
            len--;
          } else {
            k++;
          }
        }
        break;
      }
      case 'replace':
        replace = true;
        break;
      case 'merge':
        throw new PatchError('merging lists cannot yet be specified in the patch');
      default:
        throw errBadPatchType(item[DIRECTIVE], item);
    }
  }
  if (replace) return { base: dropDirectiveKeys(plain) as unknown[], rest: [] };
  return { base: backing.slice(0, len), rest: plain };
}

/**
 * Patch items merge into the live item with the same merge key, or are appended. Appends also
 * land in `backing` while they fit in the live list's length, as they do upstream.
 */
function mergeSliceWithoutSpecialElements(
  base: unknown[],
  patch: unknown[],
  mergeKey: string,
  struct: string | undefined,
  backing: unknown[],
): unknown[] {
  const merged = base.slice();
  const position = new Map<unknown, number>();
  merged.forEach((e, i) => {
    if (isObject(e) && hasOwn(e, mergeKey) && !position.has(e[mergeKey])) position.set(e[mergeKey], i);
  });
  for (const v of patch) {
    const item = v as JsonObject;
    if (!hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    const at = position.get(item[mergeKey]);
    if (at !== undefined) {
      merged[at] = mergeMap(merged[at] as JsonObject, item, struct);
    } else {
      const added = dropDirectiveKeys(item);
      if (merged.length < backing.length) backing[merged.length] = added;
      position.set(item[mergeKey], merged.length);
      merged.push(added);
    }
  }
  return merged;
}

/** mergeMap with MergeParallelList and IgnoreUnmatchedNulls, as the server applies patches. */
function mergeMap(original: JsonObject | null, patch: JsonObject, struct: string | undefined): JsonObject {
  if (hasOwn(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') {
      delete patch[DIRECTIVE];
      return dropDirectiveKeys(patch) as JsonObject;
    }
    if (directive === 'delete') return {};
    throw errBadPatchType(directive, patch);
  }
  const target = original ?? {};
  applyRetainKeys(target, patch);
  applySetElementOrder(target, patch, struct);

  for (const patchKey of Object.keys(patch)) {
    const patchV = patch[patchKey];
    let key = patchKey;
    let isDeleteList = false;
    if (patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      key = extractKey(patchKey, DELETE_FROM_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    if (patchV === null) {
      delete target[key];
      continue;
    }
    if (!hasOwn(target, key)) {
      if (!isDeleteList) setNewValue(target, key, patchV);
      continue;
    }
    const origV = target[key];
    const origKind = valueKind(origV);
    if (origKind !== valueKind(patchV)) {
      // A deletion list for a field of another type changes nothing.
      if (!isDeleteList) setNewValue(target, key, patchV);
    } else if (origKind === 'object') {
      target[key] = mergeMap(origV as JsonObject, patchV as JsonObject, lookupMeta(struct, key).of);
    } else if (origKind === 'array') {
      target[key] = mergeSliceHandler(origV as unknown[], patchV as unknown[], lookupMeta(struct, key), isDeleteList).merged;
    } else {
      setNewValue(target, key, patchV);
    }
  }
  return target;
}

/** Kubernetes strategic merge patch for built-in kinds, with directives $patch (merge/replace/delete), $retainKeys, $deleteFromPrimitiveList/<field>, $setElementOrder/<field>, as kubectl apply (client-side, 3-way) and kubectl patch --type strategic send them. `kind` selects the patch metadata. Returns a new document. */
export function applyStrategicMergePatch(doc: unknown, patch: unknown, kind: string): unknown {
  if (!supportsStrategicMerge(kind)) throw new PatchError('strategic merge patch format is not supported', 400);
  if (patch !== null && !isObject(patch)) {
    throw new PatchError(`json: cannot unmarshal ${jsonTypeName(patch)} into Go value of type map[string]interface {}`, 400);
  }
  if (!isObject(doc)) throw new PatchError('invalid JSON document', 400);
  const result = cloneJson(doc);
  if (patch === null) return result;
  return mergeMap(result, cloneJson(patch), kind);
}
