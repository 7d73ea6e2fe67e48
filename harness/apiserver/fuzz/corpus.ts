// The seed corpus (corpus/*.json): exact reproductions of inputs that broke, or could break,
// the embedded API server, replayed before the generated requests. See corpus/README.md.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FuzzRequest } from './request.ts';

export const CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'corpus');

/** A run of a body: a literal, or one string repeated (deep nesting, many operations, a big value). */
export type BodyPart = string | { repeat: string; times: number; separator?: string };

/** One entry of a corpus file. At most one of body, bodyText, bodyBase64, bodyParts. */
export interface CorpusEntry {
  label: string;
  /** Why it is here: what it broke, or what it checks. */
  why?: string;
  method: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  /** A JSON value, sent as JSON.stringify writes it. */
  body?: unknown;
  /** The body's exact text. */
  bodyText?: string;
  /** The body's exact bytes. */
  bodyBase64?: string;
  /** A big body, spelled out rather than stored: the parts concatenated. */
  bodyParts?: BodyPart[];
  /** Raw request bytes (latin1 text) sent over a plain socket instead. */
  raw?: string;
  rawAbandon?: boolean;
  expect?: 'refused' | 'unchanged';
  dryRun?: boolean;
  budgetMs?: number;
  /** The next entry runs on the store this one leaves (no fresh server in between): a reproduction in steps. */
  keepState?: boolean;
}

export function entryBody(e: CorpusEntry): Buffer | undefined {
  if (e.bodyText !== undefined) return Buffer.from(e.bodyText, 'utf8');
  if (e.bodyBase64 !== undefined) return Buffer.from(e.bodyBase64, 'base64');
  if (e.bodyParts) {
    const text = e.bodyParts.map((p) => (typeof p === 'string' ? p : Array(p.times).fill(p.repeat).join(p.separator ?? ''))).join('');
    return Buffer.from(text, 'utf8');
  }
  if ('body' in e) return Buffer.from(JSON.stringify(e.body), 'utf8');
  return undefined;
}

export function toRequest(e: CorpusEntry): FuzzRequest {
  return {
    label: e.label,
    method: e.method,
    path: e.path,
    query: e.query,
    headers: e.headers,
    body: entryBody(e),
    raw: e.raw === undefined ? undefined : Buffer.from(e.raw, 'latin1'),
    rawAbandon: e.rawAbandon,
    expect: e.expect,
    dryRun: e.dryRun,
    budgetMs: e.budgetMs,
    keepState: e.keepState,
  };
}

/** Every corpus file's entries, files in name order, each request labelled "file: label". */
export function loadCorpus(dir = CORPUS_DIR): { file: string; entries: CorpusEntry[]; requests: FuzzRequest[] }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const entries = JSON.parse(readFileSync(join(dir, f), 'utf8')) as CorpusEntry[];
      if (!Array.isArray(entries)) throw new Error(`${f}: a corpus file is a JSON array of entries`);
      const file = basename(f, '.json');
      return { file, entries, requests: entries.map((e) => ({ ...toRequest(e), label: `${file}: ${e.label}` })) };
    });
}
