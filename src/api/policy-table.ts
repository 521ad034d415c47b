/** @module Every policy rule of the API (base rules and one table per resource): the enforcer's defaults, the route-coverage check, documentation. */
import { BAYMODEL_POLICIES } from './baymodels/policy.ts';
import { BAY_POLICIES } from './bays/policy.ts';
import { CERTIFICATE_POLICIES } from './certificates/policy.ts';
import { TEMPLATE_POLICIES } from './cluster-templates/policy.ts';
import { CLUSTER_POLICIES } from './clusters/policy.ts';
import { MSERVICE_POLICIES } from './mservices/policy.ts';
import { NODEGROUP_POLICIES } from './nodegroups/policy.ts';
import { BASE_POLICIES } from './policy-base.ts';
import type { PolicyEntry } from './policy.ts';
import { QUOTA_POLICIES } from './quotas/policy.ts';
import { ROOT_POLICIES } from './root/policy.ts';
import { STATS_POLICIES } from './stats/policy.ts';

export const ALL_POLICIES: readonly PolicyEntry[] = [
  ...BASE_POLICIES,
  ...ROOT_POLICIES,
  ...TEMPLATE_POLICIES,
  ...BAYMODEL_POLICIES,
  ...CLUSTER_POLICIES,
  ...BAY_POLICIES,
  ...NODEGROUP_POLICIES,
  ...CERTIFICATE_POLICIES,
  ...QUOTA_POLICIES,
  ...STATS_POLICIES,
  ...MSERVICE_POLICIES,
];
