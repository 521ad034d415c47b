/** @module A timeline event as the API shows it (list and stream); failures carry their classified `cause`. */
import { splitCause } from '../../core/failure-cause.ts';
import type { ClusterEvent } from '../../core/types.ts';
import { isoTime } from '../links.ts';

/** `{id, phase, level, message, time[, cause]}` of one event. */
export function eventView(e: ClusterEvent): Record<string, unknown> {
  const { cause } = splitCause(e.message);
  return {
    id: e.id,
    phase: e.phase,
    level: e.level,
    message: e.message,
    time: isoTime(e.at),
    ...(cause ? { cause } : {}),
  };
}
