/**
 * @module A least-recently-used map bounded by the bytes its entries hold (not by their count): a few huge entries
 * cannot hold more memory than many small ones. An entry larger than a quarter of the bound is not kept at all.
 */

/** Bytes a JavaScript string of `s` holds, at most (UTF-16). */
export const stringBytes = (s: string): number => s.length * 2;

/** Bookkeeping bytes counted for each entry beyond its key and value. */
const ENTRY_OVERHEAD = 64;

export class SizedCache<V> {
  readonly #entries = new Map<string, { value: V; bytes: number }>();
  readonly #maxBytes: number;
  readonly #sizeOf: (v: V) => number;
  #bytes = 0;

  /**
   * @param maxBytes bound of the bytes held (keys, values and bookkeeping); 0 keeps nothing.
   * @param sizeOf bytes a value holds.
   */
  constructor(maxBytes: number, sizeOf: (v: V) => number) {
    this.#maxBytes = maxBytes;
    this.#sizeOf = sizeOf;
  }

  /** Bytes held now (always ≤ the bound). */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value of `key`, marked as the most recently used. */
  get(key: string): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e.value;
  }

  delete(key: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    this.#entries.delete(key);
    this.#bytes -= e.bytes;
  }

  /** Keeps `value` under `key`, dropping the least recently used entries until the bound holds. */
  set(key: string, value: V): void {
    this.delete(key);
    const bytes = stringBytes(key) + this.#sizeOf(value) + ENTRY_OVERHEAD;
    if (bytes > this.#maxBytes / 4) return;
    this.#entries.set(key, { value, bytes });
    this.#bytes += bytes;
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= e.bytes;
    }
  }
}
