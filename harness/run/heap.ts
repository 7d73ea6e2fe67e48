// V8 lets its old generation grow to several times the live data between full collections when
// a program allocates fast, as a run does (every watch event is parsed once per client). A run
// of thousands of PVCs then holds gigabytes of garbage: 5,000 PVCs of deploying peaked at
// 2.2 GiB of resident memory for under 1 GiB of heap in use. A fixed growing factor of 1.5
// keeps the resident set near one and a half times the live data, for a few percent more time
// in the collector (npm run bench -- scale measures both). Set at run time, so it holds
// however the process was started (npm run, tsx, a test runner, a pool's child). `npm run
// cluster` sets it too: a server that holds thousands of objects for hours has the same need.
import v8 from 'node:v8';

export const HEAP_GROWING_PERCENT = 50;

let tuned = false;

export function tuneHeapForRuns(): void {
  if (tuned) return;
  tuned = true;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
