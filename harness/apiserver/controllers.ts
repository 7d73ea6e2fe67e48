// The parts of kube-controller-manager and apiextensions-apiserver an API server needs to
// feel real: CRD establishment and cleanup, namespace lifecycle, default service accounts,
// and background / foreground / orphan garbage collection through ownerReferences.
// They react to committed writes and do their work on a queue, so a request never waits for them.
import { kubeTime } from '../clock.ts';
import type { KubeApi } from './api.ts';
import { ResourceQuotas } from './quota.ts';
import { groupResource, type CrdObject } from './registry.ts';
import type { Stored } from './storage.ts';
import type { KubeObject, ResourceInfo } from './types.ts';

type Obj = Record<string, any>;

const CRD_CLEANUP = 'customresourcecleanup.apiextensions.k8s.io';

export class BuiltinControllers {
  private queue: (() => void)[] = [];
  /** ResourceQuota admission and its controller. */
  readonly quotas: ResourceQuotas;
  private scheduled = false;

  constructor(
    private readonly api: KubeApi,
    /** Told about queued work, so a virtual clock waits for it. */
    private readonly work: { begin(): void; end(): void } = { begin() {}, end() {} },
  ) {
    this.quotas = new ResourceQuotas(api, (key, fn) => this.enqueueOnce(`quota/${key}`, fn));
    api.addAdmission((info, obj, dryRun) => this.quotas.admit(info, obj, dryRun));
    api.onWrite((info, cur, prev) => this.observe(info, cur, prev));
  }

  /** Work queued but not yet done (the virtual clock waits for this to drain). */
  get pending(): number {
    return this.queue.length;
  }

  /** Runs queued work until none is left (tests and shutdown). */
  drain(): void {
    while (this.queue.length) {
      const task = this.queue.shift()!;
      try {
        task();
      } catch (e) {
        // One task's failure (an object it cannot write) is logged, as kube-controller-manager
        // logs a failed sync; it must not end the server or the tasks queued after it.
        console.error('embedded apiserver: a built-in controller task failed:', e);
      }
    }
  }

  private enqueue(fn: () => void): void {
    this.queue.push(fn);
    if (!this.scheduled) {
      this.scheduled = true;
      this.work.begin();
      setImmediate(() => {
        this.scheduled = false;
        try {
          this.drain();
        } finally {
          this.work.end();
        }
      });
    }
  }

  private observe(info: ResourceInfo, cur: Stored | undefined, prev: Stored | undefined): void {
    const gr = groupResource(info.group, info.resource);
    if (gr === 'apiextensions.k8s.io/customresourcedefinitions') this.observeCrd(cur, prev);
    if (gr === '/namespaces') this.observeNamespace(cur);
    this.quotas.observe(info, cur, prev);
    // Garbage collection: a deleted owner's dependents, a deleting owner's foreground/orphan work,
    // a dependent whose owners are all gone, and owners waiting on a dependent that just went away.
    if (!cur && prev?.obj.metadata.uid) {
      const uid = prev.obj.metadata.uid;
      const orphan = (prev.obj.metadata.finalizers ?? []).includes('orphan');
      this.enqueue(() => this.collectDependents(uid, orphan ? 'Orphan' : 'Background'));
      for (const o of prev.obj.metadata.ownerReferences ?? []) this.enqueue(() => this.finishOwner(o.uid));
      const ns = prev.obj.metadata.namespace;
      if (ns && this.api.table(this.api.lookup('', 'v1', 'namespaces')!).get(ns)?.obj.metadata.deletionTimestamp) {
        this.enqueueNamespace(ns);
      }
    }
    if (cur?.obj.metadata.deletionTimestamp) {
      const fins = cur.obj.metadata.finalizers ?? [];
      const uid = cur.obj.metadata.uid!;
      if (fins.includes('foregroundDeletion')) this.enqueue(() => { this.collectDependents(uid, 'Foreground'); this.finishOwner(uid); });
      if (fins.includes('orphan')) this.enqueue(() => { this.collectDependents(uid, 'Orphan'); this.finishOwner(uid); });
    }
    if (cur && cur.obj.metadata.ownerReferences?.length && !prev) {
      const key = cur.key;
      this.enqueue(() => this.collectIfOrphaned(info, key));
    }
  }

  // ---- CRDs ------------------------------------------------------------------------------

  private observeCrd(cur: Stored | undefined, prev: Stored | undefined): void {
    const api = this.api;
    if (!cur) {
      const spec = (prev!.obj as unknown as CrdObject).spec;
      api.unserveCrd(spec.group, spec.names.plural);
      return;
    }
    const crd = cur.obj as unknown as CrdObject & KubeObject;
    const info = api.lookup('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
    const table = api.table(info);
    if (!crd.metadata.deletionTimestamp) {
      const establishedAt = (crd.status as Obj | undefined)?.conditions?.find((c: Obj) => c.type === 'Established');
      const sameSpec = prev && JSON.stringify(prev.obj.spec) === JSON.stringify(crd.spec);
      api.serveCrd(crd);
      if (establishedAt && sameSpec && (crd.metadata.finalizers ?? []).includes(CRD_CLEANUP)) return;
      const now = kubeTime(api.clock.now());
      const cond = (type: string, reason: string, message: string) => ({ type, status: 'True', lastTransitionTime: now, reason, message });
      const next: KubeObject = structuredClone(crd);
      next.metadata.finalizers = [...new Set([...(next.metadata.finalizers ?? []), CRD_CLEANUP])];
      next.status = {
        conditions: [
          cond('NamesAccepted', 'NoConflicts', 'no conflicts found'),
          cond('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
        ],
        acceptedNames: crd.spec.names,
        storedVersions: crd.spec.versions.filter((v) => v.storage).map((v) => v.name),
      };
      api.commit(info, table, next, cur);
      return;
    }
    // Deleting: remove every instance, then the cleanup finalizer.
    const key = cur.key;
    this.enqueue(() => {
      const live = table.get(key);
      if (!live) return;
      const spec = (live.obj as unknown as CrdObject).spec;
      const served = api.resources().find((r) => r.crd && r.group === spec.group && r.resource === spec.names.plural);
      if (served) {
        const t = api.table(served);
        for (const s of [...t.objects.values()]) api.commitDelete(served, t, s);
      }
      const next: KubeObject = structuredClone(live.obj);
      next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== CRD_CLEANUP);
      if (next.metadata.finalizers.length === 0) api.commitDelete(info, table, live);
      else api.commit(info, table, next, live);
    });
  }

  // ---- namespaces --------------------------------------------------------------------------

  private observeNamespace(cur: Stored | undefined): void {
    if (!cur) return;
    const api = this.api;
    const name = cur.obj.metadata.name!;
    if (!cur.obj.metadata.deletionTimestamp) {
      // The service account controller gives every namespace a "default" service account.
      this.enqueue(() => {
        const sa = api.lookup('', 'v1', 'serviceaccounts')!;
        const t = api.table(sa);
        const ns = api.table(api.lookup('', 'v1', 'namespaces')!).get(name);
        if (!ns || ns.obj.metadata.deletionTimestamp || t.get(`${name}/default`)) return;
        api.create(sa, name, { metadata: { name: 'default' } });
      });
      return;
    }
    this.enqueueNamespace(name);
  }

  /** One pass per terminating namespace per queue turn, however many of its objects changed. */
  private enqueueNamespace(name: string): void {
    this.enqueueOnce(`namespace/${name}`, () => this.finishNamespace(name));
  }

  private readonly pendingKeys = new Set<string>();

  /** Queues fn unless work of the same key is queued and not yet run (one pass, however many writes asked). */
  private enqueueOnce(key: string, fn: () => void): void {
    if (this.pendingKeys.has(key)) return;
    this.pendingKeys.add(key);
    this.enqueue(() => {
      this.pendingKeys.delete(key);
      fn();
    });
  }

  /** Deletes everything in a terminating namespace; when it is empty, finalizes and removes it. */
  private finishNamespace(name: string): void {
    const api = this.api;
    const nsInfo = api.lookup('', 'v1', 'namespaces')!;
    const nsTable = api.table(nsInfo);
    const ns = nsTable.get(name);
    if (!ns || !ns.obj.metadata.deletionTimestamp) return;
    let remaining = 0;
    const seen = new Set<string>();
    for (const info of api.resources()) {
      const gr = groupResource(info.group, info.resource);
      if (!info.namespaced || seen.has(gr)) continue;
      seen.add(gr);
      const t = api.table(info);
      for (const s of [...t.objects.values()]) {
        if (s.obj.metadata.namespace !== name) continue;
        remaining++;
        if (!s.obj.metadata.deletionTimestamp) {
          try {
            api.delete(info, name, s.obj.metadata.name!, { gracePeriodSeconds: gr === '/pods' ? undefined : 0 });
          } catch {
            // Already gone.
          }
        }
      }
    }
    if (remaining > 0) return; // Runs again as each of its objects goes away.
    const next: KubeObject = structuredClone(ns.obj);
    (next.spec as Obj) = { ...(next.spec as Obj), finalizers: [] };
    if ((next.metadata.finalizers ?? []).length === 0) api.commitDelete(nsInfo, nsTable, ns);
    else api.commit(nsInfo, nsTable, next, ns);
  }

  // ---- garbage collection ------------------------------------------------------------------

  private collectDependents(ownerUid: string, policy: 'Background' | 'Foreground' | 'Orphan'): void {
    const api = this.api;
    for (const { table, key } of api.store.dependentsOf(ownerUid)) {
      const s = table.get(key);
      if (!s) continue;
      const info = this.infoFor(s.obj);
      if (!info) continue;
      if (policy === 'Orphan') {
        const next: KubeObject = structuredClone(s.obj);
        next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter((o) => o.uid !== ownerUid);
        if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
        api.commit(info, table, next, s);
        continue;
      }
      // A dependent with another live owner stays.
      const others = (s.obj.metadata.ownerReferences ?? []).filter((o) => o.uid !== ownerUid && api.store.byUid.has(o.uid));
      if (others.length > 0 || s.obj.metadata.deletionTimestamp) continue;
      try {
        api.delete(info, s.obj.metadata.namespace, s.obj.metadata.name!, {
          propagationPolicy: policy === 'Foreground' ? 'Foreground' : 'Background',
        });
      } catch {
        // Deleted meanwhile.
      }
    }
  }

  /** Removes the foregroundDeletion / orphan finalizer of an owner once its dependents are handled. */
  private finishOwner(ownerUid: string): void {
    const api = this.api;
    const where = api.store.byUid.get(ownerUid);
    if (!where) return;
    const s = where.table.get(where.key);
    if (!s || !s.obj.metadata.deletionTimestamp) return;
    const fins = s.obj.metadata.finalizers ?? [];
    const dependents = api.store.dependentsOf(ownerUid).filter(({ table, key }) => table.get(key));
    let next = fins;
    if (fins.includes('orphan')) next = next.filter((f) => f !== 'orphan');
    if (fins.includes('foregroundDeletion') && dependents.length === 0) next = next.filter((f) => f !== 'foregroundDeletion');
    if (next.length === fins.length) return;
    const info = this.infoFor(s.obj);
    if (!info) return;
    api.update(info, s.obj.metadata.namespace, s.obj.metadata.name!, { ...s.obj, metadata: { ...s.obj.metadata, finalizers: next } });
  }

  private collectIfOrphaned(info: ResourceInfo, key: string): void {
    const s = this.api.table(info).get(key);
    if (!s || s.obj.metadata.deletionTimestamp) return;
    const owners = s.obj.metadata.ownerReferences ?? [];
    if (owners.length === 0 || owners.some((o) => this.api.store.byUid.has(o.uid))) return;
    // kube-controller-manager's GC cannot tell whether an owner of a kind the API does not serve
    // exists (no REST mapping), so it keeps the dependent and retries: e.g. a DataUpload owned by
    // a Velero Backup where Velero's Backup CRD is not installed.
    if (owners.some((o) => !this.api.lookupKind(o.apiVersion, o.kind))) return;
    try {
      this.api.delete(info, s.obj.metadata.namespace, s.obj.metadata.name!, {});
    } catch {
      // Gone already.
    }
  }

  private infoFor(obj: KubeObject): ResourceInfo | undefined {
    return this.api.lookupKind(String(obj.apiVersion), String(obj.kind));
  }
}
