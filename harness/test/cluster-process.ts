// `npm run cluster` as a child process, for the tests that drive it with a real client (kubectl,
// python3-kubernetes): started, waited for until it prints its export line, and stopped with
// SIGTERM as a user's Ctrl-C would.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ClusterProcess {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
}

/** Starts `harness/cli/cluster.ts --kubeconfig KUBECONFIG ...args` and resolves once it is serving. */
export async function startClusterProcess(kubeconfig: string, args: string[] = []): Promise<ClusterProcess> {
  const child = spawn(join(repoRoot, 'node_modules', '.bin', 'tsx'), ['harness/cli/cluster.ts', '--kubeconfig', kubeconfig, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 30_000;
  while (!out.includes(`export KUBECONFIG=${kubeconfig}`)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm run cluster did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    output: () => out,
    stop: () => {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      return exited;
    },
  };
}
