// node-pressure: the large-pvc workload, smaller (60 PVCs), with two of the backup nodes under
// pressure while data moves. Memory pressure (MemoryPressure=True for 5 min): the kubelet
// rejects new BestEffort pods and evicts running ones, those using the most above their
// requests first, one per 10 s check; a flow that keeps many idle data-mover pods on the node
// offers the kubelet more to evict. CPU pressure (20 min): the node's data throughput halves.
// Which backup node each hits comes from the seed: the same for every flow.
import { BACKUP_NODE_LABEL, backupWorkload, withDefaults } from '../harness/scenario/backup-workload.ts';
import { completionGates, defineScenario } from '../harness/scenario/scenario.ts';

const BACKUP_NODE = `random:${BACKUP_NODE_LABEL}=true`;

export default defineScenario({
  name: 'node-pressure',
  summary: '60 PVCs; memory pressure (5 min) then CPU pressure (20 min) on backup nodes while data moves; every flow',
  flows: ['velero-1.16', 'velero-1.17', 'deploying', 'pipelined'],
  params: withDefaults({ pvcs: 60, namespaces: 6 }),
  build: (p, seed) => ({
    ...backupWorkload(p, seed),
    faults: [
      { kind: 'node-memory-pressure', node: BACKUP_NODE, when: { phase: 'InProgress', fraction: 0.1 }, durationSeconds: 300 },
      { kind: 'node-cpu-pressure', node: BACKUP_NODE, when: { phase: 'InProgress', fraction: 0.3 }, durationSeconds: 1200 },
    ],
  }),
  // npm run gate (and the kind workflow, on a real cluster): 24 PVCs; every flow must end in a
  // steady state, deploying and pipelined without a timeout, none completing fewer than its
  // baseline.
  gate: {
    params: { pvcs: 24, namespaces: 3 },
    gates: [
      { figure: 'steadyStateFailures', flow: 'velero-1.16', op: '==', value: 0 },
      { figure: 'steadyStateFailures', flow: 'velero-1.17', op: '==', value: 0 },
      { figure: 'steadyStateFailures', flow: 'deploying', op: '==', value: 0 },
      { figure: 'steadyStateFailures', flow: 'pipelined', op: '==', value: 0 },
      { figure: 'timeouts', flow: 'deploying', op: '==', value: 0 },
      { figure: 'timeouts', flow: 'pipelined', op: '==', value: 0 },
      ...completionGates('deploying'),
      ...completionGates('pipelined'),
      ...completionGates('velero-1.17'),
      ...completionGates('velero-1.16'),
    ],
  },
});
