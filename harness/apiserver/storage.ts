// The object store: one resourceVersion counter, a table per group/resource, per-resource
// watch history for replay and 410 Gone, and consistent snapshots for paging.
// Stored objects are never mutated: every write stores a new object, so history entries,
// open watches and cached JSON can share them safely.
import { ApiError, errors } from './errors.ts';
import type { KubeObject } from './types.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One version of an object, with its JSON cached on first use. */
export class Stored {
  private cachedJson: string | undefined;
  constructor(
    readonly obj: KubeObject,
    readonly rv: number,
  ) {}
  get json(): string {
    if (this.cachedJson === undefined) this.cachedJson = JSON.stringify(this.obj);
    return this.cachedJson;
  }
  get key(): string {
    return objectKey(this.obj.metadata.namespace, this.obj.metadata.name!);
  }
  /** The same object carrying another resourceVersion (DELETED events carry the deletion's version). */
  withResourceVersion(rv: number): Stored {
    return new Stored({ ...this.obj, metadata: { ...this.obj.metadata, resourceVersion: String(rv) } }, rv);
  }
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

interface HistoryEntry {
  type: EventType;
  rv: number;
  cur: Stored;
  prev?: Stored;
}

/** A consumer of a resource's change stream (an open watch). */
export interface WatchSink {
  /** Namespace the watch is limited to, if any. */
  namespace?: string;
  /** Label/field selector of the watch. */
  matches(obj: KubeObject): boolean;
  send(type: EventType, obj: Stored): void;
  /** Ends the watch because its history is gone (410); the sink sends the ERROR event. */
  expire(): void;
}

export class ResourceTable {
  readonly objects = new Map<string, Stored>();
  readonly watchers = new Set<WatchSink>();
  private history: HistoryEntry[] = [];
  private historyHead = 0;
  /** Events at or below this version are no longer kept: older watches get 410 Gone. */
  compactedRv = 0;
  private sortedKeys: string[] | null = null;

  constructor(
    readonly groupResource: string,
    private readonly historyLimit: number,
    /** Versions before the store began count as compacted, as on a long-running etcd. */
    firstRv: number,
  ) {
    this.compactedRv = firstRv;
  }

  get(key: string): Stored | undefined {
    return this.objects.get(key);
  }

  /** Keys in etcd order (namespace/name), cached until the key set changes. */
  keys(): string[] {
    if (!this.sortedKeys) this.sortedKeys = [...this.objects.keys()].sort();
    return this.sortedKeys;
  }

  record(type: EventType, cur: Stored, prev?: Stored): void {
    const key = cur.key;
    if (type === 'DELETED') {
      this.objects.delete(key);
      this.sortedKeys = null;
    } else {
      if (!this.objects.has(key)) this.sortedKeys = null;
      this.objects.set(key, cur);
    }
    this.history.push({ type, rv: cur.rv, cur, prev });
    if (this.history.length - this.historyHead > this.historyLimit) {
      this.compactedRv = this.history[this.historyHead].rv;
      this.historyHead++;
      if (this.historyHead > 1024 && this.historyHead * 2 > this.history.length) {
        this.history = this.history.slice(this.historyHead);
        this.historyHead = 0;
      }
    }
    for (const w of this.watchers) deliver(w, type, cur, prev);
  }

  /** Events after rv, for a watch resuming from it. Throws 410 Gone when they are no longer kept. */
  eventsSince(rv: number): HistoryEntry[] {
    if (rv < this.compactedRv) {
      throw errors.gone(`too old resource version: ${rv} (${this.compactedRv + 1})`);
    }
    const out: HistoryEntry[] = [];
    for (let i = this.history.length - 1; i >= this.historyHead && this.history[i].rv > rv; i--) {
      out.push(this.history[i]);
    }
    return out.reverse();
  }

  /** Replays history since rv to a new watcher, then keeps it subscribed. */
  subscribe(sink: WatchSink, sinceRv: number): () => void {
    for (const e of this.eventsSince(sinceRv)) deliver(sink, e.type, e.cur, e.prev);
    this.watchers.add(sink);
    return () => this.watchers.delete(sink);
  }

  /** The objects as they were at rv (consistent list pages, resourceVersionMatch=Exact). */
  snapshotAt(rv: number): Map<string, Stored> {
    const later = this.eventsSince(rv);
    if (later.length === 0) return this.objects;
    const snap = new Map(this.objects);
    for (let i = later.length - 1; i >= 0; i--) {
      const e = later[i];
      if (e.type === 'ADDED') snap.delete(e.cur.key);
      else if (e.prev) snap.set(e.prev.key, e.prev);
    }
    return snap;
  }

  /** Forgets all history (fault injection: the next watch from an old version gets 410). */
  compact(currentRv: number): void {
    this.compactedRv = currentRv;
    this.history = [];
    this.historyHead = 0;
  }
}

/** Sends one change to a watcher, turning selector transitions into ADDED / DELETED as the watch cache does. */
function deliver(w: WatchSink, type: EventType, cur: Stored, prev?: Stored): void {
  const ns = cur.obj.metadata.namespace;
  if (w.namespace && w.namespace !== ns) return;
  const curMatches = w.matches(cur.obj);
  if (type !== 'MODIFIED') {
    if (curMatches) w.send(type, cur);
    return;
  }
  const prevMatches = prev ? w.matches(prev.obj) : false;
  if (curMatches && prevMatches) w.send('MODIFIED', cur);
  else if (curMatches) w.send('ADDED', cur);
  else if (prevMatches && prev) w.send('DELETED', prev.withResourceVersion(cur.rv));
}

/**
 * The largest object stored: etcd's default --max-request-bytes, 1.5 MiB. kube-apiserver passes
 * etcd's refusal through ("etcdserver: request is too large"); here it is a 413. Without it,
 * patches that each stay under the 3 MiB body limit could grow one object without bound.
 */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

export class ObjectStore {
  private rv: number;
  private readonly firstRv: number;
  private readonly tables = new Map<string, ResourceTable>();
  /** uid -> where the object lives, for owner lookups. */
  readonly byUid = new Map<string, { table: ResourceTable; key: string }>();
  /** owner uid -> dependents' (table, key). */
  readonly dependents = new Map<string, Set<string>>();

  constructor(
    private readonly historyLimit = 10_000,
    startRv = 1000,
  ) {
    this.rv = startRv;
    this.firstRv = startRv;
  }

  get currentRv(): number {
    return this.rv;
  }

  table(groupResource: string): ResourceTable {
    let t = this.tables.get(groupResource);
    if (!t) {
      t = new ResourceTable(groupResource, this.historyLimit, this.firstRv);
      this.tables.set(groupResource, t);
    }
    return t;
  }

  allTables(): ResourceTable[] {
    return [...this.tables.values()];
  }

  /** Stores obj as a new version (create or update) and tells the watchers. Returns what was stored. */
  put(table: ResourceTable, obj: KubeObject): Stored {
    const rv = this.rv + 1;
    const stored = new Stored({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } }, rv);
    // etcd refuses a value over its --max-request-bytes; checked before anything changes.
    const json = stored.json;
    if (json.length * 3 > MAX_OBJECT_BYTES && Buffer.byteLength(json) > MAX_OBJECT_BYTES) {
      throw new ApiError(413, 'RequestEntityTooLarge', `etcdserver: request is too large: the object is ${Buffer.byteLength(json)} bytes, the limit ${MAX_OBJECT_BYTES}`);
    }
    this.rv = rv;
    const prev = table.get(stored.key);
    this.indexOwners(table, stored, prev);
    table.record(prev ? 'MODIFIED' : 'ADDED', stored, prev);
    return stored;
  }

  /** Removes an object for good and tells the watchers. */
  remove(table: ResourceTable, prev: Stored): Stored {
    const rv = ++this.rv;
    const gone = prev.withResourceVersion(rv);
    this.indexOwners(table, undefined, prev);
    table.record('DELETED', gone, prev);
    return gone;
  }

  private indexOwners(table: ResourceTable, cur: Stored | undefined, prev: Stored | undefined): void {
    const ref = `${table.groupResource}|${(cur ?? prev)!.key}`;
    for (const o of prev?.obj.metadata.ownerReferences ?? []) this.dependents.get(o.uid)?.delete(ref);
    if (prev?.obj.metadata.uid && !cur) this.byUid.delete(prev.obj.metadata.uid);
    if (cur) {
      if (cur.obj.metadata.uid) this.byUid.set(cur.obj.metadata.uid, { table, key: cur.key });
      for (const o of cur.obj.metadata.ownerReferences ?? []) {
        let set = this.dependents.get(o.uid);
        if (!set) this.dependents.set(o.uid, (set = new Set()));
        set.add(ref);
      }
    }
  }

  /** Dependents of an owner, as (table, key) pairs. */
  dependentsOf(ownerUid: string): { table: ResourceTable; key: string }[] {
    const set = this.dependents.get(ownerUid);
    if (!set) return [];
    return [...set].map((ref) => {
      const bar = ref.indexOf('|');
      return { table: this.table(ref.slice(0, bar)), key: ref.slice(bar + 1) };
    });
  }
}
