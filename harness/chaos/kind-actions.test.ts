import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, parseFaults, type FaultKind } from './faults.ts';
import { checkFaultsForTarget, KIND_ACTIONS, kindPlan } from './kind-actions.ts';

const nodes = [{ name: 'kind-worker', labels: {} }, { name: 'kind-worker2', labels: {} }];

describe('faults on kind', () => {
  it('every fault kind has a kind action or says why it has none', () => {
    for (const kind of Object.keys(FAULT_KINDS) as FaultKind[]) {
      const a = KIND_ACTIONS[kind];
      expect('none' in a ? a.none : a.does).toMatch(/\w{4,}/);
    }
  });

  it('refuses, before the run and by name, the faults that have no action there', () => {
    const faults = parseFaults(
      [
        { kind: 'node-failure', node: 'kind-worker', at: 60, durationSeconds: 300 },
        { kind: 'snapshot-failure', at: 0, durationSeconds: 60, rate: 0.1 },
        { kind: 'api-latency', at: 0, durationSeconds: 60, latencyMs: 100, name: 'slow' },
      ],
      nodes,
    );
    expect(() => checkFaultsForTarget(faults, 'embedded')).not.toThrow();
    expect(() => checkFaultsForTarget(faults, 'kind')).toThrow(
      /--target kind: these faults have no action there.*\n {2}faults\[1\] snapshot-failure-1 \(snapshot-failure\): csi-driver-host-path cannot be told to fail snapshots\n {2}faults\[2\] slow \(api-latency\)/s,
    );
    expect(() => checkFaultsForTarget(faults.slice(0, 1), 'kind')).not.toThrow();
    expect(() => checkFaultsForTarget(faults.slice(0, 1), 'kubeconfig')).toThrow(/faults\[0\] node-failure-0 \(node-failure\): stopping a node needs kind/);
  });

  it('plans the real actions in order: docker stop/start, stress pods, node-agent pod deletion', () => {
    const faults = parseFaults(
      [
        { kind: 'node-failure', node: 'kind-worker', at: 60, durationSeconds: 300 },
        { kind: 'node-memory-pressure', node: 'kind-worker2', when: { phase: 'InProgress', fraction: 0.3 }, durationSeconds: 120 },
        { kind: 'node-agent-restart', node: 'kind-worker2', at: 900 },
      ],
      nodes,
    );
    const plan = kindPlan(faults, (f) => f.node);
    expect(plan.filter((l) => !l.startsWith('#') && !l.startsWith('kubectl apply'))).toEqual([
      'docker stop kind-worker',
      'docker start kind-worker',
      'kubectl -n datamover-bench-chaos delete pod node-memory-pressure-1 --grace-period=0 --force',
      'kubectl -n velero delete pod -l name=node-agent --field-selector spec.nodeName=kind-worker2 --grace-period=0 --force',
    ]);
    const stress = plan.find((l) => l.startsWith('kubectl apply'))!;
    expect(stress).toContain('"nodeName":"kind-worker2"');
    expect(stress).toContain('"--vm-bytes","95%"');
    expect(plan[0]).toBe('# node-failure-0, at 60 s: the node\'s container is stopped (kubelet, pods and node-agent with it) and started again');
  });
});
