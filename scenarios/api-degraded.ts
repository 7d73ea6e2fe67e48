// api-degraded: the large-pvc workload, smaller (60 PVCs), against a struggling API server:
// every request 200-500 ms slower for 30 min, 5% of DataUpload writes answered 500 for 20 min,
// every watch dropped once and, later, a compaction that answers open watches 410 Gone; and,
// meanwhile, other clients reading pods as fast as they can (autocannon, 4 connections). The
// controller must retry, re-list and lose nothing.
import { backupWorkload, withDefaults } from '../harness/scenario/backup-workload.ts';
import { defineScenario, faultGoalGates } from '../harness/scenario/scenario.ts';

export default defineScenario({
  name: 'api-degraded',
  summary: '60 PVCs; API latency +200-500 ms, 5% 500s on DataUpload writes, dropped watches, a forced 410, read load; every flow',
  flows: ['velero-1.16', 'velero-1.17', 'deploying', 'pipelined'],
  params: withDefaults({ pvcs: 60, namespaces: 6 }),
  build: (p, seed) => ({
    ...backupWorkload(p, seed),
    faults: [
      { kind: 'api-latency', at: 300, durationSeconds: 1800, latencyMs: 200, jitterMs: 300 },
      { kind: 'api-errors', at: 600, durationSeconds: 1200, errorCode: 500, rate: 0.05, verbs: ['update', 'patch'], resources: ['datauploads'] },
      { kind: 'drop-watches', at: 900 },
      { kind: 'force-gone', at: 1500 },
      { kind: 'api-load', at: 300, durationSeconds: 1800, connections: 4 },
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
