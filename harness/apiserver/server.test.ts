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
    // delete.go answers 200 for a graceful deletion; 202 only when orphanDependents=false was asked.
    expect(first.status).toBe(200);
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

describe('apps/v1 workloads', () => {
  const dss = '/apis/apps/v1/namespaces/default/daemonsets';
  const deploys = '/apis/apps/v1/namespaces/default/deployments';
  const merge = { 'Content-Type': 'application/merge-patch+json' };
  const strategic = { 'Content-Type': 'application/strategic-merge-patch+json' };
  const workload = (kind: 'DaemonSet' | 'Deployment', name: string, labels = { app: name }) => ({
    apiVersion: 'apps/v1',
    kind,
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels }, spec: { containers: [{ name: 'main', image: 'velero/velero:v1.16', ports: [{ containerPort: 8085 }] }] } },
    },
  });

  it('are stored with the defaults a real server sets, status zeroed, generation 1', async () => {
    const ds = (await call('POST', dss, workload('DaemonSet', 'node-agent'))).json;
    expect(ds.metadata.generation).toBe(1);
    expect(ds.spec).toMatchObject({ revisionHistoryLimit: 10, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } });
    expect(ds.spec.template.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler' });
    expect(ds.spec.template.spec.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 8085, protocol: 'TCP' }] });
    // Admission defaults of pods are not a template's.
    expect(ds.spec.template.spec).not.toHaveProperty('tolerations');
    expect(ds.status).toEqual({ currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 });
    const deploy = (await call('POST', deploys, workload('Deployment', 'velero'))).json;
    expect(deploy.spec).toMatchObject({
      replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
    });
    expect(deploy.status).toEqual({});
  });

  it('bump generation on spec changes (and a Deployment\'s annotations), keep status but through /status', async () => {
    await call('POST', dss, workload('DaemonSet', 'gen'));
    const labelled = (await call('PATCH', `${dss}/gen`, { metadata: { labels: { a: 'b' } }, status: { numberReady: 9 } }, merge)).json;
    expect(labelled.metadata.generation).toBe(1);
    expect(labelled.status.numberReady).toBe(0);
    const patched = (await call('PATCH', `${dss}/gen`, { spec: { template: { spec: { containers: [{ name: 'main', image: 'velero/velero:v1.17' }] } } } }, strategic)).json;
    expect(patched.metadata.generation).toBe(2);
    expect(patched.spec.template.spec.containers).toEqual([expect.objectContaining({ name: 'main', image: 'velero/velero:v1.17', ports: [{ containerPort: 8085, protocol: 'TCP' }] })]);
    const status = await call('PATCH', `${dss}/gen/status`, { status: { desiredNumberScheduled: 3, numberReady: 3, observedGeneration: 2 } }, merge);
    expect(status.json.status).toMatchObject({ desiredNumberScheduled: 3, numberReady: 3, observedGeneration: 2 });
    expect(status.json.metadata.generation).toBe(2);
    await call('POST', deploys, workload('Deployment', 'gen'));
    const annotated = (await call('PATCH', `${deploys}/gen`, { metadata: { annotations: { a: 'b' } } }, merge)).json;
    expect(annotated.metadata.generation).toBe(2);
  });

  it.each([
    ['a selector that does not match the template labels', workload('DaemonSet', 'mismatch', { app: 'other' }),
      'DaemonSet.apps "mismatch" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`'],
    ['no selector', { ...workload('DaemonSet', 'noselector'), spec: { template: workload('DaemonSet', 'noselector').spec.template } },
      'DaemonSet.apps "noselector" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string{"app":"noselector"}: `selector` does not match template `labels`]'],
    ['a template without containers', { ...workload('DaemonSet', 'empty'), spec: { ...workload('DaemonSet', 'empty').spec, template: { metadata: { labels: { app: 'empty' } }, spec: {} } } },
      'DaemonSet.apps "empty" is invalid: spec.template.spec.containers: Required value'],
  ])('reject %s with 422 naming the field', async (_what, body, message) => {
    const r = await call('POST', dss, body);
    expect(r.status).toBe(422);
    expect(r.json.message).toBe(message);
    expect((await call('GET', `${dss}/${body.metadata.name}`)).status).toBe(404);
  });

  it('may not change their selector', async () => {
    await call('POST', deploys, workload('Deployment', 'immutable'));
    const r = await call('PATCH', `${deploys}/immutable`, { spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } } } } }, strategic);
    expect(r.status).toBe(422);
    expect(r.json.details.causes).toEqual([{
      reason: 'FieldValueInvalid',
      field: 'spec.selector',
      message: 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    }]);
  });

  it('dryRun=All creates, replaces and patches (strategic, as kubectl apply) without storing anything', async () => {
    const before = await stateFingerprint();
    const created = await call('POST', `${dss}?dryRun=All`, workload('DaemonSet', 'dry'));
    expect(created.status).toBe(201);
    expect(created.json.spec.updateStrategy.type).toBe('RollingUpdate');
    expect(await stateFingerprint()).toBe(before);
    expect((await call('GET', `${dss}/dry`)).status).toBe(404);

    const live = (await call('POST', dss, workload('DaemonSet', 'dry'))).json;
    const stored = await stateFingerprint();
    const image = (r: { json: any }) => r.json.spec.template.spec.containers[0].image;
    const patched = await call('PATCH', `${dss}/dry?dryRun=All&fieldValidation=Strict`, { spec: { template: { spec: { containers: [{ name: 'main', image: 'velero/velero:v2' }] } } } }, strategic);
    expect(patched.status).toBe(200);
    expect(image(patched)).toBe('velero/velero:v2');
    expect(patched.json.metadata.generation).toBe(2);
    const replaced = await call('PUT', `${dss}/dry?dryRun=All`, { ...live, metadata: { ...live.metadata, labels: { dry: 'run' } } });
    expect(replaced.json.metadata.labels).toEqual({ dry: 'run' });
    expect(await stateFingerprint()).toBe(stored);
    const now = await call('GET', `${dss}/dry`);
    expect([image(now), now.json.metadata.generation, now.json.metadata.labels]).toEqual(['velero/velero:v1.16', 1, undefined]);
  });
});

describe('built-in field validation (kubectl sends fieldValidation=Strict)', () => {
  const dss = '/apis/apps/v1/namespaces/default/daemonsets';
  const ds = (name: string, container: Record<string, unknown>) => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'i', ...container }] } } },
  });

  it('Strict rejects an unknown field with 400 naming its path; Warn drops it with a warning; Ignore drops it silently', async () => {
    const strict = await call('POST', `${dss}?fieldValidation=Strict`, ds('strict', { imagePulPolicy: 'Never' }));
    expect(strict.status).toBe(400);
    expect(strict.json.message).toBe('strict decoding error: unknown field "spec.template.spec.containers[0].imagePulPolicy"');
    expect((await call('GET', `${dss}/strict`)).status).toBe(404);
    const warned = await call('POST', dss, ds('warned', { imagePulPolicy: 'Never' }));
    expect(warned.status).toBe(201);
    expect(warned.headers.get('warning')).toContain('unknown field \\"spec.template.spec.containers[0].imagePulPolicy\\"');
    expect(warned.json.spec.template.spec.containers[0]).not.toHaveProperty('imagePulPolicy');
    const ignored = await call('POST', `${dss}?fieldValidation=Ignore`, ds('ignored', { imagePulPolicy: 'Never' }));
    expect([ignored.status, ignored.headers.get('warning')]).toEqual([201, null]);
  });

  it('applies to every built-in, patches included', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'strict' }, data: { a: '1' } });
    const p = await call('PATCH', '/api/v1/namespaces/default/configmaps/strict?fieldValidation=Strict', { datta: { b: '2' } }, { 'Content-Type': 'application/merge-patch+json' });
    expect([p.status, p.json.message]).toEqual([400, 'strict decoding error: unknown field "datta"']);
  });

  it('a value of the wrong type is a 400 naming the field', async () => {
    const r = await call('POST', `${dss}?fieldValidation=Strict`, ds('typed', { ports: [{ containerPort: '8085' }] }));
    expect(r.status).toBe(400);
    expect(r.json.message).toBe('DaemonSet in version "v1" cannot be handled as a DaemonSet: json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32');
  });
});

describe('rbac.authorization.k8s.io/v1', () => {
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  const clusterRole = (name: string, rules: object[]) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules });

  it('stores roles with path-segment names (system:...) and rejects a rule without verbs', async () => {
    const ok = await call('POST', `${rbac}/clusterroles`, clusterRole('system:node-agent', [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]));
    expect(ok.status).toBe(201);
    const bad = await call('POST', `${rbac}/namespaces/default/roles`, { ...clusterRole('no-verbs', [{ apiGroups: [''], resources: ['pods'] }]), kind: 'Role' });
    expect(bad.status).toBe(422);
    expect(bad.json.message).toBe('Role.rbac.authorization.k8s.io "no-verbs" is invalid: rules[0].verbs: Required value: verbs must contain at least one value');
  });

  it('defaults the roleRef apiGroup, checks subjects, and may not change roleRef', async () => {
    const body = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'node-agent' },
      roleRef: { kind: 'ClusterRole', name: 'system:node-agent' },
      subjects: [{ kind: 'ServiceAccount', name: 'velero', namespace: 'velero' }, { kind: 'User', name: 'alice' }],
    };
    const created = (await call('POST', `${rbac}/clusterrolebindings`, body)).json;
    expect(created.roleRef.apiGroup).toBe('rbac.authorization.k8s.io');
    expect(created.subjects[1].apiGroup).toBe('rbac.authorization.k8s.io');
    const changed = await call('PATCH', `${rbac}/clusterrolebindings/node-agent`, { roleRef: { name: 'other' } }, { 'Content-Type': 'application/strategic-merge-patch+json' });
    expect(changed.status).toBe(422);
    expect(changed.json.message).toBe('ClusterRoleBinding.rbac.authorization.k8s.io "node-agent" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"other"}: cannot change roleRef');
    const noNamespace = await call('POST', `${rbac}/clusterrolebindings`, { ...body, metadata: { name: 'b2' }, roleRef: { ...body.roleRef, kind: 'Role' }, subjects: [{ kind: 'ServiceAccount', name: 'velero' }] });
    expect(noNamespace.json.details.causes.map((c: { field: string }) => c.field)).toEqual(['roleRef.kind', 'subjects[0].namespace']);
  });
});

describe('garbage collection and discovery', () => {
  it('foreground deletion removes dependents before the owner', async () => {
    const cms = '/api/v1/namespaces/default/configmaps';
    const owner = (await call('POST', cms, { metadata: { name: 'fg-owner' } })).json;
    await call('POST', cms, { metadata: { name: 'fg-dep', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'fg-owner', uid: owner.metadata.uid, blockOwnerDeletion: true }] } });
    const r = await call('DELETE', `${cms}/fg-owner`, { propagationPolicy: 'Foreground' });
    expect(r.status).toBe(200);
    expect(r.json.metadata.finalizers).toContain('foregroundDeletion');
    for (let i = 0; i < 100 && (await call('GET', `${cms}/fg-owner`)).status !== 404; i++) await new Promise((res) => setTimeout(res, 10));
    expect((await call('GET', `${cms}/fg-dep`)).status).toBe(404);
    expect((await call('GET', `${cms}/fg-owner`)).status).toBe(404);
  });

  it('discovery lists the CRDs and subresources', async () => {
    const groups = (await call('GET', '/apis')).json.groups.map((g: { name: string }) => g.name);
    expect(groups).toEqual(expect.arrayContaining(['velero.io', 'snapshot.storage.k8s.io', 'apiextensions.k8s.io', 'coordination.k8s.io', 'apps', 'rbac.authorization.k8s.io']));
    const apps = (await call('GET', '/apis/apps/v1')).json.resources;
    expect(apps.find((r: { name: string }) => r.name === 'daemonsets')).toMatchObject({ namespaced: true, shortNames: ['ds'], categories: ['all'] });
    expect(apps.map((r: { name: string }) => r.name)).toEqual(['daemonsets', 'daemonsets/status', 'deployments', 'deployments/status']);
    const core = (await call('GET', '/api/v1')).json.resources.map((r: { name: string }) => r.name);
    expect(core).toEqual(expect.arrayContaining(['pods', 'pods/status', 'pods/binding', 'pods/eviction', 'nodes/status', 'namespaces/finalize']));
    const snap = (await call('GET', '/apis/snapshot.storage.k8s.io/v1')).json.resources;
    expect(snap.find((r: { name: string }) => r.name === 'volumesnapshots')).toMatchObject({ namespaced: true, shortNames: ['vs'] });
    expect(snap.map((r: { name: string }) => r.name)).toContain('volumesnapshots/status');
  });
});
