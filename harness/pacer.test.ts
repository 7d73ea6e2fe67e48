// The quiet pacer makes HTTP races on the embedded cluster reproducible: node-agents (here,
// plain KubeIo clients named as they are) race conflict-checked updates of the same
// DataUploads, round after round; who wins is decided by the seed, not by machine timing.
import { Worker } from 'node:worker_threads';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { DATA_UPLOAD_API_VERSION, DATA_UPLOAD_PLURAL, type DataUpload } from '../controller/api/dataupload.ts';
import { isConflict, KubeIo, type Obj, type RequestPacer } from '../controller/kube/io.ts';
import { startEmbeddedCluster } from './cluster/embedded.ts';
import { QuietPacer } from './pacer.ts';
import { seededRandom } from './random.ts';
import { VirtualClock } from './sim/virtual-clock.ts';

const AGENTS = ['node-agent/worker-1', 'node-agent/worker-2', 'node-agent/worker-3', 'node-agent/worker-4'];
const OBJECTS = ['du-a', 'du-b', 'du-c'];
const ROUNDS = 12;

interface RaceResult {
  /** Per round and object, the client whose update went through. */
  winners: string[];
  conflicts: number;
  granted?: number;
}

/**
 * Every round, every client reads every DataUpload, then all try to accept all of them with an
 * update carrying the resourceVersion they read: one wins per object, the others get 409.
 * Before each request a client waits a random 0-3 ms of real time (counted as work, so the
 * virtual clock waits for it), as a loaded machine would delay it.
 */
async function race(opts: { seed: number; paced: boolean; insideRun: boolean }): Promise<RaceResult> {
  const clock = new VirtualClock();
  const cluster = await startEmbeddedCluster({ clock, seed: opts.seed });
  const pacer: RequestPacer | undefined = opts.paced ? new QuietPacer(clock, seededRandom(opts.seed).fork('request-order')) : undefined;
  try {
    const kc = new KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
    const io = (who: string) => new KubeIo(kc, { who, clock, work: clock, pacer });
    const setup = io('velero-server');
    for (const name of OBJECTS) await setup.createObject<DataUpload & Obj>(DATA_UPLOAD_PLURAL, dataUpload(name));
    const clients = AGENTS.map((who) => ({ who, io: io(who) }));
    const jitter = () => clock.track(new Promise((r) => setTimeout(r, Math.random() * 3)));
    const ref = (name: string) => ({ apiVersion: DATA_UPLOAD_API_VERSION, resource: DATA_UPLOAD_PLURAL, namespace: 'default', name });

    const winners: string[] = [];
    let conflicts = 0;
    // Each client sends one request at a time, as a node-agent's reconcile does; the clients race.
    const rounds = async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const seen = await Promise.all(
          clients.map(async (c) => {
            const read: (DataUpload & Obj)[] = [];
            for (const name of OBJECTS) {
              await jitter();
              read.push(await c.io.getObject<DataUpload & Obj>(ref(name)));
            }
            return read;
          }),
        );
        const won = await Promise.all(
          clients.map(async (c, i) => {
            const results: boolean[] = [];
            for (const du of seen[i]) {
              await jitter();
              // A change in every round (an identical update would not bump the resourceVersion).
              const accepted = { ...du, status: { ...du.status, phase: 'Accepted', acceptedByNode: c.who, message: `round ${round}` } };
              try {
                await c.io.replaceObject(DATA_UPLOAD_PLURAL, accepted);
                results.push(true);
              } catch (e) {
                if (!isConflict(e)) throw e;
                conflicts++;
                results.push(false);
              }
            }
            return results;
          }),
        );
        for (let o = 0; o < OBJECTS.length; o++) {
          const who = clients.filter((_, i) => won[i][o]).map((c) => c.who);
          expect(who).toHaveLength(1); // they all read the same resourceVersion: one update goes through
          winners.push(`${OBJECTS[o]}:${who[0]}`);
        }
      }
    };
    if (opts.insideRun) {
      let finished = false;
      const work = rounds().finally(() => (finished = true));
      expect(await clock.run(() => finished)).toBe('done');
      await work;
    } else {
      await rounds(); // no clock.run(): the clock pumps the pacer's turns itself
    }
    return { winners, conflicts, granted: (pacer as QuietPacer | undefined)?.granted };
  } finally {
    await cluster.stop();
  }
}

function dataUpload(name: string): DataUpload & Obj {
  return {
    apiVersion: DATA_UPLOAD_API_VERSION,
    kind: 'DataUpload',
    metadata: { name, namespace: 'default' },
    spec: { snapshotType: 'CSI', sourcePVC: name, sourceNamespace: 'app', backupStorageLocation: 'default', operationTimeout: '10m0s' },
  };
}

/** Keeps the other core busy until stopped, so this process's timing is disturbed. */
function busyLoop(): { stop(): Promise<number> } {
  const worker = new Worker('for (;;) {}', { eval: true });
  return { stop: () => worker.terminate() };
}

describe('QuietPacer', () => {
  it('gives a race the same winners on every run with one seed, whatever the machine load, and other winners with another seed', async () => {
    const first = await race({ seed: 11, paced: true, insideRun: true });
    const load = busyLoop();
    let loaded: RaceResult;
    let outside: RaceResult;
    try {
      loaded = await race({ seed: 11, paced: true, insideRun: true });
      outside = await race({ seed: 11, paced: true, insideRun: false });
    } finally {
      await load.stop();
    }
    const other = await race({ seed: 12, paced: true, insideRun: true });

    const rounds = ROUNDS * OBJECTS.length;
    expect(first.winners).toHaveLength(rounds);
    expect(first.conflicts).toBe(rounds * (AGENTS.length - 1)); // every loser got its 409
    expect(new Set(first.winners.map((w) => w.split(':')[1])).size).toBeGreaterThan(1); // a real race: several winners
    expect(loaded.winners).toEqual(first.winners);
    expect(outside.winners).toEqual(first.winners); // served by the clock's pump, not run(): same turns
    expect(first.granted).toBe(OBJECTS.length + 2 * rounds * AGENTS.length);
    expect(other.winners).not.toEqual(first.winners);
  });

  it('without it, the same race is decided by timing', async () => {
    const a = await race({ seed: 11, paced: false, insideRun: false });
    const b = await race({ seed: 11, paced: false, insideRun: false });
    expect(a.conflicts).toBe(ROUNDS * OBJECTS.length * (AGENTS.length - 1));
    expect(a.winners).not.toEqual(b.winners);
  });
});

/** Ten clients each asking for three turns at once; the order the turns are given in. */
async function grants(seed: number, opts: { busyFor?: number } = {}): Promise<{ order: string[]; at: number[] }> {
  const clock = new VirtualClock();
  const start = clock.now();
  const pacer = new QuietPacer(clock, seededRandom(seed));
  const order: string[] = [];
  const at: number[] = [];
  if (opts.busyFor) {
    clock.begin();
    clock.setTimer(0, () => undefined);
    setTimeout(() => clock.end(), opts.busyFor);
  }
  const clients = Array.from({ length: 10 }, (_, i) => `node-agent/worker-${i}`);
  await Promise.all(
    clients.map(async (who) => {
      for (let n = 0; n < 3; n++) {
        await pacer.turn(who);
        order.push(`${who}#${n}`);
        at.push(clock.now() - start);
      }
    }),
  );
  return { order, at };
}

describe('QuietPacer, its turns alone', () => {
  it('gives turns one at a time in a seeded order: the same seed, the same order; another seed, another', async () => {
    const a = await grants(7);
    expect(a.order).toHaveLength(30);
    expect(await grants(7)).toEqual(a);
    expect((await grants(8)).order).not.toEqual(a.order);
    // Each client's own turns keep their order.
    for (let i = 0; i < 10; i++) {
      const mine = a.order.filter((o) => o.startsWith(`node-agent/worker-${i}#`));
      expect(mine).toEqual([0, 1, 2].map((n) => `node-agent/worker-${i}#${n}`));
    }
  });

  it('gives no turn while anything is busy, and gives them without advancing time (run() need not be active)', async () => {
    const started = Date.now();
    const r = await grants(7, { busyFor: 200 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(new Set(r.at)).toEqual(new Set([0]));
  });
});
