import { describe, expect, it } from 'vitest';
import { runEmbedded } from '../run/targets/embedded.ts';
import { FaultError, nodeCandidates, parseFaults } from './faults.ts';

const nodes: { name: string; labels: Record<string, string> }[] = [
  { name: 'backup-1', labels: { 'datamover-bench.io/backup-node': 'true' } },
  { name: 'backup-2', labels: { 'datamover-bench.io/backup-node': 'true' } },
  { name: 'worker-1', labels: {} },
];

describe('fault schedules are checked before a run', () => {
  it('accepts every kind with its fields, names them, and keeps node choices symbolic', () => {
    const faults = parseFaults(
      [
        { kind: 'node-memory-pressure', node: 'random:datamover-bench.io/backup-node=true', at: 60, durationSeconds: 300 },
        { kind: 'node-failure', node: 'worker-1', when: { phase: 'InProgress', fraction: 0.2 } },
        { kind: 'pod-kill', count: 2, at: 0 },
        { kind: 'api-errors', at: 10, errorCode: 429, rate: 0.1, verbs: ['update'], resources: ['datauploads'], name: 'throttled' },
        { kind: 'force-gone', at: 5, resource: 'datauploads' },
      ],
      nodes,
    );
    expect(faults.map((f) => f.name)).toEqual(['node-memory-pressure-0', 'node-failure-1', 'pod-kill-2', 'throttled', 'force-gone-4']);
    expect(nodeCandidates(faults[0].node!, nodes)).toEqual(['backup-1', 'backup-2']);
    expect(nodeCandidates('random', nodes)).toEqual(['backup-1', 'backup-2', 'worker-1']);
  });

  it.each([
    [[{ kind: 'node-explode', at: 1 }], /faults\[0\]\.kind: "node-explode" is not accepted: one of node-memory-pressure, .*node-agent-restart/],
    [[{ kind: 'node-failure', at: 1 }], /faults\[0\]\.node: undefined is not accepted: a node name, "random" or "random:<label selector>"/],
    [[{ kind: 'node-failure', node: 'worker-9', at: 1 }], /faults\[0\]\.node: "worker-9" is not accepted: a node of the cluster \(backup-1, backup-2, worker-1\)/],
    [[{ kind: 'node-failure', node: 'random:gpu=true', at: 1 }], /a selector some node matches/],
    [[{ kind: 'node-failure', node: 'randomly', at: 1 }], /node: "randomly" is not accepted: a node of the cluster/],
    [[{ kind: 'pod-kill', at: -5 }], /faults\[0\]\.at: -5 is not accepted: a number >= 0/],
    [[{ kind: 'pod-kill' }], /faults\[0\]\.at: undefined is not accepted: exactly one of at/],
    [[{ kind: 'pod-kill', at: 1, when: { phase: 'InProgress', fraction: 0.5 } }], /exactly one of at/],
    [[{ kind: 'pod-kill', when: { phase: 'Running', fraction: 0.5 } }], /faults\[0\]\.when\.phase: "Running" is not accepted: one of Accepted, Prepared/],
    [[{ kind: 'pod-kill', when: { phase: 'InProgress', fraction: 0 } }], /when\.fraction: 0 is not accepted: a number above 0 and at most 1/],
    [[{ kind: 'pod-kill', at: 1, durationSeconds: 10 }], /durationSeconds: 10 is not accepted: nothing: pod-kill is instant/],
    [[{ kind: 'api-errors', at: 1, errorCode: 418, rate: 0.5 }], /errorCode: 418 is not accepted: one of 429, 500, 503, 504/],
    [[{ kind: 'snapshot-failure', at: 1, rate: 2 }], /rate: 2 is not accepted: a probability from 0 to 1/],
    [[{ kind: 'api-latency', at: 1, latencyMs: 5, verbs: ['frobnicate'] }], /verbs: \["frobnicate"\] is not accepted/],
    [[{ kind: 'pod-kill', at: 1, nodes: 'x' }], /faults\[0\]\.nodes: "x" is not accepted: not a fault field/],
    [[{ kind: 'pod-kill', at: 1, node: 'worker-1' }], /node: "worker-1" is not accepted: nothing: pod-kill does not act on one node/],
    [[{ kind: 'pod-kill', at: 1, name: 'a' }, { kind: 'pod-kill', at: 2, name: 'a' }], /faults\[1\]\.name: "a" is not accepted: a name no other fault has/],
    [[{ kind: 'pod-kill', at: 1, gracePeriodSeconds: -1 }], /gracePeriodSeconds: -1 is not accepted: a whole number >= 0/],
    [[{ kind: 'drop-watches', at: 1, gracePeriodSeconds: 5 }], /gracePeriodSeconds: 5 is not accepted: nothing: only pod-kill takes it/],
  ])('refuses %j, naming the fault, the field, the value and what is accepted', (decls, message) => {
    expect(() => parseFaults(decls, nodes)).toThrow(FaultError);
    expect(() => parseFaults(decls, nodes)).toThrow(message);
  });

  it('a run with an invalid fault fails before anything starts', async () => {
    await expect(
      runEmbedded({ seed: 1, flow: 'deploying', nodes: [{ count: 1, namePrefix: 'worker', capacity: { cpu: '4', memory: '8Gi', pods: '110' } }], pvcs: [], deadlineSeconds: 60, faults: [{ kind: 'node-failure', node: 'worker-7', at: 10 }] }),
    ).rejects.toThrow(/faults\[0\]\.node: "worker-7" is not accepted/);
  });
});
