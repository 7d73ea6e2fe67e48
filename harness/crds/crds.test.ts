import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { DATA_UPLOAD_PHASES, type DataUpload, type DataUploadSpec, type DataUploadStatus } from '../../controller/api/dataupload.ts';
import type { VolumeSnapshot, VolumeSnapshotContent } from '../../controller/api/snapshot.ts';
import { pruneUnknownFields, validateAgainstSchema } from '../apiserver/schema.ts';
import type { JSONSchemaProps } from '../apiserver/types.ts';
import { VELERO_DATAUPLOAD, VELERO_PHASES, veleroDataUploadSchema } from './velero-dataupload.ts';

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
/** Velero's schema as the project's own facts state it (velero-dataupload.ts). */
const veleroSchema = veleroDataUploadSchema() as Schema;
const phaseEnum = (crd: CrdVersion): unknown[] =>
  crd.schema.openAPIV3Schema.properties!.status!.properties!.phase!.enum!;

/**
 * How a CRD version differs from Velero's DataUpload as the facts state it, once the one addition
 * the project makes (DatamoverDeploying in status.phase) is allowed for. Empty means compatible.
 */
function differencesFromVelero(version: CrdVersion): string[] {
  const expected = structuredClone(veleroSchema);
  const phase = expected.properties!.status!.properties!.phase!;
  phase.enum = [...phase.enum!, 'DatamoverDeploying'];
  return [
    ...structuralDiff(version.schema.openAPIV3Schema, expected),
    ...structuralDiff(version.additionalPrinterColumns, VELERO_DATAUPLOAD.printerColumns, '$.additionalPrinterColumns'),
  ];
}

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
    const mutated = structuredClone(veleroSchema);
    mutated.properties!.status!.properties!.acceptedTimestamp!.format = 'date';
    expect(structuralDiff(mutated, veleroSchema)).toEqual([
      '$.properties.status.properties.acceptedTimestamp.format: ours "date", theirs "date-time"',
    ]);
  });

  it("has Velero's schema and printer columns, field for field, with DatamoverDeploying added to the phase enum", () => {
    expect(VELERO_PHASES).not.toContain('DatamoverDeploying');
    const diffs = differencesFromVelero(oursV);
    expect(diffs, diffs.join('\n')).toEqual([]);
  });

  // Each mutation is a way the project's CRD could drift from Velero's; each must be caught.
  const drifts: { name: string; mutate: (v: CrdVersion) => void; expected: string[] }[] = [
    {
      name: 'a field Velero has is dropped',
      mutate: (v) => delete v.schema.openAPIV3Schema.properties!.status!.properties!.nodeOS,
      expected: ['$.properties.status.properties.nodeOS: ours absent, theirs {"type":"string","enum":["auto","linux","windows"]}'],
    },
    {
      name: 'a type changes',
      mutate: (v) => (v.schema.openAPIV3Schema.properties!.spec!.properties!.cancel!.type = 'string'),
      expected: ['$.properties.spec.properties.cancel.type: ours "string", theirs "boolean"'],
    },
    {
      name: 'a format changes',
      mutate: (v) => delete v.schema.openAPIV3Schema.properties!.status!.properties!.progress!.properties!.bytesDone!.format,
      expected: ['$.properties.status.properties.progress.properties.bytesDone.format: ours absent, theirs "int64"'],
    },
    {
      name: 'an enum value is renamed',
      mutate: (v) => {
        const phase = v.schema.openAPIV3Schema.properties!.status!.properties!.phase!;
        phase.enum = phase.enum!.map((p) => (p === 'Canceling' ? 'Cancelling' : p));
      },
      // enum is a set: compared sorted, where Cancelling stands third.
      expected: ['$.properties.status.properties.phase.enum[2]: ours "Cancelling", theirs "Canceling"'],
    },
    {
      name: 'a required field is no longer required',
      mutate: (v) => (v.schema.openAPIV3Schema.properties!.spec!.required = ['backupStorageLocation', 'snapshotType', 'sourceNamespace', 'sourcePVC']),
      expected: ['$.properties.spec.required: ours has 4 items, theirs 5'],
    },
    {
      name: 'nullable is lost',
      mutate: (v) => delete v.schema.openAPIV3Schema.properties!.spec!.properties!.csiSnapshot!.nullable,
      expected: ['$.properties.spec.properties.csiSnapshot.nullable: ours absent, theirs true'],
    },
    {
      name: 'a field Velero does not have is added',
      mutate: (v) => (v.schema.openAPIV3Schema.properties!.status!.properties!.deployNode = { type: 'string' }),
      expected: ['$.properties.status.properties.deployNode: ours {"type":"string"}, theirs absent'],
    },
    {
      name: 'a printer column moves',
      mutate: (v) => v.additionalPrinterColumns!.reverse(),
      expected: expect.arrayContaining(['$.additionalPrinterColumns[0].name: ours "Node", theirs "Status"']) as unknown as string[],
    },
  ];
  it.each(drifts)('a CRD on which $name fails the comparison, naming the path', ({ mutate, expected }) => {
    const drifted = structuredClone(oursV);
    mutate(drifted);
    expect(differencesFromVelero(drifted)).toEqual(expected);
  });

  it('has Velero names, scope, group and version', () => {
    expect(ours.apiVersion).toBe(VELERO_DATAUPLOAD.apiVersion);
    expect(ours.kind).toBe('CustomResourceDefinition');
    expect(ours.metadata.name).toBe(VELERO_DATAUPLOAD.name);
    expect(ours.spec.group).toBe(VELERO_DATAUPLOAD.group);
    expect(ours.spec.names).toEqual(VELERO_DATAUPLOAD.names);
    expect(ours.spec.scope).toBe(VELERO_DATAUPLOAD.scope);
    expect({ name: oursV.name, served: oursV.served, storage: oursV.storage }).toEqual(VELERO_DATAUPLOAD.version);
  });

  it('declares no subresources, like Velero: status is written through the main resource', () => {
    expect(Object.keys(oursV.subresources ?? {})).toEqual(VELERO_DATAUPLOAD.subresources);
  });

  it("accepts a DataUpload with every field set, which Velero's schema rejects only for the new phase", () => {
    const withAllFields = JSON.parse(JSON.stringify(dataUpload)) as unknown;
    expect(violations(oursV.schema.openAPIV3Schema, withAllFields)).toEqual([]);
    expect(violations(veleroSchema, withAllFields)).toEqual([
      `status.phase: Unsupported value: "DatamoverDeploying": supported values: ${VELERO_PHASES.map((p) => JSON.stringify(p)).join(', ')}`,
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

// Velero's own file, when VELERO_DATAUPLOAD_CRD names one (.ci/run does where a copy is at hand):
// the facts above are checked against it, so they follow Velero and not the project's CRD.
const upstreamFile = process.env.VELERO_DATAUPLOAD_CRD;
describe.runIf(upstreamFile)(`Velero's DataUpload CRD (VELERO_DATAUPLOAD_CRD=${upstreamFile})`, () => {
  const upstream = (): Crd => readYaml(path.resolve(upstreamFile!));
  const upstreamV = (): CrdVersion => only(upstream().spec.versions);

  it("states Velero's schema field for field", () => {
    const diffs = structuralDiff(veleroSchema, upstreamV().schema.openAPIV3Schema);
    expect(diffs, diffs.join('\n')).toEqual([]);
  });

  it("states Velero's printer columns, in order", () => {
    const diffs = structuralDiff(VELERO_DATAUPLOAD.printerColumns, upstreamV().additionalPrinterColumns);
    expect(diffs, diffs.join('\n')).toEqual([]);
  });

  it("states Velero's names, scope, version and subresources", () => {
    const crd = upstream();
    expect({ apiVersion: crd.apiVersion, name: crd.metadata.name, group: crd.spec.group, names: crd.spec.names, scope: crd.spec.scope }).toEqual({
      apiVersion: VELERO_DATAUPLOAD.apiVersion,
      name: VELERO_DATAUPLOAD.name,
      group: VELERO_DATAUPLOAD.group,
      names: VELERO_DATAUPLOAD.names,
      scope: VELERO_DATAUPLOAD.scope,
    });
    const v = upstreamV();
    expect({ name: v.name, served: v.served, storage: v.storage }).toEqual(VELERO_DATAUPLOAD.version);
    expect(Object.keys(v.subresources ?? {})).toEqual(VELERO_DATAUPLOAD.subresources);
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
