/** @module test/unit/cli/cluster-config — `cluster-config` against a canned API that signs with src/certs. */

import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parse } from 'yaml';
import { certInfo, createCa, signCsr } from '../../../src/certs/x509.ts';
import type { KeyPairPem } from '../../../src/certs/x509.ts';
import { magnumError, runCli, startFakeMagnum } from './fake-magnum.ts';
import type { FakeMagnum } from './fake-magnum.ts';

const CT_UUID = '0a3c8b6e-5f1d-4f8e-9a55-1d6c2f0b7e11';
const CL_UUID = '5d12f6fd-a196-4bf0-ae4c-1f639a523a52';

interface Scenario {
  coe: string;
  tlsDisabled: boolean;
  apiAddress: string | null;
}

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

void describe('cluster-config', () => {
  let server: FakeMagnum;
  let ca: KeyPairPem;
  let scenario: Scenario;
  let dir: string;

  before(async () => {
    ca = await createCa({ commonName: 'k1' });
    server = await startFakeMagnum(async (req) => {
      if (req.method === 'GET' && (req.path === '/v1/clusters/k1' || req.path === `/v1/clusters/${CL_UUID}`)) {
        return {
          status: 200,
          body: {
            uuid: CL_UUID,
            name: 'k1',
            cluster_template_id: CT_UUID,
            status: scenario.apiAddress ? 'CREATE_COMPLETE' : 'CREATE_IN_PROGRESS',
            api_address: scenario.apiAddress,
          },
        };
      }
      if (req.method === 'GET' && req.path === `/v1/clustertemplates/${CT_UUID}`) {
        return {
          status: 200,
          body: { uuid: CT_UUID, name: 'ct', coe: scenario.coe, tls_disabled: scenario.tlsDisabled },
        };
      }
      if (req.method === 'GET' && req.path === `/v1/certificates/${CL_UUID}`) {
        return { status: 200, body: { cluster_uuid: CL_UUID, bay_uuid: CL_UUID, pem: ca.certPem, links: [] } };
      }
      if (req.method === 'POST' && req.path === '/v1/certificates') {
        const { cluster_uuid, csr } = req.body as { cluster_uuid: string; csr: string };
        return {
          status: 201,
          body: { cluster_uuid, bay_uuid: cluster_uuid, csr, pem: await signCsr(ca, csr), links: [] },
        };
      }
      return magnumError(404, 'Not found.');
    });
  });
  after(() => server.close());

  beforeEach(async () => {
    server.requests.length = 0;
    dir = await mkdtemp(join(tmpdir(), 'magnetar-cli-config-'));
    scenario = { coe: 'kubernetes', tlsDisabled: false, apiAddress: 'https://10.0.0.5:6443' };
  });

  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });

  void it('writes ca.pem, cert.pem, key.pem (0600) and a kubeconfig for a TLS Kubernetes cluster', async () => {
    try {
      const run = await runCli(server.url, ['cluster-config', 'k1', '--dir', dir], { SHELL: '/bin/bash' });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, `export KUBECONFIG=${dir}/config\n`);

      const caPem = await readFile(join(dir, 'ca.pem'), 'utf8');
      const certPem = await readFile(join(dir, 'cert.pem'), 'utf8');
      const keyPem = await readFile(join(dir, 'key.pem'), 'utf8');
      assert.equal(caPem.trim(), ca.certPem.trim());
      assert.equal(certInfo(certPem).subject, 'CN=admin, O=system:masters');
      assert.ok(new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem)), 'cert.pem matches key.pem');
      assert.ok(
        new X509Certificate(certPem).verify(new X509Certificate(caPem).publicKey),
        'cert.pem is signed by ca.pem',
      );
      assert.equal(await mode(join(dir, 'key.pem')), 0o600);
      assert.equal(await mode(join(dir, 'config')), 0o600);

      const kubeconfig = parse(await readFile(join(dir, 'config'), 'utf8')) as Record<string, unknown>;
      const b64 = (text: string): string => Buffer.from(text).toString('base64');
      assert.deepEqual(kubeconfig, {
        apiVersion: 'v1',
        clusters: [
          { cluster: { 'certificate-authority-data': b64(caPem), server: 'https://10.0.0.5:6443' }, name: 'k1' },
        ],
        contexts: [{ context: { cluster: 'k1', user: 'admin' }, name: 'default' }],
        'current-context': 'default',
        kind: 'Config',
        preferences: {},
        users: [{ name: 'admin', user: { 'client-certificate-data': b64(certPem), 'client-key-data': b64(keyPem) } }],
      });
    } finally {
      await cleanup();
    }
  });

  void it('refuses to overwrite existing files without --force and replaces them with it', async () => {
    try {
      await writeFile(join(dir, 'key.pem'), 'old key\n', { mode: 0o644 });
      const refused = await runCli(server.url, ['cluster-config', 'k1', '--dir', dir]);
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr, `ERROR: File ${join(dir, 'key.pem')} exists, aborting.\n`);
      assert.equal(await readFile(join(dir, 'key.pem'), 'utf8'), 'old key\n');
      assert.equal(server.requests.filter((r) => r.path === '/v1/certificates').length, 0, 'nothing was signed');

      const forced = await runCli(server.url, ['cluster-config', 'k1', '--dir', dir, '--force']);
      assert.equal(forced.code, 0, forced.stderr);
      assert.match(await readFile(join(dir, 'key.pem'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
      assert.equal(await mode(join(dir, 'key.pem')), 0o600);
    } finally {
      await cleanup();
    }
  });

  void it('prints DOCKER_* variables for swarm-mode, in csh syntax when SHELL is a csh', async () => {
    scenario = { coe: 'swarm-mode', tlsDisabled: false, apiAddress: 'tcp://10.0.0.5:2375' };
    try {
      const run = await runCli(server.url, ['cluster-config', CL_UUID, '--dir', dir], { SHELL: '/bin/tcsh' });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(
        run.stdout,
        `setenv DOCKER_HOST tcp://10.0.0.5:2375\nsetenv DOCKER_CERT_PATH ${dir}\nsetenv DOCKER_TLS_VERIFY 1\n`,
      );
      for (const file of ['ca.pem', 'cert.pem', 'key.pem']) await stat(join(dir, file));
    } finally {
      await cleanup();
    }
  });

  void it('writes no certificates and leaves DOCKER_TLS_VERIFY empty when TLS is disabled', async () => {
    scenario = { coe: 'swarm', tlsDisabled: true, apiAddress: 'tcp://10.0.0.5:2376' };
    try {
      const run = await runCli(server.url, ['cluster-config', 'k1', '--dir', dir], { SHELL: '/bin/sh' });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(
        run.stdout,
        `export DOCKER_HOST=tcp://10.0.0.5:2376\nexport DOCKER_CERT_PATH=${dir}\nexport DOCKER_TLS_VERIFY=\n`,
      );
      await assert.rejects(stat(join(dir, 'key.pem')), { code: 'ENOENT' });
    } finally {
      await cleanup();
    }
  });

  void it('reports a cluster without API address', async () => {
    scenario = { coe: 'kubernetes', tlsDisabled: false, apiAddress: null };
    try {
      const run = await runCli(server.url, ['cluster-config', 'k1', '--dir', dir]);
      assert.equal(run.code, 1);
      assert.equal(run.stderr, 'ERROR: cluster has no API address yet (status CREATE_IN_PROGRESS)\n');
    } finally {
      await cleanup();
    }
  });
});
