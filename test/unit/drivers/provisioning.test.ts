/**
 * @module test/unit/drivers/provisioning — the node provisioning of the Docker-engine drivers against a recording
 * Provider (the contract only): what a machine is asked for (payload, volumes, ports, flavor), how observed machines
 * are kept, restarted or made again, and how a failed bootstrap ends the wait for an engine.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClusterSpec, DriverContext } from '../../../src/drivers/contract.ts';
import { DriverError } from '../../../src/drivers/contract.ts';
import { planNodes } from '../../../src/drivers/local-common/node-plan.ts';
import {
  ensureMachines,
  localOutputs,
  NodeEngines,
  removeClusterResources,
  waitEngine,
} from '../../../src/drivers/local-common/provisioning.ts';
import { parseUserData } from '../../../src/providers/cloud-config.ts';
import type {
  BootstrapStatus,
  ClusterResources,
  LoadBalancer,
  Machine,
  MachineSpec,
  Network,
  Provider,
} from '../../../src/providers/contract.ts';
import { findFreePort } from '../../../src/providers/docker/free-port.ts';

const UUID = 'c0ffee00-0000-4000-8000-000000000002';
const IMG = 'magnetar/node:bookworm';
const NET: Network = {
  id: 'net-1',
  name: `magnetar-${UUID}`,
  cidr: '10.20.30.0/24',
  gateway: '10.20.30.1',
  created: false,
};

/** A Provider that records calls and answers from its fields. */
class RecordingProvider implements Provider {
  readonly name = 'recording';
  calls: string[] = [];
  specs: MachineSpec[] = [];
  boot: BootstrapStatus = { state: 'pending', output: '' };
  left: ClusterResources = { machines: 0, volumes: 0, networks: 0, loadBalancers: 0 };
  async ensureNetwork(): Promise<Network> {
    this.calls.push('ensureNetwork');
    return NET;
  }
  async findNetwork(): Promise<Network | null> {
    return NET;
  }
  async ensureLoadBalancer(): Promise<LoadBalancer> {
    throw new Error('not used by these tests');
  }
  async listLoadBalancers(): Promise<LoadBalancer[]> {
    return [];
  }
  async observeLoadBalancers(): Promise<Map<string, LoadBalancer[]>> {
    return new Map();
  }
  async removeLoadBalancer(): Promise<void> {}
  async ensureMachine(spec: MachineSpec): Promise<Machine> {
    this.calls.push(`ensureMachine ${spec.name}`);
    this.specs.push(spec);
    return machine(spec.name, spec.role, spec.index, 'running', spec.previousEndpoints?.engine?.port ?? 40000);
  }
  async startMachine(m: Pick<Machine, 'name'>): Promise<void> {
    this.calls.push(`startMachine ${m.name}`);
  }
  async listMachines(): Promise<Machine[]> {
    return [];
  }
  async observeMachines(): Promise<Map<string, Machine[]>> {
    return new Map();
  }
  async removeMachine(m: Pick<Machine, 'name'>, opts: { keepVolumes?: boolean } = {}): Promise<void> {
    this.calls.push(`removeMachine ${m.name}${opts.keepVolumes ? ' keepVolumes' : ''}`);
  }
  async removeCluster(): Promise<ClusterResources> {
    this.calls.push('removeCluster');
    return { machines: 3, volumes: 3, networks: 1, loadBalancers: 1 };
  }
  async leftovers(): Promise<ClusterResources> {
    return this.left;
  }
  endpoint(m: Pick<Machine, 'endpoints'>, port: string): { host: string; port: number } | null {
    return m.endpoints[port] ?? null;
  }
  async bootstrapStatus(): Promise<BootstrapStatus> {
    this.calls.push('bootstrapStatus');
    return this.boot;
  }
  async waitBootstrap(): Promise<BootstrapStatus> {
    return this.boot;
  }
  async image(): Promise<null> {
    return null;
  }
  async resolvers(): Promise<string[]> {
    return ['192.0.2.53'];
  }
}

function machine(name: string, role: string, index: number, state: Machine['state'], port: number): Machine {
  return {
    id: `id-${name}`,
    name,
    hostname: name.replace(`magnetar-${UUID}`, 'demo'),
    clusterUuid: UUID,
    role,
    nodegroup: role === 'master' ? 'default-master' : 'default-worker',
    index,
    image: IMG,
    flavor: '',
    address: `10.20.30.${(role === 'master' ? 10 : 20) + index}`,
    state,
    status: state === 'stopped' ? 'exited' : state === 'failed' ? 'created' : 'running',
    endpoints: { engine: { host: '127.0.0.1', port } },
  };
}

const cluster: ClusterSpec = {
  uuid: UUID,
  name: 'demo',
  projectId: 'p',
  coe: 'swarm',
  imageId: IMG,
  masterLbEnabled: false,
  tlsDisabled: false,
  fixedSubnet: null,
  dnsNameservers: [],
  networkDriver: 'docker',
  labels: {},
  nodegroups: [
    {
      name: 'default-master',
      role: 'master',
      nodeCount: 1,
      flavorId: null,
      flavor: null,
      imageId: IMG,
      isDefault: true,
      dockerVolumeSize: null,
      labels: {},
    },
    {
      name: 'default-worker',
      role: 'worker',
      nodeCount: 2,
      flavorId: 'm1.small',
      flavor: { memoryBytes: 2 * 2 ** 30, nanoCpus: 1e9 },
      imageId: IMG,
      isDefault: true,
      dockerVolumeSize: 5,
      labels: {},
    },
  ],
};

function context(): { ctx: DriverContext; events: string[] } {
  const events: string[] = [];
  const ctx: DriverContext = {
    cluster,
    intent: { action: 'create' },
    pki: {
      caPem: 'CA PEM',
      issueServer: async (cn) => ({ certPem: `cert of ${cn}`, keyPem: `key of ${cn}` }),
      conductorClient: async () => ({ certPem: 'client', keyPem: 'client key' }),
      issueClient: async (cn) => ({ certPem: `client cert of ${cn}`, keyPem: `key of ${cn}` }),
      secret: async (kind) => ({ certPem: `secret ${kind}`, keyPem: `secret key ${kind}` }),
      previousCaPem: async () => undefined,
      forgetPreviousCa: async () => {},
    },
    state: { get: () => ({}), merge: async () => {} },
    signal: new AbortController().signal,
    log: { info() {}, warn() {}, debug() {} },
    event: async (phase, message) => {
      events.push(`${phase}: ${message}`);
    },
  };
  return { ctx, events };
}

const plan = planNodes({
  uuid: UUID,
  name: 'demo',
  groups: cluster.nodegroups.map((g) => ({ name: g.name, role: g.role, nodeCount: g.nodeCount, imageId: g.imageId })),
  observed: [],
});

void describe('provisioning through the provider contract', () => {
  test('a new node is described by image, flavor, network + address, data volume, engine port and its payload', async () => {
    const p = new RecordingProvider();
    const { ctx, events } = context();
    const made = await ensureMachines(p, ctx, plan.nodes, new Map(), NET);
    assert.equal(made.size, 3);
    const worker = p.specs.find((s) => s.name === `magnetar-${UUID}-node-1`);
    assert.ok(worker);
    assert.equal(worker.hostname, 'demo-node-1');
    assert.equal(worker.image, IMG);
    assert.deepEqual(worker.flavor, { name: 'm1.small', limits: { memoryBytes: 2 * 2 ** 30, nanoCpus: 1e9 } });
    assert.deepEqual(worker.network, { id: 'net-1', address: '10.20.30.21' });
    assert.deepEqual(worker.volumes, [
      { name: `magnetar-${UUID}-node-1-data`, mountPath: '/var/lib/docker', sizeGb: 5, keep: false },
    ]);
    assert.deepEqual(worker.ports, [{ name: 'engine', port: 2376 }]);
    const payload = parseUserData(worker.userData);
    const files = new Map(payload.write_files?.map((f) => [f.path, f]));
    assert.equal(files.get('/etc/docker/tls/server-cert.pem')?.content, 'cert of demo-node-1');
    assert.equal(files.get('/etc/docker/tls/server-key.pem')?.permissions, '0600');
    assert.deepEqual((JSON.parse(files.get('/etc/docker/daemon.json')?.content ?? '{}') as { dns: string[] }).dns, [
      '192.0.2.53',
    ]);
    assert.deepEqual(payload.runcmd, [['/usr/local/sbin/magnetar-supervise', 'start']]);
    const master = p.specs.find((s) => s.role === 'master');
    assert.equal(master?.volumes[0]?.keep, true, "a manager's data volume is kept");
    assert.equal(master?.flavor, null);
    assert.equal(events.filter((e) => e.startsWith('nodes: node ')).length, 3);
  });

  test('running machines are kept, stopped ones started, failed ones made again on their previous endpoint', async () => {
    const p = new RecordingProvider();
    const { ctx, events } = context();
    const [m0, n0, n1] = plan.nodes;
    assert.ok(m0 && n0 && n1);
    const existing = new Map([
      [m0.name, machine(m0.name, 'master', 0, 'failed', 41000)],
      [n0.name, machine(n0.name, 'worker', 0, 'running', 41001)],
      [n1.name, machine(n1.name, 'worker', 1, 'stopped', 41002)],
    ]);
    const made = await ensureMachines(p, ctx, plan.nodes, existing, NET);
    assert.deepEqual(p.calls.sort(), [
      `ensureMachine ${m0.name}`,
      `removeMachine ${m0.name} keepVolumes`,
      `startMachine ${n1.name}`,
    ]);
    assert.equal(p.specs[0]?.previousEndpoints?.engine?.port, 41000);
    assert.equal(made.get(m0.name)?.endpoints.engine?.port, 41000);
    assert.equal(made.get(n1.name)?.state, 'running');
    assert.ok(events.includes('nodes: node demo-node-1 was exited; restarted'));
  });

  test('a failed bootstrap ends the wait for the engine with its output; a silent node times out retryably', async () => {
    const p = new RecordingProvider();
    const { ctx } = context();
    const port = await findFreePort(); // nothing listens there
    const m = machine(`magnetar-${UUID}-node-0`, 'worker', 0, 'running', port);
    const engines = new NodeEngines(p, null);
    try {
      p.boot = { state: 'failed', output: 'E: dockerd: no such file\nruncmd failed with exit code 127' };
      await assert.rejects(
        waitEngine(p, engines, m, ctx.signal, 10_000),
        (e: unknown) =>
          e instanceof DriverError &&
          e.phase === 'engines' &&
          !e.retryable &&
          /bootstrap of demo-node-0 failed: .*exit code 127/s.test(e.message),
      );
      p.boot = { state: 'pending', output: 'still going' };
      await assert.rejects(
        waitEngine(p, engines, m, ctx.signal, 300),
        (e: unknown) =>
          e instanceof DriverError && e.retryable && /not answering after 0.3 s \(bootstrap pending/.test(e.message),
      );
    } finally {
      engines.closeAll();
    }
  });

  test('teardown removes through the provider and fails retryably while anything is left', async () => {
    const p = new RecordingProvider();
    const { ctx, events } = context();
    await removeClusterResources(p, ctx);
    assert.deepEqual(events, ['teardown: removed 3 machines, 3 volumes, 1 networks, 1 load balancers']);
    p.left = { machines: 0, volumes: 1, networks: 0, loadBalancers: 0 };
    await assert.rejects(
      removeClusterResources(p, ctx),
      (e: unknown) => e instanceof DriverError && e.retryable && /1 volumes/.test(e.message),
    );
  });

  test('outputs: api_address is the first master engine endpoint; addresses per node group', () => {
    const p = new RecordingProvider();
    const api = machine(`magnetar-${UUID}-master-0`, 'master', 0, 'running', 45678);
    assert.deepEqual(localOutputs(p, api, '20.10.24', plan.nodes, NET), {
      apiAddress: 'tcp://127.0.0.1:45678',
      coeVersion: '20.10.24',
      containerVersion: '20.10.24',
      addresses: { 'default-master': ['10.20.30.10'], 'default-worker': ['10.20.30.20', '10.20.30.21'] },
    });
  });
});
