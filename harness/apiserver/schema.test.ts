import { describe, expect, it } from 'vitest';
import {
  applyDefaults,
  compiledPatternCount,
  formatInvalidMessage,
  goFloat,
  goQuote,
  pruneUnknownFields,
  validateAgainstSchema,
} from './schema.ts';
import { veleroDataUploadSchema } from '../crds/velero-dataupload.ts';
import type { FieldError, JSONSchemaProps } from './types.ts';

// Velero's DataUpload schema as the project's facts state it (harness/crds/velero-dataupload.ts).
const duSchema = veleroDataUploadSchema();

type Obj = Record<string, any>;

function dataUpload(): Obj {
  return {
    apiVersion: 'velero.io/v2alpha1',
    kind: 'DataUpload',
    metadata: {
      name: 'du-1',
      namespace: 'velero',
      generateName: 'backup-1-',
      labels: { 'velero.io/backup-name': 'backup-1' },
      annotations: { note: 'x' },
      ownerReferences: [{ apiVersion: 'velero.io/v1', kind: 'Backup', name: 'backup-1', uid: 'u-1', controller: true }],
      finalizers: ['velero.io/data-upload-download-finalizer'],
      creationTimestamp: '2024-05-01T10:00:00Z',
      managedFields: [{ manager: 'velero', operation: 'Update', fieldsV1: { 'f:spec': {} } }],
    },
    spec: {
      backupStorageLocation: 'default',
      operationTimeout: '10m0s',
      snapshotType: 'CSI',
      sourceNamespace: 'app',
      sourcePVC: 'data-0',
      cancel: false,
      datamover: 'velero',
      csiSnapshot: { volumeSnapshot: 'vs-1', storageClass: 'standard', snapshotClass: 'csi', driver: 'hostpath.csi.k8s.io' },
      dataMoverConfig: { uploaderType: 'kopia' },
    },
    status: {
      phase: 'InProgress',
      node: 'node-1',
      nodeOS: 'linux',
      acceptedByNode: 'node-1',
      acceptedTimestamp: '2024-05-01T10:00:01Z',
      startTimestamp: '2024-05-01T10:00:02.123+02:00',
      completionTimestamp: null,
      progress: { bytesDone: 1024, totalBytes: 4096 },
      incrementalBytes: 0,
      dataMoverResult: { repo: 'r' },
    },
  };
}

/** "field: message", the way the apiserver prints each cause. */
const lines = (errs: FieldError[]) => errs.map((e) => `${e.field}: ${e.message}`);

/** An object schema with a single property "f" of the given schema. */
const withField = (f: JSONSchemaProps): JSONSchemaProps => ({ type: 'object', properties: { f } });

describe('DataUpload CRD (velero.io_datauploads.yaml)', () => {
  it('accepts a valid DataUpload, before and after pruning', () => {
    const du = dataUpload();
    expect(validateAgainstSchema(duSchema, du)).toEqual([]);
    expect(pruneUnknownFields(duSchema, du)).toEqual([]);
    expect(du).toEqual(dataUpload());
  });

  it('rejects an unknown phase with the field path and the supported values', () => {
    const du = dataUpload();
    du.status.phase = 'Foo';
    expect(validateAgainstSchema(duSchema, du)).toEqual([
      {
        reason: 'FieldValueNotSupported',
        field: 'status.phase',
        message:
          'Unsupported value: "Foo": supported values: "New", "Accepted", "Prepared", "InProgress", "Canceling", "Canceled", "Completed", "Failed"',
      },
    ]);
  });

  it('rejects a value of the wrong type, naming the type it got', () => {
    const du = dataUpload();
    du.spec.operationTimeout = 600;
    expect(validateAgainstSchema(duSchema, du)).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.operationTimeout',
        message: 'Invalid value: "integer": spec.operationTimeout in body must be of type string: "integer"',
      },
    ]);
  });

  it.each([
    ['spec.sourcePVC', (du: Obj) => delete du.spec.sourcePVC],
    ['spec.operationTimeout', (du: Obj) => delete du.spec.operationTimeout],
    ['spec.csiSnapshot.volumeSnapshot', (du: Obj) => delete du.spec.csiSnapshot.volumeSnapshot],
    ['spec.csiSnapshot.storageClass', (du: Obj) => delete du.spec.csiSnapshot.storageClass],
  ])('requires %s', (field, mutate) => {
    const du = dataUpload();
    mutate(du);
    expect(validateAgainstSchema(duSchema, du)).toEqual([{ reason: 'FieldValueRequired', field, message: 'Required value' }]);
  });

  it('honours nullable: csiSnapshot and timestamps may be null, cancel may not', () => {
    const du = dataUpload();
    du.spec.csiSnapshot = null;
    du.status.startTimestamp = null;
    du.spec.dataMoverConfig = null;
    expect(validateAgainstSchema(duSchema, du)).toEqual([]);
    du.spec.cancel = null;
    expect(lines(validateAgainstSchema(duSchema, du))).toEqual([
      'spec.cancel: Invalid value: "null": spec.cancel in body must be of type boolean: "null"',
    ]);
  });

  it.each([
    ['2024-05-01T10:00:00Z', true],
    ['2024-05-01t10:00:00z', true],
    ['2024-05-01T10:00:00.5-07:00', true],
    ['2024-05-01 10:00:00Z', false],
    ['2024-02-30T10:00:00Z', false],
    ['2024-05-01T24:00:00Z', false],
    ['2024-05-01T10:00:00', false],
    ['yesterday', false],
  ])('status.startTimestamp %j valid=%s (date-time)', (ts, ok) => {
    const du = dataUpload();
    du.status.startTimestamp = ts;
    const expected = ok
      ? []
      : [
          {
            reason: 'FieldValueTypeInvalid',
            field: 'status.startTimestamp',
            message: `Invalid value: ${JSON.stringify(ts)}: status.startTimestamp in body must be of type date-time: ${JSON.stringify(ts)}`,
          },
        ];
    expect(validateAgainstSchema(duSchema, du)).toEqual(expected);
  });

  it('rejects fractional and string byte counts (integer, format int64)', () => {
    const du = dataUpload();
    du.status.progress = { bytesDone: 1.5, totalBytes: '4096' };
    expect(lines(validateAgainstSchema(duSchema, du))).toEqual([
      'status.progress.bytesDone: Invalid value: "float64": status.progress.bytesDone in body must be of type int64: "float64"',
      '<nil>: Invalid value: "": Checked value must be of type integer with format int64 in status.progress.bytesDone',
      'status.progress.totalBytes: Invalid value: "string": status.progress.totalBytes in body must be of type integer: "string"',
    ]);
  });

  it('validates dataMoverConfig values against additionalProperties', () => {
    const du = dataUpload();
    du.spec.dataMoverConfig = { ok: 'yes', parallel: 4 };
    expect(lines(validateAgainstSchema(duSchema, du))).toEqual([
      'spec.dataMoverConfig.parallel: Invalid value: "integer": spec.dataMoverConfig.parallel in body must be of type string: "integer"',
    ]);
  });

  it('accepts any metadata (metadata is validated elsewhere)', () => {
    const du = dataUpload();
    du.metadata.somethingNew = { deeply: [1, 'two', null] };
    du.metadata.labels = { a: 'b' };
    expect(validateAgainstSchema(duSchema, du)).toEqual([]);
  });

  it('reports several problems at once, each at its own path', () => {
    const du = dataUpload();
    du.spec.cancel = 'yes';
    du.status.nodeOS = 'plan9';
    delete du.spec.snapshotType;
    expect(lines(validateAgainstSchema(duSchema, du))).toEqual([
      'spec.cancel: Invalid value: "string": spec.cancel in body must be of type boolean: "string"',
      'spec.snapshotType: Required value',
      'status.nodeOS: Unsupported value: "plan9": supported values: "auto", "linux", "windows"',
    ]);
  });

  it('prunes unknown fields and reports their paths, sorted; keeps apiVersion, kind and metadata', () => {
    const du = dataUpload();
    du.spec.foo = 'bar';
    du.spec.csiSnapshot.extra = { a: 1 };
    du.status.progress.percent = 25;
    du.topLevel = true;
    du.metadata.unknownMeta = 'kept';
    expect(pruneUnknownFields(duSchema, du)).toEqual(['spec.csiSnapshot.extra', 'spec.foo', 'status.progress.percent', 'topLevel']);
    const expected = dataUpload();
    expected.metadata.unknownMeta = 'kept';
    expect(du).toEqual(expected);
  });

  it('drops nulls the schema does not allow (no default) without reporting them, keeps nullable nulls', () => {
    const du = dataUpload();
    du.status.message = null;
    du.spec.cancel = null;
    du.status.completionTimestamp = null;
    expect(pruneUnknownFields(duSchema, du)).toEqual([]);
    expect('message' in du.status).toBe(false);
    expect('cancel' in du.spec).toBe(false);
    expect(du.status.completionTimestamp).toBeNull();
    expect(validateAgainstSchema(duSchema, du)).toEqual([]);
  });

  it('formats the Status message the apiserver returns', () => {
    const du = dataUpload();
    du.status.phase = 'Foo';
    expect(formatInvalidMessage('DataUpload.velero.io', 'du-1', validateAgainstSchema(duSchema, du))).toBe(
      'DataUpload.velero.io "du-1" is invalid: status.phase: Unsupported value: "Foo": supported values: "New", "Accepted", "Prepared", "InProgress", "Canceling", "Canceled", "Completed", "Failed"',
    );
  });

  it('does not modify the object it validates', () => {
    // Frozen: any write by the validator would throw (ES modules run in strict mode).
    const du = deepFreeze(dataUpload());
    expect(() => validateAgainstSchema(duSchema, du)).not.toThrow();
    const bad = deepFreeze({ ...dataUpload(), spec: { operationTimeout: 5 } });
    expect(validateAgainstSchema(duSchema, bad).length).toBeGreaterThan(0);
  });
});

describe('nested paths with array indexes', () => {
  // The DataUpload schema has no arrays; extend its spec with one to check index paths.
  const schema: JSONSchemaProps = structuredClone(duSchema);
  schema.properties!.spec.properties!.volumes = {
    type: 'array',
    items: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: '^[a-z0-9-]+$' },
        mounts: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' } } } },
      },
    },
  };

  it('reports errors at spec.volumes[i] and deeper', () => {
    const du = dataUpload();
    du.spec.volumes = [{ name: 'ok' }, { name: 7 }, {}, { name: 'Bad_Name', mounts: [{ path: '/a' }, { path: false }] }];
    expect(lines(validateAgainstSchema(schema, du))).toEqual([
      'spec.volumes[1].name: Invalid value: "integer": spec.volumes[1].name in body must be of type string: "integer"',
      'spec.volumes[2].name: Required value',
      `spec.volumes[3].name: Invalid value: "Bad_Name": spec.volumes[3].name in body should match '^[a-z0-9-]+$'`,
      'spec.volumes[3].mounts[1].path: Invalid value: "boolean": spec.volumes[3].mounts[1].path in body must be of type string: "boolean"',
    ]);
  });

  it('prunes unknown fields inside array items with indexed paths', () => {
    const du = dataUpload();
    du.spec.volumes = [{ name: 'a' }, { name: 'b', extra: 1, mounts: [{ path: '/x', mode: 'rw' }] }];
    expect(pruneUnknownFields(schema, du)).toEqual(['spec.volumes[1].extra', 'spec.volumes[1].mounts[0].mode']);
    expect(du.spec.volumes).toEqual([{ name: 'a' }, { name: 'b', mounts: [{ path: '/x' }] }]);
  });
});

describe('type checks', () => {
  const cases: [string, JSONSchemaProps, unknown, string[]][] = [
    ['integer accepts a whole number', { type: 'integer' }, 42, []],
    [
      'integer rejects a fraction',
      { type: 'integer' },
      1.5,
      [
        'f: Invalid value: "number": f in body must be of type integer: "number"',
        '<nil>: Invalid value: "": Checked value must be of type integer (default format) in f',
      ],
    ],
    ['integer rejects a numeric string', { type: 'integer' }, '42', ['f: Invalid value: "string": f in body must be of type integer: "string"']],
    ['number accepts an integer', { type: 'number' }, 42, []],
    ['number accepts a fraction', { type: 'number' }, 4.2, []],
    ['number rejects a boolean', { type: 'number' }, true, ['f: Invalid value: "boolean": f in body must be of type number: "boolean"']],
    ['boolean rejects a string', { type: 'boolean' }, 'true', ['f: Invalid value: "string": f in body must be of type boolean: "string"']],
    ['string rejects an object', { type: 'string' }, {}, ['f: Invalid value: "object": f in body must be of type string: "object"']],
    ['object rejects an array', { type: 'object' }, [], ['f: Invalid value: "array": f in body must be of type object: "array"']],
    ['array rejects an object', { type: 'array' }, { a: 1 }, ['f: Invalid value: "object": f in body must be of type array: "object"']],
    ['null is rejected unless nullable', { type: 'string' }, null, ['f: Invalid value: "null": f in body must be of type string: "null"']],
    ['nullable accepts null', { type: 'string', nullable: true }, null, []],
    ['no type accepts anything', { nullable: true }, [1, { a: 'b' }], []],
    ['int-or-string accepts an int', { 'x-kubernetes-int-or-string': true }, 8080, []],
    ['int-or-string accepts a string', { 'x-kubernetes-int-or-string': true }, '50%', []],
    [
      'int-or-string rejects a boolean',
      { 'x-kubernetes-int-or-string': true },
      true,
      ['f: Invalid value: "boolean": f in body must be of type integer,string: "boolean"'],
    ],
    [
      'int-or-string rejects a fraction (no range check: the type is ambiguous)',
      { 'x-kubernetes-int-or-string': true },
      1.2,
      ['f: Invalid value: "number": f in body must be of type integer,string: "number"'],
    ],
    ['int32 accepts its maximum', { type: 'integer', format: 'int32' }, 2147483647, []],
    [
      'int32 rejects overflow',
      { type: 'integer', format: 'int32' },
      2147483648,
      ['<nil>: Invalid value: "": Checked value must be of type integer with format int32 in f'],
    ],
    [
      'float rejects values beyond float32',
      { type: 'number', format: 'float' },
      3.5e38,
      ['<nil>: Invalid value: "": Checked value must be of type number with format float in f'],
    ],
  ];
  it.each(cases)('%s', (_name, schema, value, expected) => {
    expect(lines(validateAgainstSchema(withField(schema), { f: value }))).toEqual(expected);
  });

  it('reports a mismatch at the root on field "<nil>"', () => {
    expect(lines(validateAgainstSchema({ type: 'object' }, 'x'))).toEqual([
      '<nil>: Invalid value: "string":  in body must be of type object: "string"',
    ]);
  });
});

describe('value constraints', () => {
  const cases: [string, JSONSchemaProps, unknown, string[]][] = [
    ['enum accepts a listed value', { type: 'string', enum: ['a', 'b'] }, 'b', []],
    ['enum lists non-strings as JSON', { type: 'integer', enum: [1, 2] }, 3, ['f: Unsupported value: 3: supported values: "1", "2"']],
    [
      'enum reports a wrong type twice, as the apiserver does',
      { type: 'string', enum: ['a', 'b'] },
      true,
      ['f: Invalid value: "boolean": f in body must be of type string: "boolean"', 'f: Unsupported value: true: supported values: "a", "b"'],
    ],
    [
      'enum never matches null, even when listed',
      { type: 'string', nullable: true, enum: ['a', null] },
      null,
      ['f: Unsupported value: null: supported values: "a", "null"'],
    ],
    ['minimum accepts the bound', { type: 'integer', minimum: 1 }, 1, []],
    ['minimum', { type: 'integer', minimum: 1 }, 0, ['f: Invalid value: 0: f in body should be greater than or equal to 1']],
    ['exclusiveMinimum', { type: 'integer', minimum: 1, exclusiveMinimum: true }, 1, ['f: Invalid value: 1: f in body should be greater than 1']],
    ['maximum', { type: 'integer', maximum: 1000000 }, 1000001, ['f: Invalid value: 1000001: f in body should be less than or equal to 1000000']],
    ['exclusiveMaximum', { type: 'integer', maximum: 10, exclusiveMaximum: true }, 10, ['f: Invalid value: 10: f in body should be less than 10']],
    [
      'maximum on a float prints Go-style numbers',
      { type: 'number', maximum: 1000000 },
      1000000.5,
      ['f: Invalid value: 1.0000005e+06: f in body should be less than or equal to 1e+06'],
    ],
    ['multipleOf', { type: 'integer', multipleOf: 5 }, 7, ['f: Invalid value: 7: f in body should be a multiple of 5']],
    ['multipleOf tolerates float rounding', { type: 'number', multipleOf: 0.1 }, 0.3, []],
    ['multipleOf on floats', { type: 'number', multipleOf: 0.1 }, 0.35, ['f: Invalid value: 0.35: f in body should be a multiple of 0.1']],
    ['maxLength', { type: 'string', maxLength: 3 }, 'abcd', ['f: Too long: may not be more than 3 bytes']],
    ['maxLength of one', { type: 'string', maxLength: 1 }, 'ab', ['f: Too long: may not be more than 1 byte']],
    ['maxLength counts characters, not UTF-16 units', { type: 'string', maxLength: 2 }, 'é😀', []],
    ['minLength', { type: 'string', minLength: 3 }, 'ab', ['f: Invalid value: "ab": f in body should be at least 3 chars long']],
    ['pattern', { type: 'string', pattern: '^[a-z]+$' }, 'abc1', [`f: Invalid value: "abc1": f in body should match '^[a-z]+$'`]],
    ['Go pattern flags', { type: 'string', pattern: '(?i)^abc$' }, 'ABC', []],
    ['Go POSIX classes', { type: 'string', pattern: '^[[:digit:]]+$' }, '123', []],
    ['minItems', { type: 'array', minItems: 1 }, [], ['f: Invalid value: 0: f in body should have at least 1 items']],
    ['maxItems', { type: 'array', maxItems: 2 }, [1, 2, 3], ['f: Too many: 3: must have at most 2 items']],
    ['uniqueItems', { type: 'array', uniqueItems: true }, [{ a: 1 }, { a: 1 }], [`f: Invalid value: "": f in body shouldn't contain duplicates`]],
    ['uniqueItems accepts distinct items', { type: 'array', uniqueItems: true }, [{ a: 1 }, { a: 2 }], []],
    ['minProperties', { type: 'object', minProperties: 1 }, {}, ['f: Invalid value: 0: f in body should have at least 1 properties']],
    ['maxProperties', { type: 'object', maxProperties: 2 }, { a: 1, b: 2, c: 3 }, ['f: Too many: 3: must have at most 2 items']],
    [
      'additionalProperties schema applies to every value',
      { type: 'object', additionalProperties: { type: 'integer' } },
      { a: 1, b: 'x' },
      ['f.b: Invalid value: "string": f.b in body must be of type integer: "string"'],
    ],
    [
      'additionalProperties false forbids undeclared keys',
      { type: 'object', properties: { a: {} }, additionalProperties: false },
      { a: 1, b: 2 },
      ['f: Invalid value: "b": f.b in body is a forbidden property'],
    ],
  ];
  it.each(cases)('%s', (_name, schema, value, expected) => {
    expect(lines(validateAgainstSchema(withField(schema), { f: value }))).toEqual(expected);
  });

  it('required fields at the root are named without a leading dot', () => {
    expect(validateAgainstSchema({ type: 'object', required: ['spec'], properties: { spec: { type: 'object' } } }, {})).toEqual([
      { reason: 'FieldValueRequired', field: 'spec', message: 'Required value' },
    ]);
  });

  it('uses the apiserver reasons for each kind of failure', () => {
    const schema: JSONSchemaProps = {
      type: 'object',
      required: ['r'],
      properties: {
        e: { type: 'string', enum: ['x'] },
        t: { type: 'string' },
        l: { type: 'string', maxLength: 1 },
        m: { type: 'array', maxItems: 1 },
        i: { type: 'integer', minimum: 5 },
      },
    };
    const reasons = validateAgainstSchema(schema, { e: 'y', t: 1, l: 'll', m: [1, 2], i: 1 }).map((e) => [e.field, e.reason]);
    expect(reasons).toEqual([
      ['e', 'FieldValueNotSupported'],
      ['t', 'FieldValueTypeInvalid'],
      ['l', 'FieldValueTooLong'],
      ['m', 'FieldValueTooMany'],
      ['i', 'FieldValueInvalid'],
      ['r', 'FieldValueRequired'],
    ]);
  });

  it('compiles each pattern once, however many objects are validated', () => {
    const schema = withField({ type: 'string', pattern: '^only-once-[0-9]+$' });
    const before = compiledPatternCount();
    for (let i = 0; i < 500; i++) validateAgainstSchema(schema, { f: `only-once-${i}` });
    validateAgainstSchema(withField({ type: 'string', pattern: '^only-once-[0-9]+$' }), { f: 'only-once-1' });
    expect(compiledPatternCount()).toBe(before + 1);
  });

  it('reports an invalid pattern instead of throwing', () => {
    const [err] = validateAgainstSchema(withField({ type: 'string', pattern: '+' }), { f: 'foo' });
    expect(err.field).toBe('f');
    expect(err.message.startsWith(`Invalid value: "foo": f in body should match '+, but pattern is invalid: error parsing regexp:`)).toBe(true);
  });
});

describe('formats', () => {
  const cases: [string, string, boolean][] = [
    ['byte', 'aGVsbG8=', true],
    ['byte', 'not base64!', false],
    ['uuid', '1b4e28ba-2fa1-11d2-883f-0016d3cca427', true],
    ['uuid', '1b4e28ba-2fa1', false],
    ['date', '2024-02-29', true],
    ['date', '2023-02-29', false],
    ['duration', '1h30m', true],
    ['duration', '3 days', true],
    ['duration', 'soon', false],
    ['ipv4', '10.0.0.1', true],
    ['ipv4', '10.0.0.256', false],
    ['ipv6', 'fe80::1', true],
    ['ipv6', '10.0.0.1', false],
    ['cidr', '10.0.0.0/8', true],
    ['cidr', '10.0.0.0/33', false],
    ['hostname', 'node-1.example.com', true],
    ['hostname', '-bad-', false],
    ['k8s-short-name', 'node-1', true],
    ['k8s-short-name', 'a-', false],
    ['k8s-long-name', 'velero.io', true],
    ['k8s-long-name', 'a.-', false],
    ['email', 'ops@example.com', true],
    ['email', 'nobody', false],
    ['uri', 'https://example.com/x', true],
    ['uri', 'relative/path', false],
    ['mac', '01:23:45:67:89:ab', true],
    ['mac', '01:23:45', false],
    ['password', 'anything', true],
    ['not-a-real-format', 'ignored', true],
  ];
  it.each(cases)('%s %j valid=%s', (format, value, ok) => {
    const errs = lines(validateAgainstSchema(withField({ type: 'string', format }), { f: value }));
    expect(errs).toEqual(ok ? [] : [`f: Invalid value: ${JSON.stringify(value)}: f in body must be of type ${format}: ${JSON.stringify(value)}`]);
  });

  it('ignores integer formats on strings, as the apiserver strips them', () => {
    expect(validateAgainstSchema(withField({ type: 'string', format: 'int32' }), { f: 'x' })).toEqual([]);
  });

  it('reports a number where a date-time string belongs by its format', () => {
    expect(lines(validateAgainstSchema(withField({ type: 'string', format: 'date-time' }), { f: 5 }))).toEqual([
      'f: Invalid value: "int64": f in body must be of type date-time: "int64"',
    ]);
  });
});

describe('allOf / anyOf / oneOf / not', () => {
  const intOrStringAnyOf: JSONSchemaProps = {
    nullable: true,
    'x-kubernetes-int-or-string': true,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
  };
  const cases: [string, JSONSchemaProps, unknown, string[]][] = [
    ['anyOf accepts the first branch', intOrStringAnyOf, 42, []],
    ['anyOf accepts the second branch', intOrStringAnyOf, 'x', []],
    ['anyOf skips null when nullable', intOrStringAnyOf, null, []],
    [
      'anyOf with no match reports the closest branch',
      intOrStringAnyOf,
      true,
      [
        'f: Invalid value: "boolean": f in body must be of type integer,string: "boolean"',
        '<nil>: Invalid value: "": "f" must validate at least one schema (anyOf)',
        'f: Invalid value: "boolean": f in body must be of type integer: "boolean"',
      ],
    ],
    [
      'allOf with no match',
      { allOf: [{ type: 'string' }, { type: 'string', minLength: 1 }] },
      1,
      [
        'f: Invalid value: "integer": f in body must be of type string: "integer"',
        'f: Invalid value: "integer": f in body must be of type string: "integer"',
        '<nil>: Invalid value: "": "f" must validate all the schemas (allOf). None validated',
      ],
    ],
    [
      'allOf with one failing branch',
      { allOf: [{ type: 'string' }, { type: 'string', minLength: 3 }] },
      'ab',
      ['f: Invalid value: "ab": f in body should be at least 3 chars long', '<nil>: Invalid value: "": "f" must validate all the schemas (allOf)'],
    ],
    ['oneOf with exactly one match', { oneOf: [{ type: 'string' }, { type: 'integer' }] }, 'x', []],
    [
      'oneOf with two matches',
      { oneOf: [{ type: 'string' }, { type: 'string', minLength: 1 }] },
      'x',
      ['<nil>: Invalid value: "": "f" must validate one and only one schema (oneOf). Found 2 valid alternatives'],
    ],
    [
      'oneOf with none',
      { oneOf: [{ type: 'string' }, { type: 'boolean' }] },
      1,
      [
        '<nil>: Invalid value: "": "f" must validate one and only one schema (oneOf). Found none valid',
        'f: Invalid value: "integer": f in body must be of type string: "integer"',
      ],
    ],
    ['not rejects a match', { not: { type: 'string' } }, 'x', ['<nil>: Invalid value: "": "f" must not validate the schema (not)']],
    ['not accepts a non-match', { not: { type: 'string' } }, 1, []],
  ];
  it.each(cases)('%s', (_name, schema, value, expected) => {
    expect(lines(validateAgainstSchema(withField(schema), { f: value }))).toEqual(expected);
  });
});

describe('x-kubernetes-list-type', () => {
  const cases: [string, JSONSchemaProps, unknown, string[]][] = [
    [
      'set reports each repeated value once, at its second occurrence',
      { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
      ['a', 'b', 'a', 'a', 'b'],
      ['f[2]: Duplicate value: "a"', 'f[4]: Duplicate value: "b"'],
    ],
    [
      'map with one key',
      { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object' } },
      [{ name: 'a', v: 1 }, { name: 'b' }, { name: 'a', v: 2 }],
      ['f[2]: Duplicate value: {"name":"a"}'],
    ],
    [
      'map with two keys',
      { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port', 'protocol'], items: { type: 'object' } },
      [
        { port: 80, protocol: 'TCP' },
        { port: 80, protocol: 'UDP' },
        { protocol: 'TCP', port: 80 },
      ],
      ['f[2]: Duplicate value: {"port":80,"protocol":"TCP"}'],
    ],
    [
      'map items must be objects',
      { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
      [{ name: 'a' }, 'b'],
      ['f[1]: Invalid value: "b": must be an object for an array of list-type map'],
    ],
    ['atomic lists may repeat', { type: 'array', 'x-kubernetes-list-type': 'atomic' }, ['a', 'a'], []],
  ];
  it.each(cases)('%s', (_name, schema, value, expected) => {
    expect(lines(validateAgainstSchema(withField(schema), { f: value }))).toEqual(expected);
  });
});

describe('pruneUnknownFields', () => {
  const cases: [string, JSONSchemaProps, Obj, string[], Obj][] = [
    [
      'preserve-unknown-fields keeps unknown keys but prunes inside known ones',
      withField({
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
        properties: { known: { type: 'object', properties: { a: { type: 'string' } } } },
      }),
      { f: { anything: { x: 1 }, known: { a: 'a', b: 'b' } } },
      ['f.known.b'],
      { f: { anything: { x: 1 }, known: { a: 'a' } } },
    ],
    [
      'additionalProperties keeps every key and prunes inside the values',
      withField({ type: 'object', additionalProperties: { type: 'object', properties: { v: { type: 'string' } } } }),
      { f: { one: { v: 'x', w: 'y' }, two: { v: 'z' } } },
      ['f.one.w'],
      { f: { one: { v: 'x' }, two: { v: 'z' } } },
    ],
    [
      'an object without properties loses all its fields',
      withField({ type: 'object' }),
      { f: { b: 1, a: 2 } },
      ['f.a', 'f.b'],
      { f: {} },
    ],
    [
      'embedded resources keep apiVersion, kind and metadata',
      withField({ type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }),
      { f: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { x: 1 }, status: {} } },
      ['f.status'],
      { f: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { x: 1 } } },
    ],
    [
      'top-level apiVersion, kind and metadata survive a schema that omits them',
      { type: 'object', properties: { spec: { type: 'object', properties: {} } } },
      { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'n', odd: true }, spec: { gone: 1 }, other: 2 },
      ['other', 'spec.gone'],
      { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'n', odd: true }, spec: {} },
    ],
    [
      'nested apiVersion is pruned like any other unknown field',
      withField({ type: 'object', properties: { a: { type: 'string' } } }),
      { f: { a: 'x', kind: 'K' } },
      ['f.kind'],
      { f: { a: 'x' } },
    ],
    [
      'a null with a default is left for defaulting',
      withField({ type: 'string', default: 'd' }),
      { f: null },
      [],
      { f: null },
    ],
  ];
  it.each(cases)('%s', (_name, schema, obj, removed, after) => {
    expect(pruneUnknownFields(schema, obj)).toEqual(removed);
    expect(obj).toEqual(after);
  });
});

describe('applyDefaults', () => {
  const cases: [string, JSONSchemaProps, Obj, Obj][] = [
    ['fills a missing field', withField({ type: 'string', default: 'x' }), {}, { f: 'x' }],
    ['keeps a present field', withField({ type: 'string', default: 'x' }), { f: 'y' }, { f: 'y' }],
    ['replaces null in a non-nullable field', withField({ type: 'string', default: 'x' }), { f: null }, { f: 'x' }],
    ['keeps null in a nullable field', withField({ type: 'string', nullable: true, default: 'x' }), { f: null }, { f: null }],
    [
      'defaults inside a defaulted object',
      withField({ type: 'object', default: {}, properties: { a: { type: 'integer', default: 3 }, b: { type: 'string' } } }),
      {},
      { f: { a: 3 } },
    ],
    [
      'defaults inside array items and replaces null items',
      withField({ type: 'array', items: { type: 'object', default: { z: 0 }, properties: { z: { type: 'integer', default: 1 } } } }),
      { f: [{}, null, { z: 5 }] },
      { f: [{ z: 1 }, { z: 0 }, { z: 5 }] },
    ],
    [
      'defaults additionalProperties values',
      withField({ type: 'object', additionalProperties: { type: 'object', properties: { p: { type: 'string', default: 'q' } } } }),
      { f: { a: {}, b: { p: 'r' } } },
      { f: { a: { p: 'q' }, b: { p: 'r' } } },
    ],
  ];
  it.each(cases)('%s', (_name, schema, obj, after) => {
    applyDefaults(schema, obj);
    expect(obj).toEqual(after);
  });

  it('gives every object its own copy of a default', () => {
    const schema = withField({ type: 'object', default: { list: ['a'] }, properties: { list: { type: 'array', items: { type: 'string' } } } });
    const one: Obj = {};
    const two: Obj = {};
    applyDefaults(schema, one);
    one.f.list.push('b');
    applyDefaults(schema, two);
    expect(two).toEqual({ f: { list: ['a'] } });
  });
});

describe('formatInvalidMessage', () => {
  const req = (field: string): FieldError => ({ reason: 'FieldValueRequired', field, message: 'Required value' });
  const cases: [string, FieldError[], string][] = [
    ['no errors', [], 'DataUpload.velero.io "du-1" is invalid'],
    ['one error, no brackets', [req('spec.a')], 'DataUpload.velero.io "du-1" is invalid: spec.a: Required value'],
    [
      'several errors in brackets',
      [req('spec.a'), req('spec.b')],
      'DataUpload.velero.io "du-1" is invalid: [spec.a: Required value, spec.b: Required value]',
    ],
    ['duplicates collapse', [req('spec.a'), req('spec.a')], 'DataUpload.velero.io "du-1" is invalid: spec.a: Required value'],
  ];
  it.each(cases)('%s', (_name, errs, expected) => {
    expect(formatInvalidMessage('DataUpload.velero.io', 'du-1', errs)).toBe(expected);
  });

  it('Go-quotes the name', () => {
    expect(formatInvalidMessage('Widget', 'a"b', [])).toBe('Widget "a\\"b" is invalid');
  });
});

describe('Go rendering helpers', () => {
  it.each([
    [1e6, '1e+06'],
    [123456.5, '123456.5'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [-2.5e-7, '-2.5e-07'],
    [1.5e300, '1.5e+300'],
  ])('goFloat(%s) = %s', (v, s) => {
    expect(goFloat(v)).toBe(s);
  });

  it.each([
    ['plain', '"plain"'],
    ['say "hi"\n', '"say \\"hi\\"\\n"'],
    ['tab\there', '"tab\\there"'],
    ['\u0001', '"\\x01"'],
    ['héllo', '"héllo"'],
    ['\u200b', '"\\u200b"'],
  ])('goQuote(%j) = %s', (s, q) => {
    expect(goQuote(s)).toBe(q);
  });
});

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}
