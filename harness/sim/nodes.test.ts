import { describe, expect, it } from 'vitest';
import { mutate, resourceInfo } from './context.ts';
import { createNodes, expandNodePools, NodePoolError, setNodeCondition, startHeartbeat, stopHeartbeat, type NodePoolDecl } from './nodes.ts';
import { NODE_ANNOTATIONS } from './programs.ts';
import { simTestCluster } from './sim-test-cluster.ts';

const WORKERS: NodePoolDecl = {
  count: 3,
  namePrefix: 'worker',
  labels: { 'topology.kubernetes.io/zone': 'eu-west-1a' },
  capacity: { cpu: '4', memory: '16Gi', pods: 110 },
  dataMiBps: 125,
  instanceType: 'm5.xlarge',
};

function problems(pools: unknown): string[] {
  try {
    expandNodePools(pools as NodePoolDecl[]);
  } catch (e) {
    expect(e).toBeInstanceOf(NodePoolError);
    return (e as Error).message.split('\n');
  }
  throw new Error('expected a NodePoolError');
}

describe('expandNodePools', () => {
  it('names count nodes from the prefix and gives them capacity minus the default reserve', () => {
    const nodes = expandNodePools([WORKERS]);
    expect(nodes.map((n) => n.name)).toEqual(['worker-1', 'worker-2', 'worker-3']);
    expect(nodes[0]).toEqual({
      name: 'worker-1',
      labels: { 'topology.kubernetes.io/zone': 'eu-west-1a' },
      taints: [],
      capacity: { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      allocatable: { cpu: '3900m', memory: '16284Mi', pods: '110', 'ephemeral-storage': '90Gi' },
      dataMiBps: 125,
      instanceType: 'm5.xlarge',
    });
  });

  it('takes explicit names, taints and allocatable as declared', () => {
    const [node] = expandNodePools([
      {
        names: ['mover'],
        taints: [{ key: 'dedicated', value: 'mover', effect: 'NoSchedule' }],
        capacity: { cpu: 8, memory: '32G', pods: '20', 'ephemeral-storage': '200Gi' },
        allocatable: { cpu: '7500m', memory: '30G' },
      },
    ]);
    expect(node.taints).toEqual([{ key: 'dedicated', value: 'mover', effect: 'NoSchedule' }]);
    expect(node.allocatable).toEqual({ cpu: '7500m', memory: '30G', pods: '20', 'ephemeral-storage': '180Gi' });
  });

  it('spreads a pool over its zones in turn (topology.kubernetes.io/zone), and refuses bad zones', () => {
    const nodes = expandNodePools([{ count: 4, namePrefix: 'n', capacity: { cpu: '4', memory: '16Gi', pods: '110' }, zones: ['zone-a', 'zone-b', 'zone-c'] }]);
    expect(nodes.map((n) => n.labels['topology.kubernetes.io/zone'])).toEqual(['zone-a', 'zone-b', 'zone-c', 'zone-a']);
    const base = { count: 1, namePrefix: 'n', capacity: { cpu: '4', memory: '16Gi', pods: '110' } };
    expect(problems([{ ...base, zones: [] }])).toEqual(['nodePools[0].zones: [] is not accepted: use a non-empty list of zone names such as ["zone-a", "zone-b"]']);
    expect(problems([{ ...base, zones: ['Zone A'] }])[0]).toMatch(/^nodePools\[0\]\.zones: "Zone A" is not accepted: /);
    expect(problems([{ ...base, zones: ['zone-a'], labels: { 'topology.kubernetes.io/zone': 'zone-b' } }])).toEqual(['nodePools[0]: give zones or the label topology.kubernetes.io/zone, not both']);
  });

  it('names the field, the value and what is accepted for every mistake at once', () => {
    expect(
      problems([
        { count: 2, namePrefix: 'a', capacity: { cpu: 'four', memory: '16Gi', pods: 110 } },
        { names: ['Bad_Name'], capacity: { cpu: '2', memory: '1Gi', pods: 1.5 }, taints: [{ key: 'k', effect: 'NoRun' }] },
        { count: 1, namePrefix: 'a', capacity: { cpu: '2', memory: '1Gi', pods: 10 }, allocatable: { cpu: '3' }, dataMiBps: -1, zone: 'x' },
      ]),
    ).toEqual([
      'nodePools[0].capacity.cpu: "four" is not accepted: use a Kubernetes quantity such as 500m, 2, 16Gi, 1G or 1e3',
      expect.stringMatching(/^nodePools\[1\]\.names: "Bad_Name" is not accepted: a lowercase RFC 1123 subdomain must consist of/),
      'nodePools[1].taints[0].effect: "NoRun" is not accepted: use one of NoSchedule, PreferNoSchedule, NoExecute',
      'nodePools[1].capacity.pods: 1.5 is not accepted: use a whole number of pods',
      'nodePools[2].zone: unknown field; accepted: count, namePrefix, names, labels, taints, capacity, allocatable, dataMiBps, instanceType, zones',
      'nodePools[2]: node name "a-1" is already declared by nodePools[0]',
      'nodePools[2].allocatable.cpu: "3" is not accepted: allocatable cannot exceed capacity (2)',
      'nodePools[2].dataMiBps: -1 is not accepted: use a number of MiB/s > 0',
    ]);
  });

  it('asks for a way to name the nodes and for the required capacity', () => {
    expect(problems([{ capacity: { cpu: '1', memory: '1Gi' } }])).toEqual([
      'nodePools[0]: give count and namePrefix (nodes <namePrefix>-1 ... <namePrefix>-<count>), or names',
      'nodePools[0].capacity.pods: required; use a whole number of pods',
    ]);
    expect(problems([{ count: 0, namePrefix: 'n', capacity: { cpu: '1', memory: '1Gi', pods: 1 } }])).toEqual([
      'nodePools[0].count: 0 is not accepted: use a whole number > 0',
    ]);
  });
});

describe('createNodes', () => {
  it('registers Nodes as a kubelet does, with a Lease in kube-node-lease', () => {
    const c = simTestCluster(7);
    createNodes(c.ctx, [WORKERS]);
    const node = c.node('worker-2') as Record<string, any>;
    expect(node.metadata.labels).toEqual({
      'beta.kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'beta.kubernetes.io/instance-type': 'm5.xlarge',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': 'worker-2',
      'kubernetes.io/os': 'linux',
      'node.kubernetes.io/instance-type': 'm5.xlarge',
      'topology.kubernetes.io/zone': 'eu-west-1a',
    });
    expect(node.metadata.annotations[NODE_ANNOTATIONS.dataMiBps]).toBe('125');
    expect(node.status.capacity).toMatchObject({ cpu: '4', memory: '16Gi', pods: '110' });
    expect(node.status.allocatable).toMatchObject({ cpu: '3900m', memory: '16284Mi', pods: '110' });
    expect(node.status.conditions.map((x: any) => [x.type, x.status, x.reason, x.message])).toEqual([
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
      ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
    ]);
    expect(node.status.nodeInfo).toMatchObject({ kubeletVersion: 'v1.31.0', operatingSystem: 'linux', architecture: 'amd64' });
    expect(node.status.addresses[0]).toEqual({ type: 'InternalIP', address: expect.stringMatching(/^10\.\d+\.0\.3$/) });
    expect(node.status.addresses[1]).toEqual({ type: 'Hostname', address: 'worker-2' });
    const lease = c.api.get(resourceInfo(c.api, 'coordination.k8s.io', 'v1', 'leases'), 'kube-node-lease', 'worker-2').obj as Record<string, any>;
    expect(lease.spec).toMatchObject({ holderIdentity: 'worker-2', leaseDurationSeconds: 40 });
    expect(lease.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'worker-2', uid: node.metadata.uid }]);
  });

  it('draws node addresses and identities from the seed', () => {
    const address = (seed: number) => {
      const c = simTestCluster(seed);
      createNodes(c.ctx, [WORKERS]);
      const s = c.node('worker-1')!.status as Record<string, any>;
      return [s.addresses[0].address, s.nodeInfo.machineID];
    };
    expect(address(7)).toEqual(address(7));
    expect(address(7)).not.toEqual(address(8));
  });

  it('creates nothing when the declaration is bad', () => {
    const c = simTestCluster();
    expect(() => createNodes(c.ctx, [WORKERS, { ...WORKERS, count: 1 }])).toThrow(NodePoolError);
    expect(c.api.table(c.nodes).objects.size).toBe(0);
  });
});

describe('heartbeats', () => {
  const renewTime = (c: ReturnType<typeof simTestCluster>, node: string) =>
    Date.parse((c.api.get(resourceInfo(c.api, 'coordination.k8s.io', 'v1', 'leases'), 'kube-node-lease', node).obj as any).spec.renewTime);
  const readyHeartbeat = (c: ReturnType<typeof simTestCluster>, node: string) =>
    Date.parse((c.node(node)!.status as any).conditions.find((x: any) => x.type === 'Ready').lastHeartbeatTime);

  it('renew the Lease every leaseRenewSeconds and post status every nodeStatusReportSeconds, until stopped', async () => {
    const c = simTestCluster(3, { kubelet: { leaseRenewSeconds: 10, nodeStatusReportSeconds: 60 } });
    createNodes(c.ctx, [{ names: ['n1'], capacity: { cpu: '2', memory: '4Gi', pods: 10 } }]);
    await c.runUntil(125);
    expect(renewTime(c, 'n1')).toBeGreaterThan(c.at(115));
    expect(readyHeartbeat(c, 'n1')).toBeGreaterThan(c.at(65));

    stopHeartbeat(c.ctx, 'n1');
    const frozenLease = renewTime(c, 'n1');
    const frozenStatus = readyHeartbeat(c, 'n1');
    await c.runUntil(400);
    expect(renewTime(c, 'n1')).toBe(frozenLease);
    expect(readyHeartbeat(c, 'n1')).toBe(frozenStatus);

    startHeartbeat(c.ctx, 'n1');
    expect(renewTime(c, 'n1')).toBe(Math.floor(c.at(400)));
    expect(readyHeartbeat(c, 'n1')).toBe(c.at(400));
  });

  it('refuse a node that has no heartbeat, naming the ones that do', () => {
    const c = simTestCluster();
    createNodes(c.ctx, [{ names: ['n1'], capacity: { cpu: '2', memory: '4Gi', pods: 10 } }]);
    expect(() => stopHeartbeat(c.ctx, 'n2')).toThrow('node "n2" has no kubelet heartbeat: nodes with one are n1');
  });
});

describe('setNodeCondition', () => {
  const condition = (c: ReturnType<typeof simTestCluster>, type: string) =>
    (c.node('n1')!.status as any).conditions.find((x: any) => x.type === type);
  const taints = (c: ReturnType<typeof simTestCluster>) => ((c.node('n1')!.spec as any).taints ?? []).map((t: any) => `${t.key}:${t.effect}`);

  it('puts a node under memory pressure with the kubelet wording and the lifecycle controller taint, and takes it back', async () => {
    const c = simTestCluster();
    createNodes(c.ctx, [{ names: ['n1'], capacity: { cpu: '2', memory: '4Gi', pods: 10 }, taints: [{ key: 'dedicated', effect: 'NoSchedule' }] }]);
    await c.runUntil(30);
    setNodeCondition(c.ctx, 'n1', 'MemoryPressure', 'True');
    expect(condition(c, 'MemoryPressure')).toMatchObject({
      status: 'True',
      reason: 'KubeletHasInsufficientMemory',
      message: 'kubelet has insufficient memory available',
      lastTransitionTime: '2026-01-01T00:00:30Z',
    });
    expect(taints(c)).toEqual(['dedicated:NoSchedule', 'node.kubernetes.io/memory-pressure:NoSchedule']);
    expect(c.eventsFor('n1').map((e) => [e.type, e.reason, e.message, e.source.component])).toEqual([
      ['Normal', 'NodeHasInsufficientMemory', 'Node n1 status is now: NodeHasInsufficientMemory', 'kubelet'],
    ]);
    // The kubelet keeps reporting what it observes: a status post does not undo the pressure.
    await c.runUntil(700);
    expect(condition(c, 'MemoryPressure').status).toBe('True');

    setNodeCondition(c.ctx, 'n1', 'MemoryPressure', 'False');
    expect(condition(c, 'MemoryPressure')).toMatchObject({ status: 'False', reason: 'KubeletHasSufficientMemory' });
    expect(taints(c)).toEqual(['dedicated:NoSchedule']);
  });

  it('marks a node whose kubelet stopped Unknown and unreachable; the restarted kubelet makes it Ready again', () => {
    const c = simTestCluster();
    createNodes(c.ctx, [{ names: ['n1'], capacity: { cpu: '2', memory: '4Gi', pods: 10 } }]);
    stopHeartbeat(c.ctx, 'n1');
    setNodeCondition(c.ctx, 'n1', 'Ready', 'Unknown');
    expect(condition(c, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    // NoExecute is the node lifecycle controller's to add, on its own schedule (node-lifecycle.ts).
    expect(taints(c)).toEqual(['node.kubernetes.io/unreachable:NoSchedule']);

    startHeartbeat(c.ctx, 'n1');
    expect(condition(c, 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    expect(taints(c)).toEqual([]);
  });

  it('leaves the lifecycle controller\'s NoExecute taint alone while it syncs NoSchedule taints', () => {
    const c = simTestCluster();
    createNodes(c.ctx, [{ names: ['n1'], capacity: { cpu: '2', memory: '4Gi', pods: 10 } }]);
    stopHeartbeat(c.ctx, 'n1');
    setNodeCondition(c.ctx, 'n1', 'Ready', 'Unknown');
    mutate(c.api, c.nodes, undefined, 'n1', (n) => {
      n.spec.taints.push({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2026-01-01T00:01:00Z' });
    });
    setNodeCondition(c.ctx, 'n1', 'MemoryPressure', 'True');
    expect(taints(c)).toEqual(['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/memory-pressure:NoSchedule']);
  });

  it('marks a not-ready node with the not-ready NoSchedule taint', () => {
    const c = simTestCluster();
    createNodes(c.ctx, [{ names: ['n1'], capacity: { cpu: '2', memory: '4Gi', pods: 10 } }]);
    setNodeCondition(c.ctx, 'n1', 'Ready', 'False', { message: 'PLEG is not healthy' });
    expect(condition(c, 'Ready')).toMatchObject({ status: 'False', reason: 'KubeletNotReady', message: 'PLEG is not healthy' });
    expect(taints(c)).toEqual(['node.kubernetes.io/not-ready:NoSchedule']);
  });
});
