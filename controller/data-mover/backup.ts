// The data-mover pod's program, `velero data-mover backup` (Velero v1.18,
// pkg/cmd/cli/datamover/backup.go and pkg/datamover/backup_micro_service.go), for real clusters.
// harness/sim/datapath.ts simulates the same program on the embedded cluster; this one moves
// real bytes:
// 1. Polls its DataUpload (GET, at once and then every pollInterval) until status.phase is
//    InProgress; not found or any other phase means "poll again". An optional deadline
//    (--in-progress-timeout) ends the wait with Velero's "error waiting for du: context deadline
//    exceeded"; another API error ends it as upstream does ("error to get du").
// 2. Emits Data-Path-Started, lists what the volume holds (totalBytes), reads and hashes it,
//    throttled when a throughput is set, with Data-Path-Progress every progressInterval and once
//    more at the end with doneBytes = totalBytes (as Velero's kopia uploader does).
// 3. Completed: Data-Path-Completed with the BackupResult JSON, Data-Path-Stopped, exit 0 with
//    the result as termination message. An I/O error: Data-Path-Failed, -Stopped, exit 1.
//    spec.cancel seen while InProgress (a watch on the DataUpload), or SIGTERM (the signal):
//    Data-Path-Canceling, -Canceled, -Stopped, exit 1 with "... data path is canceled".
import { join } from 'node:path';
import {
  DATA_PATH_EVENT_REASON,
  DATA_UPLOAD_API_VERSION,
  DATA_UPLOAD_PLURAL,
  type DataPathBackupResult,
  type DataPathProgress,
  type DataUpload,
} from '../api/dataupload.ts';
import type { Clock, Timer } from '../clock.ts';
import { errorMessage, isNotFound, type KubeIo, type Obj, type WatchedCache } from '../kube/io.ts';
import { ERR_CANCELLED } from '../node-agent/data-path.ts';
import { DataMoverEvents } from './events.ts';
import { chunkBytes, Throttle } from './throttle.ts';
import { listVolume, readVolume, ReadCanceledError, type VolumeMode } from './volume.ts';

/** Velero polls for InProgress every 500 ms. */
export const DEFAULT_POLL_INTERVAL_MS = 500;
/** As the simulated program's default progressIntervalSeconds. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 10_000;

export interface BackupOptions {
  io: KubeIo;
  clock: Clock;
  /** The DataUpload's namespace: the pod's own (VELERO_NAMESPACE). */
  namespace: string;
  /** --data-upload */
  dataUpload: string;
  /** The node the pod runs on (NODE_NAME); source.host of the Events. */
  node: string;
  /** --volume-path, as the exposer passes it ("/<DataUpload uid>"); source.byPath of the result. */
  volumePath: string;
  /** --volume-mode */
  volumeMode: VolumeMode;
  /** Where --volume-path is found: "/" in the pod, a temporary directory in tests. Default "/". */
  root?: string;
  /** --in-progress-timeout in ms; 0 or unset: wait for InProgress without a deadline, as upstream. */
  inProgressTimeoutMs?: number;
  /** Bytes per second read at most (DATA_MOVER_THROUGHPUT); unset: unthrottled. */
  throughputBytesPerSecond?: number;
  pollIntervalMs?: number;
  progressIntervalMs?: number;
  /** Writes the container's termination message (the node-agent reads the outcome from it). */
  writeTerminationMessage(message: string): Promise<void> | void;
  /** Aborted on SIGTERM: waiting ends with "context canceled", moving is canceled. */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface BackupOutcome {
  /** The process's exit code. */
  exitCode: 0 | 1;
  /** The termination message: the result JSON on success, the error otherwise. */
  message: string;
  /** Bytes read from the volume. */
  doneBytes: number;
}

/** Runs the data-mover backup to its end; never throws for what the pod would report. */
export async function runBackup(opts: BackupOptions): Promise<BackupOutcome> {
  const run = new BackupRun(opts);
  const outcome = await run.run();
  try {
    await opts.writeTerminationMessage(outcome.message);
  } catch (e) {
    run.log(`Failed to write the termination message: ${errorMessage(e)}`);
  }
  return outcome;
}

const NEVER: AbortSignal = new AbortController().signal;

class BackupRun {
  readonly log: (line: string) => void;
  private readonly name: string;
  private readonly signal: AbortSignal;
  private readonly events: DataMoverEvents;

  constructor(private readonly opts: BackupOptions) {
    this.log = opts.log ?? (() => {});
    this.name = opts.dataUpload;
    this.signal = opts.signal ?? NEVER;
    this.events = new DataMoverEvents(opts.io, opts.clock, { component: opts.dataUpload, host: opts.node }, this.log);
  }

  async run(): Promise<BackupOutcome> {
    this.log(`Starting micro service in node ${this.opts.node} for du ${this.name}`);
    const waited = await this.waitForInProgress();
    if (typeof waited === 'string') {
      return { exitCode: 1, message: this.failedToRun(`error waiting for du: ${waited}`), doneBytes: 0 };
    }
    const outcome = await this.move(waited);
    await this.events.flush();
    return outcome;
  }

  /** The DataUpload once InProgress, or why the wait ended (Go's error text). */
  private async waitForInProgress(): Promise<DataUpload | string> {
    const { clock, io, namespace } = this.opts;
    const interval = this.opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const timeout = this.opts.inProgressTimeoutMs ?? 0;
    const started = clock.now();
    const deadline = timeout > 0 ? started + timeout : Infinity;
    const ref = { apiVersion: DATA_UPLOAD_API_VERSION, resource: DATA_UPLOAD_PLURAL, namespace, name: this.name };
    for (;;) {
      if (this.signal.aborted) return 'context canceled';
      if (clock.now() >= deadline) return 'context deadline exceeded';
      try {
        const du = await io.getObject<DataUpload & Obj>(ref);
        if (du.status?.phase === 'InProgress') return du;
      } catch (e) {
        if (!isNotFound(e)) return `error to get du ${this.name}: ${errorMessage(e)}`;
      }
      // The next tick of a ticker started with the wait; ticks missed by a slow GET are skipped.
      const next = started + (Math.floor((clock.now() - started) / interval) + 1) * interval;
      await this.sleepUntil(Math.min(next, deadline));
    }
  }

  private async move(du: DataUpload): Promise<BackupOutcome> {
    const { clock } = this.opts;
    const name = this.name;
    const stopReading = new AbortController();
    let canceledBy: DataUpload | undefined;
    let finished = false;
    let doneBytes = 0;
    let totalBytes = 0;
    let progressTimer: Timer | undefined;

    const cancel = (by: DataUpload) => {
      if (finished || canceledBy) return;
      canceledBy = by;
      this.log(`Data upload ${name} is being canceled`);
      this.events.emit(by, DATA_PATH_EVENT_REASON.Canceling, `Canceling for data upload ${name}`);
      progressTimer?.cancel();
      stopReading.abort();
    };
    const onSignal = () => cancel(du);
    this.signal.addEventListener('abort', onSignal, { once: true });

    this.events.emit(du, DATA_PATH_EVENT_REASON.Started, `Data path for ${name} started`);
    this.log(`Data path for ${name} started`);
    const stopWatching = this.watchForCancel(cancel);
    if (this.signal.aborted) onSignal();

    const progress = (done: number) => {
      const p: DataPathProgress = {};
      // uploader.Progress marshals with omitempty.
      if (totalBytes) p.totalBytes = totalBytes;
      if (done) p.doneBytes = done;
      this.events.emit(du, DATA_PATH_EVENT_REASON.Progress, JSON.stringify(p));
    };
    const interval = this.opts.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
    const tick = () => {
      progressTimer = clock.setTimer(interval, () => {
        if (finished || canceledBy) return;
        progress(doneBytes);
        tick();
      });
    };
    tick();

    let failure: string | undefined;
    let sha256 = '';
    try {
      const path = join(this.opts.root ?? '/', this.opts.volumePath);
      const entries = await listVolume(path, this.opts.volumeMode);
      totalBytes = entries.reduce((sum, e) => sum + e.size, 0);
      const rate = this.opts.throughputBytesPerSecond;
      const read = await readVolume(entries, {
        chunkBytes: chunkBytes(rate),
        throttle: rate === undefined ? undefined : new Throttle(rate, clock),
        signal: stopReading.signal,
        onProgress: (done) => (doneBytes = done),
      });
      doneBytes = read.bytes;
      sha256 = read.sha256;
    } catch (e) {
      if (!(e instanceof ReadCanceledError)) failure = `error running backup: ${errorMessage(e)}`;
    } finally {
      finished = true;
      progressTimer?.cancel();
      this.signal.removeEventListener('abort', onSignal);
      await stopWatching();
    }

    const stopped = () => this.events.emit(du, DATA_PATH_EVENT_REASON.Stopped, `Data path for ${name} stopped`);
    if (canceledBy) {
      this.events.emit(du, DATA_PATH_EVENT_REASON.Canceled, `Data path for data upload ${name} canceled`);
      stopped();
      this.log(`Data path for ${name} canceled after ${doneBytes} of ${totalBytes} bytes`);
      return { exitCode: 1, message: this.failedToRun(ERR_CANCELLED), doneBytes };
    }
    if (failure !== undefined) {
      this.events.emit(du, DATA_PATH_EVENT_REASON.Failed, `Data path for data upload ${name} failed, error ${failure}`);
      stopped();
      this.log(`Data path for ${name} failed: ${failure}`);
      return { exitCode: 1, message: this.failedToRun(`Data path for data upload ${name} failed: ${failure}`), doneBytes };
    }
    const result: DataPathBackupResult = {
      snapshotID: doneBytes > 0 ? snapshotIdOf(sha256) : '',
      emptySnapshot: doneBytes === 0,
      source: { byPath: this.opts.volumePath, volumeMode: this.opts.volumeMode },
      // Go's omitempty: zero counts are left out.
      ...(doneBytes > 0 ? { totalBytes: doneBytes, incrementalBytes: doneBytes } : {}),
    };
    const message = JSON.stringify(result);
    // Velero's kopia uploader reports a last progress with bytes done = total on success.
    if (doneBytes > 0) {
      totalBytes = doneBytes;
      progress(doneBytes);
    }
    this.events.emit(du, DATA_PATH_EVENT_REASON.Completed, message);
    stopped();
    this.log(`Data path for ${name} completed: ${message}`);
    return { exitCode: 0, message, doneBytes };
  }

  /**
   * Watches the DataUpload while the data path runs, as Velero's informer does, and calls
   * `cancel` when it is seen InProgress with spec.cancel set: level-based, so a cancel already
   * set when the watch starts counts too. Returns how to stop watching.
   */
  private watchForCancel(cancel: (du: DataUpload) => void): () => Promise<void> {
    const name = this.name;
    const watch: WatchedCache<DataUpload & Obj> = this.opts.io.watch(DATA_UPLOAD_API_VERSION, DATA_UPLOAD_PLURAL, this.opts.namespace, undefined, `metadata.name=${name}`);
    const look = (du: DataUpload) => {
      if (du.metadata.name === name && du.spec?.cancel && du.status?.phase === 'InProgress') cancel(du);
    };
    watch.on('add', look);
    watch.on('update', look);
    // Not awaited: the data path does not wait for the watch; stopping it does.
    const started = watch.start().catch((e) => this.log(`Failed to watch DataUpload ${name}: ${errorMessage(e)}`));
    return async () => {
      await started;
      await watch.stop().catch(() => undefined);
    };
  }

  private failedToRun(error: string): string {
    return `Failed to run data path service for DataUpload ${this.name}: ${error}`;
  }

  /** Sleeps on the clock until `at`, or until the signal is aborted. */
  private async sleepUntil(at: number): Promise<void> {
    const { clock } = this.opts;
    while (!this.signal.aborted && clock.now() < at) {
      await new Promise<void>((resolve) => {
        let timer: Timer | undefined;
        const done = () => {
          timer?.cancel();
          this.signal.removeEventListener('abort', done);
          resolve();
        };
        this.signal.addEventListener('abort', done, { once: true });
        timer = clock.setTimer(at - clock.now(), done);
      });
    }
  }
}

/** The snapshot ID of a backup whose bytes hash to `sha256` (hex): its first 32 digits, the length of a kopia snapshot ID. */
export function snapshotIdOf(sha256: string): string {
  return sha256.slice(0, 32);
}
