/**
 * @module Writes of a new desired state, for the `change` callback of `ClusterRepository.startUpdate`: they run in the
 * same transaction that queues the operation, so a refused or failed start leaves nothing behind.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Labels } from '../core/labels.ts';
import type { Nodegroup } from '../core/types.ts';
import type { StoredCert } from './certificates.ts';
import { fromNodegroup } from './rows.ts';
import type { Database } from './schema.ts';

type Tx = Kysely<Database> | Transaction<Database>;

/** Inserts a new node group row (status CREATE_IN_PROGRESS, set by the caller). */
export async function insertNodegroup(tx: Tx, ng: Omit<Nodegroup, 'id'>): Promise<void> {
  await tx.insertInto('nodegroups').values(fromNodegroup(ng)).execute();
}

/** True when the cluster already has a node group of that name (checked inside the transaction). */
export async function nodegroupNameTaken(tx: Tx, clusterUuid: string, name: string): Promise<boolean> {
  const row = await tx
    .selectFrom('nodegroups')
    .select('id')
    .where('cluster_id', '=', clusterUuid)
    .where('name', '=', name)
    .executeTakeFirst();
  return row !== undefined;
}

/** Changes one node group's desired state: count, status, image, labels (an upgrade moves `kube_tag`). */
export async function updateNodegroup(
  tx: Tx,
  id: number,
  set: { node_count?: number; status?: string; image_id?: string | null; labels?: Labels },
  now: string,
): Promise<void> {
  const { labels, ...rest } = set;
  await tx
    .updateTable('nodegroups')
    .set({ ...rest, ...(labels ? { labels: JSON.stringify(labels) } : {}), status_reason: null, updated_at: now })
    .where('id', '=', id)
    .execute();
}

/** Points the cluster at another template (upgrade), and gives it new labels when the driver says so. */
export async function setClusterTemplate(
  tx: Tx,
  clusterUuid: string,
  templateUuid: string,
  now: string,
  labels?: Labels,
): Promise<void> {
  await tx
    .updateTable('clusters')
    .set({
      cluster_template_id: templateUuid,
      ...(labels ? { labels: JSON.stringify(labels) } : {}),
      updated_at: now,
    })
    .where('uuid', '=', clusterUuid)
    .execute();
}

/** Which certificate kinds a CA rotation touches (named by the caller: the store does not know them). */
export interface CaRotationKinds {
  /** The cluster CA. */
  ca: string;
  /**
   * Where the replaced CA's certificate is kept (appended to the ones an unfinished rotation still trusts) until the
   * driver has moved every node off it: nodes trust both meanwhile.
   */
  previous: string;
  /** Certificates the old CA signed that are made anew from the new one (the conductor's client certificate). */
  dropped: readonly string[];
}

/**
 * Replaces the cluster's CA: the old CA's certificate joins `kinds.previous`, `kinds.dropped` go; every other kind
 * (a driver's own keys, e.g. Kubernetes' service-account signing key) is kept.
 */
export async function replaceClusterCa(
  tx: Tx,
  clusterUuid: string,
  ca: StoredCert,
  now: string,
  kinds: CaRotationKinds,
): Promise<void> {
  const rows = await tx
    .selectFrom('certificates')
    .select(['kind', 'cert_pem', 'key_sealed'])
    .where('cluster_id', '=', clusterUuid)
    .where('kind', 'in', [kinds.ca, kinds.previous])
    .execute();
  const old = rows.find((r) => r.kind === kinds.ca);
  const kept = rows.find((r) => r.kind === kinds.previous);
  await tx
    .deleteFrom('certificates')
    .where('cluster_id', '=', clusterUuid)
    .where('kind', 'in', [kinds.ca, kinds.previous, ...kinds.dropped])
    .execute();
  const values = [{ cluster_id: clusterUuid, kind: kinds.ca, ...ca, created_at: now }];
  if (old) {
    const pems = [...(kept ? splitPems(kept.cert_pem) : []), ...splitPems(old.cert_pem)];
    const bundle = [...new Set(pems)].join('');
    // The row keeps the last replaced CA's sealed key: every stored key is sealed with the master key (start-up checks).
    values.push({
      cluster_id: clusterUuid,
      kind: kinds.previous,
      cert_pem: bundle,
      key_sealed: old.key_sealed,
      created_at: now,
    });
  }
  await tx.insertInto('certificates').values(values).execute();
}

/** The PEM blocks of a bundle, each ending with a newline. */
export function splitPems(bundle: string): string[] {
  return (bundle.match(/-----BEGIN [^-]+-----[\s\S]*?-----END [^-]+-----/g) ?? []).map((b) => `${b}\n`);
}

/** Sets the cluster's health fields. */
export async function setClusterHealth(
  tx: Tx,
  clusterUuid: string,
  status: string | null,
  reason: Record<string, string> | null,
): Promise<void> {
  await tx
    .updateTable('clusters')
    .set({ health_status: status, health_status_reason: reason === null ? null : JSON.stringify(reason) })
    .where('uuid', '=', clusterUuid)
    .execute();
}
