// Behaviour of the embedded API server that clients see over HTTP but that the contract
// suite cannot check on a real cluster: bad input handling, pod subresources, graceful
// deletion, generation, status subresources, foreground GC, discovery and Tables.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCluster, type EmbeddedCluster } from '../cluster/embedded.ts';

let cluster: EmbeddedCluster;
let base: string;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { 'Content-Type': 'application/json', ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(base + path, init);
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

const pods = '/api/v1/namespaces/default/pods';
const pod = (name: string, extra: object = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox:1.36', resources: { requests: { cpu: '1', memory: '1Gi' } } }], ...extra },
});

beforeAll(async () => {
  cluster = await startEmbeddedCluster();
  base = cluster.url;
});
afterAll(() => cluster.stop());

/** Everything stored, as a fingerprint that changes with any write. */
async function stateFingerprint(): Promise<string> {
  const metrics = await call('GET', '/metrics');
  const rv = (await call('GET', '/api/v1/namespaces')).json.metadata.resourceVersion;
  return rv + metrics.text.split('\n').filter((l) => l.startsWith('apiserver_storage_objects')).join('|');
}

describe('bad input gets a clear 4xx and changes nothing', () => {
  it.each([
    ['malformed JSON', 'POST', pods, '{"metadata": {"name": "x"', 400, 'BadRequest', /could not be decoded/],
    ['an unknown kind in the body', 'POST', pods, { apiVersion: 'v1', kind: 'Pizza', metadata: { name: 'x' } }, 400, 'BadRequest', /kind \(Pizza\)/],
    ['a wrong apiVersion', 'POST', pods, { apiVersion: 'apps/v1', kind: 'Pod', metadata: { name: 'x' } }, 400, 'BadRequest', /apps\/v1/],
    ['a name that breaks DNS rules', 'POST', pods, pod('Bad_Name'), 422, 'Invalid', /metadata\.name: Invalid value: "Bad_Name"/],
    ['a missing name', 'POST', pods, { metadata: {}, spec: {} }, 422, 'Invalid', /metadata\.name: Required value/],
    ['a pod without containers', 'POST', pods, { metadata: { name: 'empty' }, spec: {} }, 422, 'Invalid', /spec\.containers: Required value/],
    ['an unknown resource', 'GET', '/api/v1/namespaces/default/pizzas', undefined, 404, 'NotFound', /could not find the requested resource/],
    ['an unknown group', 'GET', '/apis/example.com/v1/things', undefined, 404, 'NotFound', /could not find/],
    ['a bad label selector', 'GET', `${pods}?labelSelector=${encodeURIComponent('a in (b')}`, undefined, 400, 'BadRequest', /unable to parse requirement|found/],
    ['an unsupported field selector', 'GET', `${pods}?fieldSelector=spec.image%3Dx`, undefined, 400, 'BadRequest', /field label not supported: spec\.image/],
    ['a namespace that does not exist', 'POST', '/api/v1/namespaces/nope/pods', pod('p'), 404, 'NotFound', /namespaces "nope" not found/],
    ['an unknown patch type', 'PATCH', `${pods}/x`, '{}', 415, 'UnsupportedMediaType', /unknown format/],
    ['server-side apply', 'PATCH', '/api/v1/namespaces/default/configmaps/x', 'metadata: {}', 415, 'UnsupportedMediaType', /server-side apply is not supported/],
    ['a bad dryRun value', 'POST', `${pods}?dryRun=Yes`, pod('p'), 400, 'BadRequest', /dryRun/],
  ])('%s', async (_what, method, path, body, code, reason, message) => {
    const before = await stateFingerprint();
    const headers: Record<string, string> = {};
    if (_what === 'an unknown patch type') headers['Content-Type'] = 'application/x-pizza';
    if (_what === 'server-side apply') headers['Content-Type'] = 'application/apply-patch+yaml';
    const r = await call(method as string, path as string, body, headers);
    expect(r.status).toBe(code);
    expect(r.json).toMatchObject({ kind: 'Status', status: 'Failure', reason, code });
    expect(r.json.message).toMatch(message as RegExp);
    expect(await stateFingerprint()).toBe(before);
  });

  it('an oversized body is 413 and the server keeps serving', async () => {
    const before = await stateFingerprint();
    const big = { metadata: { name: 'big' }, data: { blob: 'x'.repeat(3 * 1024 * 1024 + 10) } };
    const r = await call('POST', '/api/v1/namespaces/default/configmaps', big);
    expect(r.status).toBe(413);
    expect(r.json.reason).toBe('RequestEntityTooLarge');
    expect(await stateFingerprint()).toBe(before);
    expect((await call('GET', '/api/v1/namespaces/default')).status).toBe(200);
  });

  it('dryRun=All validates and stores nothing', async () => {
    const before = await stateFingerprint();
    const r = await call('POST', `${pods}?dryRun=All`, pod('dry'));
    expect(r.status).toBe(201);
    expect(r.json.metadata.name).toBe('dry');
    expect(await stateFingerprint()).toBe(before);
    expect((await call('GET', `${pods}/dry`)).status).toBe(404);
  });
});

describe('pods', () => {
  it('get the defaults and admission the real server applies', async () => {
    const r = await call('POST', pods, pod('defaults'));
    expect(r.status).toBe(201);
    const p = r.json;
    expect(p.status).toMatchObject({ phase: 'Pending', qosClass: 'Burstable' });
    expect(p.spec).toMatchObject({ restartPolicy: 'Always', terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler', serviceAccountName: 'default' });
    expect(p.spec.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
    expect(p.spec.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' });
    const be = (await call('POST', pods, { metadata: { name: 'besteffort' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } })).json;
    expect(be.status.qosClass).toBe('BestEffort');
    expect(be.spec.containers[0].imagePullPolicy).toBe('Always');
  });

  it('are bound once through the binding subresource, which sets PodScheduled', async () => {
    await call('POST', pods, pod('bindme'));
    const bind = (node: string) => call('POST', `${pods}/bindme/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bindme' }, target: { kind: 'Node', name: node } });
    const ok = await bind('node-a');
    expect(ok.status).toBe(201);
    const bound = (await call('GET', `${pods}/bindme`)).json;
    expect(bound.spec.nodeName).toBe('node-a');
    expect(bound.status.conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
    const again = await bind('node-b');
    expect(again.status).toBe(409);
    expect(again.json.message).toContain('already assigned to node "node-a"');
  });

  it('may not change their spec except the allowed fields', async () => {
    const p = (await call('POST', pods, pod('immutable'))).json;
    const r = await call('PUT', `${pods}/immutable`, { ...p, spec: { ...p.spec, restartPolicy: 'Never' } });
    expect(r.status).toBe(422);
    expect(r.json.message).toContain('spec: Forbidden: pod updates may not change fields');
    const image = structuredClone(p);
    image.spec.containers[0].image = 'busybox:1.37';
    expect((await call('PUT', `${pods}/immutable`, image)).status).toBe(200);
  });

  it('scheduled pods are deleted gracefully; the kubelet\'s grace-0 delete removes them', async () => {
    await call('POST', pods, pod('graceful', { nodeName: 'node-a' }));
    const first = await call('DELETE', `${pods}/graceful`);
    expect(first.status).toBe(202);
    expect(first.json.metadata.deletionTimestamp).toBeTruthy();
    expect(first.json.metadata.deletionGracePeriodSeconds).toBe(30);
    expect((await call('GET', `${pods}/graceful`)).status).toBe(200);
    const final = await call('DELETE', `${pods}/graceful`, { gracePeriodSeconds: 0 });
    expect(final.status).toBe(200);
    expect((await call('GET', `${pods}/graceful`)).status).toBe(404);
    // An unscheduled pod goes at once.
    await call('POST', pods, pod('pending'));
    expect((await call('DELETE', `${pods}/pending`)).status).toBe(200);
    expect((await call('GET', `${pods}/pending`)).status).toBe(404);
  });

  it('an eviction deletes the pod', async () => {
    await call('POST', pods, pod('evictme'));
    const r = await call('POST', `${pods}/evictme/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'evictme' } });
    expect(r.status).toBe(201);
    expect((await call('GET', `${pods}/evictme`)).status).toBe(404);
  });

  it('status writes go through the status subresource only', async () => {
    const p = (await call('POST', pods, pod('status'))).json;
    const viaMain = await call('PUT', `${pods}/status`, { ...p, status: { phase: 'Running' } });
    expect(viaMain.json.status.phase).toBe('Pending');
    const viaStatus = await call('PUT', `${pods}/status/status`, { ...viaMain.json, status: { ...viaMain.json.status, phase: 'Running' }, metadata: { ...viaMain.json.metadata, labels: { ignored: 'yes' } } });
    expect(viaStatus.status).toBe(200);
    expect(viaStatus.json.status.phase).toBe('Running');
    expect(viaStatus.json.metadata.labels).toBeUndefined();
  });
});

describe('custom resources', () => {
  const dus = '/apis/velero.io/v2alpha1/namespaces/default/datauploads';
  const du = (name: string) => ({
    apiVersion: 'velero.io/v2alpha1',
    kind: 'DataUpload',
    metadata: { name },
    spec: { snapshotType: 'CSI', sourcePVC: 'p', sourceNamespace: 'default', backupStorageLocation: 'default', operationTimeout: '10m0s' },
  });

  it('bump generation on spec changes only; DataUpload status is written through the main resource', async () => {
    const created = (await call('POST', dus, du('gen'))).json;
    expect(created.metadata.generation).toBe(1);
    const labelled = (await call('PATCH', `${dus}/gen`, { metadata: { labels: { a: 'b' } } }, { 'Content-Type': 'application/merge-patch+json' })).json;
    expect(labelled.metadata.generation).toBe(1);
    const phased = (await call('PATCH', `${dus}/gen`, { status: { phase: 'Accepted' } }, { 'Content-Type': 'application/merge-patch+json' })).json;
    expect(phased.status.phase).toBe('Accepted');
    const canceled = (await call('PATCH', `${dus}/gen`, { spec: { cancel: true } }, { 'Content-Type': 'application/merge-patch+json' })).json;
    expect(canceled.metadata.generation).toBeGreaterThan(1);
    expect((await call('GET', `${dus}/gen/status`)).status).toBe(404);
  });

  it('accept the DatamoverDeploying phase and prune unknown fields with a warning (Strict rejects them)', async () => {
    await call('POST', dus, du('phase'));
    const r = await call('PATCH', `${dus}/phase`, { status: { phase: 'DatamoverDeploying', bogus: 1 } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(r.status).toBe(200);
    expect(r.json.status).toEqual({ phase: 'DatamoverDeploying' });
    expect(r.headers.get('warning')).toContain('unknown field \\"status.bogus\\"');
    const strict = await call('PATCH', `${dus}/phase?fieldValidation=Strict`, { status: { bogus: 1 } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(strict.status).toBe(400);
    expect(strict.json.message).toContain('unknown field "status.bogus"');
  });

  it('strategic merge patch on a custom resource is 415, as on a real server', async () => {
    await call('POST', dus, du('smp'));
    const r = await call('PATCH', `${dus}/smp`, { spec: { cancel: true } }, { 'Content-Type': 'application/strategic-merge-patch+json' });
    expect(r.status).toBe(415);
  });

  it('server-side Tables carry the CRD printer columns', async () => {
    await call('POST', dus, du('table'));
    const r = await call('GET', dus, undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    expect(r.json.kind).toBe('Table');
    expect(r.json.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Status', 'Started', 'Bytes Done', 'Total Bytes', 'Incremental Bytes', 'Storage Location', 'Age', 'Node']);
    expect(r.json.rows.find((row: { cells: unknown[] }) => row.cells[0] === 'table').cells[6]).toBe('default');
  });
});

describe('garbage collection and discovery', () => {
  it('foreground deletion removes dependents before the owner', async () => {
    const cms = '/api/v1/namespaces/default/configmaps';
    const owner = (await call('POST', cms, { metadata: { name: 'fg-owner' } })).json;
    await call('POST', cms, { metadata: { name: 'fg-dep', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'fg-owner', uid: owner.metadata.uid, blockOwnerDeletion: true }] } });
    const r = await call('DELETE', `${cms}/fg-owner`, { propagationPolicy: 'Foreground' });
    expect(r.status).toBe(202);
    expect(r.json.metadata.finalizers).toContain('foregroundDeletion');
    for (let i = 0; i < 100 && (await call('GET', `${cms}/fg-owner`)).status !== 404; i++) await new Promise((res) => setTimeout(res, 10));
    expect((await call('GET', `${cms}/fg-dep`)).status).toBe(404);
    expect((await call('GET', `${cms}/fg-owner`)).status).toBe(404);
  });

  it('discovery lists the CRDs and subresources', async () => {
    const groups = (await call('GET', '/apis')).json.groups.map((g: { name: string }) => g.name);
    expect(groups).toEqual(expect.arrayContaining(['velero.io', 'snapshot.storage.k8s.io', 'apiextensions.k8s.io', 'coordination.k8s.io']));
    const core = (await call('GET', '/api/v1')).json.resources.map((r: { name: string }) => r.name);
    expect(core).toEqual(expect.arrayContaining(['pods', 'pods/status', 'pods/binding', 'pods/eviction', 'nodes/status', 'namespaces/finalize']));
    const snap = (await call('GET', '/apis/snapshot.storage.k8s.io/v1')).json.resources;
    expect(snap.find((r: { name: string }) => r.name === 'volumesnapshots')).toMatchObject({ namespaced: true, shortNames: ['vs'] });
    expect(snap.map((r: { name: string }) => r.name)).toContain('volumesnapshots/status');
  });
});
