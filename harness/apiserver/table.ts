// Server-side printing: the meta.k8s.io/v1 Table that kube-apiserver returns when a client asks
// for `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (what `kubectl get` does).
//
// Three convertors, as in Kubernetes:
// - custom resources: Name + the CRD version's additionalPrinterColumns, evaluated with the
//   simple JSONPath subset CRDs use (apiextensions-apiserver registry/customresource/tableconvertor);
//   no columns declared => Name + Age (a "date" column on .metadata.creationTimestamp).
// - built-ins with a printer (pkg/printers/internalversion/printers.go, Kubernetes 1.33): one
//   column table per resource below, each cell computed by a small function. The apiserver
//   always prints "wide", so priority-1 cells are always present; kubectl hides them unless -o wide.
// - everything else (including customresourcedefinitions in 1.33): the default convertor,
//   Name + "Created At" (RFC3339).

import type { KubeObject, ObjectMeta, PrinterColumn, ResourceInfo } from './types.ts';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  object: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export interface TableOptions {
  /** The request's includeObject query parameter; kube-apiserver defaults to Metadata. */
  includeObject?: 'None' | 'Metadata' | 'Object';
  /**
   * ListMeta of the list being printed. Pass it (even `{}`) for list requests; when it is absent
   * and exactly one object is given, the table carries that object's resourceVersion, as a
   * single-object GET does.
   */
  listMeta?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  /**
   * Omit the column definitions. kube-apiserver does this for every watch event after the first
   * when watching as Table; kubectl reuses the columns it already has.
   */
  noHeaders?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Durations and timestamps (k8s.io/apimachinery/pkg/util/duration.HumanDuration)

/** Human-readable approximation of a duration, ~2-3 significant figures, e.g. "5m12s", "3d4h". */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

function parseTime(value: unknown): Date | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** translateTimestampSince: "<unknown>" for a missing (zero) timestamp. */
function since(value: unknown, now: Date): string {
  const t = parseTime(value);
  return t ? humanDuration(now.getTime() - t.getTime()) : '<unknown>';
}

/** time.RFC3339 in UTC without fractional seconds, as metav1.Time prints. */
function rfc3339(value: unknown): string {
  const t = parseTime(value);
  return t ? t.toISOString().replace(/\.\d{3}Z$/, 'Z') : '0001-01-01T00:00:00Z';
}

// ---------------------------------------------------------------------------------------------
// resource.Quantity canonical form (Quantity.String()), for the capacity columns

const BINARY_SUFFIXES: [string, bigint][] = [
  ['Ei', 1024n ** 6n], ['Pi', 1024n ** 5n], ['Ti', 1024n ** 4n], ['Gi', 1024n ** 3n], ['Mi', 1024n ** 2n], ['Ki', 1024n],
];
const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const DECIMAL_BY_EXP: Record<number, string> = Object.fromEntries(
  Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]),
);

/**
 * Canonical string of a Kubernetes quantity ("1024Mi" -> "1Gi", "1500m" -> "1500m", "0.5" -> "500m").
 * Binary-suffixed values keep a binary suffix when they are whole numbers of at least 1024;
 * everything else uses the largest decimal SI suffix that keeps an integer mantissa, rounding
 * up to nano units. Unparseable input is returned unchanged.
 */
export function canonicalQuantity(input: string | number): string {
  const s = String(input).trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/.exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return s;
  const [, sign, whole, frac = '', suffix = '', exponent] = m;
  // value = mantissa * 10^scale (exact)
  let mantissa = BigInt((whole || '0') + frac);
  let scale = -frac.length;
  let binary = false;
  if (exponent !== undefined) scale += Number(exponent);
  else if (suffix in DECIMAL_SUFFIXES) scale += DECIMAL_SUFFIXES[suffix];
  else {
    binary = true;
    mantissa *= BINARY_SUFFIXES.find(([name]) => name === suffix)![1];
  }
  const negative = sign === '-' && mantissa !== 0n;
  if (binary) {
    // Whole numbers >= 1024 keep a binary suffix; smaller or fractional ones print as decimal SI.
    let whole = mantissa;
    let exact = true;
    if (scale < 0) {
      const div = 10n ** BigInt(-scale);
      exact = whole % div === 0n;
      whole = whole / div;
    } else whole *= 10n ** BigInt(scale);
    if (exact && whole >= 1024n) {
      for (const [name, factor] of BINARY_SUFFIXES) {
        if (whole % factor === 0n) return `${negative ? '-' : ''}${whole / factor}${name}`;
      }
      return `${negative ? '-' : ''}${whole}`;
    }
  }
  // Round up to nano units, then pick the largest exponent (multiple of 3) keeping an integer.
  if (scale < -9) {
    const div = 10n ** BigInt(-9 - scale);
    mantissa = (mantissa + div - 1n) / div;
    scale = -9;
  }
  if (mantissa === 0n) return '0';
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    scale += 1;
  }
  let exp3 = Math.floor(scale / 3) * 3;
  if (exp3 > 18) exp3 = 18;
  const digits = mantissa * 10n ** BigInt(scale - exp3);
  const suffixOut = exponent !== undefined ? (exp3 === 0 ? '' : `e${exp3}`) : DECIMAL_BY_EXP[exp3];
  return `${negative ? '-' : ''}${digits}${suffixOut}`;
}

// ---------------------------------------------------------------------------------------------
// JSONPath: the subset k8s.io/client-go/util/jsonpath evaluates for CRD printer columns

type PathStep =
  | { kind: 'field'; name: string }
  | { kind: 'wildcard' }
  | { kind: 'index'; start?: number; end?: number; slice: boolean }
  | { kind: 'filter'; path: PathStep[]; op?: '==' | '!=' | '<' | '>' | '<=' | '>='; value?: unknown };

class JsonPathError extends Error {}

export function parseJsonPath(expr: string): PathStep[] {
  let src = expr.trim();
  if (src.startsWith('{') && src.endsWith('}')) src = src.slice(1, -1).trim();
  if (src.startsWith('$')) src = src.slice(1);
  const steps: PathStep[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '.') {
      i++;
      if (src[i] === '*') {
        steps.push({ kind: 'wildcard' });
        i++;
        continue;
      }
      const m = /^[^.[\]]*/.exec(src.slice(i))!;
      if (m[0] !== '') steps.push({ kind: 'field', name: m[0] });
      i += m[0].length;
    } else if (c === '[') {
      const close = findClosingBracket(src, i);
      const inner = src.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === '*') steps.push({ kind: 'wildcard' });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')')) steps.push(parseFilter(inner.slice(2, -1).trim()));
      else {
        const sm = /^(-?\d*)\s*(?::\s*(-?\d*))?$/.exec(inner);
        if (!sm) throw new JsonPathError(`unrecognized array expression [${inner}]`);
        const slice = inner.includes(':');
        steps.push({
          kind: 'index',
          start: sm[1] === '' ? undefined : Number(sm[1]),
          end: sm[2] === undefined || sm[2] === '' ? undefined : Number(sm[2]),
          slice,
        });
      }
    } else {
      throw new JsonPathError(`unexpected "${c}" in ${expr}`);
    }
  }
  return steps;
}

function findClosingBracket(src: string, open: number): number {
  let quote: string | undefined;
  let depth = 0;
  for (let j = open; j < src.length; j++) {
    const ch = src[j];
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[') depth++;
    else if (ch === ']' && --depth === 0) return j;
  }
  throw new JsonPathError(`unclosed [ in ${src}`);
}

function parseFilter(body: string): PathStep {
  const m = /^@((?:\.[^.\s=!<>]+|\[[^\]]*\])*)\s*(?:(==|!=|<=|>=|<|>)\s*(.+))?$/.exec(body);
  if (!m) throw new JsonPathError(`unrecognized filter ?(${body})`);
  const path = parseJsonPath(m[1]);
  if (!m[2]) return { kind: 'filter', path };
  const raw = m[3].trim();
  let value: unknown;
  if (/^'.*'$|^".*"$/.test(raw)) value = raw.slice(1, -1);
  else if (raw === 'true' || raw === 'false') value = raw === 'true';
  else if (!Number.isNaN(Number(raw))) value = Number(raw);
  else throw new JsonPathError(`unrecognized filter value ${raw}`);
  return { kind: 'filter', path, op: m[2] as '==', value };
}

/**
 * Evaluates a parsed path with missing keys allowed (as the CRD convertor does): absent fields
 * yield no results; indexing a non-array or out of bounds is an error.
 */
export function evalJsonPath(steps: PathStep[], input: unknown): unknown[] {
  let current: unknown[] = [input];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const value of current) {
      if (value === null || value === undefined) continue;
      switch (step.kind) {
        case 'field':
          if (isObject(value) && Object.hasOwn(value, step.name)) next.push(value[step.name]);
          break;
        case 'wildcard':
          if (Array.isArray(value)) next.push(...value);
          else if (isObject(value)) next.push(...Object.keys(value).sort().map((k) => value[k]));
          break;
        case 'index': {
          if (!Array.isArray(value)) throw new JsonPathError('value is not array or slice');
          const len = value.length;
          let start = step.start ?? 0;
          if (start < 0) start += len;
          let end = step.slice ? (step.end ?? len) : start + 1;
          if (step.slice && step.end !== undefined && step.end < 0) end += len;
          if (end === start) break;
          if (start >= len || start < 0 || end > len || end < 0) {
            throw new JsonPathError(`array index out of bounds: index ${start}, length ${len}`);
          }
          next.push(...value.slice(start, end));
          break;
        }
        case 'filter': {
          const items = Array.isArray(value) ? value : [value];
          for (const item of items) {
            const found = safeEval(step.path, item);
            if (step.op === undefined ? found.length > 0 : found.some((f) => compare(f, step.op!, step.value))) {
              next.push(item);
            }
          }
          break;
        }
      }
    }
    current = next;
  }
  return current;
}

function safeEval(steps: PathStep[], input: unknown): unknown[] {
  try {
    return evalJsonPath(steps, input);
  } catch {
    return [];
  }
}

function compare(left: unknown, op: string, right: unknown): boolean {
  switch (op) {
    case '==': return left === right;
    case '!=': return left !== right;
  }
  if (typeof left !== typeof right || (typeof left !== 'number' && typeof left !== 'string')) return false;
  const l = left as number | string;
  const r = right as number | string;
  switch (op) {
    case '<': return l < r;
    case '>': return l > r;
    case '<=': return l <= r;
    default: return l >= r;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** encoding/json output: sorted map keys, <, > and & escaped. */
function goJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value).sort().map((k) => `${goJson(k)}:${goJson(value[k])}`).join(',')}}`;
  }
  const text = JSON.stringify(value) ?? 'null';
  return typeof value === 'string'
    ? text.replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : text;
}

/** fmt.Sprint of a non-integral float64 (%v: shortest digits, exponent form outside 1e-4 .. 1e6). */
function goFloat(n: number): string {
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp >= -4 && exp < 6) return String(n);
  const [mantissa, e] = n.toExponential().split('e');
  const ev = Number(e);
  return `${mantissa}e${ev < 0 ? '-' : '+'}${String(Math.abs(ev)).padStart(2, '0')}`;
}

/** What the jsonpath printer writes for one value in a "string" column. */
function jsonPathText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object') return goJson(value);
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : goFloat(value);
  return String(value);
}

/** cellForJSONValue: the typed cell of a CRD printer column. */
function typedCell(type: string, value: unknown, now: Date): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'string':
      return jsonPathText(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      if (value === '' || value === 'null') return '<unknown>';
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return '<invalid>';
      return since(value, now);
    }
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Column definitions

const NAME_DOC =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const CREATION_DOC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

function column(name: string, type: string, description: string, priority = 0, format = ''): TableColumnDefinition {
  return { name, type, format, description, priority };
}

const NAME_COLUMN = column('Name', 'string', NAME_DOC, 0, 'name');
const AGE_COLUMN = column('Age', 'string', CREATION_DOC);

// ---------------------------------------------------------------------------------------------
// Built-in printers: one column table per resource, cells from small functions

type Obj = KubeObject & Record<string, any>;
type Cell = (obj: Obj, now: Date) => unknown;

interface BuiltinColumn {
  def: TableColumnDefinition;
  cell: Cell;
  /** Main field the cell is derived from (for builtinPrinterColumns); computed cells note the inputs. */
  source: string;
}

interface BuiltinPrinter {
  columns: BuiltinColumn[];
  conditions?: (obj: Obj) => TableRowCondition[] | undefined;
}

const nameCell: BuiltinColumn = { def: NAME_COLUMN, cell: (o) => o.metadata.name ?? '', source: '.metadata.name' };
const ageCell: BuiltinColumn = {
  def: AGE_COLUMN,
  cell: (o, now) => since(o.metadata.creationTimestamp, now),
  source: '.metadata.creationTimestamp',
};

function col(name: string, type: string, description: string, source: string, cell: Cell, priority = 0): BuiltinColumn {
  return { def: column(name, type, description, priority), cell, source };
}

const orNone = (v: unknown, none = '<none>') => (typeof v === 'string' && v !== '' ? v : none);
const str = (v: unknown) => (typeof v === 'string' ? v : '');
const count = (v: unknown) => (Array.isArray(v) ? v.length : isObject(v) ? Object.keys(v).length : 0);

// Pods -----------------------------------------------------------------------------------------

interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

function latest(a: Date | undefined, b: unknown): Date | undefined {
  const t = parseTime(b);
  if (!t) return a;
  return !a || a.getTime() < t.getTime() ? t : a;
}

function conditionStatus(conditions: unknown, type: string): string | undefined {
  if (!Array.isArray(conditions)) return undefined;
  return conditions.find((c) => isObject(c) && c.type === type)?.status as string | undefined;
}

/** printPod: READY, STATUS and RESTARTS as kubectl shows them. */
export function podSummary(pod: Obj, now: Date): PodSummary {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const containers: any[] = spec.containers ?? [];
  const initContainers: any[] = spec.initContainers ?? [];
  const restartable = (name: string) =>
    initContainers.some((c) => c?.name === name && c?.restartPolicy === 'Always');

  let restarts = 0;
  let restartableInitRestarts = 0;
  let total = containers.length + initContainers.filter((c) => c?.restartPolicy === 'Always').length;
  let ready = 0;
  let lastRestart: Date | undefined;
  let lastRestartableInitRestart: Date | undefined;
  const phase: string = status.phase ?? '';
  let reason: string = status.reason || phase;

  for (const c of status.conditions ?? []) {
    if (c?.type === 'PodScheduled' && c?.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  let initializing = false;
  const initStatuses: any[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i] ?? {};
    restarts += cs.restartCount ?? 0;
    lastRestart = latest(lastRestart, cs.lastState?.terminated?.finishedAt);
    const isRestartable = restartable(cs.name);
    if (isRestartable) {
      restartableInitRestarts += cs.restartCount ?? 0;
      lastRestartableInitRestart = latest(lastRestartableInitRestart, cs.lastState?.terminated?.finishedAt);
    }
    const terminated = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (isRestartable && cs.started === true) {
      if (cs.ready) ready++;
      continue;
    }
    if (terminated) {
      reason = terminated.reason
        ? `Init:${terminated.reason}`
        : terminated.signal
          ? `Init:Signal:${terminated.signal}`
          : `Init:ExitCode:${terminated.exitCode ?? 0}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initContainers.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionStatus(status.conditions, 'Initialized') === 'True') {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses: any[] = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i] ?? {};
      restarts += cs.restartCount ?? 0;
      lastRestart = latest(lastRestart, cs.lastState?.terminated?.finishedAt);
      const terminated = cs.state?.terminated;
      if (cs.state?.waiting?.reason) reason = cs.state.waiting.reason;
      else if (terminated?.reason) reason = terminated.reason;
      else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`;
      else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = conditionStatus(status.conditions, 'Ready') === 'True' ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  const restartsText =
    restarts !== 0 && lastRestart ? `${restarts} (${humanDuration(now.getTime() - lastRestart.getTime())} ago)` : String(restarts);
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsText };
}

function podReadinessGates(pod: Obj): string {
  const gates: any[] = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const trueCount = gates.filter((g) => conditionStatus(pod.status?.conditions, g?.conditionType) === 'True').length;
  return `${trueCount}/${gates.length}`;
}

const podPrinter: BuiltinPrinter = {
  columns: [
    nameCell,
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.',
      '.status.containerStatuses[*].ready', (o, now) => podSummary(o, now).ready),
    col('Status', 'string', 'The aggregate status of the containers in this pod.',
      '.status.phase', (o, now) => podSummary(o, now).status),
    col('Restarts', 'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
      '.status.containerStatuses[*].restartCount', (o, now) => podSummary(o, now).restarts),
    ageCell,
    col('IP', 'string', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
      '.status.podIPs[0].ip', (o) => orNone(o.status?.podIPs?.[0]?.ip), 1),
    col('Node', 'string', 'NodeName indicates in which node this pod is scheduled.',
      '.spec.nodeName', (o) => orNone(o.spec?.nodeName), 1),
    col('Nominated Node', 'string',
      'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.',
      '.status.nominatedNodeName', (o) => orNone(o.status?.nominatedNodeName), 1),
    col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.',
      '.spec.readinessGates', podReadinessGates, 1),
  ],
  conditions: (o) => {
    if (o.status?.phase === 'Succeeded') {
      return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
    }
    if (o.status?.phase === 'Failed') {
      return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
    }
    return undefined;
  },
};

// Nodes ----------------------------------------------------------------------------------------

function nodeStatus(node: Obj): string {
  const ready = (node.status?.conditions ?? []).find((c: any) => c?.type === 'Ready');
  const parts = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeRoles(node: Obj): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v !== '') roles.add(v);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

const nodeAddress = (type: string) => (node: Obj) =>
  ((node.status?.addresses ?? []) as any[]).find((a) => a?.type === type)?.address ?? '<none>';

const nodePrinter: BuiltinPrinter = {
  columns: [
    nameCell,
    col('Status', 'string', 'The status of the node', '.status.conditions[?(@.type=="Ready")].status', nodeStatus),
    col('Roles', 'string', 'The roles of the node', '.metadata.labels', nodeRoles),
    ageCell,
    col('Version', 'string', 'Kubelet Version reported by the node.', '.status.nodeInfo.kubeletVersion',
      (o) => str(o.status?.nodeInfo?.kubeletVersion)),
    col('Internal-IP', 'string', 'List of addresses reachable to the node.', '.status.addresses', nodeAddress('InternalIP'), 1),
    col('External-IP', 'string', 'List of addresses reachable to the node.', '.status.addresses', nodeAddress('ExternalIP'), 1),
    col('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release.', '.status.nodeInfo.osImage',
      (o) => orNone(o.status?.nodeInfo?.osImage, '<unknown>'), 1),
    col('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r'.", '.status.nodeInfo.kernelVersion',
      (o) => orNone(o.status?.nodeInfo?.kernelVersion, '<unknown>'), 1),
    col('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API.',
      '.status.nodeInfo.containerRuntimeVersion', (o) => orNone(o.status?.nodeInfo?.containerRuntimeVersion, '<unknown>'), 1),
  ],
};

// Storage --------------------------------------------------------------------------------------

/** helper.GetAccessModesAsString: always in the order RWO,ROX,RWX,RWOP. */
export function accessModes(modes: unknown): string {
  const set = new Set(Array.isArray(modes) ? modes : []);
  const out: string[] = [];
  if (set.has('ReadWriteOnce')) out.push('RWO');
  if (set.has('ReadOnlyMany')) out.push('ROX');
  if (set.has('ReadWriteMany')) out.push('RWX');
  if (set.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

const BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';
const quantity = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? canonicalQuantity(v) : '0');
const terminatingPhase = (o: Obj) => (o.metadata.deletionTimestamp ? 'Terminating' : str(o.status?.phase));

const pvcPrinter: BuiltinPrinter = {
  columns: [
    nameCell,
    col('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.', '.status.phase', terminatingPhase),
    col('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.',
      '.spec.volumeName', (o) => str(o.spec?.volumeName)),
    col('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.', '.status.capacity.storage',
      (o) => (o.spec?.volumeName ? quantity(o.status?.capacity?.storage) : '')),
    col('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has.',
      '.status.accessModes', (o) => (o.spec?.volumeName ? accessModes(o.status?.accessModes) : '')),
    col('StorageClass', 'string', 'StorageClass of the pvc', '.spec.storageClassName',
      (o) => o.metadata.annotations?.[BETA_STORAGE_CLASS] ?? str(o.spec?.storageClassName)),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc', '.spec.volumeAttributesClassName',
      (o) => orNone(o.spec?.volumeAttributesClassName, '<unset>')),
    ageCell,
    col('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', '.spec.volumeMode',
      (o) => orNone(o.spec?.volumeMode, '<unset>'), 1),
  ],
};

const pvPrinter: BuiltinPrinter = {
  columns: [
    nameCell,
    col('Capacity', 'string', "capacity is the description of the persistent volume's resources and capacity.",
      '.spec.capacity.storage', (o) => quantity(o.spec?.capacity?.storage)),
    col('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.', '.spec.accessModes',
      (o) => accessModes(o.spec?.accessModes)),
    col('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.',
      '.spec.persistentVolumeReclaimPolicy', (o) => str(o.spec?.persistentVolumeReclaimPolicy)),
    col('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.',
      '.status.phase', terminatingPhase),
    col('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.',
      '.spec.claimRef', (o) => (o.spec?.claimRef ? `${str(o.spec.claimRef.namespace)}/${str(o.spec.claimRef.name)}` : '')),
    col('StorageClass', 'string', 'StorageClass of the pv', '.spec.storageClassName',
      (o) => o.metadata.annotations?.[BETA_STORAGE_CLASS] ?? str(o.spec?.storageClassName)),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv', '.spec.volumeAttributesClassName',
      (o) => orNone(o.spec?.volumeAttributesClassName, '<unset>')),
    col('Reason', 'string', 'reason is a brief CamelCase string that describes any failure.', '.status.reason',
      (o) => str(o.status?.reason)),
    ageCell,
    col('VolumeMode', 'string', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.',
      '.spec.volumeMode', (o) => orNone(o.spec?.volumeMode, '<unset>'), 1),
  ],
};

/** A StorageClass marked default, by the GA or the beta annotation. */
export function isDefaultClass(o: { metadata: { annotations?: Record<string, string> } }): boolean {
  const a = o.metadata.annotations ?? {};
  return a['storageclass.kubernetes.io/is-default-class'] === 'true' || a['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
}

const storageClassPrinter: BuiltinPrinter = {
  columns: [
    { ...nameCell, cell: (o) => `${o.metadata.name ?? ''}${isDefaultClass(o) ? ' (default)' : ''}` },
    col('Provisioner', 'string', 'provisioner indicates the type of the provisioner.', '.provisioner', (o) => str(o.provisioner)),
    col('ReclaimPolicy', 'string', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.',
      '.reclaimPolicy', (o) => orNone(o.reclaimPolicy, 'Delete')),
    col('VolumeBindingMode', 'string', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.',
      '.volumeBindingMode', (o) => orNone(o.volumeBindingMode, 'Immediate')),
    col('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.',
      '.allowVolumeExpansion', (o) => o.allowVolumeExpansion === true),
    ageCell,
  ],
};

// Workloads (apps/v1) --------------------------------------------------------------------------

const int = (v: unknown) => (typeof v === 'number' ? Math.trunc(v) : 0);
/** layoutContainerCells: names and images of the template's containers, comma-joined. */
const templateContainers = (o: Obj, field: 'name' | 'image') =>
  ((o.spec?.template?.spec?.containers ?? []) as any[]).map((c) => str(c?.[field])).join(',');

/** labels.Selector.String() of a LabelSelector: requirements sorted by key; undefined when it is invalid. */
function labelSelectorString(sel: unknown): string | undefined {
  if (!isObject(sel)) return '';
  const reqs: [string, string][] = Object.entries((sel.matchLabels ?? {}) as Record<string, string>).map(([k, v]) => [k, `${k}=${v}`]);
  for (const e of (sel.matchExpressions ?? []) as any[]) {
    const values = [...new Set<string>(e?.values ?? [])].sort().join(',');
    const text = { In: `${e?.key} in (${values})`, NotIn: `${e?.key} notin (${values})`, Exists: `${e?.key}`, DoesNotExist: `!${e?.key}` }[String(e?.operator)];
    if (text === undefined) return undefined;
    reqs.push([String(e.key), text]);
  }
  return reqs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t).join(',');
}

/** labels.FormatLabels: sorted k=v pairs, "<none>" when empty. */
const formatLabels = (m: unknown) =>
  isObject(m) && Object.keys(m).length ? Object.keys(m).sort().map((k) => `${k}=${m[k]}`).join(',') : '<none>';

const CONTAINERS_DOC = 'Names of each container in the template.';
const IMAGES_DOC = 'Images referenced by each container in the template.';

const daemonSetPrinter: BuiltinPrinter = {
  columns: [
    nameCell,
    col('Desired', 'integer', 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).',
      '.status.desiredNumberScheduled', (o) => int(o.status?.desiredNumberScheduled)),
    col('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.',
      '.status.currentNumberScheduled', (o) => int(o.status?.currentNumberScheduled)),
    col('Ready', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
      '.status.numberReady', (o) => int(o.status?.numberReady)),
    col('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod',
      '.status.updatedNumberScheduled', (o) => int(o.status?.updatedNumberScheduled)),
    col('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
      '.status.numberAvailable', (o) => int(o.status?.numberAvailable)),
    col('Node Selector', 'string', "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node.",
      '.spec.template.spec.nodeSelector', (o) => formatLabels(o.spec?.template?.spec?.nodeSelector)),
    ageCell,
    col('Containers', 'string', CONTAINERS_DOC, '.spec.template.spec.containers[*].name', (o) => templateContainers(o, 'name'), 1),
    col('Images', 'string', IMAGES_DOC, '.spec.template.spec.containers[*].image', (o) => templateContainers(o, 'image'), 1),
    col('Selector', 'string', 'A label query over pods that are managed by the daemon set.', '.spec.selector',
      (o) => { const s = labelSelectorString(o.spec?.selector); return s === undefined ? '<error>' : s || '<none>'; }, 1),
  ],
};

const deploymentPrinter: BuiltinPrinter = {
  columns: [
    nameCell,
    col('Ready', 'string', 'Number of the pod with ready state', '.status.readyReplicas',
      (o) => `${int(o.status?.readyReplicas)}/${int(o.spec?.replicas)}`),
    col('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
      '.status.updatedReplicas', (o) => int(o.status?.updatedReplicas)),
    col('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
      '.status.availableReplicas', (o) => int(o.status?.availableReplicas)),
    ageCell,
    col('Containers', 'string', CONTAINERS_DOC, '.spec.template.spec.containers[*].name', (o) => templateContainers(o, 'name'), 1),
    col('Images', 'string', IMAGES_DOC, '.spec.template.spec.containers[*].image', (o) => templateContainers(o, 'image'), 1),
    col('Selector', 'string', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
      '.spec.selector', (o) => labelSelectorString(o.spec?.selector) ?? '<invalid>', 1),
  ],
};

// RBAC -----------------------------------------------------------------------------------------
// Roles and ClusterRoles print Name and Created At, which is the default convertor's table.

/** rbac.SubjectsStrings: users, groups and service accounts ("namespace/name") of a binding. */
function subjects(o: Obj, kind: 'User' | 'Group' | 'ServiceAccount'): string {
  return ((o.subjects ?? []) as any[])
    .filter((s) => s?.kind === kind)
    .map((s) => (kind === 'ServiceAccount' ? `${str(s.namespace)}/${str(s.name)}` : str(s.name)))
    .join(', ');
}

function bindingPrinter(what: 'roleBinding' | 'clusterRoleBinding', roleRefDoc: string): BuiltinPrinter {
  return {
    columns: [
      nameCell,
      col('Role', 'string', roleRefDoc, '.roleRef', (o) => `${str(o.roleRef?.kind)}/${str(o.roleRef?.name)}`),
      ageCell,
      col('Users', 'string', `Users in the ${what}`, '.subjects', (o) => subjects(o, 'User'), 1),
      col('Groups', 'string', `Groups in the ${what}`, '.subjects', (o) => subjects(o, 'Group'), 1),
      col('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`, '.subjects', (o) => subjects(o, 'ServiceAccount'), 1),
    ],
  };
}

// Events ---------------------------------------------------------------------------------------

/** events.k8s.io/v1 fields mapped onto core/v1 names, as the apiserver's internal type does. */
function coreEvent(o: Obj): Obj {
  if (!o.apiVersion?.startsWith('events.k8s.io/')) return o;
  return {
    ...o,
    involvedObject: o.regarding ?? {},
    message: o.note,
    firstTimestamp: o.deprecatedFirstTimestamp,
    lastTimestamp: o.deprecatedLastTimestamp,
    count: o.deprecatedCount,
    source: o.deprecatedSource ?? {},
    reportingComponent: o.reportingController,
  };
}

interface EventSummary {
  last: string;
  first: string;
  count: number;
  object: string;
  source: string;
}

function eventSummary(raw: Obj, now: Date): EventSummary {
  const e = coreEvent(raw);
  let first = since(e.firstTimestamp, now);
  if (!parseTime(e.firstTimestamp)) first = since(e.eventTime, now);
  let last = parseTime(e.lastTimestamp) ? since(e.lastTimestamp, now) : first;
  let n: number = e.count ?? 0;
  if (e.series) {
    last = since(e.series.lastObservedTime, now);
    n = e.series.count ?? 0;
  } else if (n === 0) n = 1;
  const kind = str(e.involvedObject?.kind).toLowerCase();
  const name = str(e.involvedObject?.name);
  const component = str(e.source?.component) || str(e.reportingComponent);
  const instance = str(e.source?.host) || str(e.reportingInstance);
  return {
    last,
    first,
    count: n,
    object: name ? `${kind}/${name}` : kind,
    source: instance ? `${component}, ${instance}` : component,
  };
}

const eventPrinter: BuiltinPrinter = {
  columns: [
    col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.', '.lastTimestamp',
      (o, now) => eventSummary(o, now).last),
    col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future', '.type', (o) => str(o.type)),
    col('Reason', 'string', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
      '.reason', (o) => str(o.reason)),
    col('Object', 'string', 'The object that this event is about.', '.involvedObject', (o, now) => eventSummary(o, now).object),
    col('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.',
      '.involvedObject.fieldPath', (o) => str(coreEvent(o).involvedObject?.fieldPath), 1),
    col('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', '.source',
      (o, now) => eventSummary(o, now).source, 1),
    col('Message', 'string', 'A human-readable description of the status of this operation.', '.message',
      (o) => str(coreEvent(o).message).trim()),
    col('First Seen', 'string', 'The time at which the event was first recorded.', '.firstTimestamp',
      (o, now) => eventSummary(o, now).first, 1),
    col('Count', 'string', 'The number of times this event has occurred.', '.count', (o, now) => eventSummary(o, now).count, 1),
    { def: column('Name', 'string', NAME_DOC, 1, 'name'), cell: (o) => o.metadata.name ?? '', source: '.metadata.name' },
  ],
};

// Small ones -----------------------------------------------------------------------------------

const namespacePrinter: BuiltinPrinter = {
  columns: [nameCell, col('Status', 'string', 'The status of the namespace', '.status.phase', (o) => str(o.status?.phase)), ageCell],
};

const configMapPrinter: BuiltinPrinter = {
  columns: [
    nameCell,
    col('Data', 'string', 'Data contains the configuration data.', '.data', (o) => count(o.data) + count(o.binaryData)),
    ageCell,
  ],
};

const secretPrinter: BuiltinPrinter = {
  columns: [
    nameCell,
    col('Type', 'string', 'Used to facilitate programmatic handling of secret data.', '.type', (o) => str(o.type)),
    col('Data', 'string', 'Data contains the secret data.', '.data', (o) => count(o.data)),
    ageCell,
  ],
};

const serviceAccountPrinter: BuiltinPrinter = {
  columns: [
    nameCell,
    col('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
      '.secrets', (o) => count(o.secrets)),
    ageCell,
  ],
};

const leasePrinter: BuiltinPrinter = {
  columns: [
    nameCell,
    col('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.', '.spec.holderIdentity',
      (o) => str(o.spec?.holderIdentity)),
    ageCell,
  ],
};

/** printResourceQuota: "name: used/hard" by resource name, limits.* in the Limit column, the rest in Request. */
function quotaCells(o: KubeObject): { request: string; limit: string } {
  const hard = (o.status as Record<string, any>)?.hard ?? {};
  const used = (o.status as Record<string, any>)?.used ?? {};
  const request: string[] = [];
  const limit: string[] = [];
  for (const r of Object.keys(hard).sort()) {
    const pieces = r.split('.');
    (pieces.length > 1 && pieces[0] === 'limits' ? limit : request).push(`${r}: ${quantity(used[r] ?? '0')}/${quantity(hard[r])}`);
  }
  return { request: request.join(', '), limit: limit.join(', ') };
}

const resourceQuotaPrinter: BuiltinPrinter = {
  columns: [
    nameCell,
    ageCell,
    col('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.', '.status.hard', (o) => quotaCells(o).request),
    col('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.', '.status.hard',
      (o) => quotaCells(o).limit),
  ],
};

/** Printers by "group/resource" ('' group for core). */
const BUILTIN_PRINTERS: Record<string, BuiltinPrinter> = {
  '/pods': podPrinter,
  '/nodes': nodePrinter,
  '/namespaces': namespacePrinter,
  '/persistentvolumeclaims': pvcPrinter,
  '/persistentvolumes': pvPrinter,
  '/configmaps': configMapPrinter,
  '/resourcequotas': resourceQuotaPrinter,
  '/secrets': secretPrinter,
  '/events': eventPrinter,
  'events.k8s.io/events': eventPrinter,
  '/serviceaccounts': serviceAccountPrinter,
  'coordination.k8s.io/leases': leasePrinter,
  'storage.k8s.io/storageclasses': storageClassPrinter,
  'apps/daemonsets': daemonSetPrinter,
  'apps/deployments': deploymentPrinter,
  'rbac.authorization.k8s.io/rolebindings': bindingPrinter('roleBinding',
    'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.'),
  'rbac.authorization.k8s.io/clusterrolebindings': bindingPrinter('clusterRoleBinding',
    'RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.'),
};

/**
 * The columns kube-apiserver 1.33 prints for a built-in resource, as PrinterColumns. `jsonPath`
 * names the field a cell is derived from; most cells are computed (pod STATUS, node ROLES, ...),
 * so toTable never evaluates these paths for built-ins. Undefined when the resource has no
 * printer (it then gets the default Name/Created At table).
 */
export function builtinPrinterColumns(group: string, resource: string): PrinterColumn[] | undefined {
  const printer = BUILTIN_PRINTERS[`${group}/${resource}`];
  return printer?.columns.map(({ def, source }) => ({
    name: def.name,
    type: def.type as PrinterColumn['type'],
    jsonPath: source,
    ...(def.format ? { format: def.format } : {}),
    description: def.description,
    ...(def.priority ? { priority: def.priority } : {}),
  }));
}

// ---------------------------------------------------------------------------------------------
// The Table

function rowObject(resource: ResourceInfo, obj: KubeObject, includeObject: TableOptions['includeObject']): unknown {
  switch (includeObject) {
    case 'None':
      return null;
    case 'Object':
      return {
        apiVersion: obj.apiVersion ?? (resource.group ? `${resource.group}/${resource.version}` : resource.version),
        kind: obj.kind ?? resource.kind,
        ...obj,
      };
    default:
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata as ObjectMeta };
  }
}

interface Convertor {
  columns: TableColumnDefinition[];
  row: (obj: Obj, now: Date) => { cells: unknown[]; conditions?: TableRowCondition[] };
}

function jsonPathConvertor(printerColumns: PrinterColumn[]): Convertor {
  const columns = printerColumns.length
    ? printerColumns
    : [{ name: 'Age', type: 'date' as const, jsonPath: '.metadata.creationTimestamp', description: CREATION_DOC }];
  const parsed = columns.map((c) => {
    try {
      return parseJsonPath(c.jsonPath);
    } catch {
      return undefined;
    }
  });
  return {
    columns: [
      NAME_COLUMN,
      ...columns.map((c) =>
        column(c.name, c.type, c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
          c.priority ?? 0, c.format ?? ''),
      ),
    ],
    row: (obj, now) => ({
      cells: [
        obj.metadata.name ?? '',
        ...columns.map((c, i) => {
          const steps = parsed[i];
          if (!steps) return null;
          let results: unknown[];
          try {
            results = evalJsonPath(steps, obj);
          } catch {
            return null;
          }
          // Only the first match is printed: CRD columns are simple paths.
          return results.length ? typedCell(c.type, results[0], now) : null;
        }),
      ],
    }),
  };
}

const defaultConvertor: Convertor = {
  columns: [NAME_COLUMN, column('Created At', 'date', CREATION_DOC)],
  row: (obj) => ({ cells: [obj.metadata.name ?? '', rfc3339(obj.metadata.creationTimestamp)] }),
};

function convertorFor(resource: ResourceInfo): Convertor {
  if (resource.crd) return jsonPathConvertor(resource.printerColumns);
  const printer = BUILTIN_PRINTERS[`${resource.group}/${resource.resource}`];
  if (printer) {
    return {
      columns: printer.columns.map((c) => c.def),
      row: (obj, now) => {
        const conditions = printer.conditions?.(obj);
        return { cells: printer.columns.map((c) => c.cell(obj, now)), ...(conditions ? { conditions } : {}) };
      },
    };
  }
  if (resource.printerColumns.length) return jsonPathConvertor(resource.printerColumns);
  return defaultConvertor;
}

/** The meta.k8s.io/v1 Table for `objects` (one object for a GET, the items for a LIST). */
export function toTable(resource: ResourceInfo, objects: KubeObject[], now: Date, opts: TableOptions = {}): Table {
  const convertor = convertorFor(resource);
  const metadata: Table['metadata'] = {};
  const listMeta = opts.listMeta ?? (objects.length === 1 ? { resourceVersion: objects[0].metadata.resourceVersion } : {});
  if (listMeta.resourceVersion) metadata.resourceVersion = listMeta.resourceVersion;
  if (listMeta.continue) metadata.continue = listMeta.continue;
  if (listMeta.remainingItemCount !== undefined) metadata.remainingItemCount = listMeta.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.noHeaders ? [] : convertor.columns.map((c) => ({ ...c })),
    rows: objects.map((obj) => ({
      ...convertor.row(obj as Obj, now),
      object: rowObject(resource, obj, opts.includeObject),
    })),
  };
}
