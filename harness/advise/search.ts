// The search of `npm run advise`, in three stages so the runs stay few (docs/advise.md):
//  1. the grid: concurrency x data-mover-nodes at the user's other settings, on the first seed;
//     a point whose lower bound already exceeds the window is pruned, not run;
//  2. tuning: around each flow's two best points of the grid, prepareQueueLength and (where
//     DataUploads failed by it) the prepare timeout, on the first seed; then the queue halved
//     while the smallest tried holds least idle, up to QUEUE_ROUNDS times;
//  3. confirming: each flow's best setting that meets the window on the first seed runs on the
//     other seeds; if it fails one, the next best is confirmed, up to CONFIRM_ROUNDS times.
// Every decision depends only on the runs' figures, and each run on its own seeded cluster, so
// the advice does not depend on how many runs go at once. Running them is a RunBatch (run-batch.ts).
import type { FlowName } from '../../controller/flows/types.ts';
import { parseCpu } from '../../controller/quantity.ts';
import { scenarioRef, type FlowJob } from '../run/flow-run.ts';
import type { FlowResult } from '../scenario/results.ts';
import type { ParamValues } from '../scenario/scenario.ts';
import { expandGrid, pointLabel, type SweepAxis } from '../scenario/sweep.ts';
import { boundLimit, settingBound } from './bound.ts';
import { build, gridAxes, QUEUE, queueApplies, runIdentity, startingSetting, tuningSettings, type AdviseContext } from './candidates.ts';
import { appliedSettings, type Applied } from './configmap.ts';
import { flowLimit, ranked, runsOn, selectRecommendation, summarize, type Candidate, type Limit, type RunFigures, type Summary } from './select.ts';

/** Grid points per flow that the second stage tunes. */
const TUNED_POINTS = 2;
/** Times the queue is halved further where the smallest tried held least idle. */
const QUEUE_ROUNDS = 3;
/** Settings per flow tried on the other seeds before the answer is "none holds on every seed". */
const CONFIRM_ROUNDS = 3;
/** Pods Pending longer than this on average, each, say the requests may not fit. */
const PENDING_NOTE_SECONDS = 60;

/** Runs flow jobs; `groups` are the progress lines (indexes into jobs). Results in the jobs' order. */
export type RunBatch = (title: string, jobs: FlowJob[], groups: { label: string; jobs: number[] }[]) => Promise<FlowResult[]>;

export interface Choice {
  setting: ParamValues;
  stage: Candidate['stage'];
  seeds: number[];
  summary: Summary;
  /** The makespan's lowest and highest over the seeds: what the seed moves at this setting. */
  makespanRange: [number, number];
}

export interface FlowAdvice {
  flow: FlowName;
  /** Set when a setting meets the window on every seed. */
  recommended?: Choice;
  /** Otherwise: what limits the flow, and the setting that came closest (none if every setting was pruned). */
  limit?: Limit;
  closest?: Choice;
  /** The ConfigMap and flags of the recommended (else the closest, else the starting) setting. */
  applied: Applied;
  /** Advised settings that do not change this flow's run (velero-1.16 has no prepareQueueLength). */
  notApplicable: string[];
  counts: { settings: number; run: number; pruned: number; runs: number };
  /** About the pods' requests: kept as the user's, and whether pods waited Pending for room. */
  requestsNote: string;
}

export interface SearchResult {
  start: ParamValues;
  axes: SweepAxis[];
  candidates: Candidate[];
  flows: FlowAdvice[];
  /** Flow runs done (a run shared by two settings with the same effect counts once). */
  runs: number;
}

/** The job of one run: a scenario file's job carries its path, so a child process reloads the same file. */
export function jobOf(ctx: AdviseContext, setting: ParamValues, flow: FlowName, seed: number): FlowJob {
  return { ...scenarioRef(ctx.scenario), params: { ...ctx.base, ...setting }, seed, flow };
}

export function runFiguresOf(seed: number, r: FlowResult): RunFigures {
  const f = r.figures;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    seed,
    dataUploads: f.dataUploads,
    completed: f.completed,
    failed: f.failed,
    canceled: f.canceled,
    unfinished: f.unfinished,
    makespanSeconds: round(f.makespanSeconds),
    idleCpuCoreSeconds: round(f.idleCpuCoreSeconds),
    idleMemoryGiBSeconds: round(f.idleMemoryGiBSeconds),
    idlePendingCpuCoreSeconds: round(f.idlePendingCpuCoreSeconds),
    outcomesByReason: f.outcomesByReason,
    lowerBoundSeconds: f.lowerBoundAll.makespanSeconds,
    makespanRatio: f.ratioToLowerBound.makespan ?? null,
    timeouts: f.timeouts,
    endedBy: r.endedBy,
    steadyStateFailures: (r.steadyState ?? []).filter((c) => !c.ok).length,
    wallSeconds: r.wallSeconds,
  };
}

export async function search(ctx: AdviseContext, runBatch: RunBatch): Promise<SearchResult> {
  const [first, ...others] = ctx.seeds;
  const start = startingSetting(ctx);
  const axes = gridAxes(ctx, start);
  const candidates: Candidate[] = [];
  const identities = new Map<Candidate, string>();
  const changed = (setting: ParamValues) => Object.keys(setting).filter((k) => setting[k] !== ctx.base[k]).length;

  /** A candidate per flow at this setting; none for a flow where an earlier candidate runs the same. */
  const add = (setting: ParamValues, stage: Candidate['stage'], flows = ctx.flows) => {
    const experiment = build(ctx, setting);
    for (const flow of flows) {
      const id = runIdentity(experiment, flow);
      if (stage === 'tuning' && candidates.some((c) => c.flow === flow && identities.get(c) === id)) continue;
      const b = settingBound(experiment, flow);
      const c: Candidate = {
        flow,
        setting,
        stage,
        bound: { makespanSeconds: b.makespanSeconds, unlimitedSlotsSeconds: b.unlimitedSlotsSeconds, largestPvcSeconds: b.largestPvcSeconds, slots: b.slots, nodes: b.nodes.map((n) => n.name) },
        runs: [],
        changed: changed(setting),
        order: candidates.length,
      };
      const pruned = boundLimit(b, ctx.windowSeconds);
      if (pruned) c.pruned = pruned;
      candidates.push(c);
      identities.set(c, id);
    }
  };

  let runs = 0;
  /** Runs each (candidate, seed) once; candidates with one identity share the run. */
  const runAll = async (title: string, work: { c: Candidate; seed: number }[], labelOf: (c: Candidate) => string) => {
    const unique = new Map<string, { c: Candidate; seed: number; index: number }>();
    for (const w of work) {
      const key = `${identities.get(w.c)}|${w.seed}`;
      if (!unique.has(key) && !w.c.runs.some((r) => r.seed === w.seed)) unique.set(key, { ...w, index: unique.size });
    }
    const list = [...unique.values()];
    if (!list.length) return;
    const labels = [...new Set(list.map((u) => labelOf(u.c)))];
    const groups = labels.map((label) => ({ label, jobs: list.filter((u) => labelOf(u.c) === label).map((u) => u.index) }));
    const results = await runBatch(title, list.map((u) => jobOf(ctx, u.c.setting, u.c.flow, u.seed)), groups);
    runs += list.length;
    for (const u of list) {
      const figures = runFiguresOf(u.seed, results[u.index]);
      for (const c of candidates) {
        if (c.flow === u.c.flow && identities.get(c) === identities.get(u.c) && !c.runs.some((r) => r.seed === u.seed)) {
          c.runs.push(figures);
          c.runs.sort((a, b) => a.seed - b.seed);
        }
      }
    }
  };
  const diff = (setting: ParamValues) => pointLabel(Object.fromEntries(Object.entries(setting).filter(([k, v]) => start[k] !== v))) || 'the starting setting';
  const seedText = (s: number[]) => `seed${s.length > 1 ? 's' : ''} ${s.join(', ')}`;

  // 1. the grid
  for (const point of expandGrid(axes)) add({ ...start, ...point }, 'grid');
  const grid = candidates.filter((c) => !c.pruned);
  const gridLabel = (c: Candidate) => pointLabel(Object.fromEntries(axes.map((a) => [a.name, c.setting[a.name]])));
  await runAll(
    `stage 1, the grid: ${axes.map((a) => `${a.name} ${a.values.join(', ')}`).join(' x ') || 'the starting setting'}, ${seedText([first])} (${candidates.length - grid.length} of ${candidates.length} settings x flows pruned by the lower bound)`,
    grid.map((c) => ({ c, seed: first })),
    gridLabel,
  );

  // 2. tuning around each flow's best points
  const before = candidates.length;
  for (const flow of ctx.flows) {
    for (const c of ranked(candidates.filter((x) => x.flow === flow), [first], ctx.windowSeconds).slice(0, TUNED_POINTS)) {
      const run = runsOn(c, [first])![0];
      for (const s of tuningSettings(ctx, flow, c.setting, c.bound.slots, (run.outcomesByReason['prepare-timeout'] ?? 0) > 0)) add(s, 'tuning', [flow]);
    }
  }
  const tuning = candidates.slice(before).filter((c) => !c.pruned);
  const tuned = tuning.flatMap((c) => Object.keys(c.setting).filter((k) => c.setting[k] !== start[k] && !axes.some((a) => a.name === k)));
  await runAll(`stage 2, tuning ${[...new Set(tuned)].join(' and ') || 'nothing'} around each flow's best ${TUNED_POINTS}: ${tuning.length} settings, ${seedText([first])}`, tuning.map((c) => ({ c, seed: first })), (c) => `${c.flow}  ${diff(c.setting)}`);

  // 2b. the queue further down while that pays: where a flow's best has the smallest queue tried
  // at its other settings, half of it (each pod the queue lets wait is idle; too few starve the slots)
  for (let round = 1; round <= QUEUE_ROUNDS && !ctx.held.has(QUEUE); round++) {
    const from = candidates.length;
    for (const flow of ctx.flows) {
      const mine = candidates.filter((x) => x.flow === flow);
      const best = ranked(mine, [first], ctx.windowSeconds)[0];
      if (!best || !summarize(runsOn(best, [first])!, ctx.windowSeconds).meets || !queueApplies(ctx, flow, best.setting)) continue;
      const q = Number(best.setting[QUEUE]);
      const others = mine.filter((c) => c.runs.length && Object.keys(best.setting).every((k) => k === QUEUE || c.setting[k] === best.setting[k]));
      if (q > 1 && !others.some((c) => Number(c.setting[QUEUE]) < q && Number(c.setting[QUEUE]) > 0)) add({ ...best.setting, [QUEUE]: Math.floor(q / 2) }, 'tuning', [flow]);
    }
    const halved = candidates.slice(from).filter((c) => !c.pruned);
    if (!halved.length) break;
    await runAll(`stage 2, round ${round + 1}: ${QUEUE} halved where the smallest tried held least idle: ${halved.map((c) => c.flow).join(', ')}, ${seedText([first])}`, halved.map((c) => ({ c, seed: first })), (c) => `${c.flow}  ${diff(c.setting)}`);
  }

  // 3. confirming on the other seeds
  const decided = new Map<FlowName, Candidate>();
  const tried = new Set<Candidate>();
  for (let round = 1; others.length && round <= CONFIRM_ROUNDS; round++) {
    const next = ctx.flows.flatMap((flow) => {
      if (decided.has(flow)) return [];
      const c = ranked(candidates.filter((x) => x.flow === flow && !tried.has(x)), [first], ctx.windowSeconds)[0];
      return c && summarize(runsOn(c, [first])!, ctx.windowSeconds).meets ? [c] : [];
    });
    if (!next.length) break;
    for (const c of next) tried.add(c);
    await runAll(`stage 3, confirming${round > 1 ? ` (round ${round}: the setting before failed a seed)` : ''} on ${seedText(others)}: ${next.map((c) => c.flow).join(', ')}`, next.flatMap((c) => others.map((seed) => ({ c, seed }))), (c) => `${c.flow}  ${diff(c.setting)}`);
    for (const c of next) {
      if (summarize(runsOn(c, ctx.seeds)!, ctx.windowSeconds).meets) decided.set(c.flow, c);
    }
  }

  const flows = ctx.flows.map((flow) => flowAdvice(ctx, flow, candidates.filter((c) => c.flow === flow), start));
  return { start, axes, candidates, flows, runs };
}

function choiceOf(c: Candidate, seeds: number[], windowSeconds: number): Choice {
  const runs = runsOn(c, seeds)!;
  const makespans = runs.map((r) => r.makespanSeconds);
  return { setting: c.setting, stage: c.stage, seeds, summary: summarize(runs, windowSeconds), makespanRange: [Math.min(...makespans), Math.max(...makespans)] };
}

function flowAdvice(ctx: AdviseContext, flow: FlowName, mine: Candidate[], start: ParamValues): FlowAdvice {
  const w = ctx.windowSeconds;
  const chosen = selectRecommendation(mine, ctx.seeds, w);
  const limited = chosen ? undefined : flowLimit(mine, ctx.seeds, w);
  const recommended = chosen && choiceOf(chosen, ctx.seeds, w);
  const closestCandidate = limited?.closest;
  const closest = closestCandidate && choiceOf(closestCandidate, closestCandidate.runs.map((r) => r.seed), w);
  const setting = (chosen ?? closestCandidate)?.setting ?? start;
  const experiment = build(ctx, setting);
  const applied = appliedSettings(experiment, flow);
  const summary = recommended?.summary ?? closest?.summary;
  return {
    flow,
    ...(recommended ? { recommended } : {}),
    ...(limited ? { limit: limited.limit } : {}),
    ...(closest ? { closest } : {}),
    applied,
    notApplicable: QUEUE in start && !queueApplies(ctx, flow, setting) ? [QUEUE] : [],
    counts: { settings: mine.length, run: mine.filter((c) => c.runs.length).length, pruned: mine.filter((c) => c.pruned).length, runs: mine.reduce((a, c) => a + c.runs.length, 0) },
    requestsNote: requestsNote(applied, summary),
  };
}

/**
 * The requests are the user's: the simulated data path moves data as fast whatever the CPU
 * request (harness/sim/datapath.ts), so smaller requests would shrink idle core-seconds only on
 * paper. Pods that waited Pending for room are the one sign the requests are too large.
 */
function requestsNote(applied: Applied, s: Summary | undefined): string {
  const r = [applied.requests.cpu && `cpu ${applied.requests.cpu}`, applied.requests.memory && `memory ${applied.requests.memory}`].filter(Boolean).join(', ') || 'none (BestEffort pods)';
  const kept = `requests kept as yours (${r}): not swept, since the data path's speed does not depend on them and idle core-seconds scale with them`;
  const cpu = applied.requests.cpu ? parseCpu(applied.requests.cpu) / 1000 : 0;
  if (!s || !cpu || !s.dataUploads) return kept;
  const pendingEach = s.idlePendingCpuCoreSeconds / cpu / s.dataUploads;
  return pendingEach > PENDING_NOTE_SECONDS
    ? `${kept}; but data-mover pods waited Pending about ${Math.round(pendingEach)} s each for room on their nodes: the requests may not fit beside what runs there (smaller requests, or nodes with room)`
    : kept;
}
