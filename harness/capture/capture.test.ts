// npm run capture against the embedded cluster holding the seeded production-like inventory
// (inventory.ts): 9 nodes in 3 pools, 300 PVCs to keep in 20 namespaces and 12 to skip, the
// node-agent ConfigMap, 3 Schedules. What the file says is read back through the scenario file's
// own parser (harness/scenario/file/parse.ts) and compared with what the inventory put there;
// the server's request counts show capture only read.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concurrencyForNode, loadAffinityFor, affinityMatchesNode, parseConfigMapData } from '../../controller/config.ts';
import { parseBytes } from '../../controller/quantity.ts';
import { kubeconfigFor, startEmbeddedCluster, type EmbeddedCluster } from '../cluster/embedded.ts';
import { parseScenarioFile } from '../scenario/file/parse.ts';
import type { ScenarioFile } from '../scenario/file/format.ts';
import { resourceInfo } from '../sim/context.ts';
import { createWorkloadPvc } from '../sim/csi.ts';
import { captureCluster, type CaptureOptions, type CaptureResult } from './capture.ts';
import { NODE_AGENT_CONFIG_KEY, startInventoryCluster, type Inventory } from './inventory.ts';
import { CAPTURE_USER_AGENT, CaptureError } from './read.ts';

const NOW = new Date('2025-06-01T08:00:00Z');
const OPTIONS: CaptureOptions = { veleroNamespace: 'velero', keepNames: false, now: NOW };
const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];

let cluster: EmbeddedCluster;
let inventory: Inventory;
let aliased: CaptureResult;
let parsed: ScenarioFile;
let requestsBefore: Map<string, Map<string, number>>;

const counts = (m: Map<string, Map<string, number>>) => new Map([...m].map(([agent, byVerb]) => [agent, new Map(byVerb)]));
const total = (m: Map<string, Map<string, number>>, verbs: string[]) => [...m.values()].reduce((n, byVerb) => n + verbs.reduce((k, v) => k + (byVerb.get(v) ?? 0), 0), 0);
const sortedNodeNames = () => inventory.pools.flatMap((p) => p.names!).sort();

beforeAll(async () => {
  ({ cluster, inventory } = await startInventoryCluster({ seed: 1 }));
  requestsBefore = counts(cluster.server.requestCounts);
  aliased = await captureCluster(cluster.inProcessKubeConfig(), OPTIONS);
  parsed = parseScenarioFile(aliased.yaml, 'captured.yaml');
});
afterAll(async () => {
  await cluster?.stop();
});

describe('npm run capture on the 300-PVC inventory, read back through parseScenarioFile', () => {
  it("keeps each volume's zone, as its PV's node affinity says, so the run places it there", () => {
    const api = cluster.server.api;
    const pvcs = api.table(resourceInfo(api, '', 'v1', 'persistentvolumeclaims'));
    const pvs = api.table(resourceInfo(api, '', 'v1', 'persistentvolumes'));
    const byName = new Map(parsed.pvcs.map((p) => [`${(p as { namespace: string }).namespace}/${(p as { name: string }).name}`, p as { zone?: string }]));
    const zones = new Set<string>();
    for (const p of inventory.pvcs) {
      const claim = pvcs.get(`${p.namespace}/${p.name}`)!.obj as unknown as { spec: { volumeName: string } };
      const pv = pvs.get(claim.spec.volumeName)!.obj as unknown as { spec: { nodeAffinity: { required: { nodeSelectorTerms: { matchExpressions: { key: string; values: string[] }[] }[] } } } };
      const zone = pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions.find((e) => e.key === 'topology.kubernetes.io/zone')!.values[0];
      zones.add(zone);
      expect(byName.get(aliased.aliases.pvcs.get(`${p.namespace}/${p.name}`)!)!.zone, `${p.namespace}/${p.name}`).toBe(zone);
    }
    // The inventory spreads its volumes over all three zones: the check compares more than one value.
    expect(zones.size).toBe(3);
  });

  it('sent list and get requests only, and did read (counted on the server by its user agent)', () => {
    const after = cluster.server.requestCounts;
    const mine = after.get(CAPTURE_USER_AGENT);
    expect(mine, 'capture sent no request under its user agent').toBeDefined();
    expect([...mine!.keys()].sort()).toEqual(['get', 'list']);
    // Lists: nodes, PVCs, PVs, StorageClasses, VolumeSnapshotClasses, Schedules. Gets: the Deployment, the DaemonSet, the ConfigMap.
    expect(mine!.get('list')).toBe(6);
    expect(mine!.get('get')).toBe(3);
    expect(total(after, WRITE_VERBS)).toBe(total(requestsBefore, WRITE_VERBS));
  });

  it('keeps the 300 PVCs: the multiset of sizes, and each PVC through the alias map with its size and class', () => {
    const bytes = (sizes: string[]) => sizes.map((s) => parseBytes(s)).sort((a, b) => a - b);
    expect(parsed.pvcs).toHaveLength(300);
    expect(bytes(parsed.pvcs.map((p) => (p as { size: string }).size))).toEqual(bytes(inventory.pvcs.map((p) => p.size)));
    const classAlias: Record<string, string> = { 'csi-hostpath-sc': 'sc-1', 'csi-hostpath-wffc': 'sc-2' };
    const byName = new Map(parsed.pvcs.map((p) => [`${(p as { namespace: string }).namespace}/${(p as { name: string }).name}`, p as { size: string; storageClass: string }]));
    for (const p of inventory.pvcs) {
      const alias = aliased.aliases.pvcs.get(`${p.namespace}/${p.name}`);
      expect(alias, `${p.namespace}/${p.name} has no alias`).toMatch(/^ns-\d\d\/ns-\d\d-pvc-\d{3}$/);
      const entry = byName.get(alias!)!;
      expect(parseBytes(entry.size), `${p.namespace}/${p.name} -> ${alias}`).toBe(parseBytes(p.size));
      expect(entry.storageClass).toBe(classAlias[p.storageClass]);
    }
    // Namespaces in sorted order: accounts is ns-01, payments ns-15; a namespace's PVCs likewise.
    expect(aliased.aliases.namespaces.get('accounts')).toBe('ns-01');
    expect(aliased.aliases.namespaces.get('payments')).toBe('ns-15');
    const firstInPayments = inventory.pvcs.filter((p) => p.namespace === 'payments').map((p) => p.name).sort()[0];
    expect(aliased.aliases.pvcs.get(`payments/${firstInPayments}`)).toBe('ns-15/ns-15-pvc-001');
    expect(parsed.storageClasses).toEqual([
      { name: 'sc-1', volumeBindingMode: 'Immediate', default: true },
      { name: 'sc-2', volumeBindingMode: 'WaitForFirstConsumer' },
    ]);
    expect(parsed.storageTopology).toBe('zonal');
    // Aliased: no real PVC or StorageClass name is left in the file.
    for (const p of inventory.pvcs) expect(aliased.yaml).not.toContain(p.name);
    for (const c of ['csi-hostpath-sc', 'csi-hostpath-wffc', 'nfs-csi', 'local-storage']) expect(aliased.yaml).not.toContain(c);
  });

  it('skips the PVCs Velero\'s CSI data mover would not move, and says why in the header', () => {
    const skipped = Object.fromEntries(aliased.skipped.map((s) => [s.reason.split(':')[0], s.pvcs]));
    const names = (ps: { namespace: string; name: string }[]) => ps.map((p) => `${p.namespace}/${p.name}`).sort();
    expect(skipped['not on a CSI volume (the PV has no spec.csi)']).toEqual(names(inventory.notCsi));
    expect(skipped['not Bound (phase Pending)']).toEqual(names(inventory.pending));
    expect(skipped['of StorageClass sc-4']).toEqual(names(inventory.noSnapshotClass));
    expect(aliased.header).toContain('Skipped 5 PVCs: of StorageClass sc-4: no VolumeSnapshotClass for its provisioner nfs.csi.k8s.io (Velero\'s CSI snapshot would fail: "failed to get VolumeSnapshotClass").');
    expect(aliased.yaml).toMatch(/^# Skipped 4 PVCs: not on a CSI volume/m);
    expect(aliased.yaml).toMatch(/^# Skipped 3 PVCs: not Bound \(phase Pending\)/m);
    // Skipped PVCs are counted in the file, never named by their real names.
    for (const p of [...inventory.notCsi, ...inventory.pending, ...inventory.noSnapshotClass]) expect(aliased.yaml).not.toContain(p.name);
  });

  it('groups the nodes into 3 pools with their capacity, labels, taints and zones, nodes aliased in sorted order', () => {
    const region = { 'topology.kubernetes.io/region': 'eu-west-1' };
    expect(parsed.nodes).toEqual([
      {
        name: 'pool-1',
        names: ['node-01', 'node-02', 'node-03', 'node-04'],
        capacity: { cpu: '16', memory: '65021364Ki', pods: '110', 'ephemeral-storage': '203056560Ki' },
        allocatable: { cpu: '15890m', memory: '63173044Ki', pods: '110', 'ephemeral-storage': '186130324519' },
        labels: { ...region, 'node-role.kubernetes.io/worker': '', 'workload.example.com/tier': 'app' },
        // The app nodes in sorted order are in zones c, a, b, c: the cycle the embedded cluster repeats.
        zones: ['eu-west-1c', 'eu-west-1a', 'eu-west-1b'],
        instanceType: 'm6i.4xlarge',
      },
      {
        name: 'pool-2',
        names: ['node-05', 'node-06'],
        capacity: { cpu: '8', memory: '32086472Ki', pods: '58', 'ephemeral-storage': '101430960Ki' },
        allocatable: { cpu: '7910m', memory: '31069640Ki', pods: '58', 'ephemeral-storage': '92400M' },
        labels: { ...region, 'node-role.kubernetes.io/backup': '', 'workload.example.com/tier': 'backup' },
        taints: [{ key: 'dedicated', value: 'backup', effect: 'PreferNoSchedule' }],
        zones: ['eu-west-1a', 'eu-west-1b'],
        instanceType: 'm6i.2xlarge',
      },
      {
        name: 'pool-3',
        names: ['node-07', 'node-08', 'node-09'],
        capacity: { cpu: '4', memory: '16069260Ki', pods: '110', 'ephemeral-storage': '50620216Ki' },
        allocatable: { cpu: '3920m', memory: '15352460Ki', pods: '110', 'ephemeral-storage': '46651590989' },
        labels: { ...region, 'node-role.kubernetes.io/control-plane': '' },
        taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
        zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
        instanceType: 'm6i.xlarge',
      },
    ]);
    const real = sortedNodeNames();
    expect([...aliased.aliases.nodes]).toEqual(real.map((n, i) => [n, `node-0${i + 1}`]));
    expect(aliased.header.join('\n')).toContain('topology.hostpath.csi/node (its value is the node\'s name)');
    for (const n of real) expect(aliased.yaml).not.toContain(n);
  });

  it('writes the node-agent ConfigMap with only metadata.name/namespace, its data as read but for node and class names mapped to the aliases', () => {
    const [app1, app2, app3] = inventory.pools[0].names!;
    const backup2 = inventory.pools[1].names![1];
    // By hand: app nodes are node-01..04 and backup nodes node-05..06 in sorted order; csi-hostpath-wffc is sc-2.
    const expected = inventory.nodeAgentConfig
      .replace(`"${backup2}"`, '"node-06"')
      .replace(`"${app3}"`, '"node-03"')
      .replace(`"${app1}"`, '"node-01"')
      .replace(`"${app2}"`, '"node-02"')
      .replace('"csi-hostpath-wffc"', '"sc-2"');
    expect(expected).not.toBe(inventory.nodeAgentConfig);
    expect(parsed.nodeAgentConfigMap).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'node-agent-config', namespace: 'velero' }, data: { [NODE_AGENT_CONFIG_KEY]: expected } });

    // What Velero would decide from either document is the same, node for node.
    const original = parseConfigMapData({ x: inventory.nodeAgentConfig }, 'inventory');
    const captured = parseConfigMapData(parsed.nodeAgentConfigMap!.data, 'captured');
    const nodes = cluster.server.api.table(resourceInfo(cluster.server.api, '', 'v1', 'nodes'));
    const want: Record<string, number> = { [inventory.pools[1].names![0]]: 3, [backup2]: 2 };
    for (const real of sortedNodeNames()) {
      const pool = parsed.nodes.find((p) => p.names!.includes(aliased.aliases.nodes.get(real)!))!;
      const realLabels = nodes.get(real)!.obj.metadata.labels as Record<string, string>;
      const fileLabels = { ...pool.labels, 'kubernetes.io/hostname': aliased.aliases.nodes.get(real)! };
      expect(concurrencyForNode(captured, fileLabels), real).toBe(want[real] ?? 1);
      expect(concurrencyForNode(original, realLabels), real).toBe(want[real] ?? 1);
      const wffcAffinity = (cfg: typeof original, sc: string, labels: Record<string, string>) => affinityMatchesNode(loadAffinityFor(cfg, sc), labels);
      expect(wffcAffinity(captured, 'sc-2', fileLabels), real).toBe(wffcAffinity(original, 'csi-hostpath-wffc', realLabels));
    }
    expect(aliased.yaml).not.toContain('last-applied-configuration');
  });

  it('turns the Schedules into backups over the captured namespaces, with the longest itemOperationTimeout and the flags', () => {
    expect(parsed.backups).toEqual([
      // daily-apps: accounts, billing, catalog, checkout, inventory, ledger, orders, payments, shipping.
      { name: 'schedule-1', includedNamespaces: ['ns-01', 'ns-04', 'ns-05', 'ns-06', 'ns-08', 'ns-09', 'ns-14', 'ns-15', 'ns-19'] },
      // hourly-critical: auth, ledger, payments (legacy-* matches none).
      { name: 'schedule-2', includedNamespaces: ['ns-03', 'ns-09', 'ns-15'] },
      // weekly-full: * less logging (ns-10) and monitoring (ns-12).
      { name: 'schedule-3', includedNamespaces: ['ns-01', 'ns-02', 'ns-03', 'ns-04', 'ns-05', 'ns-06', 'ns-07', 'ns-08', 'ns-09', 'ns-11', 'ns-13', 'ns-14', 'ns-15', 'ns-16', 'ns-17', 'ns-18', 'ns-19', 'ns-20'] },
    ]);
    expect(parsed.server).toEqual({ itemOperationTimeout: '6h', concurrentBackups: 2 });
    expect(parsed.nodeAgent).toEqual({ prepareTimeout: '45m' });
    expect(aliased.header).toContain("server.itemOperationTimeout: the backups' item operation timeouts differ (schedule-1 6h0m0s, schedule-2 2h0m0s, schedule-3 4h0m0s (the server's --default-item-operation-timeout=4h)): the longest, schedule-1's, for every backup.");
    expect(parsed.metadata).toEqual({ name: 'datamover-bench', description: 'Captured 2025-06-01T08:00:00.000Z from context datamover-bench by npm run capture, names aliased' });
    expect(aliased.summary).toMatchObject({ nodes: 9, pools: 3, pvcs: 300, namespaces: 20, storageClasses: 2, configMap: true, schedules: 3, backups: 3 });
  });

  it('gives the same file twice: aliases are stable', async () => {
    const again = await captureCluster(cluster.inProcessKubeConfig(), OPTIONS);
    expect(again.yaml).toBe(aliased.yaml);
  });

  it('--keep-names keeps every real name and leaves the ConfigMap byte for byte as read', async () => {
    const kept = parseScenarioFile((await captureCluster(cluster.inProcessKubeConfig(), { ...OPTIONS, keepNames: true })).yaml, 'kept.yaml');
    expect(kept.nodes.map((p) => p.names)).toEqual(inventory.pools.map((p) => p.names));
    const key = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;
    expect(kept.pvcs.map((p) => key(p as { namespace: string; name: string })).sort()).toEqual(inventory.pvcs.map(key).sort());
    expect(kept.storageClasses!.map((c) => c.name)).toEqual(['csi-hostpath-sc', 'csi-hostpath-wffc']);
    expect(kept.nodeAgentConfigMap!.data[NODE_AGENT_CONFIG_KEY]).toBe(inventory.nodeAgentConfig);
    expect(kept.backups!.map((b) => b.name)).toEqual(['daily-apps', 'hourly-critical', 'weekly-full']);
    expect(kept.backups![1].includedNamespaces).toEqual(['auth', 'ledger', 'payments']);
  });

  it('--namespaces captures only those namespaces\' PVCs and filters the backups to them', async () => {
    const r = await captureCluster(cluster.inProcessKubeConfig(), { ...OPTIONS, keepNames: true, namespaces: ['payments', 'media'] });
    const f = parseScenarioFile(r.yaml, 'filtered.yaml');
    const inScope = inventory.pvcs.filter((p) => p.namespace === 'payments' || p.namespace === 'media');
    expect(f.pvcs).toHaveLength(inScope.length);
    expect(new Set(f.pvcs.map((p) => (p as { namespace: string }).namespace))).toEqual(new Set(['payments', 'media']));
    expect(r.skipped.flatMap((s) => s.pvcs).sort()).toEqual(['media/thumbnails', 'media/uploads']);
    expect(f.backups).toEqual([
      { name: 'daily-apps', includedNamespaces: ['payments'] },
      { name: 'hourly-critical', includedNamespaces: ['payments'] },
      { name: 'weekly-full', includedNamespaces: ['media', 'payments'] },
    ]);
  });
});

describe('npm run capture where things are missing or refused', () => {
  it('a cluster without Velero: no Schedule CRD (a line, no backups), no ConfigMap (a line, none written), no Deployment', async () => {
    const bare = await startEmbeddedCluster({ simulation: { nodes: [{ count: 2, namePrefix: 'worker', capacity: { cpu: '4', memory: '16Gi', pods: '110' } }] } });
    try {
      bare.server.api.create(resourceInfo(bare.server.api, '', 'v1', 'namespaces'), undefined, { metadata: { name: 'shop' } });
      createWorkloadPvc(bare.simulation!.ctx, { namespace: 'shop', name: 'data-0', size: '10Gi' });
      const r = await captureCluster(bare.inProcessKubeConfig(), OPTIONS);
      const f = parseScenarioFile(r.yaml, 'bare.yaml');
      expect(f.backups).toBeUndefined();
      expect(f.nodeAgentConfigMap).toBeUndefined();
      expect(f.server).toBeUndefined();
      expect(f.pvcs).toEqual([{ namespace: 'ns-01', name: 'ns-01-pvc-001', size: '10Gi', storageClass: 'sc-1' }]);
      expect(f.nodes).toEqual([{ name: 'pool-1', names: ['node-01', 'node-02'], capacity: { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' }, allocatable: { cpu: '3900m', memory: '16284Mi', pods: '110', 'ephemeral-storage': '90Gi' } }]);
      expect(r.header).toContain('Not read: schedules: the cluster does not serve velero.io/v1 schedules (no Velero CRDs): skipped.');
      expect(r.header).toContain('Not read: configmap velero/node-agent-config: not found: no nodeAgentConfigMap written (Velero\'s defaults apply).');
      expect(r.header.join('\n')).toContain('deployment velero/velero: not found');
    } finally {
      await bare.stop();
    }
  });

  /** The inventory cluster behind a proxy that answers 403 Forbidden, as kube-apiserver's RBAC does, to requests whose path matches. */
  async function forbidding(path: RegExp): Promise<{ kc: KubeConfig; close: () => Promise<void> }> {
    const target = new URL(cluster.url);
    const proxy = http.createServer((req, res) => {
      if (path.test(req.url ?? '')) {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `forbidden: User "reader" cannot get path ${req.url}`, reason: 'Forbidden', code: 403 }));
        return;
      }
      const upstream = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigFor(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`));
    return { kc, close: () => new Promise((ok) => proxy.close(() => ok())) };
  }

  it('forbidden PVCs: a CaptureError naming the read and the RBAC capture needs', async () => {
    const p = await forbidding(/^\/api\/v1\/persistentvolumeclaims/);
    try {
      const e = await captureCluster(p.kc, OPTIONS).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(CaptureError);
      expect((e as Error).message).toMatch(/^listing persistentvolumeclaims in all namespaces: forbidden \(forbidden: User "reader" cannot get path .*\)\. capture needs get and list on nodes, persistentvolumeclaims, persistentvolumes/);
      expect((e as Error).message).toContain('docs/capture.md has a ClusterRole and a Role');
    } finally {
      await p.close();
    }
  });

  it('forbidden Deployment and DaemonSet are optional: the capture goes on and the header says what was not read', async () => {
    const p = await forbidding(/^\/apis\/apps\//);
    try {
      const r = await captureCluster(p.kc, OPTIONS);
      expect(r.file.server).toEqual({ itemOperationTimeout: '6h' });
      expect(r.file.nodeAgent).toBeUndefined();
      expect(r.header).toContain('Not read: deployment velero/velero: forbidden: the server\'s --concurrent-backups and --default-item-operation-timeout not read.');
      expect(r.header).toContain('Not read: daemonset velero/node-agent: forbidden: the node-agent\'s --data-mover-prepare-timeout not read.');
    } finally {
      await p.close();
    }
  });

  it('an unreachable cluster: a CaptureError naming the server and what was being read', async () => {
    const closed = http.createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((ok) => closed.close(ok));
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigFor(`http://127.0.0.1:${port}`));
    const e = await captureCluster(kc, OPTIONS).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CaptureError);
    expect((e as Error).message).toMatch(new RegExp(`^cannot reach the cluster at http://127\\.0\\.0\\.1:${port} \\(context datamover-bench\\) listing nodes: .*ECONNREFUSED`));
  });
});
