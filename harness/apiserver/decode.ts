// What kube-apiserver's JSON decoder (sigs.k8s.io/json into the k8s.io/api Go types) does to the
// body of a built-in kind before anything else sees it:
// - a value of the wrong JSON type is a 400, naming the field as Go does:
//   `Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string
//   into Go struct field DeploymentSpec.spec.replicas of type int32`;
// - a field the Go type does not have is dropped and its path returned, with list indices
//   (`spec.template.spec.containers[0].foo`), for the caller's fieldValidation (Strict: 400
//   `strict decoding error: unknown field "..."`, Warn: a Warning header, Ignore: nothing).
// The Go types are read from the schemas openapi.ts derives from @kubernetes/client-node.
import { errors } from './errors.ts';
import { builtinKindSchema, objectMetaSchema } from './openapi.ts';
import type { KubeObject, ResourceInfo } from './types.ts';

type Schema = Record<string, any>;

interface Struct {
  kind: 'struct';
  name: string;
  def: Schema;
  /** Built on first use: types are recursive (JSONSchemaProps). */
  fields?: Map<string, GoType>;
}
type GoType =
  | Struct
  | { kind: 'slice' | 'map'; elem: GoType }
  | { kind: 'string' | 'bool' | 'float64' | 'int32' | 'int64' | 'intOrString' | 'quantity' | 'any' };

/**
 * resource.Quantity fields (client-node types them as strings): they also take JSON numbers.
 * Per struct, the fields whose value, or whose map values, are quantities.
 */
const QUANTITIES: Record<string, string[]> = {
  ResourceRequirements: ['limits', 'requests'],
  VolumeResourceRequirements: ['limits', 'requests'],
  PodSpec: ['overhead'],
  ContainerStatus: ['allocatedResources'],
  NodeStatus: ['capacity', 'allocatable'],
  PersistentVolumeSpec: ['capacity'],
  PersistentVolumeClaimStatus: ['capacity', 'allocatedResources'],
  EmptyDirVolumeSource: ['sizeLimit'],
  ResourceFieldSelector: ['divisor'],
  ResourceQuotaSpec: ['hard'],
  ResourceQuotaStatus: ['hard', 'used'],
  LimitRangeItem: ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'],
};

// resource.ParseQuantity: its error for anything but a number with an optional suffix or exponent.
const QUANTITY_FORMAT = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const QUANTITY = /^[+-]?(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;
const INT_RANGE = { int32: [-(2 ** 31), 2 ** 31 - 1], int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] };

const structs = new Map<string, Struct>();

function struct(defName: string, defs: ReadonlyMap<string, Schema>): Struct {
  let s = structs.get(defName);
  if (!s) structs.set(defName, (s = { kind: 'struct', name: defName.slice(defName.lastIndexOf('.') + 1), def: defs.get(defName) ?? {} }));
  return s;
}

function fieldsOf(s: Struct, defs: ReadonlyMap<string, Schema>): Map<string, GoType> {
  if (!s.fields) {
    const quantities = QUANTITIES[s.name] ?? [];
    s.fields = new Map(Object.entries((s.def.properties ?? {}) as Record<string, Schema>).map(([k, p]) => [k, typeOf(p, defs, quantities.includes(k))]));
  }
  return s.fields;
}

const REF = '#/components/schemas/';

function typeOf(p: Schema, defs: ReadonlyMap<string, Schema>, quantity: boolean): GoType {
  const ref: string | undefined = p.$ref ?? p.allOf?.[0]?.$ref;
  if (ref) return struct(ref.slice(REF.length), defs);
  if (p['x-kubernetes-int-or-string']) return { kind: 'intOrString' };
  switch (p.type) {
    case 'array':
      return { kind: 'slice', elem: typeOf(p.items ?? {}, defs, quantity) };
    case 'object':
      return p.additionalProperties ? { kind: 'map', elem: typeOf(p.additionalProperties, defs, quantity) } : { kind: 'any' };
    case 'string':
      return { kind: quantity ? 'quantity' : 'string' };
    case 'integer':
      return { kind: p.format === 'int32' ? 'int32' : 'int64' };
    case 'number':
      return { kind: 'float64' };
    case 'boolean':
      return { kind: 'bool' };
  }
  return { kind: 'any' };
}

/** reflect.Type.String() of the Go type, as the decoder's errors print it. */
function goName(t: GoType): string {
  switch (t.kind) {
    case 'struct':
      return `v1.${t.name}`;
    case 'slice':
      return `[]${goName(t.elem)}`;
    case 'map':
      return t.elem.kind === 'quantity' ? 'v1.ResourceList' : `map[string]${goName(t.elem)}`;
    case 'intOrString':
      return 'int32'; // IntOrString.UnmarshalJSON decodes anything but a string as its int32
    case 'quantity':
      return 'resource.Quantity';
    case 'any':
      return 'interface {}';
    default:
      return t.kind;
  }
}

interface At {
  /** Strict-decoding path, with list indices. */
  path: string;
  /** encoding/json's error path: struct fields only. */
  goPath: string;
  /** The innermost struct. */
  struct: string;
}

class DecodeError extends Error {}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'object' : typeof v;
}

function mismatch(value: string, at: At, t: GoType): DecodeError {
  return new DecodeError(`json: cannot unmarshal ${value} into Go struct field ${at.struct}.${at.goPath} of type ${goName(t)}`);
}

/** What Go's decoder leaves for a JSON null in a map or slice element: the element type's zero value. */
function zeroValue(t: GoType): unknown {
  switch (t.kind) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'float64':
    case 'int32':
    case 'int64':
    case 'intOrString':
      return 0;
    case 'quantity':
      return '0';
    case 'struct':
      return {};
    default:
      return null;
  }
}

function walk(t: GoType, v: unknown, at: At, defs: ReadonlyMap<string, Schema>, unknown: string[]): void {
  if (v === null || v === undefined) return; // the caller puts the zero value in its place
  switch (t.kind) {
    case 'any':
      return;
    case 'struct': {
      if (typeof v !== 'object' || Array.isArray(v)) throw mismatch(jsonKind(v), at, t);
      const fields = fieldsOf(t, defs);
      const obj = v as Record<string, unknown>;
      for (const key of Object.keys(obj)) {
        const path = at.path ? `${at.path}.${key}` : key;
        const field = fields.get(key);
        if (!field) {
          unknown.push(path);
          delete obj[key];
        } else if (obj[key] === null) {
          // A null field decodes to the field's zero value, which the encoder leaves out.
          delete obj[key];
        } else walk(field, obj[key], { path, goPath: at.goPath ? `${at.goPath}.${key}` : key, struct: t.name }, defs, unknown);
      }
      return;
    }
    case 'slice':
      if (!Array.isArray(v)) throw mismatch(jsonKind(v), at, t);
      v.forEach((item, i) => {
        if (item === null) v[i] = zeroValue(t.elem);
        else walk(t.elem, item, { ...at, path: `${at.path}[${i}]` }, defs, unknown);
      });
      return;
    case 'map':
      if (typeof v !== 'object' || Array.isArray(v)) throw mismatch(jsonKind(v), at, t);
      for (const [k, item] of Object.entries(v)) {
        if (item === null) (v as Record<string, unknown>)[k] = zeroValue(t.elem);
        else walk(t.elem, item, { ...at, path: `${at.path}.${k}` }, defs, unknown);
      }
      return;
    case 'quantity': {
      if (typeof v === 'number') return;
      const s = typeof v === 'string' ? v.trim() : '';
      if (!QUANTITY_FORMAT.test(s)) throw new DecodeError(`quantities must match the regular expression '${QUANTITY_FORMAT.source}'`);
      if (!QUANTITY.test(s)) throw new DecodeError("unable to parse quantity's suffix");
      return;
    }
    case 'intOrString':
    case 'int32':
    case 'int64': {
      if (t.kind === 'intOrString' && typeof v === 'string') return;
      const [min, max] = INT_RANGE[t.kind === 'int64' ? 'int64' : 'int32'];
      if (typeof v !== 'number') throw mismatch(jsonKind(v), at, t);
      if (!Number.isInteger(v) || v < min || v > max) throw mismatch(`number ${v}`, at, t);
      return;
    }
    case 'float64':
      if (typeof v !== 'number') throw mismatch(jsonKind(v), at, t);
      return;
    case 'bool':
      if (typeof v !== 'boolean') throw mismatch(jsonKind(v), at, t);
      return;
    case 'string':
      if (typeof v !== 'string') throw mismatch(jsonKind(v), at, t);
  }
}

/** Core kinds whose map values are Go []byte, which JSON carries as standard base64. */
const BYTE_MAPS: Record<string, string> = { ConfigMap: 'binaryData', Secret: 'data' };

/** encoding/base64.StdEncoding's verdict on a []byte value, with its CorruptInputError text. */
function checkBase64(v: string): void {
  const bad = v.search(/[^A-Za-z0-9+/=]/);
  const pad = v.indexOf('=');
  let at = -1;
  if (bad >= 0) at = bad;
  else if (pad >= 0 && !/^[A-Za-z0-9+/]*={1,2}$/.test(v)) at = pad;
  else if (v.length % 4 !== 0) at = v.length - (v.length % 4);
  if (at >= 0) throw new DecodeError(`illegal base64 data at input byte ${at}`);
}

/**
 * Decodes a built-in object as kube-apiserver would: throws a 400 on a value of the wrong type,
 * drops unknown fields (mutating obj) and returns their paths in document order. Kinds without a
 * client-node model are taken as they are.
 */
export function decodeBuiltin(info: ResourceInfo, obj: KubeObject): string[] {
  const schema = builtinKindSchema(info.group, info.version, info.kind);
  if (!schema) return [];
  const unknown: string[] = [];
  try {
    walk(struct(schema.name, schema.defs), obj, { path: '', goPath: '', struct: info.kind }, schema.defs, unknown);
    const bytes = info.group === '' ? BYTE_MAPS[info.kind] : undefined;
    const values = bytes ? (obj as Record<string, unknown>)[bytes] : undefined;
    if (values && typeof values === 'object') for (const v of Object.values(values)) checkBase64(v as string);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    throw errors.badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: ${e.message}`);
  }
  return unknown;
}

/**
 * A custom resource's metadata as apiextensions-apiserver takes it from a request: decoded into
 * metav1.ObjectMeta, and where that fails, field by field with the malformed fields dropped
 * (GetObjectMetaWithOptions with DropMalformedFields, in
 * k8s.io/apiextensions-apiserver pkg/apiserver/schema/objectmeta/coerce.go, which the CRD
 * handler's request decoder uses). `"ownerReferences": {}` is dropped; unknown fields are dropped
 * and their paths returned (`metadata.foo`) for fieldValidation.
 */
export function coerceCustomResourceMeta(obj: KubeObject): string[] {
  const meta = obj.metadata as unknown;
  if (meta === undefined) return [];
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
    obj.metadata = {} as KubeObject['metadata'];
    return [];
  }
  const schema = objectMetaSchema();
  const fields = fieldsOf(struct(schema.name, schema.defs), schema.defs);
  const m = meta as Record<string, unknown>;
  const unknown: string[] = [];
  for (const key of Object.keys(m)) {
    const field = fields.get(key);
    if (!field) {
      unknown.push(`metadata.${key}`);
      delete m[key];
      continue;
    }
    if (m[key] === null) {
      delete m[key];
      continue;
    }
    try {
      walk(field, m[key], { path: `metadata.${key}`, goPath: key, struct: 'ObjectMeta' }, schema.defs, unknown);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      delete m[key];
    }
  }
  return unknown;
}
