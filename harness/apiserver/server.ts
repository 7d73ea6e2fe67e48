// The embedded Kubernetes API server: HTTP on 127.0.0.1, JSON, the REST layout, discovery,
// OpenAPI, server-side tables, watch streaming, and the fault seam. Semantics live in api.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { HOLDS_CLOCK_HEADER, LOAD_HEADER, type Clock } from '../clock.ts';
import type { Random } from '../random.ts';
import { KubeApi, parseRv, type DeleteOptions, type FieldValidation, type ListOptions, type PatchType, type WriteOptions } from './api.ts';
import { BuiltinControllers } from './controllers.ts';
import { DEFAULT_EVENT_TTL_SECONDS, EventExpiry } from './event-ttl.ts';
import { ApiError, errors } from './errors.ts';
import { ApiFaults, type RequestInfo } from './faults.ts';
import { InProcessLink } from './in-process.ts';
import { OPENAPI_V2_PROTOBUF, openApiV2, openApiV3Document, openApiV3Root } from './openapi.ts';
import { decodeKubeProtobuf, isKubeProtobuf, KUBE_PROTOBUF, ProtobufError } from './protobuf.ts';
import { goQuote, validatePathSegmentName } from './names.ts';
import { checkDepth, jsonTypeName } from './patch.ts';
import { apiVersionOf } from './registry.ts';
import type { EventType, Stored } from './storage.ts';
import { toTable } from './table.ts';
import type { FieldError, KubeObject, ResourceInfo } from './types.ts';

export interface ApiServerOptions {
  clock: Clock;
  random: Random;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Watch events kept per resource; older resourceVersions get 410 Gone. Default 10,000. */
  historyLimit?: number;
  /** Largest request body accepted, in bytes. Default 3 MiB, as kube-apiserver. */
  maxBodyBytes?: number;
  /** Wall-clock interval between BOOKMARK events on watches that ask for them. Default 60 s. */
  bookmarkIntervalMs?: number;
  /** Told when a request starts and ends being worked on (the virtual clock's idleness). */
  activity?: { begin(): void; end(): void };
  /** Seconds an Event lives after its last write, as kube-apiserver's --event-ttl. Default 3600. */
  eventTtlSeconds?: number;
  /** kube-apiserver's --min-request-timeout: a watch without timeoutSeconds ends after 1 to 2 times this. Default 1800. */
  minRequestTimeoutSeconds?: number;
  /** Watches open at once; one more is a 429. Default 10,000. */
  maxWatches?: number;
}

/** Kubernetes version the server reports. */
export const SERVER_VERSION = { major: '1', minor: '31', gitVersion: 'v1.31.0+datamover-bench' };

interface OpenWatch {
  info: ResourceInfo;
  userAgent: string;
  /** Ends the stream; with gone, after an ERROR event carrying 410. */
  close(gone?: boolean): void;
  /** Bytes written to the stream but not yet handed to the socket. */
  backlog(): number;
}

/** The parts of a request's target the server reads besides its path. */
interface RequestUrl {
  searchParams: URLSearchParams;
  host: string;
}

/** Requests served, by user agent and verb: the API-cost figure. */
export type RequestCounts = Map<string, Map<string, number>>;

const NOT_FOUND_PATH = new ApiError(404, 'NotFound', 'the server could not find the requested resource');

export class ApiServer {
  readonly api: KubeApi;
  readonly controllers: BuiltinControllers;
  readonly faults: ApiFaults;
  readonly eventExpiry: EventExpiry;
  readonly requestCounts: RequestCounts = new Map();
  private readonly server: http.Server;
  /** In-process connections to this server (see in-process.ts). */
  readonly inProcess: InProcessLink;
  private readonly openWatches = new Set<OpenWatch>();
  /** Draws the random part of default watch timeouts. */
  private readonly watchTimeouts: Random;
  private readonly opts: Required<Omit<ApiServerOptions, 'activity'>> & Pick<ApiServerOptions, 'activity'>;
  private baseUrl = '';

  constructor(opts: ApiServerOptions) {
    this.opts = {
      port: 0,
      historyLimit: 10_000,
      maxBodyBytes: 3 * 1024 * 1024,
      bookmarkIntervalMs: 60_000,
      eventTtlSeconds: DEFAULT_EVENT_TTL_SECONDS,
      minRequestTimeoutSeconds: 1800,
      maxWatches: 10_000,
      ...opts,
    };
    this.watchTimeouts = opts.random.fork('watch-timeouts');
    this.api = new KubeApi({ clock: opts.clock, random: opts.random.fork('apiserver'), historyLimit: this.opts.historyLimit });
    this.controllers = new BuiltinControllers(this.api, opts.activity);
    this.faults = new ApiFaults(opts.random.fork('api-faults'));
    this.eventExpiry = new EventExpiry(this.api, opts.clock, this.opts.eventTtlSeconds);
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    this.inProcess = new InProcessLink(this.server);
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.api.create(this.api.lookup('', 'v1', 'namespaces')!, undefined, { metadata: { name } });
    }
    this.controllers.drain();
  }

  get url(): string {
    return this.baseUrl;
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    this.eventExpiry.stop();
    this.controllers.quotas.stop();
    for (const w of [...this.openWatches]) w.close();
    this.inProcess.closeAll();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** True when every watch event written has been handed to its socket (an idleness probe for the virtual clock). */
  watchesFlushed(): boolean {
    for (const w of this.openWatches) if (w.backlog() > 0) return false;
    return true;
  }

  // ---- fault seam ------------------------------------------------------------------------

  /** Closes open watches (all, or those of one resource such as "pods" or "datauploads.velero.io"). Returns how many. */
  dropWatches(resource?: string): number {
    let n = 0;
    for (const w of [...this.openWatches]) {
      if (resource && !matchesResource(w.info, resource)) continue;
      w.close();
      n++;
    }
    return n;
  }

  /** Forgets a resource's watch history and ends its watches with 410 Gone: clients must relist. */
  forceGone(resource?: string): number {
    for (const info of this.api.resources()) {
      if (resource && !matchesResource(info, resource)) continue;
      this.api.table(info).compact(this.api.store.currentRv);
    }
    let n = 0;
    for (const w of [...this.openWatches]) {
      if (resource && !matchesResource(w.info, resource)) continue;
      w.close(true);
      n++;
    }
    return n;
  }

  // ---- HTTP ------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Background load (LOAD_HEADER) is served but is not work: it never holds the virtual clock.
    const activity = req.headers[LOAD_HEADER] === '1' ? undefined : this.opts.activity;
    activity?.begin();
    let active = true;
    const idle = () => {
      if (active) {
        active = false;
        activity?.end();
      }
    };
    try {
      // Not parsed with URL: it normalises away the dot segments and escapes that kube-apiserver
      // sees and refuses (requestPath), and it refuses targets such as "//" that Go takes.
      const target = req.url ?? '/';
      const query = target.indexOf('?');
      const url = { searchParams: new URLSearchParams(query < 0 ? '' : target.slice(query + 1)), host: String(req.headers.host ?? '') };
      const path = requestPath(target);
      const body = await readBody(req, this.opts.maxBodyBytes);
      await this.route(req, res, path, url, body, idle, () => {
        if (!active) {
          active = true;
          activity?.begin();
        }
      });
    } catch (e) {
      const err = e instanceof ApiError ? e : errors.internal(e instanceof Error ? e.message : String(e));
      if (!(e instanceof ApiError)) console.error('embedded apiserver: unexpected error:', e);
      if (!res.headersSent) sendJson(res, err.code, err.toStatus());
      else res.end();
    } finally {
      idle();
    }
  }

  private async route(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    rawPath: string,
    url: RequestUrl,
    body: Buffer,
    idle: () => void,
    busy: () => void,
  ): Promise<void> {
    const path = rawPath.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (method === 'GET' && this.nonResource(path, url, req, res)) return;
    const r = this.parseResourcePath(path);
    if (!r) throw NOT_FOUND_PATH;
    const { info, namespace, name, subresource } = r;
    const q = url.searchParams;
    const watch = r.watch || queryBool(q, 'watch');
    const verb = verbOf(method, name, subresource, watch);
    // A verb the resource or subresource does not serve (deletecollection of namespaces, DELETE
    // of pods/NAME/status) has no route: 405.
    if (!verb || !(subresource ? SUBRESOURCE_VERBS[subresource]?.includes(verb) ?? true : info.verbs.includes(verb))) throw errors.methodNotAllowed();
    // As the registry's key functions (NamespaceKeyFunc, NoNamespaceKeyFunc in
    // k8s.io/apiserver pkg/registry/generic/registry/store.go): a name that is not a valid
    // path segment is a 400 before anything is looked up.
    if (name !== undefined) {
      const why = validatePathSegmentName(name, false);
      if (why.length) throw errors.badRequest(`Name parameter invalid: ${goQuote(name)}: ${why.join(';')}`);
    }
    const userAgent = String(req.headers['user-agent'] ?? 'unknown');
    this.count(userAgent, verb);
    const requestInfo: RequestInfo = { verb, group: info.group, resource: info.resource, subresource, namespace, name, userAgent, background: req.headers[LOAD_HEADER] === '1' };
    if (this.faults.active) {
      const plan = this.faults.plan(requestInfo);
      if (plan.delayMs > 0) {
        // Waiting on the clock is not work: the virtual clock may advance meanwhile, so the
        // server's hold and the client's (if it holds one for this request) are let go.
        const clientHolds = req.headers[HOLDS_CLOCK_HEADER] === '1' && this.opts.activity !== undefined;
        idle();
        if (clientHolds) this.opts.activity!.end();
        await this.opts.clock.sleep(plan.delayMs);
        if (clientHolds) this.opts.activity!.begin();
        busy();
      }
      if (plan.error) throw plan.error;
    }
    if (subresource && !info.subresources.includes(subresource)) throw NOT_FOUND_PATH;
    if (info.namespaced && namespace === undefined && name !== undefined) throw NOT_FOUND_PATH;
    const write: WriteOptions = {
      dryRun: dryRunOf(q),
      fieldValidation: fieldValidationOf(q),
      warnings: [],
    };
    const accept = String(req.headers.accept ?? '');
    const table = wantsTable(accept);
    const includeObject = (q.get('includeObject') as 'None' | 'Metadata' | 'Object' | null) ?? 'Metadata';
    const api = this.api;
    const sendObject = (code: number, s: Stored) => {
      setWarnings(res, write.warnings);
      if (table) sendJson(res, code, toTable(info, [s.obj], new Date(api.clock.now()), { includeObject }));
      else sendRaw(res, code, s.json);
    };

    switch (verb) {
      case 'get': {
        if (subresource && subresource !== 'status') throw errors.methodNotAllowed();
        return sendObject(200, api.get(info, namespace, name!));
      }
      case 'list': {
        const result = api.list(info, namespace, listOptions(q));
        if (table) {
          return sendJson(
            res,
            200,
            toTable(info, result.items.map((s) => s.obj), new Date(api.clock.now()), {
              includeObject,
              listMeta: { resourceVersion: result.resourceVersion, continue: result.continue, remainingItemCount: result.remainingItemCount },
            }),
          );
        }
        const meta: Record<string, unknown> = { resourceVersion: result.resourceVersion };
        if (result.continue) meta.continue = result.continue;
        if (result.remainingItemCount !== undefined) meta.remainingItemCount = result.remainingItemCount;
        const head = `{"kind":${JSON.stringify(info.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(info))},"metadata":${JSON.stringify(meta)},"items":[`;
        return sendRaw(res, 200, head + result.items.map((s) => s.json).join(',') + ']}');
      }
      case 'watch':
        return this.watch(req, res, info, namespace, q, table, includeObject, userAgent);
      case 'create': {
        const obj = parseBody(req, body);
        if (subresource === 'binding') return this.bind(res, namespace!, name!, obj);
        if (subresource === 'eviction') return this.evict(res, info, namespace!, name!, obj, write);
        if (subresource) throw errors.methodNotAllowed();
        return sendObject(201, api.create(info, namespace, obj, write));
      }
      case 'update':
        return sendObject(200, api.update(info, namespace, name!, parseBody(req, body), { ...write, subresource }));
      case 'patch': {
        const type = patchTypeOf(String(req.headers['content-type'] ?? ''));
        return sendObject(200, api.patch(info, namespace, name!, type, parseBody(req, body), { ...write, subresource }));
      }
      case 'delete': {
        const opts = deleteOptions(req, q, body, write);
        const { stored, gone } = api.delete(info, namespace, name!, opts);
        // delete.go: 202 only when the object stays and the client asked for orphanDependents=false.
        return sendObject(!gone && opts.orphanDependents === false ? 202 : 200, stored);
      }
      case 'deletecollection': {
        const opts = deleteOptions(req, q, body, write);
        const { items } = api.list(info, namespace, { labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined });
        const deleted = items.map((s) => {
          try {
            return api.delete(info, s.obj.metadata.namespace, s.obj.metadata.name!, opts).stored;
          } catch (e) {
            if (e instanceof ApiError && e.code === 404) return undefined;
            throw e;
          }
        });
        const out = deleted.filter((s): s is Stored => !!s).map((s) => s.json);
        return sendRaw(res, 200, `{"kind":${JSON.stringify(info.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(info))},"metadata":{"resourceVersion":"${api.store.currentRv}"},"items":[${out.join(',')}]}`);
      }
    }
    throw errors.methodNotAllowed();
  }

  private count(userAgent: string, verb: string): void {
    let byVerb = this.requestCounts.get(userAgent);
    if (!byVerb) this.requestCounts.set(userAgent, (byVerb = new Map()));
    byVerb.set(verb, (byVerb.get(verb) ?? 0) + 1);
  }

  /** POST pods/NAME/binding: what the scheduler calls to place a pod. */
  private bind(res: http.ServerResponse, namespace: string, name: string, body: unknown): void {
    const binding = body as { metadata?: { uid?: string }; target?: { kind?: string; name?: string } };
    if (!binding?.target?.name) {
      throw errors.invalid('', 'Binding', name, [{ reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
    }
    this.api.bindPod(namespace, name, binding.target.name, binding.metadata?.uid);
    sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  }

  /** POST pods/NAME/eviction: delete the pod (no PodDisruptionBudgets exist here). */
  private evict(res: http.ServerResponse, info: ResourceInfo, namespace: string, name: string, body: unknown, write: WriteOptions): void {
    const eviction = body as { kind?: unknown; deleteOptions?: unknown } | null;
    if (eviction === null || typeof eviction !== 'object' || Array.isArray(eviction)) throw errors.badRequest(`json: cannot unmarshal ${jsonTypeName(eviction)} into Go value of type v1.Eviction`);
    if (eviction.kind !== undefined && eviction.kind !== 'Eviction') throw errors.badRequest(`the kind (${String(eviction.kind)}) does not match Eviction`);
    // The Eviction's deleteOptions are checked as a DELETE's, and ?dryRun=All (or theirs) is honoured.
    const opts = validDeleteOptions(eviction.deleteOptions === undefined ? {} : decodeDeleteOptions(eviction.deleteOptions), write);
    this.api.delete(info, namespace, name, opts);
    sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  }

  private watch(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    info: ResourceInfo,
    namespace: string | undefined,
    q: URLSearchParams,
    table: boolean,
    includeObject: 'None' | 'Metadata' | 'Object',
    userAgent: string,
  ): void {
    const api = this.api;
    const sendInitialEvents = queryBool(q, 'sendInitialEvents');
    const bookmarks = queryBool(q, 'allowWatchBookmarks');
    const timeoutSeconds = queryInt64(q, 'timeoutSeconds');
    const watchOptions = {
      labelSelector: q.get('labelSelector') ?? undefined,
      fieldSelector: q.get('fieldSelector') ?? undefined,
      resourceVersion: q.get('resourceVersion') ?? undefined,
      sendInitialEvents,
    };
    // What the request gets wrong is a 400 before the stream starts, as for a list: selectors
    // here; a resourceVersion that is too old is an ERROR event on the stream (below).
    api.matcher(info, watchOptions.labelSelector, watchOptions.fieldSelector);
    if (watchOptions.resourceVersion) parseRv(watchOptions.resourceVersion);
    if (this.openWatches.size >= this.opts.maxWatches) {
      // kube-apiserver's max-in-flight filter answers this way; here the bound is on open watches.
      res.setHeader('Retry-After', '1');
      throw errors.tooManyRequests();
    }
    let ended = false;
    let unsubscribe: () => void = () => {};
    const timers: NodeJS.Timeout[] = [];
    // Each event is one chunk of the chunked response, framed here and written to the socket in
    // one piece: an object's event goes to every watcher of its resource, so it is framed once.
    // As node:http does for res.write, the socket is corked until the end of the tick, so the
    // events of a write leave after the response to the request that made them.
    const write = (frame: Buffer) => {
      const socket = res.socket;
      if (ended || !socket || socket.destroyed) return;
      if (!socket.writableCorked) {
        socket.cork();
        process.nextTick(() => socket.uncork());
      }
      socket.write(frame);
    };
    const line = (type: string, objectJson: string) => write(eventChunk(type, objectJson));
    // As the real server, only the first Table event of a watch carries the column definitions.
    let headersSent = false;
    const send = (type: EventType, s: Stored) => {
      if (!table) return write(eventFrame(type, s));
      line(type, JSON.stringify(toTable(info, [s.obj], new Date(api.clock.now()), { includeObject, noHeaders: headersSent })));
      headersSent = true;
    };
    const bookmark = (annotations?: Record<string, string>) =>
      line('BOOKMARK', JSON.stringify({
        kind: info.kind,
        apiVersion: apiVersionOf(info),
        metadata: { resourceVersion: String(api.store.currentRv), ...(annotations ? { annotations } : {}) },
      }));
    const end = (gone = false) => {
      if (ended) return;
      if (gone) line('ERROR', JSON.stringify(errors.gone('too old resource version: the watch history was compacted').toStatus()));
      ended = true;
      unsubscribe();
      for (const t of timers) clearTimeout(t);
      this.openWatches.delete(handle);
      res.end();
    };
    const handle: OpenWatch = { info, userAgent, close: end, backlog: () => res.writableLength };
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    // Clients wait for the headers before they count the watch as open.
    res.flushHeaders();
    try {
      unsubscribe = api.watch(info, namespace, watchOptions, { send, expire: () => end(true) });
    } catch (e) {
      // Like the watch cache: a too-old resourceVersion is an ERROR event on a 200 stream.
      if (e instanceof ApiError) {
        line('ERROR', JSON.stringify(e.toStatus()));
        ended = true;
        res.end();
        return;
      }
      throw e;
    }
    this.openWatches.add(handle);
    if (sendInitialEvents && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    if (bookmarks) {
      const tick = () => {
        bookmark();
        timers[0] = setTimeout(tick, this.opts.bookmarkIntervalMs);
      };
      timers[0] = setTimeout(tick, this.opts.bookmarkIntervalMs);
    }
    // As ListResource in k8s.io/apiserver pkg/endpoints/handlers/get.go: no timeoutSeconds (or 0)
    // is min-request-timeout times a random factor in [1, 2); a negative one ends the watch at once.
    const seconds = timeoutSeconds === undefined || timeoutSeconds === 0
      ? this.opts.minRequestTimeoutSeconds * (1 + this.watchTimeouts.next())
      : timeoutSeconds;
    if (seconds > 0) timers.push(setTimeout(() => end(), Math.min(seconds * 1000, MAX_TIMER_MS)));
    else setImmediate(() => end());
    // The response's close is the connection's: the request's fires when its body has been read.
    res.on('close', () => end());
  }

  /** Prometheus text format, with the names kube-apiserver uses for the same figures. */
  private metrics(): string {
    const mem = process.memoryUsage();
    const lines = [
      '# TYPE process_resident_memory_bytes gauge',
      `process_resident_memory_bytes ${mem.rss}`,
      '# TYPE go_memstats_heap_inuse_bytes gauge',
      `go_memstats_heap_inuse_bytes ${mem.heapUsed}`,
      '# TYPE apiserver_storage_objects gauge',
    ];
    for (const info of this.api.resources()) {
      lines.push(`apiserver_storage_objects{resource="${info.group ? `${info.resource}.${info.group}` : info.resource}"} ${this.api.table(info).objects.size}`);
    }
    lines.push('# TYPE apiserver_request_total counter');
    for (const [agent, byVerb] of this.requestCounts) {
      for (const [verb, n] of byVerb) lines.push(`apiserver_request_total{verb="${verb.toUpperCase()}",user_agent=${JSON.stringify(agent)}} ${n}`);
    }
    lines.push('# TYPE apiserver_registered_watchers gauge', `apiserver_registered_watchers ${this.openWatches.size}`);
    return lines.join('\n') + '\n';
  }

  // ---- paths -----------------------------------------------------------------------------

  private parseResourcePath(path: string):
    | { info: ResourceInfo; namespace?: string; name?: string; subresource?: string; watch: boolean }
    | undefined {
    const segs = path.split('/').filter(Boolean);
    let group: string, version: string, rest: string[];
    if (segs[0] === 'api' && segs.length >= 3) {
      [group, version, rest] = ['', segs[1], segs.slice(2)];
    } else if (segs[0] === 'apis' && segs.length >= 4) {
      [group, version, rest] = [segs[1], segs[2], segs.slice(3)];
    } else return undefined;
    let watch = false;
    if (rest[0] === 'watch') {
      watch = true;
      rest = rest.slice(1);
    }
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && !(group === '' && rest.length === 3 && ['status', 'finalize'].includes(rest[2]))) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    if (rest.length < 1 || rest.length > 3) return undefined;
    const info = this.api.lookup(group, version, rest[0]);
    if (!info) return undefined;
    if (namespace !== undefined && !info.namespaced) return undefined;
    return { info, namespace, name: rest[1], subresource: rest[2], watch };
  }

  /** Discovery, version, health, metrics and OpenAPI documents. Returns false for resource paths. */
  private nonResource(path: string, url: RequestUrl, req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const resources = this.api.resources();
    const text = (body: string) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(body);
      return true;
    };
    const json = (doc: unknown) => {
      sendJson(res, 200, doc);
      return true;
    };
    switch (path) {
      case '/version':
        return json({ ...SERVER_VERSION, gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'n/a (datamover-bench embedded)', compiler: 'n/a', platform: 'linux/amd64' });
      case '/healthz':
      case '/livez':
      case '/readyz':
        return text('ok');
      case '/metrics':
        return text(this.metrics());
      case '/api':
        return json({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: url.host }] });
      case '/apis':
        return json({ kind: 'APIGroupList', apiVersion: 'v1', groups: apiGroups(resources) });
      case '/openapi/v2': {
        const doc = openApiV2(resources, String(req.headers.accept ?? ''));
        if (doc.status !== 200) throw errors.notAcceptable(`only application/json and ${OPENAPI_V2_PROTOBUF} are served for /openapi/v2`);
        res.writeHead(200, { 'Content-Type': doc.contentType, 'Content-Length': doc.body.length });
        res.end(doc.body);
        return true;
      }
      case '/openapi/v3':
        return json(openApiV3Root(resources));
    }
    if (path.startsWith('/openapi/v3/')) {
      const gv = path.slice('/openapi/v3/'.length);
      const doc = openApiV3Document(resources, gv);
      if (!doc) throw NOT_FOUND_PATH;
      const asked = url.searchParams.get('hash');
      if (asked && asked !== doc.hash) {
        // As kube-apiserver: a stale hash is redirected to the current document.
        res.writeHead(301, { Location: `${path}?hash=${doc.hash}` });
        res.end();
        return true;
      }
      res.writeHead(200, {
        'Content-Type': doc.contentType,
        'Content-Length': doc.body.length,
        Etag: `"${doc.hash}"`,
        ...(asked ? { 'Cache-Control': 'public, immutable' } : {}),
      });
      res.end(doc.body);
      return true;
    }
    const segs = path.split('/').filter(Boolean);
    if (segs[0] === 'api' && segs.length === 2) {
      const list = resourceList(resources.filter((r) => r.group === '' && r.version === segs[1]), segs[1]);
      if (!list) throw NOT_FOUND_PATH;
      return json(list);
    }
    if (segs[0] === 'apis' && segs.length === 2) {
      const group = apiGroups(resources).find((g) => g.name === segs[1]);
      if (!group) throw NOT_FOUND_PATH;
      return json({ kind: 'APIGroup', apiVersion: 'v1', ...group });
    }
    if (segs[0] === 'apis' && segs.length === 3) {
      const list = resourceList(resources.filter((r) => r.group === segs[1] && r.version === segs[2]), `${segs[1]}/${segs[2]}`);
      if (!list) throw NOT_FOUND_PATH;
      return json(list);
    }
    return false;
  }
}

// ---- discovery documents -------------------------------------------------------------------

function apiGroups(resources: ResourceInfo[]): { name: string; versions: { groupVersion: string; version: string }[]; preferredVersion: { groupVersion: string; version: string } }[] {
  const groups = new Map<string, string[]>();
  for (const r of resources) {
    if (!r.group) continue;
    const versions = groups.get(r.group) ?? [];
    if (!versions.includes(r.version)) versions.push(r.version);
    groups.set(r.group, versions);
  }
  return [...groups].map(([name, versions]) => {
    const sorted = versions.sort(compareKubeVersions);
    const gv = (v: string) => ({ groupVersion: `${name}/${v}`, version: v });
    return { name, versions: sorted.map(gv), preferredVersion: gv(sorted[0]) };
  });
}

function resourceList(resources: ResourceInfo[], groupVersion: string): object | undefined {
  if (resources.length === 0) return undefined;
  const out: object[] = [];
  for (const r of resources) {
    out.push({
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories?.length ? { categories: r.categories } : {}),
    });
    for (const sub of r.subresources) {
      const base = { name: `${r.resource}/${sub}`, singularName: '', namespaced: r.namespaced };
      if (sub === 'binding') out.push({ ...base, kind: 'Binding', verbs: ['create'] });
      else if (sub === 'eviction') out.push({ ...base, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
      else if (sub === 'finalize') out.push({ ...base, kind: r.kind, verbs: ['update'] });
      else if (sub === 'scale') out.push({ ...base, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
      else out.push({ ...base, kind: r.kind, verbs: ['get', 'patch', 'update'] });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: out };
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first (v2 > v1 > v1beta2). */
function compareKubeVersions(a: string, b: string): number {
  const rank = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    return [m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [x, y] = [rank(a), rank(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return y[i] - x[i];
  return a.localeCompare(b);
}

// ---- request helpers -----------------------------------------------------------------------

function matchesResource(info: ResourceInfo, resource: string): boolean {
  return resource === info.resource || resource === `${info.resource}.${info.group}`;
}

function verbOf(method: string, name: string | undefined, subresource: string | undefined, watch: boolean): string | undefined {
  switch (method) {
    case 'GET':
      return name ? 'get' : watch ? 'watch' : 'list';
    case 'POST':
      return !name || subresource === 'binding' || subresource === 'eviction' ? 'create' : undefined;
    case 'PUT':
      return name ? 'update' : undefined;
    case 'PATCH':
      return name ? 'patch' : undefined;
    case 'DELETE':
      return name ? 'delete' : 'deletecollection';
  }
  return undefined;
}

function wantsTable(accept: string): boolean {
  for (const part of accept.split(',')) {
    const params = part.split(';').map((s) => s.trim());
    const type = params[0];
    if (type !== 'application/json' && type !== '*/*') continue;
    const as = params.find((p) => p.startsWith('as='))?.slice(3);
    const g = params.find((p) => p.startsWith('g='))?.slice(2);
    if (as === 'Table' && g === 'meta.k8s.io') return true;
    if (!as) return false;
  }
  return false;
}

function listOptions(q: URLSearchParams): ListOptions {
  const limit = q.get('limit');
  if (limit !== null && !/^\d+$/.test(limit)) throw errors.badRequest(`limit: Invalid value: ${JSON.stringify(limit)}: must be a non-negative integer`);
  return {
    labelSelector: q.get('labelSelector') ?? undefined,
    fieldSelector: q.get('fieldSelector') ?? undefined,
    limit: limit === null ? undefined : Number(limit),
    continue: q.get('continue') || undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
  };
}

function dryRunOf(q: URLSearchParams): boolean {
  const values = q.getAll('dryRun');
  for (const v of values) {
    if (v !== 'All') throw errors.badRequest(`dryRun: Unsupported value: ${JSON.stringify(v)}: supported values: "All"`);
  }
  return values.length > 0;
}

function fieldValidationOf(q: URLSearchParams): FieldValidation | undefined {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return undefined;
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw errors.badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(v)}: supported values: "Ignore", "Strict", "Warn"`);
}

function patchTypeOf(contentType: string): PatchType {
  const type = contentType.split(';')[0].trim();
  switch (type) {
    case 'application/json-patch+json':
      return 'json';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+cbor':
      throw new ApiError(415, 'UnsupportedMediaType', 'server-side apply is not supported by the embedded cluster: use client-side `kubectl apply` (the default) or a merge/json/strategic patch');
  }
  throw errors.unsupportedMediaType(contentType);
}

/**
 * DeleteOptions as kube-apiserver's delete handler reads them (k8s.io/apiserver
 * pkg/endpoints/handlers/delete.go, DeleteResource): from the body when there is one, and only
 * then from the query; then ValidateDeleteOptions (k8s.io/apimachinery pkg/apis/meta/v1/validation).
 * A body that does not decode as DeleteOptions is a 400 and nothing is deleted. (kube-apiserver
 * answers some of these, a string where a list belongs, with a 500 from the decoder; here they are
 * all 400.)
 */
function deleteOptions(req: http.IncomingMessage, q: URLSearchParams, body: Buffer, write: WriteOptions): DeleteOptions & { orphanDependents?: boolean } {
  let raw: RawDeleteOptions;
  if (body.length > 0) {
    let decoded: unknown;
    try {
      // kubectl 1.32+ sends the DeleteOptions of typed-client deletes (drain --disable-eviction) as protobuf.
      if (isKubeProtobuf(body)) decoded = decodeProtobufBody(body);
      else {
        const type = contentTypeOf(req);
        if (type !== 'application/yaml' && !JSON_BODY_TYPES.has(type)) throw errors.unsupportedMediaType(type);
        decoded = checkDepth(type === 'application/yaml' ? parseYaml(body.toString('utf8')) : JSON.parse(body.toString('utf8')));
      }
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw errors.badRequest(e instanceof ProtobufError ? `the DeleteOptions body could not be decoded: ${e.message}` : 'the DeleteOptions body is not valid JSON');
    }
    raw = decodeDeleteOptions(decoded);
  } else {
    const grace = queryInt64(q, 'gracePeriodSeconds');
    raw = {
      gracePeriodSeconds: grace,
      propagationPolicy: q.get('propagationPolicy') ?? undefined,
      orphanDependents: q.has('orphanDependents') ? queryBool(q, 'orphanDependents') : undefined,
      dryRun: q.getAll('dryRun'),
    };
  }
  // The body's dryRun, or the query's: not the query's beside a body (write.dryRun came from it).
  return validDeleteOptions(raw, { ...write, dryRun: false });
}

/** metav1.DeleteOptions as decoded, before ValidateDeleteOptions. */
interface RawDeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  orphanDependents?: boolean;
  dryRun?: string[];
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** ValidateDeleteOptions, then the options the store takes; a dry run also when write asks for one (an eviction's ?dryRun=All). */
function validDeleteOptions(raw: RawDeleteOptions, write: WriteOptions): DeleteOptions & { orphanDependents?: boolean } {
  const causes: FieldError[] = [];
  if (raw.orphanDependents !== undefined && raw.propagationPolicy !== undefined) {
    causes.push({ reason: 'FieldValueInvalid', field: 'propagationPolicy', message: `Invalid value: ${goQuote(raw.propagationPolicy)}: orphanDependents and deletionPropagation cannot be both set` });
  }
  if (raw.propagationPolicy !== undefined && !['Foreground', 'Background', 'Orphan'].includes(raw.propagationPolicy)) {
    causes.push({ reason: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: ${goQuote(raw.propagationPolicy)}: supported values: "Foreground", "Background", "Orphan", "nil"` });
  }
  const dryRun = raw.dryRun ?? [];
  if (dryRun.some((v) => v !== 'All')) {
    causes.push({ reason: 'FieldValueNotSupported', field: 'dryRun', message: `Unsupported value: []string{${dryRun.map(goQuote).join(', ')}}: supported values: "All"` });
  }
  if (causes.length) throw errors.invalid('meta.k8s.io', 'DeleteOptions', '', causes);
  let policy = raw.propagationPolicy as DeleteOptions['propagationPolicy'];
  if (policy === undefined && raw.orphanDependents !== undefined) policy = raw.orphanDependents ? 'Orphan' : 'Background';
  return {
    ...write,
    dryRun: write.dryRun === true || dryRun.length > 0,
    gracePeriodSeconds: raw.gracePeriodSeconds,
    propagationPolicy: policy,
    orphanDependents: raw.orphanDependents,
    preconditions: raw.preconditions,
  };
}

/** A decoded DeleteOptions body checked field by field as Go's decoder into metav1.DeleteOptions would: null is no options, a wrong type is a 400. */
function decodeDeleteOptions(v: unknown): RawDeleteOptions {
  const fail = (what: string, field?: string, type?: string): never => {
    throw errors.badRequest(field ? `json: cannot unmarshal ${what} into Go struct field DeleteOptions.${field} of type ${type}` : `json: cannot unmarshal ${what} into Go value of type v1.DeleteOptions`);
  };
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) fail(jsonTypeName(v));
  const o = v as Record<string, unknown>;
  if ((o.kind !== undefined && o.kind !== 'DeleteOptions') || (o.apiVersion !== undefined && typeof o.apiVersion !== 'string')) {
    throw errors.badRequest('decoded object cannot be converted to DeleteOptions');
  }
  const out: RawDeleteOptions = {};
  const grace = o.gracePeriodSeconds;
  if (grace !== undefined && grace !== null) {
    if (typeof grace !== 'number') fail(jsonTypeName(grace), 'gracePeriodSeconds', 'int64');
    if (!Number.isSafeInteger(grace)) fail(`number ${grace}`, 'gracePeriodSeconds', 'int64');
    out.gracePeriodSeconds = grace as number;
  }
  for (const [field, type] of [['propagationPolicy', 'string'], ['orphanDependents', 'bool']] as const) {
    const x = o[field];
    if (x === undefined || x === null) continue;
    if (typeof x !== (type === 'bool' ? 'boolean' : 'string')) fail(jsonTypeName(x), field, type === 'string' ? 'v1.DeletionPropagation' : 'bool');
    (out as Record<string, unknown>)[field] = x;
  }
  if (o.dryRun !== undefined && o.dryRun !== null) {
    if (!Array.isArray(o.dryRun)) fail(jsonTypeName(o.dryRun), 'dryRun', '[]string');
    const items = o.dryRun as unknown[];
    for (const x of items) if (x !== null && typeof x !== 'string') fail(jsonTypeName(x), 'dryRun', 'string');
    out.dryRun = items.map((x) => (x === null ? '' : (x as string)));
  }
  if (o.preconditions !== undefined && o.preconditions !== null) {
    const p = o.preconditions;
    if (typeof p !== 'object' || Array.isArray(p)) fail(jsonTypeName(p), 'preconditions', 'v1.Preconditions');
    const pre: { uid?: string; resourceVersion?: string } = {};
    for (const k of ['uid', 'resourceVersion'] as const) {
      const x = (p as Record<string, unknown>)[k];
      if (x === undefined || x === null) continue;
      if (typeof x !== 'string') fail(jsonTypeName(x), `preconditions.${k}`, k === 'uid' ? 'types.UID' : 'string');
      pre[k] = x as string;
    }
    out.preconditions = pre;
  }
  return out;
}

/**
 * A boolean query parameter as kube-apiserver converts it (Convert_Slice_string_To_bool in
 * k8s.io/apimachinery pkg/runtime/conversion.go): absent, "0" or any case of "false" is false,
 * anything else (python-kubernetes' "True", an empty value) is true.
 */
export function queryBool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null) return false;
  return !(v === '0' || v.toLowerCase() === 'false');
}

/** An int64 query parameter (Convert_Slice_string_To_int64: strconv.ParseInt): undefined when absent, a 400 when it does not parse. */
export function queryInt64(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  const n = /^[+-]?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw errors.badRequest(`${name}: strconv.ParseInt: parsing ${goQuote(v)}: ${Number.isNaN(n) ? 'invalid syntax' : 'value out of range'}`);
  }
  return n;
}

/**
 * The request path as Go's net/http hands it to kube-apiserver (url.URL.Path): percent escapes
 * decoded, dot segments kept (they are names, and refused as names are). A malformed escape is
 * a 400, as Go's server answers it; bytes that are not UTF-8 decode to U+FFFD.
 */
export function requestPath(rawUrl: string): string {
  const q = rawUrl.indexOf('?');
  const raw = q < 0 ? rawUrl : rawUrl.slice(0, q);
  if (!raw.includes('%')) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25) {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw errors.badRequest(`invalid URL escape ${goQuote(raw.slice(i, i + 3))}`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      for (const b of Buffer.from(raw[i], 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The verbs each subresource serves, as kube-apiserver installs their routes. */
const SUBRESOURCE_VERBS: Record<string, string[]> = {
  status: ['get', 'update', 'patch'],
  binding: ['create'],
  eviction: ['create'],
  finalize: ['update'],
};

/** setTimeout's largest delay; a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) {
      req.resume();
      reject(errors.tooLarge(max));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        reject(errors.tooLarge(max));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The request's media type, without parameters; JSON when it names none, as kube-apiserver takes it. */
function contentTypeOf(req: http.IncomingMessage): string {
  return String(req.headers['content-type'] ?? 'application/json').split(';')[0].trim();
}

/** Content types whose bodies are JSON. */
const JSON_BODY_TYPES = new Set(['application/json', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json']);

function parseBody(req: http.IncomingMessage, body: Buffer): unknown {
  if (body.length === 0) throw errors.badRequest('the request body is empty');
  const type = contentTypeOf(req);
  const text = body.toString('utf8');
  try {
    if (type === 'application/yaml' || type === 'application/apply-patch+yaml') return checkDepth(parseYaml(text));
    if (type === KUBE_PROTOBUF) return decodeProtobufBody(body);
    // NegotiateInputSerializer: JSON, YAML and protobuf, or a patch's own type; anything else is a 415.
    if (!JSON_BODY_TYPES.has(type)) throw errors.unsupportedMediaType(type);
    return checkDepth(JSON.parse(text));
  } catch (e) {
    if (e instanceof ApiError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw errors.badRequest(`the request body could not be decoded: ${why}`);
  }
}

/** A protobuf body (kubectl 1.32+ typed clients) as JSON; kinds or fields without a decoder table are a 415 asking for JSON, a malformed body throws ProtobufError (a 400 to the callers). */
function decodeProtobufBody(body: Buffer): Record<string, unknown> {
  try {
    return decodeKubeProtobuf(body);
  } catch (e) {
    if (e instanceof ProtobufError && e.unsupported) throw new ApiError(415, 'UnsupportedMediaType', e.message);
    throw e;
  }
}

/** A watch event's line as one chunk of the chunked body: its size in hex, CRLF, the line, CRLF. */
function eventChunk(type: string, objectJson: string): Buffer {
  const body = Buffer.from(`{"type":"${type}","object":${objectJson}}\n`);
  return Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, CRLF]);
}

const CRLF = Buffer.from('\r\n');
/** The last event framed: a change reaches all the watchers of its resource one after another. */
let lastEvent: { type: EventType; stored: Stored; frame: Buffer } | undefined;

/** The framed watch event of an object (not a Table), made once for all its watchers. */
function eventFrame(type: EventType, stored: Stored): Buffer {
  if (lastEvent?.stored !== stored || lastEvent.type !== type) lastEvent = { type, stored, frame: eventChunk(type, stored.json) };
  return lastEvent.frame;
}

function sendJson(res: http.ServerResponse, code: number, obj: unknown): void {
  sendRaw(res, code, JSON.stringify(obj));
}

/** A JSON body ends with a newline, as Go's json.Encoder (kube-apiserver's serializer) writes it; line readers need it. */
function sendRaw(res: http.ServerResponse, code: number, body: string): void {
  const json = body + '\n';
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json), 'Cache-Control': 'no-cache, private' });
  res.end(json);
}

function setWarnings(res: http.ServerResponse, warnings: string[] | undefined): void {
  // kube-apiserver writes a warning's UTF-8 as it is; node refuses header characters past Latin-1
  // (and writes Latin-1 ones as UTF-8), so characters past ASCII go as \uXXXX escapes: a field
  // name with U+FEFF in it is a readable warning, not a 500 after the object was stored.
  if (warnings?.length) res.setHeader('Warning', warnings.map((w) => `299 - ${JSON.stringify(w).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}`));
}
