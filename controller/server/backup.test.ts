// The Velero server role against the embedded cluster (no node-agent): what the CSI plugin
// creates for each PVC, and the item operation timeout.
import { KubeConfig } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateAgainstSchema } from '../../harness/apiserver/schema.ts';
import type { JSONSchemaProps } from '../../harness/apiserver/types.ts';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../harness/cluster/embedded.ts';
import { mutate, resourceInfo } from '../../harness/sim/context.ts';
import { createWorkloadPvc } from '../../harness/sim/csi.ts';
import { VirtualClock } from '../../harness/sim/virtual-clock.ts';
import { KubeIo } from '../kube/io.ts';
import { VeleroServer } from './backup.ts';

const veleroCrd = parse(readFileSync(path.resolve(import.meta.dirname, '../../../shared/reference/velero.io_datauploads.yaml'), 'utf8'));
const schema = veleroCrd.spec.versions[0].schema.openAPIV3Schema as JSONSchemaProps;
let cluster: EmbeddedCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('VeleroServer (the CSI plugin’s part of a backup)', () => {
  it('makes a VolumeSnapshot and a DataUpload per PVC as Velero does, cancels them past the item operation timeout, and reports PartiallyFailed', async () => {
    const clock = new VirtualClock();
    cluster = await startEmbeddedCluster({ clock, seed: 5, simulation: { nodes: [{ count: 1, namePrefix: 'worker', capacity: { cpu: '4', memory: '8Gi', pods: '110' } }] } });
    const api = cluster.server.api;
    for (const name of ['velero', 'app']) api.create(resourceInfo(api, '', 'v1', 'namespaces'), undefined, { metadata: { name } });
    for (const name of ['a', 'b', 'c']) createWorkloadPvc(cluster.simulation!.ctx, { namespace: 'app', name, size: '5Gi' });
    const kc = new KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
    const io = new KubeIo(kc, { who: 'velero-server', clock, work: clock });
    const start = clock.now();
    const backup = await new VeleroServer(io, clock, () => 0.5).startBackup({
      name: 'nightly',
      namespace: 'velero',
      pvcs: ['a', 'b', 'c'].map((name) => ({ namespace: 'app', name })),
      itemOperationTimeoutMs: 20 * 60_000,
    });
    await clock.run(() => backup.dataUploads().length === 3, start + 600_000);
    const dus = backup.dataUploads();
    expect(dus.map((d) => d.spec.sourcePVC).sort()).toEqual(['a', 'b', 'c']);
    for (const du of dus) {
      expect(validateAgainstSchema(schema, du)).toEqual([]);
      expect(du.metadata.name).toMatch(/^nightly-[a-z0-9]{5}$/);
      expect(du.status?.phase ?? '').toBe('');
      expect(du.spec).toMatchObject({ snapshotType: 'CSI', operationTimeout: '10m0s', sourceNamespace: 'app', backupStorageLocation: 'default' });
      expect(du.spec.csiSnapshot?.volumeSnapshot).toMatch(new RegExp(`^velero-${du.spec.sourcePVC}-[a-z0-9]{5}$`));
      expect(du.metadata.labels).toMatchObject({ 'velero.io/backup-name': 'nightly', 'velero.io/pvc-uid': expect.any(String) });
      expect(du.metadata.labels?.['velero.io/async-operation-id']).toMatch(/^du-[0-9a-f-]{36}\.[0-9a-f-]{17}[0-9a-f]{6}$/);
      expect(du.metadata.ownerReferences?.[0]).toMatchObject({ apiVersion: 'velero.io/v1', kind: 'Backup', name: 'nightly' });
    }
    // No node-agent runs: after 20 minutes every operation has timed out and its DataUpload is asked to cancel.
    await clock.run(() => backup.dataUploads().every((d) => d.spec.cancel), start + 30 * 60_000);
    expect(backup.done()).toBe(false);
    const dataUploads = resourceInfo(api, 'velero.io', 'v2alpha1', 'datauploads');
    for (const du of backup.dataUploads()) mutate(api, dataUploads, 'velero', du.metadata.name!, (o) => void (o.status = { phase: 'Canceled' }));
    await clock.run(() => backup.done(), clock.now() + 60_000);
    const outcome = await backup.outcome;
    expect(outcome.phase).toBe('PartiallyFailed');
    expect(outcome.dataUploads.every((d) => d.canceledByServer)).toBe(true);
    console.log(`a backup of 3 PVCs: server requests ${JSON.stringify(io.cost.sent)}, modeled ${JSON.stringify(io.cost.modeled)}`);
    expect(io.cost.sent.create).toBe(6);
    expect(io.cost.sent.patch).toBe(3);
    await backup.stop();
  });
});
