import type { V1LabelSelector } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { matchesLabelSelector, matchesNodeSelector, SelectorError, validateLabelSelector } from './label-selector.ts';

const worker1 = { 'kubernetes.io/hostname': 'worker-1', 'node-role/backup': 'true', zone: 'a' };

describe('matchesLabelSelector, as metav1.LabelSelectorAsSelector', () => {
  it.each<[string, V1LabelSelector | undefined, Record<string, string> | undefined, boolean]>([
    ['no selector matches every node', undefined, worker1, true],
    ['an empty selector matches every node', {}, worker1, true],
    ['an empty selector matches a node without labels', {}, undefined, true],
    ['matchLabels equal', { matchLabels: { zone: 'a' } }, worker1, true],
    ['matchLabels different value', { matchLabels: { zone: 'b' } }, worker1, false],
    ['matchLabels on an empty value needs the label', { matchLabels: { gpu: '' } }, worker1, false],
    ['matchLabels all must hold', { matchLabels: { zone: 'a', 'kubernetes.io/hostname': 'worker-2' } }, worker1, false],
    ['In listed', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }, worker1, true],
    ['In not listed', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }, worker1, false],
    ['In on an absent label', { matchExpressions: [{ key: 'gpu', operator: 'In', values: ['a'] }] }, worker1, false],
    ['NotIn listed', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, worker1, false],
    ['NotIn on an absent label holds', { matchExpressions: [{ key: 'gpu', operator: 'NotIn', values: ['a'] }] }, worker1, true],
    ['Exists', { matchExpressions: [{ key: 'node-role/backup', operator: 'Exists' }] }, worker1, true],
    ['Exists, absent', { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }, worker1, false],
    ['DoesNotExist, absent', { matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }, worker1, true],
    ['DoesNotExist, present', { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, worker1, false],
    ['matchLabels and expressions are ANDed', { matchLabels: { zone: 'a' }, matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }, worker1, false],
  ])('%s', (_name, selector, labels, want) => expect(matchesLabelSelector(selector, labels)).toBe(want));
});

describe('validateLabelSelector', () => {
  it.each<[unknown, V1LabelSelector]>([
    [undefined, {}],
    [null, {}],
    [{}, {}],
    [{ matchLabels: { 'kubernetes.io/hostname': 'worker-1', empty: '' } }, { matchLabels: { 'kubernetes.io/hostname': 'worker-1', empty: '' } }],
    [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }],
    [{ matchExpressions: [{ key: 'gpu', operator: 'Exists', values: [] }] }, { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }],
  ])('accepts %j', (sel, want) => expect(validateLabelSelector(sel, 'sel')).toEqual(want));

  it.each([
    ['a string', 'zone=a', 'sel', 'an object with matchLabels'],
    ['a misspelt key', { matchLabel: { zone: 'a' } }, 'sel.matchLabel', 'only matchLabels and matchExpressions'],
    ['a number as a label value', { matchLabels: { zone: 1 } }, 'sel.matchLabels["zone"]', 'a label value'],
    ['a label key with a space', { matchLabels: { 'my zone': 'a' } }, 'sel.matchLabels', 'a label key'],
    ['a label value of 64 characters', { matchLabels: { zone: 'a'.repeat(64) } }, 'sel.matchLabels["zone"]', 'at most 63'],
    ['an upper-case key prefix', { matchLabels: { 'Example.com/zone': 'a' } }, 'sel.matchLabels', 'DNS subdomain'],
    ['matchExpressions not a list', { matchExpressions: { key: 'zone' } }, 'sel.matchExpressions', 'a list'],
    ['an unknown operator', { matchExpressions: [{ key: 'zone', operator: 'Gt', values: ['1'] }] }, 'sel.matchExpressions[0].operator', 'In, NotIn, Exists, DoesNotExist'],
    ['In without values', { matchExpressions: [{ key: 'zone', operator: 'In' }] }, 'sel.matchExpressions[0].values', 'at least one value'],
    ['Exists with values', { matchExpressions: [{ key: 'zone', operator: 'Exists', values: ['a'] }] }, 'sel.matchExpressions[0].values', 'takes no values'],
    ['"value" for "values"', { matchExpressions: [{ key: 'zone', operator: 'In', value: ['a'] }] }, 'sel.matchExpressions[0].value', 'only key, operator and values'],
    ['an expression without a key', { matchExpressions: [{ operator: 'Exists' }] }, 'sel.matchExpressions[0].key', 'a label key'],
  ])('refuses %s, naming %s', (_name, sel, field, accepted) => {
    let err: unknown;
    try {
      validateLabelSelector(sel, 'sel');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SelectorError);
    expect((err as SelectorError).field).toBe(field);
    expect((err as SelectorError).accepted).toContain(accepted);
    expect((err as Error).message).toMatch(new RegExp(`^${field.replace(/[[\]."]/g, '\\$&')}: .+ is not accepted: `));
  });
});

describe('matchesNodeSelector (a PV\'s required node affinity against a node)', () => {
  const node = { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'zone-a', 'kubernetes.io/hostname': 'n1', cores: '8' } };
  const term = (...matchExpressions: { key: string; operator: string; values?: string[] }[]) => ({ matchExpressions });
  it.each([
    ['In, matching', [term({ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-a', 'zone-b'] })], true],
    ['In, not matching', [term({ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-b'] })], false],
    ['NotIn on an absent label', [term({ key: 'disk', operator: 'NotIn', values: ['ssd'] })], true],
    ['Exists and DoesNotExist ANDed', [term({ key: 'cores', operator: 'Exists' }, { key: 'gpu', operator: 'DoesNotExist' })], true],
    ['Gt, integers', [term({ key: 'cores', operator: 'Gt', values: ['4'] })], true],
    ['Lt, integers', [term({ key: 'cores', operator: 'Lt', values: ['4'] })], false],
    ['terms ORed: the second matches', [term({ key: 'kubernetes.io/hostname', operator: 'In', values: ['n2'] }), term({ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] })], true],
    ['an empty term matches nothing', [{}], false],
    ['no terms match nothing', [], false],
    ['matchFields on metadata.name', [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }], true],
  ])('%s', (_name, nodeSelectorTerms, expected) => {
    expect(matchesNodeSelector({ nodeSelectorTerms }, node)).toBe(expected);
  });
});
