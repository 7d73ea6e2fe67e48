// Shared shapes of the embedded API server. Kubernetes object types come from
// @kubernetes/client-node; these are the server's own bookkeeping types.

/** A stored Kubernetes object as JSON (apiVersion, kind, metadata, ...). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The OpenAPI v3 subset Kubernetes CRDs use (apiextensions.k8s.io/v1 JSONSchemaProps). */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  multipleOf?: number;
  allOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: unknown[];
  [key: string]: unknown;
}

/** additionalPrinterColumns entry of a CRD version (also used for built-in tables). */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  format?: string;
  description?: string;
  priority?: number;
}

/** One served resource: what discovery, routing, validation and tables need to know. */
export interface ResourceInfo {
  /** '' for the core group. */
  group: string;
  version: string;
  /** Plural lower-case name used in URLs, e.g. "pods". */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  /** Subresources served, e.g. ["status", "binding", "eviction"]. */
  subresources: string[];
  /** OpenAPI v3 schema of the whole object (CRDs: the version's openAPIV3Schema). */
  schema?: JSONSchemaProps;
  /** Columns for server-side Table printing (kubectl get). */
  printerColumns: PrinterColumn[];
  /** True when served from a CustomResourceDefinition. */
  crd: boolean;
  /** Field selectors this resource accepts besides metadata.name and metadata.namespace. */
  fieldSelectors?: string[];
}

/** A Kubernetes field error, as carried in Status.details.causes. */
export interface FieldError {
  /** Kubernetes cause reason, e.g. FieldValueRequired, FieldValueInvalid, FieldValueNotSupported. */
  reason: string;
  /** Dotted field path, e.g. "spec.phase" or "spec.containers[0].name". */
  field: string;
  /** Human message without the field prefix, e.g. 'Unsupported value: "Foo": supported values: "New"'. */
  message: string;
}
