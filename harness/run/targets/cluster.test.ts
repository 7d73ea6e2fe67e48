// A run on a real cluster, tried on the embedded cluster on the wall clock through a kubeconfig,
// as `--target kubeconfig` would run it against any cluster: the scaling, a whole backup with
// local node-agents, what it checks before it starts, and the command line end to end.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeconfigFor, startEmbeddedCluster, type EmbeddedCluster } from '../../cluster/embedded.ts';
import { KIND_CONTEXT } from '../../cli/cluster-target.ts';
import { BACKUP_NODE_LABEL, backupWorkload, BACKUP_WORKLOAD_PARAMS } from '../../scenario/backup-workload.ts';
import { REPO_ROOT } from '../../scenario/registry.ts';
import type { Experiment } from '../../scenario/scenario.ts';
import type { BehaviourOverrides } from '../../sim/behaviour.ts';
import { experimentSpec, runFlow, type RunResult } from '../run.ts';
import { ClusterRunError, KIND_SCALE, kindTarget, kubeconfigTarget, scaleExperiment, WORKLOAD_LABEL } from './cluster.ts';

/** One deploying run on the cluster `kc` names, as --target kind or kubeconfig would run it. */
function onCluster(kc: KubeConfig, o: { experiment: Experiment; nodeAgents: 'local' | 'in-cluster'; backupName: string; target?: 'kind' | 'kubeconfig'; log?: (line: string) => void }): Promise<RunResult> {
  const target = (o.target === 'kind' ? kindTarget : kubeconfigTarget)({ kubeconfig: kc, scale: KIND_SCALE, nodeAgents: o.nodeAgents });
  return runFlow({ ...experimentSpec(o.experiment, 'deploying', 1), backupName: o.backupName, log: o.log }, target);
}

const defaults = Object.fromEntries(BACKUP_WORKLOAD_PARAMS.map((p) => [p.name, p.default]));
/** A small workload: 2 backup nodes of 3, half-GiB volumes (half a MiB at kind's scale, so 1 MiB). */
const small = (pvcs: number) => backupWorkload({ ...defaults, pvcs, namespaces: 2, nodes: 3, 'backup-nodes': 2, 'median-gib': 0.5 }, 1);
/** The simulated cluster's latencies cut down, so a wall-clock run takes seconds. */
const FAST: BehaviourOverrides = {
  kubelet: { podStartSeconds: { kind: 'fixed', value: 0.3 } },
  csi: { snapshotReadyBaseSeconds: { kind: 'fixed', value: 0.3 }, provisionFromSnapshotBaseSeconds: { kind: 'fixed', value: 0.5 }, provisionSeconds: { kind: 'fixed', value: 0.2 } },
};

describe('scaleExperiment', () => {
  it("divides durations by the time scale and sizes by the size scale, and throttles the data mover to match the simulation's per-pod throughput", () => {
    const e = backupWorkload({ ...defaults, pvcs: 3, 'pod-in-progress-timeout': '10m' }, 1);
    const s = scaleExperiment(e, 'deploying', KIND_SCALE);
    expect(s.pvcs.map((p) => p.bytes)).toEqual(e.pvcs.map((p) => Math.round(parseInt(p.size) * 1024 * 1024 / 1024)));
    expect(s.pvcs.map((p) => p.size)).toEqual(e.pvcs.map((p) => `${Math.ceil(parseInt(p.size) / 1024)}Mi`));
    // client-go's 5 QPS per client becomes 5 x 30 per second of the scaled run; the burst stays.
    expect(s.nodeAgentConfig.datamoverBench).toEqual({ flow: 'deploying', prepareTimeout: '1m0s', deployTimeout: '1m0s', podInProgressTimeout: '20s', dataMoverThroughput: '3000Ki', clientQPS: 150, clientBurst: 10 });
    expect(s.itemOperationTimeoutMs).toBe(8 * 60_000);
    expect(s.deadlineSeconds).toBe(12 * 3600 / 30);
    // 100 MiB/s x 30 / 1024: a volume takes 1/30 of its simulated transfer time.
    expect(s.podBytesPerSecond).toBe(3000 * 1024);
    // Velero's own settings are kept as they are.
    expect((s.nodeAgentConfig as Record<string, unknown>).loadConcurrency).toEqual(e.nodeAgentConfig('deploying').loadConcurrency);
  });

  it('never makes a volume smaller than 1 MiB or a duration shorter than 1 s, and refuses a scale below 1', () => {
    const e = backupWorkload({ ...defaults, pvcs: 1, 'median-gib': 0.01 }, 1);
    const s = scaleExperiment(e, 'velero-1.16', { time: 100_000, size: 100_000 });
    expect(s.pvcs[0].bytes).toBe(1024 * 1024);
    expect(s.nodeAgentConfig.datamoverBench).toMatchObject({ prepareTimeout: '1s' });
    expect(() => scaleExperiment(e, 'deploying', { time: 0.5, size: 1024 })).toThrow('scale.time: 0.5 is not accepted: a number of 1 or more');
  });

  it('shrinks a quota\'s storage limits with the volumes and keeps the rest; refuses the embedded cluster\'s storage settings', () => {
    const e = { ...backupWorkload({ ...defaults, pvcs: 1 }, 1), resourceQuotas: [{ name: 'q', hard: { pods: '10', 'requests.cpu': '4', 'requests.storage': '1Ti', 'csi-hostpath-sc.storageclass.storage.k8s.io/requests.storage': '100Gi' } }] };
    // KIND_SCALE.size is 1024: 1 TiB -> 1 GiB, 100 GiB -> 100 MiB.
    expect(scaleExperiment(e, 'deploying', KIND_SCALE).resourceQuotas).toEqual([
      { name: 'q', hard: { pods: '10', 'requests.cpu': '4', 'requests.storage': '1Gi', 'csi-hostpath-sc.storageclass.storage.k8s.io/requests.storage': '100Mi' } },
    ]);
    expect(() => scaleExperiment(backupWorkload({ ...defaults, pvcs: 1, 'binding-mode': 'WaitForFirstConsumer' }, 1), 'deploying', KIND_SCALE)).toThrow(/--binding-mode WaitForFirstConsumer sets the embedded cluster's StorageClass/);
    expect(() => scaleExperiment(backupWorkload({ ...defaults, pvcs: 1, 'storage-topology': 'zonal' }, 1), 'deploying', KIND_SCALE)).toThrow(/--storage-topology zonal places the embedded cluster's volumes/);
  });
});

describe('runFlow on a real-cluster target, against the embedded cluster on the wall clock', () => {
  let cluster: EmbeddedCluster;
  let kc: KubeConfig;
  beforeAll(async () => {
    cluster = await startEmbeddedCluster({ seed: 1, simulation: { nodes: small(1).nodes, behaviour: FAST } });
    kc = new KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
  });
  afterAll(() => cluster?.stop());

  it('fills the volumes, runs the backup with local node-agents, reports figures, and leaves nothing behind', async () => {
    const lines: string[] = [];
    const r = await onCluster(kc, { experiment: small(3), nodeAgents: 'local', backupName: 'test-1', log: (l) => lines.push(l) });
    expect(r.endedBy).toBe('done');
    expect(r.figures).toMatchObject({ dataUploads: 3, completed: 3, timeouts: 0 });
    expect(r.steadyState.filter((c) => !c.ok)).toEqual([]);
    expect(r.record.dataUploads.every((d) => d.bytes === 1024 * 1024)).toBe(true);
    expect(r.figures.peakDataMoverPods).toBeGreaterThan(0);
    // The write hook is the embedded target's alone.
    expect(r.observed).toBeUndefined();
    // The bound by hand: 2 backup nodes x 2 slots at 3000 KiB/s move the 3 MiB in 0.256 s, but
    // the last DataUpload created cannot end before its creation + 1 MiB / 3000 KiB/s (0.341 s);
    // no pod start latency on a real cluster, so no idle bound.
    const created = r.record.dataUploads.map((d) => d.createdAt);
    const latest = Math.max(...created) - Math.min(...created) + 1024 / 3000;
    // Each backup volume (1 MiB, as its PVC asked) is held at least while its 1 MiB moves at 3000 KiB/s.
    expect(r.record.backupPvcs.map((p) => p.gib)).toEqual([1 / 1024, 1 / 1024, 1 / 1024]);
    const held = 3 * (1 / 1024) * (1024 / 3000);
    expect(r.figures.lowerBound).toEqual({ dataUploads: 3, makespanSeconds: Math.round(Math.max(latest, 3072 / 12000) * 1000) / 1000, backupVolumeGiBSeconds: Math.round(held * 1000) / 1000 });
    expect(lines).toEqual(expect.arrayContaining(['filling 3 volumes (3 MiB)', 'volumes filled']));
    // The workload's namespaces and the backup's DataUploads are gone: the next flow starts clean.
    const core = kc.makeApiClient(CoreV1Api);
    expect((await core.listNamespace({ labelSelector: `${WORKLOAD_LABEL}=true` })).items).toEqual([]);
    const dus = (await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({ group: 'velero.io', version: 'v2alpha1', namespace: 'velero', plural: 'datauploads' })) as { items: unknown[] };
    expect(dus.items).toEqual([]);
  }, 120_000);

  it('on --target kind a node-failure runs docker stop when its condition holds and docker start after it, logged in the results', async () => {
    // A fake docker on PATH that logs its calls: the embedded cluster's nodes are not containers.
    const bin = mkdtempSync(join(tmpdir(), 'dmb-fake-docker-'));
    const calls = join(bin, 'calls.log');
    writeFileSync(join(bin, 'docker'), `#!/bin/sh\necho "docker $*" >> ${calls}\n`);
    chmodSync(join(bin, 'docker'), 0o755);
    writeFileSync(calls, '');
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath}`;
    try {
      const experiment = { ...small(3), faults: [{ kind: 'node-failure' as const, node: `random:${BACKUP_NODE_LABEL}=true`, when: { phase: 'Accepted', fraction: 0.3 }, durationSeconds: 30 }] };
      const r = await onCluster(kc, { experiment, nodeAgents: 'local', backupName: 'test-faults', target: 'kind' });
      const [fault] = r.faults as (typeof r.faults[number] & { commands: { command: string; code: number }[] })[];
      expect(small(3).nodes.length).toBeGreaterThan(0);
      expect(fault).toMatchObject({ name: 'node-failure-0', kind: 'node-failure' });
      const node = fault.node!;
      expect(readFileSync(calls, 'utf8').trim().split('\n')).toEqual([`docker stop ${node}`, `docker start ${node}`]);
      expect(fault.commands.map((c) => [c.command, c.code])).toEqual([[`docker stop ${node}`, 0], [`docker start ${node}`, 0]]);
      expect(fault.startedAt).not.toBeNull();
      expect(fault.endedAt).toBeGreaterThanOrEqual(fault.startedAt!);
    } finally {
      process.env.PATH = savedPath;
    }
  }, 120_000);

  it('on --target kubeconfig a fault it cannot carry out is refused before anything is created', async () => {
    const experiment = { ...small(1), faults: [{ kind: 'node-failure' as const, node: 'random', at: 0, durationSeconds: 30 }] };
    await expect(onCluster(kc, { experiment, nodeAgents: 'local', backupName: 'test-faults-2' })).rejects.toThrow(
      /--target kubeconfig: these faults are not carried out there.*\n  faults\[0\] node-failure-0 \(node-failure\): stopping a node needs kind/,
    );
    expect((await kc.makeApiClient(CoreV1Api).listNamespace({ labelSelector: `${WORKLOAD_LABEL}=true` })).items).toEqual([]);
  }, 60_000);

  it('refuses local node-agents while the DaemonSet runs some (both would serve the same DataUploads)', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedPod({
      namespace: 'velero',
      body: { metadata: { name: 'node-agent-x', labels: { 'app.kubernetes.io/name': 'node-agent' } }, spec: { containers: [{ name: 'node-agent', image: 'datamover-bench:dev' }] } },
    });
    try {
      await expect.poll(async () => (await core.readNamespacedPod({ name: 'node-agent-x', namespace: 'velero' })).status?.phase, { timeout: 10_000 }).toBe('Running');
      await expect(onCluster(kc, { experiment: small(1), nodeAgents: 'local', backupName: 'test-2' })).rejects.toThrow(
        /1 node-agent pod\(s\) run in velero \(the DaemonSet\): local node-agents would serve the same DataUploads. Use --node-agents in-cluster/,
      );
    } finally {
      await core.deleteNamespacedPod({ name: 'node-agent-x', namespace: 'velero', gracePeriodSeconds: 0 });
    }
  }, 60_000);

  it('in-cluster node-agents need the DaemonSet: it says how to get it', async () => {
    await expect(onCluster(kc, { experiment: small(1), nodeAgents: 'in-cluster', backupName: 'test-3' })).rejects.toThrow(
      /the node-agent DaemonSet \(velero\/node-agent\): .*npm run kind:up deploys it; or use --node-agents local/,
    );
  }, 60_000);
});

describe('--target kubeconfig with faults, against the embedded cluster on the wall clock', () => {
  const oneBackupNode = backupWorkload({ ...defaults, pvcs: 6, namespaces: 1, nodes: 3, 'backup-nodes': 1, 'median-gib': 5, concurrency: 1 }, 1);
  let cluster: EmbeddedCluster;
  let kc: KubeConfig;
  beforeAll(async () => {
    cluster = await startEmbeddedCluster({ seed: 1, simulation: { nodes: oneBackupNode.nodes, behaviour: FAST } });
    kc = new KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
  });
  afterAll(() => cluster?.stop());

  it('on --target kubeconfig pod-kill and node-agent-restart run through the API; the results carry the fault log, attribution and steady state', async () => {
    // 5 MiB volumes at 3000 KiB/s: each data mover runs well over a second, long enough to be
    // killed. One backup node, one slot: the killed pod's DataUpload stays InProgress (Velero's
    // node-agent does not watch for it) until the restart of its node's agent cancels it.
    const experiment = {
      ...oneBackupNode,
      faults: [
        { kind: 'pod-kill' as const, dataUploadPhase: 'InProgress', when: { phase: 'InProgress', fraction: 0.3 } },
        { kind: 'node-agent-restart' as const, node: `random:${BACKUP_NODE_LABEL}=true`, when: { phase: 'InProgress', fraction: 0.3 }, durationSeconds: 30 },
      ],
    };
    const r = await onCluster(kc, { experiment: { ...experiment, deadlineSeconds: 3600 }, nodeAgents: 'local', backupName: 'test-api-faults', target: 'kubeconfig' });
    type Logged = (typeof r.faults)[number] & { commands: { command: string; code: number }[] };
    const [kill, restart] = r.faults as Logged[];
    expect(kill).toMatchObject({ name: 'pod-kill-0', kind: 'pod-kill' });
    expect(kill.dataUploads).toHaveLength(1);
    const [victim] = kill.dataUploads!;
    expect(kill.commands.map((c) => [c.command.replace(/\?.*/, ''), c.code])).toEqual([
      ['GET /api/v1/namespaces/velero/pods', 200],
      ['GET /apis/velero.io/v2alpha1/namespaces/velero/datauploads', 200],
      [`DELETE /api/v1/namespaces/velero/pods/${victim}`, 200],
    ]);
    // The killed pod's DataUpload is canceled by its restarted node-agent, and put down to the restart.
    const du = r.record.dataUploads.find((d) => d.name === victim)!;
    expect([du.outcome, du.reason]).toEqual(['Canceled', 'node-agent-restart']);
    expect(r.failuresByFault).toEqual({ [victim]: 'node-agent-restart-1' });
    expect(r.endedBy).toBe('done');
    // Local node-agents have no pod: the node's agent in this process is killed and started again.
    expect(restart).toMatchObject({ name: 'node-agent-restart-1', kind: 'node-agent-restart' });
    expect(restart.commands.map((c) => c.command)).toEqual([`kill the node-agent of ${restart.node} (in this process)`, `start the node-agent of ${restart.node} (in this process)`]);
    // 30 s of the scenario at time scale 30: a second of the cluster's, the record's unit.
    expect(restart.endedAt).toBeGreaterThanOrEqual(restart.startedAt! + 0.9);
    expect(r.steadyState.map((c) => c.name)).toEqual(['all-terminal', 'nothing-leaked', 'no-slot-held', 'failures-explained']);
    expect(r.steadyState.filter((c) => !c.ok)).toEqual([]);
    expect(r.figures.dataUploads).toBe(6);
  }, 180_000);

});

describe('a real-cluster target on a cluster without what it needs', () => {
  it('names the missing DataUpload CRD and how to install it, before creating anything', async () => {
    const bare = await startEmbeddedCluster({ crdFiles: [] });
    try {
      const kc = new KubeConfig();
      kc.loadFromString(bare.kubeconfig);
      const err = await onCluster(kc, { experiment: small(1), nodeAgents: 'local', backupName: 'x' }).catch((e) => e);
      expect(err).toBeInstanceOf(ClusterRunError);
      expect(err.message).toBe('the DataUpload CRD (velero.io/v2alpha1): not found. npm run kind:up installs it; elsewhere: kubectl apply -f controller/api/crds/velero.io_datauploads.yaml');
      expect((await kc.makeApiClient(CoreV1Api).listNamespace({})).items.map((n) => n.metadata!.name)).not.toContain('velero');
    } finally {
      await bare.stop();
    }
  });
});

/** npm run scenario as a user types it; resolves with the exit code and output. */
function scenario(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'harness/cli/scenario.ts', ...args], { cwd: REPO_ROOT, env: { ...env, CI: 'true' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => done({ code, out, err }));
  });
}

describe('npm run scenario -- --target kubeconfig', () => {
  let cluster: EmbeddedCluster;
  let dir: string;
  let kubeconfig: string;
  beforeAll(async () => {
    cluster = await startEmbeddedCluster({ seed: 1, simulation: { nodes: small(1).nodes, behaviour: FAST } });
    dir = mkdtempSync(join(tmpdir(), 'dmb-target-'));
    kubeconfig = await cluster.writeKubeconfig(join(dir, 'kubeconfig'));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a scenario on the cluster the kubeconfig names and writes results that say so', async () => {
    const out = join(dir, 'out');
    const r = await scenario(['large-pvc', '--target', 'kubeconfig', '--kubeconfig', kubeconfig, '--flows', 'deploying', '--pvcs', '2', '--namespaces', '1', '--nodes', '3', '--backup-nodes', '2', '--median-gib', '0.5', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('on kubeconfig, one at a time, durations / 30, sizes / 1024');
    expect(r.out).toContain('Times are wall seconds on kubeconfig');
    expect(r.out).toMatch(/deploying\s+█+\s+2\/2\s+DataUploads ended\s+\S+ equivalent/);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.target).toBe('kubeconfig');
    expect(results.parameters.clusterScale).toEqual({ time: 30, size: 1024 });
    expect(results.parameters.nodeAgentConfig.deploying.datamoverBench).toMatchObject({ prepareTimeout: '1m0s', dataMoverThroughput: '3000Ki' });
    expect(results.flows[0].figures).toMatchObject({ dataUploads: 2, completed: 2 });
  }, 120_000);

  it.each([
    [['--target', 'kind', '--kubeconfig', 'KUBECONFIG'], /--target kind: context "kind-datamover-bench" is not in the kubeconfig \(.*\); for kind, npm run kind:up creates kind-datamover-bench/],
    [['--target', 'kubeconfig', '--kubeconfig', 'KUBECONFIG', '--time-scale', '0'], /--time-scale: "0" is not accepted: a number from 1 to 100000/],
    [['--target', 'kubeconfig', '--kubeconfig', 'KUBECONFIG', '--node-agents', 'both'], /--node-agents: "both" is not accepted: in-cluster or local/],
    [['--image', 'x:1'], /--image: only with --target kind or kubeconfig/],
  ])('refuses %j with a clear message and exit 2', async (args, message) => {
    const r = await scenario(['large-pvc', ...args.map((a) => (a === 'KUBECONFIG' ? kubeconfig : a))]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).not.toContain('    at ');
  });

  describe('--target kind with fake docker, kubectl and kind on PATH (the embedded cluster stands in for kind)', () => {
    let kindConfig: string;
    let bin: string;
    let calls: string;
    beforeAll(() => {
      kindConfig = join(dir, 'kind-kubeconfig');
      writeFileSync(kindConfig, kubeconfigFor(cluster.url, KIND_CONTEXT));
      bin = mkdtempSync(join(tmpdir(), 'dmb-fake-docker-'));
      calls = join(bin, 'calls.log');
      // Each logs its calls to one file, in order: node-failure is docker's alone, the rest goes through the API.
      for (const tool of ['docker', 'kubectl', 'kind']) {
        writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> ${calls}\n`);
        chmodSync(join(bin, tool), 0o755);
      }
    });
    const nodeFailure = (out: string) => ['node-failure', '--target', 'kind', '--kubeconfig', kindConfig, '--node-agents', 'local', '--flows', 'deploying', '--pvcs', '10', '--concurrency', '1', '--namespaces', '1', '--nodes', '3', '--backup-nodes', '2', '--median-gib', '0.5', '--out', out];
    const logged = () => readFileSync(calls, 'utf8').split('\n').filter(Boolean);

    it('node-failure: docker stop when 20% of the DataUploads are InProgress, docker start after it, in the results', async () => {
      writeFileSync(calls, '');
      const out = join(dir, 'kind-out');
      const r = await scenario(nodeFailure(out), { ...process.env, PATH: `${bin}:${process.env.PATH}` });
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
      const [fault] = results.flows[0].faults;
      expect(logged()).toEqual([`docker stop ${fault.node}`, `docker start ${fault.node}`]);
      expect(fault.commands.map((c: { command: string; code: number }) => [c.command, c.code])).toEqual([[`docker stop ${fault.node}`, 0], [`docker start ${fault.node}`, 0]]);
      expect(results.flows[0].steadyState.length).toBeGreaterThan(0);
    }, 180_000);

    it('SIGINT mid-fault: the node is started again before the command exits', async () => {
      writeFileSync(calls, '');
      const child = spawn(process.execPath, ['--import', 'tsx', 'harness/cli/scenario.ts', ...nodeFailure(join(dir, 'kind-out-2'))], { cwd: REPO_ROOT, env: { ...process.env, CI: 'true', PATH: `${bin}:${process.env.PATH}` } });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await expect.poll(() => logged().length, { timeout: 120_000, interval: 50 }).toBe(1);
      expect(logged()[0]).toMatch(/^docker stop /);
      child.kill('SIGINT');
      expect(await exited, out).toBe(130);
      expect(logged()).toEqual([logged()[0], logged()[0].replace('docker stop', 'docker start')]);
      expect(out).toContain('SIGINT: undoing the faults in effect before exiting');
    }, 180_000);
  });

  it('refuses a scenario with faults a real cluster cannot carry out, naming them', async () => {
    const r = await scenario(['api-degraded', '--target', 'kubeconfig', '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--target kubeconfig: these faults are not carried out there');
    expect(r.err).toContain("faults[0] api-latency-0 (api-latency): a real API server has no latency seam");
    expect(r.err).toContain("faults[4] api-load-4 (api-load): not carried out on a real cluster yet");
    const none = await scenario(['node-failure', '--target', 'kubeconfig', '--kubeconfig', kubeconfig]);
    expect(none.code).toBe(2);
    expect(none.err).toContain('stopping a node needs kind (docker stop)');
  });
});
