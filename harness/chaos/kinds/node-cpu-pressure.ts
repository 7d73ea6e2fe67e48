import { resourceInfo } from '../../sim/context.ts';
import { NODE_ANNOTATIONS } from '../../sim/programs.ts';
import { apiStressAction, stressCommands, stressDelete } from '../api-actions.ts';
import { defineFaultKind } from './types.ts';

const ARGS = (f: { durationSeconds?: number }) => `--cpu 0 --timeout ${f.durationSeconds ?? 0}s`;
const DOES = 'a stress-ng pod on the node keeps every CPU busy, slowing the data movers there';

export default defineFaultKind({
  kind: 'node-cpu-pressure',
  summary: 'a node under CPU pressure: its data throughput drops (behaviour.dataPath.cpuPressureFactor), until durationSeconds',
  node: true,
  // The node's annotation the simulated data path reads (harness/sim/datapath.ts).
  embedded(env, f, rec, t) {
    const node = (rec.node = t.pickNode(f));
    const nodes = resourceInfo(env.api, '', 'v1', 'nodes');
    env.api.patch(nodes, undefined, node, 'merge', { metadata: { annotations: { [NODE_ANNOTATIONS.cpuPressure]: 'true' } } });
    rec.detail = `CPU pressure on ${node}: data throughput x${env.sim.ctx.behaviour.dataPath.cpuPressureFactor}`;
    return () => env.api.patch(nodes, undefined, node, 'merge', { metadata: { annotations: { [NODE_ANNOTATIONS.cpuPressure]: null } } });
  },
  onKind: { does: DOES, start: (f, node) => stressCommands(f.name, node!, ARGS(f)), end: (f) => [stressDelete(f.name)] },
  api: apiStressAction(DOES, ARGS),
});
