/** @module A template as Magnum's legacy BayModel shows it: the template view without project_id/user_id. */
import type { ClusterTemplate } from '../../core/types.ts';
import { templateView } from '../cluster-templates/view.ts';
import { selfLinks } from '../links.ts';

export function baymodelView(t: ClusterTemplate, base: string): Record<string, unknown> {
  const { project_id: _project, user_id: _user, ...rest } = templateView(t, base);
  return { ...rest, links: selfLinks(base, `baymodels/${t.uuid}`) };
}
