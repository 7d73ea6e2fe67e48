// Carries out a fault schedule on a real cluster with the commands of kind-actions.ts, on the wall
// clock: each fault at its time (`at`, divided by the time scale) or once its `when` condition
// holds (the DataUpload phases the run's recorder sees, given to observe()), undone after its
// duration (divided too). Each command is logged with its start, end, node, command line and
// outcome. stop() undoes whatever is still in effect, and undoInterrupted() does the same when the
// process is interrupted (Ctrl-C, SIGTERM) before it exits: a node is never left stopped.
//
// cluster-run.ts runs it on --target kind. pod-kill and api-load, which need the API rather than
// a command, are not carried out here (yet), nor is anything on --target kubeconfig.
import { $ } from 'zx';
import type { Clock, Timer } from '../../controller/clock.ts';
import type { Random } from '../random.ts';
import { chooseNode, neverHappenedDetail, PhaseProgress, type Fault } from './faults.ts';
import type { FaultRecord } from './injector.ts';
import { KIND_ACTIONS, onCluster } from './kind-actions.ts';

/** One command run for a fault. */
export interface CommandRecord {
  /** Scenario seconds (wall seconds since the run's start times the time scale). */
  startedAt: number;
  endedAt: number;
  command: string;
  /** Its exit code; null when it could not be started. */
  code: number | null;
  /** The last lines of its stderr, when it failed. */
  stderr?: string;
}

export type ShellFaultRecord = FaultRecord & { commands: CommandRecord[] };

export type RunCommand = (command: string) => Promise<{ code: number | null; stderr: string }>;

/** A command line through bash (heredocs, pipes), with zx. */
export const bashCommand: RunCommand = async (command) => {
  const r = await $({ nothrow: true, quiet: true })`bash -c ${command}`;
  return { code: r.exitCode, stderr: r.stderr };
};

export interface ShellExecutorOptions {
  faults: Fault[];
  /** The cluster's nodes and labels, for faults whose node is chosen from the seed. */
  nodes: { name: string; labels: Record<string, string> }[];
  random: Random;
  timeScale: number;
  /** DataUploads the workload will create (for `when` fractions). */
  expectedDataUploads: number;
  clock: Clock;
  /** The run's start, ms of `clock`. */
  start: number;
  run?: RunCommand;
  log?: (line: string) => void;
}

/** The fault kinds carried out by commands. */
export const COMMAND_FAULT_KINDS: ReadonlySet<string> = new Set(['node-failure', 'node-memory-pressure', 'node-cpu-pressure', 'node-agent-restart']);

export class ShellFaultExecutor {
  readonly records: ShellFaultRecord[] = [];
  private readonly pending = new Set<Fault>();
  private readonly timers = new Set<Timer>();
  /** Faults in effect: what undoes each. */
  private readonly inEffect = new Map<Fault, () => Promise<void>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly progress: PhaseProgress;
  private stopped = false;
  private readonly run: RunCommand;

  constructor(private readonly opts: ShellExecutorOptions) {
    this.run = opts.run ?? bashCommand;
    this.progress = new PhaseProgress(opts.expectedDataUploads);
    for (const f of opts.faults) {
      if (!COMMAND_FAULT_KINDS.has(f.kind)) throw new Error(`faults[${f.index}] ${f.name} (${f.kind}): not carried out by commands; only ${[...COMMAND_FAULT_KINDS].join(', ')} are`);
      this.pending.add(f);
      if (f.at !== undefined) this.after((f.at / opts.timeScale) * 1000 - this.elapsedMs(), () => this.fire(f));
    }
  }

  /** A DataUpload's phase as the run's watch saw it: checks the `when` conditions. */
  observe(dataUpload: string, phase: string): void {
    this.progress.see(dataUpload, phase);
    for (const f of [...this.pending]) if (f.when && this.progress.holds(f.when)) this.fire(f);
  }

  /** Undoes every fault still in effect and waits for the commands in flight; later times and conditions no longer fire. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
    const undos = [...this.inEffect.values()];
    this.inEffect.clear();
    for (const undo of undos) await undo();
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
    const action = KIND_ACTIONS[f.kind];
    if ('none' in action) return;
    const node = this.pickNode(f);
    const scaled = onCluster(f, this.opts.timeScale);
    const rec: ShellFaultRecord = { name: f.name, kind: f.kind, node, startedAt: this.now(), detail: action.does, commands: [] };
    this.records.push(rec);
    this.opts.log?.(`t=${rec.startedAt}s fault ${f.name} on ${node}: ${action.does}`);
    for (const c of action.start(scaled, node)) await this.command(rec, c);
    if (!action.end) {
      rec.endedAt = this.now();
      return;
    }
    const undo = async () => {
      if (!this.inEffect.delete(f) && !this.stopped) return;
      for (const c of action.end!(scaled, node)) await this.command(rec, c);
      rec.endedAt = this.now();
      this.opts.log?.(`t=${rec.endedAt}s fault ${f.name} undone`);
    };
    this.inEffect.set(f, undo);
    if (f.durationSeconds !== undefined && !this.stopped) {
      this.after((f.durationSeconds / this.opts.timeScale) * 1000, () => {
        if (this.inEffect.has(f)) this.track(undo());
      });
    }
  }

  private async command(rec: ShellFaultRecord, command: string): Promise<void> {
    const startedAt = this.now();
    let r: { code: number | null; stderr: string };
    try {
      r = await this.run(command);
    } catch (e) {
      r = { code: null, stderr: (e as Error).message };
    }
    const c: CommandRecord = { startedAt, endedAt: this.now(), command, code: r.code };
    if (r.code !== 0) c.stderr = r.stderr.trim().split('\n').slice(-5).join('\n');
    rec.commands.push(c);
    this.opts.log?.(`t=${c.endedAt}s fault ${rec.name}: ${command.split('\n')[0]} -> ${r.code === 0 ? 'ok' : `exit ${r.code}: ${c.stderr}`}`);
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

  /** Scenario seconds: the cluster's wall seconds times the time scale. */
  private now(): number {
    return Math.round((this.elapsedMs() * this.opts.timeScale) / 100) / 10;
  }
}

/**
 * Until the returned function is called: on SIGINT or SIGTERM, the executor's faults are undone
 * before the process exits (130 for SIGINT, 143 for SIGTERM, as a shell reports them).
 */
export function undoInterrupted(executor: ShellFaultExecutor, log: (line: string) => void = console.error): () => void {
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
