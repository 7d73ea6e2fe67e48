// A sweep (`npm run sweep`): a scenario's flows at every point of a grid of its parameters, and
// the sweep file that holds per point and flow the figures' means over the point's seeds. Pure:
// the grid from the --param options, each point's seeds, the means, and the frontier (where each
// flow starts timing out). Running it is harness/run/sweep-run.ts; the page is reports/sweep-html.ts.
import type { FlowName } from '../../controller/flows/types.ts';
import { parseParam, type ParamValues, type Scenario } from './scenario.ts';
import type { FlowResult } from './results.ts';

export const SWEEP_SCHEMA = 'datamover-bench/sweep@3';
/** Older sweep schemas and what changed, for the message that refuses them. */
export const OLDER_SWEEP_SCHEMAS: Record<string, string> = {
  'datamover-bench/sweep@1': 'its makespanRatio compared with the whole workload\'s bound, so failing early looked fast',
  'datamover-bench/sweep@2': 'its runs had no client-side rate limit and the flows of results@2',
};

export type ParamValue = number | string | boolean;

/** One swept parameter and its values, in the order given. */
export interface SweepAxis {
  name: string;
  values: ParamValue[];
}

/** What a sweep keeps of a run: the figures the map is made of (docs/design.md section 4). */
export interface SweepFigures {
  timeouts: number;
  idleCpuCoreSeconds: number;
  idleMemoryGiBSeconds: number;
  /** figures.ratioToLowerBound.makespan (to the bound of the completed work); null where nothing completed. */
  makespanRatio: number | null;
  completed: number;
  failed: number;
  canceled: number;
  unfinished: number;
  /** Steady-state checks that failed (harness/chaos/steady-state.ts). */
  steadyStateFailures: number;
}

export const SWEEP_FIGURES = ['timeouts', 'idleCpuCoreSeconds', 'idleMemoryGiBSeconds', 'makespanRatio', 'completed', 'failed', 'canceled', 'unfinished', 'steadyStateFailures'] as const satisfies readonly (keyof SweepFigures)[];

export interface SweepRun extends SweepFigures {
  seed: number;
  wallSeconds: number;
  /** CPU time of the run's process while it ran (FlowResult.cpuSeconds). */
  cpuSeconds?: number;
  /** "done", or "deadline" when the run was stopped unfinished. */
  endedBy: string;
}

export interface SweepPoint {
  /** The swept parameters' values at this point (the others are the sweep's `parameters`). */
  params: ParamValues;
  seeds: number[];
  /** Per flow: each figure's mean over the seeds, and each seed's run. */
  flows: Record<string, { mean: SweepFigures; runs: SweepRun[] }>;
}

export interface Sweep {
  schema: typeof SWEEP_SCHEMA;
  scenario: string;
  target: 'embedded';
  /** The swept parameters, in the order given; the first two are the heatmaps' axes. */
  axes: SweepAxis[];
  /** Every parameter that is not swept: its default, or the one value given with --param. */
  parameters: ParamValues;
  /** The parameters given a single value with --param (also in `parameters`). */
  fixed: ParamValues;
  flows: FlowName[];
  /** Point i runs seeds first + i*perPoint .. first + i*perPoint + perPoint - 1. */
  seeds: { first: number; perPoint: number };
  codeVersion: string;
  createdAt: string;
  wallSeconds: number;
  /** In grid order: the last axis changes fastest. */
  points: SweepPoint[];
}

export class SweepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SweepError';
  }
}

/**
 * The --param options ("name=v1,v2,...") checked against the scenario's parameters, each value
 * with parseParam. Parameters given one value are fixed settings; those given several are axes.
 */
export function parseSweepParams(scenario: Scenario, specs: string[]): { axes: SweepAxis[]; fixed: ParamValues } {
  const accepted = scenario.params.map((p) => p.name).join(', ');
  const axes: SweepAxis[] = [];
  const fixed: ParamValues = {};
  const seen = new Set<string>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new SweepError(`--param: ${JSON.stringify(spec)} is not accepted: NAME=VALUE,VALUE,... such as pvcs=30,60,120; ${scenario.name}'s parameters are ${accepted}`);
    const name = spec.slice(0, eq);
    const decl = scenario.params.find((p) => p.name === name);
    if (!decl) throw new SweepError(`--param: ${scenario.name} has no parameter "${name}": its parameters are ${accepted} (npm run sweep ${scenario.name} -- --help)`);
    if (seen.has(name)) throw new SweepError(`--param: ${name} is given twice: give all its values in one --param, such as ${name}=a,b,c`);
    seen.add(name);
    // parseParam's own message, naming the option as the user wrote it.
    const values = spec.slice(eq + 1).split(',').map((raw) => parseParam({ ...decl, name: `param ${name}` }, raw));
    const dup = values.find((v, i) => values.indexOf(v) !== i);
    if (dup !== undefined) throw new SweepError(`--param ${name}: ${JSON.stringify(dup)} is given twice: each value once`);
    if (values.length === 1) fixed[name] = values[0];
    else axes.push({ name, values });
  }
  if (!axes.length) throw new SweepError(`a sweep needs a --param with two or more values, such as --param ${scenario.params[0]?.name ?? 'NAME'}=a,b,c; for one setting, npm run scenario ${scenario.name}`);
  return { axes, fixed };
}

/** Every combination of the axes' values, the last axis changing fastest. */
export function expandGrid(axes: SweepAxis[]): ParamValues[] {
  let points: ParamValues[] = [{}];
  for (const a of axes) points = points.flatMap((p) => a.values.map((v) => ({ ...p, [a.name]: v })));
  return points;
}

/** A point's swept values as the page, the progress and the bench print them: "pvcs=60 concurrency=2". */
export function pointLabel(params: ParamValues): string {
  return Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ');
}

/** Each point on its own seeds: point i runs first + i*perPoint .. first + i*perPoint + perPoint - 1. */
export function pointSeeds(index: number, first: number, perPoint: number): number[] {
  return Array.from({ length: perPoint }, (_, k) => first + index * perPoint + k);
}

/** What a sweep keeps of one run. */
export function sweepRunOf(seed: number, r: FlowResult): SweepRun {
  const f = r.figures;
  const makespan = f.ratioToLowerBound.makespan;
  return {
    seed,
    wallSeconds: r.wallSeconds,
    ...(r.cpuSeconds !== undefined ? { cpuSeconds: r.cpuSeconds } : {}),
    endedBy: r.endedBy,
    timeouts: f.timeouts,
    idleCpuCoreSeconds: round(f.idleCpuCoreSeconds),
    idleMemoryGiBSeconds: round(f.idleMemoryGiBSeconds),
    makespanRatio: makespan ?? null,
    completed: f.completed,
    failed: f.failed,
    canceled: f.canceled,
    unfinished: f.unfinished,
    steadyStateFailures: (r.steadyState ?? []).filter((c) => !c.ok).length,
  };
}

/** Each figure's mean over the runs (null if any run's value is null). */
export function meanOf(runs: SweepFigures[]): SweepFigures {
  const mean = (k: keyof SweepFigures): number | null => {
    const xs = runs.map((r) => r[k]);
    if (xs.some((x) => x === null)) return null;
    return round((xs as number[]).reduce((a, b) => a + b, 0) / xs.length);
  };
  return Object.fromEntries(SWEEP_FIGURES.map((k) => [k, mean(k)])) as unknown as SweepFigures;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The point with these swept values. */
export function pointAt(sweep: Pick<Sweep, 'axes' | 'points'>, params: ParamValues): SweepPoint | undefined {
  return sweep.points.find((p) => sweep.axes.every((a) => p.params[a.name] === params[a.name]));
}

export interface FrontierRow {
  flow: string;
  /** The values of every axis but the first. */
  at: ParamValues;
  /** The first value of the first axis (in the order given) at which the flow loses DataUploads; null: none up to the last. */
  firstFailing: ParamValue | null;
}

/** DataUploads a run did not complete: failed (timeouts among them), canceled, or unfinished. */
export function notCompleted(m: Pick<SweepFigures, 'failed' | 'canceled' | 'unfinished'>): number {
  return m.failed + m.canceled + m.unfinished;
}

/**
 * Where each flow starts losing DataUploads: for each flow and each combination of the other
 * axes' values, the first point along the first axis where the mean of failed, canceled and
 * unfinished DataUploads is above 0 (a timeout is a failure or a cancel).
 */
export function frontier(sweep: Pick<Sweep, 'axes' | 'points' | 'flows'>): FrontierRow[] {
  const [first, ...rest] = sweep.axes;
  const rows: FrontierRow[] = [];
  for (const flow of sweep.flows) {
    for (const at of expandGrid(rest)) {
      const failing = first.values.find((v) => {
        const m = pointAt(sweep, { ...at, [first.name]: v })?.flows[flow]?.mean;
        return m !== undefined && notCompleted(m) > 0;
      });
      rows.push({ flow, at, firstFailing: failing ?? null });
    }
  }
  return rows;
}

/**
 * The sweep file's text: indented, but an object or list of plain values on one line, so a
 * point's figures read as one line each and a large grid stays small.
 */
export function sweepJson(sweep: Sweep): string {
  const write = (v: unknown, indent: string): string => {
    if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
    const list = Array.isArray(v);
    const entries = (list ? v.map((x) => [undefined, x]) : Object.entries(v).filter(([, x]) => x !== undefined)) as [string | undefined, unknown][];
    if (entries.every(([, x]) => x === null || typeof x !== 'object')) return JSON.stringify(v);
    const inner = indent + '  ';
    const body = entries.map(([k, x]) => `${inner}${k === undefined ? '' : `${JSON.stringify(k)}: `}${write(x, inner)}`).join(',\n');
    return list ? `[\n${body}\n${indent}]` : `{\n${body}\n${indent}}`;
  };
  return write(sweep, '') + '\n';
}

/** A frontier cell: the first failing value, or "none up to" the last; strings quoted, so `none up to "none"` reads. */
export function frontierText(firstFailing: ParamValue | null, last: ParamValue): string {
  const text = (v: ParamValue) => (typeof v === 'string' ? JSON.stringify(v) : String(v));
  return firstFailing === null ? `none up to ${text(last)}` : text(firstFailing);
}

/** The frontier for a terminal: flow | the other axes | first failing value of the first axis. */
export function frontierTable(sweep: Pick<Sweep, 'axes' | 'points' | 'flows'>): string {
  const [first, ...rest] = sweep.axes;
  const last = first.values[first.values.length - 1];
  const header = ['flow', ...rest.map((a) => a.name), `first failing ${first.name}`];
  const body = frontier(sweep).map((r) => [r.flow, ...rest.map((a) => String(r.at[a.name])), frontierText(r.firstFailing, last)]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((row) => row[i].length)));
  const line = (row: string[]) => row.map((c, i) => (i === 0 || i === row.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
