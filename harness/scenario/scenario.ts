// What a scenario declares: its parameters (with defaults, ranges and a line of why), and, from
// their values and the seed, the experiment: cluster, workload, node-agent config per flow,
// flows, deadline. The scenario files in scenarios/ read like the experiment; this is the shape.
import { parseGoDuration } from '../../controller/duration.ts';
import type { FlowName } from '../../controller/flows/types.ts';
import type { GateDecl } from '../../reports/gates.ts';
export { completionGates, faultGoalGates } from '../../reports/gates.ts';
import type { FaultDecl } from '../chaos/faults.ts';
import type { BehaviourOverrides } from '../sim/behaviour.ts';
import type { StorageTopology } from '../sim/context.ts';
import type { NodePoolDecl } from '../sim/nodes.ts';

export interface ParamDecl {
  /** Option name on the command line: --<name>. */
  name: string;
  type: 'int' | 'number' | 'string' | 'boolean';
  default: number | string | boolean;
  min?: number;
  max?: number;
  /** For strings: the accepted values, if a closed set. */
  choices?: string[];
  description: string;
}

export type ParamValues = Record<string, number | string | boolean>;

/** A ResourceQuota on Velero's namespace: its name and spec.hard (resource name -> quantity). */
export interface QuotaDecl {
  name: string;
  hard: Record<string, string>;
}

export interface Experiment {
  nodes: NodePoolDecl[];
  /** The PVCs; storageClass: one of storageClasses (default: the default class); place: the volume's node or zone under a storage topology (default drawn from the seed). */
  pvcs: { namespace: string; name: string; size: string; storageClass?: string; place?: string }[];
  /** The node-agent ConfigMap document for a flow (Velero's format plus datamoverBench). */
  nodeAgentConfig(flow: FlowName): Record<string, unknown>;
  behaviour?: BehaviourOverrides;
  /** The StorageClass's volumeBindingMode on the embedded cluster (default Immediate). */
  volumeBindingMode?: 'Immediate' | 'WaitForFirstConsumer';
  /** The embedded CSI driver's StorageClasses, the default first, instead of its one class (volumeBindingMode is then each class's). */
  storageClasses?: { name: string; volumeBindingMode?: 'Immediate' | 'WaitForFirstConsumer' }[];
  /** Where volumes can be attached from on the embedded cluster (default none; zonal needs pools with zones). */
  storageTopology?: StorageTopology;
  /** ResourceQuotas on Velero's namespace, made before the backup starts (the quota scenario). */
  resourceQuotas?: QuotaDecl[];
  /**
   * Several backups, each of the PVCs in its namespaces, created startAfterSeconds after the
   * start (a Schedule's); default one backup of every PVC. Run as Velero's server runs them
   * (controller/server/backup-queue.ts), concurrentBackups InProgress at once (default 1).
   */
  backups?: { name: string; namespaces: string[]; startAfterSeconds?: number }[];
  concurrentBackups?: number;
  /** Simulated seconds after which a flow's run is stopped and reported unfinished. */
  deadlineSeconds: number;
  itemOperationTimeoutMs?: number;
  /** The fault schedule (harness/chaos/faults.ts); the same for every flow. */
  faults?: FaultDecl[];
}

/** One setting of some parameters, run beside the others (e.g. with and without a pod deadline). */
export interface Variant {
  name: string;
  params: ParamValues;
  /** Only these flows run with this variant (default: every flow), e.g. deploying without prepareQueueLength. */
  flows?: FlowName[];
}

export interface Scenario {
  name: string;
  /** A scenario file's absolute path (harness/scenario/file/): a flow job carries it, so a child process reloads the file. */
  file?: string;
  /** One line, for --list. */
  summary: string;
  flows: FlowName[];
  params: ParamDecl[];
  /**
   * Run every flow once per variant, each variant's params over the others. A variant's
   * parameter given on the command line replaces the variants: one run with that value.
   */
  variants?: Variant[];
  build(values: ParamValues, seed: number): Experiment;
  /**
   * Regression gates (reports/gates.ts), checked by `npm run gate` on a run of this scenario
   * with `params` over the defaults (sized so all gate scenarios take under 2 minutes).
   */
  gate?: { params?: ParamValues; gates: GateDecl[] };
  /** Lines explaining the result, given the per-flow (and per-variant) figures: the scenario's own reading. */
  explain?(results: ExplainInput[]): string[];
}

export interface ExplainInput {
  flow: FlowName;
  variant?: string;
  timeouts: number;
  completed: number;
  dataUploads: number;
  idleCpuCoreSeconds: number;
  idleResidentMemoryGiBSeconds: number;
  peakDataMoverPods: number;
  outcomesByReason: Record<string, number>;
  claimsReturned: number;
}

export function defineScenario(s: Scenario): Scenario {
  return s;
}

export class ParamError extends Error {}

/** A Go-duration parameter's milliseconds, above 0, or a ParamError naming --<name>. */
export function durationParam(values: ParamValues, name: string): number {
  let ms: number;
  try {
    ms = parseGoDuration(String(values[name]), `--${name}`);
  } catch (e) {
    throw new ParamError((e as Error).message);
  }
  if (ms <= 0) throw new ParamError(`--${name}: ${JSON.stringify(values[name])} is not accepted: a Go duration above 0, such as 90m or 4h`);
  return ms;
}

/** Checks and converts one raw command-line value against its declaration. */
export function parseParam(decl: ParamDecl, raw: string | boolean): number | string | boolean {
  const bad = (accepted: string): never => {
    throw new ParamError(`--${decl.name}: ${JSON.stringify(raw)} is not accepted: ${accepted}`);
  };
  switch (decl.type) {
    case 'boolean':
      if (raw === true || raw === 'true') return true;
      if (raw === false || raw === 'false') return false;
      return bad('true or false');
    case 'string':
      if (typeof raw !== 'string' || raw === '') return bad('a value');
      if (decl.choices && !decl.choices.includes(raw)) return bad(`one of ${decl.choices.join(', ')}`);
      return raw;
    default: {
      const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      const range = `${decl.min !== undefined ? ` >= ${decl.min}` : ''}${decl.min !== undefined && decl.max !== undefined ? ' and' : ''}${decl.max !== undefined ? ` <= ${decl.max}` : ''}`;
      const what = `${decl.type === 'int' ? 'a whole number' : 'a number'}${range}`;
      if (!Number.isFinite(n) || (decl.type === 'int' && !Number.isInteger(n))) return bad(what);
      if ((decl.min !== undefined && n < decl.min) || (decl.max !== undefined && n > decl.max)) return bad(what);
      return n;
    }
  }
}
