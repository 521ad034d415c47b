/** Flavors must name an entry of the configured flavor table: Magnum's FlavorNotFound (400), nothing written. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IMAGE, startApiHarness, version, type ApiHarness } from '../../helpers/api-harness.ts';

describe('flavor checks', () => {
  let h: ApiHarness;
  let cluster: string;

  before(async () => {
    h = await startApiHarness();
    await h.createTemplate({
      name: 'sized',
      coe: 'swarm',
      image_id: IMAGE,
      flavor_id: 'm1.small',
      master_flavor_id: 'm1.tiny',
    });
    cluster = await h.createCluster({ name: 'c1', cluster_template_id: 'sized' });
    await h.completeCluster(cluster);
  });
  after(async () => h.close());

  const cases = [
    {
      name: 'a template with an unknown flavor_id is refused',
      url: '/v1/clustertemplates',
      body: { coe: 'swarm', image_id: IMAGE, flavor_id: 'no.such' },
      detail: /^Unable to find flavor no\.such\.$/,
    },
    {
      name: 'a template with an unknown master_flavor_id is refused',
      url: '/v1/clustertemplates',
      body: { coe: 'swarm', image_id: IMAGE, master_flavor_id: 'huge' },
      detail: /^Unable to find flavor huge\.$/,
    },
    {
      name: 'a cluster overriding the flavor with an unknown one is refused',
      url: '/v1/clusters',
      body: { cluster_template_id: 'sized', flavor_id: 'm9.giant' },
      detail: /^Unable to find flavor m9\.giant\.$/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => h.expectRefused({ ...c, method: 'POST', status: 400 }));
  }

  it('a node group with an unknown flavor is refused', () =>
    h.expectRefused({
      name: 'ng',
      method: 'POST',
      url: `/v1/clusters/${cluster}/nodegroups`,
      body: { name: 'big', flavor_id: 'x9' },
      headers: version(9),
      status: 400,
      detail: /^Unable to find flavor x9\.$/,
    }));

  it('known flavors are accepted and inherited', async () => {
    const res = await h.send('GET', `/v1/clusters/${cluster}`);
    assert.equal(res.json<{ flavor_id: string }>().flavor_id, 'm1.small');
    assert.equal(res.json<{ master_flavor_id: string }>().master_flavor_id, 'm1.tiny');
  });
});
