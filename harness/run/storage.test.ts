// What the flows hold besides pods, end to end: backup volumes under a StorageClass that binds
// only with a consumer (volumeBindingMode WaitForFirstConsumer). kube-scheduler's VolumeBinding
// plugin annotates such a claim with volume.kubernetes.io/selected-node when it places the pod,
// and binds the pod once the provisioner has bound the claim on that node.
import { describe, expect, it } from 'vitest';
import { FLOW_NAMES } from '../../controller/flows/types.ts';
import type { FaultDecl } from '../chaos/faults.ts';
import { scenarioByName } from '../scenario/registry.ts';
import { runEmbedded } from './targets/embedded.ts';
import { runFlowJob } from './flow-run.ts';

const NODES = [{ count: 3, namePrefix: 'worker', capacity: { cpu: '8', memory: '32Gi', pods: '110' } }];
const PVCS = Array.from({ length: 6 }, (_, i) => ({ namespace: 'app', name: `data-${i}`, size: '4Gi' }));
const CONFIG = {
  loadConcurrency: { globalConfig: 1, prepareQueueLength: 4 },
  loadAffinity: [{ nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'worker-1' } } }],
  podResources: { cpuRequest: '500m', cpuLimit: '0', memoryRequest: '512Mi', memoryLimit: '0' },
};

describe('backup volumes with a WaitForFirstConsumer StorageClass', () => {
  it.each(FLOW_NAMES)('%s ends every DataUpload Completed: no prepare timeout from the binding mode', async (flow) => {
    const r = await runEmbedded({ seed: 4, flow, nodes: NODES, pvcs: PVCS, nodeAgentConfig: flow === 'velero-1.16' ? { ...CONFIG, loadConcurrency: { globalConfig: 1 } } : CONFIG, volumeBindingMode: 'WaitForFirstConsumer', deadlineSeconds: 4 * 3600 });
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
    const run = (flow: 'velero-1.17' | 'deploying') => runEmbedded({ seed: 4, flow, nodes: NODES, pvcs: PVCS, nodeAgentConfig: CONFIG, volumeBindingMode: 'WaitForFirstConsumer', deadlineSeconds: 4 * 3600 });
    const [v17, dep] = [await run('velero-1.17'), await run('deploying')];
    expect(dep.figures.backupVolumeIdleGiBSeconds).toBeLessThan(v17.figures.backupVolumeIdleGiBSeconds / 4);
    // One slot: deploying has at most one backup volume provisioned at a time, 4 GiB.
    expect(dep.figures.peakBackupGiB).toBe(4);
  }, 120_000);
});

// A ResourceQuota on Velero's namespace (kube-apiserver's admission, harness/apiserver/quota.ts).
// Velero's Expose fails on a refused create and errorOut fails the DataUpload (v1.16.2 / v1.17.2
// data_upload_controller.go Reconcile, csi_snapshot.go Expose); deploying returns the claim.
describe('a ResourceQuota on Velero\'s namespace', () => {
  const QUOTA_NODES = [{ count: 2, namePrefix: 'worker', capacity: { cpu: '8', memory: '32Gi', pods: '110' } }];
  const QUOTA_PVCS = Array.from({ length: 4 }, (_, i) => ({ namespace: 'app', name: `data-${i}`, size: '2Gi' }));
  // Two slots (one per node) and a quota of one data-mover pod.
  const quotaConfig = (flow: string) => ({
    loadConcurrency: { globalConfig: 1, ...(flow === 'velero-1.16' ? {} : { prepareQueueLength: 4 }) },
    podResources: { cpuRequest: '500m', cpuLimit: '0', memoryRequest: '512Mi', memoryLimit: '0' },
  });
  const run = (flow: (typeof FLOW_NAMES)[number]) =>
    runEmbedded({ seed: 2, flow, nodes: QUOTA_NODES, pvcs: QUOTA_PVCS, nodeAgentConfig: quotaConfig(flow), resourceQuotas: [{ name: 'movers', hard: { pods: '1' } }], deadlineSeconds: 4 * 3600 });

  it.each([
    ['velero-1.16', 'error to expose snapshot'],
    ['velero-1.17', 'error exposing snapshot'],
  ] as const)('%s fails each DataUpload whose pod the quota refuses, reason quota-exceeded, with Velero\'s message', async (flow, prefix) => {
    const r = await run(flow);
    const failed = r.dataUploads.filter((d) => d.phase === 'Failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(r.figures.outcomesByReason).toEqual({ 'quota-exceeded': failed.length });
    expect(r.figures.completed + failed.length).toBe(4);
    for (const d of failed) {
      expect(r.observed!.dataUploads.find((o) => o.name === d.name)!.message).toBe(`${prefix}: error to create backup pod: pods "${d.name}" is forbidden: exceeded quota: movers, requested: pods=1, used: pods=1, limited: pods=1`);
    }
    // The quota held: never more than one data-mover pod at once, and the refused ones left nothing behind.
    expect(r.figures.peakDataMoverPods).toBe(1);
    expect(r.figures.claimsReturned).toBe(0);
    expect(r.steadyState.every((c) => c.ok)).toBe(true);
  }, 120_000);

  it('deploying gives a refused claim back and completes every DataUpload, one pod at a time', async () => {
    const r = await run('deploying');
    expect(r.figures.completed).toBe(4);
    expect(r.figures.outcomesByReason).toEqual({});
    expect(r.figures.peakDataMoverPods).toBe(1);
    // Two slots, one pod allowed: the second node's claims are refused and given back.
    expect(r.figures.claimsReturned).toBeGreaterThan(0);
    const returned = r.record.dataUploads.filter((d) => d.phases.some((p, i) => p.phase === 'Prepared' && d.phases[i - 1]?.phase === 'DatamoverDeploying'));
    expect(returned.length).toBeGreaterThan(0);
    expect(r.steadyState.every((c) => c.ok)).toBe(true);
  }, 120_000);
});

// Storage topology: volumes that attach only in their zone. kube-scheduler follows the volume
// (VolumeBinding); deploying pins its pod to the claiming node, which may be in another zone.
describe('backup volumes that attach only in their zone (--storage-topology zonal)', () => {
  const ZONAL_NODES = [{ count: 2, namePrefix: 'worker', capacity: { cpu: '8', memory: '32Gi', pods: '110' }, zones: ['zone-a', 'zone-b'] }];
  const ZONAL_PVCS = Array.from({ length: 6 }, (_, i) => ({ namespace: 'app', name: `data-${i}`, size: '2Gi' }));
  const zonalConfig = { loadConcurrency: { globalConfig: 1, prepareQueueLength: 6 }, podResources: { cpuRequest: '500m', cpuLimit: '0', memoryRequest: '512Mi', memoryLimit: '0' }, datamoverBench: { deployTimeout: '5m' } };
  const run = (flow: 'velero-1.17' | 'deploying' | 'pipelined', bindingMode: 'Immediate' | 'WaitForFirstConsumer' = 'Immediate') =>
    runEmbedded({ seed: 3, flow, nodes: ZONAL_NODES, pvcs: ZONAL_PVCS, nodeAgentConfig: zonalConfig, storageTopology: 'zonal', volumeBindingMode: bindingMode, deadlineSeconds: 4 * 3600 });

  it('velero-1.17 completes every DataUpload: the scheduler puts each pod in its volume\'s zone', async () => {
    const r = await run('velero-1.17');
    expect(r.figures.completed).toBe(6);
    expect(r.steadyState.every((c) => c.ok)).toBe(true);
  }, 120_000);

  it('deploying loses the claims made in the wrong zone to the deploy timeout, their pods never scheduled', async () => {
    const r = await run('deploying');
    const timedOut = r.record.dataUploads.filter((d) => d.reason === 'deploy-timeout');
    expect(timedOut.length).toBeGreaterThan(0);
    expect(r.figures.completed + timedOut.length).toBe(6);
    for (const d of timedOut) {
      const pods = r.record.pods.filter((p) => p.dataUpload === d.name);
      expect(pods.length).toBeGreaterThan(0);
      for (const p of pods) expect(p.scheduledAt).toBeUndefined();
    }
    expect(r.steadyState.every((c) => c.ok)).toBe(true);
  }, 120_000);
});

// pipelined's mechanisms end to end: each test fails with the mechanism switched off (its flow
// option removed, the flow is deploying in that respect).
describe('pipelined end to end', () => {
  const ZONAL_NODES = [{ count: 2, namePrefix: 'worker', capacity: { cpu: '8', memory: '32Gi', pods: '110' }, zones: ['zone-a', 'zone-b'] }];
  const PVCS = (n: number, size = '2Gi') => Array.from({ length: n }, (_, i) => ({ namespace: 'app', name: `data-${i}`, size }));
  const resources = { podResources: { cpuRequest: '500m', cpuLimit: '0', memoryRequest: '512Mi', memoryLimit: '0' } };

  it.each(['Immediate', 'WaitForFirstConsumer'] as const)('claims only where the volume attaches: zonal, %s binding, every DataUpload completes (deploying loses some)', async (bindingMode) => {
    const config = { loadConcurrency: { globalConfig: 1, prepareQueueLength: 6 }, ...resources, datamoverBench: { deployTimeout: '5m' } };
    const run = (flow: 'deploying' | 'pipelined') => runEmbedded({ seed: 3, flow, nodes: ZONAL_NODES, pvcs: PVCS(6), nodeAgentConfig: config, storageTopology: 'zonal', volumeBindingMode: bindingMode, deadlineSeconds: 4 * 3600 });
    const [dep, pipe] = [await run('deploying'), await run('pipelined')];
    expect(dep.figures.timeouts).toBeGreaterThan(0);
    expect(pipe.figures.completed).toBe(6);
    expect(pipe.figures.outcomesByReason).toEqual({});
    expect(pipe.steadyState.every((c) => c.ok)).toBe(true);
  }, 120_000);

  it('fails a DataUpload whose volume attaches on no node loadAffinity admits, at once and by name (volume-unreachable)', async () => {
    // Node-local volumes; data movers only on worker-1: the volumes on worker-2 can never be moved.
    const nodes = [{ count: 2, namePrefix: 'worker', capacity: { cpu: '8', memory: '32Gi', pods: '110' } }];
    const config = { loadConcurrency: { globalConfig: 1, prepareQueueLength: 6 }, loadAffinity: [{ nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'worker-1' } } }], ...resources };
    const r = await runEmbedded({ seed: 5, flow: 'pipelined', nodes, pvcs: PVCS(6), nodeAgentConfig: config, storageTopology: 'node-local', deadlineSeconds: 4 * 3600 });
    const unreachable = r.record.dataUploads.filter((d) => d.reason === 'volume-unreachable');
    expect(unreachable.length).toBeGreaterThan(0);
    expect(r.figures.completed + unreachable.length).toBe(6);
    for (const d of unreachable) {
      const prepared = d.phases.find((p) => p.phase === 'Prepared')!.at;
      const failed = d.phases.find((p) => p.phase === 'Failed')!.at;
      // Within seconds of Prepared; the velero flows wait the 30 min prepare timeout.
      expect(failed - prepared).toBeLessThan(10);
    }
    expect(r.steadyState.every((c) => c.ok)).toBe(true);
  }, 120_000);

  it('runs a DataUpload whose pod is deleted with grace 0 while it moves data again, on a new pod: every one completes; deploying leaves it to the item operation timeout', async () => {
    const nodes = [{ count: 1, namePrefix: 'worker', capacity: { cpu: '8', memory: '32Gi', pods: '110' } }];
    const config = { loadConcurrency: { globalConfig: 1, prepareQueueLength: 4 }, ...resources };
    const faults: FaultDecl[] = [{ kind: 'pod-kill', count: 1, dataUploadPhase: 'InProgress', when: { phase: 'InProgress', fraction: 0.25 } }];
    const run = (flow: 'deploying' | 'pipelined') => runEmbedded({ seed: 2, flow, nodes, pvcs: PVCS(4, '20Gi'), nodeAgentConfig: config, faults, itemOperationTimeoutMs: 3600_000, deadlineSeconds: 4 * 3600 });
    const [dep, pipe] = [await run('deploying'), await run('pipelined')];
    const killed = (r: typeof pipe) => {
      const kill = r.faults.find((f) => f.kind === 'pod-kill')!;
      return { kill, du: r.record.dataUploads.find((d) => d.name === kill.dataUploads![0])! };
    };
    const { kill, du } = killed(pipe);
    // Given back to Prepared within a minute of the kill, then claimed again, run on a new pod, Completed.
    const phases = du.phases.map((p) => p.phase);
    expect(phases.slice(phases.indexOf('InProgress'))).toEqual(['InProgress', 'Prepared', 'DatamoverDeploying', 'InProgress', 'Completed']);
    expect(du.phases[phases.indexOf('InProgress') + 1].at - kill.startedAt!).toBeLessThan(60);
    expect(pipe.figures.completed).toBe(4);
    expect(pipe.steadyState.filter((c) => !c.ok).map((c) => c.name)).toEqual([]);
    // deploying: the killed one stays InProgress until the item operation timeout (1 h here).
    const d = killed(dep);
    expect(d.du.outcome).not.toBe('Completed');
    expect(d.du.phases[d.du.phases.length - 1].at - d.kill.startedAt!).toBeGreaterThan(3000);
  }, 120_000);

  it('runs an evicted DataUpload again: under memory pressure every one completes; deploying fails the evicted (pod-evicted)', async () => {
    const nodes = [{ count: 1, namePrefix: 'worker', capacity: { cpu: '8', memory: '32Gi', pods: '110' } }];
    const config = { loadConcurrency: { globalConfig: 2, prepareQueueLength: 4 }, ...resources };
    const faults: FaultDecl[] = [{ kind: 'node-memory-pressure', node: 'worker-1', when: { phase: 'InProgress', fraction: 0.2 }, durationSeconds: 120 }];
    const run = (flow: 'deploying' | 'pipelined') => runEmbedded({ seed: 4, flow, nodes, pvcs: PVCS(5, '20Gi'), nodeAgentConfig: config, faults, deadlineSeconds: 4 * 3600 });
    const [dep, pipe] = [await run('deploying'), await run('pipelined')];
    expect(dep.figures.outcomesByReason['pod-evicted']).toBeGreaterThan(0);
    expect(pipe.figures.completed).toBe(5);
    const rerun = pipe.record.dataUploads.filter((d) => d.phases.some((p, i) => p.phase === 'Prepared' && d.phases[i - 1]?.phase === 'InProgress'));
    expect(rerun.length).toBe(dep.figures.outcomesByReason['pod-evicted']);
    expect(pipe.steadyState.filter((c) => !c.ok).map((c) => c.name)).toEqual([]);
  }, 120_000);

  it('gives up a lost node\'s DataUploads within ten minutes of its failure, by name (node-lost); deploying waits for the node to come back', async () => {
    const nodes = [{ count: 2, namePrefix: 'worker', capacity: { cpu: '8', memory: '32Gi', pods: '110' } }];
    const config = { loadConcurrency: { globalConfig: 1, prepareQueueLength: 4 }, ...resources };
    // Down for an hour from when the first data path moves.
    const faults: FaultDecl[] = [{ kind: 'node-failure', node: 'worker-1', when: { phase: 'InProgress', fraction: 0.01 }, durationSeconds: 3600 }];
    const run = (flow: 'deploying' | 'pipelined') => runEmbedded({ seed: 2, flow, nodes, pvcs: PVCS(6, '40Gi'), nodeAgentConfig: config, faults, deadlineSeconds: 6 * 3600 });
    const [dep, pipe] = [await run('deploying'), await run('pipelined')];
    const lost = pipe.record.dataUploads.filter((d) => d.reason === 'node-lost');
    expect(lost.length).toBeGreaterThan(0);
    const failure = pipe.faults.find((f) => f.kind === 'node-failure')!;
    for (const d of lost) expect(d.phases[d.phases.length - 1].at - failure.startedAt!).toBeLessThan(600);
    // Everything else completed on the other node (the one accepted on the lost node was taken
    // over once Prepared), and every check passes.
    expect(pipe.figures.completed + lost.length).toBe(6);
    expect(pipe.steadyState.filter((c) => !c.ok).map((c) => c.name)).toEqual([]);
    // deploying: the one accepted there waits for the prepare timeout (30 min), the one moving
    // data there until the node is back (its agent cancels it at its start): none within 10 min.
    const depFailure = dep.faults.find((f) => f.kind === 'node-failure')!;
    const depEnds = dep.record.dataUploads.filter((d) => d.outcome !== 'Completed').map((d) => d.phases[d.phases.length - 1].at - depFailure.startedAt!);
    expect(depEnds.length).toBeGreaterThan(0);
    expect(Math.min(...depEnds)).toBeGreaterThan(600);
  }, 120_000);

  it('writes a failed completion again: with 40% of DataUpload updates refused (500), every DataUpload completes; deploying leaves some to the item operation timeout', async () => {
    const nodes = [{ count: 1, namePrefix: 'worker', capacity: { cpu: '8', memory: '32Gi', pods: '110' } }];
    const config = { loadConcurrency: { globalConfig: 2, prepareQueueLength: 6 }, ...resources };
    const faults: FaultDecl[] = [{ kind: 'api-errors', at: 0, durationSeconds: 4 * 3600, errorCode: 500, rate: 0.4, verbs: ['update'], resources: ['datauploads'] }];
    const run = (flow: 'deploying' | 'pipelined') => runEmbedded({ seed: 5, flow, nodes, pvcs: PVCS(8, '4Gi'), nodeAgentConfig: config, faults, itemOperationTimeoutMs: 3600_000, deadlineSeconds: 3 * 3600 });
    const [dep, pipe] = [await run('deploying'), await run('pipelined')];
    expect(pipe.figures.completed).toBe(8);
    expect(pipe.steadyState.filter((c) => !c.ok).map((c) => c.name)).toEqual([]);
    expect(dep.figures.outcomesByReason['operation-timeout'] ?? 0).toBeGreaterThan(0);
  }, 120_000);

  /** Seconds from one Data-Path-Completed to the next Data-Path-Started on the one slot, in order. */
  const handoffs = (r: Awaited<ReturnType<typeof runEmbedded>>) => {
    const ev = [...r.record.dataPathEvents].sort((a, b) => a.at - b.at);
    const gaps: number[] = [];
    for (let i = 0; i < ev.length; i++) {
      if (ev[i].reason !== 'Data-Path-Completed') continue;
      const next = ev.slice(i + 1).find((e) => e.reason === 'Data-Path-Started');
      if (next) gaps.push(next.at - ev[i].at);
    }
    return gaps;
  };

  it('the largest first: a DataUpload accepted early but Prepared late (its big volume restores slowly) takes the next slot', async () => {
    const nodes = [{ count: 1, namePrefix: 'worker', capacity: { cpu: '8', memory: '32Gi', pods: '110' } }];
    const config = { loadConcurrency: { globalConfig: 1, prepareQueueLength: 6 }, ...resources };
    const pvcs = [{ namespace: 'app', name: 'data-0', size: '8Gi' }, { namespace: 'app', name: 'data-1', size: '200Gi' }, ...PVCS(4).map((p, i) => ({ ...p, name: `data-${i + 2}` }))];
    const r = await runEmbedded({ seed: 7, flow: 'pipelined', nodes, pvcs, nodeAgentConfig: config, deadlineSeconds: 8 * 3600 });
    const at = (d: (typeof r.record.dataUploads)[number], phase: string) => d.phases.find((p) => p.phase === phase)?.at ?? Infinity;
    const big = r.record.dataUploads.find((d) => d.pvc === 'app/data-1')!;
    // Its volume takes longest to restore: others are Prepared before it...
    expect(r.record.dataUploads.filter((d) => d !== big && at(d, 'Prepared') < at(big, 'Prepared')).length).toBeGreaterThan(1);
    // ...yet, the largest (and accepted before them), it is the next claimed once it is Prepared:
    // no smaller one, waiting longer in Prepared, is claimed after that and starts before it.
    const between = r.record.dataUploads.filter((d) => d !== big && at(d, 'DatamoverDeploying') > at(big, 'Prepared') && at(d, 'InProgress') < at(big, 'InProgress'));
    expect(between.map((d) => d.pvc)).toEqual([]);
    expect(r.record.dataUploads.filter((d) => at(d, 'Accepted') > at(big, 'Accepted') && at(d, 'Prepared') < at(big, 'Prepared') && at(d, 'InProgress') > at(big, 'InProgress')).length).toBeGreaterThan(0);
    expect(r.figures.completed).toBe(6);
  }, 120_000);

  it('looks ahead: with every slot taken, the next pod is made as a data path nears its end, so it runs when the slot frees', async () => {
    const nodes = [{ count: 1, namePrefix: 'worker', capacity: { cpu: '8', memory: '32Gi', pods: '110' } }];
    const config = { loadConcurrency: { globalConfig: 1, prepareQueueLength: 6 }, ...resources };
    const r = await runEmbedded({ seed: 7, flow: 'pipelined', nodes, pvcs: PVCS(6, '20Gi'), nodeAgentConfig: config, deadlineSeconds: 4 * 3600 });
    const ev = [...r.record.dataPathEvents].sort((a, b) => a.at - b.at);
    const completedAt = new Map(ev.filter((e) => e.reason === 'Data-Path-Completed').map((e) => [e.dataUpload, e.at]));
    const startedAt = new Map(ev.filter((e) => e.reason === 'Data-Path-Started').map((e) => [e.dataUpload, e.at]));
    const order = [...startedAt.entries()].sort((a, b) => a[1] - b[1]).map(([d]) => d);
    const ended = (name: string) => r.record.dataUploads.find((d) => d.name === name)!.phases.find((p) => p.phase === 'Completed')!.at;
    for (let i = 1; i < order.length; i++) {
      const pod = r.record.pods.find((p) => p.dataUpload === order[i])!;
      // The next pod was made before the data path before it ended, and was running by the time
      // that DataUpload was Completed (its slot frees when its data path ends, CleanUp after).
      expect(pod.createdAt).toBeLessThan(completedAt.get(order[i - 1])!);
      expect(pod.runningAt!).toBeLessThanOrEqual(ended(order[i - 1]));
    }
    expect(r.figures.completed).toBe(6);
    expect(r.figures.peakDataMoverPods).toBe(2);
  }, 120_000);

  it('frees a slot when its data path ends: with one slot, the next data path starts before the DataUpload before it is Completed (CleanUp still running)', async () => {
    const nodes = [{ count: 1, namePrefix: 'worker', capacity: { cpu: '8', memory: '32Gi', pods: '110' } }];
    const config = { loadConcurrency: { globalConfig: 1, prepareQueueLength: 6 }, ...resources };
    const run = (flow: 'deploying' | 'pipelined') => runEmbedded({ seed: 7, flow, nodes, pvcs: PVCS(6, '20Gi'), nodeAgentConfig: config, deadlineSeconds: 4 * 3600 });
    const [dep, pipe] = [await run('deploying'), await run('pipelined')];
    const overlaps = (r: typeof pipe) => {
      const at = (d: (typeof r.record.dataUploads)[number], phase: string) => d.phases.find((p) => p.phase === phase)!.at;
      const byStart = [...r.record.dataUploads].sort((a, b) => at(a, 'InProgress') - at(b, 'InProgress'));
      return byStart.slice(1).filter((d, i) => at(d, 'InProgress') < at(byStart[i], 'Completed')).length;
    };
    // Velero frees the slot after CleanUp and the Completed write: never before, on one slot.
    expect(overlaps(dep)).toBe(0);
    expect(overlaps(pipe)).toBe(5);
    expect(pipe.figures.completed).toBe(6);
    expect(pipe.steadyState.filter((c) => !c.ok).map((c) => c.name)).toEqual([]);
  }, 120_000);

  it('completes, at its agent\'s restart, a DataUpload whose data path ended just before the agent crashed (its result read from the Data-Path-Completed Event): controller-restart, every one completes', async () => {
    const scenario = (await scenarioByName('controller-restart'))!;
    const params = Object.fromEntries(scenario.params.map((p) => [p.name, p.default]));
    const r = await runFlowJob({ scenario: 'controller-restart', params, seed: 1, flow: 'pipelined' });
    const restarts = r.faults.filter((f) => f.kind === 'node-agent-restart' && f.startedAt !== null);
    // The DataUploads whose pod was gone (deleted by CleanUp after its data path) when their agent
    // was killed, and that were Completed after it came back: their result came from the Event.
    const fromEvent = r.dataUploads.filter((d) => {
      const pod = r.pods.find((p) => p.dataUpload === d.name && p.node === d.node);
      const completed = d.phases.find((p) => p.phase === 'Completed')?.at;
      return pod?.deletedAt !== undefined && completed !== undefined && restarts.some((f) => f.node === d.node && pod.deletedAt! <= f.startedAt! && completed >= f.endedAt!);
    });
    expect(fromEvent.length).toBeGreaterThan(0);
    expect(r.figures.completed).toBe(r.figures.dataUploads);
    expect(r.steadyState.filter((c) => !c.ok).map((c) => c.name)).toEqual([]);
  }, 180_000);

  it('claims a freed slot at once: one slot, six DataUploads, hand-offs shorter than deploying\'s by more than a second on average', async () => {
    const nodes = [{ count: 1, namePrefix: 'worker', capacity: { cpu: '8', memory: '32Gi', pods: '110' } }];
    const config = { loadConcurrency: { globalConfig: 1, prepareQueueLength: 6 }, ...resources };
    const run = (flow: 'deploying' | 'pipelined') => runEmbedded({ seed: 7, flow, nodes, pvcs: PVCS(6, '4Gi'), nodeAgentConfig: config, deadlineSeconds: 4 * 3600 });
    const [dep, pipe] = [await run('deploying'), await run('pipelined')];
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(handoffs(pipe)).toHaveLength(5);
    // deploying waits for its next 5 s re-check (2.5 s on average) before it claims.
    expect(mean(handoffs(pipe))).toBeLessThan(mean(handoffs(dep)) - 1);
    expect(pipe.figures.completed).toBe(6);
  }, 120_000);
});
