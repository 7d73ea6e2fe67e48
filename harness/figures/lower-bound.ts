// The lower bound of docs/design.md section 4: the makespan and the idle resource-seconds no flow
// can beat for a workload, given the bytes, when each DataUpload could start, the per-node
// concurrency, the per-pod and per-node throughput, and the pod start latency. Each flow reports
// its ratio to it.
//
// makespan >= max of
// - the busiest path: L + (sum of bytes) / (sum over eligible nodes of min(B_n, C_n x r)), as all
//   data must pass through the eligible nodes' slots, none before a first pod has started;
// - the latest single DataUpload: created_i + L + bytes_i / min(r, max_n B_n), minus the first
//   creation (one pod cannot move faster than its own cap or any node's bandwidth).
// idle >= every data-mover pod's start latency L times its requests: it must exist, bound,
// before it moves data; none need ever be pending.
//
// A flow is compared with the bound of the work it completed (lowerBounds().completed): a flow
// cannot finish that work sooner, nor hold less idle for it, so a ratio below 1 is a defect of
// the bench, and ratiosToLowerBound throws. The whole workload's bound is reported beside it.
const GiB = 1024 ** 3;

export interface LowerBoundInput {
  /** `backupGiB`: the size of its backup volume (default its bytes in GiB). */
  dataUploads: { bytes: number; createdAt: number; backupGiB?: number }[];
  /** When the run's first DataUpload was created; default the first of `dataUploads`. */
  start?: number;
  /** Nodes data movers may run on (loadAffinity), with their slots (loadConcurrency) and bandwidth. */
  nodes: { slots: number; bytesPerSecond: number }[];
  /** One data-mover pod's throughput cap. */
  podBytesPerSecond: number;
  /**
   * The shortest time from creating a pod to its data moving (scheduling and container start);
   * absent where it is not known (a real cluster), and so is the idle bound.
   */
  podStartSeconds?: number;
  podRequests: { cpuCores: number; memoryGiB: number };
}

export interface LowerBound {
  /** DataUploads the bound is for. */
  dataUploads: number;
  makespanSeconds: number;
  /** Absent where the pod start latency is not known. */
  idleCpuCoreSeconds?: number;
  idleMemoryGiBSeconds?: number;
  /** Each DataUpload's backup volume provisioned at least while its data moves at the fastest one pod can: sum of GiB x bytes / min(r, max B_n). */
  backupVolumeGiBSeconds: number;
}

export function lowerBound(w: LowerBoundInput): LowerBound {
  const n = w.dataUploads.length;
  const L = w.podStartSeconds ?? 0;
  const idle = () => (w.podStartSeconds === undefined ? {} : { idleCpuCoreSeconds: round(n * L * w.podRequests.cpuCores), idleMemoryGiBSeconds: round(n * L * w.podRequests.memoryGiB) });
  if (n === 0) return { dataUploads: 0, makespanSeconds: 0, ...idle(), backupVolumeGiBSeconds: 0 };
  if (w.nodes.length === 0) throw new Error(`no lower bound for ${n} DataUploads: no node to move their data on`);
  const first = w.start ?? Math.min(...w.dataUploads.map((d) => d.createdAt));
  const total = w.dataUploads.reduce((s, d) => s + d.bytes, 0);
  const capacity = w.nodes.reduce((s, node) => s + Math.min(node.bytesPerSecond, node.slots * w.podBytesPerSecond), 0);
  const single = Math.min(w.podBytesPerSecond, Math.max(...w.nodes.map((node) => node.bytesPerSecond)));
  if (!(capacity > 0)) throw new Error(`no lower bound for ${n} DataUploads: the nodes data may move on have no throughput (${JSON.stringify(w.nodes)}, ${w.podBytesPerSecond} B/s per pod)`);
  const throughputBound = L + total / capacity;
  const latestBound = Math.max(...w.dataUploads.map((d) => d.createdAt - first + L + d.bytes / single));
  const backupVolume = w.dataUploads.reduce((sum, d) => sum + (d.backupGiB ?? d.bytes / GiB) * (d.bytes / single), 0);
  return { dataUploads: n, makespanSeconds: round(Math.max(throughputBound, latestBound)), ...idle(), backupVolumeGiBSeconds: round(backupVolume) };
}

/** A node as the run recorded it, with the data bandwidth it has. */
export interface BoundNode {
  name: string;
  labels: Record<string, string>;
  bytesPerSecond: number;
}

export interface BoundWorkload {
  /** Every DataUpload the run recorded, completed or not. */
  dataUploads: { name?: string; bytes: number; createdAt: number; outcome?: string }[];
  /** The backup PVCs the run recorded: a DataUpload's backup volume is as large as its PVC asked. */
  backupPvcs?: { name: string; gib: number }[];
  /** Every node the run recorded, with the labels the API showed. */
  nodes: BoundNode[];
  /** Whether loadAffinity admits a node's data-mover pods, and its concurrency. */
  admits: (labels: Record<string, string>) => boolean;
  slots: (labels: Record<string, string>) => number;
  podBytesPerSecond: number;
  podStartSeconds?: number;
  podRequests: { cpuCores: number; memoryGiB: number };
}

/** The bound of the completed work (what a flow is compared with) and of the whole workload. */
export function lowerBounds(w: BoundWorkload): { completed: LowerBound; all: LowerBound } {
  const eligible = w.nodes.filter((n) => w.admits(n.labels));
  if (w.dataUploads.length > 0 && eligible.length === 0) {
    const seen = w.nodes.map((n) => `${n.name} {${Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(', ')}}`).join('; ');
    throw new Error(`no lower bound: loadAffinity admits none of the ${w.nodes.length} nodes the run recorded (${seen || 'none'})`);
  }
  const gib = new Map((w.backupPvcs ?? []).map((p) => [p.name, p.gib]));
  const input = (dataUploads: BoundWorkload['dataUploads']): LowerBoundInput => ({
    dataUploads: dataUploads.map((d) => ({ ...d, ...(d.name !== undefined && gib.has(d.name) ? { backupGiB: gib.get(d.name) } : {}) })),
    start: Math.min(...w.dataUploads.map((d) => d.createdAt)),
    nodes: eligible.map((n) => ({ slots: w.slots(n.labels), bytesPerSecond: n.bytesPerSecond })),
    podBytesPerSecond: w.podBytesPerSecond,
    podStartSeconds: w.podStartSeconds,
    podRequests: w.podRequests,
  });
  return { completed: lowerBound(input(w.dataUploads.filter((d) => d.outcome === 'Completed'))), all: lowerBound(input(w.dataUploads)) };
}

/**
 * A flow's figures over the bound of the work it completed. None when it completed nothing; no
 * idle ratio where the idle bound is not known. A bound of 0 under a figure above 0, or a figure
 * below its bound, means the bound's inputs are wrong: an error naming both, never a ratio.
 */
export function ratiosToLowerBound(
  f: { completed: number; makespanSeconds: number; idleCpuCoreSeconds: number; backupVolumeGiBSeconds?: number },
  bound: LowerBound,
): { makespan?: number; idleCpuCoreSeconds?: number; backupVolumeGiBSeconds?: number } {
  if (f.completed === 0) return {};
  const out: { makespan?: number; idleCpuCoreSeconds?: number; backupVolumeGiBSeconds?: number } = { makespan: ratio('makespan seconds', f.makespanSeconds, bound.makespanSeconds) };
  if (f.backupVolumeGiBSeconds !== undefined) out.backupVolumeGiBSeconds = ratio('backup volume GiB-seconds', f.backupVolumeGiBSeconds, bound.backupVolumeGiBSeconds);
  if (bound.idleCpuCoreSeconds !== undefined) out.idleCpuCoreSeconds = ratio('idle CPU core-seconds', f.idleCpuCoreSeconds, bound.idleCpuCoreSeconds);
  return out;
}

function ratio(what: string, value: number, bound: number): number {
  if (bound <= 0) {
    if (value === 0) return 1;
    throw new Error(`the lower bound of ${what} is ${bound} while the run's figure is ${value}: the bound's inputs are wrong`);
  }
  // The figures are rounded to 3 decimals; a difference within that is not below the bound.
  if (value < bound - 0.001) throw new Error(`${what} ${value} is below its lower bound ${bound}: the bound does not hold (a defect of the bench)`);
  return Math.round((value / bound) * 100) / 100;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
