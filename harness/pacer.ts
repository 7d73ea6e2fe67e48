// Deterministic HTTP on the embedded cluster. The node-agents run in one process but talk to
// the API server over connections of their own, so the order in which their racing requests
// arrive (who wins an accept, whose update conflicts) would depend on timing. The QuietPacer removes that:
// every controller request waits for its turn (KubeIo.call); turns are given one at a time,
// only when the whole cluster is quiet (the virtual clock's idleness), and among the requests
// waiting then, the run's seeded generator picks which goes. A loser still gets its 409: its
// decision was made on the same state as the winner's.
//
// Reads (get, list) change nothing, so all the reads waiting at a quiet point go together: each
// answers from the same state whatever order they arrive in. Writes go one per quiet point.
import type { RequestPacer } from '../controller/kube/io.ts';
import type { Random } from './random.ts';
import type { VirtualClock } from './sim/virtual-clock.ts';

interface Waiting {
  who: string;
  what: string;
  seq: number;
  go: () => void;
}

export class QuietPacer implements RequestPacer {
  private waiting: Waiting[] = [];
  private readonly seqs = new Map<string, number>();
  /** Turns given so far. */
  granted = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly random: Random,
  ) {
    clock.addQuietHook(() => this.grantOne());
  }

  turn(who: string, what = ''): Promise<void> {
    const seq = this.seqs.get(who) ?? 0;
    this.seqs.set(who, seq + 1);
    return new Promise((go) => {
      this.waiting.push({ who, what, seq, go });
      this.clock.wake();
    });
  }

  private grantOne(): boolean {
    if (this.waiting.length === 0) return false;
    // Arrival order depends on timing; who and what do not. One client's requests that are
    // waiting together (say a progress patch and a reconcile's update, each started by a
    // different watch) are told apart by what they are; seq only separates identical ones.
    this.waiting.sort((a, b) => cmp(a.who, b.who) || cmp(a.what, b.what) || a.seq - b.seq);
    const reads = this.waiting.filter((w) => isRead(w.what));
    if (reads.length > 0) {
      this.waiting = this.waiting.filter((w) => !isRead(w.what));
      this.granted += reads.length;
      for (const w of reads) w.go();
      return true;
    }
    const [w] = this.waiting.splice(this.random.int(0, this.waiting.length - 1), 1);
    this.granted++;
    w.go();
    return true;
  }
}

/** `what` starts with the verb (KubeIo.call). */
function isRead(what: string): boolean {
  return what.startsWith('get ') || what.startsWith('list ');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

