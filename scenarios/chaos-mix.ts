// chaos-mix: the large-pvc workload, smaller (60 PVCs), with several faults overlapping, as a
// bad night in a real cluster: slow API, failing and slow storage, memory pressure, a node-agent
// crash, data-mover pods killed while they move data and, later, a node failure.
import { BACKUP_NODE_LABEL, backupWorkload, withDefaults } from '../harness/scenario/backup-workload.ts';
import { defineScenario, faultGoalGates } from '../harness/scenario/scenario.ts';

const BACKUP_NODE = `random:${BACKUP_NODE_LABEL}=true`;

export default defineScenario({
  name: 'chaos-mix',
  summary: '60 PVCs; API latency, snapshot failures, slow binds, memory pressure, pod kills, a node-agent crash, a node failure; every flow',
  flows: ['velero-1.16', 'velero-1.17', 'deploying', 'pipelined'],
  params: withDefaults({ pvcs: 60, namespaces: 6 }),
  build: (p, seed) => ({
    ...backupWorkload(p, seed),
    faults: [
      { kind: 'api-latency', at: 60, durationSeconds: 1200, latencyMs: 100, jitterMs: 200 },
      { kind: 'snapshot-failure', at: 0, durationSeconds: 300, rate: 0.05 },
      { kind: 'backup-pvc-bind-delay', at: 120, durationSeconds: 900, seconds: 120 },
      { kind: 'node-memory-pressure', node: BACKUP_NODE, when: { phase: 'InProgress', fraction: 0.15 }, durationSeconds: 180 },
      // Pods that move data are killed (grace 0: no terminal phase), so their data paths are lost mid-flight.
      { kind: 'pod-kill', count: 3, dataUploadPhase: 'InProgress', when: { phase: 'InProgress', fraction: 0.3 } },
      { kind: 'node-agent-restart', node: BACKUP_NODE, when: { phase: 'InProgress', fraction: 0.4 }, durationSeconds: 60 },
      { kind: 'node-failure', node: BACKUP_NODE, when: { phase: 'InProgress', fraction: 0.6 }, durationSeconds: 900 },
    ],
  }),
  // npm run gate: 24 PVCs. pipelined (ours): every DataUpload a fault strands ends within 10 min of
  // it, by name, in a steady state, and it completes no fewer than any other flow (issue 22's goals).
  gate: {
    params: { pvcs: 24, namespaces: 3 },
    gates: [
      ...faultGoalGates('pipelined', ['velero-1.16', 'velero-1.17', 'deploying']),
    ],
  },
});
