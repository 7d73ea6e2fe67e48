// Sends fuzzed requests to a FuzzTarget one at a time and checks each:
//  (a) no 5xx, and an answer within the request's budget;
//  (b) the server is alive: GET /healthz answers 200 within a short time;
//  (c) a refusal (4xx) left the store as it was, object by object, and the global
//      resourceVersion too; a dry run left it as it was whatever the answer;
//  and what the request's `expect` asks (refused, or unchanged), and that nothing stored now is
//  an object kube-apiserver could not hold (a numeric name, a null label, ownerReferences {}).
// A request that kills or hangs the server is reported and the target process replaced; after
// one such death the rest of that generator's requests in the class are skipped, so that a
// bug that kills the server costs seconds, not the whole run. A request that removes or starts
// deleting a seeded object (an accepted delete, say) is followed by a fresh server, so that one
// request's accepted writes do not mask what the next would have found.
import { healthy, metric, requestTarget, send, type FuzzRequest, type Outcome } from './request.ts';
import type { StoreDiff } from './store-check.ts';
import type { FuzzTarget } from './target.ts';

export interface RunOptions {
  /** Milliseconds an answer may take. */
  budgetMs: number;
  /** Milliseconds /healthz may take after each request. */
  healthMs: number;
  /** Milliseconds a streamed answer (a watch) is read before its socket is destroyed. */
  streamMs: number;
  /** Requests that kill or hang the server before the class stops (each costs a new process). */
  maxDeaths: number;
  /** After a death, skip the rest of the requests of the same generator (not for the corpus: each entry is its own reproduction). */
  skipVariantAfterDeath: boolean;
  /** Wall time a class may take; the requests left then are skipped (and counted), so a server that fails slowly cannot stretch the run. */
  maxMs: number;
}

export const DEFAULT_RUN: RunOptions = { budgetMs: 2000, healthMs: 2000, streamMs: 15, maxDeaths: 3, skipVariantAfterDeath: true, maxMs: 15_000 };

export interface Failure {
  cls: string;
  index: number;
  request: FuzzRequest;
  outcome: Outcome;
  problems: string[];
  diff?: StoreDiff;
  /** What the server wrote to stderr meanwhile (the stack of an unexpected error). */
  stderr?: string;
  /** The request killed or hung the server. */
  fatal: boolean;
}

export interface ClassResult {
  cls: string;
  sent: number;
  /** Not sent: after a death (the rest of that generator's requests), or past the class's time. */
  skipped: number;
  skippedForTime: number;
  failures: Failure[];
  /** Answers by status class: "2xx", "4xx", "5xx", "none", "streamed". */
  statuses: Record<string, number>;
  /** Fresh servers started because a request spent the fixture. */
  resets: number;
  deaths: number;
  ms: number;
  /** The slowest requests: label and milliseconds from sending to the store read afterwards. */
  slowest: { label: string; ms: number }[];
  /** Requests and milliseconds by generator (the first word of the label). */
  byVariant: Record<string, { n: number; ms: number }>;
}

/** The generator part of a label ("json-patch-doubling" of "json-patch-doubling n=26 len=1000"): deaths skip the rest of it. */
function variantOf(label: string): string {
  return label.split(/[ :=]/)[0];
}

function statusClass(o: Outcome): string {
  if (o.streamed) return 'streamed';
  if (o.status === 0) return 'none';
  return `${Math.floor(o.status / 100)}xx`;
}

export async function runClass(target: FuzzTarget, cls: string, requests: Iterable<FuzzRequest>, opts: RunOptions = DEFAULT_RUN): Promise<ClassResult> {
  const t0 = performance.now();
  const result: ClassResult = { cls, sent: 0, skipped: 0, skippedForTime: 0, failures: [], statuses: {}, resets: 0, deaths: 0, ms: 0, slowest: [], byVariant: {} };
  const deadVariants = new Set<string>();
  /** Watches known to stay registered on the current server, and how many leaks were reported. */
  let leaked = 0;
  let leakReports = 0;
  let index = -1;
  for (const r of requests) {
    index++;
    if (performance.now() - t0 > opts.maxMs) {
      result.skipped++;
      result.skippedForTime++;
      continue;
    }
    if (result.deaths >= opts.maxDeaths || deadVariants.has(variantOf(r.label))) {
      result.skipped++;
      continue;
    }
    await target.mark();
    target.takeStderr();
    const started = performance.now();
    const outcome = await send(target.port, r, opts);
    result.sent++;
    const sc = statusClass(outcome);
    result.statuses[sc] = (result.statuses[sc] ?? 0) + 1;
    const problems: string[] = [];
    if (outcome.status >= 500) problems.push(`answered ${outcome.status}`);
    // A raw request may be one no server answers (a body shorter than its Content-Length): only 5xx and liveness count.
    if (outcome.timedOut && !r.raw) problems.push(`no answer within ${r.budgetMs ?? opts.budgetMs} ms`);
    // A server may close the connection on a body over its limit before it is all sent (kube-apiserver does): a refusal.
    const droppedUpload = outcome.status === 0 && (r.body?.length ?? 0) > 1024 * 1024 && (outcome.error === 'EPIPE' || outcome.error === 'ECONNRESET');
    if (outcome.status === 0 && !outcome.timedOut && !r.raw && !droppedUpload && !outcome.error?.startsWith('not sent')) problems.push(`no answer: ${outcome.error ?? 'connection closed'}`);
    const alive = await healthy(target.port, opts.healthMs);
    let diff: StoreDiff | undefined;
    let fatal = false;
    if (!alive) {
      fatal = true;
      // A moment for a dying process to say why.
      await new Promise((res) => setTimeout(res, 50));
      problems.push(target.exitReason ? `the server process ${target.exitReason}` : `the server is not alive: /healthz did not answer 200 within ${opts.healthMs} ms`);
    } else {
      try {
        diff = await target.diff();
      } catch (e) {
        fatal = true;
        problems.push(`the store could not be read afterwards: ${(e as Error).message}`);
      }
    }
    if (diff) {
      const changed = diff.rvAfter !== diff.rvBefore || diff.changes.length > 0;
      const refused = (outcome.status >= 400 && outcome.status < 500) || droppedUpload;
      if (refused && changed) problems.push(`refused with ${outcome.status || outcome.error}, yet the store changed`);
      if (r.dryRun && changed) problems.push(`a dry run (answered ${outcome.status || 'nothing'}) changed the store`);
      if (r.expect === 'refused' && !refused && outcome.status !== 0) problems.push(`expected a refusal (4xx), got ${outcome.status}${outcome.streamed ? ' (a stream)' : ''}`);
      if (r.expect === 'unchanged' && changed && !refused && !r.dryRun) problems.push(`must not change the store (refuse it, or read it as a dry run), yet answered ${outcome.status} and changed it`);
      for (const bad of diff.invalid) problems.push(`stored ${bad.key}, which kube-apiserver could not hold: ${bad.problems.join('; ')}`);
    }
    // An abandoned watch must be unregistered once its socket is gone. Checked request by request
    // for the first few (a leak costs the wait), then only by the class's final count.
    const abandonedWatch = outcome.streamed || (r.raw !== undefined && r.rawAbandon === true && /(^|&)watch=/.test(r.query ?? ''));
    if (diff && abandonedWatch && leakReports < 5) {
      const n = await watchersSettle(target, leaked, 200);
      if (n > leaked) {
        problems.push(`the watch stayed registered after its socket was destroyed: apiserver_registered_watchers ${leaked} -> ${n}`);
        leakReports++;
      }
      leaked = Number.isFinite(n) ? n : leaked;
    }
    const took = Math.round(performance.now() - started);
    const v = (result.byVariant[variantOf(r.label)] ??= { n: 0, ms: 0 });
    v.n++;
    v.ms += took;
    if (result.slowest.length < 5 || took > result.slowest[4].ms) {
      result.slowest.push({ label: r.label, ms: took });
      result.slowest.sort((a, b) => b.ms - a.ms);
      result.slowest.length = Math.min(result.slowest.length, 5);
    }
    const stderr = target.takeStderr();
    if (problems.length) result.failures.push({ cls, index, request: r, outcome, problems, diff, stderr: stderr || undefined, fatal });
    if (fatal) {
      result.deaths++;
      if (opts.skipVariantAfterDeath) deadVariants.add(variantOf(r.label));
      await target.replace();
      leaked = 0;
    } else if (diff?.fixtureDamaged && !r.keepState) {
      result.resets++;
      await target.reset();
      leaked = 0;
    }
  }
  result.ms = Math.round(performance.now() - t0);
  return result;
}

/** Polls the apiserver_registered_watchers gauge until it is at most `want` or timeoutMs passes; returns the last reading. */
export async function watchersSettle(target: FuzzTarget, want: number, timeoutMs: number): Promise<number> {
  const end = Date.now() + timeoutMs;
  let n = Infinity;
  while (true) {
    n = (await metric(target.port, 'apiserver_registered_watchers')) ?? NaN;
    if (!(n > want) || Date.now() >= end) return n;
    await new Promise((res) => setTimeout(res, 50));
  }
}

// ---- reporting -------------------------------------------------------------------------------

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n)}... (${s.length} chars)` : s);

/** The body as text for a report: printable, truncated. */
export function showBody(body: Buffer | undefined, n = 300): string {
  if (!body || body.length === 0) return '(none)';
  const s = body.toString('utf8');
  // eslint-disable-next-line no-control-regex
  const printable = s.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clip(printable, n).replace(/\.\.\. \(\d+ chars\)$/, `... (${body.length} bytes)`);
}

export function formatFailure(f: Failure): string {
  const r = f.request;
  const lines = [`[${f.cls} #${f.index}] ${r.label}`];
  if (r.raw) lines.push(`  raw bytes: ${showBody(r.raw, 200)}`);
  else lines.push(`  ${r.method} ${clip(requestTarget(r), 240)}`);
  const headers = Object.entries(r.headers ?? {}).map(([k, v]) => `${k}: ${v}`);
  if (headers.length) lines.push(`  headers: ${headers.join(', ')}`);
  if (!r.raw) lines.push(`  body: ${showBody(r.body)}`);
  const expect = [r.expect, r.dryRun ? 'dry run' : undefined].filter(Boolean).join(', ');
  if (expect) lines.push(`  expected: ${expect}`);
  const o = f.outcome;
  lines.push(`  answer: ${o.timedOut ? 'none in time' : o.status ? o.status : `none (${o.error ?? 'closed'})`}${o.streamed ? ' (stream, abandoned)' : ''} after ${o.ms} ms${o.body ? `: ${clip(o.body.replace(/\s+/g, ' '), 240)}` : ''}`);
  for (const p of f.problems) lines.push(`  FAIL: ${p}`);
  if (f.diff && (f.diff.changes.length || f.diff.rvAfter !== f.diff.rvBefore)) {
    lines.push(`  store: resourceVersion ${f.diff.rvBefore} -> ${f.diff.rvAfter}, ${f.diff.changes.length} object(s) changed`);
    for (const c of f.diff.changes.slice(0, 6)) {
      lines.push(`    ${c.change === 'added' ? '+' : c.change === 'removed' ? '-' : '~'} ${c.key}`);
      for (const fd of c.fields ?? []) lines.push(`        ${fd}`);
    }
    if (f.diff.changes.length > 6) lines.push(`    ... and ${f.diff.changes.length - 6} more`);
  }
  if (f.stderr) lines.push(`  server stderr: ${clip(f.stderr.trim(), 600).replace(/\n/g, '\n    ')}`);
  return lines.join('\n');
}

/** A class's failures, grouped by problem kind, the first few of each in full. */
export function formatResult(res: ClassResult, perKind = 3): string {
  const skippedDeath = res.skipped - res.skippedForTime;
  const skipped = [skippedDeath ? `${skippedDeath} skipped after the server died` : '', res.skippedForTime ? `${res.skippedForTime} skipped past the class's time limit (FUZZ_CLASS_SECONDS)` : ''].filter(Boolean).join(', ');
  const head = `${res.cls}: ${res.sent} sent${skipped ? `, ${skipped}` : ''}, ${res.failures.length} failed, answers ${JSON.stringify(res.statuses)}, ${res.resets} fresh servers, ${res.deaths} deaths, ${res.ms} ms`;
  const variants = Object.entries(res.byVariant).sort((a, b) => b[1].ms - a[1].ms).map(([k, v]) => `${k} ${v.n}/${v.ms} ms`);
  const slow = `\n  slowest: ${res.slowest.map((s) => `${s.ms} ms ${clip(s.label, 70)}`).join('; ')}\n  by generator (requests/time): ${variants.join(', ')}`;
  if (!res.failures.length) return head + slow;
  const groups = new Map<string, Failure[]>();
  for (const f of res.failures) {
    const k = `${variantOf(f.request.label)} | ${f.problems.map((p) => p.replace(/\d+/g, 'N').replace(/stored \S+,/, 'stored X,').slice(0, 60)).join(' + ')}`;
    groups.set(k, [...(groups.get(k) ?? []), f]);
  }
  const out = [head + slow];
  for (const [k, fs] of groups) {
    out.push(`\n-- ${fs.length} x ${k}`);
    for (const f of fs.slice(0, perKind)) out.push(formatFailure(f));
    if (fs.length > perKind) out.push(`  ... ${fs.length - perKind} more like this: ${fs.slice(perKind, perKind + 5).map((f) => `#${f.index} ${clip(f.request.label, 60)}`).join('; ')}`);
  }
  return out.join('\n');
}
