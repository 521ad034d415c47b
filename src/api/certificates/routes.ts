/** @module /v1/certificates: ca-show (GET) and ca-sign (POST) with the cluster's own CA. */
import type { FastifyInstance } from 'fastify';
import { CertificateValidationError, InvalidCsrError } from '../../certs/errors.ts';
import { invalid, MagnumError, notFound } from '../../core/errors.ts';
import type { Cluster } from '../../core/types.ts';
import { coerceBody } from '../body-coercion.ts';
import { findCluster } from '../clusters/routes.ts';
import type { ApiDeps } from '../deps.ts';
import { hostUrl, selfLinks } from '../links.ts';
import { authorize, type PolicyEntry } from '../policy.ts';

export const CERTIFICATE_POLICIES: readonly PolicyEntry[] = [
  { action: 'certificate:get', rule: 'admin_or_user', route: 'GET /v1/certificates/:cluster' },
  { action: 'certificate:create', rule: 'admin_or_user', route: 'POST /v1/certificates' },
];

const signSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['csr'],
  properties: {
    cluster_uuid: { type: 'string', minLength: 1, maxLength: 255 },
    bay_uuid: { type: 'string', minLength: 1, maxLength: 255 },
    csr: { type: 'string', minLength: 1 },
    ca_cert_type: { type: 'string', maxLength: 255 },
    pem: { readOnly: true },
    links: { readOnly: true },
    project_id: { readOnly: true },
    user_id: { readOnly: true },
    created_at: { readOnly: true },
    updated_at: { readOnly: true },
  },
} as const;

const showQuery = { type: 'object', additionalProperties: false, properties: { ca_cert_type: { type: 'string' } } } as const;

export function certificateRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Params: { cluster: string }; Querystring: { ca_cert_type?: string } }>(
    '/v1/certificates/:cluster',
    { schema: { querystring: showQuery } },
    async (req) => {
      const c = await findCluster(deps, req.caller, req.params.cluster);
      authorize(CERTIFICATE_POLICIES, 'certificate:get', req.caller, c);
      const pem = await caPem(deps, c);
      return { cluster_uuid: c.uuid, bay_uuid: c.uuid, pem, links: selfLinks(hostUrl(req), `certificates/${c.uuid}`) };
    },
  );

  app.post<{ Body: { cluster_uuid?: string; bay_uuid?: string; csr: string; ca_cert_type?: string } }>(
    '/v1/certificates',
    { schema: { body: signSchema }, config: { bodyArg: 'certificate' }, preValidation: async (req) => coerceBody(req.body, signSchema) },
    async (req, reply) => {
      const ident = req.body.cluster_uuid ?? req.body.bay_uuid;
      if (!ident) throw invalid("Invalid input for field/attribute cluster_uuid. Value: 'None'. Mandatory field missing.");
      let c: Cluster;
      try {
        c = await findCluster(deps, req.caller, ident);
      } catch (e) {
        // Magnum answers an unknown cluster on ca-sign with 400, not 404.
        if (e instanceof MagnumError && e.status === 404) throw new MagnumError('ClusterNotFound', e.message, { status: 400 });
        throw e;
      }
      authorize(CERTIFICATE_POLICIES, 'certificate:create', req.caller, c);
      await caPem(deps, c);
      let pem: string;
      try {
        pem = await deps.ca.sign(c.uuid, req.body.csr);
      } catch (e) {
        if (e instanceof InvalidCsrError) throw new MagnumError('InvalidCsr', e.message);
        if (e instanceof CertificateValidationError) throw new MagnumError('CertificateValidationError', e.message);
        throw e;
      }
      const body: Record<string, unknown> = { cluster_uuid: c.uuid, bay_uuid: c.uuid, csr: req.body.csr, pem, links: selfLinks(hostUrl(req), `certificates/${c.uuid}`) };
      if (req.body.ca_cert_type !== undefined) body.ca_cert_type = req.body.ca_cert_type;
      return reply.code(201).send(body);
    },
  );
}

async function caPem(deps: ApiDeps, c: Cluster): Promise<string> {
  const pem = await deps.ca.caPem(c.uuid);
  if (!pem) throw notFound('X509KeyPairNotFound', `A CA certificate for cluster ${c.uuid} could not be found.`);
  return pem;
}
