/**
 * @module The heartbeat of one api or conductor process: upserts its (host, binary) row in `services` at start and then
 * every period, so `GET /v1/mservices` can tell up from down (down after three missed periods).
 */
import type { ServiceRepository } from '../store/services.ts';

/** Binaries Magnetar reports (Magnum reports only `magnum-conductor`). */
export type ServiceBinary = 'magnetar-api' | 'magnetar-conductor';

export interface HeartbeatOptions {
  host: string;
  binary: ServiceBinary;
  intervalMs: number;
  log: { warn(obj: object, msg?: string): void };
}

export class Heartbeat {
  readonly #services: ServiceRepository;
  readonly #opts: HeartbeatOptions;
  #timer: NodeJS.Timeout | undefined;
  #pending: Promise<void> = Promise.resolve();

  constructor(services: ServiceRepository, opts: HeartbeatOptions) {
    this.#services = services;
    this.#opts = opts;
  }

  /** Records one heartbeat now; a failure is logged and the next period tries again. */
  beat(now = new Date()): Promise<void> {
    const { host, binary, log } = this.#opts;
    this.#pending = this.#services.heartbeat(host, binary, now.toISOString()).catch((e: unknown) => {
      log.warn({ err: (e as Error).message, binary }, 'heartbeat failed; will retry');
    });
    return this.#pending;
  }

  /** Beats once at once, then every period (the timer does not keep the process alive). */
  start(): Promise<void> {
    if (this.#timer) return this.#pending;
    this.#timer = setInterval(() => void this.beat(), this.#opts.intervalMs);
    this.#timer.unref();
    return this.beat();
  }

  /** Stops beating and waits for a heartbeat in flight (so the store can be closed afterwards). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#pending;
  }
}
