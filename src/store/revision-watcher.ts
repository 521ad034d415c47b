/**
 * @module On PostgreSQL, API processes learn of template writes from LISTEN/NOTIFY instead of reading the revision
 * on every request. The trigger of migration 0003 notifies `magnetar_revisions` at commit; each notification (and every
 * (re)connection, and every write made by this process) moves a local generation that list caches are keyed by.
 * While the listening connection is down, `current()` is undefined and callers fall back to reading the revision.
 */
import pg from 'pg';

export const REVISION_CHANNEL = 'magnetar_revisions';

export class RevisionWatcher {
  readonly #url: string;
  #client: pg.Client | undefined;
  #generation = 0;
  #live = false;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;

  constructor(url: string) {
    this.#url = url;
  }

  /** Connects and listens; resolves once listening (or rejects; reconnection is then left to the caller). */
  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url });
    const down = (): void => {
      if (this.#client !== client) return;
      this.#live = false;
      this.#client = undefined;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (!this.#closed) this.#retry = setTimeout(() => void this.start().catch(() => down()), 1000);
    };
    client.on('error', down);
    client.on('end', down);
    client.on('notification', () => {
      this.#generation += 1;
    });
    await client.connect();
    await client.query(`LISTEN ${REVISION_CHANNEL}`);
    this.#client = client;
    // Writes may have happened while nobody listened: start a new generation.
    this.#generation += 1;
    this.#live = true;
  }

  /** A token that changes with every template write, or undefined while not listening. */
  current(): string | undefined {
    return this.#live ? `g${this.#generation}` : undefined;
  }

  /** Called after a write by this process commits, so its own next read never hits an older entry. */
  bump(): void {
    this.#generation += 1;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#live = false;
    clearTimeout(this.#retry);
    const c = this.#client;
    this.#client = undefined;
    await c?.end().catch(() => undefined);
  }
}
