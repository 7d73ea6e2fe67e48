// Every fault kind, one file each. A new kind: its file, its line here, and its fields in
// FaultDecl (faults.ts) if it takes new ones.
import apiErrors from './api-errors.ts';
import apiLatency from './api-latency.ts';
import apiLoad from './api-load.ts';
import backupPvcBindDelay from './backup-pvc-bind-delay.ts';
import dropWatches from './drop-watches.ts';
import forceGone from './force-gone.ts';
import nodeAgentRestart from './node-agent-restart.ts';
import nodeCordon from './node-cordon.ts';
import nodeCpuPressure from './node-cpu-pressure.ts';
import nodeFailure from './node-failure.ts';
import nodeMemoryPressure from './node-memory-pressure.ts';
import podKill from './pod-kill.ts';
import snapshotFailure from './snapshot-failure.ts';

export const FAULT_KIND_DEFS = [
  nodeMemoryPressure,
  nodeCpuPressure,
  nodeFailure,
  podKill,
  snapshotFailure,
  backupPvcBindDelay,
  apiLatency,
  apiErrors,
  dropWatches,
  forceGone,
  nodeAgentRestart,
  apiLoad,
  nodeCordon,
] as const;

export type FaultKind = (typeof FAULT_KIND_DEFS)[number]['kind'];

export const FAULT_KIND: Record<FaultKind, (typeof FAULT_KIND_DEFS)[number]> = Object.fromEntries(FAULT_KIND_DEFS.map((d) => [d.kind, d])) as never;
