// The real-cluster fault executor with kind's actions against a fake `docker` on PATH: each
// fault's commands at its time or condition, undone after its duration, on stop() and on SIGINT,
// each logged.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { WallClock } from '../../controller/clock.ts';
import { seededRandom } from '../random.ts';
import { parseFaults, type FaultDecl } from './faults.ts';
import { ClusterFaultExecutor } from './cluster-executor.ts';
import { targetActions } from './kind-actions.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const nodes: { name: string; labels: Record<string, string> }[] = [
  { name: 'kind-worker', labels: {} },
  { name: 'kind-worker2', labels: { pool: 'backup' } },
  { name: 'kind-worker3', labels: { pool: 'backup' } },
  // No container of that name: its docker commands fail.
  { name: 'broken', labels: {} },
];

let bin: string;
let calls: string;
let savedPath: string | undefined;

/** A fake docker that logs its arguments, one call a line; `docker stop broken` fails. */
beforeEach(() => {
  bin = mkdtempSync(join(tmpdir(), 'dmb-fake-docker-'));
  calls = join(bin, 'calls.log');
  writeFileSync(join(bin, 'docker'), `#!/bin/sh\necho "docker $*" >> ${calls}\n[ "$2" = broken ] && { echo "Error: No such container: $2" >&2; exit 1; }\nexit 0\n`);
  chmodSync(join(bin, 'docker'), 0o755);
  writeFileSync(calls, '');
  savedPath = process.env.PATH;
  process.env.PATH = `${bin}:${process.env.PATH}`;
});
afterEach(() => {
  process.env.PATH = savedPath;
});

const logged = () => readFileSync(calls, 'utf8').split('\n').filter(Boolean);
const until = async (cond: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; !cond() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
};

function executor(decls: FaultDecl[], timeScale: number, expectedDataUploads = 10) {
  const clock = new WallClock();
  const random = seededRandom(1);
  const actions = targetActions('kind', { kubeconfig: new KubeConfig(), namespace: 'velero', random });
  return new ClusterFaultExecutor({ faults: parseFaults(decls, nodes), actions, target: 'kind', nodes, random, timeScale, expectedDataUploads, clock, start: clock.now() });
}

describe('ClusterFaultExecutor with kind\'s actions', () => {
  it('stops the node once 20% of the DataUploads are InProgress, starts it after the scaled duration, and logs both', async () => {
    const x = executor([{ kind: 'node-failure', node: 'random:pool=backup', when: { phase: 'InProgress', fraction: 0.2 }, durationSeconds: 60 }], 60);
    x.observe('du-1', 'InProgress');
    await new Promise((r) => setTimeout(r, 100));
    expect(logged()).toEqual([]);
    x.observe('du-2', 'Accepted');
    x.observe('du-2', 'InProgress');
    await until(() => logged().length === 2 && x.records[0]?.commands.length === 2);
    const node = x.records[0].node!;
    expect(['kind-worker2', 'kind-worker3']).toContain(node);
    // 60 s of the scenario at time scale 60: one second on the cluster.
    expect(logged()).toEqual([`docker stop ${node}`, `docker start ${node}`]);
    const [stop, start] = x.records[0].commands;
    expect(stop).toMatchObject({ command: `docker stop ${node}`, code: 0 });
    expect(start).toMatchObject({ command: `docker start ${node}`, code: 0 });
    // Times in the cluster's seconds, the unit of the run's record.
    expect(start.startedAt - stop.startedAt).toBeGreaterThanOrEqual(0.9);
    expect(x.records[0].endedAt! - x.records[0].startedAt!).toBeGreaterThanOrEqual(0.9);
    await x.stop();
    expect(logged()).toHaveLength(2);
  });

  it('the same seed picks the same node', () => {
    const pick = async () => {
      const x = executor([{ kind: 'node-failure', node: 'random:pool=backup', at: 0, durationSeconds: 1 }], 1);
      await until(() => x.records.length === 1);
      await x.stop();
      return x.records[0].node;
    };
    return Promise.all([pick(), pick()]).then(([a, b]) => expect(a).toBe(b));
  });

  it('stop() undoes a fault still in effect, and a fault not yet due never starts', async () => {
    const x = executor(
      [
        { kind: 'node-failure', node: 'kind-worker', at: 0, durationSeconds: 3600 },
        { kind: 'node-failure', node: 'kind-worker2', at: 3600, durationSeconds: 60 },
      ],
      1,
    );
    await until(() => logged().length === 1);
    await x.stop();
    expect(logged()).toEqual(['docker stop kind-worker', 'docker start kind-worker']);
    expect(x.neverHappened()).toEqual([{ name: 'node-failure-1', kind: 'node-failure', startedAt: null, detail: 'did not happen: the run ended before 3600 s' }]);
  });

  it('a command that fails is logged with its exit code and stderr', async () => {
    const x = executor([{ kind: 'node-failure', node: 'broken', at: 0, durationSeconds: 1 }], 1);
    await until(() => x.records[0]?.commands.length === 1);
    await x.stop();
    expect(x.records[0].commands[0]).toMatchObject({ command: 'docker stop broken', code: 1, stderr: 'Error: No such container: broken' });
  });

  it('refuses the faults kind cannot carry out, by name', () => {
    expect(() => executor([{ kind: 'drop-watches', at: 0 }], 1)).toThrow('faults[0] drop-watches-0 (drop-watches): not carried out on --target kind; node-memory-pressure, node-cpu-pressure, node-failure, pod-kill, node-agent-restart, node-cordon are');
  });

  it('SIGINT mid-fault: docker start runs before the process exits', async () => {
    const child = spawn(join(repoRoot, 'node_modules', '.bin', 'tsx'), [join(repoRoot, 'harness', 'chaos', 'testdata', 'interrupted-fault.ts')], {
      env: { ...process.env, PATH: `${bin}:${savedPath}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    await until(() => logged().length === 1, 20_000);
    expect(logged()).toEqual(['docker stop kind-worker']);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited, out).toBe(130);
    expect(logged()).toEqual(['docker stop kind-worker', 'docker start kind-worker']);
    expect(out).toContain('SIGINT: undoing the faults in effect before exiting');
  }, 30_000);
});
