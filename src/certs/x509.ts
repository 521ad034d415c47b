/** @module certs/x509 — pure X.509 operations: cluster CAs, server/client certificates, Magnum-style CSR signing. */

// tsyringe (used by @peculiar/x509) needs Reflect metadata before it loads; keep this import first.
import './reflect-metadata.ts';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { CertificateValidationError, InvalidCsrError } from './errors.ts';

/**
 * A certificate with its private key, both PEM. `keyPem` is an unencrypted PKCS#8 `PRIVATE KEY` block; encryption
 * at rest is the caller's job (see `key-sealing.ts`).
 */
export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

type Crypto = webcrypto.Crypto;
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** Magnum's `[x509] term_of_validity` default (5 years). */
const DEFAULT_VALIDITY_DAYS = 1825;
const DAY_MS = 24 * 60 * 60 * 1000;

/*
 * Magnum generates RSA-2048 keys for its CAs and certificates. Magnetar uses ECDSA P-256 with SHA-256 instead:
 * key generation is orders of magnitude faster (cluster creation makes four key pairs) and every TLS stack that
 * talks to Kubernetes, etcd or Docker accepts it. CSRs signed through ca-sign keep whatever key the client chose
 * (nodes and python-magnumclient send RSA).
 */
const EC_KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const EC_SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extendedKeyUsage: '2.5.29.37',
} as const;

/** Extension names as Magnum (python-cryptography's `_OID_NAMES`) spells them, used in error messages. */
const EXTENSION_NAMES: Readonly<Record<string, string>> = {
  '2.5.29.9': 'subjectDirectoryAttributes',
  '2.5.29.14': 'subjectKeyIdentifier',
  '2.5.29.15': 'keyUsage',
  '2.5.29.17': 'subjectAltName',
  '2.5.29.18': 'issuerAltName',
  '2.5.29.19': 'basicConstraints',
  '2.5.29.30': 'nameConstraints',
  '2.5.29.31': 'cRLDistributionPoints',
  '2.5.29.32': 'certificatePolicies',
  '2.5.29.33': 'policyMappings',
  '2.5.29.35': 'authorityKeyIdentifier',
  '2.5.29.36': 'policyConstraints',
  '2.5.29.37': 'extendedKeyUsage',
  '2.5.29.46': 'freshestCRL',
  '2.5.29.54': 'inhibitAnyPolicy',
  '1.3.6.1.5.5.7.1.1': 'authorityInfoAccess',
  '1.3.6.1.5.5.7.1.11': 'subjectInfoAccess',
  '1.3.6.1.5.5.7.1.24': 'TLSFeature',
  '1.3.6.1.5.5.7.48.1.5': 'OCSPNoCheck',
  '1.3.6.1.4.1.11129.2.4.2': 'signedCertificateTimestampList',
  '1.3.6.1.4.1.11129.2.4.3': 'precertificatePoison',
};

/** Magnum's `[x509] allowed_extensions` default. */
const ALLOWED_EXTENSIONS: ReadonlySet<string> = new Set(Object.values(OID));

/** Magnum's `[x509] allowed_key_usage` default: Digital Signature, Key Encipherment, Non Repudiation. */
const ALLOWED_KEY_USAGE =
  x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.nonRepudiation;

/** Returns WebCrypto, registering it as @peculiar/x509's default provider on first use. */
function webCrypto(): Crypto {
  if (!x509.cryptoProvider.has(x509.CryptoProvider.DEFAULT)) x509.cryptoProvider.set(globalThis.crypto);
  return globalThis.crypto;
}

function extensionName(oid: string): string {
  return EXTENSION_NAMES[oid] ?? oid;
}

/** Random 16-byte serial with the top bit cleared so the DER INTEGER is positive. */
function randomSerialHex(crypto: Crypto): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

/** Magnum's validity window: not-before one day in the past, not-after `validityDays` from now. */
function validity(validityDays: number | undefined): { notBefore: Date; notAfter: Date } {
  const days = validityDays ?? DEFAULT_VALIDITY_DAYS;
  if (!Number.isFinite(days) || days <= 0) throw new RangeError(`validityDays must be a positive number, got ${days}`);
  const now = Date.now();
  return { notBefore: new Date(now - DAY_MS), notAfter: new Date(now + days * DAY_MS) };
}

function subjectName(commonName: string, organization?: string): x509.JsonName {
  if (commonName === '') throw new Error('commonName must not be empty');
  const name: x509.JsonName = [{ CN: [commonName] }];
  if (organization !== undefined && organization !== '') name.push({ O: [organization] });
  return name;
}

function toPem(der: ArrayBuffer, label: string): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function certToPem(cert: x509.X509Certificate): string {
  return `${cert.toString('pem').trimEnd()}\n`;
}

async function privateKeyToPem(key: CryptoKey, crypto: Crypto): Promise<string> {
  return toPem(await crypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function generateEcKeyPair(crypto: Crypto): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(EC_KEY_ALGORITHM, true, ['sign', 'verify']);
}

const CURVES: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** Imports a CA private key (any PEM form Node reads: PKCS#8, SEC1, PKCS#1) as a WebCrypto signing key. */
function importSigningKey(keyObject: KeyObject): CryptoKey {
  if (keyObject.asymmetricKeyType === 'ec') {
    const namedCurve = CURVES[keyObject.asymmetricKeyDetails?.namedCurve ?? ''];
    if (!namedCurve) throw new Error(`Unsupported CA key curve ${keyObject.asymmetricKeyDetails?.namedCurve}`);
    return keyObject.toCryptoKey({ name: 'ECDSA', namedCurve }, false, ['sign']);
  }
  if (keyObject.asymmetricKeyType === 'rsa') {
    return keyObject.toCryptoKey({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
  }
  throw new Error(`Unsupported CA key type ${keyObject.asymmetricKeyType}`);
}

interface LoadedCa {
  cert: x509.X509Certificate;
  signingKey: CryptoKey;
  signingAlgorithm: webcrypto.KeyAlgorithm | webcrypto.EcdsaParams;
  authorityKeyId: x509.AuthorityKeyIdentifierExtension;
}

/** Parses a CA key pair, checks that the key belongs to the certificate and prepares what signing needs. */
async function loadCa(ca: KeyPairPem, crypto: Crypto): Promise<LoadedCa> {
  const cert = new x509.X509Certificate(ca.certPem);
  const keyObject = createPrivateKey(ca.keyPem);
  const keySpki = createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
  if (!keySpki.equals(Buffer.from(cert.publicKey.rawData)))
    throw new Error('CA private key does not match CA certificate');
  const signingKey = importSigningKey(keyObject);
  const signingAlgorithm = keyObject.asymmetricKeyType === 'ec' ? EC_SIGNING_ALGORITHM : signingKey.algorithm;
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  const authorityKeyId = ski
    ? new x509.AuthorityKeyIdentifierExtension(ski.keyId)
    : await x509.AuthorityKeyIdentifierExtension.create(cert.publicKey, false, crypto);
  return { cert, signingKey, signingAlgorithm, authorityKeyId };
}

/**
 * Creates a self-signed CA: ECDSA P-256/SHA-256, random positive 16-byte serial, valid from now − 1 day for
 * `validityDays` (default 1825), BasicConstraints CA=true pathlen=0 (critical), KeyUsage keyCertSign+cRLSign
 * (critical), subjectKeyIdentifier.
 */
export async function createCa(opts: { commonName: string; validityDays?: number }): Promise<KeyPairPem> {
  const crypto = webCrypto();
  const keys = await generateEcKeyPair(crypto);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerialHex(crypto),
      name: subjectName(opts.commonName),
      ...validity(opts.validityDays),
      keys,
      signingAlgorithm: EC_SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { certPem: certToPem(cert), keyPem: await privateKeyToPem(keys.privateKey, crypto) };
}

/** Signs a new P-256 key pair's certificate with `ca`; shared by the server and client issuers. */
async function issueWithNewKey(
  ca: KeyPairPem,
  name: x509.JsonName,
  validityDays: number | undefined,
  extensions: x509.Extension[],
): Promise<KeyPairPem> {
  const crypto = webCrypto();
  const issuer = await loadCa(ca, crypto);
  const keys = await generateEcKeyPair(crypto);
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerialHex(crypto),
      subject: name,
      issuer: issuer.cert.subjectName,
      ...validity(validityDays),
      publicKey: keys.publicKey,
      signingKey: issuer.signingKey,
      signingAlgorithm: issuer.signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        ...extensions,
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        issuer.authorityKeyId,
      ],
    },
    crypto,
  );
  return { certPem: certToPem(cert), keyPem: await privateKeyToPem(keys.privateKey, crypto) };
}

/**
 * Issues a TLS server certificate with a fresh P-256 key, signed by `ca`. EKU serverAuth + clientAuth (Docker Swarm
 * nodes use one certificate both ways), KeyUsage digitalSignature+keyEncipherment (critical), BasicConstraints
 * CA=false (critical), SAN with `dnsNames` and `ipAddresses` (IPv4 or IPv6), authorityKeyIdentifier.
 * @throws Error when an entry of `ipAddresses` is not an IP address.
 */
export async function issueServerCert(
  ca: KeyPairPem,
  opts: { commonName: string; dnsNames: string[]; ipAddresses: string[]; validityDays?: number },
): Promise<KeyPairPem> {
  for (const ip of opts.ipAddresses) if (isIP(ip) === 0) throw new Error(`Invalid IP address for SAN: '${ip}'`);
  const sans: x509.JsonGeneralNames = [
    ...opts.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...opts.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
  return issueWithNewKey(ca, subjectName(opts.commonName), opts.validityDays, extensions);
}

/**
 * Issues a TLS client certificate with a fresh P-256 key, signed by `ca` (e.g. Magnum's own `admin` /
 * `system:masters` certificate). Same profile as Magnum's client certificates: KeyUsage digitalSignature +
 * keyEncipherment (critical), EKU clientAuth only, BasicConstraints CA=false (critical).
 */
export async function issueClientCert(
  ca: KeyPairPem,
  opts: { commonName: string; organization?: string; validityDays?: number },
): Promise<KeyPairPem> {
  return issueWithNewKey(ca, subjectName(opts.commonName, opts.organization), opts.validityDays, [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
  ]);
}

const CSR_PEM =
  /^-----BEGIN (NEW )?CERTIFICATE REQUEST-----\r?\n([A-Za-z0-9+/=\s]+)-----END \1CERTIFICATE REQUEST-----$/;

/** Decodes and parses a PEM CSR, checking its self-signature. Throws {@link InvalidCsrError} on any failure. */
async function parseCsr(csrPem: string, crypto: Crypto): Promise<x509.Pkcs10CertificateRequest> {
  const match = CSR_PEM.exec(csrPem.trim());
  const body = match?.[2]?.replace(/\s+/g, '') ?? '';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) throw new InvalidCsrError(csrPem);
  const der = Buffer.from(body, 'base64');
  // @peculiar/x509 treats binary input that does not start with a SEQUENCE tag as text (PEM/hex/base64); refuse it.
  if (der[0] !== 0x30) throw new InvalidCsrError(csrPem);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(new Uint8Array(der).buffer);
    // Touch the lazily decoded parts so malformed content fails here rather than while signing.
    void csr.subjectName.toArrayBuffer();
    void csr.publicKey.algorithm;
    const oids = csr.extensions.map((ext) => ext.type);
    if (new Set(oids).size !== oids.length) throw new Error('duplicate extension in CSR');
  } catch (err) {
    throw new InvalidCsrError(csrPem, { cause: err });
  }
  let verified: boolean;
  try {
    verified = await csr.verify(crypto);
  } catch (err) {
    throw new InvalidCsrError(csrPem, { cause: err });
  }
  if (!verified) throw new InvalidCsrError(csrPem, { cause: new Error('CSR signature does not verify') });
  return csr;
}

/**
 * Magnum's `validator.filter_extensions` with the default `[x509]` options: keeps only the allowed extensions
 * (others dropped, or rejected when critical), limits keyUsage bits, downgrades CA=true unless `allowCa`.
 */
function filterCsrExtensions(requested: readonly x509.Extension[], allowCa: boolean): x509.Extension[] {
  const kept: x509.Extension[] = [];
  for (const ext of requested) {
    if (!ALLOWED_EXTENSIONS.has(ext.type)) {
      if (ext.critical) throw new CertificateValidationError(extensionName(ext.type));
      continue;
    }
    if (ext.type === OID.keyUsage) {
      // keyCertSign/cRLSign are not in the default allowed set, so `allowCa` does not bring them back (as in Magnum).
      const usages = new x509.KeyUsagesExtension(ext.rawData).usages;
      if ((usages & ~ALLOWED_KEY_USAGE) !== 0) {
        if (ext.critical) throw new CertificateValidationError(extensionName(ext.type));
        const remaining = usages & ALLOWED_KEY_USAGE;
        // Magnum would emit an empty keyUsage here; RFC 5280 requires at least one bit, so drop it instead.
        if (remaining !== 0) kept.push(new x509.KeyUsagesExtension(remaining, false));
        continue;
      }
    } else if (ext.type === OID.basicConstraints && !allowCa) {
      if (new x509.BasicConstraintsExtension(ext.rawData).ca) {
        if (ext.critical) throw new CertificateValidationError(extensionName(ext.type));
        kept.push(new x509.BasicConstraintsExtension(false, undefined, false));
        continue;
      }
    }
    kept.push(ext);
  }
  return kept;
}

/**
 * Signs a client's CSR with `ca` following Magnum's ca-sign rules: subject and public key from the CSR (any key type,
 * e.g. the RSA-2048/4096 keys of python-magnumclient and cluster nodes), issuer = CA subject, validity and serial as
 * for issued certificates, extensions filtered by Magnum's validator (see {@link filterCsrExtensions}); EKU
 * clientAuth is added when the CSR asks for none, and an authorityKeyIdentifier (plus a subjectKeyIdentifier when
 * the CSR has none) is added.
 * @returns The certificate PEM without trailing newline (Magnum strips it).
 * @throws InvalidCsrError for an unparsable CSR or one whose signature does not verify.
 * @throws CertificateValidationError for a critical disallowed extension, keyUsage bit or CA request.
 */
export async function signCsr(
  ca: KeyPairPem,
  csrPem: string,
  opts: { validityDays?: number; allowCa?: boolean } = {},
): Promise<string> {
  const crypto = webCrypto();
  const csr = await parseCsr(csrPem, crypto);
  let requested: x509.Extension[];
  try {
    requested = filterCsrExtensions(csr.extensions, opts.allowCa ?? false);
  } catch (err) {
    if (err instanceof CertificateValidationError) throw err;
    throw new InvalidCsrError(csrPem, { cause: err });
  }
  const issuer = await loadCa(ca, crypto);
  const extensions = [...requested];
  if (!extensions.some((ext) => ext.type === OID.extendedKeyUsage)) {
    extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]));
  }
  if (!extensions.some((ext) => ext.type === OID.subjectKeyIdentifier)) {
    extensions.push(await x509.SubjectKeyIdentifierExtension.create(csr.publicKey, false, crypto));
  }
  extensions.push(issuer.authorityKeyId);
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerialHex(crypto),
      subject: csr.subjectName,
      issuer: issuer.cert.subjectName,
      ...validity(opts.validityDays),
      publicKey: csr.publicKey,
      signingKey: issuer.signingKey,
      signingAlgorithm: issuer.signingAlgorithm,
      extensions,
    },
    crypto,
  );
  return cert.toString('pem').trimEnd();
}

/**
 * Generates a P-256 key and a CSR for it (subject CN[, O], extension request EKU clientAuth), as the CLI's
 * `cluster config` does before calling ca-sign.
 */
export async function generateKeyAndCsr(opts: {
  commonName: string;
  organization?: string;
}): Promise<{ keyPem: string; csrPem: string }> {
  const crypto = webCrypto();
  const keys = await generateEcKeyPair(crypto);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: subjectName(opts.commonName, opts.organization),
      keys,
      signingAlgorithm: EC_SIGNING_ALGORITHM,
      extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
    },
    crypto,
  );
  return { keyPem: await privateKeyToPem(keys.privateKey, crypto), csrPem: `${csr.toString('pem').trimEnd()}\n` };
}

const SAN_PREFIX: Readonly<Record<string, string>> = { dns: 'DNS', ip: 'IP', email: 'email', url: 'URI' };

/**
 * Summarises a certificate PEM. `subject`/`issuer` are RFC 2253-style strings (`CN=admin, O=system:masters`),
 * `serial` is lower-case hex, `sans` are `DNS:<name>` / `IP:<address>` (`email:`, `URI:`, or the raw type for others).
 */
export function certInfo(pem: string): {
  subject: string;
  issuer: string;
  notAfter: Date;
  serial: string;
  sans: string[];
} {
  const cert = new x509.X509Certificate(pem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const sans = (san?.names.items ?? []).map((name) => `${SAN_PREFIX[name.type] ?? name.type}:${name.value}`);
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    notAfter: cert.notAfter,
    serial: cert.serialNumber.toLowerCase(),
    sans,
  };
}
