/**
 * @module test/integration/drivers/kubernetes-ca-rotate — ca-rotate of a running 1 master + 2 worker Kubernetes cluster
 * (one `magnetar serve` child process, real Docker, the built node image), through `PATCH /v1/certificates/{cluster}`
 * as python-magnumclient sends it: a Deployment of 3 busybox httpd replicas behind a PodDisruptionBudget and a Service
 * of type LoadBalancer (`test/helpers/service-probe.ts`) whose EXTERNAL-IP is probed from the host every 100 ms during
 * the whole rotation (the failed requests are printed; 0 expected), and a pod
 * calling its apiserver in-cluster with its service-account token every 2 s (kubectl from the node's binaries). The
 * service is killed with SIGKILL once the master has moved to the new CA, and the rotation resumes from the nodes'
 * stamps. Afterwards: the old client certificate gets 401, the kubeconfig of before no longer verifies the apiserver, a
 * new `cluster-config` (and `magnetar kubectl`) works, every node is Ready, the in-cluster client was never refused
 * (it only could not connect while the single apiserver restarted).
 * Skipped, saying so, only when the node image is not built.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { KubeApi, KubeApiError, nodeReady } from '../../../src/drivers/kubernetes/kube-api.ts';
import { ROTATION_LOG } from '../../../src/drivers/kubernetes/ca-rotate.ts';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { DockerProvider } from '../../../src/providers/docker/provider.ts';
import type { Store } from '../../../src/store/store.ts';
import { eventually, nodeContainers, openStateStore, removeLeftovers, waitStatus } from '../../helpers/lifecycle.ts';
import { BIN, cli, startServe, type ServeProcess } from '../../helpers/service-process.ts';
import {
  BUSYBOX,
  KUBE_TAG,
  kubeconfigIdentity,
  kubeFrom,
  kubeImageSkip,
  NODE_IMAGE,
  post,
} from '../../helpers/kube.ts';
import { deployWeb, probeSummary, probeUrl, type WebService } from '../../helpers/service-probe.ts';

const NAME = 'kr';
const h = (s: string): string => `${NAME}-${s}`;
const ENV = { MAGNETAR_LEASE_SECONDS: '5', MAGNETAR_SYNC_SECONDS: '2' };
const host = new Engine({ socketPath: '/var/run/docker.sock' });
const SKIP = await kubeImageSkip(host);

type PodList = { items: { metadata: { name: string }; spec: { nodeName?: string }; status: { phase?: string } }[] };

describe('Kubernetes ca-rotate', { skip: SKIP, timeout: 2_400_000 }, () => {
  let dir: string;
  let state: string;
  let svc: ServeProcess;
  let store: Store;
  let uuid: string;
  let kube: KubeApi;
  let oldCaPem: string;
  let rotationStarted: number;
  let rotationEnded: number;

  const events = async (): Promise<string[]> =>
    (await store.events.list(uuid)).filter((e) => e.phase === 'rotate-ca').map((e) => e.message);
  const caShown = async (): Promise<string> => {
    const r = await cli(svc.url, ['ca-show', '--cluster', NAME]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-kr-'));
    state = join(dir, 'state');
    svc = await startServe(state, { env: ENV });
    store = await openStateStore(state);
    await post(svc.url, '/v1/clustertemplates', {
      name: 'k8s-rotate',
      coe: 'kubernetes',
      image_id: NODE_IMAGE,
      server_type: 'container',
      labels: { kube_tag: KUBE_TAG, metrics_server_enabled: 'false' },
    });
    uuid = (
      await post(svc.url, '/v1/clusters', {
        name: NAME,
        cluster_template_id: 'k8s-rotate',
        node_count: 2,
        labels: { kube_tag: KUBE_TAG, auto_healing_enabled: 'false', metrics_server_enabled: 'false' },
      })
    ).uuid as string;
    assert.equal(await waitStatus(store, uuid, (s) => s !== 'CREATE_IN_PROGRESS', 900_000), 'CREATE_COMPLETE');
    const config = await cli(svc.url, ['cluster-config', NAME, '--dir', join(dir, 'old')]);
    assert.equal(config.code, 0, config.stderr);
    kube = await kubeFrom(join(dir, 'old', 'config'));
    oldCaPem = await caShown();
  });

  after(async () => {
    kube?.close();
    await svc?.stop();
    if (uuid) await removeLeftovers(host, uuid);
    await store?.close();
    host.close();
    await rm(dir, { recursive: true, force: true });
  });

  let web: WebService;
  let clientPod: string;

  it('runs a Deployment behind a LoadBalancer Service and a pod calling its apiserver in-cluster', async () => {
    web = await deployWeb(kube, { replicas: 3, minAvailable: 2 });
    console.log(
      `# Service web: EXTERNAL-IP ${web.externalIp} after ${web.addressSeconds.toFixed(1)} s, every replica ` +
        `answering through it after ${web.servingSeconds.toFixed(1)} s`,
    );
    // kubectl of the node's own binaries (static), in-cluster: the service-account token and the projected ca.crt.
    const client = { app: 'api-client' };
    await kube.apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api-client', namespace: 'default' },
      spec: {
        replicas: 1,
        selector: { matchLabels: client },
        template: {
          metadata: { labels: client },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'client',
                image: BUSYBOX,
                imagePullPolicy: 'Never',
                env: [{ name: 'HOME', value: '/tmp' }],
                command: [
                  'sh',
                  '-c',
                  'while true; do if /k8s/kubectl get --raw /api >/dev/null 2>/tmp/err; then echo "ok $(date +%s)"; ' +
                    'else echo "fail $(date +%s) $(head -c 300 /tmp/err | tr "\\n" " ")"; fi; sleep 2; done',
                ],
                volumeMounts: [
                  { name: 'k8s', mountPath: '/k8s', readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'k8s', hostPath: { path: '/opt/k8s/bin', type: 'Directory' } },
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
      },
    });
    await eventually(
      'the api-client Running and succeeding',
      async () => {
        const pods = (await kube.get<PodList>('/api/v1/namespaces/default/pods')).items;
        const running = pods.find((p) => p.metadata.name.startsWith('api-client-') && p.status.phase === 'Running');
        if (!running) return undefined;
        clientPod = running.metadata.name;
        const log = await kube.request('GET', `/api/v1/namespaces/default/pods/${clientPod}/log`);
        return /^ok /m.test(String(log.body)) ? true : undefined;
      },
      180_000,
      1_000,
    );
  });

  it(
    'rotates the CA (resuming after kill -9 of the service) while the Service keeps answering: 0 failed requests',
    { timeout: 1_500_000 },
    async () => {
      const loop = probeUrl(web.url);
      rotationStarted = Date.now();
      try {
        const res = await fetch(`${svc.url}/v1/certificates/${NAME}`, {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/octet-stream', 'OpenStack-API-Version': 'container-infra latest' },
        });
        assert.equal(res.status, 202, await res.text());
        assert.notEqual(await caShown(), oldCaPem, 'ca-show answers the new CA at once');
        await eventually(
          'the master moved to the new CA',
          async () =>
            (await events()).some((e) => e.startsWith(`${h('master-0')}: certificates of the new CA`))
              ? true
              : undefined,
          600_000,
          200,
        );
        await svc.kill9();
        svc = await startServe(state, { port: svc.port, env: ENV });
        assert.equal(await waitStatus(store, uuid, (s) => s !== 'UPDATE_IN_PROGRESS', 1_500_000), 'UPDATE_COMPLETE');
        rotationEnded = Date.now();
      } finally {
        await loop.stop();
      }
      const served = loop.result;
      const timeline = await events();
      // The master's own account of the rotation (read through the provider's exec, as the driver reads the stamps).
      const master = (await nodeContainers(host, uuid)).find((c) => c.Labels['magnetar.role'] === 'master');
      const log = await new DockerProvider(host).exec({ id: master?.Id ?? '', name: '' }, ['cat', ROTATION_LOG]);
      console.log(`# ${h('master-0')} ${ROTATION_LOG}:\n#   ${log.stdout.trim().split('\n').join('\n#   ')}`);
      console.log(
        `# ca-rotate: ${((rotationEnded - rotationStarted) / 1000).toFixed(0)} s; through the LoadBalancer Service ` +
          `${web.url}: ${probeSummary(served)}; answered by ${JSON.stringify(served.byAnswer)}`,
      );
      console.log(`# timeline:\n#   ${timeline.join('\n#   ')}`);
      assert.ok(
        timeline.some((e) => /resuming \(/.test(e)),
        `the second run resumed from the stamps:\n${timeline.join('\n')}`,
      );
      for (const n of [h('master-0'), h('node-0'), h('node-1')])
        assert.ok(
          timeline.some((e) => e.startsWith(`${n}: trusts only the new CA`)),
          `${n} finished:\n${timeline.join('\n')}`,
        );
      assert.ok(
        timeline.some((e) =>
          e.startsWith(`${h('master-0')}: the apiserver serves (and calls kubelets) with certificates of the new CA`),
        ),
      );
      assert.match(timeline.at(-1) ?? '', /certificates of the replaced CA are refused/);
      assert.ok(served.requests > 100, `the probe ran (${served.requests} requests)`);
      assert.equal(served.failed, 0, probeSummary(served));
    },
  );

  it('refuses the old client certificate (401); the kubeconfig of before no longer trusts the apiserver', async () => {
    const old = await kubeconfigIdentity(join(dir, 'old', 'config'));
    const newCa = await caShown();
    const withOldCert = new KubeApi({
      host: old.server.hostname,
      port: Number(old.server.port),
      caPem: newCa,
      certPem: old.certPem,
      keyPem: old.keyPem,
    });
    try {
      await assert.rejects(withOldCert.get('/api'), (e: unknown) => e instanceof KubeApiError && e.status === 401);
    } finally {
      withOldCert.close();
    }
    await assert.rejects(kube.get('/api'), /certificate|self.signed|unable to verify/i);
  });

  it('a new cluster-config and magnetar kubectl work; every node is Ready', async () => {
    const config = await cli(svc.url, ['cluster-config', NAME, '--dir', join(dir, 'new')]);
    assert.equal(config.code, 0, config.stderr);
    kube.close();
    kube = await kubeFrom(join(dir, 'new', 'config'));
    const nodes = await kube.listNodes();
    assert.deepEqual(
      nodes.map((n) => `${n.metadata.name} ${nodeReady(n)}`).sort(),
      [h('master-0'), h('node-0'), h('node-1')].map((n) => `${n} True`),
    );
    const { stdout } = await promisify(execFile)(
      BIN,
      ['--endpoint', svc.url, 'kubectl', 'get', 'nodes', '-o', 'name'],
      {
        env: { ...process.env, KUBECONFIG: join(dir, 'new', 'config') },
        timeout: 120_000,
      },
    );
    assert.deepEqual(
      stdout.trim().split('\n').sort(),
      [h('master-0'), h('node-0'), h('node-1')].map((n) => `node/${n}`),
    );
    const deployment = await kube.get<{ status?: { availableReplicas?: number } }>(
      '/apis/apps/v1/namespaces/default/deployments/web',
    );
    assert.equal(deployment.status?.availableReplicas, 3);
  });

  it("kept the pods' service-account tokens valid: the in-cluster client is never refused and still succeeds", async () => {
    const since = Math.floor(rotationEnded / 1000);
    const log = await eventually(
      'the in-cluster client succeeded after the rotation',
      async () => {
        const r = await kube.request('GET', `/api/v1/namespaces/default/pods/${clientPod}/log`);
        const text = String(r.body);
        const after = [...text.matchAll(/^ok (\d+)$/gm)].filter((m) => Number(m[1]) > since);
        return after.length > 0 ? text : undefined;
      },
      60_000,
      1_000,
    );
    const lines = log.trim().split('\n');
    const during = lines.filter((l) => Number(l.split(' ')[1]) >= Math.floor(rotationStarted / 1000));
    const failed = during.filter((l) => l.startsWith('fail'));
    // With one master the apiserver is away while it restarts (three times): the client cannot connect then. Any
    // other failure (x509: the pod does not trust the apiserver; Unauthorized: its token is refused) is a defect.
    const away = /was refused|connection refused|connection reset|EOF|i\/o timeout|TLS handshake timeout/;
    const refused = failed.filter((l) => !away.test(l));
    console.log(
      `# in-cluster client during and after the rotation: ${during.length} calls, ${failed.length} while the ` +
        `single apiserver restarted (could not connect), ${refused.length} refused (TLS or token)`,
    );
    assert.equal(refused.length, 0, refused.join('\n'));
    assert.ok(during.some((l) => l.startsWith('ok ')));
    const pod = await kube.get<{ status: { containerStatuses?: { restartCount: number }[] } }>(
      `/api/v1/namespaces/default/pods/${clientPod}`,
    );
    assert.equal(pod.status.containerStatuses?.[0]?.restartCount, 0);
  });
});
