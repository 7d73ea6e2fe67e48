// The hash of a results file's figures: what a run recorded, without what the machine decides
// (wall and CPU seconds, resident memory, when and from which commit it was written, api-load's
// wall-time figures). Two runs of the same scenario, seed and code on the embedded cluster hash
// the same on any machine; a refactor that must not change the figures is checked with it:
//
//   npx tsx harness/bench/results-hash.ts reports/out/*/results.json
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Keys whose values are machine facts, at any depth. */
const MACHINE_KEYS = new Set(['wallSeconds', 'peakRssMiB', 'cpuSeconds', 'createdAt', 'codeVersion', 'load']);

export function figuresOnly(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(figuresOnly);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => !MACHINE_KEYS.has(k)).map(([k, v]) => [k, figuresOnly(v)]));
  }
  return value;
}

export function resultsHash(results: unknown): string {
  return createHash('sha256').update(JSON.stringify(figuresOnly(results))).digest('hex');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const files = process.argv.slice(2);
  if (!files.length) {
    console.error('usage: npx tsx harness/bench/results-hash.ts FILE...');
    process.exit(2);
  }
  for (const f of files) console.log(`${resultsHash(JSON.parse(readFileSync(f, 'utf8')))}  ${f}`);
}
