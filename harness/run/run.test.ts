// The reference controller against the embedded cluster, end to end: the case of Velero issue
// #8316 (10 PVCs of 20 GiB, concurrency 1, data movers pinned to one node, 1 CPU / 1 GiB
// requests) under every flow, with and without the data-mover pod's deadline, a node-agent
// killed and restarted mid-run, and every DataUpload write checked against Velero's own CRD.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { DataUpload } from '../../controller/api/dataupload.ts';
import { FLOW_NAMES, type FlowName } from '../../controller/flows/types.ts';
import { API_VERBS } from '../../controller/kube/io.ts';
import { validateAgainstSchema } from '../apiserver/schema.ts';
import { veleroDataUploadSchema } from '../crds/velero-dataupload.ts';
import { runEmbedded, type EmbeddedTargetOptions } from './targets/embedded.ts';
import type { RunSpec, RunResult } from './run.ts';

// Velero's own DataUpload schema, as the project's facts state it: what Velero's CRD would accept.
const veleroSchema = veleroDataUploadSchema();

const NODES = [{ count: 3, namePrefix: 'worker', capacity: { cpu: '4', memory: '16Gi', pods: '110' } }];
const PVCS = Array.from({ length: 10 }, (_, i) => ({ namespace: 'app', name: `data-${i}`, size: '20Gi' }));
/** Velero issue #8316's setup: one slot per node, data movers pinned to worker-1, 1 CPU / 1 GiB each. */
function issue8316Config(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    loadConcurrency: { globalConfig: 1, ...((extra.loadConcurrency as object) ?? {}) },
    loadAffinity: [{ nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'worker-1' } } }],
    podResources: { cpuRequest: '1', cpuLimit: '0', memoryRequest: '1Gi', memoryLimit: '0' },
    ...(extra.datamoverBench ? { datamoverBench: extra.datamoverBench } : {}),
  };
}

function run(flow: FlowName, more: Partial<RunSpec> = {}, o: EmbeddedTargetOptions = {}): Promise<RunResult> {
  return runEmbedded({ seed: 7, flow, nodes: NODES, pvcs: PVCS, nodeAgentConfig: issue8316Config(), deadlineSeconds: 4 * 3600, ...more }, o);
}

function phasesOf(r: RunResult): Record<string, number> {
  const count: Record<string, number> = {};
  for (const du of r.dataUploads) count[du.phase] = (count[du.phase] ?? 0) + 1;
  return count;
}

function expectNothingLeft(r: RunResult): void {
  expect(r.leftovers).toEqual({ pods: [], persistentVolumeClaims: [], volumeSnapshots: [], volumeSnapshotContents: [] });
}

function printCost(r: RunResult): void {
  const per = API_VERBS.map((v) => `${v} ${r.apiRequestsPerDataUpload[v].toFixed(1)}`).join(', ');
  console.log(
    `[${r.flow}] ${r.dataUploads.length} DataUploads, ${r.simulatedSeconds.toFixed(0)} s simulated in ${r.wallSeconds.toFixed(1)} s wall; ` +
      `node-agent requests per DataUpload: ${per} (modeled ${JSON.stringify(r.apiCost.nodeAgents.modeled)}; conflicts ${r.apiCost.nodeAgents.conflicts})`,
  );
}

describe('the #8316 case under every flow', () => {
  const results = new Map<FlowName, RunResult>();
  const writes = new Map<FlowName, DataUpload[]>();

  it.each(FLOW_NAMES)('%s: all ten complete, nothing is left behind', async (flow) => {
    const seen: DataUpload[] = [];
    const r = await run(flow, { nodeAgentConfig: issue8316Config(flow === 'velero-1.17' ? { loadConcurrency: { prepareQueueLength: 2 } } : {}) }, { onDataUploadWrite: (du) => seen.push(structuredClone(du)) });
    results.set(flow, r);
    writes.set(flow, seen);
    printCost(r);
    expect(r.endedBy).toBe('done');
    expect(r.outcome?.phase).toBe('Completed');
    expect(phasesOf(r)).toEqual({ Completed: 10 });
    expectNothingLeft(r);
    // Per DataUpload, by hand from the exposer: it creates the backup VolumeSnapshot, its
    // VolumeSnapshotContent, the backup PVC and the pod (4); it deletes the source VolumeSnapshot
    // and its content while exposing, then the pod, the backup PVC, the backup VolumeSnapshot and
    // (if any) the source one on cleanup (6). Every flow, every DataUpload completed.
    expect(r.apiRequestsPerDataUpload.create).toBe(4);
    expect(r.apiRequestsPerDataUpload.delete).toBe(6);
    expect(r.apiRequestsPerDataUpload.update + r.apiRequestsPerDataUpload.patch).toBeGreaterThan(0);
    // The figures, from the recorder's watches, agree with the API server's own write log.
    const f = r.figures;
    expect(f).toMatchObject({ dataUploads: 10, completed: 10, timeouts: 0, peakDataMoverPods: r.observed!.peakPods, peakDataMoverPodsPerNode: r.observed!.peakPodsPerNode });
    expect(f.makespanSeconds).toBeGreaterThanOrEqual(f.lowerBound.makespanSeconds);
    expect(f.lowerBound.dataUploads).toBe(10);
    expect(f.idleCpuCoreSeconds).toBeGreaterThanOrEqual(f.lowerBound.idleCpuCoreSeconds!);
    // 10 x 20 GiB at 100 MiB/s: 2,048 core-seconds of data moving, whatever the flow.
    expect(f.busyCpuCoreSeconds).toBeCloseTo(2048, -1);
  });

  it('velero-1.16 creates a pod per DataUpload at once: ten exist together, most of them waiting', () => {
    expect(results.get('velero-1.16')!.observed!.peakPods).toBe(10);
  });

  it('deploying holds far fewer idle resource-seconds than velero-1.16', () => {
    const old = results.get('velero-1.16')!.figures;
    const proposal = results.get('deploying')!.figures;
    console.log(`idle CPU core-seconds: velero-1.16 ${old.idleCpuCoreSeconds} (pending ${old.idlePendingCpuCoreSeconds}), deploying ${proposal.idleCpuCoreSeconds}, lower bound ${proposal.lowerBound.idleCpuCoreSeconds}`);
    expect(proposal.idleCpuCoreSeconds * 10).toBeLessThan(old.idleCpuCoreSeconds);
    expect(old.idlePendingCpuCoreSeconds).toBeGreaterThan(0);
    expect(proposal.idlePendingCpuCoreSeconds).toBeLessThan(old.idlePendingCpuCoreSeconds);
  });

  it('deploying never runs more than one data-mover pod on the node (concurrency 1)', () => {
    const r = results.get('deploying')!;
    expect(r.observed!.peakPods).toBe(1);
    expect(Math.max(...Object.values(r.observed!.peakPodsPerNode))).toBe(1);
  });

  it('velero-1.17 with prepareQueueLength 2 keeps at most 2 (+ one per node) DataUploads exposed', () => {
    const r = results.get('velero-1.17')!;
    expect(r.observed!.peakExposeOnGoing).toBeGreaterThanOrEqual(2);
    expect(r.observed!.peakExposeOnGoing).toBeLessThanOrEqual(2 + 3);
    expect(r.observed!.peakPods).toBeLessThan(10);
  });

  it('every DataUpload the velero flows write validates against Velero’s own CRD; deploying’s differ only by the phase it adds', () => {
    for (const flow of ['velero-1.16', 'velero-1.17'] as const) {
      const bad = writes.get(flow)!.flatMap((du) => validateAgainstSchema(veleroSchema, du).map((e) => `${du.metadata.name}: ${JSON.stringify(e)}`));
      expect(bad).toEqual([]);
      expect(writes.get(flow)!.length).toBeGreaterThan(10);
    }
    const deploying = writes.get('deploying')!;
    const phases = new Set<string>();
    for (const du of deploying) {
      const errs = validateAgainstSchema(veleroSchema, du);
      for (const e of errs) phases.add(`${e.field}=${du.status?.phase}`);
      if (du.status?.phase !== 'DatamoverDeploying') expect(errs).toEqual([]);
    }
    expect([...phases]).toEqual(['status.phase=DatamoverDeploying']);
  });
});

describe('with the data-mover pod’s deadline for InProgress (podInProgressTimeout 10m)', () => {
  const withDeadline = issue8316Config({ datamoverBench: { podInProgressTimeout: '10m' } });

  it('velero-1.16 reproduces #8316: pods waiting for a slot give up and their DataUploads fail', async () => {
    const r = await run('velero-1.16', { nodeAgentConfig: withDeadline });
    printCost(r);
    expect(r.endedBy).toBe('done');
    const failed = r.dataUploads.filter((d) => d.phase !== 'Completed');
    expect(failed.length).toBeGreaterThan(0);
    expect(new Set(failed.map((d) => d.reason))).toEqual(new Set(['pod-inprogress-timeout']));
    expect(r.observed!.dataUploads.find((d) => d.name === failed[0].name)!.message).toMatch(/context deadline exceeded/);
    expect(r.outcome?.phase).toBe('PartiallyFailed');
    expectNothingLeft(r);
  });

  it('deploying completes all ten: a pod exists only once its slot is reserved', async () => {
    const r = await run('deploying', { nodeAgentConfig: withDeadline });
    printCost(r);
    expect(phasesOf(r)).toEqual({ Completed: 10 });
    expectNothingLeft(r);
  });
});

describe('a node-agent killed and restarted mid-run', () => {
  it.each(FLOW_NAMES)('%s: every DataUpload ends, none is stuck, nothing is left behind', async (flow) => {
    const r = await run(flow, { faults: [{ kind: 'node-agent-restart', node: 'worker-1', at: 500, durationSeconds: 60 }] });
    printCost(r);
    expect(r.endedBy).toBe('done');
    expect(r.dataUploads.every((d) => ['Completed', 'Failed', 'Canceled'].includes(d.phase))).toBe(true);
    expectNothingLeft(r);
    const counts = phasesOf(r);
    if (flow === 'velero-1.16') {
      // v1.16 cancels every Accepted DataUpload when a node-agent starts.
      expect(counts.Canceled).toBeGreaterThan(0);
      expect(r.dataUploads.filter((d) => d.phase === 'Canceled').every((d) => d.reason === 'node-agent-restart')).toBe(true);
    } else {
      // v1.17 keeps Accepted and Prepared, and every flow resumes InProgress.
      expect(counts).toEqual({ Completed: 10 });
    }
  });
});

describe('determinism of a controller run over HTTP', () => {
  // Three node-agents race over sockets for every DataUpload; the pacer makes the winners, and so
  // every figure, a function of the seed alone.
  const fingerprint = (r: RunResult) => ({
    phases: r.dataUploads.map((d) => `${d.pvc}: ${d.phases.map((p) => `${p.phase}@${p.at}`).join(' ')}`).sort(),
    cost: r.apiCost.nodeAgents.total(),
    conflicts: r.apiCost.nodeAgents.conflicts,
    peakPods: r.observed!.peakPods,
  });

  it('velero-1.16 twice with seed 7, once with the other core busy: the same timelines and request counts; seed 8 differs', async () => {
    const opts = { pvcs: PVCS.slice(0, 5) };
    const quiet = fingerprint(await run('velero-1.16', opts));
    const hog = spawn(process.execPath, ['-e', 'const end = Date.now() + 60000; while (Date.now() < end) {}'], { stdio: 'ignore' });
    let loaded;
    try {
      loaded = fingerprint(await run('velero-1.16', opts));
    } finally {
      hog.kill();
    }
    expect(quiet.conflicts).toBeGreaterThan(0);
    expect(loaded).toEqual(quiet);
    const other = fingerprint(await run('velero-1.16', { ...opts, seed: 8 }));
    expect(other.phases).not.toEqual(quiet.phases);
  });
});

describe('the server’s item operation timeout cancels what is left', () => {
  it.each(FLOW_NAMES)('%s: DataUploads past a 15 min item operation timeout are canceled in every phase, and nothing is left behind', async (flow) => {
    const r = await run(flow, { itemOperationTimeoutMs: 15 * 60_000 });
    printCost(r);
    expect(r.endedBy).toBe('done');
    expect(r.outcome?.phase).toBe('PartiallyFailed');
    const canceledByServer = r.outcome!.dataUploads.filter((d) => d.canceledByServer);
    expect(canceledByServer.length).toBeGreaterThan(0);
    // Every canceled DataUpload ended Canceled (one in progress went through Canceling).
    for (const d of canceledByServer) {
      const rec = r.dataUploads.find((x) => x.name === d.name);
      expect(rec?.phase).toBe('Canceled');
      expect(rec?.reason).toBe('operation-timeout');
    }
    expect(r.figures.timeouts).toBe(canceledByServer.length);
    expect(r.dataUploads.some((d) => d.phases.some((p) => p.phase === 'Canceling'))).toBe(true);
    expect(r.dataUploads.filter((d) => d.phase === 'Completed').length).toBeGreaterThan(0);
    expectNothingLeft(r);
  });
});
