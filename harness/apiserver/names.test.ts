import { describe, expect, it } from 'vitest';
import { generateNameSuffix, validateDns1123Label, validateDns1123Subdomain, validateObjectMetaNames } from './names.ts';
import type { FieldError } from './types.ts';
import { NAME_PART_MSG, LABEL_VALUE_MSG } from '../test/kube-messages.ts';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character " +
  "(e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character " +
  "(e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

describe('validateDns1123Subdomain', () => {
  const cases: [value: string, errors: string[]][] = [
    ['example.com', []],
    ['a', []],
    ['0-pvc.data', []],
    ['Bad_Name', [SUBDOMAIN_MSG]],
    ['ends-with-dash-', [SUBDOMAIN_MSG]],
    ['double..dot', [SUBDOMAIN_MSG]],
    ['', [SUBDOMAIN_MSG]],
    ['a'.repeat(253), []],
    ['a'.repeat(254), ['must be no more than 253 characters']],
    [`${'A'.repeat(254)}`, ['must be no more than 253 characters', SUBDOMAIN_MSG]],
  ];
  it.each(cases)('%j', (value, errors) => {
    expect(validateDns1123Subdomain(value)).toEqual(errors);
  });
});

describe('validateDns1123Label', () => {
  const cases: [value: string, errors: string[]][] = [
    ['my-name', []],
    ['123-abc', []],
    ['kube.system', ['must not contain dots']],
    ['-a', [LABEL_MSG]],
    ['UPPER', [LABEL_MSG]],
    ['a'.repeat(64), ['must be no more than 63 characters']],
  ];
  it.each(cases)('%j', (value, errors) => {
    expect(validateDns1123Label(value)).toEqual(errors);
  });
});

describe('validateObjectMetaNames', () => {
  type Meta = Parameters<typeof validateObjectMetaNames>[0];
  type Opts = Parameters<typeof validateObjectMetaNames>[1];
  const podRules: Opts = { namespaced: true, nameRule: 'subdomain' };
  const cases: [name: string, meta: Meta, opts: Opts, errors: FieldError[]][] = [
    ['valid pod', { name: 'web-0', namespace: 'default', labels: { app: 'web' } }, podRules, []],
    [
      'bad name',
      { name: 'Bad_Name', namespace: 'default' },
      podRules,
      [{ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "Bad_Name": ${SUBDOMAIN_MSG}` }],
    ],
    [
      'neither name nor generateName',
      { namespace: 'default' },
      podRules,
      [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }],
    ],
    ['generateName alone, trailing dash allowed', { generateName: 'backup-', namespace: 'velero' }, podRules, []],
    [
      'bad generateName is reported as given',
      { generateName: 'Backup-', namespace: 'velero' },
      podRules,
      [{ reason: 'FieldValueInvalid', field: 'metadata.generateName', message: `Invalid value: "Backup-": ${SUBDOMAIN_MSG}` }],
    ],
    [
      'namespaced kind without namespace',
      { name: 'a' },
      podRules,
      [{ reason: 'FieldValueRequired', field: 'metadata.namespace', message: 'Required value' }],
    ],
    [
      'namespace must be a label',
      { name: 'a', namespace: 'team.a' },
      podRules,
      [{ reason: 'FieldValueInvalid', field: 'metadata.namespace', message: 'Invalid value: "team.a": must not contain dots' }],
    ],
    [
      'cluster-scoped kind with namespace',
      { name: 'node-1', namespace: 'default' },
      { namespaced: false, nameRule: 'subdomain' },
      [{ reason: 'FieldValueForbidden', field: 'metadata.namespace', message: 'Forbidden: not allowed on this type' }],
    ],
    [
      'namespace objects use the label rule',
      { name: 'kube.system' },
      { namespaced: false, nameRule: 'label' },
      [{ reason: 'FieldValueInvalid', field: 'metadata.name', message: 'Invalid value: "kube.system": must not contain dots' }],
    ],
    [
      'path rule',
      { name: 'a/b%c' },
      { namespaced: false, nameRule: 'path' },
      [
        { reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "a/b%c": may not contain '/'` },
        { reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "a/b%c": may not contain '%'` },
      ],
    ],
    [
      'path rule refuses ..',
      { name: '..' },
      { namespaced: false, nameRule: 'path' },
      [{ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "..": may not be '..'` }],
    ],
    [
      'label keys and values',
      { name: 'a', namespace: 'ns', labels: { 'bad key': 'ok', ok: '-bad', 'velero.io/backup-name': 'b1' } },
      podRules,
      [
        { reason: 'FieldValueInvalid', field: 'metadata.labels', message: `Invalid value: "bad key": ${NAME_PART_MSG}` },
        { reason: 'FieldValueInvalid', field: 'metadata.labels', message: `Invalid value: "-bad": ${LABEL_VALUE_MSG}` },
      ],
    ],
    [
      'label key prefix',
      { name: 'a', namespace: 'ns', labels: { '/x': 'v' } },
      podRules,
      [{ reason: 'FieldValueInvalid', field: 'metadata.labels', message: 'Invalid value: "/x": prefix part must be non-empty' }],
    ],
    [
      'annotation keys are checked case-insensitively',
      { name: 'a', namespace: 'ns', annotations: { 'Example.COM/Note': 'x', 'bad key': 'y' } },
      podRules,
      [{ reason: 'FieldValueInvalid', field: 'metadata.annotations', message: `Invalid value: "bad key": ${NAME_PART_MSG}` }],
    ],
    [
      'annotations over 256 KiB',
      { name: 'a', namespace: 'ns', annotations: { k: 'x'.repeat(256 * 1024) } },
      podRules,
      [{ reason: 'FieldValueTooLong', field: 'metadata.annotations', message: 'Too long: may not be more than 262144 bytes' }],
    ],
    ['annotations at the limit', { name: 'a', namespace: 'ns', annotations: { k: 'x'.repeat(256 * 1024 - 1) } }, podRules, []],
  ];
  it.each(cases)('%s', (_name, meta, opts, errors) => {
    expect(validateObjectMetaNames(meta, opts)).toEqual(errors);
  });
});

describe('generateNameSuffix', () => {
  it('maps the random source onto the consonant-and-digit alphabet', () => {
    const draws = [0, 0.999, 0.5, 1 / 27, 26 / 27];
    let i = 0;
    expect(generateNameSuffix(() => draws[i++])).toBe('b9rc9');
  });

  it('draws five characters from the alphabet only', () => {
    for (let n = 0; n < 200; n++) expect(generateNameSuffix(Math.random)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('stays in the alphabet when the source returns 1', () => {
    expect(generateNameSuffix(() => 1)).toBe('99999');
  });
});
