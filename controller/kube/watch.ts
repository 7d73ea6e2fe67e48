// The transport of the controller's watches. client-node's informer (ListWatch) drives it
// through the Watch interface, exactly as with client-node's own Watch: the same URL and query,
// the kubeconfig's authentication and agent (KubeConfig.applyToHTTPSOptions), one callback per
// event line, `done` once when the stream ends or fails, and an AbortController to stop it.
// client-node's Watch reads the stream through node-fetch, a PassThrough and readline; a
// DataUpload's life is hundreds of watch events across the node-agents, and those layers cost a
// few percent of a large run. This one reads the response as it arrives and splits it on
// newlines itself.
import http from 'node:http';
import https from 'node:https';
import { STATUS_CODES } from 'node:http';
import { Watch, type KubeConfig } from '@kubernetes/client-node';

type Callback = (phase: string, apiObj: any, watchObj?: any) => void;

export class StreamWatch extends Watch {
  constructor(private readonly kc: KubeConfig) {
    super(kc);
  }

  override async watch(path: string, queryParams: Record<string, any>, callback: Callback, done: (err: any) => void): Promise<AbortController> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('No currently active cluster');
    const url = new URL(cluster.server + path);
    url.searchParams.set('watch', 'true');
    for (const [key, val] of Object.entries(queryParams ?? {})) if (val !== undefined) url.searchParams.set(key, String(val));
    const opts: https.RequestOptions = { method: 'GET' };
    await this.kc.applyToHTTPSOptions(opts);
    const controller = new AbortController();
    let doneCalled = false;
    const doneOnce = (err: unknown) => {
      if (doneCalled) return;
      doneCalled = true;
      controller.abort();
      done(err);
    };
    const req = (url.protocol === 'https:' ? https : http).request(url, { ...opts, signal: controller.signal }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        const err = Object.assign(new Error(res.statusMessage || STATUS_CODES[res.statusCode ?? 500] || 'Internal Server Error'), { statusCode: res.statusCode });
        doneOnce(err);
        return;
      }
      res.socket.setKeepAlive(true, 30000);
      res.setEncoding('utf8');
      let pending = '';
      res.on('data', (chunk: string) => {
        let start = 0;
        let nl = chunk.indexOf('\n');
        if (nl < 0) {
          pending += chunk;
          return;
        }
        let text = chunk;
        if (pending) {
          text = pending + chunk;
          nl += pending.length;
          pending = '';
        }
        while (nl >= 0) {
          deliver(text.slice(start, nl), callback);
          start = nl + 1;
          nl = text.indexOf('\n', start);
        }
        if (start < text.length) pending = text.slice(start);
      });
      res.on('error', doneOnce);
      res.on('close', () => {
        if (pending) deliver(pending, callback);
        pending = '';
        doneOnce(null);
      });
    });
    req.on('error', (e) => doneOnce(controller.signal.aborted ? null : e));
    req.end();
    return controller;
  }
}

/** One line of the stream: a watch event, or nothing if it is not JSON (as client-node's Watch, which ignores those). */
function deliver(line: string, callback: Callback): void {
  if (line.length === 0 || line === '\r') return;
  let data: { type: string; object: unknown };
  try {
    data = JSON.parse(line);
  } catch {
    return;
  }
  callback(data.type, data.object, data);
}
