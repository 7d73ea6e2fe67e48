import { setNodeCondition } from '../../sim/nodes.ts';
import { apiStressAction, stressCommands, stressDelete } from '../api-actions.ts';
import { defineFaultKind } from './types.ts';

const ARGS = (f: { durationSeconds?: number }) => `--vm 1 --vm-bytes 95% --vm-keep --timeout ${f.durationSeconds ?? 0}s`;
const DOES = 'a stress-ng pod on the node allocates 95% of its memory until the kubelet reports MemoryPressure and evicts';

export default defineFaultKind({
  kind: 'node-memory-pressure',
  summary: 'MemoryPressure=True on a node: NoSchedule taint, kubelet evictions by QoS, until durationSeconds',
  node: true,
  // The kubelet's own path: the condition, its taint, and its eviction manager (harness/sim/kubelet.ts).
  embedded(env, f, rec, t) {
    const node = (rec.node = t.pickNode(f));
    setNodeCondition(env.sim.ctx, node, 'MemoryPressure', 'True');
    rec.detail = `MemoryPressure=True on ${node}`;
    return () => setNodeCondition(env.sim.ctx, node, 'MemoryPressure', 'False');
  },
  onKind: { does: DOES, start: (f, node) => stressCommands(f.name, node!, ARGS(f)), end: (f) => [stressDelete(f.name)] },
  api: apiStressAction(DOES, ARGS),
});
