// npm run bench -- apiserver: the embedded API server under load, measured with autocannon
// over loopback. The server runs in its own process (as `npm run cluster`), so the load
// generator and the server each have a core, as they would on this 2-core machine.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** Target and whether higher or lower is better. */
  target?: { value: number; better: 'higher' | 'lower' };
}

interface Server {
  url: string;
  stop(): Promise<void>;
}

async function startServerProcess(): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'dmb-bench-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'harness/cli/cluster.ts', '--kubeconfig', join(dir, 'kubeconfig')], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the cluster process exited (${code}) before listening:\n${out}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(url: string, method: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(url, { method, agent, headers: data ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(data) } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function must(url: string, method: string, body?: unknown, contentType?: string): Promise<string> {
  const r = await request(url, method, body, contentType);
  if (r.status >= 300) throw new Error(`${method} ${url} -> ${r.status}: ${r.body}`);
  return r.body;
}

/** Creates objects with bounded concurrency. */
async function createMany(count: number, make: (i: number) => [string, unknown], concurrency = 32): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const [url, body] = make(i);
      await must(url, 'POST', body);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export function benchPod(name: string, i: number): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: `app-${i % 20}`, 'velero.io/data-upload': `du-${i}` } },
    spec: {
      nodeName: `worker-${i % 10}`,
      containers: [
        {
          name: 'data-mover',
          image: 'velero/velero:v1.18.0',
          command: ['/velero', 'data-mover', 'backup', `--du-name=du-${i}`],
          resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } },
          volumeMounts: [{ name: 'backup-volume', mountPath: `/du-${i}` }],
        },
      ],
      volumes: [{ name: 'backup-volume', persistentVolumeClaim: { claimName: `backup-pvc-${i}` } }],
      restartPolicy: 'Never',
    },
  };
}

function pvc(name: string): object {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name },
    spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'csi-hostpath-sc', resources: { requests: { storage: '20Gi' } } },
  };
}

function dataUpload(name: string, i: number): object {
  return {
    apiVersion: 'velero.io/v2alpha1',
    kind: 'DataUpload',
    metadata: { name, labels: { 'velero.io/backup-name': 'bench' } },
    spec: {
      snapshotType: 'CSI',
      csiSnapshot: { volumeSnapshot: `vs-${i}`, storageClass: 'csi-hostpath-sc', snapshotClass: 'csi-hostpath-snapclass' },
      sourcePVC: `pvc-${i}`,
      sourceNamespace: 'bench',
      backupStorageLocation: 'default',
      operationTimeout: '10m0s',
    },
  };
}

async function rssBytes(url: string): Promise<number> {
  const text = await must(`${url}/metrics`, 'GET');
  const m = /^process_resident_memory_bytes (\d+)/m.exec(text);
  if (!m) throw new Error('the server did not report process_resident_memory_bytes');
  return Number(m[1]);
}

/**
 * The server's RSS once it has settled: read every 500 ms for 10 s after the last write, the
 * lowest reading. Right after a burst of creates the heap still holds their garbage until V8's
 * memory reducer collects it, a few seconds later or more on a busy machine: a single reading
 * at a fixed moment measured that timing more than what holding the objects costs.
 */
async function settledRss(url: string): Promise<number> {
  let low = Infinity;
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 500));
    low = Math.min(low, await rssBytes(url));
  }
  return low;
}

/** Opens n watches on a collection and counts the events they receive. */
function openWatches(url: string, n: number): { events: () => number; close: () => void } {
  let events = 0;
  const reqs: http.ClientRequest[] = [];
  for (let i = 0; i < n; i++) {
    const req = http.get(`${url}?watch=true`, { agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        for (let j = 0; j < chunk.length; j++) if (chunk.charCodeAt(j) === 10) events++;
      });
    });
    req.on('error', () => undefined);
    reqs.push(req);
  }
  return { events: () => events, close: () => reqs.forEach((r) => r.destroy()) };
}

async function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  const result = await autocannon({ connections: 16, duration: 5, ...opts });
  if (result.errors > 0 || result.non2xx > 0) {
    throw new Error(`${opts.title}: ${result.errors} errors, ${result.non2xx} non-2xx responses`);
  }
  return result;
}

/** Watch event latency: time from sending a write to its event arriving on an open watch. */
async function watchLatency(url: string, names: string[], rounds: number): Promise<{ p50: number; p99: number }> {
  const pending = new Map<string, number>();
  const samples: number[] = [];
  let buf = '';
  let resolveEvent: (() => void) | undefined;
  const req = http.get(`${url}/api/v1/namespaces/bench/pods?watch=true&resourceVersion=0`, { agent: false }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const ev = JSON.parse(line);
        const mark = ev.object?.metadata?.annotations?.['bench/mark'];
        const t0 = mark && pending.get(mark);
        if (t0) {
          samples.push(Number(process.hrtime.bigint() - BigInt(t0)) / 1e6);
          pending.delete(mark);
          resolveEvent?.();
        }
      }
    });
  });
  await new Promise((r) => setTimeout(r, 300));
  for (let i = 0; i < rounds; i++) {
    const mark = `m${i}`;
    const got = new Promise<void>((r) => (resolveEvent = r));
    pending.set(mark, Number(process.hrtime.bigint()));
    await must(`${url}/api/v1/namespaces/bench/pods/${names[i % names.length]}`, 'PATCH', { metadata: { annotations: { 'bench/mark': mark } } }, 'application/merge-patch+json');
    await got;
  }
  req.destroy();
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  return { p50: q(0.5), p99: q(0.99) };
}

export async function benchApiServer(log: (line: string) => void = console.log): Promise<Figure[]> {
  const figures: Figure[] = [];
  const server = await startServerProcess();
  const url = server.url;
  try {
    await must(`${url}/api/v1/namespaces`, 'POST', { metadata: { name: 'bench' } });
    log('seeding 1,000 pods ...');
    const podNames = Array.from({ length: 1000 }, (_, i) => `pod-${String(i).padStart(5, '0')}`);
    await createMany(1000, (i) => [`${url}/api/v1/namespaces/bench/pods`, benchPod(podNames[i], i)]);

    const get = await cannon({ title: 'GET pod', url: `${url}/api/v1/namespaces/bench/pods/pod-00042` });
    figures.push({ name: 'GET/s (one pod)', value: get.requests.average, unit: 'req/s', target: { value: 5000, better: 'higher' } });
    log(`GET/s: ${get.requests.average.toFixed(0)}`);

    const list = await cannon({ title: 'LIST 1,000 pods', url: `${url}/api/v1/namespaces/bench/pods`, connections: 4 });
    figures.push({ name: 'LIST/s (1,000 pods)', value: list.requests.average, unit: 'req/s' });
    log(`LIST/s (1,000 pods): ${list.requests.average.toFixed(1)}`);

    const watches = openWatches(`${url}/api/v1/namespaces/bench/configmaps`, 10);
    await new Promise((r) => setTimeout(r, 300));
    let created = 0;
    const create = await cannon({
      title: 'create configmaps',
      url: `${url}/api/v1/namespaces/bench/configmaps`,
      requests: [
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          setupRequest: (req) => ({
            ...req,
            body: JSON.stringify({ metadata: { name: `cm-${created++}`, labels: { app: 'bench' } }, data: { 'node-agent-config.json': '{"loadConcurrency":{"globalConfig":1}}' } }),
          }),
        },
      ],
    });
    figures.push({ name: 'creates/s (10 watches open)', value: create.requests.average, unit: 'req/s', target: { value: 2000, better: 'higher' } });
    log(`creates/s with 10 watches: ${create.requests.average.toFixed(0)}`);

    let n = 0;
    const update = await cannon({
      title: 'update configmaps',
      url: `${url}/api/v1/namespaces/bench/configmaps/cm-0`,
      requests: [
        {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/merge-patch+json' },
          setupRequest: (req) => {
            const i = n++;
            return { ...req, path: `/api/v1/namespaces/bench/configmaps/cm-${i % 500}`, body: JSON.stringify({ data: { round: String(i) } }) };
          },
        },
      ],
    });
    figures.push({ name: 'updates/s (10 watches open)', value: update.requests.average, unit: 'req/s', target: { value: 2000, better: 'higher' } });
    log(`updates/s with 10 watches: ${update.requests.average.toFixed(0)}`);
    const delivered = watches.events();
    watches.close();
    figures.push({ name: 'watch events delivered (10 watches)', value: delivered, unit: 'events' });

    const lat = await watchLatency(url, podNames, 1000);
    figures.push({ name: 'watch event latency p50', value: lat.p50, unit: 'ms' });
    figures.push({ name: 'watch event latency p99', value: lat.p99, unit: 'ms' });
    log(`watch event latency p50 ${lat.p50.toFixed(2)} ms, p99 ${lat.p99.toFixed(2)} ms`);
  } finally {
    await server.stop();
  }

  // Memory in a fresh server holding only these objects: the throughput runs above leave tens
  // of thousands of ConfigMaps behind (as many as the machine could create in their time) and
  // socket buffers the allocator keeps, which measured the machine's speed, not the objects.
  const holder = await startServerProcess();
  try {
    log('holding 10,000 pods + 10,000 PVCs + 1,000 DataUploads ...');
    const at = holder.url;
    await must(`${at}/api/v1/namespaces`, 'POST', { metadata: { name: 'bench' } });
    await createMany(10000, (i) => [`${at}/api/v1/namespaces/bench/pods`, benchPod(`pod-${String(i).padStart(5, '0')}`, i)]);
    await createMany(10000, (i) => [`${at}/api/v1/namespaces/bench/persistentvolumeclaims`, pvc(`pvc-${String(i).padStart(5, '0')}`)]);
    await createMany(1000, (i) => [`${at}/apis/velero.io/v2alpha1/namespaces/bench/datauploads`, dataUpload(`du-${String(i).padStart(5, '0')}`, i)]);
    const rss = await settledRss(at);
    figures.push({ name: 'RSS holding 10k pods + 10k PVCs + 1k DataUploads', value: rss / 1024 / 1024, unit: 'MB', target: { value: 500, better: 'lower' } });
    log(`RSS: ${(rss / 1024 / 1024).toFixed(0)} MB`);
  } finally {
    await holder.stop();
    agent.destroy();
  }
  return figures;
}
