/**
 * @module test/unit/drivers/kubernetes/service-lbs — the reconcile logic of Services of type LoadBalancer: the plan
 * (VIPs allocated and kept, members = eligible nodes' NodePorts, gateway nodes preferred, health monitors, source
 * ranges, removals, status patches) and one sync against a recording provider and apiserver (made, then left alone,
 * updated when a node goes, removed when the Service goes; events only on changes; an interrupted sync finished).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LoadBalancerSyncContext } from '../../../../src/drivers/contract.ts';
import type { KubeApi, KubeNode } from '../../../../src/drivers/kubernetes/kube-api.ts';
import { newSyncMemory, syncServiceLoadBalancers } from '../../../../src/drivers/kubernetes/service-lb-sync.ts';
import {
  memberNodes,
  planServiceLbs,
  serviceLbName,
  SERVICE_UID_LABEL,
  type KubeService,
} from '../../../../src/drivers/kubernetes/service-lbs.ts';
import type { LoadBalancer, LoadBalancerSpec, Network, Provider } from '../../../../src/providers/contract.ts';

const UUID = 'c0ffee00-0000-4000-8000-00000000a11c';
const NET = { id: 'net-1', cidr: '10.9.8.0/24' };

const node = (name: string, ip: string, labels: Record<string, string> = {}, ready = 'True'): KubeNode => ({
  metadata: { name, labels },
  status: { conditions: [{ type: 'Ready', status: ready }], addresses: [{ type: 'InternalIP', address: ip }] },
});
const MASTER = node('k-master-0', '10.9.8.10', { 'node-role.kubernetes.io/control-plane': '' });
const W0 = node('k-node-0', '10.9.8.20', { 'magnum.openstack.org/role': 'worker' });
const W1 = node('k-node-1', '10.9.8.21', { 'magnum.openstack.org/role': 'worker' });

const svc = (name: string, uid: string, over: Partial<NonNullable<KubeService['spec']>> = {}): KubeService => ({
  metadata: { name, namespace: 'default', uid },
  spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP', nodePort: 31080 }], ...over },
});

/** A load balancer as the provider would report it after ensuring `spec`. */
const asObserved = (spec: LoadBalancerSpec, id = `id-${spec.name}`): LoadBalancer => ({
  id,
  name: spec.name,
  clusterUuid: spec.clusterUuid,
  purpose: spec.purpose,
  vipAddress: spec.network.vipAddress,
  state: 'active',
  status: 'running',
  labels: { ...spec.labels, 'magnetar.lb-purpose': spec.purpose },
  listeners: spec.listeners,
  endpoints: Object.fromEntries(spec.listeners.map((l) => [l.name, { host: spec.network.vipAddress, port: l.port }])),
});

const plan = (services: KubeService[], nodes: KubeNode[] = [MASTER, W0, W1], observed: LoadBalancer[] = []) =>
  planServiceLbs({ clusterUuid: UUID, network: NET, services, nodes, observed });

describe('planServiceLbs', () => {
  test('a Service gets the first free VIP, one listener per TCP port over the workers NodePorts', () => {
    const p = plan([svc('web', 'u1')]);
    assert.equal(p.ensure.length, 1);
    const spec = p.ensure[0]!.spec;
    assert.equal(spec.name, serviceLbName(UUID, 'u1'));
    assert.equal(spec.network.vipAddress, '10.9.8.201');
    assert.equal(spec.purpose, 'service');
    assert.equal(spec.labels[SERVICE_UID_LABEL], 'u1');
    assert.deepEqual(spec.listeners[0]?.members, [
      { name: 'k-node-0', address: '10.9.8.20', port: 31080 },
      { name: 'k-node-1', address: '10.9.8.21', port: 31080 },
    ]);
    assert.deepEqual(spec.listeners[0]?.healthMonitor, {
      type: 'TCP',
      delaySeconds: 2,
      timeoutSeconds: 2,
      maxRetries: 2,
    });
    assert.deepEqual(p.publish, [
      { namespace: 'default', name: 'web', ingress: [{ ip: '10.9.8.201', ipMode: 'VIP' }] },
    ]);
    assert.deepEqual(p.remove, []);
  });

  test('VIPs are kept for the life of a Service; taken ones (the masters LB too) are skipped', () => {
    const first = plan([svc('web', 'u1')]).ensure[0]!.spec;
    const apiLb = asObserved({ ...first, name: `magnetar-${UUID}-lb-api`, purpose: 'api', labels: {} });
    apiLb.vipAddress = '10.9.8.202';
    const p = plan([svc('aaa', 'u0'), svc('web', 'u1')], [MASTER, W0, W1], [asObserved(first), apiLb]);
    const vips = Object.fromEntries(p.ensure.map((e) => [e.service, e.spec.network.vipAddress]));
    assert.deepEqual(vips, { 'default/web': '10.9.8.201', 'default/aaa': '10.9.8.203' });
    assert.ok(!p.remove.includes(apiLb), 'the masters load balancer is not the Service controller s');
  });

  test('the published address is written only when it differs', () => {
    const s = svc('web', 'u1');
    const observed = [asObserved(plan([s]).ensure[0]!.spec)];
    s.status = { loadBalancer: { ingress: [{ ip: '10.9.8.201', ipMode: 'VIP' }] } };
    assert.deepEqual(plan([s], undefined, observed).publish, []);
  });

  test('the Service gone, or no longer of type LoadBalancer: its load balancer goes, its address is cleared', () => {
    const s = svc('web', 'u1');
    const observed = [asObserved(plan([s]).ensure[0]!.spec)];
    assert.deepEqual(plan([], undefined, observed).remove, observed);
    const changed = svc('web', 'u1', { type: 'ClusterIP' });
    changed.status = { loadBalancer: { ingress: [{ ip: '10.9.8.201', ipMode: 'VIP' }] } };
    const p = plan([changed], undefined, observed);
    assert.deepEqual(p.remove, observed);
    assert.deepEqual(p.publish, [{ namespace: 'default', name: 'web', ingress: [] }]);
  });

  test('Services of another loadBalancerClass or being deleted are not ours', () => {
    const p = plan([svc('a', 'u1', { loadBalancerClass: 'example.com/other' })]);
    assert.deepEqual([p.ensure, p.publish], [[], []]);
  });

  test('UDP ports and ports without NodePort are reported, TCP ones served', () => {
    const p = plan([
      svc('dns', 'u1', {
        ports: [
          { port: 53, protocol: 'UDP', nodePort: 30053 },
          { port: 53, protocol: 'TCP', nodePort: 30054 },
        ],
      }),
      svc('nonp', 'u2', { ports: [{ port: 80, protocol: 'TCP' }] }),
    ]);
    assert.deepEqual(
      p.ensure.map((e) => [e.service, e.spec.listeners.map((l) => l.name)]),
      [['default/dns', ['tcp-53']]],
    );
    assert.deepEqual(
      p.skipped.map((s) => s.service),
      ['default/dns', 'default/nonp'],
    );
    assert.match(p.skipped[0]!.reason, /UDP port 53: the local load balancer carries TCP only/);
  });

  test('source ranges, session affinity and externalTrafficPolicy Local (kube-proxy health check port)', () => {
    const p = plan([
      svc('web', 'u1', {
        loadBalancerSourceRanges: ['192.0.2.0/24', 'not-a-cidr', '10.9.8.1/32'],
        sessionAffinity: 'ClientIP',
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 32000,
      }),
    ]);
    const l = p.ensure[0]!.spec.listeners[0]!;
    assert.deepEqual(l.allowedCidrs, ['10.9.8.1/32', '192.0.2.0/24']);
    assert.equal(l.algorithm, 'SOURCE_IP');
    assert.deepEqual(l.healthMonitor, {
      type: 'HTTP',
      urlPath: '/healthz',
      expectedCodes: '200',
      port: 32000,
      delaySeconds: 2,
      timeoutSeconds: 2,
      maxRetries: 2,
    });
  });

  test('members: Ready workers not excluded; gateway nodes only when a gateway group has Ready nodes', () => {
    const notReady = node('k-node-2', '10.9.8.22', {}, 'False');
    const excluded = node('k-node-3', '10.9.8.23', { 'node.kubernetes.io/exclude-from-external-load-balancers': '' });
    assert.deepEqual(
      memberNodes([MASTER, W0, W1, notReady, excluded]).map((n) => n.name),
      ['k-node-0', 'k-node-1'],
    );
    const gw = node('k-gateway-0', '10.9.8.24', { 'magnum.openstack.org/role': 'gateway' });
    assert.deepEqual(
      memberNodes([MASTER, W0, gw, W1]).map((n) => n.name),
      ['k-gateway-0'],
    );
    const booting = node('k-gateway-1', '10.9.8.25', { 'magnum.openstack.org/role': 'gateway' }, 'Unknown');
    assert.deepEqual(
      memberNodes([MASTER, W0, booting, W1]).map((n) => n.name),
      ['k-node-0', 'k-node-1'],
      'no gateway Ready yet: the workers carry the traffic meanwhile',
    );
    assert.deepEqual(
      memberNodes([MASTER]).map((n) => n.name),
      ['k-master-0'],
      'a cluster of masters only uses them',
    );
  });

  test('members: a node on its way out (cordoned, being deleted, autoscaler taint) leaves unless it is the last', () => {
    const cordoned: KubeNode = { ...W0, spec: { unschedulable: true } };
    assert.deepEqual(
      memberNodes([MASTER, cordoned, W1]).map((n) => n.name),
      ['k-node-1'],
      'the upgrade cordons a worker before draining it: it leaves the load balancer first',
    );
    const deleting: KubeNode = { ...W1, metadata: { ...W1.metadata, deletionTimestamp: '2026-12-01T00:00:00Z' } };
    const tainted: KubeNode = {
      ...W1,
      spec: { taints: [{ key: 'ToBeDeletedByClusterAutoscaler', effect: 'NoSchedule' }] },
    };
    assert.deepEqual(
      memberNodes([MASTER, W0, deleting]).map((n) => n.name),
      ['k-node-0'],
    );
    assert.deepEqual(
      memberNodes([MASTER, W0, tainted]).map((n) => n.name),
      ['k-node-0'],
    );
    assert.deepEqual(
      memberNodes([MASTER, cordoned, { ...W1, spec: { unschedulable: true } }]).map((n) => n.name),
      ['k-node-0', 'k-node-1'],
      'every worker cordoned: they still carry the traffic (better than none)',
    );
  });

  test('loadBalancerIP is honoured inside the pool and refused outside or in use', () => {
    assert.equal(
      plan([svc('a', 'u1', { loadBalancerIP: '10.9.8.250' })]).ensure[0]?.spec.network.vipAddress,
      '10.9.8.250',
    );
    const outside = plan([svc('a', 'u1', { loadBalancerIP: '10.9.8.30' })]);
    assert.deepEqual(outside.ensure, []);
    assert.match(outside.skipped[0]!.reason, /loadBalancerIP 10\.9\.8\.30 is not in 10\.9\.8\.201–10\.9\.8\.254/);
  });

  test('the pool runs out: the Service is reported, the others keep theirs', () => {
    const services = Array.from({ length: 55 }, (_, i) => svc(`s${String(i).padStart(2, '0')}`, `u${i}`));
    const p = plan(services);
    assert.equal(p.ensure.length, 54);
    assert.deepEqual(p.skipped, [{ service: 'default/s54', reason: 'no free VIP left in 10.9.8.201–10.9.8.254' }]);
  });
});

/** A provider recording load-balancer calls, holding them in memory. */
class LbProvider {
  lbs = new Map<string, LoadBalancer>();
  calls: string[] = [];
  network: Network | null = { ...NET, name: 'n', gateway: '10.9.8.1', created: false };
  async findNetwork(): Promise<Network | null> {
    return this.network;
  }
  async listLoadBalancers(): Promise<LoadBalancer[]> {
    return [...this.lbs.values()];
  }
  async ensureLoadBalancer(spec: LoadBalancerSpec): Promise<LoadBalancer> {
    this.calls.push(`ensure ${spec.network.vipAddress} ${spec.listeners[0]?.members.length ?? 0} members`);
    const lb = asObserved(spec);
    this.lbs.set(spec.name, lb);
    return lb;
  }
  async removeLoadBalancer(lb: Pick<LoadBalancer, 'name'>): Promise<void> {
    this.calls.push(`remove ${lb.name}`);
    this.lbs.delete(lb.name);
  }
}

/** An apiserver answering from its fields and applying status patches. */
class FakeApi {
  services: KubeService[] = [];
  nodes: KubeNode[] = [MASTER, W0, W1];
  patches: string[] = [];
  failPatch = false;
  async listServices(): Promise<KubeService[]> {
    return structuredClone(this.services);
  }
  async listNodes(): Promise<KubeNode[]> {
    return this.nodes;
  }
  async patchServiceStatus(ns: string, name: string, status: KubeService['status']): Promise<void> {
    if (this.failPatch) throw new Error('apiserver went away');
    this.patches.push(`${ns}/${name} ${JSON.stringify(status)}`);
    const s = this.services.find((x) => x.metadata.namespace === ns && x.metadata.name === name);
    if (s) s.status = { loadBalancer: { ingress: status?.loadBalancer?.ingress ?? [] } };
  }
}

describe('syncServiceLoadBalancers', () => {
  const setup = () => {
    const provider = new LbProvider();
    const api = new FakeApi();
    const events: string[] = [];
    const ctx: LoadBalancerSyncContext = {
      cluster: { uuid: UUID } as LoadBalancerSyncContext['cluster'],
      pki: { caPem: '', conductorClient: async () => ({ certPem: '', keyPem: '' }) },
      signal: new AbortController().signal,
      log: { info: () => {}, warn: () => {}, debug: () => {} },
      event: async (phase, message) => void events.push(`${phase}: ${message}`),
    };
    const memory = newSyncMemory();
    const run = () => syncServiceLoadBalancers(provider as unknown as Provider, api as unknown as KubeApi, ctx, memory);
    return { provider, api, events, run, memory };
  };

  test('made and published; then left alone; a node gone updates it; the Service gone removes it', async () => {
    const { provider, api, events, run } = setup();
    api.services = [svc('web', 'u1')];
    const r1 = await run();
    assert.deepEqual(r1, { ensured: [serviceLbName(UUID, 'u1')], removed: [], published: ['default/web'] });
    assert.deepEqual(provider.calls, ['ensure 10.9.8.201 2 members']);
    assert.equal(api.services[0]?.status?.loadBalancer?.ingress?.[0]?.ip, '10.9.8.201');
    assert.match(
      events[0] ?? '',
      /^load-balancer: created load balancer for service default\/web: 10\.9\.8\.201:80 → /,
    );

    const r2 = await run();
    assert.deepEqual(r2, { ensured: [], removed: [], published: [] });
    assert.equal(provider.calls.length, 1, 'an unchanged plan asks nothing of the provider');
    assert.equal(events.length, 1);

    api.nodes = [MASTER, W0];
    await run();
    assert.deepEqual(provider.calls.at(-1), 'ensure 10.9.8.201 1 members');
    assert.match(
      events.at(-1) ?? '',
      /updated load balancer for service default\/web: 10\.9\.8\.201:80 → 10\.9\.8\.20:31080$/,
    );

    api.services = [];
    const r4 = await run();
    assert.deepEqual(r4.removed, [serviceLbName(UUID, 'u1')]);
    assert.equal(provider.lbs.size, 0);
    assert.match(events.at(-1) ?? '', /removed load balancer 10\.9\.8\.201 of service default\/web/);
  });

  test('a sync interrupted before the status patch is finished by the next one, on the same VIP', async () => {
    const { provider, api, run } = setup();
    api.services = [svc('web', 'u1')];
    api.failPatch = true;
    await assert.rejects(run(), /apiserver went away/);
    assert.equal(provider.lbs.size, 1);
    api.failPatch = false;
    const r = await run();
    assert.deepEqual(r.published, ['default/web']);
    assert.deepEqual(api.patches, ['default/web {"loadBalancer":{"ingress":[{"ip":"10.9.8.201","ipMode":"VIP"}]}}']);
  });

  test('a load balancer changed behind its back (stopped) is ensured again at once', async () => {
    const { provider, api, run } = setup();
    api.services = [svc('web', 'u1')];
    await run();
    const lb = [...provider.lbs.values()][0]!;
    provider.lbs.set(lb.name, { ...lb, state: 'stopped' });
    await run();
    assert.equal(provider.calls.length, 2);
  });

  test('no network (the cluster is going): nothing is made', async () => {
    const { provider, api, run } = setup();
    provider.network = null;
    api.services = [svc('web', 'u1')];
    assert.deepEqual(await run(), { ensured: [], removed: [], published: [] });
    assert.deepEqual(provider.calls, []);
  });

  test('what cannot be served is reported once, not every sync', async () => {
    const { api, events, run } = setup();
    api.services = [svc('dns', 'u1', { ports: [{ port: 53, protocol: 'UDP', nodePort: 30053 }] })];
    await run();
    await run();
    assert.deepEqual(events, [
      'load-balancer: not served: default/dns: UDP port 53: the local load balancer carries TCP only',
    ]);
  });
});
