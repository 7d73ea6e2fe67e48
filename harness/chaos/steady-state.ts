// After every run, per flow: is the cluster back in a steady state, and is every failure
// accounted for? (krkn's post-scenario checks, Litmus's steady-state hypothesis.) A flow that
// leaves a DataUpload stuck, an object behind or a slot held fails a check, whatever its
// figures say.
import type { RunRecord } from '../figures/figures.ts';
import type { FaultRecord } from './injector.ts';

export interface SteadyStateCheck {
  name: 'all-terminal' | 'nothing-leaked' | 'no-slot-held' | 'failures-explained';
  ok: boolean;
  detail: string;
}

export interface SteadyStateInput {
  record: RunRecord;
  /** Objects of the exposer still present after the run, by kind. */
  leftovers: Record<string, string[]>;
  /** Per node-agent, the DataUploads still holding one of its concurrency slots. */
  slotsHeld: Record<string, string[]>;
}

export function steadyStateChecks(s: SteadyStateInput): SteadyStateCheck[] {
  const unfinished = s.record.dataUploads.filter((d) => !d.outcome);
  const leaked = Object.entries(s.leftovers).filter(([, names]) => names.length);
  const held = Object.entries(s.slotsHeld).filter(([, dus]) => dus.length);
  const unexplained = s.record.dataUploads.filter((d) => d.outcome && d.outcome !== 'Completed' && (!d.reason || d.reason === 'unknown'));
  const list = (names: string[]) => (names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', '));
  return [
    {
      name: 'all-terminal',
      ok: unfinished.length === 0,
      detail: unfinished.length ? `${unfinished.length} DataUpload(s) not terminal: ${list(unfinished.map((d) => `${d.name} (${d.phases[d.phases.length - 1]?.phase})`))}` : `${s.record.dataUploads.length} DataUploads terminal`,
    },
    {
      name: 'nothing-leaked',
      ok: leaked.length === 0,
      detail: leaked.length ? leaked.map(([kind, names]) => `${kind}: ${list(names)}`).join('; ') : 'no data-mover pod, backup PVC, VolumeSnapshot or content left',
    },
    {
      name: 'no-slot-held',
      ok: held.length === 0,
      // A slot held for a DataUpload that has ended is a leak: its data path was never closed
      // (velero-1.17's forced cancel does not close it, docs/chaos.md); one not ended still waits.
      detail: held.length ? held.map(([node, dus]) => `${node} holds ${list(dus.map((du) => heldFor(du, s.record)))}`).join('; ') : 'every concurrency slot free',
    },
    {
      name: 'failures-explained',
      ok: unexplained.length === 0,
      detail: unexplained.length ? `no reason recorded for ${list(unexplained.map((d) => d.name))}` : 'every failed or canceled DataUpload has a reason',
    },
  ];
}

function heldFor(name: string, record: RunRecord): string {
  const outcome = record.dataUploads.find((d) => d.name === name)?.outcome;
  return outcome ? `${name} (${outcome}: a data path never closed, its slot leaked)` : name;
}

/** How long after a fault ends its effects may still fail a DataUpload (pods lost after the 300 s toleration, clean-up). */
export const ATTRIBUTION_GRACE_SECONDS = 600;

/**
 * The fault each failed or canceled DataUpload is attributed to: the latest one that had
 * started by the failure, had not ended more than the grace before it, and acted on the
 * DataUpload's node (its status.node or its pod's) or on the whole cluster. A DataUpload
 * canceled by a node-agent's start (reason node-agent-restart: velero-1.16 cancels every
 * Accepted one) goes to the fault that restarted that node-agent: the node-failure or
 * node-agent-restart that ended last before it. One ended by the item operation timeout, or by
 * the prepare timeout, was stuck in its last phase: a fault any time during that phase counts
 * (a node-agent down when its pod turned Running never hears of it, so velero-1.17 leaves the
 * DataUpload Accepted until the prepare timeout). None: not a fault's doing (a flow's own
 * timeout with no fault on its nodes, say).
 */
/** How soon the DataUploads a fault ended were ended (docs/design.md section 4.10). */
export interface FaultEnds {
  /** Failed or canceled DataUploads attributed to a fault. */
  dataUploads: number;
  /** The most seconds from a fault's start to the end of a DataUpload attributed to it; 0: none. */
  maxSeconds: number;
  /** Those ended more than ten minutes after their fault started. */
  overTenMinutes: number;
}

/** From the attribution (attributeFailures): each attributed DataUpload's terminal time less its fault's start. */
export function faultEnds(record: RunRecord, faults: FaultRecord[], attribution: Map<string, string> | Record<string, string>): FaultEnds {
  const byName = attribution instanceof Map ? attribution : new Map(Object.entries(attribution));
  const started = new Map(faults.map((f) => [f.name, f.startedAt]));
  let n = 0;
  let max = 0;
  let over = 0;
  for (const d of record.dataUploads) {
    const fault = byName.get(d.name);
    const at = fault === undefined ? null : started.get(fault);
    if (at === null || at === undefined || !d.outcome) continue;
    const seconds = Math.max(0, d.phases[d.phases.length - 1].at - at);
    n++;
    max = Math.max(max, seconds);
    if (seconds > 600) over++;
  }
  return { dataUploads: n, maxSeconds: Math.round(max * 10) / 10, overTenMinutes: over };
}

export function attributeFailures(record: RunRecord, faults: FaultRecord[]): Map<string, string> {
  const podNodes = new Map<string, Set<string>>();
  for (const p of record.pods) {
    if (!p.node) continue;
    let s = podNodes.get(p.dataUpload);
    if (!s) podNodes.set(p.dataUpload, (s = new Set()));
    s.add(p.node);
  }
  const out = new Map<string, string>();
  // Fault times are kept to the millisecond; the record's are not rounded.
  const EPS = 0.001;
  for (const d of record.dataUploads) {
    if (!d.outcome || d.outcome === 'Completed') continue;
    const at = d.phases[d.phases.length - 1].at;
    let best: FaultRecord | undefined;
    if (d.reason === 'node-agent-restart') {
      for (const f of faults) {
        if ((f.kind !== 'node-failure' && f.kind !== 'node-agent-restart') || f.endedAt === undefined) continue;
        if (f.endedAt > at + EPS || f.endedAt + ATTRIBUTION_GRACE_SECONDS < at) continue;
        if (!best || f.endedAt >= best.endedAt!) best = f;
      }
      if (best) out.set(d.name, best.name);
      continue;
    }
    // Ended by the item operation timeout: it was stuck in its last phase since it entered it,
    // so a fault any time during that phase may have stuck it.
    const stuck = d.reason === 'operation-timeout' || d.reason === 'prepare-timeout';
    const since = stuck && d.phases.length > 1 ? d.phases[d.phases.length - 2].at : at;
    const nodes = new Set([...(podNodes.get(d.name) ?? []), ...(d.node ? [d.node] : [])]);
    for (const f of faults) {
      if (f.startedAt === null || f.startedAt > at + EPS || (f.endedAt ?? Infinity) + ATTRIBUTION_GRACE_SECONDS < since) continue;
      if (f.node !== undefined && !nodes.has(f.node)) continue;
      if (f.dataUploads !== undefined && !f.dataUploads.includes(d.name)) continue;
      if (!best || f.startedAt >= best.startedAt!) best = f;
    }
    if (best) out.set(d.name, best.name);
  }
  return out;
}
