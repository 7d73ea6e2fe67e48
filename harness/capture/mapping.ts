// What capture read, as a scenario file (harness/scenario/file/format.ts): a pure function of
// the objects the API served. The rules and why are docs/capture.md's; in short:
// - nodes -> pools of identical capacity, allocatable, labels and taints, less what names one
//   node (kubernetes.io/hostname, a label whose value is the node's name), the zone (-> zones)
//   and the node lifecycle's node.kubernetes.io/* taints;
// - PVCs -> only those Velero's CSI data mover would move: Bound, on a CSI PV, whose
//   StorageClass's provisioner has a VolumeSnapshotClass Velero would pick; sized by
//   status.capacity;
// - the node-agent ConfigMap -> as it is, with the names it shares with the file mapped to
//   their aliases (configmap.ts);
// - Schedules -> backups over the captured namespaces they include.
// Names are aliased unless keepNames: stable, since each kind is numbered in sorted real-name order.
import type { V1Node, V1PersistentVolume, V1PersistentVolumeClaim, V1StorageClass, V1Taint } from '@kubernetes/client-node';
import type { VolumeSnapshotClass } from '../../controller/api/snapshot.ts';
import { formatGoDuration, parseGoDuration } from '../../controller/duration.ts';
import { parseBytes } from '../../controller/quantity.ts';
import type { StorageTopology } from '../sim/context.ts';
import type { Taint, TaintEffect } from '../sim/nodes.ts';
import {
  SCENARIO_FILE_API_VERSION,
  SCENARIO_FILE_KIND,
  type BackupFile,
  type NodePoolFile,
  type PvcFile,
  type ScenarioFile,
  type StorageClassFile,
} from '../scenario/file/format.ts';
import { HOSTNAME_LABEL, mapNodeAgentDocument } from './configmap.ts';
import { flagOf, type ClusterRead, type VeleroSchedule } from './read.ts';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';
const DEPRECATED_ZONE_LABEL = 'failure-domain.beta.kubernetes.io/zone';
const INSTANCE_TYPE_LABELS = ['node.kubernetes.io/instance-type', 'beta.kubernetes.io/instance-type'];
/** The kubelet's own labels with the values the embedded cluster's nodes get anyway (harness/sim/nodes.ts nodeObject). */
const SIMULATED_KUBELET_LABELS: Record<string, string> = {
  'kubernetes.io/os': 'linux',
  'kubernetes.io/arch': 'amd64',
  'beta.kubernetes.io/os': 'linux',
  'beta.kubernetes.io/arch': 'amd64',
};
/** Taints the node lifecycle controller and the kubelet manage (not-ready, unreachable, pressure, unschedulable). */
const LIFECYCLE_TAINT_PREFIX = 'node.kubernetes.io/';
const CONTROL_PLANE_TAINT = 'node-role.kubernetes.io/control-plane';
const DEFAULT_CLASS_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];
/** Velero picks a driver's VolumeSnapshotClass by this label, then by this annotation, then the only one (pkg/util/csi GetVolumeSnapshotClassForStorageClass). */
const VELERO_SNAPSHOT_CLASS_LABEL = 'velero.io/csi-volumesnapshot-class';
const DEFAULT_SNAPSHOT_CLASS_ANNOTATION = 'snapshot.storage.kubernetes.io/is-default-class';

export interface MapOptions {
  keepNames: boolean;
  capturedAt: Date;
  veleroNamespace: string;
  /** The --namespaces filter, if any (for the header). */
  namespaces?: string[];
}

/** Real name -> the name in the file (the same with keepNames). PVCs and their namespaces are "namespace/name". */
export interface Aliases {
  nodes: Map<string, string>;
  namespaces: Map<string, string>;
  pvcs: Map<string, string>;
  storageClasses: Map<string, string>;
  schedules: Map<string, string>;
}

/** PVCs left out for one reason, by real "namespace/name". */
export interface Skipped {
  reason: string;
  pvcs: string[];
}

export interface CaptureSummary {
  nodes: number;
  pools: number;
  pvcs: number;
  gib: number;
  namespaces: number;
  storageClasses: number;
  configMap: boolean;
  schedules: number;
  backups: number;
}

export interface Capture {
  file: ScenarioFile;
  /** The YAML header's comment lines: what was captured, what was skipped and why. */
  header: string[];
  aliases: Aliases;
  skipped: Skipped[];
  summary: CaptureSummary;
}

/** Thrown when the cluster holds nothing a scenario can run: no nodes, or no PVC Velero's data mover would move. */
export class NothingToCaptureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NothingToCaptureError';
  }
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort(byString);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** prefix-01, prefix-02 ... in sorted order of the real names; identity with keepNames. */
function aliasesFor(names: Iterable<string>, alias: (i: number, width: number) => string, keepNames: boolean): Map<string, string> {
  const list = sorted(names);
  const width = String(list.length).length;
  return new Map(list.map((n, i) => [n, keepNames ? n : alias(i + 1, width)]));
}
const numbered = (prefix: string, minWidth: number) => (i: number, width: number) => `${prefix}${String(i).padStart(Math.max(minWidth, width), '0')}`;

export function toScenarioFile(read: ClusterRead, opts: MapOptions): Capture {
  const header: string[] = [];
  const warnings: string[] = [];
  const keep = opts.keepNames;

  if (!read.nodes.length) throw new NothingToCaptureError('the cluster has no nodes: a scenario needs at least one node pool');
  const nodeAliases = aliasesFor(read.nodes.map((n) => n.metadata!.name!), numbered('node-', 2), keep);
  const classAliases = aliasesFor(read.storageClasses.map((c) => c.metadata!.name!), (i) => `sc-${i}`, keep);

  // ---- PVCs: what Velero's CSI data mover would move ----
  const { captured, skipped } = choosePvcs(read, opts.veleroNamespace, classAliases);
  if (!captured.length) {
    const why = skipped.map((s) => `${s.pvcs.length} ${s.reason}`).join('; ');
    throw new NothingToCaptureError(`no PVC to back up: of ${plural(read.pvcs.length, 'PVC')} read, none is a Bound CSI volume with a VolumeSnapshotClass Velero would use${why ? ` (${why})` : ''}`);
  }
  const namespaceAliases = aliasesFor(captured.map((c) => c.pvc.metadata!.namespace!), numbered('ns-', 2), keep);
  const pvcAliases = new Map<string, string>();
  for (const ns of namespaceAliases.keys()) {
    const names = captured.filter((c) => c.pvc.metadata!.namespace === ns).map((c) => c.pvc.metadata!.name!);
    const nsAlias = namespaceAliases.get(ns)!;
    for (const [real, alias] of aliasesFor(names, numbered(`${nsAlias}-pvc-`, 3), keep)) pvcAliases.set(`${ns}/${real}`, `${nsAlias}/${alias}`);
  }
  const entries = captured
    .map((c) => {
      const [namespace, name] = pvcAliases.get(`${c.pvc.metadata!.namespace}/${c.pvc.metadata!.name}`)!.split('/');
      const pvc: PvcFile = { namespace, name, size: c.size, storageClass: classAliases.get(c.storageClass.metadata!.name!)! };
      return { c, pvc };
    })
    .sort((a, b) => byString(a.pvc.namespace, b.pvc.namespace) || byString(a.pvc.name, b.pvc.name));
  const pvcs = entries.map((e) => e.pvc);
  const bytes = captured.reduce((s, c) => s + parseBytes(c.size, 'status.capacity.storage'), 0);

  const usedClasses = sorted(captured.map((c) => c.storageClass.metadata!.name!)).map((n) => read.storageClasses.find((c) => c.metadata!.name === n)!);
  const storageClasses: StorageClassFile[] = usedClasses
    .map((c) => ({
      name: classAliases.get(c.metadata!.name!)!,
      volumeBindingMode: (c.volumeBindingMode === 'WaitForFirstConsumer' ? 'WaitForFirstConsumer' : 'Immediate') as StorageClassFile['volumeBindingMode'],
      ...(DEFAULT_CLASS_ANNOTATIONS.some((a) => c.metadata?.annotations?.[a] === 'true') ? { default: true } : {}),
    }))
    .sort((a, b) => byString(a.name, b.name));

  // ---- nodes -> pools ----
  const pools = nodePools(read.nodes, nodeAliases, warnings);

  // ---- where volumes attach ----
  const topology = storageTopologyOf(captured.map((c) => c.pv), read.nodes, warnings);
  // Each volume where its PV says it is: its zone, or its node (by alias), so the run places it there.
  if (topology !== 'none') {
    let unplaced = 0;
    for (const { c, pvc } of entries) {
      const place = placeOf(c.pv, topology, nodeAliases);
      if (place === undefined) unplaced++;
      else Object.assign(pvc, topology === 'zonal' ? { zone: place } : { node: place });
    }
    if (unplaced) warnings.push(`${plural(unplaced, 'volume')} without a ${topology === 'zonal' ? 'zone' : 'node'} in its PV's node affinity: placed from the seed`);
  }

  // ---- the node-agent ConfigMap ----
  const configMapLines: string[] = [];
  const nodeAgentConfigMap = read.configMap ? nodeAgentConfigMapOf(read, nodeAliases, classAliases, pools.droppedLabels, keep, configMapLines, warnings) : undefined;

  // ---- Schedules -> backups, and the flags ----
  const scheduleAliases = aliasesFor((read.schedules ?? []).map((s) => s.metadata.name!), (i) => `schedule-${i}`, keep);
  const { backups, timeouts, lines: scheduleLines } = backupsOf(read.schedules ?? [], scheduleAliases, namespaceAliases, read.veleroArgs ?? [], warnings);
  const { server, nodeAgent, lines: serverLines } = flagsOf(read, timeouts, warnings);

  const file: ScenarioFile = {
    apiVersion: SCENARIO_FILE_API_VERSION,
    kind: SCENARIO_FILE_KIND,
    metadata: {
      name: dnsLabel(read.context) || 'capture',
      description: `Captured ${opts.capturedAt.toISOString()} from context ${read.context || '(none)'} by npm run capture${keep ? '' : ', names aliased'}`,
    },
    nodes: pools.pools,
    storageClasses,
    storageTopology: topology,
    pvcs,
    ...(nodeAgentConfigMap ? { nodeAgentConfigMap } : {}),
    ...(nodeAgent ? { nodeAgent } : {}),
    ...(Object.keys(server).length ? { server } : {}),
    ...(backups.length ? { backups } : {}),
  };

  // ---- the header ----
  const gib = bytes / 1024 ** 3;
  header.push(`Captured by npm run capture from context ${read.context || '(none)'} at ${opts.capturedAt.toISOString()}, with list and get requests only.`);
  header.push(
    `Read: ${plural(read.nodes.length, 'node')}, ${plural(read.pvcs.length, 'PVC')} (${opts.namespaces ? `namespaces ${opts.namespaces.map((n) => namespaceAliases.get(n) ?? (keep ? n : '(not captured)')).join(', ')}` : 'all namespaces'}), ` +
      `${plural(read.pvs.length, 'PV')}, ${plural(read.storageClasses.length, 'StorageClass', 'StorageClasses')}, ` +
      `${read.snapshotClasses ? plural(read.snapshotClasses.length, 'VolumeSnapshotClass', 'VolumeSnapshotClasses') : 'no VolumeSnapshotClass API'}, ` +
      `${read.configMap ? `ConfigMap ${opts.veleroNamespace}/${read.configMapName}${read.configMapNameFrom === 'node-agent flag' ? ' (the node-agent\'s --node-agent-configmap)' : ''}` : `no ConfigMap ${opts.veleroNamespace}/${read.configMapName}`}, ` +
      `${read.schedules ? plural(read.schedules.length, 'Schedule') : 'no Schedule CRD'}, ` +
      `${[read.veleroArgs && "the velero Deployment's flags", read.nodeAgentArgs && "the node-agent DaemonSet's flags"].filter(Boolean).join(' and ') || 'neither the velero Deployment nor the node-agent DaemonSet'}.`,
  );
  for (const n of read.notes) header.push(`Not read: ${n}.`);
  if (!keep) header.push('Names are aliases (--keep-names keeps the real ones): nodes node-NN, namespaces ns-NN, PVCs <namespace>-pvc-NNN, StorageClasses sc-N, Schedules schedule-N, each numbered in sorted order of the real names.');
  header.push(`Nodes: ${plural(read.nodes.length, 'node')} in ${plural(pools.pools.length, 'pool')} of identical capacity, allocatable, labels and taints.`);
  header.push(...pools.lines);
  header.push(
    `PVCs: ${plural(pvcs.length, 'PVC')}, ${formatGiB(gib)} GiB, in ${plural(namespaceAliases.size, 'namespace')}, of ${plural(storageClasses.length, 'StorageClass', 'StorageClasses')}; storage topology ${topology}.`,
  );
  header.push('Sizes are provisioned sizes (status.capacity): the API does not see the bytes used, so they are an upper bound on the data moved.');
  for (const s of skipped) header.push(`Skipped ${plural(s.pvcs.length, 'PVC')}: ${s.reason}.`);
  header.push('Not visible through the API: node bandwidth (bandwidthMiBps left out: the dataPath defaults apply), bytes used, the node-agent\'s in-memory state.');
  header.push(...configMapLines, ...scheduleLines, ...serverLines);
  for (const w of warnings) header.push(`Warning: ${w}`);

  return {
    file,
    header,
    aliases: { nodes: nodeAliases, namespaces: namespaceAliases, pvcs: pvcAliases, storageClasses: classAliases, schedules: scheduleAliases },
    skipped,
    summary: {
      nodes: read.nodes.length,
      pools: pools.pools.length,
      pvcs: pvcs.length,
      gib,
      namespaces: namespaceAliases.size,
      storageClasses: storageClasses.length,
      configMap: !!nodeAgentConfigMap,
      schedules: read.schedules?.length ?? 0,
      backups: backups.length,
    },
  };
}

// ---- PVCs -------------------------------------------------------------------------------------

interface CapturedPvc {
  pvc: V1PersistentVolumeClaim;
  pv: V1PersistentVolume;
  storageClass: V1StorageClass;
  size: string;
}

function choosePvcs(read: ClusterRead, veleroNamespace: string, classAliases: Map<string, string>): { captured: CapturedPvc[]; skipped: Skipped[] } {
  const pvs = new Map(read.pvs.map((pv) => [pv.metadata!.name!, pv]));
  const classes = new Map(read.storageClasses.map((c) => [c.metadata!.name!, c]));
  const reasons = new Map<string, string[]>();
  const skip = (reason: string, pvc: V1PersistentVolumeClaim) => {
    const list = reasons.get(reason) ?? [];
    list.push(`${pvc.metadata!.namespace}/${pvc.metadata!.name}`);
    reasons.set(reason, list);
  };
  const captured: CapturedPvc[] = [];
  for (const pvc of read.pvcs) {
    if (pvc.metadata!.namespace === veleroNamespace) {
      skip(`in Velero's namespace ${veleroNamespace} (the data movers' own backup PVCs live there)`, pvc);
      continue;
    }
    const phase = pvc.status?.phase ?? 'Pending';
    if (phase !== 'Bound') {
      skip(`not Bound (phase ${phase}): Velero backs up a PVC's volume only once it is bound`, pvc);
      continue;
    }
    const pv = pvs.get(pvc.spec?.volumeName ?? '');
    if (!pv) {
      skip('bound to a PV the cluster did not list', pvc);
      continue;
    }
    if (!pv.spec?.csi) {
      skip(`not on a CSI volume (the PV has no spec.csi): Velero's CSI data mover moves CSI volumes only`, pvc);
      continue;
    }
    const className = pvc.spec?.storageClassName || pv.spec.storageClassName;
    const sc = className ? classes.get(className) : undefined;
    if (!sc) {
      skip(`${className ? 'of a StorageClass the cluster does not have' : 'without a StorageClass'}: Velero finds the VolumeSnapshotClass through the class's provisioner`, pvc);
      continue;
    }
    const why = snapshotClassProblem(sc.provisioner, read.snapshotClasses);
    if (why) {
      skip(`of StorageClass ${classAliases.get(sc.metadata!.name!)}: ${why} (Velero's CSI snapshot would fail: "failed to get VolumeSnapshotClass")`, pvc);
      continue;
    }
    const size = pvc.status?.capacity?.storage ?? pvc.spec?.resources?.requests?.storage;
    if (!size) {
      skip('Bound without status.capacity.storage or a storage request', pvc);
      continue;
    }
    captured.push({ pvc, pv, storageClass: sc, size });
  }
  const skipped = [...reasons].map(([reason, pvcs]) => ({ reason, pvcs: pvcs.sort(byString) }));
  return { captured, skipped };
}

/** Why Velero would find no VolumeSnapshotClass for the provisioner, or undefined when it would. */
export function snapshotClassProblem(provisioner: string, classes: VolumeSnapshotClass[] | undefined): string | undefined {
  if (!classes) return 'the cluster has no VolumeSnapshotClass API (snapshot.storage.k8s.io/v1)';
  const forDriver = classes.filter((c) => c.driver === provisioner);
  if (!forDriver.length) return `no VolumeSnapshotClass for its provisioner ${provisioner}`;
  const picked = forDriver.some((c) => c.metadata.labels?.[VELERO_SNAPSHOT_CLASS_LABEL] !== undefined || c.metadata.annotations?.[DEFAULT_SNAPSHOT_CLASS_ANNOTATION] !== undefined);
  if (picked || forDriver.length === 1) return undefined;
  return `${forDriver.length} VolumeSnapshotClasses for its provisioner ${provisioner} and none labelled ${VELERO_SNAPSHOT_CLASS_LABEL} or annotated ${DEFAULT_SNAPSHOT_CLASS_ANNOTATION}`;
}

// ---- nodes ------------------------------------------------------------------------------------

interface NodeShape {
  capacity: NodePoolFile['capacity'];
  allocatable: NonNullable<NodePoolFile['allocatable']>;
  labels: Record<string, string>;
  taints: Taint[];
  instanceType?: string;
  zone?: string;
}

const RESOURCES = ['cpu', 'memory', 'pods', 'ephemeral-storage'] as const;

function resources(r: Record<string, string> | undefined): Partial<Record<(typeof RESOURCES)[number], string>> {
  const out: Partial<Record<(typeof RESOURCES)[number], string>> = {};
  for (const k of RESOURCES) if (r?.[k] !== undefined) out[k] = r[k];
  return out;
}

/** What a pool keeps of one node, and which labels and taints it dropped as naming the node or managed by Kubernetes. */
function shapeOf(node: V1Node, dropped: { labels: Map<string, string>; lifecycleTaints: number }): NodeShape {
  const name = node.metadata!.name!;
  const all = node.metadata?.labels ?? {};
  const zone = all[ZONE_LABEL] ?? all[DEPRECATED_ZONE_LABEL];
  const labels: Record<string, string> = {};
  let instanceType: string | undefined;
  for (const k of Object.keys(all).sort(byString)) {
    const v = all[k];
    if (k === HOSTNAME_LABEL) dropped.labels.set(k, 'names the node');
    else if (v === name) dropped.labels.set(k, 'its value is the node\'s name');
    else if (k === ZONE_LABEL || k === DEPRECATED_ZONE_LABEL) continue; // -> zones
    else if (zone !== undefined && v === zone && /(^|\/)zone$/.test(k)) dropped.labels.set(k, 'a copy of the node\'s zone');
    else if (INSTANCE_TYPE_LABELS.includes(k)) instanceType ??= all[INSTANCE_TYPE_LABELS[0]] ?? v;
    else if (SIMULATED_KUBELET_LABELS[k] === v) continue; // the embedded cluster's kubelet sets it
    else labels[k] = v;
  }
  const taints: Taint[] = [];
  for (const t of (node.spec?.taints ?? []) as V1Taint[]) {
    if (t.key.startsWith(LIFECYCLE_TAINT_PREFIX)) {
      dropped.lifecycleTaints++;
      continue;
    }
    taints.push({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect as TaintEffect });
  }
  taints.sort((a, b) => byString(`${a.key}=${a.value ?? ''}:${a.effect}`, `${b.key}=${b.value ?? ''}:${b.effect}`));
  return {
    capacity: resources(node.status?.capacity) as NodePoolFile['capacity'],
    allocatable: resources(node.status?.allocatable),
    labels,
    taints,
    ...(instanceType ? { instanceType } : {}),
    ...(zone !== undefined ? { zone } : {}),
  };
}

/** The shortest list `zones` such that node i is in zones[i % zones.length], as the embedded cluster spreads a pool. */
export function zoneCycle(perNode: string[]): string[] {
  for (let p = 1; p <= perNode.length; p++) if (perNode.every((z, i) => z === perNode[i % p])) return perNode.slice(0, p);
  return perNode;
}

function nodePools(nodes: V1Node[], nodeAliases: Map<string, string>, warnings: string[]): { pools: NodePoolFile[]; lines: string[]; droppedLabels: Map<string, string> } {
  const dropped = { labels: new Map<string, string>(), lifecycleTaints: 0 };
  const groups = new Map<string, { shape: NodeShape; nodes: V1Node[] }>();
  for (const node of [...nodes].sort((a, b) => byString(a.metadata!.name!, b.metadata!.name!))) {
    const shape = shapeOf(node, dropped);
    const { zone, ...same } = shape;
    const key = JSON.stringify({ ...same, zoned: zone !== undefined });
    const g = groups.get(key) ?? { shape, nodes: [] };
    g.nodes.push(node);
    groups.set(key, g);
  }
  const lines: string[] = [];
  const pools = [...groups.values()].map((g, i): NodePoolFile => {
    const name = `pool-${i + 1}`;
    const zones = g.nodes.map((n) => n.metadata?.labels?.[ZONE_LABEL] ?? n.metadata?.labels?.[DEPRECATED_ZONE_LABEL]).filter((z): z is string => z !== undefined);
    const { shape } = g;
    const controlPlane = shape.taints.some((t) => t.key === CONTROL_PLANE_TAINT);
    const blocking = shape.taints.filter((t) => t.effect !== 'PreferNoSchedule' && t.key !== CONTROL_PLANE_TAINT);
    lines.push(
      `  ${name}: ${plural(g.nodes.length, 'node')}, ${shape.capacity.cpu} CPU, ${shape.capacity.memory} memory` +
        `${shape.instanceType ? `, ${shape.instanceType}` : ''}${zones.length ? `, zones ${[...new Set(zones)].join(' ')}` : ''}` +
        `${shape.taints.length ? `, taints ${shape.taints.map(taintText).join(' ')}` : ''}${controlPlane ? ' (control plane, kept with its taints)' : ''}`,
    );
    if (blocking.length) {
      warnings.push(`${name} has the taint${blocking.length > 1 ? 's' : ''} ${blocking.map(taintText).join(', ')}: the embedded cluster's data-mover pods carry no tolerations (Velero's inherit the node-agent DaemonSet's), so none runs there`);
    }
    const unschedulable = g.nodes.filter((n) => n.spec?.unschedulable).map((n) => nodeAliases.get(n.metadata!.name!)!);
    if (unschedulable.length) warnings.push(`${unschedulable.join(', ')} ${unschedulable.length > 1 ? 'are' : 'is'} cordoned (spec.unschedulable); the scenario's nodes are not`);
    return {
      name,
      names: g.nodes.map((n) => nodeAliases.get(n.metadata!.name!)!),
      capacity: shape.capacity,
      allocatable: shape.allocatable,
      ...(Object.keys(shape.labels).length ? { labels: shape.labels } : {}),
      ...(shape.taints.length ? { taints: shape.taints } : {}),
      ...(zones.length ? { zones: zoneCycle(zones) } : {}),
      ...(shape.instanceType ? { instanceType: shape.instanceType } : {}),
    };
  });
  if (dropped.labels.size) {
    lines.push(`Dropped node labels that name one node: ${[...dropped.labels].map(([k, why]) => `${k} (${why})`).join(', ')}; ${ZONE_LABEL} became each pool's zones.`);
  }
  if (dropped.lifecycleTaints) lines.push(`Dropped ${plural(dropped.lifecycleTaints, 'taint')} the node lifecycle manages (${LIFECYCLE_TAINT_PREFIX}*).`);
  return { pools, lines, droppedLabels: dropped.labels };
}

const taintText = (t: Taint) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;

// ---- storage topology -------------------------------------------------------------------------

/** none, node-local or zonal, from the captured PVs' spec.nodeAffinity; mixed: the most common, with a warning. */
export function storageTopologyOf(pvs: V1PersistentVolume[], nodes: V1Node[], warnings: string[]): StorageTopology {
  const perNodeKeys = new Set([HOSTNAME_LABEL]);
  const zoneKeys = new Set([ZONE_LABEL, DEPRECATED_ZONE_LABEL]);
  for (const n of nodes) {
    const labels = n.metadata?.labels ?? {};
    const zone = labels[ZONE_LABEL] ?? labels[DEPRECATED_ZONE_LABEL];
    for (const [k, v] of Object.entries(labels)) {
      if (v === n.metadata!.name) perNodeKeys.add(k);
      else if (zone !== undefined && v === zone) zoneKeys.add(k);
    }
  }
  const counts: Record<StorageTopology, number> = { none: 0, zonal: 0, 'node-local': 0 };
  const unknown = new Set<string>();
  for (const pv of pvs) {
    const keys = new Set<string>();
    for (const term of pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? []) {
      for (const e of term.matchExpressions ?? []) keys.add(e.key);
      for (const f of term.matchFields ?? []) if (f.key === 'metadata.name') keys.add(HOSTNAME_LABEL);
    }
    const ks = [...keys];
    if (ks.some((k) => perNodeKeys.has(k))) counts['node-local']++;
    else if (ks.some((k) => zoneKeys.has(k) || /(^|\/)zone$/.test(k))) counts.zonal++;
    else {
      counts.none++;
      for (const k of ks) unknown.add(k);
    }
  }
  if (unknown.size) warnings.push(`PV node affinity on ${[...unknown].sort(byString).join(', ')}, which names neither a node nor a zone: counted as storage topology none`);
  // Ties go to the more restrictive topology: it is the one whose placement problems a run should show.
  const order: StorageTopology[] = ['node-local', 'zonal', 'none'];
  const chosen = order.reduce((best, t) => (counts[t] > counts[best] ? t : best), order[0]);
  const present = order.filter((t) => counts[t] > 0).sort((a, b) => counts[b] - counts[a]);
  if (present.length > 1) warnings.push(`the PVs' topologies are mixed (${present.map((t) => `${t} ${counts[t]}`).join(', ')}): the file says ${chosen}, the most common`);
  return pvs.length ? chosen : 'none';
}

/** The zone (zonal) or the node's alias (node-local) a PV's required node affinity names first. */
export function placeOf(pv: V1PersistentVolume, topology: 'zonal' | 'node-local', nodeAliases: Map<string, string>): string | undefined {
  for (const term of pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? []) {
    for (const e of term.matchExpressions ?? []) {
      if (e.operator !== 'In' || !e.values?.length) continue;
      if (topology === 'zonal' && (e.key === ZONE_LABEL || e.key === DEPRECATED_ZONE_LABEL || /(^|\/)zone$/.test(e.key))) return e.values[0];
      if (topology === 'node-local' && nodeAliases.has(e.values[0])) return nodeAliases.get(e.values[0]);
    }
    if (topology === 'node-local') for (const f of term.matchFields ?? []) if (f.key === 'metadata.name' && f.values?.length && nodeAliases.has(f.values[0])) return nodeAliases.get(f.values[0]);
  }
  return undefined;
}

// ---- the node-agent ConfigMap -----------------------------------------------------------------

function nodeAgentConfigMapOf(
  read: ClusterRead,
  nodeAliases: Map<string, string>,
  classAliases: Map<string, string>,
  droppedLabels: Map<string, string>,
  keep: boolean,
  lines: string[],
  warnings: string[],
): NonNullable<ScenarioFile['nodeAgentConfigMap']> {
  const cm = read.configMap!;
  const data: Record<string, string> = {};
  for (const [key, text] of Object.entries(cm.data ?? {})) {
    data[key] = text;
    let mapped;
    try {
      mapped = mapNodeAgentDocument(text, { nodes: nodeAliases, storageClasses: classAliases });
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      warnings.push(`the ConfigMap's data key ${key} is not JSON (${e.message}): copied unchanged`);
      continue;
    }
    if (!keep) {
      data[key] = mapped.text;
      for (const r of mapped.renamed) lines.push(`ConfigMap ${key}: ${r}.`);
    }
    for (const { at, key: label } of mapped.selectorKeys) {
      if (label !== HOSTNAME_LABEL && droppedLabels.has(label)) warnings.push(`the ConfigMap's ${at} selects on ${label}, a label that names one node and that the scenario's nodes do not carry: it matches none`);
    }
  }
  if (!keep && Object.keys(data).length) lines.push('ConfigMap data otherwise byte for byte as read.');
  if (cm.binaryData && Object.keys(cm.binaryData).length) warnings.push(`the ConfigMap's binaryData (${Object.keys(cm.binaryData).join(', ')}) is left out: Velero reads data only`);
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cm.metadata?.name, namespace: cm.metadata?.namespace }, data };
}

// ---- Schedules --------------------------------------------------------------------------------

/** Velero's namespace include/exclude patterns (pkg/util/collections IncludesExcludes): * and ? globs. */
export function namespaceMatches(pattern: string, namespace: string): boolean {
  if (pattern === '*') return true;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(namespace);
}

/** The captured namespaces a Schedule's Backup template includes: every one for none or *, less the excluded. */
export function scheduleNamespaces(template: NonNullable<VeleroSchedule['spec']>['template'], namespaces: string[]): string[] {
  const include = template?.includedNamespaces ?? [];
  const exclude = template?.excludedNamespaces ?? [];
  const all = include.length === 0 || include.includes('*');
  return namespaces.filter((ns) => (all || include.some((p) => namespaceMatches(p, ns))) && !exclude.some((p) => namespaceMatches(p, ns)));
}

function backupsOf(
  schedules: VeleroSchedule[],
  scheduleAliases: Map<string, string>,
  namespaceAliases: Map<string, string>,
  veleroArgs: string[],
  warnings: string[],
): { backups: BackupFile[]; timeouts: { name: string; value?: string }[]; lines: string[] } {
  const lines: string[] = [];
  const backups: BackupFile[] = [];
  const timeouts: { name: string; value?: string }[] = [];
  const defaultMove = flagOf(veleroArgs, 'default-snapshot-move-data') === 'true';
  const captured = [...namespaceAliases.keys()];
  for (const s of [...schedules].sort((a, b) => byString(a.metadata.name!, b.metadata.name!))) {
    const name = scheduleAliases.get(s.metadata.name!)!;
    const t = s.spec?.template;
    if (s.spec?.paused) {
      lines.push(`Schedule ${name}: paused (it creates no backups): left out.`);
      continue;
    }
    const namespaces = scheduleNamespaces(t, captured);
    if (!namespaces.length) {
      lines.push(`Schedule ${name}: includes none of the captured namespaces: left out.`);
      continue;
    }
    backups.push({ name, includedNamespaces: namespaces.map((n) => namespaceAliases.get(n)!).sort(byString) });
    if (t?.snapshotMoveData === false || (t?.snapshotMoveData == null && !defaultMove)) {
      warnings.push(`Schedule ${name} does not set snapshotMoveData: true${t?.snapshotMoveData == null ? ' (nor does the server\'s --default-snapshot-move-data)' : ''}: Velero would keep its CSI snapshots without moving the data; the scenario moves it`);
    }
    if (t?.labelSelector || t?.orLabelSelectors?.length) warnings.push(`Schedule ${name} selects by label: not modelled, every captured PVC in its namespaces is backed up`);
    const timeout = t?.itemOperationTimeout;
    if (timeout !== undefined && !goDurationOk(timeout)) warnings.push(`Schedule ${name}'s itemOperationTimeout ${JSON.stringify(timeout)} is not a Go duration: ignored`);
    timeouts.push({ name, value: timeout !== undefined && goDurationOk(timeout) ? timeout : undefined });
  }
  if (backups.length) {
    lines.push(`Backups: one per Schedule (${backups.map((b) => `${b.name}: ${plural(b.includedNamespaces.length, 'namespace')}`).join(', ')}), all started at once (the cron times are not modelled: every schedule firing together is the busiest case).`);
  } else if (schedules.length) {
    warnings.push('no Schedule includes a captured namespace: no backups written, so the scenario backs up every PVC in one backup');
  }
  return { backups, timeouts, lines };
}

// ---- the velero server's and the node-agent's flags ------------------------------------------

/** Velero's --default-item-operation-timeout when the server's flag is not set. */
const VELERO_ITEM_OPERATION_TIMEOUT = '4h';

/**
 * server and nodeAgent from the backups' item operation timeouts and the containers' flags; a
 * flag not set is left out (the scenario's defaults are Velero's). A scenario file has one item
 * operation timeout for every backup: the longest a backup would get, a Schedule's own
 * spec.template.itemOperationTimeout or else the server's default.
 */
function flagsOf(read: ClusterRead, timeouts: { name: string; value?: string }[], warnings: string[]): { server: NonNullable<ScenarioFile['server']>; nodeAgent?: ScenarioFile['nodeAgent']; lines: string[] } {
  const velero = read.veleroArgs ?? [];
  const server: NonNullable<ScenarioFile['server']> = {};
  const lines: string[] = [];
  let nodeAgent: ScenarioFile['nodeAgent'];
  let serverDefault = flagOf(velero, 'default-item-operation-timeout');
  if (serverDefault !== undefined && !goDurationOk(serverDefault)) {
    warnings.push(`the velero server's --default-item-operation-timeout=${serverDefault} is not a Go duration: ignored`);
    serverDefault = undefined;
  }
  const defaultText = serverDefault !== undefined ? `the server's --default-item-operation-timeout=${serverDefault}` : `Velero's default ${VELERO_ITEM_OPERATION_TIMEOUT}`;
  const effective = timeouts.map((t) => ({ ...t, ms: parseGoDuration(t.value ?? serverDefault ?? VELERO_ITEM_OPERATION_TIMEOUT, 'itemOperationTimeout') }));
  if (effective.length && (serverDefault !== undefined || timeouts.some((t) => t.value !== undefined))) {
    const longest = effective.reduce((a, b) => (b.ms > a.ms ? b : a));
    server.itemOperationTimeout = longest.value ?? serverDefault ?? VELERO_ITEM_OPERATION_TIMEOUT;
    const each = effective.map((t) => `${t.name} ${formatGoDuration(t.ms)}${t.value === undefined ? ` (${defaultText})` : ''}`).join(', ');
    lines.push(
      new Set(effective.map((t) => t.ms)).size > 1
        ? `server.itemOperationTimeout: the backups' item operation timeouts differ (${each}): the longest, ${longest.name}'s, for every backup.`
        : `server.itemOperationTimeout: every backup's (${each}).`,
    );
  } else if (!effective.length && serverDefault !== undefined) {
    server.itemOperationTimeout = serverDefault;
    lines.push(`server.itemOperationTimeout: ${defaultText}.`);
  }
  const concurrent = flagOf(velero, 'concurrent-backups');
  if (concurrent !== undefined) {
    const n = Number(concurrent);
    if (Number.isInteger(n) && n >= 1) {
      server.concurrentBackups = n;
      lines.push(`server.concurrentBackups: the velero server's --concurrent-backups=${concurrent}.`);
    } else warnings.push(`the velero server's --concurrent-backups=${concurrent} is not a whole number >= 1: left out`);
  }
  const prepare = flagOf(read.nodeAgentArgs ?? [], 'data-mover-prepare-timeout');
  if (prepare !== undefined) {
    if (goDurationOk(prepare)) {
      nodeAgent = { prepareTimeout: prepare };
      lines.push(`nodeAgent.prepareTimeout: the node-agent's --data-mover-prepare-timeout=${prepare}.`);
    } else warnings.push(`the node-agent's --data-mover-prepare-timeout=${prepare} is not a Go duration: left out`);
  }
  return { server, nodeAgent, lines };
}

// ---- helpers ----------------------------------------------------------------------------------

function goDurationOk(s: string): boolean {
  try {
    parseGoDuration(s, 'duration');
    return true;
  } catch {
    return false;
  }
}

/** A DNS-1123 label made of a context name: lower case, runs of other characters to one hyphen, at most 63. */
export function dnsLabel(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
}

function formatGiB(gib: number): string {
  return gib.toLocaleString('en-US', { maximumFractionDigits: 1 });
}
