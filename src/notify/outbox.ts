/**
 * @module Turns a cluster state change into an outbox row (the oslo message with its CADF payload, the request
 * context and the AMQP `_unique_id`, all fixed at write time) and inserts it with the caller's transaction.
 * The store's state-changing methods take the builders made here, so the row commits with the change or not at all.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Caller } from '../core/types.ts';
import { insertOutbox, type NewOutboxRow, type OutboxBuilder } from '../store/outbox.ts';
import type { Database } from '../store/schema.ts';
import { clusterEvent, type CadfAction, type CadfOutcome } from './cadf.ts';
import { osloMessage, priorityOf, requestContext, type OsloMessage, type RequestIdentity } from './envelope.ts';

/** What an outbox row's `payload` holds (JSON). */
export interface StoredNotification {
  message: OsloMessage;
  /** The serialized request context (sent as `_context_*` keys). */
  context: Record<string, unknown>;
  /** `_unique_id` of the AMQP message: the same on every retry, so consumers can drop duplicates. */
  unique_id: string;
}

/** How notifications are made: `noop` makes none. */
export interface NotifierSettings {
  driver: 'messagingv2' | 'log' | 'noop';
  /** `[DEFAULT] host`: publisher_id is `container-infra.<host>`. */
  host: string;
}

/** The request identity of an API caller, for the initiator and the context. */
export function identityOf(caller: Caller, requestId: string | null): RequestIdentity {
  return {
    userId: caller.userId,
    projectId: caller.projectId,
    roles: caller.roles,
    isAdmin: caller.isAdmin,
    requestId,
  };
}

/** Builds the notifications of cluster operations (`magnum.cluster.{create,update,delete}`). */
export class ClusterNotifier {
  readonly #settings: NotifierSettings;
  constructor(settings: NotifierSettings) {
    this.#settings = settings;
  }

  /**
   * The builder of one notification, for the store's transaction; undefined when notifications are off.
   * `who` is the API caller (absent: the conductor, which like Magnum's periodic tasks has no user).
   * `status` overrides the cluster's status in the payload (delete success: DELETE_COMPLETE on rows about to go).
   */
  cluster(action: CadfAction, outcome: CadfOutcome, who?: RequestIdentity, status?: string): OutboxBuilder | undefined {
    if (this.#settings.driver === 'noop') return undefined;
    const host = this.#settings.host;
    return (cluster, nodegroups) => {
      const now = new Date();
      const eventType = `magnum.cluster.${action}`;
      const payload = clusterEvent({
        action,
        outcome,
        cluster: status ? { ...cluster, status } : cluster,
        nodegroups,
        initiator: who ? { userId: who.userId, projectId: who.projectId, domainId: who.domainId ?? null } : {},
        now,
      });
      const stored: StoredNotification = {
        message: osloMessage({ eventType, priority: priorityOf(outcome), payload, host, now }),
        context: requestContext(who, `req-${randomUUID()}`),
        unique_id: randomBytes(16).toString('hex'),
      };
      return { event_type: eventType, payload: JSON.stringify(stored), created_at: now.toISOString() };
    };
  }
}

/** Inserts a notification row using the given transaction (for callers that run their own transaction). */
export function insertNotification(tx: Kysely<Database> | Transaction<Database>, row: NewOutboxRow): Promise<void> {
  return insertOutbox(tx, row);
}

/** Reads back a stored row's payload. */
export function parseStored(payload: string): StoredNotification {
  return JSON.parse(payload) as StoredNotification;
}
