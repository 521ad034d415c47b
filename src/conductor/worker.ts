/**
 * @module The conductor's worker loop: claims operations with a lease, renews it while running, and stops cleanly.
 * Safe to kill at any point: an unfinished operation's lease expires and any conductor (this one after a restart,
 * or another process on the same PostgreSQL) claims it again; the driver phases observe and resume.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Operation } from '../core/types.ts';
import { runOperation, type RunDeps, type RunOutcome } from './run-operation.ts';

export interface WorkerOptions {
  /** Operations run at once. @default 4 */
  concurrency: number;
  /** Lease length; renewed every third of it. */
  leaseMs: number;
  /** Idle poll interval. */
  pollMs: number;
}

export type WorkerState = 'idle' | 'running' | 'draining' | 'stopped';

export class Worker {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly #deps: RunDeps;
  readonly #opts: WorkerOptions;
  readonly #running = new Map<number, { ctrl: AbortController; done: Promise<RunOutcome> }>();
  #state: WorkerState = 'idle';
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;
  #again = false;
  /** Called after each operation ends (tests and benchmarks listen here). */
  onOutcome: ((op: Operation, outcome: RunOutcome) => void) | undefined;

  constructor(deps: RunDeps, opts: WorkerOptions) {
    this.#deps = deps;
    this.#opts = opts;
  }

  get state(): WorkerState {
    return this.#state;
  }

  start(): void {
    if (this.#state === 'running') return;
    this.#state = 'running';
    this.wake();
  }

  /** Looks for work now (called by the in-process API after it queued an operation). */
  wake(): void {
    if (this.#state !== 'running') return;
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    void this.#tick();
  }

  async #tick(): Promise<void> {
    this.#ticking = true;
    try {
      while (this.#state === 'running' && this.#running.size < this.#opts.concurrency) {
        const op = await this.#deps.store.operations.claim(this.owner, this.#opts.leaseMs, Date.now(), (e) =>
          this.#deps.log.warn({ err: e.message }, 'operation failed at claim: unreadable row'),
        );
        if (!op) break;
        this.#launch(op);
      }
    } catch (e) {
      this.#deps.log.warn({ err: (e as Error).message }, 'claiming work failed; will retry');
    } finally {
      this.#ticking = false;
      if (this.#state === 'running') {
        if (this.#again) {
          this.#again = false;
          this.wake();
        } else {
          this.#timer = setTimeout(() => this.wake(), this.#opts.pollMs);
        }
      }
    }
  }

  #launch(op: Operation): void {
    const ctrl = new AbortController();
    const renew = setInterval(
      () => {
        this.#deps.store.operations.renew(op, this.owner, this.#opts.leaseMs).then(
          (ok) => {
            if (!ok) ctrl.abort(new Error('lease lost or operation cancelled'));
          },
          (e: unknown) => this.#deps.log.warn({ err: (e as Error).message }, 'lease renewal failed'),
        );
      },
      Math.max(200, Math.floor(this.#opts.leaseMs / 3)),
    );
    const done = runOperation(op, this.owner, ctrl.signal, this.#deps)
      .catch((e: unknown) => {
        this.#deps.log.warn(
          { err: (e as Error).message, op: op.uuid },
          'operation run crashed; its lease will expire and it will be retried',
        );
        return 'lost' as RunOutcome;
      })
      .finally(() => {
        clearInterval(renew);
        this.#running.delete(op.id);
        if (this.#state === 'running') this.wake();
      });
    this.#running.set(op.id, { ctrl, done });
    void done.then((outcome) => this.onOutcome?.(op, outcome));
  }

  /**
   * Stops claiming and waits up to `graceMs` for running operations; then aborts the rest, whose leases expire so
   * another conductor (or this one after a restart) resumes them.
   */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'draining';
    clearTimeout(this.#timer);
    const all = Promise.all([...this.#running.values()].map((r) => r.done));
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    if ((await Promise.race([all, timeout])) === 'timeout') {
      for (const r of this.#running.values()) r.ctrl.abort(new Error('conductor stopping'));
      await all;
    }
    this.#state = 'stopped';
  }
}
