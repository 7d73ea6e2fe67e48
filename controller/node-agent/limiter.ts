// The per-node concurrency limiter: Velero's datapath.Manager counts the data paths a
// node-agent runs against loadConcurrency for its node (ConcurrentLimitExceed past it). The
// deploying flow also reserves a slot when it claims a DataUpload, before the pod exists, so
// a reservation counts as used.
export class Limiter {
  private readonly running = new Set<string>();
  private readonly reserved = new Set<string>();
  /** Reservations made ahead of a free slot (a look-ahead claim): they start only once a slot is free. */
  private readonly ahead = new Set<string>();
  private readonly listeners = new Set<() => void>();

  constructor(readonly limit: number) {}

  get used(): number {
    return this.running.size + this.reserved.size;
  }

  /**
   * deploying's claim: hold a slot for a DataUpload whose pod is not running yet. Resumes bypass
   * the limit. `back`: a started data path whose start failed becomes the reservation it was.
   */
  reserve(key: string, opts: { resume?: boolean; back?: boolean; ahead?: boolean } = {}): boolean {
    if (opts.back && this.running.delete(key)) {
      this.reserved.add(key);
      return true;
    }
    if (this.reserved.has(key) || this.running.has(key)) return true;
    if (opts.ahead) {
      // One look-ahead reservation per node, and only when every slot is taken.
      if (this.ahead.size > 0 || this.used < this.limit) return false;
      this.reserved.add(key);
      this.ahead.add(key);
      return true;
    }
    if (!opts.resume && this.used >= this.limit) return false;
    this.reserved.add(key);
    return true;
  }

  /** Look-ahead reservations waiting for a slot. */
  get aheadCount(): number {
    return this.ahead.size;
  }

  /** A data path starts: a reserved slot becomes running; otherwise a free slot is taken. Resumes bypass the limit, as Velero's. */
  start(key: string, opts: { resume?: boolean } = {}): boolean {
    if (this.running.has(key)) return true;
    if (this.ahead.has(key)) {
      // A look-ahead reservation becomes a data path only in a free slot.
      if (this.used - this.ahead.size >= this.limit) return false;
      this.ahead.delete(key);
      this.reserved.delete(key);
      this.running.add(key);
      return true;
    }
    if (this.reserved.delete(key)) {
      this.running.add(key);
      return true;
    }
    if (!opts.resume && this.used >= this.limit) return false;
    this.running.add(key);
    return true;
  }

  /** The data path or reservation ended, whatever the outcome. */
  release(key: string): void {
    this.ahead.delete(key);
    const had = this.running.delete(key) || this.reserved.delete(key);
    if (had) for (const l of [...this.listeners]) l();
  }

  isReserved(key: string): boolean {
    return this.reserved.has(key);
  }

  /** A reservation ends without its data path starting (its DataUpload ended); a running data path is left alone. */
  releaseReservation(key: string): void {
    if (this.reserved.has(key)) this.release(key);
  }

  /** The DataUploads holding a slot (running or reserved), sorted. */
  held(): string[] {
    return [...this.running, ...this.reserved].sort();
  }

  onRelease(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
