// What a run records, from the API alone, as on any cluster: four watches through
// @kubernetes/client-node (Velero's DataUploads, the data-mover pods by their
// velero.io/data-upload label, the Events on DataUploads for the data path's own
// Data-Path-Started and its end, and the nodes for their labels and Ready condition), each
// change stamped with the run's clock when it arrives. On the embedded cluster's virtual
// clock an event arrives at the simulated instant it was written (time does not move while
// watch bytes are in flight). The record is what the figures are computed from.
import type { CoreV1Event, KubeConfig, V1Node, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { SNAPSHOT_API_VERSION, VOLUME_SNAPSHOT_PLURAL } from '../../controller/api/snapshot.ts';
import { DATA_UPLOAD_API_VERSION, DATA_UPLOAD_LABEL, DATA_UPLOAD_PLURAL, OUTCOME_REASON_ANNOTATION, type DataUpload } from '../../controller/api/dataupload.ts';
import type { Clock } from '../../controller/clock.ts';
import { KubeIo, type Obj, type WatchedCache } from '../../controller/kube/io.ts';
import { parseBytes, parseCpu } from '../../controller/quantity.ts';
import { DATA_PATH_ENDS, DATA_PATH_START, TERMINAL, THROTTLE_ROLES, type BackupPvcRecord, type VolumeSnapshotRecord, type DataPathEventRecord, type DataUploadRecord, type NodeRecord, type Outcome, type PodRecord, type RunRecord, type ThrottleRole } from './figures.ts';
import type { ThrottleSink } from '../../controller/kube/rate-limit.ts';

const DATA_PATH_REASONS = new Set<string>([DATA_PATH_START, ...DATA_PATH_ENDS]);

const GiB = 1024 ** 3;

export class RunRecorder {
  private readonly dus = new Map<string, DataUploadRecord>();
  private readonly pods = new Map<string, PodRecord>();
  private duCache?: WatchedCache<DataUpload & Obj>;
  private podCache?: WatchedCache<V1Pod & Obj>;
  private eventCache?: WatchedCache<CoreV1Event & Obj>;
  private nodeCache?: WatchedCache<V1Node & Obj>;
  private readonly dataPathEvents: DataPathEventRecord[] = [];
  /** Event uid -> the count last recorded, so an Event seen again unchanged is not a second occurrence. */
  private readonly eventCounts = new Map<string, number>();
  private readonly nodes = new Map<string, NodeRecord>();
  private readonly backupPvcs = new Map<string, BackupPvcRecord>();
  private readonly snapshots = new Map<string, VolumeSnapshotRecord>();
  private pvcCache?: WatchedCache<V1PersistentVolumeClaim & Obj>;
  private snapshotCache?: WatchedCache<Obj>;
  private readonly io: KubeIo;

  /**
   * @param bytesOf the size of each source PVC ("namespace/name" -> bytes), from the workload.
   * @param start the run's start, ms of `clock`; times are recorded as seconds since it.
   */
  /** Told each new phase a DataUpload is seen in (a fault schedule's `when` conditions). */
  readonly phaseListeners = new Set<(dataUpload: string, phase: string) => void>();

  constructor(
    kubeconfig: KubeConfig,
    private readonly clock: Clock,
    private readonly namespace: string,
    private readonly bytesOf: (pvc: string) => number,
    private readonly start: number,
    /** A label selector for the DataUploads to record (a real cluster may hold other backups'). */
    private readonly dataUploadSelector?: string,
  ) {
    this.io = new KubeIo(kubeconfig, { who: 'recorder', clock });
  }

  async startWatching(): Promise<void> {
    this.duCache = this.io.watch<DataUpload & Obj>(DATA_UPLOAD_API_VERSION, DATA_UPLOAD_PLURAL, this.namespace, this.dataUploadSelector);
    this.podCache = this.io.watch<V1Pod & Obj>('v1', 'pods', this.namespace, DATA_UPLOAD_LABEL);
    for (const verb of ['add', 'update'] as const) {
      this.duCache.on(verb, (du) => this.onDataUpload(du));
      this.podCache.on(verb, (pod) => this.onPod(pod, false));
    }
    this.podCache.on('delete', (pod) => this.onPod(pod, true));
    this.eventCache = this.io.watch<CoreV1Event & Obj>('v1', 'events', this.namespace, undefined, 'involvedObject.kind=DataUpload');
    this.nodeCache = this.io.watch<V1Node & Obj>('v1', 'nodes');
    // What the flows hold besides pods: the exposer's backup PVCs (Velero's namespace holds no
    // other PVC) and every VolumeSnapshot (the server's of each source PVC, the exposer's copy).
    this.pvcCache = this.io.watch<V1PersistentVolumeClaim & Obj>('v1', 'persistentvolumeclaims', this.namespace);
    this.snapshotCache = this.io.watch<Obj>(SNAPSHOT_API_VERSION, VOLUME_SNAPSHOT_PLURAL);
    for (const verb of ['add', 'update'] as const) {
      this.pvcCache.on(verb, (pvc) => this.onBackupPvc(pvc, false));
      this.snapshotCache.on(verb, (vs) => this.onSnapshot(vs, false));
    }
    this.pvcCache.on('delete', (pvc) => this.onBackupPvc(pvc, true));
    this.snapshotCache.on('delete', (vs) => this.onSnapshot(vs, true));
    for (const verb of ['add', 'update'] as const) {
      this.eventCache.on(verb, (e) => this.onEvent(e));
      this.nodeCache.on(verb, (n) => this.onNode(n));
    }
    await Promise.all([this.duCache.start(), this.podCache.start(), this.eventCache.start(), this.nodeCache.start(), this.pvcCache.start(), this.snapshotCache.start()]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.duCache?.stop(), this.podCache?.stop(), this.eventCache?.stop(), this.nodeCache?.stop(), this.pvcCache?.stop(), this.snapshotCache?.stop()]);
  }

  /** DataUploads seen, and how many of them are in a terminal phase. */
  counts(): { total: number; ended: number } {
    const all = [...this.dus.values()];
    return { total: all.length, ended: all.filter((d) => d.outcome).length };
  }

  /** What was seen so far; `apiRequests` is the node-agents' count, `throttled` each role's waits for client-side rate-limit tokens. */
  record(apiRequests: RunRecord['apiRequests'], residentMiB?: RunRecord['residentMiB'], throttled: Partial<Record<ThrottleRole, ThrottleSink>> = {}): RunRecord {
    return {
      residentMiB,
      endAt: this.now(),
      dataUploads: [...this.dus.values()].map((d) => ({ ...d, phases: [...d.phases] })).sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name)),
      pods: [...this.pods.values()].map((p) => ({ ...p })).sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name)),
      dataPathEvents: this.dataPathEvents.map((e) => ({ ...e })),
      nodes: [...this.nodes.values()].map((n) => ({ ...n, labels: { ...n.labels }, ready: [...n.ready] })).sort((a, b) => a.name.localeCompare(b.name)),
      backupPvcs: [...this.backupPvcs.values()].map((p) => ({ ...p })).sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name)),
      volumeSnapshots: [...this.snapshots.values()].map((v) => ({ ...v })).sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name)),
      apiRequests: { sent: { ...apiRequests.sent }, modeled: { ...apiRequests.modeled } },
      throttle: Object.fromEntries(THROTTLE_ROLES.map((role) => [role, { waitSeconds: (throttled[role]?.throttledMs ?? 0) / 1000, requests: throttled[role]?.throttled ?? 0 }])) as RunRecord['throttle'],
    };
  }

  private now(): number {
    return (this.clock.now() - this.start) / 1000;
  }

  private onDataUpload(du: DataUpload): void {
    const name = du.metadata.name!;
    const at = this.now();
    let rec = this.dus.get(name);
    if (!rec) {
      const pvc = `${du.spec.sourceNamespace}/${du.spec.sourcePVC}`;
      rec = { name, namespace: du.metadata.namespace!, pvc, bytes: this.bytesOf(pvc), createdAt: at, phases: [] };
      this.dus.set(name, rec);
    }
    const phase = du.status?.phase || 'New';
    if (rec.phases[rec.phases.length - 1]?.phase !== phase) {
      rec.phases.push({ phase, at });
      for (const fn of this.phaseListeners) fn(name, phase);
    }
    if (du.status?.node) rec.node = du.status.node;
    if ((TERMINAL as readonly string[]).includes(phase)) {
      rec.outcome = phase as Outcome;
      const reason = du.metadata.annotations?.[OUTCOME_REASON_ANNOTATION];
      if (phase !== 'Completed') rec.reason = reason ?? 'unknown';
    }
  }

  private onPod(pod: V1Pod, deleted: boolean): void {
    const name = pod.metadata!.name!;
    // By uid: a pod of the same name made again (another attempt) is another pod.
    const uid = pod.metadata!.uid ?? name;
    const at = this.now();
    let rec = this.pods.get(uid);
    if (!rec) {
      const requests = pod.spec?.containers?.reduce(
        (acc, c) => ({
          cpu: acc.cpu + (c.resources?.requests?.cpu ? parseCpu(c.resources.requests.cpu) / 1000 : 0),
          mem: acc.mem + (c.resources?.requests?.memory ? parseBytes(c.resources.requests.memory) / GiB : 0),
        }),
        { cpu: 0, mem: 0 },
      ) ?? { cpu: 0, mem: 0 };
      rec = { name, dataUpload: pod.metadata?.labels?.[DATA_UPLOAD_LABEL] ?? name, createdAt: at, cpuCores: requests.cpu, memoryGiB: requests.mem };
      this.pods.set(uid, rec);
    }
    if (pod.spec?.nodeName && rec.scheduledAt === undefined) {
      rec.scheduledAt = at;
      rec.node = pod.spec.nodeName;
    }
    const phase = pod.status?.phase;
    if (phase === 'Running' && rec.runningAt === undefined) rec.runningAt = at;
    if ((phase === 'Succeeded' || phase === 'Failed') && rec.stoppedAt === undefined) {
      rec.runningAt ??= at;
      rec.stoppedAt = at;
    }
    if (deleted) rec.deletedAt = at;
  }

  private onEvent(e: CoreV1Event): void {
    if (!DATA_PATH_REASONS.has(e.reason ?? '') || !e.involvedObject?.name) return;
    const uid = e.metadata?.uid ?? e.metadata?.name ?? '';
    const count = e.count ?? 1;
    if (this.eventCounts.get(uid) === count) return;
    this.eventCounts.set(uid, count);
    this.dataPathEvents.push({ dataUpload: e.involvedObject.name, reason: e.reason!, at: this.now() });
  }

  private onBackupPvc(pvc: V1PersistentVolumeClaim, deleted: boolean): void {
    const uid = pvc.metadata?.uid ?? pvc.metadata!.name!;
    const at = this.now();
    let rec = this.backupPvcs.get(uid);
    if (!rec) {
      const storage = pvc.spec?.resources?.requests?.storage;
      rec = { name: pvc.metadata!.name!, createdAt: at, gib: storage ? parseBytes(String(storage)) / GiB : 0 };
      this.backupPvcs.set(uid, rec);
    }
    if (pvc.status?.phase === 'Bound' && rec.boundAt === undefined) rec.boundAt = at;
    if (deleted) rec.deletedAt = at;
  }

  private onSnapshot(vs: Obj, deleted: boolean): void {
    const uid = vs.metadata?.uid ?? `${vs.metadata?.namespace}/${vs.metadata?.name}`;
    let rec = this.snapshots.get(uid);
    if (!rec) this.snapshots.set(uid, (rec = { namespace: vs.metadata!.namespace ?? '', name: vs.metadata!.name!, createdAt: this.now() }));
    if (deleted) rec.deletedAt = this.now();
  }

  private onNode(node: V1Node): void {
    const name = node.metadata!.name!;
    let rec = this.nodes.get(name);
    if (!rec) this.nodes.set(name, (rec = { name, labels: {}, ready: [] }));
    rec.labels = { ...(node.metadata?.labels ?? {}) };
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (rec.ready[rec.ready.length - 1]?.ready !== ready) rec.ready.push({ ready, at: this.now() });
  }
}
