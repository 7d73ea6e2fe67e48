// Name, label and annotation validation with the messages kube-apiserver 1.33 returns
// (k8s.io/apimachinery pkg/util/validation, pkg/api/validation/objectmeta.go).
import type { FieldError } from './types.ts';

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL_FMT}$`);
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);

const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_RE = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`);

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** Go's validation.RegexError: the examples are joined with "',  or '" (two spaces), as upstream prints them. */
function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

const maxLenError = (n: number): string => `must be no more than ${n} characters`;

/** Length in UTF-8 bytes, which is what Go's len() measures. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      n += 1;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      n += 2; // a surrogate pair is 2 code units and 4 bytes
      i++;
    } else {
      n += 2;
    }
  }
  return n;
}

export function validateDns1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (utf8Length(value) > 253) errs.push(maxLenError(253));
  if (!DNS1123_SUBDOMAIN_RE.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  return errs;
}

export function validateDns1123Label(value: string): string[] {
  const errs: string[] = [];
  if (utf8Length(value) > 63) errs.push(maxLenError(63));
  if (!DNS1123_LABEL_RE.test(value)) {
    // A valid subdomain that is not a valid label can only differ by its dots.
    if (DNS1123_SUBDOMAIN_RE.test(value)) errs.push('must not contain dots');
    else errs.push(regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, 'my-name', '123-abc'));
  }
  return errs;
}

/** IsQualifiedName: label keys, annotation keys, finalizer names ("[prefix/]name"). */
export function validateQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const msg of validateDns1123Subdomain(prefix)) errs.push(`prefix part ${msg}`);
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}` +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (utf8Length(name) > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!QUALIFIED_NAME_RE.test(name)) {
    errs.push(`name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  }
  return errs;
}

/** IsValidLabelValue. */
export function validateLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (utf8Length(value) > 63) errs.push(maxLenError(63));
  if (!LABEL_VALUE_RE.test(value)) errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  return errs;
}

/**
 * ValidatePathSegmentName (path.IsValidPathSegmentName, k8s.io/apimachinery pkg/api/validation/path):
 * kinds whose names only have to be usable in a URL path, and every name in a request's path.
 */
export function validatePathSegmentName(name: string, prefix: boolean): string[] {
  if (!prefix && (name === '.' || name === '..')) return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}

/**
 * generateName is validated as if a suffix followed it, so a trailing '-' is allowed. Upstream's
 * maskTrailingDash replaces the last two characters with "a" (not just the dash); kept as is.
 */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

type NameRule = 'subdomain' | 'label' | 'path';

function validateName(rule: NameRule, name: string, prefix: boolean): string[] {
  if (rule === 'path') return validatePathSegmentName(name, prefix);
  const value = prefix ? maskTrailingDash(name) : name;
  return rule === 'label' ? validateDns1123Label(value) : validateDns1123Subdomain(value);
}

/** Go's %q for the strings that appear in field errors. */
export function goQuote(s: string): string {
  return JSON.stringify(s)
    .replace(/\\(\\|u00([0-9a-f]{2}))/g, (m, _esc: string, hex: string | undefined) => {
      if (hex === undefined) return m;
      if (hex === '07') return '\\a';
      if (hex === '0b') return '\\v';
      return `\\x${hex}`;
    })
    .replace(/\x7f/g, '\\x7f');
}

const invalid = (field: string, value: string, detail: string): FieldError => ({
  reason: 'FieldValueInvalid',
  field,
  message: `Invalid value: ${goQuote(value)}: ${detail}`,
});

/**
 * ValidateObjectMetaAccessor's checks on names, namespace, labels and annotations. A missing name
 * is only an error when generateName is missing too: the server generates the name from
 * generateName before it validates.
 */
export function validateObjectMetaNames(
  meta: {
    name?: string;
    generateName?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  },
  opts: { namespaced: boolean; nameRule: NameRule },
): FieldError[] {
  const errs: FieldError[] = [];
  const { name, generateName, namespace } = meta;
  if (generateName) {
    for (const msg of validateName(opts.nameRule, generateName, true)) errs.push(invalid('metadata.generateName', generateName, msg));
  }
  if (!name) {
    if (!generateName) {
      errs.push({ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' });
    }
  } else {
    for (const msg of validateName(opts.nameRule, name, false)) errs.push(invalid('metadata.name', name, msg));
  }
  if (opts.namespaced) {
    if (!namespace) errs.push({ reason: 'FieldValueRequired', field: 'metadata.namespace', message: 'Required value' });
    else for (const msg of validateDns1123Label(namespace)) errs.push(invalid('metadata.namespace', namespace, msg));
  } else if (namespace) {
    errs.push({ reason: 'FieldValueForbidden', field: 'metadata.namespace', message: 'Forbidden: not allowed on this type' });
  }
  if (meta.labels) {
    for (const [k, v] of Object.entries(meta.labels)) {
      for (const msg of validateQualifiedName(k)) errs.push(invalid('metadata.labels', k, msg));
      for (const msg of validateLabelValue(v)) errs.push(invalid('metadata.labels', v, msg));
    }
  }
  if (meta.annotations) {
    let size = 0;
    for (const [k, v] of Object.entries(meta.annotations)) {
      // Annotation keys are case-insensitive qualified names.
      for (const msg of validateQualifiedName(k.toLowerCase())) errs.push(invalid('metadata.annotations', k, msg));
      size += utf8Length(k) + utf8Length(typeof v === 'string' ? v : String(v));
    }
    if (size > TOTAL_ANNOTATION_SIZE_LIMIT) {
      errs.push({
        reason: 'FieldValueTooLong',
        field: 'metadata.annotations',
        message: `Too long: may not be more than ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes`,
      });
    }
  }
  return errs;
}

/**
 * ValidateFinalizers and ValidateOwnerReferences (k8s.io/apimachinery pkg/api/validation/objectmeta.go),
 * the parts of ValidateObjectMeta that are not names: each finalizer a qualified name, orphan and
 * foregroundDeletion not both; each owner with a version, kind, name and uid, not an Event, and at
 * most one controller.
 */
export function validateObjectMetaRefs(meta: { finalizers?: unknown; ownerReferences?: unknown }): FieldError[] {
  const errs: FieldError[] = [];
  const finalizers = Array.isArray(meta.finalizers) ? (meta.finalizers as string[]) : [];
  for (const f of finalizers) for (const msg of validateQualifiedName(f)) errs.push(invalid('metadata.finalizers', f, msg));
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errs.push({
      reason: 'FieldValueInvalid',
      field: 'metadata.finalizers',
      message: `Invalid value: []string{${finalizers.map(goQuote).join(', ')}}: finalizer orphan and foregroundDeletion cannot be both set`,
    });
  }
  const owners = Array.isArray(meta.ownerReferences) ? (meta.ownerReferences as Record<string, unknown>[]) : [];
  let controller = '';
  const field = 'metadata.ownerReferences';
  for (const ref of owners) {
    const apiVersion = String(ref.apiVersion ?? '');
    const parts = apiVersion.split('/');
    const version = parts.length === 1 ? parts[0] : parts.length === 2 ? parts[1] : '';
    const kind = String(ref.kind ?? '');
    if (!version) errs.push(invalid(`${field}.apiVersion`, apiVersion, 'version must not be empty'));
    if (!kind) errs.push(invalid(`${field}.kind`, kind, 'kind must not be empty'));
    if (!ref.name) errs.push(invalid(`${field}.name`, String(ref.name ?? ''), 'name must not be empty'));
    if (!ref.uid) errs.push(invalid(`${field}.uid`, String(ref.uid ?? ''), 'uid must not be empty'));
    if (apiVersion === 'v1' && kind === 'Event') {
      errs.push({ reason: 'FieldValueInvalid', field, message: 'Invalid value: "v1/Event": /v1, Kind=Event is disallowed from being an owner' });
    }
    if (ref.controller === true) {
      const name = `${kind}/${String(ref.name ?? '')}`;
      if (controller) {
        errs.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${owners.length} references: Only one reference can have Controller set to true. Found "true" in references for ${controller} and ${name}` });
      } else controller = name;
    }
  }
  return errs;
}

const CONFIG_MAP_KEY_FMT = '[-._a-zA-Z0-9]+';
const CONFIG_MAP_KEY_RE = new RegExp(`^${CONFIG_MAP_KEY_FMT}$`);

/** IsConfigMapKey (k8s.io/apimachinery pkg/util/validation): the keys of ConfigMaps and Secrets. */
export function validateConfigMapKey(key: string): string[] {
  const errs: string[] = [];
  if (utf8Length(key) > 253) errs.push(maxLenError(253));
  if (!CONFIG_MAP_KEY_RE.test(key)) {
    errs.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", CONFIG_MAP_KEY_FMT, 'key.name', 'KEY_NAME', 'key-name'));
  }
  if (key === '.') errs.push("must not be '.'");
  else if (key === '..') errs.push("must not be '..'");
  else if (key.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The random 5-character suffix apiserver appends for generateName (alphabet bcdfghjklmnpqrstvwxz2456789), drawn from the given random source. */
export function generateNameSuffix(rand: () => number): string {
  let s = '';
  for (let i = 0; i < 5; i++) {
    const idx = Math.min(SUFFIX_ALPHABET.length - 1, Math.floor(rand() * SUFFIX_ALPHABET.length));
    s += SUFFIX_ALPHABET[idx];
  }
  return s;
}
