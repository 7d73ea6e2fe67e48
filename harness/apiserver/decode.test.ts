import { describe, expect, it } from 'vitest';
import { loadManifests, PROJECT_CRD_FILES } from '../cluster/embedded.ts';
import { decodeBuiltin } from './decode.ts';
import { ApiError } from './errors.ts';
import { BUILTIN_RESOURCES } from './registry.ts';
import type { KubeObject } from './types.ts';

const info = (resource: string) => BUILTIN_RESOURCES.find((r) => r.resource === resource)!;

const daemonSet = (podSpec: Record<string, unknown>, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'node-agent', labels: { app: 'node-agent' } },
  spec: {
    selector: { matchLabels: { app: 'node-agent' } },
    template: { metadata: { labels: { app: 'node-agent' } }, spec: { containers: [{ name: 'c', image: 'i' }], ...podSpec } },
    ...spec,
  },
});

function decodeError(resource: string, obj: KubeObject): ApiError {
  try {
    decodeBuiltin(info(resource), obj);
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('decoded without error');
}

describe('decodeBuiltin: values of the wrong type are a 400 naming the Go field', () => {
  const DS = 'DaemonSet in version "v1" cannot be handled as a DaemonSet: json: cannot unmarshal';
  it.each([
    ['a string for an int64', daemonSet({ terminationGracePeriodSeconds: 'thirty' }),
      `${DS} string into Go struct field PodSpec.spec.template.spec.terminationGracePeriodSeconds of type int64`],
    ['a fraction for an int32, in a list (no index in the Go path)', daemonSet({ containers: [{ name: 'c', ports: [{ containerPort: 80.5 }] }] }),
      `${DS} number 80.5 into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32`],
    ['a number for a string', daemonSet({ containers: [{ name: 'c', env: [{ name: 'A', value: 1 }] }] }),
      `${DS} number into Go struct field EnvVar.spec.template.spec.containers.env.value of type string`],
    ['an object for a list', daemonSet({ containers: { name: 'c' } }),
      `${DS} object into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container`],
    ['a list for a struct', daemonSet({}, { updateStrategy: [] }),
      `${DS} array into Go struct field DaemonSetSpec.spec.updateStrategy of type v1.DaemonSetUpdateStrategy`],
    ['a bool for an int-or-string', daemonSet({}, { updateStrategy: { rollingUpdate: { maxUnavailable: true } } }),
      `${DS} bool into Go struct field RollingUpdateDaemonSet.spec.updateStrategy.rollingUpdate.maxUnavailable of type int32`],
    ['a number for a label', { ...daemonSet({}), metadata: { name: 'x', labels: { app: 1 } } } as unknown as KubeObject,
      `${DS} number into Go struct field ObjectMeta.metadata.labels of type string`],
    ['a quantity that is not one', daemonSet({ containers: [{ name: 'c', resources: { requests: { cpu: 'lots' } } }] }),
      "DaemonSet in version \"v1\" cannot be handled as a DaemonSet: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
  ])('%s', (_what, obj, message) => {
    const err = decodeError('daemonsets', obj);
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
    expect(err.message).toBe(message);
  });
});

describe('decodeBuiltin: unknown fields', () => {
  it('are dropped and returned by path, with list indices, in document order', () => {
    const obj = daemonSet({ containers: [{ name: 'a' }, { name: 'b', imagePulPolicy: 'Never' }], hostNetwrk: true });
    (obj.metadata as Record<string, unknown>).lables = { a: 'b' };
    expect(decodeBuiltin(info('daemonsets'), obj)).toEqual([
      'metadata.lables',
      'spec.template.spec.containers[1].imagePulPolicy',
      'spec.template.spec.hostNetwrk',
    ]);
    expect(obj).toEqual(daemonSet({ containers: [{ name: 'a' }, { name: 'b' }] }));
  });

  it('accept what the Go types accept: null anywhere, numbers as quantities, strings or integers as int-or-string', () => {
    const obj = daemonSet(
      { nodeSelector: null, containers: [{ name: 'c', resources: { limits: { cpu: 2, memory: '1.5Gi' }, requests: { cpu: '500m' } } }] },
      { updateStrategy: { rollingUpdate: { maxUnavailable: '10%', maxSurge: 0 } }, revisionHistoryLimit: null },
    );
    expect(decodeBuiltin(info('daemonsets'), obj)).toEqual([]);
  });

  it('find nothing to drop in the project\'s CRDs, whose schemas are arbitrary JSON in places', async () => {
    for (const file of PROJECT_CRD_FILES) {
      for (const crd of await loadManifests(file)) expect(decodeBuiltin(info('customresourcedefinitions'), crd)).toEqual([]);
    }
  });

  it('find an RBAC typo', () => {
    const binding: KubeObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'b' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
      subjects: [{ kind: 'ServiceAccount', name: 'velero', namspace: 'velero' }],
    };
    expect(decodeBuiltin(info('rolebindings'), binding)).toEqual(['subjects[0].namspace']);
  });
});
