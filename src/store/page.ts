/** @module Keyset pagination shared by every listed resource (marker = uuid of the last item, id as tiebreaker). */
import { sql, type SelectQueryBuilder } from 'kysely';
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
