/**
 * @module test/unit/drivers/kubernetes/kube-api — the Kubernetes API client and the drain against a small HTTPS server
 * standing in for the apiserver (mutual TLS with certificates of a real CA; a fake only for this module's unit test):
 * client certificate required, server-side apply, readyz, evictions refused by a PodDisruptionBudget (429) then allowed.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { createCa, issueClientCert, issueServerCert, type KeyPairPem } from '../../../../src/certs/x509.ts';
import { drain } from '../../../../src/drivers/kubernetes/drain.ts';
import {
  KubeApi,
  KubeApiError,
  KubeUnreachableError,
  objectPath,
  type KubePod,
} from '../../../../src/drivers/kubernetes/kube-api.ts';

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
  user: string;
}

/** A stand-in apiserver: pods on a node, a PDB refusing the first `refusals` evictions of `web-1`. */
class FakeApiserver {
  readonly seen: Seen[] = [];
  pods: KubePod[] = [];
  refusals = 0;
  ready = true;
  server!: https.Server;

  async start(ca: KeyPairPem): Promise<number> {
    const cert = await issueServerCert(ca, {
      commonName: 'kube-apiserver',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    this.server = https.createServer(
      { ca: ca.certPem, cert: cert.certPem, key: cert.keyPem, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const peer = (req.socket as TLSSocket).getPeerCertificate();
          const s: Seen = {
            method: req.method ?? '',
            url: req.url ?? '',
            contentType: req.headers['content-type'],
            body: Buffer.concat(chunks).toString(),
            user: String(peer.subject?.CN ?? ''),
          };
          this.seen.push(s);
          this.#answer(s, res);
        });
      },
    );
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as AddressInfo).port;
  }

  #answer(s: Seen, res: ServerResponse): void {
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (s.url === '/readyz') {
      res
        .writeHead(this.ready ? 200 : 500)
        .end(this.ready ? 'ok' : '[-]etcd failed: reason withheld\nreadyz check failed');
      return;
    }
    if (s.url.startsWith('/api/v1/pods?fieldSelector=')) return json(200, { items: this.pods });
    const evict = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/.exec(s.url);
    if (evict && s.method === 'POST') {
      if (evict[2] === 'web-1' && this.refusals > 0) {
        this.refusals--;
        return json(429, {
          kind: 'Status',
          message: "Cannot evict pod as it would violate the pod's disruption budget.",
          reason: 'TooManyRequests',
        });
      }
      this.pods = this.pods.filter((p) => p.metadata.name !== evict[2]);
      return json(201, { kind: 'Status', status: 'Success' });
    }
    if (s.url.startsWith('/api/v1/nodes/') && s.method === 'PATCH') return json(200, {});
    if (s.url.startsWith('/apis/') && s.method === 'PATCH') return json(200, JSON.parse(s.body) as unknown);
    if (s.url === '/api/v1/nodes/gone' && s.method === 'DELETE')
      return json(404, { kind: 'Status', message: 'nodes "gone" not found', reason: 'NotFound' });
    return json(403, { kind: 'Status', message: `forbidden: ${s.url}`, reason: 'Forbidden' });
  }
}

const pod = (name: string, extra: Partial<KubePod['metadata']> = {}, phase = 'Running'): KubePod => ({
  metadata: { name, namespace: 'default', ...extra },
  spec: { nodeName: 'demo-node-1' },
  status: { phase },
});

void describe('KubeApi and drain', () => {
  const fake = new FakeApiserver();
  let ca: KeyPairPem;
  let api: KubeApi;
  let port: number;
  before(async () => {
    ca = await createCa({ commonName: 'demo' });
    port = await fake.start(ca);
    const client = await issueClientCert(ca, { commonName: 'magnetar-conductor', organization: 'system:masters' });
    api = new KubeApi({ host: '127.0.0.1', port, caPem: ca.certPem, certPem: client.certPem, keyPem: client.keyPem });
  });
  after(() => {
    api.close();
    fake.server.close();
  });

  void test('readyz: ok, and a failing check reported without throwing', async () => {
    assert.deepEqual(await api.readyz(), { ok: true, detail: 'ok' });
    fake.ready = false;
    const r = await api.readyz();
    fake.ready = true;
    assert.equal(r.ok, false);
    assert.match(r.detail, /etcd failed/);
    assert.equal(fake.seen.at(-1)?.user, 'magnetar-conductor', 'the client certificate was presented');
  });

  void test('server-side apply: PATCH on the object path with the apply content type and field manager', async () => {
    await api.apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: 'kube-system' },
    });
    const s = fake.seen.at(-1) as Seen;
    assert.equal(s.method, 'PATCH');
    assert.equal(s.url, '/apis/apps/v1/namespaces/kube-system/deployments/coredns?fieldManager=magnetar&force=true');
    assert.equal(s.contentType, 'application/apply-patch+yaml');
    assert.equal(
      objectPath({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'magnetar:cni' },
      }),
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/magnetar%3Acni',
    );
    assert.throws(() => objectPath({ apiVersion: 'x/v1', kind: 'Thing', metadata: { name: 'a' } }), /no REST mapping/);
  });

  void test('errors: a 4xx is a KubeApiError with the status message; deleting a gone node is fine', async () => {
    await assert.rejects(api.get('/api/v1/secrets'), (e: unknown) => {
      assert.ok(e instanceof KubeApiError);
      assert.equal(e.status, 403);
      assert.match(e.message, /forbidden: \/api\/v1\/secrets/);
      return true;
    });
    await api.deleteNode('gone');
  });

  void test('an apiserver that is not there is KubeUnreachableError', async () => {
    const client = await issueClientCert(ca, { commonName: 'x' });
    const dead = new KubeApi({
      host: '127.0.0.1',
      port: 1,
      caPem: ca.certPem,
      certPem: client.certPem,
      keyPem: client.keyPem,
    });
    await assert.rejects(dead.readyz(), KubeUnreachableError);
    dead.close();
  });

  void test('drain: cordons, leaves DaemonSet and mirror pods, asks again while a PDB refuses, reports it', async () => {
    fake.pods = [
      pod('web-1'),
      pod('web-2'),
      pod('ds-1', { ownerReferences: [{ kind: 'DaemonSet', name: 'ds' }] }),
      pod('static-1', { annotations: { 'kubernetes.io/config.mirror': 'x' } }),
      pod('done-1', {}, 'Succeeded'),
    ];
    fake.refusals = 2;
    const blocked: string[] = [];
    const start = fake.seen.length;
    const r = await drain(api, 'demo-node-1', {
      timeoutMs: 5_000,
      intervalMs: 20,
      signal: new AbortController().signal,
      onBlocked: async (p, why) => {
        blocked.push(`${p}: ${why}`);
      },
    });
    assert.deepEqual(r, { pods: 2, drained: true, blocked: [] });
    assert.deepEqual(blocked, ["default/web-1: Cannot evict pod as it would violate the pod's disruption budget."]);
    const calls = fake.seen.slice(start);
    assert.deepEqual(JSON.parse(calls[0]?.body ?? '{}'), { spec: { unschedulable: true } }, 'cordon first');
    assert.equal(calls[0]?.contentType, 'application/merge-patch+json');
    const evictions = calls.filter((c) => c.url.endsWith('/eviction')).map((c) => c.url.split('/')[6]);
    assert.deepEqual(evictions, ['web-1', 'web-2', 'web-1', 'web-1']);
    assert.deepEqual(JSON.parse(calls.find((c) => c.url.endsWith('/eviction'))?.body ?? '{}'), {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'web-1', namespace: 'default' },
    });
  });

  void test('drain: the wait is bounded and says what still blocks', async () => {
    fake.pods = [pod('web-1')];
    fake.refusals = 1_000;
    const r = await drain(api, 'demo-node-1', { timeoutMs: 200, intervalMs: 20, signal: new AbortController().signal });
    assert.equal(r.drained, false);
    assert.deepEqual(r.blocked, ["default/web-1: Cannot evict pod as it would violate the pod's disruption budget."]);
    fake.refusals = 0;
  });
});
