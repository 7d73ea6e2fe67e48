// Carries out a fault schedule on a real cluster, on the wall clock: each fault at its time (`at`,
// divided by the time scale) or once its `when` condition holds (the DataUpload phases the run's
// recorder sees, given to observe()), undone after its duration (divided too). What a fault does
// is its target's action (kind-actions.ts: commands; api-actions.ts: API requests); every step
// of an action is logged with its start, end, what it ran and its outcome. stop() undoes whatever
// is still in effect, and undoInterrupted() does the same when the process is interrupted
// (Ctrl-C, SIGTERM) before it exits: a node is never left stopped.
//
// The embedded cluster's injector (injector.ts) acts on the simulation itself, on the simulated
// clock; both are FaultExecutors to the run loop (harness/run/run.ts).
import { $ } from 'zx';
import type { Clock, Timer } from '../../controller/clock.ts';
import type { Random } from '../random.ts';
import { chooseNode, neverHappenedDetail, onCluster, PhaseProgress, type Fault, type FaultKind } from './faults.ts';
import type { FaultRecord } from './injector.ts';

/** What the run loop needs of a fault executor, on any target. */
export interface FaultExecutor {
  /** A DataUpload's phase as the run's recorder saw it (for `when` conditions). */
  observe(dataUpload: string, phase: string): void;
  /** The run is over: undo what is still in effect, stop what still runs, wait for it. */
  stop(): Promise<void>;
  /** The faults as they happened, then those that never did. */
  faultRecords(): FaultRecord[];
}

/** One step of an action: a command line or an API request, as run. */
export interface CommandRecord {
  /** The cluster's seconds since the run's start (the record's unit; durations there are divided by the time scale). */
  startedAt: number;
  endedAt: number;
  /** The command line, or the API request (`DELETE /api/v1/namespaces/velero/pods/x`). */
  command: string;
  /** A command's exit code, or an API request's HTTP status; null when it could not be sent. */
  code: number | null;
  /** The last lines of its stderr or the API's message, when it failed. */
  stderr?: string;
}

export type ClusterFaultRecord = FaultRecord & { commands: CommandRecord[] };

export interface StepOutcome {
  code: number | null;
  stderr?: string;
}

/** Runs one step of an action and logs it; true if it succeeded (exit 0, HTTP 2xx). */
export type Step = (command: string, act: () => Promise<StepOutcome>) => Promise<boolean>;

/** What a fault kind does on one target. */
export interface ClusterAction {
  /** What is done on the cluster, in a line. */
  does: string;
  /** The fault's start on `node` (node kinds); may name what it hit (pod-kill's DataUploads). */
  start(f: Fault, node: string | undefined, step: Step): Promise<{ detail?: string; dataUploads?: string[] } | void>;
  /** Its undoing, after its duration (onCluster's) or when the run stops. */
  end?(f: Fault, node: string | undefined, step: Step): Promise<void>;
  /** The duration in scenario seconds when the fault gives none (node-agent-restart's 30 s on local node-agents). */
  defaultDurationSeconds?: number;
}

export type ClusterActions = Partial<Record<FaultKind, ClusterAction>>;

export type RunCommand = (command: string) => Promise<{ code: number | null; stderr: string }>;

/** A command line through bash (heredocs, pipes), with zx. */
export const bashCommand: RunCommand = async (command) => {
  const r = await $({ nothrow: true, quiet: true })`bash -c ${command}`;
  return { code: r.exitCode, stderr: r.stderr };
};

export interface ClusterExecutorOptions {
  faults: Fault[];
  /** What each kind does on this target; a fault of a kind not in it is refused. */
  actions: ClusterActions;
  /** The target's name, for the refusal. */
  target: string;
  /** The cluster's nodes and labels, for faults whose node is chosen from the seed. */
  nodes: { name: string; labels: Record<string, string> }[];
  random: Random;
  timeScale: number;
  /** DataUploads the workload will create (for `when` fractions). */
  expectedDataUploads: number;
  clock: Clock;
  /** The run's start, ms of `clock`. */
  start: number;
  log?: (line: string) => void;
}

export class ClusterFaultExecutor implements FaultExecutor {
  readonly records: ClusterFaultRecord[] = [];
  private readonly pending = new Set<Fault>();
  private readonly timers = new Set<Timer>();
  /** Faults in effect: what undoes each. */
  private readonly inEffect = new Map<Fault, () => Promise<void>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly progress: PhaseProgress;
  private stopped = false;

  constructor(private readonly opts: ClusterExecutorOptions) {
    this.progress = new PhaseProgress(opts.expectedDataUploads);
    const carried = Object.keys(opts.actions).join(', ');
    for (const f of opts.faults) {
      if (!opts.actions[f.kind]) throw new Error(`faults[${f.index}] ${f.name} (${f.kind}): not carried out on --target ${opts.target}; ${carried} are`);
      this.pending.add(f);
      if (f.at !== undefined) this.after((f.at / opts.timeScale) * 1000 - this.elapsedMs(), () => this.fire(f));
    }
  }

  observe(dataUpload: string, phase: string): void {
    this.progress.see(dataUpload, phase);
    for (const f of [...this.pending]) if (f.when && this.progress.holds(f.when)) this.fire(f);
  }

  /** Undoes every fault still in effect and waits for the steps in flight; later times and conditions no longer fire. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
    const undos = [...this.inEffect.values()];
    this.inEffect.clear();
    for (const undo of undos) await undo();
  }

  faultRecords(): FaultRecord[] {
    return [...this.records, ...this.neverHappened()];
  }

  /** Faults that never started, as records that say so. */
  neverHappened(): FaultRecord[] {
    return [...this.pending].map((f) => ({ name: f.name, kind: f.kind, startedAt: null, detail: neverHappenedDetail(f) }));
  }

  private fire(f: Fault): void {
    if (this.stopped || !this.pending.delete(f)) return;
    this.track(this.begin(f));
  }

  private async begin(f: Fault): Promise<void> {
    const action = this.opts.actions[f.kind]!;
    const node = f.node === undefined ? undefined : this.pickNode(f);
    const duration = f.durationSeconds ?? action.defaultDurationSeconds;
    const scaled = onCluster({ ...f, durationSeconds: duration }, this.opts.timeScale);
    const rec: ClusterFaultRecord = { name: f.name, kind: f.kind, ...(node ? { node } : {}), startedAt: this.now(), detail: action.does, commands: [] };
    this.records.push(rec);
    this.opts.log?.(`t=${rec.startedAt}s fault ${f.name}${node ? ` on ${node}` : ''}: ${action.does}`);
    const step: Step = (command, act) => this.step(rec, command, act);
    const hit = await action.start(scaled, node, step);
    if (hit?.detail) rec.detail = hit.detail;
    if (hit?.dataUploads) rec.dataUploads = hit.dataUploads;
    if (!action.end) {
      rec.endedAt = this.now();
      return;
    }
    const undo = async () => {
      if (!this.inEffect.delete(f) && !this.stopped) return;
      await action.end!(scaled, node, step);
      rec.endedAt = this.now();
      this.opts.log?.(`t=${rec.endedAt}s fault ${f.name} undone`);
    };
    this.inEffect.set(f, undo);
    if (duration !== undefined && !this.stopped) {
      this.after((duration / this.opts.timeScale) * 1000, () => {
        if (this.inEffect.has(f)) this.track(undo());
      });
    }
  }

  private async step(rec: ClusterFaultRecord, command: string, act: () => Promise<StepOutcome>): Promise<boolean> {
    const startedAt = this.now();
    let r: StepOutcome;
    try {
      r = await act();
    } catch (e) {
      r = { code: null, stderr: (e as Error).message };
    }
    const ok = r.code === 0 || (r.code !== null && r.code >= 200 && r.code < 300);
    const c: CommandRecord = { startedAt, endedAt: this.now(), command, code: r.code };
    if (!ok) c.stderr = (r.stderr ?? '').trim().split('\n').slice(-5).join('\n');
    rec.commands.push(c);
    this.opts.log?.(`t=${c.endedAt}s fault ${rec.name}: ${command.split('\n')[0]} -> ${ok ? 'ok' : `${r.code === null ? 'not run' : r.code}: ${c.stderr}`}`);
    return ok;
  }

  private pickNode(f: Fault): string {
    const node = chooseNode(f, this.opts.nodes, this.opts.random);
    if (!node) throw new Error(`faults[${f.index}] ${f.name}: no node of the cluster matches ${f.node}`);
    return node;
  }

  private after(ms: number, fn: () => void): void {
    const t = this.opts.clock.setTimer(Math.max(0, ms), () => {
      this.timers.delete(t);
      fn();
    });
    this.timers.add(t);
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private elapsedMs(): number {
    return this.opts.clock.now() - this.opts.start;
  }

  /** The cluster's seconds since the run's start: the unit of the run's record, so faults and DataUploads line up. */
  private now(): number {
    return Math.round(this.elapsedMs() / 100) / 10;
  }
}

/** Each step of a command action through `run` (default bash). */
export function commandSteps(commands: string[], step: Step, run: RunCommand = bashCommand): Promise<void> {
  return commands.reduce<Promise<void>>(
    (p, c) =>
      p.then(async () => {
        await step(c, () => run(c));
      }),
    Promise.resolve(),
  );
}

/**
 * Until the returned function is called: on SIGINT or SIGTERM, the executor's faults are undone
 * before the process exits (130 for SIGINT, 143 for SIGTERM, as a shell reports them).
 */
export function undoInterrupted(executor: FaultExecutor, log: (line: string) => void = console.error): () => void {
  const handler = (signal: NodeJS.Signals) => {
    log(`${signal}: undoing the faults in effect before exiting`);
    void executor.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
