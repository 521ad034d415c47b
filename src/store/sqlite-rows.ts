/**
 * @module Reading a node:sqlite statement's rows with exact integers; shared by the main connection
 * (sqlite-database.ts) and the reader thread (sqlite-reader-thread.ts), which loads nothing more.
 */
import type { StatementSync } from 'node:sqlite';

/** A value node:sqlite binds. */
export type Param = null | number | bigint | string | NodeJS.ArrayBufferView;

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);

/**
 * Runs the statement reading integers as BigInt, then turns every one JavaScript holds exactly back into a number.
 * Only values beyond 2^53 stay BigInt; the row decoders (row-decode.ts) name such a row as unreadable, so one bad
 * value costs its row, not the whole result.
 */
function readExact(s: StatementSync, args: readonly Param[]): unknown[] {
  s.setReadBigInts(true);
  try {
    const rows = s.all(...args) as Record<string, unknown>[];
    for (const row of rows) {
      for (const key of Object.keys(row)) {
        const v = row[key];
        if (typeof v === 'bigint' && v <= SAFE_MAX && v >= SAFE_MIN) row[key] = Number(v);
      }
    }
    return rows;
  } finally {
    s.setReadBigInts(false);
  }
}

/**
 * Every row of the statement. A write that returns rows (INSERT/UPDATE … RETURNING) has happened by the time a value
 * fails to convert, so it is never run twice: it always reads integers as BigInt. A SELECT (`select`) runs as usual
 * and only reruns that way when a value is beyond 2^53 (node:sqlite throws ERR_OUT_OF_RANGE instead of losing
 * precision).
 */
export function allRows(s: StatementSync, args: readonly Param[], select: boolean): unknown[] {
  if (!select) return readExact(s, args);
  try {
    return s.all(...args);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_OUT_OF_RANGE') throw e;
    return readExact(s, args);
  }
}
