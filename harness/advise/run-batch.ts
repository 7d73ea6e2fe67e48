// How advise's runs run: each stage's jobs through the one pool (harness/run/pool.ts), side by
// side up to --jobs, with a progress line per setting as the scenario and sweep commands show
// them (harness/cli/progress.ts), and nothing with --quiet.
import { ProgressBoard, progressMode } from '../cli/progress.ts';
import { runJobs } from '../run/pool.ts';
import type { FlowResult } from '../scenario/results.ts';
import { runFiguresOf, type RunBatch } from './search.ts';
import { meetsWindow, seconds } from './select.ts';

export function poolBatch(o: { jobs: number; quiet: boolean; windowSeconds: number }): RunBatch {
  return async (title, jobs, groups) => {
    if (!o.quiet) console.log(`\n${title}: ${jobs.length} run${jobs.length === 1 ? '' : 's'}, ${Math.min(o.jobs, jobs.length)} at once`);
    const board = new ProgressBoard(groups.map((g) => g.label), progressMode(o.quiet));
    const groupOf = new Map(groups.flatMap((g, i) => g.jobs.map((j) => [j, i] as const)));
    const state = groups.map((g) => ({ started: false, left: g.jobs.length, ended: new Map<number, number>(), total: new Map<number, number>(), simulated: 0 }));
    const results: FlowResult[] = new Array(jobs.length);
    const progressOf = (g: number) => {
      const s = state[g];
      const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);
      return { ended: sum(s.ended), total: sum(s.total), simulatedSeconds: s.simulated };
    };
    await runJobs(jobs, {
      parallel: o.jobs,
      onStart: (j) => {
        const g = groupOf.get(j)!;
        if (state[g].started) return;
        state[g].started = true;
        board.start(g);
      },
      onProgress: (j, p) => {
        const g = groupOf.get(j)!;
        state[g].ended.set(j, p.ended);
        state[g].total.set(j, p.total);
        state[g].simulated = Math.max(state[g].simulated, p.simulatedSeconds);
        board.update(g, progressOf(g));
      },
      onEnd: (j, r) => {
        results[j] = r;
        const g = groupOf.get(j)!;
        const s = state[g];
        s.ended.set(j, r.figures.dataUploads - r.figures.unfinished);
        s.total.set(j, r.figures.dataUploads);
        s.simulated = Math.max(s.simulated, r.simulatedSeconds);
        if (--s.left) return;
        board.update(g, progressOf(g));
        board.end(g, groups[g].jobs.map((k) => runNote(jobs[k].flow, jobs[k].seed, results[k], o.windowSeconds)).join('; '));
      },
    });
    return results;
  };
}

/** A run as its progress line ends: flow, seed, completed of all, makespan, and whether it meets the window. */
function runNote(flow: string, seed: number, r: FlowResult, windowSeconds: number): string {
  const f = runFiguresOf(seed, r);
  return `${flow} seed ${seed}: ${f.completed}/${f.dataUploads} in ${seconds(f.makespanSeconds)}${meetsWindow(f, windowSeconds) ? ', meets the window' : ''}`;
}
