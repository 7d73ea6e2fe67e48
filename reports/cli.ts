// npm run report [-- results.json ...]: the HTML report of each results file (default: every
// run under reports/out), and reports/out/index.html listing them all.
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../harness/scenario/registry.ts';
import { findResults, ResultsFileError, writeIndex, writeReport } from './write.ts';

const OUT = join(REPO_ROOT, 'reports', 'out');

function main(args: string[]): number {
  if (args.includes('--help')) {
    console.log('usage: npm run report [-- results.json ...]\n\nWrites index.html beside each results file (default: every reports/out/*/results.json) and reports/out/index.html.');
    return 0;
  }
  const files = args.length ? args.map((a) => resolve(a)) : findResults(OUT);
  if (!files.length) {
    console.error(`report: no results files under ${OUT}; run a scenario first (npm run scenario large-pvc)`);
    return 2;
  }
  for (const f of files) {
    const t0 = performance.now();
    const out = writeReport(f);
    console.log(`${out} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const index = writeIndex(OUT);
  for (const s of index.skipped) console.error(`report: skipped in the index: ${s}`);
  console.log(`index: ${index.file}`);
  return 0;
}

try {
  process.exit(main(process.argv.slice(2)));
} catch (e) {
  if (e instanceof ResultsFileError) {
    console.error(`report: ${e.message}`);
    process.exit(2);
  }
  throw e;
}
