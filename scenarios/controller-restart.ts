// controller-restart: the large-pvc workload, smaller (60 PVCs), with node-agents crashing:
// one on a backup node as the backup's first data-mover pods start (10 s in, down 60 s), one on
// a backup node when a quarter of the DataUploads are moving data (down 60 s), another on any
// node at 60% (down 2 min). velero-1.16 cancels the Accepted DataUploads a node-agent finds when
// it starts; 1.17 and deploying keep them. But Velero moves an Accepted DataUpload to Prepared
// only on an update of its pod (findDataUploadForPod): a pod that turned Running while its
// node's agent was down gets no later update, and velero-1.17 leaves its DataUpload Accepted,
// holding a place in the prepare queue, until the prepare timeout fails it.
import { BACKUP_NODE_LABEL, backupWorkload, withDefaults } from '../harness/scenario/backup-workload.ts';
import { defineScenario } from '../harness/scenario/scenario.ts';

export default defineScenario({
  name: 'controller-restart',
  summary: '60 PVCs; node-agents crash as the first pods start and at 25% and 60% of DataUploads moving data, restarted 1-2 min later; every flow',
  flows: ['velero-1.16', 'velero-1.17', 'deploying', 'pipelined'],
  params: withDefaults({ pvcs: 60, namespaces: 6 }),
  build: (p, seed) => ({
    ...backupWorkload(p, seed),
    faults: [
      { kind: 'node-agent-restart', node: `random:${BACKUP_NODE_LABEL}=true`, at: 10, durationSeconds: 60 },
      { kind: 'node-agent-restart', node: `random:${BACKUP_NODE_LABEL}=true`, when: { phase: 'InProgress', fraction: 0.25 }, durationSeconds: 60 },
      { kind: 'node-agent-restart', node: 'random', when: { phase: 'InProgress', fraction: 0.6 }, durationSeconds: 120 },
    ],
  }),
});
