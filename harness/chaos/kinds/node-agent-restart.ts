import { apiAgentPodDelete, apiLocalAgentRestart, NODE_AGENT_POD_SELECTOR } from '../api-actions.ts';
import { defineFaultKind } from './types.ts';

export default defineFaultKind({
  kind: 'node-agent-restart',
  summary: 'the node-agent on a node crashes and is restarted after durationSeconds (default 30)',
  node: true,
  embedded(env, f, rec, t) {
    const node = (rec.node = t.pickNode(f));
    if (!env.controller.agents.has(node)) {
      rec.detail = `no node-agent runs on ${node}`;
      rec.endedAt = rec.startedAt!;
      return;
    }
    void env.controller.killAgent(node);
    rec.detail = `node-agent on ${node} killed`;
    const down = f.durationSeconds ?? 30;
    t.timer(down * 1000, () => {
      if (!env.controller.agents.has(node)) void env.controller.startAgent(node);
      rec.endedAt = t.now();
    });
  },
  onKind: {
    does: "the node's node-agent pod is deleted; its DaemonSet starts a new one at once (durationSeconds does not apply)",
    start: (_f, node) => [`kubectl -n velero delete pod -l ${NODE_AGENT_POD_SELECTOR} --field-selector spec.nodeName=${node} --grace-period=0 --force`],
  },
  // Node-agents in this process have no pod: their restart is in this process, on kind too.
  api: (o) => (o.localAgents ? apiLocalAgentRestart(o.localAgents) : apiAgentPodDelete(o)),
  kindByApi: (o) => !!o.localAgents,
});
