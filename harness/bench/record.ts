// What `npm run bench` found, as a file (reports/out/bench/bench.json) for a pipeline to keep or
// gate on: every figure with its target and verdict, and the machine it ran on.
import { availableParallelism, cpus } from 'node:os';
import type { Figure } from './apiserver.ts';

export const BENCH_SCHEMA = 'datamover-bench/bench@1';

/** True when the figure meets its target, undefined when it has none. */
export function meets(f: Figure): boolean | undefined {
  if (!f.target) return undefined;
  return f.target.better === 'higher' ? f.value >= f.target.value : f.value <= f.target.value;
}

export interface BenchRecord {
  schema: typeof BENCH_SCHEMA;
  codeVersion: string;
  createdAt: string;
  machine: {
    node: string;
    cpus: number;
    cpuModel: string;
    /** The fixed loop of arithmetic, ms, before and after: how fast the machine was meanwhile. */
    referenceLoopMs: { before: number; after: number };
  };
  figures: (Figure & { bench: string; pass?: boolean })[];
  /** Figures that missed their target. */
  missed: number;
}

export function benchRecord(
  all: { bench: string; figures: Figure[] }[],
  referenceLoopMs: { before: number; after: number },
  codeVersion: string,
  now = new Date(),
): BenchRecord {
  const figures = all.flatMap(({ bench, figures }) =>
    figures.map((f) => {
      const pass = meets(f);
      return { bench, ...f, ...(pass === undefined ? {} : { pass }) };
    }),
  );
  return {
    schema: BENCH_SCHEMA,
    codeVersion,
    createdAt: now.toISOString(),
    machine: {
      node: process.version,
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      referenceLoopMs: { before: Math.round(referenceLoopMs.before), after: Math.round(referenceLoopMs.after) },
    },
    figures,
    missed: figures.filter((f) => f.pass === false).length,
  };
}
