/** @module limit / marker / sort_key / sort_dir parsing and the `next` link. */
import { invalid, invalidField, show } from '../core/errors.ts';
import { isUuidLike, canonicalUuid } from '../core/names.ts';
import type { FastifyRequest } from 'fastify';
import type { OnUnreadable, PageRequest } from '../store/page.ts';

export interface PageQuery {
  limit?: number;
  marker?: string;
  sort_key?: string;
  sort_dir?: string;
}

/** JSON schema of the paging query parameters (merged into each list route's querystring schema). */
export const PAGE_QUERY_PROPERTIES = {
  limit: { type: 'integer' },
  marker: { type: 'string' },
  sort_key: { type: 'string' },
  sort_dir: { type: 'string' },
} as const;

/** Validates the paging parameters against the resource's sortable columns; resolves nothing yet. */
export function parsePage(
  q: PageQuery,
  sortable: ReadonlySet<string>,
  maxLimit: number,
): Omit<PageRequest, 'marker'> & { markerUuid?: string } {
  if (q.limit !== undefined && q.limit <= 0) throw invalid('Limit must be positive');
  const limit = Math.min(q.limit ?? maxLimit, maxLimit);
  const sortKey = q.sort_key ?? 'id';
  if (!sortable.has(sortKey)) throw invalid(`The sort_key value "${show(sortKey)}" is an invalid field for sorting`);
  const sortDir = q.sort_dir ?? 'asc';
  if (sortDir !== 'asc' && sortDir !== 'desc')
    throw invalid(`Invalid sort direction: ${show(sortDir)}. Acceptable values are 'asc' or 'desc'`);
  let markerUuid: string | undefined;
  if (q.marker !== undefined) {
    if (!isUuidLike(q.marker)) {
      throw invalidField(
        'marker',
        q.marker,
        `unable to convert to uuid. Error: Expected a uuid but received ${q.marker}.`,
      );
    }
    markerUuid = canonicalUuid(q.marker);
  }
  return { limit, sortKey, sortDir, ...(markerUuid ? { markerUuid } : {}) };
}

/** The `next` link, present only when the page is full or ended at its byte budget (`api.max_page_bytes`). */
export function nextLink(
  base: string,
  path: string,
  page: { limit: number; sortKey: string; sortDir: string },
  items: { uuid: string }[] & { cut?: boolean },
): string | undefined {
  if (items.length === 0 || (items.length < page.limit && !items.cut)) return undefined;
  const last = items[items.length - 1] as { uuid: string };
  return `${base}/v1/${path}?sort_key=${page.sortKey}&sort_dir=${page.sortDir}&limit=${page.limit}&marker=${last.uuid}`;
}

/**
 * For lists: a row the store cannot read is left out and logged (with the request id and the row), so one bad row
 * does not fail the whole list (docs/compatibility.md).
 */
export function logUnreadable(req: FastifyRequest): OnUnreadable {
  return (e) => req.log.error({ err: e.message, row: e.row }, 'unreadable row left out of the answer');
}
