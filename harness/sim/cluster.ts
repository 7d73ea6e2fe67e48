// The simulated half of the embedded cluster, wired together: nodes with heartbeats, the
// scheduler, a kubelet per node, the node lifecycle controllers, the CSI driver and the
// data-mover program. Given an API (in-process) and a clock, it brings the cluster to life.
import { DATA_UPLOAD_LABEL } from '../../controller/api/dataupload.ts';
import type { KubeApi } from '../apiserver/api.ts';
import type { Clock } from '../clock.ts';
import type { Random } from '../random.ts';
import { resolveBehaviour, type BehaviourOverrides } from './behaviour.ts';
import type { SimContext, StorageTopology, WorkTracker } from './context.ts';
import { CsiDriver, installStorage, installStorageClass } from './csi.ts';
import { DataPath } from './datapath.ts';
import { Kubelets } from './kubelet.ts';
import { NodeLifecycle } from './node-lifecycle.ts';
import { createNodes, type NodeDecl, type NodePoolDecl } from './nodes.ts';
import { RUN_SECONDS_ANNOTATION, timedProgram, type ProgramFor } from './programs.ts';
import { Scheduler } from './scheduler.ts';

export interface SimulationOptions {
  nodes: NodePoolDecl[];
  behaviour?: BehaviourOverrides;
  /** The optional deadline of the data-mover pod's wait for InProgress (off by default, as upstream). */
  podInProgressTimeoutSeconds?: number;
  /** The default StorageClass's binding mode (default Immediate). */
  volumeBindingMode?: 'Immediate' | 'WaitForFirstConsumer';
  /** The StorageClasses of the CSI driver instead of its one default class: the first is the default (a scenario file's storageClasses). */
  storageClasses?: { name: string; volumeBindingMode?: 'Immediate' | 'WaitForFirstConsumer' }[];
  /** Where volumes can be attached from (PV nodeAffinity); default none. zonal needs node pools with zones. */
  storageTopology?: StorageTopology;
}

export interface Simulation {
  ctx: SimContext;
  nodes: NodeDecl[];
  scheduler: Scheduler;
  kubelets: Kubelets;
  nodeLifecycle: NodeLifecycle;
  csi: CsiDriver;
  dataPath: DataPath;
  stop(): void;
}

/** A small cluster a user recognises: three 4-CPU / 16 GiB workers. `npm run cluster` starts it. */
export const DEFAULT_NODE_POOLS: NodePoolDecl[] = [
  { count: 3, namePrefix: 'worker', capacity: { cpu: '4', memory: '16Gi', pods: '110' } },
];

export function startSimulation(
  env: { api: KubeApi; clock: Clock; work: WorkTracker; random: Random },
  opts: SimulationOptions,
): Simulation {
  const ctx: SimContext = { ...env, behaviour: resolveBehaviour(opts.behaviour), storageTopology: opts.storageTopology ?? 'none' };
  const [first, ...others] = opts.storageClasses ?? [];
  installStorage(ctx, first ? { storageClassName: first.name, volumeBindingMode: first.volumeBindingMode } : { volumeBindingMode: opts.volumeBindingMode });
  for (const c of others) installStorageClass(ctx, c.name, c.volumeBindingMode);
  const nodes = createNodes(ctx, opts.nodes);
  const dataPath = new DataPath(ctx, { podInProgressTimeoutSeconds: opts.podInProgressTimeoutSeconds });
  const programFor: ProgramFor = (pod) => {
    if (pod.metadata.labels?.[DATA_UPLOAD_LABEL]) return dataPath.program;
    const seconds = Number(pod.metadata.annotations?.[RUN_SECONDS_ANNOTATION]);
    return Number.isFinite(seconds) && seconds >= 0 ? timedProgram(ctx.clock, seconds) : undefined;
  };
  const scheduler = new Scheduler(ctx);
  const kubelets = new Kubelets(ctx, programFor);
  const nodeLifecycle = new NodeLifecycle(ctx);
  const csi = new CsiDriver(ctx);
  scheduler.start();
  kubelets.start();
  nodeLifecycle.start();
  csi.start();
  return {
    ctx,
    nodes,
    scheduler,
    kubelets,
    nodeLifecycle,
    csi,
    dataPath,
    stop() {
      csi.stop();
      nodeLifecycle.stop();
      kubelets.stop();
      scheduler.stop();
    },
  };
}
