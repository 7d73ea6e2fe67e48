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

/** Pod annotation: the container runs this many seconds, then exits 0 (a generic workload for tests and benchmarks). */
export const RUN_SECONDS_ANNOTATION = 'datamover-bench.io/run-seconds';

/** A program that exits 0 after `seconds` of the given clock, holding no memory. */
export function timedProgram(clock: { setTimer(ms: number, fn: () => void): { cancel(): void } }, seconds: number): PodProgram {
  return {
    start(_pod, exit) {
      const timer = clock.setTimer(seconds * 1000, () => exit(0));
      return { stop: () => timer.cancel(), residentBytes: () => 0 };
    },
  };
}

/** Node annotations through which the simulation reads per-node facts (declared pools and chaos set them). */
export const NODE_ANNOTATIONS = {
  /** This node's data bandwidth in MiB/s (overrides behaviour.dataPath.nodeMiBps). */
  dataMiBps: 'datamover-bench.io/data-mibps',
  /** "true" while the node is under CPU pressure: data throughput is multiplied by behaviour.dataPath.cpuPressureFactor. */
  cpuPressure: 'datamover-bench.io/cpu-pressure',
} as const;
