// Reading results files (with errors a user can act on) and writing their reports: one
// index.html beside each results.json, and reports/out/index.html listing every run found.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { OLDER_RESULTS_SCHEMAS, RESULTS_SCHEMA, type Results } from '../harness/scenario/results.ts';
import { readSchemaFile } from './files.ts';
import { renderIndex, renderReport } from './html.ts';
import { loadSweep } from './sweep-html.ts';

export class ResultsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResultsFileError';
  }
}

/** A results file, checked: it exists, is JSON, and is a datamover-bench results file. */
export function loadResults(file: string): Results {
  const r = readSchemaFile(file, { kind: 'results', writer: 'run', schema: RESULTS_SCHEMA, older: OLDER_RESULTS_SCHEMAS, fail: (m) => new ResultsFileError(m) }) as Partial<Results>;
  if (!Array.isArray(r.flows) || r.flows.some((f) => !f || typeof f !== 'object' || !f.figures || !Array.isArray(f.dataUploads))) {
    throw new ResultsFileError(`${file}: "flows" must be a list of flow results, each with "figures" and "dataUploads"`);
  }
  return r as Results;
}

/** Writes the report of one results file beside it; returns the report's path. */
export function writeReport(resultsFile: string): string {
  const results = loadResults(resultsFile);
  const out = join(dirname(resultsFile), 'index.html');
  writeFileSync(out, renderReport(results));
  return out;
}

/** Every results.json under `root` (one level of run folders), sorted. */
export function findResults(root: string, name = 'results.json'): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((d) => join(root, d, name))
    .filter((f) => existsSync(f) && statSync(f).isFile())
    .sort();
}

/** The index of every run and sweep under `root`, linking to each page. Unreadable files are skipped and returned. */
export function writeIndex(root: string): { file: string; skipped: string[] } {
  const skipped: string[] = [];
  const read = <T>(files: string[], load: (f: string) => T) =>
    files.flatMap((f) => {
      try {
        return [{ href: relative(root, join(dirname(f), 'index.html')), value: load(f) }];
      } catch (e) {
        skipped.push((e as Error).message);
        return [];
      }
    });
  const runs = read(findResults(root), loadResults).map(({ href, value }) => ({ href, results: value }));
  const sweeps = read(findResults(root, 'sweep.json'), loadSweep).map(({ href, value }) => ({ href, sweep: value }));
  const file = join(resolve(root), 'index.html');
  mkdirSync(root, { recursive: true });
  writeFileSync(file, renderIndex(runs, sweeps));
  return { file, skipped };
}
