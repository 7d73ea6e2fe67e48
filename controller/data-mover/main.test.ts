// The data-mover program as the pod runs it: a child process with the exposer's arguments and
// the pod's environment, against the embedded cluster through a kubeconfig file.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_PATH_EVENT_REASON as R } from '../api/dataupload.ts';
import { content, DataMoverTestCluster, expectedSnapshotId, type TestVolume } from './test-cluster.ts';

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
const MAIN = join('controller', 'data-mover', 'main.ts');

let cluster: DataMoverTestCluster;
let kubeconfig: string;
beforeAll(async () => {
  cluster = await DataMoverTestCluster.start();
  const scratch = await cluster.volume('kubeconfig', {});
  kubeconfig = cluster.target.embedded
    ? await cluster.target.embedded.writeKubeconfig(join(scratch.root, 'kubeconfig.yaml'))
    : (process.env.KUBECONFIG ?? '');
});
afterAll(async () => {
  await cluster?.stop();
});

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
  termination: string;
}

/** Runs main.ts as the pod would, with TypeScript loaded by tsx; the termination log goes under `volume.root`. */
function runMain(args: string[], volume: TestVolume, env: Record<string, string> = {}): Promise<Exit> {
  const terminationLog = join(volume.root, 'termination-log');
  const childEnv: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: kubeconfig, DATA_MOVER_TERMINATION_LOG: terminationLog, ...env };
  // Outside a pod: the kubeconfig, never in-cluster configuration.
  delete childEnv.KUBERNETES_SERVICE_HOST;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('exit', async (code) => {
      const termination = await readFile(terminationLog, 'utf8').catch(() => '');
      done({ code, stdout, stderr, termination });
    });
  });
}

describe('main.ts, the data-mover command', () => {
  it('backs up a DataUpload end to end: exit 0, the result in the termination log, Started/Completed/Stopped Events', async () => {
    const ns = await cluster.namespace();
    const du = await cluster.createDataUpload(ns, 'du-cli', 'InProgress');
    const a = content(4000, 5);
    const volume = await cluster.volume(du.metadata.uid!, { 'data/a': a });
    const exit = await runMain(
      ['data-mover', 'backup', `--volume-path=${volume.dir}`, '--volume-mode=Filesystem', '--data-upload=du-cli', '--resource-timeout=4h0m0s', '--in-progress-timeout=10m0s'],
      volume,
      { VELERO_NAMESPACE: ns, NODE_NAME: 'worker-2', DATA_MOVER_THROUGHPUT: '1Mi' },
    );
    expect(exit.stderr).toBe('');
    expect(exit.code).toBe(0);
    expect(JSON.parse(exit.termination)).toEqual({
      snapshotID: expectedSnapshotId(a),
      emptySnapshot: false,
      source: { byPath: volume.dir, volumeMode: 'Filesystem' },
      totalBytes: 4000,
      incrementalBytes: 4000,
    });
    const events = await cluster.events(ns, 'du-cli');
    expect(events.get(R.Started)).toMatchObject({ message: 'Data path for du-cli started', source: { component: 'du-cli', host: 'worker-2' } });
    expect(events.get(R.Completed)?.message).toBe(exit.termination);
    expect(events.get(R.Stopped)?.message).toBe('Data path for du-cli stopped');
  });

  it('refuses a flag it does not know, or a bad value, as cobra: exit 1 with a message naming it', async () => {
    const base = ['data-mover', 'backup', '--volume-path=/v', '--volume-mode=Filesystem', '--data-upload=d', '--resource-timeout=4h0m0s'];
    const [unknown, throughput] = await Promise.all([
      runMain([...base, '--bogus=1'], await cluster.volume('refused-flag', {})),
      runMain(base, await cluster.volume('refused-env', {}), { DATA_MOVER_THROUGHPUT: 'fast' }),
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Error: unknown flag: --bogus');
    expect(unknown.stderr).toContain('usage: velero data-mover backup');
    expect(unknown.termination).toBe('unknown flag: --bogus');

    expect(throughput.code).toBe(1);
    expect(throughput.stderr).toContain('Error: DATA_MOVER_THROUGHPUT: "fast" is not accepted: use bytes per second as a Kubernetes quantity');
  });
});
