// The controller's one door to the Kubernetes API: every request goes through
// @kubernetes/client-node, here, so that it is counted (API cost by verb), paced (a
// deterministic order of requests on the embedded cluster) and accounted as work (a virtual
// clock must not advance while a request is in flight).
import http from 'node:http';
import https from 'node:https';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  ListWatch,
  PatchStrategy,
  ServerConfiguration,
  Watch,
  createConfiguration,
  setHeaderOptions,
  type Configuration,
  type Informer,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import { nodeHttpLibrary } from './http-library.ts';
import { HOLDS_CLOCK_HEADER, NO_TRACKING, type Clock, type WorkTracker } from '../clock.ts';
import type { BackgroundDemand, ClientThrottle } from './rate-limit.ts';

export const API_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] as const;
export type ApiVerb = (typeof API_VERBS)[number];

/** Requests sent, by verb; plus, separately, requests Velero would send that the runtime only models (see `model`). */
export class ApiCost {
  readonly sent: Record<ApiVerb, number> = zero();
  /** Requests not replayed on the embedded cluster but counted as Velero would send them (e.g. re-checks while waiting for a slot). */
  readonly modeled: Record<ApiVerb, number> = zero();
  /** Requests answered 409 Conflict (lost races, stale updates). */
  conflicts = 0;
  /** What was asked of the API, as "verb group/resource" (core: "/pods"): the RBAC the client needs. */
  readonly access = new Set<string>();
  /** Milliseconds requests (sent and modeled) waited for a token of their client's bucket, summed; and how many waited. */
  throttledMs = 0;
  throttled = 0;

  total(): Record<ApiVerb, number> {
    const t = zero();
    for (const v of API_VERBS) t[v] = this.sent[v] + this.modeled[v];
    return t;
  }
}

function zero(): Record<ApiVerb, number> {
  return { get: 0, list: 0, watch: 0, create: 0, update: 0, patch: 0, delete: 0 };
}

/**
 * Decides when a request may leave. On the embedded cluster the harness gives one that releases
 * requests one at a time, at moments when the whole cluster is quiet, in a seeded order, so
 * races between node-agents have the same winners on every run. Elsewhere: no pacing.
 */
export interface RequestPacer {
  /** Resolves when the request of `who`, described by `what` (verb and object), may be sent. */
  turn(who: string, what?: string): Promise<void>;
}

export interface KubeIoOptions {
  /** Names this client in pacing and logs, e.g. "node-agent/worker-1". */
  who: string;
  clock: Clock;
  work?: WorkTracker;
  pacer?: RequestPacer;
  cost?: ApiCost;
  /**
   * The binary's client-side rate limits (client-go's token buckets, controller/kube/rate-limit.ts),
   * shared by every KubeIo of that binary. None: requests are not limited (the bench's own clients).
   */
  throttle?: ClientThrottle;
}

/** What a request is addressed to, for its client's bucket. */
interface Target {
  apiVersion: string;
  resource: string;
  /** An informer's LIST (its own list-watch client). */
  informer?: boolean;
}

export type Obj = KubernetesObject & Record<string, any>;

export interface ObjectRef {
  apiVersion: string;
  /** Plural resource name, e.g. "pods", "datauploads". */
  resource: string;
  namespace?: string;
  name: string;
}

export interface WatchedCache<T extends KubernetesObject> extends ObjectCache<T> {
  on: Informer<T>['on'];
  /** Lists (filling the cache, handlers called with 'add') and starts watching; resolves once the list is in. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Kubernetes status code of a failed request, if it was one. */
export function statusOf(e: unknown): number | undefined {
  const x = e as { code?: unknown; statusCode?: unknown };
  if (typeof x?.code === 'number') return x.code;
  if (typeof x?.statusCode === 'number') return x.statusCode;
  return undefined;
}
export const isConflict = (e: unknown) => statusOf(e) === 409;
export const isNotFound = (e: unknown) => statusOf(e) === 404;
export const isAlreadyExists = (e: unknown) => statusOf(e) === 409 && /already exists/i.test(String((e as any)?.body ?? (e as Error)?.message ?? ''));

/** An error as client-go prints it: a failed request's Status message (e.g. `pods "x" not found`), else the Error's message. */
/**
 * A create refused by kube-apiserver's ResourceQuota admission: 403 Forbidden with "exceeded
 * quota: ...", "failed quota: ..." or "status unknown for quota: ..." (plugin/pkg/admission/resourcequota).
 */
export function isQuotaRefusal(e: unknown): boolean {
  return statusOf(e) === 403 && /(exceeded quota|failed quota|status unknown for quota): /.test(errorMessage(e));
}

export function errorMessage(e: unknown): string {
  let body = (e as { body?: unknown })?.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // Not a Status: fall back to the message.
    }
  }
  const status = body as { message?: unknown } | undefined;
  if (statusOf(e) !== undefined && typeof status?.message === 'string' && status.message) return status.message;
  return e instanceof Error ? e.message : String(e);
}

/** client-node returns class instances with Date fields for core kinds; the controller works on plain JSON as the API serves it. */
export function plain<T>(o: T): T {
  return o === undefined || o === null ? o : (JSON.parse(JSON.stringify(o)) as T);
}

/**
 * What KubeConfig.makeApiClient builds, except for connections: client-node 1.4 gives every
 * request a new Agent, so none is ever reused and each pays a TCP (and TLS) handshake. Here the
 * first request's agent is rebuilt with keep-alive and then shared by every request of the
 * client. An agent that can make its own keep-alive twin (`withKeepAlive()`, as the embedded
 * cluster's in-process agent does) makes it. Proxy agents are left as client-node makes them.
 * A client that holds the virtual clock while a request is in flight says so
 * (HOLDS_CLOCK_HEADER).
 */
function keepAliveConfiguration(kc: KubeConfig, holdsClock: boolean): Configuration {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig: no current cluster (check current-context)');
  let shared: http.Agent | undefined;
  return createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    httpApi: nodeHttpLibrary,
    authMethods: {
      default: {
        getName: () => 'kubeconfig',
        async applySecurityAuthentication(ctx) {
          await kc.applySecurityAuthentication(ctx);
          if (holdsClock) ctx.setHeaderParam(HOLDS_CLOCK_HEADER, '1');
          const made = ctx.getAgent() as { constructor: unknown; options?: http.AgentOptions; withKeepAlive?: () => http.Agent } | undefined;
          const Agent = made?.constructor;
          if (!shared && (Agent === http.Agent || Agent === https.Agent)) {
            shared = new (Agent as typeof http.Agent)({ ...made!.options, keepAlive: true });
          } else if (!shared && typeof made?.withKeepAlive === 'function') {
            shared = made.withKeepAlive();
          }
          if (shared) ctx.setAgent(shared);
        },
      },
    },
  });
}

function whatOf(ref: ObjectRef): string {
  return `${ref.resource}/${ref.namespace ?? ''}/${ref.name}`;
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

export class KubeIo {
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  readonly cost: ApiCost;
  private readonly work: WorkTracker;
  private closed = false;

  constructor(
    readonly kc: KubeConfig,
    readonly opts: KubeIoOptions,
  ) {
    const config = keepAliveConfiguration(kc, opts.work !== undefined && opts.work !== NO_TRACKING);
    this.core = new CoreV1Api(config);
    this.custom = new CustomObjectsApi(config);
    this.cost = opts.cost ?? new ApiCost();
    this.work = opts.work ?? NO_TRACKING;
  }

  /**
   * Sends one request: waits for its turn, counts it, and holds the clock while it is in flight.
   * `what` names the request (resource, namespace, name) so a pacer can order waiting requests
   * by what they are rather than by when they arrived.
   */
  async call<T>(verb: ApiVerb, target: Target, send: () => Promise<T>, what = ''): Promise<T> {
    await this.turn(verb, what);
    await this.throttled(verb, target, what);
    this.work.begin();
    this.cost.sent[verb]++;
    try {
      return await send();
    } catch (e) {
      if (isConflict(e)) this.cost.conflicts++;
      throw e;
    } finally {
      this.work.end();
    }
  }

  /**
   * A GET or LIST that Velero sends, answered here from a watch cache that holds the same
   * objects: it waits for its turn like the request would, so it answers from the same state,
   * and it is counted as modeled. Used on the embedded cluster to spare thousands of identical
   * reads (PeekExposed's GET of the data-mover pod on every reconcile).
   */
  async answerFromCache<T>(verb: 'get' | 'list', ref: { apiVersion: string; resource: string }, read: () => T, what = ''): Promise<T> {
    this.noteAccess(verb, ref.apiVersion, ref.resource);
    await this.turn(verb, what);
    await this.throttled(verb, ref, what);
    this.cost.modeled[verb]++;
    return read();
  }

  /**
   * `n` requests Velero sends whose answers are fixed here (section 4.7 of docs/design.md): not
   * sent, counted as modeled, and, as sent ones, each takes a token of its client's bucket, so
   * they cost the time client-go's limiter would make them wait.
   */
  async model(verb: ApiVerb, ref: { apiVersion: string; resource: string }, n = 1): Promise<void> {
    if (n <= 0) return;
    // Not noted in `access`: never sent, on any cluster, so no permission is needed for it.
    this.cost.modeled[verb] += n;
    const key = this.bucketOf(ref);
    if (key === undefined) return;
    // No turn: nothing is sent, and a reservation that waits for nothing does not depend on its order.
    const waitMs = this.opts.throttle!.reserve(key, n, this.cost);
    if (waitMs > 0) await this.opts.clock.sleep(waitMs);
    if (this.closed) throw new Error(`${this.opts.who}: stopped`);
  }

  /**
   * `n` modeled requests at `at` (at or before now) on behalf of background demand (the
   * re-checks of parked DataUploads, which the ledger settles in time order): counted, their
   * tokens taken at `at`; returns how long after `at` the last could have gone (ms).
   */
  modelAt(verb: ApiVerb, ref: { apiVersion: string; resource: string }, at: number, n: number): number {
    this.cost.modeled[verb] += n;
    const key = this.bucketOf(ref);
    return key === undefined ? 0 : this.opts.throttle!.take(key, at, n, this.cost);
  }

  /** Registers demand that spends tokens of the bucket of `ref`'s requests on its own schedule, settled before each reservation there. */
  addDemand(ref: { apiVersion: string; resource: string }, demand: BackgroundDemand): void {
    const key = this.bucketOf(ref);
    if (key !== undefined) this.opts.throttle!.addDemand(key, demand);
  }

  /** The bucket key of a request of this client (undefined: not limited). */
  bucketOf(target: Target): string | undefined {
    const t = this.opts.throttle;
    return t ? t.limits.bucketOf(splitApiVersion(target.apiVersion).group, target.resource, target.informer ?? false) : undefined;
  }

  /**
   * Takes `n` tokens of the request's bucket; when they are not there yet, waits for them on the
   * clock (client-go's tryThrottle), then for a turn again, so the request still leaves in the
   * pacer's order.
   */
  private async throttled(verb: ApiVerb, target: Target, what: string, n = 1): Promise<void> {
    const key = this.bucketOf(target);
    if (key === undefined) return;
    const waitMs = this.opts.throttle!.reserve(key, n, this.cost);
    if (waitMs <= 0) return;
    await this.opts.clock.sleep(waitMs);
    await this.turn(verb, what);
  }

  private noteAccess(verb: ApiVerb, apiVersion: string, resource: string): void {
    this.cost.access.add(`${verb} ${splitApiVersion(apiVersion).group}/${resource}`);
  }

  /** Waits for the request's turn; a closed client sends nothing more. */
  private async turn(verb: ApiVerb, what: string): Promise<void> {
    if (this.opts.pacer) await this.opts.pacer.turn(this.opts.who, `${verb} ${what}`);
    if (this.closed) throw new Error(`${this.opts.who}: stopped`);
  }

  /** No request leaves after this (a killed process sends nothing more); those in flight finish. */
  close(): void {
    this.closed = true;
  }

  // ---- any resource, addressed by apiVersion + plural ---------------------------------------
  // Core resources go through CoreV1Api's generic paths are not exposed, so the few core kinds
  // the controller touches have their own calls below; everything under an API group uses
  // CustomObjectsApi, which returns plain JSON.

  async getObject<T extends Obj>(ref: ObjectRef): Promise<T> {
    this.noteAccess('get', ref.apiVersion, ref.resource);
    const { group, version } = splitApiVersion(ref.apiVersion);
    if (group === '') return plain(await this.call('get', ref, () => this.coreGet(ref), whatOf(ref))) as T;
    return this.call('get', ref, () =>
      ref.namespace
        ? this.custom.getNamespacedCustomObject({ group, version, namespace: ref.namespace, plural: ref.resource, name: ref.name })
        : this.custom.getClusterCustomObject({ group, version, plural: ref.resource, name: ref.name }),
      whatOf(ref),
    ) as Promise<T>;
  }

  async createObject<T extends Obj>(resource: string, body: T): Promise<T> {
    this.noteAccess('create', body.apiVersion!, resource);
    const { group, version } = splitApiVersion(body.apiVersion!);
    const namespace = body.metadata?.namespace;
    const what = `${resource}/${namespace ?? ''}/${body.metadata?.name ?? body.metadata?.generateName ?? ''}`;
    const target = { apiVersion: body.apiVersion!, resource };
    if (group === '') return plain(await this.call('create', target, () => this.coreCreate(resource, body), what)) as T;
    return this.call('create', target, () =>
      namespace
        ? this.custom.createNamespacedCustomObject({ group, version, namespace, plural: resource, body })
        : this.custom.createClusterCustomObject({ group, version, plural: resource, body }),
      what,
    ) as Promise<T>;
  }

  /** PUT with the object's resourceVersion: a 409 when it changed since (optimistic concurrency). */
  async replaceObject<T extends Obj>(resource: string, body: T): Promise<T> {
    this.noteAccess('update', body.apiVersion!, resource);
    const { group, version } = splitApiVersion(body.apiVersion!);
    const namespace = body.metadata?.namespace;
    const name = body.metadata!.name!;
    if (group !== '') {
      return this.call('update', { apiVersion: body.apiVersion!, resource }, () =>
        namespace
          ? this.custom.replaceNamespacedCustomObject({ group, version, namespace, plural: resource, name, body })
          : this.custom.replaceClusterCustomObject({ group, version, plural: resource, name, body }),
        `${resource}/${namespace ?? ''}/${name}`,
      ) as Promise<T>;
    }
    throw new Error(`replaceObject: core resource ${resource} is not used by the controller`);
  }

  /** JSON merge patch (controller-runtime's client.MergeFrom). */
  async mergePatchObject<T extends Obj>(ref: ObjectRef, patch: object): Promise<T> {
    this.noteAccess('patch', ref.apiVersion, ref.resource);
    const { group, version } = splitApiVersion(ref.apiVersion);
    const options = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    if (group === '') {
      if (ref.resource === 'persistentvolumes') {
        return plain(await this.call('patch', ref, () => this.core.patchPersistentVolume({ name: ref.name, body: patch }, options), whatOf(ref))) as T;
      }
      if (ref.resource === 'events') {
        return plain(await this.call('patch', ref, () => this.core.patchNamespacedEvent({ name: ref.name, namespace: ref.namespace!, body: patch }, options), whatOf(ref))) as unknown as T;
      }
      throw new Error(`mergePatchObject: core resource ${ref.resource} is not used by the controller`);
    }
    return this.call('patch', ref, () =>
      ref.namespace
        ? this.custom.patchNamespacedCustomObject({ group, version, namespace: ref.namespace, plural: ref.resource, name: ref.name, body: patch }, options)
        : this.custom.patchClusterCustomObject({ group, version, plural: ref.resource, name: ref.name, body: patch }, options),
      whatOf(ref),
    ) as Promise<T>;
  }

  /** Deletes; a missing object is not an error (returns false). */
  async deleteObject(ref: ObjectRef, opts: { gracePeriodSeconds?: number; propagationPolicy?: string } = {}): Promise<boolean> {
    this.noteAccess('delete', ref.apiVersion, ref.resource);
    const { group, version } = splitApiVersion(ref.apiVersion);
    try {
      await this.call('delete', ref, (): Promise<unknown> => {
        if (group === '') return this.coreDelete(ref, opts);
        return ref.namespace
          ? this.custom.deleteNamespacedCustomObject({ group, version, namespace: ref.namespace, plural: ref.resource, name: ref.name, ...opts })
          : this.custom.deleteClusterCustomObject({ group, version, plural: ref.resource, name: ref.name, ...opts });
      }, whatOf(ref));
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  async listObjects<T extends Obj>(
    apiVersion: string,
    resource: string,
    namespace?: string,
    labelSelector?: string,
    fieldSelector?: string,
    informer = false,
  ): Promise<KubernetesListObject<T>> {
    this.noteAccess('list', apiVersion, resource);
    const { group, version } = splitApiVersion(apiVersion);
    const what = `${resource}/${namespace ?? ''}?${labelSelector ?? ''}&${fieldSelector ?? ''}`;
    const target = { apiVersion, resource, informer };
    if (group === '') return plain(await this.call('list', target, () => this.coreList(resource, namespace, labelSelector, fieldSelector), what)) as KubernetesListObject<T>;
    return this.call('list', target, () =>
      namespace
        ? this.custom.listNamespacedCustomObject({ group, version, namespace, plural: resource, labelSelector, fieldSelector })
        : this.custom.listClusterCustomObject({ group, version, plural: resource, labelSelector, fieldSelector }),
      what,
    ) as Promise<KubernetesListObject<T>>;
  }

  /**
   * A list-watch cache of one resource (client-node's informer), its LIST counted and each
   * (re)connection of its watch counted. client-node's informer stops on an error other than
   * 410 Gone; this one starts again after a second, as client-go's reflector does.
   */
  watch<T extends Obj>(apiVersion: string, resource: string, namespace?: string, labelSelector?: string, fieldSelector?: string): WatchedCache<T> {
    this.noteAccess('watch', apiVersion, resource);
    const { group, version } = splitApiVersion(apiVersion);
    const base = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    const path = namespace ? `${base}/namespaces/${namespace}/${resource}` : `${base}/${resource}`;
    // client-go's reflector replaces its store on a relist (after 410 Gone or an error), and the
    // shared informer delivers every object it already had as an update, changed or not
    // (DeltaFIFO Replace -> OnUpdate); controller-runtime passes those on as update events. So a
    // relist brings, say, a Running pod's update that a down node-agent never heard. client-node
    // calls 'update' only for objects whose resourceVersion changed: the rest are delivered here.
    const updateHandlers: ((o: T) => void)[] = [];
    let listed = false;
    const list = async () => {
      const l = await this.listObjects<T>(apiVersion, resource, namespace, labelSelector, fieldSelector, true);
      if (listed) {
        const unchanged = l.items.filter((o) => informer.get(o.metadata!.name!, o.metadata!.namespace)?.metadata?.resourceVersion === o.metadata?.resourceVersion);
        queueMicrotask(() => {
          for (const o of unchanged) for (const h of updateHandlers) h(o);
        });
      }
      listed = true;
      return l;
    };
    const informer = new ListWatch<T>(path, new Watch(this.kc), list, false, labelSelector, fieldSelector);
    let stopped = false;
    informer.on('connect', () => this.cost.sent.watch++);
    informer.on('error', () => {
      if (stopped) return;
      this.opts.clock.setTimer(1000, () => {
        if (!stopped) void informer.start();
      });
    });
    return {
      get: (name, ns) => informer.get(name, ns),
      list: (ns) => informer.list(ns),
      on: ((verb: string, fn: (o: T) => void) => {
        if (verb === 'update') updateHandlers.push(fn);
        informer.on(verb as never, fn as never);
      }) as Informer<T>['on'],
      start: () => informer.start(),
      stop: async () => {
        stopped = true;
        await informer.stop();
      },
    };
  }

  // ---- the core kinds the controller touches ------------------------------------------------

  private coreGet(ref: ObjectRef): Promise<unknown> {
    const { name, namespace } = ref;
    switch (ref.resource) {
      case 'pods':
        return this.core.readNamespacedPod({ name, namespace: namespace! });
      case 'persistentvolumeclaims':
        return this.core.readNamespacedPersistentVolumeClaim({ name, namespace: namespace! });
      case 'persistentvolumes':
        return this.core.readPersistentVolume({ name });
      case 'nodes':
        return this.core.readNode({ name });
      case 'configmaps':
        return this.core.readNamespacedConfigMap({ name, namespace: namespace! });
      case 'events':
        return this.core.readNamespacedEvent({ name, namespace: namespace! });
      default:
        throw new Error(`getObject: core resource ${ref.resource} is not used by the controller`);
    }
  }

  private coreCreate(resource: string, body: Obj): Promise<unknown> {
    const namespace = body.metadata?.namespace ?? '';
    switch (resource) {
      case 'pods':
        return this.core.createNamespacedPod({ namespace, body });
      case 'persistentvolumeclaims':
        return this.core.createNamespacedPersistentVolumeClaim({ namespace, body });
      case 'events':
        return this.core.createNamespacedEvent({ namespace, body: body as never });
      default:
        throw new Error(`createObject: core resource ${resource} is not used by the controller`);
    }
  }

  private coreDelete(ref: ObjectRef, opts: { gracePeriodSeconds?: number; propagationPolicy?: string }): Promise<unknown> {
    const { name, namespace } = ref;
    switch (ref.resource) {
      case 'pods':
        return this.core.deleteNamespacedPod({ name, namespace: namespace!, ...opts });
      case 'persistentvolumeclaims':
        return this.core.deleteNamespacedPersistentVolumeClaim({ name, namespace: namespace!, ...opts });
      case 'persistentvolumes':
        return this.core.deletePersistentVolume({ name, ...opts });
      default:
        throw new Error(`deleteObject: core resource ${ref.resource} is not used by the controller`);
    }
  }

  private coreList(resource: string, namespace: string | undefined, labelSelector: string | undefined, fieldSelector: string | undefined): Promise<unknown> {
    const q = { labelSelector, fieldSelector };
    switch (resource) {
      case 'pods':
        return namespace ? this.core.listNamespacedPod({ namespace, ...q }) : this.core.listPodForAllNamespaces(q);
      case 'persistentvolumeclaims':
        return namespace ? this.core.listNamespacedPersistentVolumeClaim({ namespace, ...q }) : this.core.listPersistentVolumeClaimForAllNamespaces(q);
      case 'events':
        return namespace ? this.core.listNamespacedEvent({ namespace, ...q }) : this.core.listEventForAllNamespaces(q);
      case 'nodes':
        return this.core.listNode(q);
      default:
        throw new Error(`listObjects: core resource ${resource} is not used by the controller`);
    }
  }
}
