// The settings `npm run advise` searches, and their values. It advises the settings a user
// controls, by the names a scenario file's parameters have (harness/scenario/file/load.ts):
// concurrency (loadConcurrency.globalConfig), data-mover-nodes (loadAffinity), prepare-queue-length,
// prepare-timeout and item-operation-timeout. A shipped scenario that declares some of them under
// these names works too (large-pvc, with backup-nodes in place of data-mover-nodes). What is
// searched where, and why, is docs/advise.md.
import { createHash } from 'node:crypto';
import { formatGoDuration, parseGoDuration } from '../../controller/duration.ts';
import type { FlowName } from '../../controller/flows/types.ts';
import type { Experiment, ParamValues, Scenario } from '../scenario/scenario.ts';
import type { ParamValue, SweepAxis } from '../scenario/sweep.ts';
import { saturatingConcurrency, settingBound, type SettingBound } from './bound.ts';

/** The advised settings, by parameter name. */
export const CONCURRENCY = 'concurrency';
/** Where data movers run: a file's data-mover-nodes (configured, all, or a label selector); a shipped scenario's backup-nodes (how many nodes are labelled for backups). */
export const NODE_SETTINGS = ['data-mover-nodes', 'backup-nodes'];
export const QUEUE = 'prepare-queue-length';
export const PREPARE_TIMEOUT = 'prepare-timeout';
export const ITEM_OPERATION_TIMEOUT = 'item-operation-timeout';

/** More concurrency values than this are tried as powers of two. */
const MAX_CONCURRENCY_STEPS = 6;

export interface AdviseContext {
  scenario: Scenario;
  /** The scenario's parameters: the file's own values, with --param over them. */
  base: ParamValues;
  /** Parameters given with --param: held at their value, never swept. */
  held: ReadonlySet<string>;
  flows: FlowName[];
  windowSeconds: number;
  /** seeds[0] runs the search; the others confirm. */
  seeds: number[];
}

/** Which of the advised settings the scenario declares, and the placement one under its name. */
export function advisedSettings(scenario: Scenario): string[] {
  const declared = new Set(scenario.params.map((p) => p.name));
  const nodes = NODE_SETTINGS.find((n) => declared.has(n));
  return [CONCURRENCY, ...(nodes ? [nodes] : []), QUEUE, PREPARE_TIMEOUT, ITEM_OPERATION_TIMEOUT].filter((n) => declared.has(n));
}

export function nodeSetting(scenario: Scenario): string | undefined {
  return NODE_SETTINGS.find((n) => scenario.params.some((p) => p.name === n));
}

/** Go duration as a user writes it: 4h, 1h30m, 10m, 45s (Go's own form is 4h0m0s). */
export function shortDuration(ms: number): string {
  return formatGoDuration(ms).replace(/([hm])0s$/, '$1').replace(/h0m$/, 'h');
}

/**
 * Where the search starts: the advised settings at the user's values, except the item operation
 * timeout, raised to the window when it is shorter: a DataUpload still running when it passes is
 * canceled, so a shorter one makes the window unreachable for a reason that is only a setting.
 */
export function startingSetting(ctx: AdviseContext): ParamValues {
  const out: ParamValues = {};
  for (const name of advisedSettings(ctx.scenario)) out[name] = ctx.base[name];
  const ito = out[ITEM_OPERATION_TIMEOUT];
  if (ito !== undefined && !ctx.held.has(ITEM_OPERATION_TIMEOUT) && parseGoDuration(String(ito), `--${ITEM_OPERATION_TIMEOUT}`) < ctx.windowSeconds * 1000) {
    out[ITEM_OPERATION_TIMEOUT] = shortDuration(ctx.windowSeconds * 1000);
  }
  return out;
}

export function build(ctx: AdviseContext, setting: ParamValues): Experiment {
  return ctx.scenario.build({ ...ctx.base, ...setting }, ctx.seeds[0]);
}

/**
 * What a run of this flow at this setting is made of: the flow, the experiment's data and the
 * flow's node-agent document. Two settings with one identity run the same (velero-1.16 has no
 * prepareQueueLength), so one run serves both and a tuning value that changes nothing is not tried.
 */
export function runIdentity(experiment: Experiment, flow: FlowName): string {
  return createHash('sha256').update(JSON.stringify({ flow, experiment, config: experiment.nodeAgentConfig(flow) })).digest('hex');
}

/** Each flow's bound at a setting; undefined where its loadAffinity admits no node. */
function boundsAt(ctx: AdviseContext, setting: ParamValues): Map<FlowName, SettingBound> | undefined {
  const experiment = build(ctx, setting);
  const out = new Map<FlowName, SettingBound>();
  for (const flow of ctx.flows) {
    const b = settingBound(experiment, flow);
    if (!b.nodes.length) return undefined;
    out.set(flow, b);
  }
  return out;
}

/**
 * The placement values: for data-mover-nodes, the file's own (configured), every node (all), and
 * each pool's labels as a selector, whole and one label at a time; for backup-nodes, the
 * scenario's value and every node. Values admitting the same nodes as an earlier one, or none,
 * are dropped, so each value is a different set of nodes.
 */
function placementValues(ctx: AdviseContext, start: ParamValues, name: string): ParamValue[] {
  const raw: ParamValue[] = [start[name]];
  if (name === 'data-mover-nodes') {
    raw.push('configured', 'all');
    for (const pool of build(ctx, start).nodes) {
      const labels = Object.entries(pool.labels ?? {}).map(([k, v]) => `${k}=${v}`);
      if (labels.length > 1) raw.push(labels.join(','));
      raw.push(...labels);
    }
  } else {
    raw.push(Number(ctx.base.nodes ?? start[name]));
  }
  const seen = new Set<string>();
  return raw.filter((v) => {
    const bounds = boundsAt(ctx, { ...start, [name]: v });
    if (!bounds) return false;
    const key = JSON.stringify([...bounds.values()].map((b) => b.nodes.map((n) => n.name)));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Concurrency from 1 to the value at which every admitted node's bandwidth is used (more slots
 * move no more data; the bound says so), as powers of two past a few steps, and the user's own.
 */
function concurrencyValues(ctx: AdviseContext, start: ParamValues, placements: ParamValues[]): number[] {
  const saturating = Math.max(
    ...placements.flatMap((p) => {
      const bounds = boundsAt(ctx, { ...start, ...p });
      return bounds ? [...bounds.values()].map(saturatingConcurrency) : [1];
    }),
  );
  const steps = saturating <= MAX_CONCURRENCY_STEPS ? Array.from({ length: saturating }, (_, i) => i + 1) : [...Array.from({ length: Math.floor(Math.log2(saturating)) + 1 }, (_, i) => 2 ** i), saturating];
  return [...new Set([...steps, Number(start[CONCURRENCY])])].sort((a, b) => a - b);
}

/** The grid of the first stage: concurrency x placement, each unless held with --param. */
export function gridAxes(ctx: AdviseContext, start: ParamValues): SweepAxis[] {
  const nodes = nodeSetting(ctx.scenario);
  const placement = nodes && !ctx.held.has(nodes) ? placementValues(ctx, start, nodes) : undefined;
  const axes: SweepAxis[] = [];
  if (start[CONCURRENCY] !== undefined && !ctx.held.has(CONCURRENCY)) {
    const placements = nodes && placement ? placement.map((v) => ({ [nodes]: v })) : [{}];
    axes.push({ name: CONCURRENCY, values: concurrencyValues(ctx, start, placements) });
  }
  if (nodes && placement) axes.push({ name: nodes, values: placement });
  return axes;
}

/**
 * The second stage's settings around one of the grid's best: prepareQueueLength at half, once
 * and twice the setting's slots (one pod ready per slot is what the queue is for; fewer starve
 * the slots, more only wait), and, only where DataUploads failed by the prepare timeout, the
 * timeout raised to the window (a shorter one can only fail DataUploads). Each with the other.
 * The queue only where it changes the flow's run (velero-1.16 has none).
 */
export function tuningSettings(ctx: AdviseContext, flow: FlowName, setting: ParamValues, slots: number, preparedTimedOut: boolean): ParamValues[] {
  const declared = new Set(advisedSettings(ctx.scenario));
  const queues = declared.has(QUEUE) && !ctx.held.has(QUEUE) && queueApplies(ctx, flow, setting) ? [...new Set([Math.max(1, Math.ceil(slots / 2)), slots, 2 * slots, Number(setting[QUEUE])])] : [setting[QUEUE]];
  const window = shortDuration(ctx.windowSeconds * 1000);
  const raise = declared.has(PREPARE_TIMEOUT) && !ctx.held.has(PREPARE_TIMEOUT) && preparedTimedOut && parseGoDuration(String(setting[PREPARE_TIMEOUT]), `--${PREPARE_TIMEOUT}`) < ctx.windowSeconds * 1000;
  const timeouts = raise ? [setting[PREPARE_TIMEOUT], window] : [setting[PREPARE_TIMEOUT]];
  return queues
    .flatMap((q) => timeouts.map((t) => ({ ...setting, ...(q !== undefined ? { [QUEUE]: q } : {}), ...(t !== undefined ? { [PREPARE_TIMEOUT]: t } : {}) })))
    .filter((s) => JSON.stringify(s) !== JSON.stringify(setting));
}

/** Whether prepareQueueLength changes this flow's run at this setting (it does not for velero-1.16). */
export function queueApplies(ctx: AdviseContext, flow: FlowName, setting: ParamValues): boolean {
  if (setting[QUEUE] === undefined) return false;
  return runIdentity(build(ctx, { ...setting, [QUEUE]: Number(setting[QUEUE]) + 1 }), flow) !== runIdentity(build(ctx, setting), flow);
}
