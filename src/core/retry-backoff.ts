/**
 * @module Exponential backoff per key (a cluster UUID), kept in memory by a periodic pass: a key that failed is due
 * again after `baseMs`, then twice as long after each further failure in a row, never longer than `maxMs`; a
 * success forgets it. Pure: the time is passed in.
 */

export interface BackoffPolicy {
  /** Wait after the first failure. */
  baseMs: number;
  /** Bound of the wait. */
  maxMs: number;
}

/** A key's failures in a row and when it may be tried again. */
export interface BackoffEntry {
  failures: number;
  /** When the key is due again (ms since the epoch). */
  retryAt: number;
  /** The wait that gave `retryAt`. */
  delayMs: number;
  /** The last failure's message. */
  reason: string;
}

/** The wait after `failures` failures in a row (1, 2, …): base · 2^(failures−1), bounded by max. */
export function backoffDelay(policy: BackoffPolicy, failures: number): number {
  if (failures < 1) return 0;
  // 2^31 ms is beyond any sane bound: stop doubling well before the number loses precision.
  const exp = Math.min(failures - 1, 31);
  return Math.min(policy.maxMs, policy.baseMs * 2 ** exp);
}

export class RetryBackoff {
  readonly #policy: BackoffPolicy;
  readonly #entries = new Map<string, BackoffEntry>();

  constructor(policy: BackoffPolicy) {
    if (!(policy.baseMs > 0) || !(policy.maxMs >= policy.baseMs))
      throw new RangeError(`backoff needs 0 < baseMs <= maxMs (got ${policy.baseMs}, ${policy.maxMs})`);
    this.#policy = policy;
  }

  /** True when the key has not failed, or its wait is over. */
  due(key: string, now: number): boolean {
    const e = this.#entries.get(key);
    return !e || now >= e.retryAt;
  }

  /** True when the key's last try failed (it is on probation until it succeeds). */
  failing(key: string): boolean {
    return this.#entries.has(key);
  }

  /** The key's state, if it is failing. */
  entry(key: string): Readonly<BackoffEntry> | undefined {
    return this.#entries.get(key);
  }

  /** Records a failure at `now`: the key's next try waits twice as long as the previous one (up to the bound). */
  failed(key: string, now: number, reason: string): Readonly<BackoffEntry> {
    const failures = (this.#entries.get(key)?.failures ?? 0) + 1;
    const delayMs = backoffDelay(this.#policy, failures);
    const e: BackoffEntry = { failures, retryAt: now + delayMs, delayMs, reason };
    this.#entries.set(key, e);
    return e;
  }

  /** Records a success: the key is forgotten. Returns what it was (undefined if it was not failing). */
  succeeded(key: string): BackoffEntry | undefined {
    const e = this.#entries.get(key);
    this.#entries.delete(key);
    return e;
  }

  /** Forgets every key not in `keep` (clusters gone), so the table never outgrows what exists. */
  retain(keep: ReadonlySet<string>): void {
    for (const k of this.#entries.keys()) if (!keep.has(k)) this.#entries.delete(k);
  }

  get size(): number {
    return this.#entries.size;
  }
}
