/** @module Quota rules: the resources Magnum knows and the per-project cluster limit enforced at cluster create. */
import { forbidden } from './errors.ts';

/** Magnum's QuotaResourceName enumeration. */
export const QUOTA_RESOURCES = ['Cluster'] as const;

/** 403 ResourceLimitExceeded when a project already has `limit` clusters (or more). */
export function checkClusterQuota(existing: number, limit: number): void {
  if (existing >= limit) {
    throw forbidden(
      'ResourceLimitExceeded',
      `Resource limit exceeded: You have reached the maximum clusters per project, ${limit}. You may delete a cluster to make room for a new one.`,
    );
  }
}
