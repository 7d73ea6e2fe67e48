// The node-agent's configuration: Velero's node-agent ConfigMap (pkg/types/node_agent.go
// NodeAgentConfigs, read by pkg/nodeagent GetConfigs: the ConfigMap's one data key holds a JSON
// document), plus the bench's own settings under the key `datamoverBench`.
//
// Where Velero logs a warning and falls back (a number <= 0, an invalid selector), we refuse at
// start instead: a benchmark must not run with a setting other than the one written. Velero
// keys the bench does not model are accepted and ignored (IGNORED_VELERO_KEYS).
import type { V1Affinity, V1LabelSelector, V1ResourceRequirements } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { parseGoDuration } from './duration.ts';
import { FLOW_NAMES, type FlowName } from './flows/types.ts';
import { matchesLabelSelector, validateLabelSelector } from './label-selector.ts';
import { parseQuantity } from './quantity.ts';

export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly accepted: string,
    readonly source?: string,
  ) {
    super(`${source ? `${source}: ` : ''}${field}: ${JSON.stringify(value)} is not accepted: ${accepted}`);
    this.name = 'ConfigError';
  }
}

export interface LoadAffinity {
  nodeSelector: V1LabelSelector;
  storageClass?: string;
}

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
  /** Velero's --resource-timeout, passed to the data-mover pod (default 10m). */
  resourceTimeoutMs: number;
}

const DEFAULTS = { flow: 'velero-1.17' as FlowName, prepareTimeout: '30m', deployTimeout: '30m', resourceTimeout: '10m' };
const VELERO_KEYS = ['loadConcurrency', 'loadAffinity', 'podResources'];
/** Velero's own settings the bench does not model: accepted, ignored. */
const IGNORED_VELERO_KEYS = ['backupPVC', 'restorePVC', 'priorityClassName', 'privilegedFsBackup', 'cachePVC', 'podAnnotations', 'podLabels'];
const BENCH_KEY = 'datamoverBench';
const BENCH_KEYS = ['flow', 'prepareTimeout', 'deployTimeout', 'podInProgressTimeout', 'resourceTimeout'];

export function defaultNodeAgentConfig(flow: FlowName = DEFAULTS.flow): NodeAgentConfig {
  return parseNodeAgentConfig({ [BENCH_KEY]: { flow } }, 'defaults');
}

/** The JSON document of the node-agent ConfigMap (already parsed). */
export function parseNodeAgentConfig(doc: unknown, source: string): NodeAgentConfig {
  const fail = (field: string, value: unknown, accepted: string): never => {
    throw new ConfigError(field, value, accepted, source);
  };
  const d = object(doc ?? {}, '(document)', fail);
  const known = [...VELERO_KEYS, ...IGNORED_VELERO_KEYS, BENCH_KEY];
  for (const k of Object.keys(d)) if (!known.includes(k)) fail(k, d[k], `not a node-agent setting; the keys are ${known.join(', ')}`);

  const lc = object(d.loadConcurrency ?? {}, 'loadConcurrency', fail);
  for (const k of Object.keys(lc)) {
    if (!['globalConfig', 'perNodeConfig', 'prepareQueueLength'].includes(k)) fail(`loadConcurrency.${k}`, lc[k], 'the keys are globalConfig, perNodeConfig, prepareQueueLength');
  }
  const globalConfig = lc.globalConfig === undefined ? 1 : positiveInt(lc.globalConfig, 'loadConcurrency.globalConfig', fail);
  const perNode = lc.perNodeConfig ?? [];
  if (!Array.isArray(perNode)) fail('loadConcurrency.perNodeConfig', perNode, 'use a list of {nodeSelector, number}');
  const perNodeConfig = (perNode as unknown[]).map((r, i) => {
    const f = `loadConcurrency.perNodeConfig[${i}]`;
    const rule = object(r, f, fail);
    return { nodeSelector: selector(rule.nodeSelector, `${f}.nodeSelector`, source), number: positiveInt(rule.number, `${f}.number`, fail) };
  });
  // Velero enables the prepare queue only when the number is > 0.
  const pql = lc.prepareQueueLength;
  const prepareQueueLength = pql === undefined || pql === 0 ? undefined : positiveInt(pql, 'loadConcurrency.prepareQueueLength', fail);

  const la = d.loadAffinity ?? [];
  if (!Array.isArray(la)) fail('loadAffinity', la, 'use a list of {nodeSelector, storageClass}');
  const loadAffinity = (la as unknown[]).map((a, i) => {
    const f = `loadAffinity[${i}]`;
    const o = object(a, f, fail);
    for (const k of Object.keys(o)) if (k !== 'nodeSelector' && k !== 'storageClass') fail(`${f}.${k}`, o[k], 'the keys are nodeSelector, storageClass');
    if (o.storageClass !== undefined && typeof o.storageClass !== 'string') fail(`${f}.storageClass`, o.storageClass, 'a StorageClass name');
    return { nodeSelector: selector(o.nodeSelector, `${f}.nodeSelector`, source), ...(o.storageClass ? { storageClass: o.storageClass as string } : {}) };
  });

  const pr = object(d.podResources ?? {}, 'podResources', fail);
  const podResources: PodResources = {};
  for (const [k, v] of Object.entries(pr)) {
    if (!['cpuRequest', 'cpuLimit', 'memoryRequest', 'memoryLimit'].includes(k)) fail(`podResources.${k}`, v, 'the keys are cpuRequest, cpuLimit, memoryRequest, memoryLimit');
    if (typeof v !== 'string') fail(`podResources.${k}`, v, 'a Kubernetes quantity as a string, e.g. "500m" or "1Gi"');
    if (v === '') continue;
    try {
      parseQuantity(v as string);
    } catch {
      fail(`podResources.${k}`, v, 'a Kubernetes quantity, e.g. "500m" or "1Gi"');
    }
    podResources[k as keyof PodResources] = v as string;
  }
  for (const [req, lim] of [['cpuRequest', 'cpuLimit'], ['memoryRequest', 'memoryLimit']] as const) {
    const r = podResources[req];
    const l = podResources[lim];
    if (r && l && parseQuantity(r) > parseQuantity(l)) fail(`podResources.${req}`, r, `at most podResources.${lim} (${l})`);
  }

  const bench = object(d[BENCH_KEY] ?? {}, BENCH_KEY, fail);
  for (const k of Object.keys(bench)) if (!BENCH_KEYS.includes(k)) fail(`${BENCH_KEY}.${k}`, bench[k], `the keys are ${BENCH_KEYS.join(', ')}`);
  const flow = (bench.flow ?? DEFAULTS.flow) as FlowName;
  if (!FLOW_NAMES.includes(flow)) fail(`${BENCH_KEY}.flow`, bench.flow, `one of ${FLOW_NAMES.join(', ')}`);
  const duration = (key: string, dflt?: string): number | undefined => {
    const v = bench[key] ?? dflt;
    if (v === undefined) return undefined;
    let ms = 0;
    try {
      ms = parseGoDuration(v, `${BENCH_KEY}.${key}`);
    } catch {
      fail(`${BENCH_KEY}.${key}`, v, 'a Go duration greater than 0, such as "30s", "10m" or "1h30m"');
    }
    if (!(ms > 0)) fail(`${BENCH_KEY}.${key}`, v, 'a Go duration greater than 0, such as "30s", "10m" or "1h30m"');
    return ms;
  };
  return {
    flow,
    loadConcurrency: { globalConfig, perNodeConfig, ...(prepareQueueLength ? { prepareQueueLength } : {}) },
    loadAffinity,
    podResources,
    prepareTimeoutMs: duration('prepareTimeout', DEFAULTS.prepareTimeout)!,
    deployTimeoutMs: duration('deployTimeout', DEFAULTS.deployTimeout)!,
    podInProgressTimeoutMs: duration('podInProgressTimeout'),
    resourceTimeoutMs: duration('resourceTimeout', DEFAULTS.resourceTimeout)!,
  };
}

/** As Velero's GetConfigs: the ConfigMap's data must have exactly one key, whose value is the JSON document. */
export function parseConfigMapData(data: Record<string, string> | undefined, source: string): NodeAgentConfig {
  const keys = Object.keys(data ?? {});
  if (keys.length !== 1) throw new ConfigError('data', keys, 'exactly one key whose value is the JSON document (Velero reads the only key)', source);
  let doc: unknown;
  try {
    doc = JSON.parse(data![keys[0]]);
  } catch (e) {
    throw new ConfigError(`data.${keys[0]}`, `${data![keys[0]].slice(0, 40)}…`, `valid JSON (${(e as Error).message})`, source);
  }
  return parseNodeAgentConfig(doc, source);
}

/** A .json document, or YAML/JSON holding a ConfigMap manifest or the bare document. */
export async function loadConfigFromFile(path: string): Promise<NodeAgentConfig> {
  const text = await readFile(path, 'utf8');
  const docs = parseAllDocuments(text);
  if (docs.length !== 1 || docs[0].errors.length) {
    throw new ConfigError('(file)', path, `one YAML or JSON document${docs[0]?.errors.length ? ` (${docs[0].errors[0].message})` : ''}`);
  }
  const doc = docs[0].toJS() as Record<string, unknown> | null;
  if (doc && doc.kind === 'ConfigMap') return parseConfigMapData(doc.data as Record<string, string>, path);
  return parseNodeAgentConfig(doc, path);
}

/** Velero's getDataPathConcurrentNum: the smallest number of the perNodeConfig rules matching the node, else globalConfig. */
export function concurrencyForNode(cfg: NodeAgentConfig, nodeLabels: Record<string, string> | undefined): number {
  let n = Infinity;
  for (const r of cfg.loadConcurrency.perNodeConfig) if (matchesLabelSelector(r.nodeSelector, nodeLabels)) n = Math.min(n, r.number);
  return Number.isFinite(n) ? n : cfg.loadConcurrency.globalConfig;
}

/** Velero's GetLoadAffinityByStorageClass: the entry for the storage class, else the first without one. */
export function loadAffinityFor(cfg: NodeAgentConfig, storageClass: string | undefined): LoadAffinity | undefined {
  return cfg.loadAffinity.find((a) => a.storageClass !== undefined && a.storageClass === storageClass) ?? cfg.loadAffinity.find((a) => !a.storageClass);
}

export function affinityMatchesNode(la: LoadAffinity | undefined, nodeLabels: Record<string, string> | undefined): boolean {
  return !la || matchesLabelSelector(la.nodeSelector, nodeLabels);
}

/** What Velero puts into the data-mover pod for a loadAffinity: one required node selector term. */
export function nodeAffinityFromLoadAffinity(la: LoadAffinity): V1Affinity {
  const expressions = [
    ...Object.entries(la.nodeSelector.matchLabels ?? {}).map(([key, value]) => ({ key, operator: 'In', values: [value] })),
    ...(la.nodeSelector.matchExpressions ?? []).map((e) => ({ key: e.key, operator: e.operator, values: e.values })),
  ];
  return { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: expressions }] } } };
}

/** Velero's ParseResourceRequirements: unset values stay unset (none at all: a BestEffort pod). */
export function podResourceRequirements(cfg: NodeAgentConfig): V1ResourceRequirements {
  const r = cfg.podResources;
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (r.cpuRequest) requests.cpu = r.cpuRequest;
  if (r.memoryRequest) requests.memory = r.memoryRequest;
  if (r.cpuLimit) limits.cpu = r.cpuLimit;
  if (r.memoryLimit) limits.memory = r.memoryLimit;
  return { ...(Object.keys(requests).length ? { requests } : {}), ...(Object.keys(limits).length ? { limits } : {}) };
}

function object(v: unknown, field: string, fail: (f: string, v: unknown, a: string) => never): Record<string, any> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, v, 'an object');
  return v as Record<string, any>;
}

function positiveInt(v: unknown, field: string, fail: (f: string, v: unknown, a: string) => never): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(field, v, 'a whole number greater than 0');
  return v as number;
}

function selector(v: unknown, field: string, source: string): V1LabelSelector {
  try {
    return validateLabelSelector(v, field);
  } catch (e) {
    const s = e as { field: string; value: unknown; accepted: string };
    throw new ConfigError(s.field, s.value, s.accepted, source);
  }
}
