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
export interface LowerBoundInput {
  dataUploads: { bytes: number; createdAt: number }[];
  /** Nodes data movers may run on (loadAffinity), with their slots (loadConcurrency) and bandwidth. */
  nodes: { slots: number; bytesPerSecond: number }[];
  /** One data-mover pod's throughput cap. */
  podBytesPerSecond: number;
  /** The shortest time from creating a pod to its data moving (scheduling, container start, first poll). */
  podStartSeconds: number;
  podRequests: { cpuCores: number; memoryGiB: number };
}

export interface LowerBound {
  makespanSeconds: number;
  idleCpuCoreSeconds: number;
  idleMemoryGiBSeconds: number;
}

export function lowerBound(w: LowerBoundInput): LowerBound {
  const n = w.dataUploads.length;
  if (n === 0 || w.nodes.length === 0) return { makespanSeconds: 0, idleCpuCoreSeconds: 0, idleMemoryGiBSeconds: 0 };
  const first = Math.min(...w.dataUploads.map((d) => d.createdAt));
  const total = w.dataUploads.reduce((s, d) => s + d.bytes, 0);
  const capacity = w.nodes.reduce((s, node) => s + Math.min(node.bytesPerSecond, node.slots * w.podBytesPerSecond), 0);
  const single = Math.min(w.podBytesPerSecond, Math.max(...w.nodes.map((node) => node.bytesPerSecond)));
  const throughputBound = w.podStartSeconds + total / capacity;
  const latestBound = Math.max(...w.dataUploads.map((d) => d.createdAt - first + w.podStartSeconds + d.bytes / single));
  return {
    makespanSeconds: round(Math.max(throughputBound, latestBound)),
    idleCpuCoreSeconds: round(n * w.podStartSeconds * w.podRequests.cpuCores),
    idleMemoryGiBSeconds: round(n * w.podStartSeconds * w.podRequests.memoryGiB),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
