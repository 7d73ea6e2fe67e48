// The HTTP transport of the controller's client-node APIs: client-node's generated API classes
// build each request (path, query, headers, body, the kubeconfig's authentication and agent)
// and parse each response; this sends it with node:http/https on the request's own agent.
// client-node's default transport wraps node-fetch, which costs about as much again as the
// request itself on loopback (Request, Headers and a body stream per call); at tens of
// thousands of requests a run, that was a tenth of its time. `createConfiguration` takes the
// transport as `httpApi`, client-node's seam for exactly this.
import http from 'node:http';
import https from 'node:https';
import { ResponseContext, wrapHttpLibrary, type HttpLibrary, type RequestContext } from '@kubernetes/client-node';

const USER_AGENT = 'datamover-bench (@kubernetes/client-node)';

function send(req: RequestContext): Promise<ResponseContext> {
  return new Promise((resolve, reject) => {
    const body = req.getBody();
    if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) {
      reject(new Error(`http-library: a request body of type ${Object.prototype.toString.call(body)} is not supported (strings and Buffers are)`));
      return;
    }
    const url = new URL(req.getUrl());
    const headers: Record<string, string | number> = { 'User-Agent': USER_AGENT, ...req.getHeaders() };
    if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      { method: req.getHttpMethod(), headers, agent: req.getAgent() as http.Agent | undefined, signal: req.getSignal() as AbortSignal | undefined },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve(new ResponseContext(res.statusCode ?? 0, out, { text: async () => data.toString('utf8'), binary: async () => data }));
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

export const nodeHttpLibrary: HttpLibrary = wrapHttpLibrary({ send });
