import { describe, expect, it } from 'vitest';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError, supportsStrategicMerge } from './patch.ts';
import { thrown } from '../test/kube-messages.ts';

/** Freezes a test input all the way down, so any mutation by the code under test throws. */
function frozen<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const child of Object.values(v)) frozen(child);
    Object.freeze(v);
  }
  return v;
}


describe('applyJsonPatch', () => {
  const doc = frozen({
    metadata: { name: 'p', labels: { app: 'web' }, annotations: { 'example.com/a': '1', 'x~y': '2' } },
    spec: { containers: [{ name: 'a' }, { name: 'b' }] },
  });

  const cases: [name: string, ops: unknown[], check: (out: any) => void][] = [
    ['add an object key', [{ op: 'add', path: '/metadata/labels/tier', value: 'fe' }], (o) => expect(o.metadata.labels).toEqual({ app: 'web', tier: 'fe' })],
    [
      '~1 in a path is a slash',
      [{ op: 'add', path: '/metadata/annotations/example.com~1b', value: '3' }],
      (o) => expect(o.metadata.annotations['example.com/b']).toBe('3'),
    ],
    ['~0 in a path is a tilde', [{ op: 'remove', path: '/metadata/annotations/x~0y' }], (o) => expect(o.metadata.annotations).toEqual({ 'example.com/a': '1' })],
    ['add with "-" appends', [{ op: 'add', path: '/spec/containers/-', value: { name: 'c' } }], (o) => expect(o.spec.containers.map((c: any) => c.name)).toEqual(['a', 'b', 'c'])],
    ['add at an index inserts', [{ op: 'add', path: '/spec/containers/0', value: { name: 'z' } }], (o) => expect(o.spec.containers.map((c: any) => c.name)).toEqual(['z', 'a', 'b'])],
    ['remove an array item', [{ op: 'remove', path: '/spec/containers/0' }], (o) => expect(o.spec.containers).toEqual([{ name: 'b' }])],
    ['replace', [{ op: 'replace', path: '/spec/containers/1/name', value: 'B' }], (o) => expect(o.spec.containers[1]).toEqual({ name: 'B' })],
    [
      'move',
      [{ op: 'move', from: '/metadata/labels/app', path: '/metadata/labels/role' }],
      (o) => expect(o.metadata.labels).toEqual({ role: 'web' }),
    ],
    [
      'copy',
      [{ op: 'copy', from: '/spec/containers/0', path: '/spec/containers/-' }],
      (o) => expect(o.spec.containers).toEqual([{ name: 'a' }, { name: 'b' }, { name: 'a' }]),
    ],
    [
      'test then replace',
      [
        { op: 'test', path: '/metadata/labels', value: { app: 'web' } },
        { op: 'replace', path: '/metadata/name', value: 'q' },
      ],
      (o) => expect(o.metadata.name).toBe('q'),
    ],
    ['test for null passes on a missing key', [{ op: 'test', path: '/metadata/namespace', value: null }], (o) => expect(o).toEqual(doc)],
    // The json-patch library kube vendors lets replace create a missing object key.
    ['replace sets a missing object key', [{ op: 'replace', path: '/metadata/namespace', value: 'ns' }], (o) => expect(o.metadata.namespace).toBe('ns')],
  ];
  it.each(cases)('%s', (_name, ops, check) => {
    const out = applyJsonPatch(doc, frozen(ops));
    check(out);
  });

  it('does not share structure with the operations', () => {
    const value = { name: 'c', env: [] as unknown[] };
    const out = applyJsonPatch(doc, [{ op: 'add', path: '/spec/containers/-', value }]) as any;
    out.spec.containers[2].env.push('x');
    expect(value.env).toEqual([]);
  });

  const errors: [name: string, ops: unknown, message: string, code: number][] = [
    ['failed test', [{ op: 'test', path: '/metadata/name', value: 'other' }], 'testing value /metadata/name failed: test failed', 422],
    ['test with a missing parent', [{ op: 'test', path: '/status/phase/x', value: 1 }], 'test operation does not apply: is missing path: /status/phase/x: missing value', 422],
    ['add below a missing parent', [{ op: 'add', path: '/spec/missing/x', value: 1 }], 'add operation does not apply: doc is missing path: "/spec/missing/x": missing value', 422],
    [
      'remove of a missing key',
      [{ op: 'remove', path: '/metadata/labels/nope' }],
      "error in remove for path: '/metadata/labels/nope': Unable to remove nonexistent key: nope: missing value",
      422,
    ],
    [
      'add past the end',
      [{ op: 'add', path: '/spec/containers/5', value: {} }],
      "error in add for path: '/spec/containers/5': Unable to access invalid index: 5: invalid index referenced",
      422,
    ],
    ['replace past the end', [{ op: 'replace', path: '/spec/containers/7', value: {} }], 'replace operation does not apply: doc is missing key: /spec/containers/7: missing value', 422],
    [
      'non-numeric array index',
      [{ op: 'remove', path: '/spec/containers/x' }],
      `error in remove for path: '/spec/containers/x': strconv.Atoi: parsing "x": invalid syntax`,
      422,
    ],
    ['move from a missing key', [{ op: 'move', from: '/metadata/nope', path: '/metadata/x' }], "error in move for path: 'nope': Unable to remove nonexistent key: nope: missing value", 422],
    ['unknown op', [{ op: 'frobnicate', path: '/a' }], 'Unexpected kind: frobnicate', 422],
    ['add without a path', [{ op: 'add', value: 1 }], 'add operation failed to decode path: missing value', 422],
    ['operations not a list', { op: 'add' }, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch', 400],
  ];
  it.each(errors)('rejects %s', (_name, ops, message, code) => {
    const err = thrown(() => applyJsonPatch(doc, ops));
    expect(err).toBeInstanceOf(PatchError);
    expect((err as PatchError).message).toBe(message);
    expect((err as PatchError).code).toBe(code);
  });

  it('applies nothing when a later operation fails', () => {
    const ops = [
      { op: 'replace', path: '/metadata/name', value: 'q' },
      { op: 'test', path: '/metadata/name', value: 'p' },
    ];
    expect(() => applyJsonPatch(doc, ops)).toThrow('testing value /metadata/name failed: test failed');
    expect(doc.metadata.name).toBe('p');
  });
});

describe('applyMergePatch', () => {
  const doc = frozen({
    metadata: { name: 'cm', labels: { app: 'web', tier: 'fe' } },
    data: { a: '1', b: '2' },
    list: [{ name: 'x', v: 1 }, { name: 'y' }],
  });
  const cases: [name: string, patch: unknown, expected: unknown][] = [
    [
      'null deletes, other keys merge',
      { metadata: { labels: { tier: null, role: 'db' } }, data: { b: null } },
      { metadata: { name: 'cm', labels: { app: 'web', role: 'db' } }, data: { a: '1' }, list: doc.list },
    ],
    ['arrays are replaced whole', { list: [{ name: 'z' }] }, { ...doc, list: [{ name: 'z' }] }],
    ['nulls inside an added object are dropped', { spec: { a: null, b: { c: null, d: 1 } } }, { ...doc, spec: { b: { d: 1 } } }],
    ['a scalar replaces an object', { data: 'none' }, { ...doc, data: 'none' }],
    ['deleting a missing key is a no-op', { nope: null }, doc],
    ['a list patch replaces the document', [1, 2], [1, 2]],
  ];
  it.each(cases)('%s', (_name, patch, expected) => {
    expect(applyMergePatch(doc, frozen(patch))).toEqual(expected);
  });

  it('rejects a null patch as kube does', () => {
    const err = thrown(() => applyMergePatch(doc, null));
    expect(err).toBeInstanceOf(PatchError);
    expect((err as PatchError).message).toBe('Invalid JSON Patch');
    expect((err as PatchError).code).toBe(400);
  });
});

describe('applyStrategicMergePatch', () => {
  const pod = frozen({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: 'default',
      labels: { app: 'web' },
      finalizers: ['a.example.com/x', 'b.example.com/y'],
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'u1' }],
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'app:v1',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
          ports: [{ containerPort: 80, protocol: 'TCP' }],
        },
        { name: 'sidecar', image: 'side:v1' },
      ],
      volumes: [{ name: 'data', hostPath: { path: '/data' } }],
      tolerations: [{ key: 'k1', operator: 'Exists' }],
    },
    status: {
      conditions: [
        { type: 'Ready', status: 'False' },
        { type: 'PodScheduled', status: 'True' },
      ],
    },
  });
  const app = pod.spec.containers[0];
  const sidecar = pod.spec.containers[1];

  const cases: [name: string, patch: unknown, select: (out: any) => unknown, expected: unknown][] = [
    [
      'containers merge by name',
      { spec: { containers: [{ name: 'sidecar', image: 'side:v2' }] } },
      (o) => o.spec.containers,
      [app, { name: 'sidecar', image: 'side:v2' }],
    ],
    [
      // Without $setElementOrder, patch items the live list lacks go before server-only items.
      'a new container without $setElementOrder goes first',
      { spec: { containers: [{ name: 'new', image: 'n' }] } },
      (o) => o.spec.containers.map((c: any) => c.name),
      ['new', 'app', 'sidecar'],
    ],
    [
      'env merges by name inside the container',
      { spec: { containers: [{ name: 'app', env: [{ name: 'B', value: '20' }, { name: 'C', value: '3' }] }] } },
      (o) => o.spec.containers[0].env,
      [
        { name: 'A', value: '1' },
        { name: 'B', value: '20' },
        { name: 'C', value: '3' },
      ],
    ],
    [
      'ports merge by containerPort',
      { spec: { containers: [{ name: 'app', ports: [{ containerPort: 80, name: 'http' }] }] } },
      (o) => o.spec.containers[0].ports,
      [{ containerPort: 80, protocol: 'TCP', name: 'http' }],
    ],
    ['$patch: delete removes a list element', { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } }, (o) => o.spec.containers, [app]],
    [
      '$patch: replace replaces the list',
      { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'o' }] } },
      (o) => o.spec.containers,
      [{ name: 'only', image: 'o' }],
    ],
    ['$patch: replace replaces a map', { metadata: { labels: { $patch: 'replace', tier: 'fe' } } }, (o) => o.metadata.labels, { tier: 'fe' }],
    ['$patch: delete empties a map', { metadata: { labels: { $patch: 'delete' } } }, (o) => o.metadata.labels, {}],
    [
      '$setElementOrder reorders the list',
      { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }] } },
      (o) => o.spec.containers,
      [sidecar, app],
    ],
    [
      '$deleteFromPrimitiveList removes finalizers',
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['a.example.com/x'] } },
      (o) => o.metadata.finalizers,
      ['b.example.com/y'],
    ],
    [
      'finalizers merge as a set',
      { metadata: { finalizers: ['c.example.com/z', 'b.example.com/y'] } },
      (o) => o.metadata.finalizers,
      ['c.example.com/z', 'a.example.com/x', 'b.example.com/y'],
    ],
    [
      'ownerReferences merge by uid',
      { metadata: { ownerReferences: [{ uid: 'u1', controller: true }] } },
      (o) => o.metadata.ownerReferences,
      [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'u1', controller: true }],
    ],
    [
      '$retainKeys drops the volume source the patch does not keep',
      { spec: { volumes: [{ name: 'data', $retainKeys: ['emptyDir', 'name'], emptyDir: {} }] } },
      (o) => o.spec.volumes,
      [{ name: 'data', emptyDir: {} }],
    ],
    [
      'status conditions merge by type',
      { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      (o) => o.status.conditions,
      [
        { type: 'Ready', status: 'True' },
        { type: 'PodScheduled', status: 'True' },
      ],
    ],
    ['tolerations have no patch strategy and are replaced', { spec: { tolerations: [{ key: 'k2', operator: 'Exists' }] } }, (o) => o.spec.tolerations, [{ key: 'k2', operator: 'Exists' }]],
    ['null deletes a label', { metadata: { labels: { app: null, tier: 'fe' } } }, (o) => o.metadata.labels, { tier: 'fe' }],
    [
      'a new field keeps no directives or nulls',
      { spec: { initContainers: [{ name: 'init', image: 'i', args: null }, { name: 'gone', $patch: 'delete' }] } },
      (o) => o.spec.initContainers,
      [{ name: 'init', image: 'i' }],
    ],
  ];
  it.each(cases)('%s', (_name, patch, select, expected) => {
    expect(select(applyStrategicMergePatch(pod, frozen(patch), 'Pod'))).toEqual(expected);
  });

  it('applies a kubectl-apply-shaped three-way patch to a Pod', () => {
    const live = frozen({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web',
        namespace: 'default',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"old":true}' },
        labels: { app: 'web', tier: 'fe', 'pod-template-hash': 'abc' },
      },
      spec: {
        containers: [
          { name: 'istio-proxy', image: 'proxy:1' },
          { name: 'app', image: 'app:v1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 8080 }] },
          { name: 'old', image: 'old:v1' },
        ],
        volumes: [
          { name: 'data', hostPath: { path: '/data', type: '' } },
          { name: 'kube-api-access', projected: { sources: [] } },
        ],
      },
    });
    // What kubectl apply sends when the manifest drops label tier and container old, adds
    // container new, changes app's image and env (B out, C in), and turns volume data into an emptyDir.
    const patch = {
      metadata: {
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}' },
        labels: { tier: null },
      },
      spec: {
        '$setElementOrder/containers': [{ name: 'app' }, { name: 'new' }],
        '$setElementOrder/volumes': [{ name: 'data' }],
        containers: [
          {
            '$setElementOrder/env': [{ name: 'A' }, { name: 'C' }],
            env: [{ name: 'C', value: '3' }, { $patch: 'delete', name: 'B' }],
            image: 'app:v2',
            name: 'app',
          },
          { image: 'new:v1', name: 'new' },
          { $patch: 'delete', name: 'old' },
        ],
        volumes: [{ $retainKeys: ['emptyDir', 'name'], emptyDir: {}, hostPath: null, name: 'data' }],
      },
    };
    expect(applyStrategicMergePatch(live, frozen(patch), 'Pod')).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web',
        namespace: 'default',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}' },
        labels: { app: 'web', 'pod-template-hash': 'abc' },
      },
      spec: {
        containers: [
          { name: 'istio-proxy', image: 'proxy:1' },
          { name: 'app', image: 'app:v2', env: [{ name: 'A', value: '1' }, { name: 'C', value: '3' }], ports: [{ containerPort: 8080 }] },
          { name: 'new', image: 'new:v1' },
        ],
        volumes: [
          { name: 'data', emptyDir: {} },
          { name: 'kube-api-access', projected: { sources: [] } },
        ],
      },
    });
  });

  it('merges a workload\'s pod template as a Pod: containers, env, mounts and volumes by key, tolerations replaced', () => {
    const template = (spec: object) => ({ metadata: { labels: { app: 'node-agent' } }, spec });
    const live = frozen({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'node-agent', namespace: 'velero' },
      spec: {
        selector: { matchLabels: { app: 'node-agent' } },
        template: template({
          tolerations: [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'Exists' }],
          volumes: [{ name: 'pods', hostPath: { path: '/var/lib/kubelet/pods', type: '' } }],
          containers: [
            { name: 'sidecar', image: 'sidecar:1' },
            {
              name: 'node-agent', image: 'velero:1',
              env: [{ name: 'NODE_NAME', value: 'x' }, { name: 'LOG', value: 'info' }],
              volumeMounts: [{ name: 'pods', mountPath: '/host_pods' }],
            },
          ],
        }),
      },
      status: { numberReady: 3 },
    });
    // kubectl apply's patch: a new image, env LOG changed, a volume and its mount added, tolerations rewritten.
    const patch = {
      spec: {
        template: {
          spec: {
            tolerations: [{ operator: 'Exists' }],
            containers: [{
              name: 'node-agent', image: 'velero:2',
              '$setElementOrder/env': [{ name: 'NODE_NAME' }, { name: 'LOG' }],
              env: [{ name: 'LOG', value: 'debug' }],
              '$setElementOrder/volumeMounts': [{ mountPath: '/host_pods' }, { mountPath: '/host_plugins' }],
              volumeMounts: [{ name: 'plugins', mountPath: '/host_plugins' }],
            }],
            '$setElementOrder/volumes': [{ name: 'pods' }, { name: 'plugins' }],
            volumes: [{ name: 'plugins', hostPath: { path: '/var/lib/kubelet/plugins' } }],
          },
        },
      },
    };
    for (const kind of ['DaemonSet', 'Deployment']) {
      const out = applyStrategicMergePatch({ ...live, kind }, frozen(patch), kind) as any;
      expect(out.spec.template.spec).toEqual({
        tolerations: [{ operator: 'Exists' }],
        volumes: [
          { name: 'pods', hostPath: { path: '/var/lib/kubelet/pods', type: '' } },
          { name: 'plugins', hostPath: { path: '/var/lib/kubelet/plugins' } },
        ],
        containers: [
          { name: 'sidecar', image: 'sidecar:1' },
          {
            name: 'node-agent', image: 'velero:2',
            env: [{ name: 'NODE_NAME', value: 'x' }, { name: 'LOG', value: 'debug' }],
            volumeMounts: [{ name: 'pods', mountPath: '/host_pods' }, { name: 'plugins', mountPath: '/host_plugins' }],
          },
        ],
      });
      expect(out.spec.selector).toEqual(live.spec.selector);
      expect(out.status).toEqual(live.status);
    }
  });

  it('replaces RBAC rules and subjects as a whole', () => {
    const role = frozen({ kind: 'Role', metadata: { name: 'r' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }, { apiGroups: [''], resources: ['nodes'], verbs: ['list'] }] });
    const out = applyStrategicMergePatch(role, { rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] }, 'Role');
    expect(out).toEqual({ ...role, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] });
  });

  it('orders server-only items by the live list as upstream mutates it', () => {
    // Upstream deletes and appends in place on the live list, so "c" is ordered against "d"
    // where "a" used to be (k8s.io/apimachinery strategicpatch test "add map and delete map").
    const live = frozen({ status: { conditions: [{ type: 'a' }, { type: 'b', status: 'x' }, { type: 'd', status: 'y' }] } });
    const patch = { status: { '$setElementOrder/conditions': [{ type: 'b' }, { type: 'c' }], conditions: [{ type: 'c' }, { $patch: 'delete', type: 'a' }] } };
    const out = applyStrategicMergePatch(live, frozen(patch), 'Pod') as any;
    expect(out.status.conditions).toEqual([{ type: 'b', status: 'x' }, { type: 'd', status: 'y' }, { type: 'c' }]);
  });

  const otherKinds: [kind: string, doc: unknown, patch: unknown, select: (out: any) => unknown, expected: unknown][] = [
    [
      'Node',
      { status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'n1' }] } },
      { status: { addresses: [{ type: 'InternalIP', address: '10.0.0.2' }] } },
      (o) => o.status.addresses,
      [{ type: 'InternalIP', address: '10.0.0.2' }, { type: 'Hostname', address: 'n1' }],
    ],
    [
      'Node',
      { status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'DiskPressure', status: 'False' }] } },
      { status: { conditions: [{ type: 'DiskPressure', status: 'True' }] } },
      (o) => o.status.conditions,
      [{ type: 'Ready', status: 'True' }, { type: 'DiskPressure', status: 'True' }],
    ],
    ['Node', { spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] } }, { spec: { taints: [{ key: 'b', effect: 'NoExecute' }] } }, (o) => o.spec.taints, [{ key: 'b', effect: 'NoExecute' }]],
    ['Node', { spec: { podCIDRs: ['10.0.0.0/24'] } }, { spec: { podCIDRs: ['10.0.0.0/24', 'fd00::/64'] } }, (o) => o.spec.podCIDRs, ['10.0.0.0/24', 'fd00::/64']],
    [
      'Pod',
      { spec: { topologySpreadConstraints: [{ topologyKey: 'zone', maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' }] } },
      { spec: { topologySpreadConstraints: [{ topologyKey: 'zone', maxSkew: 2 }] } },
      (o) => o.spec.topologySpreadConstraints,
      [{ topologyKey: 'zone', maxSkew: 2, whenUnsatisfiable: 'DoNotSchedule' }],
    ],
    [
      'PersistentVolumeClaim',
      { status: { phase: 'Bound', conditions: [{ type: 'Resizing', status: 'True' }] } },
      { status: { conditions: [{ type: 'FileSystemResizePending', status: 'True' }] } },
      (o) => o.status.conditions.map((c: any) => c.type),
      ['FileSystemResizePending', 'Resizing'],
    ],
    ['ServiceAccount', { secrets: [{ name: 'a' }] }, { secrets: [{ name: 'b' }] }, (o) => o.secrets, [{ name: 'b' }, { name: 'a' }]],
    ['ServiceAccount', { imagePullSecrets: [{ name: 'a' }] }, { imagePullSecrets: [{ name: 'b' }] }, (o) => o.imagePullSecrets, [{ name: 'b' }]],
    ['ConfigMap', { data: { a: '1', b: '2' } }, { data: { b: null, c: '3' } }, (o) => o.data, { a: '1', c: '3' }],
    ['Lease', { spec: { holderIdentity: 'x', leaseDurationSeconds: 15 } }, { spec: { holderIdentity: 'y' } }, (o) => o.spec, { holderIdentity: 'y', leaseDurationSeconds: 15 }],
  ];
  it.each(otherKinds)('%s: %j', (kind, doc, patch, select, expected) => {
    expect(select(applyStrategicMergePatch(frozen(doc), frozen(patch), kind))).toEqual(expected);
  });

  const errors: [name: string, patch: unknown, kind: string, message: string, code: number][] = [
    ['$patch: merge on a map', { metadata: { labels: { $patch: 'merge', app: 'x' } } }, 'Pod', 'unknown patch type: merge in map: map[$patch:merge app:x]', 422],
    ['$patch: merge in a list', { spec: { containers: [{ $patch: 'merge', name: 'app' }] } }, 'Pod', 'merging lists cannot yet be specified in the patch', 422],
    ['a list item without its merge key', { spec: { containers: [{ image: 'x' }] } }, 'Pod', 'map: map[image:x] does not contain declared merge key: name', 422],
    ['$retainKeys that is not a list', { spec: { volumes: [{ name: 'data', $retainKeys: 'name' }] } }, 'Pod', 'invalid patch format of retainKeys', 400],
    ['$retainKeys missing a patched field', { spec: { volumes: [{ name: 'data', $retainKeys: ['name'], emptyDir: {} }] } }, 'Pod', 'invalid patch format of retainKeys', 400],
    [
      'a patch list out of $setElementOrder order',
      { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }], containers: [{ name: 'app', image: 'x' }, { name: 'sidecar' }] } },
      'Pod',
      "The order in patch list:\n[map[image:x name:app] map[name:sidecar]]\n doesn't match $setElementOrder list:\n[map[name:sidecar] map[name:app]]\n",
      422,
    ],
    ['a malformed $setElementOrder key', { spec: { $setElementOrder: [] } }, 'Pod', 'invalid patch format of setElementOrder list', 400],
    ['mixed element types', { metadata: { finalizers: [['a']] } }, 'Pod', 'list element types are not identical: [[a.example.com/x b.example.com/y] [[a]]]', 422],
    ['a kind without metadata', { spec: {} }, 'DataUpload', 'strategic merge patch format is not supported', 400],
    ['a patch that is not an object', [], 'Pod', 'json: cannot unmarshal array into Go value of type map[string]interface {}', 400],
  ];
  it.each(errors)('rejects %s', (_name, patch, kind, message, code) => {
    const err = thrown(() => applyStrategicMergePatch(pod, patch, kind));
    expect(err).toBeInstanceOf(PatchError);
    expect((err as PatchError).message).toBe(message);
    expect((err as PatchError).code).toBe(code);
  });
});

describe('supportsStrategicMerge', () => {
  it.each([
    ['Pod', true],
    ['Node', true],
    ['PersistentVolume', true],
    ['Lease', true],
    ['Event', true],
    ['StorageClass', true],
    ['CustomResourceDefinition', true],
    ['DaemonSet', true],
    ['Deployment', true],
    ['ClusterRole', true],
    ['ClusterRoleBinding', true],
    ['Role', true],
    ['RoleBinding', true],
    ['DataUpload', false],
    ['VolumeSnapshot', false],
  ] as const)('%s: %s', (kind, supported) => {
    expect(supportsStrategicMerge(kind)).toBe(supported);
  });
});
