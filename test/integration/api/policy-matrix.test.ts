/**
 * @module test/integration/api/policy-matrix — the tenant matrix: every route of the policy table × every persona
 * (admin, member and reader of project A; member of project B; a system-scope reader; a role-less token of A), under
 * Magnum 15's policy switches and under secure RBAC, in noauth mode with keystonemiddleware's headers. The routes
 * come from the policy table, so a new route fails here until it has a recipe and an expected row
 * (test/helpers/policy-matrix.ts). A refused request writes nothing; a list shows project A's objects only to A.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ALL_POLICIES } from '../../../src/api/policy-table.ts';
import { ALL_CAPABILITIES, LATEST, startApiHarness, type ApiHarness } from '../../helpers/api-harness.ts';
import {
  assertOutcome,
  expectedOutcome,
  MODE_CONFIG,
  PERSONAS,
  personaHeaders,
  RECIPES,
  type Fixture,
  type Persona,
  type PolicyMode,
} from '../../helpers/policy-matrix.ts';

const ROUTES = ALL_POLICIES.flatMap((e) => (e.route ? [e.route] : []));

void describe('tenant matrix', { timeout: 600_000 }, () => {
  test('every route of the policy table has a recipe', () => {
    assert.deepEqual(
      ROUTES.filter((r) => RECIPES[r] === undefined),
      [],
    );
    assert.deepEqual(
      Object.keys(RECIPES).filter((r) => !ROUTES.includes(r)),
      [],
    );
  });

  for (const mode of ['magnum15', 'secureRbac'] as const) void matrix(mode);
});

function matrix(mode: PolicyMode): void {
  void describe(mode, () => {
    let h: ApiHarness;
    let csr: string;
    let n = 0;
    let shared: Fixture;

    /** Project A's objects, created by memberA, in fresh projects A and B (so quotas and names never collide). */
    const fixture = async (): Promise<Fixture> => {
      n++;
      const A = `${mode}-a${n}`;
      const B = `${mode}-b${n}`;
      const a = { ...personaHeaders('memberA', { A, B }), ...LATEST };
      const template = String((await h.createTemplate({ name: `tpl-${n}` }, a)).uuid);
      const spare = String((await h.createTemplate({ name: `spare-${n}` }, a)).uuid);
      const cluster = await h.createCluster({ cluster_template_id: template, name: `cl-${n}` }, a);
      await h.completeCluster(cluster);
      const ng = await h.send('POST', `/v1/clusters/${cluster}/nodegroups`, { name: 'extra' }, a);
      assert.equal(ng.statusCode, 202, ng.body);
      await h.completeCluster(cluster);
      // The harness's default caller (no identity headers) is the noauth admin.
      const q = await h.send('POST', '/v1/quotas', { project_id: A, resource: 'Cluster', hard_limit: 10 });
      assert.equal(q.statusCode, 201, q.body);
      return { A, B, template, spare, cluster, nodegroup: 'extra', csr };
    };

    before(async () => {
      h = await startApiHarness({ capabilities: new Set(ALL_CAPABILITIES), config: MODE_CONFIG[mode] });
      const key = join(h.tmp, 'matrix.key');
      const csrPath = join(h.tmp, 'matrix.csr');
      execFileSync(
        'openssl',
        ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=matrix', '-keyout', key, '-out', csrPath],
        { stdio: 'ignore' },
      );
      csr = readFileSync(csrPath, 'utf8');
      shared = await fixture();
    });

    after(async () => {
      await h?.close();
    });

    for (const route of ROUTES) {
      void describe(route, () => {
        for (const persona of PERSONAS) {
          test(`${persona}: ${expectedOutcome(mode, route, persona)}`, async () => {
            await check(mode, route, persona);
          });
        }
      });
    }

    async function check(m: PolicyMode, route: string, persona: Persona): Promise<void> {
      const recipe = RECIPES[route]!;
      const method = route.split(' ')[0] as 'GET' | 'POST' | 'PATCH' | 'DELETE';
      // Reads share one fixture; every write gets its own, so one persona's change never shows in another's case.
      const f = method === 'GET' ? shared : await fixture();
      const headers = { ...personaHeaders(persona, f), ...LATEST };
      const outcome = expectedOutcome(m, route, persona);
      const before = outcome === 'deny' || outcome === 'hide' ? await h.snapshot() : undefined;
      const res = await h.send(method, recipe.url(f), recipe.body?.(f), headers);
      assertOutcome(route, outcome, res, f, persona);
      if (before !== undefined) assert.equal(await h.snapshot(), before, `${persona} ${route}: nothing written`);
    }
  });
}
