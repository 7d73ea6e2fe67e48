// metav1.LabelSelector in object form, as Velero's node-agent config carries it
// (loadConcurrency.perNodeConfig[].nodeSelector, loadAffinity[].nodeSelector), matched as
// LabelSelectorAsSelector does: every matchLabels pair and every expression must hold; an empty
// selector matches everything.
import type { V1LabelSelector } from '@kubernetes/client-node';

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

export class SelectorError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly accepted: string,
  ) {
    super(`${field}: ${JSON.stringify(value)} is not accepted: ${accepted}`);
    this.name = 'ConfigError';
  }
}

export function matchesLabelSelector(selector: V1LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of selector?.matchExpressions ?? []) {
    const has = Object.hasOwn(l, e.key);
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(l[e.key])) return false;
        break;
      case 'NotIn':
        if (has && (e.values ?? []).includes(l[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Checks the shape of a selector from user input; `field` is its path, for errors. */
export function validateLabelSelector(sel: unknown, field: string): V1LabelSelector {
  if (sel === undefined || sel === null) return {};
  if (typeof sel !== 'object' || Array.isArray(sel)) throw new SelectorError(field, sel, 'use an object with matchLabels and/or matchExpressions');
  const { matchLabels, matchExpressions, ...rest } = sel as Record<string, unknown>;
  for (const k of Object.keys(rest)) throw new SelectorError(`${field}.${k}`, rest[k], 'a label selector has only matchLabels and matchExpressions');
  if (matchLabels !== undefined) {
    if (typeof matchLabels !== 'object' || matchLabels === null || Array.isArray(matchLabels)) {
      throw new SelectorError(`${field}.matchLabels`, matchLabels, 'use an object of label: value strings');
    }
    for (const [k, v] of Object.entries(matchLabels)) {
      if (typeof v !== 'string') throw new SelectorError(`${field}.matchLabels.${k}`, v, 'label values are strings');
    }
  }
  if (matchExpressions !== undefined) {
    if (!Array.isArray(matchExpressions)) throw new SelectorError(`${field}.matchExpressions`, matchExpressions, 'use a list of {key, operator, values}');
    matchExpressions.forEach((e, i) => {
      const f = `${field}.matchExpressions[${i}]`;
      if (typeof e !== 'object' || e === null) throw new SelectorError(f, e, 'use {key, operator, values}');
      const { key, operator, values } = e as Record<string, unknown>;
      if (typeof key !== 'string' || !key) throw new SelectorError(`${f}.key`, key, 'a non-empty label key');
      if (!OPERATORS.includes(operator as (typeof OPERATORS)[number])) throw new SelectorError(`${f}.operator`, operator, `one of ${OPERATORS.join(', ')}`);
      const needsValues = operator === 'In' || operator === 'NotIn';
      if (needsValues && (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string'))) {
        throw new SelectorError(`${f}.values`, values, `${operator} needs a non-empty list of strings`);
      }
      if (!needsValues && values !== undefined && (!Array.isArray(values) || values.length > 0)) {
        throw new SelectorError(`${f}.values`, values, `${operator} takes no values`);
      }
    });
  }
  return sel as V1LabelSelector;
}
