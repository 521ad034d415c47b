/**
 * The OpenStack clients (src/openstack/nova.ts, neutron.ts, cinder.ts, octavia.ts) against the real services of
 * `scripts/ensure-system.sh placement nova neutron cinder [octavia]` (Nova with the fake virt driver, Neutron without
 * agents, Cinder with the fake volume driver): as a member of magnetar-a, a tagged network, subnet, router to
 * `public`, security group, port with a floating IP, keypair, server group, a server ACTIVE with user-data, tags and
 * metadata, a volume attached and detached, a load balancer when Octavia is in the catalog; pagination by markers;
 * an error naming the call; then everything deleted by tag and nothing left.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { findEndpoint } from '../../../src/openstack/catalog.ts';
import { Cinder } from '../../../src/openstack/cinder.ts';
import { OpenStackError } from '../../../src/openstack/http.ts';
import { Neutron } from '../../../src/openstack/neutron.ts';
import { Nova } from '../../../src/openstack/nova.ts';
import { Octavia } from '../../../src/openstack/octavia.ts';
import { KeystoneSession } from '../../../src/openstack/session.ts';
import { keystoneAccounts, passwordOf, USERS, type Accounts, type UserName } from '../../helpers/keystone.ts';

const { accounts, skip: noKeystone } = keystoneAccounts();

function sessionOf(a: Accounts, user: UserName): KeystoneSession {
  const u = USERS[user];
  return new KeystoneSession({
    authUrl: a.authUrl,
    credentials: {
      kind: 'password',
      username: user,
      userDomainName: 'Default',
      password: passwordOf(a, user),
      scope: 'system' in u ? { system: 'all' } : { project: { name: u.project, domainName: 'Default' } },
    },
    timeoutMs: 30_000,
    endpoints: { region: a.region, interface: 'public' },
  });
}

/** An OpenSSH ed25519 public key line. */
function sshPublicKey(): string {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const str = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  const blob = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(Buffer.from(jwk.x as string, 'base64url'))]);
  return `ssh-ed25519 ${blob.toString('base64')} magnetar-test`;
}

async function until<T>(what: string, secs: number, f: () => Promise<T | null | undefined | false>): Promise<T> {
  const end = Date.now() + secs * 1000;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      if (!(e instanceof OpenStackError)) throw e; // an ERROR status: no use waiting
      last = e;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out after ${secs} s waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

let cloudSkip: string | false = noKeystone;
if (!cloudSkip) {
  try {
    const s = sessionOf(accounts as Accounts, 'a-member');
    const catalog = (await s.auth()).info.catalog ?? [];
    for (const t of ['compute', 'network', 'volumev3']) {
      const f = { region: (accounts as Accounts).region, interface: 'public' as const };
      if (findEndpoint(catalog, t, f) === null) {
        cloudSkip = `no ${t} service in the catalog: scripts/ensure-system.sh placement nova neutron cinder`;
      }
    }
  } catch (e) {
    cloudSkip = `Keystone does not answer (${(e as Error).message})`;
  }
}

describe('OpenStack clients against the real test cloud', { skip: cloudSkip }, () => {
  const a = accounts as Accounts;
  const tag = `magnetar-test-${randomBytes(4).toString('hex')}`;
  const octet = 64 + ((randomBytes(1)[0] as number) % 128);
  let member: KeystoneSession;
  let nova: Nova;
  let neutron: Neutron;
  let cinder: Cinder;
  let octavia: Octavia | null = null;
  let adminNova: Nova;

  before(async () => {
    member = sessionOf(a, 'a-member');
    nova = new Nova(member);
    neutron = new Neutron(member);
    cinder = new Cinder(member);
    adminNova = new Nova(sessionOf(a, 'admin'));
    const catalog = (await member.auth()).info.catalog ?? [];
    if (findEndpoint(catalog, 'load-balancer', { region: a.region, interface: 'public' }) !== null) {
      octavia = new Octavia(member);
    }
  });

  // Whatever a failed run left behind is removed too (same code as the test's own clean-up).
  after(async () => {
    if (nova) await deleteByTag().catch(() => undefined);
  });

  const ids: Record<string, string> = {};

  it('creates a tagged network, subnet, router to public, security group, port and floating IP', async () => {
    const [pub] = await neutron.listNetworks({ name: 'public', 'router:external': true });
    assert.ok(pub, 'the external network public exists');
    const net = await neutron.createNetwork({ name: `${tag}-net`, tags: [tag] });
    const subnet = await neutron.createSubnet({
      name: `${tag}-subnet`,
      network_id: net.id,
      cidr: `10.${octet}.0.0/24`,
      ip_version: 4,
      tags: [tag],
    });
    const router = await neutron.createRouter({
      name: `${tag}-router`,
      external_gateway_info: { network_id: pub.id },
      tags: [tag],
    });
    await neutron.addRouterInterface(router.id, subnet.id);
    const sg = await neutron.createSecurityGroup({ name: `${tag}-sg`, tags: [tag] });
    await neutron.createSecurityGroupRule({
      security_group_id: sg.id,
      direction: 'ingress',
      protocol: 'tcp',
      port_range_min: 6443,
      port_range_max: 6443,
      remote_ip_prefix: '0.0.0.0/0',
    });
    const port = await neutron.createPort({ name: `${tag}-port`, network_id: net.id, tags: [tag] });
    const fip = await neutron.createFloatingIp({ floating_network_id: pub.id, port_id: port.id, tags: [tag] });
    assert.match(fip.floating_ip_address, /^172\.24\.4\./);
    Object.assign(ids, { net: net.id, subnet: subnet.id, router: router.id, sg: sg.id, port: port.id });

    const byTag = await neutron.listNetworks({ tags: [tag] });
    assert.deepEqual(
      byTag.map((n) => [n.id, n.tags]),
      [[net.id, [tag]]],
    );
    const r = await neutron.getRouter(router.id);
    assert.equal(r?.external_gateway_info?.network_id, pub.id);
    const groups = await neutron.listSecurityGroups({ tags: [tag] });
    assert.ok(groups[0]?.security_group_rules.some((x) => x.port_range_min === 6443));
    assert.equal((await neutron.listFloatingIps({ tags: [tag] }))[0]?.port_id, port.id);
  });

  it('boots a server ACTIVE with user-data, tags, metadata, keypair and server group', async () => {
    await nova.createKeypair(`${tag}-key`, sshPublicKey());
    const group = await nova.createServerGroup(`${tag}-group`, 'soft-anti-affinity');
    ids.group = group.id;
    const flavor = (await nova.listFlavors()).find((f) => f.name === 'm1.tiny');
    assert.ok(flavor, 'flavor m1.tiny');
    const image = await until('the test image', 5, async () => {
      const res = await adminNova.c.request('GET', '/servers?limit=1'); // compute answers
      assert.equal(res.status, 200);
      const glance = (await member.endpoint('image')).replace(/\/+$/, '');
      const list = await fetch(`${glance}/v2/images?name=magnetar-test-raw`, {
        headers: { 'x-auth-token': await member.token() },
      });
      return ((await list.json()) as { images: { id: string }[] }).images[0];
    });
    const userData = `#!/bin/sh\necho ${tag} > /tmp/hello\n`;
    const { id } = await nova.createServer({
      name: `${tag}-server`,
      imageRef: image.id,
      flavorRef: flavor.id,
      networks: [{ uuid: ids.net as string }],
      key_name: `${tag}-key`,
      userData,
      metadata: { magnetar_cluster: tag },
      tags: [tag, 'role-master'],
      security_groups: [{ name: `${tag}-sg` }],
      group: group.id,
    });
    ids.server = id;
    const server = await until('the server ACTIVE', 120, async () => {
      const s = await nova.getServer(id);
      if (s?.status === 'ERROR') throw new Error(`server ERROR: ${JSON.stringify(s.fault)}`);
      return s?.status === 'ACTIVE' ? s : null;
    });
    assert.deepEqual(server.tags?.sort(), [tag, 'role-master'].sort());
    assert.equal(server.metadata.magnetar_cluster, tag);
    assert.match(JSON.stringify(server.addresses), new RegExp(`10\\.${octet}\\.0\\.`));
    assert.equal(await adminNova.userDataOf(id), userData);
    assert.deepEqual(
      (await nova.listServers({ tags: [tag] })).map((s) => s.id),
      [id],
    );
    const groups = await nova.listServerGroups();
    assert.deepEqual(groups.find((g) => g.id === group.id)?.members, [id]);
  });

  it('creates a volume, attaches it to the server and detaches it', async () => {
    const vol = await cinder.createVolume({ name: `${tag}-vol`, size: 1, metadata: { magnetar_cluster: tag } });
    await until('the volume available', 60, async () => (await cinder.getVolume(vol.id))?.status === 'available');
    await nova.attachVolume(ids.server as string, vol.id);
    await until('the volume in-use', 60, async () => (await cinder.getVolume(vol.id))?.status === 'in-use');
    const att = await nova.listVolumeAttachments(ids.server as string);
    assert.deepEqual(
      att.map((x) => x.volumeId),
      [vol.id],
    );
    await nova.detachVolume(ids.server as string, vol.id);
    await until('the volume available again', 60, async () => (await cinder.getVolume(vol.id))?.status === 'available');
    assert.deepEqual(
      (await cinder.listVolumes({ metadata: { magnetar_cluster: tag } })).map((v) => v.id),
      [vol.id],
    );
  });

  it('follows pagination links (markers) and shapes errors with the call and the cloud message', async () => {
    const all = await nova.listFlavors();
    assert.ok(all.length >= 4);
    const paged = await nova.c.list<{ id: string }>('/flavors?is_public=None', 'flavors', { pageSize: 1 });
    assert.deepEqual(paged.map((f) => f.id).sort(), all.map((f) => f.id).sort());
    const nets = await neutron.c.list<{ id: string }>('/networks', 'networks', { pageSize: 1 });
    assert.ok(nets.some((n) => n.id === ids.net));
    await assert.rejects(
      nova.createServer({ name: `${tag}-bad`, imageRef: 'nope', flavorRef: 'no-such-flavor', networks: 'none' }),
      (e: unknown) => {
        assert.ok(e instanceof OpenStackError);
        assert.equal(e.call, 'nova POST /v2.1/servers');
        assert.equal(e.status, 400);
        assert.match(e.message, /^nova POST \/v2\.1\/servers: 400 .*(image|flavor)/i);
        return true;
      },
    );
    await assert.rejects(neutron.createSubnet({ network_id: ids.net as string, cidr: 'bogus', ip_version: 4 }), (e) => {
      assert.ok(e instanceof OpenStackError);
      assert.equal(e.call, 'neutron POST /v2.0/subnets');
      assert.equal(e.status, 400);
      assert.match(e.message, /bogus/);
      return true;
    });
  });

  it('creates a load balancer with listener, pool, member and health monitor (when Octavia is there)', async (t) => {
    if (!octavia) {
      t.skip('no load-balancer service in the catalog: scripts/ensure-system.sh octavia');
      return;
    }
    const o = octavia;
    const lb = await o.createLoadBalancer({ name: `${tag}-lb`, vip_subnet_id: ids.subnet as string, tags: [tag] });
    await until('the load balancer ACTIVE', 180, async () => {
      const x = await o.getLoadBalancer(lb.id);
      if (x?.provisioning_status === 'ERROR') throw new Error('load balancer ERROR');
      return x?.provisioning_status === 'ACTIVE';
    });
    const listener = await o.createListener({
      loadbalancer_id: lb.id,
      protocol: 'TCP',
      protocol_port: 6443,
      tags: [tag],
    });
    const pool = await o.createPool({
      listener_id: listener.id,
      protocol: 'TCP',
      lb_algorithm: 'ROUND_ROBIN',
      tags: [tag],
    });
    await o.createMember(pool.id, {
      address: `10.${octet}.0.50`,
      protocol_port: 6443,
      subnet_id: ids.subnet as string,
    });
    await o.createHealthMonitor({ pool_id: pool.id, type: 'TCP', delay: 5, timeout: 3, max_retries: 3, tags: [tag] });
    await until('the load balancer ACTIVE again', 120, async () => {
      return (await o.getLoadBalancer(lb.id))?.provisioning_status === 'ACTIVE';
    });
    assert.equal((await o.listMembers(pool.id)).length, 1);
    assert.deepEqual(
      (await o.listLoadBalancers({ tags: [tag] })).map((x) => x.id),
      [lb.id],
    );
  });

  /** Deletes everything carrying the tag (servers, volumes, load balancers, FIPs, routers, ports, networks, ...). */
  async function deleteByTag(): Promise<void> {
    if (octavia) {
      const o = octavia;
      for (const lb of await o.listLoadBalancers({ tags: [tag] })) await o.deleteLoadBalancer(lb.id);
      await until('load balancers gone', 180, async () => (await o.listLoadBalancers({ tags: [tag] })).length === 0);
    }
    for (const s of await nova.listServers({ tags: [tag] })) await nova.deleteServer(s.id);
    await until('servers gone', 120, async () => (await nova.listServers({ tags: [tag] })).length === 0);
    for (const v of await cinder.listVolumes({ metadata: { magnetar_cluster: tag } })) await cinder.deleteVolume(v.id);
    for (const f of await neutron.listFloatingIps({ tags: [tag] })) await neutron.deleteFloatingIp(f.id);
    for (const r of await neutron.listRouters({ tags: [tag] })) {
      for (const s of await neutron.listSubnets({ tags: [tag] })) await neutron.removeRouterInterface(r.id, s.id);
      await neutron.deleteRouter(r.id);
    }
    for (const p of await neutron.listPorts({ tags: [tag] })) await neutron.deletePort(p.id);
    for (const n of await neutron.listNetworks({ tags: [tag] })) await neutron.deleteNetwork(n.id);
    for (const g of await neutron.listSecurityGroups({ tags: [tag] })) await neutron.deleteSecurityGroup(g.id);
    for (const g of await nova.listServerGroups()) if (g.name === `${tag}-group`) await nova.deleteServerGroup(g.id);
    await nova.deleteKeypair(`${tag}-key`);
    await until(
      'volumes gone',
      60,
      async () => (await cinder.listVolumes({ metadata: { magnetar_cluster: tag } })).length === 0,
    );
  }

  it('deletes everything by tag and nothing is left', async () => {
    await deleteByTag();
    assert.deepEqual(await nova.listServers({ tags: [tag] }), []);
    assert.deepEqual(await cinder.listVolumes({ metadata: { magnetar_cluster: tag } }), []);
    assert.deepEqual(await neutron.listFloatingIps({ tags: [tag] }), []);
    assert.deepEqual(await neutron.listRouters({ tags: [tag] }), []);
    assert.deepEqual(await neutron.listPorts({ tags: [tag] }), []);
    assert.deepEqual(await neutron.listSubnets({ tags: [tag] }), []);
    assert.deepEqual(await neutron.listNetworks({ tags: [tag] }), []);
    assert.deepEqual(await neutron.listSecurityGroups({ tags: [tag] }), []);
    assert.equal(await nova.getKeypair(`${tag}-key`), null);
    assert.equal((await nova.listServerGroups()).filter((g) => g.name === `${tag}-group`).length, 0);
    // the ports of the deleted server and router went with them (none on the deleted network)
    assert.deepEqual(await neutron.listPorts({ network_id: ids.net as string }), []);
    if (octavia) assert.deepEqual(await octavia.listLoadBalancers({ tags: [tag] }), []);
  });
});
