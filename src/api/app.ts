/** @module The HTTP edge: Fastify with Magnum's routing rules, microversions, identity, and one error mapper. */
import { randomUUID } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import { trustedProxies } from '../config/addresses.ts';
import { MagnumError } from '../core/errors.ts';
import { callerFromHeaders } from './caller.ts';
import { certificateRoutes } from './certificates/routes.ts';
import { clusterActionRoutes } from './clusters/actions.ts';
import { clusterUpdateRoutes } from './clusters/update.ts';
import { templateRoutes } from './cluster-templates/routes.ts';
import { clusterEventStreamRoutes } from './clusters/events-stream.ts';
import { clusterRoutes } from './clusters/routes.ts';
import type { ApiDeps } from './deps.ts';
import { FairGate } from './fair-gate.ts';
import { handlerErrorBody, routingErrorBody } from './error-body.ts';
import { MIN_VERSION, negotiate, versionHeaders, versionString } from './microversion.ts';
import { mserviceRoutes } from './mservices/routes.ts';
import { nodegroupRoutes } from './nodegroups/routes.ts';
import { openApiRoute, registerOpenApi } from './openapi.ts';
import { quotaRoutes } from './quotas/routes.ts';
import { rootRoutes } from './root/routes.ts';
import { statsRoutes } from './stats/routes.ts';
import { makeValidatorCompiler, validationError } from './validation.ts';

const PUBLIC = /^\/(v1\/?)?$|^\/healthcheck(\.json)?\/?$/;

/** A registered route as `METHOD /url` (the form policy entries name). */
export interface RouteEntry {
  method: string;
  url: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every registered route (HEAD routes Fastify adds for GET included), for the policy-coverage check. */
    routeTable: () => readonly RouteEntry[];
  }
}

/** Builds the API application (not listening yet). */
export async function buildApi(deps: ApiDeps, logger?: Logger): Promise<FastifyInstance> {
  const routes: { method: string; url: string; re: RegExp }[] = [];
  // X-Forwarded-* are believed only from `api.trusted_proxies` (links, Location, req.ip); default: from no one.
  const trusted = trustedProxies(deps.config.api.trustedProxies);
  const app = Fastify({
    trustProxy: (address: string) => trusted(address),
    loggerInstance: logger as FastifyBaseLogger | undefined,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    genReqId: () => `req-${randomUUID()}`,
    bodyLimit: 1024 * 1024,
    // Paths not under /v1 answer as if /v1 were prefixed (this is what makes bookmark links resolvable).
    rewriteUrl: (req) => {
      const url = req.url ?? '/';
      const path = url.split('?')[0] ?? '/';
      if (PUBLIC.test(path) || /^\/v1(\/|$)/.test(path) || path.startsWith('/docs')) return url;
      return `/v1${url}`;
    },
  });

  app.setValidatorCompiler(makeValidatorCompiler());
  // Magnum parses bodies only as JSON (415 otherwise); Fastify's built-in text/plain parser would let them through.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(['text/javascript', 'application/javascript'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new MagnumError('InvalidInput', 'Request is not in valid JSON format'), undefined);
    }
  });
  app.decorateRequest('caller', null as never);
  app.decorateRequest('apiVersion', null as never);
  app.decorateRequest('fromTrustedProxy', false);
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    const re = new RegExp(`^${r.url.replace(/:[^/]+/g, '[^/]+').replace(/\/$/, '')}/?$`);
    for (const m of methods) routes.push({ method: m, url: r.url, re });
  });

  app.addHook('onRequest', async (req, reply) => {
    void reply.header('X-Openstack-Request-Id', req.id);
    // python-magnumclient sends DELETE and ca-rotate's PATCH with Content-Type application/octet-stream and no body;
    // Magnum does not parse an absent body, so neither do we (no 415 for the type of nothing).
    const noBody = req.headers['transfer-encoding'] === undefined && (req.headers['content-length'] ?? '0') === '0';
    if (noBody && (req.method === 'DELETE' || req.method === 'PATCH')) delete req.headers['content-type'];
    req.caller = callerFromHeaders(req.headers, deps.config.auth);
    req.fromTrustedProxy = trusted(req.socket.remoteAddress);
    const path = req.url.split('?')[0] ?? '/';
    if (!path.startsWith('/v1')) return;
    const accept = String(req.headers.accept ?? 'application/json');
    const n = negotiate(
      req.headers['openstack-api-version'] as string | undefined,
      accept.includes('json') || accept.includes('*/*'),
    );
    if (!n.ok) {
      if (n.kind === 'malformed') return reply.code(406).send(routingErrorBody(406, 'Not Acceptable', n.detail));
      void reply.headers(versionHeaders(MIN_VERSION)).header('OpenStack-API-Version', 'container-infra 1.1');
      return reply.code(406).send(n.body);
    }
    req.apiVersion = n.version;
    const min = req.routeOptions.config.minVersion;
    if (min !== undefined && n.version.minor < min) {
      // Raised by Pecan while routing, so without the version headers (reference §2.2).
      const method = req.routeOptions.config.controllerMethod ?? req.method.toLowerCase();
      return reply
        .code(406)
        .send(
          routingErrorBody(
            406,
            'Not Acceptable',
            `Version ${versionString(n.version)} was requested but the requested API ${method} is not supported for this version.`,
          ),
        );
    }
    void reply.headers(versionHeaders(n.version));
    return undefined;
  });

  app.setNotFoundHandler(async (req, reply) => {
    // Errors raised while routing carry no version headers (Magnum: Pecan raises them before the version hook runs).
    for (const h of Object.keys(versionHeaders(MIN_VERSION))) reply.removeHeader(h);
    const path = req.url.split('?')[0] ?? '/';
    const other = routes.filter((r) => r.re.test(path)).map((r) => r.method);
    if (other.length > 0) {
      return reply
        .code(405)
        .header('Allow', [...new Set(other)].join(', '))
        .send(
          routingErrorBody(405, 'Method Not Allowed', `The method ${req.method} is not allowed for this resource.`),
        );
    }
    return reply.code(404).send(routingErrorBody(404, 'Not Found', 'The resource could not be found.'));
  });

  app.setErrorHandler(async (err: FastifyError | MagnumError, req: FastifyRequest, reply: FastifyReply) => {
    const send = (status: number, message: string): FastifyReply =>
      reply.code(status).send(handlerErrorBody(status, message));
    if (err instanceof MagnumError) return send(err.status, err.message);
    const fe = err as FastifyError;
    if (fe.validation) {
      const part = fe.validationContext ?? 'body';
      const data = part === 'body' ? req.body : part === 'querystring' ? req.query : req.params;
      return send(
        400,
        validationError(fe.validation as never, part, req.routeOptions.config.bodyArg ?? 'body', data).message,
      );
    }
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return send(415, `Unknown mimetype: ${req.headers['content-type'] ?? 'None'}`);
    if (
      fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
      fe instanceof SyntaxError
    ) {
      return send(400, 'Request is not in valid JSON format');
    }
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return send(413, 'Request body is too large.');
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500)
      return send(fe.statusCode, fe.message);
    req.log.error({ err }, 'unhandled error');
    return send(500, 'An internal error occurred; see the service log for the request id in X-Openstack-Request-Id.');
  });

  app.decorate('routeTable', () => routes.map(({ method, url }) => ({ method, url })));
  app.decorate('listGate', new FairGate());
  await registerOpenApi(app);
  rootRoutes(app);
  openApiRoute(app);
  templateRoutes(app, deps);
  clusterRoutes(app, deps);
  clusterUpdateRoutes(app, deps);
  clusterActionRoutes(app, deps);
  nodegroupRoutes(app, deps);
  clusterEventStreamRoutes(app, deps);
  certificateRoutes(app, deps);
  quotaRoutes(app, deps);
  statsRoutes(app, deps);
  mserviceRoutes(app, deps);
  await app.ready();
  return app;
}
