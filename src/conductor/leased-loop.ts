/**
 * @module The leased periodic loop shared by the conductor's periodic passes (`health-sync.ts`, `lb-sync.ts`): a pass
 * now and then every period until stopped; one pass at a time per process (a `runOnce` while one runs joins it); a
 * failed pass is logged and the next period tries again; stopping aborts the pass's signal, waits for it and gives the
 * lease up so another conductor takes over at once. The pass itself decides when to take the lease (before or after
 * reading what there is to do) with {@link PassControl.acquire}, and keeps it through a long pass with
 * {@link PassControl.keep}; a lease is a row in the store (`acquireLease`), held for `max(3 periods, 15 s)`.
 */
import type { HealthRepository } from '../store/health.ts';

/** What a pass gets from its loop. */
export interface PassControl {
  /** Aborted when the loop stops. */
  signal: AbortSignal;
  /** How long a taken lease lasts. */
  ttlMs: number;
  /** Takes (or renews) the lease; false when another conductor holds it. */
  acquire(): Promise<boolean>;
  /**
   * Renews the lease once a third of its life has passed since it was last taken; false when it was lost meanwhile (the
   * pass should stop: another conductor runs from now on).
   */
  keep(): Promise<boolean>;
}

export interface LeasedLoopOptions {
  /** The lease row's name (one conductor at a time runs passes of this name). */
  lease: string;
  /** Identifies this conductor in the lease. */
  owner: string;
  periodMs: number;
  leases: Pick<HealthRepository, 'acquireLease' | 'releaseLease'>;
  log: { warn(obj: object, msg?: string): void };
  /** For messages: `health sync`, `load-balancer sync`. */
  what: string;
  /** At stop, after the running pass: waits for work the passes left running (aborted by then), before the release. */
  drain?: () => Promise<unknown>;
}

export class LeasedLoop<S> {
  readonly #opts: LeasedLoopOptions;
  readonly #pass: (ctl: PassControl) => Promise<S>;
  readonly #ctrl = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<S> | undefined;
  #stopped = true;

  constructor(opts: LeasedLoopOptions, pass: (ctl: PassControl) => Promise<S>) {
    this.#opts = opts;
    this.#pass = pass;
  }

  /** Aborted once the loop was stopped. */
  get signal(): AbortSignal {
    return this.#ctrl.signal;
  }

  /** Runs a pass now and then every period, until {@link LeasedLoop.stop}. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const loop = async (): Promise<void> => {
      if (this.#stopped) return;
      try {
        await this.runOnce();
      } catch (e) {
        this.#opts.log.warn({ err: (e as Error).message }, `${this.#opts.what} pass failed`);
      }
      if (!this.#stopped) this.#timer = setTimeout(() => void loop(), this.#opts.periodMs);
    };
    void loop();
  }

  /** Stops the loop, waits for a running pass, and gives the lease up. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#ctrl.abort(new Error(`${this.#opts.what} stopping`));
    await this.#running?.catch(() => undefined);
    await this.#opts.drain?.().catch(() => undefined);
    await this.#opts.leases.releaseLease(this.#opts.lease, this.#opts.owner).catch(() => undefined);
  }

  /** One pass now, or the one already running. */
  runOnce(): Promise<S> {
    this.#running ??= this.#pass(this.#control()).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  #control(): PassControl {
    const { lease, owner, periodMs, leases } = this.#opts;
    const ttlMs = Math.max(3 * periodMs, 15_000);
    let takenAt = 0;
    const acquire = async (): Promise<boolean> => {
      takenAt = Date.now();
      return leases.acquireLease(lease, owner, ttlMs);
    };
    return {
      signal: this.#ctrl.signal,
      ttlMs,
      acquire,
      keep: async () => (Date.now() - takenAt > ttlMs / 3 ? acquire() : true),
    };
  }
}
