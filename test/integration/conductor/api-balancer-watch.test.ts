/**
 * The health pass watches a cluster's API load balancer (one `magnetar serve` child process, real Docker, the built
 * node and load-balancer images): a 1-master cluster with `master_lb_enabled` is accepted and comes up behind the
 * balancer; `docker rm -f` of the balancer's container → the pass records UNHEALTHY with the `api_lb` reason naming
 * it missing, then makes it again from the recorded spec on the same VIP; `kubectl` through `api_address` works again
 * and the health is HEALTHY again; `docker stop` of it → reported as exited and started again. Delete leaves nothing.
 * Skipped, saying so, only when the node image or the load-balancer image is not built.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { LB_IMAGE } from '../../../src/providers/docker/load-balancers.ts';
import { CLUSTER_LABEL } from '../../../src/providers/contract.ts';
import type { Store } from '../../../src/store/store.ts';
import { eventually, openStateStore, removeLeftovers, waitStatus } from '../../helpers/lifecycle.ts';
import { cli, getJson, startServe, type ServeProcess } from '../../helpers/service-process.ts';
import { KUBE_TAG, kubeImageSkip, magnetarKubectl, NODE_IMAGE, post } from '../../helpers/kube.ts';

const NAME = 'lbwatch';
const host = new Engine({ socketPath: '/var/run/docker.sock' });
const SKIP =
  (await kubeImageSkip(host)) ||
  ((await host.inspectImage(LB_IMAGE)) === null
    ? `the load-balancer image ${LB_IMAGE} is not built (magnetar image build --coe kubernetes)`
    : false);

describe('the health pass watches the API load balancer', { skip: SKIP, timeout: 1_200_000 }, () => {
  let dir: string;
  let svc: ServeProcess;
  let store: Store;
  let uuid = '';
  let kubeconfig = '';

  const kubectl = (...args: string[]): ReturnType<typeof magnetarKubectl> =>
    magnetarKubectl(svc.url, kubeconfig, args, 60_000);
  /** The cluster's load-balancer containers: [purpose, vip, state]. */
  const balancers = async (): Promise<string[][]> =>
    (await host.listContainers([`${CLUSTER_LABEL}=${uuid}`]))
      .filter((c) => c.Labels['magnetar.kind'] === 'load-balancer')
      .map((c) => [c.Labels['magnetar.lb-purpose'] ?? '', c.Labels['magnetar.lb-vip'] ?? '', c.State, c.Id]);
  const health = async (): Promise<{ status: string; reason: Record<string, string> }> => {
    const c = (await getJson(`${svc.url}/v1/clusters/${uuid}`)).body;
    return { status: String(c.health_status), reason: (c.health_status_reason ?? {}) as Record<string, string> };
  };
  const timeline = async (): Promise<string[]> => (await store.events.list(uuid)).map((e) => e.message);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-lbwatch-'));
    svc = await startServe(join(dir, 'state'), { env: { MAGNETAR_SYNC_SECONDS: '2' } });
    store = await openStateStore(join(dir, 'state'));
  });
  after(async () => {
    await svc?.stop();
    if (uuid) await removeLeftovers(host, uuid);
    await store?.close();
    host.close();
    await rm(dir, { recursive: true, force: true });
  });

  let vip = '';
  it('accepts 1 master with master_lb_enabled: the API behind the balancer, healthy, api_lb ok', async () => {
    await post(svc.url, '/v1/clustertemplates', {
      name: 'k8s-lb1',
      coe: 'kubernetes',
      image_id: NODE_IMAGE,
      server_type: 'container',
      master_lb_enabled: true,
      labels: { kube_tag: KUBE_TAG, metrics_server_enabled: 'false' },
    });
    uuid = (
      await post(svc.url, '/v1/clusters', {
        name: NAME,
        cluster_template_id: 'k8s-lb1',
        master_count: 1,
        node_count: 1,
      })
    ).uuid as string;
    const status = await waitStatus(store, uuid, (s) => s !== 'CREATE_IN_PROGRESS', 900_000);
    const detail = (await getJson(`${svc.url}/v1/clusters/${uuid}`)).body;
    assert.equal(status, 'CREATE_COMPLETE', String(detail.status_reason));
    assert.equal(detail.master_lb_enabled, true);
    vip = /^https:\/\/(\d+\.\d+\.\d+\.\d+):6443$/.exec(String(detail.api_address))?.[1] ?? '';
    assert.deepEqual(
      (await balancers()).map((b) => b.slice(0, 3)),
      [['api', vip, 'running']],
    );
    const config = await cli(svc.url, ['cluster-config', NAME, '--dir', join(dir, 'certs')]);
    assert.equal(config.code, 0, config.stderr);
    kubeconfig = join(dir, 'certs', 'config');
    const got = await kubectl('get', 'nodes', '--no-headers');
    assert.equal(got.code, 0, got.stderr);
    const h = await eventually(
      'HEALTHY with api_lb ok',
      async () => {
        const x = await health();
        return x.status === 'HEALTHY' && x.reason.api_lb === 'ok' ? x : undefined;
      },
      180_000,
      500,
    );
    assert.equal(h.reason.api, 'ok');
  });

  it('docker rm -f of the balancer: reported missing, made again on the same VIP, kubectl works again', async () => {
    const [lb] = await balancers();
    assert.ok(lb);
    await host.removeContainer(lb[3] as string);
    const lbName = `magnetar-${uuid}-lb-api`;
    // Observe first: the health change names the missing balancer; act second: it is made again.
    const events = await eventually(
      'the pass reports and repairs',
      async () => {
        const t = await timeline();
        const reported = t.findIndex((m) => m === `health HEALTHY → UNHEALTHY: ${lbName} missing`);
        const repaired = t.findIndex((m) => m.startsWith('API load balancer was missing; made to serve again'));
        return reported >= 0 && repaired > reported ? t : undefined;
      },
      120_000,
      300,
    );
    assert.ok(events.length > 0);
    const after = await balancers();
    assert.deepEqual(
      after.map((b) => b.slice(0, 3)),
      [['api', vip, 'running']],
    );
    assert.notEqual(after[0]?.[3], lb[3], 'a new container');
    const got = await eventually(
      'kubectl through api_address',
      async () => {
        const r = await kubectl('get', 'nodes', '--no-headers');
        return r.code === 0 ? r : undefined;
      },
      60_000,
      1000,
    );
    assert.equal(got.stdout.trim().split('\n').length, 2, got.stdout);
    await eventually(
      'HEALTHY again',
      async () => {
        const x = await health();
        return x.status === 'HEALTHY' && x.reason.api_lb === 'ok' ? x : undefined;
      },
      60_000,
      500,
    );
  });

  it('docker stop of the balancer: reported exited and started again', async () => {
    const [lb] = await balancers();
    assert.ok(lb);
    await promisify(execFile)('docker', ['stop', '-t', '1', lb[3] as string]);
    await eventually(
      'reported and started',
      async () => {
        const t = await timeline();
        return t.some((m) => m.startsWith('API load balancer was exited; made to serve again')) ? t : undefined;
      },
      120_000,
      300,
    );
    assert.deepEqual(
      (await balancers()).map((b) => b.slice(0, 4)),
      [['api', vip, 'running', lb[3]]],
    );
    const r = await kubectl('get', 'nodes', '--no-headers');
    assert.equal(r.code, 0, r.stderr);
  });

  it('delete leaves nothing behind', async () => {
    const res = await fetch(`${svc.url}/v1/clusters/${uuid}`, { method: 'DELETE' });
    assert.equal(res.status, 204);
    await waitStatus(store, uuid, (s) => s === undefined || s === 'DELETE_COMPLETE', 300_000);
    assert.deepEqual(await host.listContainers([`${CLUSTER_LABEL}=${uuid}`]), []);
  });
});
