// The figures of whole runs on the embedded cluster, where a reviewer would look for a hole: a
// pod on a failed node is not busy, and the lower bound sees the nodes' labels as the API does.
import { describe, expect, it, vi } from 'vitest';
import { runEmbedded } from './targets/embedded.ts';
import type { RunSpec } from './run.ts';

const NODES = [{ count: 2, namePrefix: 'worker', capacity: { cpu: '4', memory: '16Gi', pods: '110' } }];
const RESOURCES = { podResources: { cpuRequest: '1', cpuLimit: '0', memoryRequest: '1Gi', memoryLimit: '0' } };
const base = (over: Partial<RunSpec>): RunSpec => ({
  seed: 3,
  flow: 'velero-1.17',
  nodes: NODES,
  pvcs: Array.from({ length: 2 }, (_, i) => ({ namespace: 'app', name: `data-${i}`, size: '20Gi' })),
  nodeAgentConfig: { loadConcurrency: { globalConfig: 1 }, ...RESOURCES },
  deadlineSeconds: 6 * 3600,
  ...over,
});

describe('busy means moving, in a run with a node failure', () => {
  it("the pod on the failed node moves until its node is NotReady, then is stranded until it goes, though its DataUpload stays InProgress", async () => {
    // 20 GiB at 100 MiB/s takes 205 s: both data paths run when worker-1 fails at 60 s (seed 3: they start at 29 and 43 s).
    const r = await runEmbedded(base({ faults: [{ kind: 'node-failure', node: 'worker-1', at: 60, durationSeconds: 1200 }] }));
    const failedAt = r.faults[0].startedAt!;
    const node = r.record.nodes.find((n) => n.name === 'worker-1')!;
    const notReady = node.ready.find((x) => !x.ready)!.at;
    expect(notReady).toBeGreaterThan(failedAt);
    const i = r.record.pods.findIndex((p) => p.node === 'worker-1' && p.createdAt < failedAt);
    const pod = r.record.pods[i];
    const { moving, stranded } = r.activity[i];
    const du = r.record.dataUploads.find((d) => d.name === pod.dataUpload)!;
    const inProgress = du.phases.findIndex((p) => p.phase === 'InProgress');
    const leftInProgress = du.phases[inProgress + 1]?.at ?? r.record.endAt;
    // The DataUpload's phase says InProgress well past the failure: the old definition counted all of it busy.
    expect(leftInProgress).toBeGreaterThan(notReady + 60);
    expect(moving.at(-1)![1]).toBe(notReady);
    expect(stranded[0][0]).toBe(notReady);
    const podGone = Math.min(pod.deletedAt ?? r.record.endAt, leftInProgress);
    expect(stranded.at(-1)![1]).toBe(podGone);
    // Its stranded time is in the figure (1 CPU each second), and the other node's pod has none.
    const strandedSeconds = stranded.reduce((s, [a, b]) => s + b - a, 0);
    expect(r.figures.idleStrandedCpuCoreSeconds).toBeCloseTo(strandedSeconds, 2);
    expect(r.activity.filter((_, k) => r.record.pods[k].node === 'worker-2').every((a) => a.stranded.length === 0)).toBe(true);
  }, 60_000);
});

describe('the lower bound sees the nodes as the API shows them', () => {
  it('a loadAffinity on kubernetes.io/os: linux (every kubelet sets it) gives the same bound and figures as none', async () => {
    const plain = await runEmbedded(base({}));
    const linux = await runEmbedded(base({ nodeAgentConfig: { loadConcurrency: { globalConfig: 1 }, loadAffinity: [{ nodeSelector: { matchLabels: { 'kubernetes.io/os': 'linux' } } }], ...RESOURCES } }));
    expect(linux.figures.lowerBound).toEqual(plain.figures.lowerBound);
    expect(linux.figures.lowerBound.makespanSeconds).toBeGreaterThan(0);
    expect(linux.figures.makespanSeconds).toBe(plain.figures.makespanSeconds);
    expect(linux.figures.idleCpuCoreSeconds).toBe(plain.figures.idleCpuCoreSeconds);
  }, 60_000);

  it('a loadAffinity no recorded node matches: no bound, an error naming the nodes and their labels', async () => {
    const run = runEmbedded(base({ deadlineSeconds: 120, nodeAgentConfig: { loadConcurrency: { globalConfig: 1 }, loadAffinity: [{ nodeSelector: { matchLabels: { pool: 'backup' } } }], ...RESOURCES } }));
    await expect(run).rejects.toThrow(/no lower bound: loadAffinity admits none of the 2 nodes the run recorded \(worker-1 \{.*kubernetes\.io\/hostname=worker-1.*\}; worker-2/);
  }, 60_000);
});

describe('API cost: what is modeled is counted to the end', () => {
  it('the 5 s re-checks of a DataUpload still waiting for a slot when the run stops are counted (2 GETs each, as GetExposed)', async () => {
    // One node, one slot, velero-1.16: a 100 GiB volume moves for 1,024 s, so the second
    // DataUpload waits Prepared (parked) from its Prepared until the record is taken, after the
    // 600 s deadline and the 120 s grace.
    const opts = base({
      flow: 'velero-1.16',
      nodes: [{ count: 1, namePrefix: 'worker', capacity: { cpu: '4', memory: '16Gi', pods: '110' } }],
      pvcs: Array.from({ length: 2 }, (_, i) => ({ namespace: 'app', name: `data-${i}`, size: '100Gi' })),
      deadlineSeconds: 600,
    });
    const counted = await runEmbedded(opts);
    const { Controller } = await import('../../controller/controller.ts');
    const spy = vi.spyOn(Controller.prototype, 'countParkedRechecks').mockImplementation(() => {});
    const uncounted = await runEmbedded(opts);
    spy.mockRestore();
    const waiting = counted.record.dataUploads.find((d) => d.phases.at(-1)!.phase === 'Prepared')!;
    const preparedAt = waiting.phases.at(-1)!.at;
    const recordAt = 600 + 120;
    // The re-checks due every 5 s from when it was parked (at or just after Prepared) to the record.
    const due = Math.floor((recordAt - preparedAt) / 5);
    const extra = counted.apiCost.nodeAgents.modeled.get - uncounted.apiCost.nodeAgents.modeled.get;
    expect(extra).toBeGreaterThanOrEqual(2 * (due - 1));
    expect(extra).toBeLessThanOrEqual(2 * due);
    expect(counted.figures.apiRequestsModeledPerDataUpload.get).toBeCloseTo(counted.apiCost.nodeAgents.modeled.get / 2, 2);
  }, 60_000);
});
