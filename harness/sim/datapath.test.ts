import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../apiserver/types.ts';
import {
  DATA_MOVER_BACKUP_COMMAND,
  DATA_UPLOAD_LABEL,
  type DataUploadPhase,
} from '../../controller/api/dataupload.ts';
import type { BehaviourOverrides } from './behaviour.ts';
import { mutate, resourceInfo } from './context.ts';
import { createWorkloadPvc } from './csi.ts';
import { DataPath, type DataPathOptions } from './datapath.ts';
import { NODE_ANNOTATIONS, type RunningProgram } from './programs.ts';
import { storageTestCluster } from './storage-test-cluster.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const BEHAVIOUR: BehaviourOverrides = {
  dataPath: { perPodMiBps: 100, nodeMiBps: 150, progressIntervalSeconds: 10, pollIntervalSeconds: 0.5, idleResidentMiB: 50, busyResidentMiB: 400 },
};

interface Exit {
  at: number;
  code: number;
  message?: string;
}

async function dataPath(opts: { behaviour?: BehaviourOverrides; options?: DataPathOptions } = {}) {
  const sim = await storageTestCluster({ behaviour: opts.behaviour ?? BEHAVIOUR });
  const { api } = sim.ctx;
  const nodes = resourceInfo(api, '', 'v1', 'nodes');
  const duInfo = resourceInfo(api, 'velero.io', 'v2alpha1', 'datauploads');
  for (const name of ['node-a', 'node-b']) api.create(nodes, undefined, { metadata: { name } });
  const dp = new DataPath(sim.ctx, opts.options);
  const exits = new Map<string, Exit>();

  /** A DataUpload in the velero namespace, its backup PVC of `size` (as the exposer makes it), in `phase`. */
  function dataUpload(name: string, size: string, phase: DataUploadPhase = 'Prepared'): KubeObject {
    createWorkloadPvc(sim.ctx, { namespace: 'velero', name, size });
    api.create(duInfo, 'velero', {
      metadata: { name, namespace: 'velero' },
      spec: {
        snapshotType: 'CSI',
        csiSnapshot: { volumeSnapshot: `vs-${name}`, storageClass: 'csi-hostpath-sc' },
        sourcePVC: `pvc-${name}`,
        sourceNamespace: 'app',
        backupStorageLocation: 'default',
        operationTimeout: '10m0s',
      },
    });
    return setPhase(name, phase);
  }

  function setPhase(name: string, phase: DataUploadPhase): KubeObject {
    return mutate(api, duInfo, 'velero', name, (o) => {
      o.status = { ...o.status, phase };
    })!;
  }

  /** Starts the data-mover container of a DataUpload's pod, as the kubelet would once it runs on `node`. */
  function startPod(du: KubeObject, node: string, extraArgs: string[] = []): RunningProgram {
    const name = du.metadata.name!;
    const uid = du.metadata.uid!;
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'velero', labels: { [DATA_UPLOAD_LABEL]: name, 'velero.io/exposer-pod-group': 'snapshot-exposer' } },
      spec: {
        nodeName: node,
        restartPolicy: 'Never',
        containers: [{
          name: uid,
          command: [...DATA_MOVER_BACKUP_COMMAND],
          args: [`--volume-path=/${uid}`, '--volume-mode=Filesystem', `--data-upload=${name}`, '--resource-timeout=10m0s', ...extraArgs],
        }],
        volumes: [{ name: uid, persistentVolumeClaim: { claimName: name } }],
      },
    };
    return dp.program.start(pod, (code, message) => exits.set(name, { at: sim.elapsed(), code, message }));
  }

  /** Runs fn at `seconds` of virtual time. */
  function at(seconds: number, fn: () => void): void {
    sim.clock.setTimer(seconds * 1000 - sim.elapsed() * 1000, fn);
  }

  const reasonsOf = (name: string) => sim.eventsFor(name).map((e) => `${e.at} ${e.reason}`);
  return { sim, dp, exits, dataUpload, setPhase, startPod, at, reasonsOf, api, nodes, duInfo };
}

describe('DataPath: moving the bytes', () => {
  it('moves a volume alone at the per-pod cap, reporting Started, Progress JSON, Completed, Stopped, then exits 0', async () => {
    const t = await dataPath();
    const du = t.dataUpload('du-1', '10Gi', 'InProgress');
    const program = t.startPod(du, 'node-a');
    await t.sim.runUntil(() => t.exits.has('du-1'), 600);

    const done = 10 * GiB / (100 * MiB); // 102.4 s at 100 MiB/s: one transfer does not reach the node's 150.
    const exit = t.exits.get('du-1')!;
    expect(exit.code).toBe(0);
    expect(exit.at).toBeCloseTo(done, 6);
    const result = JSON.parse(exit.message!);
    expect(result).toEqual({
      snapshotID: expect.stringMatching(/^[0-9a-f]{32}$/),
      emptySnapshot: false,
      source: { byPath: `/${du.metadata.uid}`, volumeMode: 'Filesystem' },
      totalBytes: 10 * GiB,
      incrementalBytes: 10 * GiB,
    });

    const events = t.sim.eventsFor('du-1');
    expect(events.map((e) => e.reason)).toEqual([
      'Data-Path-Started',
      ...Array(10).fill('Data-Path-Progress'),
      'Data-Path-Completed',
      'Data-Path-Stopped',
    ]);
    const progress = events.filter((e) => e.reason === 'Data-Path-Progress');
    expect(progress.map((e) => e.at)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(progress[0].message).toBe(`{"totalBytes":${10 * GiB},"doneBytes":${1000 * MiB}}`);
    expect(JSON.parse(progress[9].message)).toEqual({ totalBytes: 10 * GiB, doneBytes: 10000 * MiB });
    // Velero's recorder patches one Event per reason: the tenth progress report is count 10 of the same Event.
    expect(progress[9].count).toBe(10);
    expect(new Set(progress.map((e) => e.event.metadata.name)).size).toBe(1);
    expect(JSON.parse(events[11].message)).toEqual(result);
    for (const e of events) {
      expect(e.type).toBe('Normal');
      expect(e.involvedObject).toMatchObject({ kind: 'DataUpload', apiVersion: 'velero.io/v2alpha1', name: 'du-1', namespace: 'velero', uid: du.metadata.uid });
      expect(e.source).toEqual({ component: 'du-1', host: 'node-a' });
    }
    expect(events[0].message).toBe('Data path for du-1 started');
    expect(events[12].message).toBe('Data path for du-1 stopped');
    expect(program.residentBytes()).toBe(0);
  });

  it('shares a node’s bandwidth among its transfers and recomputes rates when one ends', async () => {
    const t = await dataPath();
    const a = t.startPod(t.dataUpload('du-a', '3Gi', 'InProgress'), 'node-a');
    t.startPod(t.dataUpload('du-b', '6Gi', 'InProgress'), 'node-a');
    t.startPod(t.dataUpload('du-c', '3Gi', 'InProgress'), 'node-b');
    let shares: ReturnType<DataPath['transfersOn']> = [];
    t.at(10, () => (shares = t.dp.transfersOn('node-a')));
    await t.sim.runUntil(() => t.exits.size === 3, 600);

    // node-a: 150 MiB/s for two is 75 each; du-a (3072 MiB) ends at 40.96 s, du-b then has
    // 3072 MiB left at the 100 MiB/s cap. node-b: du-c alone at 100 MiB/s.
    expect(t.exits.get('du-a')!.at).toBeCloseTo(3072 / 75, 6);
    expect(t.exits.get('du-b')!.at).toBeCloseTo(3072 / 75 + 3072 / 100, 6);
    expect(t.exits.get('du-c')!.at).toBeCloseTo(3072 / 100, 6);
    expect(shares.map((s) => [s.dataUpload, s.bytesPerSecond / MiB, s.doneBytes / MiB])).toEqual([
      ['velero/du-a', 75, 750],
      ['velero/du-b', 75, 750],
    ]);
    expect(t.dp.transfersOn('node-a')).toEqual([]);
    expect(a.residentBytes()).toBe(0);
  });

  it('follows the node’s bandwidth annotation, and CPU pressure halves it mid-transfer', async () => {
    const t = await dataPath();
    t.api.patch(t.nodes, undefined, 'node-a', 'merge', { metadata: { annotations: { [NODE_ANNOTATIONS.dataMiBps]: '100' } } });
    const pod = t.startPod(t.dataUpload('du-1', '6000Mi', 'InProgress'), 'node-a');
    let busy = 0;
    t.at(20, () => {
      busy = pod.residentBytes();
      t.api.patch(t.nodes, undefined, 'node-a', 'merge', { metadata: { annotations: { [NODE_ANNOTATIONS.cpuPressure]: 'true' } } });
    });
    await t.sim.runUntil(() => t.exits.has('du-1'), 600);
    // 2000 MiB in 20 s at 100 MiB/s, then 4000 MiB at 50 MiB/s.
    expect(t.exits.get('du-1')!.at).toBeCloseTo(20 + 4000 / 50, 6);
    expect(busy).toBe(400 * MiB);
  });

  it('fails midway with probability failureRate: Data-Path-Failed, Stopped, exit 1', async () => {
    const t = await dataPath({ behaviour: { dataPath: { ...BEHAVIOUR.dataPath, failureRate: 1 } } });
    t.startPod(t.dataUpload('du-1', '10Gi', 'InProgress'), 'node-a');
    await t.sim.runUntil(() => t.exits.has('du-1'), 600);
    const exit = t.exits.get('du-1')!;
    expect(exit.code).toBe(1);
    expect(exit.at).toBeLessThan(102.4);
    expect(exit.message).toMatch(/^Failed to run data path service for DataUpload du-1: Data path for data upload du-1 failed: .*simulated upload failure/);
    const reasons = t.sim.eventsFor('du-1').map((e) => e.reason).filter((r) => r !== 'Data-Path-Progress');
    expect(reasons).toEqual(['Data-Path-Started', 'Data-Path-Failed', 'Data-Path-Stopped']);
  });

  it('cancels on spec.cancel while InProgress; a killed pod stops silently; the node’s bandwidth goes to the rest', async () => {
    const t = await dataPath();
    const duA = t.dataUpload('du-a', '6000Mi', 'InProgress');
    t.startPod(duA, 'node-a');
    const killed = t.startPod(t.dataUpload('du-b', '6000Mi', 'InProgress'), 'node-a');
    t.startPod(t.dataUpload('du-c', '6000Mi', 'InProgress'), 'node-a');
    t.at(20, () => t.api.patch(t.duInfo, 'velero', 'du-a', 'merge', { spec: { cancel: true } }));
    t.at(30, () => killed.stop());
    await t.sim.runUntil(() => t.exits.has('du-a') && t.exits.has('du-c'), 600);

    expect(t.exits.get('du-a')).toEqual({ at: 20, code: 1, message: 'Failed to run data path service for DataUpload du-a: data path is canceled' });
    expect(t.reasonsOf('du-a').filter((r) => !r.endsWith('Progress'))).toEqual([
      '0 Data-Path-Started',
      '20 Data-Path-Canceling',
      '20 Data-Path-Canceled',
      '20 Data-Path-Stopped',
    ]);
    expect(t.exits.has('du-b')).toBe(false);
    expect(t.sim.eventsFor('du-b').every((e) => e.at <= 30)).toBe(true);
    // du-c: 50 MiB/s for 20 s (three share 150), 75 MiB/s for 10 s, then alone at 100 MiB/s.
    expect(t.exits.get('du-c')!.at).toBeCloseTo(30 + (6000 - 1000 - 750) / 100, 6);
  });
});

describe('DataPath: waiting for InProgress', () => {
  it('polls from the pod’s start: a DataUpload that turns InProgress is picked up at the next poll instant', async () => {
    const t = await dataPath();
    const du = t.dataUpload('du-1', '1Gi', 'Prepared');
    let pod: RunningProgram | undefined;
    let waiting = 0;
    t.at(0.2, () => (pod = t.startPod(du, 'node-a')));
    t.at(1.3, () => {
      waiting = pod!.residentBytes();
      t.setPhase('du-1', 'InProgress');
    });
    await t.sim.runUntil(() => t.sim.eventsFor('du-1').length > 0, 60);
    // Polls at 0.2, 0.7, 1.2, 1.7: the one at 1.7 sees InProgress.
    expect(t.reasonsOf('du-1')).toEqual(['1.7 Data-Path-Started']);
    expect(t.dp.pollRequests).toBe(4);
    expect(waiting).toBe(50 * 1024 * 1024);
  });

  it('keeps waiting, as upstream, while the DataUpload is Canceled or gone', async () => {
    const t = await dataPath();
    const du = t.dataUpload('du-1', '1Gi', 'Accepted');
    const pod = t.startPod(du, 'node-a');
    t.at(5, () => t.setPhase('du-1', 'Canceled'));
    t.at(10, () => t.api.delete(t.duInfo, 'velero', 'du-1'));
    t.at(3600, () => undefined);
    await t.sim.runTo(3600);
    expect(t.exits.size).toBe(0);
    expect(pod.residentBytes()).toBe(50 * 1024 * 1024);
    expect(t.sim.eventsFor('du-1')).toEqual([]);
  });

  it('with podInProgressTimeout, exits 1 with Velero’s context-deadline message when it passes', async () => {
    const t = await dataPath({ options: { podInProgressTimeoutSeconds: 30 } });
    const du = t.dataUpload('du-1', '1Gi', 'Prepared');
    t.startPod(du, 'node-a');
    await t.sim.runUntil(() => t.exits.has('du-1'), 600);
    expect(t.exits.get('du-1')).toEqual({
      at: 30,
      code: 1,
      message: 'Failed to run data path service for DataUpload du-1: error waiting for du: context deadline exceeded',
    });
    expect(t.sim.eventsFor('du-1')).toEqual([]);
    expect(t.dp.pollRequests).toBe(61);
  });

  it('with podInProgressTimeout, a DataUpload InProgress in time runs to completion', async () => {
    const t = await dataPath({ options: { podInProgressTimeoutSeconds: 30 } });
    const du = t.dataUpload('du-1', '1Gi', 'Prepared');
    t.startPod(du, 'node-a');
    t.at(29.3, () => t.setPhase('du-1', 'InProgress'));
    await t.sim.runUntil(() => t.exits.has('du-1'), 600);
    expect(t.exits.get('du-1')!.code).toBe(0);
    expect(t.exits.get('du-1')!.at).toBeCloseTo(29.5 + 1024 / 100, 6);
  });

  it('takes the deadline from the pod’s --in-progress-timeout, over the cluster-wide option; "0s" means none', async () => {
    const t = await dataPath({ options: { podInProgressTimeoutSeconds: 30 } });
    t.startPod(t.dataUpload('du-flag', '1Gi', 'Prepared'), 'node-a', ['--in-progress-timeout=1m15s']);
    t.startPod(t.dataUpload('du-default', '1Gi', 'Prepared'), 'node-a');
    t.startPod(t.dataUpload('du-none', '1Gi', 'Prepared'), 'node-b', ['--in-progress-timeout=0s']);
    t.at(3600, () => undefined);
    await t.sim.runTo(3600);
    const deadline = (name: string) => `Failed to run data path service for DataUpload ${name}: error waiting for du: context deadline exceeded`;
    expect(t.exits.get('du-flag')).toEqual({ at: 75, code: 1, message: deadline('du-flag') });
    expect(t.exits.get('du-default')).toEqual({ at: 30, code: 1, message: deadline('du-default') });
    expect(t.exits.has('du-none')).toBe(false);
  });

  it('with only the flag (no cluster-wide option), the pod still gives up at its deadline', async () => {
    const t = await dataPath();
    t.startPod(t.dataUpload('du-1', '1Gi', 'Accepted'), 'node-a', ['--in-progress-timeout=10m0s']);
    await t.sim.runUntil(() => t.exits.has('du-1'), 3600);
    expect(t.exits.get('du-1')!.at).toBe(600);
  });

  it('exits 1 at once, as cobra does, when --in-progress-timeout is not a Go duration', async () => {
    const t = await dataPath();
    t.startPod(t.dataUpload('du-1', '1Gi', 'Prepared'), 'node-a', ['--in-progress-timeout=ten minutes']);
    await t.sim.runUntil(() => t.exits.has('du-1'), 60);
    expect(t.exits.get('du-1')).toEqual({
      at: 0,
      code: 1,
      message: 'invalid argument "ten minutes" for "--in-progress-timeout" flag: time: invalid duration "ten minutes"',
    });
    expect(t.dp.pollRequests).toBe(0);
  });

  it('refuses a podInProgressTimeout that is not a positive number of seconds, naming it', async () => {
    const sim = await storageTestCluster();
    expect(() => new DataPath(sim.ctx, { podInProgressTimeoutSeconds: -1 })).toThrow(/^podInProgressTimeoutSeconds: -1 is not accepted/);
  });
});
