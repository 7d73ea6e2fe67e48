// The parent's side of child.ts: starts the target process, asks it for fresh servers, marks
// and diffs its store, and replaces the process when a request has killed or hung it. A spare
// process is kept started (loading the server's modules takes seconds), so a replacement costs
// a fresh server's start, not a process's.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildReply, ChildRequest } from './child.ts';
import type { StoreDiff } from './store-check.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..');

export interface TargetOptions {
  seed: number;
  /** The child's V8 heap limit: an input that makes the server allocate without bound ends in an out-of-memory crash, not a swapping machine. */
  heapMb?: number;
  /** Milliseconds an IPC call may take (a reset starts and seeds a server). */
  ipcTimeoutMs?: number;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };
type ChildOp = ChildRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** One target process. */
class TargetProcess {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  stderr = '';
  exited: string | undefined;
  readonly ready: Promise<void>;

  constructor(heapMb: number) {
    const child = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, '--import', 'tsx', join(here, 'child.ts')], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child = child;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      // The server's console.error of an unexpected error, a crash's last words: kept for the failure report.
      this.stderr = (this.stderr + d).slice(-20_000);
    });
    this.ready = new Promise<void>((resolve, reject) => {
      child.on('message', (m: ChildReply) => {
        if ('op' in m) {
          resolve();
          return;
        }
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.error) p.reject(new Error(`fuzz target: ${m.error}`));
        else p.resolve(m.result);
      });
      child.once('exit', (code, signal) => {
        this.exited = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        reject(new Error(`the fuzz target ${this.exited} before it was ready:\n${this.stderr}`));
        for (const [id, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(new Error(`the fuzz target ${this.exited}`));
          this.pending.delete(id);
        }
      });
    });
    // A spare that dies unused is noticed when it is taken, not as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  call<T>(op: ChildOp, timeoutMs: number): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`the fuzz target ${this.exited}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the fuzz target did not answer ${op.op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.child.send({ ...op, id });
    });
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await gone;
  }
}

export class FuzzTarget {
  private proc: TargetProcess;
  private spare: TargetProcess;
  port = 0;
  url = '';
  /** Processes that served, the first included: each after the first replaced one a request killed or hung. */
  spawns = 1;

  private constructor(private readonly opts: TargetOptions) {
    this.proc = new TargetProcess(opts.heapMb ?? 512);
    this.spare = new TargetProcess(opts.heapMb ?? 512);
  }

  static async start(opts: TargetOptions): Promise<FuzzTarget> {
    const t = new FuzzTarget(opts);
    await t.proc.ready;
    await t.reset();
    return t;
  }

  private call<T>(op: ChildOp): Promise<T> {
    return this.proc.call<T>(op, this.opts.ipcTimeoutMs ?? 10_000);
  }

  /** A fresh server in the same process, seeded with the fixture. */
  async reset(): Promise<void> {
    const { url } = await this.call<{ url: string }>({ op: 'reset', seed: this.opts.seed });
    this.url = url;
    this.port = Number(new URL(url).port);
  }

  mark(): Promise<{ rv: number; objects: number }> {
    return this.call({ op: 'mark' });
  }

  diff(): Promise<StoreDiff> {
    return this.call({ op: 'diff' });
  }

  /** How the process ended, if it has. */
  get exitReason(): string | undefined {
    return this.proc.exited;
  }

  /** What the process wrote to stderr since the last call. */
  takeStderr(): string {
    const s = this.proc.stderr;
    this.proc.stderr = '';
    return s;
  }

  /** Kills the process (a hung or dead server) and carries on in the spare, with a fresh server. */
  async replace(): Promise<void> {
    await this.proc.kill();
    this.proc = this.spare;
    this.spare = new TargetProcess(this.opts.heapMb ?? 512);
    this.spawns++;
    try {
      await this.proc.ready;
    } catch {
      // The spare died unused (it should not): start one afresh.
      this.proc = new TargetProcess(this.opts.heapMb ?? 512);
      await this.proc.ready;
    }
    await this.reset();
  }

  async stop(): Promise<void> {
    await Promise.all([this.proc.kill(), this.spare.kill()]);
  }
}
