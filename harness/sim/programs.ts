// What runs inside a simulated container. The kubelet starts a pod's program when the pod
// becomes Running and stops it when the pod is deleted, evicted or its node is lost; the
// program ends by itself by calling exit. Programs see the cluster only through SimContext.
import type { KubeObject } from '../apiserver/types.ts';

export interface RunningProgram {
  /** The container is being killed (deletion, eviction, node loss): stop all work now. */
  stop(): void;
  /** Resident memory in bytes now: for memory-pressure eviction and BestEffort accounting. */
  residentBytes(): number;
}

export interface PodProgram {
  /** The pod's container started. Call exit(code, message) when the program ends by itself. */
  start(pod: KubeObject, exit: (code: number, message?: string) => void): RunningProgram;
}

/** Which program runs in a pod; undefined means a program that runs until stopped, holding no memory. */
export type ProgramFor = (pod: KubeObject) => PodProgram | undefined;

/** Node annotations through which the simulation reads per-node facts (declared pools and chaos set them). */
export const NODE_ANNOTATIONS = {
  /** This node's data bandwidth in MiB/s (overrides behaviour.dataPath.nodeMiBps). */
  dataMiBps: 'datamover-bench.io/data-mibps',
  /** "true" while the node is under CPU pressure: data throughput is multiplied by behaviour.dataPath.cpuPressureFactor. */
  cpuPressure: 'datamover-bench.io/cpu-pressure',
} as const;
