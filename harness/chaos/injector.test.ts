// Each fault: it happens at its moment, does what the real component would, and is undone after
// its duration. A real embedded cluster with its simulation; the controller is a stand-in that
// records kills and starts (the node-agents themselves are tested in harness/run/run.test.ts).
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { DATA_UPLOAD_GROUP, DATA_UPLOAD_LABEL, DATA_UPLOAD_PLURAL } from '../../controller/api/dataupload.ts';
import type { Controller } from '../../controller/controller.ts';
import { KubeIo } from '../../controller/kube/io.ts';
import { startEmbeddedCluster, type EmbeddedCluster } from '../cluster/embedded.ts';
import { seededRandom } from '../random.ts';
import { resourceInfo } from '../sim/context.ts';
import { NODE_ANNOTATIONS } from '../sim/programs.ts';
import { VirtualClock } from '../sim/virtual-clock.ts';
import { parseFaults, type FaultDecl } from './faults.ts';
import { runEmbedded } from '../run/targets/embedded.ts';
import { ChaosInjector } from './injector.ts';

let cluster: EmbeddedCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function setup(decls: FaultDecl[], expectedDataUploads = 4) {
  const clock = new VirtualClock();
  const start = clock.now();
  cluster = await startEmbeddedCluster({ clock, simulation: { nodes: [{ count: 2, namePrefix: 'node', capacity: { cpu: '4', memory: '8Gi', pods: '110' } }] } });
  const api = cluster.server.api;
  api.create(resourceInfo(api, '', 'v1', 'namespaces'), undefined, { metadata: { name: 'velero' } });
  const agents = new Map<string, object>([['node-1', {}], ['node-2', {}]]);
  const calls: string[] = [];
  const at = () => (clock.now() - start) / 1000;
  const controller = {
    agents,
    killAgent: async (n: string) => void (agents.delete(n), calls.push(`kill ${n} at ${at()}`)),
    startAgent: async (n: string) => void (agents.set(n, {}), calls.push(`start ${n} at ${at()}`)),
  } as unknown as Controller;
  const nodes = ['node-1', 'node-2'].map((name) => ({ name, labels: { 'kubernetes.io/hostname': name } }));
  const injector = new ChaosInjector(
    { clock, start, api, server: cluster.server, sim: cluster.simulation!, controller, random: seededRandom(3), expectedDataUploads, namespace: 'velero' },
    parseFaults(decls, nodes),
  );
  const until = (s: number) => clock.run(() => false, start + s * 1000);
  const node = (name: string) => api.get(resourceInfo(api, '', 'v1', 'nodes'), undefined, name).obj as { metadata: { annotations?: Record<string, string> }; spec: { taints?: { key: string }[] }; status: { conditions: { type: string; status: string }[] } };
  const condition = (name: string, type: string) => node(name).status.conditions.find((c) => c.type === type)?.status;
  return { clock, api, injector, calls, until, node, condition, sim: cluster.simulation! };
}

describe('faults on the embedded cluster', () => {
  it('node-cordon: spec.unschedulable and the unschedulable taint from `at`, both gone after the duration', async () => {
    const t = await setup([{ kind: 'node-cordon', node: 'node-1', at: 50, durationSeconds: 200 }]);
    const cordoned = (name: string) => (t.node(name).spec as { unschedulable?: boolean }).unschedulable === true;
    const tainted = (name: string) => (t.node(name).spec.taints ?? []).some((x) => x.key === 'node.kubernetes.io/unschedulable');
    await t.until(49);
    expect([cordoned('node-1'), tainted('node-1')]).toEqual([false, false]);
    await t.until(60);
    expect([cordoned('node-1'), tainted('node-1')]).toEqual([true, true]);
    expect([cordoned('node-2'), tainted('node-2')]).toEqual([false, false]);
    expect(t.injector.records[0]).toMatchObject({ kind: 'node-cordon', node: 'node-1', startedAt: 50, detail: 'node-1 cordoned' });
    await t.until(260);
    expect([cordoned('node-1'), tainted('node-1')]).toEqual([false, false]);
    expect(t.injector.records[0].endedAt).toBe(250);
  });

  it('node-memory-pressure: MemoryPressure and its taint from `at`, gone after the duration', async () => {
    const t = await setup([{ kind: 'node-memory-pressure', node: 'node-2', at: 100, durationSeconds: 300 }]);
    await t.until(99);
    expect(t.condition('node-2', 'MemoryPressure')).toBe('False');
    await t.until(101);
    expect(t.condition('node-2', 'MemoryPressure')).toBe('True');
    expect(t.node('node-2').spec.taints?.map((x) => x.key)).toContain('node.kubernetes.io/memory-pressure');
    expect(t.condition('node-1', 'MemoryPressure')).toBe('False');
    await t.until(401);
    expect(t.condition('node-2', 'MemoryPressure')).toBe('False');
    expect(t.node('node-2').spec.taints?.map((x) => x.key) ?? []).not.toContain('node.kubernetes.io/memory-pressure');
    expect(t.injector.records).toMatchObject([{ name: 'node-memory-pressure-0', node: 'node-2', startedAt: 100, endedAt: 400 }]);
  });

  it('node-cpu-pressure: the node is marked (the data path halves its throughput there) and unmarked', async () => {
    const t = await setup([{ kind: 'node-cpu-pressure', node: 'node-1', at: 10, durationSeconds: 20 }]);
    await t.until(11);
    expect(t.node('node-1').metadata.annotations?.[NODE_ANNOTATIONS.cpuPressure]).toBe('true');
    await t.until(31);
    expect(t.node('node-1').metadata.annotations?.[NODE_ANNOTATIONS.cpuPressure]).toBeUndefined();
  });

  it('node-failure: kubelet, heartbeats and node-agent stop; NotReady after the grace; all back after the duration', async () => {
    const t = await setup([{ kind: 'node-failure', node: 'node-1', at: 100, durationSeconds: 600 }]);
    await t.until(99);
    expect(t.condition('node-1', 'Ready')).toBe('True');
    await t.until(200);
    expect(t.condition('node-1', 'Ready')).toBe('Unknown');
    expect(t.node('node-1').spec.taints?.map((x) => x.key)).toContain('node.kubernetes.io/unreachable');
    expect(t.calls).toEqual(['kill node-1 at 100']);
    await t.until(720);
    expect(t.condition('node-1', 'Ready')).toBe('True');
    expect(t.calls).toEqual(['kill node-1 at 100', 'start node-1 at 700']);
  });

  it('node-agent-restart: the node-agent is killed at `at` and started after the duration', async () => {
    const t = await setup([{ kind: 'node-agent-restart', node: 'random', at: 50, durationSeconds: 45 }]);
    await t.until(200);
    expect(t.calls).toHaveLength(2);
    const node = t.injector.records[0].node!;
    expect(t.calls).toEqual([`kill ${node} at 50`, `start ${node} at 95`]);
  });

  it('pod-kill: deletes `count` data-mover pods chosen from the seed, and names their DataUploads', async () => {
    const t = await setup([{ kind: 'pod-kill', count: 2, at: 30 }]);
    const pods = resourceInfo(t.api, '', 'v1', 'pods');
    for (const n of ['a', 'b', 'c']) t.api.create(pods, 'velero', { metadata: { name: n, labels: { [DATA_UPLOAD_LABEL]: `du-${n}` } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    t.api.create(pods, 'velero', { metadata: { name: 'other' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    await t.until(31);
    const left = t.api.list(pods, 'velero', {}).items.map((s) => s.obj.metadata.name).sort();
    expect(left).toHaveLength(2);
    expect(left).toContain('other');
    const rec = t.injector.records[0];
    expect(rec.dataUploads).toHaveLength(2);
    expect(rec.detail).toMatch(/^deleted [abc], [abc] \(grace 0 s\)$/);
  });

  it('pod-kill with a grace period: the pods are marked for deletion, the kubelet stops them, then they go', async () => {
    const t = await setup([{ kind: 'pod-kill', count: 1, at: 30, gracePeriodSeconds: 30 }]);
    const pods = resourceInfo(t.api, '', 'v1', 'pods');
    t.api.create(pods, 'velero', { metadata: { name: 'a', labels: { [DATA_UPLOAD_LABEL]: 'du-a' } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    await t.until(30.2);
    const a = t.api.list(pods, 'velero', {}).items.find((s) => s.obj.metadata.name === 'a');
    expect(a?.obj.metadata.deletionTimestamp).toBeDefined();
    expect(a?.obj.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(t.injector.records[0].detail).toBe('deleted a (grace 30 s)');
    await t.until(40);
    expect(t.api.list(pods, 'velero', {}).items.map((s) => s.obj.metadata.name)).not.toContain('a');
  });

  it('snapshot-failure and backup-pvc-bind-delay change the CSI driver for their window only', async () => {
    const t = await setup([
      { kind: 'snapshot-failure', at: 10, durationSeconds: 10, rate: 0.5 },
      { kind: 'backup-pvc-bind-delay', at: 10, durationSeconds: 10, seconds: 90 },
    ]);
    const csi = t.sim.ctx.behaviour.csi;
    const before = { rate: csi.snapshotFailureRate, base: csi.provisionFromSnapshotBaseSeconds };
    await t.until(15);
    expect(csi.snapshotFailureRate).toBe(0.5);
    expect(csi.provisionFromSnapshotBaseSeconds).toEqual({ kind: 'fixed', value: 90 });
    await t.until(25);
    expect(csi.snapshotFailureRate).toBe(before.rate);
    expect(csi.provisionFromSnapshotBaseSeconds).toEqual(before.base);
  });

  it('api-errors and api-latency: rules on the server for their window; drop-watches and force-gone end open watches', async () => {
    const t = await setup([
      { kind: 'api-errors', at: 10, durationSeconds: 10, errorCode: 429, rate: 1, verbs: ['update'], resources: ['datauploads'] },
      { kind: 'api-latency', at: 10, durationSeconds: 5, latencyMs: 250 },
      { kind: 'drop-watches', at: 30 },
      { kind: 'force-gone', at: 40, resource: 'datauploads' },
    ]);
    const kc = new KubeConfig();
    kc.loadFromString(cluster!.kubeconfig);
    const io = new KubeIo(kc, { who: 'test', clock: t.clock });
    const w = io.watch('velero.io/v2alpha1', 'datauploads', 'velero');
    await w.start();
    const faults = cluster!.server.faults;
    const update = { verb: 'update', group: DATA_UPLOAD_GROUP, resource: DATA_UPLOAD_PLURAL };
    await t.until(12);
    expect(faults.plan(update)).toMatchObject({ delayMs: 250, error: { code: 429 } });
    expect(faults.plan({ ...update, verb: 'get' })).toEqual({ delayMs: 250 });
    await t.until(16);
    expect(faults.plan({ ...update, verb: 'get' })).toEqual({ delayMs: 0 });
    await t.until(21);
    expect(faults.active).toBe(false);
    await t.until(45);
    await w.stop();
    const [, , drop, gone] = t.injector.records;
    expect(drop.detail).toMatch(/^closed [1-9]\d* watch/);
    expect(gone.detail).toMatch(/^compacted datauploads: [1-9]\d* watch(es)? got 410 Gone$/);
  });

  it('`when`: happens once the share of DataUploads that reached the phase is met, or is reported as never happened', async () => {
    const t = await setup([
      { kind: 'node-cpu-pressure', node: 'node-1', when: { phase: 'InProgress', fraction: 0.5 } },
      { kind: 'node-cpu-pressure', node: 'node-2', when: { phase: 'Completed', fraction: 1 } },
    ]);
    const dus = resourceInfo(t.api, DATA_UPLOAD_GROUP, 'v2alpha1', DATA_UPLOAD_PLURAL);
    const du = (name: string) => ({ apiVersion: 'velero.io/v2alpha1', kind: 'DataUpload', metadata: { name, namespace: 'velero' }, spec: { snapshotType: 'CSI', backupStorageLocation: 'default', sourcePVC: name, sourceNamespace: 'app', operationTimeout: '10m' } });
    const phase = (name: string, p: string) => t.api.patch(dus, 'velero', name, 'merge', { status: { phase: p } }, { subresource: 'status' });
    t.clock.setTimer(10_000, () => ['a', 'b', 'c', 'd'].forEach((n) => t.api.create(dus, 'velero', du(n))));
    t.clock.setTimer(20_000, () => phase('a', 'InProgress'));
    t.clock.setTimer(30_000, () => phase('b', 'Completed'));
    await t.until(25);
    expect(t.injector.records).toHaveLength(0);
    await t.until(35);
    expect(t.injector.records).toMatchObject([{ name: 'node-cpu-pressure-0', node: 'node-1', startedAt: 30 }]);
    expect(t.injector.neverHappened()).toMatchObject([{ name: 'node-cpu-pressure-1', startedAt: null, detail: 'did not happen: fewer than 100% of the DataUploads reached Completed' }]);
  });
});

describe('api-load', () => {
  const run = (faults: FaultDecl[]) =>
    runEmbedded({
      seed: 2,
      flow: 'velero-1.17',
      nodes: [{ count: 2, namePrefix: 'worker', capacity: { cpu: '4', memory: '16Gi', pods: '110' } }],
      pvcs: Array.from({ length: 4 }, (_, i) => ({ namespace: 'app', name: `data-${i}`, size: '4Gi' })),
      nodeAgentConfig: { loadConcurrency: { globalConfig: 1 } },
      deadlineSeconds: 7200,
      faults,
    });

  it('drives reads during its window, records autocannon’s figures, and leaves the simulated timeline as it was', async () => {
    const quiet = await run([{ kind: 'api-load', at: 99_999, durationSeconds: 10 }]);
    expect(quiet.faults).toMatchObject([{ kind: 'api-load', startedAt: null, detail: 'did not happen: the run ended before 99999 s' }]);
    const loaded = await run([{ kind: 'api-load', at: 20, durationSeconds: 100, connections: 4 }]);
    const load = loaded.faults[0].load!;
    expect(loaded.faults[0]).toMatchObject({ startedAt: 20, endedAt: 120 });
    expect(load).toMatchObject({ connections: 4, errors: 0, non2xx: 0 });
    expect(load.requests).toBeGreaterThan(0);
    expect(load.path).toBe('/api/v1/namespaces/velero/pods?labelSelector=velero.io%2Fdata-upload');
    expect(loaded.figures).toEqual(quiet.figures);
  }, 60_000);
});
