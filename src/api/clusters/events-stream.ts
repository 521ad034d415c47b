/**
 * @module `GET /v1/clusters/{id}/events/stream`: the cluster's event timeline as server-sent events. Sends the events
 * after `Last-Event-ID` (or `?after=`), then new ones as they are written — found by polling the store, so it works
 * when the conductor is another process — and ends with an `end` event once the cluster is in no *_IN_PROGRESS state
 * or is gone. `id:` is the event id, so a reconnecting EventSource resumes where it stopped; comments are heartbeats.
 */
import type { FastifyInstance } from 'fastify';
import { isInProgress } from '../../core/status.ts';
import type { ApiDeps } from '../deps.ts';
import { authorize } from '../policy.ts';
import { identParams } from '../schemas.ts';
import { eventView } from './event-view.ts';
import { CLUSTER_RESPONSES } from './responses.ts';
import { findCluster } from './routes.ts';

/** Timing of the stream (tests shorten it). */
export interface EventStreamOptions {
  /** How often the store is read. @default 300 */
  pollMs?: number;
  /** Longest silence before a `: keep-alive` comment. @default 15 000 */
  heartbeatMs?: number;
}

const streamQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { after: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
} as const;

export function clusterEventStreamRoutes(app: FastifyInstance, deps: ApiDeps, opts: EventStreamOptions = {}): void {
  const pollMs = opts.pollMs ?? 300;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  /** Ends every open stream (so closing the server does not wait for them). */
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });

  app.get<{ Params: { ident: string }; Querystring: { after?: number } }>(
    '/v1/clusters/:ident/events/stream',
    { schema: { params: identParams, querystring: streamQuery }, config: { responses: CLUSTER_RESPONSES.eventStream } },
    async (req, reply) => {
      const c = await findCluster(deps, req.caller, req.params.ident);
      authorize(req, 'cluster:events_stream', c);
      const lastEventId = Number(req.headers['last-event-id']);
      let last = Number.isSafeInteger(lastEventId) && lastEventId >= 0 ? lastEventId : (req.query.after ?? 0);

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      let closed = false;
      let wake: (() => void) | undefined;
      const end = (): void => {
        closed = true;
        wake?.();
      };
      open.add(end);
      res.on('close', end);
      let lastWrite = Date.now();
      const send = (text: string): void => {
        if (closed) return;
        res.write(text);
        lastWrite = Date.now();
      };
      send('retry: 2000\n\n');
      try {
        while (!closed) {
          // Status first, then events: the final event commits with the final status, so it is never missed.
          const cluster = await deps.store.clusters.get(c.uuid);
          const events = await deps.store.events.list(c.uuid, last, 500);
          for (const e of events) {
            send(`id: ${e.id}\ndata: ${JSON.stringify(eventView(e))}\n\n`);
            last = e.id;
          }
          if (events.length === 500) continue;
          if (!cluster) {
            send(
              `event: end\ndata: ${JSON.stringify({ uuid: c.uuid, status: 'DELETE_COMPLETE', status_reason: null, gone: true })}\n\n`,
            );
            break;
          }
          if (!isInProgress(cluster.status)) {
            send(
              `event: end\ndata: ${JSON.stringify({ uuid: c.uuid, status: cluster.status, status_reason: cluster.status_reason, gone: false })}\n\n`,
            );
            break;
          }
          if (Date.now() - lastWrite >= heartbeatMs) send(': keep-alive\n\n');
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, pollMs);
          });
          wake = undefined;
        }
      } catch (e) {
        req.log.warn({ err: (e as Error).message, cluster: c.uuid }, 'event stream failed');
        send(
          `event: error\ndata: ${JSON.stringify({ message: 'the event stream failed; reconnect with Last-Event-ID' })}\n\n`,
        );
      } finally {
        open.delete(end);
        res.end();
      }
    },
  );
}
