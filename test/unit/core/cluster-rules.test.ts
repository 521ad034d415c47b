/** @module test/unit/core/cluster-rules — how a new cluster inherits from its template and its default node groups. */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_CREATE_TIMEOUT, newCluster, type ClusterCreateBody } from '../../../src/core/cluster-rules.ts';
import { MagnumError } from '../../../src/core/errors.ts';
import type { Caller, ClusterTemplate } from '../../../src/core/types.ts';

const NOW = '2026-01-02T03:04:05.678Z';
const CALLER: Caller = { userId: 'u1', projectId: 'p1', roles: ['member'], isAdmin: false };

function template(over: Partial<ClusterTemplate> = {}): ClusterTemplate {
  return {
    id: 1,
    uuid: '11111111-2222-3333-4444-555555555555',
    name: 't',
    project_id: 'p1',
    user_id: 'u1',
    coe: 'swarm-mode',
    image_id: 'magnetar/node:bookworm',
    flavor_id: 'm1.small',
    master_flavor_id: 'm1.large',
    keypair_id: 'kp-template',
    dns_nameserver: null,
    external_network_id: null,
    fixed_network: 'net-t',
    fixed_subnet: '10.9.0.0/24',
    network_driver: 'docker',
    volume_driver: null,
    apiserver_port: null,
    docker_volume_size: 7,
    docker_storage_driver: null,
    cluster_distro: 'debian',
    http_proxy: null,
    https_proxy: null,
    no_proxy: null,
    registry_enabled: false,
    insecure_registry: null,
    labels: { a: '1', b: '2' },
    tls_disabled: false,
    public: false,
    hidden: false,
    server_type: 'container',
    master_lb_enabled: false,
    floating_ip_enabled: true,
    tags: null,
    created_at: NOW,
    updated_at: null,
    ...over,
  };
}

const make = (b: Partial<ClusterCreateBody>, t = template(), zeroNodesAllowed = false): ReturnType<typeof newCluster> =>
  newCluster(t, { cluster_template_id: t.uuid, ...b }, CALLER, { zeroNodesAllowed, now: NOW });

const is400 =
  (code: string, message: RegExp) =>
  (e: unknown): boolean =>
    e instanceof MagnumError && e.status === 400 && e.code === code && message.test(e.message);

void describe('newCluster inheritance', () => {
  test('takes keypair, flavors, volume size, network and labels from the template when the body has none', () => {
    const { cluster } = make({});
    assert.equal(cluster.keypair, 'kp-template');
    assert.equal(cluster.flavor_id, 'm1.small');
    assert.equal(cluster.master_flavor_id, 'm1.large');
    assert.equal(cluster.docker_volume_size, 7);
    assert.equal(cluster.fixed_network, 'net-t');
    assert.equal(cluster.fixed_subnet, '10.9.0.0/24');
    assert.deepEqual(cluster.labels, { a: '1', b: '2' });
    assert.equal(cluster.floating_ip_enabled, true);
    assert.equal(cluster.master_lb_enabled, false);
    assert.equal(cluster.create_timeout, DEFAULT_CREATE_TIMEOUT);
  });

  test('lets the body override keypair, flavors and docker_volume_size', () => {
    const { cluster } = make({
      keypair: 'kp-own',
      flavor_id: 'f',
      master_flavor_id: 'mf',
      docker_volume_size: 20,
      create_timeout: 5,
    });
    assert.equal(cluster.keypair, 'kp-own');
    assert.equal(cluster.flavor_id, 'f');
    assert.equal(cluster.master_flavor_id, 'mf');
    assert.equal(cluster.docker_volume_size, 20);
    assert.equal(cluster.create_timeout, 5);
  });

  test('treats create_timeout 0 as the default', () => {
    assert.equal(make({ create_timeout: 0 }).cluster.create_timeout, DEFAULT_CREATE_TIMEOUT);
  });

  test('replaces the template labels with the body labels without merge_labels', () => {
    assert.deepEqual(make({ labels: { c: 3 } }).cluster.labels, { c: '3' });
  });

  test('merges the body labels over the template labels with merge_labels', () => {
    assert.deepEqual(make({ labels: { b: 'two', c: true }, merge_labels: true }).cluster.labels, {
      a: '1',
      b: 'two',
      c: 'True',
    });
  });

  test('keeps the template labels when the body labels are empty', () => {
    assert.deepEqual(make({ labels: {} }).cluster.labels, { a: '1', b: '2' });
  });

  test('records owner, template, status and timestamps', () => {
    const { cluster } = make({ name: 'c1' });
    assert.equal(cluster.name, 'c1');
    assert.equal(cluster.project_id, 'p1');
    assert.equal(cluster.user_id, 'u1');
    assert.equal(cluster.cluster_template_id, template().uuid);
    assert.equal(cluster.status, 'CREATE_IN_PROGRESS');
    assert.equal(cluster.created_at, NOW);
    assert.equal(cluster.updated_at, null);
    assert.match(cluster.uuid, /^[0-9a-f-]{36}$/);
  });

  test('generates a name when none is given', () => {
    assert.match(make({}).cluster.name, /^[a-z]+-\d+-cluster$/);
  });
});

void describe('newCluster default node groups', () => {
  test('creates default-master and default-worker with the counts, flavors and template image', () => {
    const { cluster, nodegroups } = make({ node_count: 3, master_count: 1 });
    assert.equal(nodegroups.length, 2);
    const [master, worker] = nodegroups;
    assert.deepEqual(
      {
        name: master?.name,
        role: master?.role,
        count: master?.node_count,
        flavor: master?.flavor_id,
        min: master?.min_node_count,
        max: master?.max_node_count,
      },
      { name: 'default-master', role: 'master', count: 1, flavor: 'm1.large', min: 1, max: null },
    );
    assert.deepEqual(
      {
        name: worker?.name,
        role: worker?.role,
        count: worker?.node_count,
        flavor: worker?.flavor_id,
        min: worker?.min_node_count,
        max: worker?.max_node_count,
      },
      { name: 'default-worker', role: 'worker', count: 3, flavor: 'm1.small', min: 0, max: null },
    );
    for (const ng of nodegroups) {
      assert.equal(ng.cluster_id, cluster.uuid);
      assert.equal(ng.project_id, 'p1');
      assert.equal(ng.image_id, 'magnetar/node:bookworm');
      assert.equal(ng.is_default, true);
      assert.equal(ng.status, 'CREATE_IN_PROGRESS');
      assert.deepEqual(ng.labels, cluster.labels);
      assert.equal(ng.docker_volume_size, 7);
    }
    assert.notEqual(master?.uuid, worker?.uuid);
  });

  test('defaults to one master and one worker', () => {
    assert.deepEqual(
      make({}).nodegroups.map((n) => n.node_count),
      [1, 1],
    );
  });

  test('takes the worker bounds from the min_node_count and max_node_count labels', () => {
    const worker = make({ node_count: 2, labels: { min_node_count: '1', max_node_count: '4' } }).nodegroups[1];
    assert.equal(worker?.min_node_count, 1);
    assert.equal(worker?.max_node_count, 4);
  });
});

void describe('newCluster refusals', () => {
  test('refuses zero workers before microversion 1.10', () => {
    assert.throws(
      () => make({ node_count: 0 }),
      is400(
        'ZeroNodeCountNotSupported',
        /^Resizing a nodegroup to zero is not supported in the provided microversion\.$/,
      ),
    );
  });

  test('allows zero workers from microversion 1.10', () => {
    assert.equal(make({ node_count: 0 }, template(), true).nodegroups[1]?.node_count, 0);
  });

  test('refuses more than one master without a master load balancer', () => {
    assert.throws(
      () => make({ master_count: 3 }),
      is400('InvalidParameterValue', /master_count must be 1 when master_lb_enabled is False/),
    );
  });

  test('allows several masters when the body or the template enables the master load balancer', () => {
    assert.equal(make({ master_count: 3, master_lb_enabled: true }).nodegroups[0]?.node_count, 3);
    assert.equal(make({ master_count: 3 }, template({ master_lb_enabled: true })).cluster.master_lb_enabled, true);
  });

  test('refuses a devicemapper template without a volume of at least 3 GB', () => {
    const t = template({ docker_storage_driver: 'devicemapper', docker_volume_size: null });
    assert.throws(() => make({}, t), is400('InvalidParameterValue', /docker volume size None GB is not valid/));
    assert.throws(() => make({ docker_volume_size: 2 }, t), is400('InvalidParameterValue', /docker volume size 2 GB/));
    assert.equal(make({ docker_volume_size: 3 }, t).cluster.docker_volume_size, 3);
  });

  test('refuses a node count outside the label bounds', () => {
    assert.throws(
      () => make({ node_count: 5, labels: { max_node_count: '4' } }),
      is400(
        'InvalidParameterValue',
        /node_count 5 is outside the allowed range: min_node_count = 0, max_node_count = 4/,
      ),
    );
    assert.throws(
      () => make({ node_count: 1, labels: { min_node_count: '2' } }),
      is400('InvalidParameterValue', /max_node_count = None/),
    );
  });

  test('refuses a non-integer bound label naming it', () => {
    assert.throws(
      () => make({ labels: { min_node_count: 'two' } }),
      is400('InvalidParameterValue', /Label min_node_count must be a non-negative integer, got 'two'/),
    );
  });

  test('refuses malformed body labels naming the field', () => {
    assert.throws(() => make({ labels: { x: { y: 1 } } }), is400('InvalidInput', /field\/attribute labels.*Label 'x'/));
  });
});
