// The node-agent's configuration: Velero's node-agent ConfigMap (pkg/types/node_agent.go
// NodeAgentConfigs, read at start by pkg/nodeagent GetConfigs: the ConfigMap's only data key holds
// a JSON document), plus the bench's own settings under the top-level key `datamoverBench`.
//
// Stricter than Velero on purpose: a benchmark must not run with a setting other than the one
// written. Where Velero logs a warning and falls back (a number <= 0, a selector it cannot parse,
// podResources with a missing or invalid value), or silently drops a key it does not know (a
// typo, a key in the wrong place), we refuse at start and say what is accepted. Velero's JSON
// names are matched exactly (Go's decoder also takes other capitalisations; we do not).
import type { V1Affinity, V1LabelSelector, V1NodeSelectorRequirement, V1ResourceRequirements } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { DurationError, parseGoDuration } from './duration.ts';
import { FLOW_NAMES, type FlowName } from './flows/types.ts';
import { CLIENT_GO_DEFAULT, type RateLimit } from './kube/rate-limit.ts';
import { matchesLabelSelector, SelectorError, validateLabelSelector } from './label-selector.ts';
import { parseQuantity, QuantityError } from './quantity.ts';

export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly accepted: string,
    readonly source?: string,
  ) {
    super(`${source ? `${source}: ` : ''}${field}: ${show(value)} is not accepted: ${accepted}`);
    this.name = 'ConfigError';
  }
}

export interface LoadAffinity {
  nodeSelector: V1LabelSelector;
  /** Unset: applies to every StorageClass without an entry of its own. */
  storageClass?: string;
}

/** Quantities as written; unset means no request or limit (none at all: a BestEffort pod). */
export interface PodResources {
  cpuRequest?: string;
  cpuLimit?: string;
  memoryRequest?: string;
  memoryLimit?: string;
}

export interface NodeAgentConfig {
  flow: FlowName;
  loadConcurrency: { globalConfig: number; perNodeConfig: { nodeSelector: V1LabelSelector; number: number }[]; prepareQueueLength?: number };
  loadAffinity: LoadAffinity[];
  podResources: PodResources;
  /** Velero's node-agent flag --data-mover-prepare-timeout (default 30m). */
  prepareTimeoutMs: number;
  /** deploying: DatamoverDeploying -> InProgress (default 30m, as the prepare timeout). */
  deployTimeoutMs: number;
  /** The data-mover pod's deadline for InProgress that some distributions add; unset: none, as upstream. */
  podInProgressTimeoutMs?: number;
  /** The real data mover's throughput on a real cluster (bytes per second, a quantity such as
   *  "6Mi"), passed to the data-mover pods as DATA_MOVER_THROUGHPUT; unset: unthrottled. */
  dataMoverThroughput?: string;
  /**
   * The node-agent's client-side rate limit (controller/kube/rate-limit.ts): client-go's default
   * 5 QPS / burst 10, as Velero's node-agent has no flag for it; `datamoverBench.clientQPS`
   * (-1: no limit, client-go's QPS < 0) and `clientBurst` change it.
   */
  clientLimit: RateLimit;
}

const BENCH_KEY = 'datamoverBench';
const BENCH_DEFAULTS = { flow: 'velero-1.17' as FlowName, prepareTimeout: '30m', deployTimeout: '30m' };
// No resourceTimeout: the data-mover pod's --resource-timeout is the DataUpload's operationTimeout.
const BENCH_KEYS = ['flow', 'prepareTimeout', 'deployTimeout', 'podInProgressTimeout', 'dataMoverThroughput', 'clientQPS', 'clientBurst'];
/** Velero's default concurrency per node (node-agent server's defaultDataPathConcurrentNum). */
const DEFAULT_CONCURRENCY = 1;

const MODELLED_KEYS = ['loadConcurrency', 'loadAffinity', 'podResources'];
/**
 * Velero's settings the bench does not model, accepted and ignored: backupPVC (per-StorageClass
 * options of the backup PVC), restorePVC and cachePVC (restores), priorityClassName, podLabels and
 * podAnnotations (data-mover pod metadata), privilegedFsBackup (fs-backup).
 */
const IGNORED_KEYS = ['backupPVC', 'restorePVC', 'cachePVC', 'priorityClassName', 'podLabels', 'podAnnotations', 'privilegedFsBackup'];
const TOP_KEYS = [...MODELLED_KEYS, ...IGNORED_KEYS, BENCH_KEY];
const LOAD_CONCURRENCY_KEYS = ['globalConfig', 'perNodeConfig', 'prepareQueueLength'];
const CPU_MEMORY_KEYS = ['cpuRequest', 'cpuLimit', 'memoryRequest', 'memoryLimit'] as const;
/** Velero 1.18's ephemeral-storage values: checked (an invalid one makes Velero drop all of podResources), not applied. */
const EPHEMERAL_KEYS = ['ephemeralStorageRequest', 'ephemeralStorageLimit'] as const;
const REQUEST_LIMIT = [
  ['cpuRequest', 'cpuLimit'],
  ['memoryRequest', 'memoryLimit'],
  ['ephemeralStorageRequest', 'ephemeralStorageLimit'],
] as const;

type Fail = (field: string, value: unknown, accepted: string) => never;

export function defaultNodeAgentConfig(flow: FlowName = BENCH_DEFAULTS.flow): NodeAgentConfig {
  return parseNodeAgentConfig({ [BENCH_KEY]: { flow } }, 'defaults');
}

/** The node-agent JSON document, already parsed; `source` names where it came from, for errors. */
export function parseNodeAgentConfig(doc: unknown, source: string): NodeAgentConfig {
  const fail: Fail = (field, value, accepted) => {
    throw new ConfigError(field, value, accepted, source);
  };
  const d = object(doc, '(document)', fail);
  for (const k of Object.keys(d)) {
    if (TOP_KEYS.includes(k)) continue;
    // Velero's own docs show prepareQueueLength at the top level, where Velero never reads it.
    if (LOAD_CONCURRENCY_KEYS.includes(k)) fail(k, d[k], `a key of loadConcurrency, not of the document (Velero ignores it here): use {"loadConcurrency": {"${k}": ...}}`);
    fail(k, d[k], `not a node-agent setting; the keys are ${TOP_KEYS.join(', ')}`);
  }
  return {
    ...benchSettings(d[BENCH_KEY], fail),
    loadConcurrency: loadConcurrency(d.loadConcurrency, fail),
    loadAffinity: loadAffinity(d.loadAffinity, fail),
    podResources: podResources(d.podResources, fail),
  };
}

/** As Velero's GetConfigs: the ConfigMap's data must have exactly one key, whose value is the JSON document. */
export function parseConfigMapData(data: Record<string, string> | undefined, source: string): NodeAgentConfig {
  const keys = Object.keys(data ?? {});
  if (!data || keys.length !== 1) {
    throw new ConfigError('data', data, 'exactly one key, whose value is the node-agent JSON document (Velero reads the only key, whatever its name)', source);
  }
  const [key] = keys;
  const field = `data[${JSON.stringify(key)}]`;
  const text: unknown = data[key];
  if (typeof text !== 'string') throw new ConfigError(field, text, 'a string holding the JSON document', source);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(field, text, `JSON (${(e as Error).message})`, source);
  }
  return parseNodeAgentConfig(doc, `${source}, data key ${key}`);
}

/** A .json file with the document, or YAML holding a ConfigMap manifest or the bare document. */
export async function loadConfigFromFile(path: string): Promise<NodeAgentConfig> {
  const docs = parseAllDocuments(await readFile(path, 'utf8'));
  if (docs.length !== 1) throw new ConfigError('(file)', `${docs.length} documents`, 'one document: a ConfigMap manifest or the node-agent JSON document', path);
  const [problem] = docs[0].errors;
  if (problem) throw new ConfigError('(file)', problem.linePos ? `line ${problem.linePos[0].line}` : path, `YAML or JSON (${problem.message})`, path);
  const doc: unknown = docs[0].toJS();
  if (doc === null) throw new ConfigError('(file)', '', 'a ConfigMap manifest or the node-agent JSON document, not an empty file', path);
  if (isObject(doc) && 'kind' in doc) {
    if (doc.kind !== 'ConfigMap') throw new ConfigError('kind', doc.kind, 'ConfigMap, or no kind for the bare node-agent document', path);
    const name = isObject(doc.metadata) ? `${doc.metadata.namespace ?? ''}/${doc.metadata.name ?? ''}` : '';
    return parseConfigMapData(doc.data as Record<string, string> | undefined, `${path} (ConfigMap ${name})`);
  }
  return parseNodeAgentConfig(doc, path);
}

/** Velero's getDataPathConcurrentNum: the smallest number among the perNodeConfig rules matching the node, else globalConfig. */
export function concurrencyForNode(cfg: NodeAgentConfig, nodeLabels: Record<string, string> | undefined): number {
  const matching = cfg.loadConcurrency.perNodeConfig.filter((r) => matchesLabelSelector(r.nodeSelector, nodeLabels)).map((r) => r.number);
  return matching.length ? Math.min(...matching) : cfg.loadConcurrency.globalConfig;
}

/**
 * The loadAffinity entry for a volume of this StorageClass. Velero 1.17+ (GetLoadAffinityByStorageClass):
 * the first entry naming the class, else the first naming none. Velero 1.16 has no storageClass
 * and takes the first entry for every volume; the velero-1.16 flow does the same.
 */
export function loadAffinityFor(cfg: NodeAgentConfig, storageClass: string | undefined): LoadAffinity | undefined {
  if (cfg.flow === 'velero-1.16') return cfg.loadAffinity[0];
  const sc = storageClass ?? '';
  return cfg.loadAffinity.find((a) => (a.storageClass ?? '') === sc) ?? cfg.loadAffinity.find((a) => !a.storageClass);
}

/** Whether a data-mover pod under this loadAffinity may run on the node; no affinity: any node. */
export function affinityMatchesNode(la: LoadAffinity | undefined, nodeLabels: Record<string, string> | undefined): boolean {
  return !la || matchesLabelSelector(la.nodeSelector, nodeLabels);
}

/**
 * What Velero puts into the data-mover pod for a loadAffinity (ToSystemAffinity): one required
 * node selector term, matchLabels as In expressions, then matchExpressions. An empty selector
 * gives no constraint, as in Velero 1.18 (parseNodeAgentConfig refuses one; see there).
 */
export function nodeAffinityFromLoadAffinity(la: LoadAffinity): V1Affinity {
  const expressions: V1NodeSelectorRequirement[] = [
    ...Object.entries(la.nodeSelector.matchLabels ?? {}).map(([key, value]) => ({ key, operator: 'In', values: [value] })),
    ...(la.nodeSelector.matchExpressions ?? []).map((e) => ({ key: e.key, operator: e.operator, ...(e.values?.length ? { values: e.values } : {}) })),
  ];
  if (!expressions.length) return {};
  return { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: expressions }] } } };
}

/**
 * The data-mover pod's resources, as Velero's ParseResourceRequirements builds them: a value that
 * is unset, empty or zero is left out (none at all: a BestEffort pod); an invalid quantity or a
 * request above its limit throws a ConfigError naming podResources.<key>.
 */
export function podResourceRequirements(cfg: NodeAgentConfig): V1ResourceRequirements {
  const r = checkResources(cfg.podResources as Record<string, unknown>, (field, value, accepted) => {
    throw new ConfigError(field, value, accepted);
  });
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (r.cpuRequest) requests.cpu = r.cpuRequest;
  if (r.memoryRequest) requests.memory = r.memoryRequest;
  if (r.cpuLimit) limits.cpu = r.cpuLimit;
  if (r.memoryLimit) limits.memory = r.memoryLimit;
  return { ...(Object.keys(requests).length ? { requests } : {}), ...(Object.keys(limits).length ? { limits } : {}) };
}

function benchSettings(v: unknown, fail: Fail): Pick<NodeAgentConfig, 'flow' | 'prepareTimeoutMs' | 'deployTimeoutMs' | 'podInProgressTimeoutMs' | 'dataMoverThroughput' | 'clientLimit'> {
  const b = object(v, BENCH_KEY, fail);
  knownKeys(b, BENCH_KEY, BENCH_KEYS, fail);
  const flow = b.flow ?? BENCH_DEFAULTS.flow;
  if (!FLOW_NAMES.includes(flow as FlowName)) fail(`${BENCH_KEY}.flow`, b.flow, `one of ${FLOW_NAMES.join(', ')}`);
  const duration = (key: string, dflt?: string): number | undefined => {
    const field = `${BENCH_KEY}.${key}`;
    const text = b[key] ?? dflt;
    if (text === undefined) return undefined;
    const accepted = 'a Go duration greater than 0, such as "30s", "10m" or "1h30m"';
    let ms = 0;
    try {
      ms = parseGoDuration(text, field);
    } catch (e) {
      if (!(e instanceof DurationError)) throw e;
      fail(field, text, accepted);
    }
    // Velero would take 0 and time every DataUpload out at its first check.
    if (!(ms > 0)) fail(field, text, accepted);
    return ms;
  };
  const podInProgressTimeoutMs = duration('podInProgressTimeout');
  const throughput = b.dataMoverThroughput;
  if (throughput !== undefined) {
    const field = `${BENCH_KEY}.dataMoverThroughput`;
    const accepted = 'bytes per second, a Kubernetes quantity greater than 0 as a string, such as "6Mi"';
    let bytes = 0;
    try {
      bytes = typeof throughput === 'string' ? parseQuantity(throughput, field) : 0;
    } catch (e) {
      if (!(e instanceof QuantityError)) throw e;
    }
    if (!(bytes > 0)) fail(field, throughput, accepted);
  }
  const qps = b.clientQPS ?? CLIENT_GO_DEFAULT.qps;
  if (typeof qps !== 'number' || !Number.isFinite(qps) || (qps <= 0 && qps !== -1)) {
    fail(`${BENCH_KEY}.clientQPS`, b.clientQPS, 'a number of requests per second above 0 (client-go\'s default is 5), or -1 for no limit');
  }
  const burst = b.clientBurst ?? CLIENT_GO_DEFAULT.burst;
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1) {
    fail(`${BENCH_KEY}.clientBurst`, b.clientBurst, 'a whole number of requests of 1 or more (client-go\'s default is 10)');
  }
  return {
    flow: flow as FlowName,
    clientLimit: { qps: qps as number, burst: burst as number },
    prepareTimeoutMs: duration('prepareTimeout', BENCH_DEFAULTS.prepareTimeout)!,
    deployTimeoutMs: duration('deployTimeout', BENCH_DEFAULTS.deployTimeout)!,
    ...(podInProgressTimeoutMs !== undefined ? { podInProgressTimeoutMs } : {}),
    ...(throughput !== undefined ? { dataMoverThroughput: throughput as string } : {}),
  };
}

function loadConcurrency(v: unknown, fail: Fail): NodeAgentConfig['loadConcurrency'] {
  const lc = object(v, 'loadConcurrency', fail);
  knownKeys(lc, 'loadConcurrency', LOAD_CONCURRENCY_KEYS, fail);
  // Velero logs "invalid" and uses its default for a globalConfig <= 0, and skips a rule whose number is <= 0.
  const globalConfig = lc.globalConfig === undefined ? DEFAULT_CONCURRENCY : positiveInt(lc.globalConfig, 'loadConcurrency.globalConfig', fail);
  const perNodeConfig = list(lc.perNodeConfig, 'loadConcurrency.perNodeConfig', '{nodeSelector, number}', fail).map((r, i) => {
    const f = `loadConcurrency.perNodeConfig[${i}]`;
    const rule = object(r, f, fail, false);
    knownKeys(rule, f, ['nodeSelector', 'number'], fail);
    // An empty or absent nodeSelector matches every node, as in Velero.
    return { nodeSelector: selector(rule.nodeSelector, `${f}.nodeSelector`, fail), number: positiveInt(rule.number, `${f}.number`, fail) };
  });
  // 0 (Go's zero value, the same as absent) leaves the prepare queue off; Velero also ignores a negative one.
  const pql = lc.prepareQueueLength;
  const prepareQueueLength = pql === undefined || pql === 0 ? undefined : positiveInt(pql, 'loadConcurrency.prepareQueueLength', fail, 'a whole number: greater than 0 to cap, 0 (or absent) for no cap');
  return { globalConfig, perNodeConfig, ...(prepareQueueLength !== undefined ? { prepareQueueLength } : {}) };
}

function loadAffinity(v: unknown, fail: Fail): LoadAffinity[] {
  return list(v, 'loadAffinity', '{nodeSelector, storageClass}', fail).map((a, i) => {
    const f = `loadAffinity[${i}]`;
    const o = object(a, f, fail, false);
    knownKeys(o, f, ['nodeSelector', 'storageClass'], fail);
    const nodeSelector = selector(o.nodeSelector, `${f}.nodeSelector`, fail);
    // Velero 1.16 and 1.17 turn an empty selector into a node selector term with no requirements,
    // which matches no node: every data-mover pod would stay Pending until the prepare timeout.
    if (!Object.keys(nodeSelector.matchLabels ?? {}).length && !nodeSelector.matchExpressions?.length) {
      fail(`${f}.nodeSelector`, o.nodeSelector, 'a selector with matchLabels or matchExpressions (an empty one lets Velero 1.16/1.17 schedule the data-mover pod nowhere); to allow every node, leave the entry out');
    }
    if (o.storageClass !== undefined && o.storageClass !== null && typeof o.storageClass !== 'string') fail(`${f}.storageClass`, o.storageClass, 'a StorageClass name');
    return { nodeSelector, ...(o.storageClass ? { storageClass: o.storageClass as string } : {}) };
  });
}

function podResources(v: unknown, fail: Fail): PodResources {
  if (v === undefined || v === null) return {};
  const pr = object(v, 'podResources', fail);
  // Velero parses all four and, if any is missing or invalid, drops the whole of podResources: BestEffort pods.
  for (const k of CPU_MEMORY_KEYS) {
    if (pr[k] === undefined || pr[k] === null || pr[k] === '') {
      fail(`podResources.${k}`, pr[k], 'a Kubernetes quantity: Velero ignores all of podResources unless cpuRequest, cpuLimit, memoryRequest and memoryLimit are all set; write "0" for none');
    }
  }
  return checkResources(pr, fail);
}

/** Valid, non-negative quantities, each request at most its limit (a zero limit is no limit); returns the non-zero CPU and memory values. */
function checkResources(pr: Record<string, unknown>, fail: Fail): PodResources {
  knownKeys(pr, 'podResources', [...CPU_MEMORY_KEYS, ...EPHEMERAL_KEYS], fail);
  const amount: Record<string, number> = {};
  for (const [k, v] of Object.entries(pr)) {
    if (v === undefined || v === null || v === '') continue;
    const field = `podResources.${k}`;
    const accepted = 'a Kubernetes quantity as a string, e.g. "500m", "2" or "1Gi"; "0" for none';
    if (typeof v !== 'string' || v.trim() !== v) fail(field, v, accepted);
    try {
      amount[k] = parseQuantity(v as string, field);
    } catch (e) {
      if (!(e instanceof QuantityError)) throw e;
      fail(field, v, accepted);
    }
    if (amount[k] < 0) fail(field, v, 'a quantity of 0 or more');
  }
  for (const [req, lim] of REQUEST_LIMIT) {
    if (amount[lim] && amount[req] > amount[lim]) fail(`podResources.${req}`, pr[req], `at most podResources.${lim} (${pr[lim]})`);
  }
  const out: PodResources = {};
  for (const k of CPU_MEMORY_KEYS) if (amount[k]) out[k] = pr[k] as string;
  return out;
}

function selector(v: unknown, field: string, fail: Fail): V1LabelSelector {
  try {
    return validateLabelSelector(v, field);
  } catch (e) {
    if (!(e instanceof SelectorError)) throw e;
    return fail(e.field, e.value, e.accepted);
  }
}

/** An object; absent or null (Go's nil) reads as empty unless `optional` is false. */
function object(v: unknown, field: string, fail: Fail, optional = true): Record<string, unknown> {
  if (optional && (v === undefined || v === null)) return {};
  if (!isObject(v)) fail(field, v, 'an object');
  return v as Record<string, unknown>;
}

function list(v: unknown, field: string, item: string, fail: Fail): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(field, v, `a list of ${item}`);
  return v as unknown[];
}

function knownKeys(o: Record<string, unknown>, field: string, keys: readonly string[], fail: Fail): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) fail(`${field}.${k}`, o[k], `not a key of ${field}; the keys are ${keys.join(', ')}`);
}

function positiveInt(v: unknown, field: string, fail: Fail, accepted = 'a whole number greater than 0'): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) fail(field, v, accepted);
  return v as number;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value for an error message: JSON, cut short; absent as "(missing)". */
function show(v: unknown): string {
  const s = JSON.stringify(v) ?? '(missing)';
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
