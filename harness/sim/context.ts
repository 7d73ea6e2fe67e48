// What every simulated component of the embedded cluster is given, and the two mechanisms
// they share: a work queue that counts as work for the virtual clock, and subscriptions to
// committed changes of one resource.
//
// The simulated components (scheduler, kubelets, CSI, data path) are part of the cluster, as
// KWOK's controller is: they act on the API server's storage in-process, through the same
// semantics (validation, resourceVersion, watch events), so every change they make reaches the
// controller through its watches exactly as it would on kind.
import type { KubeApi } from '../apiserver/api.ts';
import { groupResource } from '../apiserver/registry.ts';
import { cloneJson } from '../apiserver/patch.ts';
import type { Stored } from '../apiserver/storage.ts';
import type { KubeObject, ResourceInfo } from '../apiserver/types.ts';
import type { Clock, WorkTracker } from '../clock.ts';
import type { Random } from '../random.ts';
import type { ClusterBehaviour } from './behaviour.ts';

export { NO_TRACKING, type WorkTracker } from '../clock.ts';

/**
 * Where a volume can be reached from: anywhere (none), only the node it lives on (node-local:
 * csi-driver-host-path, local volumes), or only its zone (zonal: cloud block storage).
 */
export type StorageTopology = 'none' | 'node-local' | 'zonal';
export const STORAGE_TOPOLOGIES: StorageTopology[] = ['none', 'node-local', 'zonal'];

export interface SimContext {
  api: KubeApi;
  clock: Clock;
  work: WorkTracker;
  /** The run's generator; components fork their own stream by name. */
  random: Random;
  behaviour: ClusterBehaviour;
  /** Where the CSI driver's volumes can be attached from (PV nodeAffinity); default none. */
  storageTopology?: StorageTopology;
}

/** Runs queued functions in order, off the caller's stack, each counted as work until it has run. */
export class WorkQueue {
  private items: (() => void)[] = [];
  private scheduled = false;

  constructor(private readonly work: WorkTracker) {}

  push(fn: () => void): void {
    this.work.begin();
    this.items.push(fn);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  get length(): number {
    return this.items.length;
  }

  private drain(): void {
    this.scheduled = false;
    while (this.items.length) {
      const fn = this.items.shift()!;
      try {
        fn();
      } catch (e) {
        console.error('embedded cluster: a simulated component failed:', e);
      } finally {
        this.work.end();
      }
    }
  }
}

/** Calls fn (through the queue) for every committed change of group/resource: (current or undefined when deleted, previous). */
export function onChange(
  ctx: SimContext,
  queue: WorkQueue,
  group: string,
  resource: string,
  fn: (cur: KubeObject | undefined, prev: KubeObject | undefined) => void,
): void {
  const wanted = groupResource(group, resource);
  ctx.api.onWrite((info: ResourceInfo, cur: Stored | undefined, prev: Stored | undefined) => {
    if (groupResource(info.group, info.resource) !== wanted) return;
    queue.push(() => fn(cur?.obj, prev?.obj));
  });
}

/** The served ResourceInfo for a built-in or installed resource; throws when it is not served. */
export function resourceInfo(api: KubeApi, group: string, version: string, resource: string): ResourceInfo {
  const info = api.lookup(group, version, resource);
  if (!info) throw new Error(`the embedded cluster does not serve ${group || 'core'}/${version} ${resource}`);
  return info;
}

/**
 * Reads the live object, applies mutate to a copy and writes it back as a server-internal
 * update (the component owns the fields it mutates). Returns the stored object, or undefined
 * when the object is gone or mutate returned false (nothing to change).
 */
export function mutate(
  api: KubeApi,
  info: ResourceInfo,
  namespace: string | undefined,
  name: string,
  change: (obj: Record<string, any>) => boolean | void,
): KubeObject | undefined {
  const table = api.table(info);
  const key = info.namespaced ? `${namespace}/${name}` : name;
  const live = table.get(key);
  if (!live) return undefined;
  const next = cloneJson(live.obj) as Record<string, any>;
  if (change(next) === false) return undefined;
  return api.commit(info, table, next as KubeObject, live).obj;
}
