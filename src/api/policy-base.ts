/**
 * @module The base rules other rules refer to: Magnum 15's (`context_is_admin`, `admin_or_owner`, `admin_api`,
 * `admin_or_user`, `cluster_user`, `deny_cluster_user`) and Magnetar's persona rules (`project_reader`,
 * `project_member`) used by the new defaults of the resource tables.
 */
import type { PolicyEntry } from './policy.ts';

export const BASE_POLICIES: readonly PolicyEntry[] = [
  { action: 'context_is_admin', check: 'role:admin', description: 'Who is an administrator (is_admin).' },
  {
    action: 'admin_or_owner',
    check: 'is_admin:True or project_id:%(project_id)s',
    description: "An administrator, or a caller of the object's project.",
  },
  { action: 'admin_api', check: 'rule:context_is_admin', description: 'Administrators only.' },
  {
    action: 'admin_or_user',
    check: 'is_admin:True or user_id:%(user_id)s',
    description: 'An administrator, or the user who created the object.',
  },
  {
    action: 'cluster_user',
    check: 'user_id:%(trustee_user_id)s',
    description: "The cluster's own trustee user.",
  },
  {
    action: 'deny_cluster_user',
    check: 'not domain_id:%(trustee_domain_id)s',
    description: "Anyone but a user of the trustee domain (clusters' trustee users may not manage clusters).",
  },
  {
    action: 'project_reader',
    check: 'role:reader and project_id:%(project_id)s',
    description: "A reader (or, through Keystone's implied roles, member or admin) of the object's project.",
  },
  {
    action: 'project_member',
    check: 'role:member and project_id:%(project_id)s',
    description: "A member (or, through Keystone's implied roles, admin) of the object's project.",
  },
];
