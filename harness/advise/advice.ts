// The advice file (reports/out/advise-NAME/advise.json) and what the terminal shows of it: per
// flow the recommended setting and its figures, or "none meets the window" with what limits it
// and the closest setting found; then the node-agent ConfigMap of the flow a user can run today,
// and the two flags that are not in it. The page (reports/advise-html.ts) reads the same file.
import type { FlowName } from '../../controller/flows/types.ts';
import type { ParamValues } from '../scenario/scenario.ts';
import type { SweepAxis } from '../scenario/sweep.ts';
import { advisedSettings, type AdviseContext } from './candidates.ts';
import { flagLines } from './configmap.ts';
import type { Choice, FlowAdvice, SearchResult } from './search.ts';
import { boundText, meetsWindow, seconds, type Candidate } from './select.ts';

export const ADVICE_SCHEMA = 'datamover-bench/advise@1';

/** Flows Velero ships, newest first: the ConfigMap printed is the first of them with advice. */
const SHIPPED: FlowName[] = ['velero-1.17', 'velero-1.16'];

export interface Advice {
  schema: typeof ADVICE_SCHEMA;
  scenario: string;
  /** The scenario file, when advice was asked for one. */
  file?: string;
  target: 'embedded';
  windowSeconds: number;
  /** The first runs the search; every one confirms the recommendation. */
  seeds: number[];
  flows: FlowName[];
  /** The advised settings, in the order shown. */
  settings: string[];
  /** The user's values of every parameter (the file's, with --param over them). */
  parameters: ParamValues;
  /** Parameters given with --param: held, not swept. */
  held: string[];
  /** Where the search started: the user's values, the item operation timeout raised to the window. */
  start: ParamValues;
  /** The first stage's grid. */
  axes: SweepAxis[];
  advice: FlowAdvice[];
  /** The flow whose ConfigMap the terminal prints, and why that one. */
  printed: { flow: FlowName; heading: string } | null;
  /** Every setting tried or pruned, per flow, with its runs. */
  candidates: Candidate[];
  runs: number;
  codeVersion: string;
  createdAt: string;
  wallSeconds: number;
}

export function adviceDocument(ctx: AdviseContext, r: SearchResult, meta: { file?: string; codeVersion: string; createdAt: string; wallSeconds: number }): Advice {
  return {
    schema: ADVICE_SCHEMA,
    scenario: ctx.scenario.name,
    ...(meta.file ? { file: meta.file } : {}),
    target: 'embedded',
    windowSeconds: ctx.windowSeconds,
    seeds: ctx.seeds,
    flows: ctx.flows,
    settings: advisedSettings(ctx.scenario),
    parameters: ctx.base,
    held: [...ctx.held],
    start: r.start,
    axes: r.axes,
    advice: r.flows,
    printed: printedFlow(r.flows),
    candidates: r.candidates,
    runs: r.runs,
    codeVersion: meta.codeVersion,
    createdAt: meta.createdAt,
    wallSeconds: meta.wallSeconds,
  };
}

/**
 * Whose ConfigMap to print: the newest Velero a user can run that meets the window; else the
 * first flow that does (a proposal, said so); else Velero's newest, closest setting, said so.
 */
export function printedFlow(advice: FlowAdvice[]): Advice['printed'] {
  const by = (f: FlowName) => advice.find((a) => a.flow === f);
  const shipped = SHIPPED.map(by).filter((a): a is FlowAdvice => a !== undefined);
  const meets = shipped.find((a) => a.recommended);
  if (meets) return { flow: meets.flow, heading: meets.flow === 'velero-1.17' ? 'velero-1.17, what Velero ships (v1.17 and later)' : 'velero-1.16, Velero before v1.17 (no prepareQueueLength); velero-1.17 does not meet the window here' };
  const proposal = advice.find((a) => a.recommended);
  if (proposal) return { flow: proposal.flow, heading: `${proposal.flow}, which Velero does not ship (docs/proposal.md)${shipped.length ? `: ${shipped.map((a) => a.flow).join(' and ')} meet no setting here` : ''}` };
  // None meets: the closest setting run, if any ran (when every one was pruned there is nothing to apply).
  const closest = [...shipped, ...advice].find((a) => a.closest);
  return closest ? { flow: closest.flow, heading: `${closest.flow}'s closest setting: it does NOT end every DataUpload inside the window` } : null;
}

/** "concurrency 3 (yours 2), data-mover-nodes all (yours configured), prepare-timeout 30m". */
export function settingText(a: Pick<Advice, 'settings' | 'parameters'>, setting: ParamValues, notApplicable: string[] = []): string {
  return a.settings
    .filter((n) => n in setting && !notApplicable.includes(n))
    .map((n) => `${n} ${setting[n]}${setting[n] !== a.parameters[n] ? ` (yours ${a.parameters[n]})` : ''}`)
    .join(', ');
}

function choiceFigures(c: Choice): string {
  const s = c.summary;
  const range = c.seeds.length > 1 ? ` worst of ${c.seeds.length} seeds (${Math.round(c.makespanRange[0]).toLocaleString('en-US')}..${Math.round(c.makespanRange[1]).toLocaleString('en-US')})` : ` (seed ${c.seeds[0]})`;
  const mean = c.seeds.length > 1 ? ' (means)' : '';
  return `makespan ${seconds(s.makespanSeconds)}${range}, idle CPU ${Math.round(s.idleCpuCoreSeconds).toLocaleString('en-US')} core-s and memory ${Math.round(s.idleMemoryGiBSeconds).toLocaleString('en-US')} GiB-s${mean}, completed ${s.completed}/${s.dataUploads}${c.seeds.length > 1 ? ' on every seed' : ''}`;
}

/**
 * How far inside the window the worst seed ended, beside how much the seeds moved the makespan:
 * a margin smaller than that spread is a fit another seed (another night) may not keep.
 */
export function marginText(c: Choice, windowSeconds: number): string {
  const margin = (windowSeconds - c.summary.makespanSeconds) / windowSeconds;
  const [lo, hi] = c.makespanRange;
  const spread = c.seeds.length > 1 ? (hi - lo) / ((hi + lo) / 2) : undefined;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const moved = spread === undefined ? 'one seed: what the seed moves is not measured' : `the seeds moved the makespan by ${pct(spread)}`;
  const tight = spread !== undefined && margin < spread ? ': a tight fit, try --seeds 5 or a longer window' : '';
  return `${pct(margin)} inside the window; ${moved}${tight}`;
}

/** How the user's own setting did (seed 1 of the grid), for comparison: run, or pruned by its bound. */
export function yoursText(a: Pick<Advice, 'candidates' | 'start' | 'windowSeconds' | 'seeds'>, flow: FlowName): string | undefined {
  const mine = a.candidates.find((c) => c.flow === flow && c.stage === 'grid' && JSON.stringify(c.setting) === JSON.stringify(a.start));
  if (!mine) return undefined;
  if (mine.pruned) return `at your settings: ${boundText(mine, a.windowSeconds).text}`;
  const r = mine.runs.find((x) => x.seed === a.seeds[0]);
  if (!r) return undefined;
  return `at your settings (seed ${r.seed}): ${r.completed}/${r.dataUploads} completed, the last after ${seconds(r.makespanSeconds)}, idle CPU ${Math.round(r.idleCpuCoreSeconds).toLocaleString('en-US')} core-s${meetsWindow(r, a.windowSeconds) ? '' : ': does not meet the window'}`;
}

function countsText(f: FlowAdvice): string {
  return `${f.counts.settings} settings: ${f.counts.run} run (${f.counts.runs} runs over the seeds), ${f.counts.pruned} pruned by the lower bound`;
}

/** The terminal's report of an advice file. */
export function adviceText(a: Advice): string {
  const width = Math.max(...a.advice.map((f) => f.flow.length));
  const lines: string[] = [];
  for (const f of a.advice) {
    const pad = ' '.repeat(width + 2);
    if (f.recommended) {
      const asYours = JSON.stringify(f.recommended.setting) === JSON.stringify(a.start);
      lines.push(`${f.flow.padEnd(width)}  meets the window${asYours ? ' as you have it' : ''}: ${settingText(a, f.recommended.setting, f.notApplicable)}`);
      lines.push(`${pad}${choiceFigures(f.recommended)}`);
      lines.push(`${pad}${marginText(f.recommended, a.windowSeconds)}`);
    } else {
      lines.push(`${f.flow.padEnd(width)}  none meets the window: ${f.limit!.kind}: ${f.limit!.text}`);
      if (f.closest) lines.push(`${pad}closest: ${settingText(a, f.closest.setting, f.notApplicable)}: ${choiceFigures(f.closest)}`);
    }
    const yours = f.recommended && JSON.stringify(f.recommended.setting) === JSON.stringify(a.start) ? undefined : yoursText(a, f.flow);
    if (yours && !(f.limit && yours.endsWith(f.limit.text))) lines.push(`${pad}${yours}`);
    lines.push(`${pad}searched ${countsText(f)}`);
  }
  const printed = a.advice.find((f) => f.flow === a.printed?.flow);
  if (!a.printed) lines.push('', 'No ConfigMap is printed: every setting was ruled out by its lower bound before running; the limit is above.');
  if (printed && a.printed) {
    lines.push('', `Requests: ${printed.requestsNote}.`);
    lines.push('', `The node-agent ConfigMap for ${a.printed.heading}; kubectl apply -f it:`, '', '---', printed.applied.configMap.trimEnd(), '---', '');
    lines.push('And the two settings that are flags, not ConfigMap keys:', ...flagLines(printed.applied).map((l) => `  ${l}`));
  }
  return lines.join('\n');
}
