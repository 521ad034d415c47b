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

/** Bytes of rows read at once when a page is read in slices (between slices, other requests are served). */
export const SLICE_BYTES = 128 * 1024;

/**
 * Runs the page query. With a byte budget, first reads only the ids and the sizes of `sizeColumns` of the page's rows,
 * in page order (no large value is read), and then only the rows that fit, by id, in slices of about
 * {@link SLICE_BYTES} with the event loop free between them: one project's huge rows cannot make a page, its read, or
 * any one step of it large. A slice reads its own rows by primary key and nothing else (a slice that sorted and
 * skipped would read every large row before it again: the page's rows times its slices).
 */
export async function pageRows<Q extends AnyQuery>(
  q: Q,
  table: string,
  page: PageRequest,
  sizeColumns: readonly string[],
): Promise<{ rows: Awaited<ReturnType<Q['execute']>>; cut: boolean }> {
  type Rows = Awaited<ReturnType<Q['execute']>>;
  if (page.maxBytes === undefined || sizeColumns.length === 0)
    return { rows: (await applyPage(q, table, page).execute()) as Rows, cut: false };
  const size = sql.join(
    sizeColumns.map((c) => sql`coalesce(octet_length(${sql.ref(`${table}.${c}`)}), 0)`),
    sql` + `,
  );
  const sizes = (await applyPage(
    q.clearSelect().select([sql.ref(`${table}.id`).as('id'), sql<number>`${size}`.as('row_bytes')]) as Q,
    table,
    page,
  ).execute()) as { id: number | string; row_bytes: number | string }[];
  // Ids of the rows that fit the budget (at least one), grouped into slices.
  const slices: (number | string)[][] = [];
  let slice: (number | string)[] = [];
  let total = 0;
  let sliceBytes = 0;
  let n = 0;
  for (const r of sizes) {
    const bytes = Number(r.row_bytes) + ROW_BYTES;
    if (n > 0 && total + bytes > page.maxBytes) break;
    if (slice.length > 0 && sliceBytes + bytes > SLICE_BYTES) {
      slices.push(slice);
      slice = [];
      sliceBytes = 0;
    }
    total += bytes;
    sliceBytes += bytes;
    slice.push(r.id);
    n += 1;
  }
  if (slice.length > 0) slices.push(slice);
  const rows: Record<string, unknown>[] = [];
  for (const [i, ids] of slices.entries()) {
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const part = (await q.where(sql.ref(`${table}.id`), 'in', ids).execute()) as Record<string, unknown>[];
    // In page order; a row deleted since its size was read is simply not there.
    const byId = new Map(part.map((r) => [String(r.id), r]));
    for (const id of ids) {
      const row = byId.get(String(id));
      if (row) rows.push(row);
    }
  }
  return { rows: rows as Rows, cut: n < sizes.length };
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

/**
 * A page of records: read with the byte budget ({@link pageRows}), decoded skipping unreadable rows
 * ({@link readPage}); `cut` when it ended at its byte budget.
 */
export async function listPage<Q extends AnyQuery, T>(
  q: Q,
  table: string,
  page: PageRequest,
  sizeColumns: readonly string[],
  decode: (row: Awaited<ReturnType<Q['execute']>>[number]) => T,
  onUnreadable?: OnUnreadable,
): Promise<Page<T>> {
  let cut = false;
  const items = await readPage(
    async (p) => {
      const r = await pageRows(q, table, p, sizeColumns);
      cut = r.cut;
      return r.rows as (Awaited<ReturnType<Q['execute']>>[number] & { id: unknown })[];
    },
    page,
    decode,
    onUnreadable,
  );
  return Object.assign(items, { cut });
}
