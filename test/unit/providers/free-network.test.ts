import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError, type Engine } from '../../../src/docker-api/engine.ts';
import { createNetworkOnFreeSubnet } from '../../../src/providers/docker/free-network.ts';

/** An engine holding `taken` subnets, of which `hidden` ones are not listed yet (a create still in flight elsewhere). */
function fakeEngine(listed: string[], hidden: string[]): { engine: Engine; tried: string[] } {
  const tried: string[] = [];
  const engine = {
    listNetworks: async () => listed.map((Subnet) => ({ IPAM: { Config: [{ Subnet }] } })),
    createNetwork: async (spec: { IPAM: { Config: { Subnet: string }[] } }) => {
      const subnet = spec.IPAM.Config[0]?.Subnet ?? '';
      tried.push(subnet);
      if ([...listed, ...hidden].includes(subnet))
        throw new EngineError('Pool overlaps with other one on this address space', 403, 'POST', '/networks/create');
      return { Id: `net-${subnet}` };
    },
  } as unknown as Engine;
  return { engine, tried };
}

void describe('createNetworkOnFreeSubnet', () => {
  void it('skips subnets another create took between the pick and the create', async () => {
    const { engine, tried } = fakeEngine(['10.10.0.0/24'], ['10.10.1.0/24', '10.10.2.0/24']);
    const net = await createNetworkOnFreeSubnet(engine, { name: 'n', labels: {} });
    assert.deepEqual(tried, ['10.10.1.0/24', '10.10.2.0/24', '10.10.3.0/24']);
    assert.deepEqual(net, { id: 'net-10.10.3.0/24', cidr: '10.10.3.0/24', gateway: '10.10.3.1' });
  });

  void it('takes a free preferred subnet, and refuses a taken one naming fixed_subnet', async () => {
    const { engine } = fakeEngine(['10.10.0.0/24'], []);
    assert.equal(
      (await createNetworkOnFreeSubnet(engine, { name: 'n', labels: {}, preferred: '10.20.0.0/24' })).cidr,
      '10.20.0.0/24',
    );
    await assert.rejects(
      createNetworkOnFreeSubnet(engine, { name: 'n', labels: {}, preferred: '10.10.0.0/24' }),
      /fixed_subnet 10\.10\.0\.0\/24 overlaps a network in use/,
    );
  });

  void it('passes other engine errors through and gives up after its attempts', async () => {
    const failing = {
      listNetworks: async () => [],
      createNetwork: async () => {
        throw new EngineError('network with name n already exists', 409, 'POST', '/networks/create');
      },
    } as unknown as Engine;
    await assert.rejects(createNetworkOnFreeSubnet(failing, { name: 'n', labels: {} }), /already exists/);
    const { engine } = fakeEngine([], ['10.10.0.0/24', '10.10.1.0/24', '10.10.2.0/24']);
    await assert.rejects(createNetworkOnFreeSubnet(engine, { name: 'n', labels: {}, attempts: 3 }), /after 3 attempts/);
  });
});
