// node-cordon: the node is cordoned as `kubectl cordon` does it (spec.unschedulable=true; the node
// lifecycle controller then taints it node.kubernetes.io/unschedulable:NoSchedule), so no new pod
// lands there, and uncordoned after durationSeconds. Pods already there keep running. Through the
// API on every target: the same merge patch kubectl sends.
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { resourceInfo } from '../../sim/context.ts';
import { request, type ApiActionOptions } from '../api-actions.ts';
import type { ClusterAction } from '../cluster-executor.ts';
import { defineFaultKind } from './types.ts';

const DOES = 'the node is cordoned (spec.unschedulable, then the NoSchedule taint): no new pod lands there until it is uncordoned';

function apiCordon(o: ApiActionOptions): ClusterAction {
  const patch = (node: string, unschedulable: boolean | null) =>
    o.kubeconfig.makeApiClient(CoreV1Api).patchNode({ name: node, body: { spec: { unschedulable } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  return {
    does: DOES,
    async start(_f, node, step) {
      await request(step, `PATCH /api/v1/nodes/${node} {"spec":{"unschedulable":true}}`, () => patch(node!, true));
      return { detail: `${node} cordoned` };
    },
    async end(_f, node, step) {
      await request(step, `PATCH /api/v1/nodes/${node} {"spec":{"unschedulable":null}}`, () => patch(node!, null));
    },
  };
}

export default defineFaultKind({
  kind: 'node-cordon',
  summary: 'a node is cordoned (spec.unschedulable; the NoSchedule taint follows): no new data-mover pod lands there, until durationSeconds',
  node: true,
  embedded(env, f, rec, t) {
    const node = (rec.node = t.pickNode(f));
    const nodes = resourceInfo(env.api, '', 'v1', 'nodes');
    env.api.patch(nodes, undefined, node, 'merge', { spec: { unschedulable: true } });
    rec.detail = `${node} cordoned`;
    return () => env.api.patch(nodes, undefined, node, 'merge', { spec: { unschedulable: null } });
  },
  onKind: { does: DOES, start: (_f, node) => [`kubectl cordon ${node}`], end: (_f, node) => [`kubectl uncordon ${node}`] },
  api: apiCordon,
});
