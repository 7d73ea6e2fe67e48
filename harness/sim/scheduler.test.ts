import { describe, expect, it } from 'vitest';
import type { BehaviourOverrides } from './behaviour.ts';
import { mutate } from './context.ts';
import { createNodes, setNodeCondition, type NodePoolDecl } from './nodes.ts';
import { nodeMatchesRequiredAffinity, podRequests, Scheduler } from './scheduler.ts';
import { simTestCluster, type SimTestCluster } from './sim-test-cluster.ts';

type Obj = Record<string, any>;

/** A node whose allocatable equals its capacity, so the arithmetic in the tests is plain. */
const node = (name: string, cpu: string, extra: Partial<NodePoolDecl> = {}): NodePoolDecl => ({
  names: [name],
  capacity: { cpu, memory: '16Gi', pods: 110 },
  allocatable: { cpu, memory: '16Gi' },
  ...extra,
});

function cluster(pools: NodePoolDecl[], seed = 1, behaviour: BehaviourOverrides = {}) {
  const c = simTestCluster(seed, behaviour);
  createNodes(c.ctx, pools);
  const scheduler = new Scheduler(c.ctx);
  scheduler.start();
  return c;
}

function createPod(c: SimTestCluster, name: string, opts: { cpu?: string; labels?: Record<string, string>; spec?: Obj } = {}): Obj {
  const resources = opts.cpu ? { requests: { cpu: opts.cpu } } : {};
  return c.api.create(c.pods, 'default', {
    metadata: { name, ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: { containers: [{ name: 'main', image: 'velero/velero:v1.17.0', resources }], ...opts.spec },
  }).obj;
}

/** Runs the cluster until `until` holds or an hour of virtual time has passed (a broken scheduler fails the assertions, not the timeout). */
const settle = (c: SimTestCluster, until: () => boolean) => c.clock.run(until, c.clock.now() + 3_600_000);
const nodeOf = (c: SimTestCluster, pod: string): string | undefined => (c.pod('default', pod)?.spec as Obj | undefined)?.nodeName;
const allBound = (c: SimTestCluster, pods: string[]) => () => pods.every((p) => nodeOf(c, p));
const podScheduled = (c: SimTestCluster, pod: string) => ((c.pod('default', pod)!.status as Obj).conditions ?? []).find((x: Obj) => x.type === 'PodScheduled');
const hasCondition = (c: SimTestCluster, pod: string) => () => !!podScheduled(c, pod);

describe('Scheduler: a pod that fits nowhere', () => {
  it('stays Pending with Unschedulable and a FailedScheduling event, is not retried by polling, and binds when room frees', async () => {
    const c = cluster([node('n1', '2')]);
    createPod(c, 'a', { cpu: '1500m' });
    const b = createPod(c, 'b', { cpu: '1' });
    await settle(c, allBound(c, ['a']));
    await c.runUntil(400);

    const message =
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.';
    expect(nodeOf(c, 'b')).toBeUndefined();
    expect((c.pod('default', 'b')!.status as Obj).phase).toBe('Pending');
    expect(podScheduled(c, 'b')).toEqual({
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message,
      lastProbeTime: null,
      lastTransitionTime: '2026-01-01T00:00:00Z',
    });
    const failed = c.eventsFor('b');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      type: 'Warning',
      reason: 'FailedScheduling',
      message,
      count: 1, // node heartbeats at 300 s changed nothing that matters: no retry
      involvedObject: { kind: 'Pod', apiVersion: 'v1', namespace: 'default', name: 'b', uid: b.metadata.uid },
      source: { component: 'default-scheduler' },
      reportingComponent: 'default-scheduler',
      firstTimestamp: '2026-01-01T00:00:00Z',
    });

    c.api.delete(c.pods, 'default', 'a', { gracePeriodSeconds: 0 });
    await settle(c, allBound(c, ['b']));
    expect(nodeOf(c, 'b')).toBe('n1');
    expect(c.elapsed()).toBeGreaterThan(400);
    expect(c.elapsed()).toBeLessThanOrEqual(400.1);
    expect(podScheduled(c, 'b')).toMatchObject({ status: 'True' });
    expect(c.eventsFor('b').map((e) => [e.type, e.reason, e.message])).toEqual([
      ['Warning', 'FailedScheduling', message],
      ['Normal', 'Scheduled', 'Successfully assigned default/b to n1'],
    ]);
  });

  it('is retried when a pod on the node finishes', async () => {
    const c = cluster([node('n1', '2')]);
    createPod(c, 'a', { cpu: '2' });
    createPod(c, 'b', { cpu: '2' });
    await settle(c, () => allBound(c, ['a'])() && hasCondition(c, 'b')());
    await c.runUntil(60);
    expect(nodeOf(c, 'b')).toBeUndefined();
    mutate(c.api, c.pods, 'default', 'a', (p) => {
      p.status.phase = 'Failed';
    });
    await settle(c, allBound(c, ['b']));
    expect(nodeOf(c, 'b')).toBe('n1');
  });

  it('is retried when a node joins', async () => {
    const c = cluster([node('n1', '2')]);
    createPod(c, 'big', { cpu: '3' });
    await settle(c, hasCondition(c, 'big'));
    await c.runUntil(30);
    createNodes(c.ctx, [node('n2', '4')]);
    await settle(c, allBound(c, ['big']));
    expect(nodeOf(c, 'big')).toBe('n2');
  });

  it('counts every node by the reason it failed, as kube-scheduler words it', async () => {
    const c = cluster([
      node('n1', '1', { labels: { disk: 'ssd' } }),
      node('n2', '8', { labels: { disk: 'hdd' } }),
      node('n3', '8', { labels: { disk: 'hdd' } }),
    ]);
    createPod(c, 'p', { cpu: '2', spec: { nodeSelector: { disk: 'ssd' } } });
    createPod(c, 'q', { cpu: '2', spec: { nodeSelector: { disk: 'ssd' }, preemptionPolicy: 'Never' } });
    await settle(c, () => hasCondition(c, 'p')() && hasCondition(c, 'q')());
    expect(podScheduled(c, 'p').message).toBe(
      "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector. " +
        'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.',
    );
    expect(podScheduled(c, 'q').message).toBe(
      "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector. " +
        'preemption: not eligible due to preemptionPolicy=Never..',
    );
  });

  it('counts a pod against its node while it is being bound', async () => {
    const c = cluster([node('n1', '2')], 1, { scheduler: { bindSeconds: { kind: 'fixed', value: 5 } } });
    createPod(c, 'first', { cpu: '1500m' });
    await c.runUntil(1);
    expect(nodeOf(c, 'first')).toBeUndefined(); // decided, not yet bound
    createPod(c, 'second', { cpu: '1500m' });
    await settle(c, hasCondition(c, 'second'));
    expect(c.elapsed()).toBe(1);
    expect(podScheduled(c, 'second').reason).toBe('Unschedulable');
    await settle(c, allBound(c, ['first']));
    expect(c.elapsed()).toBe(5);
  });
});

describe('Scheduler: taints and tolerations', () => {
  it('keeps pods off a NoSchedule taint unless they tolerate it', async () => {
    const c = cluster([node('mover', '8', { taints: [{ key: 'dedicated', value: 'mover', effect: 'NoSchedule' }] })]);
    createPod(c, 'plain');
    createPod(c, 'wrong-value', { spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] } });
    createPod(c, 'equal', { spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'mover', effect: 'NoSchedule' }] } });
    createPod(c, 'exists-key', { spec: { tolerations: [{ key: 'dedicated', operator: 'Exists' }] } });
    createPod(c, 'exists-all', { spec: { tolerations: [{ operator: 'Exists' }] } });
    await settle(c, () => allBound(c, ['equal', 'exists-key', 'exists-all'])() && hasCondition(c, 'plain')() && hasCondition(c, 'wrong-value')());
    await c.runUntil(30);
    const message = '0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: mover}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.';
    expect(nodeOf(c, 'plain')).toBeUndefined();
    expect(podScheduled(c, 'plain').message).toBe(message);
    expect(nodeOf(c, 'wrong-value')).toBeUndefined();
  });

  it('schedules onto PreferNoSchedule taints only when it must, or when tolerated', async () => {
    // The spot node is much bigger, so without its taint the least-allocated score would pick it.
    const c = cluster([node('spot', '64', { taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] }), node('small', '4')]);
    createPod(c, 'plain', { cpu: '100m' });
    createPod(c, 'tolerant', { cpu: '100m', spec: { tolerations: [{ key: 'spot', operator: 'Exists', effect: 'PreferNoSchedule' }] } });
    await settle(c, allBound(c, ['plain', 'tolerant']));
    expect(nodeOf(c, 'plain')).toBe('small');
    expect(nodeOf(c, 'tolerant')).toBe('spot');

    const only = cluster([node('spot', '4', { taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] })]);
    createPod(only, 'plain');
    await settle(only, allBound(only, ['plain']));
    expect(nodeOf(only, 'plain')).toBe('spot');
  });

  it('keeps pods off a node under memory pressure and retries when the pressure ends', async () => {
    const c = cluster([node('n1', '4')]);
    setNodeCondition(c.ctx, 'n1', 'MemoryPressure', 'True');
    createPod(c, 'p');
    await settle(c, hasCondition(c, 'p'));
    expect(podScheduled(c, 'p').message).toBe(
      '0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/memory-pressure: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
    );
    await c.runUntil(20);
    setNodeCondition(c.ctx, 'n1', 'MemoryPressure', 'False');
    await settle(c, allBound(c, ['p']));
    expect(nodeOf(c, 'p')).toBe('n1');
  });

  it('treats a not-ready node as tainted not-ready even before the taint lands, and skips cordoned nodes', async () => {
    const c = cluster([node('not-ready', '4'), node('cordoned', '4')]);
    mutate(c.api, c.nodes, undefined, 'not-ready', (n) => {
      n.status.conditions.find((x: Obj) => x.type === 'Ready').status = 'False';
    });
    mutate(c.api, c.nodes, undefined, 'cordoned', (n) => {
      n.spec.unschedulable = true;
    });
    createPod(c, 'p');
    await settle(c, hasCondition(c, 'p'));
    expect(podScheduled(c, 'p').message).toBe(
      '0/2 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    );
  });
});

describe('Scheduler: nodeSelector and required node affinity', () => {
  const n1 = { metadata: { name: 'n1', labels: { zone: 'a', gen: '5' } } };
  const required = (...terms: Obj[]) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });
  const expr = (key: string, operator: string, values?: string[]) => ({ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] });

  it.each([
    ['no constraints', {}, true],
    ['nodeSelector match', { nodeSelector: { zone: 'a' } }, true],
    ['nodeSelector mismatch', { nodeSelector: { zone: 'b' } }, false],
    ['nodeSelector on a missing label', { nodeSelector: { disk: 'ssd' } }, false],
    ['In', required(expr('zone', 'In', ['a', 'b'])), true],
    ['In, other values', required(expr('zone', 'In', ['b'])), false],
    ['NotIn', required(expr('zone', 'NotIn', ['a'])), false],
    ['NotIn on a missing label', required(expr('disk', 'NotIn', ['hdd'])), true],
    ['Exists', required(expr('gen', 'Exists')), true],
    ['Exists on a missing label', required(expr('disk', 'Exists')), false],
    ['DoesNotExist', required(expr('disk', 'DoesNotExist')), true],
    ['DoesNotExist on a present label', required(expr('zone', 'DoesNotExist')), false],
    ['Gt', required(expr('gen', 'Gt', ['4'])), true],
    ['Gt, equal', required(expr('gen', 'Gt', ['5'])), false],
    ['Lt', required(expr('gen', 'Lt', ['6'])), true],
    ['Gt on a non-integer label', required(expr('zone', 'Gt', ['1'])), false],
    ['expressions in a term are ANDed', required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'gen', operator: 'Lt', values: ['5'] }] }), false],
    ['terms are ORed', required(expr('zone', 'In', ['b']), expr('gen', 'Exists')), true],
    ['an empty term matches nothing', required({}), false],
    ['matchFields metadata.name In', required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }), true],
    ['matchFields metadata.name NotIn', required({ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n1'] }] }), false],
    ['nodeSelector and affinity must both hold', { nodeSelector: { zone: 'b' }, ...required(expr('gen', 'Exists')) }, false],
  ])('%s', (_, spec, want) => {
    expect(nodeMatchesRequiredAffinity(spec, n1)).toBe(want);
  });

  it('places pods only on nodes their selector and affinity allow', async () => {
    const c = cluster([
      node('a', '64', { labels: { zone: 'a' } }),
      node('b', '4', { labels: { zone: 'b', gen: '7' } }),
      node('c', '4', { labels: { zone: 'c', gen: '3' } }),
    ]);
    createPod(c, 'selector', { spec: { nodeSelector: { zone: 'b' } } });
    createPod(c, 'newer', { spec: required(expr('gen', 'Gt', ['4'])) });
    createPod(c, 'by-name', { spec: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['c'] }] }) });
    createPod(c, 'nowhere', { spec: required(expr('zone', 'In', ['x'])) });
    await settle(c, () => allBound(c, ['selector', 'newer', 'by-name'])() && hasCondition(c, 'nowhere')());
    expect([nodeOf(c, 'selector'), nodeOf(c, 'newer'), nodeOf(c, 'by-name'), nodeOf(c, 'nowhere')]).toEqual(['b', 'b', 'c', undefined]);
    expect(podScheduled(c, 'nowhere').message).toBe(
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
  });
});

describe('Scheduler: resource fit', () => {
  it.each([
    ['containers are summed', { containers: [{ resources: { requests: { cpu: '1', memory: '1Gi' } } }, { resources: { requests: { cpu: '500m' } } }] }, { cpu: 1500, memory: 1024 ** 3, storage: 0 }],
    [
      'an init container is a floor',
      { initContainers: [{ resources: { requests: { cpu: '2' } } }], containers: [{ resources: { requests: { cpu: '500m', memory: '1Gi' } } }] },
      { cpu: 2000, memory: 1024 ** 3, storage: 0 },
    ],
    [
      'a restartable sidecar adds to everything after it',
      {
        initContainers: [{ restartPolicy: 'Always', resources: { requests: { cpu: '200m' } } }, { resources: { requests: { cpu: '1' } } }],
        containers: [{ resources: { requests: { cpu: '500m' } } }],
      },
      { cpu: 1200, memory: 0, storage: 0 },
    ],
    ['overhead is added', { containers: [{ resources: { requests: { cpu: '1' } } }], overhead: { cpu: '250m' } }, { cpu: 1250, memory: 0, storage: 0 }],
    ['BestEffort requests nothing', { containers: [{}] }, { cpu: 0, memory: 0, storage: 0 }],
  ])('%s', (_, spec, want) => {
    expect(podRequests(spec)).toEqual(want);
  });

  it('scores a container without requests as 100m and 200Mi', () => {
    expect(podRequests({ containers: [{}, { resources: { requests: { cpu: '1' } } }] }, true)).toEqual({ cpu: 1100, memory: 400 * 1024 ** 2, storage: 0 });
  });

  it('honours the pods limit, counting BestEffort pods and not finished ones', async () => {
    const c = cluster([{ names: ['n1'], capacity: { cpu: '4', memory: '8Gi', pods: 2 } }]);
    const done = createPod(c, 'done', { spec: { nodeName: 'n1' } });
    mutate(c.api, c.pods, 'default', done.metadata.name, (p) => {
      p.status.phase = 'Succeeded';
    });
    for (const p of ['p1', 'p2', 'p3']) createPod(c, p);
    await settle(c, () => allBound(c, ['p1', 'p2'])() && hasCondition(c, 'p3')());
    expect(nodeOf(c, 'p3')).toBeUndefined();
    expect(podScheduled(c, 'p3').message).toBe(
      '0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
  });

  it('counts init containers by the max rule against requests already on the node', async () => {
    const c = cluster([node('n1', '2')]);
    createPod(c, 'running', { cpu: '1' });
    createPod(c, 'init-heavy', {
      spec: {
        initContainers: [{ name: 'init', image: 'busybox:1.36', resources: { requests: { cpu: '1500m' } } }],
        containers: [{ name: 'main', image: 'busybox:1.36', resources: { requests: { cpu: '100m' } } }],
      },
    });
    await settle(c, () => allBound(c, ['running'])() && hasCondition(c, 'init-heavy')());
    expect(podScheduled(c, 'init-heavy').message).toMatch(/^0\/1 nodes are available: 1 Insufficient cpu\./);
  });
});

describe('Scheduler: topology spread', () => {
  const spread = (when: string) => ({
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: when, labelSelector: { matchLabels: { app: 'mover' } } }],
  });

  it('spreads pods asking for a soft spread 2/2 over two nodes, against the least-allocated preference', async () => {
    const pods = ['m1', 'm2', 'm3', 'm4'];
    const placement = async (spec: Obj) => {
      const c = cluster([node('big', '64'), node('small', '4')]);
      for (const p of pods) createPod(c, p, { cpu: '500m', labels: { app: 'mover' }, spec });
      await settle(c, allBound(c, pods));
      return pods.map((p) => nodeOf(c, p)).sort();
    };
    expect(await placement(spread('ScheduleAnyway'))).toEqual(['big', 'big', 'small', 'small']);
    expect(await placement({})).toEqual(['big', 'big', 'big', 'big']);
  });

  it('refuses a node that would break a hard spread, counting a tainted domain (nodeTaintsPolicy Ignore)', async () => {
    const c = cluster([
      node('a', '8', { labels: { zone: 'a' } }),
      node('b', '8', { labels: { zone: 'b' }, taints: [{ key: 'maintenance', effect: 'NoSchedule' }] }),
    ]);
    const zoneSpread = { topologySpreadConstraints: [{ ...spread('DoNotSchedule').topologySpreadConstraints[0], topologyKey: 'zone' }] };
    createPod(c, 'first', { labels: { app: 'mover' }, spec: zoneSpread });
    createPod(c, 'second', { labels: { app: 'mover' }, spec: zoneSpread });
    await settle(c, () => allBound(c, ['first'])() && hasCondition(c, 'second')());
    expect(nodeOf(c, 'first')).toBe('a');
    expect(podScheduled(c, 'second').message).toBe(
      "0/2 nodes are available: 1 node(s) didn't match pod topology spread constraints, 1 node(s) had untolerated taint {maintenance: }. " +
        'preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.',
    );
  });
});

describe('Scheduler: determinism and scope', () => {
  const bindings = async (seed: number) => {
    const c = cluster([node('n1', '4'), node('n2', '4'), node('n3', '4')], seed);
    const pods = Array.from({ length: 9 }, (_, i) => `p${i}`);
    for (const p of pods) createPod(c, p);
    await settle(c, allBound(c, pods));
    return { nodes: pods.map((p) => nodeOf(c, p)), at: c.elapsed() };
  };

  it('gives the same bindings at the same times for the same seed', async () => {
    const first = await bindings(11);
    expect(await bindings(11)).toEqual(first);
    const others: (string | undefined)[][] = [];
    for (const seed of [1, 2, 3, 4, 5]) others.push((await bindings(seed)).nodes);
    expect(others.some((o) => JSON.stringify(o) !== JSON.stringify(first.nodes))).toBe(true);
  });

  it('leaves pods of other schedulers and pods being deleted alone', async () => {
    const c = cluster([node('n1', '4')]);
    createPod(c, 'other', { spec: { schedulerName: 'volcano' } });
    c.api.create(c.pods, 'default', {
      metadata: { name: 'deleting', finalizers: ['example.com/hold'] },
      spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] },
    });
    c.api.delete(c.pods, 'default', 'deleting');
    createPod(c, 'mine');
    await settle(c, allBound(c, ['mine']));
    await c.runUntil(10);
    expect(nodeOf(c, 'other')).toBeUndefined();
    expect(nodeOf(c, 'deleting')).toBeUndefined();
    expect(podScheduled(c, 'other')).toBeUndefined();
  });
});

describe('Scheduler: VolumeBinding', () => {
  it('keeps a pod whose immediate PVC is unbound (or missing) Pending, and places it once the claim binds', async () => {
    const c = cluster([node('n1', '2')]);
    const pvcs = c.api.lookup('', 'v1', 'persistentvolumeclaims')!;
    c.api.create(pvcs, 'default', { metadata: { name: 'claim' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    createPod(c, 'a', { spec: { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'claim' } }] } });
    createPod(c, 'b', { spec: { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'nowhere' } }] } });
    await settle(c, hasCondition(c, 'a'));
    await c.runUntil(60);
    expect(nodeOf(c, 'a')).toBeUndefined();
    expect(podScheduled(c, 'a')?.message).toBe(
      '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
    );
    expect(podScheduled(c, 'b')?.message).toMatch(/persistentvolumeclaim "nowhere" not found/);
    mutate(c.api, pvcs, 'default', 'claim', (o) => {
      (o as Obj).status = { phase: 'Bound' };
    });
    await settle(c, allBound(c, ['a']));
    expect(nodeOf(c, 'a')).toBe('n1');
    expect(nodeOf(c, 'b')).toBeUndefined();
  });

  it('places a pod only on a node its bound volume\'s node affinity admits; none admitted: volume node affinity conflict', async () => {
    const c = cluster([node('n1', '2', { labels: { 'topology.kubernetes.io/zone': 'zone-a' } }), node('n2', '2', { labels: { 'topology.kubernetes.io/zone': 'zone-b' } })]);
    const pvcs = c.api.lookup('', 'v1', 'persistentvolumeclaims')!;
    const pvs = c.api.lookup('', 'v1', 'persistentvolumes')!;
    const volume = (name: string, zone: string) => {
      c.api.create(pvs, undefined, {
        metadata: { name: `pv-${name}` },
        spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], csi: { driver: 'd', volumeHandle: name }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [zone] }] }] } } },
      });
      c.api.create(pvcs, 'default', { metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], volumeName: `pv-${name}`, resources: { requests: { storage: '1Gi' } } } });
      mutate(c.api, pvcs, 'default', name, (o) => {
        (o as Obj).status = { phase: 'Bound' };
      });
    };
    volume('in-b', 'zone-b');
    volume('in-c', 'zone-c');
    const withClaim = (claim: string, spec: Obj = {}) => ({ spec: { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: claim } }], ...spec } });
    // Ten times, so a draw between the nodes would have shown: the volume decides.
    for (let i = 0; i < 10; i++) createPod(c, `b-${i}`, withClaim('in-b'));
    createPod(c, 'c', withClaim('in-c'));
    // Pinned to n1 (as deploying pins its pod to the claiming node) with its volume in zone-b.
    createPod(c, 'pinned', withClaim('in-b', { nodeSelector: { 'kubernetes.io/hostname': 'n1' } }));
    await settle(c, () => allBound(c, Array.from({ length: 10 }, (_, i) => `b-${i}`))() && hasCondition(c, 'c')() && hasCondition(c, 'pinned')());
    for (let i = 0; i < 10; i++) expect(nodeOf(c, `b-${i}`)).toBe('n2');
    expect(podScheduled(c, 'c')?.message).toBe('0/2 nodes are available: 2 node(s) had volume node affinity conflict. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.');
    expect(podScheduled(c, 'pinned')?.message).toBe("0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had volume node affinity conflict. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.");
  });
});
