/**
 * @module cli/commands/cluster-wait — `--wait` and `cluster-events --follow`: follows a cluster's event timeline
 * (server-sent events, else polling) until its create, change or delete ends, and prints the outcome.
 */

import { ApiConnectionError, ApiError } from '../api-client.ts';
import type { Cluster, ClusterEvent } from '../api-client.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';

/** How long a just-created cluster may answer 404 before `--wait` gives up, in milliseconds. */
const CREATE_NOT_FOUND_GRACE_MS = 30_000;

/** One progress line of `--wait`: `<time> <LEVEL> [<phase>] <message>`. */
export function formatEvent(event: ClusterEvent): string {
  return `${event.time} ${String(event.level).toUpperCase()} [${event.phase}] ${event.message}`;
}

/** What `--wait` is waiting for; `follow` (cluster-events --follow) waits for any final state. */
export type WaitMode = 'create' | 'delete' | 'follow';

async function getClusterOrNull(ctx: CliContext, ident: string): Promise<Cluster | null> {
  try {
    return await ctx.client().getCluster(ident);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

function printFinal(
  ctx: CliContext,
  prefix: string,
  cluster: Pick<Cluster, 'uuid' | 'status' | 'status_reason'>,
): void {
  ctx.print(`${prefix}Cluster ${cluster.uuid} status: ${cluster.status}`);
  if (cluster.status_reason) ctx.print(`${prefix}status_reason: ${cluster.status_reason}`);
}

/** Exit code of a final status: create wants CREATE_COMPLETE, delete only succeeds when the cluster is gone. */
function finalCode(mode: WaitMode, status: string): number {
  if (mode === 'create') return status === 'CREATE_COMPLETE' ? 0 : 1;
  if (mode === 'delete') return 1;
  return status.endsWith('_FAILED') ? 1 : 0;
}

/**
 * Follows the cluster through `GET /v1/clusters/{id}/events/stream`, reconnecting with `Last-Event-ID` when the
 * connection drops. `code` is null when the server has no stream (or it kept failing): the caller polls instead.
 */
async function followStream(
  ctx: CliContext,
  uuid: string,
  mode: WaitMode,
  afterId: number,
  prefix: string,
): Promise<{ code: number | null; lastId: number }> {
  const client = ctx.client();
  let lastId = afterId;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const stream = await client.openClusterEventStream(uuid, lastId);
      if (stream === null) return { code: null, lastId };
      for await (const item of stream) {
        if (item.type === 'event') {
          if (item.event.id !== undefined) {
            if (item.event.id <= lastId) continue;
            lastId = item.event.id;
          }
          ctx.print(prefix + formatEvent(item.event));
          continue;
        }
        if (item.gone) {
          ctx.print(`${prefix}Cluster ${uuid} has been deleted.`);
          return { code: mode === 'create' ? 1 : 0, lastId };
        }
        printFinal(ctx, prefix, { uuid, status: item.status, status_reason: item.statusReason });
        return { code: finalCode(mode, item.status), lastId };
      }
    } catch (err) {
      if (!(err instanceof ApiConnectionError)) throw err;
    }
    await ctx.sleep(ctx.pollIntervalMs);
  }
  return { code: null, lastId };
}

/**
 * Follows a cluster until its create or delete (or, for `follow`, whatever runs) finishes, printing each new event of
 * the timeline: from the server-sent event stream when the server has one, else by polling
 * `/v1/clusters/{id}/events` (or, when the server has no such route, printing each status change). Create: exit code
 * 0 on CREATE_COMPLETE, 1 on any other final status (`*_COMPLETE` / `*_FAILED`). Delete: 0 once the cluster is gone
 * (404), 1 on DELETE_FAILED. Follow: 1 on `*_FAILED`, else 0.
 *
 * @param seenEvents events already on the timeline that must not be printed again (polling).
 * @param afterId id of the last event already seen (stream, and polling of servers that send ids).
 */
export async function followCluster(
  ctx: CliContext,
  uuid: string,
  mode: WaitMode,
  seenEvents = 0,
  prefix = '',
  afterId = 0,
): Promise<number> {
  const streamed = await followStream(ctx, uuid, mode, afterId, prefix);
  if (streamed.code !== null) return streamed.code;
  const client = ctx.client();
  let seen = seenEvents;
  let lastId = streamed.lastId;
  let eventsRoute = true;
  let lastStatus: string | null = null;
  let missingPolls = 0;
  const maxMissingPolls = Math.max(1, Math.ceil(CREATE_NOT_FOUND_GRACE_MS / Math.max(1, ctx.pollIntervalMs)));
  for (;;) {
    const cluster = await getClusterOrNull(ctx, uuid);
    if (cluster === null) {
      if (mode !== 'create') {
        ctx.print(`${prefix}Cluster ${uuid} has been deleted.`);
        return 0;
      }
      if (++missingPolls > maxMissingPolls) throw new CliError(`Cluster ${uuid} could not be found.`);
    } else {
      missingPolls = 0;
      if (eventsRoute) {
        const events = await client.listClusterEvents(cluster.uuid);
        if (events === null) {
          eventsRoute = false;
        } else {
          for (const event of events.slice(seen)) {
            if (event.id !== undefined) {
              if (event.id <= lastId) continue;
              lastId = event.id;
            }
            ctx.print(prefix + formatEvent(event));
          }
          seen = Math.max(seen, events.length);
        }
      }
      const status = cluster.status ?? '';
      const final =
        mode === 'create'
          ? status.endsWith('_COMPLETE') || status.endsWith('_FAILED')
          : mode === 'delete'
            ? status === 'DELETE_FAILED'
            : !status.endsWith('_IN_PROGRESS');
      if (final) {
        printFinal(ctx, prefix, cluster);
        return finalCode(mode, status);
      }
      if (!eventsRoute && status !== lastStatus) ctx.print(`${prefix}Cluster ${uuid} status: ${status}`);
      lastStatus = status;
    }
    await ctx.sleep(ctx.pollIntervalMs);
  }
}

/** Where a cluster's timeline stands before an action: events already there are not printed by `--wait`. */
export interface TimelineMark {
  uuid: string;
  seen: number;
  lastId: number;
}

/** Resolves a cluster by uuid or name and marks the end of its timeline (before an action `--wait` will follow). */
export async function markTimeline(ctx: CliContext, ident: string): Promise<TimelineMark> {
  const client = ctx.client();
  const uuid = (await client.getCluster(ident)).uuid;
  const before = await client.listClusterEvents(uuid);
  return { uuid, seen: before?.length ?? 0, lastId: before?.at(-1)?.id ?? 0 };
}

/**
 * Follows the change an action (update, resize, upgrade, node group create or delete) queued on a cluster, printing
 * the events after `mark`, until the cluster leaves `*_IN_PROGRESS`: exit code 0 on `*_COMPLETE`, 1 on `*_FAILED`.
 */
export function followChange(ctx: CliContext, mark: TimelineMark): Promise<number> {
  return followCluster(ctx, mark.uuid, 'follow', mark.seen, '', mark.lastId);
}
