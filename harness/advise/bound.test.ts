// The bound advise prunes with, on the synthetic scenario of fixtures.ts, every value worked out by
// hand. L = 10 s (pod start), r = 50 MiB/s per pod, B = 100 MiB/s per node, 100000 MiB in all, the
// largest PVC 20000 MiB:
//   largest alone            10 + 20000/50                 = 410
//   configured (2 nodes) c=1 10 + 100000/(2 x min(100, 50))  = 1010; unlimited slots 10 + 100000/200 = 510
//   configured c=2           10 + 100000/(2 x min(100, 100)) = 510
//   all (3 nodes) c=1        10 + 100000/150                 = 676.667; unlimited max(343.333, 410) = 410
//   all c=2                  max(10 + 100000/300, 410)       = 410
//   role=app (1 node) c=1    10 + 100000/50                  = 2010; unlimited 10 + 100000/100 = 1010
import { describe, expect, it } from 'vitest';
import { boundLimit, saturatingConcurrency, settingBound } from './bound.ts';
import { defaults, SYNTHETIC, syntheticExperiment } from './fixtures.ts';

const at = (concurrency: number, nodes: string) => settingBound(syntheticExperiment({ ...defaults(SYNTHETIC), concurrency, 'data-mover-nodes': nodes }), 'velero-1.17');

describe('the bound advise prunes with', () => {
  it.each([
    [1, 'configured', 1010, 510, 2],
    [2, 'configured', 510, 510, 4],
    [1, 'all', 676.667, 410, 3],
    [2, 'all', 410, 410, 6],
    [1, 'role=app', 2010, 1010, 1],
  ])('concurrency %i on %s nodes: bound %d s, %d s with unlimited slots, %i slots', (c, nodes, bound, unlimited, slots) => {
    const b = at(c, nodes);
    expect(b.makespanSeconds).toBe(bound);
    expect(b.unlimitedSlotsSeconds).toBe(unlimited);
    expect(b.largestPvcSeconds).toBe(410);
    expect(b.slots).toBe(slots);
  });

  it.each([
    // window 480 s: the nodes' bandwidth rules out both node sets but all; all at 1 slot per node needs more slots.
    [1, 'configured', 480, 'bandwidth'],
    [2, 'configured', 480, 'bandwidth'],
    [1, 'all', 480, 'slots'],
    [2, 'all', 480, undefined],
    [1, 'role=app', 480, 'bandwidth'],
    // window 400 s: the largest PVC alone takes 410 s: no setting helps.
    [2, 'all', 400, 'pvc-size'],
    // exactly the bound: it may still meet the window.
    [2, 'all', 410, undefined],
  ])('concurrency %i on %s nodes, window %d s: %s', (c, nodes, window, limit) => {
    expect(boundLimit(at(c, nodes), window)).toBe(limit);
  });

  it('velero-1.16 is bound by the same nodes and slots (prepareQueueLength does not enter the bound)', () => {
    const e = syntheticExperiment({ ...defaults(SYNTHETIC), concurrency: 1, 'data-mover-nodes': 'all' });
    expect(settingBound(e, 'velero-1.16')).toEqual(settingBound(e, 'velero-1.17'));
  });

  it('the concurrency that fills every node: 100 MiB/s over 50 MiB/s per pod is 2', () => {
    expect(saturatingConcurrency(at(1, 'all'))).toBe(2);
    expect(saturatingConcurrency({ nodes: [{ name: 'a', slots: 1, bytesPerSecond: 250 }], podBytesPerSecond: 100 })).toBe(3);
  });
});

describe('what the bound counts beyond the ConfigMap', () => {
  it('a node tainted NoSchedule or NoExecute runs no data mover (they carry no tolerations); PreferNoSchedule does not keep one off', () => {
    const base = syntheticExperiment({ ...defaults(SYNTHETIC), concurrency: 1, 'data-mover-nodes': 'all' });
    const tainted = (effect: 'NoSchedule' | 'NoExecute' | 'PreferNoSchedule') => settingBound({ ...base, nodes: base.nodes.map((p, i) => (i === 0 ? { ...p, taints: [{ key: 'dedicated', effect }] } : p)) }, 'velero-1.17');
    const all = settingBound(base, 'velero-1.17').nodes.length;
    const first = base.nodes[0].count ?? base.nodes[0].names!.length;
    expect(tainted('NoSchedule').nodes).toHaveLength(all - first);
    expect(tainted('NoExecute').nodes).toHaveLength(all - first);
    expect(tainted('PreferNoSchedule').nodes).toHaveLength(all);
  });

  it('a PVC two backups include is moved twice: 100000 MiB becomes 200000 MiB when both backups hold every namespace', () => {
    const base = syntheticExperiment({ ...defaults(SYNTHETIC), concurrency: 2, 'data-mover-nodes': 'all' });
    const namespaces = [...new Set(base.pvcs.map((p) => p.namespace))];
    const twice = settingBound({ ...base, backups: [{ name: 'a', namespaces }, { name: 'b', namespaces }] }, 'velero-1.17');
    // all, 2 slots each on 3 nodes: 10 + 200000/300
    expect(twice.makespanSeconds).toBeCloseTo(10 + 200000 / 300, 3);
  });
});
