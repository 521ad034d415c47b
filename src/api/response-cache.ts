/**
 * @module Rendered list responses kept per process and served again while the store's revision of the listed table
 * is unchanged. The revision is bumped in the same transaction as every write, so the check is exact across any
 * number of API processes sharing one database; a stale entry is never served.
 */

export class ResponseCache {
  readonly #entries = new Map<string, { revision: number; body: string }>();
  readonly #max: number;

  /** @param max entries kept; the oldest is dropped first. @default 256 */
  constructor(max = 256) {
    this.#max = max;
  }

  /** The body cached for `key` at `revision`, if any. */
  get(key: string, revision: number): string | undefined {
    const e = this.#entries.get(key);
    return e && e.revision === revision ? e.body : undefined;
  }

  set(key: string, revision: number, body: string): void {
    this.#entries.delete(key);
    this.#entries.set(key, { revision, body });
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as string);
  }
}
