/** @module Node group lookup inside a cluster: an int-like identifier is the DB id, a uuid-like one the uuid, else the name. */
import { conflict, notFound } from '../../core/errors.ts';
import { DB_INT_MAX, DB_INT_MIN } from '../../core/int-bounds.ts';
import { canonicalUuid, isUuidLike } from '../../core/names.ts';
import type { Nodegroup } from '../../core/types.ts';
import type { NodegroupKey } from '../../store/nodegroups.ts';
import type { Store } from '../../store/store.ts';

/** oslo's is_int_like: the text is exactly an integer's decimal form. */
const INT_LIKE = /^(0|-?[1-9]\d*)$/;

/** How Magnum reads a node group identifier. */
export function nodegroupKey(ident: string): NodegroupKey {
  if (INT_LIKE.test(ident)) return { id: Number(ident) };
  if (isUuidLike(ident)) return { uuid: canonicalUuid(ident) };
  return { name: ident };
}

/** The node group of the cluster (404 NodeGroupNotFound; 409 when a name matches several). */
export async function findNodegroup(store: Store, clusterUuid: string, ident: string): Promise<Nodegroup> {
  const key = nodegroupKey(ident);
  const missing = (): Error => notFound('NodeGroupNotFound', `Nodegroup ${ident} could not be found.`);
  // An id outside the column range names no row (and must not reach the database as an unrepresentable number).
  if ('id' in key && (key.id > DB_INT_MAX || key.id < DB_INT_MIN)) throw missing();
  const found = await store.nodegroups.find(clusterUuid, key);
  if (found.length === 0) throw missing();
  if (found.length > 1)
    throw conflict('Conflict', 'Multiple nodegroups exist with same name. Please use the nodegroup uuid instead.');
  return found[0] as Nodegroup;
}
