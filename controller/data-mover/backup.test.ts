// The data-mover program's core against the embedded cluster, with a temporary directory as the
// mounted volume: what it waits for, the Events it writes (as the node-agent reads them), what
// it reads and reports, and how it ends on a deadline, a cancel, SIGTERM and an I/O error.
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreV1Event } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../harness/test/target.ts';
import { DATA_PATH_EVENT_REASON as R, type DataPathBackupResult, type DataPathProgress } from '../api/dataupload.ts';
import { WallClock, type Clock } from '../clock.ts';
import { KubeIo } from '../kube/io.ts';
import { ERR_CANCELLED } from '../node-agent/data-path.ts';
import { runBackup, type BackupOptions, type BackupOutcome } from './backup.ts';
import { deviceSize } from './volume.ts';
import { content, DataMoverTestCluster, expectedSnapshotId, SteppingClock, type SeenEvent, type TestVolume } from './test-cluster.ts';

let cluster: DataMoverTestCluster;
beforeAll(async () => {
  cluster = await DataMoverTestCluster.start();
});
afterAll(async () => {
  await cluster?.stop();
});

const NODE = 'worker-1';
const A = content(3000, 1);
const B = content(5000, 2);

interface Started {
  outcome: Promise<BackupOutcome>;
  termination: string[];
  /** The data mover's own client, to count its requests. */
  io: KubeIo;
  startedAt: number;
}

function start(opts: Pick<BackupOptions, 'namespace' | 'dataUpload'> & { volume: TestVolume } & Partial<BackupOptions>): Started {
  const clock = opts.clock ?? new WallClock();
  const io = new KubeIo(cluster.target.kubeConfig, { who: 'data-mover', clock });
  const termination: string[] = [];
  const startedAt = Date.now();
  const outcome = runBackup({
    io,
    clock,
    node: NODE,
    volumePath: opts.volume.volumePath,
    root: opts.volume.root,
    volumeMode: 'Filesystem',
    pollIntervalMs: 50,
    progressIntervalMs: 100,
    writeTerminationMessage: (m) => void termination.push(m),
    ...opts,
  });
  return { outcome, termination, io, startedAt };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const reasonsAdded = (seen: SeenEvent[]) => seen.filter((e) => e.type === 'add').map((e) => e.reason);
const progressSeen = (seen: SeenEvent[]) => seen.filter((e) => e.reason === R.Progress).map((e) => JSON.parse(e.message) as DataPathProgress);

/** A volume with two files of known content, an empty file, a symbolic link and a FIFO (read, a FIFO would block). */
async function standardVolume(uid: string): Promise<TestVolume> {
  const volume = await cluster.volume(uid, { 'a.txt': A, empty: '', 'sub/b.bin': B });
  await symlink(join(volume.dir, 'a.txt'), join(volume.dir, 'link'));
  execFileSync('mkfifo', [join(volume.dir, 'sub', 'fifo')]);
  return volume;
}

describe('runBackup: a DataUpload that becomes InProgress', () => {
  it('waits through Accepted and Prepared, then Started, Progress folded into one Event, Completed with the hash of the files, Stopped; exit 0 with the result', async () => {
    const ns = await cluster.namespace();
    const du = await cluster.createDataUpload(ns, 'du-a', 'Accepted');
    const volume = await standardVolume(du.metadata.uid!);
    const events = await cluster.followEvents(ns);
    // 8000 bytes at 16000 B/s: about half a second, five progress ticks.
    const run = start({ namespace: ns, dataUpload: 'du-a', volume, throughputBytesPerSecond: 16_000 });

    await sleep(250);
    expect((await cluster.events(ns, 'du-a')).size).toBe(0);
    const pollsWhileAccepted = run.io.cost.sent.get;
    expect(pollsWhileAccepted).toBeGreaterThanOrEqual(3);
    await cluster.setPhase(ns, 'du-a', 'Prepared');
    await sleep(250);
    expect((await cluster.events(ns, 'du-a')).size).toBe(0);
    expect(run.io.cost.sent.get).toBeGreaterThanOrEqual(pollsWhileAccepted + 3);

    await cluster.setPhase(ns, 'du-a', 'InProgress');
    const movingFrom = Date.now();
    const outcome = await run.outcome;
    expect(Date.now() - movingFrom).toBeGreaterThanOrEqual(500);

    const result = JSON.parse(outcome.message) as DataPathBackupResult;
    expect(result).toEqual({
      snapshotID: expectedSnapshotId(A, B),
      emptySnapshot: false,
      source: { byPath: volume.volumePath, volumeMode: 'Filesystem' },
      totalBytes: 8000,
      incrementalBytes: 8000,
    });
    expect(outcome).toEqual({ exitCode: 0, message: outcome.message, doneBytes: 8000 });
    expect(run.termination).toEqual([outcome.message]);

    const byReason = await cluster.events(ns, 'du-a');
    expect([...byReason.keys()].sort()).toEqual([R.Completed, R.Progress, R.Started, R.Stopped].sort());
    for (const e of byReason.values()) {
      expect(e.type).toBe('Normal');
      expect(e.source).toEqual({ component: 'du-a', host: NODE });
      expect(e.reportingComponent).toBe('du-a');
      expect(e.involvedObject).toMatchObject({ apiVersion: 'velero.io/v2alpha1', kind: 'DataUpload', namespace: ns, name: 'du-a', uid: du.metadata.uid });
      expect(e.metadata.name).toMatch(/^du-a\.[0-9a-f]{16,}$/);
    }
    expect(byReason.get(R.Started)).toMatchObject({ message: 'Data path for du-a started', count: 1 });
    expect(byReason.get(R.Completed)).toMatchObject({ message: outcome.message, count: 1 });
    expect(byReason.get(R.Stopped)).toMatchObject({ message: 'Data path for du-a stopped', count: 1 });
    const progress = byReason.get(R.Progress)!;
    expect(progress.count).toBeGreaterThan(1);
    expect(progress.message).toBe('{"totalBytes":8000,"doneBytes":8000}');

    // As the node-agent's watch sees them: in order, progress growing to the total.
    await eventually(() => (events.seen.some((e) => e.reason === R.Stopped) ? true : undefined), 'the Stopped event');
    await events.stop();
    expect(reasonsAdded(events.seen)).toEqual([R.Started, R.Progress, R.Completed, R.Stopped]);
    const seen = progressSeen(events.seen);
    expect(seen.length).toBe(progress.count);
    expect(seen.every((p) => p.totalBytes === 8000)).toBe(true);
    const done = seen.map((p) => p.doneBytes ?? 0);
    expect(done).toEqual([...done].sort((x, y) => x - y));
    expect(done[0]).toBeLessThan(8000);
    expect(done.at(-1)).toBe(8000);
    expect(events.seen.filter((e) => e.reason === R.Progress).map((e) => e.count)).toEqual(seen.map((_, i) => i + 1));
  });

  it('polls for a DataUpload that does not exist yet', async () => {
    const ns = await cluster.namespace();
    const volume = await cluster.volume('late', { 'a.txt': A });
    const run = start({ namespace: ns, dataUpload: 'du-late', volume });
    await sleep(200);
    expect(run.io.cost.sent.get).toBeGreaterThanOrEqual(3);
    await cluster.createDataUpload(ns, 'du-late', 'InProgress');
    const outcome = await run.outcome;
    expect(outcome.exitCode).toBe(0);
    expect(JSON.parse(outcome.message).snapshotID).toBe(expectedSnapshotId(A));
  });

  it('on a stepped clock: 8000 bytes at 1000 B/s sleep 8 s, with progress at every second exactly', async () => {
    const ns = await cluster.namespace();
    const du = await cluster.createDataUpload(ns, 'du-b', 'InProgress');
    const volume = await cluster.volume(du.metadata.uid!, { 'a.txt': A, 'sub/b.bin': B });
    const events = await cluster.followEvents(ns);
    const clock = new SteppingClock();
    const t0 = clock.now();
    const outcome = await start({ namespace: ns, dataUpload: 'du-b', volume, clock, throughputBytesPerSecond: 1000, progressIntervalMs: 1000 }).outcome;

    expect(outcome.exitCode).toBe(0);
    expect(clock.slept).toBe(8000);
    expect(clock.now() - t0).toBe(8000);
    const progress = (await cluster.events(ns, 'du-b')).get(R.Progress)!;
    // Ticks at 1 s ... 8 s, then the last report at the end.
    expect(progress.count).toBe(9);
    await eventually(() => (events.seen.some((e) => e.reason === R.Stopped) ? true : undefined), 'the Stopped event');
    await events.stop();
    expect(progressSeen(events.seen).map((p) => p.doneBytes)).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 8000]);
  });

  it('an empty volume is an empty snapshot: no snapshot ID, no byte counts', async () => {
    const ns = await cluster.namespace();
    const du = await cluster.createDataUpload(ns, 'du-empty', 'InProgress');
    const volume = await cluster.volume(du.metadata.uid!, { empty: '' });
    const outcome = await start({ namespace: ns, dataUpload: 'du-empty', volume }).outcome;
    expect(outcome.exitCode).toBe(0);
    expect(JSON.parse(outcome.message)).toEqual({ snapshotID: '', emptySnapshot: true, source: { byPath: volume.volumePath, volumeMode: 'Filesystem' } });
  });
});

describe('runBackup: ending otherwise', () => {
  it('--in-progress-timeout passes while the DataUpload stays Prepared: exit 1 with Velero\'s message, no Event', async () => {
    const ns = await cluster.namespace();
    const du = await cluster.createDataUpload(ns, 'du-c', 'Prepared');
    const volume = await cluster.volume(du.metadata.uid!, { 'a.txt': A });
    const run = start({ namespace: ns, dataUpload: 'du-c', volume, inProgressTimeoutMs: 300 });
    const outcome = await run.outcome;
    const elapsed = Date.now() - run.startedAt;
    const message = 'Failed to run data path service for DataUpload du-c: error waiting for du: context deadline exceeded';
    expect(outcome).toEqual({ exitCode: 1, message, doneBytes: 0 });
    expect(run.termination).toEqual([message]);
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(3000);
    expect(run.io.cost.sent.get).toBeGreaterThanOrEqual(5);
    expect((await cluster.events(ns, 'du-c')).size).toBe(0);
  });

  it('spec.cancel while moving: stops reading, Canceling, Canceled, Stopped; exit 1 ending "data path is canceled"', async () => {
    const ns = await cluster.namespace();
    const du = await cluster.createDataUpload(ns, 'du-d', 'InProgress');
    const volume = await cluster.volume(du.metadata.uid!, { 'a.txt': A, 'sub/b.bin': B });
    const events = await cluster.followEvents(ns);
    // 8000 bytes at 4000 B/s would take 2 s.
    const run = start({ namespace: ns, dataUpload: 'du-d', volume, throughputBytesPerSecond: 4000 });
    await eventually(() => (progressSeen(events.seen).some((p) => (p.doneBytes ?? 0) > 0) ? true : undefined), 'some progress');
    await cluster.setCancel(ns, 'du-d');
    const outcome = await run.outcome;

    expect(outcome.exitCode).toBe(1);
    expect(outcome.message).toBe(`Failed to run data path service for DataUpload du-d: ${ERR_CANCELLED}`);
    expect(outcome.message.endsWith(ERR_CANCELLED)).toBe(true);
    expect(run.termination).toEqual([outcome.message]);
    expect(outcome.doneBytes).toBeGreaterThan(0);
    expect(outcome.doneBytes).toBeLessThan(8000);
    expect(Date.now() - run.startedAt).toBeLessThan(2000);

    const byReason = await cluster.events(ns, 'du-d');
    expect(byReason.has(R.Completed)).toBe(false);
    expect(byReason.get(R.Canceling)?.message).toBe('Canceling for data upload du-d');
    expect(byReason.get(R.Canceled)?.message).toBe('Data path for data upload du-d canceled');
    expect(byReason.get(R.Stopped)?.message).toBe('Data path for du-d stopped');
    await eventually(() => (events.seen.some((e) => e.reason === R.Stopped) ? true : undefined), 'the Stopped event');
    await events.stop();
    expect(reasonsAdded(events.seen)).toEqual([R.Started, R.Progress, R.Canceling, R.Canceled, R.Stopped]);
  });

  it('spec.cancel already set when the data path starts is seen too (level-based): Started, Canceling, Canceled, Stopped', async () => {
    const ns = await cluster.namespace();
    const du = await cluster.createDataUpload(ns, 'du-x', 'InProgress');
    await cluster.setCancel(ns, 'du-x');
    const volume = await cluster.volume(du.metadata.uid!, { 'a.txt': A, 'sub/b.bin': B });
    const events = await cluster.followEvents(ns);
    const outcome = await start({ namespace: ns, dataUpload: 'du-x', volume, throughputBytesPerSecond: 4000 }).outcome;
    expect(outcome.message).toBe(`Failed to run data path service for DataUpload du-x: ${ERR_CANCELLED}`);
    expect(outcome.doneBytes).toBeLessThan(8000);
    await eventually(() => (events.seen.some((e) => e.reason === R.Stopped) ? true : undefined), 'the Stopped event');
    await events.stop();
    expect(reasonsAdded(events.seen).filter((r) => r !== R.Progress)).toEqual([R.Started, R.Canceling, R.Canceled, R.Stopped]);
  });

  it('SIGTERM while moving is a cancel: Canceling, Canceled, Stopped; exit 1 ending "data path is canceled"', async () => {
    const ns = await cluster.namespace();
    const du = await cluster.createDataUpload(ns, 'du-t', 'InProgress');
    const volume = await cluster.volume(du.metadata.uid!, { 'a.txt': A, 'sub/b.bin': B });
    const sigterm = new AbortController();
    const run = start({ namespace: ns, dataUpload: 'du-t', volume, throughputBytesPerSecond: 4000, signal: sigterm.signal });
    await eventually(async () => ((await cluster.events(ns, 'du-t')).has(R.Started) ? true : undefined), 'the Started event');
    sigterm.abort();
    const outcome = await run.outcome;
    expect(outcome.message).toBe(`Failed to run data path service for DataUpload du-t: ${ERR_CANCELLED}`);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.doneBytes).toBeLessThan(8000);
    const reasons = [...(await cluster.events(ns, 'du-t')).keys()];
    expect(reasons).toEqual(expect.arrayContaining([R.Started, R.Canceling, R.Canceled, R.Stopped]));
    expect(reasons).not.toContain(R.Completed);
  });

  it('SIGTERM while waiting: exit 1 with "context canceled", no Event', async () => {
    const ns = await cluster.namespace();
    const du = await cluster.createDataUpload(ns, 'du-w', 'Prepared');
    const volume = await cluster.volume(du.metadata.uid!, { 'a.txt': A });
    const sigterm = new AbortController();
    const run = start({ namespace: ns, dataUpload: 'du-w', volume, signal: sigterm.signal });
    await sleep(120);
    sigterm.abort();
    const outcome = await run.outcome;
    expect(outcome).toEqual({ exitCode: 1, message: 'Failed to run data path service for DataUpload du-w: error waiting for du: context canceled', doneBytes: 0 });
    expect(Date.now() - run.startedAt).toBeLessThan(1000);
    expect((await cluster.events(ns, 'du-w')).size).toBe(0);
  });

  it('a file that vanishes before it is read: Data-Path-Failed with the I/O error, Stopped, exit 1', async () => {
    const ns = await cluster.namespace();
    const du = await cluster.createDataUpload(ns, 'du-e', 'InProgress');
    const volume = await cluster.volume(du.metadata.uid!, { 'a.txt': A, 'sub/b.bin': B });
    const vanishing = join(volume.dir, 'sub', 'b.bin');
    // The first throttle sleep comes after a.txt is read and b.bin was listed: remove it then.
    const wall = new WallClock();
    let removed = false;
    const clock: Clock = {
      now: () => wall.now(),
      setTimer: (ms, fn) => wall.setTimer(ms, fn),
      sleep: async (ms) => {
        if (!removed) {
          removed = true;
          await rm(vanishing);
        }
        await wall.sleep(ms);
      },
    };
    const run = start({ namespace: ns, dataUpload: 'du-e', volume, clock, throughputBytesPerSecond: 100_000 });
    const outcome = await run.outcome;

    const failure = `error running backup: ENOENT: no such file or directory, open '${vanishing}'`;
    expect(outcome).toEqual({
      exitCode: 1,
      message: `Failed to run data path service for DataUpload du-e: Data path for data upload du-e failed: ${failure}`,
      doneBytes: 3000,
    });
    expect(run.termination).toEqual([outcome.message]);
    const byReason = await cluster.events(ns, 'du-e');
    expect([...byReason.keys()].sort()).toEqual([R.Failed, R.Started, R.Stopped].sort());
    expect(byReason.get(R.Failed)?.message).toBe(`Data path for data upload du-e failed, error ${failure}`);
  });
});

describe('runBackup: Block mode', () => {
  it('reads the device at the volume path whole (a regular file standing in) and reports it as Block', async () => {
    const ns = await cluster.namespace();
    const du = await cluster.createDataUpload(ns, 'du-f', 'InProgress');
    const device = content(10_000, 3);
    const volume = await cluster.blockVolume(du.metadata.uid!, device);
    const outcome = await start({ namespace: ns, dataUpload: 'du-f', volume, volumeMode: 'Block' }).outcome;
    expect(outcome.exitCode).toBe(0);
    expect(JSON.parse(outcome.message)).toEqual({
      snapshotID: expectedSnapshotId(device),
      emptySnapshot: false,
      source: { byPath: volume.volumePath, volumeMode: 'Block' },
      totalBytes: 10_000,
      incrementalBytes: 10_000,
    });
    const completed = (await cluster.events(ns, 'du-f')).get(R.Completed) as CoreV1Event;
    expect(completed.message).toBe(outcome.message);
  });

  it('a directory where the device should be: Data-Path-Failed (EISDIR)', async () => {
    const ns = await cluster.namespace();
    const du = await cluster.createDataUpload(ns, 'du-g', 'InProgress');
    const volume = await cluster.volume(du.metadata.uid!, { 'a.txt': A });
    const outcome = await start({ namespace: ns, dataUpload: 'du-g', volume, volumeMode: 'Block' }).outcome;
    expect(outcome.exitCode).toBe(1);
    expect(outcome.message).toMatch(/^Failed to run data path service for DataUpload du-g: Data path for data upload du-g failed: error running backup: EISDIR: illegal operation on a directory/);
    expect((await cluster.events(ns, 'du-g')).has(R.Failed)).toBe(true);
  });
});

describe('deviceSize', () => {
  it.each([0, 1, 2, 3, 511, 512, 4097, 1_000_000])('finds the end of %d bytes by reading', async (size) => {
    const dir = await mkdtemp(join(tmpdir(), 'device-size-'));
    const file = join(dir, 'dev');
    await writeFile(file, Buffer.alloc(size, 7));
    const fh = await open(file, 'r');
    try {
      expect(await deviceSize(fh)).toBe(size);
    } finally {
      await fh.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
