// A seeded, production-like cluster for `npm run capture` to read: what its tests capture, and
// what `npm run cluster -- --inventory production` serves for a user to try capture on.
//
// 9 nodes in 3 pools over 3 zones (eu-west-1a/b/c): 4 application nodes (16 CPU / 64 GiB; two
// in eu-west-1c, which the backup pool is not in, one in each other zone), 2 backup nodes (8 CPU
// / 32 GiB, labelled for the node-agent's loadAffinity, with a PreferNoSchedule taint so other
// workloads keep off) and 3 control-plane nodes (tainted NoSchedule). Every node also carries
// the label the hostpath CSI node plugin adds, topology.hostpath.csi/node = its own name: a label
// that names the node, which capture drops.
//
// 300 Bound CSI PVCs in 20 namespaces, StatefulSet-style names (data-postgres-0), heavy-tailed
// provisioned sizes (log-normal around 8 GiB, sigma 1, snapped to the sizes people ask for, 512Mi
// to 1Ti: a few TiB in all, a night's work for two backup nodes), on two classes of the hostpath
// driver (Immediate and WaitForFirstConsumer), their PVs
// zonal. Beside them, 12 PVCs Velero's CSI data mover would not move: 4 on local (non-CSI)
// volumes, 3 Pending (WaitForFirstConsumer, no pod yet), 5 on an NFS CSI driver that has no
// VolumeSnapshotClass.
//
// In Velero's namespace: the node-agent ConfigMap (loadConcurrency with perNodeConfig and
// prepareQueueLength, loadAffinity with a per-StorageClass entry, podResources; node names in
// kubernetes.io/hostname selectors), 3 Schedules (harness/crds/velero.io_schedules.yaml), the
// velero Deployment and the node-agent DaemonSet with their flags.
import { join } from 'node:path';
import type { KubeApi } from '../apiserver/api.ts';
import { PROJECT_CRD_FILES, startEmbeddedCluster, type EmbeddedCluster } from '../cluster/embedded.ts';
import { seededRandom, type Random } from '../random.ts';
import { REPO_ROOT } from '../scenario/registry.ts';
import { mutate, resourceInfo } from '../sim/context.ts';
import { createWorkloadPvc, CSI_HOSTPATH_DRIVER, CSI_STORAGE_CLASS } from '../sim/csi.ts';
import { sample } from '../sim/distribution.ts';
import type { NodePoolDecl } from '../sim/nodes.ts';

export const SCHEDULE_CRD_FILE = join(REPO_ROOT, 'harness', 'crds', 'velero.io_schedules.yaml');
/** The project's CRDs and Velero's Schedule: what an inventory cluster serves. */
export const INVENTORY_CRD_FILES = [...PROJECT_CRD_FILES, SCHEDULE_CRD_FILE];
export const INVENTORIES = ['production'] as const;
export type InventoryName = (typeof INVENTORIES)[number];

export const VELERO_NAMESPACE = 'velero';
export const NODE_AGENT_CONFIGMAP = 'node-agent-config';
export const NODE_AGENT_CONFIG_KEY = 'node-agent-config.json';
/** The label csi-driver-host-path's node plugin puts on each node: its own name. */
export const HOSTPATH_NODE_LABEL = 'topology.hostpath.csi/node';
export const WFFC_STORAGE_CLASS = 'csi-hostpath-wffc';
export const NFS_STORAGE_CLASS = 'nfs-csi';
export const NFS_DRIVER = 'nfs.csi.k8s.io';
export const LOCAL_STORAGE_CLASS = 'local-storage';
export const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
export const TIER_LABEL = 'workload.example.com/tier';

export interface InventoryPvc {
  namespace: string;
  name: string;
  /** The provisioned size as requested. */
  size: string;
  storageClass: string;
}

/** Everything the inventory puts in the cluster, as data: what a capture of it should find. */
export interface Inventory {
  pools: NodePoolDecl[];
  /** The 300 PVCs capture should keep. */
  pvcs: InventoryPvc[];
  /** The PVCs capture should skip, by why. */
  notCsi: InventoryPvc[];
  pending: InventoryPvc[];
  noSnapshotClass: InventoryPvc[];
  namespaces: string[];
  /** The node-agent ConfigMap's JSON document, as written. */
  nodeAgentConfig: string;
  schedules: { name: string; schedule: string; template: Record<string, unknown> }[];
  veleroArgs: string[];
  nodeAgentArgs: string[];
}

const NAMESPACES = [
  'payments', 'orders', 'catalog', 'search', 'checkout', 'inventory', 'shipping', 'accounts', 'notifications', 'analytics',
  'reporting', 'recommendations', 'media', 'auth', 'billing', 'support', 'cms', 'ledger', 'monitoring', 'logging',
];
/** Namespaces whose volumes are on the WaitForFirstConsumer class. */
const WFFC_NAMESPACES = new Set(['analytics', 'reporting', 'monitoring', 'logging']);
const STATEFUL_APPS = ['postgres', 'mysql', 'redis', 'kafka', 'zookeeper', 'elasticsearch', 'mongodb', 'rabbitmq', 'minio', 'cassandra', 'etcd', 'clickhouse', 'prometheus', 'loki'];
/** The sizes people ask for, GiB. */
const SIZE_LADDER = [0.5, 1, 2, 5, 8, 10, 16, 20, 25, 30, 40, 50, 64, 75, 100, 128, 150, 200, 250, 300, 400, 500, 750, 1024, 1536, 2048, 3072, 4096];
const CAPTURED_PVCS = 300;

const gibText = (gib: number) => (gib < 1 ? `${gib * 1024}Mi` : gib % 1024 === 0 ? `${gib / 1024}Ti` : `${gib}Gi`);

/** A node name suffix as cloud node pools make them. */
function suffix(random: Random): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return Array.from({ length: 5 }, () => alphabet[random.int(0, alphabet.length - 1)]).join('');
}

/** PVCs per namespace, heavy-tailed (Zipf, exponent 0.9), at least 3 each, summing to `total` (largest remainder). */
function namespaceCounts(total: number, n: number): number[] {
  const weights = Array.from({ length: n }, (_, i) => 1 / (i + 1) ** 0.9);
  const sum = weights.reduce((a, b) => a + b, 0);
  const floor = 3;
  const spread = total - floor * n;
  const exact = weights.map((w) => (w / sum) * spread);
  const counts = exact.map((x) => floor + Math.floor(x));
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0, left = total - counts.reduce((a, b) => a + b, 0); k < left; k++) counts[order[k].i]++;
  return counts;
}

export function productionInventory(seed = 1): Inventory {
  const random = seededRandom(seed).fork('capture-inventory');
  const names = (prefix: string, n: number) => Array.from({ length: n }, () => `prod-${prefix}-${suffix(random)}`).sort();
  const app = names('app', 4);
  const backup = names('backup', 2);
  const controlPlane = names('cp', 3);
  const region = { 'topology.kubernetes.io/region': 'eu-west-1' };
  const pools: NodePoolDecl[] = [
    {
      names: app,
      capacity: { cpu: '16', memory: '65021364Ki', pods: '110', 'ephemeral-storage': '203056560Ki' },
      allocatable: { cpu: '15890m', memory: '63173044Ki', pods: '110', 'ephemeral-storage': '186130324519' },
      labels: { ...region, 'node-role.kubernetes.io/worker': '', [TIER_LABEL]: 'app' },
      instanceType: 'm6i.4xlarge',
      // Two nodes that may move data in each zone, with the backup pool's (a and b): the app
      // pool's fourth node goes to the zone the backup pool lacks, as a per-zone node group would.
      zones: [ZONES[2], ZONES[0], ZONES[1]],
    },
    {
      names: backup,
      capacity: { cpu: '8', memory: '32086472Ki', pods: '58', 'ephemeral-storage': '101430960Ki' },
      allocatable: { cpu: '7910m', memory: '31069640Ki', pods: '58', 'ephemeral-storage': '92400000000' },
      labels: { ...region, 'node-role.kubernetes.io/backup': '', [TIER_LABEL]: 'backup' },
      taints: [{ key: 'dedicated', value: 'backup', effect: 'PreferNoSchedule' }],
      instanceType: 'm6i.2xlarge',
      zones: ZONES.slice(0, 2),
    },
    {
      names: controlPlane,
      capacity: { cpu: '4', memory: '16069260Ki', pods: '110', 'ephemeral-storage': '50620216Ki' },
      allocatable: { cpu: '3920m', memory: '15352460Ki', pods: '110', 'ephemeral-storage': '46651590989' },
      labels: { ...region, 'node-role.kubernetes.io/control-plane': '' },
      taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
      instanceType: 'm6i.xlarge',
      zones: ZONES,
    },
  ];

  const sizes = random.fork('sizes');
  const apps = random.fork('apps');
  const pvcs: InventoryPvc[] = [];
  namespaceCounts(CAPTURED_PVCS, NAMESPACES.length).forEach((count, i) => {
    const namespace = NAMESPACES[i];
    // One to four StatefulSets per namespace, sharing its PVCs.
    const sets = Math.min(count, apps.int(1, 4));
    const chosen: string[] = [];
    while (chosen.length < sets) {
      const a = STATEFUL_APPS[apps.int(0, STATEFUL_APPS.length - 1)];
      if (!chosen.includes(a)) chosen.push(a);
    }
    for (let k = 0; k < count; k++) {
      const set = chosen[k % sets];
      const gib = sample({ kind: 'lognormal', median: 8, sigma: 1, min: 0.4, max: 1024 }, sizes);
      const snapped = SIZE_LADDER.reduce((best, s) => (Math.abs(Math.log(s / gib)) < Math.abs(Math.log(best / gib)) ? s : best));
      pvcs.push({ namespace, name: `data-${set}-${Math.floor(k / sets)}`, size: gibText(snapped), storageClass: WFFC_NAMESPACES.has(namespace) ? WFFC_STORAGE_CLASS : CSI_STORAGE_CLASS });
    }
  });
  const notCsi: InventoryPvc[] = [
    { namespace: 'monitoring', name: 'node-exporter-textfile-0', size: '1Gi', storageClass: LOCAL_STORAGE_CLASS },
    { namespace: 'monitoring', name: 'node-exporter-textfile-1', size: '1Gi', storageClass: LOCAL_STORAGE_CLASS },
    { namespace: 'logging', name: 'fluent-bit-buffer-0', size: '20Gi', storageClass: LOCAL_STORAGE_CLASS },
    { namespace: 'logging', name: 'fluent-bit-buffer-1', size: '20Gi', storageClass: LOCAL_STORAGE_CLASS },
  ];
  const pending: InventoryPvc[] = [
    { namespace: 'analytics', name: 'scratch-spark-0', size: '200Gi', storageClass: WFFC_STORAGE_CLASS },
    { namespace: 'analytics', name: 'scratch-spark-1', size: '200Gi', storageClass: WFFC_STORAGE_CLASS },
    { namespace: 'reporting', name: 'data-clickhouse-new-0', size: '500Gi', storageClass: WFFC_STORAGE_CLASS },
  ];
  const noSnapshotClass: InventoryPvc[] = [
    { namespace: 'media', name: 'uploads', size: '2Ti', storageClass: NFS_STORAGE_CLASS },
    { namespace: 'media', name: 'thumbnails', size: '500Gi', storageClass: NFS_STORAGE_CLASS },
    { namespace: 'cms', name: 'static-assets', size: '100Gi', storageClass: NFS_STORAGE_CLASS },
    { namespace: 'cms', name: 'wordpress-content', size: '50Gi', storageClass: NFS_STORAGE_CLASS },
    { namespace: 'support', name: 'attachments', size: '250Gi', storageClass: NFS_STORAGE_CLASS },
  ];

  // Written as people write it: four-space indents, short arrays on one line, a final newline.
  const nodeAgentConfig = `{
    "loadConcurrency": {
        "globalConfig": 1,
        "perNodeConfig": [
            {
                "nodeSelector": { "matchLabels": { "${TIER_LABEL}": "backup" } },
                "number": 3
            },
            {
                "nodeSelector": { "matchExpressions": [ { "key": "kubernetes.io/hostname", "operator": "In", "values": ["${backup[1]}"] } ] },
                "number": 2
            },
            {
                "nodeSelector": { "matchLabels": { "kubernetes.io/hostname": "${app[2]}" } },
                "number": 1
            }
        ],
        "prepareQueueLength": 12
    },
    "loadAffinity": [
        {
            "nodeSelector": { "matchLabels": { "${TIER_LABEL}": "backup" } }
        },
        {
            "nodeSelector": { "matchExpressions": [ { "key": "kubernetes.io/hostname", "operator": "In", "values": ["${app[0]}", "${app[1]}"] } ] },
            "storageClass": "${WFFC_STORAGE_CLASS}"
        }
    ],
    "podResources": {
        "cpuRequest": "500m",
        "cpuLimit": "2",
        "memoryRequest": "1Gi",
        "memoryLimit": "4Gi"
    }
}
`;
  const schedules = [
    {
      name: 'daily-apps',
      schedule: '0 1 * * *',
      template: {
        includedNamespaces: ['payments', 'orders', 'catalog', 'checkout', 'inventory', 'shipping', 'accounts', 'billing', 'ledger'],
        snapshotMoveData: true,
        itemOperationTimeout: '6h',
        ttl: '720h0m0s',
        storageLocation: 'default',
      },
    },
    {
      name: 'hourly-critical',
      schedule: '0 * * * *',
      // legacy-* matches no namespace any more.
      template: { includedNamespaces: ['payments', 'ledger', 'auth', 'legacy-*'], snapshotMoveData: true, itemOperationTimeout: '2h', ttl: '72h0m0s' },
    },
    {
      name: 'weekly-full',
      schedule: '0 3 * * 0',
      template: { includedNamespaces: ['*'], excludedNamespaces: ['kube-system', VELERO_NAMESPACE, 'logging', 'monitoring'], snapshotMoveData: true, ttl: '2160h0m0s' },
    },
  ];
  return {
    pools,
    pvcs,
    notCsi,
    pending,
    noSnapshotClass,
    namespaces: NAMESPACES,
    nodeAgentConfig,
    schedules,
    veleroArgs: ['server', '--uploader-type=kopia', '--features=EnableCSI', '--concurrent-backups=2', '--default-item-operation-timeout=4h'],
    nodeAgentArgs: ['node-agent', 'server', `--node-agent-configmap=${NODE_AGENT_CONFIGMAP}`, '--data-mover-prepare-timeout', '45m'],
  };
}

const BUILDERS: Record<InventoryName, (seed: number) => Inventory> = { production: productionInventory };

/** The embedded cluster holding the inventory: nodes and CSI driver simulated, on the wall clock. */
export async function startInventoryCluster(opts: { name?: InventoryName; seed?: number; port?: number } = {}): Promise<{ cluster: EmbeddedCluster; inventory: Inventory }> {
  const seed = opts.seed ?? 1;
  const inventory = BUILDERS[opts.name ?? 'production'](seed);
  const cluster = await startEmbeddedCluster({ seed, port: opts.port, crdFiles: INVENTORY_CRD_FILES, simulation: { nodes: inventory.pools, storageTopology: 'zonal' } });
  try {
    loadInventory(cluster, inventory);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return { cluster, inventory };
}

/** Writes the inventory's objects into a cluster started with its node pools (server-side, not over HTTP). */
export function loadInventory(cluster: EmbeddedCluster, inv: Inventory): void {
  const sim = cluster.simulation;
  if (!sim) throw new Error('loadInventory: the cluster has no simulation (start it with the inventory\'s node pools)');
  const api = cluster.server.api;
  const info = (group: string, version: string, resource: string) => resourceInfo(api, group, version, resource);
  const namespaces = info('', 'v1', 'namespaces');
  for (const ns of [...inv.namespaces, VELERO_NAMESPACE]) if (!api.table(namespaces).get(ns)) api.create(namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });

  // The per-node label of the hostpath driver's node plugin.
  const nodes = info('', 'v1', 'nodes');
  for (const pool of inv.pools) {
    for (const name of pool.names ?? []) {
      mutate(api, nodes, undefined, name, (n) => {
        n.metadata.labels = { ...n.metadata.labels, [HOSTPATH_NODE_LABEL]: name };
      });
    }
  }

  const storageClasses = info('storage.k8s.io', 'v1', 'storageclasses');
  const storageClass = (name: string, provisioner: string, volumeBindingMode: string) =>
    api.create(storageClasses, undefined, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner, reclaimPolicy: 'Delete', volumeBindingMode, allowVolumeExpansion: true });
  storageClass(WFFC_STORAGE_CLASS, CSI_HOSTPATH_DRIVER, 'WaitForFirstConsumer');
  storageClass(NFS_STORAGE_CLASS, NFS_DRIVER, 'Immediate');
  storageClass(LOCAL_STORAGE_CLASS, 'kubernetes.io/no-provisioner', 'WaitForFirstConsumer');

  for (const p of inv.pvcs) createWorkloadPvc(sim.ctx, { namespace: p.namespace, name: p.name, size: p.size, storageClassName: p.storageClass });
  for (const p of inv.noSnapshotClass) createWorkloadPvc(sim.ctx, { namespace: p.namespace, name: p.name, size: p.size, storageClassName: p.storageClass, driver: NFS_DRIVER, accessModes: ['ReadWriteMany'] });
  inv.notCsi.forEach((p, i) => localVolume(api, p, inv.pools[0].names![i % inv.pools[0].names!.length]));
  const pvcInfo = info('', 'v1', 'persistentvolumeclaims');
  for (const p of inv.pending) {
    api.create(pvcInfo, p.namespace, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: p.name, namespace: p.namespace },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: p.size } }, storageClassName: p.storageClass, volumeMode: 'Filesystem' },
    });
  }

  api.create(info('', 'v1', 'configmaps'), VELERO_NAMESPACE, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: NODE_AGENT_CONFIGMAP, namespace: VELERO_NAMESPACE, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"apiVersion":"v1","kind":"ConfigMap"}' } },
    data: { [NODE_AGENT_CONFIG_KEY]: inv.nodeAgentConfig },
  });
  const scheduleInfo = info('velero.io', 'v1', 'schedules');
  for (const s of inv.schedules) {
    api.create(scheduleInfo, VELERO_NAMESPACE, { apiVersion: 'velero.io/v1', kind: 'Schedule', metadata: { name: s.name, namespace: VELERO_NAMESPACE }, spec: { schedule: s.schedule, template: s.template } });
  }
  const podTemplate = (name: string, args: string[]) => ({
    metadata: { labels: { name } },
    spec: { serviceAccountName: 'velero', containers: [{ name, image: 'velero/velero:v1.17.0', command: ['/velero'], args }] },
  });
  api.create(info('apps', 'v1', 'deployments'), VELERO_NAMESPACE, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'velero', namespace: VELERO_NAMESPACE },
    spec: { replicas: 1, selector: { matchLabels: { name: 'velero' } }, template: podTemplate('velero', inv.veleroArgs) },
  });
  api.create(info('apps', 'v1', 'daemonsets'), VELERO_NAMESPACE, {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'node-agent', namespace: VELERO_NAMESPACE },
    spec: { selector: { matchLabels: { name: 'node-agent' } }, template: podTemplate('node-agent', inv.nodeAgentArgs) },
  });
  cluster.server.controllers.drain();
}

/** A bound PVC on a local PersistentVolume (spec.local, no CSI), as the local static provisioner makes them. */
function localVolume(api: KubeApi, p: InventoryPvc, node: string): void {
  const pvInfo = resourceInfo(api, '', 'v1', 'persistentvolumes');
  const pvcInfo = resourceInfo(api, '', 'v1', 'persistentvolumeclaims');
  const pvName = `local-pv-${p.namespace}-${p.name}`;
  const pvc = api.create(pvcInfo, p.namespace, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: p.name, namespace: p.namespace },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: p.size } }, storageClassName: p.storageClass, volumeMode: 'Filesystem', volumeName: pvName },
  }).obj;
  api.create(pvInfo, undefined, {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: pvName },
    spec: {
      capacity: { storage: p.size },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: p.storageClass,
      volumeMode: 'Filesystem',
      local: { path: `/mnt/disks/${p.name}` },
      claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: p.namespace, name: p.name, uid: pvc.metadata.uid },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
    },
  });
  mutate(api, pvInfo, undefined, pvName, (o) => {
    o.status = { phase: 'Bound' };
  });
  mutate(api, pvcInfo, p.namespace, p.name, (o) => {
    o.status = { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: p.size } };
  });
}
