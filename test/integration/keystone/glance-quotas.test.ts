/**
 * Keystone mode with trusts configured, against the real Keystone and Glance of scripts/ensure-system.sh (a `magnetar
 * api` process, SQLite): a template's image_id names a Glance image by name or id (its os_distro chooses the driver,
 * its magnetar_local_image names the local node image), with Magnum's error texts for a missing image, a missing
 * os_distro and a name several images share; a local image still works; quota create refuses an unknown project (404);
 * wrong trustee domain admin credentials stop the start. The REAL clients (`openstack coe cluster template create`,
 * `magnum cluster-template-create`) and `magnetar` name Glance images too, with password auth through the catalog: the
 * suite registers a container-infra service and endpoint in a region of its own (removed at the end).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuthToken } from '../../../src/openstack/session.ts';
import {
  keystoneAccounts,
  keystoneCall,
  keystoneEnv,
  memberClient,
  tokenOf,
  type Accounts,
} from '../../helpers/keystone.ts';
import { parseProperties, type ClientRun } from '../../helpers/real-clients.ts';
import { BIN, startApi, type ServeProcess } from '../../helpers/service-process.ts';
import { createGlanceImage, deleteGlanceImage, ensureTrustees, trustEnv } from '../../helpers/trustees.ts';

const { accounts, skip } = keystoneAccounts();
const LOCAL = 'magnetar/node:bookworm';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe('Glance images and quota projects in keystone mode (real Keystone and Glance)', { skip }, () => {
  const a = accounts as Accounts;
  const run = randomBytes(4).toString('hex');
  let dir: string;
  let api: ServeProcess;
  let admin: AuthToken;
  let member: string;
  let serviceId = '';
  const region = `magnetar-glance-${run}`;
  const images: string[] = [];
  const named = (what: string): string => `magnetar-test-${what}-${run}`;

  const send = async (token: string, method: string, path: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${api.url}${path}`, {
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
  const detail = (r: Answer): string => String((r.body.errors as { detail: string }[] | undefined)?.[0]?.detail);
  const template = (image: string, name = `t-${randomBytes(3).toString('hex')}`): Promise<Answer> =>
    send(member, 'POST', '/v1/clustertemplates', { name, coe: 'swarm', image_id: image, server_type: 'container' });

  before(async () => {
    const t = await ensureTrustees(a);
    admin = t.admin;
    member = (await tokenOf(a, 'a-member')).token;
    images.push(await createGlanceImage(admin, named('node'), { os_distro: 'debian', magnetar_local_image: LOCAL }));
    images.push(await createGlanceImage(admin, named('nodistro'), { magnetar_local_image: LOCAL }));
    images.push(await createGlanceImage(admin, named('nolocal'), { os_distro: 'debian' }));
    images.push(await createGlanceImage(admin, named('twice'), { os_distro: 'debian', magnetar_local_image: LOCAL }));
    images.push(await createGlanceImage(admin, named('twice'), { os_distro: 'debian', magnetar_local_image: LOCAL }));
    dir = await mkdtemp(join(tmpdir(), 'magnetar-glance-'));
    api = await startApi(join(dir, 'state'), { env: keystoneEnv(a, trustEnv(t.adminPassword)) });
    // What an operator does (docs/operator-guide.md), in a region of our own: the clients find the service there.
    await keystoneCall(a, admin.token, 'POST', '/regions', { region: { id: region } });
    const s = await keystoneCall(a, admin.token, 'POST', '/services', {
      service: { name: 'magnum', type: 'container-infra', description: `Magnetar Glance test (${region})` },
    });
    serviceId = (s.service as { id: string }).id;
    await keystoneCall(a, admin.token, 'POST', '/endpoints', {
      endpoint: { service_id: serviceId, interface: 'public', region_id: region, url: `${api.url}/v1` },
    });
  });
  after(async () => {
    await api?.stop();
    if (serviceId) await keystoneCall(a, admin.token, 'DELETE', `/services/${serviceId}`).catch(() => undefined);
    if (admin) await keystoneCall(a, admin.token, 'DELETE', `/regions/${region}`).catch(() => undefined);
    for (const id of images) await deleteGlanceImage(admin, id).catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('takes a Glance image by name and by id: os_distro is the cluster distro, image_id kept as given', async () => {
    const byName = await template(named('node'));
    assert.equal(byName.status, 201, JSON.stringify(byName.body));
    assert.equal(byName.body.image_id, named('node'));
    assert.equal(byName.body.cluster_distro, 'debian');
    const byId = await template(images[0] as string);
    assert.equal(byId.status, 201, JSON.stringify(byId.body));
    assert.equal(byId.body.image_id, images[0]);
    assert.equal(byId.body.cluster_distro, 'debian');
  });

  it("refuses Magnum's way: unknown image 400, no os_distro 400, a shared name 409", async () => {
    const missing = await template(named('nosuch'));
    assert.equal(missing.status, 400);
    assert.equal(detail(missing), `Image ${named('nosuch')} could not be found.`);
    const missingId = await template('0b1c2d3e-0000-4000-8000-000000000000');
    assert.equal(missingId.status, 400);
    assert.equal(detail(missingId), 'Image 0b1c2d3e-0000-4000-8000-000000000000 could not be found.');
    const noDistro = await template(named('nodistro'));
    assert.equal(noDistro.status, 400);
    assert.equal(detail(noDistro), `Image ${named('nodistro')} doesn't contain os_distro field.`);
    const twice = await template(named('twice'));
    assert.equal(twice.status, 409);
    assert.equal(
      detail(twice),
      `Multiple images exist with same name ${named('twice')}. Please use the resource id instead.`,
    );
  });

  it('refuses a Glance image that names no local node image, saying what to set', async () => {
    const r = await template(named('nolocal'));
    assert.equal(r.status, 400);
    assert.match(detail(r), /is a Glance image without the magnetar_local_image property/);
  });

  it('still takes a local node image', async () => {
    const r = await template(LOCAL);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.cluster_distro, 'debian');
  });

  /** Runs a client as a-member of magnetar-a with only OS_* variables (password auth, catalog in this region). */
  const client = (bin: string, args: string[]): Promise<ClientRun> => memberClient(a, region, bin, args);

  it('openstack coe cluster template create --image <Glance name>: os_distro chooses the driver', async () => {
    const name = `osc-glance-${run}`;
    const r = await client('openstack', [
      'coe',
      'cluster',
      'template',
      'create',
      name,
      '--coe',
      'swarm',
      '--image',
      named('node'),
      '--external-network',
      'public',
      '--server-type',
      'container',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const shown = parseProperties(r.stdout);
    assert.equal(shown.image_id, named('node'));
    assert.equal(shown.cluster_distro, 'debian');
    assert.equal(shown.coe, 'swarm');
    const del = await client('openstack', ['coe', 'cluster', 'template', 'delete', name]);
    assert.equal(del.code, 0, del.stderr);

    const viaMagnum = await client('magnum', [
      'cluster-template-create',
      '--name',
      `magnum-glance-${run}`,
      '--coe',
      'swarm',
      '--image',
      images[0] as string,
      '--external-network',
      'public',
      // magnumclient sends docker_storage_driver devicemapper by default, which Magnum ties to a volume size
      '--docker-storage-driver',
      'overlay2',
      '--server-type',
      'container',
    ]);
    assert.equal(viaMagnum.code, 0, viaMagnum.stderr);
    assert.equal(parseProperties(viaMagnum.stdout).cluster_distro, 'debian');
    assert.equal((await client('magnum', ['cluster-template-delete', `magnum-glance-${run}`])).code, 0);

    const viaMagnetar = await client(BIN, [
      'cluster-template-create',
      `magnetar-glance-${run}`,
      '--coe',
      'swarm',
      '--image',
      named('node'),
    ]);
    assert.equal(viaMagnetar.code, 0, viaMagnetar.stderr);
    assert.equal(parseProperties(viaMagnetar.stdout).cluster_distro, 'debian');
    assert.equal((await client(BIN, ['cluster-template-delete', `magnetar-glance-${run}`])).code, 0);
  });

  // The clients print Magnum's message without its final period, then the status (magnumclient 4.0.0 inside a
  // Python bytes repr: `ERROR: b'…'`).
  it("the real clients print Magnum's 400s: an image without os_distro, an image that does not exist", async () => {
    const create = (image: string): Promise<ClientRun> =>
      client('openstack', [
        'coe',
        'cluster',
        'template',
        'create',
        `osc-bad-${run}`,
        '--coe',
        'swarm',
        '--image',
        image,
        '--external-network',
        'public',
      ]);
    const noDistro = await create(named('nodistro'));
    assert.equal(noDistro.code, 1, noDistro.stdout);
    assert.match(
      noDistro.stderr,
      new RegExp(`^Image ${named('nodistro')} doesn't contain os_distro field \\(HTTP 400\\)`, 'm'),
    );
    const missing = await create(named('nosuch'));
    assert.equal(missing.code, 1, missing.stdout);
    assert.match(missing.stderr, new RegExp(`^Image ${named('nosuch')} could not be found \\(HTTP 400\\)`, 'm'));
    const viaMagnum = await client('magnum', [
      'cluster-template-create',
      '--name',
      `magnum-bad-${run}`,
      '--coe',
      'swarm',
      '--image',
      named('nosuch'),
      '--external-network',
      'public',
      '--docker-storage-driver',
      'overlay2',
    ]);
    assert.equal(viaMagnum.code, 1, viaMagnum.stdout);
    assert.match(viaMagnum.stderr, new RegExp(`^ERROR: b'Image ${named('nosuch')} could not be found \\(HTTP 400\\)`));
    const list = await client('openstack', ['coe', 'cluster', 'template', 'list', '-f', 'value', '-c', 'name']);
    assert.equal(list.code, 0, list.stderr);
    assert.doesNotMatch(list.stdout, /osc-bad|magnum-bad/, 'nothing half-written');
  });

  it('quota create: 404 for a project Keystone does not know, 201 for one it knows', async () => {
    const unknown = `no-such-project-${run}`;
    const r = await send(admin.token, 'POST', '/v1/quotas', {
      project_id: unknown,
      resource: 'Cluster',
      hard_limit: 3,
    });
    assert.equal(r.status, 404, JSON.stringify(r.body));
    assert.equal(detail(r), `The project_id ${unknown} could not be found.`);
    const projectB = (await tokenOf(a, 'b-member')).info.project?.id as string;
    const ok = await send(admin.token, 'POST', '/v1/quotas', {
      project_id: projectB,
      resource: 'Cluster',
      hard_limit: 3,
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal((await send(admin.token, 'DELETE', `/v1/quotas/${projectB}/Cluster`)).status, 204);
  });

  it('refuses to start, in one line, when the trustee domain admin cannot authenticate', async () => {
    const state = join(dir, 'bad-trustee');
    const env = { ...process.env, ...keystoneEnv(a, trustEnv('not-the-password')) };
    const r = await new Promise<{ code: unknown; stderr: string }>((resolve) => {
      execFile(BIN, ['api', '--state-dir', state, '--port', '0'], { env, timeout: 60_000 }, (err, _out, stderr) =>
        resolve({ code: err ? (err as { code?: unknown }).code : 0, stderr }),
      );
    });
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? '', /^magnetar: trust: the trustee domain admin cannot authenticate \(keystone POST/);
    assert.match(lines[0] ?? '', /fix trust\.trustee_domain_admin_\* and trust\.trustee_domain_\*$/);
  });
});
