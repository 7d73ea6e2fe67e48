// npm run bench -- fuzz: the embedded API server's memory under hostile load. The server runs as
// `npm run cluster -- --api-only` does, in a process of its own (its RSS is then its own, read
// from /metrics process_resident_memory_bytes), seeded with the fuzz fixture. Its RSS is read at
// the start, after 10,000 fuzzed requests (the classes of harness/apiserver/fuzz/classes.ts in
// turn, one seed), and after 3,000 watches opened over raw sockets and abandoned once their
// headers arrive; then the apiserver_registered_watchers gauge, and whether the final RSS is
// within 10% of the starting one. Each reading follows a full collection (the server process
// gets --expose-gc and collects on SIGUSR2) and is the lowest of several over a few seconds.
// A request that kills or hangs the server is reported and the server started afresh: the
// figures then compare against the fresh server's start.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUZZ_CLASSES } from '../apiserver/fuzz/classes.ts';
import { PATHS, seedFixture } from '../apiserver/fuzz/fixture.ts';
import { closeHealthAgent, healthy, metric, send, type FuzzRequest } from '../apiserver/fuzz/request.ts';
import { seededRandom } from '../random.ts';
import { REPO_ROOT } from '../scenario/registry.ts';
import type { Figure } from './apiserver.ts';

export interface FuzzBenchOptions {
  seed?: number;
  requests?: number;
  watches?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Fuzzed requests (from a stream of their own) sent before the start is read. Default 1,000. */
  warmup?: number;
  log?: (line: string) => void;
}

/** Collects garbage when told to (SIGUSR2), so that a reading of RSS follows a full collection. */
const GC_ON_SIGNAL = `data:text/javascript,process.on('SIGUSR2',()=>globalThis.gc&&globalThis.gc())`;

interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** The last of what it wrote to stderr. */
  stderr(): string;
  stop(): Promise<void>;
}

async function startServer(seed: number): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'dmb-bench-fuzz-'));
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', GC_ON_SIGNAL, '--import', 'tsx', 'harness/cli/cluster.ts', '--api-only', '--seed', String(seed), '--kubeconfig', join(dir, 'kubeconfig')],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the cluster process exited (${code}) before listening:\n${out}\n${err}`)));
  });
  await seedFixture(url);
  return {
    url,
    port: Number(new URL(url).port),
    child,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGKILL');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** RSS after a full collection: the lowest of readings over a few seconds (V8 returns freed pages to the system lazily). */
async function settledRss(server: ServerProcess, readings = 8): Promise<number> {
  let low = Infinity;
  for (let i = 0; i < readings; i++) {
    server.child.kill('SIGUSR2');
    await sleep(400);
    const rss = await metric(server.port, 'process_resident_memory_bytes');
    if (rss !== undefined) low = Math.min(low, rss);
  }
  return low;
}

const mb = (bytes: number) => bytes / 1024 / 1024;

/** Objects the server holds: the sum of apiserver_storage_objects over its resources. */
async function storedObjects(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^apiserver_storage_objects\{[^}]*\} (\d+)$/gm)) n += Number(m[1]);
  return n;
}

/** Opens a watch over a raw socket, waits for the response headers, then destroys the socket. */
function abandonWatch(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let seen = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 5000);
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n`));
    socket.on('data', (d: Buffer) => {
      seen += d.toString('latin1');
      if (seen.includes('\r\n\r\n')) done(/^HTTP\/1\.1 200/.test(seen));
    });
    socket.on('error', () => done(false));
  });
}

export async function benchFuzz(opts: FuzzBenchOptions = {}): Promise<Figure[]> {
  const log = opts.log ?? console.log;
  const seed = opts.seed ?? Number(process.env.FUZZ_SEED ?? 1);
  const total = opts.requests ?? 10_000;
  const watchCount = opts.watches ?? 3000;
  const concurrency = opts.concurrency ?? 4;
  const rng = seededRandom(seed);
  const classes = FUZZ_CLASSES.map((c) => ({ c, rng: rng.fork(`fuzz/${c.name}`) }));
  /** Request i, made when it is sent (the bodies of 10,000 would weigh on this process): the classes in turn. */
  const generate = (i: number): FuzzRequest => {
    const { c, rng: r } = classes[i % classes.length];
    const g = c.generate(r);
    return { ...g, label: `${c.name}: ${g.label}` };
  };

  let server = await startServer(seed);
  const deaths: string[] = [];
  /** Requests not answered within 5 s although the server lived. */
  const slow: string[] = [];
  /** Whether the server answers /healthz within 2 s, asked three times (a slow moment is not a death). */
  const alive = async (s: ServerProcess): Promise<boolean> => {
    for (let i = 0; i < 3; i++) if (await healthy(s.port, 2000)) return true;
    return false;
  };
  const statuses: Record<string, number> = {};
  try {
    const rssCold = await settledRss(server);
    // A warm-up first: the first requests of each kind load code, build the OpenAPI models the
    // decoder reads, and fill the JIT's caches once. That is the server starting, not growing;
    // the start is read after it, from a stream of requests of its own.
    const warmup = opts.warmup ?? 1000;
    const warm = FUZZ_CLASSES.map((c) => ({ c, rng: rng.fork(`warmup/${c.name}`) }));
    for (let i = 0; i < warmup; i++) {
      const { c, rng: r } = warm[i % warm.length];
      await send(server.port, c.generate(r), { budgetMs: 5000, streamMs: 15 });
    }
    await seedFixture(server.url).catch(() => undefined);
    let rssStart = await settledRss(server);
    const objectsStart = await storedObjects(server.port);
    log(`server RSS: ${mb(rssCold).toFixed(1)} MB when seeded, ${mb(rssStart).toFixed(1)} MB after ${warmup} warm-up requests: the start (${objectsStart} objects stored; pid ${server.child.pid}, ${server.url})`);

    // ---- 10,000 fuzzed requests ----------------------------------------------------------
    let next = 0;
    let restarting: Promise<void> | undefined;
    const inFlight = new Map<number, string>();
    /** The last requests sent: when the server dies, the one that killed it is among them. */
    const recent: { i: number; r: FuzzRequest }[] = [];
    const t0 = performance.now();
    const worker = async () => {
      while (next < total && deaths.length <= 5) {
        const i = next++;
        const r = generate(i);
        if (restarting) await restarting;
        const s = server;
        inFlight.set(i, `#${i} ${r.label.slice(0, 90)}`);
        recent.push({ i, r });
        if (recent.length > 12) recent.shift();
        const o = await send(s.port, r, { budgetMs: 5000, streamMs: 15 });
        const k = o.streamed ? 'streamed' : o.status ? `${Math.floor(o.status / 100)}xx` : 'none';
        statuses[k] = (statuses[k] ?? 0) + 1;
        if (o.timedOut && !r.raw) slow.push(`#${i} ${r.label.slice(0, 100)}`);
        if (o.status === 0 && !r.raw && s === server && !restarting && !(await alive(s))) {
          if (s === server && !restarting) {
            // The server died or hangs: report it with the requests it was working on, start another.
            const how = s.child.exitCode !== null || s.child.signalCode !== null ? 'exited' : 'hung (no /healthz answer for 6 s)';
            const why = s.stderr().trim().split('\n').slice(-30).join('\n    ');
            deaths.push(`${how}; in flight: ${[...inFlight.values()].join(' | ')}${why ? `\n    server stderr: ${why}` : ''}`);
            log(`  the server ${how} after request #${i}: starting another`);
            const candidates = [...recent];
            restarting = (async () => {
              await s.stop();
              server = await startServer(seed);
              // Which one was it: the candidates alone, one at a time, on the fresh server.
              const culprit = await findCulprit(candidates);
              deaths[deaths.length - 1] += culprit ? `\n    reproduced alone by #${culprit.i} ${culprit.r.label.slice(0, 120)}: ${culprit.r.method} ${culprit.r.path}${culprit.r.query ? `?${culprit.r.query.slice(0, 80)}` : ''}` : '\n    not reproduced by any of the last 12 requests alone on a fresh server (it needs state that earlier requests left)';
              rssStart = await settledRss(server);
              log(`  fresh server RSS: ${mb(rssStart).toFixed(1)} MB: later figures compare against it`);
            })().finally(() => (restarting = undefined));
          }
          await restarting;
        }
        inFlight.delete(i);
        if (i > 0 && i % 500 === 0 && !restarting) {
          // Put back what accepted deletes took, so that later requests still find objects.
          await seedFixture(server.url).catch(() => undefined);
        }
        if (i > 0 && i % 2000 === 0) log(`  ${i} requests sent (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      }
    };
    /** Replays requests one at a time; the first after which the server stops answering is returned, and the server replaced. */
    const findCulprit = async (candidates: { i: number; r: FuzzRequest }[]) => {
      for (const c of candidates) {
        const o = await send(server.port, c.r, { budgetMs: 5000, streamMs: 15 });
        if (o.status === 0 && !(await alive(server))) {
          await server.stop();
          server = await startServer(seed);
          return c;
        }
      }
      return undefined;
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const fuzzSeconds = (performance.now() - t0) / 1000;
    const rssAfterFuzz = await settledRss(server);
    const watchersAfterFuzz = (await metric(server.port, 'apiserver_registered_watchers')) ?? NaN;
    log(`${total} fuzzed requests in ${fuzzSeconds.toFixed(1)} s (answers ${JSON.stringify(statuses)}): RSS ${mb(rssAfterFuzz).toFixed(1)} MB, registered watchers ${watchersAfterFuzz}`);

    // ---- 3,000 abandoned watches ---------------------------------------------------------
    const watchPaths = [`${PATHS.configmaps}?watch=true`, `${PATHS.pods}?watch=1&allowWatchBookmarks=true`, `${PATHS.datauploads}?watch=true&resourceVersion=0`, `/api/v1/watch/namespaces/default/configmaps`];
    let opened = 0;
    let n = 0;
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (n < watchCount) {
          const i = n++;
          if (await abandonWatch(server.port, watchPaths[i % watchPaths.length])) opened++;
        }
      }),
    );
    log(`${watchCount} watches opened and abandoned in ${((performance.now() - t1) / 1000).toFixed(1)} s (${opened} answered 200)`);
    // Settle: the gauge stops falling (or reaches the count left after the fuzzing).
    let watchers = Infinity;
    for (let i = 0; i < 20; i++) {
      await sleep(250);
      const w = (await metric(server.port, 'apiserver_registered_watchers')) ?? NaN;
      if (w === watchers || w === 0) {
        watchers = w;
        break;
      }
      watchers = w;
    }
    const rssEnd = await settledRss(server);
    const objectsEnd = await storedObjects(server.port);
    log(`objects stored: ${objectsStart} at the start, ${objectsEnd} at the end (what the fuzzed requests were allowed to create)`);
    const growth = (rssEnd / rssStart - 1) * 100;
    const within = Math.abs(growth) <= 10;
    log(`after the watches: RSS ${mb(rssEnd).toFixed(1)} MB, apiserver_registered_watchers ${watchers}`);
    log(`final RSS ${mb(rssEnd).toFixed(1)} MB vs ${mb(rssStart).toFixed(1)} MB at the start: ${growth >= 0 ? '+' : ''}${growth.toFixed(1)}%, ${within ? 'within' : 'NOT within'} 10%`);
    if (slow.length) log(`${slow.length} request(s) not answered within 5 s (the server lived):\n  ${slow.slice(0, 10).join('\n  ')}`);
    if (deaths.length) log(`the server died or hung ${deaths.length} time(s):\n  ${deaths.join('\n  ')}`);
    return [
      { name: 'RSS when seeded, before any request', value: mb(rssCold), unit: 'MB' },
      { name: `RSS at the start (after ${warmup.toLocaleString('en-US')} warm-up requests)`, value: mb(rssStart), unit: 'MB' },
      { name: `RSS after ${total.toLocaleString('en-US')} fuzzed requests`, value: mb(rssAfterFuzz), unit: 'MB' },
      { name: `RSS after ${watchCount.toLocaleString('en-US')} abandoned watches`, value: mb(rssEnd), unit: 'MB' },
      { name: 'RSS growth, start to end', value: growth, unit: '%', target: { value: 10, better: 'lower' } },
      { name: `registered watchers after the ${watchCount.toLocaleString('en-US')} were abandoned`, value: watchers, unit: 'watches', target: { value: 0, better: 'lower' } },
      { name: 'fuzzed requests per second', value: total / fuzzSeconds, unit: 'req/s' },
      { name: '5xx answers to the fuzzed requests', value: statuses['5xx'] ?? 0, unit: 'answers', target: { value: 0, better: 'lower' } },
      { name: 'server deaths or hangs during the fuzzing', value: deaths.length, unit: 'deaths', target: { value: 0, better: 'lower' } },
      { name: 'fuzzed requests not answered within 5 s', value: slow.length, unit: 'requests', target: { value: 0, better: 'lower' } },
    ];
  } finally {
    await server.stop();
    closeHealthAgent();
  }
}
