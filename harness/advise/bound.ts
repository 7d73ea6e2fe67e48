// What no flow can beat at a setting, known before running it: the lower bound of docs/design.md
// section 4.6 for the whole workload, on the nodes the setting's loadAffinity admits with its
// loadConcurrency slots. Every DataUpload is taken as created at the start: a run creates them
// over time, so its own bound is never lower than this one, and a setting whose bound exceeds
// the window cannot meet it on any seed. The same bound with unlimited slots, and the largest
// PVC's alone, say what limits such a setting: slots, the nodes' bandwidth, or one volume.
import { parseNodeAgentConfig } from '../../controller/config.ts';
import type { FlowName } from '../../controller/flows/types.ts';
import { parseBytes } from '../../controller/quantity.ts';
import { lowerBounds, type BoundNode, type BoundWorkload } from '../figures/lower-bound.ts';
import { boundSettings } from '../run/run.ts';
import type { Experiment } from '../scenario/scenario.ts';
import { embeddedDataPath } from '../run/targets/embedded.ts';
import { expandNodePools } from '../sim/nodes.ts';


/** Why a setting cannot meet the window, from its bounds alone. */
export type BoundLimit = 'pvc-size' | 'bandwidth' | 'slots';

export interface SettingBound {
  /** The whole workload's bound at this setting's slots, seconds. */
  makespanSeconds: number;
  /** The same nodes with unlimited slots: their bandwidth and the per-pod cap alone. */
  unlimitedSlotsSeconds: number;
  /** The largest PVC alone, moved by one pod as fast as one pod can. */
  largestPvcSeconds: number;
  /** The nodes loadAffinity admits, with their slots (loadConcurrency, perNodeConfig included). */
  nodes: { name: string; slots: number; bytesPerSecond: number }[];
  /** Slots over those nodes. */
  slots: number;
  /** One data-mover pod's throughput cap, bytes per second. */
  podBytesPerSecond: number;
}

/**
 * The embedded cluster's nodes as their kubelets register them (harness/sim/nodes.ts nodeObject:
 * hostname, os, arch, instance type, then the pool's labels), each with the data bandwidth the
 * run's own bound gives it (harness/run/targets/embedded.ts embeddedDataPath).
 */
export function boundNodes(experiment: Experiment): BoundNode[] {
  const path = embeddedDataPath(experiment.nodes, experiment.behaviour);
  return expandNodePools(experiment.nodes).map((n) => ({
    name: n.name,
    labels: {
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': n.name,
      'kubernetes.io/os': 'linux',
      ...(n.instanceType ? { 'node.kubernetes.io/instance-type': n.instanceType } : {}),
      ...n.labels,
    },
    bytesPerSecond: path.nodeBytesPerSecond(n),
  }));
}

/** The bounds of a built experiment under one flow's node-agent config. */
export function settingBound(experiment: Experiment, flow: FlowName): SettingBound {
  const config = parseNodeAgentConfig(experiment.nodeAgentConfig(flow), `the node-agent config for ${flow}`);
  const path = embeddedDataPath(experiment.nodes, experiment.behaviour);
  const settings = boundSettings(config);
  // A data-mover pod carries no tolerations (controller/exposer.ts: the node-agent's third-party
  // tolerations are none here), so a node tainted NoSchedule or NoExecute never runs one.
  const untolerated = new Set(expandNodePools(experiment.nodes).filter((n) => n.taints.some((t) => t.effect !== 'PreferNoSchedule')).map((n) => n.name));
  const nodes = boundNodes(experiment).filter((n) => !untolerated.has(n.name));
  // One DataUpload per PVC of each backup (a PVC two backups include is moved twice).
  const backedUp = experiment.backups?.length ? experiment.backups.flatMap((b) => experiment.pvcs.filter((p) => b.namespaces.includes(p.namespace))) : experiment.pvcs;
  const dataUploads = backedUp.map((p) => ({ bytes: parseBytes(p.size), createdAt: 0 }));
  const workload = (w: Partial<BoundWorkload>): BoundWorkload => ({
    dataUploads,
    nodes,
    podBytesPerSecond: path.podBytesPerSecond,
    podStartSeconds: path.podStartSeconds,
    ...settings,
    ...w,
  });
  const largest = dataUploads.reduce((a, d) => (d.bytes > a.bytes ? d : a), dataUploads[0] ?? { bytes: 0, createdAt: 0 });
  const admitted = nodes.filter((n) => settings.admits(n.labels)).map((n) => ({ name: n.name, slots: settings.slots(n.labels), bytesPerSecond: n.bytesPerSecond }));
  // No node to move data on: no setting of this kind can end a DataUpload.
  if (!admitted.length) return { makespanSeconds: Infinity, unlimitedSlotsSeconds: Infinity, largestPvcSeconds: Infinity, nodes: [], slots: 0, podBytesPerSecond: path.podBytesPerSecond };
  return {
    makespanSeconds: lowerBounds(workload({})).all.makespanSeconds,
    unlimitedSlotsSeconds: lowerBounds(workload({ slots: () => Infinity })).all.makespanSeconds,
    largestPvcSeconds: lowerBounds(workload({ dataUploads: [largest] })).all.makespanSeconds,
    nodes: admitted,
    slots: admitted.reduce((s, n) => s + n.slots, 0),
    podBytesPerSecond: path.podBytesPerSecond,
  };
}

/**
 * Whether the bound already rules the setting out, and why: the largest PVC alone outlasts the
 * window (no setting helps); else the nodes' bandwidth does even with unlimited slots (admit more
 * nodes); else the slots do (more concurrency would help). None: the setting may meet the window.
 */
export function boundLimit(b: SettingBound, windowSeconds: number): BoundLimit | undefined {
  if (b.largestPvcSeconds > windowSeconds) return 'pvc-size';
  if (b.unlimitedSlotsSeconds > windowSeconds) return 'bandwidth';
  if (b.makespanSeconds > windowSeconds) return 'slots';
  return undefined;
}

/** The concurrency at which every admitted node's bandwidth is used: more slots than this move no more data. */
export function saturatingConcurrency(b: Pick<SettingBound, 'nodes' | 'podBytesPerSecond'>): number {
  return Math.max(1, ...b.nodes.map((n) => Math.ceil(n.bytesPerSecond / b.podBytesPerSecond)));
}
