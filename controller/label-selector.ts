// metav1.LabelSelector in object form, as Velero's node-agent config carries it
// (loadConcurrency.perNodeConfig[].nodeSelector, loadAffinity[].nodeSelector), matched as
// metav1.LabelSelectorAsSelector does: every matchLabels pair and every expression must hold, and
// an empty selector matches every node (Velero's perNodeConfig relies on that).
import type { V1LabelSelector, V1NodeSelector, V1NodeSelectorRequirement } from '@kubernetes/client-node';

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

/** A selector that LabelSelectorAsSelector (or the API server, for a pod's node affinity) would refuse. */
export class SelectorError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly accepted: string,
  ) {
    super(`${field}: ${JSON.stringify(value) ?? '(missing)'} is not accepted: ${accepted}`);
    this.name = 'SelectorError';
  }
}

export function matchesLabelSelector(selector: V1LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  const has = (key: string) => Object.hasOwn(l, key);
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) if (!has(k) || l[k] !== v) return false;
  for (const e of selector?.matchExpressions ?? []) {
    const listed = has(e.key) && (e.values ?? []).includes(l[e.key]);
    const holds =
      e.operator === 'In' ? listed
      : e.operator === 'NotIn' ? !listed // an absent label is "not in", as in Kubernetes
      : e.operator === 'Exists' ? has(e.key)
      : e.operator === 'DoesNotExist' ? !has(e.key)
      : false; // validateLabelSelector refuses other operators; never match on one
    if (!holds) return false;
  }
  return true;
}

/**
 * Checks a selector from user input as LabelSelectorAsSelector does (operators, values per
 * operator, label key and value syntax), so a bad one fails at start instead of being skipped
 * (perNodeConfig) or failing every data-mover pod's creation (loadAffinity). `field` is its path.
 */
export function validateLabelSelector(sel: unknown, field: string): V1LabelSelector {
  if (sel === undefined || sel === null) return {};
  if (!isObject(sel)) throw new SelectorError(field, sel, 'a label selector: an object with matchLabels and/or matchExpressions');
  const { matchLabels, matchExpressions, ...rest } = sel;
  for (const k of Object.keys(rest)) throw new SelectorError(`${field}.${k}`, rest[k], 'a label selector has only matchLabels and matchExpressions');
  const out: V1LabelSelector = {};
  if (matchLabels !== undefined && matchLabels !== null) {
    if (!isObject(matchLabels)) throw new SelectorError(`${field}.matchLabels`, matchLabels, 'an object of label: value strings');
    for (const [k, v] of Object.entries(matchLabels)) {
      checkKey(k, `${field}.matchLabels`);
      checkValue(v, `${field}.matchLabels["${k}"]`);
    }
    out.matchLabels = matchLabels as Record<string, string>;
  }
  if (matchExpressions !== undefined && matchExpressions !== null) {
    if (!Array.isArray(matchExpressions)) throw new SelectorError(`${field}.matchExpressions`, matchExpressions, 'a list of {key, operator, values}');
    out.matchExpressions = matchExpressions.map((e: unknown, i) => {
      const f = `${field}.matchExpressions[${i}]`;
      if (!isObject(e)) throw new SelectorError(f, e, 'an object {key, operator, values}');
      const { key, operator, values, ...extra } = e;
      for (const k of Object.keys(extra)) throw new SelectorError(`${f}.${k}`, extra[k], 'an expression has only key, operator and values');
      checkKey(key, `${f}.key`);
      if (!OPERATORS.includes(operator as (typeof OPERATORS)[number])) throw new SelectorError(`${f}.operator`, operator, `one of ${OPERATORS.join(', ')}`);
      const list = values ?? [];
      if (!Array.isArray(list)) throw new SelectorError(`${f}.values`, values, 'a list of label values');
      list.forEach((v, j) => checkValue(v, `${f}.values[${j}]`));
      if ((operator === 'In' || operator === 'NotIn') && list.length === 0) throw new SelectorError(`${f}.values`, values, `${operator} needs at least one value`);
      if ((operator === 'Exists' || operator === 'DoesNotExist') && list.length > 0) throw new SelectorError(`${f}.values`, values, `${operator} takes no values`);
      return { key: key as string, operator: operator as string, ...(list.length ? { values: list as string[] } : {}) };
    });
  }
  return out;
}

// Kubernetes label syntax (apimachinery validation.IsQualifiedName and IsValidLabelValue).
const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkKey(key: unknown, field: string): void {
  const parts = typeof key === 'string' ? key.split('/') : [];
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  const ok =
    parts.length >= 1 &&
    parts.length <= 2 &&
    name !== undefined &&
    name.length <= 63 &&
    NAME.test(name) &&
    (prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix)));
  if (!ok) {
    throw new SelectorError(field, key, 'a label key: an optional DNS subdomain prefix and "/", then a name of at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit (e.g. kubernetes.io/hostname)');
  }
}

function checkValue(value: unknown, field: string): void {
  if (typeof value !== 'string' || value.length > 63 || (value !== '' && !NAME.test(value))) {
    throw new SelectorError(field, value, 'a label value: a string of at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit, or empty');
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A core/v1 NodeSelector (a PV's required node affinity) against a node, as the scheduler's
 * nodeaffinity helper matches it: terms ORed, a term's expressions and fields ANDed, an empty
 * term matching nothing; Gt and Lt compare integers; fields know metadata.name only.
 */
const integer = (s: string | undefined) => (s !== undefined && /^[+-]?\d+$/.test(s) ? Number(s) : undefined);

export function matchesNodeSelector(selector: V1NodeSelector, node: { name: string; labels: Record<string, string> | undefined }): boolean {
  const l = node.labels ?? {};
  const expression = (e: V1NodeSelectorRequirement): boolean => {
    const has = Object.hasOwn(l, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        return has && values.includes(l[e.key]);
      case 'NotIn':
        return !has || !values.includes(l[e.key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      case 'Gt':
      case 'Lt': {
        // One value, both sides whole numbers (validation refuses anything else).
        const [v, n] = [integer(has ? l[e.key] : undefined), values.length === 1 ? integer(values[0]) : undefined];
        return v !== undefined && n !== undefined && (e.operator === 'Gt' ? v > n : v < n);
      }
      default:
        return false;
    }
  };
  const field = (f: V1NodeSelectorRequirement): boolean =>
    f.key === 'metadata.name' && (f.operator === 'In' ? (f.values ?? []).includes(node.name) : f.operator === 'NotIn' ? !(f.values ?? []).includes(node.name) : false);
  return (selector.nodeSelectorTerms ?? []).some((t) => {
    const exprs = t.matchExpressions ?? [];
    const fields = t.matchFields ?? [];
    return (exprs.length > 0 || fields.length > 0) && exprs.every(expression) && fields.every(field);
  });
}
