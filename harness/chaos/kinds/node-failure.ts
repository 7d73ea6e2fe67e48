import { startHeartbeat, stopHeartbeat } from '../../sim/nodes.ts';
import { defineFaultKind } from './types.ts';

export default defineFaultKind({
  kind: 'node-failure',
  summary: 'a node stops (kubelet, heartbeats, its node-agent): NotReady, its pods lost after the toleration; back after durationSeconds (or never)',
  node: true,
  embedded(env, f, rec, t) {
    const ctx = env.sim.ctx;
    const node = (rec.node = t.pickNode(f));
    stopHeartbeat(ctx, node);
    env.sim.kubelets.stopNode(node);
    const hadAgent = env.controller.agents.has(node);
    if (hadAgent) void env.controller.killAgent(node);
    rec.detail = `${node} stopped (kubelet, heartbeats${hadAgent ? ', node-agent' : ''})`;
    return () => {
      env.sim.kubelets.startNode(node);
      startHeartbeat(ctx, node);
      if (hadAgent && !env.controller.agents.has(node)) void env.controller.startAgent(node);
    };
  },
  // krkn's kind node scenarios: the node's container.
  onKind: {
    does: "the node's container is stopped (kubelet, pods and node-agent with it) and started again",
    start: (_f, node) => [`docker stop ${node}`],
    end: (_f, node) => [`docker start ${node}`],
  },
  notOnKubeconfig: 'stopping a node needs kind (docker stop); on any other cluster it is not ours to stop',
});
