/**
 * @module Rendered list responses kept per process and served again while the store's revision token of the listed
 * table is unchanged. On SQLite the token is the revision row, bumped by triggers in every write's transaction, so the
 * check is exact. On PostgreSQL it is a generation moved by LISTEN/NOTIFY (delivered at commit) and by this process's
 * own writes: another process's write shows as soon as its notification arrives (sub-millisecond on one host).
 */

export class ResponseCache {
  readonly #entries = new Map<string, { revision: string; body: string }>();
  readonly #max: number;

  /** @param max entries kept; the oldest is dropped first. @default 256 */
  constructor(max = 256) {
    this.#max = max;
  }

  /** The body cached for `key` at `revision`, if any. */
  get(key: string, revision: string): string | undefined {
    const e = this.#entries.get(key);
    return e && e.revision === revision ? e.body : undefined;
  }

  set(key: string, revision: string, body: string): void {
    this.#entries.delete(key);
    this.#entries.set(key, { revision, body });
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as string);
  }
}
