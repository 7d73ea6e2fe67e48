// What the flows hold besides pods, end to end: backup volumes under a StorageClass that binds
// only with a consumer (volumeBindingMode WaitForFirstConsumer). kube-scheduler's VolumeBinding
// plugin annotates such a claim with volume.kubernetes.io/selected-node when it places the pod,
// and binds the pod once the provisioner has bound the claim on that node.
import { describe, expect, it } from 'vitest';
import { FLOW_NAMES } from '../../controller/flows/types.ts';
import { runBackup } from './backup-run.ts';

const NODES = [{ count: 3, namePrefix: 'worker', capacity: { cpu: '8', memory: '32Gi', pods: '110' } }];
const PVCS = Array.from({ length: 6 }, (_, i) => ({ namespace: 'app', name: `data-${i}`, size: '4Gi' }));
const CONFIG = {
  loadConcurrency: { globalConfig: 1, prepareQueueLength: 4 },
  loadAffinity: [{ nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'worker-1' } } }],
  podResources: { cpuRequest: '500m', cpuLimit: '0', memoryRequest: '512Mi', memoryLimit: '0' },
};

describe('backup volumes with a WaitForFirstConsumer StorageClass', () => {
  it.each(FLOW_NAMES)('%s ends every DataUpload Completed: no prepare timeout from the binding mode', async (flow) => {
    const r = await runBackup({ seed: 4, flow, nodes: NODES, pvcs: PVCS, nodeAgentConfig: flow === 'velero-1.16' ? { ...CONFIG, loadConcurrency: { globalConfig: 1 } } : CONFIG, volumeBindingMode: 'WaitForFirstConsumer', deadlineSeconds: 4 * 3600 });
    expect(r.figures.completed).toBe(6);
    expect(r.figures.outcomesByReason).toEqual({});
    expect(r.steadyState.every((c) => c.ok)).toBe(true);
    // Every backup PVC was bound, and only after its pod existed: its volume waited for a consumer.
    for (const p of r.record.backupPvcs) {
      const pod = r.record.pods.find((x) => x.dataUpload === p.name)!;
      expect(p.boundAt).toBeGreaterThan(pod.createdAt);
      // kube-scheduler binds the pod once its claim is bound on the node it chose.
      expect(pod.scheduledAt).toBeGreaterThanOrEqual(p.boundAt!);
    }
    if (flow === 'deploying') {
      // Prepared before its volume is bound: the proposal's reading for this binding mode.
      for (const d of r.record.dataUploads) {
        const prepared = d.phases.find((x) => x.phase === 'Prepared')!.at;
        expect(prepared).toBeLessThan(r.record.backupPvcs.find((p) => p.name === d.name)!.boundAt!);
      }
    }
  }, 120_000);

  it('deploying provisions a backup volume only for a claimed slot: it holds far less storage before data moves than velero-1.17', async () => {
    const run = (flow: 'velero-1.17' | 'deploying') => runBackup({ seed: 4, flow, nodes: NODES, pvcs: PVCS, nodeAgentConfig: CONFIG, volumeBindingMode: 'WaitForFirstConsumer', deadlineSeconds: 4 * 3600 });
    const [v17, dep] = [await run('velero-1.17'), await run('deploying')];
    expect(dep.figures.backupVolumeIdleGiBSeconds).toBeLessThan(v17.figures.backupVolumeIdleGiBSeconds / 4);
    // One slot: deploying has at most one backup volume provisioned at a time, 4 GiB.
    expect(dep.figures.peakBackupGiB).toBe(4);
  }, 120_000);
});
