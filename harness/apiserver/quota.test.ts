// ResourceQuota as kube-apiserver's admission and kube-controller-manager's quota controller
// enforce it. Every expected figure below is worked out by hand from the objects the test writes.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.ts';
import { VirtualClock } from '../sim/virtual-clock.ts';
import { KubeApi } from './api.ts';
import { BuiltinControllers } from './controllers.ts';
import { ApiError } from './errors.ts';
import { formatAmount, podCounts } from './quota.ts';

type Obj = Record<string, any>;

function setUp() {
  const clock = new VirtualClock();
  const t0 = clock.now();
  const api = new KubeApi({ clock, random: seededRandom(1) });
  const controllers = new BuiltinControllers(api);
  const r = (resource: string, group = '', version = 'v1') => api.lookup(group, version, resource)!;
  api.create(r('namespaces'), undefined, { metadata: { name: 'velero' } });
  controllers.drain();
  const quota = (name: string, hard: Record<string, string>, extra: Obj = {}) => {
    api.create(r('resourcequotas'), 'velero', { metadata: { name }, spec: { hard, ...extra } });
    controllers.drain();
  };
  const status = (name: string) => api.get(r('resourcequotas'), 'velero', name).obj.status as Obj;
  const pod = (name: string, containers: Obj[], extra: Obj = {}) =>
    api.create(r('pods'), 'velero', { metadata: { name }, spec: { containers, ...extra } });
  const container = (name: string, requests?: Obj, limits?: Obj) => ({ name, image: 'velero/velero', resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } });
  const refused = (fn: () => unknown): ApiError => {
    try {
      fn();
    } catch (e) {
      if (e instanceof ApiError) return e;
      throw e;
    }
    throw new Error('the request was not refused');
  };
  const at = (seconds: number) => clock.run(() => false, t0 + seconds * 1000);
  return { clock, t0, api, controllers, r, quota, status, pod, container, refused, at };
}

describe('ResourceQuota admission and status (kube-apiserver, kube-controller-manager)', () => {
  it('the controller fills status.hard from spec.hard and status.used with zeros for what an evaluator tracks', () => {
    const t = setUp();
    t.quota('q', { pods: '10', 'requests.cpu': '4', 'requests.storage': '100Gi', 'example.com/widgets': '3' });
    expect(t.status('q')).toEqual({
      hard: { pods: '10', 'requests.cpu': '4', 'requests.storage': '100Gi', 'example.com/widgets': '3' },
      // No evaluator tracks example.com/widgets: kube leaves it out of used.
      used: { pods: '0', 'requests.cpu': '0', 'requests.storage': '0' },
    });
  });

  it('a create is charged at once; one that would go over is refused 403 in kube-apiserver words and changes nothing', () => {
    const t = setUp();
    t.quota('compute', { pods: '3', 'requests.cpu': '1', 'requests.memory': '1Gi', 'limits.memory': '2Gi' });
    t.pod('a', [t.container('c', { cpu: '600m', memory: '256Mi' }, { memory: '512Mi' })]);
    // Charged by admission, before the controller runs.
    expect(t.status('compute').used).toEqual({ pods: '1', 'requests.cpu': '600m', 'requests.memory': '256Mi', 'limits.memory': '512Mi' });
    const rvBefore = t.api.store.currentRv;
    const e = t.refused(() => t.pod('b', [t.container('c', { cpu: '600m', memory: '256Mi' }, { memory: '512Mi' })]));
    expect(e.code).toBe(403);
    expect(e.reason).toBe('Forbidden');
    // 600m + 600m = 1200m > 1; memory 512Mi <= 1Gi and pods 2 <= 3 pass, so only requests.cpu is named.
    expect(e.message).toBe('pods "b" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1');
    expect(t.api.store.currentRv).toBe(rvBefore);
    expect(t.api.list(t.r('pods'), 'velero').items.map((s) => s.obj.metadata.name)).toEqual(['a']);
    // Under the limit exactly is allowed: 600m + 400m = 1.
    t.pod('c', [t.container('c', { cpu: '400m', memory: '768Mi' }, { memory: '1536Mi' })]);
    expect(t.status('compute').used).toEqual({ pods: '2', 'requests.cpu': '1', 'requests.memory': '1Gi', 'limits.memory': '2Gi' });
  });

  it('every resource over its limit is named, sorted, in each of requested, used and limited', () => {
    const t = setUp();
    t.quota('q', { pods: '1', 'requests.cpu': '1' });
    t.pod('a', [t.container('c', { cpu: '800m' })]);
    const e = t.refused(() => t.pod('b', [t.container('c', { cpu: '300m' })]));
    expect(e.message).toBe('pods "b" is forbidden: exceeded quota: q, requested: pods=1,requests.cpu=300m, used: pods=1,requests.cpu=800m, limited: pods=1,requests.cpu=1');
  });

  it('with cpu or memory constrained, every container must state it ("must specify", per resource and container)', () => {
    const t = setUp();
    t.quota('q', { 'requests.cpu': '4', 'limits.memory': '8Gi' });
    const e = t.refused(() => t.pod('p', [t.container('main', { cpu: '1' }), t.container('side')]));
    expect(e.message).toBe('pods "p" is forbidden: failed quota: q: must specify limits.memory for: main,side; requests.cpu for: side');
  });

  it('admission reads status.hard: a quota the controller has not synced constrains nothing; one without usage for a limit refuses ("status unknown")', () => {
    const t = setUp();
    const rq = t.r('resourcequotas');
    t.api.create(rq, 'velero', { metadata: { name: 'fresh' }, spec: { hard: { pods: '1' } } });
    t.pod('early', [t.container('c')]);
    t.controllers.drain();
    // The controller's recount includes the pod admitted before it ran.
    expect(t.status('fresh').used).toEqual({ pods: '1' });
    // status written by hand (the status subresource) with a hard limit and no usage for it.
    const cur = t.api.get(rq, 'velero', 'fresh').obj;
    t.api.update(rq, 'velero', 'fresh', { ...cur, status: { hard: { pods: '1', 'requests.cpu': '2' }, used: { pods: '1' } } }, { subresource: 'status' });
    const e = t.refused(() => t.pod('p', [t.container('c', { cpu: '1' })]));
    expect(e.message).toBe('pods "p" is forbidden: status unknown for quota: fresh, resources: requests.cpu');
  });

  it('a server dry run is checked but not charged', () => {
    const t = setUp();
    t.quota('q', { pods: '1' });
    t.api.create(t.r('pods'), 'velero', { metadata: { name: 'dry' }, spec: { containers: [t.container('c')] } }, { dryRun: true });
    expect(t.status('q').used).toEqual({ pods: '0' });
    t.pod('real', [t.container('c')]);
    const e = t.refused(() => t.api.create(t.r('pods'), 'velero', { metadata: { name: 'dry2' }, spec: { containers: [t.container('c')] } }, { dryRun: true }));
    expect(e.code).toBe(403);
  });

  it('all quotas of the namespace must pass; one that does not track the resource is skipped', () => {
    const t = setUp();
    t.quota('roomy', { pods: '100' });
    t.quota('storage', { 'requests.storage': '10Gi' });
    t.quota('tight', { pods: '1' });
    t.pod('a', [t.container('c')]);
    const e = t.refused(() => t.pod('b', [t.container('c')]));
    expect(e.message).toContain('exceeded quota: tight,');
    expect(t.status('roomy').used).toEqual({ pods: '1' });
    expect(t.status('storage').used).toEqual({ 'requests.storage': '0' });
  });

  it('a pod uses the larger of its containers (with sidecars) and each init container, plus overhead', () => {
    const t = setUp();
    t.quota('q', { 'requests.cpu': '10', 'requests.memory': '10Gi' });
    t.pod('p', [t.container('a', { cpu: '100m', memory: '100Mi' }), t.container('b', { cpu: '200m', memory: '100Mi' })], {
      initContainers: [
        { name: 'side', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '50m', memory: '28Mi' } } },
        { name: 'init', image: 'x', resources: { requests: { cpu: '500m', memory: '64Mi' } } },
      ],
      overhead: { cpu: '10m', memory: '16Mi' },
    });
    // cpu: containers 300m + sidecar 50m = 350m; the init container runs beside the sidecar: 500m + 50m = 550m; max 550m, + 10m overhead = 560m.
    // memory: 200Mi + 28Mi = 228Mi; 64Mi + 28Mi = 92Mi; max 228Mi, + 16Mi = 244Mi.
    expect(t.status('q').used).toEqual({ 'requests.cpu': '560m', 'requests.memory': '244Mi' });
  });

  it('persistent volume claims: count, requests.storage, and the per-class forms', () => {
    const t = setUp();
    t.quota('storage', {
      persistentvolumeclaims: '2',
      'requests.storage': '30Gi',
      'csi-hostpath.storageclass.storage.k8s.io/requests.storage': '15Gi',
      'csi-hostpath.storageclass.storage.k8s.io/persistentvolumeclaims': '5',
    });
    const pvc = (name: string, size: string, cls: string) =>
      t.api.create(t.r('persistentvolumeclaims'), 'velero', { metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: cls, resources: { requests: { storage: size } } } });
    pvc('a', '10Gi', 'csi-hostpath');
    expect(t.status('storage').used).toEqual({
      persistentvolumeclaims: '1',
      'requests.storage': '10Gi',
      'csi-hostpath.storageclass.storage.k8s.io/requests.storage': '10Gi',
      'csi-hostpath.storageclass.storage.k8s.io/persistentvolumeclaims': '1',
    });
    // 10Gi + 10Gi of the class is over its 15Gi, though the namespace's 30Gi has room.
    const e = t.refused(() => pvc('b', '10Gi', 'csi-hostpath'));
    expect(e.message).toBe(
      'persistentvolumeclaims "b" is forbidden: exceeded quota: storage, requested: csi-hostpath.storageclass.storage.k8s.io/requests.storage=10Gi, used: csi-hostpath.storageclass.storage.k8s.io/requests.storage=10Gi, limited: csi-hostpath.storageclass.storage.k8s.io/requests.storage=15Gi',
    );
    pvc('c', '10Gi', 'standard');
    expect(t.refused(() => pvc('d', '1Gi', 'standard')).message).toContain('requested: persistentvolumeclaims=1, used: persistentvolumeclaims=2, limited: persistentvolumeclaims=2');
    // A deleted claim gives its share back once the controller recounts.
    t.api.delete(t.r('persistentvolumeclaims'), 'velero', 'a');
    t.controllers.drain();
    expect(t.status('storage').used['requests.storage']).toBe('10Gi');
    expect(t.status('storage').used.persistentvolumeclaims).toBe('1');
  });

  it('object counts: count/<resource>[.<group>] and the legacy names', () => {
    const t = setUp();
    t.quota('objects', { 'count/configmaps': '1', configmaps: '5', 'count/roles.rbac.authorization.k8s.io': '1' });
    t.api.create(t.r('configmaps'), 'velero', { metadata: { name: 'a' } });
    expect(t.status('objects').used).toEqual({ 'count/configmaps': '1', configmaps: '1', 'count/roles.rbac.authorization.k8s.io': '0' });
    expect(t.refused(() => t.api.create(t.r('configmaps'), 'velero', { metadata: { name: 'b' } })).message).toBe(
      'configmaps "b" is forbidden: exceeded quota: objects, requested: count/configmaps=1, used: count/configmaps=1, limited: count/configmaps=1',
    );
    const roles = t.r('roles', 'rbac.authorization.k8s.io');
    t.api.create(roles, 'velero', { metadata: { name: 'r1' }, rules: [] });
    expect(t.refused(() => t.api.create(roles, 'velero', { metadata: { name: 'r2' }, rules: [] })).message).toContain('roles.rbac.authorization.k8s.io "r2" is forbidden: exceeded quota: objects');
  });

  it('a terminal pod gives its share back (but still counts in count/pods); a Terminating one counts until a grace period past its deletionTimestamp, then at the next resync', async () => {
    const t = setUp();
    t.quota('counts', { 'count/pods': '10' });
    t.quota('q', { pods: '5', 'requests.cpu': '5' });
    t.pod('done', [t.container('c', { cpu: '1' })], { nodeName: 'n1' });
    t.pod('stuck', [t.container('c', { cpu: '1' })], { nodeName: 'n1' });
    expect(t.status('q').used).toEqual({ pods: '2', 'requests.cpu': '2' });
    const pods = t.r('pods');
    t.api.update(pods, 'velero', 'done', { ...t.api.get(pods, 'velero', 'done').obj, status: { phase: 'Succeeded' } }, { subresource: 'status' });
    t.controllers.drain();
    expect(t.status('q').used).toEqual({ pods: '1', 'requests.cpu': '1' });
    expect(t.status('counts').used).toEqual({ 'count/pods': '2' });
    // A pod on a node (a lost node here: no kubelet finishes it) deleted with the default 30 s grace:
    // deletionTimestamp = now + 30 s, so it counts until now + 60 s.
    t.api.delete(pods, 'velero', 'stuck');
    t.controllers.drain();
    expect(podCounts(t.api.get(pods, 'velero', 'stuck').obj, t.clock.now() + 60_000)).toBe(true);
    expect(podCounts(t.api.get(pods, 'velero', 'stuck').obj, t.clock.now() + 60_001)).toBe(false);
    expect(t.status('q').used.pods).toBe('1');
    await t.at(299);
    expect(t.status('q').used.pods).toBe('1');
    // The controller's --resource-quota-sync-period (5 min, from the quota's creation) recounts.
    await t.at(300);
    expect(t.status('q').used).toEqual({ pods: '0', 'requests.cpu': '0' });
    t.controllers.quotas.stop();
  });

  it('refuses what it does not model rather than ignoring it, and scopes with resources they cannot constrain', () => {
    const t = setUp();
    const rq = t.r('resourcequotas');
    const sel = t.refused(() => t.api.create(rq, 'velero', { metadata: { name: 'a' }, spec: { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } } }));
    expect(sel.code).toBe(422);
    expect(sel.message).toContain('spec.scopeSelector');
    const scope = t.refused(() => t.api.create(rq, 'velero', { metadata: { name: 'b' }, spec: { hard: { 'requests.cpu': '1' }, scopes: ['BestEffort'] } }));
    expect(scope.message).toContain('spec.hard: Invalid value: "requests.cpu": unsupported scope applied to resource');
    // A BestEffort quota counts only BestEffort pods.
    t.quota('best-effort', { pods: '1' }, { scopes: ['BestEffort'] });
    t.pod('guaranteed', [t.container('c', { cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })]);
    t.pod('be', [t.container('c')]);
    expect(t.status('best-effort').used).toEqual({ pods: '1' });
    expect(t.refused(() => t.pod('be2', [t.container('c')])).message).toContain('exceeded quota: best-effort');
  });

  it('formats sums as resource.Quantity does', () => {
    const n = (x: number) => BigInt(x) * 1_000_000_000n;
    expect(formatAmount({ n: n(768) * 1024n * 1024n, binary: true })).toBe('768Mi');
    expect(formatAmount({ n: n(1536) * 1024n * 1024n, binary: true })).toBe('1536Mi');
    expect(formatAmount({ n: 1_500_000_000n, binary: false })).toBe('1500m');
    expect(formatAmount({ n: n(2), binary: false })).toBe('2');
    expect(formatAmount({ n: 0n, binary: true })).toBe('0');
  });
});
