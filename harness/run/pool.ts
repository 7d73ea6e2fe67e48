// Runs a scenario's jobs (flow x seed), several at once in child processes when asked. Each job
// has its own embedded cluster on its own virtual clock, so its figures do not depend on what
// runs beside it; running them side by side only shortens the wall time (2 cores: about half).
import { fork, type ChildProcess } from 'node:child_process';
import type { FlowResult } from '../scenario/results.ts';
import type { ChildMessage } from './flow-process.ts';
import { REPO_ROOT } from '../scenario/registry.ts';
import { runFlowJob, type FlowJob, type RunProgress } from './flow-run.ts';

export interface PoolOptions {
  /** Jobs at once: one of them in this process, the others each in a child process of its own; 1 runs them one after another here. */
  parallel: number;
  onStart?: (index: number) => void;
  onProgress?: (index: number, p: RunProgress) => void;
  onEnd?: (index: number, r: FlowResult) => void;
}

/** Results in the jobs' order. The first failure stops the rest and is thrown. */
export async function runJobs(jobs: FlowJob[], opts: PoolOptions): Promise<FlowResult[]> {
  const results: FlowResult[] = new Array(jobs.length);
  const children = new Set<ChildProcess>();
  let next = 0;
  let failed = false;
  // The first worker runs its jobs here: this process has already loaded everything a run needs,
  // and would otherwise only wait; a child costs a second or two of start-up on every job.
  const worker = async (slot: number) => {
    while (!failed && next < jobs.length) {
      const i = next++;
      opts.onStart?.(i);
      const run = slot === 0 ? runFlowJob(jobs[i], (p) => opts.onProgress?.(i, p)) : inChild(jobs[i], children, (p) => opts.onProgress?.(i, p));
      try {
        results[i] = await run;
      } catch (e) {
        failed = true;
        throw e;
      }
      opts.onEnd?.(i, results[i]);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.parallel, jobs.length)) }, (_, slot) => worker(slot)));
  } finally {
    for (const c of children) c.kill();
  }
  return results;
}

/** The child runs TypeScript: with this process's tsx loader if it has one (npm run), else tsx's (a test runner's worker). */
function childExecArgv(): string[] {
  return process.execArgv.some((a) => /tsx/.test(a)) ? process.execArgv : [...process.execArgv, '--import', 'tsx'];
}

function inChild(job: FlowJob, children: Set<ChildProcess>, onProgress: (p: RunProgress) => void): Promise<FlowResult> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./flow-process.ts', import.meta.url), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: childExecArgv(), cwd: REPO_ROOT });
    children.add(child);
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      children.delete(child);
      f();
    };
    child.on('message', (m: ChildMessage) => {
      if (m.kind === 'progress') onProgress(m);
      else if (m.kind === 'result') settle(() => resolve(m.result));
      else settle(() => reject(Object.assign(new Error(`${job.flow}, seed ${job.seed}: ${m.message}`), { stack: m.stack })));
    });
    child.on('error', (e) => settle(() => reject(e)));
    child.on('exit', (code, signal) => settle(() => reject(new Error(`${job.flow}, seed ${job.seed}: the run's process ended (${signal ?? `exit code ${code}`}) without a result`))));
    child.send(job);
  });
}
