// A fuzzed request and how it is sent: node:http with the path exactly as written (fetch and
// new URL() resolve `..`, `%2e%2e` and `.` before anything is sent, which would hide the very
// inputs this fuzzer is about), or raw bytes over a socket for what is not HTTP at all.
import http from 'node:http';
import net from 'node:net';

export interface FuzzRequest {
  /** The generator (or corpus entry) that made it, with its parameters: "json-patch-doubling n=26". */
  label: string;
  method: string;
  /** The path as it goes on the request line, unnormalised: `/api/v1/namespaces/default/configmaps/cm1/..`. */
  path: string;
  /** The query string as it goes on the request line, without the `?`. */
  query?: string;
  headers?: Record<string, string>;
  /** The body's bytes. */
  body?: Buffer;
  /**
   * What the server must do besides what every request is checked for (no 5xx, an answer in
   * time, alive afterwards, a refusal or a dry run changes nothing, nothing invalid stored):
   * refused: answer 4xx (and so change nothing); unchanged: whatever the answer, the store is
   * left as it was (a malformed DeleteOptions may be refused or read as a dry run, never obeyed).
   */
  expect?: 'refused' | 'unchanged';
  /** Asks for a dry run (dryRun=All, or DeleteOptions.dryRun ["All"]): the store must not change. */
  dryRun?: boolean;
  /** Sent as these bytes over a plain socket instead (a whole request, or a broken one). */
  raw?: Buffer;
  /** For raw: close the socket right after writing, without waiting for an answer. */
  rawAbandon?: boolean;
  /** Milliseconds the answer may take; default in SendOptions. */
  budgetMs?: number;
  /** The next request runs on the store this one leaves, even when it spent the fixture (a reproduction in two steps). */
  keepState?: boolean;
}

/** What came back. */
export interface Outcome {
  /** 0 when no HTTP answer arrived. */
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body's first bytes, as text. */
  body: string;
  ms: number;
  /** A streamed (chunked) answer, such as a watch: read for a moment, then the socket was destroyed. */
  streamed: boolean;
  /** No answer within the budget. */
  timedOut: boolean;
  /** A socket error before any answer (ECONNRESET when the server died). */
  error?: string;
}

export interface SendOptions {
  /** Milliseconds an answer may take (headers and, unless streamed, the body). */
  budgetMs: number;
  /** Milliseconds a streamed answer is read before its socket is destroyed (an abandoned watch). */
  streamMs: number;
}

const KEEP_BODY = 4096;

/** The path and query as they go on the request line: bytes outside printable ASCII percent-encoded (node:http refuses them raw), everything else as written. */
export function requestTarget(r: Pick<FuzzRequest, 'path' | 'query'>): string {
  const t = r.query !== undefined ? `${r.path}?${r.query}` : r.path;
  return t.replace(/[^\x21-\x7e]+/gu, (s) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
}

export function send(port: number, r: FuzzRequest, opts: SendOptions): Promise<Outcome> {
  return r.raw ? sendRaw(port, r, opts) : sendHttp(port, r, opts);
}

function sendHttp(port: number, r: FuzzRequest, opts: SendOptions): Promise<Outcome> {
  const budget = r.budgetMs ?? opts.budgetMs;
  return new Promise((resolve) => {
    const t0 = performance.now();
    let settled = false;
    let req: http.ClientRequest;
    const finish = (o: Omit<Outcome, 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...o, ms: Math.round(performance.now() - t0) });
    };
    const timer = setTimeout(() => {
      req.destroy();
      finish({ status: 0, headers: {}, body: '', streamed: false, timedOut: true });
    }, budget);
    const headers: Record<string, string | number> = { Host: `127.0.0.1:${port}`, ...(r.headers ?? {}) };
    if (r.body && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) headers['Content-Length'] = r.body.length;
    try {
      req = http.request({ host: '127.0.0.1', port, method: r.method, path: requestTarget(r), headers, agent: false, setHost: false });
    } catch (e) {
      // Refused by node:http before anything was sent (a method or header it will not write).
      clearTimeout(timer);
      settled = true;
      resolve({ status: 0, headers: {}, body: '', ms: 0, streamed: false, timedOut: false, error: `not sent: ${(e as Error).message}` });
      return;
    }
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      const done = (streamed: boolean) =>
        finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), streamed, timedOut: false });
      res.on('data', (c: Buffer) => {
        if (kept < KEEP_BODY) chunks.push(c.subarray(0, KEEP_BODY - kept));
        kept += c.length;
      });
      res.on('end', () => done(false));
      res.on('error', () => done(false));
      res.on('aborted', () => done(false));
      // Every answer but a stream carries Content-Length; a stream is read for a moment, then abandoned.
      if (res.headers['content-length'] === undefined) {
        setTimeout(() => {
          done(true);
          req.destroy();
        }, opts.streamMs);
      }
    });
    req.on('error', (e: NodeJS.ErrnoException) => finish({ status: 0, headers: {}, body: '', streamed: false, timedOut: false, error: e.code ?? e.message }));
    if (r.body) req.write(r.body);
    req.end();
  });
}

function sendRaw(port: number, r: FuzzRequest, opts: SendOptions): Promise<Outcome> {
  const budget = r.budgetMs ?? opts.budgetMs;
  return new Promise((resolve) => {
    const t0 = performance.now();
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = net.connect(port, '127.0.0.1');
    const finish = (timedOut = false, error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const status = m ? Number(m[1]) : 0;
      const bodyAt = text.indexOf('\r\n\r\n');
      resolve({ status, headers: {}, body: bodyAt >= 0 ? text.slice(bodyAt + 4, bodyAt + 4 + KEEP_BODY) : '', ms: Math.round(performance.now() - t0), streamed: false, timedOut: timedOut && status === 0, error });
    };
    const timer = setTimeout(() => finish(true), budget);
    socket.on('connect', () => {
      socket.write(r.raw!);
      if (r.rawAbandon) setTimeout(() => finish(), 2);
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // One answer is enough: the request may have asked to keep the connection open.
      const text = Buffer.concat(chunks).toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      if (head < 0) return;
      const len = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, head));
      if (!len || text.length - head - 4 >= Number(len[1])) setTimeout(() => finish(), len ? 0 : opts.streamMs);
    });
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', (e: NodeJS.ErrnoException) => finish(false, e.code ?? e.message));
  });
}

const healthAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** GET /healthz: true when it answers 200 within timeoutMs. */
export function healthy(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: healthAgent }, (res) => {
      res.resume();
      res.on('end', () => {
        clearTimeout(timer);
        resolve(res.statusCode === 200);
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve(false);
    }, timeoutMs);
    req.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/** A gauge or counter from /metrics (the first sample of that name), or undefined. */
export async function metric(port: number, name: string, timeoutMs = 5000): Promise<number | undefined> {
  const text = await new Promise<string>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', agent: healthAgent }, (res) => {
      let s = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (s += c));
      res.on('end', () => resolve(s));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Closes the keep-alive connection the health checks use (so a test's process can exit). */
export function closeHealthAgent(): void {
  healthAgent.destroy();
}
