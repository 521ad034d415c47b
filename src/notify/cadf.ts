/**
 * @module CADF events of cluster operations, as Magnum's `notify_about_cluster_operation` builds them and pycadf's
 * `Event.as_dict()` renders them (pure: ids and time are passed in or drawn here, no other I/O).
 */
import { randomUUID } from 'node:crypto';
import type { Cluster, Nodegroup } from '../core/types.ts';

/** `taxonomy.ACTION_*` of Magnum's cluster notifications. */
export type CadfAction = 'create' | 'update' | 'delete';
/** `taxonomy.OUTCOME_*`. */
export type CadfOutcome = 'pending' | 'success' | 'failure';

export const CADF_EVENT_TYPE_URI = 'http://schemas.dmtf.org/cloud/audit/1.0/event';
export const ACCOUNT_USER_TYPE_URI = 'service/security/account/user';
export const CLUSTER_TYPE_URI = 'service/magnum/cluster';

/** Who asked: the ids are present only when the request context has them (absent for the conductor's own events). */
export interface CadfIdentity {
  userId?: string | null;
  projectId?: string | null;
  domainId?: string | null;
}

/** Random parts of an event (fixed by tests). */
export interface CadfIds {
  id: string;
  initiatorId: string;
  observerId: string;
}

/** `target.attachments[0].content`: the cluster as Magnum reports it (note the key `docker_volume_size:`, sic). */
export interface ClusterData {
  status: string;
  status_reason: string | null;
  project_id: string;
  created_at: string | null;
  updated_at: string | null;
  cluster_template_id: string;
  keypair: string | null;
  'docker_volume_size:': number | null;
  labels: Record<string, string>;
  master_flavor_id: string | null;
  flavor_id: string | null;
  stack_id: string | null;
  health_status: string | null;
  create_timeout: number;
  api_address: string | null;
  discovery_url: string | null;
  node_addresses: string[];
  master_addresses: string[];
  node_count: number;
  master_count: number;
}

export interface CadfResource {
  typeURI: string;
  id: string;
  name?: string;
  user_id?: string;
  project_id?: string;
  domain_id?: string;
  attachments?: { typeURI: string; name: string; content: ClusterData }[];
}

/** pycadf `Event.as_dict()` of a cluster operation. */
export interface CadfEvent {
  typeURI: string;
  eventType: 'activity';
  id: string;
  eventTime: string;
  action: CadfAction;
  outcome: CadfOutcome;
  initiator: CadfResource;
  target: CadfResource;
  observer: CadfResource;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** pycadf's event time: `YYYY-MM-DDTHH:MM:SS.ffffff+0000` (UTC). */
export function cadfTime(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}000+0000`;
}

/** oslo's JSON form of a naive UTC datetime: `YYYY-MM-DDTHH:MM:SS.ffffff`, no zone; null stays null. */
export function primitiveTime(iso: string | null): string | null {
  if (iso === null) return null;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return cadfTime(d).slice(0, -5);
}

/** The `cluster_data` attachment: node counts and addresses summed over worker (and master) node groups. */
export function clusterData(c: Cluster, ngs: readonly Nodegroup[]): ClusterData {
  const of = (master: boolean): Nodegroup[] => ngs.filter((n) => (n.role === 'master') === master);
  return {
    status: c.status,
    status_reason: c.status_reason,
    project_id: c.project_id,
    created_at: primitiveTime(c.created_at),
    updated_at: primitiveTime(c.updated_at),
    cluster_template_id: c.cluster_template_id,
    keypair: c.keypair,
    'docker_volume_size:': c.docker_volume_size,
    labels: c.labels,
    master_flavor_id: c.master_flavor_id,
    flavor_id: c.flavor_id,
    stack_id: c.stack_id,
    health_status: c.health_status,
    create_timeout: c.create_timeout,
    api_address: c.api_address,
    discovery_url: c.discovery_url,
    node_addresses: of(false).flatMap((n) => n.node_addresses),
    master_addresses: of(true).flatMap((n) => n.node_addresses),
    node_count: of(false).reduce((a, n) => a + n.node_count, 0),
    master_count: of(true).reduce((a, n) => a + n.node_count, 0),
  };
}

/** What {@link clusterEvent} needs. */
export interface ClusterEventInput {
  action: CadfAction;
  outcome: CadfOutcome;
  cluster: Cluster;
  nodegroups: readonly Nodegroup[];
  initiator: CadfIdentity;
  now: Date;
  /** Default: fresh random UUIDs (pycadf without an audit namespace). */
  ids?: CadfIds;
}

/** The CADF event of a cluster operation, key for key as pycadf renders it. */
export function clusterEvent(input: ClusterEventInput): CadfEvent {
  const ids = input.ids ?? { id: randomUUID(), initiatorId: randomUUID(), observerId: randomUUID() };
  const who = input.initiator;
  const initiator: CadfResource = { typeURI: ACCOUNT_USER_TYPE_URI, id: ids.initiatorId };
  if (who.userId) initiator.user_id = who.userId;
  if (who.projectId) initiator.project_id = who.projectId;
  if (who.domainId) initiator.domain_id = who.domainId;
  return {
    typeURI: CADF_EVENT_TYPE_URI,
    eventType: 'activity',
    id: ids.id,
    eventTime: cadfTime(input.now),
    action: input.action,
    outcome: input.outcome,
    initiator,
    target: {
      typeURI: CLUSTER_TYPE_URI,
      id: input.cluster.uuid,
      name: input.cluster.name,
      attachments: [
        { typeURI: CLUSTER_TYPE_URI, name: 'cluster_data', content: clusterData(input.cluster, input.nodegroups) },
      ],
    },
    observer: { typeURI: CLUSTER_TYPE_URI, id: ids.observerId },
  };
}
