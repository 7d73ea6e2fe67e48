// A scenario file run on the embedded cluster, through the flow job a child process would run
// (it reloads the file from its path): several backups as Velero's server queues them, and the
// file's StorageClasses.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runFlowJob } from '../../run/flow-run.ts';
import { startEmbeddedCluster } from '../../cluster/embedded.ts';
import { resourceInfo } from '../../sim/context.ts';
import { createWorkloadPvc } from '../../sim/csi.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import type { ScenarioFile } from './format.ts';
import { loadScenarioFile } from './load.ts';

const doc = (concurrentBackups: number): ScenarioFile => ({
  apiVersion: 'datamover-bench.io/v1alpha1',
  kind: 'Scenario',
  metadata: { name: 'two-schedules' },
  flows: ['deploying'],
  nodes: [{ name: 'worker', count: 2, capacity: { cpu: '8', memory: '32Gi' } }],
  storageClasses: [
    { name: 'standard', volumeBindingMode: 'Immediate', default: true },
    { name: 'local', volumeBindingMode: 'WaitForFirstConsumer' },
  ],
  pvcs: [
    { count: 4, namespaces: ['shop', 'crm'], size: { distribution: 'fixed', size: '2Gi' } },
    { count: 2, namespaces: ['logs'], size: { distribution: 'fixed', size: '1Gi' }, storageClass: 'local' },
  ],
  nodeAgentConfig: { loadConcurrency: { globalConfig: 2 } },
  server: { concurrentBackups },
  backups: [
    { name: 'apps', includedNamespaces: ['shop', 'crm'] },
    { name: 'logs', includedNamespaces: ['logs'] },
  ],
});

async function run(concurrentBackups: number) {
  const dir = mkdtempSync(join(tmpdir(), 'file-run-'));
  const file = join(dir, 'two-schedules.yaml');
  writeFileSync(file, stringify(doc(concurrentBackups)));
  const scenario = await loadScenarioFile(file);
  const params = Object.fromEntries(scenario.params.map((p) => [p.name, p.default]));
  return runFlowJob({ scenario: scenario.name, file, params, seed: 3, flow: 'deploying' });
}

/** When each backup's first and last DataUpload was seen, by the backup's name (its DataUploads' prefix). */
function createdBy(r: Awaited<ReturnType<typeof run>>): Record<string, { first: number; last: number; n: number }> {
  const out: Record<string, { first: number; last: number; n: number }> = {};
  for (const d of r.dataUploads) {
    const backup = d.name.replace(/-[a-z0-9]{5}$/, '');
    const at = d.phases[0].at;
    const b = (out[backup] ??= { first: at, last: at, n: 0 });
    b.first = Math.min(b.first, at);
    b.last = Math.max(b.last, at);
    b.n++;
  }
  return out;
}

describe('a scenario file with two backups', () => {
  it('concurrentBackups 1 (Velero before 1.18): the second backup makes its DataUploads only after the first has made all of its own', async () => {
    const r = await run(1);
    expect(r.endedBy).toBe('done');
    expect(r.figures.completed).toBe(6);
    const b = createdBy(r);
    expect(Object.keys(b).sort()).toEqual(['apps', 'logs']);
    expect([b.apps.n, b.logs.n]).toEqual([4, 2]);
    expect(b.logs.first).toBeGreaterThanOrEqual(b.apps.last);
  });

  it('concurrentBackups 2 (Velero 1.18): the backups share no namespace, so both item phases run at once', async () => {
    const r = await run(2);
    expect(r.figures.completed).toBe(6);
    const b = createdBy(r);
    expect(b.logs.first).toBeLessThan(b.apps.last);
  });
});

describe("the file's volumes and StorageClasses on the embedded cluster", () => {
  it('a volume given its zone is made there; one not given is placed from the seed; an unknown zone is refused', async () => {
    const cluster = await startEmbeddedCluster({ clock: new VirtualClock(), seed: 1, simulation: { nodes: [{ count: 3, namePrefix: 'w', capacity: { cpu: '1', memory: '1Gi', pods: '10' }, zones: ['z1', 'z2', 'z3'] }], storageTopology: 'zonal' } });
    try {
      const ctx = cluster.simulation!.ctx;
      const zoneOf = (pv: object) => ((pv as { spec: unknown }).spec as { nodeAffinity: { required: { nodeSelectorTerms: { matchExpressions: { values: string[] }[] }[] } } }).nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0];
      for (const [i, zone] of ['z2', 'z3', 'z2', 'z1'].entries()) expect(zoneOf(createWorkloadPvc(ctx, { namespace: 'default', name: `placed-${i}`, size: '1Gi', place: zone }).pv)).toBe(zone);
      expect(['z1', 'z2', 'z3']).toContain(zoneOf(createWorkloadPvc(ctx, { namespace: 'default', name: 'drawn', size: '1Gi' }).pv));
      expect(() => createWorkloadPvc(ctx, { namespace: 'default', name: 'nowhere', size: '1Gi', place: 'z9' })).toThrow('a volume in "z9", which no node is in (z1, z2, z3)');
    } finally {
      await cluster.stop();
    }
  });

  it('are made with their binding modes, the default one annotated', async () => {
    const cluster = await startEmbeddedCluster({ clock: new VirtualClock(), simulation: { nodes: [{ count: 1, namePrefix: 'w', capacity: { cpu: '1', memory: '1Gi', pods: '10' } }], storageClasses: [{ name: 'standard' }, { name: 'local', volumeBindingMode: 'WaitForFirstConsumer' }] } });
    try {
      const api = cluster.server.api;
      const classes = api.list(resourceInfo(api, 'storage.k8s.io', 'v1', 'storageclasses'), undefined, {}).items.map((s) => s.obj as { metadata: { name: string; annotations?: Record<string, string> }; volumeBindingMode: string });
      expect(classes.map((c) => [c.metadata.name, c.volumeBindingMode, c.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] ?? null]).sort()).toEqual([
        ['local', 'WaitForFirstConsumer', null],
        ['standard', 'Immediate', 'true'],
      ]);
    } finally {
      await cluster.stop();
    }
  });
});
