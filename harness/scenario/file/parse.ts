// Checks a scenario file (format.ts) before anything runs. Every field is checked; the first
// problem is thrown as a ScenarioFileError naming the file, the path (`pvcs[3].size`), the value
// and what is accepted. What the project already checks elsewhere (node pools, the node-agent
// ConfigMap, faults) is checked by the same code, its message given this file's paths.
import { parseAllDocuments } from 'yaml';
import { ConfigError, parseConfigMapData, parseNodeAgentConfig } from '../../../controller/config.ts';
import { DurationError, parseGoDuration } from '../../../controller/duration.ts';
import { FLOW_NAMES } from '../../../controller/flows/types.ts';
import { parseBytes } from '../../../controller/quantity.ts';
import { validateDns1123Label, validateDns1123Subdomain } from '../../apiserver/names.ts';
import { FaultError, parseFaults } from '../../chaos/faults.ts';
import { STORAGE_TOPOLOGIES } from '../../sim/context.ts';
import { expandNodePools, NodePoolError, ZONE_LABEL, type NodePoolDecl } from '../../sim/nodes.ts';
import { faultNodes } from '../../run/targets/embedded.ts';
import { SCENARIO_FILE_API_VERSION, SCENARIO_FILE_KIND, type NodePoolFile, type ScenarioFile } from './format.ts';

export class ScenarioFileError extends Error {
  constructor(
    readonly source: string,
    readonly path: string,
    readonly value: unknown,
    readonly accepted: string,
  ) {
    super(`${source}: ${path}: ${show(value)} is not accepted: ${accepted}`);
    this.name = 'ScenarioFileError';
  }

  /** A message already in the path: value: accepted form (a fault's, a node pool's), given the file's name. */
  static of(source: string, message: string): ScenarioFileError {
    const e = new ScenarioFileError(source, '', undefined, '');
    e.message = `${source}: ${message}`;
    return e;
  }
}

function show(v: unknown): string {
  if (v === undefined) return '(missing)';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** The top-level fields, in the order the reference lists them. */
export const FILE_FIELDS = [
  'apiVersion', 'kind', 'metadata', 'flows', 'nodes', 'storageClasses', 'storageTopology', 'pvcs',
  'nodeAgentConfigMap', 'nodeAgentConfig', 'nodeAgent', 'server', 'backups', 'resourceQuotas',
  'faults', 'gates', 'dataPath', 'deadline',
] as const;
export const POOL_FIELDS = ['name', 'count', 'names', 'capacity', 'allocatable', 'labels', 'taints', 'zones', 'bandwidthMiBps', 'instanceType'] as const;
const GATE_OPS = ['<=', '<', '>=', '>', '=='];
const DISTRIBUTIONS = ['lognormal', 'fixed', 'uniform'];

type Obj = Record<string, unknown>;
type Bad = (path: string, value: unknown, accepted: string) => never;

/** The text of a scenario file (YAML, of which JSON is a part), checked; `source` names it in errors. */
export function parseScenarioFile(text: string, source: string): ScenarioFile {
  const bad: Bad = (path, value, accepted) => {
    throw new ScenarioFileError(source, path, value, accepted);
  };
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.length !== 1) bad('(file)', `${Array.isArray(docs) ? docs.length : 0} documents`, 'one YAML or JSON document');
  const [doc] = docs as Exclude<typeof docs, { empty: true }>;
  const [problem] = doc.errors;
  if (problem) bad('(file)', problem.linePos ? `line ${problem.linePos[0].line}, column ${problem.linePos[0].col}` : '', `YAML or JSON (${problem.message.split('\n')[0]})`);
  return checkScenarioFile(doc.toJS(), source);
}

/** A scenario file's document, already parsed, checked. */
export function checkScenarioFile(raw: unknown, source: string): ScenarioFile {
  const bad: Bad = (path, value, accepted) => {
    throw new ScenarioFileError(source, path, value, accepted);
  };
  const d = object(raw, '(document)', bad, 'a scenario: apiVersion, kind, metadata, nodes, pvcs, ...');
  knownKeys(d, '', FILE_FIELDS, bad);
  if (d.apiVersion !== SCENARIO_FILE_API_VERSION) bad('apiVersion', d.apiVersion, SCENARIO_FILE_API_VERSION);
  if (d.kind !== SCENARIO_FILE_KIND) bad('kind', d.kind, SCENARIO_FILE_KIND);
  const meta = object(d.metadata, 'metadata', bad, '{ name, description? }');
  knownKeys(meta, 'metadata', ['name', 'description'], bad);
  dnsLabel(meta.name, 'metadata.name', bad);
  if (meta.description !== undefined && typeof meta.description !== 'string') bad('metadata.description', meta.description, 'a string');
  if (d.flows !== undefined) {
    const flows = list(d.flows, 'flows', bad, `a list of flows, of ${FLOW_NAMES.join(', ')}`);
    if (!flows.length) bad('flows', d.flows, `at least one of ${FLOW_NAMES.join(', ')}`);
    flows.forEach((f, i) => {
      if (!FLOW_NAMES.includes(f as never)) bad(`flows[${i}]`, f, `one of ${FLOW_NAMES.join(', ')}`);
      if (flows.indexOf(f) !== i) bad(`flows[${i}]`, f, 'a flow not already listed');
    });
  }

  const pools = checkNodes(d.nodes, source, bad);
  const classes = checkStorageClasses(d.storageClasses, bad);
  if (d.storageTopology !== undefined && !STORAGE_TOPOLOGIES.includes(d.storageTopology as never)) bad('storageTopology', d.storageTopology, `one of ${STORAGE_TOPOLOGIES.join(', ')}`);
  if (d.storageTopology === 'zonal' && !(d.nodes as NodePoolFile[]).some((p) => p.zones?.length || p.labels?.[ZONE_LABEL])) {
    bad('storageTopology', d.storageTopology, `zonal needs node pools with zones (nodes[i].zones or the ${ZONE_LABEL} label)`);
  }
  const namespaces = checkPvcs(d.pvcs, classes, placesOf(pools, d.storageTopology as string | undefined), bad);

  if (d.nodeAgentConfigMap !== undefined && d.nodeAgentConfig !== undefined) bad('nodeAgentConfig', d.nodeAgentConfig, 'nothing when nodeAgentConfigMap is given: one of the two');
  if (d.nodeAgentConfigMap !== undefined) {
    const cm = object(d.nodeAgentConfigMap, 'nodeAgentConfigMap', bad, 'the ConfigMap as kubectl get configmap -o yaml prints it');
    if (cm.kind !== 'ConfigMap') bad('nodeAgentConfigMap.kind', cm.kind, 'ConfigMap');
    if (cm.apiVersion !== undefined && cm.apiVersion !== 'v1') bad('nodeAgentConfigMap.apiVersion', cm.apiVersion, 'v1');
    const key = isPlain(cm.data) && Object.keys(cm.data).length === 1 ? Object.keys(cm.data)[0] : undefined;
    configError('nodeAgentConfigMap', key === undefined ? '' : `nodeAgentConfigMap.data[${JSON.stringify(key)}]`, bad, () => parseConfigMapData(cm.data as Record<string, string>, source));
  }
  if (d.nodeAgentConfig !== undefined) {
    const doc = object(d.nodeAgentConfig, 'nodeAgentConfig', bad, "the node-agent JSON document (Velero's NodeAgentConfigs)");
    configError('nodeAgentConfig', 'nodeAgentConfig', bad, () => parseNodeAgentConfig(doc, source));
  }
  if (d.nodeAgent !== undefined) {
    const na = object(d.nodeAgent, 'nodeAgent', bad, '{ prepareTimeout?, podInProgressTimeout? }');
    knownKeys(na, 'nodeAgent', ['prepareTimeout', 'podInProgressTimeout'], bad);
    if (na.prepareTimeout !== undefined) duration(na.prepareTimeout, 'nodeAgent.prepareTimeout', bad);
    if (na.podInProgressTimeout !== undefined) duration(na.podInProgressTimeout, 'nodeAgent.podInProgressTimeout', bad);
  }
  if (d.server !== undefined) {
    const s = object(d.server, 'server', bad, '{ itemOperationTimeout?, concurrentBackups? }');
    knownKeys(s, 'server', ['itemOperationTimeout', 'concurrentBackups'], bad);
    if (s.itemOperationTimeout !== undefined) duration(s.itemOperationTimeout, 'server.itemOperationTimeout', bad);
    if (s.concurrentBackups !== undefined) whole(s.concurrentBackups, 'server.concurrentBackups', bad, 1, 100);
  }
  if (d.backups !== undefined) checkBackups(d.backups, namespaces, bad);
  if (d.resourceQuotas !== undefined) {
    const names = new Set<string>();
    list(d.resourceQuotas, 'resourceQuotas', bad, 'a list of { name, hard }').forEach((q, i) => {
      const at = `resourceQuotas[${i}]`;
      const o = object(q, at, bad, '{ name, hard }');
      knownKeys(o, at, ['name', 'hard'], bad);
      subdomain(o.name, `${at}.name`, bad);
      if (names.has(o.name as string)) bad(`${at}.name`, o.name, 'a name no other quota has');
      names.add(o.name as string);
      const hard = object(o.hard, `${at}.hard`, bad, 'a map of resource names (requests.cpu, pods, requests.storage, ...) to quantities');
      for (const [k, v] of Object.entries(hard)) quantity(v, `${at}.hard[${k}]`, bad);
    });
  }
  if (d.faults !== undefined) {
    try {
      parseFaults(d.faults, faultNodes(pools));
    } catch (e) {
      if (!(e instanceof FaultError)) throw e;
      throw ScenarioFileError.of(source, e.message);
    }
  }
  if (d.gates !== undefined) checkGates(d.gates, (d.flows as string[] | undefined) ?? [...FLOW_NAMES], bad);
  if (d.dataPath !== undefined) {
    const dp = object(d.dataPath, 'dataPath', bad, '{ perMoverMiBps?, nodeMiBps? }');
    knownKeys(dp, 'dataPath', ['perMoverMiBps', 'nodeMiBps'], bad);
    for (const k of ['perMoverMiBps', 'nodeMiBps']) if (dp[k] !== undefined) positive(dp[k], `dataPath.${k}`, bad);
  }
  if (d.deadline !== undefined) duration(d.deadline, 'deadline', bad);
  return d as unknown as ScenarioFile;
}

/** The pools as the embedded cluster declares them. */
export function nodePoolsOf(pools: NodePoolFile[]): NodePoolDecl[] {
  return pools.map((p) => ({
    ...(p.names ? { names: p.names } : { count: p.count, namePrefix: p.name }),
    capacity: { pods: '110', ...p.capacity },
    ...(p.allocatable ? { allocatable: p.allocatable } : {}),
    ...(p.labels ? { labels: p.labels } : {}),
    ...(p.taints ? { taints: p.taints } : {}),
    ...(p.zones ? { zones: p.zones } : {}),
    ...(p.bandwidthMiBps !== undefined ? { dataMiBps: p.bandwidthMiBps } : {}),
    ...(p.instanceType ? { instanceType: p.instanceType } : {}),
  }));
}

function checkNodes(raw: unknown, source: string, bad: Bad): NodePoolDecl[] {
  const pools = list(raw, 'nodes', bad, 'a list of node pools: { name, count, capacity, labels?, taints?, ... }');
  if (!pools.length) bad('nodes', raw, 'at least one node pool');
  const names = new Set<string>();
  pools.forEach((p, i) => {
    const at = `nodes[${i}]`;
    const o = object(p, at, bad, '{ name, count or names, capacity, ... }');
    knownKeys(o, at, POOL_FIELDS, bad);
    dnsLabel(o.name, `${at}.name`, bad);
    if (names.has(o.name as string)) bad(`${at}.name`, o.name, 'a name no other pool has');
    names.add(o.name as string);
    if ((o.count === undefined) === (o.names === undefined)) bad(`${at}.count`, o.count, 'exactly one of count (nodes <name>-1 ...) or names (the nodes, by name)');
    if (o.count !== undefined) whole(o.count, `${at}.count`, bad, 1, 5000);
    if (o.names !== undefined) list(o.names, `${at}.names`, bad, 'a list of node names').forEach((n, j) => subdomain(n, `${at}.names[${j}]`, bad));
    const cap = object(o.capacity, `${at}.capacity`, bad, '{ cpu, memory, pods?, ephemeral-storage? }');
    for (const k of ['cpu', 'memory']) if (cap[k] === undefined) bad(`${at}.capacity.${k}`, undefined, 'a quantity (required)');
    if (o.bandwidthMiBps !== undefined) positive(o.bandwidthMiBps, `${at}.bandwidthMiBps`, bad);
    if (o.zones !== undefined) {
      const zones = list(o.zones, `${at}.zones`, bad, 'a list of zone names');
      if (!zones.length) bad(`${at}.zones`, o.zones, 'at least one zone, or no zones field');
    }
  });
  const decls = nodePoolsOf(pools as unknown as NodePoolFile[]);
  try {
    expandNodePools(decls);
  } catch (e) {
    if (!(e instanceof NodePoolError)) throw e;
    // The first problem, in this file's terms.
    const first = e.message.split('\n').map((l) => l.trim()).find((l) => l.startsWith('nodePools[')) ?? e.message;
    const m = /^nodePools\[(\d+)\]\.?([^:]*): (.*)$/.exec(first);
    if (!m) bad('nodes', raw, first);
    const field = m![2].replace(/^namePrefix/, 'name').replace(/^dataMiBps/, 'bandwidthMiBps');
    const rest = m![3];
    throw ScenarioFileError.of(source, `nodes[${m![1]}]${field ? `.${field}` : ''}: ${rest}`);
  }
  return decls;
}

function checkStorageClasses(raw: unknown, bad: Bad): Set<string> {
  if (raw === undefined) return new Set(['csi-hostpath-sc']);
  const classes = list(raw, 'storageClasses', bad, 'a list of { name, volumeBindingMode?, default? }');
  if (!classes.length) bad('storageClasses', raw, 'at least one StorageClass, or no storageClasses field (one Immediate class)');
  const names = new Set<string>();
  let defaults = 0;
  classes.forEach((c, i) => {
    const at = `storageClasses[${i}]`;
    const o = object(c, at, bad, '{ name, volumeBindingMode?, default? }');
    knownKeys(o, at, ['name', 'volumeBindingMode', 'default'], bad);
    subdomain(o.name, `${at}.name`, bad);
    if (names.has(o.name as string)) bad(`${at}.name`, o.name, 'a name no other StorageClass has');
    names.add(o.name as string);
    if (o.volumeBindingMode !== undefined && o.volumeBindingMode !== 'Immediate' && o.volumeBindingMode !== 'WaitForFirstConsumer') bad(`${at}.volumeBindingMode`, o.volumeBindingMode, 'Immediate or WaitForFirstConsumer');
    if (o.default !== undefined && typeof o.default !== 'boolean') bad(`${at}.default`, o.default, 'true or false');
    if (o.default === true && ++defaults > 1) bad(`${at}.default`, o.default, 'false: another class is already the default');
  });
  return names;
}

/** Returns the PVCs' namespaces (a group's counted namespaces by their generated names are not known here: "*"). */
/** The zones (zonal) or nodes (node-local) a PVC may be placed in; none without a topology. */
function placesOf(pools: NodePoolDecl[], topology: string | undefined): { field: 'zone' | 'node'; places: string[] } | undefined {
  const nodes = expandNodePools(pools);
  if (topology === 'zonal') return { field: 'zone', places: [...new Set(nodes.map((n) => n.labels[ZONE_LABEL]).filter((z): z is string => !!z))].sort() };
  if (topology === 'node-local') return { field: 'node', places: nodes.map((n) => n.name) };
  return undefined;
}

function checkPvcs(raw: unknown, classes: Set<string>, where: ReturnType<typeof placesOf>, bad: Bad): { names: Set<string>; generated: boolean } {
  const entries = list(raw, 'pvcs', bad, 'a list of PVCs ({ namespace, name, size }) and groups ({ count, namespaces, size: { distribution, ... } })');
  if (!entries.length) bad('pvcs', raw, 'at least one PVC or group');
  const seen = new Set<string>();
  const namespaces = new Set<string>();
  let generated = false;
  let total = 0;
  const sc = (v: unknown, at: string) => {
    if (v !== undefined && !classes.has(v as string)) bad(at, v, `a StorageClass of storageClasses (${[...classes].join(', ')})`);
  };
  entries.forEach((e, i) => {
    const at = `pvcs[${i}]`;
    const o = object(e, at, bad, 'a PVC { namespace, name, size } or a group { count, namespaces, size }');
    if ('count' in o) {
      knownKeys(o, at, ['count', 'namespaces', 'size', 'storageClass'], bad);
      total += whole(o.count, `${at}.count`, bad, 1, 20_000);
      if (typeof o.namespaces === 'number') {
        whole(o.namespaces, `${at}.namespaces`, bad, 1, 1000);
        generated = true;
      } else {
        const ns = list(o.namespaces, `${at}.namespaces`, bad, 'a list of namespace names, or how many');
        if (!ns.length) bad(`${at}.namespaces`, o.namespaces, 'at least one namespace');
        ns.forEach((n, j) => {
          dnsLabel(n, `${at}.namespaces[${j}]`, bad);
          namespaces.add(n as string);
        });
      }
      checkSize(o.size, `${at}.size`, bad);
      sc(o.storageClass, `${at}.storageClass`);
    } else {
      knownKeys(o, at, ['namespace', 'name', 'size', 'storageClass', 'zone', 'node'], bad);
      for (const field of ['zone', 'node'] as const) {
        if (o[field] === undefined) continue;
        if (where?.field !== field) bad(`${at}.${field}`, o[field], `nothing: a volume's ${field} is for storageTopology ${field === 'zone' ? 'zonal' : 'node-local'}`);
        if (!where!.places.includes(o[field] as string)) bad(`${at}.${field}`, o[field], `a ${field} of the nodes (${where!.places.join(', ')})`);
      }
      dnsLabel(o.namespace, `${at}.namespace`, bad);
      subdomain(o.name, `${at}.name`, bad);
      const key = `${o.namespace}/${o.name}`;
      if (seen.has(key)) bad(`${at}.name`, o.name, `a name no other PVC of namespace ${o.namespace} has`);
      seen.add(key);
      namespaces.add(o.namespace as string);
      const bytes = quantity(o.size, `${at}.size`, bad);
      if (bytes <= 0) bad(`${at}.size`, o.size, 'a size above 0, such as 20Gi');
      sc(o.storageClass, `${at}.storageClass`);
      total++;
    }
  });
  if (total > 20_000) bad('pvcs', `${total} PVCs`, 'at most 20000 PVCs in all');
  return { names: namespaces, generated };
}

function checkSize(raw: unknown, at: string, bad: Bad): void {
  const o = object(raw, at, bad, '{ distribution: lognormal, median, sigma, min?, max? }, { distribution: fixed, size } or { distribution: uniform, min, max }');
  if (!DISTRIBUTIONS.includes(o.distribution as string)) bad(`${at}.distribution`, o.distribution, `one of ${DISTRIBUTIONS.join(', ')}`);
  const size = (k: string, required: boolean) => {
    if (o[k] === undefined) return required ? bad(`${at}.${k}`, undefined, 'a quantity such as 20Gi (required)') : undefined;
    const b = quantity(o[k], `${at}.${k}`, bad);
    if (b <= 0) bad(`${at}.${k}`, o[k], 'a size above 0, such as 20Gi');
    return b;
  };
  if (o.distribution === 'fixed') {
    knownKeys(o, at, ['distribution', 'size'], bad);
    size('size', true);
  } else if (o.distribution === 'uniform') {
    knownKeys(o, at, ['distribution', 'min', 'max'], bad);
    if (size('min', true)! > size('max', true)!) bad(`${at}.max`, o.max, `a size at least min (${o.min})`);
  } else {
    knownKeys(o, at, ['distribution', 'median', 'sigma', 'min', 'max'], bad);
    size('median', true);
    if (typeof o.sigma !== 'number' || !(o.sigma >= 0 && o.sigma <= 5)) bad(`${at}.sigma`, o.sigma, 'a number from 0 to 5 (0.6 is a realistic spread)');
    const min = size('min', false);
    const max = size('max', false);
    if (min !== undefined && max !== undefined && min > max) bad(`${at}.max`, o.max, `a size at least min (${o.min})`);
  }
}

function checkBackups(raw: unknown, namespaces: { names: Set<string>; generated: boolean }, bad: Bad): void {
  const backups = list(raw, 'backups', bad, 'a list of { name, includedNamespaces, startAfter? }');
  if (!backups.length) bad('backups', raw, 'at least one backup, or no backups field (one backup of every PVC)');
  const names = new Set<string>();
  const covered = new Set<string>();
  backups.forEach((b, i) => {
    const at = `backups[${i}]`;
    const o = object(b, at, bad, '{ name, includedNamespaces, startAfter? }');
    knownKeys(o, at, ['name', 'includedNamespaces', 'startAfter'], bad);
    dnsLabel(o.name, `${at}.name`, bad);
    if ((o.name as string).length > 40) bad(`${at}.name`, o.name, 'at most 40 characters (the bench adds a suffix per run)');
    if (names.has(o.name as string)) bad(`${at}.name`, o.name, 'a name no other backup has');
    names.add(o.name as string);
    const ns = list(o.includedNamespaces, `${at}.includedNamespaces`, bad, 'a list of the PVCs’ namespaces');
    if (!ns.length) bad(`${at}.includedNamespaces`, o.includedNamespaces, 'at least one namespace');
    ns.forEach((n, j) => {
      if (!namespaces.generated && !namespaces.names.has(n as string)) bad(`${at}.includedNamespaces[${j}]`, n, `a namespace of the PVCs (${[...namespaces.names].sort().join(', ')})`);
      covered.add(n as string);
    });
    if (o.startAfter !== undefined) duration(o.startAfter, `${at}.startAfter`, bad, true);
  });
  if (namespaces.generated) bad('backups', raw, 'nothing with a PVC group whose namespaces are counted: list the group’s namespaces by name');
}

function checkGates(raw: unknown, flows: string[], bad: Bad): void {
  list(raw, 'gates', bad, 'a list of { figure, flow, op, value }').forEach((g, i) => {
    const at = `gates[${i}]`;
    const o = object(g, at, bad, '{ figure, flow, op, value }');
    if ('baseline' in o) bad(`${at}.baseline`, o.baseline, 'nothing: a scenario file has no baseline; use value, a number or { figure, flow? }');
    knownKeys(o, at, ['figure', 'flow', 'op', 'value'], bad);
    if (typeof o.figure !== 'string' || !/^[a-zA-Z]+(\.[a-zA-Z0-9]+)*$/.test(o.figure)) bad(`${at}.figure`, o.figure, 'a figure of the results, such as timeouts, idleCpuCoreSeconds or latencySeconds.p95 (docs/design.md section 4)');
    if (!flows.includes(o.flow as string)) bad(`${at}.flow`, o.flow, `a flow the file runs (${flows.join(', ')})`);
    if (!GATE_OPS.includes(o.op as string)) bad(`${at}.op`, o.op, `one of ${GATE_OPS.join(' ')}`);
    if (typeof o.value === 'number') {
      if (!Number.isFinite(o.value)) bad(`${at}.value`, o.value, 'a finite number');
    } else {
      const v = object(o.value, `${at}.value`, bad, 'a number, or { figure, flow? }: another figure of this run');
      knownKeys(v, `${at}.value`, ['figure', 'flow'], bad);
      if (typeof v.figure !== 'string') bad(`${at}.value.figure`, v.figure, 'a figure of the results');
      if (v.flow !== undefined && !flows.includes(v.flow as string)) bad(`${at}.value.flow`, v.flow, `a flow the file runs (${flows.join(', ')})`);
    }
  });
}

// ---- small checks ------------------------------------------------------------------------------

function object(v: unknown, path: string, bad: Bad, accepted: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(path, v, accepted);
  return v as Obj;
}

function list(v: unknown, path: string, bad: Bad, accepted: string): unknown[] {
  if (!Array.isArray(v)) bad(path, v, accepted);
  return v as unknown[];
}

function knownKeys(o: Obj, path: string, keys: readonly string[], bad: Bad): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) bad(path ? `${path}.${k}` : k, o[k], `not a field here; the fields are ${keys.join(', ')}`);
}

function dnsLabel(v: unknown, path: string, bad: Bad): void {
  if (typeof v !== 'string') bad(path, v, 'a name: lower-case letters, digits and -, at most 63 characters');
  const errs = validateDns1123Label(v as string);
  if (errs.length) bad(path, v, errs[0]);
}

function subdomain(v: unknown, path: string, bad: Bad): void {
  if (typeof v !== 'string') bad(path, v, 'a name: lower-case letters, digits, - and ., at most 253 characters');
  const errs = validateDns1123Subdomain(v as string);
  if (errs.length) bad(path, v, errs[0]);
}

function whole(v: unknown, path: string, bad: Bad, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(path, v, `a whole number from ${min} to ${max}`);
  return v as number;
}

function positive(v: unknown, path: string, bad: Bad): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) bad(path, v, 'a number above 0');
}

function quantity(v: unknown, path: string, bad: Bad): number {
  if (typeof v !== 'string' && typeof v !== 'number') bad(path, v, 'a quantity such as 20Gi, 500Mi or 1');
  try {
    return parseBytes(v as string, path);
  } catch {
    return bad(path, v, 'a quantity such as 20Gi, 500Mi or 1');
  }
}

function duration(v: unknown, path: string, bad: Bad, zeroOk = false): number {
  let ms: number;
  try {
    ms = parseGoDuration(v as string, path);
  } catch (e) {
    if (e instanceof DurationError) return bad(path, v, e.accepted);
    throw e;
  }
  if (ms < 0 || (!zeroOk && ms === 0)) bad(path, v, `a Go duration ${zeroOk ? 'of 0s or more' : 'above 0'}, such as 30m or 4h`);
  return ms;
}

/** A node-agent config refused: its field under `document` (the JSON document's path in this file), or the ConfigMap's own (data). */
function configError(configMap: string, document: string, bad: Bad, f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    if (e.field.startsWith('data')) return bad(`${configMap}.${e.field}`, e.value, e.accepted);
    bad(e.field === '(document)' ? document : `${document}.${e.field}`, e.value, e.accepted);
  }
}

function isPlain(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
