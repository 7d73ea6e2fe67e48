// Carries out a checked fault schedule on the embedded cluster: each fault at its simulated
// moment (or when its DataUpload condition first holds), undone after its duration, every
// random choice from the run's seed. The injectors act as the simulated machines and the
// API server would: node conditions and taints through the kubelet's own path, a dead node's
// kubelet and heartbeats stopped, pods deleted through the API, rules on the server's fault
// seam. What happened is logged, with simulated times, for the results.
import { DATA_UPLOAD_GROUP, DATA_UPLOAD_LABEL, DATA_UPLOAD_PLURAL } from '../../controller/api/dataupload.ts';
import autocannon from 'autocannon';
import { LOAD_HEADER } from '../../controller/clock.ts';
import type { Controller } from '../../controller/controller.ts';
import type { KubeApi } from '../apiserver/api.ts';
import type { ApiServer } from '../apiserver/server.ts';
import type { Random } from '../random.ts';
import { resourceInfo } from '../sim/context.ts';
import type { Simulation } from '../sim/cluster.ts';
import { setNodeCondition, startHeartbeat, stopHeartbeat } from '../sim/nodes.ts';
import { NODE_ANNOTATIONS } from '../sim/programs.ts';
import type { VirtualClock } from '../sim/virtual-clock.ts';
import { choosePods } from './api-actions.ts';
import type { FaultExecutor } from './cluster-executor.ts';
import { chooseNode, neverHappenedDetail, PhaseProgress, type Fault } from './faults.ts';

export interface FaultRecord {
  name: string;
  kind: string;
  /** The node it acted on, if any. */
  node?: string;
  /** Simulated seconds since the run's start; null: its condition never held, it did not happen. */
  startedAt: number | null;
  endedAt?: number;
  /** What it did, in a line (pods killed, rule, ...). */
  detail: string;
  /** The DataUploads it hit directly (pod-kill: those whose pods it deleted). */
  dataUploads?: string[];
  /** api-load: what autocannon measured, in wall time (machine facts, like wallSeconds). */
  load?: ApiLoadFigures;
}

export interface ApiLoadFigures {
  path: string;
  connections: number;
  requests: number;
  wallSeconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  errors: number;
  non2xx: number;
}

export interface ChaosEnv {
  clock: VirtualClock;
  /** The run's start, ms of `clock`. */
  start: number;
  api: KubeApi;
  server: ApiServer;
  sim: Simulation;
  controller: Controller;
  random: Random;
  /** DataUploads the workload will create (for `when` fractions). */
  expectedDataUploads: number;
  namespace: string;
  log?: (line: string) => void;
}

export class ChaosInjector implements FaultExecutor {
  readonly records: FaultRecord[] = [];
  private readonly pending = new Set<Fault>();
  private readonly progress: PhaseProgress;
  /** Running api-load instances: stop and collect at the end. */
  private readonly loads = new Set<() => Promise<void>>();

  constructor(
    private readonly env: ChaosEnv,
    faults: Fault[],
  ) {
    this.progress = new PhaseProgress(env.expectedDataUploads);
    for (const f of faults) {
      this.pending.add(f);
      if (f.at !== undefined) {
        this.timer(f.at * 1000 - this.elapsedMs(), () => {
          this.pending.delete(f);
          this.begin(f);
        });
      }
    }
    if (faults.some((f) => f.when)) {
      const dus = resourceInfo(env.api, DATA_UPLOAD_GROUP, 'v2alpha1', DATA_UPLOAD_PLURAL);
      env.api.onWrite((info, cur) => {
        if (info !== dus || !cur || !this.pending.size) return;
        this.progress.see(cur.obj.metadata.name!, (cur.obj as { status?: { phase?: string } }).status?.phase ?? '');
        for (const f of [...this.pending]) {
          if (f.when && this.progress.holds(f.when)) {
            this.pending.delete(f);
            // Not inside the API's write: at once, from the clock.
            this.timer(0, () => this.begin(f));
          }
        }
      });
    }
  }

  /** Conditions are seen on the API server's write hook, the moment a phase is written (see the constructor). */
  observe(): void {}

  /**
   * Stops what still runs (api-load) and waits for its figures. Faults with a duration run their
   * course on the simulated clock, through the grace period, as on a real cluster.
   */
  async stop(): Promise<void> {
    await Promise.all([...this.loads].map((stop) => stop()));
  }

  faultRecords(): FaultRecord[] {
    return [...this.records, ...this.neverHappened()];
  }

  /** Faults that never happened (a `when` that never held, an `at` after the end), as records that say so. */
  neverHappened(): FaultRecord[] {
    return [...this.pending].map((f) => ({ name: f.name, kind: f.kind, startedAt: null, detail: neverHappenedDetail(f) }));
  }

  private elapsedMs(): number {
    return this.env.clock.now() - this.env.start;
  }

  private now(): number {
    return Math.round(this.elapsedMs()) / 1000;
  }

  private timer(ms: number, fn: () => void): void {
    this.env.clock.setTimer(Math.max(0, ms), fn);
  }

  private pickNode(f: Fault): string {
    const nodes = this.env.api.list(resourceInfo(this.env.api, '', 'v1', 'nodes'), undefined, {}).items.map((s) => ({
      name: s.obj.metadata.name!,
      labels: (s.obj.metadata.labels ?? {}) as Record<string, string>,
    }));
    return chooseNode(f, nodes, this.env.random)!;
  }

  private begin(f: Fault): void {
    const { env } = this;
    const ctx = env.sim.ctx;
    const startedAt = this.now();
    const rec: FaultRecord = { name: f.name, kind: f.kind, startedAt, detail: '' };
    this.records.push(rec);
    let undo: (() => void) | undefined;
    switch (f.kind) {
      case 'node-memory-pressure': {
        const node = (rec.node = this.pickNode(f));
        setNodeCondition(ctx, node, 'MemoryPressure', 'True');
        rec.detail = `MemoryPressure=True on ${node}`;
        undo = () => setNodeCondition(ctx, node, 'MemoryPressure', 'False');
        break;
      }
      case 'node-cpu-pressure': {
        const node = (rec.node = this.pickNode(f));
        const nodes = resourceInfo(env.api, '', 'v1', 'nodes');
        env.api.patch(nodes, undefined, node, 'merge', { metadata: { annotations: { [NODE_ANNOTATIONS.cpuPressure]: 'true' } } });
        rec.detail = `CPU pressure on ${node}: data throughput x${ctx.behaviour.dataPath.cpuPressureFactor}`;
        undo = () => env.api.patch(nodes, undefined, node, 'merge', { metadata: { annotations: { [NODE_ANNOTATIONS.cpuPressure]: null } } });
        break;
      }
      case 'node-failure': {
        const node = (rec.node = this.pickNode(f));
        stopHeartbeat(ctx, node);
        env.sim.kubelets.stopNode(node);
        const hadAgent = env.controller.agents.has(node);
        if (hadAgent) void env.controller.killAgent(node);
        rec.detail = `${node} stopped (kubelet, heartbeats${hadAgent ? ', node-agent' : ''})`;
        undo = () => {
          env.sim.kubelets.startNode(node);
          startHeartbeat(ctx, node);
          if (hadAgent && !env.controller.agents.has(node)) void env.controller.startAgent(node);
        };
        break;
      }
      case 'node-agent-restart': {
        const node = (rec.node = this.pickNode(f));
        if (!env.controller.agents.has(node)) {
          rec.detail = `no node-agent runs on ${node}`;
          rec.endedAt = startedAt;
          return;
        }
        void env.controller.killAgent(node);
        rec.detail = `node-agent on ${node} killed`;
        const down = f.durationSeconds ?? 30;
        this.timer(down * 1000, () => {
          if (!env.controller.agents.has(node)) void env.controller.startAgent(node);
          rec.endedAt = this.now();
        });
        return;
      }
      case 'pod-kill': {
        const pods = resourceInfo(env.api, '', 'v1', 'pods');
        const dus = resourceInfo(env.api, DATA_UPLOAD_GROUP, 'v2alpha1', DATA_UPLOAD_PLURAL);
        const phases = new Map(env.api.list(dus, env.namespace).items.map((s) => [s.obj.metadata.name!, (s.obj as { status?: { phase?: string } }).status?.phase || 'New']));
        const phaseOf = (du: string) => phases.get(du);
        const live = env.api
          .list(pods, env.namespace, { labelSelector: DATA_UPLOAD_LABEL })
          .items.filter((s) => !s.obj.metadata.deletionTimestamp)
          .map((s) => ({ name: s.obj.metadata.name!, du: s.obj.metadata.labels![DATA_UPLOAD_LABEL] }))
          .filter((p) => f.dataUploadPhase === undefined || phaseOf(p.du) === f.dataUploadPhase)
          .sort((a, b) => (a.name < b.name ? -1 : 1));
        const killed = choosePods(f, live, env.random);
        const grace = f.gracePeriodSeconds ?? 0;
        for (const p of killed) env.api.delete(pods, env.namespace, p.name, { gracePeriodSeconds: grace });
        const which = f.dataUploadPhase ? ` of DataUploads ${f.dataUploadPhase}` : '';
        rec.detail = killed.length ? `deleted ${killed.map((p) => p.name).join(', ')}${which} (grace ${grace} s)` : `no data-mover pod${which} to delete`;
        rec.dataUploads = killed.map((p) => p.du);
        rec.endedAt = startedAt;
        return;
      }
      case 'snapshot-failure': {
        const before = ctx.behaviour.csi.snapshotFailureRate;
        ctx.behaviour.csi.snapshotFailureRate = f.rate!;
        rec.detail = `snapshots fail with probability ${f.rate}`;
        undo = () => (ctx.behaviour.csi.snapshotFailureRate = before);
        break;
      }
      case 'backup-pvc-bind-delay': {
        const csi = ctx.behaviour.csi;
        const before = { base: csi.provisionFromSnapshotBaseSeconds, perGiB: csi.provisionFromSnapshotSecondsPerGiB };
        csi.provisionFromSnapshotBaseSeconds = { kind: 'fixed', value: f.seconds! };
        csi.provisionFromSnapshotSecondsPerGiB = 0;
        rec.detail = `PVCs from snapshots bind after ${f.seconds} s`;
        undo = () => {
          csi.provisionFromSnapshotBaseSeconds = before.base;
          csi.provisionFromSnapshotSecondsPerGiB = before.perGiB;
        };
        break;
      }
      case 'api-latency':
      case 'api-errors': {
        const id = env.server.faults.addRule({
          verbs: f.verbs,
          resources: f.resources,
          ...(f.kind === 'api-latency' ? { latencyMs: f.latencyMs, jitterMs: f.jitterMs } : { errorCode: f.errorCode, errorRate: f.rate }),
        });
        const which = `${f.verbs?.join('/') ?? 'all verbs'} on ${f.resources?.join(', ') ?? 'all resources'}`;
        rec.detail = f.kind === 'api-latency' ? `+${f.latencyMs} ms${f.jitterMs ? ` (+0-${f.jitterMs})` : ''}, ${which}` : `${f.errorCode} at rate ${f.rate}, ${which}`;
        undo = () => env.server.faults.removeRule(id);
        break;
      }
      case 'api-load': {
        const path = f.path ?? `/api/v1/namespaces/${env.namespace}/pods?labelSelector=${encodeURIComponent(DATA_UPLOAD_LABEL)}`;
        const connections = f.connections ?? 8;
        const wallStart = performance.now();
        let instance!: autocannon.Instance;
        const done = new Promise<autocannon.Result>((resolve, reject) => {
          instance = autocannon({ url: env.server.url + path, connections, duration: 24 * 3600, headers: { [LOAD_HEADER]: '1' } }, (err, result) => (err ? reject(err) : resolve(result)));
        });
        let stopping: Promise<void> | undefined;
        // Once: from the fault's end, or from finish() at the end of the run, whichever is first.
        const stop = () =>
          (stopping ??= (async () => {
            instance.stop();
            const r = await done;
            rec.endedAt ??= this.now();
            rec.load = {
              path,
              connections,
              requests: r.requests.total,
              wallSeconds: Math.round(performance.now() - wallStart) / 1000,
              requestsPerSecond: r.requests.average,
              latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
              errors: r.errors,
              non2xx: r.non2xx,
            };
          })());
        this.loads.add(stop);
        rec.detail = `autocannon: GET ${path} over ${connections} connections`;
        this.timer(f.durationSeconds! * 1000, () => {
          rec.endedAt = this.now();
          void stop();
        });
        return;
      }
      case 'drop-watches': {
        const n = env.server.dropWatches(f.resource);
        rec.detail = `closed ${n} watch${n === 1 ? '' : 'es'}${f.resource ? ` of ${f.resource}` : ''}`;
        rec.endedAt = startedAt;
        return;
      }
      case 'force-gone': {
        const n = env.server.forceGone(f.resource);
        rec.detail = `compacted${f.resource ? ` ${f.resource}` : ''}: ${n} watch${n === 1 ? '' : 'es'} got 410 Gone`;
        rec.endedAt = startedAt;
        return;
      }
    }
    env.log?.(`t=${startedAt}s fault ${f.name}: ${rec.detail}`);
    if (undo && f.durationSeconds !== undefined) {
      const end = undo;
      this.timer(f.durationSeconds * 1000, () => {
        end();
        rec.endedAt = this.now();
        env.log?.(`t=${rec.endedAt}s fault ${f.name} undone`);
      });
    }
  }
}
