/** @module test/unit/drivers/kubernetes/pki — the cluster's Kubernetes identities: subjects, groups, SANs and issuers. */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, verify, X509Certificate } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { certInfo, createCa, issueClientCert, issueServerCert, type KeyPairPem } from '../../../../src/certs/x509.ts';
import {
  issueMasterCerts,
  issueNodeCerts,
  newClusterSecret,
  type ClusterCaIssuer,
  type ClusterSecrets,
} from '../../../../src/drivers/kubernetes/pki.ts';
import { controlPlane } from '../../../../src/drivers/kubernetes/control-plane.ts';
import { kubeSettings } from '../../../../src/drivers/kubernetes/settings.ts';

/** An issuer over a CA made here (the conductor's ClusterCa does the same with the stored, sealed CA). */
function issuerOf(ca: KeyPairPem): ClusterCaIssuer {
  return {
    caPem: ca.certPem,
    server: (commonName, dnsNames, ipAddresses) => issueServerCert(ca, { commonName, dnsNames, ipAddresses }),
    client: (commonName, organization) =>
      issueClientCert(ca, { commonName, ...(organization ? { organization } : {}) }),
  };
}

/** Asserts that `pair` was signed by `ca` and that its key matches its certificate. */
function assertIssued(pair: KeyPairPem, ca: string): void {
  const cert = new X509Certificate(pair.certPem);
  const issuer = new X509Certificate(ca);
  assert.ok(cert.checkIssued(issuer), 'issuer name');
  assert.ok(cert.verify(issuer.publicKey), 'signature');
  assert.ok(cert.checkPrivateKey(createPrivateKey(pair.keyPem)), 'key matches');
}

const eku = (pem: string): string[] => new X509Certificate(pem).keyUsage ?? [];

void describe('Kubernetes PKI', () => {
  let ca: KeyPairPem;
  let secrets: ClusterSecrets;
  before(async () => {
    ca = await createCa({ commonName: 'demo' });
    secrets = {
      etcdCa: await newClusterSecret('etcdCa', 'demo'),
      frontProxyCa: await newClusterSecret('frontProxyCa', 'demo'),
      serviceAccount: await newClusterSecret('serviceAccount', 'demo'),
    };
  });

  void test('every node: kubelet client in system:nodes, kubelet serving cert, kube-proxy and the cni identity', async () => {
    const n = await issueNodeCerts(issuerOf(ca), { hostname: 'demo-node-0', ip: '10.20.0.20' });
    assert.equal(certInfo(n.kubeletClient.certPem).subject, 'CN=system:node:demo-node-0, O=system:nodes');
    assert.deepEqual(eku(n.kubeletClient.certPem), ['1.3.6.1.5.5.7.3.2']);
    assert.equal(certInfo(n.kubeletServing.certPem).subject, 'CN=demo-node-0');
    assert.deepEqual(certInfo(n.kubeletServing.certPem).sans, ['DNS:demo-node-0', 'IP:10.20.0.20']);
    assert.ok(eku(n.kubeletServing.certPem).includes('1.3.6.1.5.5.7.3.1'), 'serverAuth');
    assert.equal(certInfo(n.kubeProxy.certPem).subject, 'CN=system:kube-proxy');
    assert.equal(certInfo(n.cni.certPem).subject, 'CN=magnetar:cni');
    for (const pair of Object.values(n)) assertIssued(pair, ca.certPem);
  });

  void test('a master: apiserver SANs, control-plane identities, admin, etcd and front-proxy under their own CAs', async () => {
    const s = kubeSettings({ dns_cluster_domain: 'example.local' }, { networkDriver: 'flannel' });
    const m = await issueMasterCerts(issuerOf(ca), secrets, { hostname: 'demo-master-0', ip: '10.20.0.10' }, s);
    assert.deepEqual(certInfo(m.apiserver.certPem).sans, [
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.example.local',
      'DNS:localhost',
      'DNS:demo-master-0',
      'IP:127.0.0.1',
      'IP:10.20.0.10',
      'IP:10.254.0.1',
    ]);
    assert.equal(certInfo(m.admin.certPem).subject, 'CN=kubernetes-admin, O=system:masters');
    assert.equal(certInfo(m.controllerManager.certPem).subject, 'CN=system:kube-controller-manager');
    assert.equal(certInfo(m.scheduler.certPem).subject, 'CN=system:kube-scheduler');
    assert.equal(
      certInfo(m.apiserverKubeletClient.certPem).subject,
      'CN=kube-apiserver-kubelet-client, O=system:masters',
    );
    for (const pair of [m.apiserver, m.admin, m.controllerManager, m.scheduler, m.apiserverKubeletClient])
      assertIssued(pair, ca.certPem);
    // etcd trusts only its own CA, so a user's or a kubelet's cluster certificate cannot reach it.
    assertIssued(m.etcd, secrets.etcdCa.certPem);
    assertIssued(m.apiserverEtcdClient, secrets.etcdCa.certPem);
    assert.deepEqual(certInfo(m.etcd.certPem).sans, [
      'DNS:demo-master-0',
      'DNS:localhost',
      'IP:10.20.0.10',
      'IP:127.0.0.1',
    ]);
    assert.equal(new X509Certificate(m.etcd.certPem).checkIssued(new X509Certificate(ca.certPem)), false);
    assertIssued(m.frontProxyClient, secrets.frontProxyCa.certPem);
    assert.equal(certInfo(m.frontProxyClient.certPem).subject, 'CN=front-proxy-client');
  });

  void test('an HA master: the apiserver certificate names every master and the load balancer', async () => {
    const s = kubeSettings({}, { networkDriver: 'flannel' });
    const masters = [0, 1, 2].map((i) => ({ hostname: `ha-master-${i}`, ip: `10.20.0.${10 + i}` }));
    const cp = controlPlane({
      masters,
      balancer: { address: '10.20.0.5', port: 6443, altNames: ['127.0.0.1', 'api.ha.example'] },
      etcdStart: 'new',
      etcdToken: 'uuid',
    });
    const m = await issueMasterCerts(issuerOf(ca), secrets, masters[1] as (typeof masters)[number], s, cp);
    assert.deepEqual(certInfo(m.apiserver.certPem).sans, [
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.cluster.local',
      'DNS:localhost',
      'DNS:ha-master-1',
      'DNS:ha-master-0',
      'DNS:ha-master-2',
      'DNS:api.ha.example',
      'IP:127.0.0.1',
      'IP:10.20.0.11',
      'IP:10.254.0.1',
      'IP:10.20.0.10',
      'IP:10.20.0.12',
      'IP:10.20.0.5',
    ]);
    // etcd's certificate stays the member's own (peers dial each member at its address).
    assert.deepEqual(certInfo(m.etcd.certPem).sans, [
      'DNS:ha-master-1',
      'DNS:localhost',
      'IP:10.20.0.11',
      'IP:127.0.0.1',
    ]);
    assert.ok(eku(m.etcd.certPem).includes('1.3.6.1.5.5.7.3.2'), 'clientAuth: a member asks the others as a client');
  });

  void test('the service-account key pair signs and verifies (ES256 tokens)', () => {
    const data = Buffer.from('header.payload');
    const sig = sign('sha256', data, createPrivateKey(secrets.serviceAccount.keyPem));
    assert.ok(verify('sha256', data, createPublicKey(secrets.serviceAccount.certPem), sig));
    assert.match(secrets.serviceAccount.certPem, /^-----BEGIN PUBLIC KEY-----/);
  });
});
