// Seeded, bounded fuzzing of the embedded API server: the seed corpus (corpus/*.json), then a
// few hundred generated requests per class (classes.ts), each checked by runner.ts: no 5xx, an
// answer in time, the server alive afterwards, a refusal or a dry run leaving the store as it
// was, object by object. Every class starts on a fresh server. The server runs in a child
// process (target.ts): the inputs include ones that hang it or run it out of memory.
//
// FUZZ_SEED=N picks another seed (default 1; printed with the results); FUZZ_SCALE=0.2 sends a
// fifth of the requests, FUZZ_SCALE=10 ten times as many; FUZZ_ONLY=text replays only the
// corpus entries and classes whose label contains the text; FUZZ_CLASS_SECONDS=N lets a class
// run N s (default 15; what is left then is skipped, counted and fails the test: a healthy
// server needs a third of that, so the requests sent do not depend on the machine's speed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../random.ts';
import { FUZZ_CLASSES } from './classes.ts';
import { loadCorpus } from './corpus.ts';
import { closeHealthAgent, type FuzzRequest } from './request.ts';
import { DEFAULT_RUN, formatResult, runClass, watchersSettle, type ClassResult } from './runner.ts';
import { FuzzTarget } from './target.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 1);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const ONLY = process.env.FUZZ_ONLY;
const RUN = { ...DEFAULT_RUN, maxMs: Number(process.env.FUZZ_CLASS_SECONDS ?? DEFAULT_RUN.maxMs / 1000) * 1000 };

let target: FuzzTarget;
const results: ClassResult[] = [];
const t0 = performance.now();

beforeAll(async () => {
  target = await FuzzTarget.start({ seed: SEED });
});

afterAll(async () => {
  await target?.stop();
  closeHealthAgent();
  const sent = results.reduce((a, r) => a + r.sent, 0);
  const failed = results.reduce((a, r) => a + r.failures.length, 0);
  console.log(
    `fuzz (seed ${SEED}): ${sent} requests sent (${results.map((r) => `${r.cls} ${r.sent}${r.skipped ? `+${r.skipped} skipped` : ''}`).join(', ')}), ` +
      `${failed} failed, ${target?.spawns ?? 0} server processes, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
});

/** Runs a class on a fresh server, then checks that no abandoned watch stays registered. */
async function run(cls: string, requests: Iterable<FuzzRequest>, opts = RUN): Promise<ClassResult> {
  await target.reset();
  const res = await runClass(target, cls, requests, opts);
  const left = await watchersSettle(target, 0, 2000);
  if (left > 0) {
    res.failures.push({
      cls,
      index: -1,
      request: { label: 'after the class: watches whose sockets were destroyed', method: 'GET', path: '/metrics' },
      outcome: { status: 0, headers: {}, body: '', ms: 0, streamed: false, timedOut: false },
      problems: [`apiserver_registered_watchers is ${left} 2 s after every watch socket of the class was destroyed (want 0): abandoned watches stay registered`],
      fatal: false,
    });
  }
  results.push(res);
  console.log(formatResult(res, 0));
  return res;
}

function check(res: ClassResult): void {
  if (res.failures.length) throw new Error(`${formatResult(res)}\n`);
  expect(res.failures).toEqual([]);
  // A healthy server answers every request of a class well inside its time; requests left
  // unsent would make the run smaller on a slow machine, so they fail the test instead.
  expect(res.skippedForTime, `${res.cls}: ${res.skippedForTime} requests left unsent after ${RUN.maxMs / 1000} s`).toBe(0);
}

describe(`embedded API server fuzz (seed ${SEED})`, () => {
  it('the corpus holds the exact reproductions', () => {
    const corpus = loadCorpus();
    const patch = corpus.find((c) => c.file === 'patch-cost')!.requests.find((r) => r.label.endsWith('doubling JSON patch, 26 copies, dry run'))!;
    expect(patch.body!.length).toBe(2296);
    expect(JSON.parse(patch.body!.toString()).length).toBe(27);
    expect(corpus.reduce((a, c) => a + c.requests.length, 0)).toBeGreaterThan(60);
  });

  it('replays the seed corpus', async () => {
    const requests = loadCorpus().flatMap((c) => c.requests).filter((r) => !ONLY || r.label.includes(ONLY));
    check(await run('corpus', requests, { ...RUN, maxDeaths: Infinity, skipVariantAfterDeath: false }));
  });

  for (const cls of FUZZ_CLASSES) {
    it(`${cls.name}: ${cls.describe}`, async () => {
      const rng = seededRandom(SEED).fork(`fuzz/${cls.name}`);
      const count = Math.max(1, Math.round(cls.count * SCALE));
      const requests = function* () {
        for (let i = 0; i < count; i++) {
          const r = cls.generate(rng);
          if (!ONLY || r.label.includes(ONLY) || cls.name.includes(ONLY)) yield r;
        }
      };
      check(await run(cls.name, requests()));
    });
  }
});
