import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, parseFaults, type FaultKind } from './faults.ts';
import { checkFaultsForTarget, faultPlan, KIND_ACTIONS } from './kind-actions.ts';

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
      /--target kind: these faults are not carried out there.*\n {2}faults\[1\] snapshot-failure-1 \(snapshot-failure\): csi-driver-host-path cannot be told to fail snapshots\n {2}faults\[2\] slow \(api-latency\)/s,
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
    const plan = faultPlan(faults, { target: 'kind', timeScale: 1 });
    const commands = plan.filter((l) => /^ {2}start: |^ {4}/.test(l)).map((l) => l.replace(/^ {2}start: | {4}/, ''));
    expect(commands.filter((l) => !l.startsWith('kubectl apply') && !l.startsWith('{') && l !== 'EOF')).toEqual([
      'docker stop kind-worker',
      'docker start kind-worker',
      'kubectl create namespace datamover-bench-chaos --dry-run=client -o yaml | kubectl apply -f -',
      'kubectl -n datamover-bench-chaos delete pod node-memory-pressure-1 --grace-period=0 --force',
      'kubectl -n velero delete pod -l app.kubernetes.io/name=node-agent --field-selector spec.nodeName=kind-worker2 --grace-period=0 --force',
    ]);
    const stress = plan.join('\n');
    expect(stress).toContain('"nodeName":"kind-worker2"');
    expect(stress).toContain('"--vm-bytes","95%"');
    expect(plan[1]).toBe('faults[0] node-failure-0 (node-failure), at 60 s (60 s on the cluster)');
  });

  it('the dry run names each fault\'s time in the scenario and on the cluster, its node and its commands at start and end', () => {
    const faults = parseFaults(
      [
        { kind: 'node-failure', node: 'random:pool=backup', when: { phase: 'InProgress', fraction: 0.2 }, durationSeconds: 900 },
        { kind: 'node-agent-restart', node: 'kind-worker2', at: 600 },
      ],
      [...nodes, { name: 'kind-worker3', labels: { pool: 'backup' } }],
    );
    expect(faultPlan(faults, { target: 'kind', timeScale: 30 })).toEqual([
      '2 fault(s) on --target kind, durations / 30 (--time-scale):',
      'faults[0] node-failure-0 (node-failure), when 20% of the DataUploads have reached InProgress',
      "  node: $NODE, chosen from the seed at the run's start among the cluster's nodes matching pool=backup",
      "  does: the node's container is stopped (kubelet, pods and node-agent with it) and started again",
      '  start: docker stop $NODE',
      '  end, 900 s later (30 s on the cluster):',
      '    docker start $NODE',
      'faults[1] node-agent-restart-1 (node-agent-restart), at 600 s (20 s on the cluster)',
      '  node: kind-worker2',
      `  does: ${(KIND_ACTIONS['node-agent-restart'] as { does: string }).does}`,
      '  start: kubectl -n velero delete pod -l app.kubernetes.io/name=node-agent --field-selector spec.nodeName=kind-worker2 --grace-period=0 --force',
    ]);
    const pressure = parseFaults([{ kind: 'node-cpu-pressure', node: 'kind-worker', at: 0, durationSeconds: 1200 }], nodes);
    // The stress pod stops by itself after the cluster's duration: 1200 s / 30.
    expect(faultPlan(pressure, { target: 'kind', timeScale: 30 }).join('\n')).toContain('"--timeout","40s"');
  });
});
