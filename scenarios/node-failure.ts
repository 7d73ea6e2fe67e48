// node-failure: the large-pvc workload, smaller (60 PVCs), and a backup node that fails once a
// fifth of the DataUploads have started moving data. The node stops (kubelet, heartbeats, its
// node-agent): after the 50 s grace it is NotReady, its pods are lost once their 300 s
// toleration passes, and it comes back after 15 min. The seed picks the node, the same for
// every flow.
import { BACKUP_NODE_LABEL, backupWorkload, withDefaults } from '../harness/scenario/backup-workload.ts';
import { completionGates, defineScenario, faultGoalGates } from '../harness/scenario/scenario.ts';

export default defineScenario({
  name: 'node-failure',
  summary: '60 PVCs; a backup node fails when 20% of DataUploads are moving data, back after 15 min; every flow',
  flows: ['velero-1.16', 'velero-1.17', 'deploying', 'pipelined'],
  params: withDefaults({ pvcs: 60, namespaces: 6 }),
  build: (p, seed) => ({
    ...backupWorkload(p, seed),
    faults: [{ kind: 'node-failure', node: `random:${BACKUP_NODE_LABEL}=true`, when: { phase: 'InProgress', fraction: 0.2 }, durationSeconds: 900 }],
  }),
  // npm run gate: 24 PVCs; every flow must end in a steady state, and deploying complete as many.
  gate: {
    params: { pvcs: 24, namespaces: 3 },
    gates: [
      { figure: 'steadyStateFailures', flow: 'velero-1.16', op: '==', value: 0 },
      { figure: 'steadyStateFailures', flow: 'velero-1.17', op: '==', value: 0 },
      { figure: 'steadyStateFailures', flow: 'deploying', op: '==', value: 0 },
      ...completionGates('deploying'),
      // pipelined: every DataUpload the failure stranded ends within 10 min of it, by name.
      ...faultGoalGates('pipelined', ['velero-1.16', 'velero-1.17', 'deploying']),
      ...completionGates('velero-1.17'),
      ...completionGates('velero-1.16'),
    ],
  },
});
