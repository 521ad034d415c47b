/** @module Keyset pagination shared by every listed resource (marker = uuid of the last item, id as tiebreaker). */
import { sql, type SelectQueryBuilder } from 'kysely';
import { int, UnreadableRowError } from './row-decode.ts';
import type { Database } from './schema.ts';

/** What a list call asks for; `sortKey` has already been checked against the resource's columns. */
export interface PageRequest {
  limit: number;
  sortKey: string;
  sortDir: 'asc' | 'desc';
  /** The marker row (id and its sort-key value), looked up by the caller. */
  marker?: { id: number; value: unknown } | undefined;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyQuery = SelectQueryBuilder<Database, any, any>;

/** Applies order, limit and the after-marker condition to a query on `table`. */
export function applyPage<Q extends AnyQuery>(q: Q, table: string, page: PageRequest): Q {
  const col = sql.ref(`${table}.${page.sortKey}`);
  const id = sql.ref(`${table}.id`);
  const cmp = page.sortDir === 'asc' ? sql`>` : sql`<`;
  let out = q;
  if (page.marker) {
    const { id: mid, value } = page.marker;
    out = (
      page.sortKey === 'id'
        ? out.where(sql<boolean>`${id} ${cmp} ${mid}`)
        : value === null
          ? out.where(sql<boolean>`(${col} is not null or (${col} is null and ${id} ${cmp} ${mid}))`)
          : out.where(sql<boolean>`(${col} ${cmp} ${value} or (${col} = ${value} and ${id} ${cmp} ${mid}))`)
    ) as Q;
  }
  out = out.orderBy(col, page.sortDir) as Q;
  if (page.sortKey !== 'id') out = out.orderBy(id, page.sortDir) as Q;
  return out.limit(page.limit) as Q;
}

/** Told about each row a list skipped because it cannot be read (the API logs it). */
export type OnUnreadable = (e: UnreadableRowError) => void;

/**
 * Reads a page of records, skipping rows that cannot be decoded (each reported to `onUnreadable`) and reading on
 * past them, so the page is still full when more readable rows follow and its `next` marker (the last record) comes
 * after every skipped row. Without `onUnreadable` an unreadable row throws.
 */
export async function readPage<R extends { id: unknown }, T>(
  fetch: (page: PageRequest) => Promise<R[]>,
  page: PageRequest,
  decode: (row: R) => T,
  onUnreadable?: OnUnreadable,
): Promise<T[]> {
  const out: T[] = [];
  let request = page;
  for (;;) {
    const rows = await fetch(request);
    for (const r of rows) {
      try {
        out.push(decode(r));
      } catch (e) {
        if (!onUnreadable || !(e instanceof UnreadableRowError)) throw e;
        onUnreadable(e);
      }
    }
    const last = rows[rows.length - 1];
    if (!last || rows.length < request.limit || out.length >= page.limit) return out;
    const value = (last as Record<string, unknown>)[page.sortKey];
    request = { ...page, limit: page.limit - out.length, marker: { id: int(last.id, 'id'), value } };
  }
}
