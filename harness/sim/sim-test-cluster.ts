// A bare embedded cluster for the simulated components' tests: the in-process API on a virtual
// clock, the namespaces every cluster has, and a SimContext. No HTTP, no built-in controllers.
import { KubeApi } from '../apiserver/api.ts';
import type { KubeObject, ResourceInfo } from '../apiserver/types.ts';
import { seededRandom } from '../random.ts';
import { resolveBehaviour, type BehaviourOverrides } from './behaviour.ts';
import { resourceInfo, type SimContext } from './context.ts';
import { DEFAULT_VIRTUAL_START, VirtualClock } from './virtual-clock.ts';

export interface SimTestCluster {
  api: KubeApi;
  clock: VirtualClock;
  ctx: SimContext;
  pods: ResourceInfo;
  nodes: ResourceInfo;
  events: ResourceInfo;
  /** Virtual time `s` seconds after the start. */
  at(s: number): number;
  /** Advances virtual time to `s` seconds after the start, firing every timer due before. */
  runUntil(s: number): Promise<unknown>;
  /** Seconds since the start. */
  elapsed(): number;
  pod(namespace: string, name: string): KubeObject | undefined;
  node(name: string): KubeObject | undefined;
  /** Events about the object named `name`, oldest first. */
  eventsFor(name: string): Record<string, any>[];
}

export function simTestCluster(seed = 1, behaviour: BehaviourOverrides = {}): SimTestCluster {
  const clock = new VirtualClock();
  const random = seededRandom(seed);
  const api = new KubeApi({ clock, random: random.fork('apiserver') });
  const namespaces = resourceInfo(api, '', 'v1', 'namespaces');
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) api.create(namespaces, undefined, { metadata: { name } });
  const ctx: SimContext = { api, clock, work: clock, random, behaviour: resolveBehaviour(behaviour) };
  const pods = resourceInfo(api, '', 'v1', 'pods');
  const nodes = resourceInfo(api, '', 'v1', 'nodes');
  const events = resourceInfo(api, '', 'v1', 'events');
  return {
    api,
    clock,
    ctx,
    pods,
    nodes,
    events,
    at: (s) => DEFAULT_VIRTUAL_START + s * 1000,
    runUntil: (s) => {
      // A no-op timer at the deadline, so time gets there even when nothing else is due.
      clock.setTimer(DEFAULT_VIRTUAL_START + s * 1000 - clock.now(), () => {});
      return clock.run(() => false, DEFAULT_VIRTUAL_START + s * 1000);
    },
    elapsed: () => (clock.now() - DEFAULT_VIRTUAL_START) / 1000,
    pod: (namespace, name) => api.table(pods).get(`${namespace}/${name}`)?.obj,
    node: (name) => api.table(nodes).get(name)?.obj,
    eventsFor: (name) =>
      [...api.table(events).objects.values()]
        .map((s) => s.obj as Record<string, any>)
        .filter((e) => e.involvedObject?.name === name)
        .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1)),
  };
}
