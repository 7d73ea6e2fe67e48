// The backup queue against a server whose backups end their item phase when the test says:
// Velero 1.18's runnable rule (design/concurrent-backup-processing.md), the design's own worked
// example, and concurrentBackups 1 (Velero before 1.18).
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../harness/sim/virtual-clock.ts';
import type { BackupOutcome, BackupSpec, RunningBackup } from './backup.ts';
import { BackupQueue, type QueuedBackup } from './backup-queue.ts';

/** Backups that never finish on their own: itemsDone when the test calls end(name). */
function fakeServer() {
  const started: string[] = [];
  const ends = new Map<string, () => void>();
  const server = {
    async startBackup(spec: BackupSpec): Promise<RunningBackup> {
      started.push(spec.name);
      const itemsDone = new Promise<void>((r) => ends.set(spec.name, r));
      let done = false;
      void itemsDone.then(() => (done = true));
      const outcome: BackupOutcome = { phase: 'Completed', dataUploads: [], errors: [], itemErrors: [], startedAt: 0, endedAt: 0 };
      return { dataUploads: () => [], done: () => done, outcome: Promise.resolve(outcome), itemsDone, stop: async () => undefined };
    },
  };
  const end = async (name: string) => {
    ends.get(name)!();
    // The queue reacts on the promise's continuation, then starts the next backup.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { server, started, end };
}

const backup = (name: string, namespaces: string[], startAfterMs?: number): QueuedBackup => ({
  name,
  namespace: 'velero',
  pvcs: namespaces.map((ns) => ({ namespace: ns, name: 'data' })),
  ...(startAfterMs !== undefined ? { startAfterMs } : {}),
});

describe('BackupQueue', () => {
  it("the design's example: concurrentBackups 2; backup5 starts while backup2 waits on backup1, and backup3, backup4 wait behind backup2", async () => {
    const { server, started, end } = fakeServer();
    const q = new BackupQueue(
      server,
      new VirtualClock(),
      [backup('backup1', ['ns1', 'ns2']), backup('backup2', ['ns2', 'ns3', 'ns5']), backup('backup3', ['ns4', 'ns3']), backup('backup4', ['ns5', 'ns6']), backup('backup5', ['ns8', 'ns9'])],
      { concurrentBackups: 2 },
    );
    await q.start();
    expect(started).toEqual(['backup1', 'backup5']);
    await end('backup1');
    expect(started).toEqual(['backup1', 'backup5', 'backup2']);
    // Two InProgress (backup5, backup2): nothing more until one leaves its item phase.
    await end('backup5');
    // backup3 and backup4 overlap backup2 (ns3, ns5), still InProgress.
    expect(started).toEqual(['backup1', 'backup5', 'backup2']);
    await end('backup2');
    expect(started).toEqual(['backup1', 'backup5', 'backup2', 'backup3', 'backup4']);
    expect(q.done()).toBe(false);
    await end('backup3');
    await end('backup4');
    expect(q.done()).toBe(true);
  });

  it('concurrentBackups 1, as Velero before 1.18: one item phase at a time, in creation order, even without overlap', async () => {
    const { server, started, end } = fakeServer();
    const q = new BackupQueue(server, new VirtualClock(), [backup('a', ['ns1']), backup('b', ['ns2']), backup('c', ['ns3'])]);
    await q.start();
    expect(started).toEqual(['a']);
    await end('a');
    expect(started).toEqual(['a', 'b']);
    await end('b');
    expect(started).toEqual(['a', 'b', 'c']);
  });

  it('a backup created later (a schedule firing) joins the queue at its time, behind the ones created before it', async () => {
    const { server, started } = fakeServer();
    const clock = new VirtualClock();
    const t0 = clock.now();
    const startedAt: Record<string, number> = {};
    const timed = { startBackup: async (s: BackupSpec) => ((startedAt[s.name] = clock.now() - t0), server.startBackup(s)) };
    const q = new BackupQueue(timed, clock, [backup('late', ['ns2'], 60_000), backup('now', ['ns1'])], { concurrentBackups: 2 });
    await q.start();
    expect(started).toEqual(['now']);
    await clock.run(() => started.length === 2, t0 + 120_000);
    expect(started).toEqual(['now', 'late']);
    expect(startedAt.late).toBe(60_000);
  });
});
