/**
 * The REAL clients with password auth through Keystone's catalog, against `magnetar serve` in `auth.mode: keystone`:
 * `openstack coe cluster template create/list`, `coe cluster create/list/show/config/delete` and `magnum` — only
 * OS_* variables (user, password, project, region), no token or endpoint override. Keystone's catalog is shared by
 * every test run on the machine: this suite registers its own container-infra service with one endpoint in a region of
 * its own, and removes them at the end. Clusters run on the local Docker provider (real node containers).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { buildNodeImage } from '../../../src/providers/docker/image-build.ts';
import { CLUSTER_LABEL } from '../../../src/providers/contract.ts';
import { engineFromConfig } from '../../helpers/cluster-engine.ts';
import {
  keystoneAccounts,
  keystoneCall,
  keystoneEnv,
  memberClient,
  tokenOf,
  type Accounts,
} from '../../helpers/keystone.ts';
import { parseProperties, parseTable } from '../../helpers/real-clients.ts';
import { REPO, startServe, type ServeProcess } from '../../helpers/service-process.ts';

const { accounts, skip } = keystoneAccounts();

describe('real clients with password auth through the Keystone catalog', { skip }, () => {
  const a = accounts as Accounts;
  const region = `magnetar-test-${process.pid}-${Date.now().toString(36)}`;
  const host = new Engine({ socketPath: '/var/run/docker.sock' });
  let svc: ServeProcess;
  let dir: string;
  let admin: string;
  let serviceId = '';
  let projectA = '';
  let clusterUuid = '';

  const ok = async (bin: string, args: string[]): Promise<string> => {
    const r = await memberClient(a, region, bin, args);
    assert.equal(r.code, 0, `${bin} ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const coe = (args: string[]): Promise<string> => ok('openstack', ['coe', ...args]);

  /** Polls `openstack coe cluster show` until the status is `want` (or the cluster is gone, for want = null). */
  async function waitStatus(name: string, want: string | null): Promise<Record<string, string>> {
    const deadline = Date.now() + 300_000;
    for (;;) {
      const r = await memberClient(a, region, 'openstack', ['coe', 'cluster', 'show', name]);
      if (want === null && r.code !== 0 && /could not be found/.test(r.stderr)) return {};
      const shown = r.code === 0 ? parseProperties(r.stdout) : {};
      if (want !== null && shown.status === want) return shown;
      if (shown.status?.endsWith('FAILED')) throw new Error(`${name}: ${shown.status} ${shown.status_reason}`);
      if (Date.now() > deadline) throw new Error(`${name}: still ${shown.status ?? r.stderr} after 300 s`);
      await new Promise((res) => setTimeout(res, 2_000));
    }
  }

  before(async () => {
    await buildNodeImage(host, {
      repo: 'magnetar/node',
      tag: 'bookworm',
      scriptsDir: join(REPO, 'scripts'),
      ifMissing: true,
    });
    dir = await mkdtemp(join(tmpdir(), 'magnetar-ks-clients-'));
    svc = await startServe(join(dir, 'state'), { env: keystoneEnv(a) });
    admin = (await tokenOf(a, 'admin')).token;
    projectA = (await tokenOf(a, 'a-member')).info.project!.id;
    // The service registers nothing itself: what an operator does (docs/operator-guide.md), in a region of our own.
    await keystoneCall(a, admin, 'POST', '/regions', { region: { id: region } });
    const s = await keystoneCall(a, admin, 'POST', '/services', {
      service: { name: 'magnum', type: 'container-infra', description: `Magnetar under test (${region})` },
    });
    serviceId = (s.service as { id: string }).id;
    await keystoneCall(a, admin, 'POST', '/endpoints', {
      endpoint: { service_id: serviceId, interface: 'public', region_id: region, url: `${svc.url}/v1` },
    });
  });

  after(async () => {
    try {
      if (clusterUuid && svc) {
        await memberClient(a, region, 'openstack', ['coe', 'cluster', 'delete', clusterUuid]);
        await waitStatus(clusterUuid, null).catch(() => undefined);
      }
    } finally {
      await svc?.stop();
      // The endpoint goes with its service; then the region.
      if (serviceId) await keystoneCall(a, admin, 'DELETE', `/services/${serviceId}`).catch(() => undefined);
      if (admin) await keystoneCall(a, admin, 'DELETE', `/regions/${region}`).catch(() => undefined);
      const left = await host.listContainers([`${CLUSTER_LABEL}=${clusterUuid || 'none'}`]).catch(() => []);
      assert.equal(left.length, 0, 'no node container of the cluster is left');
      host.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });

  it('openstack coe cluster template create and list', async () => {
    const out = await coe([
      'cluster',
      'template',
      'create',
      'ks-swarm',
      '--coe',
      'swarm',
      '--image',
      'magnetar/node:bookworm',
      '--external-network',
      'public',
      '--server-type',
      'container',
      '--flavor',
      'm1.small',
    ]);
    const created = parseProperties(out);
    assert.equal(created.name, 'ks-swarm');
    const list = parseTable(await coe(['cluster', 'template', 'list']));
    assert.deepEqual(
      list.map((r) => r.name),
      ['ks-swarm'],
    );
    // The template belongs to the token's project: a member of magnetar-b does not see it.
    const other = (await tokenOf(a, 'b-member')).token;
    const res = await fetch(`${svc.url}/v1/clustertemplates`, { headers: { 'x-auth-token': other } });
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json()) as unknown, { clustertemplates: [] });
  });

  it('openstack coe cluster create, list, show and config', async () => {
    const out = await coe([
      'cluster',
      'create',
      'ks-c1',
      '--cluster-template',
      'ks-swarm',
      '--master-count',
      '1',
      '--node-count',
      '1',
    ]);
    assert.match(out, /Request to create cluster [0-9a-f-]{36} accepted/);
    const shown = await waitStatus('ks-c1', 'CREATE_COMPLETE');
    clusterUuid = shown.uuid ?? '';
    assert.equal(shown.project_id, projectA);
    const list = parseTable(await coe(['cluster', 'list']));
    assert.deepEqual(
      list.map((r) => `${r.name} ${r.status}`),
      ['ks-c1 CREATE_COMPLETE'],
    );

    const certs = join(dir, 'certs');
    await mkdir(certs);
    const config = await coe(['cluster', 'config', 'ks-c1', '--dir', certs, '--output-certs']);
    assert.match(config, new RegExp(`DOCKER_CERT_PATH=${certs}`));
    const engine = await engineFromConfig(config);
    try {
      const nodes = await engine.listNodes();
      assert.equal(nodes.length, 2);
    } finally {
      engine.close();
    }
  });

  it('magnum (python-magnumclient) with OS_* variables lists and shows the same', async () => {
    const list = parseTable(await ok('magnum', ['cluster-list']));
    assert.deepEqual(
      list.map((r) => r.name),
      ['ks-c1'],
    );
    const shown = parseProperties(await ok('magnum', ['cluster-show', 'ks-c1']));
    assert.equal(shown.uuid, clusterUuid);
    assert.deepEqual(
      parseTable(await ok('magnum', ['cluster-template-list'])).map((r) => r.name),
      ['ks-swarm'],
    );
  });

  it('a wrong password is refused by Keystone before any request reaches the service', async () => {
    const r = await promisify(execFile)('openstack', ['coe', 'cluster', 'list'], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PYTHONWARNINGS: 'ignore',
        OS_AUTH_URL: a.authUrl,
        OS_IDENTITY_API_VERSION: '3',
        OS_USERNAME: 'a-member',
        OS_PASSWORD: 'wrong',
        OS_PROJECT_NAME: 'magnetar-a',
        OS_USER_DOMAIN_NAME: 'Default',
        OS_PROJECT_DOMAIN_NAME: 'Default',
        OS_REGION_NAME: region,
      },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code?: number; stderr?: string }) => ({ code: e.code ?? 1, stderr: e.stderr ?? '' }),
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /authenticate|401/i);
  });

  it('openstack coe cluster delete removes it and its nodes', async () => {
    assert.match(await coe(['cluster', 'delete', 'ks-c1']), /Request to delete cluster ks-c1 has been accepted/);
    await waitStatus('ks-c1', null);
    assert.equal((await host.listContainers([`${CLUSTER_LABEL}=${clusterUuid}`])).length, 0);
    clusterUuid = '';
  });
});
