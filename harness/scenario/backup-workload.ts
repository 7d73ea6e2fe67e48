// The backup workload the large-pvc and chaos scenarios share: PVCs of a realistic mix of
// applications, data movement limited by loadConcurrency and loadAffinity, data-mover pods with
// requests. Its parameters and their defaults (the why is in scenarios/large-pvc.ts); a
// scenario takes them as they are, or with other defaults (withDefaults).
import { STORAGE_TOPOLOGIES, type StorageTopology } from '../sim/context.ts';
import { generatePvcs } from './pvc-groups.ts';
import { durationParam, type Experiment, type ParamDecl, type ParamValues } from './scenario.ts';

export const BACKUP_NODE_LABEL = 'datamover-bench.io/backup-node';
/** The zones of --storage-topology zonal. */
export const ZONES = ['zone-a', 'zone-b', 'zone-c'];

export const BACKUP_WORKLOAD_PARAMS: ParamDecl[] = [
  { name: 'pvcs', type: 'int', default: 240, min: 1, max: 5000, description: 'PVCs in the backup' },
  { name: 'median-gib', type: 'number', default: 20, min: 0.01, max: 10_000, description: 'median PVC size, GiB (log-normal, sigma 0.6)' },
  { name: 'namespaces', type: 'int', default: 12, min: 1, max: 500, description: 'application namespaces the PVCs spread over' },
  { name: 'nodes', type: 'int', default: 6, min: 1, max: 500, description: 'worker nodes (8 CPU / 32 GiB each)' },
  { name: 'backup-nodes', type: 'int', default: 3, min: 1, max: 500, description: 'nodes data movers may run on (loadAffinity)' },
  { name: 'concurrency', type: 'int', default: 2, min: 1, max: 100, description: 'loadConcurrency.globalConfig: data paths per node' },
  { name: 'prepare-queue-length', type: 'int', default: 8, min: 0, max: 10_000, description: 'loadConcurrency.prepareQueueLength of velero-1.17 and deploying (0: off)' },
  { name: 'cpu-request', type: 'string', default: '1', description: 'data-mover pod CPU request' },
  { name: 'memory-request', type: 'string', default: '1Gi', description: 'data-mover pod memory request' },
  { name: 'prepare-timeout', type: 'string', default: '30m', description: 'the node-agent’s prepare timeout (--data-mover-prepare-timeout), a Go duration' },
  { name: 'item-operation-timeout', type: 'string', default: '4h', description: 'the backup’s item operation timeout (velero backup create --item-operation-timeout), a Go duration' },
  { name: 'pod-in-progress-timeout', type: 'string', default: 'none', description: 'the data-mover pod’s deadline for InProgress, a Go duration, or "none"' },
  { name: 'binding-mode', type: 'string', default: 'Immediate', choices: ['Immediate', 'WaitForFirstConsumer'], description: 'the StorageClass’s volumeBindingMode (embedded cluster): WaitForFirstConsumer binds a backup PVC only with its pod' },
  { name: 'storage-topology', type: 'string', default: 'none', choices: STORAGE_TOPOLOGIES, description: 'where a volume can be attached (embedded cluster): node-local, on its node only; zonal, in its zone only (nodes spread over 3 zones)' },
  { name: 'deadline-hours', type: 'number', default: 12, min: 0.01, max: 1000, description: 'simulated hours after which a flow’s run stops' },
];

/** The workload's parameters with some defaults changed (a chaos scenario runs fewer PVCs). */
export function withDefaults(defaults: ParamValues): ParamDecl[] {
  for (const k of Object.keys(defaults)) if (!BACKUP_WORKLOAD_PARAMS.some((p) => p.name === k)) throw new Error(`withDefaults: no parameter ${k}`);
  return BACKUP_WORKLOAD_PARAMS.map((p) => (p.name in defaults ? { ...p, default: defaults[p.name] } : p));
}

export function backupWorkload(p: ParamValues, seed: number): Experiment {
  const pvcs = generatePvcs([{ count: Number(p.pvcs), namespaces: Number(p.namespaces), gib: { kind: 'lognormal', median: Number(p['median-gib']), sigma: 0.6, min: 1, max: 250 } }], seed);
  const backupNodes = Math.min(Number(p['backup-nodes']), Number(p.nodes));
  const deadline = p['pod-in-progress-timeout'] === 'none' ? undefined : String(p['pod-in-progress-timeout']);
  const topology = p['storage-topology'] as StorageTopology;
  // Zonal: each pool's nodes in turn over three zones, so every zone has backup nodes when there are 3 or more.
  const zones = topology === 'zonal' ? { zones: ZONES } : {};
  return {
    nodes: [
      { count: backupNodes, namePrefix: 'backup', labels: { [BACKUP_NODE_LABEL]: 'true' }, capacity: { cpu: '8', memory: '32Gi', pods: '110' }, ...zones },
      ...(Number(p.nodes) > backupNodes ? [{ count: Number(p.nodes) - backupNodes, namePrefix: 'worker', capacity: { cpu: '8', memory: '32Gi', pods: '110' }, ...zones }] : []),
    ],
    storageTopology: topology,
    pvcs,
    nodeAgentConfig: (flow) => ({
      loadConcurrency: {
        globalConfig: Number(p.concurrency),
        // velero-1.17 and deploying (built on it) run with the same ConfigMap, so the comparison
        // isolates the DatamoverDeploying phase; velero-1.16 has no prepare queue.
        ...(flow !== 'velero-1.16' && Number(p['prepare-queue-length']) > 0 ? { prepareQueueLength: Number(p['prepare-queue-length']) } : {}),
      },
      loadAffinity: [{ nodeSelector: { matchLabels: { [BACKUP_NODE_LABEL]: 'true' } } }],
      podResources: { cpuRequest: String(p['cpu-request']), cpuLimit: '0', memoryRequest: String(p['memory-request']), memoryLimit: '0' },
      datamoverBench: { prepareTimeout: String(p['prepare-timeout']), ...(deadline ? { podInProgressTimeout: deadline } : {}) },
    }),
    volumeBindingMode: p['binding-mode'] as 'Immediate' | 'WaitForFirstConsumer',
    itemOperationTimeoutMs: durationParam(p, 'item-operation-timeout'),
    deadlineSeconds: Number(p['deadline-hours']) * 3600,
  };
}
