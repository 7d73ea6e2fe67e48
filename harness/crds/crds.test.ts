import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { DATA_UPLOAD_PHASES, type DataUpload, type DataUploadSpec, type DataUploadStatus } from '../../controller/api/dataupload.ts';
import type { VolumeSnapshot, VolumeSnapshotContent } from '../../controller/api/snapshot.ts';
import { pruneUnknownFields, validateAgainstSchema } from '../apiserver/schema.ts';
import type { JSONSchemaProps } from '../apiserver/types.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');

// Only the shape of a CRD these tests read.
interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  required?: string[];
  nullable?: boolean;
  pattern?: string;
  minimum?: number;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  'x-kubernetes-int-or-string'?: boolean;
  [key: string]: unknown;
}
interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: { openAPIV3Schema: Schema };
  additionalPrinterColumns?: Record<string, unknown>[];
  subresources?: { status?: object; scale?: object };
}
interface Crd {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames?: string[] };
    scope: 'Namespaced' | 'Cluster';
    versions: CrdVersion[];
  };
}

const readYaml = (file: string): Crd => parse(readFileSync(file, 'utf8')) as Crd;
const ours = readYaml(path.join(repoRoot, 'controller/api/crds/velero.io_datauploads.yaml'));
const velero = readYaml(path.resolve(repoRoot, '../shared/reference/velero.io_datauploads.yaml'));
const snapshotCrds = parseAllDocuments(readFileSync(path.join(repoRoot, 'harness/crds/snapshot.storage.k8s.io.yaml'), 'utf8'))
  .map((doc) => doc.toJS() as Crd | null)
  .filter((doc): doc is Crd => doc !== null);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const SET_KEYS = new Set(['enum', 'required']);

/**
 * Every difference between two YAML trees, as "path: ours X, theirs Y", ignoring `description`
 * (wording is ours) and the order of `enum` and `required` (sets in OpenAPI).
 */
function structuralDiff(a: unknown, b: unknown, at = '$'): string[] {
  const show = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v));
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [`${at}: ours has ${a.length} items, theirs ${b.length}`];
    return a.flatMap((item, i) => structuralDiff(item, b[i], `${at}[${i}]`));
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => k !== 'description').sort();
    return keys.flatMap((k) => {
      const [x, y] = [a[k], b[k]];
      if (SET_KEYS.has(k) && Array.isArray(x) && Array.isArray(y)) {
        return structuralDiff([...x].map(String).sort(), [...y].map(String).sort(), `${at}.${k}`);
      }
      return structuralDiff(x, y, `${at}.${k}`);
    });
  }
  return Object.is(a, b) ? [] : [`${at}: ours ${show(a)}, theirs ${show(b)}`];
}

/** What the embedded API server says of an object: field errors, then fields it would prune. */
function violations(schema: Schema, value: unknown): string[] {
  const s = schema as JSONSchemaProps;
  return [
    ...validateAgainstSchema(s, value).map((e) => `${e.field}: ${e.message}`),
    ...pruneUnknownFields(s, structuredClone(value)).map((p) => `${p}: unknown field`),
  ];
}

const only = <T>(items: T[]): T => {
  expect(items).toHaveLength(1);
  return items[0];
};
const oursV = only(ours.spec.versions);
const veleroV = only(velero.spec.versions);
const phaseEnum = (crd: CrdVersion): unknown[] =>
  crd.schema.openAPIV3Schema.properties!.status!.properties!.phase!.enum!;

// Every DataUpload field set, so the schema checks see all of them (and tsc sees them all typed).
const fullSpec: Required<DataUploadSpec> = {
  snapshotType: 'CSI',
  csiSnapshot: { volumeSnapshot: 'vs-pvc-0', storageClass: 'standard', snapshotClass: 'csi-snapclass', driver: 'hostpath.csi.k8s.io' },
  sourcePVC: 'pvc-0',
  datamover: 'velero',
  backupStorageLocation: 'default',
  sourceNamespace: 'app-0',
  dataMoverConfig: { key: 'value' },
  cancel: false,
  operationTimeout: '10m0s',
};
const fullStatus: Required<DataUploadStatus> = {
  phase: 'DatamoverDeploying',
  path: '/host_pods/x/volumes/y',
  snapshotID: 'k123',
  dataMoverResult: { key: 'value' },
  message: '',
  startTimestamp: '2025-01-01T00:00:05Z',
  completionTimestamp: null,
  progress: { totalBytes: 21474836480, bytesDone: 1024 },
  incrementalBytes: 0,
  node: 'node-a',
  nodeOS: 'linux',
  acceptedByNode: 'node-a',
  acceptedTimestamp: '2025-01-01T00:00:01Z',
};
const dataUpload: DataUpload = {
  apiVersion: 'velero.io/v2alpha1',
  kind: 'DataUpload',
  metadata: { name: 'backup-1-abcde', namespace: 'velero' },
  spec: fullSpec,
  status: fullStatus,
};

describe('DataUpload CRD (controller/api/crds/velero.io_datauploads.yaml)', () => {
  it('structural diff reports the differing path', () => {
    const mutated = structuredClone(veleroV.schema.openAPIV3Schema);
    mutated.properties!.status!.properties!.acceptedTimestamp!.format = 'date';
    expect(structuralDiff(mutated, veleroV.schema.openAPIV3Schema)).toEqual([
      '$.properties.status.properties.acceptedTimestamp.format: ours "date", theirs "date-time"',
    ]);
  });

  it('has Velero schema, field for field, with DatamoverDeploying added to the phase enum', () => {
    const expected = structuredClone(veleroV.schema.openAPIV3Schema);
    const phase = expected.properties!.status!.properties!.phase!;
    expect(phase.enum).not.toContain('DatamoverDeploying');
    phase.enum = [...phase.enum!, 'DatamoverDeploying'];
    const diffs = structuralDiff(oursV.schema.openAPIV3Schema, expected);
    expect(diffs, diffs.join('\n')).toEqual([]);
  });

  it('has Velero names, scope, group and version', () => {
    expect(ours.apiVersion).toBe(velero.apiVersion);
    expect(ours.kind).toBe('CustomResourceDefinition');
    expect(ours.metadata.name).toBe(velero.metadata.name);
    expect(ours.spec.group).toBe(velero.spec.group);
    expect(ours.spec.names).toEqual(velero.spec.names);
    expect(ours.spec.scope).toBe(velero.spec.scope);
    expect({ name: oursV.name, served: oursV.served, storage: oursV.storage }).toEqual({
      name: veleroV.name,
      served: veleroV.served,
      storage: veleroV.storage,
    });
  });

  it('has Velero printer columns, in order', () => {
    const diffs = structuralDiff(oursV.additionalPrinterColumns, veleroV.additionalPrinterColumns);
    expect(diffs, diffs.join('\n')).toEqual([]);
  });

  it('declares no subresources, like Velero: status is written through the main resource', () => {
    expect(oursV.subresources?.status).toBeUndefined();
    expect(oursV.subresources?.scale).toBeUndefined();
    expect(veleroV.subresources?.status).toBeUndefined();
  });

  it('accepts a DataUpload with every field set and rejects it on Velero only for the new phase', () => {
    const withAllFields = JSON.parse(JSON.stringify(dataUpload)) as unknown;
    expect(violations(oursV.schema.openAPIV3Schema, withAllFields)).toEqual([]);
    expect(violations(veleroV.schema.openAPIV3Schema, withAllFields)).toEqual([
      `status.phase: Unsupported value: "DatamoverDeploying": supported values: ${phaseEnum(veleroV).map((p) => JSON.stringify(p)).join(', ')}`,
    ]);
  });

  it('the TypeScript type has exactly the CRD fields', () => {
    const props = oursV.schema.openAPIV3Schema.properties!;
    expect(Object.keys(fullSpec).sort()).toEqual(Object.keys(props.spec!.properties!).sort());
    expect(Object.keys(fullStatus).sort()).toEqual(Object.keys(props.status!.properties!).sort());
  });

  it('DATA_UPLOAD_PHASES is the CRD phase enum', () => {
    expect([...DATA_UPLOAD_PHASES]).toEqual(phaseEnum(oursV));
  });
});

describe('snapshot.storage.k8s.io CRDs (harness/crds/snapshot.storage.k8s.io.yaml)', () => {
  const byKind = (kind: string): Crd => only(snapshotCrds.filter((crd) => crd.spec.names.kind === kind));

  it.each([
    { kind: 'VolumeSnapshot', plural: 'volumesnapshots', scope: 'Namespaced', shortNames: ['vs'], status: true },
    { kind: 'VolumeSnapshotContent', plural: 'volumesnapshotcontents', scope: 'Cluster', shortNames: ['vsc', 'vscs'], status: true },
    { kind: 'VolumeSnapshotClass', plural: 'volumesnapshotclasses', scope: 'Cluster', shortNames: ['vsclass', 'vsclasses'], status: false },
  ])('$kind: $scope, short names $shortNames, status subresource $status', ({ kind, plural, scope, shortNames, status }) => {
    const crd = byKind(kind);
    expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
    expect(crd.kind).toBe('CustomResourceDefinition');
    expect(crd.metadata.name).toBe(`${plural}.snapshot.storage.k8s.io`);
    expect(crd.spec.group).toBe('snapshot.storage.k8s.io');
    expect(crd.spec.names.plural).toBe(plural);
    expect(crd.spec.scope).toBe(scope);
    expect(crd.spec.names.shortNames).toEqual(shortNames);
    const v1 = only(crd.spec.versions);
    expect(v1).toMatchObject({ name: 'v1', served: true, storage: true });
    expect(v1.subresources?.status !== undefined).toBe(status);
  });

  it('holds exactly these three CRDs', () => {
    expect(snapshotCrds.map((crd) => crd.spec.names.kind).sort()).toEqual(['VolumeSnapshot', 'VolumeSnapshotClass', 'VolumeSnapshotContent']);
  });

  const schemaOf = (kind: string): Schema => only(byKind(kind).spec.versions).schema.openAPIV3Schema;
  const volumeSnapshot: VolumeSnapshot = {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshot',
    metadata: { name: 'vs-pvc-0', namespace: 'app-0' },
    spec: { source: { persistentVolumeClaimName: 'pvc-0' }, volumeSnapshotClassName: 'csi-snapclass' },
    status: { boundVolumeSnapshotContentName: 'snapcontent-1', creationTime: '2025-01-01T00:00:00Z', readyToUse: true, restoreSize: '20Gi' },
  };
  const content: VolumeSnapshotContent = {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshotContent',
    metadata: { name: 'snapcontent-1' },
    spec: {
      deletionPolicy: 'Delete',
      driver: 'hostpath.csi.k8s.io',
      source: { volumeHandle: 'pv-0' },
      sourceVolumeMode: 'Filesystem',
      volumeSnapshotClassName: 'csi-snapclass',
      volumeSnapshotRef: { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot', name: 'vs-pvc-0', namespace: 'app-0', uid: 'u-1' },
    },
    status: { creationTime: 1735689600000000000, readyToUse: true, restoreSize: 21474836480, snapshotHandle: 'snap-1' },
  };
  const asJson = (o: object): Record<string, unknown> => JSON.parse(JSON.stringify(o)) as Record<string, unknown>;

  it('accepts a typical VolumeSnapshot and VolumeSnapshotContent', () => {
    expect(violations(schemaOf('VolumeSnapshot'), asJson(volumeSnapshot))).toEqual([]);
    expect(violations(schemaOf('VolumeSnapshotContent'), asJson(content))).toEqual([]);
  });

  it('rejects objects that miss required fields or break an enum or a format', () => {
    const noSource = asJson(volumeSnapshot);
    delete (noSource.spec as Record<string, unknown>).source;
    expect(violations(schemaOf('VolumeSnapshot'), noSource)).toEqual(['spec.source: Required value']);

    const badContent = asJson(content);
    const spec = badContent.spec as Record<string, unknown>;
    delete spec.driver;
    spec.deletionPolicy = 'Keep';
    (badContent.status as Record<string, unknown>).restoreSize = '20Gi';
    expect(violations(schemaOf('VolumeSnapshotContent'), badContent).sort()).toEqual([
      'spec.deletionPolicy: Unsupported value: "Keep": supported values: "Delete", "Retain"',
      'spec.driver: Required value',
      'status.restoreSize: Invalid value: "string": status.restoreSize in body must be of type integer: "string"',
    ]);
  });
});
