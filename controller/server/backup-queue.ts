// Several backups at once, as Velero's server runs them: Velero 1.18's concurrent backup
// processing (design/concurrent-backup-processing.md, the backupQueueReconciler, server flag
// --concurrent-backups, default 1). A created backup is Queued in creation order; a queued
// backup starts (ReadyToStart, then InProgress: its item phase) when
//  1. fewer than concurrentBackups backups are InProgress, and
//  2. its included namespaces overlap none of an InProgress backup's, nor of a backup queued
//     ahead of it (so a backup is never overtaken forever by later ones).
// A backup leaves InProgress when its item phase ends (WaitingForPluginOperations): its
// DataUploads go on, and the next backup's items start. concurrentBackups 1 is also Velero
// before 1.18: one backup InProgress at a time, the next once the previous waits on its
// operations.
//
// Not modelled: the queue's periodic reconcile (a start is decided the moment a backup is
// created or leaves InProgress, where Velero's watch-driven reconcile decides it too) and the
// Backup object's Queued/ReadyToStart phases and queuePosition (the bench has no Backup resource).
import type { Clock, Timer } from '../clock.ts';
import type { BackupOutcome, BackupSpec, RunningBackup, VeleroServer } from './backup.ts';

export interface QueuedBackup extends BackupSpec {
  /** Created this many ms after the queue starts (a schedule firing later). */
  startAfterMs?: number;
}

export interface BackupQueueOptions {
  /** --concurrent-backups: backups InProgress at once (default 1). */
  concurrentBackups?: number;
}

interface Entry {
  spec: QueuedBackup;
  namespaces: Set<string>;
  state: 'not-created' | 'queued' | 'in-progress' | 'waiting-on-operations';
  running?: RunningBackup;
}

export class BackupQueue {
  private readonly entries: Entry[];
  private readonly limit: number;
  private readonly timers: Timer[] = [];
  private failure?: Error;
  private stopped = false;
  private starting = Promise.resolve();

  constructor(
    private readonly server: Pick<VeleroServer, 'startBackup'>,
    private readonly clock: Clock,
    specs: QueuedBackup[],
    o: BackupQueueOptions = {},
  ) {
    this.limit = o.concurrentBackups ?? 1;
    // Creation order: by start time, then as listed.
    this.entries = specs
      .map((spec, i) => ({ spec, i }))
      .sort((a, b) => (a.spec.startAfterMs ?? 0) - (b.spec.startAfterMs ?? 0) || a.i - b.i)
      .map(({ spec }) => ({ spec, namespaces: new Set(spec.pvcs.map((p) => p.namespace)), state: 'not-created' as const }));
  }

  /** Creates each backup at its time; the first ones start at once. */
  async start(): Promise<void> {
    for (const e of this.entries) {
      const ms = e.spec.startAfterMs ?? 0;
      if (ms <= 0) e.state = 'queued';
      else
        this.timers.push(
          this.clock.setTimer(ms, () => {
            e.state = 'queued';
            this.dequeue();
          }),
        );
    }
    this.dequeue();
    await this.starting;
  }

  /** Every backup created, started, and done (its final phase, every DataUpload terminal). */
  done(): boolean {
    if (this.failure) throw this.failure;
    return this.entries.every((e) => e.running?.done());
  }

  /** The backups' outcomes as one: the worst phase, every DataUpload and error, the first start and last end. */
  async outcome(): Promise<BackupOutcome> {
    const all = await Promise.all(this.entries.map((e) => e.running!.outcome));
    if (all.length === 1) return all[0];
    const rank = { Completed: 0, PartiallyFailed: 1, Failed: 2 } as const;
    return {
      phase: all.reduce((w, o) => (rank[o.phase] > rank[w] ? o.phase : w), all[0].phase),
      dataUploads: all.flatMap((o) => o.dataUploads),
      errors: all.flatMap((o) => o.errors),
      itemErrors: all.flatMap((o) => o.itemErrors),
      startedAt: Math.min(...all.map((o) => o.startedAt)),
      endedAt: Math.max(...all.map((o) => o.endedAt)),
    };
  }

  /** The backups' names, in creation order. */
  names(): string[] {
    return this.entries.map((e) => e.spec.name);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    await this.starting;
    await Promise.all(this.entries.map((e) => e.running?.stop()));
  }

  /** The queued backups that may start now, in queue order (the design's runnable rule). */
  private dequeue(): void {
    if (this.stopped) return;
    const busy = new Set<string>();
    let inProgress = 0;
    for (const e of this.entries) {
      if (e.state !== 'in-progress') continue;
      inProgress++;
      for (const ns of e.namespaces) busy.add(ns);
    }
    for (const e of this.entries) {
      if (e.state !== 'queued') continue;
      const overlaps = [...e.namespaces].some((ns) => busy.has(ns));
      // Ahead in the queue: its namespaces are held for it, runnable or not.
      for (const ns of e.namespaces) busy.add(ns);
      if (inProgress >= this.limit || overlaps) continue;
      inProgress++;
      e.state = 'in-progress';
      this.starting = this.starting.then(() => this.begin(e));
    }
  }

  private async begin(e: Entry): Promise<void> {
    if (this.stopped) return;
    try {
      const { startAfterMs: _, ...spec } = e.spec;
      e.running = await this.server.startBackup(spec);
    } catch (err) {
      this.failure = err as Error;
      return;
    }
    void e.running.itemsDone.then(() => {
      e.state = 'waiting-on-operations';
      this.dequeue();
    });
  }
}
