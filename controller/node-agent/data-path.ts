// Velero's micro-service data-path watcher (pkg/datapath/micro_service_watcher.go), for one
// DataUpload whose data-mover pod runs on this node-agent's node. It follows the pod's
// Data-Path-* Events (progress) and the pod's termination; when the pod has ended it waits
// for the Started and Stopped events (at most eventWaitTimeout), then reads the outcome from
// the pod: Succeeded -> completed with the result in the termination message; Failed with a
// message ending "data path is canceled" -> canceled; otherwise failed with that message.
// A pod that disappears without reaching Succeeded or Failed is not noticed, as upstream.
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { DATA_PATH_EVENT_REASON, type DataPathBackupResult, type DataPathProgress } from '../api/dataupload.ts';
import type { Clock, Timer } from '../clock.ts';

/** Velero: eventWaitTimeout. */
export const EVENT_WAIT_TIMEOUT_MS = 60_000;
/** Velero: ErrCancelled, the suffix of a canceled data mover's termination message. */
export const ERR_CANCELLED = 'data path is canceled';

export interface DataPathCallbacks {
  onProgress(progress: DataPathProgress): void;
  onCompleted(result: DataPathBackupResult | undefined): void;
  onCancelled(): void;
  onFailed(message: string, pod: V1Pod): void;
}

export class DataPathWatcher {
  private started = false;
  private stopped = false;
  private lastPod?: V1Pod;
  private epilog?: Timer;
  private closed = false;

  constructor(
    readonly dataUpload: string,
    private readonly clock: Clock,
    private readonly callbacks: DataPathCallbacks,
  ) {}

  onEvent(evt: CoreV1Event): void {
    if (this.closed) return;
    switch (evt.reason) {
      case DATA_PATH_EVENT_REASON.Started:
        this.started = true;
        break;
      case DATA_PATH_EVENT_REASON.Progress:
        this.callbacks.onProgress(parseJson<DataPathProgress>(evt.message) ?? {});
        break;
      case DATA_PATH_EVENT_REASON.Stopped:
        this.stopped = true;
        break;
    }
    if (this.lastPod && this.started && this.stopped) this.finish();
  }

  /** The pod changed (or was found at start); only its termination matters. */
  onPod(pod: V1Pod): void {
    if (this.closed || this.lastPod) return;
    const phase = pod.status?.phase;
    if (phase !== 'Succeeded' && phase !== 'Failed') return;
    this.lastPod = pod;
    if (this.started && this.stopped) this.finish();
    else this.epilog = this.clock.setTimer(EVENT_WAIT_TIMEOUT_MS, () => this.finish());
  }

  close(): void {
    this.closed = true;
    this.epilog?.cancel();
  }

  /** The pod was seen Succeeded or Failed: the watcher will call back. */
  get podEnded(): boolean {
    return this.lastPod !== undefined;
  }

  private finish(): void {
    if (this.closed) return;
    this.close();
    const pod = this.lastPod!;
    const message = terminationMessage(pod);
    if (pod.status?.phase === 'Succeeded') {
      const result = parseJson<DataPathBackupResult>(message);
      this.callbacks.onProgress({ totalBytes: result?.totalBytes, doneBytes: result?.totalBytes });
      this.callbacks.onCompleted(result);
    } else if (message.endsWith(ERR_CANCELLED)) this.callbacks.onCancelled();
    else this.callbacks.onFailed(message, pod);
  }
}

/** The terminated container's message (Velero: kube.GetPodContainerTerminateMessage). */
export function terminationMessage(pod: V1Pod): string {
  for (const s of pod.status?.containerStatuses ?? []) {
    const t = s.state?.terminated;
    if (t) return t.message ?? '';
  }
  return pod.status?.message ?? '';
}

function parseJson<T>(s: string | undefined): T | undefined {
  try {
    return s ? (JSON.parse(s) as T) : undefined;
  } catch {
    return undefined;
  }
}
