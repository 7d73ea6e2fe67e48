// For the storage and data-path tests: sim-test-cluster.ts's bare cluster, plus the project's
// CRDs (DataUpload, CSI snapshots), the velero and app namespaces, and a log of every Event
// write (Velero's data mover patches one Event per reason, so the stored Events alone do not
// show each report).
import type { KubeObject } from '../apiserver/types.ts';
import type { CrdObject } from '../apiserver/registry.ts';
import { loadManifests, PROJECT_CRD_FILES } from '../cluster/embedded.ts';
import type { BehaviourOverrides } from './behaviour.ts';
import { resourceInfo, type SimContext } from './context.ts';
import { simTestCluster } from './sim-test-cluster.ts';
import type { VirtualClock } from './virtual-clock.ts';

export interface EventWrite {
  /** Seconds since the start. */
  at: number;
  type: string;
  reason: string;
  message: string;
  count: number;
  involvedObject: Record<string, unknown>;
  source: Record<string, unknown>;
  event: KubeObject;
}

export interface StorageTestCluster {
  ctx: SimContext;
  clock: VirtualClock;
  /** Seconds of virtual time since the start. */
  elapsed(): number;
  /** Advances virtual time until check() holds; fails when it does not by `withinSeconds` from the start. */
  runUntil(check: () => boolean, withinSeconds: number): Promise<void>;
  /** Advances virtual time to `seconds` from the start, running everything due meanwhile. */
  runTo(seconds: number): Promise<void>;
  /** Every Event write (create, or update of an aggregated one) so far, in order. */
  events: EventWrite[];
  /** The Event writes about the object of this name. */
  eventsFor(name: string): EventWrite[];
}

export async function storageTestCluster(opts: { seed?: number; behaviour?: BehaviourOverrides } = {}): Promise<StorageTestCluster> {
  const base = simTestCluster(opts.seed ?? 1, opts.behaviour ?? {});
  const { api, clock } = base;
  for (const file of PROJECT_CRD_FILES) for (const crd of await loadManifests(file)) api.serveCrd(crd as unknown as CrdObject);
  const namespaces = resourceInfo(api, '', 'v1', 'namespaces');
  for (const name of ['velero', 'app']) api.create(namespaces, undefined, { metadata: { name } });
  const events: EventWrite[] = [];
  api.onWrite((info, cur) => {
    if (info.group !== '' || info.resource !== 'events' || !cur) return;
    const e = cur.obj as KubeObject & Record<string, any>;
    events.push({
      at: base.elapsed(),
      type: e.type,
      reason: e.reason,
      message: e.message,
      count: e.count,
      involvedObject: e.involvedObject,
      source: e.source,
      event: e,
    });
  });
  return {
    ctx: base.ctx,
    clock,
    elapsed: base.elapsed,
    async runUntil(check, withinSeconds) {
      const result = await clock.run(check, base.at(withinSeconds));
      if (!check()) throw new Error(`condition not met within ${withinSeconds} s of virtual time (clock: ${result})`);
    },
    async runTo(seconds) {
      await base.runUntil(seconds);
    },
    events,
    eventsFor: (name) => events.filter((e) => e.involvedObject.name === name),
  };
}
