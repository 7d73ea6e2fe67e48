import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../apiserver/types.ts';
import { kubeMicroTime, kubeTime } from '../clock.ts';
import { seededRandom } from '../random.ts';
import { DEFAULT_BEHAVIOUR, type BehaviourOverrides } from './behaviour.ts';
import { mutate, resourceInfo } from './context.ts';
import { sample } from './distribution.ts';
import { formatBinarySI, Kubelets } from './kubelet.ts';
import { NodeLifecycle } from './node-lifecycle.ts';
import type { ProgramFor } from './programs.ts';
import { simTestCluster, type SimTestCluster } from './sim-test-cluster.ts';

type Obj = Record<string, any>;
const MiB = 1024 ** 2;

/** What the test program in a pod does: hold memory, exit after a while. */
interface Script {
  residentMiB?: number;
  exitAfter?: number;
  code?: number;
  message?: string;
}

interface Cluster extends SimTestCluster {
  kubelets: Kubelets;
  /** Pods whose program was told to stop, in order. */
  stopped: string[];
  /** Every committed version of every pod, with the virtual second it was written at. */
  writes: { at: number; name: string; pod: Obj | undefined }[];
  /** The first second at which `check` held for a version of the pod (undefined for its deletion). */
  firstAt(name: string, check: (pod: Obj | undefined) => boolean): number | undefined;
}

function cluster(opts: { seed?: number; behaviour?: BehaviourOverrides; scripts?: Record<string, Script> } = {}): Cluster {
  const c = simTestCluster(opts.seed ?? 7, opts.behaviour ?? {});
  const stopped: string[] = [];
  const scripts = opts.scripts ?? {};
  const programFor: ProgramFor = (pod) => {
    const script = scripts[pod.metadata.name!];
    if (!script) return undefined;
    return {
      start(p, exit) {
        const timer = script.exitAfter === undefined ? undefined : c.clock.setTimer(script.exitAfter * 1000, () => exit(script.code ?? 0, script.message));
        return {
          stop() {
            timer?.cancel();
            stopped.push(p.metadata.name!);
          },
          residentBytes: () => (script.residentMiB ?? 0) * MiB,
        };
      },
    };
  };
  const kubelets = new Kubelets(c.ctx, programFor);
  kubelets.start();
  const writes: Cluster['writes'] = [];
  c.api.onWrite((info, cur, prev) => {
    if (info.resource !== 'pods') return;
    writes.push({ at: c.elapsed(), name: (cur ?? prev)!.obj.metadata.name!, pod: cur && structuredClone(cur.obj as Obj) });
  });
  const firstAt = (name: string, check: (pod: Obj | undefined) => boolean) => writes.find((w) => w.name === name && check(w.pod))?.at;
  return Object.assign(c, { kubelets, stopped, writes, firstAt });
}

const conditionTypes = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'];

function addNode(c: SimTestCluster, name: string, opts: { memory?: string; ip?: string } = {}): void {
  const now = kubeTime(c.clock.now());
  c.api.create(c.nodes, undefined, {
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    status: {
      capacity: { cpu: '4', memory: opts.memory ?? '16Gi', pods: '110' },
      allocatable: { cpu: '4', memory: opts.memory ?? '16Gi', pods: '110' },
      conditions: conditionTypes.map((type) => ({
        type,
        status: type === 'Ready' ? 'True' : 'False',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
        reason: type === 'Ready' ? 'KubeletReady' : 'KubeletHasSufficientMemory',
        message: 'kubelet is posting ready status',
      })),
      addresses: [{ type: 'InternalIP', address: opts.ip ?? '172.18.0.2' }, { type: 'Hostname', address: name }],
    },
  });
}

function setNodeCondition(c: SimTestCluster, node: string, type: string, status: string): void {
  const now = kubeTime(c.clock.now());
  mutate(c.api, c.nodes, undefined, node, (n) => {
    const cond = n.status.conditions.find((x: Obj) => x.type === type);
    if (cond.status !== status) cond.lastTransitionTime = now;
    cond.status = status;
    cond.lastHeartbeatTime = now;
  });
}

function createPod(c: SimTestCluster, name: string, node: string, spec: Obj = {}, container: Obj = {}): KubeObject {
  return c.api.create(c.pods, 'default', {
    metadata: { name },
    spec: { nodeName: node, containers: [{ name: 'main', image: 'velero/velero:v1.17.0', ...container }], ...spec },
  }).obj;
}

const status = (c: SimTestCluster, name: string): Obj => (c.pod('default', name)!.status ?? {}) as Obj;
const condition = (obj: Obj | undefined, type: string): Obj | undefined => (obj?.status?.conditions ?? []).find((x: Obj) => x.type === type);
const phaseIs = (phase: string) => (pod: Obj | undefined) => pod?.status?.phase === phase;
const events = (c: SimTestCluster, name: string) => c.eventsFor(name).map((e) => [e.type, e.reason, e.message]);
/** The seeded start latencies (seconds) of the first pods admitted on a node. */
const startLatencies = (seed: number, node: string, n: number) => {
  const rng = seededRandom(seed).fork('kubelet').fork(node);
  return Array.from({ length: n }, () => sample(DEFAULT_BEHAVIOUR.kubelet.podStartSeconds, rng));
};

describe('Kubelets: starting a bound pod', () => {
  it('writes Pending with ContainerCreating at once and Running after the seeded start latency', async () => {
    const c = cluster({ seed: 7 });
    addNode(c, 'n1', { ip: '172.18.0.7' });
    const a = createPod(c, 'a', 'n1');
    createPod(c, 'b', 'n1');
    const [da, db] = startLatencies(7, 'n1', 2);
    expect(da).not.toBeCloseTo(db, 3);

    await c.runUntil(0);
    const pending = status(c, 'a');
    expect(pending).toMatchObject({ phase: 'Pending', qosClass: 'BestEffort', hostIP: '172.18.0.7', hostIPs: [{ ip: '172.18.0.7' }], startTime: '2026-01-01T00:00:00Z' });
    expect(pending.podIP).toBeUndefined();
    expect(pending.containerStatuses).toEqual([
      { image: 'docker.io/velero/velero:v1.17.0', imageID: '', lastState: {}, name: 'main', ready: false, restartCount: 0, started: false, state: { waiting: { reason: 'ContainerCreating' } } },
    ]);
    expect(pending.conditions.map((x: Obj) => [x.type, x.status, x.reason])).toEqual([
      ['PodReadyToStartContainers', 'False', undefined],
      ['Initialized', 'True', undefined],
      ['Ready', 'False', 'ContainersNotReady'],
      ['ContainersReady', 'False', 'ContainersNotReady'],
    ]);
    expect(condition(c.pod('default', 'a'), 'Ready')!.message).toBe('containers with unready status: [main]');

    await c.runUntil(60);
    expect(c.firstAt('a', phaseIs('Running'))).toBeCloseTo(da, 5);
    expect(c.firstAt('b', phaseIs('Running'))).toBeCloseTo(db, 5);
    const running = status(c, 'a');
    // Addresses are handed out in sandbox order from the node's 10.244.1.0/24.
    const [ipA, ipB] = da < db ? ['10.244.1.2', '10.244.1.3'] : ['10.244.1.3', '10.244.1.2'];
    expect(running).toMatchObject({ phase: 'Running', podIP: ipA, podIPs: [{ ip: ipA }], startTime: '2026-01-01T00:00:00Z' });
    expect(status(c, 'b').podIP).toBe(ipB);
    expect(running.containerStatuses[0]).toMatchObject({
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: kubeTime(c.at(da)) } },
      containerID: expect.stringMatching(/^containerd:\/\/[0-9a-f]{64}$/),
      imageID: expect.stringMatching(/^docker\.io\/velero\/velero@sha256:[0-9a-f]{64}$/),
    });
    expect(running.conditions.filter((x: Obj) => x.type !== 'PodScheduled').every((x: Obj) => x.status === 'True')).toBe(true);
    expect(events(c, 'a')).toEqual([
      ['Normal', 'Pulled', 'Container image "velero/velero:v1.17.0" already present on machine'],
      ['Normal', 'Created', 'Created container: main'],
      ['Normal', 'Started', 'Started container main'],
    ]);
    expect(c.eventsFor('a')[0]).toMatchObject({
      source: { component: 'kubelet', host: 'n1' },
      involvedObject: { kind: 'Pod', name: 'a', uid: a.metadata.uid, fieldPath: 'spec.containers{main}' },
    });
  });

  it('gives the same timeline for the same seed and another for another seed', async () => {
    const run = async (seed: number) => {
      const c = cluster({ seed, scripts: { p2: { exitAfter: 4, code: 1 } } });
      addNode(c, 'n1');
      for (const name of ['p1', 'p2', 'p3']) createPod(c, name, 'n1', { restartPolicy: 'OnFailure' });
      await c.runUntil(120);
      return c.writes.map((w) => [w.at, w.name, w.pod?.status?.phase, JSON.stringify(w.pod?.status?.containerStatuses?.[0]?.state)]);
    };
    const first = await run(11);
    expect(await run(11)).toEqual(first);
    expect(await run(12)).not.toEqual(first);
  });
});

describe('Kubelets: container exit codes', () => {
  it('ends Never pods Succeeded or Failed, and restarts OnFailure pods with CrashLoopBackOff', async () => {
    const c = cluster({
      scripts: {
        ok: { exitAfter: 5, code: 0, message: '{"snapshotID":"abc"}' },
        bad: { exitAfter: 5, code: 3, message: 'error waiting for du: context deadline exceeded' },
        retry: { exitAfter: 5, code: 1 },
      },
    });
    addNode(c, 'n1');
    createPod(c, 'ok', 'n1', { restartPolicy: 'Never' });
    createPod(c, 'bad', 'n1', { restartPolicy: 'Never' });
    createPod(c, 'retry', 'n1', { restartPolicy: 'OnFailure' });
    // The kubelet, started before its Node existed, admits the pods in name order.
    const [dBad, dOk, dRetry] = startLatencies(7, 'n1', 3);
    await c.runUntil(300);

    expect(c.firstAt('ok', phaseIs('Succeeded'))).toBeCloseTo(dOk + 5, 5);
    expect(status(c, 'ok').containerStatuses[0]).toMatchObject({
      ready: false,
      started: false,
      state: { terminated: { exitCode: 0, reason: 'Completed', message: '{"snapshotID":"abc"}', startedAt: kubeTime(c.at(dOk)), finishedAt: kubeTime(c.at(dOk + 5)) } },
    });
    expect(condition(c.pod('default', 'ok'), 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(condition(c.pod('default', 'ok'), 'Initialized')).toMatchObject({ status: 'True', reason: 'PodCompleted' });

    expect(c.firstAt('bad', phaseIs('Failed'))).toBeCloseTo(dBad + 5, 5);
    expect(status(c, 'bad').containerStatuses[0].state.terminated).toMatchObject({ exitCode: 3, reason: 'Error', message: 'error waiting for du: context deadline exceeded' });
    expect(condition(c.pod('default', 'bad'), 'Ready')).toMatchObject({ status: 'False', reason: 'PodFailed' });

    // First failure: restarted at once; second: back-off 10 s; third: 20 s; never a terminal phase.
    const restartedAt = (n: number) => c.firstAt('retry', (p) => p?.status?.containerStatuses?.[0]?.restartCount === n && !!p.status.containerStatuses[0].state.running);
    expect(restartedAt(1)).toBeCloseTo(dRetry + 5, 5);
    expect(restartedAt(2)).toBeCloseTo(dRetry + 5 + 5 + 10, 5);
    expect(restartedAt(3)).toBeCloseTo(dRetry + 5 + 5 + 10 + 5 + 20, 5);
    const backingOff = c.writes.find((w) => w.name === 'retry' && w.pod?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff')!;
    expect(backingOff.at).toBeCloseTo(dRetry + 10, 5);
    const uid = c.pod('default', 'retry')!.metadata.uid;
    expect(backingOff.pod!.status).toMatchObject({
      phase: 'Running',
      containerStatuses: [{
        restartCount: 1,
        ready: false,
        state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 10s restarting failed container=main pod=retry_default(${uid})` } },
        lastState: { terminated: { exitCode: 1, reason: 'Error' } },
      }],
    });
    expect(c.writes.some((w) => w.name === 'retry' && ['Succeeded', 'Failed'].includes(w.pod?.status?.phase))).toBe(false);
    expect(events(c, 'retry')).toContainEqual(['Warning', 'BackOff', `Back-off restarting failed container main in pod retry_default(${uid})`]);
  });
});

describe('Kubelets: graceful deletion', () => {
  it('stops the program, reports exit 143 after the stop time and removes the pod', async () => {
    const c = cluster({ scripts: { g: { residentMiB: 50 } } });
    addNode(c, 'n1');
    createPod(c, 'g', 'n1');
    await c.runUntil(20);
    expect(c.kubelets.residentBytes('default/g')).toBe(50 * MiB);
    c.api.delete(c.pods, 'default', 'g');
    expect(c.pod('default', 'g')!.metadata.deletionGracePeriodSeconds).toBe(30);
    await c.runUntil(20);
    expect(c.stopped).toEqual(['g']);
    expect(c.kubelets.residentBytes('default/g')).toBe(0);
    expect(c.pod('default', 'g')).toBeDefined();
    await c.runUntil(60);

    expect(c.pod('default', 'g')).toBeUndefined();
    expect(c.firstAt('g', (p) => p === undefined)).toBe(21);
    const last = c.writes.filter((w) => w.name === 'g' && w.pod).at(-1)!;
    expect(last.at).toBe(21);
    expect(last.pod!.status.phase).toBe('Failed');
    expect(last.pod!.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 143, reason: 'Error', finishedAt: kubeTime(c.at(21)) });
    expect(events(c, 'g')).toContainEqual(['Normal', 'Killing', 'Stopping container main']);
  });

  it('kills a container that outlives its grace period with exit 137', async () => {
    const c = cluster({ behaviour: { kubelet: { containerStopSeconds: { kind: 'fixed', value: 10 } } } });
    addNode(c, 'n1');
    createPod(c, 'slow', 'n1', { terminationGracePeriodSeconds: 3 });
    await c.runUntil(20);
    c.api.delete(c.pods, 'default', 'slow');
    await c.runUntil(60);
    expect(c.firstAt('slow', (p) => p === undefined)).toBe(23);
    const last = c.writes.filter((w) => w.name === 'slow' && w.pod).at(-1)!;
    expect(last.pod!.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
  });

  it('leaves a pod Terminating while its kubelet is down and finishes it when the kubelet returns', async () => {
    const c = cluster();
    addNode(c, 'n1');
    createPod(c, 'd', 'n1');
    await c.runUntil(20);
    c.kubelets.stopNode('n1');
    c.api.delete(c.pods, 'default', 'd');
    await c.runUntil(500);
    expect(c.pod('default', 'd')!.metadata.deletionTimestamp).toBe(kubeTime(c.at(50)));
    expect(status(c, 'd').phase).toBe('Running');

    c.kubelets.startNode('n1');
    await c.runUntil(500);
    expect(c.pod('default', 'd')).toBeUndefined();
    const last = c.writes.filter((w) => w.name === 'd' && w.pod).at(-1)!;
    expect(last.pod!.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 137, reason: 'ContainerStatusUnknown' });
  });
});

describe('Kubelets: a node whose kubelet dies and comes back', () => {
  it('stops the programs and writes nothing meanwhile; on return a Never pod has failed and an Always pod runs again', async () => {
    const c = cluster({ scripts: { once: { residentMiB: 10 }, always: { residentMiB: 10 } } });
    addNode(c, 'n1');
    createPod(c, 'always', 'n1');
    createPod(c, 'once', 'n1', { restartPolicy: 'Never' });
    await c.runUntil(30);
    c.kubelets.stopNode('n1');
    await c.runUntil(30);
    const writesBefore = c.writes.length;
    expect(c.stopped.sort()).toEqual(['always', 'once']);
    expect(c.kubelets.residentBytes('default/once')).toBe(0);
    await c.runUntil(100);
    expect(c.writes.length).toBe(writesBefore);
    expect(status(c, 'once').phase).toBe('Running');

    c.kubelets.startNode('n1');
    await c.runUntil(200);
    expect(c.firstAt('once', phaseIs('Failed'))).toBe(100);
    expect(status(c, 'once').containerStatuses[0].state.terminated).toMatchObject({
      exitCode: 137,
      reason: 'ContainerStatusUnknown',
      message: 'The container could not be located when the pod was terminated',
    });
    expect(status(c, 'always')).toMatchObject({ phase: 'Running', containerStatuses: [{ restartCount: 1, ready: true, lastState: { terminated: { reason: 'ContainerStatusUnknown' } } }] });
    expect(c.kubelets.residentBytes('default/always')).toBe(10 * MiB);
  });
});

describe('Kubelets: eviction under MemoryPressure', () => {
  it('evicts the BestEffort pod first, then the Burstable pod above its requests, one per check, and stops when the pressure clears', async () => {
    const c = cluster({
      scripts: {
        besteffort: { residentMiB: 200 },
        burstable: { residentMiB: 300 },
        within: { residentMiB: 100 },
      },
    });
    addNode(c, 'n1', { memory: '680Mi' });
    createPod(c, 'besteffort', 'n1');
    createPod(c, 'burstable', 'n1', {}, { resources: { requests: { memory: '128Mi' } } });
    createPod(c, 'within', 'n1', {}, { resources: { requests: { memory: '500Mi' } } });
    c.clock.setTimer(95_000, () => setNodeCondition(c, 'n1', 'MemoryPressure', 'True'));
    c.clock.setTimer(101_500, () => setNodeCondition(c, 'n1', 'MemoryPressure', 'False'));
    await c.runUntil(300);

    // The burstable pod uses more memory, but less of it above its request (172Mi) than the BestEffort pod (200Mi).
    const beMessage =
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 80Mi. Container main was using 200Mi, request is 0, has larger consumption of memory. ';
    const buMessage = 'The node was low on resource: memory. Container main was using 300Mi, request is 128Mi, has larger consumption of memory. ';
    expect(c.firstAt('besteffort', (p) => !!condition(p, 'DisruptionTarget'))).toBe(100);
    expect(c.firstAt('besteffort', phaseIs('Failed'))).toBe(101);
    expect(c.firstAt('burstable', (p) => !!condition(p, 'DisruptionTarget'))).toBe(101);
    expect(c.firstAt('burstable', phaseIs('Failed'))).toBe(102);
    expect(status(c, 'within').phase).toBe('Running');
    expect(c.stopped).toEqual(['besteffort', 'burstable']);

    expect(status(c, 'besteffort')).toMatchObject({ phase: 'Failed', reason: 'Evicted', message: beMessage });
    expect(condition(c.pod('default', 'besteffort'), 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'TerminationByKubelet', message: beMessage });
    expect(status(c, 'besteffort').containerStatuses[0].state.terminated).toMatchObject({ exitCode: 143, reason: 'Error' });
    expect(status(c, 'burstable')).toMatchObject({ phase: 'Failed', reason: 'Evicted', message: buMessage });
    expect(events(c, 'besteffort')).toEqual(expect.arrayContaining([['Warning', 'Evicted', beMessage], ['Normal', 'Killing', 'Stopping container main']]));
    expect(events(c, 'n1')).toContainEqual(['Warning', 'EvictionThresholdMet', 'Attempting to reclaim memory']);
    // Evicted pods stay, Failed, until someone deletes them.
    expect(c.pod('default', 'besteffort')).toBeDefined();
  });

  it('rejects a BestEffort pod bound while the node is under memory pressure', async () => {
    const c = cluster();
    addNode(c, 'n1');
    createPod(c, 'sized', 'n1', {}, { resources: { requests: { memory: '64Mi' } } });
    // Under pressure between two of the eviction manager's checks (at 0 s and 10 s).
    c.clock.setTimer(3_000, () => setNodeCondition(c, 'n1', 'MemoryPressure', 'True'));
    c.clock.setTimer(4_000, () => createPod(c, 'late', 'n1'));
    c.clock.setTimer(4_000, () => createPod(c, 'late-tolerating', 'n1', { tolerations: [{ key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' }] }));
    c.clock.setTimer(5_000, () => setNodeCondition(c, 'n1', 'MemoryPressure', 'False'));
    await c.runUntil(60);
    expect(status(c, 'late')).toMatchObject({ phase: 'Failed', reason: 'Evicted', message: 'The node had condition: [MemoryPressure]. ' });
    expect(events(c, 'late')).toEqual([['Warning', 'Evicted', 'The node had condition: [MemoryPressure]. ']]);
    expect(status(c, 'late-tolerating').phase).toBe('Running');
    expect(status(c, 'sized').phase).toBe('Running');
  });

  it('prints quantities as resource.Quantity does in BinarySI', () => {
    expect([0, 1000, 1024, 200 * MiB, 1536 * 1024, 1024 ** 3, 123456789].map(formatBinarySI)).toEqual(['0', '1000', '1Ki', '200Mi', '1536Ki', '1Gi', '123456789']);
  });
});

describe('Node lifecycle: a node that stops posting status', () => {
  /** Two nodes with Leases; n2's kubelet keeps renewing, n1's does not. */
  async function lostNode(opts: { renewN2?: boolean } = {}) {
    const c = cluster();
    const leases = resourceInfo(c.api, 'coordination.k8s.io', 'v1', 'leases');
    const lease = (node: string) =>
      c.api.create(leases, 'kube-node-lease', { metadata: { name: node }, spec: { holderIdentity: node, leaseDurationSeconds: 40, renewTime: kubeMicroTime(c.clock.now()) } });
    /** The node's kubelet renews its Lease every 10 s from now on. */
    const keepRenewing = (node: string) => {
      const renew = () => {
        mutate(c.api, leases, 'kube-node-lease', node, (l) => {
          l.spec.renewTime = kubeMicroTime(c.clock.now());
        });
        c.clock.setTimer(10_000, renew);
      };
      renew();
    };
    addNode(c, 'n1', { ip: '172.18.0.2' });
    lease('n1');
    if (opts.renewN2 !== false) {
      addNode(c, 'n2', { ip: '172.18.0.3' });
      lease('n2');
      keepRenewing('n2');
    }
    createPod(c, 'default-toleration', 'n1');
    createPod(c, 'short', 'n1', {
      tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }],
    });
    createPod(c, 'forever', 'n1', { tolerations: [{ operator: 'Exists' }] });
    const lifecycle = new NodeLifecycle(c.ctx);
    lifecycle.start();
    await c.runUntil(10);
    c.kubelets.stopNode('n1');
    return Object.assign(c, { keepRenewing });
  }

  it('marks it Unknown after the grace period, taints it unreachable, and deletes its pods after their tolerations', async () => {
    const c = await lostNode();
    await c.runUntil(54);
    expect(condition(c.node('n1'), 'Ready')!.status).toBe('True');
    await c.runUntil(55);
    const n1 = c.node('n1')! as Obj;
    for (const type of conditionTypes) {
      expect(n1.status.conditions.find((x: Obj) => x.type === type)).toMatchObject({
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
        lastTransitionTime: kubeTime(c.at(55)),
        lastHeartbeatTime: kubeTime(c.at(0)),
      });
    }
    expect(n1.spec.taints).toEqual([{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: kubeTime(c.at(55)) }]);
    expect(condition(c.pod('default', 'default-toleration'), 'Ready')).toMatchObject({ status: 'False', lastTransitionTime: kubeTime(c.at(55)) });
    expect(events(c, 'default-toleration')).toContainEqual(['Warning', 'NodeNotReady', 'Node is not ready']);
    expect(events(c, 'n1')).toContainEqual(['Normal', 'NodeNotReady', 'Node n1 status is now: NodeNotReady']);

    await c.runUntil(600);
    // Tainted on the pass after the one that saw it go Unknown.
    expect((c.node('n1')! as Obj).spec.taints).toContainEqual({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: kubeTime(c.at(60)) });
    const deletedAt = (name: string) => c.firstAt(name, (p) => !!p?.metadata.deletionTimestamp);
    expect(deletedAt('short')).toBe(90);
    expect(deletedAt('default-toleration')).toBe(360);
    expect(deletedAt('forever')).toBeUndefined();
    expect(condition(c.pod('default', 'default-toleration'), 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'DeletionByTaintManager',
      message: 'Taint manager: deleting due to NoExecute taint',
    });
    expect(events(c, 'short')).toContainEqual(['Normal', 'TaintManagerEviction', 'Marking for deletion Pod default/short']);
    // The dead kubelet never finishes the deletion.
    expect(c.pod('default', 'short')!.metadata.deletionTimestamp).toBeDefined();
    expect(status(c, 'short').phase).toBe('Running');

    // The Node goes at 600 s: the pod GC notices on its pass at 620 s and force-deletes after the 40 s quarantine.
    c.api.delete(c.nodes, undefined, 'n1');
    await c.runUntil(700);
    expect(c.firstAt('short', (p) => p === undefined)).toBe(660);
    expect(c.pod('default', 'forever')).toBeUndefined();
    const lastForever = c.writes.filter((w) => w.name === 'forever' && w.pod).at(-1)!.pod!;
    expect(lastForever.status.phase).toBe('Failed');
    expect(condition(lastForever, 'DisruptionTarget')).toMatchObject({ reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' });
  });

  it('cancels the scheduled deletions and removes the taints when the node is Ready again', async () => {
    const c = await lostNode();
    await c.runUntil(100);
    c.keepRenewing('n1');
    setNodeCondition(c, 'n1', 'Ready', 'True');
    await c.runUntil(100);
    expect((c.node('n1')! as Obj).spec.taints).toEqual([{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: kubeTime(c.at(60)) }]);
    await c.runUntil(600);
    // The next monitor pass (105 s) sees it Ready and takes the NoExecute taint off.
    expect((c.node('n1')! as Obj).spec.taints ?? []).toEqual([]);
    expect(c.firstAt('default-toleration', (p) => !!p?.metadata.deletionTimestamp)).toBeUndefined();
    expect(events(c, 'default-toleration')).toContainEqual(['Normal', 'TaintManagerEviction', 'Cancelling deletion of Pod default/default-toleration']);
    // The short toleration had already run out at 90 s.
    expect(c.firstAt('short', (p) => !!p?.metadata.deletionTimestamp)).toBe(90);
  });

  it('taints a node that reports Ready False not-ready, and swaps to unreachable when it then goes silent', async () => {
    const c = await lostNode();
    const noExecute: [number, string][] = [];
    c.api.onWrite((info, cur) => {
      if (info.resource !== 'nodes' || cur?.obj.metadata.name !== 'n1') return;
      const keys = ((((cur.obj.spec ?? {}) as Obj).taints ?? []) as Obj[]).filter((t) => t.effect === 'NoExecute').map((t) => t.key).join(',');
      if (keys !== (noExecute.at(-1)?.[1] ?? '')) noExecute.push([c.elapsed(), keys]);
    });
    // The kubelet's last status post, at 22 s, says NotReady; then nothing more.
    c.clock.setTimer(12_000, () => setNodeCondition(c, 'n1', 'Ready', 'False'));
    await c.runUntil(600);
    expect(noExecute).toEqual([
      [25, 'node.kubernetes.io/not-ready'],
      [85, 'node.kubernetes.io/unreachable'],
    ]);
    expect(condition(c.node('n1'), 'Ready')).toMatchObject({ status: 'Unknown', lastTransitionTime: kubeTime(c.at(80)) });
    // Scheduled at 25 s for the not-ready toleration (300 s); a later taint does not move an earlier deletion.
    expect(c.firstAt('short', (p) => !!p?.metadata.deletionTimestamp)).toBe(325);
    expect(c.firstAt('default-toleration', (p) => !!p?.metadata.deletionTimestamp)).toBe(325);
  });

  it('taints nothing when every node is lost (the controller assumes it is itself cut off)', async () => {
    const c = await lostNode({ renewN2: false });
    await c.runUntil(600);
    expect(condition(c.node('n1'), 'Ready')!.status).toBe('Unknown');
    expect(((c.node('n1')! as Obj).spec.taints ?? []).filter((t: Obj) => t.effect === 'NoExecute')).toEqual([]);
    expect(c.firstAt('short', (p) => !!p?.metadata.deletionTimestamp)).toBeUndefined();
  });
});
