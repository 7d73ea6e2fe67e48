// Kubernetes API semantics over the object store: create / get / list / update / patch /
// delete / watch with resourceVersion, generation, finalizers, graceful deletion and
// selectors. The HTTP layer (server.ts) and the built-in controllers (controllers.ts) both
// call this; nothing here knows about HTTP.
import type { Clock } from '../clock.ts';
import { kubeTime } from '../clock.ts';
import { randomUuid, type Random } from '../random.ts';
import { coerceCustomResourceMeta, decodeBuiltin } from './decode.ts';
import { ApiError, errors } from './errors.ts';
import { generateNameSuffix, validateObjectMetaNames, validateObjectMetaRefs } from './names.ts';
import { applyJsonPatch, applyMergePatch, checkDepth, cloneJson, DepthError, applyStrategicMergePatch, jsonEqual, PatchError, supportsStrategicMerge } from './patch.ts';
import { BUILTIN_RESOURCES, apiVersionOf, groupResource, resourcesFromCrd, type CrdObject } from './registry.ts';
import { applyDefaults, pruneUnknownFields, validateAgainstSchema } from './schema.ts';
import { fieldValue, parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.ts';
import { ObjectStore, Stored, objectKey, type ResourceTable, type WatchSink } from './storage.ts';
import { strategyFor } from './strategies.ts';
import { isDefaultClass } from './table.ts';
import type { FieldError, KubeObject, ResourceInfo } from './types.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';
export type PatchType = 'json' | 'merge' | 'strategic';

export interface WriteOptions {
  dryRun?: boolean;
  fieldValidation?: FieldValidation;
  /** Warnings for the client (Warning: 299 headers). */
  warnings?: string[];
}

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult {
  items: Stored[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface ApiOptions {
  clock: Clock;
  random: Random;
  /** Watch events kept per resource for replay; older resourceVersions get 410 Gone. */
  historyLimit?: number;
}

type Obj = Record<string, any>;

/**
 * A validating admission check of a create: throws an ApiError to refuse it, or returns what to
 * do once the object is stored (a quota charges its usage then).
 */
export type AdmitCreate = (info: ResourceInfo, obj: KubeObject, dryRun: boolean) => (() => void) | undefined;

const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';

export class KubeApi {
  readonly store: ObjectStore;
  readonly clock: Clock;
  private readonly random: Random;
  /** Served resources by "group/version/resource". */
  private readonly served = new Map<string, ResourceInfo>();
  private readonly writeHooks = new Set<(info: ResourceInfo, cur: Stored | undefined, prev: Stored | undefined) => void>();
  private readonly admission: AdmitCreate[] = [];

  constructor(opts: ApiOptions) {
    this.clock = opts.clock;
    this.random = opts.random;
    this.store = new ObjectStore(opts.historyLimit ?? 10_000);
    for (const r of BUILTIN_RESOURCES) this.served.set(`${r.group}/${r.version}/${r.resource}`, r);
  }

  // ---- what is served -------------------------------------------------------------------

  resources(): ResourceInfo[] {
    return [...this.served.values()];
  }

  lookup(group: string, version: string, resource: string): ResourceInfo | undefined {
    return this.served.get(`${group}/${version}/${resource}`);
  }

  /** The served version of a kind, for callers that know only the kind (events' involvedObject, owner references). */
  lookupKind(apiVersion: string, kind: string): ResourceInfo | undefined {
    for (const r of this.served.values()) if (r.kind === kind && apiVersionOf(r) === apiVersion) return r;
    return undefined;
  }

  /** A validating admission plugin for creates (ResourceQuota); it runs in the order added. */
  addAdmission(fn: AdmitCreate): void {
    this.admission.push(fn);
  }

  /** Called after every committed write (controllers react to it). */
  onWrite(fn: (info: ResourceInfo, cur: Stored | undefined, prev: Stored | undefined) => void): void {
    this.writeHooks.add(fn);
  }

  serveCrd(crd: CrdObject): void {
    this.unserveCrd(crd.spec.group, crd.spec.names.plural);
    for (const r of resourcesFromCrd(crd)) this.served.set(`${r.group}/${r.version}/${r.resource}`, r);
  }

  unserveCrd(group: string, plural: string): void {
    for (const [k, r] of this.served) if (r.crd && r.group === group && r.resource === plural) this.served.delete(k);
  }

  table(info: ResourceInfo): ResourceTable {
    return this.store.table(groupResource(info.group, info.resource));
  }

  // ---- reads ----------------------------------------------------------------------------

  get(info: ResourceInfo, namespace: string | undefined, name: string): Stored {
    const s = this.table(info).get(objectKey(info.namespaced ? namespace : undefined, name));
    if (!s) throw errors.notFound(info.group, info.resource, name);
    return this.served_(info, s);
  }

  /** The object as served at info's version (CRDs with several versions convert with strategy None). */
  private served_(info: ResourceInfo, s: Stored): Stored {
    const apiVersion = apiVersionOf(info);
    if (s.obj.apiVersion === apiVersion) return s;
    return new Stored({ ...s.obj, apiVersion }, s.rv);
  }

  /** A matcher for a watch or list: label and field selectors, validated against what the resource supports. */
  matcher(info: ResourceInfo, labelSelector?: string, fieldSelector?: string): (obj: KubeObject) => boolean {
    let labels: (l: Record<string, string> | undefined) => boolean = () => true;
    let fields: { field: string; op: '=' | '!='; value: string }[] = [];
    try {
      if (labelSelector) labels = parseLabelSelector(labelSelector);
      if (fieldSelector) fields = parseFieldSelector(fieldSelector);
    } catch (e) {
      if (e instanceof SelectorError) throw errors.badRequest(e.message);
      throw e;
    }
    const allowed = new Set(['metadata.name', 'metadata.namespace', ...(info.fieldSelectors ?? [])]);
    for (const f of fields) {
      if (!allowed.has(f.field)) {
        throw errors.badRequest(`field label not supported: ${f.field}`);
      }
    }
    if (!labelSelector && fields.length === 0) return () => true;
    return (obj) =>
      labels(obj.metadata.labels) &&
      fields.every((f) => (fieldValue(obj, f.field) === f.value) === (f.op === '='));
  }

  list(info: ResourceInfo, namespace: string | undefined, opts: ListOptions = {}): ListResult {
    const table = this.table(info);
    const match = this.matcher(info, opts.labelSelector, opts.fieldSelector);
    let snapshotRv = this.store.currentRv;
    let startAfter = '';
    if (opts.continue) {
      const token = decodeContinue(opts.continue);
      snapshotRv = token.rv;
      startAfter = token.start;
    } else if (opts.resourceVersion && opts.resourceVersionMatch === 'Exact') {
      snapshotRv = parseRv(opts.resourceVersion);
    }
    let objects: Map<string, Stored>;
    try {
      objects = snapshotRv === this.store.currentRv ? table.objects : table.snapshotAt(snapshotRv);
    } catch (e) {
      if (opts.continue && e instanceof ApiError && e.code === 410) {
        throw errors.gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
      }
      throw e;
    }
    const keys = objects === table.objects ? table.keys() : [...objects.keys()].sort();
    const prefix = info.namespaced && namespace ? `${namespace}/` : '';
    // rv=0 means "any version, from the cache": the real server ignores limit then.
    const limit = opts.resourceVersion === '0' && !opts.continue ? 0 : opts.limit ?? 0;
    const items: Stored[] = [];
    let i = startAfter ? upperBound(keys, startAfter) : prefix ? lowerBound(keys, prefix) : 0;
    for (; i < keys.length; i++) {
      const key = keys[i];
      if (prefix && !key.startsWith(prefix)) break;
      const s = objects.get(key)!;
      if (!match(s.obj)) continue;
      if (limit > 0 && items.length === limit) break;
      items.push(this.served_(info, s));
    }
    const result: ListResult = { items, resourceVersion: String(snapshotRv) };
    if (limit > 0 && i < keys.length && (!prefix || keys[i].startsWith(prefix))) {
      // There may be more matching items after the last one returned.
      const last = items[items.length - 1]?.key ?? startAfter;
      let more = false;
      for (let j = i; j < keys.length && (!prefix || keys[j].startsWith(prefix)); j++) {
        if (match(objects.get(keys[j])!.obj)) {
          more = true;
          break;
        }
      }
      if (more) {
        result.continue = encodeContinue(snapshotRv, last);
        if (!opts.labelSelector && !opts.fieldSelector) {
          let remaining = 0;
          for (let j = i; j < keys.length && (!prefix || keys[j].startsWith(prefix)); j++) remaining++;
          result.remainingItemCount = remaining;
        }
      }
    }
    return result;
  }

  watch(
    info: ResourceInfo,
    namespace: string | undefined,
    opts: { labelSelector?: string; fieldSelector?: string; resourceVersion?: string; sendInitialEvents?: boolean },
    sink: Omit<WatchSink, 'matches' | 'namespace'>,
  ): () => void {
    const table = this.table(info);
    const match = this.matcher(info, opts.labelSelector, opts.fieldSelector);
    const ns = info.namespaced ? namespace : undefined;
    const full: WatchSink = {
      namespace: ns,
      matches: match,
      send: (type, s) => sink.send(type, this.served_(info, s)),
      expire: () => sink.expire(),
    };
    const rv = opts.resourceVersion;
    if (!rv || rv === '0' || opts.sendInitialEvents) {
      // Start with the current state as synthetic ADDED events, then stream changes.
      const prefix = ns ? `${ns}/` : '';
      for (const key of table.keys()) {
        if (prefix && !key.startsWith(prefix)) continue;
        const s = table.get(key)!;
        if (match(s.obj)) full.send('ADDED', s);
      }
      return table.subscribe(full, this.store.currentRv);
    }
    return table.subscribe(full, parseRv(rv));
  }

  // ---- writes ---------------------------------------------------------------------------

  create(info: ResourceInfo, namespace: string | undefined, body: unknown, opts: WriteOptions = {}): Stored {
    const obj = this.checkBody(info, namespace, body, undefined, opts);
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) {
      // As the real server: the prefix is cut to 58 characters so that the name fits 63.
      meta.name = meta.generateName.slice(0, 58) + generateNameSuffix(() => this.random.next());
    }
    this.validateMeta(info, obj);
    if (info.namespaced) this.checkNamespaceOpen(meta.namespace!, info);
    const table = this.table(info);
    const now = this.clock.now();
    meta.uid = randomUuid(this.random);
    meta.creationTimestamp = kubeTime(now);
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.resourceVersion;
    const strategy = strategyFor(groupResource(info.group, info.resource));
    if (info.crd || strategy.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    if (info.crd) this.prepareCustomResource(info, obj, undefined, opts);
    else strategy.prepareForCreate?.(obj);
    if (!info.crd && groupResource(info.group, info.resource) === '/persistentvolumeclaims') this.defaultStorageClass(obj);
    this.validateKind(info, obj, undefined);
    // Validating admission (ResourceQuota) runs after validation and before storage, as in kube-apiserver.
    const afterCommit: (() => void)[] = [];
    for (const admit of this.admission) {
      const then = admit(info, obj, opts.dryRun === true);
      if (then) afterCommit.push(then);
    }
    // As the real server: an invalid object is 422 even when its name is taken.
    if (table.get(objectKey(meta.namespace, meta.name!))) throw errors.alreadyExists(info.group, info.resource, meta.name!);
    if (opts.dryRun) return new Stored(obj, this.store.currentRv);
    const stored = this.commit(info, table, obj, undefined);
    for (const then of afterCommit) then();
    return stored;
  }

  update(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions & { subresource?: string } = {},
  ): Stored {
    const table = this.table(info);
    const key = objectKey(info.namespaced ? namespace : undefined, name);
    const current = table.get(key);
    if (!current) throw errors.notFound(info.group, info.resource, name);
    const obj = this.checkBody(info, namespace, body, name, opts);
    const sentRv = obj.metadata.resourceVersion;
    if (sentRv && sentRv !== current.obj.metadata.resourceVersion) {
      throw errors.staleUpdate(info.group, info.resource, name);
    }
    return this.replace(info, table, current, obj, opts);
  }

  /** Applies an already-checked new version over current: immutable metadata, status rules, generation, finalizers. */
  private replace(
    info: ResourceInfo,
    table: ResourceTable,
    current: Stored,
    obj: KubeObject,
    opts: WriteOptions & { subresource?: string },
  ): Stored {
    const old = current.obj;
    const gr = groupResource(info.group, info.resource);
    const sub = opts.subresource;
    let next: KubeObject;
    if (sub === 'status') {
      // Status writes change status only.
      next = { ...cloneJson(old), status: obj.status };
    } else if (sub === 'finalize' && gr === '/namespaces') {
      next = { ...cloneJson(old), spec: { ...(old.spec as Obj), finalizers: (obj.spec as Obj)?.finalizers ?? [] } };
    } else {
      next = obj;
      const meta = next.metadata;
      meta.uid = old.metadata.uid;
      meta.creationTimestamp = old.metadata.creationTimestamp;
      meta.deletionTimestamp = old.metadata.deletionTimestamp;
      meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
      if (meta.deletionTimestamp === undefined) delete meta.deletionTimestamp;
      if (meta.deletionGracePeriodSeconds === undefined) delete meta.deletionGracePeriodSeconds;
      meta.generation = old.metadata.generation;
      if (meta.generation === undefined) delete meta.generation;
      if (old.metadata.deletionTimestamp) {
        const added = (meta.finalizers ?? []).filter((f) => !(old.metadata.finalizers ?? []).includes(f));
        if (added.length > 0) {
          throw errors.invalid(info.group, info.kind, meta.name!, [
            { reason: 'FieldValueForbidden', field: 'metadata.finalizers', message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` },
          ]);
        }
      }
      this.validateMeta(info, next);
      if (info.crd) this.prepareCustomResource(info, next, old, opts);
      else strategyFor(gr).prepareForUpdate?.(next, old);
      if (old.metadata.generation !== undefined && specChanged(info, old, next)) {
        next.metadata.generation = (old.metadata.generation ?? 0) + 1;
      }
    }
    if (sub === 'status' && info.crd) this.prepareCustomResource(info, next, old, opts);
    this.validateKind(info, next, old);
    if (opts.dryRun) return new Stored(next, current.rv);
    // A no-op write does not bump resourceVersion, as in the real server.
    if (jsonEqual({ ...next, metadata: { ...next.metadata, resourceVersion: undefined } }, { ...old, metadata: { ...old.metadata, resourceVersion: undefined } })) {
      return current;
    }
    if (next.metadata.deletionTimestamp && isEmpty(next.metadata.finalizers) && deletable(gr, next)) {
      // The last finalizer is gone: the object goes away.
      this.commitDelete(info, table, new Stored(next, current.rv));
      return new Stored(next, this.store.currentRv);
    }
    return this.commit(info, table, next, current);
  }

  patch(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patchBody: unknown,
    opts: WriteOptions & { subresource?: string } = {},
  ): Stored {
    const table = this.table(info);
    const current = table.get(objectKey(info.namespaced ? namespace : undefined, name));
    if (!current) throw errors.notFound(info.group, info.resource, name);
    let patched: unknown;
    try {
      if (type === 'json') patched = applyJsonPatch(current.obj, patchBody);
      else if (type === 'merge') patched = applyMergePatch(current.obj, patchBody);
      else {
        if (info.crd || !supportsStrategicMerge(info.kind)) {
          throw new ApiError(415, 'UnsupportedMediaType', `strategic merge patch is not supported for ${info.group ? `${info.kind}.${info.group}` : info.kind}; use --type merge or --type json`);
        }
        patched = applyStrategicMergePatch(current.obj, patchBody, info.kind);
      }
    } catch (e) {
      if (e instanceof PatchError) {
        const reason = { 400: 'BadRequest', 409: 'Conflict', 413: 'RequestEntityTooLarge', 422: 'Invalid' }[e.code];
        throw new ApiError(e.code, reason, e.message);
      }
      throw e;
    }
    if (!isObject(patched)) throw errors.badRequest('the patch did not produce an object');
    const obj = this.checkBody(info, namespace, patched, name, opts);
    const sentRv = obj.metadata.resourceVersion;
    if (sentRv && sentRv !== current.obj.metadata.resourceVersion) throw errors.staleUpdate(info.group, info.resource, name);
    return this.replace(info, table, current, obj, opts);
  }

  delete(info: ResourceInfo, namespace: string | undefined, name: string, opts: DeleteOptions = {}): { stored: Stored; gone: boolean } {
    const table = this.table(info);
    const current = table.get(objectKey(info.namespaced ? namespace : undefined, name));
    if (!current) throw errors.notFound(info.group, info.resource, name);
    const old = current.obj;
    const pre = opts.preconditions;
    // Preconditions are pointers in Go: a uid or resourceVersion that is set, even to "", must match.
    if (pre?.uid !== undefined && pre.uid !== old.metadata.uid) {
      throw errors.conflict(info.group, info.resource, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw errors.conflict(info.group, info.resource, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`);
    }
    if (opts.dryRun) return { stored: current, gone: false };
    const gr = groupResource(info.group, info.resource);
    const next: KubeObject = cloneJson(old);
    const meta = next.metadata;
    const now = this.clock.now();
    const finalizers = new Set(meta.finalizers ?? []);
    const policy = opts.propagationPolicy ?? 'Background';
    if (policy === 'Foreground') finalizers.add(FOREGROUND);
    if (policy === 'Orphan') finalizers.add(ORPHAN);
    // Graceful deletion: a scheduled, running pod gets a deletionTimestamp in the future; its kubelet finishes it.
    const grace = gr === '/pods' ? podGracePeriod(old, opts.gracePeriodSeconds) : 0;
    if (gr === '/namespaces') {
      if (!meta.deletionTimestamp) {
        meta.deletionTimestamp = kubeTime(now);
        meta.deletionGracePeriodSeconds = 0;
        (next.status as Obj) = { ...(next.status as Obj), phase: 'Terminating' };
        return { stored: this.commit(info, table, next, current), gone: false };
      }
      return { stored: current, gone: false };
    }
    if (meta.deletionTimestamp) {
      // Already being deleted: only a shorter grace period changes anything.
      const remaining = meta.deletionGracePeriodSeconds ?? 0;
      if (grace < remaining) {
        meta.deletionGracePeriodSeconds = grace;
        meta.deletionTimestamp = kubeTime(now + grace * 1000);
      }
      if (grace === 0 && isEmpty([...finalizers]) ) {
        return { stored: this.commitDelete(info, table, current), gone: true };
      }
      meta.finalizers = [...finalizers];
      if (isEmpty(meta.finalizers)) delete meta.finalizers;
      const stored = JSON.stringify(next) === JSON.stringify(old) ? current : this.commit(info, table, next, current);
      return { stored, gone: false };
    }
    if (grace > 0 || finalizers.size > 0) {
      meta.deletionTimestamp = kubeTime(now + grace * 1000);
      meta.deletionGracePeriodSeconds = grace;
      if (finalizers.size > 0) meta.finalizers = [...finalizers];
      return { stored: this.commit(info, table, next, current), gone: false };
    }
    return { stored: this.commitDelete(info, table, current), gone: true };
  }

  /**
   * pods/NAME/binding: assigns a pending pod to a node, as the scheduler's Binding does. The
   * HTTP handler and the in-process simulated scheduler both call this. uid, when given, is a
   * precondition (the scheduler binds the pod it decided on, not a namesake created since).
   */
  bindPod(namespace: string, name: string, nodeName: string, uid?: string): Stored {
    const info = this.lookup('', 'v1', 'pods')!;
    const table = this.table(info);
    const pod = this.get(info, namespace, name);
    const spec = (pod.obj.spec ?? {}) as Obj;
    if (uid && uid !== pod.obj.metadata.uid) {
      throw errors.conflict('', 'pods', name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.obj.metadata.uid}`);
    }
    if (pod.obj.metadata.deletionTimestamp) throw errors.conflict('', 'pods', name, 'pod is being deleted, cannot be assigned to a host');
    if (spec.nodeName) throw errors.conflict('', 'pods', name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
    const next: KubeObject = cloneJson(pod.obj);
    (next.spec as Obj).nodeName = nodeName;
    const status = ((next.status as Obj) ??= {});
    const conditions: Obj[] = (status.conditions ?? []).filter((c: { type: string }) => c.type !== 'PodScheduled');
    conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: kubeTime(this.clock.now()) });
    status.conditions = conditions;
    return this.commit(info, table, next, table.get(pod.key));
  }

  /** Server-internal write that bypasses admission: controllers set status and remove finalizers with it. */
  commit(info: ResourceInfo, table: ResourceTable, obj: KubeObject, prev: Stored | undefined): Stored {
    const stored = this.store.put(table, obj);
    for (const fn of this.writeHooks) fn(info, stored, prev);
    return stored;
  }

  commitDelete(info: ResourceInfo, table: ResourceTable, current: Stored): Stored {
    const live = table.get(current.key)!;
    const gone = this.store.remove(table, live);
    for (const fn of this.writeHooks) fn(info, undefined, gone);
    return gone;
  }

  // ---- checks -----------------------------------------------------------------------------

  /**
   * Parses and checks the request body's identity (kind, apiVersion, name and namespace against
   * the URL); built-ins are then decoded as their Go types (wrong types 400, unknown fields dropped).
   */
  private checkBody(info: ResourceInfo, namespace: string | undefined, body: unknown, urlName: string | undefined, opts: WriteOptions): KubeObject {
    if (!isObject(body)) throw errors.badRequest('the request body must be a JSON object');
    try {
      checkDepth(body);
    } catch (e) {
      if (e instanceof DepthError) throw errors.badRequest(e.message);
      throw e;
    }
    const obj = cloneJson(body) as KubeObject;
    const expected = apiVersionOf(info);
    if (obj.kind !== undefined && obj.kind !== info.kind) {
      throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${expected}) or the kind (${obj.kind}) does not match ${info.kind}`);
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== expected) {
      // Multi-version CRDs: another served version of the same resource is accepted (conversion
      // None); a version the CRD does not serve is refused, as the CRD handler's decoder does.
      const [g, v] = String(obj.apiVersion).includes('/') ? String(obj.apiVersion).split('/') : ['', String(obj.apiVersion)];
      if (!(info.crd && g === info.group && this.lookup(g, v, info.resource))) {
        throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${expected})`);
      }
    }
    obj.apiVersion = expected;
    obj.kind = info.kind;
    if (!isObject(obj.metadata)) obj.metadata = {};
    if (info.crd) this.reportUnknownFields(coerceCustomResourceMeta(obj), opts);
    const meta = obj.metadata;
    if (urlName !== undefined) {
      if (meta.name === undefined || meta.name === '') meta.name = urlName;
      else if (meta.name !== urlName) {
        throw errors.badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${urlName})`);
      }
    }
    if (info.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace ?? meta.namespace;
      if (!meta.namespace) throw errors.badRequest('the namespace of the object must be set');
    } else {
      delete meta.namespace;
    }
    if (!info.crd) this.reportUnknownFields(decodeBuiltin(info, obj), opts);
    return obj;
  }

  /** fieldValidation for the fields decoding or pruning dropped: Strict rejects them, Warn (the default) warns, Ignore is silent. */
  private reportUnknownFields(paths: string[], opts: WriteOptions): void {
    if (paths.length === 0) return;
    const mode = opts.fieldValidation ?? 'Warn';
    if (mode === 'Strict') throw errors.badRequest(`strict decoding error: ${paths.map((p) => `unknown field "${p}"`).join(', ')}`);
    if (mode === 'Warn') for (const p of paths) opts.warnings?.push(`unknown field "${p}"`);
  }

  private validateMeta(info: ResourceInfo, obj: KubeObject): void {
    const meta = obj.metadata;
    if (!meta.name) {
      throw errors.invalid(info.group, info.kind, '', [
        { reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' },
      ]);
    }
    const errs = validateObjectMetaNames(meta, {
      namespaced: info.namespaced,
      nameRule: strategyFor(groupResource(info.group, info.resource)).nameRule ?? 'subdomain',
    });
    errs.push(...validateObjectMetaRefs(meta));
    if (errs.length) throw errors.invalid(info.group, info.kind, meta.name, errs);
  }

  private validateKind(info: ResourceInfo, obj: KubeObject, old: KubeObject | undefined): void {
    let errs: FieldError[] = [];
    if (info.crd) {
      if (info.schema) errs = validateAgainstSchema(info.schema, obj);
    } else {
      errs = strategyFor(groupResource(info.group, info.resource)).validate?.(obj, old) ?? [];
      if (groupResource(info.group, info.resource) === 'apiextensions.k8s.io/customresourcedefinitions') errs = validateCrd(obj);
    }
    if (errs.length) throw errors.invalid(info.group, info.kind, obj.metadata.name ?? '', errs);
  }

  /** Custom resources: status subresource rules, pruning of unknown fields, defaults. */
  private prepareCustomResource(info: ResourceInfo, obj: KubeObject, old: KubeObject | undefined, opts: WriteOptions): void {
    if (info.subresources.includes('status') && !(opts as { subresource?: string }).subresource) {
      if (old) obj.status = old.status;
      else delete obj.status;
      if (obj.status === undefined) delete obj.status;
    }
    if (!info.schema) return;
    this.reportUnknownFields(pruneUnknownFields(info.schema, obj), opts);
    applyDefaults(info.schema, obj);
  }

  /**
   * The DefaultStorageClass admission plugin (plugin/pkg/admission/storage/storageclass/setdefault):
   * a claim created without spec.storageClassName (nor the beta annotation) gets the default
   * StorageClass, the newest when several are marked default (ties: the name first in order).
   * An explicit "" stays: it asks for no class.
   */
  private defaultStorageClass(pvc: KubeObject): void {
    const spec = (pvc.spec ??= {}) as Obj;
    if (spec.storageClassName !== undefined && spec.storageClassName !== null) return;
    if (pvc.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] !== undefined) return;
    let best: KubeObject | undefined;
    for (const s of this.store.table('storage.k8s.io/storageclasses').objects.values()) {
      if (!isDefaultClass(s.obj)) continue;
      const [t, bt] = [s.obj.metadata.creationTimestamp ?? '', best?.metadata.creationTimestamp ?? ''];
      if (!best || t > bt || (t === bt && s.obj.metadata.name! < best.metadata.name!)) best = s.obj;
    }
    if (best) spec.storageClassName = best.metadata.name;
  }

  private checkNamespaceOpen(namespace: string, info: ResourceInfo): void {
    const ns = this.store.table('/namespaces').get(namespace);
    if (!ns) throw errors.notFound('', 'namespaces', namespace);
    if (ns.obj.metadata.deletionTimestamp) {
      throw errors.forbidden(info.group, info.resource, '', `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }
}

function specChanged(info: ResourceInfo, old: KubeObject, next: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { metadata: _m, status, ...rest } = o;
    // Custom resources without a status subresource count status changes as spec changes.
    return info.crd && !info.subresources.includes('status') ? { ...rest, status } : rest;
  };
  return !jsonEqual(strip(old), strip(next));
}

function podGracePeriod(pod: KubeObject, requested: number | undefined): number {
  const spec = (pod.spec ?? {}) as Obj;
  const phase = (pod.status as Obj | undefined)?.phase;
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  const grace = requested ?? spec.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, grace);
}

/** Whether an object whose finalizers are gone can be removed now (pods wait for their kubelet's grace-0 delete). */
function deletable(gr: string, obj: KubeObject): boolean {
  if (gr === '/namespaces') return isEmpty((obj.spec as Obj | undefined)?.finalizers);
  if (gr === '/pods') return (obj.metadata.deletionGracePeriodSeconds ?? 0) === 0;
  return true;
}

function validateCrd(obj: KubeObject): FieldError[] {
  const crd = obj as unknown as CrdObject;
  const errs: FieldError[] = [];
  const spec = crd.spec as CrdObject['spec'] | undefined;
  if (!spec) return [{ reason: 'FieldValueRequired', field: 'spec', message: 'Required value' }];
  if (!spec.group) errs.push({ reason: 'FieldValueRequired', field: 'spec.group', message: 'Required value' });
  if (!spec.names?.plural) errs.push({ reason: 'FieldValueRequired', field: 'spec.names.plural', message: 'Required value' });
  if (!spec.names?.kind) errs.push({ reason: 'FieldValueRequired', field: 'spec.names.kind', message: 'Required value' });
  if (!['Namespaced', 'Cluster'].includes(spec.scope)) {
    errs.push({ reason: 'FieldValueNotSupported', field: 'spec.scope', message: `Unsupported value: ${JSON.stringify(spec.scope)}: supported values: "Cluster", "Namespaced"` });
  }
  if (spec.group && spec.names?.plural && crd.metadata.name !== `${spec.names.plural}.${spec.group}`) {
    errs.push({ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: ${JSON.stringify(crd.metadata.name)}: must be spec.names.plural+"."+spec.group` });
  }
  const versions = spec.versions ?? [];
  if (versions.length === 0) errs.push({ reason: 'FieldValueInvalid', field: 'spec.versions', message: 'Invalid value: null: must have exactly one version marked as storage version' });
  else if (versions.filter((v) => v.storage).length !== 1) {
    errs.push({ reason: 'FieldValueInvalid', field: 'spec.versions', message: `Invalid value: ${JSON.stringify(versions.map((v) => ({ name: v.name, storage: v.storage })))}: must have exactly one version marked as storage version` });
  }
  versions.forEach((v, i) => {
    if (!v.schema?.openAPIV3Schema) {
      errs.push({ reason: 'FieldValueRequired', field: `spec.versions[${i}].schema.openAPIV3Schema`, message: 'Required value: schemas are required' });
    }
  });
  return errs;
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isEmpty(a: unknown[] | undefined): boolean {
  return !a || a.length === 0;
}

export function parseRv(rv: string): number {
  if (!/^\d+$/.test(rv)) throw errors.badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return Number(rv);
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (t.v === 'meta.k8s.io/v1' && Number.isInteger(t.rv) && typeof t.start === 'string') return t;
  } catch {
    // fall through
  }
  throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

function lowerBound(keys: string[], k: string): number {
  let lo = 0, hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid] < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(keys: string[], k: string): number {
  let lo = 0, hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid] <= k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
