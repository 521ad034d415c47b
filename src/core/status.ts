/** @module Magnum's status enumerations and the sets the rules use. */

export const CLUSTER_STATUSES = [
  'CREATE_IN_PROGRESS',
  'CREATE_FAILED',
  'CREATE_COMPLETE',
  'UPDATE_IN_PROGRESS',
  'UPDATE_FAILED',
  'UPDATE_COMPLETE',
  'DELETE_IN_PROGRESS',
  'DELETE_FAILED',
  'DELETE_COMPLETE',
  'RESUME_COMPLETE',
  'RESUME_FAILED',
  'RESTORE_COMPLETE',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_FAILED',
  'ROLLBACK_COMPLETE',
  'SNAPSHOT_COMPLETE',
  'CHECK_COMPLETE',
  'ADOPT_COMPLETE',
] as const;
export type ClusterStatus = (typeof CLUSTER_STATUSES)[number];

export const HEALTH_STATUSES = ['HEALTHY', 'UNHEALTHY', 'UNKNOWN'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** Statuses whose nodegroups are reported in `faults`. */
export const FAILED_STATUSES: ReadonlySet<string> = new Set([
  'CREATE_FAILED',
  'UPDATE_FAILED',
  'DELETE_FAILED',
  'ROLLBACK_FAILED',
  'RESUME_FAILED',
]);

/** True while a conductor operation is running on the cluster. */
export const isInProgress = (status: string): boolean => status.endsWith('_IN_PROGRESS');

/** Statuses from which Magnum's conductor accepts an update, resize, upgrade, CA rotation or node group change. */
export const COMPLETE_STATUSES: ReadonlySet<string> = new Set([
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE',
  'RESUME_COMPLETE',
  'RESTORE_COMPLETE',
  'ROLLBACK_COMPLETE',
  'SNAPSHOT_COMPLETE',
  'CHECK_COMPLETE',
  'ADOPT_COMPLETE',
]);

/** Whether an api / conductor process is `up`: not forced down and its last heartbeat is recent enough. */
export function serviceState(
  s: { forced_down: boolean; last_seen_up: string | null; updated_at: string | null; created_at: string },
  nowMs: number,
  downAfterMs: number,
): 'up' | 'down' {
  if (s.forced_down) return 'down';
  const seen = Date.parse(s.last_seen_up ?? s.updated_at ?? s.created_at);
  return Number.isFinite(seen) && nowMs - seen <= downAfterMs ? 'up' : 'down';
}

/** The status a cluster ends in when an operation of `kind` fails (`cluster_create` → CREATE_FAILED, …). */
export function failedStatusOf(kind: string): string {
  return kind === 'cluster_create' ? 'CREATE_FAILED' : kind === 'cluster_delete' ? 'DELETE_FAILED' : 'UPDATE_FAILED';
}
