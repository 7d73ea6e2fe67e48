// Velero issue #8316: 10 PVCs of ~20 GB backed up with the data mover, concurrency 1, data
// movers pinned to one node. Velero creates every data-mover pod at once; all but one wait for
// the node's single slot. Where a distribution gives the pod a deadline for reaching
// InProgress (the report's setup), the waiting pods give up and their DataUploads fail; without
// one they only hold resources. The proposal creates each pod only when its slot is free.
import { defineScenario } from '../harness/scenario/scenario.ts';

export default defineScenario({
  name: 'issue-8316',
  summary: "Velero #8316: 10 x 20 GiB, concurrency 1, movers pinned to one node; with and without a pod deadline",
  flows: ['velero-1.16', 'velero-1.17', 'deploying'],
  params: [
    { name: 'pvcs', type: 'int', default: 10, min: 1, max: 5000, description: 'PVCs in the backup (the report: 10)' },
    { name: 'size-gib', type: 'number', default: 20, min: 0.001, max: 10_000, description: 'size of each PVC, GiB (the report: ~20 GB)' },
    { name: 'pod-in-progress-timeout', type: 'string', default: '10m', description: 'the data-mover pod’s deadline for InProgress, a Go duration, or "none" (upstream has none)' },
    { name: 'prepare-queue-length', type: 'int', default: 0, min: 0, max: 10_000, description: 'velero-1.17’s loadConcurrency.prepareQueueLength (0: off)' },
  ],
  build(p) {
    const deadline = p['pod-in-progress-timeout'] === 'none' ? undefined : String(p['pod-in-progress-timeout']);
    return {
      nodes: [{ count: 3, namePrefix: 'worker', capacity: { cpu: '4', memory: '16Gi', pods: '110' } }],
      pvcs: Array.from({ length: Number(p.pvcs) }, (_, i) => ({ namespace: 'app', name: `data-${i}`, size: `${Math.round(Number(p['size-gib']) * 1024)}Mi` })),
      nodeAgentConfig: (flow) => ({
        loadConcurrency: { globalConfig: 1, ...(flow === 'velero-1.17' && Number(p['prepare-queue-length']) > 0 ? { prepareQueueLength: Number(p['prepare-queue-length']) } : {}) },
        loadAffinity: [{ nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'worker-1' } } }],
        podResources: { cpuRequest: '1', cpuLimit: '0', memoryRequest: '1Gi', memoryLimit: '0' },
        datamoverBench: deadline ? { podInProgressTimeout: deadline } : {},
      }),
      deadlineSeconds: 8 * 3600,
    };
  },
  explain(results) {
    return results.map((r) =>
      r.timeouts > 0
        ? `${r.flow}: ${r.timeouts} of ${r.dataUploads} DataUploads timed out: their pods existed long before a slot was free, and gave up waiting.`
        : `${r.flow}: no timeouts; ${r.completed} of ${r.dataUploads} completed (idle CPU ${Math.round(r.idleCpuCoreSeconds)} core-seconds).`,
    );
  },
});
