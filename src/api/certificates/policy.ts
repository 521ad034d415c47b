/** @module Policy entries of the certificate routes (Magnum 15's defaults; Magnetar's personas). */
import { PROJECT, PROJECT_MEMBER } from '../policy-personas.ts';
import type { PolicyEntry } from '../policy.ts';

// The CA and signed certificates are for the user who created the cluster (or its trustee), as in Magnum.
const USER = 'rule:admin_or_user or rule:cluster_user';

export const CERTIFICATE_POLICIES: readonly PolicyEntry[] = [
  {
    action: 'certificate:get',
    check: 'rule:context_is_admin or (role:reader and user_id:%(user_id)s) or rule:cluster_user',
    deprecated: USER,
    scope: PROJECT,
    route: 'GET /v1/certificates/:cluster',
  },
  {
    action: 'certificate:create',
    check: 'rule:context_is_admin or (role:member and user_id:%(user_id)s) or rule:cluster_user',
    deprecated: USER,
    scope: PROJECT,
    route: 'POST /v1/certificates',
  },
  {
    action: 'certificate:rotate_ca',
    check: PROJECT_MEMBER,
    deprecated: 'rule:admin_or_owner',
    scope: PROJECT,
    route: 'PATCH /v1/certificates/:cluster',
  },
];
