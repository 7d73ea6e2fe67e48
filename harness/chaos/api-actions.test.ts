// The faults carried out through the API (--target kubeconfig; pod-kill on kind), against the
// embedded cluster on the wall clock through @kubernetes/client-node: each request logged with
// its HTTP status, and what it did visible through the API afterwards.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WallClock } from '../../controller/clock.ts';
import { startEmbeddedCluster, type EmbeddedCluster } from '../cluster/embedded.ts';
import { seededRandom } from '../random.ts';
import { choosePods, type LocalAgents } from './api-actions.ts';
import { ClusterFaultExecutor } from './cluster-executor.ts';
import { parseFaults, type Fault, type FaultDecl } from './faults.ts';
import { targetActions } from './kind-actions.ts';

const NODES = [{ count: 3, namePrefix: 'worker', capacity: { cpu: '8', memory: '16Gi', pods: '110' } }];
const nodeNames = ['worker-1', 'worker-2', 'worker-3'];

let cluster: EmbeddedCluster;
let kc: KubeConfig;
let core: CoreV1Api;
beforeAll(async () => {
  cluster = await startEmbeddedCluster({ seed: 1, simulation: { nodes: NODES } });
  kc = new KubeConfig();
  kc.loadFromString(cluster.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'velero' } } });
});
afterAll(() => cluster?.stop());

const until = async (cond: () => boolean | Promise<boolean>, ms = 10_000) => {
  for (const end = Date.now() + ms; !(await cond()) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
};

function executor(decls: FaultDecl[], o: { timeScale?: number; localAgents?: LocalAgents } = {}) {
  const clock = new WallClock();
  const nodes = nodeNames.map((name) => ({ name, labels: {} }));
  const random = seededRandom(1);
  const actions = targetActions('kubeconfig', { kubeconfig: kc, namespace: 'velero', random, localAgents: o.localAgents });
  return new ClusterFaultExecutor({ faults: parseFaults(decls, nodes), actions, target: 'kubeconfig', nodes, random, timeScale: o.timeScale ?? 1, expectedDataUploads: 4, clock, start: clock.now() });
}

const pod = (name: string, labels: Record<string, string>, nodeName?: string) => ({
  metadata: { name, labels },
  spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'x' }] },
});
const podNames = async (namespace: string, labelSelector: string) => (await core.listNamespacedPod({ namespace, labelSelector })).items.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata!.name!).sort();

describe('API faults', () => {
  it('pod-kill deletes the data-mover pods the seed chooses, as the embedded injector chooses them, each DELETE logged', async () => {
    for (const du of ['du-a', 'du-b', 'du-c', 'du-d']) await core.createNamespacedPod({ namespace: 'velero', body: pod(du, { 'velero.io/data-upload': du }, 'worker-1') });
    const x = executor([{ kind: 'pod-kill', count: 2, at: 0 }]);
    await until(() => x.records[0]?.endedAt !== undefined);
    const [rec] = x.records;
    // The same draw as the embedded injector's: the pods sorted by name, the fault's own stream.
    const expected = choosePods({ name: 'pod-kill-0', count: 2 } as Fault, ['du-a', 'du-b', 'du-c', 'du-d'], seededRandom(1));
    expect(expected).toHaveLength(2);
    expect(rec.dataUploads!.sort()).toEqual([...expected].sort());
    expect(rec.commands.map((c) => [c.command, c.code])).toEqual([
      ['GET /api/v1/namespaces/velero/pods?labelSelector=velero.io%2Fdata-upload', 200],
      ...expected.map((p) => [`DELETE /api/v1/namespaces/velero/pods/${p}?gracePeriodSeconds=0`, 200]),
    ]);
    expect(rec.detail).toBe(`deleted ${expected.join(', ')} (grace 0 s)`);
    await until(async () => (await podNames('velero', 'velero.io/data-upload')).length === 2);
    expect(await podNames('velero', 'velero.io/data-upload')).toEqual(['du-a', 'du-b', 'du-c', 'du-d'].filter((p) => !expected.includes(p)));
    await x.stop();
    await core.deleteCollectionNamespacedPod({ namespace: 'velero', labelSelector: 'velero.io/data-upload', gracePeriodSeconds: 0 });
  });

  it("node-agent-restart deletes the node's node-agent pod only (its DaemonSet starts another)", async () => {
    for (const [i, node] of nodeNames.entries()) await core.createNamespacedPod({ namespace: 'velero', body: pod(`node-agent-${i}`, { 'app.kubernetes.io/name': 'node-agent' }, node) });
    const x = executor([{ kind: 'node-agent-restart', node: 'worker-2', at: 0 }]);
    await until(() => x.records[0]?.endedAt !== undefined);
    expect(x.records[0].commands.map((c) => [c.command, c.code])).toEqual([
      ['GET /api/v1/namespaces/velero/pods?labelSelector=app.kubernetes.io%2Fname%3Dnode-agent&fieldSelector=spec.nodeName%3Dworker-2', 200],
      ['DELETE /api/v1/namespaces/velero/pods/node-agent-1?gracePeriodSeconds=0', 200],
    ]);
    await until(async () => (await podNames('velero', 'app.kubernetes.io/name=node-agent')).length === 2);
    expect(await podNames('velero', 'app.kubernetes.io/name=node-agent')).toEqual(['node-agent-0', 'node-agent-2']);
    await x.stop();
    await core.deleteCollectionNamespacedPod({ namespace: 'velero', labelSelector: 'app.kubernetes.io/name=node-agent', gracePeriodSeconds: 0 });
  });

  it('node-agent-restart on node-agents in this process: killed, started again after the scaled 30 s default', async () => {
    const running = new Set(nodeNames);
    const calls: string[] = [];
    const local: LocalAgents = {
      has: (n) => running.has(n),
      kill: async (n) => void (calls.push(`kill ${n}`), running.delete(n)),
      start: async (n) => void (calls.push(`start ${n}`), running.add(n)),
    };
    // 30 scenario seconds at time scale 30: one second on the cluster.
    const x = executor([{ kind: 'node-agent-restart', node: 'worker-3', at: 0 }], { timeScale: 30, localAgents: local });
    await until(() => calls.length === 1);
    expect(running.has('worker-3')).toBe(false);
    await until(() => calls.length === 2, 5000);
    expect(calls).toEqual(['kill worker-3', 'start worker-3']);
    expect(x.records[0].endedAt! - x.records[0].startedAt!).toBeGreaterThanOrEqual(0.9);
    await x.stop();
    expect(calls).toHaveLength(2);
  });

  it('node-memory-pressure: a stress pod pinned to the node while it lasts, deleted at its end; stop() deletes one still running', async () => {
    const x = executor([
      { kind: 'node-memory-pressure', node: 'worker-1', at: 0, durationSeconds: 1 },
      { kind: 'node-cpu-pressure', node: 'worker-2', at: 0, durationSeconds: 3600 },
    ]);
    await until(async () => (await podNames('datamover-bench-chaos', 'datamover-bench.io/chaos')).length === 2);
    const pods = (await core.listNamespacedPod({ namespace: 'datamover-bench-chaos' })).items;
    expect(pods.map((p) => [p.metadata!.name, p.spec!.nodeName, p.spec!.containers[0].args!.join(' ')]).sort()).toEqual([
      ['node-cpu-pressure-1', 'worker-2', '--cpu 0 --timeout 3600s'],
      ['node-memory-pressure-0', 'worker-1', '--vm 1 --vm-bytes 95% --vm-keep --timeout 1s'],
    ]);
    await until(() => x.records.find((r) => r.kind === 'node-memory-pressure')?.endedAt !== undefined);
    await until(async () => (await podNames('datamover-bench-chaos', 'datamover-bench.io/chaos')).length === 1);
    await x.stop();
    await until(async () => (await podNames('datamover-bench-chaos', 'datamover-bench.io/chaos')).length === 0);
    expect(await podNames('datamover-bench-chaos', 'datamover-bench.io/chaos')).toEqual([]);
    const cpu = x.records.find((r) => r.kind === 'node-cpu-pressure')!;
    expect(cpu.commands.map((c) => [c.command, c.code])).toEqual([
      ['POST /api/v1/namespaces datamover-bench-chaos', 200],
      ['POST /api/v1/namespaces/datamover-bench-chaos/pods node-cpu-pressure-1 on worker-2', 200],
      ['DELETE /api/v1/namespaces/datamover-bench-chaos/pods/node-cpu-pressure-1?gracePeriodSeconds=0', 200],
    ]);
  });

  it('node-cordon: the node cordoned through the API (the taint follows), uncordoned at its end', async () => {
    const x = executor([{ kind: 'node-cordon', node: 'worker-3', at: 0, durationSeconds: 1 }]);
    const node = async () => (await core.readNode({ name: 'worker-3' })).spec ?? {};
    await until(async () => (await node()).unschedulable === true);
    await until(async () => ((await node()).taints ?? []).some((t) => t.key === 'node.kubernetes.io/unschedulable'));
    expect(((await node()).taints ?? []).map((t) => [t.key, t.effect])).toContainEqual(['node.kubernetes.io/unschedulable', 'NoSchedule']);
    await until(() => x.records[0]?.endedAt !== undefined, 5000);
    expect((await node()).unschedulable).toBeUndefined();
    expect(x.records[0].commands.map((c) => [c.command, c.code])).toEqual([
      ['PATCH /api/v1/nodes/worker-3 {"spec":{"unschedulable":true}}', 200],
      ['PATCH /api/v1/nodes/worker-3 {"spec":{"unschedulable":null}}', 200],
    ]);
    await x.stop();
  });

  it('a request the API refuses is logged with its status and message', async () => {
    // No such node: the kubelet never runs the pod, but the API takes it; a pod name the API refuses is a 422.
    const x = executor([{ kind: 'node-cpu-pressure', name: 'Bad_Name', node: 'worker-1', at: 0, durationSeconds: 1 }]);
    await until(() => (x.records[0]?.commands.length ?? 0) >= 2);
    await x.stop();
    const create = x.records[0].commands[1];
    expect(create.code).toBe(422);
    expect(create.stderr).toMatch(/Bad_Name/);
  });
});
