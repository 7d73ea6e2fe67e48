// The controller's watch transport: the same events, errors and end as client-node's own Watch,
// for the same stream, however the stream is cut into chunks.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamWatch } from './watch.ts';

interface Served {
  status?: number;
  /** Pieces of the body, each written as it is, a turn of the event loop apart. */
  chunks?: (string | Buffer)[];
  /** Leave the response open after the chunks (the client aborts it). */
  hold?: boolean;
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A server that answers every request with `served`, and remembers what it was asked. */
async function serve(served: Served): Promise<{ kc: KubeConfig; requests: { url: string; headers: http.IncomingHttpHeaders }[] }> {
  const requests: { url: string; headers: http.IncomingHttpHeaders }[] = [];
  const server = http.createServer(async (req, res) => {
    requests.push({ url: req.url!, headers: req.headers });
    res.writeHead(served.status ?? 200, { 'Content-Type': 'application/json' });
    for (const c of served.chunks ?? []) {
      res.write(c);
      await new Promise((r) => setTimeout(r, 2));
    }
    if (!served.hold) res.end();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return { kc, requests };
}

interface Seen {
  events: [string, unknown][];
  done: Promise<unknown>;
  doneCalls: () => number;
  controller: AbortController;
}

async function watchWith(w: Watch, query: Record<string, unknown> = {}): Promise<Seen> {
  const events: [string, unknown][] = [];
  let calls = 0;
  let resolve!: (e: unknown) => void;
  const done = new Promise<unknown>((r) => (resolve = r));
  const controller = await w.watch('/api/v1/namespaces/velero/pods', query, (type, obj) => events.push([type, obj]), (err) => {
    calls++;
    resolve(err);
  });
  return { events, done, doneCalls: () => calls, controller };
}

const ev = (type: string, name: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type, object: { kind: 'Pod', metadata: { name, resourceVersion: '7', ...extra } } });

describe('StreamWatch', () => {
  it('hands over every event line as client-node does, however the stream is cut', async () => {
    const body = `${ev('ADDED', 'a')}\n${ev('MODIFIED', 'a', { labels: { owner: 'Zoë 🚀' } })}\nnot json\n\n${ev('DELETED', 'a')}\n${ev('ADDED', 'b')}`;
    const bytes = Buffer.from(body);
    // Cut everywhere, including inside the emoji's four bytes and right after a newline.
    const emoji = bytes.indexOf(Buffer.from('🚀'));
    const cuts = [5, bytes.indexOf(10) + 1, emoji + 1, emoji + 3, bytes.length - 10];
    const chunks = cuts.map((c, i) => bytes.subarray(i === 0 ? 0 : cuts[i - 1], c));
    chunks.push(bytes.subarray(cuts.at(-1)!));

    const expected = await serve({ chunks });
    const theirs = await watchWith(new Watch(expected.kc));
    await theirs.done;
    const mine = await serve({ chunks });
    const ours = await watchWith(new StreamWatch(mine.kc));
    expect(await ours.done).toBeNull();

    expect(ours.events.map(([t]) => t)).toEqual(['ADDED', 'MODIFIED', 'DELETED', 'ADDED']);
    expect(ours.events).toEqual(theirs.events);
    expect((ours.events[1][1] as { metadata: { labels: { owner: string } } }).metadata.labels.owner).toBe('Zoë 🚀');
    expect(ours.doneCalls()).toBe(1);
  });

  it('asks for the path with watch=true, the query and the kubeconfig credentials', async () => {
    const { kc, requests } = await serve({ chunks: [] });
    const seen = await watchWith(new StreamWatch(kc), { resourceVersion: '42', fieldSelector: 'spec.nodeName=n1', labelSelector: undefined });
    await seen.done;
    const url = new URL(requests[0].url, 'http://x');
    expect(url.pathname).toBe('/api/v1/namespaces/velero/pods');
    expect(Object.fromEntries(url.searchParams)).toEqual({ watch: 'true', resourceVersion: '42', fieldSelector: 'spec.nodeName=n1' });
    expect(requests[0].headers.authorization).toBe('Bearer secret-token');
  });

  it('ends with an error that carries the status when the server refuses the watch', async () => {
    const { kc } = await serve({ status: 410, chunks: ['{"kind":"Status","code":410}'] });
    const seen = await watchWith(new StreamWatch(kc));
    const err = (await seen.done) as Error & { statusCode: number };
    expect(err).toBeInstanceOf(Error);
    expect(err.statusCode).toBe(410);
    expect(err.message).toBe('Gone');
    expect(seen.events).toEqual([]);
  });

  it('stops when aborted, calling done once', async () => {
    const { kc } = await serve({ chunks: [`${ev('ADDED', 'a')}\n`], hold: true });
    const seen = await watchWith(new StreamWatch(kc));
    await expect.poll(() => seen.events.length).toBe(1);
    seen.controller.abort();
    await seen.done;
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.doneCalls()).toBe(1);
  });

  it('ends with the connection error when the server cannot be reached', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [{ name: 'c', server: 'http://127.0.0.1:1', skipTLSVerify: true }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
    const seen = await watchWith(new StreamWatch(kc));
    expect(String(await seen.done)).toMatch(/ECONNREFUSED/);
  });
});
