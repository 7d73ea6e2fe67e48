// The data mover's Events, as Velero's event recorder writes them (pkg/util/kube/event.go) and
// the simulated program does (harness/sim/datapath.ts, DataMoverEvents): all Normal, the
// DataUpload as involvedObject, source.component the DataUpload's name and source.host the
// node; named <DataUpload>.<unix nanoseconds in hex>; a repeated reason patches the one Event of
// that reason (count + 1, message, lastTimestamp), because Velero's correlator keeps one Event
// per reason. Writes leave one at a time in the order emitted, so the node-agent sees Started
// before Stopped; they are best effort: a failed write is logged and dropped.
import type { DataPathEventReason, DataUpload } from '../api/dataupload.ts';
import { kubeTime, type Clock } from '../clock.ts';
import { errorMessage, isAlreadyExists, isNotFound, type KubeIo, type Obj } from '../kube/io.ts';

export interface EventSource {
  /** The DataUpload's name, as Velero's recorder in the data-mover pod names itself. */
  component: string;
  /** The node the pod runs on; "" when unknown (left out of the Event). */
  host: string;
}

interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

/** Names tried for one Event before giving up on it (another writer took the same instant). */
const NAME_ATTEMPTS = 5;

export class DataMoverEvents {
  private readonly byReason = new Map<string, { namespace: string; name: string; count: number }>();
  private tail: Promise<void> = Promise.resolve();
  private lastNanos = 0n;

  constructor(
    private readonly io: KubeIo,
    private readonly clock: Clock,
    private readonly source: EventSource,
    private readonly log: (line: string) => void,
  ) {}

  /** Queues the Event; it is stamped with the time of this call, not of its write. */
  emit(du: DataUpload, reason: DataPathEventReason, message: string): void {
    const at = this.clock.now();
    const involvedObject = referenceTo(du);
    this.tail = this.tail.then(() => this.write(involvedObject, reason, message, at));
  }

  /** Resolves once every Event emitted so far has been written (or dropped). */
  flush(): Promise<void> {
    return this.tail;
  }

  private async write(involvedObject: ObjectReference, reason: string, message: string, at: number): Promise<void> {
    const namespace = involvedObject.namespace || 'default';
    const time = kubeTime(at);
    const previous = this.byReason.get(reason);
    if (previous) {
      try {
        await this.io.mergePatchObject(
          { apiVersion: 'v1', resource: 'events', namespace: previous.namespace, name: previous.name },
          { count: previous.count + 1, message, lastTimestamp: time, involvedObject },
        );
        previous.count++;
        return;
      } catch (e) {
        // Deleted meanwhile (events expire): write a new one, as the recorder would.
        if (!isNotFound(e)) return this.drop(reason, e);
      }
    }
    for (let attempt = 0; attempt < NAME_ATTEMPTS; attempt++) {
      const name = `${involvedObject.name}.${this.nanos(at).toString(16)}`;
      const body: Obj = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject,
        reason,
        message,
        type: 'Normal',
        source: this.source.host ? { component: this.source.component, host: this.source.host } : { component: this.source.component },
        firstTimestamp: time,
        lastTimestamp: time,
        count: 1,
        eventTime: null,
        reportingComponent: this.source.component,
        reportingInstance: this.source.host,
      };
      try {
        await this.io.createObject('events', body);
        this.byReason.set(reason, { namespace, name, count: 1 });
        return;
      } catch (e) {
        if (!isAlreadyExists(e)) return this.drop(reason, e);
      }
    }
    this.drop(reason, new Error(`every name tried for the Event was taken`));
  }

  /** Unix nanoseconds of `at`, stepped past the last name this recorder used. */
  private nanos(at: number): bigint {
    let n = BigInt(Math.round(at * 1000)) * 1000n;
    if (n <= this.lastNanos) n = this.lastNanos + 1n;
    this.lastNanos = n;
    return n;
  }

  private drop(reason: string, e: unknown): void {
    this.log(`Failed to write event ${reason}, dropped: ${errorMessage(e)}`);
  }
}

/** The ObjectReference an Event names: the DataUpload as it was read, resourceVersion included. */
function referenceTo(du: DataUpload): ObjectReference {
  const ref: ObjectReference = {
    apiVersion: du.apiVersion,
    kind: du.kind,
    namespace: du.metadata.namespace,
    name: du.metadata.name,
    uid: du.metadata.uid,
    resourceVersion: du.metadata.resourceVersion,
  };
  for (const k of Object.keys(ref) as (keyof ObjectReference)[]) if (ref[k] === undefined) delete ref[k];
  return ref;
}
