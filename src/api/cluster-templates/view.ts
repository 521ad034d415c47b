/** @module A template as the API shows it: every attribute (null when unset), links, timestamps; never the DB id. */
import type { ClusterTemplate } from '../../core/types.ts';
import { isoTime, selfLinks } from '../links.ts';

export function templateView(t: ClusterTemplate, base: string): Record<string, unknown> {
  const { id: _id, created_at, updated_at, ...rest } = t;
  return {
    ...rest,
    links: selfLinks(base, `clustertemplates/${t.uuid}`),
    created_at: isoTime(created_at),
    updated_at: isoTime(updated_at),
  };
}
