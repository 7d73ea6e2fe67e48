// The data-mover pod's program: `velero data-mover backup` (Velero v1.18,
// pkg/cmd/cli/datamover/backup.go and pkg/datamover/backup_micro_service.go), simulated.
//
// What the pod does, as upstream
// 1. Finds its DataUpload: `--data-upload=<name>` (else the velero.io/data-upload label), in
//    the pod's own namespace (the exposer creates the pod next to its DataUpload, named as it).
// 2. Polls the DataUpload every pollIntervalSeconds, starting at once, until status.phase is
//    InProgress. Not found, or any other phase (Canceled included), means "poll again": upstream
//    has no deadline and never exits on its own here; the node-agent deletes the pod on cancel.
//    A deadline, as some distributions add, comes from the pod's `--in-progress-timeout=<Go
//    duration>` (ours: the node-agent's podInProgressTimeout; "0s" means none), which wins over
//    the cluster-wide podInProgressTimeoutSeconds; when it passes the pod exits 1 with the
//    message Velero would print (issue #8316): "... error waiting for du: context deadline
//    exceeded". A value that is not a Go duration makes the pod exit 1 at once, as cobra does.
// 3. Emits Data-Path-Started, moves the bytes, emits Data-Path-Progress every
//    progressIntervalSeconds with uploader.Progress JSON ({"totalBytes":N,"doneBytes":M}), then
//    Data-Path-Completed with the BackupResult JSON, Data-Path-Stopped, and exits 0 with the
//    result as its termination message (the node-agent reads the result from there). With
//    probability failureRate the transfer fails midway: Data-Path-Failed, Data-Path-Stopped,
//    exit 1. spec.cancel set while InProgress: Data-Path-Canceling, -Canceled, -Stopped, exit 1
//    with "... data path is canceled" (the suffix the node-agent's watcher looks for).
// All Events are Normal, involvedObject the DataUpload, source.component the DataUpload's
// name and source.host the node, each reason one Event patched on repeats (see
// DataMoverEvents). Waiting is event-driven: a change of the DataUpload schedules one look at
// the next poll instant of this pod, so what is observed is what polling would observe,
// and waiting costs nothing while nothing changes.
//
// Bytes moved: the capacity of the backup PVC the pod mounts (the exposer sizes it from the
// snapshot's restoreSize, else the source volume's size), else the source PVC's; volumes are
// treated as full. Throughput: processor sharing per node (see DataPath.reshare).
import type { KubeObject, ResourceInfo } from '../apiserver/types.ts';
import type { Timer } from '../clock.ts';
import { kubeTime } from '../clock.ts';
import type { Random } from '../random.ts';
import {
  DATA_MOVER_FLAG,
  DATA_PATH_EVENT_REASON,
  DATA_UPLOAD_GROUP,
  DATA_UPLOAD_LABEL,
  DATA_UPLOAD_PLURAL,
  DATA_UPLOAD_VERSION,
  type DataPathBackupResult,
  type DataPathEventReason,
  type DataPathProgress,
  type DataUpload,
} from '../../controller/api/dataupload.ts';
import { parseGoDuration } from '../../controller/duration.ts';
import { mutate, onChange, resourceInfo, WorkQueue, type SimContext } from './context.ts';
import { referenceTo, writeEvent, type EventSource } from './event-recorder.ts';
import { NODE_ANNOTATIONS, type PodProgram, type RunningProgram } from './programs.ts';
import { parseBytes } from './quantity.ts';

const MiB = 1024 * 1024;

export interface DataPathOptions {
  /** Seconds a data-mover pod waits for InProgress before exiting 1. Unset: no deadline, as upstream. */
  podInProgressTimeoutSeconds?: number;
}

/** One transfer in progress, for figures. */
export interface TransferView {
  /** "namespace/name" of the DataUpload. */
  dataUpload: string;
  pod: string;
  node: string;
  totalBytes: number;
  doneBytes: number;
  bytesPerSecond: number;
}

/** A transfer's state between two rate changes: done bytes at `since`, moving at `rate` bytes/ms. */
interface Transfer {
  run: DataMoverRun;
  totalBytes: number;
  /** Where it ends: totalBytes, or the point of an injected failure. */
  targetBytes: number;
  done: number;
  since: number;
  rate: number;
  timer?: Timer;
}

interface NodeShare {
  transfers: Set<Transfer>;
  /** The node annotations the rates were computed from. */
  seen: string;
}

export class DataPath {
  readonly program: PodProgram;
  /** DataUpload GETs the waiting pods would have sent (Velero polls with a direct client), for API-cost figures. */
  pollRequests = 0;
  readonly queue: WorkQueue;
  private readonly random: Random;
  private readonly draws = new Map<string, number>();
  private readonly runs = new Map<string, Set<DataMoverRun>>();
  private readonly nodes = new Map<string, NodeShare>();
  private readonly nodeInfo: ResourceInfo;

  constructor(
    readonly ctx: SimContext,
    readonly opts: DataPathOptions = {},
  ) {
    const t = opts.podInProgressTimeoutSeconds;
    if (t !== undefined && !(typeof t === 'number' && Number.isFinite(t) && t > 0)) {
      throw new Error(`podInProgressTimeoutSeconds: ${JSON.stringify(t)} is not accepted: use a number of seconds > 0, or leave it unset for no deadline (upstream Velero)`);
    }
    this.queue = new WorkQueue(ctx.work);
    this.random = ctx.random.fork('data-path');
    this.nodeInfo = resourceInfo(ctx.api, '', 'v1', 'nodes');
    onChange(ctx, this.queue, DATA_UPLOAD_GROUP, DATA_UPLOAD_PLURAL, (cur, prev) => {
      const du = (cur ?? prev)!;
      for (const run of this.runs.get(`${du.metadata.namespace}/${du.metadata.name}`) ?? []) run.observe(cur, prev);
    });
    onChange(ctx, this.queue, '', 'nodes', (cur) => {
      const share = cur && this.nodes.get(cur.metadata.name!);
      if (share && share.seen !== this.signature(cur.metadata.annotations)) this.reshare(cur.metadata.name!);
    });
    this.program = { start: (pod, exit) => new DataMoverRun(this, pod, exit) };
  }

  /** The transfers moving data on a node now. */
  transfersOn(node: string): TransferView[] {
    const now = this.ctx.clock.now();
    return [...(this.nodes.get(node)?.transfers ?? [])].map((t) => ({
      dataUpload: t.run.dataUploadKey,
      pod: t.run.podName,
      node,
      totalBytes: t.totalBytes,
      doneBytes: Math.min(t.targetBytes, t.done + t.rate * (now - t.since)),
      bytesPerSecond: t.rate * 1000,
    }));
  }

  // ---- used by the runs --------------------------------------------------------------------

  register(run: DataMoverRun, present: boolean): void {
    const k = run.dataUploadKey;
    let set = this.runs.get(k);
    if (present) {
      if (!set) this.runs.set(k, (set = new Set()));
      set.add(run);
    } else if (set) {
      set.delete(run);
      if (set.size === 0) this.runs.delete(k);
    }
  }

  /** A random stream per source PVC, so that its transfer draws the same in every flow. */
  stream(subject: string): Random {
    const n = this.draws.get(subject) ?? 0;
    this.draws.set(subject, n + 1);
    return this.random.fork(`${subject}#${n}`);
  }

  join(node: string, t: Transfer): void {
    let share = this.nodes.get(node);
    if (!share) this.nodes.set(node, (share = { transfers: new Set(), seen: '' }));
    share.transfers.add(t);
    this.reshare(node);
  }

  leave(node: string, t: Transfer): void {
    const share = this.nodes.get(node);
    if (!share?.transfers.delete(t)) return;
    t.timer?.cancel();
    this.reshare(node);
    if (share.transfers.size === 0) this.nodes.delete(node);
  }

  /** Bytes a transfer has moved by now. */
  doneBytes(t: Transfer): number {
    return Math.min(t.targetBytes, t.done + t.rate * (this.ctx.clock.now() - t.since));
  }

  // ---- processor sharing -------------------------------------------------------------------

  /**
   * Every transfer on the node moves at min(perPodMiBps, node bandwidth / active transfers),
   * the node's bandwidth being its data-mibps annotation (else nodeMiBps), times
   * cpuPressureFactor while it is under CPU pressure. Called whenever a transfer starts or
   * ends there or the node's annotations change: progress so far is kept, rates are
   * recomputed and completion timers set again.
   */
  private reshare(node: string): void {
    const share = this.nodes.get(node);
    if (!share) return;
    const annotations = this.ctx.api.table(this.nodeInfo).get(node)?.obj.metadata.annotations;
    share.seen = this.signature(annotations);
    const { perPodMiBps, nodeMiBps, cpuPressureFactor } = this.ctx.behaviour.dataPath;
    const declared = Number(annotations?.[NODE_ANNOTATIONS.dataMiBps]);
    const bandwidth = (annotations?.[NODE_ANNOTATIONS.dataMiBps] !== undefined && Number.isFinite(declared) && declared >= 0 ? declared : nodeMiBps) *
      (annotations?.[NODE_ANNOTATIONS.cpuPressure] === 'true' ? cpuPressureFactor : 1);
    const rate = (Math.min(perPodMiBps, bandwidth / Math.max(1, share.transfers.size)) * MiB) / 1000;
    const now = this.ctx.clock.now();
    for (const t of share.transfers) {
      t.done = this.doneBytes(t);
      t.since = now;
      t.rate = rate;
      t.timer?.cancel();
      t.timer = undefined;
      const left = t.targetBytes - t.done;
      if (left <= 0 || rate > 0) t.timer = this.ctx.clock.setTimer(Math.max(0, left) / (rate || 1), () => this.arrive(node, t));
    }
  }

  private arrive(node: string, t: Transfer): void {
    t.done = t.targetBytes;
    t.timer = undefined;
    this.leave(node, t);
    t.run.arrived();
  }

  private signature(annotations: Record<string, string> | undefined): string {
    return `${annotations?.[NODE_ANNOTATIONS.dataMiBps]}|${annotations?.[NODE_ANNOTATIONS.cpuPressure]}`;
  }
}

/**
 * Velero's data-mover event recorder (pkg/util/kube/event.go): all Events Normal, source the
 * DataUpload's name and the node; repeats of a reason patch the one Event of that reason
 * (count, message, lastTimestamp), because Velero configures the correlator with MaxEvents 1
 * and the message as the aggregated message. The node-agent's watcher reads added and
 * updated Events alike.
 */
class DataMoverEvents {
  private readonly info: ResourceInfo;
  private readonly byReason = new Map<string, { namespace: string; name: string }>();

  constructor(
    private readonly ctx: SimContext,
    private readonly source: EventSource,
  ) {
    this.info = resourceInfo(ctx.api, '', 'v1', 'events');
  }

  emit(du: KubeObject, reason: DataPathEventReason, message: string): void {
    const api = this.ctx.api;
    const now = kubeTime(this.ctx.clock.now());
    const involvedObject = referenceTo(du);
    const previous = this.byReason.get(reason);
    if (previous) {
      const patched = mutate(api, this.info, previous.namespace, previous.name, (e) => {
        e.count = (e.count ?? 1) + 1;
        e.message = message;
        e.lastTimestamp = now;
        e.involvedObject = involvedObject;
      });
      if (patched) return;
    }
    const written = writeEvent(this.ctx, this.source, involvedObject, 'Normal', reason, message);
    if (written) this.byReason.set(reason, written);
  }
}

type Exit = (code: number, message?: string) => void;

/** One data-mover container's life: waiting for InProgress, moving, ended. */
class DataMoverRun implements RunningProgram {
  readonly podName: string;
  readonly namespace: string;
  readonly dataUploadName: string;
  readonly dataUploadKey: string;
  private readonly node: string;
  private readonly volumePath: string;
  private readonly volumeMode: string;
  private readonly startedAt: number;
  private state: 'waiting' | 'moving' | 'ended' = 'waiting';
  private tick?: Timer;
  private deadline?: Timer;
  private progress?: Timer;
  private transfer?: Transfer;
  /** The DataUpload as read when the data path started (the involvedObject of its Events). */
  private du?: KubeObject;
  private result = '';
  private failure = '';
  private events: DataMoverEvents;

  constructor(
    private readonly dp: DataPath,
    private readonly pod: KubeObject,
    private readonly exit: Exit,
  ) {
    const ctx = dp.ctx;
    const spec = (pod.spec ?? {}) as { nodeName?: string; containers?: { command?: string[]; args?: string[] }[] };
    const argv = (spec.containers ?? []).flatMap((c) => [...(c.command ?? []), ...(c.args ?? [])]);
    this.podName = pod.metadata.name!;
    this.namespace = pod.metadata.namespace!;
    this.dataUploadName = flag(argv, DATA_MOVER_FLAG.dataUpload) ?? pod.metadata.labels?.[DATA_UPLOAD_LABEL] ?? '';
    this.dataUploadKey = `${this.namespace}/${this.dataUploadName}`;
    this.node = spec.nodeName ?? '';
    this.volumePath = flag(argv, DATA_MOVER_FLAG.volumePath) ?? '';
    this.volumeMode = flag(argv, DATA_MOVER_FLAG.volumeMode) ?? 'Filesystem';
    this.startedAt = ctx.clock.now();
    this.events = new DataMoverEvents(ctx, { component: this.dataUploadName, host: this.node });
    // cobra refuses to run without the required flag, or with a flag it cannot parse.
    const refuse = (message: string) =>
      dp.queue.push(() => {
        this.state = 'ended';
        exit(1, message);
      });
    if (!this.dataUploadName) {
      refuse(`required flag(s) "${DATA_MOVER_FLAG.dataUpload.slice(2)}" not set`);
      return;
    }
    // The pod's own flag (the node-agent's podInProgressTimeout) wins over the cluster-wide option.
    const fromFlag = flag(argv, DATA_MOVER_FLAG.inProgressTimeout);
    let timeout = dp.opts.podInProgressTimeoutSeconds;
    if (fromFlag !== undefined) {
      try {
        timeout = parseGoDuration(fromFlag, DATA_MOVER_FLAG.inProgressTimeout) / 1000;
      } catch {
        refuse(`invalid argument "${fromFlag}" for "${DATA_MOVER_FLAG.inProgressTimeout}" flag: time: invalid duration "${fromFlag}"`);
        return;
      }
    }
    dp.register(this, true);
    if (timeout !== undefined && timeout > 0) {
      this.deadline = ctx.clock.setTimer(timeout * 1000, () => {
        if (this.state !== 'waiting') return;
        this.end(1, `Failed to run data path service for DataUpload ${this.dataUploadName}: error waiting for du: context deadline exceeded`);
      });
    }
    // The first poll is immediate; it runs off the kubelet's stack.
    dp.queue.push(() => this.poll());
  }

  residentBytes(): number {
    const { idleResidentMiB, busyResidentMiB } = this.dp.ctx.behaviour.dataPath;
    if (this.state === 'waiting') return idleResidentMiB * MiB;
    if (this.state === 'moving') return busyResidentMiB * MiB;
    return 0;
  }

  /** The container is killed: everything stops, nothing more is written. */
  stop(): void {
    if (this.state === 'ended') return;
    this.finish();
  }

  /** A change of the DataUpload (cur undefined: deleted). */
  observe(cur: KubeObject | undefined, prev: KubeObject | undefined): void {
    const du = cur as unknown as DataUpload | undefined;
    if (this.state === 'waiting') {
      if (du?.status?.phase === 'InProgress') this.scheduleTick();
      return;
    }
    // Upstream's informer handler: cancel flips to true while the DataUpload is InProgress.
    const before = prev as unknown as DataUpload | undefined;
    if (this.state === 'moving' && du?.spec.cancel && !before?.spec.cancel && du.status?.phase === 'InProgress') this.cancel(cur!);
  }

  /** The next instant this pod polls: start + k x pollInterval. */
  private scheduleTick(): void {
    if (this.tick) return;
    const clock = this.dp.ctx.clock;
    const interval = this.dp.ctx.behaviour.dataPath.pollIntervalSeconds * 1000;
    const k = interval > 0 ? Math.ceil((clock.now() - this.startedAt) / interval - 1e-9) : 0;
    this.tick = clock.setTimer(this.startedAt + k * interval - clock.now(), () => {
      this.tick = undefined;
      this.poll();
    });
  }

  private poll(): void {
    if (this.state !== 'waiting') return;
    const info = resourceInfo(this.dp.ctx.api, DATA_UPLOAD_GROUP, DATA_UPLOAD_VERSION, DATA_UPLOAD_PLURAL);
    const du = this.dp.ctx.api.table(info).get(this.dataUploadKey)?.obj;
    if ((du as unknown as DataUpload | undefined)?.status?.phase === 'InProgress') this.startDataPath(du!);
  }

  private startDataPath(du: KubeObject): void {
    const ctx = this.dp.ctx;
    this.countPolls();
    this.state = 'moving';
    this.deadline?.cancel();
    this.du = du;
    const spec = (du as unknown as DataUpload).spec;
    const total = this.sizeBytes(spec);
    const rng = this.dp.stream(`${spec.sourceNamespace}/${spec.sourcePVC}`);
    const fails = rng.next() < ctx.behaviour.dataPath.failureRate;
    const failAt = Math.floor(rng.next() * total);
    const snapshotID = Array.from({ length: 32 }, () => rng.int(0, 15).toString(16)).join('');
    this.events.emit(du, DATA_PATH_EVENT_REASON.Started, `Data path for ${this.dataUploadName} started`);
    if (fails) {
      this.failure = `error running kopia backup: simulated upload failure after ${failAt} of ${total} bytes (behaviour.dataPath.failureRate)`;
    } else {
      const result: DataPathBackupResult = {
        snapshotID: total > 0 ? snapshotID : '',
        emptySnapshot: total === 0,
        source: { byPath: this.volumePath, volumeMode: this.volumeMode },
        // Go's omitempty: zero counts are left out.
        ...(total > 0 ? { totalBytes: total, incrementalBytes: total } : {}),
      };
      this.result = JSON.stringify(result);
    }
    this.transfer = { run: this, totalBytes: total, targetBytes: fails ? failAt : total, done: 0, since: ctx.clock.now(), rate: 0 };
    this.scheduleProgress();
    this.dp.join(this.node, this.transfer);
  }

  private scheduleProgress(): void {
    const ctx = this.dp.ctx;
    this.progress = ctx.clock.setTimer(ctx.behaviour.dataPath.progressIntervalSeconds * 1000, () => {
      if (this.state !== 'moving' || !this.transfer) return;
      const p: DataPathProgress = {};
      // uploader.Progress marshals with omitempty.
      if (this.transfer.totalBytes) p.totalBytes = this.transfer.totalBytes;
      const done = Math.floor(this.dp.doneBytes(this.transfer));
      if (done) p.doneBytes = done;
      this.events.emit(this.du!, DATA_PATH_EVENT_REASON.Progress, JSON.stringify(p));
      this.scheduleProgress();
    });
  }

  /** The transfer reached its target: all bytes, or the point of its injected failure. */
  arrived(): void {
    if (this.state !== 'moving') return;
    const du = this.du!;
    const name = this.dataUploadName;
    this.transfer = undefined;
    if (this.failure) {
      this.events.emit(du, DATA_PATH_EVENT_REASON.Failed, `Data path for data upload ${name} failed, error ${this.failure}`);
      this.events.emit(du, DATA_PATH_EVENT_REASON.Stopped, `Data path for ${name} stopped`);
      this.end(1, `Failed to run data path service for DataUpload ${name}: Data path for data upload ${name} failed: ${this.failure}`);
      return;
    }
    this.events.emit(du, DATA_PATH_EVENT_REASON.Completed, this.result);
    this.events.emit(du, DATA_PATH_EVENT_REASON.Stopped, `Data path for ${name} stopped`);
    this.end(0, this.result);
  }

  private cancel(du: KubeObject): void {
    const name = this.dataUploadName;
    this.events.emit(du, DATA_PATH_EVENT_REASON.Canceling, `Canceling for data upload ${name}`);
    if (this.transfer) this.dp.leave(this.node, this.transfer);
    this.transfer = undefined;
    this.events.emit(this.du!, DATA_PATH_EVENT_REASON.Canceled, `Data path for data upload ${name} canceled`);
    this.events.emit(this.du!, DATA_PATH_EVENT_REASON.Stopped, `Data path for ${name} stopped`);
    this.end(1, `Failed to run data path service for DataUpload ${name}: data path is canceled`);
  }

  private end(code: number, message: string): void {
    if (this.state === 'ended') return;
    this.finish();
    this.exit(code, message);
  }

  private finish(): void {
    if (this.state === 'waiting') this.countPolls();
    this.state = 'ended';
    for (const t of [this.tick, this.deadline, this.progress]) t?.cancel();
    if (this.transfer) this.dp.leave(this.node, this.transfer);
    this.transfer = undefined;
    this.dp.register(this, false);
  }

  /** Polls sent while waiting: one at start, one per interval since. */
  private countPolls(): void {
    const interval = this.dp.ctx.behaviour.dataPath.pollIntervalSeconds * 1000;
    const waited = this.dp.ctx.clock.now() - this.startedAt;
    this.dp.pollRequests += 1 + (interval > 0 ? Math.floor(waited / interval + 1e-9) : 0);
  }

  /** The backup PVC the pod mounts, else the DataUpload's source PVC: its capacity in bytes. */
  private sizeBytes(spec: DataUpload['spec']): number {
    const ctx = this.dp.ctx;
    const info = resourceInfo(ctx.api, '', 'v1', 'persistentvolumeclaims');
    const volumes = ((this.pod.spec as { volumes?: { persistentVolumeClaim?: { claimName?: string } }[] })?.volumes ?? []);
    const mounted = volumes.find((v) => v.persistentVolumeClaim?.claimName)?.persistentVolumeClaim?.claimName;
    const candidates = [
      mounted && `${this.namespace}/${mounted}`,
      spec.sourceNamespace && spec.sourcePVC && `${spec.sourceNamespace}/${spec.sourcePVC}`,
    ];
    for (const k of candidates) {
      const pvc = k ? (ctx.api.table(info).get(k)?.obj as { status?: { capacity?: { storage?: string } }; spec?: { resources?: { requests?: { storage?: string } } } } | undefined) : undefined;
      const q = pvc?.status?.capacity?.storage ?? pvc?.spec?.resources?.requests?.storage;
      if (q !== undefined) return parseBytes(q, `capacity of PVC ${k}`);
    }
    return 0;
  }
}

/** A flag's value from argv: "--name=value" or "--name value". */
function flag(argv: string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith(`${name}=`)) return argv[i].slice(name.length + 1);
    if (argv[i] === name && i + 1 < argv.length) return argv[i + 1];
  }
  return undefined;
}
