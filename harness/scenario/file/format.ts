// The scenario file (`npm run scenario -- --file my-backup.yaml`): a user's cluster and backup as
// data, YAML or JSON. This is its shape once checked (parse.ts checks it, field by field, and
// names the path of whatever it refuses); docs/scenario-file.md is its reference, with a worked
// example, and docs/scenario-file.schema.json the JSON Schema editors complete and check it with.
// `npm run capture` writes one from a live cluster (harness/capture/).
import type { FlowName } from '../../../controller/flows/types.ts';
import type { GateDecl } from '../../../reports/gates.ts';
import type { FaultDecl } from '../../chaos/faults.ts';
import type { StorageTopology } from '../../sim/context.ts';
import type { Taint } from '../../sim/nodes.ts';

export const SCENARIO_FILE_API_VERSION = 'datamover-bench.io/v1alpha1';
export const SCENARIO_FILE_KIND = 'Scenario';

export interface ScenarioFile {
  apiVersion: typeof SCENARIO_FILE_API_VERSION;
  kind: typeof SCENARIO_FILE_KIND;
  /** name: the results' and the report's name (a DNS-1123 label); description: one line. */
  metadata: { name: string; description?: string };
  /** The flows to run; default all four. */
  flows?: FlowName[];
  /** Node pools: `count` nodes named <name>-1..<name>-<count>, or exactly `names`. */
  nodes: NodePoolFile[];
  /** StorageClasses of the embedded CSI driver; the first marked default (or the first) is the default class. Default: one Immediate class, csi-hostpath-sc. */
  storageClasses?: StorageClassFile[];
  /** Where a volume can be attached from: none (anywhere), node-local (its node), zonal (its zone; pools need zones). Default none. */
  storageTopology?: StorageTopology;
  /** The PVCs to back up: single PVCs, and groups generated from a count and a size distribution. */
  pvcs: PvcEntry[];
  /**
   * Velero's node-agent ConfigMap, pasted as `kubectl get configmap -n velero node-agent-config -o yaml`
   * prints it (its only data key holds the JSON document); or `nodeAgentConfig`, the JSON document itself.
   */
  nodeAgentConfigMap?: { apiVersion?: string; kind: 'ConfigMap'; metadata?: Record<string, unknown>; data: Record<string, string> };
  nodeAgentConfig?: Record<string, unknown>;
  /** The node-agent's own flags. */
  nodeAgent?: { prepareTimeout?: string; podInProgressTimeout?: string };
  /** The Velero server's settings. */
  server?: {
    /** velero backup create --item-operation-timeout (default 4h), a Go duration. */
    itemOperationTimeout?: string;
    /** Velero 1.18's --concurrent-backups (default 1): backups in their item phase at once; backups sharing a namespace never run at once. */
    concurrentBackups?: number;
  };
  /** The backups, each with the namespaces it includes (a Schedule's includedNamespaces). Default: one backup of every PVC. */
  backups?: BackupFile[];
  /** ResourceQuotas on Velero's namespace. */
  resourceQuotas?: { name: string; hard: Record<string, string> }[];
  /** The fault schedule, as in a shipped scenario (harness/chaos/faults.ts). */
  faults?: FaultDecl[];
  /** Gates checked after the run; absolute or against another figure (no baseline: a file has none). */
  gates?: GateDecl[];
  /** Data path speeds: MiB/s per data mover, and per node where a pool does not say. */
  dataPath?: { perMoverMiBps?: number; nodeMiBps?: number };
  /** Simulated time after which a flow's run stops, a Go duration (default 12h). */
  deadline?: string;
}

export interface NodePoolFile {
  /** The pool's name: its nodes are <name>-1 ... unless `names` lists them. */
  name: string;
  count?: number;
  names?: string[];
  capacity: { cpu: string; memory: string; pods?: string; 'ephemeral-storage'?: string };
  allocatable?: { cpu?: string; memory?: string; pods?: string; 'ephemeral-storage'?: string };
  labels?: Record<string, string>;
  taints?: Taint[];
  /** Spread the pool's nodes over these zones in turn (topology.kubernetes.io/zone). */
  zones?: string[];
  /** The node's data bandwidth, MiB/s, shared by its transfers (default dataPath.nodeMiBps, 250). */
  bandwidthMiBps?: number;
  instanceType?: string;
}

export interface StorageClassFile {
  name: string;
  volumeBindingMode?: 'Immediate' | 'WaitForFirstConsumer';
  default?: boolean;
}

/** One PVC, or a group of `count` PVCs with sizes drawn from a distribution. */
export type PvcEntry = PvcFile | PvcGroupFile;

export interface PvcFile {
  namespace: string;
  name: string;
  /** A quantity: 20Gi, 500Mi. */
  size: string;
  /** Default: the default StorageClass. */
  storageClass?: string;
  /** Where the volume lives: its zone (storageTopology zonal) or node (node-local), as its PV's nodeAffinity says; default drawn from the seed. */
  zone?: string;
  node?: string;
}

export interface PvcGroupFile {
  count: number;
  /** Namespaces the group spreads over in turn: their names, or how many (named as the shipped scenarios name them). */
  namespaces: string[] | number;
  size: SizeDistribution;
  storageClass?: string;
}

/** Sizes as quantities; a log-normal's median and bounds, or one fixed size. */
export type SizeDistribution =
  | { distribution: 'lognormal'; median: string; sigma: number; min?: string; max?: string }
  | { distribution: 'fixed'; size: string }
  | { distribution: 'uniform'; min: string; max: string };

export interface BackupFile {
  name: string;
  /** The namespaces the backup includes; every PVC in them is backed up. */
  includedNamespaces: string[];
  /** When it is created, a Go duration from the run's start (default 0s). */
  startAfter?: string;
}
