// One node-agent: Velero's DataUpload controller on one node (pkg/controller/
// data_upload_controller.go under pkg/cmd/cli/nodeagent/server.go), with the flow's decisions
// as its Reconcile body. All node-agents watch all DataUploads; each runs one reconcile at a
// time; each has its own concurrency limiter for its node.
//
// What the runtime owns, so the flows stay pure
// - Caches, as the node-agent's manager has them: DataUploads and Events of Velero's
//   namespace, pods on this node (field selector spec.nodeName), and, for flows that read
//   them, PVCs of Velero's namespace. Velero reads these through its cached client: no request.
// - The work queue (controller-runtime semantics) fed by those watches and by the periodic
//   source (every minute, the DataUploads the flow's `periodic` selects).
// - Carrying out a Step with Velero's write discipline (exclusive update, update with retry,
//   merge patch), the exposer's I/O, the data-path watchers and their callbacks, and the
//   start-up pass (AttemptDataUploadResume).
// - A Kubernetes Event on the DataUpload for each phase it writes (through a separate client,
//   so the API-cost figure shows Velero's requests apart from the bench's own).
//
// Waiting for a slot without spinning: Velero re-checks a DataUpload that waits for a
// concurrency slot every 5 s. Such a re-check changes nothing until a slot frees, the
// expose-on-going count changes or the DataUpload changes, so the runtime parks it and, at such
// a change, resumes it on the same 5 s grid. The requests the skipped re-checks would have sent
// (velero flows: GetExposed's GETs of the backup PVC and PV) are counted as modeled in ApiCost.
import type { CoreV1Event, V1Node, V1NodeSelector, V1PersistentVolume, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import {
  DATA_MOVER_THROUGHPUT_ENV,
  DATA_PATH_EVENT_REASON,
  DATA_UPLOAD_API_VERSION,
  DATA_UPLOAD_FINALIZER,
  DATA_UPLOAD_KIND,
  DATA_UPLOAD_PLURAL,
  DEPLOYING_TIMESTAMP_ANNOTATION,
  QUOTA_REFUSALS_ANNOTATION,
  QUOTA_REFUSED_ANNOTATION,
  EXPOSE_ON_GOING_LABEL,
  OUTCOME_REASON_ANNOTATION,
  RETRIED_ANNOTATION,
  type DataPathBackupResult,
  type DataPathProgress,
  type DataUpload,
  type DataUploadPhase,
  type NodeOS,
} from '../api/dataupload.ts';
import { kubeTime, type Clock, type Timer } from '../clock.ts';
import {
  affinityMatchesNode,
  concurrencyForNode,
  loadAffinityFor,
  nodeAffinityFromLoadAffinity,
  podResourceRequirements,
  type NodeAgentConfig,
} from '../config.ts';
import { parseGoDuration } from '../duration.ts';
import { matchesNodeSelector } from '../label-selector.ts';
import { parseBytes } from '../quantity.ts';
import { CsiSnapshotExposer, ExposeError, readExposeSource, VELERO_POD_INFO, type ExposeParams, type InheritedPodInfo } from '../exposer.ts';
import { dataPathFailureReason } from '../flows/common.ts';
import { isTerminal, VELERO_TIMINGS, type Decision, type Flow, type FlowInput, type OutcomeReason, type Step } from '../flows/types.ts';
import { isConflict, isNotFound, type ApiVerb, type KubeIo, type Obj, type WatchedCache } from '../kube/io.ts';
import type { ObjectCache } from '@kubernetes/client-node';
import { mergePatchOf } from '../kube/merge-patch.ts';
import { DataPathWatcher } from './data-path.ts';
import { Limiter } from './limiter.ts';
import { RecheckLedger, type RecheckCost } from './recheck-ledger.ts';
import { WorkQueue } from './work-queue.ts';

export interface NodeAgentOptions {
  nodeName: string;
  /** Velero's namespace: DataUploads, data-mover pods, backup PVCs and VolumeSnapshots live here. */
  namespace: string;
  config: NodeAgentConfig;
  flow: Flow;
  /** Velero's requests. */
  io: KubeIo;
  /** The bench's own Event writes (one per transition); defaults to `io`. */
  eventsIo?: KubeIo;
  clock: Clock;
  /**
   * Data-mover pods of Velero's namespace, kept by a watch. When given, PeekExposed's GET of
   * the pod is answered from it (counted as modeled) instead of being sent.
   */
  peekCache?: ObjectCache<V1Pod>;
  /** The data-mover pod's image and extra env; default Velero's image. */
  dataMoverPod?: InheritedPodInfo;
  log?: (line: string) => void;
}

const DU_REF = { apiVersion: DATA_UPLOAD_API_VERSION, resource: DATA_UPLOAD_PLURAL };

type WaitsFor = 'slot' | 'prepare-queue';

/** What each skipped 5 s re-check of a velero-flow DataUpload waiting for a slot sends: GetExposed's GETs of the backup PVC and its PV (kube clientset, CoreV1). */
const GET_EXPOSED_RECHECK: RecheckCost = { ref: { apiVersion: 'v1', resource: 'persistentvolumeclaims' }, requests: { get: 2 } };

export class NodeAgent {
  /** Sized at start, from loadConcurrency for this node's labels. */
  private limiter!: Limiter;
  private readonly queue: WorkQueue;
  private readonly exposer: CsiSnapshotExposer;
  private readonly watchers = new Map<string, DataPathWatcher>();
  private readonly cancelSpotted = new Map<string, number>();
  /** Parked DataUploads and what they wait for; their re-checks are in the ledger. */
  private readonly parked = new Map<string, WaitsFor>();
  private readonly ledger: RecheckLedger;
  private readonly callbacks = new Map<string, Promise<void>>();
  private dataUploads!: WatchedCache<DataUpload & Obj>;
  private pods!: WatchedCache<V1Pod & Obj>;
  private events!: WatchedCache<CoreV1Event & Obj>;
  private pvcs?: WatchedCache<V1PersistentVolumeClaim & Obj>;
  private nodes?: WatchedCache<V1Node & Obj>;
  /** Nodes whose Ready condition is not True, as last seen (readsNodeHealth). */
  private readonly notReadyNodes = new Set<string>();
  private node?: V1Node;
  private periodic?: Timer;
  private running = false;
  private worker?: Promise<void>;
  private readonly exposeOnGoing = new Set<string>();
  private eventSeq = 0;
  /** canRunHere by storage class: the node's labels and the config are fixed for the agent's life. */
  private readonly runsHere = new Map<string | undefined, boolean>();
  /** bindsWithConsumer by StorageClass name. */
  private readonly waitsForConsumer = new Map<string, boolean>();
  /** PV name -> its required node affinity (null: none), for flows that read volume topology. */
  private readonly pvAffinity = new Map<string, V1NodeSelector | null>();
  /** DataUpload -> its source PVC's PV name. */
  private readonly sourcePvNames = new Map<string, string>();
  /** The phase each DataUpload had when last seen (claimsOnRelease wakes the waiting when one leaves Prepared). */
  private readonly lastPhase = new Map<string, string>();
  /** The last two progress reports of each running data path here: the time seen, bytes done, total. */
  private readonly progressSeen = new Map<string, [{ at: number; done: number; total: number }, { at: number; done: number; total: number }]>();

  constructor(private readonly opts: NodeAgentOptions) {
    this.queue = new WorkQueue(opts.clock);
    this.ledger = new RecheckLedger(opts.io, VELERO_TIMINGS.requeueMs);
    // The skipped re-checks spend the CoreV1 client's tokens before any other request takes one.
    opts.io.addDemand(GET_EXPOSED_RECHECK.ref, this.ledger);
    this.exposer = new CsiSnapshotExposer(opts.io, opts.clock, undefined, dataMoverPodInfo(opts.dataMoverPod, opts.config));
  }

  get nodeName(): string {
    return this.opts.nodeName;
  }

  /** The DataUploads holding one of this node's concurrency slots (a steady-state check). */
  slotsHeld(): string[] {
    return this.limiter?.held() ?? [];
  }

  /** Starts watching, runs Velero's start-up pass over existing DataUploads, then reconciles. */
  async start(): Promise<void> {
    const { io, namespace, nodeName, flow } = this.opts;
    this.node = await io.getObject<V1Node & Obj>({ apiVersion: 'v1', resource: 'nodes', name: nodeName });
    this.limiter = new Limiter(concurrencyForNode(this.opts.config, this.node.metadata?.labels));
    // A flow that claims on release hears of a freed slot at once; the others at their next re-check.
    this.limiter.onRelease(() => this.unparkAll('slot', flow.claimsOnRelease === true));

    this.dataUploads = io.watch<DataUpload & Obj>(DATA_UPLOAD_API_VERSION, DATA_UPLOAD_PLURAL, namespace);
    this.pods = io.watch<V1Pod & Obj>('v1', 'pods', undefined, undefined, `spec.nodeName=${nodeName}`);
    this.events = io.watch<CoreV1Event & Obj>('v1', 'events', namespace);
    if (flow.watchesBackupPvcs) this.pvcs = io.watch<V1PersistentVolumeClaim & Obj>('v1', 'persistentvolumeclaims', namespace);
    // Where a volume can go: the nodes and their labels (Velero's setupExposeParam LISTs them too).
    // Their Ready conditions, for a flow that reads node health.
    if (flow.readsVolumeTopology || flow.readsNodeHealth) this.nodes = io.watch<V1Node & Obj>('v1', 'nodes');

    this.dataUploads.on('add', (du) => this.onDataUpload(du));
    this.dataUploads.on('update', (du) => this.onDataUpload(du));
    this.dataUploads.on('delete', (du) => this.onDataUpload(undefined, du));
    this.pods.on('add', (pod) => this.onPod(pod, 'add'));
    this.pods.on('update', (pod) => this.onPod(pod, 'update'));
    this.pods.on('delete', (pod) => this.onPod(pod, 'delete'));
    this.events.on('add', (e) => this.onEvent(e));
    this.events.on('update', (e) => this.onEvent(e));
    this.pvcs?.on('add', (pvc) => this.enqueueOwnedBy(pvc.metadata?.name, pvc.metadata?.namespace));
    this.pvcs?.on('update', (pvc) => this.enqueueOwnedBy(pvc.metadata?.name, pvc.metadata?.namespace));
    if (flow.readsNodeHealth) {
      this.nodes?.on('add', (node) => this.onNodeHealth(node));
      this.nodes?.on('update', (node) => this.onNodeHealth(node));
    }

    await Promise.all([this.dataUploads.start(), this.pods.start(), this.events.start(), this.pvcs?.start(), this.nodes?.start()]);
    this.running = true;
    await this.resumeOnStart();
    this.schedulePeriodic();
    this.worker = this.work();
  }

  /** Stops at once, as a killed process would: no cleanup, no status writes. */
  async stop(): Promise<void> {
    this.running = false;
    this.opts.io.close();
    this.opts.eventsIo?.close();
    this.periodic?.cancel();
    this.queue.shutdown();
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    await Promise.all([this.dataUploads?.stop(), this.pods?.stop(), this.events?.stop(), this.pvcs?.stop(), this.nodes?.stop()]);
  }

  // ---- inputs -----------------------------------------------------------------------------

  private onDataUpload(du: DataUpload | undefined, gone?: DataUpload): void {
    const name = (du ?? gone)!.metadata.name!;
    // Velero's VgdpCounter counts the expose-on-going label in the cache; one fewer may free the
    // queue. One more cannot: the parked re-checks it would wake would all find the queue full.
    // (Waking them anyway only reorders those due at the same instant: at 1,000 PVCs that moved
    // which DataUpload took a freed place, 533 completed then, 524 now.)
    const before = this.exposeOnGoing.size;
    if (du?.metadata.labels?.[EXPOSE_ON_GOING_LABEL] === 'true') this.exposeOnGoing.add(name);
    else this.exposeOnGoing.delete(name);
    if (this.exposeOnGoing.size < before) this.unparkAll('prepare-queue');
    // A waiting DataUpload claimed anywhere: for a flow that orders the waiting, the next in line may go.
    if (this.opts.flow.claimsOnRelease) {
      if (du?.status?.phase !== 'Prepared' && this.lastPhase.get(name) === 'Prepared') this.unparkAll('slot', true);
      if (du) this.lastPhase.set(name, du.status?.phase ?? '');
      else this.lastPhase.delete(name);
    }
    // A reservation (deploying's claim) ends when its DataUpload is terminal, whoever wrote it
    // (the deploy timeout is checked by every agent). A running data path does not: its slot is
    // freed by its watcher's callback, as Velero's RemoveAsyncBR.
    if (du && isTerminal(du)) this.limiter.releaseReservation(name);
    if (!du) {
      // Velero's Reconcile returns on a DataUpload not found; a data path still open stays.
      this.cancelSpotted.delete(name);
      this.parked.delete(name);
      this.ledger.remove(name);
    }
    this.queue.add(name);
  }

  /**
   * A data-mover pod on this node. The data-path watcher follows it (its own pod informer in
   * Velero). Velero's DataUpload controller hears of pod updates only (SetupWithManager's
   * predicate on the pod watch: labelled, spec.nodeName this node; creates and deletes
   * filtered out) and maps them through findDataUploadForPod, in the event handler
   * (`Flow.onPodUpdate`). A pod that goes is nothing to that watch; but a DataUpload parked
   * waiting for a slot would have seen it at its next 5 s re-check, so it is resumed.
   */
  private onPod(pod: V1Pod, event: 'add' | 'update' | 'delete'): void {
    const name = pod.metadata?.name;
    if (!name || pod.metadata?.namespace !== this.opts.namespace || !pod.metadata.labels?.['velero.io/data-upload']) return;
    this.watchers.get(name)?.onPod(pod);
    if (event === 'update') void this.guard(name, () => this.podUpdated(name, pod));
    else if (event === 'delete') {
      if (this.parked.has(name)) this.unpark(name);
      // Gone before it ended, its data path still open here: a flow that has onPodGone decides.
      const w = this.watchers.get(name);
      if (w && !w.podEnded && this.opts.flow.onPodGone) void this.guard(name, () => this.podGone(name));
    }
  }

  private async podGone(name: string): Promise<void> {
    if (!this.running || !this.watchers.has(name)) return;
    const du = this.dataUploads.get(name, this.opts.namespace);
    if (!du) return;
    const input = await this.observe(du);
    await this.carryOut(this.opts.flow.onPodGone!({ ...input, pod: undefined }), input);
  }

  /** Velero's findDataUploadForPod, as the flow has it: a step in the handler, then maybe a reconcile. */
  private async podUpdated(name: string, pod: V1Pod): Promise<void> {
    if (!this.running) return;
    const du = this.dataUploads.get(name, this.opts.namespace);
    if (!du || pod.spec?.nodeName !== this.opts.nodeName) return;
    const input = await this.observe(du, pod);
    const { step, enqueue } = this.opts.flow.onPodUpdate(input);
    await this.carryOut(step, input);
    if (enqueue) this.queue.add(name);
  }

  private onEvent(e: CoreV1Event): void {
    const name = e.involvedObject?.name;
    if (e.involvedObject?.kind !== DATA_UPLOAD_KIND || !name) return;
    this.watchers.get(name)?.onEvent(e);
  }

  private enqueueOwnedBy(name: string | undefined, namespace: string | undefined): void {
    if (name && namespace === this.opts.namespace && this.dataUploads.get(name, namespace)) this.queue.add(name);
  }

  /** A node's Ready condition stopped being True: the DataUploads tied to it are reconciled (the
   *  flow decides how long to wait). Heartbeats alone (Ready still not True) do not re-enqueue. */
  private onNodeHealth(node: V1Node): void {
    const name = node.metadata?.name;
    if (!name) return;
    if (nodeNotReadySince(node) === undefined) {
      this.notReadyNodes.delete(name);
      return;
    }
    if (this.notReadyNodes.has(name)) return;
    this.notReadyNodes.add(name);
    if (!this.running) return;
    for (const du of this.dataUploads.list()) if (!isTerminal(du) && tiedNode(du) === name) this.queue.add(du.metadata.name!);
  }

  /** When the node `du` is tied to stopped being Ready, from this agent's Node cache. */
  private tiedNodeNotReadySince(du: DataUpload): number | undefined {
    const name = tiedNode(du);
    const node = name ? this.nodes?.get(name) : undefined;
    return node ? nodeNotReadySince(node) : undefined;
  }

  private schedulePeriodic(): void {
    this.periodic = this.opts.clock.setTimer(VELERO_TIMINGS.periodicMs, () => {
      if (!this.running) return;
      for (const du of this.dataUploads.list()) if (this.opts.flow.periodic(du)) this.queue.add(du.metadata.name!);
      this.schedulePeriodic();
    });
  }

  // ---- the reconcile loop -----------------------------------------------------------------

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.reconcile(key);
        this.queue.forget(key);
      } catch (e) {
        if (!this.running) return;
        this.log(`reconcile ${key}: ${(e as Error).message}`);
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async reconcile(name: string): Promise<void> {
    if (!this.running) return;
    const du = this.dataUploads.get(name, this.opts.namespace);
    if (!du) return;
    this.unpark(name);
    const input = await this.observe(du);
    const decision = this.opts.flow.decide(input);
    await this.carryOut(decision.step, input);
    this.requeue(name, decision, input.now);
  }

  /** What the flow decides on; `updatedPod`: the pod of a pod update event (no peek then). */
  private async observe(du: DataUpload, updatedPod?: V1Pod): Promise<FlowInput> {
    const { namespace, nodeName, config, flow, clock, io } = this.opts;
    const name = du.metadata.name!;
    const now = clock.now();
    if (du.spec.cancel && !isTerminal(du)) {
      if (!this.cancelSpotted.has(name)) this.cancelSpotted.set(name, now);
    } else if (isTerminal(du)) this.cancelSpotted.delete(name);
    let pod: V1Pod | undefined = updatedPod ?? this.pods.get(name, namespace);
    if (!updatedPod && flow.peeksPod?.(du)) {
      // PeekExposed: a direct GET on every reconcile, whatever this agent's cache holds.
      const ref = { apiVersion: 'v1', resource: 'pods', namespace, name };
      const { peekCache } = this.opts;
      pod = peekCache
        ? await io.answerFromCache('get', { apiVersion: 'v1', resource: 'pods' }, () => peekCache.get(name, namespace), `pods/${namespace}/${name}`)
        : await io.getObject<V1Pod & Obj>(ref).catch((e) => {
            if (isNotFound(e)) return undefined;
            throw e;
          });
    }
    const backupPvc = this.pvcs?.get(name, namespace);
    const waitsForConsumer = backupPvc && backupPvc.status?.phase !== 'Bound' ? await this.bindsWithConsumer(backupPvc.spec?.storageClassName) : undefined;
    // Only a node loadAffinity admits for this DataUpload could claim it: the others need not know.
    const affinityMatches = this.canRunHere(du);
    const required = flow.readsVolumeTopology && affinityMatches ? await this.backupVolumeAffinity(du) : undefined;
    const attaches = required ? this.attachesHere(required) : undefined;
    const attachable = required ? this.attachableNodes(du, required) : undefined;
    const ahead = flow.ordersWaiting ? await this.waitingAhead(du, now, flow.ordersWaiting) : undefined;
    const notReadySince = flow.readsNodeHealth ? this.tiedNodeNotReadySince(du) : undefined;
    return {
      du,
      now,
      nodeName,
      pod,
      backupPvc,
      ...(attaches !== undefined ? { backupVolumeAttachesHere: attaches, attachableNodes: attachable } : {}),
      ...(ahead !== undefined ? { waitingAhead: ahead } : {}),
      ...(notReadySince !== undefined ? { tiedNodeNotReadySince: notReadySince } : {}),
      ...(waitsForConsumer !== undefined ? { backupPvcWaitsForConsumer: waitsForConsumer } : {}),
      dataPathRunning: this.watchers.has(name),
      slots: { used: this.limiter.used, limit: this.limiter.limit, ...(flow.looksAhead ? this.lookAhead(now) : {}) },
      exposeOnGoing: this.exposeOnGoing.size,
      cancelSpottedAt: this.cancelSpotted.get(name),
      affinityMatchesNode: affinityMatches,
      config: {
        prepareTimeoutMs: config.prepareTimeoutMs,
        deployTimeoutMs: config.deployTimeoutMs,
        prepareQueueLength: config.loadConcurrency.prepareQueueLength,
      },
    };
  }

  /**
   * Whether this DataUpload's backup volume can be attached on this node: the node affinity of
   * the backup PVC's PV once bound, or, for a class that binds with a consumer, of the source PV
   * (the exposer adds the source volume's topology to the pod). Undefined when not known yet.
   */
  private async backupVolumeAttachesHere(du: DataUpload): Promise<boolean | undefined> {
    const required = await this.backupVolumeAffinity(du);
    return required ? this.attachesHere(required) : undefined;
  }

  /** A volume node affinity admits this agent's node. */
  private attachesHere(required: V1NodeSelector): boolean {
    return matchesNodeSelector(required, { name: this.opts.nodeName, labels: this.node?.metadata?.labels });
  }

  /** The nodes loadAffinity admits for this DataUpload that the volume's node affinity matches. */
  private attachableNodes(du: DataUpload, required: V1NodeSelector): number {
    const la = loadAffinityFor(this.opts.config, du.spec.csiSnapshot?.storageClass);
    let n = 0;
    for (const node of this.nodes?.list() ?? []) {
      const labels = node.metadata?.labels;
      if (affinityMatchesNode(la, labels) && matchesNodeSelector(required, { name: node.metadata!.name!, labels })) n++;
    }
    return n;
  }

  /** The required node affinity of the PV the backup volume is (or, binding with a consumer, will be placed as): see backupVolumeAttachesHere. */
  private async backupVolumeAffinity(du: DataUpload): Promise<V1NodeSelector | undefined> {
    const { namespace } = this.opts;
    const pvc = this.pvcs?.get(du.metadata.name!, namespace);
    if (!pvc) return undefined;
    let pvName = pvc.spec?.volumeName;
    if (!pvName && (await this.bindsWithConsumer(pvc.spec?.storageClassName))) pvName = await this.sourcePvName(du);
    if (!pvName) return undefined;
    return (await this.pvNodeAffinity(pvName)) ?? undefined;
  }

  /** A PV's required node affinity, one GET per PV for the agent's life (it cannot change); null: none, or the PV is gone. */
  private async pvNodeAffinity(name: string): Promise<V1NodeSelector | null> {
    let known = this.pvAffinity.get(name);
    if (known === undefined) {
      const pv = await this.opts.io.getObject<V1PersistentVolume & Obj>({ apiVersion: 'v1', resource: 'persistentvolumes', name }).catch((e) => {
        if (isNotFound(e)) return undefined;
        throw e;
      });
      known = pv?.spec?.nodeAffinity?.required ?? null;
      if (pv) this.pvAffinity.set(name, known);
    }
    return known;
  }

  /** The source PVC's PV name, one GET per DataUpload (a bound claim keeps its volume). */
  private async sourcePvName(du: DataUpload): Promise<string | undefined> {
    const name = du.metadata.name!;
    let pv = this.sourcePvNames.get(name);
    if (pv === undefined) {
      const pvc = await this.opts.io
        .getObject<V1PersistentVolumeClaim & Obj>({ apiVersion: 'v1', resource: 'persistentvolumeclaims', namespace: du.spec.sourceNamespace, name: du.spec.sourcePVC })
        .catch((e) => {
          if (isNotFound(e)) return undefined;
          throw e;
        });
      pv = pvc?.spec?.volumeName ?? '';
      if (pv) this.sourcePvNames.set(name, pv);
    }
    return pv || undefined;
  }

  /** The waiting DataUploads this node could serve that were accepted before this one (ties by name). */
  private async waitingAhead(du: DataUpload, now: number, ordering: NonNullable<Flow['ordersWaiting']>): Promise<number> {
    const size = (d: DataUpload) => {
      const req = this.pvcs?.get(d.metadata.name!, this.opts.namespace)?.spec?.resources?.requests?.storage;
      return req === undefined ? 0 : parseBytes(req, 'backup PVC spec.resources.requests.storage');
    };
    // A sort key: larger first (when ordered so), then accepted earlier, then by name.
    const keyOf = (d: DataUpload) => [ordering.order === 'largest-first' ? -size(d) : 0, d.status?.acceptedTimestamp ?? '', d.metadata.name!] as const;
    const before = (a: ReturnType<typeof keyOf>, b: ReturnType<typeof keyOf>) => a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])));
    const mine = keyOf(du);
    let n = 0;
    for (const other of this.dataUploads.list()) {
      if (other.metadata.name === du.metadata.name || !ordering.waiting(other, now)) continue;
      if (!before(keyOf(other), mine)) continue;
      if (!this.canRunHere(other)) continue;
      if (this.opts.flow.readsVolumeTopology && (await this.backupVolumeAttachesHere(other)) === false) continue;
      n++;
    }
    return n;
  }

  /** A StorageClass's volumeBindingMode is WaitForFirstConsumer: one GET per class for the agent's life (a class's mode cannot change). */
  private async bindsWithConsumer(className: string | undefined): Promise<boolean> {
    if (!className) return false;
    let waits = this.waitsForConsumer.get(className);
    if (waits === undefined) {
      const sc = await this.opts.io.getObject<Obj>({ apiVersion: 'storage.k8s.io/v1', resource: 'storageclasses', name: className }).catch((e) => {
        if (isNotFound(e)) return undefined;
        throw e;
      });
      this.waitsForConsumer.set(className, (waits = sc?.volumeBindingMode === 'WaitForFirstConsumer'));
    }
    return waits;
  }

  private canRunHere(du: DataUpload): boolean {
    const storageClass = du.spec.csiSnapshot?.storageClass;
    let yes = this.runsHere.get(storageClass);
    if (yes === undefined) this.runsHere.set(storageClass, (yes = affinityMatchesNode(loadAffinityFor(this.opts.config, storageClass), this.node?.metadata?.labels)));
    return yes;
  }

  private requeue(name: string, decision: Decision, now: number): void {
    if (decision.requeueAfterMs === undefined) return;
    if (decision.waitsFor) this.park(name, now, decision.waitsFor);
    else this.queue.addAfter(name, decision.requeueAfterMs);
  }

  private park(name: string, since: number, waitsFor: WaitsFor, cost?: RecheckCost): void {
    this.parked.set(name, waitsFor);
    this.ledger.park(name, since, cost);
  }

  /** Resumes a parked DataUpload at its next re-check (the 5 s grid, later by the waits for tokens its skipped re-checks had). */
  private unpark(name: string, immediately = false): void {
    if (!this.parked.delete(name)) return;
    const now = this.opts.clock.now();
    const due = this.ledger.unpark(name, now);
    if (immediately) this.queue.add(name);
    else if (due !== undefined) this.queue.addAfter(name, due - now);
  }

  /**
   * Counts the re-checks that DataUploads still parked have skipped until now, as unpark would:
   * at a run's end they are requests Velero would have sent. They stay parked.
   */
  countParkedRechecks(): void {
    this.ledger.settle(this.opts.clock.now());
  }

  /** `immediately`: reconcile them at once (claimsOnRelease) rather than at their next re-check. */
  private unparkAll(waitsFor: WaitsFor, immediately = false): void {
    // unpark deletes the entry being visited, which a Map's iteration allows (no copy needed).
    for (const [name, w] of this.parked) if (w === waitsFor) this.unpark(name, immediately);
  }

  // ---- carrying out a step ----------------------------------------------------------------

  private async carryOut(step: Step, input: FlowInput): Promise<void> {
    const { du } = input;
    const name = du.metadata.name!;
    switch (step.kind) {
      case 'none':
        return;
      case 'add-finalizer':
        await this.updateWithRetry(name, (d) => {
          if (d.metadata.finalizers?.includes(DATA_UPLOAD_FINALIZER)) return false;
          d.metadata.finalizers = [...(d.metadata.finalizers ?? []), DATA_UPLOAD_FINALIZER];
          return true;
        });
        return;
      case 'remove-finalizer':
        await this.updateWithRetry(name, (d) => {
          if (!d.metadata.finalizers?.includes(DATA_UPLOAD_FINALIZER)) return false;
          d.metadata.finalizers = d.metadata.finalizers.filter((f) => f !== DATA_UPLOAD_FINALIZER);
          return true;
        });
        return;
      case 'request-cancel':
        await this.updateWithRetry(name, (d) => {
          if (d.spec.cancel) return false;
          d.spec.cancel = true;
          d.status = { ...d.status, message: step.message };
          setReason(d, step.reason);
          return true;
        });
        return;
      case 'accept':
        return this.accept(du, step.label, step.pod);
      case 'prepare': {
        const prepare = (d: DataUpload) => {
          d.status = { ...d.status, phase: 'Prepared', ...(step.node ? { node: step.node } : {}) };
        };
        if (step.exclusive) {
          const next = structuredClone(du);
          prepare(next);
          const written = await this.exclusiveUpdate(next);
          if (written) this.record(written, 'Prepared', `Prepared on node-agent ${this.opts.nodeName}`);
          return;
        }
        await this.writeStatus(name, prepare, { phase: 'Prepared', skipTerminal: true, always: 'update-with-retry' });
        return;
      }
      case 'claim':
        return this.claim(du, step.podRefusedByQuota, step.ahead === true);
      case 'start-data-path':
        return this.startDataPath(du, input);
      case 'cancel':
        return this.exclusiveTerminal(du, 'Canceled', step.reason, step.message);
      case 'cleanup-and-cancel':
        return this.cleanupAndEnd(name, 'Canceled', step.reason);
      case 'canceling':
        await this.writeStatus(name, (d) => {
          d.status = { ...d.status, phase: 'Canceling' };
        }, { phase: 'Canceling', skipTerminal: true });
        return;
      case 'retry':
        return this.retry(name, step.reason, step.message);
      case 'fail':
        if (step.exclusive) return this.exclusiveTerminal(du, 'Failed', step.reason, step.message);
        return this.cleanupAndEnd(name, 'Failed', step.reason, step.message);
    }
  }

  /** Velero's acceptDataUpload + Expose, in one reconcile. */
  private async accept(du: DataUpload, label: boolean, withPod: boolean): Promise<void> {
    const { nodeName, clock } = this.opts;
    const accepted = structuredClone(du);
    accepted.status = { ...accepted.status, phase: 'Accepted', acceptedByNode: nodeName, acceptedTimestamp: kubeTime(clock.now()) };
    if (label) accepted.metadata.labels = { ...accepted.metadata.labels, [EXPOSE_ON_GOING_LABEL]: 'true' };
    const written = await this.exclusiveUpdate(accepted);
    if (!written) return;
    this.record(written, 'Accepted', `accepted by node-agent on ${nodeName}`);
    if (written.spec.cancel) return this.cleanupAndEnd(written.metadata.name!, 'Canceled', 'canceled');
    let params: ExposeParams;
    try {
      params = await this.exposeParams(written);
    } catch (e) {
      return this.cleanupAndEnd(written.metadata.name!, 'Failed', 'expose-failed', `failed to set exposer parameters: ${(e as Error).message}`);
    }
    try {
      await this.exposer.expose(params, { pod: withPod });
    } catch (e) {
      return this.cleanupAndEnd(written.metadata.name!, 'Failed', exposeReason(e), `${this.opts.flow.exposeErrorMessage}: ${(e as Error).message}`);
    }
  }

  /** deploying: Prepared -> DatamoverDeploying on this node, a reserved slot, the pod pinned here. */
  private async claim(du: DataUpload, podRefusedByQuota: 'fail' | 'return-claim', ahead = false): Promise<void> {
    const { nodeName, clock } = this.opts;
    const name = du.metadata.name!;
    if (!this.limiter.reserve(name, { ahead })) return;
    const claimed = structuredClone(du);
    claimed.status = { ...claimed.status, phase: 'DatamoverDeploying', node: nodeName };
    claimed.metadata.annotations = { ...claimed.metadata.annotations, [DEPLOYING_TIMESTAMP_ANNOTATION]: kubeTime(clock.now()) };
    // The reservation is ours until the claim is written: a lost race or a failed request gives it back.
    const written = await this.exclusiveUpdate(claimed).catch((e) => {
      this.limiter.release(name);
      throw e;
    });
    if (!written) {
      this.limiter.release(name);
      return;
    }
    this.record(written, 'DatamoverDeploying', `claimed by node-agent on ${nodeName}; creating the data-mover pod`);
    try {
      await this.exposer.createPod({ ...(await this.exposeParams(written)), nodeName });
    } catch (e) {
      const byQuota = e instanceof ExposeError && e.refusedByQuota;
      if (byQuota && podRefusedByQuota === 'return-claim') return this.returnClaim(written, (e as Error).message);
      return this.cleanupAndEnd(name, 'Failed', byQuota ? 'quota-exceeded' : 'pod-failed', `error creating data mover pod: ${(e as Error).message}`);
    }
  }

  /** deploying: a ResourceQuota refused the claim's pod; the slot is freed and the DataUpload is Prepared again. */
  private async returnClaim(claimed: DataUpload, why: string): Promise<void> {
    const name = claimed.metadata.name!;
    this.limiter.release(name);
    const back = structuredClone(claimed);
    back.status = { ...back.status, phase: 'Prepared' };
    delete back.status.node;
    const refusals = Number(back.metadata.annotations?.[QUOTA_REFUSALS_ANNOTATION] ?? 0) + 1;
    const annotations: Record<string, string> = { ...back.metadata.annotations, [QUOTA_REFUSED_ANNOTATION]: kubeTime(this.opts.clock.now()), [QUOTA_REFUSALS_ANNOTATION]: String(refusals) };
    delete annotations[DEPLOYING_TIMESTAMP_ANNOTATION];
    back.metadata.annotations = annotations;
    const written = await this.exclusiveUpdate(back);
    if (written) this.record(written, 'Prepared', `claim returned: ${why}`);
  }

  /** Velero's Prepared branch: GetExposed, the limiter, the watcher, then InProgress. */
  private async startDataPath(du: DataUpload, input: FlowInput): Promise<void> {
    const { nodeName, clock } = this.opts;
    const name = du.metadata.name!;
    const exposed = await this.exposer.getExposed(du, nodeName, input.pod, parseGoDuration(du.spec.operationTimeout, 'spec.operationTimeout'));
    if (!exposed) {
      return this.cleanupAndEnd(name, 'Failed', 'expose-failed', 'exposed snapshot is not ready: no expose result is available for the current node');
    }
    // A claim's reservation (deploying) becomes this data path; if the start fails, it goes back
    // to being the claim's: the slot is the claim's until its DataUpload ends (docs/design.md 2.5).
    const claimed = this.limiter.isReserved(name);
    if (!this.limiter.start(name)) {
      // ConcurrentLimitExceed: Velero requeues after 5 s, GETting the backup PVC and PV each time.
      this.park(name, clock.now(), 'slot', GET_EXPOSED_RECHECK);
      return;
    }
    const watcher = this.openDataPath(name);
    const written = await this.writeStatus(name, (d) => {
      d.status = { ...d.status, phase: 'InProgress', startTimestamp: kubeTime(clock.now()), ...(exposed.nodeOS ? { nodeOS: exposed.nodeOS as NodeOS } : {}) };
      if (d.metadata.labels) delete d.metadata.labels[EXPOSE_ON_GOING_LABEL];
    }, { phase: 'InProgress', skipTerminal: true }).then(
      (w) => ({ ok: true, w }),
      (e) => {
        this.log(`${name}: update to InProgress failed: ${(e as Error).message}`);
        return { ok: false, w: undefined };
      },
    );
    const ok = written.ok;
    const terminated = ok && written.w === undefined;
    if (!ok || terminated) {
      if (claimed && !terminated) {
        this.closeWatcher(name);
        this.limiter.reserve(name, { back: true });
      } else this.closeDataPath(name);
      if (!ok) this.queue.addAfter(name, VELERO_TIMINGS.requeueMs);
      return;
    }
    const pod = this.pods.get(name, this.opts.namespace);
    if (pod) watcher.onPod(pod);
  }

  private openDataPath(name: string): DataPathWatcher {
    const { clock } = this.opts;
    const watcher = new DataPathWatcher(name, clock, {
      onProgress: (p) => void this.guard(name, () => this.onProgress(name, p)),
      onCompleted: (r) => void this.guard(name, () => this.onCompleted(name, r)),
      onCancelled: () => void this.guard(name, () => this.cleanupAndEnd(name, 'Canceled', 'canceled')),
      onFailed: (m, pod) => void this.guard(name, () => this.dataPathFailed(name, dataPathFailureReason(m, pod), `data path backup failed: ${m}`)),
    });
    this.watchers.set(name, watcher);
    return watcher;
  }

  /** Velero's OnDataUploadFailed (clean up, Failed), unless the flow decides otherwise (`onDataPathFailed`). */
  private async dataPathFailed(name: string, reason: OutcomeReason, message: string): Promise<void> {
    const du = this.opts.flow.onDataPathFailed ? this.dataUploads.get(name, this.opts.namespace) : undefined;
    if (!du) return this.cleanupAndEnd(name, 'Failed', reason, message);
    const input = await this.observe(du);
    await this.carryOut(this.opts.flow.onDataPathFailed!(input, { reason, message }), input);
  }

  /** The `retry` step: the pod's remains deleted, the slot freed, the DataUpload Prepared again for any agent. */
  private async retry(name: string, reason: OutcomeReason, message: string): Promise<void> {
    const du = this.dataUploads.get(name, this.opts.namespace);
    this.closeWatcher(name);
    let canceled = false;
    try {
      if (du) await this.exposer.deletePod(du);
      await this.updateWithRetry(name, (d) => {
        if (isTerminal(d)) return false;
        if (d.spec.cancel) {
          canceled = true;
          return false;
        }
        const status = { ...d.status, phase: 'Prepared' as const, message };
        delete status.node;
        delete status.startTimestamp;
        delete status.progress;
        d.status = status;
        const annotations: Record<string, string> = { ...d.metadata.annotations, [RETRIED_ANNOTATION]: reason };
        delete annotations[DEPLOYING_TIMESTAMP_ANNOTATION];
        d.metadata.annotations = annotations;
        return true;
      }, 'Prepared', `given back to Prepared, to run again on a new pod: ${message}`);
    } finally {
      this.limiter.release(name);
    }
    if (canceled) await this.cleanupAndEnd(name, 'Canceled', 'canceled');
  }

  /** Velero's closeDataPath: the watcher closed and its slot freed at once (a start that did not happen). */
  private closeDataPath(name: string): void {
    this.closeWatcher(name);
    this.limiter.release(name);
  }

  private closeWatcher(name: string): void {
    this.watchers.get(name)?.close();
    this.watchers.delete(name);
    this.progressSeen.delete(name);
  }

  /** Callbacks run outside the queue (as Velero's watcher goroutine does), one after another per
   *  DataUpload; their errors are logged. */
  private guard(name: string, fn: () => Promise<void>): Promise<void> {
    const next = (this.callbacks.get(name) ?? Promise.resolve()).then(fn).catch((e) => {
      if (this.running) this.log(`${name}: ${(e as Error).message}`);
    });
    this.callbacks.set(name, next);
    void next.then(() => {
      if (this.callbacks.get(name) === next) this.callbacks.delete(name);
    });
    return next;
  }

  /** Look-ahead reservations, and the least estimated time left of this node's running data paths. */
  private lookAhead(now: number): { ahead: number; soonestEndMs?: number } {
    let soonest: number | undefined;
    for (const name of this.watchers.keys()) {
      const [a, b] = this.progressSeen.get(name) ?? [];
      if (!a || !b || b.at <= a.at || b.done <= a.done || !b.total) continue;
      const rate = (b.done - a.done) / (b.at - a.at);
      const left = Math.max(0, (b.total - b.done) / rate - (now - b.at));
      soonest = soonest === undefined ? left : Math.min(soonest, left);
    }
    return { ahead: this.limiter.aheadCount, ...(soonest !== undefined ? { soonestEndMs: Math.round(soonest) } : {}) };
  }

  private async onProgress(name: string, p: DataPathProgress): Promise<void> {
    if (!this.dataUploads.get(name, this.opts.namespace)) return;
    if (p.doneBytes !== undefined) {
      const last = this.progressSeen.get(name)?.[1];
      const seen = { at: this.opts.clock.now(), done: p.doneBytes, total: p.totalBytes ?? 0 };
      this.progressSeen.set(name, [last ?? seen, seen]);
      // A new estimate of when a slot frees: the DataUploads waiting to claim decide again (a
      // claim already made, waiting to start, can only start once a slot frees: left parked).
      if (this.opts.flow.looksAhead) {
        for (const [waiting, w] of this.parked) if (w === 'slot' && !this.limiter.isReserved(waiting)) this.unpark(waiting, true);
      }
    }
    // OnDataUploadProgress: no check of the phase (v1.16 Patch, v1.17+ UpdateDataUploadWithRetry).
    await this.writeStatus(name, (d) => {
      d.status = { ...d.status, progress: { totalBytes: p.totalBytes, bytesDone: p.doneBytes } };
    }, { skipTerminal: false });
  }

  /**
   * Velero's OnDataUploadCompleted: clean up, then Completed with the result. Its slot is freed
   * last (`defer r.dataPathMgr.RemoveAsyncBR`), after CleanUp and the status write, as in
   * OnDataUploadFailed and OnDataUploadCancelled (cleanupAndEnd).
   */
  private async onCompleted(name: string, result: DataPathBackupResult | undefined): Promise<void> {
    const du = this.dataUploads.get(name, this.opts.namespace);
    this.closeWatcher(name);
    if (this.opts.flow.freesSlotAtDataEnd) this.limiter.release(name);
    try {
      if (!du) return;
      await this.exposer.cleanUp(du);
      await this.endWrite(name, (d) => {
        d.status = { ...d.status, phase: 'Completed', path: result?.source?.byPath, snapshotID: result?.snapshotID, completionTimestamp: kubeTime(this.opts.clock.now()) };
        if (result?.emptySnapshot) d.status.message = 'volume was empty so no data was upload';
        if (d.metadata.labels) delete d.metadata.labels[EXPOSE_ON_GOING_LABEL];
      }, { phase: 'Completed', skipTerminal: true, message: `data upload completed on ${this.opts.nodeName}` });
    } finally {
      this.limiter.release(name);
    }
  }

  // ---- write discipline --------------------------------------------------------------------

  /** Velero's exclusiveUpdateDataUpload: one Update; a conflict means another node-agent acted. */
  private async exclusiveUpdate(du: DataUpload): Promise<(DataUpload & Obj) | undefined> {
    try {
      return await this.opts.io.replaceObject<DataUpload & Obj>(DU_REF.resource, { apiVersion: DATA_UPLOAD_API_VERSION, kind: DATA_UPLOAD_KIND, ...du } as DataUpload & Obj);
    } catch (e) {
      if (isConflict(e)) return undefined;
      throw e;
    }
  }

  /** Velero's UpdateDataUploadWithRetry: read (cache), mutate, Update; on conflict retry every second. */
  private async updateWithRetry(
    name: string,
    mutate: (du: DataUpload) => boolean,
    recordPhase?: DataUploadPhase,
    message?: string,
  ): Promise<(DataUpload & Obj) | undefined> {
    for (;;) {
      const cur = this.dataUploads.get(name, this.opts.namespace);
      if (!cur) throw new Error(`getting DataUpload ${name}: not found`);
      const next = structuredClone(cur) as DataUpload & Obj;
      if (!mutate(next)) return undefined;
      try {
        const written = await this.opts.io.replaceObject<DataUpload & Obj>(DU_REF.resource, next);
        if (recordPhase) this.record(written, recordPhase, message ?? `${recordPhase} on node-agent ${this.opts.nodeName}`);
        return written;
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
      await this.opts.clock.sleep(VELERO_TIMINGS.updateRetryMs);
      if (!this.running) return undefined;
    }
  }

  /**
   * The terminal write after a data path or a cleanup. A flow that `retriesEndWrites` tries again
   * on any error but a conflict (which writeStatus retries itself), 1 s then doubling to 30 s, while
   * the agent runs; Velero, and the other flows, give up at the first such error.
   */
  private async endWrite(name: string, change: (du: DataUpload) => void, opts: { phase: DataUploadPhase; skipTerminal: boolean; message?: string }): Promise<void> {
    for (let waitMs = END_WRITE_RETRY_FIRST_MS; ; waitMs = Math.min(END_WRITE_RETRY_MAX_MS, waitMs * 2)) {
      try {
        await this.writeStatus(name, change, opts);
        return;
      } catch (e) {
        if (!this.opts.flow.retriesEndWrites || !this.running || !this.dataUploads.get(name, this.opts.namespace)) throw e;
        this.log(`${name}: ${opts.phase} write failed, again in ${waitMs / 1000} s: ${(e as Error).message}`);
      }
      await this.opts.clock.sleep(waitMs);
      if (!this.running) return;
    }
  }

  /**
   * A status write as the flow's Velero version makes it (`Flow.statusWrites`): v1.16 a JSON
   * merge patch of the change (client.MergeFrom), whatever the phase is by then; v1.17+
   * UpdateDataUploadWithRetry, skipped when the fresh DataUpload is already terminal and
   * `skipTerminal` (isDataUploadInFinalState). `always` forces one discipline (findDataUploadForPod's
   * Prepared write has its own per version). Returns the written object; undefined when skipped.
   */
  private async writeStatus(
    name: string,
    change: (du: DataUpload) => void,
    opts: { phase?: DataUploadPhase; skipTerminal: boolean; message?: string; always?: Flow['statusWrites'] },
  ): Promise<(DataUpload & Obj) | undefined> {
    if ((opts.always ?? this.opts.flow.statusWrites) === 'update-with-retry') {
      return this.updateWithRetry(name, (d) => {
        if (opts.skipTerminal && isTerminal(d)) return false;
        change(d);
        return true;
      }, opts.phase, opts.message);
    }
    const cur = this.dataUploads.get(name, this.opts.namespace);
    if (!cur) throw new Error(`getting DataUpload ${name}: not found`);
    const next = structuredClone(cur);
    change(next);
    const written = await this.opts.io.mergePatchObject<DataUpload & Obj>({ ...DU_REF, namespace: this.opts.namespace, name }, mergePatchOf(cur, next));
    if (opts.phase) this.record(written, opts.phase, opts.message ?? `${opts.phase} on node-agent ${this.opts.nodeName}`);
    return written;
  }

  /** Velero's tryCancel / onPrepareTimeout: an exclusive update to the terminal phase, then clean up. */
  private async exclusiveTerminal(du: DataUpload, phase: 'Canceled' | 'Failed', reason: OutcomeReason, message?: string): Promise<void> {
    const now = kubeTime(this.opts.clock.now());
    const next = structuredClone(du);
    next.status = { ...next.status, phase };
    if (phase === 'Canceled') {
      next.status.startTimestamp ??= now;
      next.status.completionTimestamp = now;
    }
    if (message) next.status.message = message;
    if (next.metadata.labels) delete next.metadata.labels[EXPOSE_ON_GOING_LABEL];
    setReason(next, reason);
    const written = await this.exclusiveUpdate(next);
    if (!written) return;
    this.record(written, phase, message ?? `${phase.toLowerCase()} (${reason})`);
    // tryCancelDataUpload and onPrepareTimeout do not touch the data path: a data path still
    // open here keeps its slot until its watcher fires (the pod ends), or for good when the pod
    // went without ending (v1.17+ data_upload_controller.go; no RemoveAsyncBR). A deploying
    // reservation ends with the DataUpload (onDataUpload).
    await this.exposer.cleanUp(written);
  }

  /**
   * Velero's errorOut / OnDataUploadFailed / OnDataUploadCancelled: clean up first, then write the
   * terminal phase (v1.17+: skipped when already terminal); the slot goes last (their deferred
   * RemoveAsyncBR).
   */
  private async cleanupAndEnd(name: string, phase: 'Canceled' | 'Failed', reason: OutcomeReason, message?: string): Promise<void> {
    const du = this.dataUploads.get(name, this.opts.namespace);
    this.closeWatcher(name);
    try {
      if (!du) return;
      await this.exposer.cleanUp(du);
      const now = kubeTime(this.opts.clock.now());
      await this.endWrite(name, (d) => {
        d.status = { ...d.status, phase, completionTimestamp: now };
        if (!d.status.startTimestamp) d.status.startTimestamp = now;
        if (message) d.status.message = message;
        if (d.metadata.labels) delete d.metadata.labels[EXPOSE_ON_GOING_LABEL];
        setReason(d, reason);
      }, { phase, skipTerminal: true, message: message ?? `${phase.toLowerCase()} (${reason})` });
    } finally {
      this.limiter.release(name);
    }
  }

  private async exposeParams(du: DataUpload): Promise<ExposeParams> {
    const { io, config } = this.opts;
    const { sourcePvc, sourcePv } = await readExposeSource(io, du);
    const la = loadAffinityFor(config, du.spec.csiSnapshot?.storageClass);
    return {
      du,
      sourcePvc,
      sourcePv,
      affinity: la ? nodeAffinityFromLoadAffinity(la) : undefined,
      resources: podResourceRequirements(config),
      exposeTimeoutMs: config.prepareTimeoutMs,
      operationTimeoutMs: parseGoDuration(du.spec.operationTimeout, 'spec.operationTimeout'),
      podInProgressTimeoutMs: config.podInProgressTimeoutMs,
    };
  }

  // ---- start-up ----------------------------------------------------------------------------

  /** Velero's AttemptDataUploadResume, per flow. */
  private async resumeOnStart(): Promise<void> {
    const { flow, nodeName, namespace } = this.opts;
    for (const du of this.dataUploads.list()) {
      const name = du.metadata.name!;
      const action = flow.onStart(du, nodeName);
      switch (action.kind) {
        case 'none':
          break;
        case 'resume-reservation':
          this.limiter.reserve(name, { resume: true });
          break;
        case 'request-cancel':
          await this.carryOut({ kind: 'request-cancel', message: action.message, reason: action.reason }, { du } as FlowInput);
          break;
        case 'resume-data-path': {
          const pod = this.pods.get(name, namespace);
          const result = !pod && flow.completesFromEvent ? this.completedEventResult(du) : undefined;
          if (result) {
            this.log(`${name}: its data path completed before this agent started (Data-Path-Completed); completing it`);
            await this.onCompleted(name, result);
            break;
          }
          if (!pod) {
            await this.carryOut(
              { kind: 'request-cancel', reason: 'node-agent-restart', message: `Resume InProgress dataupload failed with error error to get exposed snapshot for du ${name}: backup pod ${name} is not found, mark it as cancel` },
              { du } as FlowInput,
            );
            break;
          }
          this.limiter.start(name, { resume: true });
          this.openDataPath(name).onPod(pod);
          for (const e of this.events.list(namespace)) if (e.involvedObject?.name === name) this.watchers.get(name)?.onEvent(e);
          break;
        }
      }
    }
  }

  /** The BackupResult of the data mover's Data-Path-Completed Event for this DataUpload, if this agent's cache has one. */
  private completedEventResult(du: DataUpload): DataPathBackupResult | undefined {
    for (const e of this.events.list(this.opts.namespace)) {
      if (e.reason !== DATA_PATH_EVENT_REASON.Completed || e.involvedObject?.name !== du.metadata.name || e.involvedObject?.uid !== du.metadata.uid) continue;
      try {
        return JSON.parse(e.message ?? '') as DataPathBackupResult;
      } catch {
        return undefined;
      }
    }
    return undefined;
  }

  // ---- Events ------------------------------------------------------------------------------

  /** One Event on the DataUpload per phase written (best effort, as client-go's recorder). */
  private record(du: DataUpload & Obj, reason: string, message: string): void {
    const eventsIo = this.opts.eventsIo ?? this.opts.io;
    const now = this.opts.clock.now();
    const time = kubeTime(now);
    const warning = reason === 'Failed' || reason === 'Canceled';
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${du.metadata.name}.${now.toString(16)}${(this.eventSeq++).toString(16).padStart(4, '0')}`, namespace: du.metadata.namespace },
      involvedObject: {
        apiVersion: DATA_UPLOAD_API_VERSION,
        kind: DATA_UPLOAD_KIND,
        namespace: du.metadata.namespace,
        name: du.metadata.name,
        uid: du.metadata.uid,
        resourceVersion: du.metadata.resourceVersion,
      },
      reason,
      message,
      type: warning ? 'Warning' : 'Normal',
      source: { component: 'datamover-bench-node-agent', host: this.opts.nodeName },
      reportingComponent: 'datamover-bench-node-agent',
      reportingInstance: this.opts.nodeName,
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
    };
    void eventsIo.createObject('events', body).catch(() => undefined);
  }

  private log(line: string): void {
    this.opts.log?.(`[node-agent ${this.opts.nodeName}] ${line}`);
  }
}

/** retriesEndWrites: the first wait, and the longest. */
export const END_WRITE_RETRY_FIRST_MS = 1_000;
export const END_WRITE_RETRY_MAX_MS = 30_000;

/** The node a DataUpload is tied to: status.node, or while Accepted the agent that accepted it. */
function tiedNode(du: DataUpload): string | undefined {
  return du.status?.node || (du.status?.phase === 'Accepted' ? du.status.acceptedByNode : undefined) || undefined;
}

/** When a node's Ready condition last stopped being True (False or Unknown), ms; undefined: Ready, or no condition. */
function nodeNotReadySince(node: V1Node): number | undefined {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (!ready || ready.status === 'True') return undefined;
  const at = ready.lastTransitionTime ? new Date(ready.lastTransitionTime as unknown as string).getTime() : NaN;
  return Number.isFinite(at) ? at : undefined;
}

function setReason(du: DataUpload, reason: OutcomeReason): void {
  du.metadata.annotations = { ...du.metadata.annotations, [OUTCOME_REASON_ANNOTATION]: du.metadata.annotations?.[OUTCOME_REASON_ANNOTATION] ?? reason };
}

/** A snapshot that failed or never became ready is a snapshot failure; the rest of exposing is expose-failed. */
function exposeReason(e: unknown): OutcomeReason {
  if (e instanceof ExposeError && e.refusedByQuota) return 'quota-exceeded';
  const step = e instanceof ExposeError ? e.step : undefined;
  return step === 'snapshot-ready' || step === 'snapshot-content' ? 'snapshot-failed' : 'expose-failed';
}

/** What the data-mover pod inherits, plus the configured throughput of the real data mover. */
function dataMoverPodInfo(inherited: InheritedPodInfo = VELERO_POD_INFO, config: NodeAgentConfig): InheritedPodInfo {
  if (!config.dataMoverThroughput) return inherited;
  const env = inherited.env.filter((e) => e.name !== DATA_MOVER_THROUGHPUT_ENV);
  return { ...inherited, env: [...env, { name: DATA_MOVER_THROUGHPUT_ENV, value: config.dataMoverThroughput }] };
}

