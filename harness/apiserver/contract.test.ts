// The API contract the project relies on, driven only through @kubernetes/client-node.
// Runs against the embedded cluster by default (contract-in-process.test.ts runs it again over
// in-process connections, as scenario runs reach it); CONTRACT_TARGET=kubeconfig runs the same
// tests against the cluster KUBECONFIG points to (tests marked "embedded only" use the
// fault seam, which a real cluster does not have, and are skipped there).
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  Watch,
  makeInformer,
  setHeaderOptions,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestTarget, type TestTarget } from '../test/target.ts';

let target: TestTarget;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let ns: string;

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

async function expectApiError(p: Promise<unknown>, code: number): Promise<ApiException<string>> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ApiException);
    const err = e as ApiException<string>;
    expect(err.code).toBe(code);
    return err;
  }
  throw new Error(`expected HTTP ${code}, but the request succeeded`);
}

function statusOf(err: ApiException<string>): { reason?: string; message?: string; details?: { causes?: { field?: string }[] } } {
  return typeof err.body === 'string' ? JSON.parse(err.body) : (err.body as object);
}

const cm = (name: string, labels?: Record<string, string>, extra: Partial<V1ConfigMap['metadata']> = {}): V1ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels, ...extra },
  data: { k: 'v' },
});

beforeAll(async () => {
  target = await startTestTarget();
  core = target.kubeConfig.makeApiClient(CoreV1Api);
  custom = target.kubeConfig.makeApiClient(CustomObjectsApi);
  const created = await core.createNamespace({ body: { metadata: { generateName: 'dmb-contract-' } } });
  ns = created.metadata!.name!;
});

afterAll(async () => {
  if (ns) await core.deleteNamespace({ name: ns }).catch(() => undefined);
  await target?.stop();
});

describe('API contract (through @kubernetes/client-node)', () => {
  it('generateName gives a unique name with the prefix and a 5-character suffix', async () => {
    const a = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { generateName: 'gen-' }, data: {} } });
    const b = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { generateName: 'gen-' }, data: {} } });
    expect(a.metadata!.name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(b.metadata!.name).not.toBe(a.metadata!.name);
    expect(a.metadata!.uid).toBeTruthy();
    expect(a.metadata!.uid).not.toBe(b.metadata!.uid);
  });

  it('rejects a create of an existing name with 409 AlreadyExists', async () => {
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('dup') });
    const err = await expectApiError(core.createNamespacedConfigMap({ namespace: ns, body: cm('dup') }), 409);
    expect(statusOf(err).reason).toBe('AlreadyExists');
  });

  it('answers 409 Conflict to an update carrying a stale resourceVersion', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: ns, body: cm('stale') });
    const first = await core.replaceNamespacedConfigMap({ name: 'stale', namespace: ns, body: { ...created, data: { k: 'v2' } } });
    expect(Number(first.metadata!.resourceVersion)).toBeGreaterThan(Number(created.metadata!.resourceVersion));
    const err = await expectApiError(
      core.replaceNamespacedConfigMap({ name: 'stale', namespace: ns, body: { ...created, data: { k: 'v3' } } }),
      409,
    );
    expect(statusOf(err).reason).toBe('Conflict');
    const now = await core.readNamespacedConfigMap({ name: 'stale', namespace: ns });
    expect(now.data).toEqual({ k: 'v2' });
  });

  it('pages a list with limit and continue, consistently', async () => {
    const labels = { page: 'yes' };
    for (let i = 0; i < 25; i++) await core.createNamespacedConfigMap({ namespace: ns, body: cm(`page-${String(i).padStart(2, '0')}`, labels) });
    const first = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'page=yes', limit: 10 });
    expect(first.items).toHaveLength(10);
    expect(first.metadata!._continue).toBeTruthy();
    // A change after the first page does not show in later pages of the same list.
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('page-99', labels) });
    const names = first.items.map((i) => i.metadata!.name);
    let token = first.metadata!._continue;
    while (token) {
      const page = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'page=yes', limit: 10, _continue: token });
      names.push(...page.items.map((i) => i.metadata!.name));
      token = page.metadata!._continue;
    }
    expect(names).toHaveLength(25);
    expect(new Set(names).size).toBe(25);
    expect(names).not.toContain('page-99');
  });

  it('filters lists by set-based label selectors and field selectors', async () => {
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('sel-a', { tier: 'a' }) });
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('sel-b', { tier: 'b' }) });
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('sel-c') });
    const inAB = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'tier in (a,b)' });
    expect(inAB.items.map((i) => i.metadata!.name).sort()).toEqual(['sel-a', 'sel-b']);
    const notA = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'tier,tier!=a' });
    expect(notA.items.map((i) => i.metadata!.name)).toEqual(['sel-b']);
    const byName = await core.listNamespacedConfigMap({ namespace: ns, fieldSelector: 'metadata.name=sel-c' });
    expect(byName.items.map((i) => i.metadata!.name)).toEqual(['sel-c']);
  });

  it('an informer lists, then sees adds, updates and deletes through its watch', async () => {
    const seen: string[] = [];
    const informer = makeInformer(
      target.kubeConfig,
      `/api/v1/namespaces/${ns}/configmaps`,
      () => core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'inf=1' }),
      'inf=1',
    );
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('inf-before', { inf: '1' }) });
    informer.on('add', (o) => seen.push(`add ${o.metadata!.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata!.name}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata!.name}`));
    await informer.start();
    try {
      await eventually(() => (seen.includes('add inf-before') ? true : undefined), 'the listed object');
      await core.createNamespacedConfigMap({ namespace: ns, body: cm('inf-1', { inf: '1' }) });
      await core.patchNamespacedConfigMap({ name: 'inf-1', namespace: ns, body: { data: { k: 'changed' } } }, merge);
      await core.deleteNamespacedConfigMap({ name: 'inf-1', namespace: ns });
      await eventually(() => (seen.includes('delete inf-1') ? true : undefined), 'the delete event');
      expect(seen.filter((s) => s.endsWith('inf-1'))).toEqual(['add inf-1', 'update inf-1', 'delete inf-1']);
      expect(informer.get('inf-1', ns)).toBeUndefined();
      expect(informer.get('inf-before', ns)).toBeDefined();
    } finally {
      await informer.stop();
    }
  });

  it('a watch with a label selector sees objects entering as ADDED and leaving as DELETED', async () => {
    const events: string[] = [];
    const start = await core.listNamespacedConfigMap({ namespace: ns });
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('moving') });
    const req = await new Watch(target.kubeConfig).watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { labelSelector: 'stage=on', resourceVersion: start.metadata!.resourceVersion },
      (type, obj) => events.push(`${type} ${obj.metadata.name}`),
      () => undefined,
    );
    try {
      await core.patchNamespacedConfigMap({ name: 'moving', namespace: ns, body: { metadata: { labels: { stage: 'on' } } } }, merge);
      await core.patchNamespacedConfigMap({ name: 'moving', namespace: ns, body: { data: { k: 'x' } } }, merge);
      await core.patchNamespacedConfigMap({ name: 'moving', namespace: ns, body: { metadata: { labels: { stage: 'off' } } } }, merge);
      await eventually(() => (events.length >= 3 ? true : undefined), 'three watch events');
      expect(events).toEqual(['ADDED moving', 'MODIFIED moving', 'DELETED moving']);
    } finally {
      req.abort();
    }
  });

  it('a watch the server ends (timeoutSeconds) can be resumed from the last resourceVersion without losing events', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    let lastRv = list.metadata!.resourceVersion!;
    const names: string[] = [];
    const ended = new Promise<unknown>((resolve) => {
      void new Watch(target.kubeConfig).watch(
        `/api/v1/namespaces/${ns}/configmaps`,
        { resourceVersion: lastRv, timeoutSeconds: 1 },
        (type, obj) => {
          names.push(`${type} ${obj.metadata.name}`);
          lastRv = obj.metadata.resourceVersion;
        },
        resolve,
      );
    });
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('resume-1') });
    expect(await ended).toBeNull(); // closed by the server, not an error
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('resume-2') });
    const req = await new Watch(target.kubeConfig).watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { resourceVersion: lastRv },
      (type, obj) => names.push(`${type} ${obj.metadata.name}`),
      () => undefined,
    );
    try {
      await eventually(() => (names.includes('ADDED resume-2') ? true : undefined), 'the event made while disconnected');
      expect(names.filter((n) => n.includes('resume'))).toEqual(['ADDED resume-1', 'ADDED resume-2']);
    } finally {
      req.abort();
    }
  });

  it('a watch from a resourceVersion too old for the kept history gets 410 Gone', async () => {
    let status: { code?: number; reason?: string } | undefined;
    let httpCode: number | undefined;
    await new Promise<void>((resolve) => {
      void new Watch(target.kubeConfig).watch(
        `/api/v1/namespaces/${ns}/configmaps`,
        { resourceVersion: '1' },
        (type, obj) => {
          if (type === 'ERROR') status = obj;
        },
        (err: { statusCode?: number } | null) => {
          httpCode = err?.statusCode;
          resolve();
        },
      );
    });
    expect(status?.code ?? httpCode).toBe(410);
  });

  it('a finalizer keeps a deleted object until it is removed; the watch then sees DELETED', async () => {
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('fin', undefined, { finalizers: ['datamover-bench.io/hold'] }) });
    await core.deleteNamespacedConfigMap({ name: 'fin', namespace: ns });
    const held = await core.readNamespacedConfigMap({ name: 'fin', namespace: ns });
    expect(held.metadata!.deletionTimestamp).toBeTruthy();
    const events: string[] = [];
    const req = await new Watch(target.kubeConfig).watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { resourceVersion: held.metadata!.resourceVersion, fieldSelector: 'metadata.name=fin' },
      (type) => events.push(type),
      () => undefined,
    );
    try {
      await core.patchNamespacedConfigMap({ name: 'fin', namespace: ns, body: { metadata: { finalizers: null } } }, merge);
      await eventually(() => (events.includes('DELETED') ? true : undefined), 'DELETED');
      await expectApiError(core.readNamespacedConfigMap({ name: 'fin', namespace: ns }), 404);
    } finally {
      req.abort();
    }
  });

  it('garbage-collects dependents of a deleted owner (background) and orphans them on request', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace: ns, body: cm('owner') });
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! };
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('dependent', undefined, { ownerReferences: [ref] }) });
    await core.deleteNamespacedConfigMap({ name: 'owner', namespace: ns, propagationPolicy: 'Background' });
    await eventually(
      async () => core.readNamespacedConfigMap({ name: 'dependent', namespace: ns }).then(() => undefined, (e) => (e.code === 404 ? true : undefined)),
      'the dependent to be collected',
      30_000,
    );

    const owner2 = await core.createNamespacedConfigMap({ namespace: ns, body: cm('owner2') });
    const ref2 = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner2', uid: owner2.metadata!.uid! };
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('kept', undefined, { ownerReferences: [ref2] }) });
    await core.deleteNamespacedConfigMap({ name: 'owner2', namespace: ns, propagationPolicy: 'Orphan' });
    const kept = await eventually(
      async () => {
        const o = await core.readNamespacedConfigMap({ name: 'kept', namespace: ns });
        return (o.metadata!.ownerReferences ?? []).length === 0 ? o : undefined;
      },
      'the dependent to be orphaned',
      30_000,
    );
    expect(kept.metadata!.name).toBe('kept');
    await eventually(
      async () => core.readNamespacedConfigMap({ name: 'owner2', namespace: ns }).then(() => undefined, (e) => (e.code === 404 ? true : undefined)),
      'the orphaning owner to go',
      30_000,
    );
  });

  it('serves a CRD once created and rejects objects that violate its schema with 422 naming the field', async () => {
    const ext = target.kubeConfig.makeApiClient(ApiextensionsV1Api);
    const group = 'contract.datamover-bench.io';
    const name = `widgets.${group}`;
    await ext.deleteCustomResourceDefinition({ name }).catch(() => undefined);
    await eventually(async () => ext.readCustomResourceDefinition({ name }).then(() => undefined, () => true), 'an old CRD to go');
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: {
                      type: 'object',
                      required: ['size'],
                      properties: {
                        size: { type: 'integer', minimum: 1 },
                        color: { type: 'string', _enum: ['red', 'blue'] },
                      },
                    },
                  },
                },
              },
            },
          ],
        },
      },
    });
    try {
      await eventually(async () => {
        const crd = await ext.readCustomResourceDefinition({ name });
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
      }, 'the CRD to be Established', 30_000);
      const widget = (spec: object) => ({ apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1' }, spec });
      const call = (spec: object) => custom.createNamespacedCustomObject({ group, version: 'v1', namespace: ns, plural: 'widgets', body: widget(spec) });
      await eventually(() => call({ size: 1, color: 'red' }).then(() => true), 'the CRD to be served', 30_000);
      const bad = await expectApiError(call({ size: 2, color: 'green' }), 422);
      const status = statusOf(bad);
      expect(status.reason).toBe('Invalid');
      expect(status.message).toContain('spec.color');
      expect(status.details?.causes?.map((c) => c.field)).toContain('spec.color');
      const missing = statusOf(await expectApiError(call({ color: 'blue' }), 422));
      expect(missing.details?.causes?.map((c) => c.field)).toContain('spec.size');
      const wrongType = statusOf(await expectApiError(call({ size: 'big' }), 422));
      expect(wrongType.message).toContain('spec.size');
      const list = (await custom.listNamespacedCustomObject({ group, version: 'v1', namespace: ns, plural: 'widgets' })) as { items: unknown[] };
      expect(list.items).toHaveLength(1);
    } finally {
      await ext.deleteCustomResourceDefinition({ name }).catch(() => undefined);
    }
  });

  it('deleting a namespace removes its objects', async () => {
    const tmp = (await core.createNamespace({ body: { metadata: { generateName: 'dmb-contract-tmp-' } } })).metadata!.name!;
    await core.createNamespacedConfigMap({ namespace: tmp, body: cm('inside') });
    await core.deleteNamespace({ name: tmp });
    await eventually(
      async () => core.readNamespace({ name: tmp }).then(() => undefined, (e) => (e.code === 404 ? true : undefined)),
      'the namespace to be removed',
      60_000,
    );
    await expectApiError(core.readNamespacedConfigMap({ name: 'inside', namespace: tmp }), 404);
    const err = await expectApiError(core.createNamespacedConfigMap({ namespace: tmp, body: cm('late') }), 404);
    expect(statusOf(err).message).toContain(tmp);
  }, 90_000);
});

describe.runIf(['embedded', 'in-process'].includes(process.env.CONTRACT_TARGET ?? 'embedded'))('embedded only: the fault seam', () => {
  it('an informer reconnects after the server drops its watch, and relists after a forced 410', async () => {
    const server = target.embedded!.server;
    const names = new Set<string>();
    let errorsSeen = 0;
    const informer = makeInformer(target.kubeConfig, `/api/v1/namespaces/${ns}/configmaps`, () =>
      core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'seam=1' }), 'seam=1');
    informer.on('add', (o) => names.add(o.metadata!.name!));
    informer.on('delete', (o) => names.delete(o.metadata!.name!));
    informer.on('error', () => errorsSeen++);
    await informer.start();
    try {
      await eventually(() => (server.dropWatches('configmaps') > 0 ? true : undefined), 'the informer watch to open');
      await core.createNamespacedConfigMap({ namespace: ns, body: cm('seam-after-drop', { seam: '1' }) });
      await eventually(() => (names.has('seam-after-drop') ? true : undefined), 'the event after the drop');

      const lists = () => [...server.requestCounts.values()].reduce((n, m) => n + (m.get('list') ?? 0), 0);
      const listsBefore = lists();
      expect(server.forceGone('configmaps')).toBeGreaterThan(0);
      await core.createNamespacedConfigMap({ namespace: ns, body: cm('seam-after-gone', { seam: '1' }) });
      await eventually(() => (names.has('seam-after-gone') ? true : undefined), 'the object after the relist');
      expect(lists()).toBeGreaterThan(listsBefore);
      expect(errorsSeen).toBe(0);
    } finally {
      await informer.stop();
    }
  });

  it('injected errors and latency reach the client as Kubernetes Status errors', async () => {
    const server = target.embedded!.server;
    const id = server.faults.addRule({ verbs: ['get'], resources: ['configmaps'], errorCode: 500 });
    try {
      await core.createNamespacedConfigMap({ namespace: ns, body: cm('faulty') });
      const err = await expectApiError(core.readNamespacedConfigMap({ name: 'faulty', namespace: ns }), 500);
      expect(statusOf(err).reason).toBe('InternalError');
    } finally {
      server.faults.removeRule(id);
    }
    const slow = server.faults.addRule({ verbs: ['get'], resources: ['configmaps'], latencyMs: 300 });
    try {
      const t0 = Date.now();
      await core.readNamespacedConfigMap({ name: 'faulty', namespace: ns });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    } finally {
      server.faults.removeRule(slow);
    }
  });

  it('sends BOOKMARK events when asked', async () => {
    const types: string[] = [];
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    const req = await new Watch(target.kubeConfig).watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { resourceVersion: list.metadata!.resourceVersion, allowWatchBookmarks: true },
      (type) => types.push(type),
      () => undefined,
    );
    try {
      await eventually(() => (types.includes('BOOKMARK') ? true : undefined), 'a bookmark', 5_000);
    } finally {
      req.abort();
    }
  });
});
