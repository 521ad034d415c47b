/**
 * @module Fair turns for expensive work (reading and rendering list pages): one at a time per process, handed out
 * round-robin across projects, and at most a ninth of the time: after a turn that cost T ms the next starts no sooner
 * than 8T ms later ({@link PAUSE_FACTOR}; never in the same event-loop turn). A turn that produced a large response
 * also counts the work of sending it (1 ms per {@link BYTES_PER_MS} bytes), which happens after the turn. One project
 * sending many list requests queues behind its own; any other request waits for at most the turn in progress (the
 * store reads a large page in slices, store/page.ts), and requests outside the gate (single-object reads, writes) are
 * served between turns.
 */

/** Bytes of response a turn's pause counts as 1 ms of work (sending, and the kernel's copying, happen later). */
export const BYTES_PER_MS = 256 * 1024;

/** A turn that cost T ms is followed by a pause of PAUSE_FACTOR × T: turns take at most 1 / (1 + this) of the time. */
export const PAUSE_FACTOR = 8;

export class FairGate {
  readonly #concurrency: number;
  #running = 0;
  /** Waiting turns by key, in round-robin order (a key served moves to the end). */
  readonly #queues = new Map<string, (() => void)[]>();

  /** @param concurrency turns running at once. @default 1 */
  constructor(concurrency = 1) {
    this.#concurrency = concurrency;
  }

  /** Turns waiting now. */
  get waiting(): number {
    let n = 0;
    for (const q of this.#queues.values()) n += q.length;
    return n;
  }

  /** Runs `fn` in a turn of `key` (a project); a string, Buffer or array of Buffers result counts as a response to send. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    await this.#enter(key);
    const started = performance.now();
    let bytes = 0;
    try {
      const out = await fn();
      if (typeof out === 'string' || Buffer.isBuffer(out)) bytes = out.length;
      else if (Array.isArray(out)) for (const b of out as unknown[]) if (Buffer.isBuffer(b)) bytes += b.length;
      return out;
    } finally {
      const took = performance.now() - started + bytes / BYTES_PER_MS;
      // The next turn starts after pending I/O is polled, and after a pause of PAUSE_FACTOR times this turn's cost.
      const release = (): void => {
        this.#running -= 1;
        this.#dispatch();
      };
      if (took >= 0.5) setTimeout(release, PAUSE_FACTOR * took);
      else setImmediate(release);
    }
  }

  #enter(key: string): Promise<void> {
    if (this.#running < this.#concurrency && this.#queues.size === 0) {
      this.#running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const q = this.#queues.get(key);
      if (q) q.push(resolve);
      else this.#queues.set(key, [resolve]);
    });
  }

  #dispatch(): void {
    while (this.#running < this.#concurrency) {
      const first = this.#queues.entries().next();
      if (first.done) return;
      const [key, q] = first.value;
      const next = q.shift() as () => void;
      this.#queues.delete(key);
      if (q.length > 0) this.#queues.set(key, q);
      this.#running += 1;
      next();
    }
  }
}
