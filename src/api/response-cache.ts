/**
 * @module Rendered list responses kept per process and served again while the store's revision token of the listed
 * table is unchanged. On SQLite the token is the revision row, bumped by triggers in every write's transaction, so the
 * check is exact. On PostgreSQL it is a generation moved by LISTEN/NOTIFY (delivered at commit) and by this process's
 * own writes: another process's write shows as soon as its notification arrives (sub-millisecond on one host).
 * Bodies are kept encoded (sent without re-encoding; a large one as its parts, never copied into one Buffer) and
 * bounded by their bytes (`api.list_cache_bytes`).
 */
import { SizedCache } from '../core/sized-cache.ts';
import { bodyBytes } from './chunked-body.ts';

export class ResponseCache {
  readonly #entries: SizedCache<{ revision: string; body: Buffer | readonly Buffer[] }>;

  /** @param maxBytes bytes of bodies (and keys) kept; the least recently used go first. */
  constructor(maxBytes: number) {
    this.#entries = new SizedCache(maxBytes, (e) => bodyBytes(e.body) + e.revision.length * 2);
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.#entries.bytes;
  }

  /** The body cached for `key` at `revision`, if any. */
  get(key: string, revision: string): Buffer | readonly Buffer[] | undefined {
    const e = this.#entries.get(key);
    return e && e.revision === revision ? e.body : undefined;
  }

  set(key: string, revision: string, body: Buffer | readonly Buffer[]): void {
    this.#entries.set(key, { revision, body });
  }
}
