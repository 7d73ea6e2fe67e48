// A scenario file as a Scenario: the same shape the shipped scenarios have, so `npm run scenario
// -- --file`, the sweep and `npm run advise` run it as they run those. The settings a user
// controls are its parameters, each defaulting to the file's own value, so `--concurrency 3`
// (or an advise sweep) changes one setting and nothing else.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FlowName } from '../../../controller/flows/types.ts';
import { FLOW_NAMES } from '../../../controller/flows/types.ts';
import { parseGoDuration } from '../../../controller/duration.ts';
import { parseBytes } from '../../../controller/quantity.ts';
import { validateLabelValue, validateQualifiedName } from '../../apiserver/names.ts';
import type { Distribution } from '../../sim/distribution.ts';
import { generatePvcs, type PvcGroup } from '../pvc-groups.ts';
import { durationParam, ParamError, type Experiment, type ParamDecl, type ParamValues, type Scenario } from '../scenario.ts';
import type { PvcFile, PvcGroupFile, ScenarioFile, SizeDistribution } from './format.ts';
import { nodePoolsOf, parseScenarioFile } from './parse.ts';

const GiB = 1024 ** 3;
/** The embedded CSI driver's class when a file declares none. */
const DEFAULT_CLASS = 'csi-hostpath-sc';
/** Velero's defaults where the file says nothing: loadConcurrency 1 per node, no prepare queue, the node-agent's 30m prepare timeout, the backup's 4h item operation timeout. */
const VELERO_DEFAULTS = { concurrency: 1, prepareTimeout: '30m', itemOperationTimeout: '4h' };
const NONE = 'none';

export async function loadScenarioFile(path: string): Promise<Scenario> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ParamError(`--file: ${JSON.stringify(path)} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): a YAML or JSON scenario file`);
  }
  return scenarioOfFile(parseScenarioFile(text, path), file);
}

/** The node-agent JSON document the file gives (its ConfigMap's only data value, or the document), or {}. */
export function fileNodeAgentDocument(f: ScenarioFile): Record<string, unknown> {
  if (f.nodeAgentConfigMap) return JSON.parse(Object.values(f.nodeAgentConfigMap.data)[0]) as Record<string, unknown>;
  return structuredClone(f.nodeAgentConfig ?? {});
}

/** The file's checked document as a Scenario; `path` is where a flow job reloads it from. */
export function scenarioOfFile(f: ScenarioFile, path: string): Scenario {
  const doc = fileNodeAgentDocument(f);
  const lc = (doc.loadConcurrency ?? {}) as { globalConfig?: number; prepareQueueLength?: number };
  const pr = (doc.podResources ?? {}) as { cpuRequest?: string; memoryRequest?: string };
  const own = {
    concurrency: lc.globalConfig ?? VELERO_DEFAULTS.concurrency,
    'prepare-queue-length': lc.prepareQueueLength ?? 0,
    'cpu-request': pr.cpuRequest || NONE,
    'memory-request': pr.memoryRequest || NONE,
    'prepare-timeout': f.nodeAgent?.prepareTimeout ?? VELERO_DEFAULTS.prepareTimeout,
    'item-operation-timeout': f.server?.itemOperationTimeout ?? VELERO_DEFAULTS.itemOperationTimeout,
    'data-mover-nodes': 'configured',
    'concurrent-backups': f.server?.concurrentBackups ?? 1,
  };
  const params: ParamDecl[] = [
    { name: 'concurrency', type: 'int', default: own.concurrency, min: 1, max: 100, description: 'loadConcurrency.globalConfig: data paths per node (perNodeConfig rules still apply on their nodes)' },
    { name: 'prepare-queue-length', type: 'int', default: own['prepare-queue-length'], min: 0, max: 10_000, description: 'loadConcurrency.prepareQueueLength (0: off; velero-1.16 has none)' },
    { name: 'cpu-request', type: 'string', default: own['cpu-request'], description: 'podResources.cpuRequest of the data-mover pods ("none": no request)' },
    { name: 'memory-request', type: 'string', default: own['memory-request'], description: 'podResources.memoryRequest of the data-mover pods ("none": no request)' },
    { name: 'prepare-timeout', type: 'string', default: own['prepare-timeout'], description: 'the node-agent’s --data-mover-prepare-timeout, a Go duration' },
    { name: 'item-operation-timeout', type: 'string', default: own['item-operation-timeout'], description: 'the backups’ item operation timeout, a Go duration' },
    { name: 'data-mover-nodes', type: 'string', default: own['data-mover-nodes'], description: 'where data movers may run: configured (the ConfigMap’s loadAffinity), all (none), or a selector key=value[,key=value]' },
    { name: 'concurrent-backups', type: 'int', default: own['concurrent-backups'], min: 1, max: 100, description: 'Velero 1.18’s --concurrent-backups: backups in their item phase at once' },
  ];
  return {
    name: f.metadata.name,
    file: path,
    summary: f.metadata.description ?? `the scenario file ${path}`,
    flows: (f.flows ?? [...FLOW_NAMES]) as FlowName[],
    params,
    build: (values, seed) => buildExperiment(f, doc, own, { ...own, ...values }, seed),
    ...(f.gates?.length ? { gate: { gates: f.gates } } : {}),
  };
}

function buildExperiment(f: ScenarioFile, doc: Record<string, unknown>, own: ParamValues, v: ParamValues, seed: number): Experiment {
  const classes = orderedClasses(f);
  const pvcs = filePvcs(f.pvcs, seed);
  const itemOperationTimeout = durationParam(v, 'item-operation-timeout');
  durationParam(v, 'prepare-timeout');
  const affinity = dataMoverNodes(String(v['data-mover-nodes']));
  const requests = { cpuRequest: quantityParam(v, 'cpu-request'), memoryRequest: quantityParam(v, 'memory-request') };
  const behaviour = f.dataPath ? { dataPath: { ...(f.dataPath.perMoverMiBps !== undefined ? { perPodMiBps: f.dataPath.perMoverMiBps } : {}), ...(f.dataPath.nodeMiBps !== undefined ? { nodeMiBps: f.dataPath.nodeMiBps } : {}) } } : undefined;
  return {
    nodes: nodePoolsOf(f.nodes),
    pvcs,
    storageClasses: classes,
    storageTopology: f.storageTopology ?? 'none',
    ...(behaviour ? { behaviour } : {}),
    ...(f.resourceQuotas?.length ? { resourceQuotas: f.resourceQuotas } : {}),
    ...(f.faults?.length ? { faults: f.faults } : {}),
    ...(f.backups?.length ? { backups: f.backups.map((b) => ({ name: b.name, namespaces: b.includedNamespaces, startAfterSeconds: b.startAfter ? parseGoDuration(b.startAfter, 'startAfter') / 1000 : 0 })) } : {}),
    concurrentBackups: Number(v['concurrent-backups']),
    itemOperationTimeoutMs: itemOperationTimeout,
    deadlineSeconds: f.deadline ? parseGoDuration(f.deadline, 'deadline') / 1000 : 12 * 3600,
    nodeAgentConfig: (flow) => {
      const d = structuredClone(doc) as Record<string, unknown> & { loadConcurrency?: Record<string, unknown>; podResources?: Record<string, unknown> };
      // A setting is written only where it differs from the file's: the file's ConfigMap runs as pasted.
      if (v.concurrency !== own.concurrency) d.loadConcurrency = { ...d.loadConcurrency, globalConfig: Number(v.concurrency) };
      if (v['prepare-queue-length'] !== own['prepare-queue-length']) {
        const { prepareQueueLength: _, ...rest } = d.loadConcurrency ?? {};
        d.loadConcurrency = Number(v['prepare-queue-length']) > 0 ? { ...rest, prepareQueueLength: Number(v['prepare-queue-length']) } : rest;
      }
      // velero-1.16 has no prepare queue: the field came with v1.17 (pkg/exposer/vgdp_counter.go).
      if (flow === 'velero-1.16' && d.loadConcurrency && 'prepareQueueLength' in d.loadConcurrency) {
        const { prepareQueueLength: _, ...rest } = d.loadConcurrency;
        d.loadConcurrency = rest;
      }
      for (const [param, key] of [['cpu-request', 'cpuRequest'], ['memory-request', 'memoryRequest']] as const) {
        if (v[param] === own[param]) continue;
        const { [key]: _, ...rest } = d.podResources ?? {};
        d.podResources = requests[key] === undefined ? rest : { ...rest, [key]: requests[key] };
      }
      if (affinity !== 'configured') {
        if (affinity) d.loadAffinity = [{ nodeSelector: { matchLabels: affinity } }];
        else delete d.loadAffinity;
      }
      const bench = { ...((d.datamoverBench as object | undefined) ?? {}), prepareTimeout: String(v['prepare-timeout']), ...(f.nodeAgent?.podInProgressTimeout ? { podInProgressTimeout: f.nodeAgent.podInProgressTimeout } : {}) };
      return { ...d, datamoverBench: bench };
    },
  };
}

/** The classes, the default first (the one marked default, else the first); one Immediate class when the file has none. */
function orderedClasses(f: ScenarioFile): { name: string; volumeBindingMode?: 'Immediate' | 'WaitForFirstConsumer' }[] {
  const classes = f.storageClasses ?? [{ name: DEFAULT_CLASS, volumeBindingMode: 'Immediate' as const }];
  const i = Math.max(0, classes.findIndex((c) => c.default));
  return [classes[i], ...classes.filter((_, j) => j !== i)].map((c) => ({ name: c.name, ...(c.volumeBindingMode ? { volumeBindingMode: c.volumeBindingMode } : {}) }));
}

/** Single PVCs as written; groups drawn from the seed (pvc-groups.ts), in the file's order. */
function filePvcs(entries: ScenarioFile['pvcs'], seed: number): Experiment['pvcs'] {
  const groups = entries.filter((e): e is PvcGroupFile => 'count' in e);
  const drawn = generatePvcs(groups.map((g): PvcGroup => ({ count: g.count, namespaces: g.namespaces, gib: gibDistribution(g.size), ...(g.storageClass ? { storageClass: g.storageClass } : {}) })), seed);
  let next = 0;
  return entries.flatMap((e) => {
    if (!('count' in e)) {
      const p = e as PvcFile;
      const place = p.zone ?? p.node;
      return [{ namespace: p.namespace, name: p.name, size: p.size, ...(p.storageClass ? { storageClass: p.storageClass } : {}), ...(place ? { place } : {}) }];
    }
    const mine = drawn.slice(next, next + e.count);
    next += e.count;
    return mine;
  });
}

function gibDistribution(s: SizeDistribution): Distribution {
  const gib = (q: string) => parseBytes(q) / GiB;
  switch (s.distribution) {
    case 'fixed':
      return { kind: 'fixed', value: gib(s.size) };
    case 'uniform':
      return { kind: 'uniform', min: gib(s.min), max: gib(s.max) };
    case 'lognormal':
      return { kind: 'lognormal', median: gib(s.median), sigma: s.sigma, ...(s.min ? { min: gib(s.min) } : {}), ...(s.max ? { max: gib(s.max) } : {}) };
  }
}

/** "configured", undefined for "all" (no loadAffinity), or the matchLabels of "key=value[,key=value]". */
function dataMoverNodes(raw: string): 'configured' | Record<string, string> | undefined {
  if (raw === 'configured') return 'configured';
  if (raw === 'all') return undefined;
  const bad = () => {
    throw new ParamError(`--data-mover-nodes: ${JSON.stringify(raw)} is not accepted: configured, all, or a label selector key=value[,key=value]`);
  };
  const labels: Record<string, string> = {};
  for (const term of raw.split(',')) {
    const [key, value, ...more] = term.split('=');
    if (value === undefined || more.length || validateQualifiedName(key).length || validateLabelValue(value).length) return bad();
    labels[key] = value;
  }
  return labels;
}

function quantityParam(v: ParamValues, name: string): string | undefined {
  const raw = String(v[name]);
  if (raw === NONE) return undefined;
  try {
    parseBytes(raw, `--${name}`);
  } catch {
    throw new ParamError(`--${name}: ${JSON.stringify(raw)} is not accepted: a quantity such as 500m, 1 or 1Gi, or "none"`);
  }
  return raw;
}
