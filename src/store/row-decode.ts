/**
 * @module Strict decoding of column values, and the error that names a row the store cannot read.
 *
 * Integers arrive as numbers, as BigInts (SQLite, for values JavaScript cannot hold exactly; see sqlite-database.ts)
 * or as strings (PostgreSQL int8 beyond 2^53; see database.ts); JSON columns as text. A value that is not an exact
 * integer, or JSON that does not parse to the expected shape, makes the whole row unreadable: decoding throws
 * {@link UnreadableRowError} naming the row, the column and the value instead of handing a wrong value on. Callers that
 * walk many rows (the conductor's claim, the health pass, lists) catch it per row, so one bad row stops nothing else.
 */

/** A row the store holds but cannot turn into a record. The message reads `<row>: unreadable row: <detail>`. */
export class UnreadableRowError extends Error {
  /** e.g. `cluster 6f1c…` */
  readonly row: string;
  /** e.g. `create_timeout 9007199254740993 exceeds the exact integer range` */
  readonly detail: string;
  /** The cluster the row belongs to, when it belongs to one (its uuid). */
  readonly cluster: string | undefined;
  constructor(row: string, detail: string, opts?: { cause?: unknown; cluster?: string | undefined }) {
    super(`${row}: unreadable row: ${detail}`, { cause: opts?.cause });
    this.name = 'UnreadableRowError';
    this.row = row;
    this.detail = detail;
    this.cluster = opts?.cluster;
  }
}

/** A column value that cannot be decoded; re-thrown as {@link UnreadableRowError} by {@link decodeRow}. */
class ColumnError extends Error {}

/** An exact integer (|v| ≤ 2^53 − 1) from a number, BigInt or numeric string; anything else is a ColumnError. */
export function int(v: unknown, column: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER))
    return Number(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v) && Number.isSafeInteger(Number(v))) return Number(v);
  const shown = typeof v === 'string' ? v : typeof v === 'bigint' ? v.toString() : JSON.stringify(v);
  const integral =
    typeof v === 'bigint' ||
    (typeof v === 'string' && /^-?\d+$/.test(v)) ||
    (typeof v === 'number' && Number.isInteger(v));
  throw new ColumnError(
    integral
      ? `${column} ${shown} exceeds the exact integer range (±${Number.MAX_SAFE_INTEGER})`
      : `${column} ${shown} is not an integer`,
  );
}

/** {@link int}, with null kept. */
export const intOrNull = (v: unknown, column: string): number | null =>
  v === null || v === undefined ? null : int(v, column);

/** A JSON text column parsed to an object (`shape` 'object') or array ('array'); empty or null gives `fallback`. */
export function json<T>(v: unknown, column: string, shape: 'object' | 'array', fallback: T): T {
  if (v === null || v === undefined || v === '') return fallback;
  if (typeof v !== 'string') throw new ColumnError(`${column} is not text`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch (e) {
    throw new ColumnError(`${column} is not valid JSON (${(e as Error).message})`);
  }
  if (parsed === null && fallback === null) return fallback;
  const ok =
    shape === 'array' ? Array.isArray(parsed) : !!parsed && typeof parsed === 'object' && !Array.isArray(parsed);
  if (!ok) throw new ColumnError(`${column} is not a JSON ${shape}`);
  return parsed as T;
}

/**
 * Runs `decode`; any failure becomes an {@link UnreadableRowError} for `row` (e.g. `cluster <uuid>`), of the
 * cluster `cluster` when the row belongs to one.
 */
export function decodeRow<T>(row: string, decode: () => T, cluster?: string): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof UnreadableRowError) throw e;
    throw new UnreadableRowError(row, e instanceof Error ? e.message : String(e), { cause: e, cluster });
  }
}

/** Decodes each row on its own: the readable records, and an error for each row that could not be read. */
export function decodeEach<R, T>(
  rows: readonly R[],
  decode: (r: R) => T,
): { items: T[]; unreadable: UnreadableRowError[] } {
  const items: T[] = [];
  const unreadable: UnreadableRowError[] = [];
  for (const r of rows) {
    try {
      items.push(decode(r));
    } catch (e) {
      if (!(e instanceof UnreadableRowError)) throw e;
      unreadable.push(e);
    }
  }
  return { items, unreadable };
}
