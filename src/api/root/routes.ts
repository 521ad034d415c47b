/** @module Version documents (`/`, `/v1`) and `/healthcheck`; no authentication. */
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.ts';
import { hostUrl } from '../links.ts';
import { MAX_VERSION, MIN_VERSION, versionString } from '../microversion.ts';
import { ROOT_RESPONSES } from './responses.ts';

const COLLECTIONS = [
  'clustertemplates',
  'clusters',
  'quotas',
  'certificates',
  'mservices',
  'stats',
  'federations',
  'baymodels',
  'bays',
];

/** How long a store write check stands for the next `/healthcheck` (an unauthenticated route must not drive writes). */
const CHECK_INTERVAL_MS = 1000;
/** A store that has not committed the probe by then counts as unable to write. */
const CHECK_TIMEOUT_MS = 5000;

/**
 * Whether the store accepts a write: resolves to undefined when it does, otherwise to the reason. At most one probe
 * per second; concurrent callers share it.
 */
export function storeWriteCheck(store: Store): () => Promise<string | undefined> {
  let last: { at: number; result: string | undefined } | undefined;
  let running: Promise<string | undefined> | undefined;
  const probe = async (): Promise<string | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer within ${CHECK_TIMEOUT_MS / 1000} s`), CHECK_TIMEOUT_MS);
    });
    try {
      return await Promise.race([
        store.health.probeWrite().then(
          () => undefined,
          (e: unknown) => ((e as Error).message || String(e)).split('\n')[0],
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  return () => {
    if (last && Date.now() - last.at < CHECK_INTERVAL_MS) return Promise.resolve(last.result);
    running ??= probe().then((result) => {
      last = { at: Date.now(), result };
      running = undefined;
      return result;
    });
    return running;
  };
}

export function rootRoutes(app: FastifyInstance, store: Store): void {
  app.get('/', { config: { responses: ROOT_RESPONSES.root } }, async (req) => ({
    name: 'OpenStack Magnum API',
    description: 'Magnum is an OpenStack project which aims to provide container cluster management.',
    versions: [
      {
        id: 'v1',
        status: 'CURRENT',
        min_version: versionString(MIN_VERSION),
        max_version: versionString(MAX_VERSION),
        links: [{ href: `${hostUrl(req)}/v1/`, rel: 'self' }],
      },
    ],
  }));

  app.get('/v1', { config: { responses: ROOT_RESPONSES.v1 } }, async (req) => {
    const base = hostUrl(req);
    const doc: Record<string, unknown> = {
      id: 'v1',
      media_types: [{ base: 'application/json', type: 'application/vnd.openstack.magnum.v1+json' }],
      links: [
        { href: `${base}/v1/`, rel: 'self' },
        {
          href: 'http://docs.openstack.org/developer/magnum/dev/api-spec-v1.html',
          rel: 'describedby',
          type: 'text/html',
        },
      ],
    };
    for (const c of COLLECTIONS) {
      doc[c] = [
        { href: `${base}/v1/${c}/`, rel: 'self' },
        { href: `${base}/${c}/`, rel: 'bookmark' },
      ];
    }
    doc.nodegroups = [
      { href: `${base}/v1/clusters/{cluster_id}/nodegroups`, rel: 'self' },
      { href: `${base}/clusters/{cluster_id}/nodegroups`, rel: 'bookmark' },
    ];
    return doc;
  });

  // oslo.middleware's healthcheck shape, as Magnum serves it: 200 "OK", or 503 with the reason as text.
  const storeWrites = storeWriteCheck(store);
  app.get('/healthcheck', { config: { responses: ROOT_RESPONSES.healthcheck } }, async (req, reply) => {
    const problem = await storeWrites();
    if (problem === undefined) return reply.type('text/plain').send('OK');
    req.log.error({ reason: problem }, 'healthcheck: the store cannot write');
    return reply.code(503).type('text/plain').send(`store cannot write: ${problem}`);
  });
}
