// A seeded batch of plain pods through the simulated cluster on a virtual clock, in-process:
// what the determinism test and `npm run bench -- sim` run.
import { KubeApi } from '../apiserver/api.ts';
import { BuiltinControllers } from '../apiserver/controllers.ts';
import { loadManifests, PROJECT_CRD_FILES } from '../cluster/embedded.ts';
import { seededRandom } from '../random.ts';
import { startSimulation } from './cluster.ts';
import { resourceInfo } from './context.ts';
import type { NodePoolDecl } from './nodes.ts';
import { RUN_SECONDS_ANNOTATION } from './programs.ts';
import { DEFAULT_VIRTUAL_START, VirtualClock } from './virtual-clock.ts';

export interface PodWorkloadOptions {
  seed: number;
  pods: number;
  nodes: NodePoolDecl[];
  /** Each pod runs a uniform whole number of seconds in [min, max]. */
  runSeconds: [number, number];
  /** Simulated-time limit. Default 24 h. */
  deadlineSeconds?: number;
}

export interface PodWorkloadResult {
  outcome: string;
  /** One line per pod write: "<simulated seconds> <write|delete> <name> <node> <phase>". */
  timeline: string[];
  simulatedSeconds: number;
  writes: number;
  timersFired: number;
}

export async function runPodWorkload(opts: PodWorkloadOptions): Promise<PodWorkloadResult> {
  const clock = new VirtualClock();
  const random = seededRandom(opts.seed);
  const api = new KubeApi({ clock, random: random.fork('apiserver') });
  const controllers = new BuiltinControllers(api);
  const namespaces = resourceInfo(api, '', 'v1', 'namespaces');
  for (const name of ['default', 'kube-node-lease']) api.create(namespaces, undefined, { metadata: { name } });
  const crds = resourceInfo(api, 'apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
  for (const file of PROJECT_CRD_FILES) for (const crd of await loadManifests(file)) api.create(crds, undefined, crd);
  controllers.drain();

  const timeline: string[] = [];
  let writes = 0;
  api.onWrite((info, cur, prev) => {
    writes++;
    if (info.resource !== 'pods') return;
    const obj = (cur ?? prev)!.obj as Record<string, any>;
    const t = ((clock.now() - DEFAULT_VIRTUAL_START) / 1000).toFixed(3);
    timeline.push(`${t} ${cur ? 'write' : 'delete'} ${obj.metadata.name} ${obj.spec.nodeName ?? '-'} ${obj.status?.phase ?? '-'}`);
  });
  const sim = startSimulation({ api, clock, work: clock, random: random.fork('simulation') }, { nodes: opts.nodes });
  const pods = resourceInfo(api, '', 'v1', 'pods');
  const rng = random.fork('workload');
  const [min, max] = opts.runSeconds;
  for (let i = 0; i < opts.pods; i++) {
    api.create(pods, 'default', {
      metadata: { name: `pod-${String(i).padStart(5, '0')}`, annotations: { [RUN_SECONDS_ANNOTATION]: String(rng.int(min, max)) } },
      spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36', resources: { requests: { cpu: '500m', memory: '1Gi' } } }] },
    });
  }
  const table = api.table(pods);
  const finished = () => [...table.objects.values()].every((s) => ['Succeeded', 'Failed'].includes((s.obj.status as { phase?: string })?.phase ?? ''));
  const outcome = await clock.run(finished, DEFAULT_VIRTUAL_START + (opts.deadlineSeconds ?? 86_400) * 1000);
  sim.stop();
  return { outcome, timeline, simulatedSeconds: (clock.now() - DEFAULT_VIRTUAL_START) / 1000, writes, timersFired: clock.firedTimers };
}
