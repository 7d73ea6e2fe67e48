import { describe, expect, it } from 'vitest';
import { fieldValue, labelSelectorMatcher, parseFieldSelector, parseLabelSelector, SelectorError, type Labels } from './selectors.ts';
import { NAME_PART_MSG, LABEL_VALUE_MSG, thrown } from '../test/kube-messages.ts';



describe('parseLabelSelector matching', () => {
  const cases: [selector: string, labels: Labels, matches: boolean][] = [
    ['', { app: 'web' }, true],
    ['', undefined, true],
    ['   ', undefined, true],
    ['app=web', { app: 'web' }, true],
    ['app=web', { app: 'db' }, false],
    ['app=web', undefined, false],
    ['app==web', { app: 'web' }, true],
    ['app!=web', { app: 'db' }, true],
    ['app!=web', {}, true],
    ['app!=web', { app: 'web' }, false],
    ['env in (prod, staging)', { env: 'staging' }, true],
    ['env in (prod,staging)', { env: 'dev' }, false],
    ['env in (prod)', {}, false],
    ['env notin (prod)', {}, true],
    ['env notin (prod)', { env: 'prod' }, false],
    ['env notin (prod,qa)', { env: 'dev' }, true],
    ['tier', { tier: '' }, true],
    ['tier', { app: 'x' }, false],
    ['!tier', { app: 'x' }, true],
    ['!tier', { tier: 'fe' }, false],
    ['app=web,tier', { app: 'web' }, false],
    ['app=web,tier', { app: 'web', tier: 'fe' }, true],
    ['x in (a,,b)', { x: '' }, true],
    ['x in ()', { x: '' }, true],
    ['x in ()', { x: 'a' }, false],
    ['x>1', { x: '2' }, true],
    ['x>1', { x: '1' }, false],
    ['x>1', { x: 'two' }, false],
    ['x<10', { x: '-3' }, true],
    ['notin=in', { notin: 'in' }, true],
    ['a in (in,notin)', { a: 'notin' }, true],
    ['example.com/app=web', { 'example.com/app': 'web' }, true],
    ['a=', { a: '' }, true],
    ['a=', { a: 'x' }, false],
    ['  a = b  ', { a: 'b' }, true],
    ['x=y,z=w', { x: 'w', z: 'w' }, false],
    ['constructor', {}, false],
  ];
  it.each(cases)('%j against %j matches: %s', (selector, labels, matches) => {
    expect(parseLabelSelector(selector)(labels)).toBe(matches);
  });
});

describe('parseLabelSelector errors', () => {
  const cases: [selector: string, message: string][] = [
    ['a in b', "unable to parse requirement: found 'b' expected: '('"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a=b,', "found '', expected: identifier after ','"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['x==a==b', "found '==', expected: ',' or 'end of string'"],
    ['!x=a', "found '=', expected: ',' or 'end of string'"],
    ['a=(b)', "unable to parse requirement: found '(', expected: identifier"],
    ['a in (x y)', "unable to parse requirement: found 'y', expected: ',' or ')'"],
    ['!!a', "unable to parse requirement: found '!', expected: identifier"],
    ['x<a', `unable to parse requirement: values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer`],
    ['-bad=x', `unable to parse requirement: <nil>: Invalid value: "-bad": ${NAME_PART_MSG}`],
    ['a=-x', `unable to parse requirement: values[0][a]: Invalid value: "-x": ${LABEL_VALUE_MSG}`],
    // Values are sorted before validation, so "-y" is values[0].
    ['a in (x,-y)', `unable to parse requirement: values[0][a]: Invalid value: "-y": ${LABEL_VALUE_MSG}`],
    [
      'a/b/c',
      'unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, ' +
        "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', " +
        "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ],
  ];
  it.each(cases)('%j', (selector, message) => {
    const err = thrown(() => parseLabelSelector(selector));
    expect(err).toBeInstanceOf(SelectorError);
    expect((err as Error).message).toBe(message);
  });
});

describe('labelSelectorMatcher', () => {
  type Sel = Parameters<typeof labelSelectorMatcher>[0];
  const cases: [name: string, sel: Sel, labels: Labels, matches: boolean][] = [
    ['null matches nothing', null, {}, false],
    ['undefined matches nothing', undefined, { app: 'web' }, false],
    ['{} matches everything', {}, undefined, true],
    ['empty lists match everything', { matchLabels: {}, matchExpressions: [] }, { a: 'b' }, true],
    ['matchLabels', { matchLabels: { app: 'web' } }, { app: 'web', x: 'y' }, true],
    ['matchLabels mismatch', { matchLabels: { app: 'web' } }, { app: 'db' }, false],
    ['In', { matchExpressions: [{ key: 'env', operator: 'In', values: ['a', 'b'] }] }, { env: 'b' }, true],
    ['NotIn on missing key', { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['a'] }] }, {}, true],
    ['Exists', { matchExpressions: [{ key: 'env', operator: 'Exists' }] }, { env: '' }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, { env: '' }, false],
    [
      'labels and expressions are ANDed',
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] },
      { app: 'web', env: 'dev' },
      false,
    ],
  ];
  it.each(cases)('%s', (_name, sel, labels, matches) => {
    expect(labelSelectorMatcher(sel)(labels)).toBe(matches);
  });

  const errors: [name: string, sel: Sel, message: string][] = [
    ['unknown operator', { matchExpressions: [{ key: 'a', operator: 'Foo' }] }, '"Foo" is not a valid label selector operator'],
    [
      'In without values',
      { matchExpressions: [{ key: 'a', operator: 'In' }] },
      "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
    ],
    [
      'Exists with values',
      { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
      'values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist',
    ],
    [
      'bad key and value are aggregated',
      { matchLabels: { '-k': '-v' } },
      `[key: Invalid value: "-k": ${NAME_PART_MSG}, values[0][-k]: Invalid value: "-v": ${LABEL_VALUE_MSG}]`,
    ],
  ];
  it.each(errors)('rejects %s', (_name, sel, message) => {
    const err = thrown(() => labelSelectorMatcher(sel));
    expect(err).toBeInstanceOf(SelectorError);
    expect((err as Error).message).toBe(message);
  });
});

describe('parseFieldSelector', () => {
  const cases: [selector: string, reqs: ReturnType<typeof parseFieldSelector>][] = [
    ['', []],
    ['spec.nodeName=node-1', [{ field: 'spec.nodeName', op: '=', value: 'node-1' }]],
    ['metadata.name==a', [{ field: 'metadata.name', op: '=', value: 'a' }]],
    // Terms come back sorted, as upstream sorts them before parsing.
    [
      'status.phase!=Running,spec.nodeName=',
      [
        { field: 'spec.nodeName', op: '=', value: '' },
        { field: 'status.phase', op: '!=', value: 'Running' },
      ],
    ],
    ['metadata.name=a\\,b', [{ field: 'metadata.name', op: '=', value: 'a,b' }]],
    ['metadata.name=a\\=b', [{ field: 'metadata.name', op: '=', value: 'a=b' }]],
    ['metadata.name=a\\\\', [{ field: 'metadata.name', op: '=', value: 'a\\' }]],
    [
      'a=b,,c!=d',
      [
        { field: 'a', op: '=', value: 'b' },
        { field: 'c', op: '!=', value: 'd' },
      ],
    ],
  ];
  it.each(cases)('%j', (selector, reqs) => {
    expect(parseFieldSelector(selector)).toEqual(reqs);
  });

  const errors: [selector: string, message: string][] = [
    ['abc', "invalid selector: 'abc'; can't understand 'abc'"],
    ['zzz,aaa', "invalid selector: 'zzz,aaa'; can't understand 'aaa'"],
    ['x=a\\b', 'invalid field selector: invalid escape sequence: \\b'],
    ['x=a\\', 'invalid field selector: invalid escape sequence: \\'],
    // The offending rune is printed as its code point, as Go's %v of a rune does.
    ['x=a=b', 'invalid field selector: unescaped character in value: 61'],
    ['x!==y', 'invalid field selector: unescaped character in value: 61'],
  ];
  it.each(errors)('rejects %j', (selector, message) => {
    const err = thrown(() => parseFieldSelector(selector));
    expect(err).toBeInstanceOf(SelectorError);
    expect((err as Error).message).toBe(message);
  });
});

describe('fieldValue', () => {
  const event = { metadata: { name: 'e1', namespace: 'ns' }, involvedObject: { kind: 'Pod', name: 'p' }, count: 3 };
  const pod = { spec: { nodeName: 'node-1', hostNetwork: true, containers: [{ name: 'a' }] }, status: {} };
  const cases: [obj: unknown, field: string, value: string][] = [
    [pod, 'spec.nodeName', 'node-1'],
    [pod, 'spec.hostNetwork', 'true'],
    [pod, 'status.phase', ''],
    [pod, 'spec.containers', ''],
    [pod, 'spec.nodeName.x', ''],
    [event, 'involvedObject.name', 'p'],
    [event, 'metadata.namespace', 'ns'],
    [event, 'count', '3'],
    [null, 'metadata.name', ''],
  ];
  it.each(cases)('%j . %s = %j', (obj, field, value) => {
    expect(fieldValue(obj, field)).toBe(value);
  });
});
