/** @module Policy entries of the certificate routes (Magnum defaults; Magnetar has no trustee "cluster users"). */
import type { PolicyEntry } from '../policy.ts';

export const CERTIFICATE_POLICIES: readonly PolicyEntry[] = [
  { action: 'certificate:get', rule: 'admin_or_user', route: 'GET /v1/certificates/:cluster' },
  { action: 'certificate:create', rule: 'admin_or_user', route: 'POST /v1/certificates' },
  { action: 'certificate:rotate_ca', rule: 'admin_or_owner', route: 'PATCH /v1/certificates/:cluster' },
];
