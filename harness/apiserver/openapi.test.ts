import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  OPENAPI_V2_PROTOBUF,
  crdModelName,
  openApiV2,
  openApiV3Document,
  openApiV3GroupVersion,
  openApiV3Root,
} from './openapi.ts';
import type { JSONSchemaProps, ResourceInfo } from './types.ts';

const ALL_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

function builtin(group: string, version: string, resource: string, kind: string, namespaced: boolean, subresources: string[] = []): ResourceInfo {
  return {
    group, version, resource, kind, singular: kind.toLowerCase(), listKind: `${kind}List`, namespaced,
    verbs: ALL_VERBS, subresources, printerColumns: [], crd: false,
  };
}

const widgetSchema: JSONSchemaProps = {
  type: 'object',
  description: 'Widget is a test resource.',
  properties: {
    spec: {
      type: 'object',
      required: ['size', 'note'],
      properties: {
        size: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
        note: { type: 'string', nullable: true },
        phase: { type: 'string', enum: ['New', 'Done'], default: 'New' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { kept: { type: 'string' } } },
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
        list: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } }, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
        count: { type: 'integer', format: 'int64', minimum: 1, maximum: 10 },
      },
    },
    status: { type: 'object', properties: { phase: { type: 'string' } } },
  },
};

const widgets: ResourceInfo = {
  group: 'example.com', version: 'v1alpha1', resource: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList',
  namespaced: true, verbs: ALL_VERBS, subresources: ['status'], printerColumns: [], crd: true, schema: widgetSchema,
};
const gadgets: ResourceInfo = { // a CRD without a schema, cluster-scoped
  ...widgets, resource: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList', namespaced: false, subresources: [], schema: undefined,
};

const RESOURCES: ResourceInfo[] = [
  builtin('', 'v1', 'pods', 'Pod', true, ['status', 'binding', 'eviction']),
  builtin('', 'v1', 'nodes', 'Node', false, ['status']),
  builtin('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, ['status']),
  builtin('', 'v1', 'configmaps', 'ConfigMap', true),
  builtin('', 'v1', 'events', 'Event', true),
  builtin('events.k8s.io', 'v1', 'events', 'Event', true),
  builtin('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  builtin('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, ['status']),
  widgets,
  gadgets,
];

type Doc = Record<string, any>;
const v3 = (gv: string) => openApiV3GroupVersion(RESOURCES, gv) as Doc;

function refName(ref: string): string {
  return ref.replace('#/components/schemas/', '').replace('#/definitions/', '');
}

function allRefs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => allRefs(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else allRefs(v, out);
    }
  }
  return out;
}

/** The PATCH operation kubectl's field-validation verifier and apply look for. */
function patchOpFor(doc: Doc, kind: string): Doc | undefined {
  for (const item of Object.values(doc.paths as Record<string, Doc>)) {
    if (item.patch?.['x-kubernetes-group-version-kind']?.kind === kind) return item.patch;
  }
  return undefined;
}

function schemaForKind(doc: Doc, group: string, version: string, kind: string): Doc | undefined {
  const schemas = (doc.components?.schemas ?? doc.definitions) as Record<string, Doc>;
  return Object.values(schemas).find((s) =>
    (s['x-kubernetes-group-version-kind'] as Doc[] | undefined)?.some((g) => g.group === group && g.version === version && g.kind === kind));
}

describe('GET /openapi/v3', () => {
  it('lists every served group-version with a content hash, as kube-openapi handler3 does', () => {
    const root = openApiV3Root(RESOURCES) as { paths: Record<string, { serverRelativeURL: string }> };
    expect(Object.keys(root.paths)).toEqual([
      'api/v1', 'apis/apiextensions.k8s.io/v1', 'apis/coordination.k8s.io/v1', 'apis/events.k8s.io/v1', 'apis/example.com/v1alpha1',
    ]);
    for (const [gv, { serverRelativeURL }] of Object.entries(root.paths)) {
      const doc = openApiV3Document(RESOURCES, gv)!;
      const hash = createHash('sha512').update(doc.body).digest('hex').toUpperCase();
      expect(serverRelativeURL).toBe(`/openapi/v3/${gv}?hash=${hash}`);
      expect(doc.hash).toBe(hash);
    }
  });

  it('is stable for an equal resource list and changes when a schema changes', () => {
    const copy = JSON.parse(JSON.stringify(RESOURCES)) as ResourceInfo[];
    expect(openApiV3Root(copy)).toEqual(openApiV3Root(RESOURCES));
    expect(openApiV3Root(RESOURCES)).toBe(openApiV3Root(RESOURCES)); // cached
    copy[8] = { ...widgets, schema: { ...widgetSchema, description: 'changed' } }; // even when edited in place
    const before = (openApiV3Root(RESOURCES) as Doc).paths;
    const after = (openApiV3Root(copy) as Doc).paths;
    expect(after['apis/example.com/v1alpha1']).not.toEqual(before['apis/example.com/v1alpha1']);
    expect(after['api/v1']).toEqual(before['api/v1']);
  });

  it('accepts the group-version path in the forms a router may pass', () => {
    expect(openApiV3GroupVersion(RESOURCES, '/openapi/v3/api/v1?hash=abc')).toBe(v3('api/v1'));
    expect(openApiV3GroupVersion(RESOURCES, 'apis/velero.io/v2alpha1')).toBeUndefined();
  });
});

describe('GET /openapi/v3/<group-version>', () => {
  it('serves the operations per resource, with the path layout kubectl explain searches', () => {
    const doc = v3('api/v1');
    expect(doc.openapi).toBe('3.0.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
      '/api/v1/pods', '/api/v1/namespaces/{namespace}/pods', '/api/v1/namespaces/{namespace}/pods/{name}',
      '/api/v1/namespaces/{namespace}/pods/{name}/status', '/api/v1/namespaces/{namespace}/pods/{name}/binding',
      '/api/v1/namespaces/{namespace}/pods/{name}/eviction', '/api/v1/nodes', '/api/v1/nodes/{name}', '/api/v1/nodes/{name}/status',
    ]));
    const item = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}'];
    expect(Object.keys(item).sort()).toEqual(['delete', 'get', 'parameters', 'patch', 'put']);
    expect(item.get).toMatchObject({
      operationId: 'readCoreV1NamespacedPod', 'x-kubernetes-action': 'get',
      'x-kubernetes-group-version-kind': { group: '', version: 'v1', kind: 'Pod' },
    });
    expect(item.parameters.map((p: Doc) => p.name)).toEqual(['name', 'namespace', 'pretty']);
    const collection = doc.paths['/api/v1/namespaces/{namespace}/pods'];
    expect(collection.post.operationId).toBe('createCoreV1NamespacedPod');
    expect(collection.delete.operationId).toBe('deleteCoreV1CollectionNamespacedPod');
    expect(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post['x-kubernetes-group-version-kind'])
      .toEqual({ group: 'policy', version: 'v1', kind: 'Eviction' });
  });

  it('only serves the verbs a resource has', () => {
    const readOnly = { ...builtin('', 'v1', 'configmaps', 'ConfigMap', true), verbs: ['get', 'list'] };
    const doc = openApiV3GroupVersion([readOnly], 'api/v1') as Doc;
    expect(Object.keys(doc.paths['/api/v1/namespaces/{namespace}/configmaps'])).toEqual(['get', 'parameters']);
    expect(Object.keys(doc.paths['/api/v1/namespaces/{namespace}/configmaps/{name}'])).toEqual(['get', 'parameters']);
  });

  it('declares fieldValidation on every PATCH, so kubectl leaves validation to the server', () => {
    for (const [gv, kind] of [['api/v1', 'Pod'], ['api/v1', 'Node'], ['apis/coordination.k8s.io/v1', 'Lease'], ['apis/example.com/v1alpha1', 'Widget']]) {
      const op = patchOpFor(v3(gv), kind);
      expect(op, `${gv} ${kind}`).toBeDefined();
      expect(op!.parameters).toContainEqual(expect.objectContaining({ name: 'fieldValidation', in: 'query' }));
      expect(op!.parameters.map((p: Doc) => p.name)).toEqual(['dryRun', 'fieldManager', 'fieldValidation', 'force']);
    }
  });

  it('offers strategic merge patch for built-ins only, which is how kubectl apply chooses the patch type', () => {
    expect(Object.keys(patchOpFor(v3('api/v1'), 'Pod')!.requestBody.content)).toContain('application/strategic-merge-patch+json');
    expect(Object.keys(patchOpFor(v3('apis/example.com/v1alpha1'), 'Widget')!.requestBody.content)).toEqual([
      'application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml',
    ]);
  });

  it('resolves every $ref within the document', () => {
    for (const gv of Object.keys((openApiV3Root(RESOURCES) as Doc).paths)) {
      const doc = v3(gv);
      for (const ref of allRefs(doc)) expect(doc.components.schemas, `${gv}: ${ref}`).toHaveProperty([refName(ref)]);
    }
  });

  it('has no empty schema, which kubectl explain cannot print', () => {
    const visit = (s: Doc, where: string): void => {
      expect(Object.keys(s).length, where).toBeGreaterThan(0);
      for (const [k, p] of Object.entries((s.properties ?? {}) as Record<string, Doc>)) visit(p, `${where}.${k}`);
      if (s.items) visit(s.items, `${where}[]`);
      if (s.additionalProperties && typeof s.additionalProperties === 'object') visit(s.additionalProperties, `${where}{}`);
    };
    for (const gv of Object.keys((openApiV3Root(RESOURCES) as Doc).paths)) {
      for (const [name, schema] of Object.entries(v3(gv).components.schemas as Record<string, Doc>)) visit(schema, name);
    }
  });

  it('marks kind and list schemas with x-kubernetes-group-version-kind', () => {
    const doc = v3('api/v1');
    expect(schemaForKind(doc, '', 'v1', 'Pod')).toBe(doc.components.schemas['io.k8s.api.core.v1.Pod']);
    expect(schemaForKind(doc, '', 'v1', 'PodList')).toBe(doc.components.schemas['io.k8s.api.core.v1.PodList']);
    expect(schemaForKind(v3('apis/events.k8s.io/v1'), 'events.k8s.io', 'v1', 'Event')).toBeDefined();
    expect(schemaForKind(v3('apis/example.com/v1alpha1'), 'example.com', 'v1alpha1', 'WidgetList')).toBeDefined();
  });

  it('carries the strategic-merge metadata of built-in types', () => {
    const s = v3('api/v1').components.schemas;
    expect(s['io.k8s.api.core.v1.PodSpec'].properties.containers).toMatchObject({
      type: 'array', items: { $ref: '#/components/schemas/io.k8s.api.core.v1.Container' },
      'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
    });
    expect(s['io.k8s.api.core.v1.PodSpec'].properties.volumes['x-kubernetes-patch-strategy']).toBe('merge,retainKeys');
    expect(s['io.k8s.api.core.v1.Container'].properties.env['x-kubernetes-patch-merge-key']).toBe('name');
    expect(s['io.k8s.api.core.v1.Container'].properties.ports['x-kubernetes-patch-merge-key']).toBe('containerPort');
    expect(s['io.k8s.api.core.v1.NodeStatus'].properties.conditions['x-kubernetes-patch-merge-key']).toBe('type');
    expect(s['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.finalizers['x-kubernetes-patch-strategy']).toBe('merge');
    expect(s['io.k8s.api.core.v1.Container'].required).toEqual(['name']);
    expect(s['io.k8s.api.core.v1.Container'].properties.name.description).toMatch(/DNS_LABEL/);
  });

  it('publishes a CRD schema with Kubernetes object metadata, as apiextensions-apiserver does', () => {
    const doc = v3('apis/example.com/v1alpha1');
    const widget = doc.components.schemas[crdModelName('example.com', 'v1alpha1', 'Widget')];
    expect(crdModelName('example.com', 'v1alpha1', 'Widget')).toBe('com.example.v1alpha1.Widget');
    expect(widget.properties.metadata.allOf).toEqual([{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }]);
    expect(widget.properties.apiVersion.type).toBe('string');
    expect(widget.properties.spec.properties.note.nullable).toBe(true);
    expect(widget.properties.spec.properties.template.properties).toHaveProperty('metadata');
    expect(widget.properties.spec.properties.template.required).toEqual(['kind', 'apiVersion']);
    const gadget = doc.components.schemas['com.example.v1alpha1.Gadget'];
    expect(gadget).toEqual({ type: 'object', 'x-kubernetes-group-version-kind': [{ group: 'example.com', kind: 'Gadget', version: 'v1alpha1' }] });
    expect(doc.paths).toHaveProperty(['/apis/example.com/v1alpha1/gadgets/{name}']);
    expect(doc.paths).not.toHaveProperty(['/apis/example.com/v1alpha1/namespaces/{namespace}/gadgets']);
  });
});

// kubectl >= 1.29 computes `kubectl apply` patches for built-ins from the v3 document with
// strategicpatch.PatchMetaFromOpenAPIV3, which fails on any map or list field the schema lacks.
// This walks a manifest the same way: every nested map/list key must resolve.
function lookupField(doc: Doc, schema: Doc, key: string): Doc {
  const props = schema.properties as Record<string, Doc> | undefined;
  if (!props || !(key in props)) throw new Error(`unable to find api field "${key}"`);
  return props[key];
}
function resolve(doc: Doc, schema: Doc): Doc {
  let s = schema.allOf?.length ? schema.allOf[0] : schema;
  if (s.$ref) s = doc.components.schemas[refName(s.$ref)];
  if (!s) throw new Error(`unable to resolve ${schema.$ref}`);
  return s;
}
function walk(doc: Doc, schema: Doc, value: unknown): string[] {
  const meta: string[] = [];
  if (!value || typeof value !== 'object' || Array.isArray(value)) return meta;
  for (const [key, v] of Object.entries(value)) {
    if (!v || typeof v !== 'object') continue;
    const field = lookupField(doc, schema, key);
    if (field['x-kubernetes-patch-merge-key']) meta.push(`${key}:${field['x-kubernetes-patch-merge-key']}`);
    if (Array.isArray(v)) {
      const item = field.items ? resolve(doc, field.items) : {};
      for (const el of v) meta.push(...walk(doc, item, el));
    } else if (field.additionalProperties && typeof field.additionalProperties === 'object') {
      continue; // a map of scalars (labels, resources.requests, data ...)
    } else meta.push(...walk(doc, resolve(doc, field), v));
  }
  return meta;
}

describe('what kubectl apply computes patches from', () => {
  it('covers every field of a realistic data-mover pod', () => {
    const doc = v3('api/v1');
    const pod = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'du-1', labels: { 'velero.io/data-upload': 'du-1' }, annotations: { a: 'b' }, ownerReferences: [{ apiVersion: 'velero.io/v2alpha1', kind: 'DataUpload', name: 'du-1', uid: 'u' }] },
      spec: {
        restartPolicy: 'Never', nodeName: 'node-a',
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'k', operator: 'In', values: ['v'] }] }] } } },
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { a: 'b' } } }],
        tolerations: [{ key: 'x', operator: 'Exists', effect: 'NoSchedule' }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'pvc-1' } }, { name: 'cfg', configMap: { name: 'c', items: [{ key: 'k', path: 'p' }] } }],
        securityContext: { runAsUser: 0, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [{
          name: 'main', image: 'velero/velero:v1.16', command: ['/velero'], args: ['data-mover', 'backup'],
          env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
          envFrom: [{ configMapRef: { name: 'c' } }],
          ports: [{ containerPort: 8085, protocol: 'TCP' }],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '1Gi' } },
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
          readinessProbe: { exec: { command: ['true'] }, periodSeconds: 5 },
          securityContext: { capabilities: { drop: ['ALL'] } },
        }],
      },
    };
    const pods = schemaForKind(doc, '', 'v1', 'Pod')!;
    expect(walk(doc, pods, pod)).toEqual(expect.arrayContaining([
      'ownerReferences:uid', 'topologySpreadConstraints:topologyKey', 'volumes:name', 'containers:name', 'env:name',
      'ports:containerPort', 'volumeMounts:mountPath',
    ]));
  });
});

describe('apps/v1 and rbac.authorization.k8s.io/v1', () => {
  const resources = [
    ...RESOURCES,
    builtin('apps', 'v1', 'daemonsets', 'DaemonSet', true, ['status']),
    builtin('apps', 'v1', 'deployments', 'Deployment', true, ['status']),
    builtin('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
    builtin('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
  ];
  const apps = openApiV3GroupVersion(resources, 'apis/apps/v1') as Doc;

  it('types a workload template as the core/v1 PodTemplateSpec, with the Pod patch metadata', () => {
    const s = apps.components.schemas;
    for (const spec of ['DaemonSetSpec', 'DeploymentSpec']) {
      expect(allRefs(s[`io.k8s.api.apps.v1.${spec}`].properties.template)).toEqual(['#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec']);
    }
    expect(s['io.k8s.api.apps.v1.DeploymentSpec'].properties.strategy['x-kubernetes-patch-strategy']).toBe('retainKeys');
    expect(s['io.k8s.api.core.v1.PodSpec'].properties.tolerations['x-kubernetes-list-type']).toBe('atomic');
    expect(s['io.k8s.api.core.v1.PodSpec'].properties.tolerations).not.toHaveProperty('x-kubernetes-patch-strategy');
    const ds = {
      metadata: { name: 'node-agent', labels: { app: 'node-agent' } },
      spec: {
        selector: { matchLabels: { app: 'node-agent' } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        template: {
          metadata: { labels: { app: 'node-agent' } },
          spec: {
            tolerations: [{ operator: 'Exists' }],
            volumes: [{ name: 'pods', hostPath: { path: '/var/lib/kubelet/pods' } }],
            containers: [{
              name: 'node-agent', image: 'velero/velero:v1.16', args: ['node-agent', 'server'],
              env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
              ports: [{ containerPort: 8085, name: 'metrics' }],
              volumeMounts: [{ name: 'pods', mountPath: '/host_pods', mountPropagation: 'HostToContainer' }],
              resources: { requests: { cpu: '500m' } },
            }],
          },
        },
      },
    };
    expect(walk(apps, schemaForKind(apps, 'apps', 'v1', 'DaemonSet')!, ds)).toEqual(
      ['volumes:name', 'containers:name', 'env:name', 'ports:containerPort', 'volumeMounts:mountPath'],
    );
  });

  it('publishes the RBAC kinds, their rules replaced as a whole', () => {
    const rbac = openApiV3GroupVersion(resources, 'apis/rbac.authorization.k8s.io/v1') as Doc;
    expect(patchOpFor(rbac, 'ClusterRole')?.requestBody.content).toHaveProperty(['application/strategic-merge-patch+json']);
    const rule = rbac.components.schemas['io.k8s.api.rbac.v1.PolicyRule'];
    expect(rule.required).toEqual(['verbs']);
    expect(rule.properties.verbs['x-kubernetes-list-type']).toBe('atomic');
    expect(schemaForKind(rbac, 'rbac.authorization.k8s.io', 'v1', 'RoleBinding')!.properties.subjects.items)
      .toEqual({ $ref: '#/components/schemas/io.k8s.api.rbac.v1.Subject' });
  });
});

// A minimal protobuf wire-format reader, enough to check the encoded gnostic Document.
type Field = { no: number; wire: number; value: Buffer | bigint };
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = () => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, value: varint() });
    else if (wire === 1) {
      out.push({ no, wire, value: buf.subarray(i, i + 8) });
      i += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      out.push({ no, wire, value: buf.subarray(i, i + len) });
      i += len;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}
const sub = (buf: Buffer, no: number) => fields(buf).filter((f) => f.no === no).map((f) => f.value as Buffer);
const str = (buf: Buffer, no: number) => sub(buf, no).map((b) => b.toString('utf8'));
/** NamedX { name = 1; value = 2 } entries of a repeated field. */
const named = (buf: Buffer, no: number) => new Map(sub(buf, no).map((n) => [str(n, 1)[0], sub(n, 2)[0]]));
/** vendor extensions: NamedAny { name = 1; Any value = 2 { string yaml = 2 } } */
const extensions = (buf: Buffer, no: number) =>
  new Map([...named(buf, no)].map(([k, any]) => [k, JSON.parse(str(any, 2)[0]) as unknown]));

describe('GET /openapi/v2', () => {
  const KUBECTL_ACCEPT = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

  it('negotiates JSON, protobuf or 406 like kube-openapi', () => {
    expect(openApiV2(RESOURCES, 'application/json')).toMatchObject({ status: 200, contentType: 'application/json' });
    expect(openApiV2(RESOURCES, '')).toMatchObject({ status: 200, contentType: 'application/json' });
    expect(openApiV2(RESOURCES, KUBECTL_ACCEPT)).toMatchObject({ status: 200, contentType: OPENAPI_V2_PROTOBUF });
    expect(openApiV2(RESOURCES, 'application/xml;q=1, application/com.github.proto-openapi.spec.v2.v1.0+protobuf;q=0.5'))
      .toMatchObject({ status: 200, contentType: OPENAPI_V2_PROTOBUF });
    expect(openApiV2(RESOURCES, 'text/html')).toMatchObject({ status: 406 });
  });

  const swagger = JSON.parse(openApiV2(RESOURCES, 'application/json').body.toString()) as Doc;

  it('is Swagger 2.0 that kube-openapi pkg/util/proto can parse', () => {
    expect(swagger.swagger).toBe('2.0');
    for (const ref of allRefs(swagger)) {
      expect(ref.startsWith('#/definitions/'), ref).toBe(true);
      expect(swagger.definitions, ref).toHaveProperty([refName(ref)]);
    }
    const check = (s: Doc, where: string): void => {
      if (s.$ref) {
        expect(s.type, where).toBeUndefined();
        expect(s.properties, where).toBeUndefined();
        return;
      }
      expect(s.allOf ?? s.anyOf ?? s.oneOf ?? s.nullable, where).toBeUndefined();
      if (s.type !== undefined) expect(['object', 'array', 'string', 'integer', 'number', 'boolean'], where).toContain(s.type);
      if (s.type === 'array') expect(s.items, where).toBeTypeOf('object');
      for (const [k, p] of Object.entries((s.properties ?? {}) as Record<string, Doc>)) check(p, `${where}.${k}`);
      if (s.items) check(s.items, `${where}[]`);
      if (s.additionalProperties && typeof s.additionalProperties === 'object') check(s.additionalProperties, `${where}{}`);
    };
    for (const [name, def] of Object.entries(swagger.definitions as Record<string, Doc>)) check(def, name);
  });

  it('publishes CRD schemas the way apiextensions ToStructuralOpenAPIV2 does', () => {
    const spec = swagger.definitions['com.example.v1alpha1.Widget'].properties.spec;
    expect(spec.properties.note).toEqual({}); // nullable: type dropped
    expect(spec.required).toEqual(['size']); // nullable fields are not required
    expect(spec.properties.size).toEqual({ 'x-kubernetes-int-or-string': true });
    expect(spec.properties.extra).toEqual({ 'x-kubernetes-preserve-unknown-fields': true });
    expect(spec.properties.phase).toEqual({ type: 'string', enum: ['New', 'Done'], default: 'New' });
    expect(swagger.definitions['com.example.v1alpha1.Widget'].properties.metadata).toEqual({
      description: expect.any(String), $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    });
  });

  it('encodes the gnostic openapi_v2.Document protobuf kubectl decodes', () => {
    const pb = openApiV2(RESOURCES, KUBECTL_ACCEPT).body;
    expect(str(pb, 1)).toEqual(['2.0']); // swagger
    const paths = named(sub(pb, 8)[0], 2); // Paths.path: NamedPathItem
    expect(paths.size).toBe(Object.keys(swagger.paths).length);
    const item = paths.get('/api/v1/namespaces/{namespace}/pods/{name}')!;
    const patch = sub(item, 8)[0]; // PathItem.patch
    expect(str(patch, 5)).toEqual(['patchCoreV1NamespacedPod']); // operation_id
    expect(str(patch, 7)).toContain('application/strategic-merge-patch+json'); // consumes
    expect(extensions(patch, 13).get('x-kubernetes-group-version-kind')).toEqual({ group: '', version: 'v1', kind: 'Pod' });
    // parameters: ParametersItem.parameter.non_body_parameter.query_parameter_sub_schema.name
    const queryNames = sub(patch, 8)
      .flatMap((pi) => sub(pi, 1)).flatMap((p) => sub(p, 2)).flatMap((nb) => sub(nb, 3)).flatMap((q) => str(q, 4));
    expect(queryNames).toEqual(['dryRun', 'fieldManager', 'fieldValidation', 'force']);
    const body = sub(patch, 8).flatMap((pi) => sub(pi, 1)).flatMap((p) => sub(p, 1))[0]; // body_parameter
    expect(str(body, 2)).toEqual(['body']);
    expect(str(sub(body, 5)[0], 1)).toEqual(['#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch']);

    const defs = named(sub(pb, 9)[0], 1); // Definitions.additional_properties: NamedSchema
    expect(defs.size).toBe(Object.keys(swagger.definitions).length);
    const podDef = defs.get('io.k8s.api.core.v1.Pod')!;
    expect(extensions(podDef, 31).get('x-kubernetes-group-version-kind')).toEqual([{ group: '', kind: 'Pod', version: 'v1' }]);
    const podSpec = defs.get('io.k8s.api.core.v1.PodSpec')!;
    const containers = named(sub(podSpec, 25)[0], 1).get('containers')!; // properties
    expect(str(sub(containers, 22)[0], 1)).toEqual(['array']); // type
    expect(str(sub(sub(containers, 23)[0], 1)[0], 1)).toEqual(['#/definitions/io.k8s.api.core.v1.Container']); // items
    expect(extensions(containers, 31).get('x-kubernetes-patch-merge-key')).toBe('name');
    const count = named(sub(named(sub(defs.get('com.example.v1alpha1.Widget')!, 25)[0], 1).get('spec')!, 25)[0], 1).get('count')!;
    const maximum = fields(count).find((f) => f.no === 7)!.value as Buffer;
    expect(maximum.readDoubleLE(0)).toBe(10);
  });
});
