/**
 * @module test/integration/drivers/kubernetes-ha — a highly available Kubernetes control plane through Magnetar's API
 * (one `magnetar serve` child process, real Docker, the built node image and load-balancer image): master_count > 1
 * without a load balancer is refused with Magnum's 400; 3 masters + 2 workers with `master_lb_enabled` come up with a
 * stacked etcd of 3 members, every master running the control plane, every node and `api_address` on the load
 * balancer's VIP, and `kubectl` working through it; `docker stop` of the master leading the controller-manager keeps
 * the API answering through `api_address` (a probe loop counting failures; the stopped master is made etcd's raft
 * leader first, the worst case) and a Deployment behind a LoadBalancer Service serving through its EXTERNAL-IP (the
 * probe of test/helpers/service-probe.ts), leadership moves to another master; auto-healing starts the master again and etcd has 3 healthy members again; a master removed with
 * its etcd volume is made again and joins etcd as a new member; delete leaves nothing.
 * Skipped, saying so, only when the node image or the load-balancer image is not built.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { demuxOutput } from '../../../src/docker-api/exec-stdin.ts';
import type { KubeApi } from '../../../src/drivers/kubernetes/kube-api.ts';
import { nodeReady } from '../../../src/drivers/kubernetes/kube-api.ts';
import { Engine } from '../../../src/providers/docker/engine.ts';
import { LB_IMAGE } from '../../../src/providers/docker/load-balancers.ts';
import { CLUSTER_LABEL } from '../../../src/providers/contract.ts';
import type { Store } from '../../../src/store/store.ts';
import { eventually, nodeContainers, openStateStore, removeLeftovers, waitStatus } from '../../helpers/lifecycle.ts';
import { deployWeb, probeSummary, probeUrl, startProbe } from '../../helpers/service-probe.ts';
import { cli, getJson, startServe, type ServeProcess } from '../../helpers/service-process.ts';
import { BUSYBOX, KUBE_TAG, kubeFrom, kubeImageSkip, magnetarKubectl, NODE_IMAGE, post } from '../../helpers/kube.ts';

const NAME = 'ha';
const h = (s: string): string => `${NAME}-${s}`;
const MASTERS = [h('master-0'), h('master-1'), h('master-2')];
const WORKERS = [h('node-0'), h('node-1')];
/** The control-plane daemons as /proc/<pid>/comm names them (kube-controller-manager cut to 15 characters). */
const CONTROL_PLANE = ['etcd', 'kube-apiserver', 'kube-controller', 'kube-scheduler'];
const host = new Engine({ socketPath: '/var/run/docker.sock' });
const SKIP =
  (await kubeImageSkip(host)) ||
  ((await host.inspectImage(LB_IMAGE)) === null
    ? `the load-balancer image ${LB_IMAGE} is not built (magnetar image build --coe kubernetes)`
    : false);

type Lease = { spec?: { holderIdentity?: string } };
type PodList = {
  items: {
    metadata: { name: string };
    spec: { nodeName?: string };
    status: { podIP?: string; containerStatuses?: { restartCount: number }[] };
  }[];
};

describe('a highly available Kubernetes control plane', { skip: SKIP, timeout: 1_800_000 }, () => {
  let dir: string;
  let svc: ServeProcess;
  let store: Store;
  let uuid: string;
  let kube: KubeApi;
  let apiAddress: string;
  let kubeconfig: string;
  /** The master the stop test stopped. */
  let victim = '';
  const timings: Record<string, number> = {};

  /** The node container of a hostname. */
  const container = async (hostname: string): Promise<{ id: string; ip: string; state: string }> => {
    const c = (await nodeContainers(host, uuid)).find((x) => x.Labels['magnetar.hostname'] === hostname);
    assert.ok(c, `${hostname} has a container`);
    return { id: c.Id, ip: c.Labels['magnetar.ip'] ?? '', state: c.State };
  };

  /** Runs a command in a node container; its exit code and output. */
  const exec = async (hostname: string, cmd: string[]): Promise<{ code: number; out: string }> => {
    const { id } = await container(hostname);
    const e = await host.request<{ Id: string }>('POST', `/containers/${id}/exec`, {
      body: { Cmd: cmd, AttachStdout: true, AttachStderr: true },
    });
    const raw = (await host.requestRaw('POST', `/exec/${e.Id}/start`, { body: { Detach: false } })).body;
    const { stdout, stderr } = demuxOutput(raw);
    const code = (await host.request<{ ExitCode: number | null }>('GET', `/exec/${e.Id}/json`)).ExitCode ?? -1;
    return { code, out: stdout + stderr };
  };

  /** `etcdctl` with every master's endpoint and the etcd server certificate, run in the master `from`. */
  const etcdctl = async (from: string, ...args: string[]): Promise<{ code: number; out: string }> => {
    const ips = await Promise.all(MASTERS.map(async (m) => (await container(m)).ip));
    return exec(from, [
      '/opt/k8s/bin/etcdctl',
      `--endpoints=${ips.map((ip) => `https://${ip}:2379`).join(',')}`,
      '--cacert=/etc/kubernetes/pki/etcd/ca.crt',
      '--cert=/etc/kubernetes/pki/etcd/server.crt',
      '--key=/etc/kubernetes/pki/etcd/server.key',
      '--command-timeout=5s',
      ...args,
    ]);
  };

  /** etcd's view from one master: `endpoint health` of every member and `member list`. */
  const etcd = async (from: string): Promise<{ healthy: number; started: number; out: string }> => {
    const health = await etcdctl(from, 'endpoint', 'health');
    const members = await etcdctl(from, 'member', 'list');
    return {
      healthy: (health.out.match(/ is healthy/g) ?? []).length,
      started: (members.out.match(/, started, /g) ?? []).length,
      out: `${health.out}\n${members.out}`,
    };
  };

  /** The master whose etcd member leads raft, as `endpoint status` from one master sees it. */
  const etcdLeaderName = async (from: string): Promise<string> => {
    const ips = await Promise.all(MASTERS.map(async (m) => (await container(m)).ip));
    const r = await etcdctl(from, 'endpoint', 'status', '-w', 'json');
    // The ids are uint64: read as text (JSON.parse would round them).
    const leading = r.out
      .split('{"Endpoint":')
      .slice(1)
      .find((e) => {
        const id = /"member_id":(\d+)/.exec(e)?.[1];
        return id !== undefined && id === /"leader":(\d+)/.exec(e)?.[1];
      });
    const ip = leading ? (/^"https:\/\/([\d.]+):/.exec(leading)?.[1] ?? '') : '';
    return MASTERS[ips.indexOf(ip)] ?? `unknown (${r.out.slice(0, 200)})`;
  };

  /** The control-plane daemons running in a node container (by /proc/<pid>/comm, at most 15 characters). */
  const controlPlaneProcesses = async (hostname: string): Promise<string[]> => {
    const r = await exec(hostname, ['sh', '-c', 'cat /proc/[0-9]*/comm 2>/dev/null']);
    const running = new Set(r.out.split('\n').map((x) => x.trim()));
    return CONTROL_PLANE.filter((p) => running.has(p));
  };

  /** `magnetar kubectl …` with the kubeconfig of `magnetar cluster-config` (server = api_address); never rejects. */
  const kubectl = (...args: string[]): ReturnType<typeof magnetarKubectl> => magnetarKubectl(svc.url, kubeconfig, args);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'magnetar-kha-'));
    svc = await startServe(join(dir, 'state'), { env: { MAGNETAR_SYNC_SECONDS: '2' } });
    store = await openStateStore(join(dir, 'state'));
  });

  after(async () => {
    kube?.close();
    await svc?.stop();
    if (uuid) await removeLeftovers(host, uuid);
    await store?.close();
    host.close();
    await rm(dir, { recursive: true, force: true });
    if (Object.keys(timings).length) console.log(`[kubernetes-ha] timings (s): ${JSON.stringify(timings)}`);
  });

  it('refuses master_count 3 without a load balancer: 400 with Magnum’s message, nothing written', async () => {
    await post(svc.url, '/v1/clustertemplates', {
      name: 'k8s-single',
      coe: 'kubernetes',
      image_id: NODE_IMAGE,
      server_type: 'container',
      labels: { kube_tag: KUBE_TAG },
    });
    await post(svc.url, '/v1/clustertemplates', {
      name: 'k8s-ha',
      coe: 'kubernetes',
      image_id: NODE_IMAGE,
      server_type: 'container',
      master_lb_enabled: true,
      labels: { kube_tag: KUBE_TAG, auto_healing_enabled: 'true', metrics_server_enabled: 'false' },
    });
    for (const request of [
      { name: 'refused', cluster_template_id: 'k8s-single', master_count: 3, node_count: 2 },
      { name: 'refused', cluster_template_id: 'k8s-ha', master_count: 3, node_count: 2, master_lb_enabled: false },
    ]) {
      const res = await fetch(`${svc.url}/v1/clusters`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'OpenStack-API-Version': 'container-infra latest' },
        body: JSON.stringify(request),
      });
      assert.equal(res.status, 400);
      const body = (await res.json()) as { errors: Record<string, unknown>[] };
      assert.equal(body.errors.length, 1);
      const { request_id: _id, ...err } = body.errors[0] as Record<string, unknown>;
      assert.deepEqual(err, {
        code: 'client',
        status: 400,
        title: 'master_count must be 1 when master_lb_enabled is False',
        detail: 'master_count must be 1 when master_lb_enabled is False',
        links: [],
      });
    }
    const list = (await getJson(`${svc.url}/v1/clusters`)).body.clusters as unknown[];
    assert.deepEqual(list, [], 'no cluster was written');
  });

  it('creates 3 masters + 2 workers: etcd of 3 members, every master a control plane, one address in front', async () => {
    const t0 = Date.now();
    uuid = (
      await post(svc.url, '/v1/clusters', { name: NAME, cluster_template_id: 'k8s-ha', master_count: 3, node_count: 2 })
    ).uuid as string;
    const status = await waitStatus(store, uuid, (s) => s !== 'CREATE_IN_PROGRESS', 1_200_000);
    timings.create = (Date.now() - t0) / 1000;
    const detail = (await getJson(`${svc.url}/v1/clusters/${uuid}`)).body;
    assert.equal(status, 'CREATE_COMPLETE', String(detail.status_reason));
    assert.equal(detail.master_count, 3);
    assert.equal(detail.master_lb_enabled, true);
    assert.equal((detail.master_addresses as string[]).length, 3);
    assert.equal((detail.node_addresses as string[]).length, 2);
    apiAddress = String(detail.api_address);
    const vip = /^https:\/\/(\d+\.\d+\.\d+\.200):6443$/.exec(apiAddress)?.[1];
    assert.ok(vip, `api_address is the load balancer's VIP: ${apiAddress}`);

    // The load balancer: one container labelled with the cluster, purpose api, on the VIP.
    const lbs = (await host.listContainers([`${CLUSTER_LABEL}=${uuid}`])).filter(
      (c) => c.Labels['magnetar.kind'] === 'load-balancer',
    );
    assert.deepEqual(
      lbs.map((c) => [c.Labels['magnetar.lb-purpose'], c.Labels['magnetar.lb-vip'], c.State]),
      [['api', vip, 'running']],
    );

    // kubectl through api_address, with the kubeconfig of cluster-config.
    const config = await cli(svc.url, ['cluster-config', NAME, '--dir', join(dir, 'certs')]);
    assert.equal(config.code, 0, config.stderr);
    kubeconfig = join(dir, 'certs', 'config');
    const kc = parse(await readFile(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
    assert.equal(kc.clusters[0]?.cluster.server, apiAddress);
    const got = await kubectl('get', 'nodes', '--no-headers', '-o', 'custom-columns=NAME:.metadata.name');
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(got.stdout.trim().split('\n').sort(), [...MASTERS, ...WORKERS]);
    kube = await kubeFrom(kubeconfig);
    const nodes = await kube.listNodes();
    for (const n of nodes) assert.equal(nodeReady(n), 'True', n.metadata.name);
    for (const m of MASTERS) {
      const n = nodes.find((x) => x.metadata.name === m);
      assert.equal(n?.metadata.labels?.['node-role.kubernetes.io/control-plane'], '', m);
      assert.ok(
        n?.spec?.taints?.some((t) => t.key === 'node-role.kubernetes.io/control-plane'),
        m,
      );
    }

    // Every master runs etcd and the whole control plane; every node's daemons use the VIP.
    for (const m of MASTERS) {
      assert.deepEqual(await controlPlaneProcesses(m), CONTROL_PLANE, m);
    }
    for (const n of [...MASTERS, ...WORKERS]) {
      const conf = await exec(n, ['cat', '/etc/kubernetes/kubelet.conf', '/etc/kubernetes/kube-proxy.conf']);
      assert.deepEqual(
        [...conf.out.matchAll(/server: (\S+)/g)].map((x) => x[1]),
        [apiAddress, apiAddress],
        `${n}: kubelet and kube-proxy use the load balancer`,
      );
    }
    const e = await etcd(MASTERS[0] as string);
    assert.equal(e.healthy, 3, e.out);
    assert.equal(e.started, 3, e.out);

    // Three apiservers behind the `kubernetes` Service; the controller-manager and the scheduler hold leases.
    const ips = await Promise.all(MASTERS.map(async (m) => (await container(m)).ip));
    const ep = await kube.get<{ subsets?: { addresses?: { ip: string }[] }[] }>(
      '/api/v1/namespaces/default/endpoints/kubernetes',
    );
    assert.deepEqual((ep.subsets?.[0]?.addresses ?? []).map((a) => a.ip).sort(), [...ips].sort());
    for (const lease of ['kube-controller-manager', 'kube-scheduler']) {
      const l = await kube.get<Lease>(`/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${lease}`);
      assert.ok(
        MASTERS.some((m) => l.spec?.holderIdentity?.startsWith(`${m}_`)),
        `${lease} led by a master: ${l.spec?.holderIdentity}`,
      );
    }
  });

  it('docker stop of the leading master: the API keeps answering through api_address, the Deployment keeps serving', async () => {
    // The web workload of every Kubernetes suite: one replica per worker behind a LoadBalancer Service.
    const web = await deployWeb(kube, { replicas: 2, minAvailable: 1, onePerNode: true });

    // Stop the master that leads the controller-manager.
    const lease = await kube.get<Lease>(
      '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager',
    );
    victim = MASTERS.find((m) => lease.spec?.holderIdentity?.startsWith(`${m}_`)) ?? '';
    assert.ok(victim, String(lease.spec?.holderIdentity));
    // The worst case: the stopped master leads etcd's raft too (moved there if it does not already).
    if ((await etcdLeaderName(victim)) !== victim) {
      const members = await etcdctl(victim, 'member', 'list');
      const id = members.out
        .split('\n')
        .find((l) => l.includes(`, ${victim}, `))
        ?.split(',')[0];
      assert.ok(id, members.out);
      const moved = await etcdctl(victim, 'move-leader', id);
      assert.equal(moved.code, 0, moved.out);
    }
    const etcdLeader = await eventually('the victim leads etcd', async () =>
      (await etcdLeaderName(victim)) === victim ? victim : undefined,
    );

    // Two probes from before the stop until 20 s after the control plane acted again: a GET of the pods through
    // api_address every 250 ms, each on a fresh TLS connection, and the Service's EXTERNAL-IP every 100 ms.
    const client = parse(await readFile(kubeconfig, 'utf8')) as {
      clusters: { cluster: { 'certificate-authority-data': string } }[];
      users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
    };
    const b64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString();
    const tls = {
      ca: b64(client.clusters[0]?.cluster['certificate-authority-data']),
      cert: b64(client.users[0]?.user['client-certificate-data']),
      key: b64(client.users[0]?.user['client-key-data']),
    };
    const apiOnce = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const req = https.get(
          `${apiAddress}/api/v1/namespaces/default/pods?labelSelector=app%3Dweb`,
          { ...tls, agent: false, timeout: 3_000 },
          (res) => {
            res.resume();
            res.on('end', () =>
              res.statusCode === 200 ? resolve('200') : reject(new Error(`HTTP ${res.statusCode}`)),
            );
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error('no answer in 3 s')));
        req.on('error', reject);
      });
    const probesStarted = Date.now();
    const apiProbe = startProbe(apiOnce, { everyMs: 250 });
    const webProbe = probeUrl(web.url);
    let stopAt = 0;
    try {
      await new Promise((r) => setTimeout(r, 2_000));
      const t0 = Date.now();
      stopAt = (t0 - probesStarted) / 1000;
      await host.stopContainer((await container(victim)).id);
      timings.stop = (Date.now() - t0) / 1000;
      assert.equal((await container(victim)).state, 'exited');
      // With one master down: kubectl works, and the controller-manager's lease moves.
      const got = await kubectl('get', 'pods', '-l', 'app=web', '--no-headers');
      assert.equal(got.code, 0, got.stderr);
      const leader = await eventually(
        'another master leads the controller-manager',
        async () => {
          const l = await kube.get<Lease>(
            '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager',
          );
          const m = MASTERS.find((x) => x !== victim && l.spec?.holderIdentity?.startsWith(`${x}_`));
          return m;
        },
        90_000,
        1_000,
      );
      assert.notEqual(leader, victim);
      // The control plane still acts: a new Deployment is made, scheduled and started.
      await kube.apply({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'later', namespace: 'default' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'later' } },
          template: {
            metadata: { labels: { app: 'later' } },
            spec: {
              containers: [{ name: 'sleep', image: BUSYBOX, imagePullPolicy: 'Never', command: ['sleep', '3600'] }],
            },
          },
        },
      });
      await eventually(
        'a new Deployment ready with a master down',
        async () => {
          const d = await kube.get<{ status?: { readyReplicas?: number } }>(
            '/apis/apps/v1/namespaces/default/deployments/later',
          );
          return (d.status?.readyReplicas ?? 0) >= 1 ? true : undefined;
        },
        120_000,
        500,
      );
      await new Promise((r) => setTimeout(r, 20_000));
    } finally {
      await Promise.all([apiProbe.stop(), webProbe.stop()]);
    }
    const api = apiProbe.result;
    const served = webProbe.result;
    console.log(
      `[kubernetes-ha] docker stop of ${victim} (leading etcd too: ${etcdLeader === victim}; stop sent at +${stopAt.toFixed(1)} s, ` +
        `took ${timings.stop} s): API through api_address ${probeSummary(api)}; ` +
        `Service ${web.url} ${probeSummary(served)}, answered by ${JSON.stringify(served.byAnswer)}`,
    );
    assert.ok(api.answered > 40, probeSummary(api));
    assert.equal(api.failed, 0, probeSummary(api));
    assert.ok(served.answered > 100, probeSummary(served));
    assert.equal(served.failed, 0, probeSummary(served));
    assert.deepEqual(Object.keys(served.byAnswer).sort(), web.pods, 'both replicas answered throughout');
    const now = (await kube.get<PodList>('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items;
    for (const p of web.pods) {
      const same = now.find((x) => x.metadata.name === p);
      assert.ok(same, `${p} kept running`);
      assert.equal(same.status.containerStatuses?.[0]?.restartCount ?? 0, 0, p);
    }
  });

  it('auto-healing starts the master again: HEALTHY, 5 nodes Ready, etcd has 3 healthy members again', async () => {
    assert.ok(victim, 'the previous test stopped a master');
    const t0 = Date.now();
    let last = '';
    await eventually(
      'the master is started again and the cluster HEALTHY',
      async () => {
        const cl = await store.clusters.get(uuid);
        const events = (await store.events.list(uuid)).map((e) => `${e.phase}: ${e.message}`);
        last = `${cl?.status} ${cl?.health_status} ${JSON.stringify(cl?.health_status_reason)}\n${events.slice(-8).join('\n')}`;
        return cl?.status === 'UPDATE_COMPLETE' &&
          cl.health_status === 'HEALTHY' &&
          events.some((e) => e === `nodes: node ${victim} was exited; started`)
          ? true
          : undefined;
      },
      600_000,
      1_000,
    ).catch((e: Error) => assert.fail(`${e.message}: ${last}`));
    timings.heal = (Date.now() - t0) / 1000;
    assert.equal((await container(victim)).state, 'running');
    const nodes = await kube.listNodes();
    assert.deepEqual(
      nodes
        .filter((n) => nodeReady(n) === 'True')
        .map((n) => n.metadata.name)
        .sort(),
      [...MASTERS, ...WORKERS],
    );
    const e = await eventually(
      'etcd has 3 healthy members',
      async () => {
        const r = await etcd(victim);
        return r.healthy === 3 && r.started === 3 ? r : undefined;
      },
      120_000,
      2_000,
    );
    assert.equal(e.healthy, 3, e.out);
    assert.deepEqual(await controlPlaneProcesses(victim), CONTROL_PLANE);
    const got = await kubectl('get', 'nodes', '--no-headers');
    assert.equal(got.code, 0, got.stderr);
  });

  it('a master made again without its etcd data joins the running etcd as a new member', async () => {
    const lost = MASTERS.find((m) => m !== victim) as string;
    const before = await etcd(MASTERS.find((m) => m !== lost) as string);
    const oldId = before.out
      .split('\n')
      .find((l) => l.includes(`, ${lost}, `))
      ?.split(',')[0];
    assert.ok(oldId, before.out);
    const mark = (await store.events.list(uuid)).at(-1)?.id ?? 0;
    const { id } = await container(lost);
    await host.removeContainer(id);
    const volumes = await host.listVolumes([`${CLUSTER_LABEL}=${uuid}`]);
    const etcdVolume = volumes.find((v) => v.Name.endsWith('-etcd') && v.Name.includes(`-master-${lost.slice(-1)}-`));
    assert.ok(etcdVolume, volumes.map((v) => v.Name).join(', '));
    await host.removeVolume(etcdVolume.Name);
    const t0 = Date.now();
    let last = '';
    await eventually(
      'the master is made again and the cluster HEALTHY',
      async () => {
        const cl = await store.clusters.get(uuid);
        const events = (await store.events.list(uuid, mark)).map((e) => `${e.phase}: ${e.message}`);
        last = `${cl?.status} ${cl?.health_status}\n${events.slice(-8).join('\n')}`;
        return cl?.status === 'UPDATE_COMPLETE' &&
          cl.health_status === 'HEALTHY' &&
          events.some((e) => e.startsWith(`nodes: node ${lost} (master, default-master) started at`))
          ? true
          : undefined;
      },
      600_000,
      1_000,
    ).catch((e: Error) => assert.fail(`${e.message}: ${last}`));
    timings.rejoin = (Date.now() - t0) / 1000;
    const after = await eventually(
      'etcd has 3 healthy members, the lost one under a new member id',
      async () => {
        const r = await etcd(lost);
        return r.healthy === 3 && r.started === 3 ? r : undefined;
      },
      120_000,
      2_000,
    );
    const newId = after.out
      .split('\n')
      .find((l) => l.includes(`, ${lost}, `))
      ?.split(',')[0];
    assert.ok(newId && newId !== oldId, `${lost} is a new member (${oldId} → ${newId}):\n${after.out}`);
    assert.deepEqual(await controlPlaneProcesses(lost), CONTROL_PLANE);
  });

  it('delete leaves nothing labelled with the cluster: nodes, volumes, network and the load balancer', async () => {
    const res = await fetch(`${svc.url}/v1/clusters/${uuid}`, { method: 'DELETE' });
    assert.equal(res.status, 204);
    await eventually(
      'the cluster row is gone',
      async () => ((await store.clusters.get(uuid)) === undefined ? true : undefined),
      300_000,
      500,
    );
    const f = [`${CLUSTER_LABEL}=${uuid}`];
    assert.deepEqual(await host.listContainers(f), []);
    assert.deepEqual(await host.listVolumes(f), []);
    assert.deepEqual(await host.listNetworks(f), []);
  });
});
