/**
 * The local load balancer (the stand-in for Octavia) against the real host engine, through the provider contract:
 * a load balancer on a VIP of a cluster network that the host reaches, balancing over two members (small haproxy
 * containers answering their own name); an unchanged spec changes nothing (same container, not restarted); new members
 * are taken by a reload in place (same container and VIP); a stopped member is taken out by the health monitor; allowed
 * CIDRs refuse the host outside them; a stopped load balancer is started again; removal frees the VIP; the cluster's
 * teardown removes its load balancers and counts them apart from machines.
 * Skipped, saying so, when the load balancer image is not built (`magnetar image build --coe kubernetes`).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Engine } from '../../../src/docker-api/engine.ts';
import { hostAddress } from '../../../src/core/cidr.ts';
import {
  CLUSTER_LABEL,
  type LbListenerSpec,
  type LoadBalancerSpec,
  type Network,
} from '../../../src/providers/contract.ts';
import { LB_IMAGE } from '../../../src/providers/docker/load-balancers.ts';
import { DockerProvider } from '../../../src/providers/docker/provider.ts';
import { tarFiles } from '../../../src/core/tar.ts';
import { eventually } from '../../helpers/lifecycle.ts';

const SOCKET = '/var/run/docker.sock';
const host = existsSync(SOCKET) ? new Engine({ socketPath: SOCKET }) : null;
const SKIP = !host
  ? `no Docker engine socket at ${SOCKET}`
  : (await host.inspectImage(LB_IMAGE))
    ? false
    : `the load balancer image ${LB_IMAGE} is not built (magnetar image build --coe kubernetes)`;

/** `curl` from the host: the body, or null when the connection fails. */
async function curl(url: string): Promise<string | null> {
  try {
    return (await promisify(execFile)('curl', ['-sS', '-m', '3', url], { timeout: 10_000 })).stdout.trim();
  } catch {
    return null;
  }
}

describe('load balancers on the local provider', { skip: SKIP, timeout: 300_000 }, () => {
  const uuid = randomUUID();
  const engine = host as Engine;
  const provider = new DockerProvider(engine);
  let network: Network;
  let vip: string;
  const members: { name: string; address: string; id: string }[] = [];

  const listener = (over: Partial<LbListenerSpec> = {}): LbListenerSpec => ({
    name: 'http',
    protocol: 'TCP',
    port: 80,
    allowedCidrs: [],
    idleTimeoutSeconds: 30,
    algorithm: 'ROUND_ROBIN',
    members: members.map((m) => ({ name: m.name, address: m.address, port: 8080 })),
    healthMonitor: {
      type: 'HTTP',
      urlPath: '/',
      expectedCodes: '200',
      delaySeconds: 1,
      timeoutSeconds: 1,
      maxRetries: 1,
    },
    ...over,
  });
  const spec = (over: Partial<LoadBalancerSpec> = {}): LoadBalancerSpec => ({
    name: `magnetar-${uuid}-lb-test`,
    clusterUuid: uuid,
    purpose: 'service',
    network: { id: network.id, vipAddress: vip },
    listeners: [listener()],
    labels: { 'magnetar.test': 'lb' },
    ...over,
  });
  /** Bodies of `n` connections to the VIP. */
  const answers = async (n: number, port = 80): Promise<string[]> => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push((await curl(`http://${vip}:${port}/`)) ?? 'refused');
    return out;
  };

  before(async () => {
    network = await provider.ensureNetwork({ clusterUuid: uuid, subnetHint: null });
    vip = hostAddress(network.cidr, 201);
    // Two members: haproxy from the same image, each answering its own name over HTTP on 8080.
    for (const i of [0, 1]) {
      const name = `member-${i}`;
      const address = hostAddress(network.cidr, 20 + i);
      const { Id } = await engine.createContainer(`magnetar-${uuid}-${name}`, {
        Image: LB_IMAGE,
        Labels: { [CLUSTER_LABEL]: uuid },
        HostConfig: { Init: true },
        NetworkingConfig: { EndpointsConfig: { [network.id]: { IPAMConfig: { IPv4Address: address } } } },
      });
      const cfg = [
        'global',
        '  maxconn 100',
        'defaults',
        '  mode http',
        '  timeout connect 5s',
        '  timeout client 10s',
        '  timeout server 10s',
        'frontend web',
        '  bind :8080',
        `  http-request return status 200 content-type text/plain string ${name}`,
        '',
      ].join('\n');
      await engine.putArchive(
        Id,
        '/',
        tarFiles([{ path: '/etc/haproxy/haproxy.cfg', content: cfg }], { parents: false }),
      );
      await engine.startContainer(Id);
      members.push({ name, address, id: Id });
    }
  });

  after(async () => {
    await provider.removeCluster(uuid).catch(() => undefined);
    engine.close();
  });

  it('serves on its VIP from the host, balancing over both members', async () => {
    const lb = await provider.ensureLoadBalancer(spec());
    assert.equal(lb.vipAddress, vip);
    assert.equal(lb.state, 'active');
    assert.equal(lb.purpose, 'service');
    assert.deepEqual(lb.endpoints, { http: { host: vip, port: 80 } });
    const seen = await eventually(
      'both members answer through the VIP',
      async () => {
        // (the first connections may come before haproxy listens: only answers count)
        const a = new Set((await answers(6)).filter((x) => x !== 'refused'));
        return a.has('member-0') && a.has('member-1') ? [...a].sort() : undefined;
      },
      30_000,
      300,
    );
    assert.deepEqual(seen, ['member-0', 'member-1']);
    const [listed] = await provider.listLoadBalancers(uuid);
    assert.equal(listed?.id, lb.id);
    assert.deepEqual(
      listed?.listeners[0]?.members.map((m) => m.name),
      ['member-0', 'member-1'],
      'the applied listeners are read back',
    );
    assert.deepEqual(await provider.listMachines(uuid), [], 'a load balancer is no machine');
    // Every cluster's load balancers from one call (the health pass's view): this one, by its cluster, state only.
    const all = await provider.observeLoadBalancers();
    assert.deepEqual(
      (all.get(uuid) ?? []).map((b) => [b.id, b.name, b.state, b.vipAddress, b.listeners.length]),
      [[lb.id, spec().name, 'active', vip, 0]],
    );
  });

  it('changes nothing for an unchanged spec, reloads in place for new members', async () => {
    const before = await engine.inspectContainer(spec().name);
    const again = await provider.ensureLoadBalancer(
      spec({ listeners: [listener({ members: [...listener().members].reverse() })] }),
    );
    const same = await engine.inspectContainer(spec().name);
    assert.equal(again.id, before?.Id);
    assert.equal(same?.State.StartedAt, before?.State.StartedAt, 'not restarted');

    const one = await provider.ensureLoadBalancer(
      spec({ listeners: [listener({ members: [listener().members[1]!] })] }),
    );
    assert.equal(one.id, before?.Id, 'the same container');
    assert.equal((await engine.inspectContainer(spec().name))?.State.StartedAt, before?.State.StartedAt);
    await eventually(
      'only member-1 answers after the reload',
      async () => ((await answers(6)).every((a) => a === 'member-1') ? true : undefined),
      30_000,
      300,
    );
    await provider.ensureLoadBalancer(spec());
  });

  it('takes a stopped member out (health monitor) and back in when it returns', async () => {
    await engine.stopContainer(members[0]!.id, 1);
    await eventually(
      'every answer from member-1 while member-0 is down',
      async () => ((await answers(6)).every((a) => a === 'member-1') ? true : undefined),
      30_000,
      500,
    );
    await engine.startContainer(members[0]!.id);
    await eventually(
      'member-0 answers again',
      async () => ((await answers(6)).includes('member-0') ? true : undefined),
      30_000,
      500,
    );
  });

  it('refuses the host outside the allowed CIDRs and lets it in by its address', async () => {
    await provider.ensureLoadBalancer(spec({ listeners: [listener({ allowedCidrs: ['192.0.2.0/24'] })] }));
    await eventually('refused', async () => ((await curl(`http://${vip}/`)) === null ? true : undefined), 30_000, 300);
    await provider.ensureLoadBalancer(spec({ listeners: [listener({ allowedCidrs: [`${network.gateway}/32`] })] }));
    await eventually('let in', async () => ((await curl(`http://${vip}/`)) !== null ? true : undefined), 30_000, 300);
  });

  it('starts a stopped load balancer again; another port is a change of listeners', async () => {
    await engine.stopContainer(spec().name, 1);
    assert.equal((await provider.listLoadBalancers(uuid))[0]?.state, 'stopped');
    assert.equal((await provider.observeLoadBalancers()).get(uuid)?.[0]?.state, 'stopped');
    const lb = await provider.ensureLoadBalancer(spec({ listeners: [listener({ port: 8081 })] }));
    assert.equal(lb.state, 'active');
    assert.deepEqual(lb.endpoints, { http: { host: vip, port: 8081 } });
    await eventually(
      'port 8081 answers',
      async () => ((await curl(`http://${vip}:8081/`)) ? true : undefined),
      30_000,
      300,
    );
    assert.equal(await curl(`http://${vip}:80/`), null);
  });

  it('refuses what it cannot serve before making anything', async () => {
    await assert.rejects(
      provider.ensureLoadBalancer(spec({ name: 'lb-without-uuid' })),
      /does not contain the cluster UUID/,
    );
    await assert.rejects(
      provider.ensureLoadBalancer(spec({ listeners: [listener({ protocol: 'UDP' as 'TCP' })] })),
      /protocol: UDP is not supported/,
    );
  });

  it('removal frees the VIP; the cluster teardown removes load balancers and counts them', async () => {
    const lb = (await provider.listLoadBalancers(uuid))[0]!;
    await provider.removeLoadBalancer(lb);
    await provider.removeLoadBalancer(lb); // a missing one is fine
    assert.deepEqual(await provider.listLoadBalancers(uuid), []);
    assert.equal(await curl(`http://${vip}:8081/`), null);
    // The VIP is free again: a second load balancer takes it.
    await provider.ensureLoadBalancer(spec({ name: `magnetar-${uuid}-lb-again` }));
    assert.deepEqual(await provider.leftovers(uuid), { machines: 2, volumes: 0, networks: 1, loadBalancers: 1 });
    const removed = await provider.removeCluster(uuid);
    assert.deepEqual(removed, { machines: 2, volumes: 0, networks: 1, loadBalancers: 1 });
    assert.deepEqual(await provider.leftovers(uuid), { machines: 0, volumes: 0, networks: 0, loadBalancers: 0 });
  });
});
