// For advise's tests: a scenario small enough to work its bounds out by hand, with the advised
// settings under a scenario file's names. Two backup nodes (role=backup) and one app node
// (role=app), 100 MiB/s each; one data-mover pod moves at most 50 MiB/s and starts in exactly
// 10 s (bind 0 s + container start 10 s); PVCs of 20000, 20000, 20000, 10000 x 4 MiB (100000 MiB).
import type { FlowName } from '../../controller/flows/types.ts';
import type { Experiment, ParamValues, Scenario } from '../scenario/scenario.ts';

export const SYNTHETIC_PVCS_MIB = [20000, 20000, 20000, 10000, 10000, 10000, 10000];

export function syntheticExperiment(v: ParamValues): Experiment {
  const nodes = String(v['data-mover-nodes']);
  const selector = nodes === 'configured' ? { role: 'backup' } : nodes === 'all' ? undefined : Object.fromEntries(nodes.split(',').map((kv) => kv.split('=')));
  return {
    nodes: [
      { count: 2, namePrefix: 'backup', labels: { role: 'backup' }, capacity: { cpu: '8', memory: '32Gi', pods: '110' } },
      { count: 1, namePrefix: 'app', labels: { role: 'app' }, capacity: { cpu: '8', memory: '32Gi', pods: '110' } },
    ],
    pvcs: SYNTHETIC_PVCS_MIB.map((mib, i) => ({ namespace: 'apps', name: `data-${i}`, size: `${mib}Mi` })),
    behaviour: { dataPath: { perPodMiBps: 50, nodeMiBps: 100 }, scheduler: { bindSeconds: { kind: 'fixed', value: 0 } }, kubelet: { podStartSeconds: { kind: 'fixed', value: 10 } } },
    nodeAgentConfig: (flow: FlowName) => ({
      loadConcurrency: { globalConfig: Number(v.concurrency), ...(flow !== 'velero-1.16' && Number(v['prepare-queue-length']) > 0 ? { prepareQueueLength: Number(v['prepare-queue-length']) } : {}) },
      ...(selector ? { loadAffinity: [{ nodeSelector: { matchLabels: selector } }] } : {}),
      podResources: { cpuRequest: '1', cpuLimit: '0', memoryRequest: '1Gi', memoryLimit: '0' },
      datamoverBench: { prepareTimeout: String(v['prepare-timeout']) },
    }),
    itemOperationTimeoutMs: 4 * 3600_000,
    deadlineSeconds: 12 * 3600,
  };
}

export const SYNTHETIC: Scenario = {
  name: 'synthetic',
  summary: 'advise tests: 7 PVCs, 2 backup nodes and 1 app node',
  flows: ['velero-1.16', 'velero-1.17'],
  params: [
    { name: 'concurrency', type: 'int', default: 1, min: 1, description: 'loadConcurrency.globalConfig' },
    { name: 'data-mover-nodes', type: 'string', default: 'configured', description: 'configured, all, or key=value' },
    { name: 'prepare-queue-length', type: 'int', default: 4, min: 0, description: 'loadConcurrency.prepareQueueLength' },
    { name: 'prepare-timeout', type: 'string', default: '30m', description: 'the prepare timeout' },
    { name: 'item-operation-timeout', type: 'string', default: '4h', description: 'the item operation timeout' },
  ],
  build: (v) => syntheticExperiment(v),
};

export function defaults(s: Scenario): ParamValues {
  return Object.fromEntries(s.params.map((p) => [p.name, p.default]));
}
