// The fuzz target: the embedded cluster in a process of its own, driven over IPC by
// target.ts. A hostile request may hang the server in a synchronous loop or exhaust its heap;
// in its own process (with a small heap) that is a finding, not the end of the test run.
// Through IPC the parent asks for a fresh seeded server, and marks and diffs the store, read
// here straight from the ApiServer instance.
import { startEmbeddedCluster, type EmbeddedCluster } from '../../cluster/embedded.ts';
import type { KubeApi } from '../api.ts';
import { SEED } from './fixture.ts';
import { diffSnapshots, takeSnapshot, type Snapshot } from './store-check.ts';

export type ChildRequest = { id: number } & ({ op: 'reset'; seed: number } | { op: 'mark' } | { op: 'diff' } | { op: 'stop' });
export type ChildReply = { id: number; result?: unknown; error?: string } | { op: 'ready' };

let cluster: EmbeddedCluster | undefined;
let marked: Snapshot | undefined;

function current(): EmbeddedCluster {
  if (!cluster) throw new Error('no server: reset first');
  return cluster;
}

/** The store as it is once the server's own queued work (namespace cleanup, garbage collection) is done. */
function settledSnapshot(): Snapshot {
  const c = current();
  c.server.controllers.drain();
  return takeSnapshot(c.server.api);
}

/** fixture.ts's objects, created straight through the API (seedFixture does the same over HTTP, slower). */
function seed(api: KubeApi): void {
  for (const [path, body] of SEED) {
    const segs = path.split('/').filter(Boolean);
    const [group, version, rest] = segs[0] === 'api' ? ['', segs[1], segs.slice(2)] : [segs[1], segs[2], segs.slice(3)];
    const namespace = rest.length === 3 ? rest[1] : undefined;
    const info = api.lookup(group, version, rest[rest.length - 1]);
    if (!info) throw new Error(`seeding: no resource for ${path}`);
    api.create(info, namespace, structuredClone(body));
  }
}

async function handle(m: ChildRequest): Promise<unknown> {
  switch (m.op) {
    case 'reset': {
      await cluster?.stop();
      cluster = undefined;
      marked = undefined;
      cluster = await startEmbeddedCluster({ seed: m.seed });
      seed(cluster.server.api);
      cluster.server.controllers.drain();
      return { url: cluster.url };
    }
    case 'mark': {
      marked = settledSnapshot();
      return { rv: marked.rv, objects: marked.objects.size };
    }
    case 'diff': {
      if (!marked) throw new Error('diff before mark');
      return diffSnapshots(marked, settledSnapshot());
    }
    case 'stop': {
      await cluster?.stop();
      cluster = undefined;
      return {};
    }
  }
}

process.on('message', (m: ChildRequest) => {
  handle(m).then(
    (result) => process.send!({ id: m.id, result } satisfies ChildReply),
    (e: unknown) => process.send!({ id: m.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies ChildReply),
  );
});
// The parent went away (its test ended or crashed): so does the target.
process.on('disconnect', () => process.exit(0));
process.send!({ op: 'ready' } satisfies ChildReply);
