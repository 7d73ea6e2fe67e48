// For the data mover's tests: the embedded cluster (or CONTRACT_TARGET's), DataUploads in
// fresh namespaces, a temporary directory standing in for the mounted volume, and the Events
// the data mover writes, read back as the node-agent would see them.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CoreV1Event } from '@kubernetes/client-node';
import { startTestTarget, type TestTarget } from '../../harness/test/target.ts';
import { DATA_UPLOAD_API_VERSION, DATA_UPLOAD_KIND, DATA_UPLOAD_PLURAL, type DataUpload, type DataUploadPhase } from '../api/dataupload.ts';
import { WallClock, type Clock, type Timer } from '../clock.ts';
import { KubeIo, type Obj } from '../kube/io.ts';

export interface SeenEvent {
  /** "add" for a new Event, "update" for a repeat folded into it. */
  type: 'add' | 'update';
  reason: string;
  message: string;
  count: number;
}

export interface TestVolume {
  /** Stands in for the pod's "/". */
  root: string;
  /** "/<uid>", as the exposer passes --volume-path. */
  volumePath: string;
  /** The directory the volume path names under root. */
  dir: string;
}

export class DataMoverTestCluster {
  private seq = 0;
  private readonly temps: string[] = [];

  private constructor(
    readonly target: TestTarget,
    readonly io: KubeIo,
  ) {}

  static async start(): Promise<DataMoverTestCluster> {
    const target = await startTestTarget();
    return new DataMoverTestCluster(target, new KubeIo(target.kubeConfig, { who: 'test', clock: new WallClock() }));
  }

  async stop(): Promise<void> {
    for (const dir of this.temps) await rm(dir, { recursive: true, force: true });
    await this.target.stop();
  }

  /** A namespace of its own for one test. */
  async namespace(): Promise<string> {
    const name = `dm-${process.pid}-${++this.seq}`;
    await this.io.core.createNamespace({ body: { metadata: { name } } });
    return name;
  }

  async createDataUpload(namespace: string, name: string, phase?: DataUploadPhase): Promise<DataUpload> {
    await this.io.createObject('datauploads', {
      apiVersion: DATA_UPLOAD_API_VERSION,
      kind: DATA_UPLOAD_KIND,
      metadata: { name, namespace },
      spec: {
        snapshotType: 'CSI',
        csiSnapshot: { volumeSnapshot: `vs-${name}`, storageClass: 'csi-hostpath-sc' },
        sourcePVC: `pvc-${name}`,
        sourceNamespace: 'app',
        backupStorageLocation: 'default',
        operationTimeout: '10m0s',
      },
    } satisfies DataUpload & Obj);
    return phase ? this.setPhase(namespace, name, phase) : this.getDataUpload(namespace, name);
  }

  getDataUpload(namespace: string, name: string): Promise<DataUpload> {
    return this.io.getObject<DataUpload & Obj>({ apiVersion: DATA_UPLOAD_API_VERSION, resource: DATA_UPLOAD_PLURAL, namespace, name });
  }

  setPhase(namespace: string, name: string, phase: DataUploadPhase): Promise<DataUpload> {
    return this.patch(namespace, name, { status: { phase } });
  }

  /** What the Velero server does to cancel. */
  setCancel(namespace: string, name: string): Promise<DataUpload> {
    return this.patch(namespace, name, { spec: { cancel: true } });
  }

  /** The Events whose involvedObject is the DataUpload, by reason. */
  async events(namespace: string, dataUpload: string): Promise<Map<string, CoreV1Event>> {
    const list = await this.io.listObjects<CoreV1Event & Obj>('v1', 'events', namespace);
    return new Map(list.items.filter((e) => e.involvedObject?.name === dataUpload).map((e) => [e.reason!, e]));
  }

  /** Follows the namespace's Events from now on, in the order the watch delivers them. */
  async followEvents(namespace: string): Promise<{ seen: SeenEvent[]; stop(): Promise<void> }> {
    const seen: SeenEvent[] = [];
    const watch = this.io.watch<CoreV1Event & Obj>('v1', 'events', namespace);
    const record = (type: SeenEvent['type']) => (e: CoreV1Event) => seen.push({ type, reason: e.reason!, message: e.message!, count: e.count ?? 1 });
    watch.on('add', record('add'));
    watch.on('update', record('update'));
    await watch.start();
    return { seen, stop: () => watch.stop() };
  }

  /** A volume holding `files` (relative path -> content) under a fresh root; "/<uid>" names it. */
  async volume(uid: string, files: Record<string, Buffer | string>): Promise<TestVolume> {
    const root = await mkdtemp(join(tmpdir(), 'data-mover-'));
    this.temps.push(root);
    const dir = join(root, uid);
    await mkdir(dir, { recursive: true });
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    return { root, volumePath: `/${uid}`, dir };
  }

  /** A Block volume: the file at "/<uid>" under a fresh root stands in for the device. */
  async blockVolume(uid: string, device: Buffer): Promise<TestVolume> {
    const root = await mkdtemp(join(tmpdir(), 'data-mover-'));
    this.temps.push(root);
    await writeFile(join(root, uid), device);
    return { root, volumePath: `/${uid}`, dir: join(root, uid) };
  }

  private patch(namespace: string, name: string, patch: object): Promise<DataUpload> {
    return this.io.mergePatchObject<DataUpload & Obj>({ apiVersion: DATA_UPLOAD_API_VERSION, resource: DATA_UPLOAD_PLURAL, namespace, name }, patch);
  }
}

/** Bytes of a given length whose content depends on `seed`, so that files differ. */
export function content(length: number, seed: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  return b;
}

/** The snapshot ID the data mover reports for these bytes, read in this order, computed here on its own. */
export function expectedSnapshotId(...parts: Buffer[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex').slice(0, 32);
}

/**
 * A clock that moves only when slept on: sleep(ms) jumps ms ahead at once, firing on the way
 * every timer that falls due, in order. Sleeps are added up, so a test can say how long a
 * reader slept, independent of machine speed.
 */
export class SteppingClock implements Clock {
  slept = 0;
  private current: number;
  private seq = 0;
  private timers: { due: number; seq: number; fn: () => void }[] = [];

  constructor(start = Date.now()) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): Timer {
    const entry = { due: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(entry);
    return { cancel: () => (this.timers = this.timers.filter((t) => t !== entry)) };
  }

  async sleep(ms: number): Promise<void> {
    const target = this.current + Math.max(0, ms);
    this.slept += Math.max(0, ms);
    for (;;) {
      const next = this.timers.filter((t) => t.due <= target).sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = next.due;
      next.fn();
    }
    this.current = target;
  }
}
