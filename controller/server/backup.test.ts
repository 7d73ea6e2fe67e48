// The Velero server role against the embedded cluster (simulated nodes and CSI) on a virtual
// clock: what it creates for a backup, how its item operations time out and are canceled, and
// the phase Velero gives the backup. No node-agent runs: the test writes the DataUploads' final
// phases itself.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateAgainstSchema } from '../../harness/apiserver/schema.ts';
import type { JSONSchemaProps, ResourceInfo } from '../../harness/apiserver/types.ts';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../harness/cluster/embedded.ts';
import { veleroDataUploadSchema } from '../../harness/crds/velero-dataupload.ts';
import { QuietPacer } from '../../harness/pacer.ts';
import { seededRandom } from '../../harness/random.ts';
import { mutate, resourceInfo } from '../../harness/sim/context.ts';
import { CSI_HOSTPATH_DRIVER, CSI_SNAPSHOT_CLASS, CSI_STORAGE_CLASS, createWorkloadPvc } from '../../harness/sim/csi.ts';
import { DEFAULT_VIRTUAL_START, VirtualClock } from '../../harness/sim/virtual-clock.ts';
import type { DataUpload } from '../api/dataupload.ts';
import type { VolumeSnapshot, VolumeSnapshotClass } from '../api/snapshot.ts';
import { KubeIo } from '../kube/io.ts';
import {
  backupPhase,
  chooseVolumeSnapshotClass,
  ITEM_OPERATION_SYNC_MS,
  OPERATION_TIMED_OUT,
  operationIdFor,
  operationStep,
  validLabelValue,
  VeleroServer,
  type ItemOperation,
} from './backup.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
// Velero's own DataUpload schema, as the project's facts state it: what Velero's CRD would accept.
const veleroSchema = veleroDataUploadSchema();
const projectCrd = parse(readFileSync(path.join(repoRoot, 'controller', 'api', 'crds', 'velero.io_datauploads.yaml'), 'utf8'));
const projectSchema = projectCrd.spec.versions[0].schema.openAPIV3Schema as JSONSchemaProps;

const MINUTE = 60_000;
const PVCS = [0, 1, 2].map((i) => ({ namespace: 'app', name: `data-${i}` }));

interface Setup {
  cluster: EmbeddedCluster;
  clock: VirtualClock;
  io: KubeIo;
  server: VeleroServer;
  duInfo: ResourceInfo;
  /** Simulated seconds since the start. */
  at(): number;
  /** When each DataUpload got spec.cancel=true, in simulated seconds. */
  canceledAt: Map<string, number>;
}

async function setup(seed: number): Promise<Setup> {
  const clock = new VirtualClock();
  const cluster = await startEmbeddedCluster({
    clock,
    seed,
    simulation: { nodes: [{ count: 2, namePrefix: 'worker', capacity: { cpu: '4', memory: '16Gi', pods: '110' } }] },
  });
  const api = cluster.server.api;
  const ctx = cluster.simulation!.ctx;
  const namespaces = resourceInfo(api, '', 'v1', 'namespaces');
  for (const name of ['velero', 'app']) api.create(namespaces, undefined, { metadata: { name } });
  for (const p of PVCS) createWorkloadPvc(ctx, { ...p, size: '20Gi', labels: { app: 'db' } });

  const at = () => (clock.now() - DEFAULT_VIRTUAL_START) / 1000;
  const duInfo = resourceInfo(api, 'velero.io', 'v2alpha1', 'datauploads');
  const canceledAt = new Map<string, number>();
  api.onWrite((info, cur) => {
    if (info !== duInfo || !cur) return;
    const du = cur.obj as unknown as DataUpload;
    if (du.spec.cancel && !canceledAt.has(du.metadata.name!)) canceledAt.set(du.metadata.name!, at());
  });

  const kc = new KubeConfig();
  kc.loadFromString(cluster.kubeconfig);
  const random = seededRandom(seed);
  const pacer = new QuietPacer(clock, random.fork('request-order'));
  const io = new KubeIo(kc, { who: 'velero-server', clock, work: clock, pacer });
  const uidSource = random.fork('velero-server');
  const server = new VeleroServer(io, clock, () => uidSource.next());
  return { cluster, clock, io, server, duInfo, at, canceledAt };
}

/** Writes a DataUpload's phase as its node-agent would. */
function finish(s: Setup, name: string, phase: string, message?: string): void {
  mutate(s.cluster.server.api, s.duInfo, 'velero', name, (o) => {
    o.status = { ...o.status, phase, ...(message ? { message } : {}) };
  });
}

describe('VeleroServer: a backup of three PVCs with snapshotMoveData', () => {
  it('creates a VolumeSnapshot and a DataUpload per PVC as the CSI plugin does; with no node-agent, cancels them at the item operation timeout; PartiallyFailed once they end', async () => {
    const s = await setup(5);
    const { clock, io } = s;
    try {
      // Started outside clock.run(): the pacer's turns are served by the clock's pump.
      const backup = await s.server.startBackup({ name: 'nightly', namespace: 'velero', pvcs: PVCS, itemOperationTimeoutMs: 30 * MINUTE });
      expect(await clock.run(() => backup.dataUploads().length === 3, DEFAULT_VIRTUAL_START + 10 * MINUTE)).toBe('done');
      const createdAt = s.at();

      // ---- what was created ----
      const api = s.cluster.server.api;
      const snapshots = api.list(resourceInfo(api, 'snapshot.storage.k8s.io', 'v1', 'volumesnapshots'), 'app', {}).items.map((x) => x.obj as unknown as VolumeSnapshot);
      expect(snapshots).toHaveLength(3);
      const pvcs = new Map(api.list(resourceInfo(api, '', 'v1', 'persistentvolumeclaims'), 'app', {}).items.map((x) => [x.obj.metadata.name!, x.obj]));
      const dus = backup.dataUploads().sort((a, b) => a.spec.sourcePVC.localeCompare(b.spec.sourcePVC));
      const backupUid = dus[0].metadata.labels!['velero.io/backup-uid'];
      expect(backupUid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      for (const [i, du] of dus.entries()) {
        const pvc = pvcs.get(`data-${i}`)!;
        const vs = snapshots.find((v) => v.spec.source.persistentVolumeClaimName === `data-${i}`)!;
        expect(vs.metadata.name).toMatch(new RegExp(`^velero-data-${i}-[a-z0-9]{5}$`));
        expect(vs.metadata.labels).toEqual({ app: 'db', 'velero.io/backup-name': 'nightly' });
        expect(vs.spec.volumeSnapshotClassName).toBe(CSI_SNAPSHOT_CLASS);

        expect(validateAgainstSchema(veleroSchema, du)).toEqual([]);
        expect(validateAgainstSchema(projectSchema, du)).toEqual([]);
        expect(du.metadata.name).toMatch(/^nightly-[a-z0-9]{5}$/);
        expect(du.metadata.labels).toEqual({
          'velero.io/backup-name': 'nightly',
          'velero.io/backup-uid': backupUid,
          'velero.io/pvc-uid': pvc.metadata.uid,
          'velero.io/async-operation-id': operationIdFor(backupUid, pvc.metadata.uid!),
        });
        expect(du.metadata.labels!['velero.io/async-operation-id']).toHaveLength(63); // "du-<uid>.<uid>" is 76: cut as Velero does
        expect(du.metadata.ownerReferences).toEqual([{ apiVersion: 'velero.io/v1', kind: 'Backup', name: 'nightly', uid: backupUid, controller: true }]);
        expect(du.spec).toEqual({
          snapshotType: 'CSI',
          csiSnapshot: { volumeSnapshot: vs.metadata.name, storageClass: CSI_STORAGE_CLASS, snapshotClass: CSI_SNAPSHOT_CLASS, driver: CSI_HOSTPATH_DRIVER },
          sourcePVC: `data-${i}`,
          backupStorageLocation: 'default',
          sourceNamespace: 'app',
          operationTimeout: '10m0s',
        });
        expect(du.status?.phase ?? '').toBe('');
      }

      // ---- no node-agent: the item operation timeout cancels every DataUpload ----
      expect(await clock.run(() => s.canceledAt.size === 3, DEFAULT_VIRTUAL_START + 60 * MINUTE)).toBe('done');
      const created = dus.map((du) => Date.parse(du.metadata.creationTimestamp as unknown as string) / 1000 - DEFAULT_VIRTUAL_START / 1000);
      for (const [i, du] of dus.entries()) {
        const canceled = s.canceledAt.get(du.metadata.name!)!;
        // At the first 10 s poll after created + 30m (creationTimestamp has second precision).
        expect(canceled - created[i]).toBeGreaterThan(30 * 60);
        expect(canceled - created[i]).toBeLessThanOrEqual(30 * 60 + ITEM_OPERATION_SYNC_MS / 1000 + 1);
        expect(backup.dataUploads().find((d) => d.metadata.name === du.metadata.name)!.spec.cancel).toBe(true);
      }
      expect(backup.done()).toBe(false); // Velero has decided, but the DataUploads have not ended

      // ---- the node-agent's last word, written here ----
      finish(s, dus[0].metadata.name!, 'Canceled', 'data path is canceled');
      finish(s, dus[1].metadata.name!, 'Canceled', 'data path is canceled');
      finish(s, dus[2].metadata.name!, 'Failed', 'timeout on preparing data upload');
      expect(await clock.run(() => backup.done(), clock.now() + MINUTE)).toBe('done');
      const outcome = await backup.outcome;
      expect(outcome.phase).toBe('PartiallyFailed');
      expect(outcome.dataUploads.map((d) => [d.pvc, d.phase, d.canceledByServer])).toEqual([
        ['app/data-0', 'Canceled', true],
        ['app/data-1', 'Canceled', true],
        ['app/data-2', 'Failed', true],
      ]);
      expect(outcome.errors).toEqual(Array(3).fill(`${OPERATION_TIMED_OUT}, plugin: PVCBackupItemAction`));
      expect((outcome.endedAt - DEFAULT_VIRTUAL_START) / 1000).toBe(Math.max(...s.canceledAt.values()));

      // ---- what it cost ----
      const gets = io.cost.sent.get;
      console.log(`[server] DataUploads created by ${createdAt} s, canceled at ${[...s.canceledAt.values()].join(', ')} s; sent ${JSON.stringify(io.cost.sent)}; modeled ${JSON.stringify(io.cost.modeled)}`);
      expect(io.cost.sent).toEqual({
        get: gets,
        list: 1 /* PVCs of app */ + 1 /* the DataUpload watch's list */ + 3 /* VolumeSnapshotClasses, per PVC */,
        watch: 1,
        create: 6 /* 3 VolumeSnapshots + 3 DataUploads */,
        update: 0,
        patch: 3 /* spec.cancel */,
        delete: 0,
      });
      expect(gets).toBeGreaterThanOrEqual(3 * 4); // per PVC: PV, StorageClass, and at least one VolumeSnapshot + content poll
      // Modeled LISTs: the pods of app once; each Progress, every 10 s from the end of the item phase
      // (the last DataUpload's creation) to the poll that cancels the operation; each Cancel.
      const itemPhaseEnd = Math.max(...created);
      const progress = [...s.canceledAt.values()].reduce((n, t) => n + (t - itemPhaseEnd) / (ITEM_OPERATION_SYNC_MS / 1000) + 1, 0);
      expect(io.cost.modeled).toEqual({ get: 0, list: 1 + progress + 3, watch: 0, create: 0, update: 0, patch: 0, delete: 0 });
      await backup.stop();
    } finally {
      await s.cluster.stop();
    }
  });

  it('is Completed when every DataUpload completes before the timeout, and sends no cancel', async () => {
    const s = await setup(6);
    try {
      const backup = await s.server.startBackup({ name: 'ok', namespace: 'velero', pvcs: PVCS.slice(0, 2) });
      expect(await s.clock.run(() => backup.dataUploads().length === 2, DEFAULT_VIRTUAL_START + 10 * MINUTE)).toBe('done');
      for (const du of backup.dataUploads()) finish(s, du.metadata.name!, 'Completed');
      expect(await s.clock.run(() => backup.done(), DEFAULT_VIRTUAL_START + 20 * MINUTE)).toBe('done');
      const outcome = await backup.outcome;
      expect(outcome.phase).toBe('Completed');
      expect(outcome.dataUploads.map((d) => d.phase)).toEqual(['Completed', 'Completed']);
      expect(outcome.errors).toEqual([]);
      expect(s.io.cost.sent.patch).toBe(0);
      await backup.stop();
    } finally {
      await s.cluster.stop();
    }
  });

  it('refuses a spec mistake, naming the field', async () => {
    const s = await setup(7);
    try {
      await expect(s.server.startBackup({ name: 'x', namespace: 'velero', pvcs: [] })).rejects.toThrow(/backup pvcs: \[\] is not accepted/);
      await expect(s.server.startBackup({ name: 'x', namespace: 'velero', pvcs: [{ namespace: 'app', name: '' }] })).rejects.toThrow(/pvcs\[0\]\.name/);
      await expect(s.server.startBackup({ name: 'x', namespace: 'velero', pvcs: PVCS, itemOperationTimeoutMs: -1 })).rejects.toThrow(/itemOperationTimeoutMs: -1/);
    } finally {
      await s.cluster.stop();
    }
  });
});

describe("Velero's rules, as data", () => {
  it('label values: at most 63 characters, cut with a hash as label.GetValidName', () => {
    expect(validLabelValue('short label value')).toBe('short label value');
    // Velero's own test vector (pkg/label/label_test.go).
    expect(validLabelValue('this_is_a_very_long_label_value_that_will_be_rejected_by_Kubernetes')).toBe(
      'this_is_a_very_long_label_value_that_will_be_rejected_by_8d0722',
    );
  });

  const cls = (name: string, driver: string, extra: Partial<VolumeSnapshotClass['metadata']> = {}): VolumeSnapshotClass => ({
    metadata: { name, ...extra },
    driver,
    deletionPolicy: 'Delete',
  });
  const pvc = (annotations?: Record<string, string>) => ({ metadata: { name: 'p', namespace: 'app', annotations } });
  it.each([
    ['the PVC annotation names it', [cls('a', 'd', { labels: { 'velero.io/csi-volumesnapshot-class': 'true' } }), cls('b', 'd')], pvc({ 'velero.io/csi-volumesnapshot-class': 'b' }), 'b'],
    ['else the labelled one (any value)', [cls('a', 'd'), cls('b', 'd', { labels: { 'velero.io/csi-volumesnapshot-class': '' } })], pvc(), 'b'],
    ['else the default one', [cls('a', 'd'), cls('b', 'd', { annotations: { 'snapshot.storage.kubernetes.io/is-default-class': 'false' } })], pvc(), 'b'],
    ['else the only one of the driver', [cls('a', 'other'), cls('b', 'd')], pvc(), 'b'],
  ])('VolumeSnapshotClass: %s', (_what, classes, claim, expected) => {
    expect(chooseVolumeSnapshotClass(classes, 'd', claim).metadata.name).toBe(expected);
  });
  it('VolumeSnapshotClass: two of the driver and no mark is an error', () => {
    expect(() => chooseVolumeSnapshotClass([cls('a', 'd'), cls('b', 'd')], 'd', pvc())).toThrow(/failed to get VolumeSnapshotClass for provisioner d/);
  });

  const op = (phase: ItemOperation['phase'] = 'New'): ItemOperation => ({ id: 'du-x', dataUpload: 'b-1', pvc: 'app/p', created: 0, phase, canceledByServer: false });
  const du = (status: DataUpload['status']): DataUpload => ({
    metadata: { name: 'b-1' },
    spec: { snapshotType: 'CSI', sourcePVC: 'p', sourceNamespace: 'app', backupStorageLocation: 'default', operationTimeout: '10m0s' },
    status,
  });
  const H4 = 4 * 3_600_000;
  it.each([
    ['New DataUpload, in time: stays New', op(), du({}), 1000, { phase: 'New', cancel: false }],
    ['started: InProgress', op(), du({ phase: 'InProgress', startTimestamp: '2026-01-01T00:00:01Z' }), 1000, { phase: 'InProgress', cancel: false }],
    ['Completed', op('InProgress'), du({ phase: 'Completed' }), 1000, { phase: 'Completed', cancel: false }],
    ['Failed carries its message', op(), du({ phase: 'Failed', message: 'boom' }), 1000, { phase: 'Failed', error: 'boom', cancel: false }],
    ['Canceled', op(), du({ phase: 'Canceled' }), 1000, { phase: 'Failed', error: 'DataUpload is canceled', cancel: false }],
    ['exactly at the timeout: not yet', op(), du({ phase: 'Accepted' }), H4, { phase: 'New', cancel: false }],
    ['past the timeout: canceled', op(), du({ phase: 'Accepted' }), H4 + 1, { phase: 'Failed', error: OPERATION_TIMED_OUT, cancel: true }],
    ['Completed wins over the timeout', op(), du({ phase: 'Completed' }), H4 + 1, { phase: 'Completed', cancel: false }],
    ['gone', op(), undefined, 1000, { phase: 'Failed', error: 'not found DataUpload for operationID du-x', cancel: false }],
  ])('item operation: %s', (_what, o, d, now, expected) => {
    expect(operationStep(o, d, now, H4)).toEqual(expected);
  });

  it.each([
    [false, 0, ['Completed', 'Completed'], 'Completed'],
    [false, 0, ['Completed', 'Failed'], 'PartiallyFailed'],
    [false, 1, ['Completed'], 'PartiallyFailed'],
    [false, 3, [], 'PartiallyFailed'],
    [true, 1, [], 'Failed'],
  ] as const)('backup phase: fatal %s, %i item errors, operations %j -> %s', (fatal, errors, phases, expected) => {
    expect(backupPhase(fatal, errors, phases.map((p) => op(p)))).toBe(expected);
  });
});
