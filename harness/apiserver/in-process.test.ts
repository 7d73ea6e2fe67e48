import http from 'node:http';
import { CoreV1Api, KubeConfig, ListWatch, Watch, type V1ConfigMap } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedCluster, type EmbeddedCluster } from '../cluster/embedded.ts';
import { InProcessAgent, InProcessLink } from './in-process.ts';

function get(agent: http.Agent, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', path, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('in-process connections', () => {
  const servers: http.Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  function serve(handler: http.RequestListener): { server: http.Server; link: InProcessLink; connections: () => number } {
    const server = http.createServer(handler);
    servers.push(server);
    let n = 0;
    server.on('connection', () => n++);
    return { server, link: new InProcessLink(server), connections: () => n };
  }

  it('carries a request to the http.Server and its response back, without listening on a port', async () => {
    const { server, link } = serve((req, res) => res.end(`${req.method} ${req.url} ${req.headers['x-probe']}`));
    expect(server.listening).toBe(false);
    const res = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', path: '/a?b=c', method: 'POST', headers: { 'x-probe': 'yes' }, agent: new InProcessAgent(link) }, (r) => {
        let body = '';
        r.on('data', (c) => (body += c));
        r.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end('payload');
    });
    expect(res).toBe('POST /a?b=c yes');
  });

  it('keeps a connection alive for the next request with withKeepAlive()', async () => {
    const { link, connections } = serve((_req, res) => res.end('ok'));
    const agent = new InProcessAgent(link).withKeepAlive();
    expect((await get(agent, '/1')).body).toBe('ok');
    expect((await get(agent, '/2')).body).toBe('ok');
    expect(connections()).toBe(1);
    const plain = new InProcessAgent(link);
    await get(plain, '/3');
    await get(plain, '/4');
    expect(connections()).toBe(3);
  });

  it('delivers each write in its own later turn, so a response is acted on before the next write arrives', async () => {
    // The server answers request A and, in the same tick, writes a line to the open stream B:
    // as with sockets, A's continuation runs before B's line is read.
    let stream: http.ServerResponse | undefined;
    const { link } = serve((req, res) => {
      if (req.url === '/stream') {
        stream = res;
        res.writeHead(200);
        res.flushHeaders();
        return;
      }
      res.end('answer');
      stream!.write('event\n');
    });
    const order: string[] = [];
    const agent = new InProcessAgent(link).withKeepAlive();
    await new Promise<void>((resolve) => {
      http.get({ host: '127.0.0.1', path: '/stream', agent }, (res) => {
        res.on('data', () => order.push('event read'));
        resolve();
      });
    });
    await new Promise((r) => setImmediate(r));
    expect(link.idle()).toBe(true);
    const done = get(agent, '/write').then(() => order.push('response handled'));
    await done;
    // The stream's line is still on its way when the response's continuation runs.
    expect(order).toEqual(['response handled']);
    expect(link.idle()).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['response handled', 'event read']);
    expect(link.idle()).toBe(true);
    stream!.end();
  });

  it('ends the client end when the server closes the connection, and closeAll() ends every one', async () => {
    const { link } = serve((_req, res) => {
      res.setHeader('Connection', 'close');
      res.end('bye');
    });
    const client = link.connect();
    const ended = new Promise<void>((resolve) => client.on('close', () => resolve()));
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    let text = '';
    client.on('data', (c: Buffer) => (text += c.toString()));
    await ended;
    expect(text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(text).toMatch(/bye$/);

    const open = link.connect();
    const closed = new Promise<void>((resolve) => open.on('close', () => resolve()));
    link.closeAll();
    await closed;
    expect(open.destroyed).toBe(true);
  });
});

describe('client-node over in-process connections to the embedded cluster', () => {
  let cluster: EmbeddedCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('serves requests and watches, and opens no TCP connection for them', async () => {
    cluster = await startEmbeddedCluster({ bookmarkIntervalMs: 60_000 });
    let tcp = 0;
    // Connections that arrive over TCP carry a net.Socket; in-process ones do not.
    (cluster.server as unknown as { server: http.Server }).server.on('connection', (s) => {
      if (s.constructor.name === 'Socket') tcp++;
    });
    const kc: KubeConfig = cluster.inProcessKubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const seen: string[] = [];
    const informer = new ListWatch<V1ConfigMap>(
      '/api/v1/namespaces/default/configmaps',
      new Watch(kc),
      () => core.listNamespacedConfigMap({ namespace: 'default' }),
      false,
    );
    informer.on('add', (o) => seen.push(`add ${o.metadata!.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata!.name} ${o.data?.k}`));
    await informer.start();
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'one' }, data: { k: '1' } } });
    await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'one', body: { metadata: { name: 'one' }, data: { k: '2' } } });
    for (let i = 0; i < 50 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    await informer.stop();
    expect(seen).toEqual(['add one', 'update one 2']);
    expect(tcp).toBe(0);
    // The watch's close goes both ways, then nothing is on its way.
    for (let i = 0; i < 10 && !cluster.server.inProcess.idle(); i++) await new Promise((r) => setImmediate(r));
    expect(cluster.server.inProcess.idle()).toBe(true);
  });
});
