// The OpenAPI documents kubectl reads, built from the served ResourceInfo list:
//
//   GET /openapi/v3                 openApiV3Root: {"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=..."}}}
//   GET /openapi/v3/api/v1?hash=..  openApiV3GroupVersion / openApiV3Document: one OpenAPI 3.0 document per group-version
//   GET /openapi/v2                 openApiV2: Swagger 2.0 as JSON, or as the gnostic openapi_v2.Document protobuf that
//                                   kubectl asks for (Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf)
//
// What kubectl reads from them (see KUBECTL-NOTES.md for the sources):
// - PATCH operations carry `x-kubernetes-group-version-kind` and a `fieldValidation` query parameter, so kubectl's
//   field-validation verifier hands validation to the server (`?fieldValidation=Strict`) instead of validating locally.
// - Built-in PATCH operations accept application/strategic-merge-patch+json and CRD ones do not, which is how
//   `kubectl apply` picks a strategic-merge patch (built-ins) or a JSON merge patch (custom resources).
// - Built-in schemas carry x-kubernetes-patch-strategy / x-kubernetes-patch-merge-key (Pod containers by name, ...)
//   and every field kubectl may meet: kubectl's v3 patch computation fails on a field the schema lacks.
// - components/definitions carry `x-kubernetes-group-version-kind` (a list), which `kubectl explain` and the
//   patch computation use to find a kind's schema.
//
// Built-in schemas are derived from @kubernetes/client-node's generated models (field names and types, and the
// descriptions in their .d.ts files) plus the patch metadata table below (k8s.io/api struct tags, Kubernetes 1.33).
// CRD schemas are the version's openAPIV3Schema, published as apiextensions-apiserver does.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { ResourceInfo } from './types.ts';

/** Version reported in the documents' info block. */
export const OPENAPI_INFO_VERSION = 'v1.33.0';

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
const OPENAPI_V2_PROTOBUF_ACCEPT = ['com.github.proto-openapi.spec.v2@v1.0+protobuf', 'com.github.proto-openapi.spec.v2.v1.0+protobuf'];

type Schema = Record<string, any>;
interface Gvk {
  group: string;
  version: string;
  kind: string;
}

const V3_PREFIX = '#/components/schemas/';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

// ---------------------------------------------------------------------------------------------
// Patch metadata of built-in types (k8s.io/api and apimachinery struct tags and +list markers).
// Keyed by type name without the client-node version prefix.

interface FieldMeta {
  strategy?: string;
  mergeKey?: string;
  listType?: 'atomic' | 'set' | 'map';
  mapKeys?: string[];
  mapType?: 'atomic' | 'granular';
}

const mergeBy = (mergeKey: string, mapKeys = [mergeKey], strategy = 'merge'): FieldMeta => ({
  strategy, mergeKey, listType: 'map', mapKeys,
});
const conditions = mergeBy('type');

const atomic: FieldMeta = { listType: 'atomic' };
const atomics = (...fields: string[]): Record<string, FieldMeta> => Object.fromEntries(fields.map((f) => [f, atomic]));
const containerLists: Record<string, FieldMeta> = {
  ports: mergeBy('containerPort', ['containerPort', 'protocol']),
  env: mergeBy('name'),
  volumeMounts: mergeBy('mountPath'),
  volumeDevices: mergeBy('devicePath'),
  ...atomics('command', 'args', 'envFrom', 'resizePolicy'),
};

const PATCH_META: Record<string, Record<string, FieldMeta>> = {
  ObjectMeta: {
    ownerReferences: mergeBy('uid'),
    finalizers: { strategy: 'merge', listType: 'set' },
  },
  LabelSelector: atomics('matchExpressions'),
  LabelSelectorRequirement: atomics('values'),
  PodSpec: {
    volumes: mergeBy('name', ['name'], 'merge,retainKeys'),
    initContainers: mergeBy('name'),
    containers: mergeBy('name'),
    ephemeralContainers: mergeBy('name'),
    imagePullSecrets: mergeBy('name'),
    hostAliases: mergeBy('ip'),
    topologySpreadConstraints: mergeBy('topologyKey', ['topologyKey', 'whenUnsatisfiable']),
    schedulingGates: mergeBy('name'),
    resourceClaims: mergeBy('name', ['name'], 'merge,retainKeys'),
    nodeSelector: { mapType: 'atomic' },
    ...atomics('tolerations', 'readinessGates'),
  },
  Container: containerLists,
  EphemeralContainer: containerLists,
  PodSecurityContext: atomics('supplementalGroups', 'sysctls'),
  Capabilities: atomics('add', 'drop'),
  PodDNSConfig: atomics('nameservers', 'searches', 'options'),
  NodeSelector: atomics('nodeSelectorTerms'),
  NodeSelectorTerm: atomics('matchExpressions', 'matchFields'),
  NodeSelectorRequirement: atomics('values'),
  NodeAffinity: atomics('preferredDuringSchedulingIgnoredDuringExecution'),
  PodAffinity: atomics('requiredDuringSchedulingIgnoredDuringExecution', 'preferredDuringSchedulingIgnoredDuringExecution'),
  PodAntiAffinity: atomics('requiredDuringSchedulingIgnoredDuringExecution', 'preferredDuringSchedulingIgnoredDuringExecution'),
  ExecAction: atomics('command'),
  HTTPGetAction: atomics('httpHeaders'),
  ConfigMapVolumeSource: atomics('items'),
  SecretVolumeSource: atomics('items'),
  DownwardAPIVolumeSource: atomics('items'),
  ProjectedVolumeSource: atomics('sources'),
  ContainerStatus: { volumeMounts: mergeBy('mountPath'), allocatedResourcesStatus: mergeBy('name') },
  ResourceRequirements: { claims: { listType: 'map', mapKeys: ['name'] } },
  PodStatus: {
    conditions,
    hostIPs: { strategy: 'merge', mergeKey: 'ip', listType: 'atomic' },
    podIPs: mergeBy('ip'),
    resourceClaimStatuses: mergeBy('name', ['name'], 'merge,retainKeys'),
  },
  PersistentVolumeClaimStatus: { conditions },
  NodeSpec: { podCIDRs: { strategy: 'merge', listType: 'set' } },
  NodeStatus: { conditions, addresses: mergeBy('type') },
  NamespaceStatus: { conditions },
  ServiceAccount: { secrets: mergeBy('name') },
  ServiceSpec: { ports: mergeBy('port', ['port', 'protocol']), selector: { mapType: 'atomic' } },
  ServiceStatus: { conditions },
  ReplicationControllerStatus: { conditions },
  ComponentStatus: { conditions },
  CSINodeSpec: { drivers: mergeBy('name') },
  CSIDriverSpec: { volumeLifecycleModes: { listType: 'set' } },
  DeploymentSpec: { strategy: { strategy: 'retainKeys' } },
  DeploymentStatus: { conditions },
  DaemonSetStatus: { conditions },
  ReplicaSetStatus: { conditions },
  StatefulSetStatus: { conditions },
  PolicyRule: atomics('apiGroups', 'resources', 'resourceNames', 'nonResourceURLs', 'verbs'),
  ClusterRole: atomics('rules'),
  Role: atomics('rules'),
  AggregationRule: atomics('clusterRoleSelectors'),
  ClusterRoleBinding: atomics('subjects'),
  RoleBinding: atomics('subjects'),
  StorageClass: atomics('mountOptions', 'allowedTopologies'),
  CustomResourceDefinitionStatus: { conditions: { listType: 'map', mapKeys: ['type'] } },
};

function withFieldMeta(schema: Schema, meta: FieldMeta | undefined): Schema {
  if (!meta) return schema;
  if (meta.strategy) schema['x-kubernetes-patch-strategy'] = meta.strategy;
  if (meta.mergeKey) schema['x-kubernetes-patch-merge-key'] = meta.mergeKey;
  if (meta.listType) schema['x-kubernetes-list-type'] = meta.listType;
  if (meta.mapKeys) schema['x-kubernetes-list-map-keys'] = meta.mapKeys;
  if (meta.mapType) schema['x-kubernetes-map-type'] = meta.mapType;
  return schema;
}

// ---------------------------------------------------------------------------------------------
// Built-in schemas from @kubernetes/client-node models

interface AttributeType {
  baseName: string;
  type: string;
  format: string;
}
interface ModelClass {
  getAttributeTypeMap(): AttributeType[];
}

const models = k8s as unknown as Record<string, ModelClass | undefined>;

function modelClass(name: string): ModelClass | undefined {
  const c = models[name];
  return c && typeof c.getAttributeTypeMap === 'function' ? c : undefined;
}

const CLASS_NAME = /^([A-Z][a-z]+)?(V\d+(?:alpha\d+|beta\d+)?)([A-Z]\w*)$/;
const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** client-node class for a built-in kind: CoreV1Event, EventsV1Event, V1Pod, V1beta1Foo, ... */
function classFor(group: string, version: string, kind: string): string | undefined {
  const v = pascal(version);
  const prefix = group === '' ? 'Core' : pascal(group.split('.')[0]);
  return [`${prefix}${v}${kind}`, `${v}${kind}`].find((n) => modelClass(n));
}

const META_TYPES = new Set([
  'ObjectMeta', 'ListMeta', 'ManagedFieldsEntry', 'OwnerReference', 'Status', 'StatusDetails', 'StatusCause',
  'DeleteOptions', 'Preconditions', 'LabelSelector', 'LabelSelectorRequirement', 'Condition', 'APIResource',
  'APIResourceList', 'APIGroup', 'APIGroupList', 'APIVersions', 'GroupVersionForDiscovery', 'ServerAddressByClientCIDR',
]);

const PACKAGE_BY_GROUP: Record<string, string> = {
  '': 'io.k8s.api.core',
  'apiextensions.k8s.io': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions',
  'apiregistration.k8s.io': 'io.k8s.kube-aggregator.pkg.apis.apiregistration',
};

function packageFor(group: string, version: string): string {
  const base = PACKAGE_BY_GROUP[group] ?? PACKAGE_BY_GROUP[`${group}.k8s.io`] ?? `io.k8s.api.${group.replace(/\.k8s\.io$/, '').split('.')[0]}`;
  return `${base}.${version}`;
}

interface ClassDocs {
  description?: string;
  props: Map<string, { description?: string; required: boolean }>;
}

let modelsDir: string | null | undefined;
const docsCache = new Map<string, ClassDocs | undefined>();

function cleanDoc(raw: string): string {
  return raw
    .split('\n')
    .map((l) => l.replace(/^\s*\*\s?/, '').trimEnd())
    .join('\n')
    .trim()
    .replace(/\\(["'])/g, '$1');
}

/** Descriptions and required fields from the model's .d.ts (best effort: none when unavailable). */
function classDocs(cls: string): ClassDocs | undefined {
  if (docsCache.has(cls)) return docsCache.get(cls);
  let docs: ClassDocs | undefined;
  try {
    if (modelsDir === undefined) {
      const entry = createRequire(import.meta.url).resolve('@kubernetes/client-node');
      modelsDir = path.join(path.dirname(entry), 'gen', 'models');
    }
    if (modelsDir) {
      const text = readFileSync(path.join(modelsDir, `${cls}.d.ts`), 'utf8');
      const head = new RegExp(`(?:\\/\\*\\*((?:(?!\\*\\/)[\\s\\S])*)\\*\\/\\s*)?export declare class ${cls} \\{`).exec(text);
      if (head) {
        docs = { description: head[1] ? cleanDoc(head[1]) : undefined, props: new Map() };
        const body = text.slice(head.index + head[0].length);
        const prop = /(?:\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*)?'([^']+)'(\?)?:[^;]*;/g;
        for (let m = prop.exec(body); m; m = prop.exec(body)) {
          docs.props.set(m[2], { description: m[1] ? cleanDoc(m[1]) : undefined, required: !m[3] });
        }
      }
    }
  } catch {
    modelsDir = modelsDir ?? null;
  }
  docsCache.set(cls, docs);
  return docs;
}

/** Component schemas of built-in types, keyed by definition name; built once. */
class BuiltinRegistry {
  readonly defs = new Map<string, Schema>();
  private readonly names = new Map<string, string>();

  /** Definition name for a client-node class, registering it (and what it references). */
  define(cls: string, pkg: string): string {
    const known = this.names.get(cls);
    if (known) return known;
    const m = CLASS_NAME.exec(cls);
    const typeName = m ? m[3] : cls;
    let name: string;
    if (m && META_TYPES.has(typeName) && !m[1]) name = `${META}.${typeName}`;
    else if (m && m[1]) name = `${packageFor(m[1] === 'Core' ? '' : m[1].toLowerCase(), m[2].toLowerCase())}.${typeName}`;
    else name = `${pkg}.${typeName}`;
    if (this.defs.has(name)) name = `${pkg}.${cls}`;
    this.names.set(cls, name);
    const schema: Schema = { type: 'object' };
    this.defs.set(name, schema); // placeholder first: types can be recursive
    const docs = classDocs(cls);
    if (docs?.description) schema.description = docs.description;
    const properties: Schema = {};
    const required: string[] = [];
    const childPkg = name.slice(0, name.lastIndexOf('.'));
    for (const attr of modelClass(cls)?.getAttributeTypeMap() ?? []) {
      const prop = docs?.props.get(attr.baseName);
      let s = this.typeSchema(attr.type, attr.format, childPkg);
      const description = prop?.description ?? standardDescription(attr);
      if (description) s = s.$ref ? { description, allOf: [s] } : { description, ...s };
      properties[attr.baseName] = withFieldMeta(s, PATCH_META[typeName]?.[attr.baseName]);
      if (prop?.required) required.push(attr.baseName);
    }
    schema.properties = properties;
    if (required.length) schema.required = required;
    return name;
  }

  private typeSchema(type: string, format: string, pkg: string): Schema {
    let m = /^Array<(.+)>$/.exec(type);
    if (m) return { type: 'array', items: this.typeSchema(m[1], '', pkg) };
    m = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (m) return { type: 'object', additionalProperties: this.typeSchema(m[1], '', pkg) };
    switch (type) {
      case 'string':
        return format ? { type: 'string', format } : { type: 'string' };
      case 'number':
        return format === 'int32' || format === 'int64' ? { type: 'integer', format } : { type: 'number', format: format || 'double' };
      case 'boolean':
        return { type: 'boolean' };
      case 'Date':
        return { type: 'string', format: 'date-time' };
      case 'IntOrString':
        return { type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true };
    }
    if (modelClass(type)) return { $ref: V3_PREFIX + this.define(type, pkg) };
    // 'any' (RawExtension, JSON, FieldsV1): arbitrary JSON. Never `{}`: kubectl explain cannot print an empty schema.
    return { 'x-kubernetes-preserve-unknown-fields': true };
  }
}

/** client-node documents metadata fields nowhere; kube-apiserver's schemas do. */
function standardDescription(attr: AttributeType): string | undefined {
  if (attr.baseName !== 'metadata') return undefined;
  if (attr.type === 'V1ObjectMeta') return TYPE_META_DOCS.metadata;
  if (attr.type === 'V1ListMeta') return TYPE_META_DOCS.listMetadata;
  return undefined;
}

let builtins: BuiltinRegistry | undefined;
function registry(): BuiltinRegistry {
  if (!builtins) {
    builtins = new BuiltinRegistry();
    const reg = builtins;
    for (const cls of ['V1ObjectMeta', 'V1ListMeta', 'V1Status', 'V1DeleteOptions']) reg.define(cls, META);
    // core/v1 types other groups embed: named for their own package, whichever kind reaches them first.
    for (const cls of ['V1PodTemplateSpec', 'V1TopologySelectorTerm']) reg.define(cls, packageFor('', 'v1'));
    reg.defs.set(`${META}.Patch`, {
      type: 'object',
      description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
    });
  }
  return builtins;
}

/**
 * The schema of a built-in kind as definitions: the kind's definition name and every built-in
 * definition (properties refer to others by `$ref` or `allOf: [{$ref}]`). Undefined for kinds
 * @kubernetes/client-node does not model.
 */
export function builtinKindSchema(group: string, version: string, kind: string): { name: string; defs: ReadonlyMap<string, Schema> } | undefined {
  const cls = classFor(group, version, kind);
  if (!cls) return undefined;
  const reg = registry();
  return { name: reg.define(cls, packageFor(group, version)), defs: reg.defs };
}

/** metav1.ObjectMeta as a definition name and the definitions, for decoding custom resources' metadata. */
export function objectMetaSchema(): { name: string; defs: ReadonlyMap<string, Schema> } {
  const reg = registry();
  return { name: `${META}.ObjectMeta`, defs: reg.defs };
}

// ---------------------------------------------------------------------------------------------
// Kinds: the schemas of one served resource's kind and list kind

interface KindModel {
  resource: ResourceInfo;
  gvk: Gvk;
  kindDef: string;
  listDef: string;
  /** Definitions contributed by this resource (CRDs); built-ins live in the registry. */
  own: Map<string, Schema>;
}

function gvkExtension(gvk: Gvk): Gvk[] {
  return [{ group: gvk.group, kind: gvk.kind, version: gvk.version }];
}

function apiVersionOf(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** gvkToModelName: reversed group + version + kind, e.g. io.velero.v2alpha1.DataUpload. */
export function crdModelName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

const TYPE_META_DOCS = {
  apiVersion:
    'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
  kind:
    'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
  metadata: "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
  listMetadata: 'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
};

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** addEmbeddedProperties: x-kubernetes-embedded-resource objects get apiVersion, kind and metadata. */
function addEmbeddedProperties(s: Schema | undefined): void {
  if (!s || typeof s !== 'object') return;
  for (const p of Object.values(s.properties ?? {})) addEmbeddedProperties(p as Schema);
  if (s.items && typeof s.items === 'object') addEmbeddedProperties(s.items);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') addEmbeddedProperties(s.additionalProperties);
  if (s['x-kubernetes-embedded-resource'] === true) {
    s.properties = {
      ...s.properties,
      apiVersion: { type: 'string', description: TYPE_META_DOCS.apiVersion },
      kind: { type: 'string', description: TYPE_META_DOCS.kind },
      metadata: { description: TYPE_META_DOCS.metadata, allOf: [{ $ref: `${V3_PREFIX}${META}.ObjectMeta` }] },
    };
    const required = new Set<string>(s.required ?? []);
    s.required = [...(s.required ?? []), ...['kind', 'apiVersion'].filter((k) => !required.has(k))];
  }
}

function kindModel(resource: ResourceInfo): KindModel {
  const gvk = { group: resource.group, version: resource.version, kind: resource.kind };
  const own = new Map<string, Schema>();
  if (!resource.crd) {
    const cls = classFor(resource.group, resource.version, resource.kind);
    const listCls = classFor(resource.group, resource.version, resource.listKind);
    if (cls && listCls) {
      const reg = registry();
      const pkg = packageFor(resource.group, resource.version);
      const kindDef = reg.define(cls, pkg);
      const listDef = reg.define(listCls, pkg);
      return { resource, gvk, kindDef, listDef, own };
    }
  }
  // Custom resources (and built-ins client-node does not model): the resource's schema.
  const kindDef = crdModelName(resource.group, resource.version, resource.kind);
  const listDef = crdModelName(resource.group, resource.version, resource.listKind);
  let schema: Schema = { type: 'object' };
  if (resource.schema) {
    schema = clone(resource.schema) as Schema;
    addEmbeddedProperties(schema);
    schema.properties = {
      ...schema.properties,
      apiVersion: { type: 'string', description: TYPE_META_DOCS.apiVersion },
      kind: { type: 'string', description: TYPE_META_DOCS.kind },
      metadata: { description: TYPE_META_DOCS.metadata, allOf: [{ $ref: `${V3_PREFIX}${META}.ObjectMeta` }] },
    };
  }
  own.set(kindDef, schema);
  own.set(listDef, {
    description: `${resource.listKind} is a list of ${resource.kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string', description: TYPE_META_DOCS.apiVersion },
      items: {
        type: 'array',
        description: `List of ${resource.resource}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
        items: { $ref: V3_PREFIX + kindDef },
      },
      kind: { type: 'string', description: TYPE_META_DOCS.kind },
      metadata: { description: TYPE_META_DOCS.listMetadata, allOf: [{ $ref: `${V3_PREFIX}${META}.ListMeta` }] },
    },
  });
  return { resource, gvk, kindDef, listDef, own };
}

// ---------------------------------------------------------------------------------------------
// Paths and operations (a neutral form rendered as OpenAPI v3 and Swagger 2.0)

interface QueryParam {
  type: 'string' | 'boolean' | 'integer';
  description: string;
}

const QUERY_PARAMS: Record<string, QueryParam> = {
  allowWatchBookmarks: { type: 'boolean', description: 'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks may ignore this flag.' },
  continue: { type: 'string', description: 'The continue option should be set when retrieving more results from the server, with the value returned in the previous list response.' },
  dryRun: { type: 'string', description: 'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed' },
  fieldManager: { type: 'string', description: 'fieldManager is a name associated with the actor or entity that is making these changes.' },
  fieldSelector: { type: 'string', description: 'A selector to restrict the list of returned objects by their fields. Defaults to everything.' },
  fieldValidation: { type: 'string', description: 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict (the default)' },
  force: { type: 'boolean', description: 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people.' },
  gracePeriodSeconds: { type: 'integer', description: 'The duration in seconds before the object should be deleted.' },
  ignoreStoreReadErrorWithClusterBreakingPotential: { type: 'boolean', description: 'if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error.' },
  labelSelector: { type: 'string', description: 'A selector to restrict the list of returned objects by their labels. Defaults to everything.' },
  limit: { type: 'integer', description: 'limit is a maximum number of responses to return for a list call.' },
  orphanDependents: { type: 'boolean', description: 'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7.' },
  pretty: { type: 'string', description: "If 'true', then the output is pretty printed." },
  propagationPolicy: { type: 'string', description: "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'." },
  resourceVersion: { type: 'string', description: 'resourceVersion sets a constraint on what resource versions a request may be served from.' },
  resourceVersionMatch: { type: 'string', description: 'resourceVersionMatch determines how resourceVersion is applied to list calls.' },
  sendInitialEvents: { type: 'boolean', description: '`sendInitialEvents=true` may be set together with `watch=true`: the stream begins with synthetic ADDED events for the current state.' },
  timeoutSeconds: { type: 'integer', description: 'Timeout for the list/watch call.' },
  watch: { type: 'boolean', description: 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.' },
};

const LIST_PARAMS = ['allowWatchBookmarks', 'continue', 'fieldSelector', 'labelSelector', 'limit', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds', 'watch'];
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'];
const DELETE_PARAMS = ['dryRun', 'gracePeriodSeconds', 'ignoreStoreReadErrorWithClusterBreakingPotential', 'orphanDependents', 'propagationPolicy'];
const DELETECOLLECTION_PARAMS = [
  'continue', 'dryRun', 'fieldSelector', 'gracePeriodSeconds', 'ignoreStoreReadErrorWithClusterBreakingPotential', 'labelSelector',
  'limit', 'orphanDependents', 'propagationPolicy', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds',
];
const PATCH_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'];

const BUILTIN_PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];
const CRD_PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];

interface Operation {
  method: 'get' | 'put' | 'post' | 'delete' | 'patch';
  operationId: string;
  description: string;
  action: string;
  gvk: Gvk;
  query: string[];
  consumes?: string[];
  body?: { ref: string; required: boolean };
  produces: string[];
  responses: { code: string; description: string; ref?: string }[];
}

interface PathEntry {
  path: string;
  params: ('name' | 'namespace')[];
  ops: Operation[];
}

/** GetOperationIDAndTags naming: core -> CoreV1, velero.io -> VeleroIoV2alpha1, snapshot.storage.k8s.io -> SnapshotStorageV1. */
function groupVersionId(group: string, version: string): string {
  const g = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
  return g.split(/[.-]/).map(pascal).join('') + pascal(version);
}

function groupTag(group: string, version: string): string {
  const id = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '').split(/[.-]/).map((p, i) => (i ? pascal(p) : p)).join('');
  return `${id}_${version}`;
}

const article = (kind: string) => (/^[AEIOU]/.test(kind) ? 'an' : 'a');

interface SubresourceSpec {
  methods: ('get' | 'put' | 'patch' | 'post')[];
  /** Kind of the subresource's body; undefined = the resource's own kind. */
  gvk?: Gvk;
}

const SUBRESOURCES: Record<string, SubresourceSpec> = {
  status: { methods: ['get', 'put', 'patch'] },
  scale: { methods: ['get', 'put', 'patch'], gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' } },
  binding: { methods: ['post'], gvk: { group: '', version: 'v1', kind: 'Binding' } },
  eviction: { methods: ['post'], gvk: { group: 'policy', version: 'v1', kind: 'Eviction' } },
};

function pathsFor(model: KindModel): PathEntry[] {
  const { resource: r, gvk } = model;
  const prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const gv = groupVersionId(r.group, r.version);
  const ns = r.namespaced ? 'Namespaced' : '';
  const can = (verb: string) => r.verbs.includes(verb);
  const ref = (def: string) => V3_PREFIX + def;
  const status = `${META}.Status`;
  const produces = r.crd ? ['application/json', 'application/yaml'] : ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
  const streaming = r.crd
    ? [...produces, 'application/json;stream=watch']
    : [...produces, 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];
  const writeConsumes = r.crd ? ['application/json', 'application/yaml'] : ['*/*'];
  const patchConsumes = r.crd ? CRD_PATCH_TYPES : BUILTIN_PATCH_TYPES;
  const ok = (def: string) => ({ code: '200', description: 'OK', ref: ref(def) });
  const unauthorized = { code: '401', description: 'Unauthorized' };
  const base = { gvk, produces };

  const collection = `${prefix}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.resource}`;
  const collectionParams: PathEntry['params'] = r.namespaced ? ['namespace'] : [];
  const itemParams: PathEntry['params'] = r.namespaced ? ['name', 'namespace'] : ['name'];
  const entries: PathEntry[] = [];

  if (r.namespaced && can('list')) {
    entries.push({
      path: `${prefix}/${r.resource}`,
      params: [],
      ops: [{
        ...base, method: 'get', action: 'list', operationId: `list${gv}${r.kind}ForAllNamespaces`,
        description: `list or watch objects of kind ${r.kind}`, query: LIST_PARAMS, produces: streaming,
        responses: [ok(model.listDef), unauthorized],
      }],
    });
  }

  const collectionOps: Operation[] = [];
  if (can('list')) {
    collectionOps.push({
      ...base, method: 'get', action: 'list', operationId: `list${gv}${ns}${r.kind}`,
      description: `list or watch objects of kind ${r.kind}`, query: LIST_PARAMS, produces: streaming,
      responses: [ok(model.listDef), unauthorized],
    });
  }
  if (can('create')) {
    collectionOps.push({
      ...base, method: 'post', action: 'post', operationId: `create${gv}${ns}${r.kind}`,
      description: `create ${article(r.kind)} ${r.kind}`, query: WRITE_PARAMS, consumes: writeConsumes,
      body: { ref: ref(model.kindDef), required: true },
      responses: [ok(model.kindDef), { code: '201', description: 'Created', ref: ref(model.kindDef) },
        { code: '202', description: 'Accepted', ref: ref(model.kindDef) }, unauthorized],
    });
  }
  if (can('deletecollection')) {
    collectionOps.push({
      ...base, method: 'delete', action: 'deletecollection', operationId: `delete${gv}Collection${ns}${r.kind}`,
      description: `delete collection of ${r.kind}`, query: DELETECOLLECTION_PARAMS, consumes: writeConsumes,
      body: { ref: ref(`${META}.DeleteOptions`), required: false },
      responses: [ok(status), unauthorized],
    });
  }
  if (collectionOps.length) entries.push({ path: collection, params: collectionParams, ops: collectionOps });

  const itemOps: Operation[] = [];
  if (can('get')) {
    itemOps.push({
      ...base, method: 'get', action: 'get', operationId: `read${gv}${ns}${r.kind}`,
      description: `read the specified ${r.kind}`, query: [], responses: [ok(model.kindDef), unauthorized],
    });
  }
  if (can('update')) {
    itemOps.push({
      ...base, method: 'put', action: 'put', operationId: `replace${gv}${ns}${r.kind}`,
      description: `replace the specified ${r.kind}`, query: WRITE_PARAMS, consumes: writeConsumes,
      body: { ref: ref(model.kindDef), required: true },
      responses: [ok(model.kindDef), { code: '201', description: 'Created', ref: ref(model.kindDef) }, unauthorized],
    });
  }
  if (can('patch')) {
    itemOps.push({
      ...base, method: 'patch', action: 'patch', operationId: `patch${gv}${ns}${r.kind}`,
      description: `partially update the specified ${r.kind}`, query: PATCH_PARAMS, consumes: patchConsumes,
      body: { ref: ref(`${META}.Patch`), required: true },
      responses: [ok(model.kindDef), { code: '201', description: 'Created', ref: ref(model.kindDef) }, unauthorized],
    });
  }
  if (can('delete')) {
    itemOps.push({
      ...base, method: 'delete', action: 'delete', operationId: `delete${gv}${ns}${r.kind}`,
      description: `delete ${article(r.kind)} ${r.kind}`, query: DELETE_PARAMS, consumes: writeConsumes,
      body: { ref: ref(`${META}.DeleteOptions`), required: false },
      responses: [ok(status), { code: '202', description: 'Accepted', ref: ref(status) }, unauthorized],
    });
  }
  if (itemOps.length) entries.push({ path: `${collection}/{name}`, params: itemParams, ops: itemOps });

  for (const sub of r.subresources) {
    const spec = SUBRESOURCES[sub];
    if (!spec) continue;
    let subDef = model.kindDef;
    let subGvk = gvk;
    if (spec.gvk) {
      const cls = classFor(spec.gvk.group, spec.gvk.version, spec.gvk.kind);
      if (!cls) continue;
      subDef = registry().define(cls, packageFor(spec.gvk.group, spec.gvk.version));
      subGvk = spec.gvk;
    }
    const Sub = pascal(sub);
    const ops: Operation[] = spec.methods.map((method): Operation => {
      const common = { gvk: subGvk, produces };
      switch (method) {
        case 'get':
          return { ...common, method, action: 'get', operationId: `read${gv}${ns}${r.kind}${Sub}`,
            description: `read ${sub} of the specified ${r.kind}`, query: [], responses: [ok(subDef), unauthorized] };
        case 'put':
          return { ...common, method, action: 'put', operationId: `replace${gv}${ns}${r.kind}${Sub}`,
            description: `replace ${sub} of the specified ${r.kind}`, query: WRITE_PARAMS, consumes: writeConsumes,
            body: { ref: ref(subDef), required: true },
            responses: [ok(subDef), { code: '201', description: 'Created', ref: ref(subDef) }, unauthorized] };
        case 'patch':
          return { ...common, method, action: 'patch', operationId: `patch${gv}${ns}${r.kind}${Sub}`,
            description: `partially update ${sub} of the specified ${r.kind}`, query: PATCH_PARAMS, consumes: patchConsumes,
            body: { ref: ref(`${META}.Patch`), required: true },
            responses: [ok(subDef), { code: '201', description: 'Created', ref: ref(subDef) }, unauthorized] };
        default:
          return { ...common, method, action: 'post', operationId: `create${gv}${ns}${r.kind}${Sub}`,
            description: `create ${sub} of ${article(r.kind)} ${r.kind}`, query: WRITE_PARAMS, consumes: writeConsumes,
            body: { ref: ref(subDef), required: true },
            responses: [ok(subDef), { code: '201', description: 'Created', ref: ref(subDef) },
              { code: '202', description: 'Accepted', ref: ref(subDef) }, unauthorized] };
      }
    });
    entries.push({ path: `${collection}/{name}/${sub}`, params: itemParams, ops });
  }
  return entries;
}

const PATH_PARAM_DOCS = {
  name: (kind: string) => `name of the ${kind}`,
  namespace: 'object name and auth scope, such as for teams and projects',
};

// ---------------------------------------------------------------------------------------------
// Rendering: OpenAPI v3

function v3PathItem(entry: PathEntry, kind: string, tag: string): Schema {
  const item: Schema = {};
  for (const op of entry.ops) {
    const o: Schema = {
      tags: [tag],
      description: op.description,
      operationId: op.operationId,
      parameters: op.query.map((name) => ({
        name, in: 'query', description: QUERY_PARAMS[name].description, schema: { type: QUERY_PARAMS[name].type, uniqueItems: true },
      })),
    };
    if (op.body) {
      const types = op.consumes ?? ['*/*'];
      o.requestBody = {
        content: Object.fromEntries(types.map((t) => [t, { schema: { $ref: op.body!.ref } }])),
        ...(op.body.required ? { required: true } : {}),
      };
    }
    o.responses = Object.fromEntries(op.responses.map((resp) => [resp.code, {
      description: resp.description,
      ...(resp.ref ? { content: Object.fromEntries(op.produces.map((t) => [t, { schema: { $ref: resp.ref } }])) } : {}),
    }]));
    o['x-kubernetes-action'] = op.action;
    o['x-kubernetes-group-version-kind'] = { ...op.gvk };
    if (o.parameters.length === 0) delete o.parameters;
    item[op.method] = o;
  }
  item.parameters = [
    ...entry.params.map((p) => ({
      name: p, in: 'path', required: true,
      description: p === 'name' ? PATH_PARAM_DOCS.name(kind) : PATH_PARAM_DOCS.namespace,
      schema: { type: 'string', uniqueItems: true },
    })),
    { name: 'pretty', in: 'query', description: QUERY_PARAMS.pretty.description, schema: { type: 'string', uniqueItems: true } },
  ];
  return item;
}

/** The $ref names a set of schemas reaches, transitively, within `all`. */
function closure(roots: Iterable<string>, all: (name: string) => Schema | undefined): Map<string, Schema> {
  const out = new Map<string, Schema>();
  const queue = [...roots];
  while (queue.length) {
    const name = queue.pop()!;
    if (out.has(name)) continue;
    const schema = all(name);
    if (!schema) continue;
    out.set(name, schema);
    collectRefs(schema, queue);
  }
  return out;
}

function collectRefs(value: unknown, into: string[]): void {
  if (Array.isArray(value)) for (const v of value) collectRefs(v, into);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(V3_PREFIX)) into.push(v.slice(V3_PREFIX.length));
      else collectRefs(v, into);
    }
  }
}

const refName = (ref: string) => ref.slice(V3_PREFIX.length);

function sortedObject<T>(entries: [string, T][]): Record<string, T> {
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

interface Built {
  models: KindModel[];
  gvDocs: Map<string, { doc: Schema; body: Buffer; hash: string }>;
  root?: Schema;
  v2?: Schema;
  v2Json?: Buffer;
  v2Proto?: Buffer;
}

/** Documents of the last few resource sets, keyed by content so in-place edits are never served stale. */
const cache = new Map<string, Built>();
const CACHE_SIZE = 4;

function built(resources: ResourceInfo[]): Built {
  const key = JSON.stringify(resources);
  let b = cache.get(key);
  if (!b) {
    b = { models: resources.map((r) => kindModel(clone(r))), gvDocs: new Map() };
    cache.set(key, b);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }
  return b;
}

function gvPathOf(r: { group: string; version: string }): string {
  return r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
}

function normalizeGvPath(gvPath: string): string {
  return gvPath.split('?')[0].replace(/^\/+/, '').replace(/^openapi\/v3\/+/, '').replace(/\/+$/, '');
}

/** Looks a definition up among the built-ins and the resources' own (CRD) definitions. */
function lookup(models: KindModel[]): (name: string) => Schema | undefined {
  const own = new Map<string, Schema>();
  for (const m of models) for (const [k, v] of m.own) own.set(k, v);
  return (name) => own.get(name) ?? registry().defs.get(name);
}

function definitionWithGvk(name: string, schema: Schema, gvks: Map<string, Gvk[]>): Schema {
  const list = gvks.get(name);
  return list ? { ...schema, 'x-kubernetes-group-version-kind': list } : schema;
}

/** Definition name -> the GVKs it is the schema of (kind and list kind of every served resource). */
function gvkIndex(models: KindModel[]): Map<string, Gvk[]> {
  const index = new Map<string, Gvk[]>();
  const add = (def: string, gvk: Gvk) => {
    const list = index.get(def) ?? [];
    if (!list.some((g) => g.group === gvk.group && g.version === gvk.version && g.kind === gvk.kind)) list.push(gvk);
    index.set(def, list);
  };
  for (const m of models) {
    add(m.kindDef, gvkExtension(m.gvk)[0]);
    add(m.listDef, { group: m.gvk.group, kind: m.resource.listKind, version: m.gvk.version });
  }
  return index;
}

function buildV3Doc(b: Built, gvPath: string): Schema | undefined {
  const models = b.models.filter((m) => gvPathOf(m.resource) === gvPath);
  if (models.length === 0) return undefined;
  const tag = groupTag(models[0].resource.group, models[0].resource.version);
  const paths: [string, Schema][] = [];
  for (const m of models) for (const e of pathsFor(m)) paths.push([e.path, v3PathItem(e, m.resource.kind, tag)]);
  const refs: string[] = [];
  collectRefs(paths, refs);
  const gvks = gvkIndex(models);
  const defs = closure(refs, lookup(models));
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: OPENAPI_INFO_VERSION },
    paths: sortedObject(paths),
    components: {
      schemas: sortedObject([...defs].map(([name, s]) => [name, definitionWithGvk(name, s, gvks)])),
      securitySchemes: {
        BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' },
      },
    },
    security: [{ BearerToken: [] }],
  };
}

/** sha512 of the document, upper-case hex: the `hash` kube-apiserver puts in serverRelativeURL. */
function etag(body: Buffer): string {
  return createHash('sha512').update(body).digest('hex').toUpperCase();
}

/**
 * One group-version document, serialized: the body to send (Content-Type application/json) and
 * its hash. Serve it with `Etag: "<hash>"`; when the request's `hash` query parameter is present
 * and differs, kube-apiserver answers 301 to the current URL, and when it matches it adds
 * `Cache-Control: public, immutable` (kubectl caches the document on disk by that URL).
 */
export function openApiV3Document(resources: ResourceInfo[], gvPath: string): { body: Buffer; hash: string; contentType: string } | undefined {
  const b = built(resources);
  const key = normalizeGvPath(gvPath);
  let entry = b.gvDocs.get(key);
  if (!entry) {
    const doc = buildV3Doc(b, key);
    if (!doc) return undefined;
    const body = Buffer.from(JSON.stringify(doc));
    entry = { doc, body, hash: etag(body) };
    b.gvDocs.set(key, entry);
  }
  return { body: entry.body, hash: entry.hash, contentType: 'application/json' };
}

/** GET /openapi/v3/<gvPath> (gvPath like "api/v1" or "apis/velero.io/v2alpha1"); undefined when not served. */
export function openApiV3GroupVersion(resources: ResourceInfo[], gvPath: string): object | undefined {
  if (!openApiV3Document(resources, gvPath)) return undefined;
  return built(resources).gvDocs.get(normalizeGvPath(gvPath))!.doc;
}

/** GET /openapi/v3: every served group-version with the URL (and content hash) of its document. */
export function openApiV3Root(resources: ResourceInfo[]): object {
  const b = built(resources);
  if (!b.root) {
    const gvPaths = [...new Set(b.models.map((m) => gvPathOf(m.resource)))].sort();
    b.root = {
      paths: Object.fromEntries(gvPaths.map((gv) => [gv, {
        serverRelativeURL: `/openapi/v3/${gv}?hash=${openApiV3Document(resources, gv)!.hash}`,
      }])),
    };
  }
  return b.root;
}

// ---------------------------------------------------------------------------------------------
// Rendering: Swagger 2.0

const V2_PREFIX = '#/definitions/';
const V3_ONLY = new Set(['nullable', 'oneOf', 'anyOf', 'allOf', 'not']);

/**
 * A v3 schema as Swagger 2.0 that kubectl's parser (kube-openapi pkg/util/proto) accepts:
 * refs point at #/definitions and stand alone, one type per schema, arrays always have items.
 * `structural` applies apiextensions' ToStructuralOpenAPIV2 to CRD schemas.
 */
function toV2(s: unknown, structural: boolean): Schema {
  if (!s || typeof s !== 'object' || Array.isArray(s)) return {};
  const src = s as Schema;
  // {description, allOf: [{$ref}]} -> {description, $ref}
  if (Array.isArray(src.allOf) && src.allOf.length === 1 && src.allOf[0]?.$ref && !src.properties && !src.type) {
    return { ...(src.description ? { description: src.description } : {}), $ref: String(src.allOf[0].$ref).replace(V3_PREFIX, V2_PREFIX) };
  }
  if (typeof src.$ref === 'string') {
    return { ...(src.description ? { description: src.description } : {}), $ref: src.$ref.replace(V3_PREFIX, V2_PREFIX) };
  }
  const out: Schema = {};
  for (const [k, v] of Object.entries(src)) {
    if (V3_ONLY.has(k)) continue;
    if (k === 'properties' && v && typeof v === 'object') {
      out.properties = Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, toV2(ps, structural)]));
    } else if (k === 'items') {
      out.items = toV2(Array.isArray(v) ? v[0] : v, structural);
    } else if (k === 'additionalProperties') {
      out.additionalProperties = typeof v === 'boolean' ? v : toV2(v, structural);
    } else out[k] = clone(v);
  }
  if (structural) {
    if (src.nullable === true) {
      delete out.type;
      delete out.items;
      delete out.properties;
    }
    if (src['x-kubernetes-preserve-unknown-fields'] === true) {
      delete out.items;
      delete out.properties;
      if (out.type === 'object') delete out.type;
    }
    if (out.type === 'array' && !out.items) delete out.type;
    if (out.properties && Array.isArray(out.required)) {
      const nullable = new Set(Object.entries(src.properties ?? {}).filter(([, p]: [string, any]) => p?.nullable).map(([n]) => n));
      out.required = out.required.filter((r: string) => !nullable.has(r));
      if (out.required.length === 0) delete out.required;
    }
  }
  if (Array.isArray(out.type)) out.type = out.type[0];
  if (out.type === 'array' && !out.items) out.items = {};
  return out;
}

function v2Definition(model: KindModel | undefined, schema: Schema): Schema {
  if (!model?.resource.crd) return toV2(schema, false);
  // buildKubeNative (V2): a root that preserves unknown fields is published as a bare object.
  if (schema['x-kubernetes-preserve-unknown-fields'] === true) return { type: 'object' };
  return toV2(schema, true);
}

function v2PathItem(entry: PathEntry, kind: string, tag: string): Schema {
  const item: Schema = {};
  for (const op of entry.ops) {
    const parameters: Schema[] = [];
    if (op.body) {
      parameters.push({ name: 'body', in: 'body', ...(op.body.required ? { required: true } : {}), schema: { $ref: op.body.ref.replace(V3_PREFIX, V2_PREFIX) } });
    }
    for (const name of op.query) {
      parameters.push({ uniqueItems: true, type: QUERY_PARAMS[name].type, description: QUERY_PARAMS[name].description, name, in: 'query' });
    }
    item[op.method] = {
      description: op.description,
      ...(op.consumes ? { consumes: op.consumes } : {}),
      produces: op.produces,
      schemes: ['https'],
      tags: [tag],
      operationId: op.operationId,
      ...(parameters.length ? { parameters } : {}),
      responses: Object.fromEntries(op.responses.map((r) => [r.code, {
        description: r.description,
        ...(r.ref ? { schema: { $ref: r.ref.replace(V3_PREFIX, V2_PREFIX) } } : {}),
      }])),
      'x-kubernetes-action': op.action,
      'x-kubernetes-group-version-kind': { ...op.gvk },
    };
  }
  item.parameters = [
    ...entry.params.map((p) => ({
      uniqueItems: true, type: 'string', name: p, in: 'path', required: true,
      description: p === 'name' ? PATH_PARAM_DOCS.name(kind) : PATH_PARAM_DOCS.namespace,
    })),
    { uniqueItems: true, type: 'string', description: QUERY_PARAMS.pretty.description, name: 'pretty', in: 'query' },
  ];
  return item;
}

function buildV2(b: Built): Schema {
  const paths: [string, Schema][] = [];
  const refs: string[] = [];
  for (const m of b.models) {
    const tag = groupTag(m.resource.group, m.resource.version);
    refs.push(m.kindDef, m.listDef);
    for (const e of pathsFor(m)) {
      for (const op of e.ops) {
        if (op.body) refs.push(refName(op.body.ref));
        for (const r of op.responses) if (r.ref) refs.push(refName(r.ref));
      }
      paths.push([e.path, v2PathItem(e, m.resource.kind, tag)]);
    }
  }
  const gvks = gvkIndex(b.models);
  const defs = closure(refs, lookup(b.models));
  const owner = new Map<string, KindModel>();
  for (const m of b.models) for (const name of m.own.keys()) owner.set(name, m);
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: OPENAPI_INFO_VERSION },
    paths: sortedObject(paths),
    definitions: sortedObject([...defs].map(([name, s]) => [name, definitionWithGvk(name, v2Definition(owner.get(name), s), gvks)])),
    securityDefinitions: {
      BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' },
    },
    security: [{ BearerToken: [] }],
  };
}

interface AcceptClause {
  type: string;
  subtype: string;
  q: number;
}

/** goautoneg.ParseAccept: clauses by descending q, then by specificity. */
function parseAccept(accept: string): AcceptClause[] {
  return (accept.trim() === '' ? '*/*' : accept)
    .split(',')
    .map((part) => {
      const [media, ...params] = part.trim().split(';');
      const [type = '', subtype = ''] = media.trim().split('/');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { type, subtype, q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((c) => c.type !== '' && c.q > 0)
    .map((c, i) => ({ ...c, i }))
    .sort((a, b) => b.q - a.q || Number(a.subtype === '*') - Number(b.subtype === '*') || Number(a.type === '*') - Number(b.type === '*') || a.i - b.i);
}

/**
 * GET /openapi/v2. Content negotiation as kube-openapi's handler: application/json gives the
 * Swagger JSON; the protobuf media types (kubectl's `...spec.v2@v1.0+protobuf`) give the gnostic
 * openapi_v2.Document protobuf with Content-Type `...spec.v2.v1.0+protobuf`; anything else 406.
 */
export function openApiV2(resources: ResourceInfo[], accept: string): { contentType: string; body: Buffer; status: number } {
  const b = built(resources);
  for (const clause of parseAccept(accept)) {
    if (clause.type !== 'application' && clause.type !== '*') continue;
    if (clause.subtype === 'json' || clause.subtype === '*') {
      b.v2 ??= buildV2(b);
      b.v2Json ??= Buffer.from(JSON.stringify(b.v2));
      return { status: 200, contentType: 'application/json', body: b.v2Json };
    }
    if (OPENAPI_V2_PROTOBUF_ACCEPT.includes(clause.subtype)) {
      b.v2 ??= buildV2(b);
      b.v2Proto ??= encodeOpenApiV2Document(b.v2);
      return { status: 200, contentType: OPENAPI_V2_PROTOBUF, body: b.v2Proto };
    }
  }
  return { status: 406, contentType: 'text/plain; charset=utf-8', body: Buffer.alloc(0) };
}

// ---------------------------------------------------------------------------------------------
// Protobuf: the gnostic openapi_v2.Document (github.com/google/gnostic-models openapiv2/OpenAPIv2.proto),
// only the messages and fields a Kubernetes Swagger document uses.

class ProtoWriter {
  private chunks: Buffer[] = [];
  private size = 0;

  private push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
  }

  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    while (v > 0x7fn) {
      bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(Number(v));
    this.push(Buffer.from(bytes));
  }

  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  string(field: number, value: unknown): void {
    if (typeof value !== 'string' || value === '') return;
    const b = Buffer.from(value, 'utf8');
    this.key(field, 2);
    this.varint(b.length);
    this.push(b);
  }

  strings(field: number, values: unknown): void {
    if (Array.isArray(values)) for (const v of values) if (typeof v === 'string') this.stringAlways(field, v);
  }

  private stringAlways(field: number, value: string): void {
    const b = Buffer.from(value, 'utf8');
    this.key(field, 2);
    this.varint(b.length);
    this.push(b);
  }

  bool(field: number, value: unknown, always = false): void {
    if (typeof value !== 'boolean' || (!value && !always)) return;
    this.key(field, 0);
    this.varint(value ? 1 : 0);
  }

  int64(field: number, value: unknown): void {
    if (typeof value !== 'number' || !Number.isInteger(value) || value === 0) return;
    this.key(field, 0);
    this.varint(value);
  }

  double(field: number, value: unknown): void {
    if (typeof value !== 'number' || value === 0) return;
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    this.key(field, 1);
    this.push(b);
  }

  message(field: number, encode: (w: ProtoWriter) => void): void {
    const w = new ProtoWriter();
    encode(w);
    const body = w.finish();
    this.key(field, 2);
    this.varint(body.length);
    this.push(body);
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

/** gnostic Any: the value as YAML text (JSON is YAML). */
function encodeAny(w: ProtoWriter, value: unknown): void {
  w.string(2, `${JSON.stringify(value)}\n`);
}

function encodeVendorExtensions(w: ProtoWriter, field: number, obj: Schema): void {
  for (const [k, v] of Object.entries(obj)) {
    if (k.startsWith('x-') && v !== undefined) {
      w.message(field, (na) => {
        na.string(1, k);
        na.message(2, (a) => encodeAny(a, v));
      });
    }
  }
}

function encodeSchema(w: ProtoWriter, s: Schema): void {
  w.string(1, s.$ref);
  w.string(2, s.format);
  w.string(3, s.title);
  w.string(4, s.description);
  if (s.default !== undefined) w.message(5, (a) => encodeAny(a, s.default));
  w.double(6, s.multipleOf);
  w.double(7, s.maximum);
  w.bool(8, s.exclusiveMaximum);
  w.double(9, s.minimum);
  w.bool(10, s.exclusiveMinimum);
  w.int64(11, s.maxLength);
  w.int64(12, s.minLength);
  w.string(13, s.pattern);
  w.int64(14, s.maxItems);
  w.int64(15, s.minItems);
  w.bool(16, s.uniqueItems);
  w.int64(17, s.maxProperties);
  w.int64(18, s.minProperties);
  w.strings(19, s.required);
  if (Array.isArray(s.enum)) for (const e of s.enum) w.message(20, (a) => encodeAny(a, e));
  if (typeof s.additionalProperties === 'boolean') w.message(21, (ap) => ap.bool(2, s.additionalProperties, true));
  else if (s.additionalProperties && typeof s.additionalProperties === 'object') {
    w.message(21, (ap) => ap.message(1, (x) => encodeSchema(x, s.additionalProperties)));
  }
  if (typeof s.type === 'string') w.message(22, (t) => t.strings(1, [s.type]));
  if (s.items && typeof s.items === 'object') w.message(23, (it) => it.message(1, (x) => encodeSchema(x, s.items)));
  if (s.properties && typeof s.properties === 'object') {
    w.message(25, (props) => {
      for (const [name, ps] of Object.entries(s.properties)) {
        props.message(1, (ns) => {
          ns.string(1, name);
          ns.message(2, (x) => encodeSchema(x, ps as Schema));
        });
      }
    });
  }
  w.bool(27, s.readOnly);
  if (s.example !== undefined) w.message(30, (a) => encodeAny(a, s.example));
  encodeVendorExtensions(w, 31, s);
}

function encodeParameter(w: ProtoWriter, p: Schema): void {
  // ParametersItem.parameter(1) -> Parameter
  w.message(1, (param) => {
    if (p.in === 'body') {
      param.message(1, (bp) => {
        bp.string(1, p.description);
        bp.string(2, p.name);
        bp.string(3, p.in);
        bp.bool(4, p.required);
        if (p.schema) bp.message(5, (x) => encodeSchema(x, p.schema));
        encodeVendorExtensions(bp, 6, p);
      });
      return;
    }
    param.message(2, (nb) => {
      if (p.in === 'path') {
        nb.message(4, (pp) => {
          pp.bool(1, p.required);
          pp.string(2, p.in);
          pp.string(3, p.description);
          pp.string(4, p.name);
          pp.string(5, p.type);
          pp.string(6, p.format);
          pp.bool(19, p.uniqueItems);
          encodeVendorExtensions(pp, 22, p);
        });
      } else {
        nb.message(3, (qp) => {
          qp.bool(1, p.required);
          qp.string(2, p.in);
          qp.string(3, p.description);
          qp.string(4, p.name);
          qp.string(6, p.type);
          qp.string(7, p.format);
          qp.bool(20, p.uniqueItems);
          encodeVendorExtensions(qp, 23, p);
        });
      }
    });
  });
}

function encodeOperation(w: ProtoWriter, op: Schema): void {
  w.strings(1, op.tags);
  w.string(2, op.summary);
  w.string(3, op.description);
  w.string(5, op.operationId);
  w.strings(6, op.produces);
  w.strings(7, op.consumes);
  for (const p of op.parameters ?? []) w.message(8, (pi) => encodeParameter(pi, p));
  if (op.responses) {
    w.message(9, (rs) => {
      for (const [code, resp] of Object.entries(op.responses as Record<string, Schema>)) {
        rs.message(1, (nrv) => {
          nrv.string(1, code);
          nrv.message(2, (rv) => rv.message(1, (r) => {
            r.string(1, resp.description);
            if (resp.schema) r.message(2, (si) => si.message(1, (x) => encodeSchema(x, resp.schema)));
          }));
        });
      }
    });
  }
  w.strings(10, op.schemes);
  w.bool(11, op.deprecated);
  encodeVendorExtensions(w, 13, op);
}

const PATH_ITEM_METHODS: [string, number][] = [['get', 2], ['put', 3], ['post', 4], ['delete', 5], ['options', 6], ['head', 7], ['patch', 8]];

/** Swagger 2.0 JSON (as built above) -> gnostic openapi_v2.Document protobuf bytes. */
export function encodeOpenApiV2Document(doc: Schema): Buffer {
  const w = new ProtoWriter();
  w.string(1, doc.swagger);
  if (doc.info) {
    w.message(2, (info) => {
      info.string(1, doc.info.title);
      info.string(2, doc.info.version);
      info.string(3, doc.info.description);
    });
  }
  w.string(3, doc.host);
  w.string(4, doc.basePath);
  w.strings(5, doc.schemes);
  w.strings(6, doc.consumes);
  w.strings(7, doc.produces);
  if (doc.paths) {
    w.message(8, (paths) => {
      for (const [p, item] of Object.entries(doc.paths as Record<string, Schema>)) {
        paths.message(2, (npi) => {
          npi.string(1, p);
          npi.message(2, (pi) => {
            for (const [method, field] of PATH_ITEM_METHODS) if (item[method]) pi.message(field, (o) => encodeOperation(o, item[method]));
            for (const param of item.parameters ?? []) pi.message(9, (x) => encodeParameter(x, param));
            encodeVendorExtensions(pi, 10, item);
          });
        });
      }
    });
  }
  if (doc.definitions) {
    w.message(9, (defs) => {
      for (const [name, s] of Object.entries(doc.definitions as Record<string, Schema>)) {
        defs.message(1, (ns) => {
          ns.string(1, name);
          ns.message(2, (x) => encodeSchema(x, s));
        });
      }
    });
  }
  for (const req of doc.security ?? []) {
    w.message(12, (sr) => {
      for (const [name, scopes] of Object.entries(req as Record<string, string[]>)) {
        sr.message(1, (nsa) => {
          nsa.string(1, name);
          nsa.message(2, (sa) => sa.strings(1, scopes));
        });
      }
    });
  }
  if (doc.securityDefinitions) {
    w.message(13, (sd) => {
      for (const [name, def] of Object.entries(doc.securityDefinitions as Record<string, Schema>)) {
        sd.message(1, (nsd) => {
          nsd.string(1, name);
          nsd.message(2, (item) => item.message(2, (key) => {
            key.string(1, def.type);
            key.string(2, def.name);
            key.string(3, def.in);
            key.string(4, def.description);
          }));
        });
      }
    });
  }
  encodeVendorExtensions(w, 16, doc);
  return w.finish();
}
