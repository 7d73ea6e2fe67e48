import { describe, expect, it } from 'vitest';
import {
  accessModes,
  builtinPrinterColumns,
  canonicalQuantity,
  evalJsonPath,
  humanDuration,
  parseJsonPath,
  podSummary,
  toTable,
} from './table.ts';
import type { KubeObject, PrinterColumn, ResourceInfo } from './types.ts';

const NOW = new Date('2025-06-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function builtin(group: string, version: string, resource: string, kind: string, namespaced = true): ResourceInfo {
  return {
    group, version, resource, kind, singular: kind.toLowerCase(), listKind: `${kind}List`, namespaced,
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'],
    subresources: [], printerColumns: [], crd: false,
  };
}

const DATAUPLOAD_COLUMNS: PrinterColumn[] = [
  { name: 'Status', type: 'string', jsonPath: '.status.phase', description: 'DataUpload status such as New/InProgress' },
  { name: 'Started', type: 'date', jsonPath: '.status.startTimestamp' },
  { name: 'Bytes Done', type: 'integer', format: 'int64', jsonPath: '.status.progress.bytesDone' },
  { name: 'Incremental Bytes', type: 'integer', format: 'int64', jsonPath: '.status.incrementalBytes', priority: 10 },
  { name: 'Node', type: 'string', jsonPath: '.status.node' },
];
const dataUploads: ResourceInfo = {
  ...builtin('velero.io', 'v2alpha1', 'datauploads', 'DataUpload'),
  crd: true,
  printerColumns: DATAUPLOAD_COLUMNS,
};

const obj = (name: string, rest: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name, namespace: 'default', resourceVersion: '7', creationTimestamp: ago(312), ...meta },
  ...rest,
});

describe('humanDuration (apimachinery util/duration)', () => {
  it.each([
    [-3, '<invalid>'], [-1.5, '0s'], [0, '0s'], [59, '59s'], [119, '119s'], [120, '2m'], [312, '5m12s'],
    [599, '9m59s'], [600, '10m'], [179 * 60, '179m'], [180 * 60, '3h'], [3 * 3600 + 5 * 60, '3h5m'],
    [8 * 3600, '8h'], [47 * 3600, '47h'], [48 * 3600, '2d'], [3 * 86400 + 4 * 3600, '3d4h'], [8 * 86400, '8d'],
    [729 * 86400, '729d'], [730 * 86400, '2y'], [740 * 86400, '2y10d'], [8 * 365 * 86400, '8y'],
  ])('%s seconds -> %s', (seconds, text) => {
    expect(humanDuration(seconds * 1000)).toBe(text);
  });
});

describe('canonicalQuantity (resource.Quantity.String)', () => {
  it.each([
    ['20Gi', '20Gi'], ['20480Mi', '20Gi'], ['1024Mi', '1Gi'], ['1.5Gi', '1536Mi'], ['0.5Gi', '512Mi'], ['1500Mi', '1500Mi'],
    ['512', '512'], ['1000', '1k'], ['0.5', '500m'], ['100m', '100m'], ['1e3', '1e3'], ['0', '0'], ['12Ki', '12Ki'],
    [20, '20'], ['garbage', 'garbage'],
  ])('%s -> %s', (input, text) => {
    expect(canonicalQuantity(input)).toBe(text);
  });
});

describe('JSONPath subset', () => {
  const doc = {
    status: {
      conditions: [{ type: 'Ready', status: 'True' }, { type: 'Synced', status: 'False' }],
      items: [{ name: 'a' }, { name: 'b' }],
    },
    metadata: { annotations: { 'example.com/owner': 'me' } },
  };
  it.each([
    ['.status.items[0].name', ['a']],
    ['.status.items[-1].name', ['b']],
    ['.status.items[*].name', ['a', 'b']],
    ['.status.items[0:1].name', ['a']],
    ['.status.conditions[?(@.type=="Synced")].status', ['False']],
    ["{.metadata.annotations['example.com/owner']}", ['me']],
    ['.status.missing.deeper', []],
  ])('%s', (path, values) => {
    expect(evalJsonPath(parseJsonPath(path), doc)).toEqual(values);
  });

  it('fails on an index past the end, as client-go jsonpath does', () => {
    expect(() => evalJsonPath(parseJsonPath('.status.items[5].name'), doc)).toThrow(/out of bounds/);
  });
});

describe('toTable: custom resources', () => {
  const du = obj('du-1', {
    apiVersion: 'velero.io/v2alpha1',
    kind: 'DataUpload',
    status: { phase: 'InProgress', startTimestamp: ago(90), progress: { bytesDone: 1024.7 }, node: { name: 'node-a' } },
  });

  it('prints Name and the additionalPrinterColumns with the CRD convertor typing rules', () => {
    const table = toTable(dataUploads, [du], NOW, {});
    expect(table.columnDefinitions).toEqual([
      expect.objectContaining({ name: 'Name', type: 'string', format: 'name', priority: 0 }),
      { name: 'Status', type: 'string', format: '', description: 'DataUpload status such as New/InProgress', priority: 0 },
      { name: 'Started', type: 'date', format: '', description: 'Custom resource definition column (in JSONPath format): .status.startTimestamp', priority: 0 },
      expect.objectContaining({ name: 'Bytes Done', type: 'integer', format: 'int64' }),
      expect.objectContaining({ name: 'Incremental Bytes', priority: 10 }),
      expect.objectContaining({ name: 'Node' }),
    ]);
    // integer columns truncate, missing values are null, objects in string columns print as JSON
    expect(table.rows[0].cells).toEqual(['du-1', 'InProgress', '90s', 1024, null, '{"name":"node-a"}']);
  });

  it('falls back to Name and Age when the CRD declares no columns', () => {
    const table = toTable({ ...dataUploads, printerColumns: [] }, [du], NOW, {});
    expect(table.columnDefinitions.map((c) => [c.name, c.type])).toEqual([['Name', 'string'], ['Age', 'date']]);
    expect(table.rows[0].cells).toEqual(['du-1', '5m12s']);
  });

  it('applies the date rules: empty is <unknown>, unparseable is <invalid>', () => {
    const cols: PrinterColumn[] = [{ name: 'T', type: 'date', jsonPath: '.status.t' }];
    const r = { ...dataUploads, printerColumns: cols };
    expect(toTable(r, [obj('a', { status: { t: '' } })], NOW, {}).rows[0].cells[1]).toBe('<unknown>');
    expect(toTable(r, [obj('a', { status: { t: 'yesterday' } })], NOW, {}).rows[0].cells[1]).toBe('<invalid>');
    expect(toTable(r, [obj('a', { status: { t: 5 } })], NOW, {}).rows[0].cells[1]).toBeNull();
  });

  it('prints only the first match of a wildcard and null for an out-of-range index', () => {
    const cols: PrinterColumn[] = [
      { name: 'First', type: 'string', jsonPath: '.spec.items[*].name' },
      { name: 'Tenth', type: 'string', jsonPath: '.spec.items[9].name' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Flag', type: 'boolean', jsonPath: '.spec.flag' },
      { name: 'Ratio', type: 'number', jsonPath: '.spec.ratio' },
    ];
    const table = toTable({ ...dataUploads, printerColumns: cols }, [obj('a', {
      spec: { items: [{ name: 'x' }, { name: 'y' }], flag: 'yes', ratio: 0.25 },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    })], NOW, {});
    expect(table.rows[0].cells).toEqual(['a', 'x', null, 'True', null, 0.25]);
  });
});

describe('toTable: rows, objects and list metadata', () => {
  const pods = builtin('', 'v1', 'pods', 'Pod');
  const pod = obj('web', { apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ name: 'c' }] } }, { labels: { app: 'web' } });

  it('carries PartialObjectMetadata by default, as kube-apiserver does for kubectl get', () => {
    const table = toTable(pods, [pod], NOW, {});
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '7' } });
    expect(table.rows[0].object).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata });
  });

  it('carries the full object for includeObject=Object and nothing for None', () => {
    expect(toTable(pods, [pod], NOW, { includeObject: 'Object' }).rows[0].object).toEqual(pod);
    const bare = { metadata: { name: 'x' } };
    expect(toTable(pods, [bare], NOW, { includeObject: 'Object' }).rows[0].object).toEqual({ apiVersion: 'v1', kind: 'Pod', ...bare });
    expect(toTable(pods, [pod], NOW, { includeObject: 'None' }).rows[0].object).toBeNull();
  });

  it('uses the list metadata for lists', () => {
    const table = toTable(pods, [pod, pod], NOW, { listMeta: { resourceVersion: '99', continue: 'abc', remainingItemCount: 3 } });
    expect(table.metadata).toEqual({ resourceVersion: '99', continue: 'abc', remainingItemCount: 3 });
    expect(toTable(pods, [pod], NOW, { listMeta: {} }).metadata).toEqual({});
    expect(toTable(pods, [], NOW, {}).rows).toEqual([]);
    expect(toTable(pods, [pod], NOW, { noHeaders: true }).columnDefinitions).toEqual([]);
  });
});

describe('pods: READY, STATUS, RESTARTS as kubectl shows them', () => {
  const pod = (status: Record<string, unknown>, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) =>
    obj('p', { spec: { containers: [{ name: 'c' }], ...spec }, status }, meta) as KubeObject & Record<string, any>;
  const waiting = (reason: string) => ({ name: 'c', ready: false, restartCount: 0, state: { waiting: { reason } } });

  it.each([
    ['Pending without status', pod({ phase: 'Pending' }), '0/1', 'Pending'],
    ['ContainerCreating', pod({ phase: 'Pending', containerStatuses: [waiting('ContainerCreating')] }), '0/1', 'ContainerCreating'],
    ['ImagePullBackOff', pod({ phase: 'Pending', containerStatuses: [waiting('ImagePullBackOff')] }), '0/1', 'ImagePullBackOff'],
    ['Running', pod({ phase: 'Running', containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: { running: {} } }] }), '1/1', 'Running'],
    ['Completed', pod({ phase: 'Succeeded', containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }), '0/1', 'Completed'],
    ['Error', pod({ phase: 'Failed', containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 1, reason: 'Error' } } }] }), '0/1', 'Error'],
    ['ExitCode without reason', pod({ phase: 'Failed', containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 137 } } }] }), '0/1', 'ExitCode:137'],
    ['Evicted', pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' }), '0/1', 'Evicted'],
    ['Terminating', pod({ phase: 'Running' }, {}, { deletionTimestamp: ago(1) }), '0/1', 'Terminating'],
    ['Unknown (node lost)', pod({ phase: 'Running', reason: 'NodeLost' }, {}, { deletionTimestamp: ago(1) }), '0/1', 'Unknown'],
    ['SchedulingGated', pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }), '0/1', 'SchedulingGated'],
    ['Init:0/2', pod({ phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { running: {} } }] },
      { initContainers: [{ name: 'i1' }, { name: 'i2' }] }), '0/1', 'Init:0/2'],
    ['Init:CrashLoopBackOff', pod({ phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
      { initContainers: [{ name: 'i1' }] }), '0/1', 'Init:CrashLoopBackOff'],
    ['Init:Error', pod({ phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 2, reason: 'Error' } } }] },
      { initContainers: [{ name: 'i1' }] }), '0/1', 'Init:Error'],
    ['sidecar counts as a container', pod({
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [{ name: 'side', started: true, ready: true, state: { running: {} } }],
      containerStatuses: [{ name: 'c', ready: true, state: { running: {} } }],
    }, { initContainers: [{ name: 'side', restartPolicy: 'Always' }] }), '2/2', 'Running'],
    ['Completed container but another still running', pod({
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [
        { name: 'a', ready: true, state: { running: {} } },
        { name: 'b', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      ],
    }, { containers: [{ name: 'a' }, { name: 'b' }] }), '1/2', 'NotReady'],
  ])('%s', (_name, p, ready, status) => {
    expect(podSummary(p, NOW)).toMatchObject({ ready, status });
  });

  it('shows restarts with the time since the last one', () => {
    const p = pod({
      phase: 'Running',
      containerStatuses: [{ name: 'c', ready: true, restartCount: 3, state: { running: {} }, lastState: { terminated: { exitCode: 1, finishedAt: ago(300) } } }],
    });
    expect(podSummary(p, NOW).restarts).toBe('3 (5m ago)');
    expect(podSummary(pod({ phase: 'Running', containerStatuses: [{ name: 'c', restartCount: 2 }] }), NOW).restarts).toBe('2');
  });

  it('prints the wide columns and a Completed row condition', () => {
    const table = toTable(builtin('', 'v1', 'pods', 'Pod'), [pod({
      phase: 'Succeeded',
      podIPs: [{ ip: '10.0.0.7' }],
      containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    }, { nodeName: 'node-a', readinessGates: [{ conditionType: 'x/ready' }] })], NOW, {});
    expect(table.columnDefinitions.map((c) => `${c.name}:${c.priority}`)).toEqual([
      'Name:0', 'Ready:0', 'Status:0', 'Restarts:0', 'Age:0', 'IP:1', 'Node:1', 'Nominated Node:1', 'Readiness Gates:1',
    ]);
    expect(table.rows[0].cells).toEqual(['p', '0/1', 'Completed', '0', '5m12s', '10.0.0.7', 'node-a', '<none>', '0/1']);
    expect(table.rows[0].conditions).toEqual([{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
  });
});

describe('other built-in printers', () => {
  it('nodes: Ready/NotReady/Unknown, SchedulingDisabled, roles from labels', () => {
    const nodes = builtin('', 'v1', 'nodes', 'Node', false);
    const table = toTable(nodes, [
      obj('a', {
        spec: { unschedulable: true },
        status: {
          conditions: [{ type: 'Ready', status: 'True' }],
          nodeInfo: { kubeletVersion: 'v1.33.0' },
          addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
        },
      }, { labels: { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'infra' } }),
      obj('b', { status: { conditions: [{ type: 'Ready', status: 'False' }] } }),
      obj('c', {}),
    ], NOW, { listMeta: {} });
    expect(table.rows.map((r) => r.cells.slice(0, 5))).toEqual([
      ['a', 'Ready,SchedulingDisabled', 'control-plane,infra,worker', '5m12s', 'v1.33.0'],
      ['b', 'NotReady', '<none>', '5m12s', ''],
      ['c', 'Unknown', '<none>', '5m12s', ''],
    ]);
    expect(table.rows[0].cells.slice(5)).toEqual(['10.0.0.1', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  });

  it('persistentvolumeclaims: capacity and access modes only once bound', () => {
    const pvcs = builtin('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim');
    const table = toTable(pvcs, [
      obj('bound', {
        spec: { volumeName: 'pv-1', storageClassName: 'standard', resources: { requests: { storage: '20Gi' } } },
        status: { phase: 'Bound', capacity: { storage: '20480Mi' }, accessModes: ['ReadWriteOnce'] },
      }),
      obj('pending', { spec: { storageClassName: 'standard', volumeMode: 'Block' }, status: { phase: 'Pending' } }),
      obj('going', { spec: {}, status: { phase: 'Bound' } }, { deletionTimestamp: ago(1), annotations: { 'volume.beta.kubernetes.io/storage-class': 'beta' } }),
    ], NOW, { listMeta: {} });
    expect(table.columnDefinitions.map((c) => c.name)).toEqual([
      'Name', 'Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age', 'VolumeMode',
    ]);
    expect(table.rows.map((r) => r.cells)).toEqual([
      ['bound', 'Bound', 'pv-1', '20Gi', 'RWO', 'standard', '<unset>', '5m12s', '<unset>'],
      ['pending', 'Pending', '', '', '', 'standard', '<unset>', '5m12s', 'Block'],
      ['going', 'Terminating', '', '', '', 'beta', '<unset>', '5m12s', '<unset>'],
    ]);
  });

  it('persistentvolumes', () => {
    const table = toTable(builtin('', 'v1', 'persistentvolumes', 'PersistentVolume', false), [obj('pv-1', {
      spec: {
        capacity: { storage: '20Gi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: 'standard', claimRef: { namespace: 'default', name: 'pvc-1' },
      },
      status: { phase: 'Bound' },
    })], NOW, {});
    expect(table.rows[0].cells).toEqual(['pv-1', '20Gi', 'RWO,RWX', 'Delete', 'Bound', 'default/pvc-1', 'standard', '<unset>', '', '5m12s', '<unset>']);
  });

  it('events: core/v1 and events.k8s.io/v1 print the same columns', () => {
    const core = obj('du-1.abc', {
      apiVersion: 'v1', kind: 'Event', type: 'Normal', reason: 'Data-Path-Progress', message: ' {"doneBytes":5} ',
      involvedObject: { kind: 'DataUpload', name: 'du-1', namespace: 'default' },
      firstTimestamp: ago(600), lastTimestamp: ago(30), count: 4, source: { component: 'node-agent', host: 'node-a' },
    });
    const modern = obj('du-1.def', {
      apiVersion: 'events.k8s.io/v1', kind: 'Event', type: 'Warning', reason: 'Data-Path-Failed', note: 'boom',
      regarding: { kind: 'DataUpload', name: 'du-1' }, eventTime: '2025-06-01T11:59:00.000000Z',
      reportingController: 'node-agent', reportingInstance: 'node-b',
    });
    const core1 = toTable(builtin('', 'v1', 'events', 'Event'), [core], NOW, {});
    expect(core1.columnDefinitions.map((c) => c.name)).toEqual([
      'Last Seen', 'Type', 'Reason', 'Object', 'Subobject', 'Source', 'Message', 'First Seen', 'Count', 'Name',
    ]);
    expect(core1.rows[0].cells).toEqual(['30s', 'Normal', 'Data-Path-Progress', 'dataupload/du-1', '', 'node-agent, node-a', '{"doneBytes":5}', '10m', 4, 'du-1.abc']);
    const ev = toTable(builtin('events.k8s.io', 'v1', 'events', 'Event'), [modern], NOW, {});
    expect(ev.rows[0].cells).toEqual(['60s', 'Warning', 'Data-Path-Failed', 'dataupload/du-1', '', 'node-agent, node-b', 'boom', '60s', 1, 'du-1.def']);
  });

  it('namespaces, configmaps, secrets, serviceaccounts, leases, storageclasses', () => {
    const row = (r: ResourceInfo, o: KubeObject) => toTable(r, [o], NOW, {}).rows[0].cells;
    expect(row(builtin('', 'v1', 'namespaces', 'Namespace', false), obj('velero', { status: { phase: 'Active' } }))).toEqual(['velero', 'Active', '5m12s']);
    expect(row(builtin('', 'v1', 'configmaps', 'ConfigMap'), obj('cfg', { data: { a: '1' }, binaryData: { b: 'AA==' } }))).toEqual(['cfg', 2, '5m12s']);
    expect(row(builtin('', 'v1', 'secrets', 'Secret'), obj('s', { type: 'Opaque', data: { a: 'MQ==' } }))).toEqual(['s', 'Opaque', 1, '5m12s']);
    expect(row(builtin('', 'v1', 'serviceaccounts', 'ServiceAccount'), obj('default', {}))).toEqual(['default', 0, '5m12s']);
    expect(row(builtin('coordination.k8s.io', 'v1', 'leases', 'Lease'), obj('l', { spec: { holderIdentity: 'me' } }))).toEqual(['l', 'me', '5m12s']);
    expect(row(builtin('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false), obj('standard', { provisioner: 'csi.x' }, {
      annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
    }))).toEqual(['standard (default)', 'csi.x', 'Delete', 'Immediate', false, '5m12s']);
  });

  it('daemonsets and deployments: counts from status, containers, images and selector from the spec', () => {
    const columns = (r: ResourceInfo) => toTable(r, [], NOW, {}).columnDefinitions.map((c) => c.name);
    const row = (r: ResourceInfo, o: KubeObject) => toTable(r, [o], NOW, {}).rows[0].cells;
    const template = {
      metadata: { labels: { app: 'a' } },
      spec: { nodeSelector: { zone: 'b', os: 'linux' }, containers: [{ name: 'main', image: 'velero:1' }, { name: 'side', image: 'proxy:2' }] },
    };
    const selector = { matchLabels: { app: 'a' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['y', 'x'] }, { key: 'canary', operator: 'DoesNotExist' }] };
    const ds = builtin('apps', 'v1', 'daemonsets', 'DaemonSet');
    expect(columns(ds)).toEqual(['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers', 'Images', 'Selector']);
    expect(row(ds, obj('node-agent', {
      spec: { selector, template },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 1 },
    }))).toEqual(['node-agent', 3, 3, 2, 1, 0, 'os=linux,zone=b', '5m12s', 'main,side', 'velero:1,proxy:2', 'app=a,!canary,tier in (x,y)']);
    expect(row(ds, obj('bare', { spec: {} }))).toEqual(['bare', 0, 0, 0, 0, 0, '<none>', '5m12s', '', '', '<none>']);
    const deploy = builtin('apps', 'v1', 'deployments', 'Deployment');
    expect(columns(deploy)).toEqual(['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector']);
    expect(row(deploy, obj('web', { spec: { replicas: 3, selector, template }, status: { readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1 } })))
      .toEqual(['web', '1/3', 2, 1, '5m12s', 'main,side', 'velero:1,proxy:2', 'app=a,!canary,tier in (x,y)']);
  });

  it('role bindings print the role and, wide, their subjects by kind; roles print Name and Created At', () => {
    const binding = obj('b', {
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [
        { kind: 'ServiceAccount', name: 'velero', namespace: 'velero' },
        { kind: 'User', name: 'alice' },
        { kind: 'User', name: 'bob' },
        { kind: 'Group', name: 'ops' },
      ],
    });
    for (const [resource, kind] of [['rolebindings', 'RoleBinding'], ['clusterrolebindings', 'ClusterRoleBinding']]) {
      const t = toTable(builtin('rbac.authorization.k8s.io', 'v1', resource, kind), [binding], NOW, {});
      expect(t.columnDefinitions.map((c) => [c.name, c.priority])).toEqual([['Name', 0], ['Role', 0], ['Age', 0], ['Users', 1], ['Groups', 1], ['ServiceAccounts', 1]]);
      expect(t.rows[0].cells).toEqual(['b', 'ClusterRole/view', '5m12s', 'alice, bob', 'ops', 'velero/velero']);
    }
    const role = toTable(builtin('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false), [obj('view', {}, { creationTimestamp: '2025-05-01T10:00:00Z' })], NOW, {});
    expect(role.columnDefinitions.map((c) => [c.name, c.type])).toEqual([['Name', 'string'], ['Created At', 'date']]);
    expect(role.rows[0].cells).toEqual(['view', '2025-05-01T10:00:00Z']);
  });

  it('customresourcedefinitions and unprinted built-ins use the default convertor (Name, Created At)', () => {
    const crds = builtin('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false);
    const table = toTable(crds, [obj('datauploads.velero.io', {}, { creationTimestamp: '2025-05-01T10:00:00.123Z' })], NOW, {});
    expect(table.columnDefinitions.map((c) => [c.name, c.type])).toEqual([['Name', 'string'], ['Created At', 'date']]);
    expect(table.rows[0].cells).toEqual(['datauploads.velero.io', '2025-05-01T10:00:00Z']);
    const other = toTable(builtin('apps', 'v1', 'controllerrevisions', 'ControllerRevision'), [obj('r', {}, { creationTimestamp: undefined })], NOW, {});
    expect(other.rows[0].cells).toEqual(['r', '0001-01-01T00:00:00Z']);
  });

  it('access modes print in the fixed order RWO,ROX,RWX,RWOP', () => {
    expect(accessModes(['ReadWriteOncePod', 'ReadWriteMany', 'ReadOnlyMany', 'ReadWriteOnce', 'ReadWriteOnce'])).toBe('RWO,ROX,RWX,RWOP');
    expect(accessModes(undefined)).toBe('');
  });

  it('builtinPrinterColumns describes the printed columns', () => {
    expect(builtinPrinterColumns('', 'pods')?.map((c) => c.name)).toEqual([
      'Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates',
    ]);
    expect(builtinPrinterColumns('', 'nodes')?.find((c) => c.name === 'Status')?.jsonPath).toContain('Ready');
    expect(builtinPrinterColumns('apps', 'deployments')?.map((c) => c.name)).toEqual(['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector']);
    expect(builtinPrinterColumns('apps', 'replicasets')).toBeUndefined();
  });
});
