// The recorder is a collector fed by watches: writes made to the API at known simulated
// instants must come out as the record (and figures) worked out by hand.
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { DATA_UPLOAD_GROUP, DATA_UPLOAD_LABEL, DATA_UPLOAD_PLURAL, OUTCOME_REASON_ANNOTATION } from '../../controller/api/dataupload.ts';
import { startEmbeddedCluster, type EmbeddedCluster } from '../cluster/embedded.ts';
import { resourceInfo } from '../sim/context.ts';
import { VirtualClock } from '../sim/virtual-clock.ts';
import { computeFigures } from './figures.ts';
import { RunRecorder } from './recorder.ts';

let cluster: EmbeddedCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('RunRecorder: the record from watches', () => {
  it('stamps each DataUpload phase and each pod change at the simulated instant it was written', async () => {
    const clock = new VirtualClock();
    const start = clock.now();
    cluster = await startEmbeddedCluster({ clock });
    const api = cluster.server.api;
    const ns = resourceInfo(api, '', 'v1', 'namespaces');
    api.create(ns, undefined, { metadata: { name: 'velero' } });
    const dus = resourceInfo(api, DATA_UPLOAD_GROUP, 'v2alpha1', DATA_UPLOAD_PLURAL);
    const pods = resourceInfo(api, '', 'v1', 'pods');
    const events = resourceInfo(api, '', 'v1', 'events');
    const pvcs = resourceInfo(api, '', 'v1', 'persistentvolumeclaims');
    const snapshots = resourceInfo(api, 'snapshot.storage.k8s.io', 'v1', 'volumesnapshots');
    api.create(ns, undefined, { metadata: { name: 'app' } });
    const nodes = resourceInfo(api, '', 'v1', 'nodes');
    const setReady = (status: 'True' | 'False') =>
      api.patch(nodes, undefined, 'n1', 'merge', { status: { conditions: [{ type: 'Ready', status }] } }, { subresource: 'status' });
    api.create(nodes, undefined, { metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1', 'kubernetes.io/os': 'linux' } } });
    setReady('True');
    const kc = new KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
    const recorder = new RunRecorder(kc, clock, 'velero', (pvc) => (pvc === 'app/a' ? 5 * 1024 ** 3 : 0), start);
    await recorder.startWatching();

    const setPhase = (name: string, phase: string, extra: object = {}) =>
      api.patch(dus, 'velero', name, 'merge', { status: { phase, ...extra } }, { subresource: 'status' });
    const at = (s: number, fn: () => void) => clock.setTimer(start + s * 1000 - clock.now(), fn);
    const du = (name: string) => ({
      apiVersion: 'velero.io/v2alpha1',
      kind: 'DataUpload',
      metadata: { name, namespace: 'velero' },
      spec: { snapshotType: 'CSI', backupStorageLocation: 'default', sourcePVC: name, sourceNamespace: 'app', operationTimeout: '10m', csiSnapshot: { volumeSnapshot: `vs-${name}`, storageClass: 'csi' } },
    });
    const pod = (name: string, requests?: object) => ({
      metadata: { name, namespace: 'velero', labels: { [DATA_UPLOAD_LABEL]: name } },
      spec: { containers: [{ name: 'mover', image: 'velero', ...(requests ? { resources: { requests } } : {}) }] },
    });
    const event = (name: string, du: string, reason: string, count = 1) => ({
      metadata: { name, namespace: 'velero' },
      involvedObject: { apiVersion: 'velero.io/v2alpha1', kind: 'DataUpload', namespace: 'velero', name: du },
      reason,
      message: '',
      count,
    });
    // a: created 0, pod created 1 (1 CPU, 2 GiB), bound 3, running 4, Accepted 1, Prepared 4,
    //    InProgress 10, Data-Path-Started 11, Data-Path-Completed 109, Completed 110 on n1, pod
    //    Succeeded 111, deleted 112. Node n1 NotReady from 100 to 105.
    // b: created 2, BestEffort pod created 2, never bound, Failed (prepare timeout) 50, pod deleted 51.
    // Not data-path records: a's Started Event written again unchanged (50), its Progress (60),
    // and an Accepted Event on b (1).
    at(0, () => api.create(dus, 'velero', du('a')));
    at(1, () => {
      setPhase('a', 'Accepted');
      api.create(pods, 'velero', pod('a', { cpu: '1', memory: '2Gi' }));
    });
    at(2, () => {
      api.create(dus, 'velero', du('b'));
      api.create(pods, 'velero', pod('b'));
    });
    at(3, () => api.bindPod('velero', 'a', 'n1'));
    at(4, () => {
      api.patch(pods, 'velero', 'a', 'merge', { status: { phase: 'Running' } }, { subresource: 'status' });
      setPhase('a', 'Prepared', { node: 'n1' });
    });
    at(10, () => setPhase('a', 'InProgress'));
    at(11, () => api.create(events, 'velero', event('a.1', 'a', 'Data-Path-Started')));
    at(1, () => api.create(events, 'velero', event('b.1', 'b', 'Accepted')));
    at(50, () => api.patch(events, 'velero', 'a.1', 'merge', { message: 'again' }));
    at(60, () => api.create(events, 'velero', event('a.2', 'a', 'Data-Path-Progress')));
    at(100, () => setReady('False'));
    at(105, () => setReady('True'));
    at(109, () => api.create(events, 'velero', event('a.3', 'a', 'Data-Path-Completed')));
    at(50, () => {
      api.patch(dus, 'velero', 'b', 'merge', { metadata: { annotations: { [OUTCOME_REASON_ANNOTATION]: 'prepare-timeout' } } });
      setPhase('b', 'Failed');
    });
    at(51, () => api.delete(pods, 'velero', 'b', { gracePeriodSeconds: 0 }));
    // Storage: a's backup PVC (5 GiB) created 2, Bound 3, deleted 112; the source snapshot of a
    // (namespace app) 0 to 5, its backup copy (velero) 1 to 112.
    const snapshot = (namespace: string, name: string) => ({ apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot', metadata: { name, namespace }, spec: { source: { persistentVolumeClaimName: 'a' } } });
    at(0, () => api.create(snapshots, 'app', snapshot('app', 'vs-a')));
    at(1, () => api.create(snapshots, 'velero', snapshot('velero', 'a')));
    at(2, () => api.create(pvcs, 'velero', { metadata: { name: 'a', namespace: 'velero' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } }));
    at(3, () => api.patch(pvcs, 'velero', 'a', 'merge', { status: { phase: 'Bound' } }, { subresource: 'status' }));
    at(5, () => api.delete(snapshots, 'app', 'vs-a'));
    at(112, () => {
      api.delete(pvcs, 'velero', 'a');
      api.delete(snapshots, 'velero', 'a');
    });
    at(110, () => setPhase('a', 'Completed'));
    at(111, () => api.patch(pods, 'velero', 'a', 'merge', { status: { phase: 'Succeeded' } }, { subresource: 'status' }));
    at(112, () => api.delete(pods, 'velero', 'a', { gracePeriodSeconds: 0 }));
    await clock.run(() => false, start + 120_000);

    const record = recorder.record({ sent: { get: 4, list: 0, watch: 0, create: 2, update: 0, patch: 0, delete: 0 }, modeled: { get: 0, list: 0, watch: 0, create: 0, update: 0, patch: 0, delete: 0 } }, { idle: 100, busy: 400 });
    await recorder.stop();
    expect(record.dataUploads.map(({ name, pvc, bytes, createdAt, node, outcome, reason, phases }) => ({ name, pvc, bytes, createdAt, node, outcome, reason, phases }))).toEqual([
      {
        name: 'a',
        pvc: 'app/a',
        bytes: 5 * 1024 ** 3,
        createdAt: 0,
        node: 'n1',
        outcome: 'Completed',
        reason: undefined,
        phases: [
          { phase: 'New', at: 0 },
          { phase: 'Accepted', at: 1 },
          { phase: 'Prepared', at: 4 },
          { phase: 'InProgress', at: 10 },
          { phase: 'Completed', at: 110 },
        ],
      },
      { name: 'b', pvc: 'app/b', bytes: 0, createdAt: 2, node: undefined, outcome: 'Failed', reason: 'prepare-timeout', phases: [{ phase: 'New', at: 2 }, { phase: 'Failed', at: 50 }] },
    ]);
    expect(record.pods).toEqual([
      { name: 'a', dataUpload: 'a', createdAt: 1, scheduledAt: 3, node: 'n1', runningAt: 4, stoppedAt: 111, deletedAt: 112, cpuCores: 1, memoryGiB: 2 },
      { name: 'b', dataUpload: 'b', createdAt: 2, deletedAt: 51, cpuCores: 0, memoryGiB: 0 },
    ]);

    expect(record.dataPathEvents).toEqual([
      { dataUpload: 'a', reason: 'Data-Path-Started', at: 11 },
      { dataUpload: 'a', reason: 'Data-Path-Completed', at: 109 },
    ]);
    expect(record.nodes).toEqual([
      { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1', 'kubernetes.io/os': 'linux' }, ready: [{ ready: true, at: 0 }, { ready: false, at: 100 }, { ready: true, at: 105 }] },
    ]);

    const f = computeFigures(record);
    // a: pending 1-3 (2 s); busy 11-100 and 105-109 (93 s); stranded 100-105 (5 s: InProgress, its
    // node not Ready); bound idle 3-11, 109-112 (11 s); 1 CPU, 2 GiB.
    expect(f).toMatchObject({ idlePendingCpuCoreSeconds: 2, idleBoundCpuCoreSeconds: 11, idleBoundMemoryGiBSeconds: 22, idleStrandedCpuCoreSeconds: 5, busyCpuCoreSeconds: 93, busyMemoryGiBSeconds: 186 });
    // b: BestEffort, never ran, so no resident memory; it counts as a BestEffort pod.
    expect(f).toMatchObject({ bestEffortPods: 1, idleResidentMemoryGiBSeconds: 0, timeouts: 1, outcomesByReason: { 'prepare-timeout': 1 } });
    expect(f.makespanSeconds).toBe(110);
    expect(f.apiRequestsPerDataUpload).toMatchObject({ get: 2, create: 1 });

    expect(record.backupPvcs).toEqual([{ name: 'a', createdAt: 2, boundAt: 3, deletedAt: 112, gib: 5 }]);
    expect(record.volumeSnapshots).toEqual([
      { namespace: 'app', name: 'vs-a', createdAt: 0, deletedAt: 5 },
      { namespace: 'velero', name: 'a', createdAt: 1, deletedAt: 112 },
    ]);
    // 5 GiB from Bound at 3 to 112: 545 GiB-s, of which 3 to 11 (its data path started at 11) before moving.
    expect(f).toMatchObject({ backupVolumeGiBSeconds: 545, backupVolumeIdleGiBSeconds: 40, peakBackupPvcs: 1, peakBackupGiB: 5, peakVolumeSnapshots: 2 });
  });
});
