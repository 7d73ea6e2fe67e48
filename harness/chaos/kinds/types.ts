// What one fault kind is, in one file (harness/chaos/kinds/<kind>.ts): what it does, the fields
// it takes and their checks, what it does on the embedded cluster (through the simulation's
// seams and the API), and what it does on a real cluster (by command on kind, through the API
// anywhere) or why it cannot. index.ts lists them; faults.ts, injector.ts, kind-actions.ts and
// cluster-executor.ts only schedule, check and log.
import type { Controller } from '../../../controller/controller.ts';
import type { KubeApi } from '../../apiserver/api.ts';
import type { ApiServer } from '../../apiserver/server.ts';
import type { Random } from '../../random.ts';
import type { Simulation } from '../../sim/cluster.ts';
import type { VirtualClock } from '../../sim/virtual-clock.ts';
import type { ApiActionOptions } from '../api-actions.ts';
import type { ClusterAction } from '../cluster-executor.ts';
import type { Fault, FaultDecl } from '../faults.ts';
import type { FaultRecord } from '../injector.ts';

/** The phases a `when` condition or pod-kill's dataUploadPhase may name. */
export const DATA_UPLOAD_PHASES = ['Accepted', 'Prepared', 'DatamoverDeploying', 'InProgress', 'Completed'];

/** The embedded cluster, as a fault acts on it. */
export interface ChaosEnv {
  clock: VirtualClock;
  /** The run's start, ms of `clock`. */
  start: number;
  api: KubeApi;
  server: ApiServer;
  sim: Simulation;
  controller: Controller;
  random: Random;
  /** DataUploads the workload will create (for `when` fractions). */
  expectedDataUploads: number;
  namespace: string;
  log?: (line: string) => void;
}

/** What the embedded injector lends a fault as it begins. */
export interface EmbeddedTools {
  /** Simulated seconds since the run's start. */
  now(): number;
  timer(ms: number, fn: () => void): void;
  /** The node the fault acts on, chosen from the seed among the cluster's nodes. */
  pickNode(f: Fault): string;
  /** Something that runs until stopped (api-load): stopped at the end of the run at the latest. */
  onStop(stop: () => Promise<void>): void;
}

/** A kind's command lines on kind, for the plan and for running them. */
export interface KindCommands {
  /** What is done on the cluster, in a line. */
  does: string;
  start(f: Fault, node: string | undefined): string[];
  end?(f: Fault, node: string | undefined): string[];
}

export type Bad = (field: string, value: unknown, accepted: string) => never;
/** A number >= 0 (whole if `integer`), or bad(field, ...). */
export type NonNegative = (field: string, value: unknown, integer?: boolean) => void;
export type FieldCheck = (d: Record<string, unknown>, bad: Bad, nonNegative: NonNegative) => void;

export interface FaultKindDef<K extends string = string> {
  kind: K;
  /** What it does, in a line (docs/chaos.md's table, `--help`). */
  summary: string;
  /** node: acts on one node (`node` required); instant: no duration. */
  node?: boolean;
  instant?: boolean;
  /** The fields of FaultDecl it takes beyond the common ones (kind, name, at, when, durationSeconds, node). */
  fields?: (keyof FaultDecl)[];
  /** Checks of its own fields. */
  check?: FieldCheck;
  /**
   * Begins it on the embedded cluster, filling `rec` (detail, node, dataUploads; endedAt when it
   * ends by itself). The undo it returns runs after durationSeconds.
   */
  embedded(env: ChaosEnv, f: Fault, rec: FaultRecord, tools: EmbeddedTools): (() => void) | void;
  /** On kind: its commands, or why it has none (and is refused there). */
  onKind: KindCommands | { none: string };
  /** Through the API on any real cluster (kind too where `kindByApi`); absent: refused on kubeconfig, with `notOnKubeconfig`. */
  api?(o: ApiActionOptions): ClusterAction;
  /** Carried out on kind through the API rather than by its commands (pod-kill). */
  kindByApi?: boolean | ((o: ApiActionOptions) => boolean);
  /** Why it is refused on kind though it has commands (the plan shows them), and on kubeconfig without an api. */
  notOnKind?: string;
  notOnKubeconfig?: string;
}

export function defineFaultKind<K extends string>(def: FaultKindDef<K>): FaultKindDef<K> {
  return def;
}
