// A child process that runs one flow job (harness/run/pool.ts forks it): the job comes in over
// IPC; progress and then the result (or the error) go back.
import { runFlowJob, type FlowJob } from './flow-run.ts';

export type ChildMessage =
  | { kind: 'progress'; ended: number; total: number; simulatedSeconds: number }
  | { kind: 'result'; result: Awaited<ReturnType<typeof runFlowJob>> }
  | { kind: 'error'; message: string; stack?: string };

function send(m: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send!(m, (e: Error | null) => (e ? reject(e) : resolve())));
}

process.once('message', (job: FlowJob) => {
  runFlowJob(job, (p) => void send({ kind: 'progress', ...p }))
    .then((result) => send({ kind: 'result', result }))
    .catch((e: Error) => send({ kind: 'error', message: e.message, stack: e.stack }))
    .finally(() => {
      process.disconnect();
      // Anything still open (a socket closing) must not keep the process: the result is sent.
      setTimeout(() => process.exit(0), 2000).unref();
    });
});
