// OpenAPI v3 structural-schema validation, pruning and defaulting of custom resources, as
// kube-apiserver's apiextensions-apiserver does it:
//   validation  k8s.io/kube-openapi/pkg/validation/validate, errors converted to field errors by
//               apiextensions-apiserver/pkg/apiserver/validation (kubeOpenAPIResultToFieldErrors),
//               then x-kubernetes-list-type set/map uniqueness (pkg/apiserver/schema/listtype);
//   pruning     pkg/apiserver/schema/pruning plus PruneNonNullableNullsWithoutDefaults;
//   defaulting  pkg/apiserver/schema/defaulting.
// Messages are rendered the way k8s.io/apimachinery field.Error.ErrorBody() renders them, so
// kubectl users see what a real cluster would tell them. Quirks of the real server (errors on
// field "<nil>", "Too long ... bytes" for a character limit) are kept on purpose.
// Not covered: x-kubernetes-validations (CEL) rules, and validation of embedded resources' metadata.

import { isIPv6 } from 'node:net';
import type { FieldError, JSONSchemaProps } from './types.ts';
import { jsonEqual } from './patch.ts';

// ---------------------------------------------------------------------------------------------
// Public API

/** Validate a whole custom object against the version's openAPIV3Schema. Returns field errors, [] when valid. */
export function validateAgainstSchema(schema: JSONSchemaProps, obj: unknown): FieldError[] {
  const c = compile(schema);
  const ctx: Ctx = { errs: [], matches: 0 };
  validateValue(c, obj, '', ctx);
  if (c.hasListTypes && isPlainObject(obj)) validateListTypesInObject(c, obj, '', ctx.errs);
  return ctx.errs;
}

/**
 * Remove fields not declared in a structural schema, as the apiserver's decoder does before
 * anything else sees the object. Mutates obj; returns the removed paths, sorted (the server
 * reports each as `unknown field "<path>"` under fieldValidation=Strict/Warn).
 * Top-level apiVersion, kind and metadata are never touched. Like the server, it then drops
 * nulls in non-nullable fields that have no default (those are not reported).
 */
export function pruneUnknownFields(schema: JSONSchemaProps, obj: unknown): string[] {
  const c = compile(schema);
  const removed: string[] = [];
  // The resource root behaves like an embedded resource: its TypeMeta and ObjectMeta are kept.
  if (c.preserveUnknown) skipPrune(obj, c, '', removed, true);
  else pruneNode(obj, c, '', removed, true);
  pruneNonNullableNulls(c, obj, true);
  removed.sort();
  return removed;
}

/** Apply schema defaults (apiextensions structural defaulting), mutating obj. */
export function applyDefaults(schema: JSONSchemaProps, obj: unknown): void {
  const c = compile(schema);
  if (c.hasDefaults) defaultNode(obj, c);
}

/**
 * The Status message of a 422 Invalid error, as apimachinery's errors.NewInvalid builds it:
 * `DataUpload.velero.io "du-1" is invalid: [spec.a: Required value, spec.b: ...]`, without the
 * brackets when there is one distinct error. kind is the qualified kind (Kind.group, or Kind).
 */
export function formatInvalidMessage(kind: string, name: string, errs: FieldError[]): string {
  const head = `${kind} ${goQuote(name)} is invalid`;
  const seen = new Set<string>();
  const msgs: string[] = [];
  for (const e of errs) {
    const msg = `${e.field}: ${e.message}`;
    if (seen.has(msg)) continue;
    seen.add(msg);
    msgs.push(msg);
  }
  if (msgs.length === 0) return head;
  if (msgs.length === 1) return `${head}: ${msgs[0]}`;
  return `${head}: [${msgs.join(', ')}]`;
}

/** Number of distinct schema patterns compiled so far (patterns are compiled once per process). */
export function compiledPatternCount(): number {
  return patternCache.size;
}

// ---------------------------------------------------------------------------------------------
// Compiled schemas: everything derivable from a schema node is worked out once and cached on the
// node, so validating thousands of objects a second costs no schema interpretation or regex builds.

interface Compiled {
  types: string[];
  typeJoined: string;
  nullable: boolean;
  /** Format after the apiserver strips formats it does not support for the type ('' if none). */
  format: string;
  formatCheck: ((s: string) => boolean) | null;
  typeApplies: boolean;
  /** Numeric type and format used for range checks ('' unless the type is unambiguous). */
  numType: '' | 'integer' | 'number';
  numFormat: string;
  maximum: number | undefined;
  exclusiveMaximum: boolean;
  minimum: number | undefined;
  exclusiveMinimum: boolean;
  multipleOf: number | undefined;
  maxLength: number | undefined;
  minLength: number | undefined;
  pattern: CompiledPattern | null;
  maxItems: number | undefined;
  minItems: number | undefined;
  uniqueItems: boolean;
  items: Compiled | null;
  minProperties: number | undefined;
  maxProperties: number | undefined;
  required: string[];
  props: Map<string, Compiled> | null;
  propList: [string, Compiled][];
  /** null: no additionalProperties; schema null: `true` (anything, but nothing nested is known). */
  ap: { allows: boolean; schema: Compiled | null } | null;
  enum: unknown[] | null;
  enumDetail: string;
  allOf: Compiled[] | null;
  anyOf: Compiled[] | null;
  oneOf: Compiled[] | null;
  not: Compiled | null;
  preserveUnknown: boolean;
  embedded: boolean;
  listType: string;
  listMapKeys: string[];
  /** The default, or undefined when there is none (a null default counts as none, as upstream). */
  dflt: unknown;
  defaultedProps: [string, Compiled][];
  hasDefaults: boolean;
  hasListTypes: boolean;
}

const compiledCache = new WeakMap<object, Compiled>();

function compile(s: JSONSchemaProps): Compiled {
  const hit = compiledCache.get(s);
  if (hit) return hit;

  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const types = intOrString ? ['integer', 'string'] : s.type ? [s.type as string] : [];
  const format = supportedFormat(types, s.format ?? '');
  const single = types.length === 1 ? types[0] : '';
  const numType = single === 'integer' || single === 'number' ? single : '';
  let numFormat = '';
  if (numType === 'integer' && (format === 'int32' || format === 'int64')) numFormat = format;
  if (numType === 'number' && (format === 'float' || format === 'double')) numFormat = format;

  const c: Compiled = {
    types,
    typeJoined: types.join(','),
    nullable: s.nullable === true,
    format,
    formatCheck: format ? (stringFormats.get(format.replaceAll('-', '')) ?? null) : null,
    typeApplies: types.length > 0 || format !== '',
    numType,
    numFormat,
    maximum: num(s.maximum),
    exclusiveMaximum: s.exclusiveMaximum === true,
    minimum: num(s.minimum),
    exclusiveMinimum: s.exclusiveMinimum === true,
    multipleOf: num(s.multipleOf),
    maxLength: num(s.maxLength),
    minLength: num(s.minLength),
    pattern: typeof s.pattern === 'string' && s.pattern !== '' ? compilePattern(s.pattern) : null,
    maxItems: num(s.maxItems),
    minItems: num(s.minItems),
    uniqueItems: s.uniqueItems === true,
    items: null,
    minProperties: num(s.minProperties),
    maxProperties: num(s.maxProperties),
    required: Array.isArray(s.required) ? s.required : [],
    props: null,
    propList: [],
    ap: null,
    enum: Array.isArray(s.enum) && s.enum.length > 0 ? s.enum : null,
    enumDetail: '',
    allOf: null,
    anyOf: null,
    oneOf: null,
    not: null,
    preserveUnknown: s['x-kubernetes-preserve-unknown-fields'] === true,
    embedded: s['x-kubernetes-embedded-resource'] === true,
    listType: typeof s['x-kubernetes-list-type'] === 'string' ? s['x-kubernetes-list-type'] : '',
    listMapKeys: Array.isArray(s['x-kubernetes-list-map-keys']) ? s['x-kubernetes-list-map-keys'] : [],
    dflt: s.default === null ? undefined : s.default,
    defaultedProps: [],
    hasDefaults: false,
    hasListTypes: false,
  };
  // Cache before descending so a (malformed) self-referencing schema cannot recurse forever.
  compiledCache.set(s, c);

  if (c.enum) {
    // apiextensions lists strings as they are and everything else as JSON, each Go-quoted.
    c.enumDetail = 'supported values: ' + c.enum.map((v) => goQuote(typeof v === 'string' ? v : goJSON(v))).join(', ');
  }
  if (s.items && typeof s.items === 'object' && !Array.isArray(s.items)) c.items = compile(s.items);
  if (s.properties && typeof s.properties === 'object') {
    c.props = new Map();
    for (const [k, sub] of Object.entries(s.properties)) {
      const cs = compile(sub);
      c.props.set(k, cs);
      c.propList.push([k, cs]);
      if (cs.dflt !== undefined) c.defaultedProps.push([k, cs]);
    }
  }
  if (s.additionalProperties !== undefined && s.additionalProperties !== null) {
    const ap = s.additionalProperties;
    c.ap = typeof ap === 'object' ? { allows: true, schema: compile(ap) } : { allows: ap === true, schema: null };
  }
  const list = (xs: unknown): Compiled[] | null =>
    Array.isArray(xs) && xs.length > 0 ? xs.map((x) => compile(x as JSONSchemaProps)) : null;
  c.allOf = list(s.allOf);
  c.anyOf = list(s.anyOf);
  c.oneOf = list(s.oneOf);
  if (s.not && typeof s.not === 'object') c.not = compile(s.not);

  // Subtree summaries let defaulting and list-type checks skip schemas that need neither.
  const children: Compiled[] = [...c.propList.map(([, p]) => p)];
  if (c.items) children.push(c.items);
  if (c.ap?.schema) children.push(c.ap.schema);
  c.hasDefaults = c.defaultedProps.length > 0 || (c.ap?.schema?.dflt !== undefined) || (c.items?.dflt !== undefined);
  c.hasListTypes = c.listType === 'set' || c.listType === 'map';
  for (const child of children) {
    if (child === c) continue;
    c.hasDefaults ||= child.hasDefaults;
    c.hasListTypes ||= child.hasListTypes;
  }
  return c;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Formats the apiserver validates (apiextensions-apiserver/pkg/apiserver/validation/formats.go). */
function supportedFormat(types: string[], format: string): string {
  if (!format) return '';
  const t = types.length === 1 ? types[0] : '';
  switch (t) {
    case '':
    case 'string':
      return stringFormats.has(format.replaceAll('-', '')) ? format : '';
    case 'integer':
      return format === 'int32' || format === 'int64' ? format : '';
    case 'number':
      return format === 'float' || format === 'double' ? format : '';
    default:
      return '';
  }
}

// ---------------------------------------------------------------------------------------------
// Validation (kube-openapi SchemaValidator semantics)

interface Ctx {
  errs: FieldError[];
  /** Rough count of passed checks; anyOf/oneOf report the failing branch that matched most. */
  matches: number;
}

type Kind = 'string' | 'int' | 'float' | 'boolean' | 'array' | 'object';

const TWO_63 = 9223372036854775808;

/** The Go type the apiserver's JSON decoder would produce: integers become int64, other numbers float64. */
function kindOf(v: unknown): Kind {
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return Number.isInteger(v) && v >= -TWO_63 && v < TWO_63 ? 'int' : 'float';
    case 'boolean':
      return 'boolean';
    default:
      return Array.isArray(v) ? 'array' : 'object';
  }
}

const SCHEMA_TYPE: Record<Kind, string> = {
  string: 'string',
  int: 'integer',
  float: 'number',
  boolean: 'boolean',
  array: 'array',
  object: 'object',
};
const GO_FORMAT: Record<Kind, string> = { string: '', int: 'int64', float: 'float64', boolean: '', array: '', object: '' };

function validateValue(c: Compiled, data: unknown, path: string, ctx: Ctx): void {
  if (data === null || data === undefined) {
    // Only the type and enum validators look at null.
    if (c.typeApplies) {
      if (c.types.length > 0 && !c.nullable) ctx.errs.push(typeInvalid(path, c.typeJoined, 'null'));
      else ctx.matches++;
    }
    // kube-openapi never matches null against an enum, even one that lists null.
    if (c.enum) ctx.errs.push(notSupported(c, null, path));
    return;
  }
  const kind = kindOf(data);
  if (c.typeApplies) {
    ctx.matches++;
    validateType(c, data, kind, path, ctx);
  }
  if (c.allOf || c.anyOf || c.oneOf || c.not) validateSchemaProps(c, data, path, ctx);
  ctx.matches++;
  if (kind === 'string') {
    ctx.matches++;
    validateString(c, data as string, path, ctx);
    if (c.formatCheck) {
      ctx.matches++;
      if (!c.formatCheck(data as string)) ctx.errs.push(typeInvalid(path, c.format, data as string));
    }
  } else if (kind === 'int' || kind === 'float') {
    ctx.matches += 2;
    validateNumber(c, data as number, kind === 'int', path, ctx);
  } else if (kind === 'array') {
    ctx.matches += 2;
    validateArray(c, data as unknown[], path, ctx);
  }
  ctx.matches++;
  if (c.enum) validateEnum(c, data, path, ctx);
  if (kind === 'object') {
    ctx.matches++;
    validateObject(c, data as Record<string, unknown>, path, ctx);
  }
  ctx.matches++;
}

function validateType(c: Compiled, data: unknown, kind: Kind, path: string, ctx: Ctx): void {
  const schType = SCHEMA_TYPE[kind];
  const types = c.types;
  const isFloatInt = kind === 'float' && isJSONInteger(data as number) && types.includes('integer');
  const isIntFloat = kind === 'int' && types.includes('number');
  const format = c.format;
  if (kind !== 'string' && kind !== 'array' && format !== '') {
    if (!(types.includes(schType) || GO_FORMAT[kind] === format || isFloatInt || isIntFloat)) {
      ctx.errs.push(typeInvalid(path, format, GO_FORMAT[kind]));
      return;
    }
  }
  if (format !== '' && (kind === 'string' || kind === 'array') && !types.includes('number') && !types.includes('integer')) {
    ctx.matches++;
    return;
  }
  if (!(types.includes(schType) || isFloatInt || isIntFloat)) {
    ctx.errs.push(typeInvalid(path, c.typeJoined, schType));
    return;
  }
  ctx.matches++;
}

function validateString(c: Compiled, s: string, path: string, ctx: Ctx): void {
  if (c.maxLength !== undefined || c.minLength !== undefined) {
    const n = runeCount(s);
    if (c.maxLength !== undefined && n > c.maxLength) {
      ctx.errs.push(tooLong(path, c.maxLength));
      return;
    }
    if (c.minLength !== undefined && n < c.minLength) {
      ctx.errs.push(invalid(path, goQuote(s), `${path} in body should be at least ${c.minLength} chars long`));
      return;
    }
  }
  const p = c.pattern;
  if (p) {
    if (!p.re) {
      ctx.errs.push(invalid(path, goQuote(s), `${path} in body should match '${p.source}, but pattern is invalid: ${p.error}'`));
    } else if (!p.re.test(s)) {
      ctx.errs.push(invalid(path, goQuote(s), `${path} in body should match '${p.source}'`));
    }
  }
}

function validateNumber(c: Compiled, v: number, isInt: boolean, path: string, ctx: Ctx): void {
  // The value must fit the declared numeric type/format (kube-openapi numberValidator).
  const rangeErr = numericRangeError(c, v, 'Checked', path);
  if (rangeErr) ctx.errs.push(nilInvalid(rangeErr));
  const shown = isInt ? String(v) : goFloat(v);

  if (c.multipleOf !== undefined) {
    const m = c.multipleOf;
    const constraintErr = numericRangeError(c, m, 'MultipleOf', path);
    if (constraintErr) ctx.errs.push(nilInvalid(constraintErr));
    if (isInt && !constraintErr) {
      const f = Math.trunc(m);
      if (f <= 0) ctx.errs.push(invalid(path, String(f), `factor MultipleOf declared for ${path} must be positive: ${f}`));
      else if (v % f !== 0) ctx.errs.push(invalid(path, shown, `${path} in body should be a multiple of ${f}`));
    } else if (m <= 0) {
      ctx.errs.push(invalid(path, goFloat(m), `factor MultipleOf declared for ${path} must be positive: ${goFloat(m)}`));
    } else {
      const mult = m < 1 ? (1 / m) * v : v / m;
      if (!isJSONInteger(mult)) ctx.errs.push(invalid(path, goFloat(v), `${path} in body should be a multiple of ${goFloat(m)}`));
    }
  }
  if (c.minimum !== undefined) {
    const constraintErr = numericRangeError(c, c.minimum, 'Minimum boundary', path);
    if (constraintErr) ctx.errs.push(nilInvalid(constraintErr));
    const native = isInt && !constraintErr;
    const min = native ? Math.trunc(c.minimum) : c.minimum;
    if (c.exclusiveMinimum ? v <= min : v < min) {
      const minShown = native ? String(min) : goFloat(min);
      const what = c.exclusiveMinimum ? 'greater than' : 'greater than or equal to';
      ctx.errs.push(invalid(path, native ? shown : goFloat(v), `${path} in body should be ${what} ${minShown}`));
    }
  }
  if (c.maximum !== undefined) {
    const constraintErr = numericRangeError(c, c.maximum, 'Maximum boundary', path);
    if (constraintErr) ctx.errs.push(nilInvalid(constraintErr));
    const native = isInt && !constraintErr;
    const max = native ? Math.trunc(c.maximum) : c.maximum;
    if (c.exclusiveMaximum ? v >= max : v > max) {
      const maxShown = native ? String(max) : goFloat(max);
      const what = c.exclusiveMaximum ? 'less than' : 'less than or equal to';
      ctx.errs.push(invalid(path, native ? shown : goFloat(v), `${path} in body should be ${what} ${maxShown}`));
    }
  }
}

/** kube-openapi IsValueValidAgainstRange: does v fit the schema's integer/float format? */
function numericRangeError(c: Compiled, v: number, prefix: string, path: string): string | null {
  let ok = true;
  if (c.numType === 'integer') {
    ok = Number.isInteger(v) && (c.numFormat === 'int32' ? v >= -2147483648 && v <= 2147483647 : v >= -TWO_63 && v < TWO_63);
  } else if (c.numType === 'number' && c.numFormat === 'float') {
    ok = Number.isFinite(Math.fround(v));
  }
  if (ok) return null;
  return c.numFormat
    ? `${prefix} value must be of type ${c.numType} with format ${c.numFormat} in ${path}`
    : `${prefix} value must be of type ${c.numType} (default format) in ${path}`;
}

function validateArray(c: Compiled, arr: unknown[], path: string, ctx: Ctx): void {
  if (c.items) {
    for (let i = 0; i < arr.length; i++) validateValue(c.items, arr[i], `${path}[${i}]`, ctx);
  }
  if (c.minItems !== undefined && arr.length < c.minItems) {
    ctx.errs.push(invalid(path, String(arr.length), `${path} in body should have at least ${c.minItems} items`));
  }
  if (c.maxItems !== undefined && arr.length > c.maxItems) ctx.errs.push(tooMany(path, arr.length, c.maxItems));
  if (c.uniqueItems && hasDuplicates(arr)) {
    ctx.errs.push(invalid(path, '""', `${path} in body shouldn't contain duplicates`));
  }
}

function hasDuplicates(arr: unknown[]): boolean {
  for (let i = 1; i < arr.length; i++) {
    for (let j = 0; j < i; j++) if (jsonEqual(arr[i], arr[j])) return true;
  }
  return false;
}

function validateEnum(c: Compiled, data: unknown, path: string, ctx: Ctx): void {
  for (const allowed of c.enum!) if (jsonEqual(data, allowed)) return;
  ctx.errs.push(notSupported(c, data, path));
}

function notSupported(c: Compiled, data: unknown, path: string): FieldError {
  return { reason: 'FieldValueNotSupported', field: fieldOf(path), message: `Unsupported value: ${renderValue(data)}: ${c.enumDetail}` };
}

function validateObject(c: Compiled, obj: Record<string, unknown>, path: string, ctx: Ctx): void {
  const keys = Object.keys(obj);
  if (c.minProperties !== undefined && keys.length < c.minProperties) {
    ctx.errs.push(invalid(path, String(keys.length), `${path} in body should have at least ${c.minProperties} properties`));
  }
  if (c.maxProperties !== undefined && keys.length > c.maxProperties) ctx.errs.push(tooMany(path, keys.length, c.maxProperties));

  const ap = c.ap;
  if (ap && !ap.allows) {
    for (const k of keys) {
      if (!c.props?.has(k)) ctx.errs.push(invalid(path, goQuote(k), `${path}.${k} in body is a forbidden property`));
    }
  } else if (ap?.schema) {
    for (const k of keys) {
      if (!c.props?.has(k)) validateValue(ap.schema, obj[k], `${path}.${k}`, ctx);
    }
  }
  for (const [name, sub] of c.propList) {
    if (Object.hasOwn(obj, name) && obj[name] !== undefined) validateValue(sub, obj[name], path ? `${path}.${name}` : name, ctx);
  }
  for (const k of c.required) {
    if (!Object.hasOwn(obj, k) || obj[k] === undefined) {
      ctx.errs.push({ reason: 'FieldValueRequired', field: fieldOf(`${path}.${k}`), message: 'Required value' });
    }
  }
}

function validateSchemaProps(c: Compiled, data: unknown, path: string, ctx: Ctx): void {
  ctx.matches++;
  if (c.anyOf) {
    let best: Ctx | null = null;
    let success: Ctx | null = null;
    for (const branch of c.anyOf) {
      const r = branchResult(branch, data, path);
      if (r.errs.length === 0) {
        success = r;
        best = null;
        break;
      }
      if (!best || r.matches > best.matches) best = r;
    }
    if (!success) ctx.errs.push(nilInvalid(`${goQuote(path)} must validate at least one schema (anyOf)`));
    merge(ctx, best ?? success);
  }
  if (c.oneOf) {
    let best: Ctx | null = null;
    let first: Ctx | null = null;
    let valid = 0;
    for (const branch of c.oneOf) {
      const r = branchResult(branch, data, path);
      if (r.errs.length === 0) {
        valid++;
        best = null;
        first ??= r;
        continue;
      }
      if (valid === 0 && (!best || r.matches > best.matches)) best = r;
    }
    if (valid !== 1) {
      const detail = valid === 0 ? 'Found none valid' : `Found ${valid} valid alternatives`;
      ctx.errs.push(nilInvalid(`${goQuote(path)} must validate one and only one schema (oneOf). ${detail}`));
      merge(ctx, best);
    } else {
      merge(ctx, first);
    }
  }
  if (c.allOf) {
    let valid = 0;
    for (const branch of c.allOf) {
      const r = branchResult(branch, data, path);
      if (r.errs.length === 0) valid++;
      merge(ctx, r);
    }
    if (valid !== c.allOf.length) {
      ctx.errs.push(nilInvalid(`${goQuote(path)} must validate all the schemas (allOf)${valid === 0 ? '. None validated' : ''}`));
    }
  }
  if (c.not) {
    if (branchResult(c.not, data, path).errs.length === 0) {
      ctx.errs.push(nilInvalid(`${goQuote(path)} must not validate the schema (not)`));
    }
  }
}

function branchResult(branch: Compiled, data: unknown, path: string): Ctx {
  const r: Ctx = { errs: [], matches: 0 };
  validateValue(branch, data, path, r);
  return r;
}

function merge(into: Ctx, from: Ctx | null): void {
  if (!from) return;
  for (const e of from.errs) into.errs.push(e);
  into.matches += from.matches;
}

// ---------------------------------------------------------------------------------------------
// x-kubernetes-list-type set/map uniqueness (apiextensions listtype.ValidateListSetsAndMaps).
// Paths follow field.Path: map keys are subscripts here ("spec.labels[key]"), unlike above.

function validateListTypesInObject(c: Compiled, obj: Record<string, unknown>, path: string, errs: FieldError[]): void {
  const apSchema = c.ap?.schema;
  if (apSchema?.hasListTypes) {
    for (const k of Object.keys(obj)) validateListTypesIn(apSchema, obj[k], `${path}[${k}]`, errs);
  }
  if (c.props) {
    for (const k of Object.keys(obj)) {
      const sub = c.props.get(k);
      if (sub?.hasListTypes) validateListTypesIn(sub, obj[k], path ? `${path}.${k}` : k, errs);
    }
  }
}

function validateListTypesIn(c: Compiled, v: unknown, path: string, errs: FieldError[]): void {
  if (Array.isArray(v)) validateListTypesInArray(c, v, path, errs);
  else if (isPlainObject(v)) validateListTypesInObject(c, v, path, errs);
}

function validateListTypesInArray(c: Compiled, arr: unknown[], path: string, errs: FieldError[]): void {
  if (c.listType === 'set') {
    for (const i of firstDuplicates(arr)) errs.push(duplicate(`${path}[${i}]`, arr[i]));
  } else if (c.listType === 'map') {
    validateListMap(c, arr, path, errs);
  }
  if (c.items?.hasListTypes) {
    for (let i = 0; i < arr.length; i++) validateListTypesIn(c.items, arr[i], `${path}[${i}]`, errs);
  }
}

const UNSPECIFIED_KEY = Symbol('unspecified list-map key');

function validateListMap(c: Compiled, arr: unknown[], path: string, errs: FieldError[]): void {
  for (let i = 0; i < arr.length; i++) {
    const x = arr[i];
    if (x !== null && x !== undefined && !isPlainObject(x)) {
      errs.push(invalid(`${path}[${i}]`, renderValue(x), 'must be an object for an array of list-type map'));
      return;
    }
  }
  if (arr.length <= 1) return;
  const keyFields = c.listMapKeys;
  if (keyFields.length === 1) {
    const field = keyFields[0];
    const keys = arr.map((x) => (isPlainObject(x) && Object.hasOwn(x, field) ? x[field] : UNSPECIFIED_KEY));
    for (const i of firstDuplicates(keys)) {
      errs.push(duplicate(`${path}[${i}]`, keys[i] === UNSPECIFIED_KEY ? {} : { [field]: keys[i] }));
    }
    return;
  }
  const keys = arr.map((x) => {
    const key: Record<string, unknown> = {};
    if (isPlainObject(x)) for (const f of keyFields) if (Object.hasOwn(x, f)) key[f] = x[f];
    return key;
  });
  for (const i of firstDuplicates(keys)) errs.push(duplicate(`${path}[${i}]`, keys[i]));
}

/** Indexes where a value is seen for the second time (each repeated value reported once). */
function firstDuplicates(values: unknown[]): number[] {
  if (values.length <= 1) return [];
  const scalars = new Map<unknown, number>();
  const compounds = new Map<string, number>();
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const compound = v !== null && typeof v === 'object';
    const key = compound ? goJSON(v) : v;
    const seen: Map<unknown, number> = compound ? compounds : scalars;
    const times = seen.get(key) ?? 0;
    seen.set(key, times + 1);
    if (times === 1) out.push(i);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pruning (apiextensions pruning.PruneWithOptions, with unknown-field path tracking)

const META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

function pruneNode(x: unknown, c: Compiled | null, path: string, removed: string[], root = false): void {
  if (c?.preserveUnknown) {
    skipPrune(x, c, path, removed, false);
    return;
  }
  if (Array.isArray(x)) {
    const items = c ? c.items : null;
    for (let i = 0; i < x.length; i++) pruneNode(x[i], items, `${path}[${i}]`, removed);
    return;
  }
  if (!isPlainObject(x)) return;
  if (!c) {
    for (const k of Object.keys(x)) {
      removed.push(joinKey(path, k));
      delete x[k];
    }
    return;
  }
  const keepMeta = root || c.embedded;
  for (const k of Object.keys(x)) {
    if (keepMeta && META_FIELDS.has(k)) continue;
    const sub = c.props?.get(k);
    if (sub) pruneNode(x[k], sub, joinKey(path, k), removed);
    else if (c.ap) pruneNode(x[k], c.ap.schema, joinKey(path, k), removed);
    else {
      removed.push(joinKey(path, k));
      delete x[k];
    }
  }
}

/** x-kubernetes-preserve-unknown-fields: keep unknown fields, still prune below known ones. */
function skipPrune(x: unknown, c: Compiled | null, path: string, removed: string[], root: boolean): void {
  if (!c) return;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) skipPrune(x[i], c.items, `${path}[${i}]`, removed, false);
    return;
  }
  if (!isPlainObject(x)) return;
  const keepMeta = root || c.embedded;
  for (const k of Object.keys(x)) {
    if (keepMeta && META_FIELDS.has(k)) continue;
    const sub = c.props?.get(k);
    if (sub) pruneNode(x[k], sub, joinKey(path, k), removed);
    else if (c.ap) pruneNode(x[k], c.ap.schema, joinKey(path, k), removed);
  }
}

function joinKey(path: string, k: string): string {
  return path === '' ? k : `${path}.${k}`;
}

/** defaulting.PruneNonNullableNullsWithoutDefaults: a null where null is not allowed and no default applies means "unset". */
function pruneNonNullableNulls(c: Compiled | null, x: unknown, root = false): void {
  if (Array.isArray(x)) {
    const items = c ? c.items : null;
    for (const v of x) pruneNonNullableNulls(items, v);
    return;
  }
  if (!isPlainObject(x)) return;
  for (const k of Object.keys(x)) {
    if (root && META_FIELDS.has(k)) continue;
    const sub = c ? (c.props?.get(k) ?? c.ap?.schema ?? null) : null;
    const v = x[k];
    if (v === null && sub && !sub.nullable && sub.dflt === undefined) delete x[k];
    else pruneNonNullableNulls(sub, v);
  }
}

// ---------------------------------------------------------------------------------------------
// Defaulting (apiextensions defaulting.Default)

function defaultNode(x: unknown, c: Compiled): void {
  if (Array.isArray(x)) {
    const items = c.items;
    if (!items) return;
    for (let i = 0; i < x.length; i++) {
      if (x[i] === null && !items.nullable && items.dflt !== undefined) x[i] = copyJSON(items.dflt);
      if (items.hasDefaults) defaultNode(x[i], items);
    }
    return;
  }
  if (!isPlainObject(x)) return;
  for (const [k, prop] of c.defaultedProps) {
    if (!Object.hasOwn(x, k) || x[k] === undefined || (x[k] === null && !prop.nullable)) x[k] = copyJSON(prop.dflt);
  }
  for (const k of Object.keys(x)) {
    const prop = c.props?.get(k);
    if (prop) {
      if (prop.hasDefaults) defaultNode(x[k], prop);
    } else if (c.ap?.schema) {
      const aps = c.ap.schema;
      if (x[k] === null && !aps.nullable && aps.dflt !== undefined) x[k] = copyJSON(aps.dflt);
      if (aps.hasDefaults) defaultNode(x[k], aps);
    }
  }
}

function copyJSON(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(copyJSON);
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) out[k] = copyJSON(val);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Field errors, rendered like k8s.io/apimachinery/pkg/util/validation/field

/** kubeOpenAPIResultToFieldErrors: the kube-openapi error name becomes the field path. */
function fieldOf(name: string): string {
  if (name === '' || name === '.') return '<nil>';
  return name.startsWith('.') ? name.slice(1) : name;
}

function invalid(path: string, renderedValue: string, detail: string): FieldError {
  return { reason: 'FieldValueInvalid', field: fieldOf(path), message: `Invalid value: ${renderedValue}: ${detail}` };
}

/** Errors kube-openapi raises without a field (composition, numeric range) land on field "<nil>". */
function nilInvalid(detail: string): FieldError {
  return { reason: 'FieldValueInvalid', field: '<nil>', message: `Invalid value: "": ${detail}` };
}

function typeInvalid(path: string, expected: string, actual: string): FieldError {
  const q = goQuote(actual);
  return { reason: 'FieldValueTypeInvalid', field: fieldOf(path), message: `Invalid value: ${q}: ${path} in body must be of type ${expected}: ${q}` };
}

function tooLong(path: string, max: number): FieldError {
  return { reason: 'FieldValueTooLong', field: fieldOf(path), message: `Too long: may not be more than ${max} ${max === 1 ? 'byte' : 'bytes'}` };
}

function tooMany(path: string, actual: number, max: number): FieldError {
  return { reason: 'FieldValueTooMany', field: fieldOf(path), message: `Too many: ${actual}: must have at most ${max} ${max === 1 ? 'item' : 'items'}` };
}

function duplicate(field: string, value: unknown): FieldError {
  return { reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${renderValue(value)}` };
}

/** How field.Error shows a bad value: numbers and bools plainly, strings Go-quoted, the rest as JSON. */
function renderValue(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return goQuote(v);
    case 'number':
      return kindOf(v) === 'int' ? String(v) : goFloat(v);
    case 'boolean':
      return String(v);
    default:
      return goJSON(v);
  }
}

// ---------------------------------------------------------------------------------------------
// Go-compatible rendering

const GO_QUOTE_SAFE = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const GO_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/** Go's %q / strconv.Quote. */
export function goQuote(s: string): string {
  if (GO_QUOTE_SAFE.test(s)) return `"${s}"`;
  let out = '"';
  for (const ch of s) {
    const esc = GO_ESCAPES[ch];
    if (esc) {
      out += esc;
      continue;
    }
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp < 0x7f) out += ch;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\ufffd'; // Go's decoder turns lone surrogates into U+FFFD
    else if (PRINTABLE.test(ch)) out += ch;
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}

/** Go's %v for a float64 (strconv 'g', shortest): exponent form below 1e-4 and from 1e6. */
export function goFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const e = v.toExponential();
  const at = e.indexOf('e');
  const exp = Number(e.slice(at + 1));
  if (exp < -4 || exp >= 6) {
    const abs = Math.abs(exp);
    return `${e.slice(0, at)}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  return String(v);
}

/** Go's encoding/json output: sorted object keys, HTML-safe escapes. */
export function goJSON(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return jsonString(v);
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'boolean':
      return String(v);
    case 'object':
      if (Array.isArray(v)) return '[' + v.map(goJSON).join(',') + ']';
      return (
        '{' +
        Object.keys(v)
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .sort()
          .map((k) => jsonString(k) + ':' + goJSON((v as Record<string, unknown>)[k]))
          .join(',') +
        '}'
      );
    default:
      return 'null';
  }
}

const HTML_UNSAFE = /[<>&\u2028\u2029]/g;

function jsonString(s: string): string {
  const j = JSON.stringify(s);
  return HTML_UNSAFE.test(j) ? j.replace(HTML_UNSAFE, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0')) : j;
}

// ---------------------------------------------------------------------------------------------
// Value helpers

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** swag.IsFloat64AJSONInteger: integral within ±(2^53-1), allowing a 1e-9 relative error. */
function isJSONInteger(f: number): boolean {
  if (!Number.isFinite(f) || f < -9007199254740991 || f > 9007199254740991) return false;
  const rounded = Math.round(f);
  if (f === rounded) return true;
  if (rounded === 0) return false;
  return Math.abs(f - rounded) < 1e-9 * Math.abs(rounded);
}

/** Unicode code points, as Go's utf8.RuneCountInString counts them. */
function runeCount(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Patterns: CRD patterns are Go RE2 syntax; translate the common differences, compile once.

interface CompiledPattern {
  source: string;
  re: RegExp | null;
  error: string;
}

const patternCache = new Map<string, CompiledPattern>();

function compilePattern(source: string): CompiledPattern {
  const hit = patternCache.get(source);
  if (hit) return hit;
  const p: CompiledPattern = { source, re: null, error: '' };
  const unsupported = /\(\?<?[=!]|\\[1-9]/.exec(source);
  if (unsupported) {
    p.error = `error parsing regexp: invalid or unsupported Perl syntax: \`${unsupported[0]}\``;
  } else {
    let body = source;
    let flags = '';
    const lead = /^\(\?([imsU]+)\)/.exec(body);
    if (lead) {
      body = body.slice(lead[0].length);
      for (const f of lead[1]) if (f !== 'U' && !flags.includes(f)) flags += f;
    }
    body = body
      .replace(/\(\?P</g, '(?<')
      .replace(/\\A/g, '^')
      .replace(/\\z/g, '$')
      .replace(/\\([pP])([A-Za-z])/g, '\\$1{$2}')
      .replace(/\[:(\^?)([a-z]+):\]/g, (m, neg: string, name: string) => (neg ? m : (POSIX_CLASSES[name] ?? m)));
    try {
      p.re = new RegExp(body, flags + 'u');
    } catch {
      try {
        p.re = new RegExp(body, flags);
      } catch (e) {
        p.error = `error parsing regexp: ${(e as Error).message}`;
      }
    }
  }
  patternCache.set(source, p);
  return p;
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

// ---------------------------------------------------------------------------------------------
// String formats (kube-openapi strfmt registry), keyed by the normalized name (dashes removed).

const RX = {
  uuid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
  uuid3: /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
  uuid4: /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i,
  uuid5: /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i,
  hostname:
    /^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9\-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$/u,
  base64: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/,
  hexcolor: /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/,
  rgbcolor:
    /^rgb\(\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*\)$/,
  ssn: /^\d{3}[- ]?\d{2}[- ]?\d{4}$/,
  creditcard:
    /^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11})$/,
  isbn10: /^(?:[0-9]{9}X|[0-9]{10})$/,
  isbn13: /^(?:[0-9]{13})$/,
  date: /^(\d{4})-(\d{2})-(\d{2})$/,
  timeOfDay: /^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$/,
  ipv4: /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/,
  mac: /^(?:[0-9a-fA-F]{2}(?:([:-])[0-9a-fA-F]{2}){5}|[0-9a-fA-F]{2}(?:([:-])[0-9a-fA-F]{2}){7}|[0-9a-fA-F]{2}(?:([:-])[0-9a-fA-F]{2}){19}|[0-9a-fA-F]{4}(?:\.[0-9a-fA-F]{4}){2}|[0-9a-fA-F]{4}(?:\.[0-9a-fA-F]{4}){3}|[0-9a-fA-F]{4}(?:\.[0-9a-fA-F]{4}){9})$/,
  goDuration: /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$/,
  looseDuration: /(\d+)\s*([A-Za-z\u00b5]+)/g,
  shortName: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
  longName: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  email: /^(?:[^<>@\s]+@[^<>@\s]+\.?[^<>@\s]*|[^<>]*<[^<>@\s]+@[^<>@\s]+>)$/,
  uriScheme: /^[A-Za-z][A-Za-z0-9+.-]*:/,
  controlChar: /[\x00-\x1f\x7f]/,
};

function isDate(s: string): boolean {
  const m = RX.date.exec(s);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return day <= days;
}

/** strfmt.IsDateTime: an RFC 3339 date, "t", a time of day with zone (matched case-insensitively). */
function isDateTime(s: string): boolean {
  if (s.length < 4) return false;
  const parts = s.toLowerCase().split('t');
  if (parts.length < 2 || !isDate(parts[0])) return false;
  const m = RX.timeOfDay.exec(parts[1]);
  return m !== null && m[1] <= '23' && m[2] <= '59' && m[3] <= '59';
}

const DURATION_UNITS = [
  ['ns', 'nano'],
  ['us', '\u00b5s', 'micro'],
  ['ms', 'milli'],
  ['s', 'sec'],
  ['m', 'min'],
  ['h', 'hr', 'hour'],
  ['d', 'day'],
  ['w', 'wk', 'week'],
];

/** strfmt.ParseDuration: Go's time.ParseDuration, else "<n> <unit>" pairs such as "3 days". */
function isDuration(s: string): boolean {
  if (s === '0' || s === '+0' || s === '-0' || RX.goDuration.test(s)) return true;
  for (const m of s.matchAll(RX.looseDuration)) {
    const unit = m[2].toLowerCase();
    for (const variants of DURATION_UNITS) {
      const last = variants.length - 1;
      if (variants.some((v, i) => (i === last && unit.startsWith(v)) || v === unit)) return true;
    }
  }
  return false;
}

function isIPv4Sloppy(s: string): boolean {
  const m = RX.ipv4.exec(s);
  if (m) return [m[1], m[2], m[3], m[4]].every((p) => p.length <= 3 && Number(p) <= 255);
  // net.ParseIP also accepts IPv4-mapped IPv6 written with a dotted quad.
  return s.includes('.') && s.includes(':') && isIPv6(s) && !s.includes('%');
}

function isCIDR(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  const n = Number(bits);
  if (RX.ipv4.test(ip)) return isIPv4Sloppy(ip) && n <= 32;
  return !ip.includes('%') && isIPv6(ip) && n <= 128;
}

function isISBN(s: string, version: 10 | 13): boolean {
  const d = s.replace(/[\s-]/g, '');
  if (version === 10) {
    if (!RX.isbn10.test(d)) return false;
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += (i + 1) * Number(d[i]);
    sum += d[9] === 'X' ? 100 : 10 * Number(d[9]);
    return sum % 11 === 0;
  }
  if (!RX.isbn13.test(d)) return false;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(d[i]) * (i % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10 === Number(d[12]);
}

function isCreditCard(s: string): boolean {
  const d = s.replace(/[^0-9]/g, '');
  if (!RX.creditcard.test(d)) return false;
  let sum = 0;
  let double = false;
  for (let i = d.length - 1; i >= 0; i--) {
    let n = Number(d[i]);
    if (double) {
      n *= 2;
      if (n >= 10) n = (n % 10) + 1;
    }
    sum += n;
    double = !double;
  }
  return sum % 10 === 0;
}

/** url.ParseRequestURI, approximately: an absolute URI or an absolute path, no control characters. */
function isRequestURI(s: string): boolean {
  if (s === '' || RX.controlChar.test(s)) return false;
  if (s.startsWith('/') || s === '*') return true;
  if (!RX.uriScheme.test(s)) return false;
  const rest = s.slice(s.indexOf(':') + 1);
  if (!rest.startsWith('//')) return true;
  const authority = rest.slice(2).split(/[/?#]/, 1)[0];
  return !/\s/.test(authority);
}

const stringFormats = new Map<string, (s: string) => boolean>([
  ['bsonobjectid', (s) => /^[0-9a-fA-F]{24}$/.test(s)],
  ['uri', isRequestURI],
  ['email', (s) => RX.email.test(s.trim())],
  ['hostname', (s) => RX.hostname.test(s) && s.length <= 255 && s.split('.').every((p) => p.length <= 63)],
  ['ipv4', isIPv4Sloppy],
  ['ipv6', (s) => s.includes(':') && !s.includes('%') && isIPv6(s)],
  ['cidr', isCIDR],
  ['mac', (s) => RX.mac.test(s)],
  ['uuid', (s) => RX.uuid.test(s)],
  ['uuid3', (s) => RX.uuid3.test(s)],
  ['uuid4', (s) => RX.uuid4.test(s)],
  ['uuid5', (s) => RX.uuid5.test(s)],
  ['isbn', (s) => isISBN(s, 10) || isISBN(s, 13)],
  ['isbn10', (s) => isISBN(s, 10)],
  ['isbn13', (s) => isISBN(s, 13)],
  ['creditcard', isCreditCard],
  ['ssn', (s) => s.length === 11 && RX.ssn.test(s)],
  ['hexcolor', (s) => RX.hexcolor.test(s)],
  ['rgbcolor', (s) => RX.rgbcolor.test(s)],
  ['byte', (s) => RX.base64.test(s)],
  ['password', () => true],
  ['date', isDate],
  ['duration', isDuration],
  ['datetime', isDateTime],
  ['k8sshortname', (s) => s.length <= 63 && RX.shortName.test(s)],
  ['k8slongname', (s) => s.length <= 253 && RX.longName.test(s)],
]);
