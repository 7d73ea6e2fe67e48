// The reference controller as one process: a node-agent per node (Velero's DaemonSet, run
// in-process against any cluster) or the one node-agent of this node (in-cluster, NODE_NAME).
// Given a kubeconfig and a Clock, it never knows which cluster it talks to.
import type { KubeConfig, V1Node, V1Pod } from '@kubernetes/client-node';
import { DATA_UPLOAD_LABEL } from './api/dataupload.ts';
import type { Clock, WorkTracker } from './clock.ts';
import type { NodeAgentConfig } from './config.ts';
import type { InheritedPodInfo } from './exposer.ts';
import { flowByName } from './flows/index.ts';
import { ApiCost, KubeIo, type Obj, type RequestPacer, type WatchedCache } from './kube/io.ts';
import { ClientThrottle, nodeAgentLimits } from './kube/rate-limit.ts';
import { NodeAgent } from './node-agent/node-agent.ts';

export interface ControllerOptions {
  kubeconfig: KubeConfig;
  /** Velero's namespace. */
  namespace: string;
  config: NodeAgentConfig;
  /** The nodes to run a node-agent for; default: every node the API lists (as a DaemonSet would). */
  nodes?: string[];
  clock: Clock;
  work?: WorkTracker;
  pacer?: RequestPacer;
  /**
   * Answer PeekExposed's GETs of data-mover pods from one shared watch of them, counted as
   * modeled requests (the harness does this on the embedded cluster, where thousands of
   * identical GETs would only cost wall time). Default: each GET is sent, as Velero does.
   */
  modelPodPeeks?: boolean;
  /** The data-mover pod's image and extra env (what Velero's pod inherits from the node-agent). */
  dataMoverPod?: InheritedPodInfo;
  log?: (line: string) => void;
}

export class Controller {
  readonly agents = new Map<string, NodeAgent>();
  /** Requests the node-agents send (Velero's own). */
  readonly cost = new ApiCost();
  /** The bench's Event writes, kept apart from Velero's requests. */
  readonly eventsCost = new ApiCost();

  private peekCache?: WatchedCache<V1Pod & Obj>;

  constructor(private readonly opts: ControllerOptions) {}

  async start(): Promise<void> {
    const nodes = this.opts.nodes ?? (await this.listNodes());
    if (this.opts.modelPodPeeks) {
      const { kubeconfig, clock, work, pacer, namespace } = this.opts;
      // The bench's own watch: its LIST and WATCH are not Velero's requests.
      const io = new KubeIo(kubeconfig, { who: 'node-agent/peek-cache', clock, work, pacer });
      this.peekCache = io.watch<V1Pod & Obj>('v1', 'pods', namespace, DATA_UPLOAD_LABEL);
      await this.peekCache.start();
    }
    for (const node of nodes) await this.startAgent(node);
  }

  /** Starts (or starts again, after a kill) the node-agent of one node. */
  async startAgent(nodeName: string): Promise<NodeAgent> {
    if (this.agents.has(nodeName)) throw new Error(`node-agent for node ${nodeName} is already running`);
    const { kubeconfig, clock, work, pacer, namespace, config, log } = this.opts;
    const who = `node-agent/${nodeName}`;
    const agent = new NodeAgent({
      nodeName,
      namespace,
      config,
      flow: flowByName(config.flow),
      // One process per node in Velero: each node-agent has its own clients and their buckets.
      io: new KubeIo(kubeconfig, { who, clock, work, pacer, cost: this.cost, throttle: new ClientThrottle(nodeAgentLimits(config.clientLimit), clock) }),
      eventsIo: new KubeIo(kubeconfig, { who: `${who}/events`, clock, work, pacer, cost: this.eventsCost }),
      clock,
      peekCache: this.peekCache,
      dataMoverPod: this.opts.dataMoverPod,
      log,
    });
    this.agents.set(nodeName, agent);
    await agent.start();
    return agent;
  }

  /** Counts, on every running node-agent, the re-checks its parked DataUploads skipped so far (before reading `cost` at a run's end). */
  countParkedRechecks(): void {
    for (const agent of this.agents.values()) agent.countParkedRechecks();
  }

  /** Per running node-agent, the DataUploads holding one of its concurrency slots. */
  slotsHeld(): Record<string, string[]> {
    return Object.fromEntries([...this.agents].sort(([a], [b]) => (a < b ? -1 : 1)).map(([node, agent]) => [node, agent.slotsHeld()]));
  }

  /** Kills one node-agent, as a crashed pod: no cleanup. */
  async killAgent(nodeName: string): Promise<void> {
    const agent = this.agents.get(nodeName);
    if (!agent) throw new Error(`no node-agent runs for node ${nodeName}`);
    this.agents.delete(nodeName);
    await agent.stop();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.stop()));
    this.agents.clear();
    await this.peekCache?.stop();
  }

  private async listNodes(): Promise<string[]> {
    const io = new KubeIo(this.opts.kubeconfig, { who: 'node-agent/daemonset', clock: this.opts.clock, work: this.opts.work, pacer: this.opts.pacer, cost: this.cost });
    const list = await io.listObjects<V1Node & Obj>('v1', 'nodes');
    return list.items.map((n) => n.metadata!.name!).sort();
  }
}
