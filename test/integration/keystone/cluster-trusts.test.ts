/**
 * Clusters in keystone mode with trusts, end to end against the real Keystone, Glance and Docker engine (a `magnetar
 * serve` process, SQLite): create makes the trustee `<uuid>_<project>` and an impersonating trust from the creating
 * member; after that member's token is revoked the cluster is still resized (the conductor acts through the trust and
 * finds the template's Glance image with it) and deleted by another member of the project, leaving nothing in
 * Keystone; a cluster whose trustee was deleted behind its back is still deleted (real Magnum 15 stayed
 * DELETE_IN_PROGRESS in 3 of 6 such deletes).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLUSTER_LABEL } from '../../../src/providers/contract.ts';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { buildNodeImage } from '../../../src/providers/docker/image-build.ts';
import type { AuthToken } from '../../../src/openstack/session.ts';
import { revokeToken } from '../../../src/openstack/tokens.ts';
import { keystoneAccounts, keystoneCall, keystoneEnv, tokenOf, type Accounts } from '../../helpers/keystone.ts';
import { REPO, startServe, type ServeProcess } from '../../helpers/service-process.ts';
import {
  createGlanceImage,
  deleteGlanceImage,
  ensureTrustees,
  SECOND_MEMBER,
  trustEnv,
  trusteesNamed,
  trustsOf,
} from '../../helpers/trustees.ts';
import { authenticate } from '../../../src/openstack/session.ts';

const { accounts, skip } = keystoneAccounts();
const host = new Engine({ socketPath: '/var/run/docker.sock' });

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe('clusters with Keystone trusts (real Keystone, Glance and Docker)', { skip }, () => {
  const a = accounts as Accounts;
  const run = randomBytes(4).toString('hex');
  const imageName = `magnetar-test-cluster-${run}`;
  let dir: string;
  let svc: ServeProcess;
  let admin: AuthToken;
  let imageId: string;
  let env: Record<string, string>;

  const send = async (token: string, method: string, path: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${svc.url}${path}`, {
      method,
      headers: {
        'x-auth-token': token,
        'content-type': 'application/json',
        'openstack-api-version': 'container-infra latest',
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  /** Polls the cluster (with a fresh member token each time it is asked for) until `done`. */
  const wait = async (uuid: string, done: (r: Answer) => boolean, timeoutMs = 240_000): Promise<Answer> => {
    const token = (await tokenOf(a, 'a-member')).token;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await send(token, 'GET', `/v1/clusters/${uuid}`);
      if (done(r)) return r;
      if (Date.now() > deadline)
        throw new Error(`cluster ${uuid}: ${r.status} ${JSON.stringify(r.body)}\n${svc.output().slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  const leftovers = async (uuid: string): Promise<number> => {
    const f = [`${CLUSTER_LABEL}=${uuid}`];
    const [c, v, n] = await Promise.all([host.listContainers(f), host.listVolumes(f), host.listNetworks(f)]);
    return c.length + v.length + n.length;
  };
  const secondMember = (): Promise<AuthToken> =>
    authenticate(
      a.authUrl,
      {
        kind: 'password',
        username: SECOND_MEMBER,
        userDomainName: 'Default',
        password: a.demoPassword,
        scope: { project: { name: 'magnetar-a', domainName: 'Default' } },
      },
      { timeoutMs: 30_000 },
    );
  const create = async (token: string, name: string): Promise<string> => {
    const r = await send(token, 'POST', '/v1/clusters', {
      name,
      cluster_template_id: `trusts-${run}`,
      master_count: 1,
      node_count: 1,
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const uuid = r.body.uuid as string;
    const done = await wait(uuid, (x) => !String(x.body.status).endsWith('_IN_PROGRESS'));
    assert.equal(done.body.status, 'CREATE_COMPLETE', JSON.stringify(done.body));
    return uuid;
  };

  before(async () => {
    await buildNodeImage(host, {
      repo: 'magnetar/node',
      tag: 'bookworm',
      scriptsDir: join(REPO, 'scripts'),
      ifMissing: true,
    });
    const t = await ensureTrustees(a);
    admin = t.admin;
    imageId = await createGlanceImage(admin, imageName, {
      os_distro: 'debian',
      magnetar_local_image: 'magnetar/node:bookworm',
    });
    dir = await mkdtemp(join(tmpdir(), 'magnetar-ctrust-'));
    env = keystoneEnv(a, { ...trustEnv(t.adminPassword), MAGNETAR_LEASE_SECONDS: '3' });
    svc = await startServe(join(dir, 'state'), { env });
    const member = (await tokenOf(a, 'a-member')).token;
    const tpl = await send(member, 'POST', '/v1/clustertemplates', {
      name: `trusts-${run}`,
      coe: 'swarm',
      image_id: imageName,
      server_type: 'container',
    });
    assert.equal(tpl.status, 201, JSON.stringify(tpl.body));
  });
  after(async () => {
    await svc?.stop();
    await deleteGlanceImage(admin, imageId).catch(() => {});
    host.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a trust outlives the creating token: resized after its revocation, deleted by another member, nothing left', async () => {
    const creator = await tokenOf(a, 'a-member');
    const projectA = creator.info.project?.id as string;
    const uuid = await create(creator.token, `trusted-${run}`);

    const [trustee] = await trusteesNamed(a, admin, uuid);
    assert.equal(trustee?.name, `${uuid}_${projectA}`, 'the trustee carries the cluster UUID and project');
    const trust = (await trustsOf(a, admin, creator.info.userId)).find((t) => t.trustee_user_id === trustee?.id);
    assert.ok(trust, 'a trust from the creating member to the trustee');
    assert.equal(trust.impersonation, true);
    assert.equal(trust.project_id, projectA);

    await revokeToken(a.authUrl, creator.token, creator.token, { timeoutMs: 30_000 });
    const later = (await tokenOf(a, 'a-member')).token;
    const resized = await send(later, 'POST', `/v1/clusters/${uuid}/actions/resize`, { node_count: 0 });
    assert.equal(resized.status, 202, JSON.stringify(resized.body));
    const updated = await wait(uuid, (x) => !String(x.body.status).endsWith('_IN_PROGRESS'));
    assert.equal(updated.body.status, 'UPDATE_COMPLETE', JSON.stringify(updated.body));
    assert.equal(updated.body.node_count, 0);
    // The conductor found the template's Glance image with the trust during the resize, after the revocation.
    const events = (await send(later, 'GET', `/v1/clusters/${uuid}/events`)).body.events as { message: string }[];
    const lookups = events.filter((e) => e.message.includes('looked up through the trust'));
    assert.equal(lookups.length, 2, 'one look-up for the create, one for the resize');
    assert.match(lookups[1]?.message ?? '', new RegExp(`^Glance image ${imageName} is magnetar/node:bookworm`));

    const other = await secondMember();
    assert.notEqual(other.info.userId, creator.info.userId);
    const del = await send(other.token, 'DELETE', `/v1/clusters/${uuid}`);
    assert.equal(del.status, 204, JSON.stringify(del.body));
    await wait(uuid, (x) => x.status === 404);
    assert.equal(await leftovers(uuid), 0, 'no container, volume or network left');
    assert.deepEqual(await trusteesNamed(a, admin, uuid), [], 'no trustee left in Keystone');
    assert.equal(
      (await trustsOf(a, admin, creator.info.userId)).filter((t) => t.id === trust.id).length,
      0,
      'no trust left in Keystone',
    );
  });

  it('deletes a cluster whose trustee was deleted behind its back', async () => {
    const creator = await tokenOf(a, 'a-member');
    const uuid = await create(creator.token, `orphan-${run}`);
    const [trustee] = await trusteesNamed(a, admin, uuid);
    assert.ok(trustee);
    await keystoneCall(a, admin.token, 'DELETE', `/users/${String(trustee.id)}`);
    const del = await send(creator.token, 'DELETE', `/v1/clusters/${uuid}`);
    assert.equal(del.status, 204, JSON.stringify(del.body));
    await wait(uuid, (x) => x.status === 404, 120_000);
    assert.equal(await leftovers(uuid), 0);
    assert.deepEqual(await trusteesNamed(a, admin, uuid), []);
  });

  it('converges after kill -9 while the trust is being made: one trustee, one trust, then a clean delete', async () => {
    const creator = await tokenOf(a, 'a-member');
    const r = await send(creator.token, 'POST', '/v1/clusters', {
      name: `killed-${run}`,
      cluster_template_id: `trusts-${run}`,
      master_count: 1,
      node_count: 0,
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const uuid = r.body.uuid as string;
    // Kill the service the moment Keystone has the trustee (the trust may or may not exist or be recorded yet).
    const deadline = Date.now() + 60_000;
    while ((await trusteesNamed(a, admin, uuid)).length === 0) {
      assert.ok(Date.now() < deadline, `no trustee for ${uuid} after 60 s:\n${svc.output().slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await svc.kill9();
    svc = await startServe(join(dir, 'state'), { env });
    const done = await wait(uuid, (x) => !String(x.body.status).endsWith('_IN_PROGRESS'));
    assert.equal(done.body.status, 'CREATE_COMPLETE', JSON.stringify(done.body));
    const trustees = await trusteesNamed(a, admin, uuid);
    assert.equal(trustees.length, 1, 'one trustee');
    const trusts = (await trustsOf(a, admin, creator.info.userId)).filter((t) => t.trustee_user_id === trustees[0]?.id);
    assert.equal(trusts.length, 1, 'one trust');
    assert.equal((await send(creator.token, 'DELETE', `/v1/clusters/${uuid}`)).status, 204);
    await wait(uuid, (x) => x.status === 404);
    assert.equal(await leftovers(uuid), 0);
    assert.deepEqual(await trusteesNamed(a, admin, uuid), []);
  });
});
