/** @module Version documents (`/`, `/v1`) and `/healthcheck`; no authentication. */
import type { FastifyInstance } from 'fastify';
import { hostUrl } from '../links.ts';
import { MAX_VERSION, MIN_VERSION, versionString } from '../microversion.ts';

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

export function rootRoutes(app: FastifyInstance): void {
  app.get('/', async (req) => ({
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

  app.get('/v1', async (req) => {
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

  app.get('/healthcheck', async (_req, reply) => reply.type('text/plain').send('OK'));
}
