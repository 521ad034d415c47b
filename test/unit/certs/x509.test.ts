/** @module test/unit/certs/x509 — CA creation, certificate issuance and ca-sign, checked with Node and openssl. */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CertificateValidationError, InvalidCsrError } from '../../../src/certs/errors.ts';
import {
  certInfo,
  createCa,
  generateKeyAndCsr,
  issueClientCert,
  issueServerCert,
  signCsr,
} from '../../../src/certs/x509.ts';
import type { KeyPairPem } from '../../../src/certs/x509.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

let dir: string;
let fileCounter = 0;

function tempFile(name: string, content: string): string {
  const path = join(dir, `${fileCounter++}-${name}`);
  writeFileSync(path, content);
  return path;
}

function openssl(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs `openssl verify -CAfile ca.pem [-purpose p] cert.pem` and returns whether it succeeded. */
function opensslVerifies(caPem: string, certPem: string, purpose?: 'sslserver' | 'sslclient'): boolean {
  const args = ['verify', '-CAfile', tempFile('ca.pem', caPem)];
  if (purpose) args.push('-purpose', purpose);
  args.push(tempFile('cert.pem', `${certPem}\n`));
  return openssl(args).status === 0;
}

/** `openssl x509 -noout -text` output for a certificate. */
function opensslText(certPem: string): string {
  const result = openssl(['x509', '-noout', '-text', '-in', tempFile('text.pem', `${certPem}\n`)]);
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

/** Generates a key and CSR with `openssl req`; `extraArgs` typically holds `-addext` options. */
function opensslCsr(opts: { key: string; subject: string; extraArgs?: string[] }): { csrPem: string; keyPem: string } {
  const keyPath = join(dir, `${fileCounter++}-key.pem`);
  const csrPath = join(dir, `${fileCounter++}-csr.pem`);
  const result = openssl([
    'req',
    '-new',
    '-newkey',
    opts.key,
    ...(opts.key === 'ec' ? ['-pkeyopt', 'ec_paramgen_curve:P-256'] : []),
    '-nodes',
    '-subj',
    opts.subject,
    '-keyout',
    keyPath,
    '-out',
    csrPath,
    ...(opts.extraArgs ?? []),
  ]);
  assert.equal(result.status, 0, result.stderr);
  return { csrPem: readFileSync(csrPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
}

function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function derToPem(der: Buffer, label: string): string {
  return `-----BEGIN ${label}-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)
    ?.join('\n')}\n-----END ${label}-----\n`;
}

function assertAround(actual: Date, expectedMs: number, toleranceMs = 60_000): void {
  assert.ok(Math.abs(actual.getTime() - expectedMs) < toleranceMs, `${actual.toISOString()} is not near expected`);
}

void describe('x509', () => {
  let ca: KeyPairPem;
  let caCert: X509Certificate;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'magnetar-certs-'));
    ca = await createCa({ commonName: 'my-cluster' });
    caCert = new X509Certificate(ca.certPem);
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  void describe('createCa', () => {
    void test('creates a self-signed P-256 CA whose PKCS#8 key matches the certificate', () => {
      assert.equal(caCert.subject, 'CN=my-cluster');
      assert.equal(caCert.issuer, 'CN=my-cluster');
      assert.equal(caCert.ca, true);
      assert.ok(caCert.verify(caCert.publicKey));
      assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      const key = createPrivateKey(ca.keyPem);
      assert.equal(key.asymmetricKeyType, 'ec');
      assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      assert.deepEqual(spki(createPublicKey(key)), spki(caCert.publicKey));
      assert.ok(opensslVerifies(ca.certPem, ca.certPem));
    });

    void test('marks BasicConstraints and KeyUsage critical, adds a subject key identifier and signs with SHA-256', () => {
      const text = opensslText(ca.certPem);
      assert.match(text, /X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
      assert.match(text, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
      assert.match(text, /X509v3 Subject Key Identifier:/);
      assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    });

    void test('uses a positive random serial of at most 16 bytes and a validity from yesterday for 1825 days', async () => {
      const other = await createCa({ commonName: 'my-cluster' });
      const serial = caCert.serialNumber;
      assert.ok(serial.length >= 16 && serial.length <= 32, serial);
      assert.match(opensslText(ca.certPem), /Serial Number:\s+(?!\(Negative\))[0-9a-f]{2}(:[0-9a-f]{2}){6,15}\n/);
      assert.notEqual(new X509Certificate(other.certPem).serialNumber, serial);
      assertAround(caCert.validFromDate, Date.now() - DAY_MS);
      assertAround(caCert.validToDate, Date.now() + 1825 * DAY_MS);
    });

    void test('honours a custom validity in days', async () => {
      const short = new X509Certificate((await createCa({ commonName: 'short', validityDays: 30 })).certPem);
      assertAround(short.validToDate, Date.now() + 30 * DAY_MS);
    });
  });

  void describe('issueServerCert', () => {
    let server: KeyPairPem;
    let cert: X509Certificate;

    before(async () => {
      server = await issueServerCert(ca, {
        commonName: 'kube-apiserver',
        dnsNames: ['kubernetes', 'kubernetes.default.svc'],
        ipAddresses: ['10.254.0.1', '172.24.4.10', 'fd00::1'],
      });
      cert = new X509Certificate(server.certPem);
    });

    void test('chains to the CA for both server and client use', () => {
      assert.ok(cert.checkIssued(caCert));
      assert.ok(cert.verify(caCert.publicKey));
      assert.equal(cert.issuer, caCert.subject);
      assert.ok(opensslVerifies(ca.certPem, server.certPem, 'sslserver'));
      assert.ok(opensslVerifies(ca.certPem, server.certPem, 'sslclient'));
    });

    void test('carries the requested DNS and IP SANs', () => {
      assert.equal(cert.checkHost('kubernetes'), 'kubernetes');
      assert.equal(cert.checkHost('kubernetes.default.svc'), 'kubernetes.default.svc');
      assert.equal(cert.checkIP('10.254.0.1'), '10.254.0.1');
      assert.equal(cert.checkIP('172.24.4.10'), '172.24.4.10');
      assert.equal(cert.checkIP('fd00::1'), 'fd00::1');
      assert.equal(cert.checkHost('example.com'), undefined);
      assert.deepEqual(certInfo(server.certPem).sans, [
        'DNS:kubernetes',
        'DNS:kubernetes.default.svc',
        'IP:10.254.0.1',
        'IP:172.24.4.10',
        'IP:fd00::1',
      ]);
    });

    void test('has EKU serverAuth and clientAuth, critical key usage, CA=false and an authority key identifier', () => {
      assert.deepEqual([...(cert.keyUsage ?? [])].sort(), [EKU_SERVER_AUTH, EKU_CLIENT_AUTH]);
      assert.equal(cert.ca, false);
      const text = opensslText(server.certPem);
      assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
      assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
      const caKeyId = /X509v3 Subject Key Identifier:\s+([0-9A-F:]+)/.exec(opensslText(ca.certPem))?.[1];
      assert.ok(caKeyId);
      assert.match(text, new RegExp(`X509v3 Authority Key Identifier:\\s+(keyid:)?${caKeyId}`));
    });

    void test('returns a P-256 key matching the certificate', () => {
      const key = createPrivateKey(server.keyPem);
      assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      assert.deepEqual(spki(createPublicKey(key)), spki(cert.publicKey));
    });

    void test('rejects an IP SAN that is not an IP address', async () => {
      await assert.rejects(
        issueServerCert(ca, { commonName: 'x', dnsNames: [], ipAddresses: ['not-an-ip'] }),
        /Invalid IP address/,
      );
    });
  });

  void describe('issueClientCert', () => {
    void test('issues a clientAuth-only certificate with CN and O that chains to the CA', async () => {
      const client = await issueClientCert(ca, { commonName: 'admin', organization: 'system:masters' });
      const cert = new X509Certificate(client.certPem);
      assert.equal(cert.subject, 'CN=admin\nO=system:masters');
      assert.ok(cert.checkIssued(caCert));
      assert.ok(cert.verify(caCert.publicKey));
      assert.deepEqual(cert.keyUsage, [EKU_CLIENT_AUTH]);
      assert.equal(cert.ca, false);
      assert.ok(opensslVerifies(ca.certPem, client.certPem, 'sslclient'));
      assert.equal(opensslVerifies(ca.certPem, client.certPem, 'sslserver'), false);
      assert.deepEqual(spki(createPublicKey(createPrivateKey(client.keyPem))), spki(cert.publicKey));
    });
  });

  void describe('signCsr', () => {
    void test('signs an RSA-2048 CSR made by openssl like python-magnumclient does', async () => {
      const { csrPem, keyPem } = opensslCsr({ key: 'rsa:2048', subject: '/CN=admin/O=system:masters' });
      const pem = await signCsr(ca, csrPem);
      assert.equal(pem, pem.trimEnd());
      assert.match(pem, /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----$/);
      const cert = new X509Certificate(pem);
      assert.equal(cert.subject, 'CN=admin\nO=system:masters');
      assert.equal(cert.issuer, 'CN=my-cluster');
      assert.deepEqual(spki(cert.publicKey), spki(createPublicKey(keyPem)));
      assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
      assert.deepEqual(cert.keyUsage, [EKU_CLIENT_AUTH]);
      assert.ok(cert.verify(caCert.publicKey));
      assert.ok(opensslVerifies(ca.certPem, pem, 'sslclient'));
      assertAround(cert.validToDate, Date.now() + 1825 * DAY_MS);
    });

    void test('signs an RSA-4096 node CSR and copies its SANs and key usages', async () => {
      const { csrPem } = opensslCsr({
        key: 'rsa:4096',
        subject: '/CN=kube-minion-0',
        extraArgs: [
          '-addext',
          'subjectAltName=DNS:kube-minion-0,IP:10.0.0.5',
          '-addext',
          'keyUsage=critical,digitalSignature,keyEncipherment',
          '-addext',
          'extendedKeyUsage=serverAuth,clientAuth',
        ],
      });
      const pem = await signCsr(ca, csrPem);
      const cert = new X509Certificate(pem);
      assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 4096);
      assert.equal(cert.checkIP('10.0.0.5'), '10.0.0.5');
      assert.equal(cert.checkHost('kube-minion-0'), 'kube-minion-0');
      assert.deepEqual([...(cert.keyUsage ?? [])].sort(), [EKU_SERVER_AUTH, EKU_CLIENT_AUTH]);
      assert.match(opensslText(pem), /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
      assert.ok(opensslVerifies(ca.certPem, pem, 'sslserver'));
    });

    void test("signs generateKeyAndCsr's CSR so that the returned key matches the certificate", async () => {
      const { keyPem, csrPem } = await generateKeyAndCsr({ commonName: 'admin', organization: 'system:masters' });
      assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      const csrCheck = openssl(['req', '-noout', '-verify', '-text', '-in', tempFile('gen-csr.pem', csrPem)]);
      assert.equal(csrCheck.status, 0, csrCheck.stderr);
      assert.match(csrCheck.stdout, /Subject: CN = admin, O = system:masters/);
      assert.match(csrCheck.stdout, /TLS Web Client Authentication/);
      const pem = await signCsr(ca, csrPem);
      const cert = new X509Certificate(pem);
      assert.deepEqual(spki(cert.publicKey), spki(createPublicKey(createPrivateKey(keyPem))));
      assert.deepEqual(cert.keyUsage, [EKU_CLIENT_AUTH]);
      assert.ok(opensslVerifies(ca.certPem, pem, 'sslclient'));
    });

    void test('honours a custom validity in days', async () => {
      const { csrPem } = await generateKeyAndCsr({ commonName: 'short-lived' });
      const cert = new X509Certificate(await signCsr(ca, csrPem, { validityDays: 7 }));
      assertAround(cert.validToDate, Date.now() + 7 * DAY_MS);
    });

    void test('rejects garbage, a bad PEM and a PEM that is not DER with InvalidCsrError', async () => {
      const inputs = [
        'not a csr at all',
        '',
        '-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n',
        derToPem(Buffer.from('this is not DER at all, definitely'), 'CERTIFICATE REQUEST'),
        ca.certPem,
      ];
      for (const input of inputs) {
        await assert.rejects(signCsr(ca, input), (err: unknown) => {
          assert.ok(err instanceof InvalidCsrError);
          assert.equal(err.code, 'InvalidCsr');
          assert.equal(err.message, `Received invalid csr ${input.slice(0, 40)}.`);
          return true;
        });
      }
    });

    void test('rejects a CSR whose signature was tampered with', async () => {
      const { csrPem } = await generateKeyAndCsr({ commonName: 'admin' });
      const der = pemToDer(csrPem);
      der[der.length - 1] = (der[der.length - 1] ?? 0) ^ 0x01;
      await assert.rejects(signCsr(ca, derToPem(der, 'CERTIFICATE REQUEST')), InvalidCsrError);
    });

    void test('rejects an RSA CSR whose subject was altered after signing', async () => {
      const { csrPem } = opensslCsr({ key: 'rsa:2048', subject: '/CN=admin/O=system:masters' });
      const der = pemToDer(csrPem);
      const at = der.indexOf(Buffer.from('system:masters'));
      assert.ok(at > 0);
      der.write('system:mastery', at, 'latin1');
      await assert.rejects(signCsr(ca, derToPem(der, 'CERTIFICATE REQUEST')), InvalidCsrError);
    });

    void test('rejects a CSR with a critical disallowed extension with CertificateValidationError', async () => {
      const { csrPem } = opensslCsr({
        key: 'ec',
        subject: '/CN=evil',
        extraArgs: ['-addext', 'nameConstraints=critical,permitted;DNS:.example.com'],
      });
      await assert.rejects(signCsr(ca, csrPem), (err: unknown) => {
        assert.ok(err instanceof CertificateValidationError);
        assert.equal(err.code, 'CertificateValidationError');
        assert.equal(err.message, "Extension 'nameConstraints' not allowed");
        return true;
      });
    });

    void test('drops a non-critical disallowed extension', async () => {
      const { csrPem } = opensslCsr({
        key: 'ec',
        subject: '/CN=node',
        extraArgs: ['-addext', 'authorityInfoAccess=OCSP;URI:http://ocsp.example.com', '-addext', 'nsComment=hello'],
      });
      const text = opensslText(await signCsr(ca, csrPem));
      assert.doesNotMatch(text, /Authority Information Access|OCSP|Netscape Comment|hello/);
    });

    void test('clears disallowed bits of a non-critical keyUsage and rejects them when it is critical', async () => {
      const lenient = opensslCsr({
        key: 'ec',
        subject: '/CN=node',
        extraArgs: ['-addext', 'keyUsage=digitalSignature,keyCertSign,cRLSign'],
      });
      const text = opensslText(await signCsr(ca, lenient.csrPem));
      assert.match(text, /X509v3 Key Usage: \n\s+Digital Signature\n/);
      const strict = opensslCsr({
        key: 'ec',
        subject: '/CN=node',
        extraArgs: ['-addext', 'keyUsage=critical,digitalSignature,keyCertSign'],
      });
      await assert.rejects(
        signCsr(ca, strict.csrPem),
        /^CertificateValidationError: Extension 'keyUsage' not allowed$/,
      );
    });

    void test('downgrades a non-critical CA=true request to CA=false and rejects a critical one', async () => {
      const soft = opensslCsr({ key: 'ec', subject: '/CN=sub-ca', extraArgs: ['-addext', 'basicConstraints=CA:TRUE'] });
      const pem = await signCsr(ca, soft.csrPem);
      assert.equal(new X509Certificate(pem).ca, false);
      assert.match(opensslText(pem), /X509v3 Basic Constraints: \n\s+CA:FALSE/);
      const hard = opensslCsr({
        key: 'ec',
        subject: '/CN=sub-ca',
        extraArgs: ['-addext', 'basicConstraints=critical,CA:TRUE'],
      });
      await assert.rejects(signCsr(ca, hard.csrPem), /Extension 'basicConstraints' not allowed/);
    });

    void test('keeps CA=true when allowCa is set', async () => {
      const { csrPem } = opensslCsr({
        key: 'ec',
        subject: '/CN=sub-ca',
        extraArgs: ['-addext', 'basicConstraints=critical,CA:TRUE'],
      });
      assert.equal(new X509Certificate(await signCsr(ca, csrPem, { allowCa: true })).ca, true);
    });

    void test('refuses to sign with a CA key that does not belong to the CA certificate', async () => {
      const other = await createCa({ commonName: 'other' });
      const { csrPem } = await generateKeyAndCsr({ commonName: 'admin' });
      await assert.rejects(signCsr({ certPem: ca.certPem, keyPem: other.keyPem }, csrPem), /does not match/);
    });

    void test('signs with an RSA CA key such as one imported from Magnum', async () => {
      const keyPath = join(dir, 'rsa-ca.key');
      const certPath = join(dir, 'rsa-ca.pem');
      const made = openssl([
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=magnum-ca', '-days', '30',
        '-keyout', keyPath, '-out', certPath,
      ]); // prettier-ignore
      assert.equal(made.status, 0, made.stderr);
      const rsaCa = { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
      const { csrPem } = await generateKeyAndCsr({ commonName: 'admin' });
      const pem = await signCsr(rsaCa, csrPem);
      assert.ok(opensslVerifies(rsaCa.certPem, pem, 'sslclient'));
      assert.match(opensslText(pem), /Signature Algorithm: sha256WithRSAEncryption/);
    });
  });

  void describe('certInfo', () => {
    void test('summarises subject, issuer, expiry, serial and SANs', async () => {
      const server = await issueServerCert(ca, {
        commonName: 'etcd',
        dnsNames: ['etcd.local'],
        ipAddresses: ['192.0.2.1'],
        validityDays: 10,
      });
      const node = new X509Certificate(server.certPem);
      const info = certInfo(server.certPem);
      assert.equal(info.subject, 'CN=etcd');
      assert.equal(info.issuer, 'CN=my-cluster');
      assert.equal(info.notAfter.getTime(), node.validToDate.getTime());
      assert.equal(info.serial, node.serialNumber.toLowerCase());
      assert.deepEqual(info.sans, ['DNS:etcd.local', 'IP:192.0.2.1']);
      assert.deepEqual(certInfo(ca.certPem).sans, []);
    });
  });
});
