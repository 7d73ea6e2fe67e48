// ResourceQuota, as Kubernetes enforces it (v1.33): kube-apiserver's ResourceQuota admission
// plugin refuses a create that would take a namespace's usage above a quota's hard limits, and
// kube-controller-manager's resource quota controller keeps status.used. The sources:
// - plugin/pkg/admission/resourcequota/controller.go `checkRequest`: per quota, the evaluator's
//   Constraints ("failed quota: NAME: must specify ..."), then "status unknown for quota" while
//   status.used lacks a restricted resource, then used + requested against status.hard
//   ("exceeded quota: NAME, requested: ..., used: ..., limited: ..."); on success the quota's
//   status.used is charged at once, before the controller recounts.
// - pkg/quota/v1/evaluator/core/pods.go: a pod's usage (count/pods always; pods, cpu / memory /
//   ephemeral-storage requests and limits, init containers and overhead counted as
//   resourcehelper.PodRequests does) and QuotaV1Pod: a pod in a terminal phase does not count,
//   and neither does one still Terminating a grace period after its deletionTimestamp (so a
//   Terminating pod counts until then, velero-io/velero #8344).
// - pkg/quota/v1/evaluator/core/persistent_volume_claims.go: persistentvolumeclaims,
//   requests.storage and their <class>.storageclass.storage.k8s.io/ forms.
// - pkg/quota/v1/generic: count/<resource>[.<group>] for any namespaced resource, and the
//   legacy names (configmaps, secrets, services, ...).
// - pkg/controller/resourcequota: a full recount on every change that moves usage, and every
//   --resource-quota-sync-period (5 min).
// Not modelled (refused with 422 where a quota asks for it, so nothing is silently unenforced):
// scopeSelector, the PriorityClass and CrossNamespacePodAffinity scopes. Updates are not
// evaluated (kube evaluates PVC resizes and in-place pod resizes; nothing here resizes).
import { isBinaryForm, parseNanos } from '../../controller/quantity.ts';
import type { KubeApi } from './api.ts';
import { errors } from './errors.ts';
import { groupResource } from './registry.ts';
import type { Stored } from './storage.ts';
import { podQosClass } from './strategies.ts';
import { canonicalQuantity } from './table.ts';
import type { FieldError, KubeObject, ResourceInfo } from './types.ts';

type Obj = Record<string, any>;

/** kube-controller-manager's --resource-quota-sync-period default. */
export const QUOTA_SYNC_PERIOD_MS = 5 * 60_000;

/** A usage value: nano units, and whether it prints with a binary suffix (resource.Quantity's format). */
interface Amount {
  n: bigint;
  binary: boolean;
}
type Usage = Map<string, Amount>;

const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';
/** Resources whose every container must state a request or limit once a quota constrains them (pods.go validationSet). */
const VALIDATION_SET = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);
const POD_COMPUTE = ['cpu', 'memory', 'ephemeral-storage'];
/** The resources the pod evaluator matches besides requests.<extended> and hugepages. */
const POD_RESOURCES = new Set([
  'pods', 'count/pods',
  'cpu', 'memory', 'ephemeral-storage',
  'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage',
]);
/** Legacy object-count names (pkg/quota/v1/evaluator/core/registry.go) and the resource each counts. */
const LEGACY_COUNTS: Record<string, string> = {
  configmaps: '/configmaps',
  secrets: '/secrets',
  services: '/services',
  replicationcontrollers: '/replicationcontrollers',
  resourcequotas: '/resourcequotas',
};
/** The scopes modelled, and the hard resources each may constrain (validation.go validateResourceQuotaScopes). */
const POD_SCOPES: Record<string, (pod: Obj) => boolean> = {
  Terminating: (pod) => typeof pod.spec?.activeDeadlineSeconds === 'number' && pod.spec.activeDeadlineSeconds >= 0,
  NotTerminating: (pod) => !(typeof pod.spec?.activeDeadlineSeconds === 'number' && pod.spec.activeDeadlineSeconds >= 0),
  BestEffort: (pod) => podQosClass(pod.spec ?? {}) === 'BestEffort',
  NotBestEffort: (pod) => podQosClass(pod.spec ?? {}) !== 'BestEffort',
};
const SCOPE_RESOURCES: Record<string, Set<string>> = {
  Terminating: POD_RESOURCES,
  NotTerminating: POD_RESOURCES,
  BestEffort: new Set(['pods', 'count/pods']),
  NotBestEffort: POD_RESOURCES,
};

// ---- quantities ------------------------------------------------------------------------------

function amount(value: unknown): Amount {
  return { n: parseNanos(value as string), binary: isBinaryForm(value as string) };
}

/** resource.Quantity.String() of an amount. */
export function formatAmount(a: Amount): string {
  if (a.n === 0n) return '0';
  if (a.binary && a.n % 1_000_000_000n === 0n) {
    const units = a.n / 1_000_000_000n;
    return units % 1024n === 0n ? canonicalQuantity(`${units / 1024n}Ki`) : String(units);
  }
  return canonicalQuantity(`${a.n}n`);
}

/** quota.Add with resource.Quantity.Add: the sum keeps the first operand's format, unless that is zero. */
function add(into: Usage, key: string, a: Amount): void {
  const cur = into.get(key);
  into.set(key, cur && cur.n !== 0n ? { n: cur.n + a.n, binary: cur.binary } : { n: (cur?.n ?? 0n) + a.n, binary: a.binary });
}

/** quota's prettyPrint: sorted "name=value" joined by ",". */
function pretty(u: Usage): string {
  return [...u.keys()].sort().map((k) => `${k}=${formatAmount(u.get(k)!)}`).join(',');
}

// ---- what an object uses --------------------------------------------------------------------

/** QuotaV1Pod: terminal pods, and pods Terminating beyond deletionTimestamp + grace, are not charged. */
export function podCounts(pod: Obj, now: number): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const ts = pod.metadata?.deletionTimestamp;
  const grace = pod.metadata?.deletionGracePeriodSeconds;
  if (ts && typeof grace === 'number' && now > Date.parse(ts) + grace * 1000) return false;
  return true;
}

/** resourcehelper.PodRequests / PodLimits for one of requests or limits: containers, sidecars, init containers, overhead. */
function podResources(spec: Obj, which: 'requests' | 'limits'): Map<string, Amount> {
  const sum = new Map<string, Amount>();
  const of = (c: Obj) => Object.entries((c?.resources?.[which] ?? {}) as Obj);
  for (const c of spec.containers ?? []) for (const [k, v] of of(c)) add(sum, k, amount(v));
  const sidecars = new Map<string, Amount>();
  for (const c of spec.initContainers ?? []) {
    if (c?.restartPolicy === 'Always') {
      for (const [k, v] of of(c)) {
        add(sum, k, amount(v));
        add(sidecars, k, amount(v));
      }
      continue;
    }
    // A plain init container runs alone, beside the sidecars started before it.
    for (const [k, v] of of(c)) {
      const need = amount(v).n + (sidecars.get(k)?.n ?? 0n);
      const cur = sum.get(k);
      if (!cur || need > cur.n) sum.set(k, { n: need, binary: cur?.binary ?? isBinaryForm(v as string) });
    }
  }
  if (which === 'requests' || Object.keys(spec.overhead ?? {}).length > 0) {
    for (const [k, v] of Object.entries((spec.overhead ?? {}) as Obj)) if (sum.has(k) || which === 'requests') add(sum, k, amount(v));
  }
  return sum;
}

/** pods.go Usage: count/pods for every pod; the rest only while QuotaV1Pod charges it. */
function podUsage(pod: Obj, charged = true): Usage {
  const u: Usage = new Map([['count/pods', { n: 1_000_000_000n, binary: false }]]);
  if (!charged) return u;
  u.set('pods', { n: 1_000_000_000n, binary: false });
  const spec = pod.spec ?? {};
  for (const [k, a] of podResources(spec, 'requests')) {
    if (POD_COMPUTE.includes(k)) u.set(k, a);
    u.set(`requests.${k}`, a);
  }
  for (const [k, a] of podResources(spec, 'limits')) if (POD_COMPUTE.includes(k)) u.set(`limits.${k}`, a);
  return u;
}

function pvcClass(pvc: Obj): string | undefined {
  return pvc.spec?.storageClassName ?? pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'];
}

function pvcUsage(pvc: Obj): Usage {
  const one = { n: 1_000_000_000n, binary: false };
  const u: Usage = new Map([['persistentvolumeclaims', one], ['count/persistentvolumeclaims', one]]);
  const cls = pvcClass(pvc);
  if (cls) u.set(`${cls}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`, one);
  const req = pvc.spec?.resources?.requests?.storage;
  if (req !== undefined) {
    let a = amount(req);
    // A resize in progress is charged at the larger of the request and the allocated size.
    const allocated = pvc.status?.allocatedResources?.storage;
    if (allocated !== undefined && amount(allocated).n > a.n) a = amount(allocated);
    u.set('requests.storage', a);
    if (cls) u.set(`${cls}${STORAGE_CLASS_SUFFIX}requests.storage`, a);
  }
  return u;
}

/** count/<resource>[.<group>] of a group/resource. */
function countName(gr: string): string {
  const [group, resource] = gr.split('/');
  return group ? `count/${resource}.${group}` : `count/${resource}`;
}

/** Whether a hard resource name is something an evaluator of this group/resource tracks. */
function matches(gr: string, name: string): boolean {
  if (name === countName(gr)) return true;
  if (LEGACY_COUNTS[name] === gr) return true;
  if (gr === '/pods') return POD_RESOURCES.has(name) || isPodExtended(name);
  if (gr === '/persistentvolumeclaims') {
    return name === 'persistentvolumeclaims' || name === 'requests.storage' || name.endsWith(`${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`) || name.endsWith(`${STORAGE_CLASS_SUFFIX}requests.storage`);
  }
  return false;
}

/** requests.hugepages-<size>, limits.hugepages-<size> and requests.<extended resource> (a domain-qualified name): pods.go's extras. */
function isPodExtended(name: string): boolean {
  if (/^(requests|limits)\.hugepages-/.test(name)) return true;
  return name.startsWith('requests.') && name.slice('requests.'.length).includes('/') && !name.includes(STORAGE_CLASS_SUFFIX);
}

/** The usage of one object, for the evaluator of its resource (object counts for any other). */
function usageOf(gr: string, obj: Obj, now?: number): Usage {
  if (gr === '/pods') return podUsage(obj, now === undefined || podCounts(obj, now));
  if (gr === '/persistentvolumeclaims') return pvcUsage(obj);
  const one = { n: 1_000_000_000n, binary: false };
  const u: Usage = new Map([[countName(gr), one]]);
  for (const [legacy, r] of Object.entries(LEGACY_COUNTS)) if (r === gr) u.set(legacy, one);
  return u;
}

/** Whether the quota's scopes select this object (scoped quotas select pods only). */
function inScope(quota: Obj, gr: string, obj: Obj): boolean {
  const scopes: string[] = quota.spec?.scopes ?? [];
  if (scopes.length === 0) return true;
  return gr === '/pods' && scopes.every((s) => POD_SCOPES[s]?.(obj) ?? false);
}

/** pods.go Constraints: with cpu or memory constrained, every container must state them ("must specify ..."). */
function podConstraints(restricted: string[], pod: Obj): string | undefined {
  const required = restricted.filter((r) => VALIDATION_SET.has(r));
  if (required.length === 0) return undefined;
  const missing = new Map<string, Set<string>>();
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    const provided = new Set<string>();
    for (const k of Object.keys(c?.resources?.requests ?? {})) provided.add(k).add(`requests.${k}`);
    for (const k of Object.keys(c?.resources?.limits ?? {})) provided.add(`limits.${k}`);
    for (const r of required) {
      if (provided.has(r)) continue;
      if (!missing.has(r)) missing.set(r, new Set());
      missing.get(r)!.add(String(c?.name ?? ''));
    }
  }
  if (missing.size === 0) return undefined;
  return `must specify ${[...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`).join('; ')}`;
}

// ---- validation ------------------------------------------------------------------------------

/** What the server refuses in a ResourceQuota: unsupported scopes, and scopes with resources they cannot constrain. */
export function validateResourceQuota(obj: KubeObject): FieldError[] {
  const spec = (obj.spec ?? {}) as Obj;
  const errs: FieldError[] = [];
  if (spec.scopeSelector !== undefined) {
    errs.push({ reason: 'FieldValueForbidden', field: 'spec.scopeSelector', message: 'Forbidden: scopeSelector is not modelled by the embedded cluster; use spec.scopes (Terminating, NotTerminating, BestEffort, NotBestEffort)' });
  }
  for (const [i, s] of ((spec.scopes ?? []) as string[]).entries()) {
    if (!(s in POD_SCOPES)) {
      errs.push({ reason: 'FieldValueNotSupported', field: `spec.scopes[${i}]`, message: `Unsupported value: ${JSON.stringify(s)}: supported values: ${Object.keys(POD_SCOPES).map((x) => JSON.stringify(x)).join(', ')}` });
      continue;
    }
    for (const k of Object.keys(spec.hard ?? {})) {
      if (!SCOPE_RESOURCES[s].has(k)) errs.push({ reason: 'FieldValueInvalid', field: 'spec.hard', message: `Invalid value: ${JSON.stringify(k)}: unsupported scope applied to resource` });
    }
  }
  for (const [k, v] of Object.entries((spec.hard ?? {}) as Obj)) {
    if (parseNanos(v as string) < 0n) errs.push({ reason: 'FieldValueInvalid', field: `spec.hard[${k}]`, message: `Invalid value: "${v}": must be greater than or equal to 0` });
  }
  return errs;
}

// ---- admission and the controller ------------------------------------------------------------

export class ResourceQuotas {
  private readonly info: ResourceInfo;
  private timer?: { cancel(): void };

  constructor(
    private readonly api: KubeApi,
    /** Runs a piece of controller work on the built-in controllers' queue, once per key while queued. */
    private readonly enqueue: (key: string, fn: () => void) => void,
  ) {
    this.info = api.lookup('', 'v1', 'resourcequotas')!;
  }

  private quotasIn(namespace: string): Stored[] {
    return this.api.list(this.info, namespace).items;
  }

  /**
   * The admission check of a create in a namespace: throws 403 as kube-apiserver does, or
   * returns what to charge once the object is stored (nothing for a dry run).
   */
  admit(info: ResourceInfo, obj: KubeObject, dryRun: boolean): (() => void) | undefined {
    const ns = obj.metadata.namespace;
    if (!info.namespaced || !ns || this.api.table(this.info).objects.size === 0) return undefined;
    const gr = groupResource(info.group, info.resource);
    const quotas = this.quotasIn(ns);
    if (quotas.length === 0) return undefined;
    const name = obj.metadata.name ?? '';
    const refuse = (why: string) => errors.forbidden(info.group, info.resource, name, why);
    const interesting: { quota: Stored; hard: Usage; used: Usage }[] = [];
    for (const q of quotas) {
      const status = (q.obj.status ?? {}) as Obj;
      const hardNames = Object.keys(status.hard ?? {});
      const restricted = hardNames.filter((r) => matches(gr, r)).sort();
      if (restricted.length === 0 || !inScope(q.obj, gr, obj)) continue;
      if (gr === '/pods') {
        const why = podConstraints(restricted, obj);
        if (why) throw refuse(`failed quota: ${q.obj.metadata.name}: ${why}`);
      }
      const missing = restricted.filter((r) => status.used?.[r] === undefined);
      if (missing.length > 0) throw refuse(`status unknown for quota: ${q.obj.metadata.name}, resources: ${missing.join(',')}`);
      interesting.push({ quota: q, hard: toUsage(status.hard), used: toUsage(status.used) });
    }
    if (interesting.length === 0) return undefined;
    const delta = usageOf(gr, obj);
    const charged: Stored[] = [];
    for (const { quota, hard, used } of interesting) {
      const requested = mask(delta, hard);
      const exceeded = [...requested.keys()].filter((k) => (used.get(k)?.n ?? 0n) + requested.get(k)!.n > hard.get(k)!.n);
      if (exceeded.length > 0) {
        const only = (u: Usage) => mask(u, new Map(exceeded.map((k) => [k, hard.get(k)!])));
        throw refuse(
          `exceeded quota: ${quota.obj.metadata.name}, requested: ${pretty(only(requested))}, used: ${pretty(only(used))}, limited: ${pretty(only(hard))}`,
        );
      }
      charged.push(quota);
    }
    if (dryRun) return undefined;
    return () => {
      for (const quota of charged) {
        const live = this.api.table(this.info).get(quota.key);
        if (!live) continue;
        const status = (live.obj.status ?? {}) as Obj;
        const used = toUsage(status.used);
        for (const [k, a] of mask(delta, toUsage(status.hard))) add(used, k, a);
        this.writeUsed(live, status.hard ?? {}, used);
      }
    };
  }

  /** A committed write: recount the namespace when usage may have moved (the controller's replenishment). */
  observe(info: ResourceInfo, cur: Stored | undefined, prev: Stored | undefined): void {
    const obj = (cur ?? prev)?.obj;
    const ns = obj?.metadata.namespace;
    const gr = groupResource(info.group, info.resource);
    if (!ns || (gr !== '/resourcequotas' && this.api.table(this.info).objects.size === 0)) return;
    if (gr === '/resourcequotas') {
      if (!cur) {
        if (this.api.table(this.info).objects.size === 0) this.stopResync();
        return;
      }
      const status = (cur.obj.status ?? {}) as Obj;
      if (!prev || JSON.stringify(status.hard ?? {}) !== JSON.stringify((cur.obj.spec as Obj)?.hard ?? {})) this.markDirty(ns);
      this.startResync();
      return;
    }
    if (!this.tracked(ns, gr)) return;
    if (gr === '/pods' && cur && prev) {
      const now = this.api.clock.now();
      const was = podCounts(prev.obj, now);
      if (was === podCounts(cur.obj, now) && prev.obj.metadata.deletionTimestamp === cur.obj.metadata.deletionTimestamp) return;
    } else if (cur && prev && gr !== '/persistentvolumeclaims') return;
    this.markDirty(ns);
  }

  /** Whether any quota in the namespace tracks this resource. */
  private tracked(ns: string, gr: string): boolean {
    for (const q of this.quotasIn(ns)) for (const r of Object.keys((q.obj.spec as Obj)?.hard ?? {})) if (matches(gr, r)) return true;
    return false;
  }

  private markDirty(ns: string): void {
    this.enqueue(ns, () => this.sync(ns));
  }

  /** The controller's syncResourceQuota for every quota of a namespace: status.hard = spec.hard, status.used recounted. */
  sync(ns: string): void {
    const quotas = this.quotasIn(ns);
    if (quotas.length === 0) return;
    const now = this.api.clock.now();
    for (const q of quotas) {
      const hard = ((q.obj.spec as Obj)?.hard ?? {}) as Obj;
      const used: Usage = new Map();
      // The tracked resource names by the group/resource whose objects they count: each
      // object's usage is worked out once, however many of its resources the quota limits.
      const byResource = new Map<string, string[]>();
      for (const r of Object.keys(hard)) {
        const gr = this.resourceOf(r);
        if (!gr) continue;
        used.set(r, { n: 0n, binary: false });
        byResource.set(gr, [...(byResource.get(gr) ?? []), r]);
      }
      for (const [gr, names] of byResource) {
        for (const s of this.objectsOf(gr, ns)) {
          if (!inScope(q.obj, gr, s.obj)) continue;
          const usage = usageOf(gr, s.obj, now);
          for (const r of names) {
            const a = usage.get(r);
            if (a) add(used, r, a);
          }
        }
      }
      this.writeUsed(q, hard, used);
    }
  }

  /** The group/resource whose objects a hard resource name counts (undefined: no evaluator tracks it). */
  private resourceOf(name: string): string | undefined {
    if (matches('/pods', name)) return '/pods';
    if (matches('/persistentvolumeclaims', name)) return '/persistentvolumeclaims';
    if (LEGACY_COUNTS[name]) return LEGACY_COUNTS[name];
    const m = /^count\/([^.]+)(?:\.(.+))?$/.exec(name);
    return m ? `${m[2] ?? ''}/${m[1]}` : undefined;
  }

  private objectsOf(gr: string, ns: string): Stored[] {
    const info = this.api.resources().find((r) => groupResource(r.group, r.resource) === gr && r.namespaced);
    return info ? this.api.list(info, ns).items : [];
  }

  private writeUsed(q: Stored, hard: Obj, used: Usage): void {
    const status = { hard: { ...hard }, used: Object.fromEntries([...used.keys()].sort().map((k) => [k, formatAmount(used.get(k)!)])) };
    if (JSON.stringify(status) === JSON.stringify(q.obj.status ?? {})) return;
    this.api.commit(this.info, this.api.table(this.info), { ...q.obj, status }, q);
  }

  private startResync(): void {
    if (this.timer) return;
    const tick = () => {
      this.timer = undefined;
      if (this.api.table(this.info).objects.size === 0) return;
      const namespaces = new Set(this.api.list(this.info, undefined).items.map((s) => s.obj.metadata.namespace!));
      for (const ns of namespaces) this.markDirty(ns);
      this.timer = this.api.clock.setTimer(QUOTA_SYNC_PERIOD_MS, tick);
    };
    this.timer = this.api.clock.setTimer(QUOTA_SYNC_PERIOD_MS, tick);
  }

  private stopResync(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Cancels the periodic resync (the server is stopping). */
  stop(): void {
    this.stopResync();
  }
}

function toUsage(list: Obj | undefined): Usage {
  const u: Usage = new Map();
  for (const [k, v] of Object.entries(list ?? {})) u.set(k, amount(v));
  return u;
}

/** quota.Mask: the entries of u whose names are in names. */
function mask(u: Usage, names: Usage): Usage {
  const out: Usage = new Map();
  for (const [k, a] of u) if (names.has(k)) out.set(k, a);
  return out;
}
