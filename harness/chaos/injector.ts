// Carries out a checked fault schedule on the embedded cluster: each fault at its simulated
// moment (or when its DataUpload condition first holds), undone after its duration, every
// random choice from the run's seed. What each kind does is in its file (harness/chaos/kinds/):
// they act as the simulated machines and the API server would: node conditions and taints
// through the kubelet's own path, a dead node's kubelet and heartbeats stopped, pods deleted
// through the API, rules on the server's fault seam. What happened is logged, with simulated
// times, for the results.
import { DATA_UPLOAD_GROUP, DATA_UPLOAD_PLURAL } from '../../controller/api/dataupload.ts';
import { resourceInfo } from '../sim/context.ts';
import type { FaultExecutor } from './cluster-executor.ts';
import { chooseNode, neverHappenedDetail, PhaseProgress, type Fault } from './faults.ts';
import { FAULT_KIND } from './kinds/index.ts';
import type { ChaosEnv } from './kinds/types.ts';

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

export type { ChaosEnv };

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
    const startedAt = this.now();
    const rec: FaultRecord = { name: f.name, kind: f.kind, startedAt, detail: '' };
    this.records.push(rec);
    const undo = FAULT_KIND[f.kind].embedded(env, f, rec, {
      now: () => this.now(),
      timer: (ms, fn) => this.timer(ms, fn),
      pickNode: (x) => this.pickNode(x),
      onStop: (stop) => this.loads.add(stop),
    });
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
