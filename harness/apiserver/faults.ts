// The fault seam: what the chaos injectors drive. Rules add latency or errors to matching
// requests (drawn from the run's seeded generator); the server also exposes dropping
// watches and forcing 410 Gone (see ApiServer.dropWatches / forceGone).
import type { Random } from '../random.ts';
import { ApiError, errors } from './errors.ts';

export interface RequestInfo {
  /** get, list, watch, create, update, patch, delete, deletecollection */
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  userAgent?: string;
  /** Background load (LOAD_HEADER): served, but never part of the run being measured. */
  background?: boolean;
}

export interface FaultRule {
  /** Verbs the rule applies to; all when absent. */
  verbs?: string[];
  /** Resources ("pods", "datauploads.velero.io"); all when absent. */
  resources?: string[];
  /** Added latency in milliseconds of the server's clock, plus up to jitterMs more (uniform). */
  latencyMs?: number;
  jitterMs?: number;
  /** HTTP error to return instead of serving the request. */
  errorCode?: 429 | 500 | 503 | 504;
  /** Probability in [0, 1] that a matching request gets errorCode (default 1). */
  errorRate?: number;
}

export interface FaultPlan {
  delayMs: number;
  error?: ApiError;
}

export class ApiFaults {
  private rules = new Map<number, FaultRule>();
  private nextId = 1;

  /**
   * Background load draws from a generator of its own: how many of its requests the machine
   * gets through is a matter of wall time, and if they drew from the run's generator, every
   * draw after them (the run's latencies and errors) would move with the machine's speed.
   */
  private readonly backgroundRandom: Random;

  constructor(private readonly random: Random) {
    this.backgroundRandom = random.fork('background-load');
  }

  /** Adds a rule; returns its id for removeRule. */
  addRule(rule: FaultRule): number {
    const rate = rule.errorRate ?? 1;
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`errorRate: ${rule.errorRate} is not accepted: use a probability from 0 to 1`);
    if ((rule.latencyMs ?? 0) < 0 || (rule.jitterMs ?? 0) < 0) {
      throw new RangeError(`latencyMs/jitterMs: ${rule.latencyMs}/${rule.jitterMs} is not accepted: use milliseconds >= 0`);
    }
    const id = this.nextId++;
    this.rules.set(id, rule);
    return id;
  }

  removeRule(id: number): void {
    this.rules.delete(id);
  }

  clear(): void {
    this.rules.clear();
  }

  get active(): boolean {
    return this.rules.size > 0;
  }

  plan(req: RequestInfo): FaultPlan {
    const plan: FaultPlan = { delayMs: 0 };
    const random = req.background ? this.backgroundRandom : this.random;
    const qualified = req.group ? `${req.resource}.${req.group}` : req.resource;
    for (const rule of this.rules.values()) {
      if (rule.verbs && !rule.verbs.includes(req.verb)) continue;
      if (rule.resources && !rule.resources.includes(qualified) && !rule.resources.includes(req.resource)) continue;
      plan.delayMs += (rule.latencyMs ?? 0) + (rule.jitterMs ? random.next() * rule.jitterMs : 0);
      if (rule.errorCode && !plan.error && random.next() < (rule.errorRate ?? 1)) {
        plan.error = faultError(rule.errorCode);
      }
    }
    return plan;
  }
}

function faultError(code: number): ApiError {
  switch (code) {
    case 429:
      return errors.tooManyRequests();
    case 503:
      return errors.serviceUnavailable('the server is currently unable to handle the request (injected fault)');
    case 504:
      return new ApiError(504, 'Timeout', 'the server was unable to return a response in the time allotted (injected fault)');
    default:
      return errors.internal('injected fault');
  }
}
