/** CADF payloads of cluster notifications against the composed example of the reference (§9.5). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cadfTime, clusterData, clusterEvent, primitiveTime } from '../../../src/notify/cadf.ts';
import type { Cluster, Nodegroup } from '../../../src/core/types.ts';

const CLUSTER: Cluster = {
  id: 1,
  uuid: 'c0ffee00-0000-4000-8000-000000000001',
  name: 'k8s-a',
  project_id: 'p-1',
  user_id: 'u-1',
  cluster_template_id: 't0000000-0000-4000-8000-000000000002',
  keypair: 'kp',
  docker_volume_size: null,
  labels: { kube_tag: 'v1.23.3-rancher1' },
  master_flavor_id: 'm1.medium',
  flavor_id: 'm1.medium',
  create_timeout: 60,
  stack_id: null,
  status: 'CREATE_IN_PROGRESS',
  status_reason: null,
  health_status: null,
  health_status_reason: null,
  discovery_url: null,
  api_address: null,
  coe_version: null,
  container_version: null,
  fixed_network: null,
  fixed_subnet: null,
  floating_ip_enabled: false,
  master_lb_enabled: false,
  driver_state: {},
  created_at: '2024-05-01T10:11:10.000Z',
  updated_at: null,
};

const ng = (name: string, role: string, count: number, addresses: string[] = []): Nodegroup => ({
  id: 0,
  uuid: `${name}-uuid`,
  cluster_id: CLUSTER.uuid,
  project_id: 'p-1',
  name,
  docker_volume_size: null,
  labels: {},
  flavor_id: 'm1.medium',
  image_id: null,
  node_addresses: addresses,
  node_count: count,
  role,
  min_node_count: 0,
  max_node_count: null,
  is_default: true,
  stack_id: null,
  status: 'CREATE_IN_PROGRESS',
  status_reason: null,
  version: null,
  created_at: CLUSTER.created_at,
  updated_at: null,
});

const IDS = {
  id: '0c4b3f2e-5d4f-4a86-9a0b-2b1d3c6f9e11',
  initiatorId: '9a8f0000-0000-4000-8000-000000000003',
  observerId: '77d20000-0000-4000-8000-000000000004',
};

/** The reference's example payload, with the ids and time it leaves open filled in. */
const EXAMPLE = {
  typeURI: 'http://schemas.dmtf.org/cloud/audit/1.0/event',
  eventType: 'activity',
  id: IDS.id,
  eventTime: '2024-05-01T10:11:12.345000+0000',
  action: 'create',
  outcome: 'pending',
  initiator: {
    typeURI: 'service/security/account/user',
    id: IDS.initiatorId,
    user_id: 'u-1',
    project_id: 'p-1',
    domain_id: 'default',
  },
  target: {
    typeURI: 'service/magnum/cluster',
    id: CLUSTER.uuid,
    name: 'k8s-a',
    attachments: [
      {
        typeURI: 'service/magnum/cluster',
        name: 'cluster_data',
        content: {
          status: 'CREATE_IN_PROGRESS',
          status_reason: null,
          project_id: 'p-1',
          created_at: '2024-05-01T10:11:10.000000',
          updated_at: null,
          cluster_template_id: CLUSTER.cluster_template_id,
          keypair: 'kp',
          'docker_volume_size:': null,
          labels: { kube_tag: 'v1.23.3-rancher1' },
          master_flavor_id: 'm1.medium',
          flavor_id: 'm1.medium',
          stack_id: null,
          health_status: null,
          create_timeout: 60,
          api_address: null,
          discovery_url: null,
          node_addresses: [],
          master_addresses: [],
          node_count: 1,
          master_count: 1,
        },
      },
    ],
  },
  observer: { typeURI: 'service/magnum/cluster', id: IDS.observerId },
};

describe('CADF cluster events', () => {
  it('builds the reference example key for key, in the same key order', () => {
    const ev = clusterEvent({
      action: 'create',
      outcome: 'pending',
      cluster: CLUSTER,
      nodegroups: [ng('default-master', 'master', 1), ng('default-worker', 'worker', 1)],
      initiator: { userId: 'u-1', projectId: 'p-1', domainId: 'default' },
      now: new Date('2024-05-01T10:11:12.345Z'),
      ids: IDS,
    });
    assert.deepEqual(ev, EXAMPLE);
    assert.equal(JSON.stringify(ev), JSON.stringify(EXAMPLE));
  });

  it('leaves the initiator ids out when the context has none (the conductor, like Magnum periodic tasks)', () => {
    const ev = clusterEvent({
      action: 'delete',
      outcome: 'success',
      cluster: CLUSTER,
      nodegroups: [],
      initiator: {},
      now: new Date(),
    });
    assert.deepEqual(Object.keys(ev.initiator), ['typeURI', 'id']);
    assert.match(ev.initiator.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(ev.id, ev.observer.id);
    assert.equal(ev.action, 'delete');
    assert.equal(ev.outcome, 'success');
  });

  it('sums counts and addresses over worker and master node groups', () => {
    const data = clusterData({ ...CLUSTER, updated_at: '2024-05-01T10:12:00.5Z' }, [
      ng('default-master', 'master', 1, ['10.0.0.2']),
      ng('default-worker', 'worker', 2, ['10.0.0.3', '10.0.0.4']),
      ng('big', 'worker', 1, ['10.0.0.5']),
    ]);
    assert.equal(data.node_count, 3);
    assert.equal(data.master_count, 1);
    assert.deepEqual(data.node_addresses, ['10.0.0.3', '10.0.0.4', '10.0.0.5']);
    assert.deepEqual(data.master_addresses, ['10.0.0.2']);
    assert.equal(data.updated_at, '2024-05-01T10:12:00.500000');
    assert.ok('docker_volume_size:' in data && !('docker_volume_size' in data));
  });

  it('formats times as pycadf and oslo do', () => {
    assert.equal(cadfTime(new Date('2024-05-01T10:11:12Z')), '2024-05-01T10:11:12.000000+0000');
    assert.equal(cadfTime(new Date('2024-12-31T23:59:59.999Z')), '2024-12-31T23:59:59.999000+0000');
    assert.equal(primitiveTime(null), null);
    assert.equal(primitiveTime('2024-05-01T10:11:10Z'), '2024-05-01T10:11:10.000000');
  });
});
