/**
 * @module Test helper: the tenant matrix — personas, the request that exercises each route of the policy table on
 * project A's objects, and what each persona must get, under Magnum 15's policy switches and under secure RBAC
 * (`policy.enforce_new_defaults` + `policy.enforce_scope`). Shared by the noauth matrix
 * (test/integration/api/policy-matrix.test.ts, identities from keystonemiddleware's headers) and any matrix run with
 * real Keystone tokens: only {@link Persona} → credentials changes.
 */
import assert from 'node:assert/strict';

/** The personas of the matrix, in the column order of {@link EXPECTED}. */
export const PERSONAS = ['adminA', 'memberA', 'readerA', 'memberB', 'systemReader', 'noRoleA'] as const;
export type Persona = (typeof PERSONAS)[number];

/** Who a persona is. Roles include the ones Keystone's default implied roles add (admin ⇒ member ⇒ reader). */
export interface PersonaIdentity {
  /** Project the token is scoped to: A, B, or none (system scope). */
  project: 'A' | 'B' | null;
  /** Distinct user per persona; project A's objects are created by `memberA`. */
  user: string;
  roles: readonly string[];
  systemScope?: 'all';
}

export const PERSONA_IDENTITIES: Readonly<Record<Persona, PersonaIdentity>> = {
  adminA: { project: 'A', user: 'admin-a', roles: ['admin', 'member', 'reader'] },
  memberA: { project: 'A', user: 'member-a', roles: ['member', 'reader'] },
  readerA: { project: 'A', user: 'reader-a', roles: ['reader'] },
  memberB: { project: 'B', user: 'member-b', roles: ['member', 'reader'] },
  systemReader: { project: null, user: 'system-reader', roles: ['reader'], systemScope: 'all' },
  // Not anonymous (keystonemiddleware answers 401 without a token): a valid token of project A with no role.
  noRoleA: { project: 'A', user: 'norole-a', roles: [] },
};

/** The headers keystonemiddleware sets for a persona after validating its token (what noauth mode reads). */
export function personaHeaders(p: Persona, projects: { A: string; B: string }): Record<string, string> {
  const id = PERSONA_IDENTITIES[p];
  return {
    'x-user-id': id.user,
    'x-roles': id.roles.join(','),
    ...(id.project ? { 'x-project-id': projects[id.project] } : {}),
    ...(id.systemScope ? { 'x-system-scope': id.systemScope } : {}),
  };
}

/**
 * What a persona gets from a route:
 * - `ok`: the route's success status (and, for lists and stats, project A's objects are in the answer);
 * - `none`: the success status, but nothing of project A in the answer (lists, stats);
 * - `deny`: 403 (PolicyNotAuthorized, or Magnum's NotAuthorized where the handler refuses another project);
 * - `hide`: project A's object is not found for this caller (404, or 400 where Magnum answers so for a body reference).
 */
export type Outcome = 'ok' | 'none' | 'deny' | 'hide';

/** The two policy configurations the matrix runs under. */
export type PolicyMode = 'magnum15' | 'secureRbac';

export const MODE_CONFIG: Readonly<Record<PolicyMode, Record<string, unknown>>> = {
  magnum15: {},
  secureRbac: { 'policy.enforce_new_defaults': true, 'policy.enforce_scope': true },
};

/** Project A's objects a request is made on (created by memberA). */
export interface Fixture {
  A: string;
  B: string;
  /** The template A's cluster uses. */
  template: string;
  /** A second template of A nothing uses (deletable; an upgrade target). */
  spare: string;
  cluster: string;
  /** Name of A's extra node group. */
  nodegroup: string;
  csr: string;
}

/** How a route is exercised. */
export interface Recipe {
  url: (f: Fixture) => string;
  body?: (f: Fixture) => unknown;
  /** Status of success. */
  ok: number;
  /** Status when A's object is invisible (default 404). */
  hidden?: number;
  /** For lists and stats: whether the answer shows project A's objects. */
  showsA?: (body: unknown, f: Fixture) => boolean;
}

const uuids = (body: unknown, key: string): string[] =>
  ((body as Record<string, { uuid: string }[]>)[key] ?? []).map((x) => x.uuid);

/** One recipe per route of the policy table (`METHOD /url` as registered). */
export const RECIPES: Readonly<Record<string, Recipe>> = {
  'GET /': { url: () => '/', ok: 200 },
  'GET /v1': { url: () => '/v1', ok: 200 },
  'GET /healthcheck': { url: () => '/healthcheck', ok: 200 },
  'GET /v1/openapi.json': { url: () => '/v1/openapi.json', ok: 200 },
  'POST /v1/clustertemplates': {
    url: () => '/v1/clustertemplates',
    body: () => ({
      name: 'matrix-new',
      coe: 'swarm-mode',
      image_id: 'magnetar/node:bookworm',
      server_type: 'container',
    }),
    ok: 201,
  },
  'GET /v1/clustertemplates': {
    url: () => '/v1/clustertemplates',
    ok: 200,
    showsA: (b, f) => uuids(b, 'clustertemplates').includes(f.template),
  },
  'GET /v1/clustertemplates/detail': {
    url: () => '/v1/clustertemplates/detail',
    ok: 200,
    showsA: (b, f) => uuids(b, 'clustertemplates').includes(f.template),
  },
  'GET /v1/clustertemplates/:ident': { url: (f) => `/v1/clustertemplates/${f.template}`, ok: 200 },
  'PATCH /v1/clustertemplates/:ident': {
    url: (f) => `/v1/clustertemplates/${f.spare}`,
    body: () => [{ op: 'replace', path: '/name', value: 'renamed' }],
    ok: 200,
  },
  'DELETE /v1/clustertemplates/:ident': { url: (f) => `/v1/clustertemplates/${f.spare}`, ok: 204 },
  'POST /v1/baymodels': {
    url: () => '/v1/baymodels',
    body: () => ({
      name: 'matrix-new',
      coe: 'swarm-mode',
      image_id: 'magnetar/node:bookworm',
      keypair_id: 'matrix-key',
      server_type: 'container',
    }),
    ok: 201,
  },
  'GET /v1/baymodels': {
    url: () => '/v1/baymodels',
    ok: 200,
    showsA: (b, f) => uuids(b, 'baymodels').includes(f.template),
  },
  'GET /v1/baymodels/detail': {
    url: () => '/v1/baymodels/detail',
    ok: 200,
    showsA: (b, f) => uuids(b, 'baymodels').includes(f.template),
  },
  'GET /v1/baymodels/:ident': { url: (f) => `/v1/baymodels/${f.template}`, ok: 200 },
  'PATCH /v1/baymodels/:ident': {
    url: (f) => `/v1/baymodels/${f.spare}`,
    // The fixture's templates have no keypair_id, which a BayModel must have after the patch.
    body: () => [
      { op: 'replace', path: '/name', value: 'renamed' },
      { op: 'add', path: '/keypair_id', value: 'matrix-key' },
    ],
    ok: 200,
  },
  'DELETE /v1/baymodels/:ident': { url: (f) => `/v1/baymodels/${f.spare}`, ok: 204 },
  'POST /v1/clusters': {
    url: () => '/v1/clusters',
    body: (f) => ({ cluster_template_id: f.template, name: 'matrix-new' }),
    ok: 202,
  },
  'GET /v1/clusters': {
    url: () => '/v1/clusters',
    ok: 200,
    showsA: (b, f) => uuids(b, 'clusters').includes(f.cluster),
  },
  'GET /v1/clusters/detail': {
    url: () => '/v1/clusters/detail',
    ok: 200,
    showsA: (b, f) => uuids(b, 'clusters').includes(f.cluster),
  },
  'GET /v1/clusters/:ident': { url: (f) => `/v1/clusters/${f.cluster}`, ok: 200 },
  'PATCH /v1/clusters/:ident': {
    url: (f) => `/v1/clusters/${f.cluster}`,
    body: () => [{ op: 'replace', path: '/node_count', value: 2 }],
    ok: 202,
  },
  'DELETE /v1/clusters/:ident': { url: (f) => `/v1/clusters/${f.cluster}`, ok: 204 },
  'POST /v1/clusters/:ident/actions/resize': {
    url: (f) => `/v1/clusters/${f.cluster}/actions/resize`,
    body: () => ({ node_count: 2 }),
    ok: 202,
  },
  'POST /v1/clusters/:ident/actions/upgrade': {
    url: (f) => `/v1/clusters/${f.cluster}/actions/upgrade`,
    body: (f) => ({ cluster_template: f.spare }),
    ok: 202,
  },
  'POST /v1/bays': {
    url: () => '/v1/bays',
    body: (f) => ({ baymodel_id: f.template, name: 'matrix-new' }),
    ok: 202,
    // Magnum's bay create answers a baymodel it cannot find with 400.
    hidden: 400,
  },
  'GET /v1/bays': {
    url: () => '/v1/bays',
    ok: 200,
    showsA: (b, f) => uuids(b, 'bays').includes(f.cluster),
  },
  'GET /v1/bays/detail': {
    url: () => '/v1/bays/detail',
    ok: 200,
    showsA: (b, f) => uuids(b, 'bays').includes(f.cluster),
  },
  'GET /v1/bays/:ident': { url: (f) => `/v1/bays/${f.cluster}`, ok: 200 },
  'PATCH /v1/bays/:ident': {
    url: (f) => `/v1/bays/${f.cluster}`,
    body: () => [{ op: 'replace', path: '/node_count', value: 2 }],
    ok: 202,
  },
  'DELETE /v1/bays/:ident': { url: (f) => `/v1/bays/${f.cluster}`, ok: 204 },
  'GET /v1/clusters/:ident/events': { url: (f) => `/v1/clusters/${f.cluster}/events`, ok: 200 },
  'GET /v1/clusters/:ident/events/stream': { url: (f) => `/v1/clusters/${f.cluster}/events/stream`, ok: 200 },
  'GET /v1/clusters/:ident/nodegroups': { url: (f) => `/v1/clusters/${f.cluster}/nodegroups`, ok: 200 },
  'GET /v1/clusters/:ident/nodegroups/:nodegroup': {
    url: (f) => `/v1/clusters/${f.cluster}/nodegroups/${f.nodegroup}`,
    ok: 200,
  },
  'POST /v1/clusters/:ident/nodegroups': {
    url: (f) => `/v1/clusters/${f.cluster}/nodegroups`,
    body: () => ({ name: 'matrix-new' }),
    ok: 202,
  },
  'PATCH /v1/clusters/:ident/nodegroups/:nodegroup': {
    url: (f) => `/v1/clusters/${f.cluster}/nodegroups/${f.nodegroup}`,
    body: () => [{ op: 'replace', path: '/max_node_count', value: 9 }],
    ok: 202,
  },
  'DELETE /v1/clusters/:ident/nodegroups/:nodegroup': {
    url: (f) => `/v1/clusters/${f.cluster}/nodegroups/${f.nodegroup}`,
    ok: 204,
  },
  'GET /v1/certificates/:cluster': { url: (f) => `/v1/certificates/${f.cluster}`, ok: 200 },
  'POST /v1/certificates': {
    url: () => '/v1/certificates',
    body: (f) => ({ cluster_uuid: f.cluster, csr: f.csr }),
    ok: 201,
    hidden: 400,
  },
  'PATCH /v1/certificates/:cluster': { url: (f) => `/v1/certificates/${f.cluster}`, ok: 202 },
  'GET /v1/quotas': {
    url: () => '/v1/quotas?all_tenants=true',
    ok: 200,
    showsA: (b, f) => ((b as { quotas: { project_id: string }[] }).quotas ?? []).some((q) => q.project_id === f.A),
  },
  'GET /v1/quotas/:project_id/:resource': { url: (f) => `/v1/quotas/${f.A}/Cluster`, ok: 200 },
  'POST /v1/quotas': {
    url: () => '/v1/quotas',
    body: (f) => ({ project_id: `${f.A}-other`, resource: 'Cluster', hard_limit: 5 }),
    ok: 201,
  },
  'PATCH /v1/quotas/:project_id/:resource': {
    url: (f) => `/v1/quotas/${f.A}/Cluster`,
    body: () => ({ hard_limit: 7 }),
    ok: 202,
  },
  'DELETE /v1/quotas/:project_id/:resource': { url: (f) => `/v1/quotas/${f.A}/Cluster`, ok: 204 },
  'GET /v1/stats': {
    url: () => '/v1/stats',
    ok: 200,
    showsA: (b) => (b as { clusters: number }).clusters > 0,
  },
  'GET /v1/mservices': { url: () => '/v1/mservices', ok: 200 },
  'GET /v1/processes': { url: () => '/v1/processes', ok: 200 },
};

/**
 * Expected outcome per route and persona, columns in {@link PERSONAS} order:
 * adminA memberA readerA memberB systemReader noRoleA.
 *
 * Magnum 15: every rule but the admin-only ones ignores roles (`deny_cluster_user` only keeps out the clusters'
 * trustee users), so a reader or a role-less token of project A may do what a member does; another project's objects
 * are not found; certificates are for the user who created the cluster (`admin_or_user`); a system-scoped token is
 * simply a token without a project. Secure RBAC: readers read, members write, admins administer, and a system-scoped
 * token is refused by every project-scoped action (403), except where the object is looked up first, as Magnum does,
 * and is not found for a token without a project (404).
 */
export const EXPECTED: Readonly<Record<PolicyMode, Readonly<Record<string, string>>>> = {
  magnum15: {
    'GET /': 'ok ok ok ok ok ok',
    'GET /v1': 'ok ok ok ok ok ok',
    'GET /healthcheck': 'ok ok ok ok ok ok',
    'GET /v1/openapi.json': 'ok ok ok ok ok ok',
    'POST /v1/clustertemplates': 'ok ok ok ok ok ok',
    'GET /v1/clustertemplates': 'ok ok ok none none ok',
    'GET /v1/clustertemplates/detail': 'ok ok ok none none ok',
    'GET /v1/clustertemplates/:ident': 'ok ok ok hide hide ok',
    'PATCH /v1/clustertemplates/:ident': 'ok ok ok hide hide ok',
    'DELETE /v1/clustertemplates/:ident': 'ok ok ok hide hide ok',
    'POST /v1/baymodels': 'ok ok ok ok ok ok',
    'GET /v1/baymodels': 'ok ok ok none none ok',
    'GET /v1/baymodels/detail': 'ok ok ok none none ok',
    'GET /v1/baymodels/:ident': 'ok ok ok hide hide ok',
    'PATCH /v1/baymodels/:ident': 'ok ok ok hide hide ok',
    'DELETE /v1/baymodels/:ident': 'ok ok ok hide hide ok',
    'POST /v1/clusters': 'ok ok ok hide hide ok',
    'GET /v1/clusters': 'ok ok ok none none ok',
    'GET /v1/clusters/detail': 'ok ok ok none none ok',
    'GET /v1/clusters/:ident': 'ok ok ok hide hide ok',
    'PATCH /v1/clusters/:ident': 'ok ok ok hide hide ok',
    'DELETE /v1/clusters/:ident': 'ok ok ok hide hide ok',
    'POST /v1/bays': 'ok ok ok hide hide ok',
    'GET /v1/bays': 'ok ok ok none none ok',
    'GET /v1/bays/detail': 'ok ok ok none none ok',
    'GET /v1/bays/:ident': 'ok ok ok hide hide ok',
    'PATCH /v1/bays/:ident': 'ok ok ok hide hide ok',
    'DELETE /v1/bays/:ident': 'ok ok ok hide hide ok',
    'POST /v1/clusters/:ident/actions/resize': 'ok ok ok hide hide ok',
    'POST /v1/clusters/:ident/actions/upgrade': 'ok ok ok hide hide ok',
    'GET /v1/clusters/:ident/events': 'ok ok ok hide hide ok',
    'GET /v1/clusters/:ident/events/stream': 'ok ok ok hide hide ok',
    'GET /v1/clusters/:ident/nodegroups': 'ok ok ok hide hide ok',
    'GET /v1/clusters/:ident/nodegroups/:nodegroup': 'ok ok ok hide hide ok',
    'POST /v1/clusters/:ident/nodegroups': 'ok ok ok hide hide ok',
    'PATCH /v1/clusters/:ident/nodegroups/:nodegroup': 'ok ok ok hide hide ok',
    'DELETE /v1/clusters/:ident/nodegroups/:nodegroup': 'ok ok ok hide hide ok',
    'GET /v1/certificates/:cluster': 'ok ok deny hide hide deny',
    'POST /v1/certificates': 'ok ok deny hide hide deny',
    'PATCH /v1/certificates/:cluster': 'ok ok ok hide hide ok',
    'GET /v1/quotas': 'ok deny deny deny deny deny',
    'GET /v1/quotas/:project_id/:resource': 'ok ok ok deny deny ok',
    'POST /v1/quotas': 'ok deny deny deny deny deny',
    'PATCH /v1/quotas/:project_id/:resource': 'ok deny deny deny deny deny',
    'DELETE /v1/quotas/:project_id/:resource': 'ok deny deny deny deny deny',
    'GET /v1/stats': 'ok ok ok none none ok',
    'GET /v1/mservices': 'ok deny deny deny deny deny',
    'GET /v1/processes': 'ok deny deny deny deny deny',
  },
  secureRbac: {
    'GET /': 'ok ok ok ok ok ok',
    'GET /v1': 'ok ok ok ok ok ok',
    'GET /healthcheck': 'ok ok ok ok ok ok',
    'GET /v1/openapi.json': 'ok ok ok ok ok ok',
    'POST /v1/clustertemplates': 'ok ok deny ok deny deny',
    'GET /v1/clustertemplates': 'ok ok ok none deny deny',
    'GET /v1/clustertemplates/detail': 'ok ok ok none deny deny',
    'GET /v1/clustertemplates/:ident': 'ok ok ok hide hide deny',
    'PATCH /v1/clustertemplates/:ident': 'ok ok deny hide hide deny',
    'DELETE /v1/clustertemplates/:ident': 'ok ok deny hide hide deny',
    'POST /v1/baymodels': 'ok ok deny ok deny deny',
    'GET /v1/baymodels': 'ok ok ok none deny deny',
    'GET /v1/baymodels/detail': 'ok ok ok none deny deny',
    'GET /v1/baymodels/:ident': 'ok ok ok hide hide deny',
    'PATCH /v1/baymodels/:ident': 'ok ok deny hide hide deny',
    'DELETE /v1/baymodels/:ident': 'ok ok deny hide hide deny',
    'POST /v1/clusters': 'ok ok deny hide hide deny',
    'GET /v1/clusters': 'ok ok ok none deny deny',
    'GET /v1/clusters/detail': 'ok ok ok none deny deny',
    'GET /v1/clusters/:ident': 'ok ok ok hide hide deny',
    'PATCH /v1/clusters/:ident': 'ok ok deny hide hide deny',
    'DELETE /v1/clusters/:ident': 'ok ok deny hide hide deny',
    'POST /v1/bays': 'ok ok deny hide hide deny',
    'GET /v1/bays': 'ok ok ok none deny deny',
    'GET /v1/bays/detail': 'ok ok ok none deny deny',
    'GET /v1/bays/:ident': 'ok ok ok hide hide deny',
    'PATCH /v1/bays/:ident': 'ok ok deny hide hide deny',
    'DELETE /v1/bays/:ident': 'ok ok deny hide hide deny',
    'POST /v1/clusters/:ident/actions/resize': 'ok ok deny hide hide deny',
    'POST /v1/clusters/:ident/actions/upgrade': 'ok ok deny hide hide deny',
    'GET /v1/clusters/:ident/events': 'ok ok ok hide hide deny',
    'GET /v1/clusters/:ident/events/stream': 'ok ok ok hide hide deny',
    'GET /v1/clusters/:ident/nodegroups': 'ok ok ok hide deny deny',
    'GET /v1/clusters/:ident/nodegroups/:nodegroup': 'ok ok ok hide deny deny',
    'POST /v1/clusters/:ident/nodegroups': 'ok ok deny hide hide deny',
    'PATCH /v1/clusters/:ident/nodegroups/:nodegroup': 'ok ok deny hide hide deny',
    'DELETE /v1/clusters/:ident/nodegroups/:nodegroup': 'ok ok deny hide hide deny',
    'GET /v1/certificates/:cluster': 'ok ok deny hide hide deny',
    'POST /v1/certificates': 'ok ok deny hide hide deny',
    'PATCH /v1/certificates/:cluster': 'ok ok deny hide hide deny',
    'GET /v1/quotas': 'ok deny deny deny deny deny',
    'GET /v1/quotas/:project_id/:resource': 'ok ok ok deny deny deny',
    'POST /v1/quotas': 'ok deny deny deny deny deny',
    'PATCH /v1/quotas/:project_id/:resource': 'ok deny deny deny deny deny',
    'DELETE /v1/quotas/:project_id/:resource': 'ok deny deny deny deny deny',
    'GET /v1/stats': 'ok ok ok none deny deny',
    'GET /v1/mservices': 'ok deny deny deny deny deny',
    'GET /v1/processes': 'ok deny deny deny deny deny',
  },
};

/** The expected outcome of one route for one persona under one mode; throws when the table has no row for it. */
export function expectedOutcome(mode: PolicyMode, route: string, persona: Persona): Outcome {
  const row = EXPECTED[mode][route];
  if (row === undefined) throw new Error(`the tenant matrix has no expectation for ${route} (${mode})`);
  const cells = row.split(/\s+/);
  if (cells.length !== PERSONAS.length) throw new Error(`row ${route} (${mode}) has ${cells.length} cells`);
  return cells[PERSONAS.indexOf(persona)] as Outcome;
}

/** A response as the matrix looks at it (Fastify's inject response or a fetch turned into one). */
export interface MatrixResponse {
  statusCode: number;
  body: string;
}

/** Asserts that `res` (the recipe of `route` sent by `persona` on fixture `f`) is the expected outcome. */
export function assertOutcome(route: string, outcome: Outcome, res: MatrixResponse, f: Fixture, persona: string): void {
  const recipe = RECIPES[route];
  if (!recipe) throw new Error(`the tenant matrix has no recipe for ${route}`);
  const what = `${persona} ${route} (${recipe.url(f)}) → ${res.statusCode} ${res.body.slice(0, 300)}`;
  const json = (): unknown => JSON.parse(res.body) as unknown;
  const firstError = (): { status: number; detail: string } => {
    const body = json() as { errors?: { status: number; detail: string }[] };
    assert.equal(body.errors?.length, 1, what);
    return body.errors[0]!;
  };
  switch (outcome) {
    case 'ok':
    case 'none':
      assert.equal(res.statusCode, recipe.ok, what);
      if (recipe.showsA) assert.equal(recipe.showsA(json(), f), outcome === 'ok', `${what}: shows A's objects`);
      else assert.equal(outcome, 'ok', `${route}: 'none' is only for lists and stats`);
      return;
    case 'deny': {
      assert.equal(res.statusCode, 403, what);
      const e = firstError();
      assert.equal(e.status, 403, what);
      // The policy's own refusal, or Magnum's NotAuthorized where a handler refuses another project's quota.
      assert.match(e.detail, /^(Policy doesn't allow [a-z_-]+:[a-z_]+ to be performed\.|Not authorized\.)$/, what);
      return;
    }
    case 'hide':
      assert.equal(res.statusCode, recipe.hidden ?? 404, what);
      assert.match(firstError().detail, /could not be found\.$/, what);
      return;
  }
}
