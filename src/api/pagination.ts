/** @module limit / marker / sort_key / sort_dir parsing and the `next` link. */
import { invalid, invalidField, show } from '../core/errors.ts';
import { isUuidLike, canonicalUuid } from '../core/names.ts';
import type { FastifyRequest } from 'fastify';
import type { OnUnreadable, PageRequest } from '../store/page.ts';
import { MAGNUM_ERRORS } from './validation.ts';

export interface PageQuery {
  limit?: number;
  marker?: string;
  sort_key?: string;
  sort_dir?: string;
}

/**
 * JSON schemas of the paging query parameters (merged into each list route's querystring schema), in the order
 * Magnum checks them. `x-magnum-errors` gives Magnum's message per failing keyword (see validation.ts).
 */
export function pageQueryProperties(sortKeys: ReadonlySet<string>, marker: object = uuidMarker) {
  return {
    limit: {
      type: 'integer',
      minimum: 1,
      description: 'page size; larger values are clamped to [api] max_limit',
      [MAGNUM_ERRORS]: {
        minimum: 'Limit must be positive',
        type: "Invalid input for field/attribute limit. Value: '{value}'. unable to convert to int. Error: invalid literal for int() with base 10: '{value}'",
      },
    },
    sort_key: {
      type: 'string',
      enum: [...sortKeys],
      [MAGNUM_ERRORS]: { enum: 'The sort_key value "{value}" is an invalid field for sorting' },
    },
    sort_dir: {
      type: 'string',
      enum: ['asc', 'desc'],
      [MAGNUM_ERRORS]: { enum: "Invalid sort direction: {value}. Acceptable values are 'asc' or 'desc'" },
    },
    marker,
  } as const;
}

/** A uuid marker: the uuid of the last item of the previous page (32 hex digits, dashes optional, any case). */
export const uuidMarker = {
  type: 'string',
  pattern: '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$',
  description: 'uuid of the last item of the previous page',
  [MAGNUM_ERRORS]: {
    pattern:
      "Invalid input for field/attribute marker. Value: '{value}'. unable to convert to uuid. Error: Expected a uuid but received {value}.",
  },
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
