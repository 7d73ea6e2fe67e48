// The controller's HTTP transport for client-node: requests as client-node builds them, sent
// with node:http, answered as client-node expects (status, headers, body), errors included.
import { HttpMethod, RequestContext } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../harness/cluster/embedded.ts';
import { nodeHttpLibrary } from './http-library.ts';

let cluster: EmbeddedCluster;
beforeAll(async () => {
  cluster = await startEmbeddedCluster();
});
afterAll(() => cluster.stop());

function send(ctx: RequestContext) {
  return nodeHttpLibrary.send(ctx).toPromise();
}

describe('nodeHttpLibrary', () => {
  it('sends the method, headers and body, and hands back the status, headers and body', async () => {
    const post = new RequestContext(`${cluster.url}/api/v1/namespaces/default/configmaps`, HttpMethod.POST);
    post.setHeaderParam('Content-Type', 'application/json');
    post.setBody(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1' }, data: { k: 'värde' } }));
    const created = await send(post);
    expect(created.httpStatusCode).toBe(201);
    expect(created.headers['content-type']).toBe('application/json');
    expect(JSON.parse(await created.body.text()).data.k).toBe('värde');

    const got = await send(new RequestContext(`${cluster.url}/api/v1/namespaces/default/configmaps/c1`, HttpMethod.GET));
    expect(got.httpStatusCode).toBe(200);
    expect((await got.body.binary()).toString('utf8')).toContain('"värde"');
  });

  it('returns an error status as a response (client-node turns it into an ApiException)', async () => {
    const missing = await send(new RequestContext(`${cluster.url}/api/v1/namespaces/default/configmaps/none`, HttpMethod.GET));
    expect(missing.httpStatusCode).toBe(404);
    expect(JSON.parse(await missing.body.text())).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
  });

  it('names itself in User-Agent unless the request does', async () => {
    await send(new RequestContext(`${cluster.url}/api/v1/namespaces`, HttpMethod.GET));
    expect([...cluster.server.requestCounts.keys()]).toContain('datamover-bench (@kubernetes/client-node)');
  });

  it('refuses a body it cannot send, saying which kinds it can', async () => {
    const ctx = new RequestContext(`${cluster.url}/api/v1/namespaces`, HttpMethod.POST);
    ctx.setBody(new URLSearchParams({ a: '1' }) as never);
    await expect(send(ctx)).rejects.toThrow(/a request body of type \[object URLSearchParams\] is not supported \(strings and Buffers are\)/);
  });

  it('rejects when the server cannot be reached', async () => {
    await expect(send(new RequestContext('http://127.0.0.1:1/api', HttpMethod.GET))).rejects.toThrow(/ECONNREFUSED/);
  });
});
