/** @module /v1/certificates: ca-show (GET) and ca-sign (POST) with the cluster's own CA; ca-rotate (PATCH) queues a new CA. */
import { MAX_CSR, MAX_STRING } from '../../core/limits.ts';
import type { FastifyInstance } from 'fastify';
import { CA_KIND, CONDUCTOR_CLIENT_KIND, PREVIOUS_CA_KIND } from '../../certs/cluster-ca.ts';
import { CertificateValidationError, InvalidCsrError } from '../../certs/errors.ts';
import { invalid, MagnumError, notFound } from '../../core/errors.ts';
import type { Cluster } from '../../core/types.ts';
import { replaceClusterCa } from '../../store/cluster-changes.ts';
import { coerceBody } from '../body-coercion.ts';
import { checkUpdatable, queueUpdate } from '../clusters/queue-update.ts';
import { findCluster } from '../clusters/routes.ts';
import type { ApiDeps } from '../deps.ts';
import { hostUrl, selfLinks } from '../links.ts';
import { authorize } from '../policy.ts';
import { noQuery } from '../schemas.ts';
import { CERTIFICATE_RESPONSES } from './responses.ts';

const clusterParams = {
  type: 'object',
  additionalProperties: false,
  required: ['cluster'],
  properties: { cluster: { type: 'string', minLength: 1, description: 'cluster uuid or name' } },
} as const;

const signSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['csr'],
  properties: {
    cluster_uuid: { type: 'string', minLength: 1, maxLength: 255 },
    bay_uuid: { type: 'string', minLength: 1, maxLength: 255 },
    csr: { type: 'string', minLength: 1, maxLength: MAX_CSR },
    ca_cert_type: { type: 'string', maxLength: 255 },
    pem: { readOnly: true },
    links: { readOnly: true },
    project_id: { readOnly: true },
    user_id: { readOnly: true },
    created_at: { readOnly: true },
    updated_at: { readOnly: true },
  },
} as const;

const showQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { ca_cert_type: { type: 'string', maxLength: MAX_STRING } },
} as const;

export function certificateRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Params: { cluster: string }; Querystring: { ca_cert_type?: string } }>(
    '/v1/certificates/:cluster',
    { schema: { params: clusterParams, querystring: showQuery }, config: { responses: CERTIFICATE_RESPONSES.show } },
    async (req) => {
      const c = await findCluster(deps, req.caller, req.params.cluster);
      authorize(req, 'certificate:get', c);
      const pem = await caPem(deps, c);
      return { cluster_uuid: c.uuid, bay_uuid: c.uuid, pem, links: selfLinks(hostUrl(req), `certificates/${c.uuid}`) };
    },
  );

  app.post<{ Body: { cluster_uuid?: string; bay_uuid?: string; csr: string; ca_cert_type?: string } }>(
    '/v1/certificates',
    {
      schema: { querystring: noQuery, body: signSchema },
      config: { bodyArg: 'certificate', responses: CERTIFICATE_RESPONSES.sign, errors: [404, 409] },
      preValidation: async (req) => coerceBody(req.body, signSchema),
    },
    async (req, reply) => {
      const ident = req.body.cluster_uuid ?? req.body.bay_uuid;
      if (!ident)
        throw invalid("Invalid input for field/attribute cluster_uuid. Value: 'None'. Mandatory field missing.");
      let c: Cluster;
      try {
        c = await findCluster(deps, req.caller, ident);
      } catch (e) {
        // Magnum answers an unknown cluster on ca-sign with 400, not 404.
        if (e instanceof MagnumError && e.status === 404)
          throw new MagnumError('ClusterNotFound', e.message, { status: 400 });
        throw e;
      }
      authorize(req, 'certificate:create', c);
      await caPem(deps, c);
      let pem: string;
      try {
        pem = await deps.ca.sign(c.uuid, req.body.csr);
      } catch (e) {
        if (e instanceof InvalidCsrError) throw new MagnumError('InvalidCsr', e.message);
        if (e instanceof CertificateValidationError) throw new MagnumError('CertificateValidationError', e.message);
        throw e;
      }
      const body: Record<string, unknown> = {
        cluster_uuid: c.uuid,
        bay_uuid: c.uuid,
        csr: req.body.csr,
        pem,
        links: selfLinks(hostUrl(req), `certificates/${c.uuid}`),
      };
      if (req.body.ca_cert_type !== undefined) body.ca_cert_type = req.body.ca_cert_type;
      return reply.code(201).send(body);
    },
  );
  rotateRoute(app, deps);
}

/**
 * Magnetar's ca-rotate: the new CA is stored with the queued update (the old CA's certificate kept as `ca-previous`,
 * which nodes trust beside the new one until the driver has re-issued every node certificate and drops it).
 */
function rotateRoute(app: FastifyInstance, deps: ApiDeps): void {
  app.patch<{ Params: { cluster: string } }>(
    '/v1/certificates/:cluster',
    {
      schema: { params: clusterParams, querystring: noQuery },
      config: { controllerMethod: 'patch', responses: CERTIFICATE_RESPONSES.rotate },
    },
    async (req, reply) => {
      // As in Magnum, certificate calls do not widen an admin's scope to every project.
      const c = await findCluster(deps, { ...req.caller, isAdmin: false }, req.params.cluster);
      authorize(req, 'certificate:rotate_ca', c);
      const t = await deps.store.templates.getByUuid(c.cluster_template_id);
      if (t?.tls_disabled) throw invalid('Rotating the CA certificate on a non-TLS cluster is not supported');
      checkUpdatable(c, 'Updating a cluster');
      const ca = await deps.ca.newCa(c.name);
      await queueUpdate(deps, req, {
        cluster: c,
        verb: 'Updating a cluster',
        capability: 'rotate-ca',
        unsupported: () =>
          `Rotating the CA certificate is not supported for cluster with cluster_distro: ${t?.cluster_distro ?? 'None'}.`,
        payload: { action: 'rotate_ca' },
        message: 'CA rotation accepted',
        change: (tx) =>
          replaceClusterCa(tx, c.uuid, ca, new Date().toISOString(), {
            ca: CA_KIND,
            previous: PREVIOUS_CA_KIND,
            dropped: [CONDUCTOR_CLIENT_KIND],
          }),
      });
      return reply.code(202).send({ uuid: c.uuid });
    },
  );
}

async function caPem(deps: ApiDeps, c: Cluster): Promise<string> {
  const pem = await deps.ca.caPem(c.uuid);
  if (!pem) throw notFound('X509KeyPairNotFound', `A CA certificate for cluster ${c.uuid} could not be found.`);
  return pem;
}
