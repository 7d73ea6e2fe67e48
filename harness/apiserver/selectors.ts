// Label and field selectors, parsed as k8s.io/apimachinery pkg/labels and pkg/fields parse them
// (kube 1.27 to 1.33), with the same error messages. Parse once, then match many objects.
import { goQuote, validateLabelValue, validateQualifiedName } from './names.ts';

export class SelectorError extends Error {
  override name = 'SelectorError';
}

export type Labels = Record<string, string> | undefined;

type Matcher = (labels: Labels) => boolean;
type Operator = 'in' | 'notin' | '=' | '==' | '!=' | 'gt' | 'lt' | 'exists' | '!';

const matchEverything: Matcher = () => true;
const matchNothing: Matcher = () => false;

function lookup(labels: Labels, key: string): string | undefined {
  return labels !== undefined && Object.hasOwn(labels, key) ? labels[key] : undefined;
}

/** strconv.ParseInt(s, 10, 64). */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

/**
 * Go's %#v of the []string a requirement was built with. An empty list is only possible from
 * LabelSelectorAsSelector, which copies matchExpressions values into a nil slice.
 */
function goStringSlice(vals: string[]): string {
  return vals.length === 0 ? '[]string(nil)' : `[]string{${vals.map(goQuote).join(', ')}}`;
}

/** errors.NewAggregate(...).Error(): one message alone, several de-duplicated in brackets. */
function aggregate(msgs: string[]): string {
  const unique = [...new Set(msgs)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}

/**
 * labels.NewRequirement: validates, then returns a matcher. Upstream's field path is nil here, so
 * its errors name "key", "values" and "values[i][key]".
 */
function newRequirement(key: string, op: Operator, vals: string[]): Matcher {
  const errs: string[] = [];
  const keyErrs = validateQualifiedName(key);
  if (keyErrs.length) errs.push(`key: Invalid value: ${goQuote(key)}: ${keyErrs.join('; ')}`);
  switch (op) {
    case 'in':
    case 'notin':
      if (vals.length === 0) {
        errs.push(`values: Invalid value: ${goStringSlice(vals)}: for 'in', 'notin' operators, values set can't be empty`);
      }
      break;
    case '=':
    case '==':
    case '!=':
      if (vals.length !== 1) {
        errs.push(`values: Invalid value: ${goStringSlice(vals)}: exact-match compatibility requires one single value`);
      }
      break;
    case 'exists':
    case '!':
      if (vals.length !== 0) {
        errs.push(`values: Invalid value: ${goStringSlice(vals)}: values set must be empty for exists and does not exist`);
      }
      break;
    case 'gt':
    case 'lt':
      if (vals.length !== 1) {
        errs.push(`values: Invalid value: ${goStringSlice(vals)}: for 'Gt', 'Lt' operators, exactly one value is required`);
      }
      vals.forEach((v, i) => {
        if (parseInt64(v) === undefined) {
          errs.push(`values[${i}]: Invalid value: ${goQuote(v)}: for 'Gt', 'Lt' operators, the value must be an integer`);
        }
      });
      break;
  }
  vals.forEach((v, i) => {
    const valueErrs = validateLabelValue(v);
    if (valueErrs.length) errs.push(`values[${i}][${key}]: Invalid value: ${goQuote(v)}: ${valueErrs.join('; ')}`);
  });
  if (errs.length) throw new SelectorError(aggregate(errs));
  return requirementMatcher(key, op, vals);
}

function requirementMatcher(key: string, op: Operator, vals: string[]): Matcher {
  switch (op) {
    case 'exists':
      return (labels) => labels !== undefined && Object.hasOwn(labels, key);
    case '!':
      return (labels) => labels === undefined || !Object.hasOwn(labels, key);
    case '=':
    case '==':
    case 'in': {
      if (vals.length === 1) {
        const want = vals[0];
        return (labels) => lookup(labels, key) === want;
      }
      const set = new Set(vals);
      return (labels) => {
        const v = lookup(labels, key);
        return v !== undefined && set.has(v);
      };
    }
    case '!=':
    case 'notin': {
      const set = new Set(vals);
      return (labels) => {
        const v = lookup(labels, key);
        return v === undefined || !set.has(v);
      };
    }
    case 'gt':
    case 'lt': {
      const bound = parseInt64(vals[0])!;
      const greater = op === 'gt';
      return (labels) => {
        const v = lookup(labels, key);
        const n = v === undefined ? undefined : parseInt64(v);
        if (n === undefined) return false;
        return greater ? n > bound : n < bound;
      };
    }
  }
}

function and(matchers: Matcher[]): Matcher {
  if (matchers.length === 0) return matchEverything;
  if (matchers.length === 1) return matchers[0];
  return (labels) => {
    for (const m of matchers) if (!m(labels)) return false;
    return true;
  };
}

// ---- label selector string: lexer and parser of labels.Parse ----

/** Token kinds: the symbol itself for operators and punctuation, 'id', 'eos', or 'err'. */
type TokenKind = 'eos' | 'err' | 'id' | ')' | ',' | '!' | '==' | '=' | '>' | 'in' | '<' | '!=' | 'notin' | '(';
interface Token {
  kind: TokenKind;
  lit: string;
}

const SYMBOL_TOKENS = new Set<string>([')', ',', '!', '==', '=', '>', '<', '!=', '(']);

const isWhitespace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isSpecialSymbol = (ch: string): boolean =>
  ch === '=' || ch === '!' || ch === '(' || ch === ')' || ch === ',' || ch === '>' || ch === '<';

function lex(s: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos])) pos++;
    if (pos >= s.length) {
      tokens.push({ kind: 'eos', lit: '' });
      return tokens;
    }
    if (isSpecialSymbol(s[pos])) {
      // Longest run of symbols that still forms a token: "!=" over "!", "==" over "=".
      let buf = '';
      let last: TokenKind | undefined;
      while (pos < s.length && isSpecialSymbol(s[pos])) {
        buf += s[pos];
        if (SYMBOL_TOKENS.has(buf)) last = buf as TokenKind;
        else if (last !== undefined) break;
        pos++;
      }
      tokens.push(last === undefined ? { kind: 'err', lit: `error expected: keyword found '${buf}'` } : { kind: last, lit: last });
      continue;
    }
    const start = pos;
    while (pos < s.length && !isSpecialSymbol(s[pos]) && !isWhitespace(s[pos])) pos++;
    const lit = s.slice(start, pos);
    tokens.push({ kind: lit === 'in' || lit === 'notin' ? lit : 'id', lit });
  }
}

class LabelParser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  /** In value position the keywords 'in' and 'notin' are plain identifiers. */
  private peek(values: boolean): Token {
    const t = this.tokens[this.pos];
    return values && (t.kind === 'in' || t.kind === 'notin') ? { kind: 'id', lit: t.lit } : t;
  }

  private next(values: boolean): Token {
    const t = this.peek(values);
    this.pos++;
    return t;
  }

  parse(): Matcher[] {
    const reqs: Matcher[] = [];
    for (;;) {
      const t = this.peek(true);
      if (t.kind === 'eos') return reqs;
      if (t.kind !== 'id' && t.kind !== '!') {
        throw new SelectorError(`found '${t.lit}', expected: !, identifier, or 'end of string'`);
      }
      try {
        reqs.push(this.requirement());
      } catch (err) {
        if (err instanceof SelectorError) throw new SelectorError(`unable to parse requirement: ${err.message}`);
        throw err;
      }
      const after = this.next(true);
      if (after.kind === 'eos') return reqs;
      if (after.kind !== ',') throw new SelectorError(`found '${after.lit}', expected: ',' or 'end of string'`);
      const t2 = this.peek(true);
      if (t2.kind !== 'id' && t2.kind !== '!') throw new SelectorError(`found '${t2.lit}', expected: identifier after ','`);
    }
  }

  private requirement(): Matcher {
    let op: Operator | undefined;
    let t = this.next(true);
    if (t.kind === '!') {
      op = '!';
      t = this.next(true);
    }
    if (t.kind !== 'id') throw new SelectorError(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = validateQualifiedName(key);
    // The parser's field path is nil, which Go prints as "<nil>".
    if (keyErrs.length) throw new SelectorError(`<nil>: Invalid value: ${goQuote(key)}: ${keyErrs.join('; ')}`);
    const la = this.peek(true).kind;
    if (la === 'eos' || la === ',') op ??= 'exists';
    if (op === 'exists' || op === '!') return newRequirement(key, op, []);

    const opTok = this.next(false);
    switch (opTok.kind) {
      case 'in':
      case 'notin':
        return newRequirement(key, opTok.kind, this.valueSet());
      case '=':
      case '==':
      case '!=':
        return newRequirement(key, opTok.kind, this.exactValue());
      case '>':
        return newRequirement(key, 'gt', this.exactValue());
      case '<':
        return newRequirement(key, 'lt', this.exactValue());
      default:
        throw new SelectorError(`found '${opTok.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  /** "(a,b,,c)": a sorted set, where empty entries stand for the empty value. */
  private valueSet(): string[] {
    const open = this.next(true);
    if (open.kind !== '(') throw new SelectorError(`found '${open.lit}' expected: '('`);
    const first = this.peek(true);
    const values = new Set<string>();
    if (first.kind === ')') {
      this.next(true);
      values.add('');
    } else if (first.kind === 'id' || first.kind === ',') {
      this.identifiers(values);
      // Upstream reports the token that followed '(' here, not the one it found.
      if (this.next(true).kind !== ')') throw new SelectorError(`found '${first.lit}', expected: ')'`);
    } else {
      throw new SelectorError(`found '${first.lit}', expected: ',', ')' or identifier`);
    }
    return [...values].sort();
  }

  private identifiers(values: Set<string>): void {
    for (;;) {
      const t = this.next(true);
      if (t.kind === 'id') {
        values.add(t.lit);
        const t2 = this.peek(true);
        if (t2.kind === ',') continue;
        if (t2.kind === ')') return;
        throw new SelectorError(`found '${t2.lit}', expected: ',' or ')'`);
      } else if (t.kind === ',') {
        if (values.size === 0) values.add(''); // "(,"
        const t2 = this.peek(true).kind;
        if (t2 === ')') {
          values.add(''); // ",)"
          return;
        }
        if (t2 === ',') values.add(''); // ",,"
      } else {
        throw new SelectorError(`found '${t.lit}', expected: ',', or identifier`);
      }
    }
  }

  private exactValue(): string[] {
    const la = this.peek(true).kind;
    if (la === 'eos' || la === ',') return [''];
    const t = this.next(true);
    if (t.kind === 'id') return [t.lit];
    throw new SelectorError(`found '${t.lit}', expected: identifier`);
  }
}

const parsedSelectors = new Map<string, Matcher>();

/** Parse a label selector string (equality: a=b, a==b, a!=b; set-based: a in (x,y), a notin (x), a, !a; comma = AND). Throws SelectorError with the real apiserver-style message on bad syntax or invalid key/value. Empty string matches everything. */
export function parseLabelSelector(s: string): (labels: Labels) => boolean {
  let matcher = parsedSelectors.get(s);
  if (matcher === undefined) {
    matcher = and(new LabelParser(lex(s)).parse());
    // Watches and controllers repeat the same few selectors; matchers are pure, so share them.
    if (parsedSelectors.size >= 512) parsedSelectors.clear();
    parsedSelectors.set(s, matcher);
  }
  return matcher;
}

const LABEL_SELECTOR_OPERATORS: Record<string, Operator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/** metav1.LabelSelector object form (matchLabels + matchExpressions with In/NotIn/Exists/DoesNotExist). null/undefined selector matches nothing; {} matches everything (Kubernetes semantics, LabelSelectorAsSelector). */
export function labelSelectorMatcher(
  sel:
    | { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] }
    | null
    | undefined,
): (labels: Labels) => boolean {
  if (sel === null || sel === undefined) return matchNothing;
  const matchers: Matcher[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) matchers.push(newRequirement(k, '=', [v]));
  for (const expr of sel.matchExpressions ?? []) {
    const op = Object.hasOwn(LABEL_SELECTOR_OPERATORS, expr.operator) ? LABEL_SELECTOR_OPERATORS[expr.operator] : undefined;
    if (op === undefined) throw new SelectorError(`${goQuote(expr.operator)} is not a valid label selector operator`);
    matchers.push(newRequirement(expr.key, op, [...(expr.values ?? [])]));
  }
  return and(matchers);
}

// ---- field selectors (fields.ParseSelector) ----

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Split on commas that are not escaped by a backslash; escapes stay in the terms. */
function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

/** The first operator occurrence splits a term; at each position "!=" wins over "==" over "=". */
function splitTerm(term: string): [string, '!=' | '==' | '=', string] | undefined {
  for (let i = 0; i < term.length; i++) {
    if (term.startsWith('!=', i)) return [term.slice(0, i), '!=', term.slice(i + 2)];
    if (term.startsWith('==', i)) return [term.slice(0, i), '==', term.slice(i + 2)];
    if (term[i] === '=') return [term.slice(0, i), '=', term.slice(i + 1)];
  }
  return undefined;
}

/** fields.UnescapeValue: only \\, \, and \= are escapes; a bare ',' or '=' is an error. */
function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') {
        throw new SelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      inSlash = false;
    } else if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      // Upstream formats the rune with %v, which prints its code point.
      throw new SelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw new SelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Parse a field selector ("a=b,c!=d", "==" allowed, escapes \, \= \\ as apimachinery does). Throws SelectorError on bad syntax. */
export function parseFieldSelector(s: string): FieldRequirement[] {
  // Upstream sorts the terms before parsing, so the first bad term in sorted order is reported.
  const parts = splitTerms(s).sort();
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const split = splitTerm(part);
    if (split === undefined) throw new SelectorError(`invalid selector: '${s}'; can't understand '${part}'`);
    const [field, op, rhs] = split;
    reqs.push({ field, op: op === '!=' ? '!=' : '=', value: unescapeValue(rhs) });
  }
  return reqs;
}

const pathCache = new Map<string, string[]>();

/** Read a dotted field (e.g. "spec.nodeName", "involvedObject.name", "metadata.namespace") from an object, as a string ('' when absent). */
export function fieldValue(obj: unknown, field: string): string {
  let path = pathCache.get(field);
  if (path === undefined) {
    path = field.split('.');
    if (pathCache.size < 1024) pathCache.set(field, path);
  }
  let cur: unknown = obj;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, seg)) return '';
    cur = (cur as Record<string, unknown>)[seg];
  }
  switch (typeof cur) {
    case 'string':
      return cur;
    case 'number':
    case 'boolean':
      return String(cur);
    default:
      return '';
  }
}
