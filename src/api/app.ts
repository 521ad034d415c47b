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
import { boundIntegers } from '../core/int-bounds.ts';
import { UnreadableRowError } from '../store/row-decode.ts';
import { ANONYMOUS, callerFromHeaders } from './caller.ts';
import { bayRoutes } from './bays/routes.ts';
import { BAYMODELS } from './baymodels/resource.ts';
import { certificateRoutes } from './certificates/routes.ts';
import { clusterActionRoutes } from './clusters/actions.ts';
import { clusterUpdateRoutes } from './clusters/update.ts';
import { CLUSTER_TEMPLATES, templateRoutes } from './cluster-templates/routes.ts';
import { clusterEventStreamRoutes } from './clusters/events-stream.ts';
import { clusterRoutes } from './clusters/routes.ts';
import type { ApiDeps } from './deps.ts';
import { FairGate } from './fair-gate.ts';
import { handlerErrorBody, routingErrorBody } from './error-body.ts';
import { registerJsonParsers } from './json-body.ts';
import { AuthRejection, KeystoneAuthenticator, type Authenticator } from './keystone-auth.ts';
import { MIN_VERSION, negotiate, prefersJson, SERVICE, versionHeaders, versionString } from './microversion.ts';
import { mserviceRoutes } from './mservices/routes.ts';
import { nodegroupRoutes } from './nodegroups/routes.ts';
import { openApiRoute, registerOpenApi } from './openapi.ts';
import { buildPolicy } from './policy.ts';
import { ALL_POLICIES } from './policy-table.ts';
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
  // auth.mode keystone: the caller comes from the request's Keystone token; noauth: from X-User-Id / X-Roles headers.
  const authenticator: Authenticator | undefined =
    deps.authenticator ??
    (deps.config.auth.mode === 'keystone' ? new KeystoneAuthenticator({ config: deps.config.keystone }) : undefined);
  const app = Fastify({
    trustProxy: (address: string) => trusted(address),
    loggerInstance: logger as FastifyBaseLogger | undefined,
    logController: new LogController({ disableRequestLogging: true }),
    // Names are up to 255 characters (and percent-encoding triples them): a longer path parameter is looked up and not
    // found (404) as in Magnum, never Fastify's 414.
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 4096 },
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
  registerJsonParsers(app);
  // Policy: Magnum's defaults from the tables, the operator's override file, oslo.policy's switches (a bad rule in
  // the file stops the start here, naming it).
  // The trustee domain of `deny_cluster_user`: given, or the one Keystone trusts know (configured or learned).
  const cloud = deps.cloud;
  const trusteeDomainId = deps.trusteeDomainId ?? (cloud ? () => cloud.knownTrusteeDomainId() : undefined);
  app.decorate('policy', buildPolicy(ALL_POLICIES, deps.config.policy, { trusteeDomainId }));
  app.decorateRequest('caller', null as never);
  app.decorateRequest('apiVersion', null as never);
  app.decorateRequest('fromTrustedProxy', false);
  app.addHook('onRoute', (r) => {
    // Integers are bounded to the column range here (before @fastify/swagger collects the route), so the OpenAPI
    // document states the same bounds the validators enforce.
    if (r.schema) {
      for (const part of ['body', 'querystring', 'params', 'headers'] as const)
        if (r.schema[part]) r.schema[part] = boundIntegers(r.schema[part]);
    }
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
    req.fromTrustedProxy = trusted(req.socket.remoteAddress);
    const path = req.url.split('?')[0] ?? '/';
    if (authenticator === undefined) req.caller = callerFromHeaders(req.headers, deps.config.auth);
    else if (PUBLIC.test(path) || path === '/v1/openapi.json') req.caller = ANONYMOUS;
    else {
      // As keystonemiddleware in front of Magnum: before routing, version negotiation and body parsing.
      try {
        const c = authenticator.identify(req.headers);
        req.caller = c instanceof Promise ? await c : c;
      } catch (e) {
        if (!(e instanceof AuthRejection)) throw e;
        if (e.status === 503) req.log.error({ err: e.cause }, 'cannot validate a token: Keystone does not answer');
        return reply.code(e.status).headers(e.headers).type('application/json; charset=UTF-8').send(e.body);
      }
    }
    if (!path.startsWith('/v1')) return;
    const n = negotiate(req.headers['openstack-api-version'] as string | undefined, prefersJson(req.headers.accept));
    if (!n.ok) {
      if (n.kind === 'malformed') return reply.code(406).send(routingErrorBody(406, 'Not Acceptable', n.detail));
      // Magnum sets the version headers before checking the range: the requested version is echoed.
      void reply.headers(versionHeaders(MIN_VERSION)).header('OpenStack-API-Version', `${SERVICE} ${n.requested}`);
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

  // is_admin as Magnum's context computes it: the `context_is_admin` rule (overridable), once the caller is known
  // (whatever hook established it) and before any handler or its policy checks run.
  app.addHook('preHandler', async (req) => {
    if (req.caller) req.caller = { ...req.caller, isAdmin: app.policy.isAdmin(req.caller) };
  });

  /** 405 with `Allow` when the path exists with other methods, else 404 (both raised while routing, as Pecan does). */
  const unrouted = (req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    // Errors raised while routing carry no version headers (Magnum: Pecan raises them before the version hook runs).
    for (const h of Object.keys(versionHeaders(MIN_VERSION))) reply.removeHeader(h);
    const path = req.url.split('?')[0] ?? '/';
    // The resource a path names is that of its most specific routes: a static segment (`/v1/clusters/detail`)
    // wins over a parameter (`/v1/clusters/:ident`), as the OpenAPI document lists them.
    const matching = routes.filter((r) => r.re.test(path));
    const params = (url: string): number => url.split(':').length;
    const fewest = Math.min(...matching.map((r) => params(r.url)));
    const other = matching.filter((r) => params(r.url) === fewest).map((r) => r.method);
    if (other.length > 0) {
      return reply
        .code(405)
        .header('Allow', [...new Set(other)].join(', '))
        .send(
          routingErrorBody(405, 'Method Not Allowed', `The method ${req.method} is not allowed for this resource.`),
        );
    }
    return reply.code(404).send(routingErrorBody(404, 'Not Found', 'The resource could not be found.'));
  };
  app.setNotFoundHandler(async (req, reply) => unrouted(req, reply));

  app.setErrorHandler(async (err: FastifyError | MagnumError, req: FastifyRequest, reply: FastifyReply) => {
    // A request no route takes fails while routing, before its body is read (e.g. QUERY without a Content-Type).
    if (req.is404) return unrouted(req, reply);
    let status: number;
    let message: string;
    try {
      [status, message] = errorAnswer(err, req);
    } catch (inner) {
      // Describing the error failed too (e.g. a value that cannot be shown): still one logged 500 in Magnum's body.
      req.log.error({ err: inner, original: String(err) }, 'error while answering an error');
      [status, message] = [500, INTERNAL];
    }
    // Every 5xx is logged, with the request id (X-Openstack-Request-Id) bound to the request's logger as reqId.
    if (status >= 500) req.log.error({ err, status }, 'request failed');
    return reply.code(status).send(handlerErrorBody(status, message));
  });

  app.decorate('routeTable', () => routes.map(({ method, url }) => ({ method, url })));
  app.decorate('listGate', new FairGate());
  await registerOpenApi(app);
  rootRoutes(app, deps.store);
  openApiRoute(app);
  templateRoutes(app, deps, CLUSTER_TEMPLATES);
  templateRoutes(app, deps, BAYMODELS);
  clusterRoutes(app, deps);
  bayRoutes(app, deps);
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

const INTERNAL = 'An internal error occurred; see the service log for the request id in X-Openstack-Request-Id.';

/** The status and message of Magnum's error body for an error raised while handling a request. */
function errorAnswer(err: FastifyError | MagnumError, req: FastifyRequest): [number, string] {
  if (err instanceof MagnumError) return [err.status, err.message];
  // A row the store cannot read: named, so the operator can find it (the log has the same).
  if (err instanceof UnreadableRowError) return [500, err.message];
  const fe = err as FastifyError;
  if (fe.validation) {
    const part = fe.validationContext ?? 'body';
    const data = part === 'body' ? req.body : part === 'querystring' ? req.query : req.params;
    return [
      400,
      validationError(fe.validation as never, part, req.routeOptions.config.bodyArg ?? 'body', data).message,
    ];
  }
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return [415, `Unknown mimetype: ${req.headers['content-type'] ?? 'None'}`];
  if (
    fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    fe instanceof SyntaxError
  )
    return [400, 'Request is not in valid JSON format'];
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return [413, 'Request body is too large.'];
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500)
    return [fe.statusCode, fe.message];
  return [500, INTERNAL];
}
