/**
 * The `magnetar` CLI (real `bin/magnetar` processes) against `magnetar api` in `auth.mode: keystone` and the real
 * Keystone of scripts/ensure-system.sh, with only the standard OS_* variables: password auth through the catalog
 * (a container-infra service and endpoint this suite registers in a region of its own, removed at the end), a member
 * lists, creates and deletes a template, a reader is refused with 403, a wrong password names Keystone's 401, a catalog
 * without container-infra says how to register it, MAGNETAR_URL skips the catalog, application-credential auth, and
 * OS_CACERT trusting the CA of a TLS front of Keystone, one process re-authenticating once when the service answers 401 to its revoked token. The service runs with secure
 * RBAC (policy.enforce_new_defaults and enforce_scope), where a reader may read but not create.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../../../src/cli/api-client.ts';
import { CliKeystoneAuth, osAuthSettings } from '../../../src/cli/os-auth.ts';
import { createCa, issueServerCert } from '../../../src/certs/x509.ts';
import { osRequest } from '../../../src/openstack/http.ts';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { buildNodeImage } from '../../../src/providers/docker/image-build.ts';
import { keystoneAccounts, keystoneCall, keystoneEnv, tokenOf, type Accounts } from '../../helpers/keystone.ts';
import { parseProperties, parseTable } from '../../helpers/real-clients.ts';
import { BIN, REPO, startApi, type ServeProcess } from '../../helpers/service-process.ts';

const { accounts, skip } = keystoneAccounts();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('magnetar CLI with Keystone auth (OS_* variables, catalog) against a keystone-mode service', { skip }, () => {
  const a = accounts as Accounts;
  const region = `magnetar-cli-${process.pid}-${Date.now().toString(36)}`;
  const run = randomBytes(3).toString('hex');
  let svc: ServeProcess;
  let dir: string;
  let admin: string;
  let serviceId = '';
  let appCred: { userId: string; id: string; secret: string } | null = null;

  /** OS_* of `user` of Default on `project`, in this suite's region. */
  const osEnv = (user: string, project: string, extra: Record<string, string> = {}): Record<string, string> => ({
    OS_AUTH_URL: a.authUrl,
    OS_USERNAME: user,
    OS_PASSWORD: a.demoPassword,
    OS_PROJECT_NAME: project,
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_REGION_NAME: region,
    OS_INTERFACE: 'public',
    ...extra,
  });

  /** Runs bin/magnetar with only `env` (plus PATH and HOME): no endpoint or token given. */
  async function magnetar(env: Record<string, string>, args: string[]): Promise<Run> {
    try {
      const { stdout, stderr } = await promisify(execFile)(BIN, args, {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        timeout: 120_000,
      });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string; message: string };
      return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  }
  const ok = async (env: Record<string, string>, args: string[]): Promise<string> => {
    const r = await magnetar(env, args);
    assert.equal(r.code, 0, `magnetar ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const member = osEnv('a-member', 'magnetar-a');
  const templateNames = async (env: Record<string, string>): Promise<string[]> =>
    parseTable(await ok(env, ['cluster-template-list'])).map((r) => r.name ?? '');

  before(async () => {
    const host = new Engine({ socketPath: '/var/run/docker.sock' });
    try {
      await buildNodeImage(host, {
        repo: 'magnetar/node',
        tag: 'bookworm',
        scriptsDir: join(REPO, 'scripts'),
        ifMissing: true,
      });
    } finally {
      host.close();
    }
    dir = await mkdtemp(join(tmpdir(), 'magnetar-ks-cli-'));
    // Secure RBAC (the reader persona reads only); every request validated (no token cache): a revoked token is
    // refused at once.
    svc = await startApi(join(dir, 'state'), {
      env: keystoneEnv(a, {
        MAGNETAR_KEYSTONE_TOKEN_CACHE_SECONDS: '0',
        MAGNETAR_POLICY_ENFORCE_NEW_DEFAULTS: 'true',
        MAGNETAR_POLICY_ENFORCE_SCOPE: 'true',
      }),
    });
    admin = (await tokenOf(a, 'admin')).token;
    await keystoneCall(a, admin, 'POST', '/regions', { region: { id: region } });
    const s = await keystoneCall(a, admin, 'POST', '/services', {
      service: { name: 'magnum', type: 'container-infra', description: `Magnetar CLI test (${region})` },
    });
    serviceId = (s.service as { id: string }).id;
    await keystoneCall(a, admin, 'POST', '/endpoints', {
      endpoint: { service_id: serviceId, interface: 'public', region_id: region, url: `${svc.url}/v1` },
    });
  });

  after(async () => {
    await svc?.stop();
    if (serviceId) await keystoneCall(a, admin, 'DELETE', `/services/${serviceId}`).catch(() => undefined);
    if (admin) await keystoneCall(a, admin, 'DELETE', `/regions/${region}`).catch(() => undefined);
    if (appCred)
      await keystoneCall(a, admin, 'DELETE', `/users/${appCred.userId}/application_credentials/${appCred.id}`).catch(
        () => undefined,
      );
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a member lists, creates, shows and deletes a template through the catalog with a password', async () => {
    assert.deepEqual(await templateNames(member), []);
    const name = `cli-ks-${run}`;
    const created = parseProperties(
      await ok(member, ['cluster-template-create', name, '--coe', 'swarm', '--image', 'magnetar/node:bookworm']),
    );
    assert.equal(created.name, name);
    const projectA = (await tokenOf(a, 'a-member')).info.project?.id;
    assert.equal(created.project_id, projectA, 'the template belongs to the project of the token');
    assert.deepEqual(await templateNames(member), [name]);
    assert.equal(parseProperties(await ok(member, ['cluster-template-show', name])).uuid, created.uuid);
    assert.match(
      await ok(member, ['cluster-template-delete', name]),
      new RegExp(`Request to delete cluster template ${name} has been accepted`),
    );
    assert.deepEqual(await templateNames(member), []);
  });

  it('a reader of the project lists but is refused a create with 403, and nothing is written', async () => {
    const reader = osEnv('a-reader', 'magnetar-a');
    assert.deepEqual(await templateNames(reader), []);
    const r = await magnetar(reader, [
      'cluster-template-create',
      `cli-reader-${run}`,
      '--coe',
      'swarm',
      '--image',
      'magnetar/node:bookworm',
    ]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /^ERROR: Policy doesn't allow clustertemplate:create to be performed\. \(HTTP 403\)/);
    assert.deepEqual(await templateNames(member), []);
  });

  it("a wrong password: the error names Keystone's 401", async () => {
    const r = await magnetar({ ...member, OS_PASSWORD: 'not-the-password' }, ['cluster-template-list']);
    assert.equal(r.code, 1, r.stdout);
    assert.equal(
      r.stderr.trim(),
      `ERROR: Keystone at ${a.authUrl} refused user a-member (keystone POST /v3/auth/tokens: 401 The request you ` +
        'have made requires authentication.): check the credentials',
    );
  });

  it('a catalog without container-infra in the region says how to register it; MAGNETAR_URL skips the catalog', async () => {
    const elsewhere = { ...member, OS_REGION_NAME: `no-such-region-${run}` };
    const r = await magnetar(elsewhere, ['cluster-template-list']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /publicURL endpoint for container-infra service in no-such-region-\w+ region not found/);
    assert.match(r.stderr, /openstack service create --name magnum container-infra/);
    assert.match(r.stderr, /openstack endpoint create --region no-such-region-\w+ container-infra public/);
    assert.match(r.stderr, /--magnetar-url \/ MAGNETAR_URL/);
    assert.deepEqual(await templateNames({ ...elsewhere, MAGNETAR_URL: svc.url }), []);
    assert.equal((await magnetar(elsewhere, ['--magnetar-url', svc.url, 'cluster-template-list'])).code, 0);
  });

  it('the --os-* options stand for the variables', async () => {
    const out = await ok({}, [
      '--os-auth-url',
      a.authUrl,
      '--os-username',
      'a-member',
      '--os-password',
      a.demoPassword,
      '--os-project-name',
      'magnetar-a',
      '--os-user-domain-name',
      'Default',
      '--os-project-domain-name',
      'Default',
      '--os-region-name',
      region,
      '--os-interface',
      'public',
      'cluster-template-list',
    ]);
    assert.deepEqual(parseTable(out), []);
  });

  it('application-credential auth (OS_APPLICATION_CREDENTIAL_ID/SECRET) acts in the credential project', async () => {
    const own = await tokenOf(a, 'a-member');
    const userId = own.info.userId;
    const secret = randomBytes(18).toString('base64url');
    const created = await osRequest({
      service: 'keystone',
      method: 'POST',
      url: `${a.authUrl}/users/${userId}/application_credentials`,
      headers: { 'x-auth-token': own.token },
      body: { application_credential: { name: `magnetar-cli-${run}`, secret } },
      timeoutMs: 30_000,
    });
    const id = (created.body as { application_credential: { id: string } }).application_credential.id;
    appCred = { userId, id, secret };
    const env = {
      OS_AUTH_URL: a.authUrl,
      OS_AUTH_TYPE: 'v3applicationcredential',
      OS_APPLICATION_CREDENTIAL_ID: id,
      OS_APPLICATION_CREDENTIAL_SECRET: secret,
      OS_REGION_NAME: region,
    };
    const name = `cli-ac-${run}`;
    const shown = parseProperties(
      await ok(env, ['cluster-template-create', name, '--coe', 'swarm', '--image', 'magnetar/node:bookworm']),
    );
    assert.equal(shown.project_id, own.info.project?.id);
    assert.deepEqual(await templateNames(member), [name]);
    await ok(env, ['cluster-template-delete', name]);
    const bad = await magnetar({ ...env, OS_APPLICATION_CREDENTIAL_SECRET: 'wrong' }, ['cluster-template-list']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, new RegExp(`refused application credential ${id} \\(keystone POST /v3/auth/tokens: 401`));
  });

  it('OS_CACERT: Keystone behind TLS with a private CA is trusted with it, refused without', async () => {
    // A TLS front of the real Keystone on loopback, its certificate from a CA of this test.
    const ca = await createCa({ commonName: `magnetar-cli-test-ca-${run}` });
    const cert = await issueServerCert(ca, { commonName: '127.0.0.1', dnsNames: [], ipAddresses: ['127.0.0.1'] });
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, ca.certPem);
    const keystone = new URL(a.authUrl);
    const front: Server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers))
          if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
        fetch(`${keystone.origin}${req.url ?? '/'}`, {
          method: req.method ?? 'GET',
          headers,
          ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
        }).then(
          async (up) => {
            const out: Record<string, string> = {};
            for (const k of ['content-type', 'x-subject-token', 'www-authenticate']) {
              const v = up.headers.get(k);
              if (v !== null) out[k] = v;
            }
            res.writeHead(up.status, out).end(Buffer.from(await up.arrayBuffer()));
          },
          (e: unknown) => res.writeHead(502).end(String(e)),
        );
      });
    });
    front.listen(0, '127.0.0.1');
    await once(front, 'listening');
    try {
      const authUrl = `https://127.0.0.1:${(front.address() as AddressInfo).port}${keystone.pathname}`;
      const env = { ...member, OS_AUTH_URL: authUrl, MAGNETAR_URL: svc.url };
      assert.deepEqual(await templateNames({ ...env, OS_CACERT: caFile }), []);
      const untrusted = await magnetar(env, ['cluster-template-list']);
      assert.equal(untrusted.code, 1, untrusted.stdout);
      assert.match(
        untrusted.stderr,
        new RegExp(`^ERROR: cannot authenticate user a-member at ${authUrl}: keystone POST`),
      );
      const noFile = await magnetar({ ...env, OS_CACERT: join(dir, 'missing.pem') }, ['cluster-template-list']);
      assert.equal(noFile.code, 1);
      assert.match(noFile.stderr, /^ERROR: cannot read the CA bundle \(--os-cacert \/ OS_CACERT\) .*missing\.pem/);
    } finally {
      front.close();
      front.closeAllConnections();
    }
  });

  it('one process keeps its token, and authenticates once more when the service answers 401 (revoked)', async () => {
    const settings = osAuthSettings({}, member, process.cwd(), undefined);
    assert.ok(settings);
    const auth = new CliKeystoneAuth(settings);
    const client = new ApiClient({ endpoint: () => auth.endpoint(), tokens: auth });
    assert.deepEqual(await client.listClusterTemplates(), []);
    const first = await auth.token();
    assert.deepEqual(await client.listClusterTemplates(), []);
    assert.equal(await auth.token(), first, 'the token is reused for the process');
    assert.equal(client.endpoint, svc.url, 'the endpoint came from the catalog');
    await osRequest({
      service: 'keystone',
      method: 'DELETE',
      url: `${a.authUrl}/auth/tokens`,
      headers: { 'x-auth-token': admin, 'x-subject-token': first },
      timeoutMs: 30_000,
      expect: [204],
    });
    const refused = await fetch(`${svc.url}/v1/clustertemplates`, { headers: { 'x-auth-token': first } });
    assert.equal(refused.status, 401, 'the service refuses the revoked token');
    assert.deepEqual(await client.listClusterTemplates(), []);
    assert.notEqual(await auth.token(), first, 'a new token after the 401');
  });
});
