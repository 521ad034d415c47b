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
  /**
   * Bytes a page may hold (`api.max_page_bytes`): the page ends before the row that would pass it (never empty), as
   * counted from the stored sizes of the resource's large columns plus {@link ROW_BYTES} a row.
   */
  maxBytes?: number | undefined;
}

/** A page of records; `cut` when it ended at its byte budget before `limit` (more rows follow). */
export type Page<T> = T[] & { cut: boolean };

/** Bytes counted for a row's small columns and links, beyond its large (JSON text) columns. */
export const ROW_BYTES = 1024;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyQuery = SelectQueryBuilder<Database, any, any>;

/**
 * Runs the page query. With a byte budget, first reads only the sizes of `sizeColumns` of the page's rows (no large
 * value is read), and then only the rows that fit: one project's huge rows cannot make a page, its read, or its
 * rendering large.
 */
export async function pageRows<Q extends AnyQuery>(
  q: Q,
  table: string,
  page: PageRequest,
  sizeColumns: readonly string[],
): Promise<{ rows: Awaited<ReturnType<Q['execute']>>; cut: boolean }> {
  let limit = page.limit;
  let cut = false;
  if (page.maxBytes !== undefined && sizeColumns.length > 0) {
    const size = sql.join(
      sizeColumns.map((c) => sql`coalesce(octet_length(${sql.ref(`${table}.${c}`)}), 0)`),
      sql` + `,
    );
    const sizes = (await applyPage(
      q.clearSelect().select(sql<number>`${size}`.as('row_bytes')) as Q,
      table,
      page,
    ).execute()) as {
      row_bytes: number | string;
    }[];
    let total = 0;
    let n = 0;
    for (const r of sizes) {
      const bytes = Number(r.row_bytes) + ROW_BYTES;
      if (n > 0 && total + bytes > page.maxBytes) break;
      total += bytes;
      n += 1;
    }
    if (n < sizes.length) {
      cut = true;
      limit = n;
    }
  }
  const rows = (await applyPage(q, table, { ...page, limit }).execute()) as Awaited<ReturnType<Q['execute']>>;
  return { rows, cut };
}

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
