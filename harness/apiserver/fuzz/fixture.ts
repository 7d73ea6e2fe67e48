// The objects a fuzzed server starts with, and the paths the generators aim at. Seeded over
// HTTP, so the fuzz test's child process and the benchmark's `npm run cluster` seed alike.

export const PATHS = {
  configmaps: '/api/v1/namespaces/default/configmaps',
  pods: '/api/v1/namespaces/default/pods',
  namespaces: '/api/v1/namespaces',
  datauploads: '/apis/velero.io/v2alpha1/namespaces/velero/datauploads',
} as const;

export type Target = keyof typeof PATHS;

/** Names that exist in each collection of PATHS once the fixture is seeded. */
export const EXISTING: Record<Target, string[]> = {
  configmaps: ['cm1', 'victim'],
  pods: ['p1', 'p2'],
  namespaces: ['fuzz', 'velero', 'default'],
  datauploads: ['du1'],
};

/** Names the generators create objects under: a few, so accepted creates cannot grow the store without bound. */
export const NEW_NAMES = ['fz-a', 'fz-b', 'fz-c'];

export function configMap(name: string, data: Record<string, unknown> = { key: 'value' }): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app: 'fuzz' } }, data };
}

export function pod(name: string, nodeName?: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'fuzz' } },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [{ name: 'c', image: 'busybox:1.36', resources: { requests: { cpu: '100m', memory: '64Mi' } } }],
    },
  };
}

export function namespace(name: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { app: 'fuzz' } } };
}

export function dataUpload(name: string): Record<string, unknown> {
  return {
    apiVersion: 'velero.io/v2alpha1',
    kind: 'DataUpload',
    metadata: { name, labels: { 'velero.io/backup-name': 'fuzz' } },
    spec: {
      snapshotType: 'CSI',
      csiSnapshot: { volumeSnapshot: 'vs-1', storageClass: 'csi-hostpath-sc', snapshotClass: 'csi-hostpath-snapclass' },
      sourcePVC: 'pvc-1',
      sourceNamespace: 'default',
      backupStorageLocation: 'default',
      operationTimeout: '10m0s',
    },
  };
}

/** A valid body for a create or update of one of the targets. */
export function validObject(target: Target, name: string): Record<string, unknown> {
  switch (target) {
    case 'configmaps':
      return configMap(name);
    case 'pods':
      return pod(name);
    case 'namespaces':
      return namespace(name);
    case 'datauploads':
      return dataUpload(name);
  }
}

/** The seeded objects: the collection each is created in, and its body. */
export const SEED: [string, Record<string, unknown>][] = [
  [PATHS.namespaces, namespace('fuzz')],
  [PATHS.namespaces, namespace('velero')],
  [PATHS.configmaps, configMap('cm1')],
  [PATHS.configmaps, configMap('victim', { important: 'do not lose me' })],
  ['/api/v1/namespaces/fuzz/configmaps', configMap('cm1')],
  [PATHS.pods, pod('p1')],
  // Scheduled, so that its deletion is graceful (a deletionTimestamp first).
  [PATHS.pods, pod('p2', 'worker-0')],
  [PATHS.datauploads, dataUpload('du1')],
];

/**
 * Store keys ("group/resource|namespace/name") of the seeded objects; when a request removes
 * one or starts deleting it, the runner seeds a fresh server so later requests still find them.
 */
export const FIXTURE_KEYS = [
  '/namespaces|default',
  '/namespaces|fuzz',
  '/namespaces|velero',
  '/configmaps|default/cm1',
  '/configmaps|default/victim',
  '/configmaps|fuzz/cm1',
  '/pods|default/p1',
  '/pods|default/p2',
  'velero.io/datauploads|velero/du1',
];

export async function seedFixture(baseUrl: string): Promise<void> {
  for (const [path, body] of SEED) {
    const res = await fetch(baseUrl + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`seeding ${path} ${JSON.stringify(body)}: ${res.status} ${await res.text()}`);
  }
}
