// The embedded cluster's kubelets: one per Node object, running the pods bound to it, in the
// spirit of KWOK's pod stages but with the kubelet's own behaviour where the benchmark's figures
// depend on it (Kubernetes v1.31, pkg/kubelet):
//
// - Start: a bound pod is admitted at once (phase Pending, containers waiting ContainerCreating,
//   hostIP, startTime); after behaviour.kubelet.podStartSeconds (drawn per node from the seeded
//   stream "kubelet/<node>") its sandbox and containers run: podIP, PodReadyToStartContainers and
//   Ready True, events Pulled ("already present on machine": images are always present), Created,
//   Started, and the pod's program starts (programFor(pod), else one that runs until stopped).
// - Exit: the program's exit(code, message) ends every container of the pod (programs model a
//   pod's containers as one). restartPolicy Never, or OnFailure with code 0: terminated
//   {exitCode, reason Completed|Error, message}, phase Succeeded or Failed. Otherwise the
//   container restarts: at once the first time, then after a CrashLoopBackOff of 10 s doubling
//   to 300 s (reset after 10 min of running), as the kubelet's container back-off; a restarted
//   container starts without a new start latency (the sandbox is kept).
// - Graceful deletion: a pod with a deletionTimestamp is killed (event Killing, the program is
//   stopped); the containers exit after behaviour.kubelet.containerStopSeconds, or are killed at
//   the grace period (at least 2 s, kuberuntime's minimum): exit 143 (SIGTERM) or 137 (SIGKILL).
//   The kubelet then writes the terminal phase (Failed/Succeeded by exit code, since 1.27) and
//   deletes the pod with grace period 0, which removes it.
// - Memory pressure (Node condition MemoryPressure True, set by whoever simulates the node):
//   the eviction manager (pkg/kubelet/eviction) checks every behaviour.kubelet.evictionCheckSeconds,
//   ranks the node's active pods (usage above requests first, then lower priority, then usage
//   above requests; BestEffort pods request nothing) and evicts one pod per check with the hard
//   threshold's 1 s grace: Warning Evicted, DisruptionTarget TerminationByKubelet, then phase
//   Failed, reason Evicted. After an eviction it checks again once the pod is cleaned up (1 s
//   polls, at most 30 s). Usage is RunningProgram.residentBytes(), attributed to the pod's first
//   container. Under pressure it also rejects new BestEffort pods, as its admission handler does.
// - stopNode: the kubelet dies with its machine: programs stop, timers stop, no status is
//   written; its pods keep their last status (Terminating ones stay Terminating). startNode:
//   the kubelet comes back on a rebooted node: containers that were running are gone
//   (ContainerStatusUnknown, exit 137); restartPolicy Never pods fail, others start again;
//   pods deleted meanwhile are finished. Heartbeats (Lease, node status) are nodes.ts's: a
//   fault that kills a node stops both.
//
// Simplifications: init containers are not run (Initialized is True at once); no image pulls,
// probes, volumes or resource admission (the scheduler fits pods); pod IPs come from the node's
// spec.podCIDR, else 10.244.<n>.0/24 for the n-th node seen, allocated in order as host-local IPAM does.
import { createHash } from 'node:crypto';
import { ApiError } from '../apiserver/errors.ts';
import { podQosClass } from '../apiserver/strategies.ts';
import type { KubeObject, ResourceInfo } from '../apiserver/types.ts';
import { kubeTime, type Timer } from '../clock.ts';
import type { Random } from '../random.ts';
import { mutate, onChange, resourceInfo, WorkQueue, type SimContext } from './context.ts';
import { sample } from './distribution.ts';
import { EventRecorder, referenceTo, type ObjectReference } from './event-recorder.ts';
import type { PodProgram, ProgramFor, RunningProgram } from './programs.ts';
import { parseBytes } from './quantity.ts';
import { tolerates } from './scheduler.ts';

type Obj = Record<string, any>;

/** kubelet default hard eviction threshold memory.available<100Mi. */
export const MEMORY_EVICTION_THRESHOLD_BYTES = 100 * 1024 ** 2;
/** kuberuntime minimumGracePeriodInSeconds: a container always gets this long after SIGTERM. */
const MINIMUM_GRACE_SECONDS = 2;
/** eviction manager immediateEvictionGracePeriodSeconds (hard thresholds). */
const HARD_EVICTION_GRACE_SECONDS = 1;
/** eviction manager podCleanupPollFreq and podCleanupTimeout. */
const POD_CLEANUP_POLL_SECONDS = 1;
const POD_CLEANUP_TIMEOUT_SECONDS = 30;
/** Container restart back-off: initial, cap, and the running time after which it resets. */
const BACKOFF_INITIAL_SECONDS = 10;
const BACKOFF_MAX_SECONDS = 300;
const BACKOFF_RESET_SECONDS = 600;
/** scheduling.SystemCriticalPriority: pods at or above it are critical and never evicted. */
const SYSTEM_CRITICAL_PRIORITY = 2_000_000_000;

export const EXIT_SIGTERM = 143;
export const EXIT_SIGKILL = 137;

const CONTAINER_UNKNOWN = {
  reason: 'ContainerStatusUnknown',
  message: 'The container could not be located when the pod was terminated',
};

/** A program that runs until stopped, holding no memory. */
const RUN_UNTIL_STOPPED: PodProgram = { start: () => ({ stop() {}, residentBytes: () => 0 }) };

interface ContainerExit {
  exitCode: number;
  reason: string;
  message?: string;
  startedAt?: number;
  finishedAt?: number;
  /** Which container instance (restartCount when it started); undefined when it could not be located. */
  attempt?: number;
}

type ContainerView =
  | { kind: 'waiting'; reason: string; message?: string }
  | { kind: 'running'; startedAt: number }
  | { kind: 'terminated'; exit: ContainerExit };

type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

interface Termination {
  why: 'delete' | 'evict';
  startedAt: number;
  finishAt: number;
  /** Exit code when a container was running (143 stopped in time, 137 killed at the grace period). */
  exitCode?: number;
  message?: string;
}

interface PodRun {
  uid: string;
  namespace: string;
  name: string;
  key: string;
  node: NodeKubelet;
  /** Order of admission on this node: the stable tie-break of the eviction ranking. */
  seq: number;
  state: 'creating' | 'running' | 'backoff' | 'terminating' | 'done';
  view: ContainerView;
  lastExit?: ContainerExit;
  restarts: number;
  backoffSteps: number;
  everStarted: boolean;
  /** Bumped whenever a program is started or abandoned: exits of older programs are ignored. */
  generation: number;
  program?: RunningProgram;
  timer?: Timer;
  ip?: string;
  termination?: Termination;
}

interface NodeKubelet {
  name: string;
  alive: boolean;
  rng: Random;
  events: EventRecorder;
  pods: Map<string, PodRun>;
  admitted: number;
  /** Pod network: first usable and last usable address as integers, next candidate, addresses in use. */
  ipFirst: number;
  ipLast: number;
  ipNext: number;
  ipsInUse: Set<number>;
  /** The eviction manager's loop: its last synchronize instant and the pending check. */
  evictionOrigin: number;
  evictionTimer?: Timer;
}

/** One simulated kubelet per Node object. */
export class Kubelets {
  private readonly queue: WorkQueue;
  private readonly podsInfo: ResourceInfo;
  private readonly nodesInfo: ResourceInfo;
  private readonly kubelets = new Map<string, NodeKubelet>();
  /** The current run of each pod, by namespace/name. */
  private readonly byKey = new Map<string, PodRun>();
  private readonly random: Random;
  private subscribed = false;
  private running = false;
  private nodesSeen = 0;

  constructor(
    private readonly ctx: SimContext,
    private readonly programFor: ProgramFor,
  ) {
    this.queue = new WorkQueue(ctx.work);
    this.podsInfo = resourceInfo(ctx.api, '', 'v1', 'pods');
    this.nodesInfo = resourceInfo(ctx.api, '', 'v1', 'nodes');
    this.random = ctx.random.fork('kubelet');
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (!this.subscribed) {
      this.subscribed = true;
      onChange(this.ctx, this.queue, '', 'nodes', (cur, prev) => this.running && this.onNode(cur, prev));
      onChange(this.ctx, this.queue, '', 'pods', (cur, prev) => this.running && this.onPod(cur, prev));
    }
    this.queue.push(() => {
      for (const node of this.nodeObjects()) {
        const k = this.kubelets.get(node.metadata.name!);
        if (k && !k.alive) this.revive(k);
        else this.onNode(node, undefined);
      }
    });
  }

  /** Stops every kubelet as stopNode does; start() brings them all back as startNode does. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    for (const k of this.kubelets.values()) this.halt(k);
  }

  /** The node's kubelet dies: its programs stop and nothing more is written for its pods. */
  stopNode(name: string): void {
    const k = this.known(name);
    if (!k.alive) return;
    this.halt(k);
  }

  /** The node's kubelet comes back (on a rebooted node) and resyncs its pods. */
  startNode(name: string): void {
    const k = this.known(name);
    if (k.alive) return;
    this.queue.push(() => this.revive(k));
  }

  private revive(k: NodeKubelet): void {
    if (k.alive || this.kubelets.get(k.name) !== k) return;
    k.alive = true;
    k.evictionOrigin = this.ctx.clock.now();
    this.resync(k);
  }

  /** Resident memory of the pod's running program, in bytes (0 when nothing runs). */
  residentBytes(podKey: string): number {
    const run = this.byKey.get(podKey);
    return run?.node.alive && run.program ? run.program.residentBytes() : 0;
  }

  // ---- nodes ----------------------------------------------------------------------------

  private known(name: string): NodeKubelet {
    const k = this.kubelets.get(name);
    if (!k) throw new Error(`node ${JSON.stringify(name)} has no kubelet: nodes with one are ${[...this.kubelets.keys()].join(', ') || 'none'}`);
    return k;
  }

  private nodeObjects(): KubeObject[] {
    const table = this.ctx.api.table(this.nodesInfo);
    return table.keys().map((key) => table.get(key)!.obj);
  }

  private node(name: string): Obj | undefined {
    return this.ctx.api.table(this.nodesInfo).get(name)?.obj as Obj | undefined;
  }

  private onNode(cur: KubeObject | undefined, prev: KubeObject | undefined): void {
    const name = (cur ?? prev)!.metadata.name!;
    if (!cur) {
      // The machine is gone with its Node: the pod GC deals with what was bound to it.
      const k = this.kubelets.get(name);
      if (!k) return;
      this.halt(k);
      for (const run of k.pods.values()) if (this.byKey.get(run.key) === run) this.byKey.delete(run.key);
      this.kubelets.delete(name);
      return;
    }
    let k = this.kubelets.get(name);
    if (!k) {
      k = this.newKubelet(cur as Obj);
      this.kubelets.set(name, k);
      this.resync(k);
      return;
    }
    if (k.alive) this.armEviction(k);
  }

  private newKubelet(node: Obj): NodeKubelet {
    const name = node.metadata.name as string;
    const index = ++this.nodesSeen;
    const [first, last] = podRange(node.spec?.podCIDR ?? `10.244.${index % 256}.0/24`);
    return {
      name,
      alive: true,
      rng: this.random.fork(name),
      events: new EventRecorder(this.ctx, { component: 'kubelet', host: name }),
      pods: new Map(),
      admitted: 0,
      ipFirst: first,
      ipLast: last,
      ipNext: first,
      ipsInUse: new Set(),
      evictionOrigin: this.ctx.clock.now(),
    };
  }

  private halt(k: NodeKubelet): void {
    k.alive = false;
    k.evictionTimer?.cancel();
    k.evictionTimer = undefined;
    for (const run of k.pods.values()) {
      run.timer?.cancel();
      run.timer = undefined;
      this.stopProgram(run);
    }
  }

  /** Brings every pod bound to the node in line with the kubelet's view, after its (re)start. */
  private resync(k: NodeKubelet): void {
    if (!k.alive) return;
    for (const pod of this.podsOn(k.name)) {
      const run = k.pods.get(pod.metadata.uid!);
      if (!run) {
        this.onPod(pod as KubeObject, undefined);
        continue;
      }
      if (run.state === 'terminating') {
        // Its containers died with the machine before they could report how they ended.
        run.termination!.exitCode = undefined;
        this.finishTermination(run);
      } else if (run.state !== 'done') {
        this.recoverLost(run, pod);
      }
    }
    this.armEviction(k);
  }

  /** A pod whose containers died with the kubelet's machine: Never pods that had run fail, others start again in a new sandbox. */
  private recoverLost(run: PodRun, pod: Obj): void {
    const now = this.ctx.clock.now();
    this.releaseIp(run);
    run.ip = undefined;
    if (pod.metadata.deletionTimestamp) {
      run.state = 'terminating';
      run.termination = { why: 'delete', startedAt: now, finishAt: now };
      this.finishTermination(run);
      return;
    }
    if (!run.everStarted) return this.create(run);
    const lost: ContainerExit = { exitCode: EXIT_SIGKILL, ...CONTAINER_UNKNOWN };
    if ((pod.spec?.restartPolicy ?? 'Always') === 'Never') {
      run.view = { kind: 'terminated', exit: lost };
      run.state = 'done';
      this.publish(run, { phase: 'Failed', sandboxReady: false });
      return;
    }
    run.lastExit = lost;
    this.create(run);
  }

  private podsOn(node: string): Obj[] {
    const table = this.ctx.api.table(this.podsInfo);
    const out: Obj[] = [];
    for (const key of table.keys()) {
      const pod = table.get(key)!.obj as Obj;
      if (pod.spec?.nodeName === node) out.push(pod);
    }
    return out;
  }

  // ---- pods -----------------------------------------------------------------------------

  private onPod(cur: KubeObject | undefined, prev: KubeObject | undefined): void {
    if (!cur) {
      const gone = prev!;
      const run = this.kubelets.get((gone.spec as Obj | undefined)?.nodeName)?.pods.get(gone.metadata.uid!);
      if (run) this.forget(run);
      return;
    }
    const pod = cur as Obj;
    const k = this.kubelets.get(pod.spec?.nodeName);
    if (!k || !k.alive) return;
    const run = k.pods.get(pod.metadata.uid);
    if (!run) {
      this.admit(k, pod);
      return;
    }
    if (pod.metadata.deletionTimestamp) this.onDeletion(run, pod);
  }

  private admit(k: NodeKubelet, pod: Obj): void {
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const run: PodRun = {
      uid: pod.metadata.uid,
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      key,
      node: k,
      seq: k.admitted++,
      state: 'creating',
      view: { kind: 'waiting', reason: 'ContainerCreating' },
      restarts: 0,
      backoffSteps: 0,
      everStarted: false,
      generation: 0,
    };
    k.pods.set(run.uid, run);
    this.byKey.set(key, run);
    if (pod.metadata.deletionTimestamp) {
      // Deleted before this kubelet ever ran it: nothing to stop.
      run.state = 'terminating';
      run.termination = { why: 'delete', startedAt: this.ctx.clock.now(), finishAt: this.ctx.clock.now() };
      this.finishTermination(run);
      return;
    }
    const rejection = this.admissionFailure(k, pod);
    if (rejection) {
      run.state = 'done';
      k.events.record(referenceTo(pod as KubeObject), 'Warning', 'Evicted', rejection);
      this.writeStatus(run, (s) => {
        s.phase = 'Failed';
        s.reason = 'Evicted';
        s.message = rejection;
      });
      return;
    }
    this.create(run);
  }

  /** The eviction manager's admission handler: under memory pressure only, BestEffort pods that do not tolerate it are rejected. */
  private admissionFailure(k: NodeKubelet, pod: Obj): string | undefined {
    if (!underMemoryPressure(this.node(k.name))) return undefined;
    if (podPriority(pod) >= SYSTEM_CRITICAL_PRIORITY) return undefined;
    if (podQosClass(pod.spec ?? {}) !== 'BestEffort') return undefined;
    const tolerated = (pod.spec?.tolerations ?? []).some((t: Obj) =>
      tolerates(t, { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }),
    );
    return tolerated ? undefined : 'The node had condition: [MemoryPressure]. ';
  }

  /** A new sandbox: containers waiting ContainerCreating until the start latency has passed. */
  private create(run: PodRun): void {
    const k = run.node;
    run.state = 'creating';
    run.view = { kind: 'waiting', reason: 'ContainerCreating' };
    this.publish(run, { phase: run.everStarted ? 'Running' : 'Pending', sandboxReady: false });
    const delay = sample(this.ctx.behaviour.kubelet.podStartSeconds, k.rng);
    run.timer = this.ctx.clock.setTimer(delay * 1000, () => {
      run.timer = undefined;
      const live = this.livePod(run);
      if (live && k.alive && run.state === 'creating') this.startContainers(run, live);
    });
  }

  private startContainers(run: PodRun, pod: Obj): void {
    const k = run.node;
    const now = this.ctx.clock.now();
    if (run.everStarted) run.restarts++;
    run.everStarted = true;
    run.state = 'running';
    run.view = { kind: 'running', startedAt: now };
    run.ip ??= this.allocateIp(k);
    for (const c of containersOf(pod)) {
      const ref = containerRef(pod, c.name);
      k.events.record(ref, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`);
      k.events.record(ref, 'Normal', 'Created', `Created container: ${c.name}`);
      k.events.record(ref, 'Normal', 'Started', `Started container ${c.name}`);
    }
    const live = this.publish(run, { phase: 'Running', sandboxReady: true }) ?? pod;
    const generation = ++run.generation;
    let started = false;
    let early: [number, string | undefined] | undefined;
    const exit = (code: number, message?: string) => {
      if (!started) early ??= [code, message];
      else this.queue.push(() => this.onExit(run, generation, code, message));
    };
    const program = (this.programFor(live as KubeObject) ?? RUN_UNTIL_STOPPED).start(live as KubeObject, exit);
    started = true;
    if (run.generation !== generation) {
      // The pod was killed while its program was starting.
      program.stop();
      return;
    }
    run.program = program;
    if (early) {
      const [code, message] = early;
      this.queue.push(() => this.onExit(run, generation, code, message));
    }
  }

  private onExit(run: PodRun, generation: number, code: number, message: string | undefined): void {
    if (run.generation !== generation || run.state !== 'running' || !run.node.alive) return;
    const pod = this.livePod(run);
    if (!pod) return;
    run.program = undefined;
    const startedAt = run.view.kind === 'running' ? run.view.startedAt : undefined;
    const now = this.ctx.clock.now();
    const exit: ContainerExit = {
      exitCode: code,
      reason: code === 0 ? 'Completed' : 'Error',
      ...(message ? { message } : {}),
      startedAt,
      finishedAt: now,
      attempt: run.restarts,
    };
    const policy = pod.spec?.restartPolicy ?? 'Always';
    if (policy === 'Never' || (policy === 'OnFailure' && code === 0)) {
      run.state = 'done';
      run.view = { kind: 'terminated', exit };
      this.releaseIp(run);
      this.publish(run, { phase: code === 0 ? 'Succeeded' : 'Failed', sandboxReady: false });
      return;
    }
    this.restartAfterBackOff(run, pod, exit);
  }

  private restartAfterBackOff(run: PodRun, pod: Obj, exit: ContainerExit): void {
    if ((exit.finishedAt ?? 0) - (exit.startedAt ?? 0) >= BACKOFF_RESET_SECONDS * 1000) run.backoffSteps = 0;
    const delay = run.backoffSteps === 0 ? 0 : Math.min(BACKOFF_INITIAL_SECONDS * 2 ** (run.backoffSteps - 1), BACKOFF_MAX_SECONDS);
    run.backoffSteps++;
    run.lastExit = exit;
    if (delay === 0) {
      this.startContainers(run, pod);
      return;
    }
    run.state = 'backoff';
    const podId = `${run.name}_${run.namespace}(${run.uid})`;
    const names = containersOf(pod).map((c) => c.name);
    run.view = { kind: 'waiting', reason: 'CrashLoopBackOff', message: `back-off ${delay}s restarting failed container=${names[0]} pod=${podId}` };
    for (const name of names) {
      run.node.events.record(containerRef(pod, name), 'Warning', 'BackOff', `Back-off restarting failed container ${name} in pod ${podId}`);
    }
    this.publish(run, { phase: 'Running', sandboxReady: true });
    run.timer = this.ctx.clock.setTimer(delay * 1000, () => {
      run.timer = undefined;
      const live = this.livePod(run);
      if (live && run.node.alive && run.state === 'backoff') this.startContainers(run, live);
    });
  }

  // ---- termination ----------------------------------------------------------------------

  private onDeletion(run: PodRun, pod: Obj): void {
    const grace = pod.metadata.deletionGracePeriodSeconds ?? 0;
    if (run.state === 'done') return;
    if (run.state !== 'terminating') {
      this.kill(run, pod, 'delete', grace);
      return;
    }
    // A second delete with a shorter grace period brings the SIGKILL forward.
    const t = run.termination!;
    const killAt = t.startedAt + Math.max(grace, MINIMUM_GRACE_SECONDS) * 1000;
    if (t.exitCode !== undefined && killAt < t.finishAt) {
      t.finishAt = killAt;
      t.exitCode = EXIT_SIGKILL;
      run.timer?.cancel();
      run.timer = this.ctx.clock.setTimer(Math.max(0, killAt - this.ctx.clock.now()), () => {
        run.timer = undefined;
        this.finishTermination(run);
      });
    }
  }

  /** Kills the pod's containers: SIGTERM now, SIGKILL at the grace period; the outcome is written when they are gone. */
  private kill(run: PodRun, pod: Obj, why: Termination['why'], graceSeconds: number, message?: string): number {
    const now = this.ctx.clock.now();
    run.timer?.cancel();
    run.timer = undefined;
    const wasRunning = run.view.kind === 'running';
    let after = 0;
    let exitCode: number | undefined;
    if (wasRunning) {
      for (const c of containersOf(pod)) run.node.events.record(containerRef(pod, c.name), 'Normal', 'Killing', `Stopping container ${c.name}`);
      const grace = Math.max(graceSeconds, MINIMUM_GRACE_SECONDS);
      const stop = sample(this.ctx.behaviour.kubelet.containerStopSeconds, run.node.rng);
      after = Math.min(stop, grace);
      exitCode = stop <= grace ? EXIT_SIGTERM : EXIT_SIGKILL;
    }
    this.stopProgram(run);
    run.state = 'terminating';
    run.termination = { why, startedAt: now, finishAt: now + after * 1000, exitCode, message };
    run.timer = this.ctx.clock.setTimer(after * 1000, () => {
      run.timer = undefined;
      this.finishTermination(run);
    });
    return after;
  }

  private finishTermination(run: PodRun): void {
    const t = run.termination!;
    const pod = this.livePod(run);
    if (!pod) return this.forget(run);
    const now = this.ctx.clock.now();
    const startedAt = run.view.kind === 'running' ? run.view.startedAt : undefined;
    const exit: ContainerExit =
      t.exitCode !== undefined
        ? { exitCode: t.exitCode, reason: 'Error', startedAt, finishedAt: now, attempt: run.restarts }
        : { exitCode: EXIT_SIGKILL, ...CONTAINER_UNKNOWN };
    run.state = 'done';
    run.view = { kind: 'terminated', exit };
    this.releaseIp(run);
    const evicted = t.why === 'evict';
    this.publish(run, {
      phase: exit.exitCode === 0 ? 'Succeeded' : 'Failed',
      sandboxReady: false,
      ...(evicted ? { reason: 'Evicted', message: t.message } : {}),
    });
    if (pod.metadata.deletionTimestamp) {
      try {
        this.ctx.api.delete(this.podsInfo, run.namespace, run.name, { gracePeriodSeconds: 0, preconditions: { uid: run.uid } });
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
      }
    }
  }

  private stopProgram(run: PodRun): void {
    run.generation++;
    const program = run.program;
    run.program = undefined;
    program?.stop();
  }

  private forget(run: PodRun): void {
    run.timer?.cancel();
    run.timer = undefined;
    this.stopProgram(run);
    this.releaseIp(run);
    run.node.pods.delete(run.uid);
    if (this.byKey.get(run.key) === run) this.byKey.delete(run.key);
  }

  // ---- eviction ---------------------------------------------------------------------------

  /** Schedules the eviction manager's next check on its own cadence, while the node is under memory pressure. */
  private armEviction(k: NodeKubelet): void {
    if (!k.alive || k.evictionTimer || !underMemoryPressure(this.node(k.name))) return;
    const interval = this.ctx.behaviour.kubelet.evictionCheckSeconds * 1000;
    const now = this.ctx.clock.now();
    const next = interval > 0 ? k.evictionOrigin + Math.ceil((now - k.evictionOrigin) / interval) * interval : now;
    this.scheduleEviction(k, next);
  }

  private scheduleEviction(k: NodeKubelet, at: number): void {
    k.evictionTimer?.cancel();
    k.evictionTimer = this.ctx.clock.setTimer(Math.max(0, at - this.ctx.clock.now()), () => {
      k.evictionTimer = undefined;
      this.synchronizeEviction(k);
    });
  }

  private synchronizeEviction(k: NodeKubelet): void {
    const node = this.node(k.name);
    const now = this.ctx.clock.now();
    if (!k.alive || !node) return;
    k.evictionOrigin = now;
    if (!underMemoryPressure(node)) return;
    k.events.record(nodeRef(k.name), 'Warning', 'EvictionThresholdMet', 'Attempting to reclaim memory');
    const candidates = this.rankForMemoryPressure(k);
    const available = memoryCapacity(node) - candidates.reduce((sum, c) => sum + c.usage, 0);
    for (const c of candidates) {
      if (podPriority(c.pod) >= SYSTEM_CRITICAL_PRIORITY) continue;
      const message = evictionMessage(c.pod, c.usage, available);
      k.events.record(referenceTo(c.pod as KubeObject), 'Warning', 'Evicted', message);
      const condition = { type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message };
      this.writeStatus(c.run, (s) => {
        s.conditions = setCondition(s.conditions ?? [], condition, kubeTime(now));
      });
      const after = this.kill(c.run, c.pod, 'evict', HARD_EVICTION_GRACE_SECONDS, message);
      const wait = Math.min(POD_CLEANUP_TIMEOUT_SECONDS, Math.max(1, Math.ceil(after / POD_CLEANUP_POLL_SECONDS)) * POD_CLEANUP_POLL_SECONDS);
      this.scheduleEviction(k, now + wait * 1000);
      return;
    }
    this.scheduleEviction(k, now + this.ctx.behaviour.kubelet.evictionCheckSeconds * 1000);
  }

  /** rankMemoryPressure: usage above requests first, then lower priority, then larger usage above requests. */
  private rankForMemoryPressure(k: NodeKubelet): { run: PodRun; pod: Obj; usage: number; request: number }[] {
    const out: { run: PodRun; pod: Obj; usage: number; request: number }[] = [];
    for (const run of k.pods.values()) {
      if (run.state !== 'creating' && run.state !== 'running' && run.state !== 'backoff') continue;
      const pod = this.livePod(run);
      if (!pod) continue;
      out.push({ run, pod, usage: run.program?.residentBytes() ?? 0, request: podMemoryRequest(pod) });
    }
    return out.sort((a, b) => {
      const exceedsA = a.usage > a.request;
      const exceedsB = b.usage > b.request;
      if (exceedsA !== exceedsB) return exceedsA ? -1 : 1;
      const byPriority = podPriority(a.pod) - podPriority(b.pod);
      if (byPriority !== 0) return byPriority;
      const byUsage = b.usage - b.request - (a.usage - a.request);
      return byUsage !== 0 ? byUsage : a.run.seq - b.run.seq;
    });
  }

  // ---- status ---------------------------------------------------------------------------

  private livePod(run: PodRun): Obj | undefined {
    const pod = this.ctx.api.table(this.podsInfo).get(run.key)?.obj as Obj | undefined;
    return pod?.metadata.uid === run.uid ? pod : undefined;
  }

  private writeStatus(run: PodRun, change: (status: Obj, pod: Obj) => void): KubeObject | undefined {
    return mutate(this.ctx.api, this.podsInfo, run.namespace, run.name, (pod) => {
      if (pod.metadata.uid !== run.uid) return false;
      change((pod.status ??= {}), pod);
    });
  }

  /** Writes the pod status the kubelet's status manager would for the run's current state. */
  private publish(run: PodRun, view: { phase: PodPhase; sandboxReady: boolean; reason?: string; message?: string }): KubeObject | undefined {
    const now = kubeTime(this.ctx.clock.now());
    const node = this.node(run.node.name);
    return this.writeStatus(run, (s, pod) => {
      const containers = containersOf(pod);
      const terminal = view.phase === 'Succeeded' || view.phase === 'Failed';
      const ready = !terminal && run.view.kind === 'running';
      const readiness: Obj = terminal
        ? { status: 'False', reason: view.phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed' }
        : ready
          ? { status: 'True' }
          : { status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${containers.map((c) => c.name).join(' ')}]` };
      let conditions: Obj[] = s.conditions ?? [];
      const owned = [
        { type: 'PodReadyToStartContainers', status: view.sandboxReady ? 'True' : 'False' },
        { type: 'Initialized', status: 'True', ...(view.phase === 'Succeeded' ? { reason: 'PodCompleted' } : {}) },
        { type: 'Ready', ...readiness },
        { type: 'ContainersReady', ...readiness },
      ];
      for (const c of owned) conditions = setCondition(conditions, c, now);
      const order = owned.map((c) => c.type);
      s.conditions = [...order.map((t) => conditions.find((c) => c.type === t)!), ...conditions.filter((c) => !order.includes(c.type))];
      s.phase = view.phase;
      if (view.reason) {
        s.reason = view.reason;
        s.message = view.message;
      } else {
        delete s.reason;
        delete s.message;
      }
      const hostIP = (node?.status?.addresses ?? []).find((a: Obj) => a.type === 'InternalIP')?.address;
      if (hostIP) {
        s.hostIP = hostIP;
        s.hostIPs = [{ ip: hostIP }];
      }
      if (run.ip) {
        s.podIP = run.ip;
        s.podIPs = [{ ip: run.ip }];
      }
      s.startTime ??= now;
      s.containerStatuses = containers.map((c) => this.containerStatus(run, c));
    });
  }

  private containerStatus(run: PodRun, c: Obj): Obj {
    const image = normalizeImage(String(c.image ?? ''));
    const id = (attempt: number | undefined) => (attempt === undefined ? undefined : containerId(run.uid, c.name, attempt));
    const terminated = (e: ContainerExit): Obj => {
      const containerID = id(e.attempt);
      return {
        ...(containerID ? { containerID } : {}),
        exitCode: e.exitCode,
        finishedAt: e.finishedAt === undefined ? null : kubeTime(e.finishedAt),
        ...(e.message ? { message: e.message } : {}),
        reason: e.reason,
        startedAt: e.startedAt === undefined ? null : kubeTime(e.startedAt),
      };
    };
    let state: Obj;
    let containerID: string | undefined;
    const v = run.view;
    if (v.kind === 'running') {
      state = { running: { startedAt: kubeTime(v.startedAt) } };
      containerID = id(run.restarts);
    } else if (v.kind === 'terminated') {
      state = { terminated: terminated(v.exit) };
      containerID = id(v.exit.attempt);
    } else {
      state = { waiting: { ...(v.message ? { message: v.message } : {}), reason: v.reason } };
      containerID = id(run.lastExit?.attempt);
    }
    return {
      ...(containerID ? { containerID } : {}),
      image,
      imageID: run.everStarted ? imageId(image) : '',
      lastState: run.lastExit ? { terminated: terminated(run.lastExit) } : {},
      name: c.name,
      ready: v.kind === 'running' && run.state === 'running',
      restartCount: run.restarts,
      started: v.kind === 'running',
      state,
    };
  }

  // ---- pod network ------------------------------------------------------------------------

  /** host-local IPAM: the next free address after the last one handed out, wrapping around. */
  private allocateIp(k: NodeKubelet): string | undefined {
    const size = k.ipLast - k.ipFirst + 1;
    for (let i = 0; i < size; i++) {
      const candidate = k.ipFirst + ((k.ipNext - k.ipFirst + i) % size);
      if (k.ipsInUse.has(candidate)) continue;
      k.ipsInUse.add(candidate);
      k.ipNext = candidate + 1 > k.ipLast ? k.ipFirst : candidate + 1;
      return intToIp(candidate);
    }
    return undefined;
  }

  private releaseIp(run: PodRun): void {
    if (run.ip) run.node.ipsInUse.delete(ipToInt(run.ip));
  }
}

// ---- helpers ------------------------------------------------------------------------------

function containersOf(pod: Obj): Obj[] {
  return pod.spec?.containers ?? [];
}

function containerRef(pod: Obj, container: string): ObjectReference {
  return Object.assign(referenceTo(pod as KubeObject), { fieldPath: `spec.containers{${container}}` });
}

/** The kubelet's node reference: its UID is the node's name. */
function nodeRef(name: string): ObjectReference {
  return { kind: 'Node', name, uid: name };
}

/** Sets one condition as UpdatePodCondition does: lastTransitionTime moves only when the status changes. */
function setCondition(conditions: Obj[], c: Obj, now: string): Obj[] {
  const prev = conditions.find((x) => x.type === c.type);
  const next: Obj = {
    type: c.type,
    status: c.status,
    lastProbeTime: null,
    lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now,
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
  };
  return prev ? conditions.map((x) => (x === prev ? next : x)) : [...conditions, next];
}

function underMemoryPressure(node: Obj | undefined): boolean {
  return (node?.status?.conditions ?? []).some((c: Obj) => c.type === 'MemoryPressure' && c.status === 'True');
}

function memoryCapacity(node: Obj): number {
  const capacity = node.status?.capacity?.memory;
  return capacity === undefined ? 0 : parseBytes(capacity, 'node.status.capacity.memory');
}

function podPriority(pod: Obj): number {
  return pod.spec?.priority ?? 0;
}

function containerMemoryRequest(c: Obj): number {
  const q = c.resources?.requests?.memory;
  return q === undefined ? 0 : parseBytes(q, `container ${c.name} resources.requests.memory`);
}

/** GetResourceRequestQuantity: the sum over containers, at least the largest init container. */
function podMemoryRequest(pod: Obj): number {
  const sum = containersOf(pod).reduce((total, c) => total + containerMemoryRequest(c), 0);
  const init = Math.max(0, ...(pod.spec?.initContainers ?? []).map(containerMemoryRequest));
  return Math.max(sum, init);
}

/**
 * The eviction message (pkg/kubelet/eviction/helpers.go evictionMessage): the starved resource,
 * the threshold and what was available when the simulation's own accounting explains the
 * pressure (capacity minus the pods' resident memory below the threshold; otherwise, as the
 * kubelet does without an observation, that part is left out), then every container whose
 * usage exceeds its request.
 */
export function evictionMessage(pod: Obj, usage: number, available: number): string {
  let message = 'The node was low on resource: memory. ';
  if (available < MEMORY_EVICTION_THRESHOLD_BYTES) {
    message += `Threshold quantity: ${formatBinarySI(MEMORY_EVICTION_THRESHOLD_BYTES)}, available: ${formatBinarySI(Math.max(0, available))}. `;
  }
  containersOf(pod).forEach((c, i) => {
    const used = i === 0 ? usage : 0;
    const request = c.resources?.requests?.memory;
    if (used > containerMemoryRequest(c)) {
      message += `Container ${c.name} was using ${formatBinarySI(used)}, request is ${request === undefined ? '0' : String(request)}, has larger consumption of memory. `;
    }
  });
  return message;
}

/** resource.Quantity in BinarySI as String() prints it: the largest exact binary suffix, plain below 1024. */
export function formatBinarySI(bytes: number): string {
  let n = Math.round(bytes);
  if (Math.abs(n) < 1024) return String(n);
  const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  let i = 0;
  while (i < suffixes.length - 1 && n % 1024 === 0 && n !== 0) {
    n /= 1024;
    i++;
  }
  return `${n}${suffixes[i]}`;
}

/** The image as the container runtime reports it: docker.io/library/busybox:latest for busybox. */
function normalizeImage(image: string): string {
  if (!image) return image;
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  const hasDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let name = hasDomain ? image : `docker.io/${slash < 0 ? 'library/' : ''}${image}`;
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  if (!lastPart.includes(':') && !name.includes('@')) name += ':latest';
  return name;
}

function imageId(image: string): string {
  const repo = image.replace(/@.*$/, '').replace(/:[^/:]+$/, '');
  return `${repo}@sha256:${sha256(`image ${image}`)}`;
}

function containerId(uid: string, container: string, attempt: number): string {
  return `containerd://${sha256(`${uid}/${container}/${attempt}`)}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** First and last assignable address of a CIDR (network + 2 .. broadcast - 1; .1 is the bridge). */
function podRange(cidr: string): [number, number] {
  const [ip, bits] = cidr.split('/');
  const prefix = Number(bits ?? 24);
  const base = ipToInt(ip);
  const size = 2 ** (32 - prefix);
  const network = base - (base % size);
  return [network + 2, network + size - 2];
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}
