/** @module Each cluster's own CA: created with the cluster, stored sealed, used for ca-show, ca-sign and node certificates. */
import type { CertificateRepository, StoredCert } from '../store/certificates.ts';
import type { KeySealer } from './key-sealing.ts';
import { createCa, issueClientCert, issueServerCert, signCsr, type KeyPairPem } from './x509.ts';

/** Certificate kinds stored per cluster. */
export const CA_KIND = 'ca';
export const CONDUCTOR_CLIENT_KIND = 'conductor-client';
/** CA certificates replaced by ca-rotate that nodes still trust until the driver has finished the rotation. */
export const PREVIOUS_CA_KIND = 'ca-previous';

export class ClusterCa {
  readonly #certs: CertificateRepository;
  readonly #sealer: KeySealer;
  constructor(certs: CertificateRepository, sealer: KeySealer) {
    this.#certs = certs;
    this.#sealer = sealer;
  }

  /** A fresh CA for a new cluster, sealed for storage (the caller inserts it with the cluster row). */
  async newCa(clusterName: string): Promise<StoredCert> {
    const ca = await createCa({ commonName: clusterName });
    return this.#seal(ca);
  }

  /** The CA certificate PEM, or undefined if the cluster has none. */
  async caPem(clusterUuid: string): Promise<string | undefined> {
    return (await this.#certs.get(clusterUuid, CA_KIND))?.cert_pem;
  }

  /** The certificates of CAs a rotation replaced and nodes may still trust (a PEM bundle), or undefined. */
  async previousCaPem(clusterUuid: string): Promise<string | undefined> {
    return (await this.#certs.get(clusterUuid, PREVIOUS_CA_KIND))?.cert_pem;
  }

  /** Forgets the replaced CAs (a driver calls it once no node trusts them any more). */
  async forgetPreviousCa(clusterUuid: string): Promise<void> {
    await this.#certs.delete(clusterUuid, PREVIOUS_CA_KIND);
  }

  /** Signs a client CSR with the cluster's CA following Magnum's ca-sign rules (throws InvalidCsrError etc.). */
  async sign(clusterUuid: string, csrPem: string): Promise<string> {
    return signCsr(await this.#ca(clusterUuid), csrPem);
  }

  async issueServer(
    clusterUuid: string,
    commonName: string,
    dnsNames: string[],
    ipAddresses: string[],
  ): Promise<KeyPairPem> {
    return issueServerCert(await this.#ca(clusterUuid), { commonName, dnsNames, ipAddresses });
  }

  /** The conductor's own client certificate for the cluster: made once, then reused from the store. */
  async conductorClient(clusterUuid: string): Promise<KeyPairPem> {
    const stored = await this.#certs.get(clusterUuid, CONDUCTOR_CLIENT_KIND);
    if (stored) return this.#open(stored);
    const pair = await issueClientCert(await this.#ca(clusterUuid), {
      commonName: 'magnetar-conductor',
      organization: 'system:masters',
    });
    return this.#open(await this.#certs.putIfAbsent(clusterUuid, CONDUCTOR_CLIENT_KIND, this.#seal(pair)));
  }

  /** A client certificate from the cluster's CA (e.g. a Kubernetes identity: CN user, O group). */
  async issueClient(clusterUuid: string, commonName: string, organization?: string): Promise<KeyPairPem> {
    return issueClientCert(await this.#ca(clusterUuid), { commonName, ...(organization ? { organization } : {}) });
  }

  /**
   * Cluster-wide key material stored under `kind` (private key sealed): made by `make` the first time, then returned as
   * stored. Concurrent first calls keep the first one written.
   */
  async secret(clusterUuid: string, kind: string, make: () => Promise<KeyPairPem>): Promise<KeyPairPem> {
    if (kind === CA_KIND || kind === CONDUCTOR_CLIENT_KIND || kind === PREVIOUS_CA_KIND)
      throw new Error(`kind ${kind} is reserved`);
    const stored = await this.#certs.get(clusterUuid, kind);
    if (stored) return this.#open(stored);
    return this.#open(await this.#certs.putIfAbsent(clusterUuid, kind, this.#seal(await make())));
  }

  async #ca(clusterUuid: string): Promise<KeyPairPem> {
    const stored = await this.#certs.get(clusterUuid, CA_KIND);
    if (!stored) throw new Error(`cluster ${clusterUuid} has no CA`);
    return this.#open(stored);
  }

  #seal(p: KeyPairPem): StoredCert {
    return { cert_pem: p.certPem, key_sealed: this.#sealer.seal(p.keyPem) };
  }

  #open(s: StoredCert): KeyPairPem {
    return { certPem: s.cert_pem, keyPem: this.#sealer.open(s.key_sealed) };
  }
}
